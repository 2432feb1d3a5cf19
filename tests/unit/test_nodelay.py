"""TCP_NODELAY on every accepted connection, in every serving mode (issue 11, finding 8).

Read from the socket option of the server's own accepted connection, not from timings: a server serves
from a socket bound beforehand (what `--workers N` does), and a route reports the option of the
connection it answers on.
"""

from __future__ import annotations

import asyncio
import http.client
import socket
import threading
import time
from collections.abc import Iterator
from typing import Any

import pytest
import uvicorn

from portal.cli import serve as serve_cli
from portal.nodelay import PROTOCOL, NoDelayH11Protocol, set_nodelay


def nodelay_of(sock: socket.socket) -> int:
    return sock.getsockopt(socket.IPPROTO_TCP, socket.TCP_NODELAY)


class _Transport(asyncio.Transport):
    def __init__(self, sock: socket.socket) -> None:
        super().__init__()
        self.sock = sock

    def get_extra_info(self, name: str, default: Any = None) -> Any:
        return self.sock if name == "socket" else default


def test_set_nodelay_on_a_real_accepted_socket() -> None:
    with socket.create_server(("127.0.0.1", 0)) as listener:
        client = socket.create_connection(listener.getsockname())
        accepted, _ = listener.accept()
        with client, accepted:
            assert nodelay_of(accepted) == 0  # what a pre-bound socket's connections start with
            set_nodelay(_Transport(accepted))
            assert nodelay_of(accepted) != 0


def _server(protocol: str, listener: socket.socket) -> tuple[uvicorn.Server, threading.Thread]:
    """uvicorn on a socket bound before it starts (as with --workers N); a request reports the option."""
    holder: dict[str, uvicorn.Server] = {}

    async def app(scope: dict[str, Any], receive: Any, send: Any) -> None:
        if scope["type"] == "lifespan":
            while (await receive())["type"] != "lifespan.shutdown":
                await send({"type": "lifespan.startup.complete"})
            await send({"type": "lifespan.shutdown.complete"})
            return
        client = tuple(scope["client"])
        values = [
            nodelay_of(c.transport.get_extra_info("socket"))
            for c in holder["server"].server_state.connections
            if tuple(c.client) == client  # type: ignore[attr-defined]
        ]
        body = str(values[0]).encode()
        await send({"type": "http.response.start", "status": 200, "headers": [(b"content-length", b"1")]})
        await send({"type": "http.response.body", "body": body[:1]})

    config = uvicorn.Config(app, http=protocol, log_level="warning", lifespan="on")
    server = uvicorn.Server(config)
    holder["server"] = server
    thread = threading.Thread(target=server.run, kwargs={"sockets": [listener]}, daemon=True)
    thread.start()
    deadline = time.monotonic() + 10
    while not server.started and time.monotonic() < deadline:
        time.sleep(0.01)
    assert server.started
    return server, thread


@pytest.fixture
def listener() -> Iterator[socket.socket]:
    sock = socket.socket(socket.AF_INET, socket.SOCK_STREAM)
    sock.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
    sock.bind(("127.0.0.1", 0))
    sock.set_inheritable(True)
    yield sock
    sock.close()


def _reported(protocol: str, listener: socket.socket) -> list[str]:
    server, thread = _server(protocol, listener)
    try:
        connection = http.client.HTTPConnection(*listener.getsockname(), timeout=5)
        answers = []
        for _ in range(2):  # keep-alive: the second request on the same connection
            connection.request("GET", "/nodelay")
            answers.append(connection.getresponse().read().decode())
        connection.close()
        return answers
    finally:
        server.should_exit = True
        thread.join(timeout=10)


def test_the_protocol_sets_nodelay_on_a_pre_bound_socket(listener: socket.socket) -> None:
    assert _reported(PROTOCOL, listener) == ["1", "1"]


def test_uvicorn_alone_loses_it_on_a_pre_bound_socket(listener: socket.socket) -> None:
    """The defect the protocol fixes (if uvicorn fixes it one day, this fails and the protocol may go)."""
    assert _reported("h11", listener) == ["0", "0"]


def test_the_protocol_is_uvicorns_h11() -> None:
    assert issubclass(NoDelayH11Protocol, uvicorn.protocols.http.h11_impl.H11Protocol)


@pytest.mark.parametrize("workers", [1, 2])
def test_serve_wires_the_protocol_in_both_modes(
    workers: int, monkeypatch: pytest.MonkeyPatch, tmp_path: Any
) -> None:
    seen: dict[str, Any] = {}
    monkeypatch.setattr(serve_cli.uvicorn, "run", lambda *a, **k: seen.update(k))
    monkeypatch.setattr("portal.bootstrap.prepare", lambda *a, **k: None)
    monkeypatch.setenv("MOTCUA_DATA_DIR", str(tmp_path))
    url = "postgresql+psycopg://u:p@127.0.0.1:1/x" if workers > 1 else f"sqlite:///{tmp_path}/db.sqlite"
    monkeypatch.setenv("MOTCUA_DATABASE_URL", url)
    serve_cli.serve(host="127.0.0.1", port=8765, workers=workers, with_worker=False)
    assert seen["http"] == PROTOCOL
    assert seen["workers"] == workers

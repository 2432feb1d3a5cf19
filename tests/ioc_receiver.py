"""A real IOC webhook receiver on loopback for the tests: records every POST, answers as it is told."""

from __future__ import annotations

import json
import threading
import time
from collections import Counter, deque
from dataclasses import dataclass
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from typing import Any

SECRET = "ioc-test-secret-" + "s" * 32


@dataclass(frozen=True)
class Received:
    """One request as it arrived, and what the receiver answered."""

    body: bytes
    headers: dict[str, str]
    answered: int

    @property
    def event(self) -> dict[str, Any]:
        """The CloudEvent in the body."""
        data: dict[str, Any] = json.loads(self.body)
        return data


class IocReceiver:
    """`answer(500, 500)` makes the next two requests fail; `hang(seconds)` makes the next one wait first."""

    def __init__(self) -> None:
        self.requests: list[Received] = []
        self.arrivals = 0  # requests that arrived, answered or not yet (one may be hanging)
        self._script: deque[tuple[str, float]] = deque()
        self._lock = threading.Lock()
        receiver = self

        class Handler(BaseHTTPRequestHandler):
            def do_POST(self) -> None:
                body = self.rfile.read(int(self.headers.get("Content-Length") or 0))
                with receiver._lock:
                    receiver.arrivals += 1
                    action, value = receiver._script.popleft() if receiver._script else ("status", 200)
                if action == "hang":
                    time.sleep(value)
                    status = 200
                else:
                    status = int(value)
                with receiver._lock:
                    receiver.requests.append(Received(body, dict(self.headers.items()), status))
                try:
                    self.send_response(status)
                    self.send_header("Content-Length", "0")
                    self.end_headers()
                except OSError:
                    pass  # the client gave up waiting (timeout): that is the point of hanging

            def log_message(self, format: str, *args: Any) -> None:  # noqa: A002 — the base class's name
                return

        self.server = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
        self.server.daemon_threads = True
        self._thread = threading.Thread(target=self.server.serve_forever, daemon=True)

    @property
    def url(self) -> str:
        """Where to POST."""
        host, port = self.server.server_address[:2]
        return f"http://{host!s}:{port}/events"

    def start(self) -> IocReceiver:
        """Serve in a background thread."""
        self._thread.start()
        return self

    def stop(self) -> None:
        """Stop serving and close the socket."""
        self.server.shutdown()
        self.server.server_close()

    def answer(self, *statuses: int) -> None:
        """Answer the next requests with these statuses (then 200 again)."""
        with self._lock:
            self._script.extend(("status", float(s)) for s in statuses)

    def hang(self, seconds: float) -> None:
        """Make the next request wait `seconds` before answering 200."""
        with self._lock:
            self._script.append(("hang", seconds))

    def accepted(self) -> list[dict[str, Any]]:
        """The events answered with 2xx, in arrival order."""
        with self._lock:
            return [r.event for r in self.requests if 200 <= r.answered < 300]

    def accepted_ids(self) -> Counter[str]:
        """How many times each event id was accepted."""
        return Counter(e["id"] for e in self.accepted())

    def all_ids(self) -> list[str]:
        """The id of every request, accepted or not, in arrival order."""
        with self._lock:
            return [r.event["id"] for r in self.requests]

"""An HTTP protocol that sets TCP_NODELAY on every accepted connection, whatever the serving mode.

`uvicorn --workers N` serves from a socket bound by the parent process; connections accepted from it in the
worker processes lose the TCP_NODELAY that asyncio's own `create_server` sets, so a keep-alive response's
last segment waits for the client's delayed ACK (~40 ms each). Setting the option in `connection_made`
covers the single-process and the multi-process modes alike.
"""

from __future__ import annotations

import asyncio
import socket

from uvicorn.protocols.http.h11_impl import H11Protocol

PROTOCOL = (
    "portal.nodelay:NoDelayH11Protocol"  # uvicorn's `http=`, an import string the worker processes load
)


def set_nodelay(transport: asyncio.BaseTransport) -> None:
    """Disable Nagle's algorithm on the transport's TCP socket (nothing for a Unix socket)."""
    sock = transport.get_extra_info("socket")
    if sock is None or sock.family not in (socket.AF_INET, socket.AF_INET6):
        return
    try:
        sock.setsockopt(socket.IPPROTO_TCP, socket.TCP_NODELAY, 1)
    except OSError:  # the peer already closed: nothing to speed up
        pass


class NoDelayH11Protocol(H11Protocol):
    """uvicorn's h11 protocol, with TCP_NODELAY set on the accepted connection."""

    def connection_made(self, transport: asyncio.Transport) -> None:  # type: ignore[override]
        set_nodelay(transport)
        super().connection_made(transport)

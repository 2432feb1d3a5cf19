"""Public tracking for `/api/v1/track/{code}` and `/tra-cuu`: the access key and the per-client limit."""

from __future__ import annotations

from typing import Any

from fastapi import Request

from engine.actor import Actor
from engine.errors import TooManyRequests
from engine.usecases import ratelimit
from engine.usecases.queries import track
from portal.wiring import Container


def client_address(request: Request) -> str:
    """The caller's address as the server sees it (behind a proxy, uvicorn's --forwarded-allow-ips)."""
    return request.client.host if request.client else "unknown"


def limit_anonymous(c: Container, request: Request) -> None:
    """Count one anonymous lookup of this client; 429 (TooManyRequests with Retry-After) past the limit.

    Counted in a transaction of its own, committed whatever the lookup answers: probes that miss count too.
    """
    settings = c.settings
    with c.transaction() as uow:
        wait = ratelimit.hit(
            uow,
            f"track:{client_address(request)}"[:120],
            c.services.clock.now(),
            settings.track_rate_limit,
            settings.track_rate_window,
        )
    if wait is not None:
        raise TooManyRequests(
            f"Bạn đã tra cứu quá nhiều lần; vui lòng thử lại sau {wait} giây.",
            f"Too many lookups; try again in {wait} seconds.",
            retry_after=wait,
        )


def public_status(
    c: Container, request: Request, code: str, key: str | None, actor: Actor | None
) -> dict[str, Any]:
    """The public status: code + access key, or a signed-in actor who may see it; anonymous is limited."""
    if actor is None:
        limit_anonymous(c, request)
    with c.transaction() as uow:
        return track(uow, code, key, actor)

"""Server-side browser sessions: rows keyed by the hash of the cookie value.

The portal owns the cookie and the login flow; this module only keeps the rows, so that every portal
process (and every replica behind a load balancer) sees the same sessions.
"""

from __future__ import annotations

import hashlib
import secrets
from datetime import datetime, timedelta
from typing import Any

from sqlmodel import col, delete, select

from engine.store.db import UnitOfWork
from engine.store.models import WebSessionRow

PURGE_BATCH = 100


def session_key(cookie: str) -> str:
    """The primary key of the row behind a cookie value."""
    return hashlib.sha256(cookie.encode("utf-8")).hexdigest()


def open_pending(
    uow: UnitOfWork, now: datetime, ttl: timedelta, *, state: str, nonce: str, verifier: str, return_to: str
) -> str:
    """A pending login (between the redirect to Keycloak and the callback); returns the new cookie value."""
    purge_expired(uow, now)
    cookie = secrets.token_urlsafe(32)
    uow.session.add(
        WebSessionRow(
            id=session_key(cookie),
            csrf=secrets.token_urlsafe(32),
            created_at=now,
            expires_at=now + ttl,
            oidc_state=state,
            nonce=nonce,
            code_verifier=verifier,
            return_to=return_to,
        )
    )
    return cookie


def find(uow: UnitOfWork, cookie: str | None, now: datetime) -> WebSessionRow | None:
    """The live session behind a cookie value, or None (missing or expired)."""
    if not cookie:
        return None
    row = uow.session.get(WebSessionRow, session_key(cookie))
    if row is None or row.expires_at <= now:
        return None
    return row


def activate(uow: UnitOfWork, pending: WebSessionRow, now: datetime, **values: Any) -> str:
    """Turn a pending login into a session under a new cookie value (no session fixation)."""
    uow.session.delete(pending)
    cookie = secrets.token_urlsafe(32)
    uow.session.add(
        WebSessionRow(id=session_key(cookie), csrf=secrets.token_urlsafe(32), created_at=now, **values)
    )
    return cookie


def open_signed_in(
    uow: UnitOfWork, now: datetime, ttl: timedelta, subject: str, claims: dict[str, Any]
) -> str:
    """A session opened without an identity server (the development sign-in); returns the cookie value."""
    purge_expired(uow, now)
    cookie = secrets.token_urlsafe(32)
    uow.session.add(
        WebSessionRow(
            id=session_key(cookie),
            csrf=secrets.token_urlsafe(32),
            created_at=now,
            expires_at=now + ttl,
            subject=subject,
            claims=claims,
        )
    )
    return cookie


def close(uow: UnitOfWork, row: WebSessionRow) -> None:
    """End a session (logout, failed refresh)."""
    uow.session.delete(row)


def purge_expired(uow: UnitOfWork, now: datetime, batch: int = PURGE_BATCH) -> int:
    """Remove at most `batch` expired rows (through the expiry index); returns how many went."""
    ids = uow.session.exec(
        select(WebSessionRow.id).where(col(WebSessionRow.expires_at) <= now).limit(batch)
    ).all()
    if ids:
        uow.session.exec(delete(WebSessionRow).where(col(WebSessionRow.id).in_(ids)))
    return len(ids)

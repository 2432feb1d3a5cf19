"""A fixed-window rate limiter kept in the database (anonymous tracking per client address).

In the database rather than in process: several `serve` processes share one count, so the limit is the limit
whatever the process count; one row per client is cheap and one short UPDATE per lookup costs little beside
the lookup itself. Windows are aligned to the epoch, so a row needs only its start and count.
"""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

from sqlalchemy.exc import IntegrityError
from sqlmodel import col, delete, select

from engine.store.db import UnitOfWork
from engine.store.models import RateLimitRow


def window_start(now: datetime, window: int) -> datetime:
    """The start of the fixed window that holds `now`."""
    seconds = int(now.timestamp())
    return datetime.fromtimestamp(seconds - seconds % window, UTC)


def hit(uow: UnitOfWork, bucket: str, now: datetime, limit: int, window: int) -> int | None:
    """Count one request in `bucket`; None when within `limit` per `window` seconds, else seconds to wait."""
    start = window_start(now, window)
    row = uow.session.exec(
        select(RateLimitRow).where(RateLimitRow.bucket == bucket).with_for_update()
    ).first()
    if row is None:
        try:
            with uow.session.begin_nested():
                uow.session.add(RateLimitRow(bucket=bucket, window_start=start, count=1))
            return None
        except IntegrityError:  # another process counted this client's first request at the same moment
            row = uow.session.exec(
                select(RateLimitRow).where(RateLimitRow.bucket == bucket).with_for_update()
            ).one()
    if row.window_start != start:
        row.window_start, row.count = start, 0
    row.count += 1
    uow.session.add(row)
    uow.flush()
    if row.count <= limit:
        return None
    return max(1, int((start + timedelta(seconds=window) - now).total_seconds() + 0.999))


def prune(uow: UnitOfWork, now: datetime, window: int, batch: int = 1000) -> int:
    """Delete up to `batch` counters whose window has ended; return how many."""
    before = window_start(now, window)
    buckets = uow.session.exec(
        select(RateLimitRow.bucket).where(col(RateLimitRow.window_start) < before).limit(batch)
    ).all()
    if buckets:
        uow.session.exec(delete(RateLimitRow).where(col(RateLimitRow.bucket).in_(buckets)))
    return len(buckets)

"""How far background work is behind: pending documents and outbox rows, and how old the oldest of each is.

Read by `/api/v1/metrics` on every scrape, so each query walks an index over the backlog only (pending rows;
never every dossier, document or delivered event): the outbox's `(status, channel, seq)` index gives the
count and the oldest row of each channel, the documents' `(status, lease_until)` index the pending ones.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime

import sqlalchemy as sa
from sqlmodel import col

from engine.document.kinds import DocumentStatus
from engine.outbox import Channel, Delivery
from engine.store.db import UnitOfWork
from engine.store.models import DocumentRow, OutboxEventRow


@dataclass(frozen=True)
class Backlog:
    """Pending rows of one queue and the age in seconds of its oldest (0 when none is pending)."""

    pending: int
    oldest_age_seconds: float


def _age(oldest: datetime | None, now: datetime) -> float:
    return max(0.0, (now - oldest).total_seconds()) if oldest is not None else 0.0


def documents(uow: UnitOfWork, now: datetime) -> Backlog:
    """Documents waiting to be rendered (including those leased by a worker right now)."""
    pending = col(DocumentRow.status) == DocumentStatus.PENDING.value
    count, oldest = uow.session.execute(
        sa.select(sa.func.count(), sa.func.min(col(DocumentRow.issued_at))).where(pending)
    ).one()
    return Backlog(int(count), _age(oldest, now))


def outbox(uow: UnitOfWork, now: datetime) -> dict[Channel, Backlog]:
    """Outbox rows waiting for delivery, per channel (rows waiting for a retry included; parked ones not)."""
    found: dict[Channel, Backlog] = {}
    for channel in Channel:
        where = (
            col(OutboxEventRow.status) == Delivery.PENDING.value,
            col(OutboxEventRow.channel) == channel.value,
        )
        count = uow.session.execute(sa.select(sa.func.count()).where(*where)).scalar_one()
        oldest = uow.session.execute(
            sa.select(col(OutboxEventRow.created_at)).where(*where).order_by(col(OutboxEventRow.seq)).limit(1)
        ).scalar_one_or_none()
        found[channel] = Backlog(int(count), _age(oldest, now))
    return found


def parked(uow: UnitOfWork) -> dict[Channel, int]:
    """Outbox rows whose every attempt failed, per channel (they wait for `motcua outbox retry`)."""
    rows = uow.session.execute(
        sa.select(col(OutboxEventRow.channel), sa.func.count())
        .where(col(OutboxEventRow.status) == Delivery.PARKED.value)
        .group_by(col(OutboxEventRow.channel))
    ).all()
    counts = dict.fromkeys(Channel, 0)
    known = {c.value for c in Channel}
    for name, count in rows:
        if name in known:
            counts[Channel(name)] = int(count)
    return counts

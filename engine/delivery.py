"""Deliver the outbox at least once: claim due rows, send them in order per dossier, back off, park.

One round (`deliver_due`):
1. Claim, in one short transaction: the due pending rows of a channel, oldest first, locked with
   `FOR UPDATE SKIP LOCKED` (PostgreSQL; SQLite serialises writers instead), so concurrent workers take
   disjoint rows. A row is leased by moving its `next_attempt_at` a lease ahead, then the transaction commits:
   nothing is held open while the receiver answers (on SQLite an open write would stall every request).
2. Send each claimed row, one by one, outside any transaction; record each outcome in its own short
   transaction, fenced on (status, attempts) so an outcome never overwrites a later worker's.
   A worker killed mid-round leaves its rows leased: they fall due again when the lease ends and are sent
   again with the same id (at least once; the receiver deduplicates on `id`).

Order per dossier: a row is sent only when every earlier pending row of its dossier is sent before it in the
same round. An earlier row that waits for its retry, or that another worker holds, holds its dossier back.
A parked row does not: it was given up, and later news of the dossier still flows.
"""

from __future__ import annotations

import logging
import random
import time
from collections.abc import Callable, Mapping, Sequence
from contextlib import AbstractContextManager
from dataclasses import dataclass
from datetime import datetime, timedelta
from typing import Any, Protocol

from sqlalchemy import CursorResult, update
from sqlmodel import col, select

from engine.clock import Clock
from engine.outbox import Channel, Delivery
from engine.store.db import UnitOfWork
from engine.store.models import OutboxEventRow

log = logging.getLogger("motcua.delivery")


class DeliveryFailed(Exception):
    """The receiver did not take the event (an HTTP error status, a timeout, a refused connection)."""


class EventSink(Protocol):
    """Where events of a channel go; `send` returns when the receiver took the event, raises otherwise."""

    @property
    def name(self) -> str:
        """Recorded as `delivered_to` (e.g. "webhook", "log")."""
        ...

    def send(self, event: Mapping[str, Any]) -> None:
        """Deliver one event (the row's payload); raise DeliveryFailed (or anything) when it was not taken."""
        ...

    def close(self) -> None:
        """Release connections (the worker calls it when it stops)."""
        ...


@dataclass(frozen=True)
class RetryPolicy:
    """Exponential backoff with full jitter, then parking."""

    max_attempts: int = 10
    base_seconds: float = 5.0
    cap_seconds: float = 3600.0
    # A retry is never due at once: a receiver that fails fast must not be hammered in a tight loop.
    floor_seconds: float = 1.0
    # How long a claimed row stays with its worker; a round stops sending after half of it.
    lease_seconds: float = 300.0

    def delay(self, failures: int, rng: random.Random) -> timedelta:
        """The wait after `failures` failed attempts: uniform in [0, min(cap, base·2^(failures-1))]."""
        ceiling = min(self.cap_seconds, self.base_seconds * 2 ** max(failures - 1, 0))
        return timedelta(seconds=max(self.floor_seconds, rng.uniform(0, ceiling)))


UowFactory = Callable[[], AbstractContextManager[UnitOfWork]]


@dataclass(frozen=True)
class Claimed:
    """A row leased to this worker for one round."""

    id: str
    seq: int
    dossier_id: int | None
    attempts: int
    payload: dict[str, Any]


def deliver_due(
    transaction: UowFactory,
    sink: EventSink,
    clock: Clock,
    batch: int = 50,
    *,
    policy: RetryPolicy | None = None,
    channel: Channel = Channel.IOC,
    rng: random.Random | None = None,
) -> int:
    """Deliver one round of due rows of a channel; return how many the receiver took."""
    policy = policy or RetryPolicy()
    rng = rng or random.Random()
    claimed = claim(transaction, channel, clock.now(), batch, policy)
    delivered = 0
    held: set[int | None] = set()  # dossiers whose earlier event failed this round
    started = time.monotonic()
    for item in claimed:
        if item.dossier_id in held or time.monotonic() - started > policy.lease_seconds / 2:
            _finish(transaction, item, next_attempt_at=clock.now())  # due again; order kept next round
            continue
        try:
            sink.send(item.payload)
        except Exception as exc:  # noqa: BLE001 — any failure of the receiver is a failed attempt
            if item.dossier_id is not None:
                held.add(item.dossier_id)
            _failed(
                transaction,
                item,
                now=clock.now(),
                reason=f"{type(exc).__name__}: {exc}",
                policy=policy,
                rng=rng,
            )
            continue
        now = clock.now()
        _finish(transaction, item, status=Delivery.DELIVERED, delivered_at=now, delivered_to=sink.name)
        delivered += 1
    return delivered


def claim(
    transaction: UowFactory, channel: Channel, now: datetime, batch: int, policy: RetryPolicy
) -> list[Claimed]:
    """Lease the due rows this worker may send now, oldest first, keeping each dossier's order."""
    with transaction() as uow:
        rows = uow.session.exec(
            select(OutboxEventRow)
            .where(
                OutboxEventRow.status == Delivery.PENDING.value,
                OutboxEventRow.channel == channel.value,
                col(OutboxEventRow.next_attempt_at) <= now,
            )
            .order_by(col(OutboxEventRow.seq))
            .limit(batch)
            .with_for_update(skip_locked=True)  # rendered on PostgreSQL only
        ).all()
        if not rows:
            return []
        earlier = _pending_seqs(uow, channel, rows)
        accepted: list[OutboxEventRow] = []
        taken: set[int] = set()
        held: set[int] = set()
        for row in rows:
            seq, dossier = _seq(row), row.dossier_id
            if dossier is not None:
                if dossier in held or not all(s in taken for s in earlier.get(dossier, ()) if s < seq):
                    held.add(dossier)  # an earlier event waits (retry pending, or another worker's)
                    continue
            accepted.append(row)
            taken.add(seq)
        lease_end = now + timedelta(seconds=policy.lease_seconds)
        for row in accepted:
            row.next_attempt_at = lease_end
            uow.session.add(row)
        return [Claimed(r.id, _seq(r), r.dossier_id, r.attempts, dict(r.payload)) for r in accepted]


def _seq(row: OutboxEventRow) -> int:
    assert row.seq is not None
    return row.seq


def _pending_seqs(uow: UnitOfWork, channel: Channel, rows: Sequence[OutboxEventRow]) -> dict[int, list[int]]:
    """Seq of every pending row of the candidates' dossiers up to the newest candidate."""
    dossiers = {r.dossier_id for r in rows if r.dossier_id is not None}
    if not dossiers:
        return {}
    found: dict[int, list[int]] = {}
    for dossier_id, seq in uow.session.exec(
        select(OutboxEventRow.dossier_id, OutboxEventRow.seq).where(
            col(OutboxEventRow.dossier_id).in_(dossiers),
            OutboxEventRow.status == Delivery.PENDING.value,
            OutboxEventRow.channel == channel.value,
            col(OutboxEventRow.seq) <= max(_seq(r) for r in rows),
        )
    ).all():
        if dossier_id is not None and seq is not None:
            found.setdefault(dossier_id, []).append(seq)
    return found


def _failed(
    transaction: UowFactory,
    item: Claimed,
    *,
    now: datetime,
    reason: str,
    policy: RetryPolicy,
    rng: random.Random,
) -> None:
    failures = item.attempts + 1
    if failures >= policy.max_attempts:
        log.warning("outbox event %s parked after %d attempts: %s", item.id, failures, reason)
        _finish(transaction, item, status=Delivery.PARKED, attempts=failures, last_error=reason)
        return
    retry_at = now + policy.delay(failures, rng)
    log.info("outbox event %s failed (attempt %d), retry at %s: %s", item.id, failures, retry_at, reason)
    _finish(transaction, item, attempts=failures, last_error=reason, next_attempt_at=retry_at)


def _finish(transaction: UowFactory, item: Claimed, **values: Any) -> bool:
    """Record the outcome of a claimed row unless someone else already moved it on (lease ran out)."""
    if "status" in values:
        values["status"] = Delivery(values["status"]).value
    with transaction() as uow:
        result = uow.session.exec(
            update(OutboxEventRow)
            .where(
                col(OutboxEventRow.id) == item.id,
                col(OutboxEventRow.status) == Delivery.PENDING.value,
                col(OutboxEventRow.attempts) == item.attempts,
            )
            .values(**values)
        )
        changed = isinstance(result, CursorResult) and result.rowcount == 1
    if not changed:
        log.warning("outbox event %s was moved on by another worker; outcome dropped", item.id)
    return changed

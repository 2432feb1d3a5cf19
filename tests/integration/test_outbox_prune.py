"""Delivered outbox rows are pruned after the retention; pending and parked rows never are."""

from __future__ import annotations

from datetime import timedelta

from sqlalchemy import update
from sqlmodel import col

from engine.store.models import OutboxEventRow
from portal.wiring import Container
from portal.worker import prune_outbox, run_cycle
from tests.builders import OFFICER, Api, birth_filing, ok, outbox


def test_only_rows_delivered_longer_ago_than_the_retention_are_deleted(
    api: Api, container: Container
) -> None:
    old, parked, fresh = api.received(), api.received(), api.received()
    run_cycle(container)  # everything delivered (log / files on the embedded default)
    parked_ids = [r.id for r in outbox(container) if r.subject == parked]  # its IOC event
    with container.engine.begin() as conn:
        conn.execute(
            update(OutboxEventRow).where(col(OutboxEventRow.id).in_(parked_ids)).values(status="parked")
        )
    kept_days = container.settings.outbox_retention_days
    api.clock.advance(timedelta(days=kept_days - 1))
    assert prune_outbox(container) == 0

    api.clock.advance(timedelta(days=2))
    ok(api.file(OFFICER, birth_filing()))  # received now: new pending rows, never pruned
    pruned = prune_outbox(container)
    remaining = {(r.subject, r.status) for ch in ("ioc", "email", "sms") for r in outbox(container, ch)}
    assert pruned == 3 * 3 - 1  # IOC event, e-mail and SMS of each; the parked IOC event stays
    assert (parked, "parked") in remaining
    assert all(subject not in (old, fresh) for subject, _ in remaining)
    assert any(status == "pending" for _, status in remaining)

"""The operations center's side: the pull feed of events, acknowledgements, and the open-dossier summary.

Who may read: the IOC's service account (role `ioc`) and administrators see everything; a supervisor sees
only the agencies they supervise. Anyone else is refused.
"""

from __future__ import annotations

from datetime import datetime
from typing import Any

from sqlmodel import col, select

from engine import limits, tally
from engine.actor import Actor, Role
from engine.dossier.timeliness import OpenState
from engine.errors import Conflict, Forbidden, NotFound
from engine.outbox import Channel, iso
from engine.store.db import UnitOfWork
from engine.store.models import AgencyRow, OutboxEventRow, ProcedureVersionRow

FEED_MAX = limits.PAGE_MAX  # events per page, 1–200 like every list
ALL_AGENCIES = None


def scope_of(actor: Actor) -> frozenset[str] | None:
    """The agencies whose events and dossiers the actor may see; None for all of them."""
    if actor.has(Role.IOC) or actor.has(Role.ADMIN):
        return ALL_AGENCIES
    if actor.supervised:
        return actor.supervised
    raise Forbidden(
        "Chỉ Trung tâm điều hành (IOC), quản trị hoặc lãnh đạo giám sát mới xem được báo cáo này.",
        "Only the operations center, an administrator or a supervisor may read this.",
    )


def ack_view(row: OutboxEventRow) -> dict[str, Any] | None:
    """Who acknowledged an event, when, and why; None while unacknowledged."""
    if row.acked_at is None:
        return None
    return {"at": iso(row.acked_at), "by": row.acked_by, "by_name": row.acked_by_name, "note": row.ack_note}


def feed(uow: UnitOfWork, actor: Actor, *, after: int = 0, limit: int = 100) -> dict[str, Any]:
    """Events with `seq` > after, oldest first; `next` is the cursor for the following page."""
    agency = scope_of(actor)
    limit = max(1, min(limit, FEED_MAX))
    query = select(OutboxEventRow).where(
        OutboxEventRow.channel == Channel.IOC.value, col(OutboxEventRow.seq) > after
    )
    if agency is not ALL_AGENCIES:
        query = query.where(col(OutboxEventRow.agency_code).in_(sorted(agency)))
    rows = uow.session.exec(query.order_by(col(OutboxEventRow.seq)).limit(limit)).all()
    events = [{**row.payload, "seq": row.seq, "acked": ack_view(row)} for row in rows]
    return {"events": events, "next": rows[-1].seq if rows else after}


def _visible_event(uow: UnitOfWork, actor: Actor, event_id: str, *, lock: bool = False) -> OutboxEventRow:
    agency = scope_of(actor)
    query = select(OutboxEventRow).where(
        OutboxEventRow.id == event_id, OutboxEventRow.channel == Channel.IOC.value
    )
    if lock:
        query = query.with_for_update().execution_options(populate_existing=True)
    row = uow.session.exec(query).first()
    if row is None or (agency is not ALL_AGENCIES and row.agency_code not in agency):
        # Same answer for missing and not-yours, so ids of other agencies cannot be probed.
        raise NotFound(
            f"Không tìm thấy sự kiện «{event_id}».",
            f"Event '{event_id}' was not found.",
            code="EventNotFound",
        )
    return row


def acknowledge(
    uow: UnitOfWork, actor: Actor, event_id: str, note: str | None, at: datetime
) -> dict[str, Any]:
    """Record that the operations center took note of an event (who, when, note); once only."""
    limits.require_lengths({"note": (note, limits.NOTE)})
    row = _visible_event(uow, actor, event_id, lock=True)
    if row.acked_at is not None:
        raise Conflict(
            f"Sự kiện đã được xác nhận lúc {iso(row.acked_at)} bởi {row.acked_by_name or row.acked_by}.",
            "The event was already acknowledged.",
            code="AlreadyAcknowledged",
        )
    row.acked_at = at
    row.acked_by = actor.subject
    row.acked_by_name = actor.display
    row.ack_note = note.strip() if note and note.strip() else None
    uow.session.add(row)
    uow.flush()
    return {"id": row.id, "seq": row.seq, "acked": ack_view(row)}


COUNTED_STATES = (OpenState.NEAR_DUE, OpenState.OVERDUE, OpenState.PAUSED)


def summary(uow: UnitOfWork, actor: Actor, at: datetime) -> dict[str, Any]:
    """Open, near-due and overdue dossiers by agency and procedure, from the tally (engine/tally.py)."""
    counted = _count(uow, scope_of(actor))
    agency_names, procedure_names = _names(uow, {a for a, _ in counted}, {p for _, p in counted})
    agencies: dict[str, dict[str, Any]] = {}
    totals = _zero()
    for (agency_code, procedure_code), counts in sorted(counted.items()):
        entry = agencies.setdefault(
            agency_code,
            {
                "code": agency_code,
                "name": agency_names.get(agency_code, agency_code),
                **_zero(),
                "procedures": [],
            },
        )
        name = procedure_names.get(procedure_code, procedure_code)
        entry["procedures"].append({"code": procedure_code, "name": name, **counts})
        for key, value in counts.items():
            entry[key] += value
            totals[key] += value
    return {"generated_at": iso(at), "totals": totals, "agencies": list(agencies.values())}


def _zero() -> dict[str, int]:
    return {"open": 0, **{state.value: 0 for state in COUNTED_STATES}}


def _count(uow: UnitOfWork, agencies: frozenset[str] | None) -> dict[tuple[str, str], dict[str, int]]:
    counted: dict[tuple[str, str], dict[str, int]] = {}
    for (agency_code, procedure_code, state), count in tally.cells(uow, agencies).items():
        counts = counted.setdefault((agency_code, procedure_code), _zero())
        counts["open"] += count
        if state in counts:
            counts[state] += count
    return counted


def _names(
    uow: UnitOfWork, agencies: set[str], procedures: set[str]
) -> tuple[dict[str, str], dict[str, str]]:
    agency_names = {
        a.code: a.name for a in uow.session.exec(select(AgencyRow).where(col(AgencyRow.code).in_(agencies)))
    }
    procedure_names = {
        p.code: p.name
        for p in uow.session.exec(
            select(ProcedureVersionRow).where(
                col(ProcedureVersionRow.code).in_(procedures), col(ProcedureVersionRow.is_current).is_(True)
            )
        )
    }
    return agency_names, procedure_names

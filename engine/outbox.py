"""Nothing leaves without an outbox (docs/architecture.md, 6): events are rows written in the change's
own transaction.

`emit` queues a CloudEvents 1.0 event about a dossier in the unit of work; the row is written when that unit
commits, in the same transaction (a unit that rolls back writes nothing). Writing at commit rather than at
once gives the event the dossier as the change leaves it: the status change is recorded before the deadline
starts or the next task is projected, and the event must still carry the new due time, step and holder.

The feed (`GET /api/v1/ioc/events?after=<seq>`) pages by `seq`, so an event must never become visible with a
`seq` lower than one a reader already passed. SQLite serialises writers; on PostgreSQL the rows are inserted
under a transaction-level advisory lock taken after every other write of the unit was flushed, so `seq` order
is commit order and the lock is held only for those inserts and the commit itself.

Delivery is `engine/delivery.py`; the feed, acknowledgements and the summary are `engine/usecases/ioc.py`.
"""

from __future__ import annotations

import uuid
from collections.abc import Iterable, Mapping
from dataclasses import dataclass
from datetime import datetime
from enum import StrEnum
from typing import Any

from sqlalchemy import delete, text
from sqlalchemy.orm import Session
from sqlmodel import col, select

from engine.calendar import WorkingCalendar
from engine.clock import to_local
from engine.dossier.status import CITIZEN_HOLDS, Status
from engine.store.db import UnitOfWork, at_commit
from engine.store.models import AgencyRow, DossierRow, OutboxEventRow, ProcedureVersionRow, row_id
from engine.usecases.calendars import calendar_for

SPEC_VERSION = "1.0"
TYPE_PREFIX = "vn.motcua.dossier."
CONTENT_TYPE = "application/json"


class EventType(StrEnum):
    """What happened to a dossier; its CloudEvents type is `vn.motcua.dossier.<value>`."""

    RECEIVED = "received"  # tiếp nhận
    NEAR_DUE = "near_due"  # sắp đến hạn
    OVERDUE = "overdue"  # quá hạn
    EXTENDED = "extended"  # xin lỗi và hẹn lại (Mẫu 04)
    STEP_OVERDUE = "step_overdue"  # một bước xử lý quá thời hạn của bước (agency and holder attributed)
    COMPLETED = "completed"  # đã xử lý xong (có kết quả)
    RETURNED = "returned"  # đã trả kết quả
    REFUSED = "refused"  # không được tiếp nhận
    WITHDRAWN = "withdrawn"  # công dân rút hồ sơ

    @property
    def cloud_type(self) -> str:
        """The CloudEvents `type` attribute."""
        return TYPE_PREFIX + self.value


class Channel(StrEnum):
    """Where an outbox row goes: the operations center, or a message to the citizen."""

    IOC = "ioc"
    EMAIL = "email"
    SMS = "sms"


class Delivery(StrEnum):
    """Delivery state of an outbox row."""

    PENDING = "pending"
    DELIVERED = "delivered"
    PARKED = "parked"  # every attempt failed; visible in `motcua outbox list`, re-delivered by `retry`


# Status reached → event. 8 (stopped: supplement never came) is not in the IOC's list of types.
STATUS_EVENTS: dict[Status, EventType] = {
    Status.RECEIVED: EventType.RECEIVED,
    Status.NOT_RECEIVED: EventType.REFUSED,
    Status.WITHDRAWN: EventType.WITHDRAWN,
    Status.DONE: EventType.COMPLETED,
    Status.RETURNED: EventType.RETURNED,
}


def event_for_status(dossier: DossierRow, current: Status, target: Status) -> EventType | None:
    """The event a status change causes, if any; called before the change's clock effects are applied."""
    if target is Status.PROCESSING and current in CITIZEN_HOLDS and dossier.received_at is None:
        return EventType.RECEIVED  # supplemented at reception (1 → 5 → 4): complete now, so received now
    return STATUS_EVENTS.get(target)


def status_changed(
    uow: UnitOfWork, dossier: DossierRow, current: Status, target: Status, at: datetime
) -> None:
    """Emit the event of a status change (the hook of `record_status`)."""
    type_ = event_for_status(dossier, current, target)
    if type_ is not None:
        emit(uow, type_, dossier, None, at)


@dataclass
class _Pending:
    """An event waiting for the commit of its unit of work."""

    event_id: str
    type_: EventType
    dossier: DossierRow
    extra: dict[str, Any]
    at: datetime
    agency_name: str
    procedure_name: str
    calendar: WorkingCalendar


_QUEUE = "motcua.outbox.pending"
FEED_LOCK = 0x6D6F7463756101  # pg_advisory_xact_lock key: "motcua" + 1, the feed's insert order


def emit(
    uow: UnitOfWork, type_: EventType | str, dossier: DossierRow, data: Mapping[str, Any] | None, at: datetime
) -> str:
    """Queue a CloudEvent about a dossier in this unit of work; return its id. The row is written at commit.

    `data` is merged over the standard data (procedure, agency, status, step, holder, due times, overdue
    working hours), so a caller such as the deadline scan can add or override fields.
    """
    session = uow.session
    queue = at_commit(session, _QUEUE, _write_pending)
    agency = agency_of(session, dossier.agency_code)
    pending = _Pending(
        event_id=str(uuid.uuid4()),
        type_=EventType(type_),
        dossier=dossier,
        extra=dict(data or {}),
        at=at,
        agency_name=agency.name if agency else dossier.agency_code,
        procedure_name=procedure_name_of(session, dossier),
        calendar=calendar_for(uow, dossier.agency_code),
    )
    queue.append(pending)
    return pending.event_id


_NAMES = "motcua.outbox.names"


def agency_of(session: Session, code: str) -> AgencyRow | None:
    """The agency, looked up once per session (a scan emitting 200 events must not query it 200 times)."""
    cache: dict[str, AgencyRow | None] = session.info.setdefault(_NAMES + ".agency", {})
    if code not in cache:
        cache[code] = session.get(AgencyRow, code)
    return cache[code]


def procedure_name_of(session: Session, dossier: DossierRow) -> str:
    """The name of the dossier's procedure version, read once per session (not its whole definition)."""
    cache: dict[int, str] = session.info.setdefault(_NAMES + ".procedure", {})
    version_id = dossier.procedure_version_id
    if version_id not in cache:
        query = select(ProcedureVersionRow.name).where(ProcedureVersionRow.id == version_id)
        name = session.execute(query).scalar()
        cache[version_id] = name or dossier.procedure_code
    return cache[version_id]


def _write_pending(session: Session, queue: list[_Pending]) -> None:
    session.flush()  # every other write first: nothing waits for a row lock while the feed lock is held
    if session.connection().dialect.name == "postgresql":
        session.execute(text("SELECT pg_advisory_xact_lock(:key)"), {"key": FEED_LOCK})
    for pending in queue:
        dossier = pending.dossier
        session.add(
            OutboxEventRow(
                id=pending.event_id,
                type=pending.type_.cloud_type,
                subject=dossier.code,
                dossier_id=row_id(dossier),
                agency_code=dossier.agency_code,
                channel=Channel.IOC.value,
                payload=cloud_event(pending),
                created_at=pending.at,
                next_attempt_at=pending.at,
            )
        )
    # The commit's own flush inserts them.


def iso(moment: datetime | None) -> str | None:
    """Local ISO 8601 with offset (RFC 3339), as the API writes every time."""
    return to_local(moment).isoformat() if moment else None


def cloud_event(pending: _Pending) -> dict[str, Any]:
    """The CloudEvents 1.0 JSON document (structured mode) of a pending event."""
    d = pending.dossier
    status = Status(d.status)
    data: dict[str, Any] = {
        "dossier": d.code,
        "procedure": {"code": d.procedure_code, "name": pending.procedure_name},
        "agency": {"code": d.agency_code, "name": pending.agency_name},
        "channel": d.channel,
        "status": {"code": int(status), "label": status.label, "label_en": status.label_en},
        "current_step": d.current_step,
        "holder": d.current_holder,
        "deadline_state": d.deadline_state,
        "received_at": iso(d.received_at),
        "due_at": iso(d.due_at),
        "original_due_at": iso(d.original_due_at),
        "overdue_working_hours": overdue_hours(pending.calendar, d, pending.at),
    }
    data.update(pending.extra)
    return {
        "specversion": SPEC_VERSION,
        "id": pending.event_id,
        "source": f"urn:motcua:{d.agency_code}",
        "type": pending.type_.cloud_type,
        "subject": d.code,
        "time": iso(pending.at),
        "datacontenttype": CONTENT_TYPE,
        "data": data,
    }


def overdue_hours(calendar: WorkingCalendar, dossier: DossierRow, at: datetime) -> float:
    """Working hours past the original due time (docs/domain.md §4.4: an apology does not make it on time).

    Counted up to the finish for a finished dossier and up to the pause while the clock stands.
    """
    due = dossier.original_due_at or dossier.due_at
    if due is None:
        return 0.0
    end = dossier.finished_at or dossier.paused_at or at
    if end <= due:
        return 0.0
    return round(calendar.working_time_between(due, end).total_seconds() / 3600, 2)


def enqueue(
    session: Session,
    *,
    channel: Channel,
    type_: str,
    subject: str,
    payload: dict[str, Any],
    at: datetime,
    dossier: DossierRow | None = None,
) -> OutboxEventRow:
    """Add a ready-made outbox row now: a notification's message data (never in the IOC feed).

    The payload gets the row's id as `id`: the adapters derive the message's idempotency key from it, so a
    message sent again after a crash is recognisably the same message.
    """
    if channel is Channel.IOC:
        raise ValueError("IOC events go through emit(), which keeps the feed's order")
    event_id = str(uuid.uuid4())
    row = OutboxEventRow(
        id=event_id,
        type=type_,
        subject=subject,
        dossier_id=dossier.id if dossier else None,
        agency_code=dossier.agency_code if dossier else None,
        channel=channel.value,
        payload={**payload, "id": event_id},
        created_at=at,
        next_attempt_at=at,
    )
    session.add(row)
    return row


def list_events(
    uow: UnitOfWork, *, status: Delivery | None = None, channel: Channel | None = None, limit: int = 50
) -> list[OutboxEventRow]:
    """The newest outbox rows, optionally of one delivery state and channel (for `motcua outbox list`)."""
    query = select(OutboxEventRow)
    if status is not None:
        query = query.where(OutboxEventRow.status == status.value)
    if channel is not None:
        query = query.where(OutboxEventRow.channel == channel.value)
    return list(uow.session.exec(query.order_by(col(OutboxEventRow.seq).desc()).limit(limit)).all())


def retry(uow: UnitOfWork, ids: Iterable[str], *, all_parked: bool, now: datetime) -> list[str]:
    """Make rows pending again with a fresh attempt budget, due now; return the ids that changed.

    Delivered rows are left alone (the id is the same, so a receiver would only see a duplicate).
    """
    query = select(OutboxEventRow).with_for_update()
    wanted = list(ids)
    if all_parked:
        query = query.where(OutboxEventRow.status == Delivery.PARKED.value)
    elif wanted:
        query = query.where(col(OutboxEventRow.id).in_(wanted))
    else:
        return []
    changed = []
    for row in uow.session.exec(query.order_by(col(OutboxEventRow.seq))).all():
        if row.status == Delivery.DELIVERED.value:
            continue
        row.status = Delivery.PENDING.value
        row.attempts = 0
        row.next_attempt_at = now
        uow.session.add(row)
        changed.append(row.id)
    return changed


def prune(uow: UnitOfWork, *, delivered_before: datetime, batch: int = 1000) -> int:
    """Delete up to `batch` rows delivered before a moment (the retention); return how many.

    Read through the delivery index (status, channel, next_attempt_at): a delivered row's `next_attempt_at`
    is the lease of its successful attempt, so "delivered before" is a range of that index. Pending and
    parked rows are never pruned.
    """
    doomed: list[int] = []
    for channel in Channel:
        doomed += [
            seq
            for seq in uow.session.exec(
                select(OutboxEventRow.seq)
                .where(
                    OutboxEventRow.status == Delivery.DELIVERED.value,
                    OutboxEventRow.channel == channel.value,
                    col(OutboxEventRow.next_attempt_at) < delivered_before,
                )
                .limit(batch - len(doomed))
            ).all()
            if seq is not None
        ]
        if len(doomed) >= batch:
            break
    if doomed:
        uow.session.execute(delete(OutboxEventRow).where(col(OutboxEventRow.seq).in_(doomed)))
    return len(doomed)

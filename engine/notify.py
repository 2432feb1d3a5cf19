"""Citizen notifications (thông báo cho công dân) through the outbox: e-mail and SMS, when it matters.

The engine decides *that* the applicant is told and records the message's data in an outbox row of the
`email` or `sms` channel, in the same transaction as the change that caused it (so a rolled-back change
tells nobody, and a committed one is told at least once). The wording is the adapters' business
(integrations/notify renders the Vietnamese templates at delivery). Like IOC events, the row is built at
commit, so it carries the dossier as the change leaves it (the due time of a receipt, the new appointment
of an apology).

When: reception (with the appointment), a supplement request (with what is missing), a refusal (with the
reason), an apology with a new appointment (Mẫu 04), an appointment moved by a calendar change (the
working calendar or office hours) or by a move to a new version of the procedure, the result ready, the
result returned, a withdrawal confirmed, and processing stopped. Where: the applicant's e-mail address and
mobile number, each if given.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime
from enum import StrEnum
from typing import Any

from sqlalchemy.orm import Session

from engine.dossier.status import Status
from engine.outbox import Channel, EventType, agency_of, enqueue, event_for_status, iso, procedure_name_of
from engine.store.db import UnitOfWork, at_commit
from engine.store.models import DossierRow

TYPE_PREFIX = "vn.motcua.notice."


class Notice(StrEnum):
    """What the citizen is told; the outbox row's type is `vn.motcua.notice.<value>`."""

    RECEIVED = "received"  # đã tiếp nhận, hẹn trả kết quả
    SUPPLEMENT_REQUESTED = "supplement_requested"  # yêu cầu bổ sung, hoàn thiện hồ sơ
    REFUSED = "refused"  # từ chối tiếp nhận
    EXTENDED = "extended"  # xin lỗi và hẹn lại ngày trả kết quả
    RESULT_READY = "result_ready"  # đã có kết quả
    RETURNED = "returned"  # đã trả kết quả
    WITHDRAWN = "withdrawn"  # đã rút hồ sơ
    STOPPED = "stopped"  # dừng xử lý (quá hạn bổ sung)
    DUE_MOVED = "due_moved"  # lịch làm việc thay đổi nên hẹn trả kết quả dời (engine/usecases/recompute.py)
    VERSION_MOVED = (
        "version_moved"  # hồ sơ chuyển sang quy trình mới, hẹn trả đổi (usecases/version_migration.py)
    )


STATUS_NOTICES: dict[Status, Notice] = {
    Status.RECEIVED: Notice.RECEIVED,
    Status.SUPPLEMENT: Notice.SUPPLEMENT_REQUESTED,
    Status.NOT_RECEIVED: Notice.REFUSED,
    Status.DONE: Notice.RESULT_READY,
    Status.RETURNED: Notice.RETURNED,
    Status.WITHDRAWN: Notice.WITHDRAWN,
    Status.STOPPED: Notice.STOPPED,
}


WITH_REASON = frozenset({Notice.SUPPLEMENT_REQUESTED, Notice.REFUSED, Notice.STOPPED})


def notice_for_status(dossier: DossierRow, current: Status, target: Status) -> Notice | None:
    """The notice a status change causes, if any (called before the change's clock effects)."""
    if event_for_status(dossier, current, target) is EventType.RECEIVED:
        return Notice.RECEIVED  # also when supplemented at reception: complete now, so received now
    return STATUS_NOTICES.get(target)


def status_changed(
    uow: UnitOfWork, dossier: DossierRow, current: Status, target: Status, at: datetime, *, note: str | None
) -> None:
    """Tell the applicant about a status change (the hook of `record_status`)."""
    notice = notice_for_status(dossier, current, target)
    if notice is None:
        return
    # Only the reasons the citizen must act on or has a right to know; internal opinions stay inside.
    reason = note if notice in WITH_REASON and note else None
    tell(uow, dossier, notice, at, {"reason": reason} if reason else None)


@dataclass
class _Pending:
    dossier: DossierRow
    notice: Notice
    at: datetime
    details: dict[str, Any]


_QUEUE = "motcua.notify.pending"


def tell(
    uow: UnitOfWork, dossier: DossierRow, notice: Notice, at: datetime, details: dict[str, Any] | None = None
) -> None:
    """Queue a notice to the applicant in this unit of work; its rows are written at commit."""
    at_commit(uow.session, _QUEUE, _write_pending).append(_Pending(dossier, notice, at, dict(details or {})))


def contacts(dossier: DossierRow) -> list[tuple[Channel, str]]:
    """Where the applicant can be reached: e-mail and mobile number, each when given."""
    found: list[tuple[Channel, str]] = []
    email = dossier.applicant.get("email")
    if isinstance(email, str) and email:
        found.append((Channel.EMAIL, email))
    phone = dossier.applicant.get("phone")
    if isinstance(phone, str) and phone:
        found.append((Channel.SMS, phone.replace(" ", "")))
    return found


def message_data(session: Session, pending: _Pending, to: str) -> dict[str, Any]:
    """What an adapter needs to word the message: no rendering here, and nothing the citizen did not give."""
    d = pending.dossier
    agency = agency_of(session, d.agency_code)
    status = Status(d.status)
    return {
        "notice": pending.notice.value,
        "to": to,
        "locale": "vi",
        "dossier": d.code,
        "access_key": d.access_key,  # the link to /tra-cuu carries it: the message goes to the applicant only
        "applicant_name": d.applicant_name,
        "procedure": {"code": d.procedure_code, "name": procedure_name_of(session, d)},
        "agency": {
            "code": d.agency_code,
            "name": agency.name if agency else d.agency_code,
            "address": agency.address if agency else None,
            "phone": agency.phone if agency else None,
        },
        "status": {"code": int(status), "label": status.label, "label_en": status.label_en},
        "received_at": iso(d.received_at),
        "due_at": iso(d.due_at),
        "original_due_at": iso(d.original_due_at),
        "outcome": d.outcome,
        "at": iso(pending.at),
        **pending.details,
    }


def _write_pending(session: Session, queue: list[_Pending]) -> None:
    for pending in queue:
        for channel, to in contacts(pending.dossier):
            enqueue(
                session,
                channel=channel,
                type_=TYPE_PREFIX + pending.notice.value,
                subject=pending.dossier.code,
                payload=message_data(session, pending, to),
                at=pending.at,
                dossier=pending.dossier,
            )

"""The answer to a supplement request (Mẫu 02): exactly the items asked, each answered or uploaded."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime
from typing import Any

from engine import limits
from engine.actor import Actor
from engine.document.kinds import DocumentKind
from engine.dossier.status import Status
from engine.errors import Conflict, FieldError, InvalidInput
from engine.services import Services
from engine.store.db import UnitOfWork
from engine.store.models import DossierRow, row_id
from engine.usecases.access import load_for, require_owner_or_officer
from engine.usecases.documents import latest_of
from engine.usecases.dossiers import supplement

ANSWER_LIMIT = 1000  # forms/tasks/supplement.schema.json: papers[].note
NOTE_LIMIT = limits.NOTE


@dataclass(frozen=True)
class SupplementItem:
    """One numbered line of Mẫu 02: the paper and why it is asked for."""

    paper: str
    reason: str


@dataclass(frozen=True)
class SupplementRequest:
    """The open request of a dossier waiting for its applicant (status 5)."""

    dossier: DossierRow
    items: list[SupplementItem]
    note: str | None
    asked_at: datetime | None
    document_id: int | None


@dataclass(frozen=True)
class SupplementAnswer:
    """The applicant's answer to one item: a text, files they uploaded, or both."""

    text: str = ""
    uploads: tuple[str, ...] = ()


def supplement_request(uow: UnitOfWork, actor: Actor, code: str) -> SupplementRequest:
    """What the open supplement request asks (owner or an officer of the agency; else NotFound/Forbidden)."""
    dossier = load_for(uow, actor, code)
    require_owner_or_officer(actor, dossier)
    if Status(dossier.status) is not Status.SUPPLEMENT:
        raise Conflict(
            "Hồ sơ không ở trạng thái chờ bổ sung.",
            "The dossier is not waiting for a supplement.",
            code="NotAtStep",
        )
    document = latest_of(uow, DocumentKind.SUPPLEMENT_REQUEST, dossier_id=row_id(dossier))
    data: dict[str, Any] = document.data if document else {}
    items = [
        SupplementItem(str(item.get("paper", "")), str(item.get("reason", "")))
        for item in data.get("items") or []
        if isinstance(item, dict)
    ]
    note = data.get("note")
    return SupplementRequest(
        dossier,
        items,
        note if isinstance(note, str) and note else None,
        document.issued_at if document else None,
        document.id if document else None,
    )


def answer_supplement(
    services: Services,
    uow: UnitOfWork,
    actor: Actor,
    code: str,
    answers: list[SupplementAnswer],
    *,
    note: str = "",
) -> DossierRow:
    """Hand in one answer per item of the request, in its order; the clock resumes (engine `supplement`)."""
    request = supplement_request(uow, actor, code)
    errors: dict[str, FieldError] = {}
    if len(answers) != len(request.items):
        raise InvalidInput(
            "Cần trả lời đúng các mục trong phiếu yêu cầu bổ sung.",
            "Answer exactly the items of the supplement request.",
        )
    for i, (item, answer) in enumerate(zip(request.items, answers, strict=True)):
        text = answer.text.strip()
        if not text and not answer.uploads:
            errors[f"items[{i}]"] = FieldError(
                f"Vui lòng trả lời hoặc tải tệp lên cho mục {i + 1} «{item.paper}».",
                f"Answer item {i + 1} ('{item.paper}') or upload a file for it.",
            )
        elif len(text) > ANSWER_LIMIT:
            errors[f"items[{i}]"] = FieldError(
                f"Nội dung tối đa {ANSWER_LIMIT} ký tự.", f"At most {ANSWER_LIMIT} characters."
            )
    if len(note) > NOTE_LIMIT:
        errors["note"] = FieldError(
            f"Ghi chú tối đa {NOTE_LIMIT} ký tự.", f"At most {NOTE_LIMIT} characters."
        )
    if errors:
        raise InvalidInput(
            "Bổ sung chưa đầy đủ, vui lòng kiểm tra các mục được đánh dấu.",
            "The supplement is incomplete; see the marked items.",
            errors,
        )
    papers = []
    for item, answer in zip(request.items, answers, strict=True):
        paper: dict[str, Any] = {"paper": item.paper[:255]}
        if answer.text.strip():
            paper["note"] = answer.text.strip()
        if answer.uploads:
            paper["uploads"] = list(answer.uploads)
        papers.append(paper)
    payload: dict[str, Any] = {"papers": papers}
    if note.strip():
        payload["note"] = note.strip()
    try:
        return supplement(services, uow, actor, code, payload)
    except InvalidInput as exc:
        # `papers[i].uploads` from the engine names the item the citizen sees as `items[i]`.
        raise InvalidInput(
            exc.message,
            exc.message_en,
            {_item_field(k): v for k, v in exc.fields.items()},
            code=exc.code,
        ) from exc


def _item_field(key: str) -> str:
    """`papers[2].uploads` → `items[2]`; other keys unchanged."""
    if key.startswith("papers["):
        return "items[" + key.removeprefix("papers[").split("]", 1)[0] + "]"
    return key

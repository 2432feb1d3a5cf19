"""Dossiers: file, receive, supplement, extend, withdraw, detail, public tracking."""

from __future__ import annotations

from typing import Annotated, Any, Literal

from fastapi import APIRouter, Query, Request
from pydantic import BaseModel, ConfigDict, Field

from engine import limits
from engine.store.models import DossierRow
from engine.usecases import dossiers as uc
from engine.usecases import residents
from engine.usecases.queries import dossier_detail, iso, status_view, visible_dossiers
from portal.api.deps import ContainerDep
from portal.api.idempotency import IdempotencyKey, Recorder, idempotent
from portal.api.models import READ, WRITE, DossierOut, DossierSummary, TrackOut, errors
from portal.api.params import AGENCY_PATTERN, PROCEDURE_PATTERN, BeforeId, DossierCode, Limit, StatusCode
from portal.auth import CurrentActor, current_actor
from portal.sessions import session_actor
from portal.tracking import public_status

router = APIRouter(tags=["dossiers"])


class Strict(BaseModel):
    """Unknown fields are an error, not silently dropped."""

    model_config = ConfigDict(extra="forbid")


class ApplicantIn(Strict):
    """The person who files; the engine checks each field's format (docs/domain.md §8)."""

    full_name: str | None = Field(default=None, max_length=limits.NAME, description="Họ và tên")
    identity_number: str | None = Field(default=None, max_length=32, description="Số định danh cá nhân")
    phone: str | None = Field(default=None, max_length=limits.PHONE)
    email: str | None = Field(default=None, max_length=limits.EMAIL)
    address: str | None = Field(default=None, max_length=limits.ADDRESS)
    date_of_birth: str | None = Field(default=None, max_length=10, description="YYYY-MM-DD")
    sex: str | None = Field(default=None, max_length=10)


class PaperIn(BaseModel):
    """A paper of the procedure's list handed in (uploads are ids from POST /uploads)."""

    model_config = ConfigDict(extra="allow")

    key: str = Field(max_length=limits.KEY, description="Mã giấy tờ trong thành phần hồ sơ")
    copies: int | None = Field(default=None, ge=0, le=100)
    count: int | None = Field(default=None, ge=0, le=100)
    ref: str | None = Field(default=None, max_length=limits.REFERENCE)
    note: str | None = Field(default=None, max_length=limits.NOTE)
    uploads: list[str] | None = Field(default=None, max_length=10)


class FileIn(Strict):
    procedure: str = Field(
        max_length=limits.CODE, pattern=PROCEDURE_PATTERN, description="Mã thủ tục, ví dụ 1.004222"
    )
    agency: str = Field(
        max_length=limits.CODE, pattern=AGENCY_PATTERN, description="Mã định danh cơ quan tiếp nhận"
    )
    channel: Literal["online", "counter", "postal"] = "online"
    applicant: ApplicantIn = Field(default_factory=ApplicantIn)
    form: dict[str, Any] = Field(default_factory=dict)
    papers: list[PaperIn] = Field(default_factory=list, max_length=50)


class ReceiveIn(Strict):
    decision: Literal["accept", "supplement", "refuse"]
    note: str | None = Field(default=None, max_length=limits.NOTE)
    refusal_reason: str | None = Field(default=None, max_length=limits.REASON)
    missing_papers: list[dict[str, Any]] | None = Field(
        default=None, max_length=50, description="Mỗi mục: paper, reason (biểu mẫu tasks/reception)"
    )


class SupplementIn(Strict):
    note: str | None = Field(default=None, max_length=limits.NOTE)
    papers: list[dict[str, Any]] = Field(
        default_factory=list, max_length=50, description="Mỗi mục: paper, uploads (biểu mẫu tasks/supplement)"
    )


class ExtensionIn(Strict):
    reason: str = Field(min_length=1, max_length=limits.REASON, description="Lý do chậm trễ (Mẫu 04)")
    new_due_at: str = Field(max_length=40, description="ISO 8601; giờ địa phương nếu không ghi múi giờ")


class WithdrawIn(Strict):
    reason: str = Field(min_length=1, max_length=limits.REASON, description="Lý do rút hồ sơ")


def _summary(d: DossierRow) -> dict[str, Any]:
    return {
        "code": d.code,
        "procedure": d.procedure_code,
        "agency": d.agency_code,
        "channel": d.channel,
        "status": status_view(d.status),
        "applicant_name": d.applicant_name,
        "current_step": d.current_step,
        "filed_at": iso(d.filed_at),
        "received_at": iso(d.received_at),
        "due_at": iso(d.due_at),
        "version": d.version,
    }


def _drop_none(model: BaseModel) -> dict[str, Any]:
    return model.model_dump(exclude_none=True)


@router.post("/dossiers", status_code=201, response_model=DossierOut, responses=WRITE)
def file_dossier(body: FileIn, actor: CurrentActor, c: ContainerDep, key: IdempotencyKey = None) -> Any:
    """Nộp hồ sơ. Online → status 1; counter/postal → received at once (2 then 4).

    The person who files is looked up in the population database first: an unknown number, or one naming
    someone else, is refused (422); a registry that does not answer leaves the dossier filed, unverified,
    with a verification task for the one-stop officer. With `Idempotency-Key`, a retry files nothing more and
    gets the first answer.
    """
    cmd = uc.FileDossier(
        procedure=body.procedure,
        agency=body.agency,
        channel=body.channel,
        applicant=body.applicant.model_dump(exclude_none=True),
        form=body.form,
        papers=[paper.model_dump(exclude_none=True) for paper in body.papers],
    )
    return idempotent(
        c,
        actor,
        key,
        "POST /dossiers",
        body,
        201,
        lambda record: residents.file_verified(
            c.services,
            c.transaction,
            actor,
            cmd,
            lambda uow, d: record(uow, dossier_detail(c.services, uow, actor, d.code)),
        ),
    )


@router.get("/dossiers", response_model=list[DossierSummary], responses=errors(401, 403, 422))
def list_dossiers(
    actor: CurrentActor,
    c: ContainerDep,
    status: StatusCode = None,
    limit: Limit = 50,
    before_id: BeforeId = None,
) -> list[dict[str, Any]]:
    """My dossiers (citizen) or my agency's (staff), newest first, keyset-paginated by `before_id`."""
    with c.transaction() as uow:
        rows = visible_dossiers(uow, actor, status=status, limit=limit, before_id=before_id)
        return [{**_summary(d), "id": d.id} for d in rows]


@router.get("/dossiers/{code}", response_model=DossierOut, responses=READ)
def get_dossier(code: DossierCode, actor: CurrentActor, c: ContainerDep) -> dict[str, Any]:
    """Detail: status, current step and holder, deadline explained, timeline, hand-over log."""
    with c.transaction() as uow:
        return dossier_detail(c.services, uow, actor, code)


@router.post("/dossiers/{code}/receive", response_model=DossierOut, responses=WRITE)
def receive(
    code: DossierCode, body: ReceiveIn, actor: CurrentActor, c: ContainerDep, key: IdempotencyKey = None
) -> dict[str, Any]:
    """One-stop officer: accept (receipt, deadline starts), supplement (once, completely) or refuse."""

    def work(record: Recorder) -> Any:
        with c.transaction() as uow:
            uc.receive(c.services, uow, actor, code, _drop_none(body))
            return record(uow, dossier_detail(c.services, uow, actor, code))

    return idempotent(c, actor, key, f"POST /dossiers/{code}/receive", body, 200, work)


@router.post("/dossiers/{code}/supplement", response_model=DossierOut, responses=WRITE)
def supplement(
    code: DossierCode, body: SupplementIn, actor: CurrentActor, c: ContainerDep, key: IdempotencyKey = None
) -> dict[str, Any]:
    """Citizen supplies what was asked; the clock resumes (or restarts, per procedure)."""

    def work(record: Recorder) -> Any:
        with c.transaction() as uow:
            uc.supplement(c.services, uow, actor, code, _drop_none(body))
            return record(uow, dossier_detail(c.services, uow, actor, code))

    return idempotent(c, actor, key, f"POST /dossiers/{code}/supplement", body, 200, work)


@router.post("/dossiers/{code}/extension", response_model=DossierOut, responses=WRITE)
def extension(
    code: DossierCode, body: ExtensionIn, actor: CurrentActor, c: ContainerDep, key: IdempotencyKey = None
) -> dict[str, Any]:
    """Leader: apology with a new appointment (Mẫu 04), once, ≥ 1 working day before the due time."""

    def work(record: Recorder) -> Any:
        with c.transaction() as uow:
            uc.extend(c.services, uow, actor, code, body.model_dump())
            return record(uow, dossier_detail(c.services, uow, actor, code))

    return idempotent(c, actor, key, f"POST /dossiers/{code}/extension", body, 200, work)


@router.post("/dossiers/{code}/withdraw", response_model=DossierOut, responses=WRITE)
def withdraw(
    code: DossierCode, body: WithdrawIn, actor: CurrentActor, c: ContainerDep, key: IdempotencyKey = None
) -> dict[str, Any]:
    """Citizen withdraws before a result exists."""

    def work(record: Recorder) -> Any:
        with c.transaction() as uow:
            uc.withdraw(c.services, uow, actor, code, body.model_dump())
            return record(uow, dossier_detail(c.services, uow, actor, code))

    return idempotent(c, actor, key, f"POST /dossiers/{code}/withdraw", body, 200, work)


@router.get("/track/{code}", response_model=TrackOut, responses=errors(401, 404, 422, 429))
def public_track(
    code: DossierCode,
    request: Request,
    c: ContainerDep,
    k: Annotated[
        str | None, Query(max_length=limits.ACCESS_KEY, description="Mã tra cứu in cạnh mã hồ sơ")
    ] = None,
) -> dict[str, Any]:
    """Public tracking for the receipt's QR code: status and dates, no personal data.

    Needs the access key `k` printed beside the code (a wrong or missing key is a 404 like an unknown code),
    unless the caller is signed in and may see the dossier. Anonymous calls are limited per client (429).
    """
    actor = current_actor(request) if request.headers.get("authorization") else session_actor(request)
    return public_status(c, request, code, k, actor)

"""Population database: pre-fill an e-form, verify a dossier's applicant, read the lookup audit."""

from __future__ import annotations

from typing import Any, Literal

from fastapi import APIRouter
from pydantic import BaseModel, ConfigDict, Field

from engine import limits
from engine.usecases import residents as uc
from engine.usecases.queries import dossier_detail
from portal.api.deps import ContainerDep
from portal.api.idempotency import IdempotencyKey, Recorder, idempotent
from portal.api.models import WRITE, DossierOut, LookupOut, PrefillOut, errors
from portal.api.params import PROCEDURE_PATTERN, BeforeId, DossierCode, Limit
from portal.auth import CurrentActor

router = APIRouter(tags=["residents"])


class PrefillIn(BaseModel):
    model_config = ConfigDict(extra="forbid")

    procedure: str = Field(
        max_length=limits.CODE, pattern=PROCEDURE_PATTERN, description="Mã thủ tục, ví dụ 1.004222"
    )
    form: dict[str, Any] | None = Field(default=None, description="Tờ khai đang nhập (giữ các trường khác)")


class VerifyIn(BaseModel):
    model_config = ConfigDict(extra="forbid")

    method: Literal["registry", "in_person"] = "registry"
    note: str | None = Field(
        default=None, max_length=limits.NOTE, description="Bắt buộc khi đối chiếu giấy tờ bản gốc"
    )


@router.post("/residents/prefill", response_model=PrefillOut, responses=errors(401, 403, 404, 413, 422, 503))
def prefill(body: PrefillIn, actor: CurrentActor, c: ContainerDep) -> dict[str, Any]:
    """Điền sẵn tờ khai: the citizen's own record from the population database, in the procedure's e-form.

    Returns the form with the registry's fields set, which fields were set, and the lookup's request id.
    503 when the registry does not answer (typing the data in and filing still works).
    """
    return uc.prefill_form(c.services, c.transaction, actor, body.procedure, body.form)


@router.post("/dossiers/{code}/verify", response_model=DossierOut, responses=WRITE)
def verify(
    code: DossierCode, body: VerifyIn, actor: CurrentActor, c: ContainerDep, key: IdempotencyKey = None
) -> dict[str, Any]:
    """One-stop officer: look the applicant up again, or record that the original ID card was checked."""

    def work(record: Recorder) -> Any:
        return uc.verify_dossier(
            c.services,
            c.transaction,
            actor,
            code,
            body.model_dump(exclude_none=True),
            view=lambda uow, d: record(uow, dossier_detail(c.services, uow, actor, d.code)),
        )

    return idempotent(c, actor, key, f"POST /dossiers/{code}/verify", body, 200, work)


@router.get("/residents/lookups", response_model=list[LookupOut], responses=errors(401, 403, 422))
def lookups(
    actor: CurrentActor, c: ContainerDep, limit: Limit = 50, before_id: BeforeId = None
) -> list[dict[str, Any]]:
    """The lookup audit: citizens see who looked them up; staff and supervisors their agency's lookups."""
    with c.transaction() as uow:
        return uc.lookups(uow, actor, limit=limit, before_id=before_id)

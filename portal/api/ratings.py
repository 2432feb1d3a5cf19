"""Satisfaction rating of a returned dossier (Circular 01/2018 Art. 12–15), once per dossier."""

from __future__ import annotations

from typing import Any, Literal

from fastapi import APIRouter
from pydantic import BaseModel, ConfigDict, Field

from engine.usecases import ratings as uc
from portal.api.deps import ContainerDep
from portal.api.models import WRITE, errors
from portal.api.params import DossierCode
from portal.auth import CurrentActor

router = APIRouter(tags=["ratings"])


class Score(BaseModel):
    """What MotCua computed for an indicator from the dossier's history."""

    score: int = Field(ge=0, le=2)
    reason: str = Field(description="Vì sao (tiếng Việt)")
    reason_en: str


class Indicators(BaseModel):
    """Scores of the indicators rated per dossier: 2 / 1 / 0, or null when not answered."""

    model_config = ConfigDict(extra="forbid")

    one: int | None = Field(
        None, alias="1", ge=0, le=2, description="Tổng thời gian giải quyết so với quy định"
    )
    two: int | None = Field(None, alias="2", ge=0, le=2, description="Thời gian của từng cơ quan tham gia")
    three: int | None = Field(
        None, alias="3", ge=0, le=2, description="Số lần phải liên hệ để hoàn thiện hồ sơ"
    )
    four: int | None = Field(None, alias="4", ge=0, le=2, description="Số cơ quan phải liên hệ")
    six: int | None = Field(None, alias="6", ge=0, le=2, description="Công khai thủ tục hành chính")
    seven: int | None = Field(None, alias="7", ge=0, le=2, description="Thái độ của cán bộ, công chức")


class RatingIn(BaseModel):
    """A citizen's rating: the overall answer is required, the indicators and the comment are not."""

    model_config = ConfigDict(extra="forbid")

    overall: Literal["very_satisfied", "satisfied", "dissatisfied"] = Field(
        description="Rất hài lòng / Hài lòng / Không hài lòng"
    )
    indicators: Indicators = Field(default_factory=Indicators)
    comment: str | None = Field(None, max_length=uc.COMMENT_MAX, description="Góp ý (tối đa 1000 ký tự)")


class RatingOut(BaseModel):
    dossier: str
    via: Literal["online", "counter"] = Field(description="online: người nộp; counter: tại Bộ phận Một cửa")
    overall: str
    overall_label: str
    indicators: dict[str, int | None] = Field(description="Chỉ số 1, 2, 3, 4, 6, 7 → 2 / 1 / 0 / null")
    prefill: dict[str, Score] = Field(description="Chỉ số 1–4 tính từ quá trình giải quyết hồ sơ")
    comment: str | None
    rated_at: str


class RatingState(BaseModel):
    dossier: str
    status: int
    rated: bool
    ratable: bool = Field(description="Người gọi có thể đánh giá ngay bây giờ")
    rating: RatingOut | None
    prefill: dict[str, Score]


@router.get(
    "/dossiers/{code}/rating",
    response_model=RatingState,
    responses=errors(401, 403, 404, 422),
)
def get_rating(code: DossierCode, actor: CurrentActor, c: ContainerDep) -> dict[str, Any]:
    """The rating if given; else whether the caller may rate the dossier, and the prefilled indicators."""
    with c.transaction() as uow:
        return uc.rating_form(uow, actor, code)


@router.post("/dossiers/{code}/rating", status_code=201, response_model=RatingOut, responses=WRITE)
def post_rating(code: DossierCode, body: RatingIn, actor: CurrentActor, c: ContainerDep) -> dict[str, Any]:
    """Rate a returned dossier once: its applicant (online) or an officer of its agency (counter)."""
    payload = {
        "overall": body.overall,
        "indicators": body.indicators.model_dump(by_alias=True),
        "comment": body.comment,
    }
    with c.transaction() as uow:
        return uc.rate(uow, actor, code, payload, via=None, at=c.services.clock.now())

"""Statistics: timeliness numbers (docs/domain.md §6), tables per agency/procedure/month, Decision 766."""

from __future__ import annotations

from typing import Annotated, Any, Literal

from fastapi import APIRouter, Query
from pydantic import BaseModel, Field

from engine.clock import to_local
from engine.usecases import statistics as uc
from portal.api.deps import ContainerDep
from portal.api.models import Open as OpenModel
from portal.api.models import errors
from portal.api.params import BeforeId
from portal.auth import CurrentActor

router = APIRouter(tags=["stats"])

DAY = r"^[0-9]{4}-[0-9]{2}-[0-9]{2}$"
From = Annotated[
    str | None, Query(alias="from", max_length=10, pattern=DAY, description="Từ ngày (YYYY-MM-DD, giờ VN)")
]
To = Annotated[
    str | None, Query(max_length=10, pattern=DAY, description="Đến ngày, tính cả ngày này (YYYY-MM-DD)")
]
Agency = Annotated[
    str | None, Query(max_length=1800, description="Mã cơ quan, nhiều mã cách nhau bằng dấu phẩy (tối đa 50)")
]
Procedure = Annotated[str | None, Query(max_length=35, description="Mã thủ tục")]
ChannelParam = Annotated[Literal["online", "counter", "postal"] | None, Query(description="Kênh tiếp nhận")]


class Received(BaseModel):
    online: int = Field(description="Tiếp nhận mới trực tuyến")
    counter: int = Field(description="Tiếp nhận mới trực tiếp")
    postal: int = Field(description="Tiếp nhận mới qua bưu chính")
    new: int = Field(description="Tiếp nhận mới trong kỳ")
    carried_over: int = Field(description="Kỳ trước chuyển sang (còn mở lúc đầu kỳ)")


class Finished(BaseModel):
    early: int = Field(description="Trước hạn")
    on_time: int = Field(description="Đúng hạn")
    late: int = Field(description="Trễ hạn")
    total: int


class Open(BaseModel):
    on_time: int = Field(description="Còn mở cuối kỳ, trong hạn (kể cả tạm dừng chờ công dân)")
    near_due: int = Field(description="Sắp đến hạn")
    overdue: int = Field(description="Quá hạn")
    paused: int = Field(description="Trong đó tạm dừng (đã tính trong on_time)")
    total: int


class Numbers(BaseModel):
    received: Received
    to_process: int = Field(description="Phải giải quyết = chuyển sang + tiếp nhận mới")
    finished: Finished
    open: Open
    withdrawn: int = Field(description="Rút hồ sơ (đã tiếp nhận); tính như đúng hạn trong tỷ lệ")
    refused: int = Field(description="Từ chối tiếp nhận (không tính vào số phải giải quyết)")
    stopped: int
    on_time_rate: float | None = Field(
        ge=0, le=1, description="(trước hạn + đúng hạn + rút) / (đã giải quyết + rút)"
    )
    late_rate: float | None = Field(
        ge=0, le=1, description="(trễ hạn đã giải quyết + quá hạn đang mở) / phải giải quyết"
    )
    average_processing_days: float | None = Field(
        description="Thời gian giải quyết trung bình (ngày làm việc)"
    )
    online_share: float | None = Field(ge=0, le=1)
    full_online_share: float | None = Field(ge=0, le=1)
    digitised_papers: int
    digitised_results: int
    digitised_results_share: float | None
    paid_online: int = Field(description="0 cho đến khi có thanh toán trực tuyến")
    reused_papers: int = Field(description="0 cho đến khi có tái sử dụng dữ liệu số hóa")


class Period(BaseModel):
    from_: str = Field(alias="from")
    to: str


class Timeliness(Numbers):
    period: Period
    agencies: list[str] | None
    procedure: str | None
    channel: str | None


class Row(Numbers):
    key: str
    name: str


class StepRow(BaseModel):
    agency_code: str
    agency_name: str
    holder: str
    steps: int
    early: int
    on_time: int
    late: int
    late_hours: float


class Report766(OpenModel):
    period: str
    from_: str = Field(alias="from")
    to: str
    agencies: list[str] | None
    counters: dict[str, Any]
    scores: Any


class DrillRow(OpenModel):
    id: int
    code: str
    procedure_code: str
    agency_code: str
    channel: str
    status: int


class DrillOut(OpenModel):
    measure: str
    items: list[DrillRow]
    next: int | None


READ = errors(401, 403, 422)


def _query(c: ContainerDep, start: str | None, end: str | None, agency: str | None, procedure: str | None,
           channel: str | None) -> uc.StatsQuery:  # fmt: skip
    today = to_local(c.services.clock.now()).date()
    return uc.query_of(start, end, agency, procedure, channel, today=today)


@router.get("/stats/timeliness", response_model=Timeliness, response_model_by_alias=True, responses=READ)
def timeliness(
    actor: CurrentActor,
    c: ContainerDep,
    start: From = None,
    to: To = None,
    agency: Agency = None,
    procedure: Procedure = None,
    channel: ChannelParam = None,
) -> dict[str, Any]:
    """Received (by channel, carried over), finished early / on time / late, open on time / near due /
    overdue at the end of the period, withdrawn, refused, both rates; dates are local and inclusive."""
    query = _query(c, start, to, agency, procedure, channel)
    with c.transaction() as uow:
        return uc.timeliness(uow, actor, query)


@router.get("/stats/table", response_model=list[Row], responses=READ)
def table(
    actor: CurrentActor,
    c: ContainerDep,
    by: Annotated[Literal["agency", "procedure", "channel", "month"], Query()] = "agency",
    start: From = None,
    to: To = None,
    agency: Agency = None,
    procedure: Procedure = None,
    channel: ChannelParam = None,
) -> list[dict[str, Any]]:
    """The same numbers per agency, procedure, channel or month."""
    query = _query(c, start, to, agency, procedure, channel)
    with c.transaction() as uow:
        return uc.table(uow, actor, query, by)


@router.get("/stats/steps", response_model=list[StepRow], responses=READ)
def steps(
    actor: CurrentActor,
    c: ContainerDep,
    start: From = None,
    to: To = None,
    agency: Agency = None,
) -> list[dict[str, Any]]:
    """Steps of the hand-over log finished in the period per agency and holder, the latest first."""
    query = _query(c, start, to, agency, None, None)
    with c.transaction() as uow:
        return uc.steps(uow, actor, query)


@router.get("/stats/766", response_model=Report766, response_model_by_alias=True, responses=READ)
def decision_766(
    actor: CurrentActor,
    c: ContainerDep,
    period: Annotated[
        str | None, Query(max_length=7, pattern=r"^[0-9]{4}(-[0-9]{2})?$", description="YYYY-MM hoặc YYYY")
    ] = None,
    agency: Agency = None,
) -> dict[str, Any]:
    """Decision 766 counters and group scores, from the versioned scoring configuration."""
    today = to_local(c.services.clock.now()).date()
    with c.transaction() as uow:
        return uc.decision_766(uow, actor, period, today, agency=agency, config=c.services.stats_766)


@router.get("/stats/dossiers", response_model=DrillOut, responses=READ)
def dossiers(
    actor: CurrentActor,
    c: ContainerDep,
    measure: Annotated[
        str,
        Query(
            max_length=20,
            pattern="^(" + "|".join(uc.DRILL) + ")$",
            description="Chỉ số: " + ", ".join(uc.DRILL),
        ),
    ] = "received",
    start: From = None,
    to: To = None,
    agency: Agency = None,
    procedure: Procedure = None,
    channel: ChannelParam = None,
    before: BeforeId = None,
    limit: Annotated[int, Query(ge=1, le=200, description="Số dòng một trang (1–200)")] = uc.PAGE,
) -> dict[str, Any]:
    """The dossiers behind a number, newest first; `next` is the `before` of the following page."""
    query = _query(c, start, to, agency, procedure, channel)
    with c.transaction() as uow:
        return uc.dossiers(uow, actor, query, measure, c.services.clock.now(), before_id=before, limit=limit)

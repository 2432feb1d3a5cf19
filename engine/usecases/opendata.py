"""Open data (/du-lieu-mo): the datasets a province publishes (docs/domain.md §10), without personal data.

Four datasets, each a table with typed fields: monthly statistics per agency and procedure and the on-time
rates per agency (both from the statistics counters, the same numbers as /api/v1/stats), the procedure
catalogue, and the satisfaction aggregates per agency (from the ratings). No name, identity number, dossier
code or officer appears: officers are aggregated into their agency, and a satisfaction cell of fewer than
`MIN_RATINGS` ratings is published without its shares and scores (a single rating of a small commune in a
month would otherwise be one person's answer).

The web layer turns a `Table` into CSV or JSON; `release` keeps since when a file has its current content
(its Last-Modified), so that an unchanged file keeps its date and its ETag.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import date, datetime, timedelta
from typing import Any, Literal

from sqlalchemy.dialects.postgresql import insert as pg_insert
from sqlalchemy.dialects.sqlite import insert as sqlite_insert
from sqlmodel import col, select

from engine.actor import Actor, Role
from engine.catalog import current_versions, definition_of
from engine.errors import FieldError, InvalidInput, NotFound
from engine.stats import counters
from engine.store.db import UnitOfWork
from engine.store.models import AgencyRow, OpenDataReleaseRow
from engine.usecases import ratings, statistics

# The open data reads every agency; only aggregates leave this module.
PUBLISHER = Actor(
    subject="open-data", username="open-data", roles=frozenset({Role.IOC}), full_name="Dữ liệu mở"
)
MIN_RATINGS = 5
MONTHS = 12  # without ?thang=, the last twelve months up to the current one
LICENCE = {
    "name": "Creative Commons Attribution 4.0 (CC BY 4.0)",
    "url": "https://creativecommons.org/licenses/by/4.0/",
}
FieldType = Literal["string", "integer", "number", "boolean", "date"]


@dataclass(frozen=True)
class Column:
    """A field of a dataset: machine name, Vietnamese and English titles, type, description."""

    name: str
    title: str
    title_en: str
    type: FieldType
    description: str = ""

    def as_dict(self) -> dict[str, str]:
        """For the metadata."""
        out = {"name": self.name, "title": self.title, "title_en": self.title_en, "type": self.type}
        if self.description:
            out["description"] = self.description
        return out


@dataclass(frozen=True)
class Dataset:
    """What is published under /du-lieu-mo/{slug}: titles, description and the fields of its rows."""

    slug: str
    title: str
    title_en: str
    description: str
    columns: tuple[Column, ...]
    monthly: bool = True
    notes: tuple[str, ...] = ()


@dataclass
class Table:
    """One dataset's rows for a period (None: not periodic)."""

    dataset: Dataset
    period: tuple[date, date] | None
    rows: list[dict[str, Any]] = field(default_factory=list)


def _c(name: str, title: str, title_en: str, kind: FieldType = "integer", description: str = "") -> Column:
    return Column(name, title, title_en, kind, description)


MONTH = _c("month", "Tháng", "Month", "string", "YYYY-MM, giờ Việt Nam")
AGENCY = (
    _c("agency_code", "Mã cơ quan", "Agency code", "string", "Mã định danh điện tử (QĐ 20/2020/QĐ-TTg)"),
    _c("agency_name", "Tên cơ quan", "Agency name", "string"),
)
PROCEDURE = (
    _c("procedure_code", "Mã thủ tục", "Procedure code", "string"),
    _c("procedure_name", "Tên thủ tục", "Procedure name", "string"),
)
RATE: FieldType = "number"

MONTHLY = Dataset(
    "thong-ke-thang",
    "Thống kê giải quyết hồ sơ theo tháng, cơ quan và thủ tục",
    "Monthly dossier statistics per agency and procedure",
    "Số hồ sơ tiếp nhận, phải giải quyết, đã giải quyết trước hạn / đúng hạn / trễ hạn, đang giải quyết và "
    "rút, từ chối trong mỗi tháng, theo cơ quan tiếp nhận và thủ tục (cách tính: Điều 6 tài liệu nghiệp vụ).",
    (
        MONTH,
        *AGENCY,
        *PROCEDURE,
        _c("carried_over", "Kỳ trước chuyển sang", "Carried over"),
        _c("received", "Tiếp nhận mới", "Received"),
        _c("received_online", "Tiếp nhận trực tuyến", "Received online"),
        _c("to_process", "Phải giải quyết", "To process"),
        _c("finished_early", "Giải quyết trước hạn", "Finished early"),
        _c("finished_on_time", "Giải quyết đúng hạn", "Finished on time"),
        _c("finished_late", "Giải quyết trễ hạn", "Finished late"),
        _c("open_on_time", "Đang giải quyết trong hạn", "Open, on time"),
        _c("open_overdue", "Đang giải quyết quá hạn", "Open, overdue"),
        _c("withdrawn", "Rút hồ sơ", "Withdrawn"),
        _c("refused", "Từ chối tiếp nhận", "Refused at reception"),
    ),
)
ON_TIME = Dataset(
    "ty-le-dung-han",
    "Tỷ lệ giải quyết hồ sơ đúng hạn theo tháng và cơ quan",
    "On-time rates per month and agency",
    "Tỷ lệ đúng hạn = (trước hạn + đúng hạn + rút) / (đã giải quyết + rút); tỷ lệ trễ hạn = (trễ hạn đã giải "
    "quyết + quá hạn đang mở) / phải giải quyết; tỷ lệ trực tuyến = tiếp nhận trực tuyến / tiếp nhận mới. "
    "Tỷ lệ là số thập phân từ 0 đến 1, để trống khi không có hồ sơ.",
    (
        MONTH,
        *AGENCY,
        _c("to_process", "Phải giải quyết", "To process"),
        _c("finished", "Đã giải quyết", "Finished"),
        _c("finished_early", "Trước hạn", "Early"),
        _c("finished_on_time", "Đúng hạn", "On time"),
        _c("finished_late", "Trễ hạn", "Late"),
        _c("withdrawn", "Rút hồ sơ", "Withdrawn"),
        _c("on_time_rate", "Tỷ lệ đúng hạn", "On-time rate", RATE),
        _c("late_rate", "Tỷ lệ trễ hạn", "Late rate", RATE),
        _c("online_share", "Tỷ lệ trực tuyến", "Online share", RATE),
        _c(
            "average_processing_days", "Thời gian giải quyết trung bình (ngày làm việc)", "Average days", RATE
        ),
    ),
)
CATALOGUE = Dataset(
    "thu-tuc",
    "Danh mục thủ tục hành chính",
    "Procedure catalogue",
    "Các thủ tục hành chính đang áp dụng (phiên bản hiện hành): mã, tên, lĩnh vực, cấp thực hiện, thời hạn "
    "giải quyết, lệ phí và mức độ dịch vụ công trực tuyến.",
    (
        *PROCEDURE,
        _c("field", "Lĩnh vực", "Field", "string"),
        _c("level", "Cấp thực hiện", "Level", "string"),
        _c("deadline", "Thời hạn giải quyết", "Deadline", "string"),
        _c("deadline_amount", "Số ngày/giờ theo quy định", "Deadline amount", "number"),
        _c("deadline_unit", "Đơn vị thời hạn", "Deadline unit", "string"),
        _c("fee", "Lệ phí (đồng)", "Fee (VND)", "integer"),
        _c(
            "online_level",
            "Mức độ trực tuyến",
            "Online level",
            "string",
            "full: toàn trình; partial: một phần",
        ),
        _c("version", "Phiên bản", "Version", "integer"),
        _c("published", "Ngày công bố", "Published", "date"),
    ),
    monthly=False,
)
SATISFACTION = Dataset(
    "muc-do-hai-long",
    "Mức độ hài lòng của người dân theo tháng và cơ quan",
    "Citizen satisfaction per month and agency",
    "Phiếu đánh giá theo Thông tư 01/2018/TT-VPCP: số phiếu, tỷ lệ hài lòng (rất hài lòng + hài lòng) / số "
    "phiếu, và điểm trung bình từng chỉ số chấm theo hồ sơ (một chữ số thập phân). Không công bố theo "
    "cán bộ.",
    (
        MONTH,
        *AGENCY,
        _c("ratings", "Số phiếu", "Ratings"),
        _c("suppressed", "Ẩn do ít phiếu", "Suppressed (few ratings)", "boolean"),
        _c("very_satisfied", "Rất hài lòng", "Very satisfied"),
        _c("satisfied", "Hài lòng", "Satisfied"),
        _c("dissatisfied", "Không hài lòng", "Dissatisfied"),
        _c("satisfied_share", "Tỷ lệ hài lòng", "Satisfied share", RATE),
        *(
            _c(f"indicator_{i.number}", f"Chỉ số {i.number}: {i.label}", f"Indicator {i.number}", RATE)
            for i in ratings.INDICATORS
            if i.per == "dossier"
        ),
    ),
    notes=(
        f"Ô có dưới {MIN_RATINGS} phiếu chỉ công bố số phiếu; các số còn lại để trống (suppressed = true).",
    ),
)
DATASETS: dict[str, Dataset] = {d.slug: d for d in (MONTHLY, ON_TIME, CATALOGUE, SATISFACTION)}


def dataset(slug: str) -> Dataset:
    """A published dataset by its slug; NotFound for any other."""
    found = DATASETS.get(slug)
    if found is None:
        raise NotFound(
            f"Không có bộ dữ liệu «{slug[:40]}».", f"No dataset '{slug[:40]}'.", code="DatasetNotFound"
        )
    return found


# --- the period ---------------------------------------------------------------------------------------


def months_of(month: str | None, today: date) -> list[date]:
    """`?thang=YYYY-MM` as one month; none: the twelve months up to the current one (422 on bad text)."""
    if month is None or month == "":
        first = counters.month_of(today)
        out = [first]
        for _ in range(MONTHS - 1):
            out.insert(0, counters.month_of(out[0] - timedelta(days=1)))
        return out
    bad = InvalidInput(
        "Tham số tháng không hợp lệ.",
        "Invalid month parameter.",
        {
            "thang": FieldError(
                "Tháng phải có dạng YYYY-MM, từ 2000-01 đến 2100-12.", "The month must be YYYY-MM."
            )
        },
    )
    if len(month) != 7 or month[4] != "-" or not (month[:4].isdigit() and month[5:].isdigit()):
        raise bad
    year, number = int(month[:4]), int(month[5:])
    if not (2000 <= year <= 2100 and 1 <= number <= 12):
        raise bad
    return [date(year, number, 1)]


def _last_day(month: date) -> date:
    return counters.next_month(month) - timedelta(days=1)


# --- the tables ---------------------------------------------------------------------------------------


def _agency_names(uow: UnitOfWork) -> dict[str, str]:
    return dict(uow.session.exec(select(AgencyRow.code, AgencyRow.name).order_by(col(AgencyRow.code))).all())


def _procedure_names(uow: UnitOfWork) -> dict[str, str]:
    return {row.code: row.name for row in current_versions(uow)}


def _monthly(uow: UnitOfWork, months: list[date]) -> list[dict[str, Any]]:
    agencies, procedures = _agency_names(uow), _procedure_names(uow)
    rows = []
    for month in months:
        query = statistics.StatsQuery(month, _last_day(month))
        for (agency, procedure), n in statistics.cells(
            uow, PUBLISHER, query, ["agency_code", "procedure_code"]
        ).items():
            rows.append(
                {
                    "month": month.strftime("%Y-%m"),
                    "agency_code": agency,
                    "agency_name": agencies.get(str(agency), str(agency)),
                    "procedure_code": procedure,
                    "procedure_name": procedures.get(str(procedure), str(procedure)),
                    "carried_over": n["received"]["carried_over"],
                    "received": n["received"]["new"],
                    "received_online": n["received"]["online"],
                    "to_process": n["to_process"],
                    "finished_early": n["finished"]["early"],
                    "finished_on_time": n["finished"]["on_time"],
                    "finished_late": n["finished"]["late"],
                    "open_on_time": n["open"]["on_time"] + n["open"]["near_due"],
                    "open_overdue": n["open"]["overdue"],
                    "withdrawn": n["withdrawn"],
                    "refused": n["refused"],
                }
            )
    return rows


def _on_time(uow: UnitOfWork, months: list[date]) -> list[dict[str, Any]]:
    agencies = _agency_names(uow)
    rows = []
    for month in months:
        query = statistics.StatsQuery(month, _last_day(month))
        for (agency,), n in statistics.cells(uow, PUBLISHER, query, ["agency_code"]).items():
            rows.append(
                {
                    "month": month.strftime("%Y-%m"),
                    "agency_code": agency,
                    "agency_name": agencies.get(str(agency), str(agency)),
                    "to_process": n["to_process"],
                    "finished": n["finished"]["total"],
                    "finished_early": n["finished"]["early"],
                    "finished_on_time": n["finished"]["on_time"],
                    "finished_late": n["finished"]["late"],
                    "withdrawn": n["withdrawn"],
                    "on_time_rate": n["on_time_rate"],
                    "late_rate": n["late_rate"],
                    "online_share": n["online_share"],
                    "average_processing_days": n["average_processing_days"],
                }
            )
    return rows


def _catalogue(uow: UnitOfWork) -> list[dict[str, Any]]:
    rows = []
    for version in current_versions(uow):
        public = definition_of(version).public()
        fee = public["fee"].get("amount") if isinstance(public["fee"], dict) else None
        rows.append(
            {
                "procedure_code": version.code,
                "procedure_name": version.name,
                "field": public.get("field"),
                "level": public.get("level"),
                "deadline": public["deadline"]["label"],
                "deadline_amount": public["deadline"]["amount"],
                "deadline_unit": public["deadline"]["unit"],
                "fee": int(fee) if isinstance(fee, int | float) else None,
                "online_level": public.get("online_level"),
                "version": version.version,
                "published": version.published_at.date().isoformat(),
            }
        )
    return rows


def _satisfaction(uow: UnitOfWork, months: list[date]) -> list[dict[str, Any]]:
    rows = []
    for month in months:
        for unit in ratings.per_agency(uow, None, month, _last_day(month)):
            hidden = unit["ratings"] < MIN_RATINGS
            row: dict[str, Any] = {
                "month": month.strftime("%Y-%m"),
                "agency_code": unit["agency_code"],
                "agency_name": unit["agency_name"],
                "ratings": unit["ratings"],
                "suppressed": hidden,
            }
            for key in ("very_satisfied", "satisfied", "dissatisfied", "satisfied_share"):
                row[key] = None if hidden else unit[key]
            for number, average in unit["indicators"].items():
                row[f"indicator_{number}"] = None if hidden else average
            rows.append(row)
    return rows


def table(uow: UnitOfWork, slug: str, month: str | None, today: date) -> Table:
    """The rows of a dataset for `?thang=` (the catalogue has no period)."""
    found = dataset(slug)
    if not found.monthly:
        months_of(month, today)  # still validated: a bad parameter is a 422 everywhere
        return Table(found, None, _catalogue(uow))
    months = months_of(month, today)
    period = (months[0], _last_day(months[-1]))
    if found is MONTHLY:
        return Table(found, period, _monthly(uow, months))
    if found is ON_TIME:
        return Table(found, period, _on_time(uow, months))
    return Table(found, period, _satisfaction(uow, months))


def metadata(found: Dataset, base: str, period: tuple[date, date] | None = None) -> dict[str, Any]:
    """DCAT-style description of a dataset: titles, licence, period, distributions, typed fields."""
    out: dict[str, Any] = {
        "@type": "dcat:Dataset",
        "identifier": found.slug,
        "title": found.title,
        "title_en": found.title_en,
        "description": found.description,
        "language": ["vi"],
        "license": LICENCE,
        "accrualPeriodicity": "monthly" if found.monthly else "irregular",
        "temporal": {
            "granularity": "month" if found.monthly else None,
            "parameter": "thang=YYYY-MM" if found.monthly else None,
            "default": f"{MONTHS} tháng gần nhất, đến tháng hiện tại"
            if found.monthly
            else "phiên bản hiện hành",
        },
        "contains_personal_data": False,
        "notes": list(found.notes),
        "distribution": [
            {
                "format": "CSV",
                "mediaType": "text/csv",
                "encoding": "UTF-8 (BOM)",
                "downloadURL": f"{base}.csv",
            },
            {"format": "JSON", "mediaType": "application/json", "downloadURL": f"{base}.json"},
        ],
        "fields": [c.as_dict() for c in found.columns],
    }
    if period is not None:
        out["temporal"]["startDate"] = period[0].isoformat()
        out["temporal"]["endDate"] = period[1].isoformat()
    out["period"] = out["temporal"]  # the same, under the plain name
    return out


def catalog(prefix: str) -> dict[str, Any]:
    """The catalogue of every dataset (DCAT-style), with where each one's file and metadata are."""
    return {
        "@type": "dcat:Catalog",
        "title": "Dữ liệu mở về giải quyết thủ tục hành chính",
        "title_en": "Open data on administrative procedures",
        "description": "Số liệu tổng hợp, không chứa dữ liệu cá nhân.",
        "license": LICENCE,
        "dataset": [
            {
                **{k: v for k, v in metadata(d, f"{prefix}/{d.slug}").items() if k != "fields"},
                "metadata": f"{prefix}/{d.slug}/metadata.json",
            }
            for d in DATASETS.values()
        ],
    }


def release(uow: UnitOfWork, key: str, etag: str, now: datetime) -> datetime:
    """Since when the file `key` has the content `etag` (now when it just changed); safe under concurrency."""
    values = {"key": key[:200], "etag": etag, "modified_at": now}
    table_ = OpenDataReleaseRow.__table__  # type: ignore[attr-defined]
    dialect = uow.session.get_bind().dialect.name
    insert = pg_insert(table_) if dialect == "postgresql" else sqlite_insert(table_)
    statement = insert.values(**values).on_conflict_do_update(
        index_elements=["key"],
        set_={"etag": etag, "modified_at": now},
        where=table_.c.etag != etag,
    )
    uow.session.execute(statement)
    row = uow.session.get(OpenDataReleaseRow, key[:200], populate_existing=True)
    return row.modified_at if row is not None else now

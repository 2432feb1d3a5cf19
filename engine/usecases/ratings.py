"""Satisfaction ratings of returned dossiers (Circular 01/2018/TT-VPCP Art. 12–15; docs/domain.md §11).

A dossier whose result was returned (status 10) is rated once: online by its applicant ("Hồ sơ của tôi"), or
at the counter on a form an officer of the receiving agency hands over. The overall question is required;
the six indicators scored per dossier (1–4, 6, 7) are optional, 2 / 1 / 0. Indicators 1–4 are computed
from the dossier's own history and offered prefilled; the citizen may change them and both values are kept.

Aggregation (Art. 15) reads the ratings of the period and agencies asked through `ix_rating_agency_rated`,
never the dossiers: an indicator's score is the sum of the dossier scores over the dossiers that scored it,
one decimal. Ratings count for the receiving agency and for every officer who finished a step of the dossier.
"""

from __future__ import annotations

import unicodedata
from dataclasses import dataclass
from datetime import UTC, date, datetime, time, timedelta
from typing import Any, Literal

from sqlalchemy import case, func
from sqlalchemy.exc import IntegrityError
from sqlmodel import col, select

from engine.actor import Actor, Role
from engine.clock import LOCAL_TZ, to_local
from engine.dossier.status import Status
from engine.errors import Conflict, FieldError, Forbidden, InvalidInput
from engine.outbox import iso
from engine.store.db import UnitOfWork
from engine.store.models import (
    AgencyRow,
    DossierRow,
    HandoverRow,
    ProcedureVersionRow,
    RatingOfficerRow,
    RatingRow,
    RegisterEntryRow,
)
from engine.usecases.access import is_owner, load_for, require_staff
from engine.usecases.ioc import ALL_AGENCIES, scope_of
from engine.usecases.progress import ROLE_LABELS
from engine.usecases.statistics import StatsQuery, allowed_scope

Via = Literal["online", "counter"]
COMMENT_MAX = 1000
SYSTEM_NAMES = frozenset({"Hệ thống MotCua"})


@dataclass(frozen=True)
class Indicator:
    """One of the nine indicators of Art. 13, with what 2, 1 and 0 mean."""

    number: int
    label: str
    label_en: str
    per: Literal["dossier", "unit"]
    options: tuple[tuple[str, str], tuple[str, str], tuple[str, str]]  # (vi, en) for 2, 1, 0
    computed: bool = False  # MotCua computes it from the dossier's history (offered prefilled)


INDICATORS: tuple[Indicator, ...] = (
    Indicator(
        1,
        "Tổng thời gian giải quyết so với quy định",
        "Total processing time against the rule",
        "dossier",
        (("Sớm hơn quy định", "Shorter"), ("Đúng quy định", "Equal"), ("Muộn hơn quy định", "Longer")),
        computed=True,
    ),
    Indicator(
        2,
        "Thời gian giải quyết của từng cơ quan tham gia (kể cả cơ quan phối hợp)",
        "Time of each agency involved (including consulted ones)",
        "dossier",
        (("Sớm hơn quy định", "Shorter"), ("Đúng quy định", "Equal"), ("Muộn hơn quy định", "Longer")),
        computed=True,
    ),
    Indicator(
        3,
        "Số lần phải liên hệ với nơi tiếp nhận để hoàn thiện hồ sơ",
        "Times you had to contact the one-stop to complete the dossier",
        "dossier",
        (("Không lần nào", "None"), ("Một lần", "Once"), ("Nhiều hơn một lần", "More than once")),
        computed=True,
    ),
    Indicator(
        4,
        "Số cơ quan, đơn vị phải liên hệ",
        "Agencies you had to contact",
        "dossier",
        (
            ("Không phải liên hệ cơ quan nào", "None"),
            ("Chỉ Bộ phận Một cửa", "Only the one-stop"),
            ("Nhiều hơn một cơ quan", "More than one"),
        ),
        computed=True,
    ),
    Indicator(
        5,
        "Tổ chức tiếp nhận, giải quyết, trả kết quả tại Bộ phận Một cửa",
        "Reception, processing and return organised at the one-stop",
        "unit",
        (("Đạt mức cao", "High"), ("Đạt", "Met"), ("Chưa đạt", "Not met")),
    ),
    Indicator(
        6,
        "Công khai thủ tục hành chính",
        "Publication of the procedure",
        "dossier",
        (
            ("Niêm yết tại nơi tiếp nhận và đăng trên mạng", "Posted and online"),
            ("Chỉ một trong hai hình thức", "Only one of the two"),
            ("Không đầy đủ, không chính xác hoặc không kịp thời", "Incomplete, inaccurate or late"),
        ),
    ),
    Indicator(
        7,
        "Thái độ của cán bộ, công chức",
        "Officers' attitude",
        "dossier",
        (
            ("Trả kết quả sớm, không có phản ánh", "Early, no complaint"),
            ("Trả kết quả đúng hẹn, không có phản ánh", "On time, no complaint"),
            ("Có phản ánh, kiến nghị có căn cứ", "A justified complaint"),
        ),
    ),
    Indicator(
        8,
        "Tiếp nhận, xử lý phản ánh, kiến nghị",
        "Handling of feedback",
        "unit",
        (
            ("Không có hoặc 100 % đúng hạn", "None or 100 % on time"),
            ("Từ 90 % đúng hạn", "≥ 90 % on time"),
            ("Dưới 90 % hoặc kéo dài", "< 90 % or prolonged"),
        ),  # fmt: skip
    ),
    Indicator(
        9,
        "Tiến độ cung cấp dịch vụ công trực tuyến",
        "Online public service progress",
        "unit",
        (("Đạt mức cao", "High"), ("Đạt", "Met"), ("Chưa đạt", "Not met")),
    ),
)
PER_DOSSIER: tuple[int, ...] = tuple(i.number for i in INDICATORS if i.per == "dossier")  # 1, 2, 3, 4, 6, 7
COMPUTED: tuple[int, ...] = tuple(i.number for i in INDICATORS if i.computed)  # 1, 2, 3, 4
# Policy: an officer's total adds the averages of the indicators their handling decides (docs/domain.md §11).
OFFICER_INDICATORS: tuple[int, ...] = (1, 2, 3, 4, 7)
OVERALL: dict[str, tuple[str, str]] = {
    "very_satisfied": ("Rất hài lòng", "Very satisfied"),
    "satisfied": ("Hài lòng", "Satisfied"),
    "dissatisfied": ("Không hài lòng", "Dissatisfied"),
}


def _invalid(fields: dict[str, FieldError]) -> InvalidInput:
    return InvalidInput(
        "Phiếu đánh giá chưa hợp lệ, vui lòng kiểm tra các mục được đánh dấu.",
        "The rating is not valid; see the marked fields.",
        fields,
    )


# --- what MotCua knows from the dossier's history -----------------------------------------------------


@dataclass(frozen=True)
class Prefill:
    """A computed score with the reason shown to the citizen (Vietnamese, English)."""

    score: int
    reason: str
    reason_en: str

    def as_dict(self) -> dict[str, Any]:
        """For JSON and the stored `prefill`."""
        return {"score": self.score, "reason": self.reason, "reason_en": self.reason_en}


def _day(moment: datetime | None) -> str:
    return to_local(moment).strftime("%d/%m/%Y") if moment else "—"


def _time_score(dossier: DossierRow) -> Prefill:
    due = dossier.original_due_at or dossier.due_at
    finished, deadline = _day(dossier.finished_at), _day(due)
    if dossier.timeliness == "early":
        return Prefill(
            2,
            f"Có kết quả ngày {finished}, trước hạn {deadline}.",
            f"Result ready on {finished}, before the due date {deadline}.",
        )
    if dossier.timeliness == "late":
        return Prefill(
            0,
            f"Có kết quả ngày {finished}, sau hạn {deadline}.",
            f"Result ready on {finished}, after the due date {deadline}.",
        )
    return Prefill(
        1,
        f"Có kết quả ngày {finished}, đúng hạn {deadline}.",
        f"Result ready on {finished}, on the due date {deadline}.",
    )


def _steps_score(steps: list[HandoverRow]) -> Prefill | None:
    timed = [s for s in steps if s.due_at is not None and s.timeliness is not None]
    if not timed:
        return None
    agencies = len({s.agency_code for s in timed})
    late = sum(1 for s in timed if s.timeliness == "late")
    if late:
        return Prefill(
            0,
            f"{late} trong {len(timed)} bước xử lý ({agencies} cơ quan) quá thời hạn của bước.",
            f"{late} of {len(timed)} steps ({agencies} agencies) took longer than allowed.",
        )
    if all(s.timeliness == "early" for s in timed):
        return Prefill(
            2,
            f"Cả {len(timed)} bước xử lý ({agencies} cơ quan) xong trước hạn của bước.",
            f"All {len(timed)} steps ({agencies} agencies) finished early.",
        )
    return Prefill(
        1,
        f"Cả {len(timed)} bước xử lý ({agencies} cơ quan) xong trong hạn của bước.",
        f"All {len(timed)} steps ({agencies} agencies) finished in time.",
    )


def _contacts_score(dossier: DossierRow) -> Prefill:
    asked = dossier.supplements_at_reception + dossier.supplements_in_processing
    if asked == 0:
        return Prefill(
            2,
            "Cơ quan không yêu cầu bổ sung hồ sơ lần nào.",
            "The agency never asked for a supplement.",
        )
    if asked == 1:
        return Prefill(1, "Cơ quan yêu cầu bổ sung hồ sơ một lần.", "The agency asked for a supplement once.")
    return Prefill(
        0,
        f"Cơ quan yêu cầu bổ sung hồ sơ {asked} lần (chọn lại nếu do lỗi của người nộp).",
        f"The agency asked for a supplement {asked} times (change it if it was the applicant's fault).",
    )


def _agencies_score(dossier: DossierRow, return_method: str | None) -> Prefill:
    if dossier.channel == "online" and return_method == "online":
        return Prefill(
            2,
            "Hồ sơ nộp trực tuyến và nhận kết quả trực tuyến: không phải đến cơ quan nào.",
            "Filed online and the result returned online: no agency visited.",
        )
    return Prefill(
        1,
        "Hồ sơ được tiếp nhận và trả kết quả tại Bộ phận Một cửa; các cơ quan khác phối hợp qua hệ thống.",
        "Received and returned at the one-stop; other agencies took part through the system.",
    )


def prefill_of(uow: UnitOfWork, dossier: DossierRow) -> dict[int, Prefill]:
    """Indicators 1–4 as the dossier's history gives them (indicator 2 only when steps had due times)."""
    steps = list(uow.session.exec(select(HandoverRow).where(HandoverRow.dossier_id == dossier.id)).all())
    entry = uow.session.exec(
        select(RegisterEntryRow).where(RegisterEntryRow.dossier_id == dossier.id)
    ).first()
    out: dict[int, Prefill] = {1: _time_score(dossier)}
    steps_score = _steps_score(steps)
    if steps_score is not None:
        out[2] = steps_score
    out[3] = _contacts_score(dossier)
    out[4] = _agencies_score(dossier, entry.return_method if entry else None)
    return out


# --- rating one dossier -------------------------------------------------------------------------------


def _authorize(actor: Actor, dossier: DossierRow, via: Via) -> None:
    if via == "online":
        if not is_owner(actor, dossier):
            raise Forbidden(
                "Chỉ người nộp hồ sơ mới đánh giá trực tuyến được.",
                "Only the dossier's applicant may rate it online.",
                code="NotApplicant",
            )
        return
    require_staff(actor, dossier, Role.OFFICER)


def via_of(actor: Actor, dossier: DossierRow) -> Via:
    """How this actor rates: the applicant online, an officer of the receiving agency at the counter."""
    if is_owner(actor, dossier):
        return "online"
    require_staff(actor, dossier, Role.OFFICER)
    return "counter"


def _existing(uow: UnitOfWork, dossier: DossierRow) -> RatingRow | None:
    return uow.session.exec(select(RatingRow).where(RatingRow.dossier_id == dossier.id)).first()


def _already() -> Conflict:
    return Conflict(
        "Hồ sơ này đã được đánh giá. Mỗi hồ sơ chỉ được đánh giá một lần.",
        "This dossier has already been rated. A dossier is rated only once.",
        code="AlreadyRated",
    )


def _not_returned(dossier: DossierRow) -> Conflict:
    return Conflict(
        "Chỉ đánh giá được sau khi đã nhận kết quả (hồ sơ ở trạng thái «Đã trả kết quả»).",
        "A dossier can be rated only after its result was returned (status 10).",
        code="NotReturned",
    )


def _rating_view(row: RatingRow, code: str) -> dict[str, Any]:
    return {
        "dossier": code,
        "via": row.via,
        "overall": row.overall,
        "overall_label": OVERALL[row.overall][0],
        "indicators": {str(n): getattr(row, f"indicator_{n}") for n in PER_DOSSIER},
        "prefill": row.prefill,
        "comment": row.comment,
        "rated_at": iso(row.rated_at),
    }


def rating_form(uow: UnitOfWork, actor: Actor, code: str, via: Via | None = None) -> dict[str, Any]:
    """What a rating page or GET shows: the rating if given, else whether the actor may give it (`via`: only
    that way; None: the applicant online or an officer of the agency at the counter) and the prefill."""
    dossier = load_for(uow, actor, code)
    row = _existing(uow, dossier)
    returned = dossier.status == Status.RETURNED
    online = via in (None, "online") and is_owner(actor, dossier)
    counter = via in (None, "counter") and _is_officer_of(actor, dossier)
    may_rate = row is None and returned and (online or counter)
    return {
        "dossier": code,
        "status": dossier.status,
        "rated": row is not None,
        "ratable": may_rate,
        "rating": _rating_view(row, code) if row is not None else None,
        "prefill": {str(n): p.as_dict() for n, p in prefill_of(uow, dossier).items()} if returned else {},
    }


def _is_officer_of(actor: Actor, dossier: DossierRow) -> bool:
    return actor.has(Role.OFFICER) and actor.agency == dossier.agency_code


def _score(value: object, field: str, errors: dict[str, FieldError]) -> int | None:
    if value is None or value == "":
        return None
    if isinstance(value, bool) or not (
        isinstance(value, int) or (isinstance(value, str) and value.isdigit())
    ):
        errors[field] = FieldError("Điểm phải là 0, 1 hoặc 2.", "The score must be 0, 1 or 2.")
        return None
    number = int(value)
    if number not in (0, 1, 2):
        errors[field] = FieldError("Điểm phải là 0, 1 hoặc 2.", "The score must be 0, 1 or 2.")
        return None
    return number


def _comment(value: object, errors: dict[str, FieldError]) -> str | None:
    if value is None:
        return None
    if not isinstance(value, str):
        errors["comment"] = FieldError("Góp ý phải là văn bản.", "The comment must be text.")
        return None
    text = unicodedata.normalize("NFC", value).strip()
    if any(unicodedata.category(ch) == "Cc" and ch not in "\n\r\t" for ch in text):
        errors["comment"] = FieldError(
            "Góp ý không được chứa ký tự điều khiển (NUL…).", "The comment must not hold control characters."
        )
        return None
    if len(text) > COMMENT_MAX:
        errors["comment"] = FieldError(
            f"Góp ý tối đa {COMMENT_MAX} ký tự (hiện có {len(text)}).",
            f"The comment is at most {COMMENT_MAX} characters (it has {len(text)}).",
        )
        return None
    return text or None


@dataclass(frozen=True)
class RatingInput:
    """A checked rating: the overall answer, the indicator scores given, the comment."""

    overall: str
    scores: dict[int, int | None]
    comment: str | None


def check(payload: dict[str, Any]) -> RatingInput:
    """Check a rating from the API or a page form; every problem named on its field (422)."""
    errors: dict[str, FieldError] = {}
    overall = payload.get("overall")
    if overall not in OVERALL:
        errors["overall"] = FieldError(
            "Hãy chọn mức độ hài lòng chung: Rất hài lòng, Hài lòng hoặc Không hài lòng.",
            "Choose the overall rating: very satisfied, satisfied or dissatisfied.",
        )
    indicators = payload.get("indicators") or {}
    if not isinstance(indicators, dict):
        errors["indicators"] = FieldError("Các chỉ số không hợp lệ.", "The indicators are not valid.")
        indicators = {}
    unknown = [k for k in indicators if str(k) not in {str(n) for n in PER_DOSSIER}]
    if unknown:
        errors["indicators"] = FieldError(
            "Chỉ đánh giá được các chỉ số 1, 2, 3, 4, 6 và 7 (các chỉ số khác do cơ quan chấm).",
            "Only indicators 1, 2, 3, 4, 6 and 7 are rated per dossier (the others are scored for the unit).",
        )
    scores = {
        n: _score(indicators.get(str(n), indicators.get(n)), f"indicator_{n}", errors) for n in PER_DOSSIER
    }
    comment = _comment(payload.get("comment"), errors)
    if errors:
        raise _invalid(errors)
    return RatingInput(str(overall), scores, comment)


def rate(
    uow: UnitOfWork, actor: Actor, code: str, payload: dict[str, Any], *, via: Via | None, at: datetime
) -> dict[str, Any]:
    """Record the rating of a returned dossier, once (409 on a second one); `via` None: from the actor."""
    dossier = load_for(uow, actor, code, lock=True)
    way: Via = via_of(actor, dossier) if via is None else via
    _authorize(actor, dossier, way)
    if _existing(uow, dossier) is not None:
        raise _already()
    if dossier.status != Status.RETURNED:
        raise _not_returned(dossier)
    given = check(payload)
    prefill = prefill_of(uow, dossier)
    row = RatingRow(
        dossier_id=dossier.id or 0,
        agency_code=dossier.agency_code,
        procedure_code=dossier.procedure_code,
        via=way,
        overall=given.overall,
        prefill={str(n): p.as_dict() for n, p in prefill.items()},
        comment=given.comment,
        rated_at=at,
        rated_by=actor.subject,
        rated_by_name=actor.display,
        **{f"indicator_{n}": s for n, s in given.scores.items()},
    )
    uow.session.add(row)
    try:
        uow.session.flush()
    except IntegrityError:
        raise _already() from None  # another request rated it between our check and our insert
    # The steps staff held: not the citizen's own (a supplement), whose receiver is "Công dân (…)".
    citizen_step = col(HandoverRow.receiver).startswith(f"{ROLE_LABELS[Role.CITIZEN]} (")
    officers = uow.session.exec(
        select(HandoverRow.finished_by, HandoverRow.agency_code)
        .where(HandoverRow.dossier_id == dossier.id, col(HandoverRow.finished_by).is_not(None), ~citizen_step)
        .distinct()
    ).all()
    seen: set[str] = set()
    for name, agency in officers:
        if name and name not in SYSTEM_NAMES and name not in seen:
            seen.add(name)
            uow.session.add(RatingOfficerRow(rating_id=row.id or 0, officer=name[:255], agency_code=agency))
    return _rating_view(row, code)


# --- aggregation (Art. 15) ----------------------------------------------------------------------------


def _start(day: date) -> datetime:
    return datetime.combine(day, time(0), LOCAL_TZ).astimezone(UTC)


def _columns() -> list[Any]:
    r = RatingRow
    out: list[Any] = [
        func.count(col(r.id)),
        *(func.sum(case((col(r.overall) == key, 1), else_=0)) for key in OVERALL),
    ]
    for n in PER_DOSSIER:
        column = getattr(r, f"indicator_{n}")
        out += [func.sum(column), func.count(column)]
    return out


def _aggregate(values: tuple[Any, ...], *, officer: bool = False) -> dict[str, Any]:
    count = int(values[0] or 0)
    overall = {key: int(values[1 + i] or 0) for i, key in enumerate(OVERALL)}
    averages: dict[str, float | None] = {}
    counted: dict[str, int] = {}
    for i, n in enumerate(PER_DOSSIER):
        total, scored = values[4 + 2 * i], int(values[5 + 2 * i] or 0)
        averages[str(n)] = round(float(total) / scored, 1) if scored else None
        counted[str(n)] = scored
    wanted = OFFICER_INDICATORS if officer else PER_DOSSIER
    present = [averages[str(n)] for n in wanted if averages[str(n)] is not None]
    total_score = round(sum(v for v in present if v is not None), 1) if present else None
    satisfied = overall["very_satisfied"] + overall["satisfied"]
    out: dict[str, Any] = {
        "ratings": count,
        **overall,
        "satisfied_share": round(satisfied / count, 4) if count else None,
        "indicators": averages,
        "indicator_counts": counted,
        "total": total_score,
    }
    if officer:
        out["band"] = officer_band(total_score)
    return out


def officer_band(total: float | None) -> str | None:
    """Art. 15 for an officer: ≥ 5 → 100 % of tasks; 3.5–< 5 → 70–< 100 %; < 3.5 → < 70 %."""
    if total is None:
        return None
    if total >= 5:
        return "100%"
    return "70-100%" if total >= 3.5 else "<70%"


def _names(uow: UnitOfWork, codes: set[str]) -> dict[str, str]:
    if not codes:
        return {}
    rows = uow.session.exec(
        select(AgencyRow.code, AgencyRow.name).where(col(AgencyRow.code).in_(sorted(codes)))
    )
    return dict(rows.all())


def per_agency(
    uow: UnitOfWork, agencies: frozenset[str] | None, start: date, end: date
) -> list[dict[str, Any]]:
    """Aggregates per receiving agency of the ratings given in [start, end] (local dates, both included)."""
    r = RatingRow
    query = select(col(r.agency_code), *_columns()).where(
        col(r.rated_at) >= _start(start), col(r.rated_at) < _start(end + timedelta(days=1))
    )
    if agencies is not None:
        query = query.where(col(r.agency_code).in_(sorted(agencies)))
    rows = uow.session.exec(query.group_by(col(r.agency_code)).order_by(col(r.agency_code))).all()
    names = _names(uow, {row[0] for row in rows})
    return [{"agency_code": row[0], "agency_name": names.get(row[0], row[0]), **_aggregate(tuple(row[1:]))}
            for row in rows]  # fmt: skip


def per_officer(
    uow: UnitOfWork, agencies: frozenset[str] | None, start: date, end: date
) -> list[dict[str, Any]]:
    """Aggregates per officer (everyone who finished a step of a rated dossier) of the period's ratings."""
    r, o = RatingRow, RatingOfficerRow
    query = (
        select(col(o.agency_code), col(o.officer), *_columns())
        .join(o, col(o.rating_id) == col(r.id))
        .where(col(r.rated_at) >= _start(start), col(r.rated_at) < _start(end + timedelta(days=1)))
    )
    if agencies is not None:
        query = query.where(col(r.agency_code).in_(sorted(agencies)))
    rows = uow.session.exec(
        query.group_by(col(o.agency_code), col(o.officer)).order_by(col(o.agency_code), col(o.officer))
    ).all()
    names = _names(uow, {row[0] for row in rows})
    return [
        {
            "agency_code": row[0],
            "agency_name": names.get(row[0], row[0]),
            "officer": row[1],
            **_aggregate(tuple(row[2:]), officer=True),
        }
        for row in rows
    ]


def totals(uow: UnitOfWork, agencies: frozenset[str] | None, start: date, end: date) -> dict[str, Any]:
    """The aggregate of every rating of the period in the agencies (None: all)."""
    r = RatingRow
    query = select(*_columns()).where(
        col(r.rated_at) >= _start(start), col(r.rated_at) < _start(end + timedelta(days=1))
    )
    if agencies is not None:
        query = query.where(col(r.agency_code).in_(sorted(agencies)))
    row = uow.session.exec(query).one()
    return _aggregate(tuple(row))


def latest(
    uow: UnitOfWork, agencies: frozenset[str] | None, start: date, end: date, limit: int = 20
) -> list[dict[str, Any]]:
    """The newest ratings of the period with their comment, for the supervisors' page."""
    r = RatingRow
    query = (
        select(r, DossierRow.code, ProcedureVersionRow.name)
        .join(DossierRow, col(DossierRow.id) == col(r.dossier_id))
        .join(ProcedureVersionRow, col(ProcedureVersionRow.id) == col(DossierRow.procedure_version_id))
        .where(col(r.rated_at) >= _start(start), col(r.rated_at) < _start(end + timedelta(days=1)))
    )
    if agencies is not None:
        query = query.where(col(r.agency_code).in_(sorted(agencies)))
    rows = uow.session.exec(query.order_by(col(r.rated_at).desc(), col(r.id).desc()).limit(limit)).all()
    return [
        {**_rating_view(row, code), "agency_code": row.agency_code, "procedure_name": name}
        for row, code, name in rows
    ]


def summary(uow: UnitOfWork, actor: Actor, query: StatsQuery) -> dict[str, Any]:
    """The supervisors' view of satisfaction: overall, per agency, per officer, the latest comments.

    A supervisor reads the agencies they supervise (asking for another is 403); administrators every agency.
    """
    if not (actor.has(Role.SUPERVISOR) or actor.has(Role.ADMIN) or actor.has(Role.IOC)):
        scope_of(actor)  # raises the same Forbidden as the statistics
    agencies = allowed_scope(actor, query)
    scope = None if agencies is ALL_AGENCIES else agencies
    return {
        "period": {"from": query.start.isoformat(), "to": query.end.isoformat()},
        "agencies": sorted(scope) if scope is not None else None,
        "total": totals(uow, scope, query.start, query.end),
        "units": per_agency(uow, scope, query.start, query.end),
        "officers": per_officer(uow, scope, query.start, query.end),
        "latest": latest(uow, scope, query.start, query.end),
    }

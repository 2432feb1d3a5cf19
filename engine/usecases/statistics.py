"""Statistics for supervisors, the operations center and open data (docs/domain.md §6, §10).

Every number comes from the counters (engine/stats/counters.py); no request reads the dossiers of a period,
except the drill-down list, which reads one keyset page of them. Who may read: the IOC service account and
administrators see every agency; a supervisor only the agencies they supervise (asking for another one is
refused, as if the numbers did not exist). `timeliness` and `table` are the functions other areas (the open
data) call: they take a `StatsQuery` built by `query_of`, which checks every bound.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass, replace
from datetime import UTC, date, datetime, time, timedelta
from pathlib import Path
from typing import Any, Literal

from sqlalchemy import and_, or_
from sqlmodel import col, select

from engine.actor import Actor
from engine.clock import LOCAL_TZ, to_local
from engine.errors import FieldError, Forbidden, InvalidInput
from engine.outbox import Channel, iso
from engine.stats import counters
from engine.stats.counters import Dimension, Measures, Scope
from engine.stats.scoring import DEFAULT_CONFIG, load
from engine.store.db import UnitOfWork
from engine.store.models import AgencyRow, DossierRow, OutboxEventRow, ProcedureVersionRow
from engine.usecases.ioc import ALL_AGENCIES, scope_of

CHANNELS = ("online", "counter", "postal")
FIRST_DAY, LAST_DAY = date(2000, 1, 1), date(2100, 12, 31)
MAX_DAYS = 5 * 366  # the longest period one request adds up
MAX_AGENCIES = 50
CODE_LENGTH = 35
Breakdown = Literal["agency", "procedure", "channel", "month"]
BREAKDOWNS: dict[str, Dimension] = {
    "agency": "agency_code",
    "procedure": "procedure_code",
    "channel": "channel",
    "month": "month",
}


@dataclass(frozen=True)
class StatsQuery:
    """A period (local dates, both included) and the agencies, procedure and channel to add up."""

    start: date
    end: date
    agencies: frozenset[str] | None = None
    procedure: str | None = None
    channel: str | None = None

    def scope(self, allowed: frozenset[str] | None) -> Scope:
        """The cells to read: the asked agencies within those the actor may see."""
        agencies = self.agencies if self.agencies is not None else allowed
        return Scope(
            agencies=agencies,
            procedures=frozenset({self.procedure}) if self.procedure else None,
            channels=frozenset({self.channel}) if self.channel else None,
        )

    def params(self) -> dict[str, str]:
        """The query as URL parameters (for links to the same numbers)."""
        out = {"from": self.start.isoformat(), "to": self.end.isoformat()}
        if self.agencies:
            out["agency"] = ",".join(sorted(self.agencies))
        if self.procedure:
            out["procedure"] = self.procedure
        if self.channel:
            out["channel"] = self.channel
        return out


def _bad(field: str, vi: str, en: str) -> InvalidInput:
    return InvalidInput(
        "Tham số thống kê không hợp lệ.", "Invalid statistics parameters.", {field: FieldError(vi, en)}
    )


def _date(value: str | None, field: str, default: date) -> date:
    if value is None or value == "":
        return default
    if len(value) != 10:
        raise _bad(field, "Ngày phải có dạng YYYY-MM-DD.", "The date must be YYYY-MM-DD.")
    try:
        day = date.fromisoformat(value)
    except ValueError:
        raise _bad(field, "Ngày không hợp lệ (YYYY-MM-DD).", "Invalid date (YYYY-MM-DD).") from None
    if not FIRST_DAY <= day <= LAST_DAY:
        raise _bad(field, "Ngày phải trong khoảng 2000–2100.", "The date must be within 2000–2100.")
    return day


def _code(value: str, field: str) -> str:
    if not value or len(value) > CODE_LENGTH or not all(c.isalnum() or c in ".-_" for c in value):
        raise _bad(
            field,
            "Mã không hợp lệ (chữ, số, dấu chấm, gạch; tối đa 35 ký tự).",
            "Invalid code (letters, digits, dots, dashes; at most 35 characters).",
        )
    return value


def query_of(
    start: str | None,
    end: str | None,
    agency: str | None = None,
    procedure: str | None = None,
    channel: str | None = None,
    *,
    today: date,
) -> StatsQuery:
    """Check and build a query from text parameters: this month by default; 422 names the field."""
    first = _date(start, "from", today.replace(day=1))
    last = _date(end, "to", today if start is None else max(first, today))
    if first > last:
        raise _bad("to", "Ngày kết thúc phải từ ngày bắt đầu trở đi.", "`to` must not be before `from`.")
    if (last - first).days >= MAX_DAYS:
        raise _bad("to", "Khoảng thời gian tối đa 5 năm.", "The period is at most 5 years.")
    agencies = None
    if agency:
        if len(agency) > MAX_AGENCIES * (CODE_LENGTH + 1):
            raise _bad("agency", "Quá nhiều cơ quan.", "Too many agencies.")
        codes = [a.strip() for a in agency.split(",") if a.strip()]
        if len(codes) > MAX_AGENCIES:
            raise _bad("agency", "Tối đa 50 cơ quan.", "At most 50 agencies.")
        agencies = frozenset(_code(a, "agency") for a in codes) or None
    if channel is not None and channel != "" and channel not in CHANNELS:
        raise _bad(
            "channel",
            "Kênh phải là online, counter hoặc postal.",
            "The channel must be online, counter or postal.",
        )
    return StatsQuery(
        first, last, agencies, _code(procedure, "procedure") if procedure else None, channel or None
    )


def allowed_scope(actor: Actor, query: StatsQuery) -> frozenset[str] | None:
    """The agencies the actor reads for this query; asking for an agency outside theirs is refused."""
    allowed = scope_of(actor)
    if allowed is ALL_AGENCIES or query.agencies is None:
        return allowed if query.agencies is None else query.agencies
    outside = query.agencies - allowed
    if outside:
        raise Forbidden(
            "Bạn không giám sát cơ quan này.", "You do not supervise this agency.", code="AgencyNotSupervised"
        )
    return query.agencies


def _rate(part: float, whole: float) -> float | None:
    return round(part / whole, 4) if whole else None


_FULL_ONLINE: dict[tuple[int, ...], frozenset[str]] = {}


def _full_online_procedures(uow: UnitOfWork) -> frozenset[str]:
    """Codes of the current procedure versions declared `online_level: full` (read again when one changes)."""
    ids = uow.session.exec(
        select(ProcedureVersionRow.id).where(col(ProcedureVersionRow.is_current).is_(True))
    )
    current = tuple(sorted(i for i in ids.all() if i is not None))
    if current not in _FULL_ONLINE:
        rows = uow.session.exec(
            select(ProcedureVersionRow.code, ProcedureVersionRow.definition).where(
                col(ProcedureVersionRow.id).in_(current)
            )
        ).all()
        _FULL_ONLINE.clear()
        _FULL_ONLINE[current] = frozenset(
            code for code, definition in rows if (definition or {}).get("online_level") == "full"
        )
    return _FULL_ONLINE[current]


def _labels(
    uow: UnitOfWork, agencies: set[str], procedures: set[str]
) -> tuple[dict[str, str], dict[str, str]]:
    """Names of agencies and procedures (current versions), two narrow reads, none for an empty set."""
    agency_names: dict[str, str] = {}
    procedure_names: dict[str, str] = {}
    if agencies:
        query = select(AgencyRow.code, AgencyRow.name).where(col(AgencyRow.code).in_(sorted(agencies)))
        agency_names = dict(uow.session.exec(query).all())
    if procedures:
        query2 = select(ProcedureVersionRow.code, ProcedureVersionRow.name).where(
            col(ProcedureVersionRow.code).in_(sorted(procedures)),
            col(ProcedureVersionRow.is_current).is_(True),
        )
        procedure_names = dict(uow.session.exec(query2).all())
    return agency_names, procedure_names


def numbers(
    flows: Measures,
    before: Measures,
    online: float,
    full_online: float,
    by_channel: dict[str, float] | None = None,
) -> dict[str, Any]:
    """The published numbers of one cell of a table (or the whole period) from its counter sums.

    `before`: the open levels summed up to the day before the period (what was carried over).
    """
    carried = sum(before.get(m, 0.0) for m in counters.LEVELS)
    end = {m: before.get(m, 0.0) + flows.get(m, 0.0) for m in counters.LEVELS}
    received = flows.get("received", 0.0)
    early, on_time, late = flows.get("early", 0.0), flows.get("on_time", 0.0), flows.get("late", 0.0)
    withdrawn = flows.get("withdrawn", 0.0)
    finished = early + on_time + late
    to_process = carried + received
    channels = by_channel if by_channel is not None else {}
    return {
        "received": {
            "online": int(channels.get("online", online)),
            "counter": int(channels.get("counter", 0)),
            "postal": int(channels.get("postal", 0)),
            "new": int(received),
            "carried_over": int(carried),
        },
        "to_process": int(to_process),
        "finished": {"early": int(early), "on_time": int(on_time), "late": int(late), "total": int(finished)},
        "open": {
            "on_time": int(end["open_on_track"] + end["open_paused"]),
            "near_due": int(end["open_near_due"]),
            "overdue": int(end["open_overdue"]),
            "paused": int(end["open_paused"]),
            "total": int(sum(end.values())),
        },
        "withdrawn": int(withdrawn),
        "refused": int(flows.get("refused", 0.0)),
        "stopped": int(flows.get("stopped", 0.0)),
        "on_time_rate": _rate(early + on_time + withdrawn, finished + withdrawn),
        "late_rate": _rate(late + end["open_overdue"], to_process),
        "average_processing_days": round(flows.get("processing_days", 0.0) / finished, 2)
        if finished
        else None,
        "online_share": _rate(online, received),
        "full_online_share": _rate(full_online, received),
        "digitised_papers": int(flows.get("digitised_papers", 0.0)),
        "digitised_results": int(flows.get("digitised_results", 0.0)),
        "digitised_results_share": _rate(flows.get("digitised_results", 0.0), finished),
        "paid_online": int(flows.get("paid_online", 0.0)),
        "reused_papers": int(flows.get("reused_papers", 0.0)),
    }


def _grouped(
    uow: UnitOfWork, query: StatsQuery, scope: Scope, by: Sequence[Dimension]
) -> tuple[
    dict[tuple[object, ...], Measures],
    dict[tuple[object, ...], Measures],
    dict[tuple[object, ...], Measures],
    dict[tuple[object, ...], Measures],
]:
    """Flows of the period, levels before it, online and full-process online receipts, grouped by `by`.

    The flows are read per channel as well (one statement gives both the numbers and the receipts by channel:
    `online[key]` holds the receipts of each channel, online among them).
    """
    with_channel = "channel" in by
    split = counters.sums(uow, query.start, query.end, scope, by=by if with_channel else [*by, "channel"])
    flows: dict[tuple[object, ...], Measures] = {}
    online: dict[tuple[object, ...], Measures] = {}
    position = list(by).index("channel") if with_channel else len(by)
    for key, measures in split.items():
        channel = key[position]
        outer = key if with_channel else key[:-1]
        total = flows.setdefault(outer, dict.fromkeys(counters.MEASURES, 0.0))
        for m, v in measures.items():
            total[m] += v
        receipts = online.setdefault(outer, dict.fromkeys(CHANNELS, 0.0))
        if channel in CHANNELS:
            receipts[str(channel)] += measures["received"]
    levels_by = [d for d in by if d != "month"]
    before = counters.levels_before(uow, query.start, scope, by=levels_by)
    full = _full_online_procedures(uow)
    if scope.procedures is not None:
        full &= scope.procedures
    online_scope = replace(scope, channels=frozenset({"online"}) & (scope.channels or frozenset({"online"})))
    full_scope = replace(online_scope, procedures=full)
    full_online = (
        counters.sums(uow, query.start, query.end, full_scope, by=by, measures=("received",))
        if full and "online" in (scope.channels or {"online"})
        else {}
    )
    return flows, before, online, full_online


def timeliness(uow: UnitOfWork, actor: Actor, query: StatsQuery) -> dict[str, Any]:
    """The numbers of docs/domain.md §6 for the period, agencies, procedure and channel asked."""
    scope = query.scope(allowed_scope(actor, query))
    flows, before, online, full_online = _grouped(uow, query, scope, ["channel"])
    total: Measures = dict.fromkeys(counters.MEASURES, 0.0)
    by_channel: dict[str, float] = {}
    for (channel,), measures in flows.items():
        by_channel[str(channel)] = measures["received"]
        for m, v in measures.items():
            total[m] += v
    before_total: Measures = dict.fromkeys(counters.LEVELS, 0.0)
    for measures in before.values():
        for m in counters.LEVELS:
            before_total[m] += measures[m]
    out = numbers(
        total,
        before_total,
        sum(m["online"] for m in online.values()),
        sum(m["received"] for m in full_online.values()),
        by_channel,
    )
    return {
        "period": {"from": query.start.isoformat(), "to": query.end.isoformat()},
        "agencies": sorted(scope.agencies) if scope.agencies is not None else None,
        "procedure": query.procedure,
        "channel": query.channel,
        **out,
    }


def table(uow: UnitOfWork, actor: Actor, query: StatsQuery, by: Breakdown) -> list[dict[str, Any]]:
    """The same numbers per agency, procedure, channel or month of the period (months carry levels over)."""
    scope = query.scope(allowed_scope(actor, query))
    dimension = BREAKDOWNS[by]
    flows, before, online, full_online = _grouped(uow, query, scope, [dimension])
    zero: Measures = dict.fromkeys(counters.MEASURES, 0.0)
    rows: list[dict[str, Any]] = []
    if by == "month":
        level: Measures = dict.fromkeys(counters.LEVELS, 0.0)
        for measures in before.values():
            for m in counters.LEVELS:
                level[m] += measures[m]
        month = counters.month_of(query.start)
        while month <= query.end:
            key: tuple[object, ...] = (month,)
            measures = flows.get(key, zero)
            row = numbers(
                measures,
                level,
                online.get(key, {}).get("online", 0.0),
                full_online.get(key, {}).get("received", 0.0),
                _by_channel(online.get(key)),
            )
            rows.append({"key": month.strftime("%Y-%m"), "name": month.strftime("%m/%Y"), **row})
            level = {m: level[m] + measures.get(m, 0.0) for m in counters.LEVELS}
            month = counters.next_month(month)
        return rows
    keys = sorted({k[0] for k in flows} | {k[0] for k in before}, key=str)
    agency_names, procedure_names = _labels(
        uow,
        {str(k) for k in keys} if by == "agency" else set(),
        {str(k) for k in keys} if by == "procedure" else set(),
    )
    names = agency_names if by == "agency" else procedure_names if by == "procedure" else {}
    for k in keys:
        key = (k,)
        row = numbers(
            flows.get(key, zero),
            before.get(key, {}),
            online.get(key, {}).get("online", 0.0),
            full_online.get(key, {}).get("received", 0.0),
            _by_channel(online.get(key)),
        )
        if not row["to_process"] and not row["refused"]:
            continue
        rows.append({"key": str(k), "name": names.get(str(k), CHANNEL_NAMES.get(str(k), str(k))), **row})
    return rows


def _by_channel(receipts: Measures | None) -> dict[str, float]:
    """Receipts of one table row by channel (all zero when the row received nothing in the period)."""
    return {c: (receipts or {}).get(c, 0.0) for c in CHANNELS}


CHANNEL_NAMES = {"online": "Trực tuyến", "counter": "Trực tiếp", "postal": "Bưu chính"}


def cells(
    uow: UnitOfWork, actor: Actor, query: StatsQuery, by: Sequence[Dimension]
) -> dict[tuple[object, ...], dict[str, Any]]:
    """The same numbers per combination of dimensions (not `month`), e.g. per agency and procedure, for the
    open data; cells with nothing to process and nothing refused are left out."""
    scope = query.scope(allowed_scope(actor, query))
    flows, before, online, full_online = _grouped(uow, query, scope, list(by))
    zero: Measures = dict.fromkeys(counters.MEASURES, 0.0)
    out: dict[tuple[object, ...], dict[str, Any]] = {}
    for key in sorted(set(flows) | set(before), key=str):
        row = numbers(
            flows.get(key, zero),
            before.get(key, {}),
            online.get(key, {}).get("online", 0.0),
            full_online.get(key, {}).get("received", 0.0),
            _by_channel(online.get(key)),
        )
        if row["to_process"] or row["refused"]:
            out[key] = row
    return out


def steps(uow: UnitOfWork, actor: Actor, query: StatsQuery, limit: int = 50) -> list[dict[str, Any]]:
    """Per agency and holder: steps finished in the period, how many late and by how many hours."""
    allowed = allowed_scope(actor, query)
    rows = counters.steps(uow, query.start, query.end, allowed)[:limit]
    agency_names, _ = _labels(uow, {str(r["agency_code"]) for r in rows}, set())
    return [{**r, "agency_name": agency_names.get(str(r["agency_code"]), r["agency_code"])} for r in rows]


def decision_766(
    uow: UnitOfWork,
    actor: Actor,
    period: str | None,
    today: date,
    *,
    agency: str | None = None,
    config: Path = DEFAULT_CONFIG,
) -> dict[str, Any]:
    """Decision 766 counters and group scores for a month (`YYYY-MM`) or a year (`YYYY`)."""
    query = _period(period, today)
    if agency:
        query = replace(query, agencies=query_of(None, None, agency, today=today).agencies)
    numbers_ = timeliness(uow, actor, query)
    measures: dict[str, float | None] = {
        k: numbers_[k]
        for k in ("on_time_rate", "late_rate", "online_share", "full_online_share", "digitised_results_share")
    }
    scoring = load(config)
    return {
        "period": period or query.start.strftime("%Y-%m"),
        "from": query.start.isoformat(),
        "to": query.end.isoformat(),
        "agencies": numbers_["agencies"],
        "counters": {
            k: numbers_[k]
            for k in (
                "received",
                "to_process",
                "finished",
                "open",
                "withdrawn",
                "refused",
                "online_share",
                "full_online_share",
                "paid_online",
                "digitised_papers",
                "digitised_results",
                "reused_papers",
            )
        },
        "scores": scoring.score(measures),
    }


def _period(period: str | None, today: date) -> StatsQuery:
    if not period:
        return StatsQuery(today.replace(day=1), today)
    bad = _bad("period", "Kỳ phải có dạng YYYY-MM hoặc YYYY.", "The period must be YYYY-MM or YYYY.")
    if len(period) == 4 and period.isdigit():
        year = int(period)
        if not FIRST_DAY.year <= year <= LAST_DAY.year:
            raise bad
        return StatsQuery(date(year, 1, 1), date(year, 12, 31))
    if len(period) == 7 and period[4] == "-" and period[:4].isdigit() and period[5:].isdigit():
        year, month = int(period[:4]), int(period[5:])
        if not (FIRST_DAY.year <= year <= LAST_DAY.year and 1 <= month <= 12):
            raise bad
        first = date(year, month, 1)
        return StatsQuery(first, counters.next_month(first) - timedelta(days=1))
    raise bad


# The drill-down: which dossiers are behind a number.
DRILL = (
    "received",
    "carried_over",
    "early",
    "on_time",
    "late",
    "withdrawn",
    "refused",
    "stopped",
    "open",
    "open_near_due",
    "open_overdue",
)
PAGE = 50


def _start_of(day: date) -> datetime:
    return datetime.combine(day, time(0), LOCAL_TZ).astimezone(UTC)


def _behind(measure: str, start: datetime, end: datetime, live: bool) -> list[Any]:
    """The conditions on a dossier for being behind a measure of the period [start, end)."""
    d = DossierRow
    received = col(d.received_at).is_not(None)
    if measure == "received":
        return [col(d.received_at) >= start, col(d.received_at) < end]
    if measure in ("early", "on_time", "late"):
        state = col(d.timeliness) == measure
        if measure == "on_time":
            state = or_(state, col(d.timeliness).is_(None))
        return [col(d.status).in_([9, 10]), col(d.finished_at) >= start, col(d.finished_at) < end, state]
    if measure in ("withdrawn", "refused", "stopped"):
        status = {"withdrawn": 7, "refused": 3, "stopped": 8}[measure]
        closed = [d.status == status, col(d.closed_at) >= start, col(d.closed_at) < end]
        return closed if measure == "refused" else [*closed, received]
    at = start if measure == "carried_over" else end
    still_open = or_(
        col(d.status).in_([2, 4, 5, 6]),
        and_(col(d.status).in_([9, 10]), col(d.finished_at) >= at),
        and_(col(d.status).in_([7, 8]), col(d.closed_at) >= at),
    )
    conditions: list[Any] = [received, col(d.received_at) < at, still_open]
    if measure == "open_overdue":
        conditions.append(d.deadline_state == "overdue" if live else col(d.due_at) < end)
    elif measure == "open_near_due":
        conditions.append(d.deadline_state == "near_due" if live else col(d.id).is_(None))
    return conditions


def dossiers(
    uow: UnitOfWork,
    actor: Actor,
    query: StatsQuery,
    measure: str,
    now: datetime,
    *,
    before_id: int | None = None,
    limit: int = PAGE,
) -> dict[str, Any]:
    """One keyset page (newest first) of the dossiers behind a number, with holder, due time and lateness.

    Open dossiers at the end of a period that ended before today are listed with their due time judged
    against the end of the period (overdue when due before it); the near-due split exists only live.
    """
    if measure not in DRILL:
        raise _bad("measure", "Chỉ số không hợp lệ.", "Unknown measure.")
    scope = query.scope(allowed_scope(actor, query))
    d = DossierRow
    start, end = _start_of(query.start), _start_of(query.end + timedelta(days=1))
    live = end > now
    cut = now if live else end
    conditions = _behind(measure, start, end, live)
    if scope.agencies is not None:
        conditions.append(col(d.agency_code).in_(sorted(scope.agencies)))
    if query.procedure:
        conditions.append(d.procedure_code == query.procedure)
    if query.channel:
        conditions.append(d.channel == query.channel)
    if before_id is not None:
        conditions.append(col(d.id) < before_id)
    rows = uow.session.exec(select(d).where(*conditions).order_by(col(d.id).desc()).limit(limit + 1)).all()
    page = rows[:limit]
    agency_names, procedure_names = _labels(
        uow, {r.agency_code for r in page}, {r.procedure_code for r in page}
    )
    items = []
    for r in page:
        due = r.original_due_at or r.due_at
        late_days = None
        if due is not None:
            moment = r.finished_at or (r.closed_at if r.status in (3, 7, 8) else None) or cut
            late_days = max((to_local(moment).date() - to_local(due).date()).days, 0)
        items.append(
            {
                "id": r.id,
                "code": r.code,
                "procedure_code": r.procedure_code,
                "procedure_name": procedure_names.get(r.procedure_code, r.procedure_code),
                "agency_code": r.agency_code,
                "agency_name": agency_names.get(r.agency_code, r.agency_code),
                "channel": r.channel,
                "status": r.status,
                "holder": r.current_holder,
                "received_at": iso(r.received_at) if r.received_at else None,
                "due_at": iso(due) if due else None,
                "finished_at": iso(r.finished_at) if r.finished_at else None,
                "days_late": late_days,
            }
        )
    more = len(rows) > limit
    return {"measure": measure, "items": items, "next": page[-1].id if more and page else None}


def unacknowledged(uow: UnitOfWork, actor: Actor, limit: int = 20) -> list[dict[str, Any]]:
    """The operations center's events nobody acknowledged yet, newest first (the actor's agencies)."""
    allowed = scope_of(actor)
    query = select(OutboxEventRow).where(
        OutboxEventRow.channel == Channel.IOC.value, col(OutboxEventRow.acked_at).is_(None)
    )
    if allowed is not ALL_AGENCIES:
        query = query.where(col(OutboxEventRow.agency_code).in_(sorted(allowed)))
    rows = uow.session.exec(query.order_by(col(OutboxEventRow.seq).desc()).limit(limit)).all()
    return [
        {
            "id": r.id,
            "seq": r.seq,
            "type": r.payload.get("type"),
            "subject": r.payload.get("subject"),
            "agency_code": r.agency_code,
            "time": r.payload.get("time"),
        }
        for r in rows
    ]


def months_before(query: StatsQuery, count: int = 12) -> StatsQuery:
    """The `count` months ending with the period's last month (for trends), same agencies and filters."""
    first = counters.month_of(query.end)
    for _ in range(count - 1):
        first = counters.month_of(first - timedelta(days=1))
    return replace(query, start=max(first, FIRST_DAY))


def dashboard(uow: UnitOfWork, actor: Actor, query: StatsQuery, now: datetime) -> dict[str, Any]:
    """Everything the supervisors' page shows: headline, per agency / procedure / month, steps, late dossiers,
    the unacknowledged events. Counters only, plus two short pages of open dossiers and the events."""
    agencies = _top(table(uow, actor, query, "agency"))
    procedures = _top(table(uow, actor, query, "procedure"))
    return {
        "headline": timeliness(uow, actor, query),
        "agencies": agencies[0],
        "agencies_total": agencies[1],
        "procedures": procedures[0],
        "procedures_total": procedures[1],
        "months": table(uow, actor, months_before(query), "month"),
        "steps": steps(uow, actor, query, limit=20),
        "overdue": dossiers(uow, actor, query, "open_overdue", now, limit=10),
        "near_due": dossiers(uow, actor, query, "open_near_due", now, limit=10),
        "events": unacknowledged(uow, actor, limit=10),
    }


TOP = 20


def _top(rows: list[dict[str, Any]]) -> tuple[list[dict[str, Any]], int]:
    """The rows with the most dossiers to process (a page shows these; the export has them all)."""
    ranked = sorted(rows, key=lambda r: (-r["to_process"], -r["finished"]["late"], r["key"]))
    return ranked[:TOP], len(rows)


def choices(uow: UnitOfWork, actor: Actor) -> dict[str, list[tuple[str, str]]]:
    """The agencies (those the actor may read) and procedures a filter offers, as (code, name)."""
    allowed = scope_of(actor)
    query = select(AgencyRow.code, AgencyRow.name).order_by(col(AgencyRow.code))
    if allowed is not ALL_AGENCIES:
        query = query.where(col(AgencyRow.code).in_(sorted(allowed)))
    agencies = [(c, n) for c, n in uow.session.exec(query.limit(500)).all()]
    procedures = [
        (c, n)
        for c, n in uow.session.exec(
            select(ProcedureVersionRow.code, ProcedureVersionRow.name)
            .where(col(ProcedureVersionRow.is_current).is_(True))
            .order_by(col(ProcedureVersionRow.code))
            .limit(500)
        ).all()
    ]
    return {"agencies": agencies, "procedures": procedures}

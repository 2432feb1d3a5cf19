"""The statistics counters (migration 0015): read a period from day and month rows, fold the triggers' deltas.

Triggers on `dossier`, `dossier_upload` and `document` append one row per change to `dossier_stat_delta`;
`fold` moves a bounded batch of them into `dossier_stat` (per local day) and `dossier_stat_month` (per month).
A period is read as its whole months from the month rows, the days at its two ends from the day rows, plus the
deltas not folded yet, in one statement: exact at any moment, and its cost is the number of cells (months ×
agencies × procedures × channels), never the number of dossiers. Nothing here reads a dossier.

Each delta is folded four times: into its cell, and into the `*` cells of every agency, of every procedure,
and of both (per channel). A question about all agencies, or not about procedures, reads the `*` rows: the
province's year is 12 months × 3 channels, not 12 × 200 agencies × their procedures × 3.

Open dossiers at the end of a day are a level, not a flow: the `open_*` measures are each day's net change,
so the level at the end of day D is the sum of everything up to D.
"""

from __future__ import annotations

from collections import defaultdict
from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from datetime import date, timedelta
from typing import Literal

import sqlalchemy as sa
from sqlalchemy import delete, func, literal, union_all
from sqlalchemy.dialects.postgresql import insert as pg_insert
from sqlalchemy.dialects.sqlite import insert as sqlite_insert
from sqlmodel import SQLModel, col, select

from engine.store.db import UnitOfWork
from engine.store.models import (
    DossierStatDeltaRow,
    DossierStatMonthRow,
    DossierStatOpenRow,
    DossierStatRow,
    StepStatRow,
)

MEASURES: tuple[str, ...] = (
    "received",
    "early",
    "on_time",
    "late",
    "withdrawn",
    "refused",
    "stopped",
    "processing_days",
    "digitised_papers",
    "digitised_results",
    "paid_online",
    "reused_papers",
    "open_on_track",
    "open_near_due",
    "open_overdue",
    "open_paused",
)
LEVELS: tuple[str, ...] = ("open_on_track", "open_near_due", "open_overdue", "open_paused")
KEYS: tuple[str, ...] = ("agency_code", "procedure_code", "channel")
ALL = "*"  # the folded rows of every agency and/or every procedure (`*`), beside each real one

Dimension = Literal["agency_code", "procedure_code", "channel", "month"]
Measures = dict[str, float]


@dataclass(frozen=True)
class Scope:
    """Which cells to add up: None is every agency / procedure / channel."""

    agencies: frozenset[str] | None = None
    procedures: frozenset[str] | None = None
    channels: frozenset[str] | None = None


def month_of(day: date) -> date:
    """The first day of the day's month."""
    return day.replace(day=1)


def next_month(month: date) -> date:
    """The first day of the following month."""
    return (month.replace(day=28) + timedelta(days=4)).replace(day=1)


def table(model: type[SQLModel]) -> sa.Table:
    """The Core table of a model."""
    t: sa.Table = model.__table__  # type: ignore[attr-defined]
    return t


def _filtered(
    query: sa.Select[tuple[object, ...]],
    t: sa.Table,
    scope: Scope,
    by: Sequence[str] = (),
    *,
    folded: bool = True,
) -> sa.Select[tuple[object, ...]]:
    """Restrict to the scope; on folded rows also pick the level: the `*` row of a dimension nobody asked
    for (every agency, every procedure), the real rows of one that is filtered or grouped."""
    for dimension, wanted in (("agency_code", scope.agencies), ("procedure_code", scope.procedures)):
        if wanted is not None:
            query = query.where(t.c[dimension].in_(sorted(wanted)))
        elif folded:
            star = t.c[dimension] == ALL
            query = query.where(~star if dimension in by else star)
    if scope.channels is not None:
        query = query.where(t.c.channel.in_(sorted(scope.channels)))
    return query


def _parts(start: date, end: date) -> list[tuple[sa.Table, str, date, date]]:
    """(table, period column, first, last): the whole months from month rows, the ends from day rows."""
    first_full = start if start.day == 1 else next_month(month_of(start))
    after_end = end + timedelta(days=1)
    last_full = month_of(after_end)  # months before this one end inside the period
    days, months = table(DossierStatRow), table(DossierStatMonthRow)
    if first_full >= last_full:
        return [(days, "day", start, end)]
    parts = [(months, "month", first_full, last_full - timedelta(days=1))]
    if start < first_full:
        parts.append((days, "day", start, first_full - timedelta(days=1)))
    if last_full <= end:
        parts.append((days, "day", last_full, end))
    return parts


def sums(
    uow: UnitOfWork,
    start: date | None,
    end: date,
    scope: Scope,
    *,
    by: Sequence[Dimension] = (),
    measures: Sequence[str] = MEASURES,
) -> dict[tuple[object, ...], Measures]:
    """The measures added up over the local days start..end (None: since the beginning), grouped by `by`.

    `month` groups by the first day of the month. One statement over month rows, day rows and deltas.
    """
    if start is None:
        start = date(2000, 1, 1)
    keys = [k for k in by if k != "month"]
    selects = []
    delta = table(DossierStatDeltaRow)
    for t, period, first, last in [*_parts(start, end), (delta, "day", start, end)]:
        columns = [t.c[period].label("period"), *(t.c[k] for k in keys)]
        columns += [t.c[m] for m in measures]
        query = sa.select(*columns).where(t.c[period] >= first, t.c[period] <= last)
        selects.append(_filtered(query, t, scope, keys, folded=t is not delta))
    both = union_all(*selects).subquery()
    group = [both.c[k] for k in keys]
    if "month" in by:
        group.insert(0, both.c.period)
    totals = [func.sum(both.c[m]).label(m) for m in measures]
    rows = uow.session.execute(sa.select(*group, *totals).group_by(*group)).all()
    result: dict[tuple[object, ...], Measures] = defaultdict(lambda: dict.fromkeys(measures, 0.0))
    for row in rows:
        values = list(row)
        head = values[: len(group)]
        if "month" in by:
            head[0] = month_of(_as_date(head[0]))
        key = tuple(head)
        for m, v in zip(measures, values[len(group) :], strict=True):
            result[key][m] += float(v or 0)
    return dict(result)


def levels_before(
    uow: UnitOfWork, start: date, scope: Scope, *, by: Sequence[Dimension] = ()
) -> dict[tuple[object, ...], Measures]:
    """The open dossiers per deadline state at the end of the day before `start`, grouped by `by`.

    The levels now (`dossier_stat_open` plus the deltas not folded) minus every change from `start` on: the
    cost is the cells and the rows from `start` to today, never the history before the period.
    """
    keys = [k for k in by if k != "month"]
    selects = []
    now = table(DossierStatOpenRow)
    selects.append(
        _filtered(sa.select(*(now.c[k] for k in keys), *(now.c[m] for m in LEVELS)), now, scope, keys)
    )
    delta = table(DossierStatDeltaRow)
    before = sa.select(*(delta.c[k] for k in keys), *(delta.c[m] for m in LEVELS)).where(delta.c.day < start)
    selects.append(_filtered(before, delta, scope, keys, folded=False))
    for t, period, first, last in _parts(start, LAST):
        since = sa.select(*(t.c[k] for k in keys), *((-t.c[m]).label(m) for m in LEVELS))
        selects.append(_filtered(since.where(t.c[period] >= first, t.c[period] <= last), t, scope, keys))
    both = union_all(*selects).subquery()
    group = [both.c[k] for k in keys]
    totals = [func.sum(both.c[m]).label(m) for m in LEVELS]
    query = sa.select(*group, *totals)
    if group:
        query = query.group_by(*group)
    result: dict[tuple[object, ...], Measures] = {}
    for row in uow.session.execute(query).all():
        values = list(row)
        result[tuple(values[: len(group)])] = {
            m: float(v or 0) for m, v in zip(LEVELS, values[len(group) :], strict=True)
        }
    return result


LAST = date(2100, 12, 31)


def _as_date(value: object) -> date:
    if isinstance(value, date):
        return value
    return date.fromisoformat(str(value)[:10])


def steps(
    uow: UnitOfWork, start: date, end: date, agencies: frozenset[str] | None
) -> list[dict[str, object]]:
    """Finished steps per agency and holder over the period, the latest first by lateness."""
    t = table(StepStatRow)
    query = (
        sa.select(
            t.c.agency_code,
            t.c.holder,
            func.sum(t.c.steps),
            func.sum(t.c.early),
            func.sum(t.c.on_time),
            func.sum(t.c.late),
            func.sum(t.c.late_hours),
        )
        .where(t.c.day >= start, t.c.day <= end)
        .group_by(t.c.agency_code, t.c.holder)
    )
    if agencies is not None:
        query = query.where(t.c.agency_code.in_(sorted(agencies)))
    out = [
        {
            "agency_code": a,
            "holder": h,
            "steps": int(s or 0),
            "early": int(e or 0),
            "on_time": int(o or 0),
            "late": int(late or 0),
            "late_hours": round(float(hours or 0), 1),
        }
        for a, h, s, e, o, late, hours in uow.session.execute(query).all()
    ]
    out.sort(
        key=lambda r: (
            -int(str(r["late"])),
            -float(str(r["late_hours"])),
            str(r["agency_code"]),
            str(r["holder"]),
        )
    )
    return out


Cell = tuple[date, str, str, str]


def fold(uow: UnitOfWork, batch: int = 5000) -> int:
    """Move up to `batch` deltas into the day and month rows; return how many deltas were folded."""
    session = uow.session
    rows = session.exec(
        select(DossierStatDeltaRow)
        .order_by(col(DossierStatDeltaRow.id))
        .limit(batch)
        .with_for_update(skip_locked=True)
    ).all()
    if not rows:
        return 0
    by_day: dict[Cell, Measures] = defaultdict(lambda: dict.fromkeys(MEASURES, 0.0))
    by_month: dict[Cell, Measures] = defaultdict(lambda: dict.fromkeys(MEASURES, 0.0))
    for row in rows:
        for agency in (row.agency_code, ALL):
            for procedure in (row.procedure_code, ALL):
                cell = (row.day, agency, procedure, row.channel)
                month = (month_of(row.day), agency, procedure, row.channel)
                for m in MEASURES:
                    value = float(getattr(row, m))
                    by_day[cell][m] += value
                    by_month[month][m] += value
    session.execute(delete(DossierStatDeltaRow).where(col(DossierStatDeltaRow.id).in_([r.id for r in rows])))
    _add(uow, DossierStatRow, "day", sorted(by_day.items()))
    _add(uow, DossierStatMonthRow, "month", sorted(by_month.items()))
    _add_open(uow, by_day)
    return len(rows)


def _add_open(uow: UnitOfWork, by_day: dict[Cell, Measures]) -> None:
    """Fold the level changes into the open dossiers now, in key order."""
    levels: dict[tuple[str, str, str], Measures] = defaultdict(lambda: dict.fromkeys(LEVELS, 0.0))
    for (_, agency, procedure, channel), values in by_day.items():
        for m in LEVELS:
            levels[(agency, procedure, channel)][m] += values[m]
    session = uow.session
    insert = pg_insert if session.connection().dialect.name == "postgresql" else sqlite_insert
    t = table(DossierStatOpenRow)
    for (agency, procedure, channel), values in sorted(levels.items()):
        amounts = {m: int(v) for m, v in values.items()}
        if not any(amounts.values()):
            continue
        statement = insert(t).values(
            {"agency_code": agency, "procedure_code": procedure, "channel": channel, **amounts}
        )
        session.execute(
            statement.on_conflict_do_update(
                index_elements=list(KEYS), set_={m: t.c[m] + literal(v) for m, v in amounts.items() if v}
            )
        )


def _add(
    uow: UnitOfWork, model: type[SQLModel], period: str, changes: Iterable[tuple[Cell, Measures]]
) -> None:
    """Add to each cell, creating it when new, in key order (two folds never deadlock)."""
    session = uow.session
    insert = pg_insert if session.connection().dialect.name == "postgresql" else sqlite_insert
    t = table(model)
    for (day, agency, procedure, channel), values in changes:
        if not any(values.values()):
            continue
        amounts = {m: (v if m == "processing_days" else int(v)) for m, v in values.items()}
        statement = insert(t).values(
            {period: day, "agency_code": agency, "procedure_code": procedure, "channel": channel, **amounts}
        )
        session.execute(
            statement.on_conflict_do_update(
                index_elements=[period, *KEYS],
                set_={m: t.c[m] + literal(v) for m, v in amounts.items() if v},
            )
        )


def pending(uow: UnitOfWork) -> int:
    """Deltas not folded yet."""
    return int(
        uow.session.execute(sa.select(func.count()).select_from(table(DossierStatDeltaRow))).scalar_one()
    )

"""A change to the calendar or to an agency's hours reaches the dossiers already in flight.

The dry run lists the open dossiers whose due time the change moves, with the old and the new due time;
applying it writes the change, then recomputes those dossiers in bounded batches (one transaction each, a
cursor kept on the change so an interrupted run resumes where it stopped): the dossier's due time and its
near-due moment, its work-list keys, a line in its deadline explanation (`deadline_shift`), and a message to
the citizen whose appointment moved. Re-applying is a no-op: a dossier already at its new due time does not
move again, and each (change, dossier) is recorded once.

Which dossiers: only running clocks (levels on_track, near_due, overdue: not paused, not closed, not with a
leader's apology whose new appointment is a fixed date), read through the index (agency?, level, due_at, id)
from the changed day on, the receipt before the changed day's end — never every dossier of the database.
An office-hours or cut-off change reads the running clocks of that agency only. The new due time is the
dossier's clock replayed under the new calendar: the legal deadline from the receipt, then each pause (the
working time left when it began, counted again from its end; or a restart).
"""

from __future__ import annotations

from collections.abc import Callable
from contextlib import AbstractContextManager
from dataclasses import dataclass, field
from datetime import UTC, date, datetime, time, timedelta
from typing import Any

from sqlalchemy import and_, exists, or_
from sqlalchemy.orm import defer
from sqlmodel import col, select
from sqlmodel.sql.expression import SelectOfScalar

from engine import notify
from engine.actor import Actor, Role
from engine.calendar import CalendarException, OfficeHours, Scope, WorkingCalendar
from engine.catalog import definition_of
from engine.clock import LOCAL_TZ, to_local
from engine.errors import Conflict, NotFound
from engine.procedure import Deadline
from engine.services import Services
from engine.store.db import UnitOfWork
from engine.store.models import (
    AdminChangeRow,
    AgencyRow,
    CalendarExceptionRow,
    ClockPauseRow,
    DeadlineShiftRow,
    DossierRow,
    ExtensionRow,
    ProcedureVersionRow,
)
from engine.usecases import calendar_admin
from engine.usecases.agencies import AgencyInput, require_admin
from engine.usecases.calendars import forget_exceptions
from engine.usecases.worklist import restamp

RUNNING = ("on_track", "near_due", "overdue")
LEVELS = {state: index for index, state in enumerate(RUNNING)}
BATCH = 200  # dossiers per transaction when applying
PAGE = 50  # dossiers per page of the dry run
SCAN = 1000  # at most this many candidates read for one page of the dry run (then "more" with a cursor)
TOLERANCE = timedelta(seconds=1)  # pauses store whole seconds: below this, nothing moved
LIGHT = tuple(defer(getattr(DossierRow, name)) for name in ("workflow_state", "form", "papers"))


# --- what a change does to the calendar ---------------------------------------------------------------


@dataclass(frozen=True)
class Effect:
    """The calendar a change leads to, and where it can move due times."""

    exceptions: tuple[CalendarException, ...]
    days: tuple[date, ...]  # the days whose status changes; empty: every day (office hours, cut-off)
    agencies: tuple[str, ...] | None  # None: every agency (a national exception)
    hours: dict[str, tuple[str, str | None]] = field(default_factory=dict)  # agency → (office hours, cut-off)


def _exception(data: dict[str, Any]) -> CalendarException:
    return CalendarException(
        day=date.fromisoformat(data["day"]),
        kind=data["kind"],
        name=data["name"],
        source=data["source"],
        scope=data["scope"],
        scope_code=data.get("scope_code") or None,
    )


def _table(uow: UnitOfWork, skip: int | None) -> list[CalendarException]:
    rows = uow.session.exec(select(CalendarExceptionRow)).all()
    return [
        CalendarException(r.day, r.kind, r.name, r.source, r.scope, r.scope_code)  # type: ignore[arg-type]
        for r in rows
        if skip is None or r.id != skip
    ]


def _agencies_of(uow: UnitOfWork, exc: CalendarException) -> tuple[str, ...] | None:
    if exc.scope is Scope.NATIONAL:
        return None
    if exc.scope is Scope.AGENCY:
        return (str(exc.scope_code),)
    codes = uow.session.exec(select(AgencyRow.code).where(AgencyRow.province_code == exc.scope_code)).all()
    return tuple(sorted(codes))


def effect_of(uow: UnitOfWork, change: AdminChangeRow) -> Effect:
    """The calendar as the change leaves it (a draft applied in memory; an applied one as the table holds)."""
    payload = change.payload
    if change.kind == "agency_edit":
        after = payload["agency"]
        code = str(change.agency_code)
        return Effect(
            tuple(_table(uow, None)), (), (code,), {code: (after["office_hours"], after["cutoff"] or None)}
        )
    involved = [_exception(payload[k]) for k in ("before", "exception") if k in payload]
    if change.state == "draft":
        table = _table(uow, change.target_id)
        if "exception" in payload:
            table.append(_exception(payload["exception"]))
    else:
        table = _table(uow, None)
    scopes = [_agencies_of(uow, exc) for exc in involved]
    agencies: tuple[str, ...] | None = None
    if all(s is not None for s in scopes):
        agencies = tuple(sorted({code for s in scopes if s is not None for code in s}))
    return Effect(tuple(table), tuple(sorted({exc.day for exc in involved})), agencies)


class Calendars:
    """The calendars of agencies before (as stored now) and after a change, built once per agency."""

    def __init__(self, uow: UnitOfWork, effect: Effect) -> None:
        self.uow, self.effect = uow, effect
        self._after: dict[str, WorkingCalendar] = {}

    def after(self, agency_code: str) -> WorkingCalendar:
        found = self._after.get(agency_code)
        if found is None:
            agency = self.uow.session.get(AgencyRow, agency_code)
            hours, cutoff = agency.office_hours if agency else None, agency.cutoff if agency else None
            if agency_code in self.effect.hours:
                hours, cutoff = self.effect.hours[agency_code]
            found = WorkingCalendar(
                self.effect.exceptions,
                office_hours=OfficeHours.from_strings(hours) if hours else OfficeHours(),
                province=agency.province_code if agency else None,
                agency=agency_code,
                cutoff=time.fromisoformat(cutoff) if cutoff else None,
            )
            self._after[agency_code] = found
        return found


# --- the candidates, through the index ------------------------------------------------------------------


@dataclass(frozen=True)
class Cursor:
    """Where a scan stopped: the unit (agency, level) index, then (due_at, id) inside it."""

    unit: int
    due_at: datetime
    id: int

    def encode(self) -> str:
        return f"{self.unit}~{int(self.due_at.timestamp() * 1_000_000)}~{self.id}"

    @classmethod
    def decode(cls, text: str | None) -> Cursor | None:
        """Read a cursor from a URL or the change row; anything malformed starts from the beginning."""
        if not text or len(text) > 120:
            return None
        try:
            unit, micros, ident = (int(part) for part in text.split("~"))
            due = datetime.fromtimestamp(micros / 1_000_000, UTC)
        except (ValueError, OverflowError, OSError):
            return None
        if unit < 0 or ident < 0:
            return None
        return cls(unit, due, ident)


def _units(effect: Effect) -> list[tuple[str | None, str]]:
    if effect.agencies is None:
        return [(None, state) for state in RUNNING]
    return [(code, state) for code in effect.agencies for state in RUNNING]


def _local_midnight(day: date) -> datetime:
    return datetime.combine(day, time(0, 0), LOCAL_TZ).astimezone(UTC)


def candidate_query(
    effect: Effect, index: int, after: Cursor | None, limit: int
) -> SelectOfScalar[DossierRow]:
    """The running clocks of one unit (agency, level) the change may move, in (due_at, id) order."""
    agency, state = _units(effect)[index]
    where = [col(DossierRow.deadline_state) == state, col(DossierRow.due_at).is_not(None)]
    if agency is not None:
        where.append(col(DossierRow.agency_code) == agency)
    if effect.days:
        where.append(col(DossierRow.due_at) >= _local_midnight(effect.days[0]))
        where.append(col(DossierRow.received_at) < _local_midnight(effect.days[-1] + timedelta(days=1)))
    if after is not None and index == after.unit:
        # The plain bound lets the index start at the cursor; the OR breaks ties on id.
        where.append(col(DossierRow.due_at) >= after.due_at)
        where.append(
            or_(
                col(DossierRow.due_at) > after.due_at,
                and_(col(DossierRow.due_at) == after.due_at, col(DossierRow.id) > after.id),
            )
        )
    # A leader's apology (Mẫu 04) set a fixed new appointment: the calendar does not move it.
    where.append(~exists().where(col(ExtensionRow.dossier_id) == col(DossierRow.id)))
    return (
        select(DossierRow)
        .where(*where)
        .options(*LIGHT)
        .order_by(col(DossierRow.due_at), col(DossierRow.id))
        .limit(limit)
    )


def candidates(
    uow: UnitOfWork, effect: Effect, after: Cursor | None, limit: int
) -> list[tuple[Cursor, DossierRow]]:
    """Up to `limit` running clocks the change may move, in (unit, due_at, id) order after `after`.

    One indexed range per (agency, level): `ix_dossier_clock_due` (level, due_at, id) for a national change,
    `ix_dossier_agency_clock_due` (agency, level, due_at, id) otherwise.
    """
    found: list[tuple[Cursor, DossierRow]] = []
    for index in range(after.unit if after else 0, len(_units(effect))):
        rows = uow.session.exec(candidate_query(effect, index, after, limit - len(found))).all()
        for row in rows:
            assert row.due_at is not None
            assert row.id is not None
            found.append((Cursor(index, row.due_at, row.id), row))
        if len(found) >= limit:
            break
    return found


# --- the clock replayed -----------------------------------------------------------------------------------


@dataclass(frozen=True)
class Replay:
    """A dossier's clock under a calendar: due time, original due time, near-due moment, pause ends."""

    due: datetime
    original: datetime
    near_due: datetime
    pause_due_after: dict[int, datetime]


def replay(
    calendar: WorkingCalendar,
    received_at: datetime,
    deadline: Deadline,
    pauses: list[ClockPauseRow],
    near_due_share: float,
) -> Replay:
    """The due time the dossier would have had under `calendar` (as engine/usecases/progress.py counts)."""
    base = calendar.due(received_at, deadline.amount, deadline.unit, deadline.cutoff)
    due = original = base.due
    budget = calendar.working_time_between(base.start, base.due)
    afters: dict[int, datetime] = {}
    for pause in pauses:
        if pause.ended_at is None or pause.id is None:
            break
        if pause.policy == "restart":
            due = original = calendar.due(pause.ended_at, deadline.amount, deadline.unit, deadline.cutoff).due
        else:
            left = calendar.working_time_between(pause.started_at, due)
            left_original = calendar.working_time_between(pause.started_at, original)
            start, _ = calendar.start_of_count(pause.ended_at)
            due = calendar.add_working_time(start, left)
            original = calendar.add_working_time(start, left_original)
        afters[pause.id] = due
    near = calendar.subtract_working_time(due, budget * near_due_share)
    return Replay(due, original, near, afters)


@dataclass(frozen=True)
class Move:
    """One dossier whose due time the change moves."""

    dossier_id: int
    code: str
    agency_code: str
    procedure_code: str
    applicant_name: str
    old_due_at: datetime
    new_due_at: datetime

    @property
    def later(self) -> bool:
        return self.new_due_at > self.old_due_at


class _Clocks:
    """Definitions and pauses of a batch of dossiers, read once per batch."""

    def __init__(self, uow: UnitOfWork, rows: list[DossierRow]) -> None:
        # The legal term a move to a newer version kept (dossier.term_version_id) wins over the version's own.
        versions = {r.term_version_id or r.procedure_version_id for r in rows}
        self.deadlines: dict[int, Deadline] = {}
        for version in uow.session.exec(
            select(ProcedureVersionRow).where(col(ProcedureVersionRow.id).in_(versions))
        ).all():
            assert version.id is not None
            self.deadlines[version.id] = definition_of(version).deadline
        self.pauses: dict[int, list[ClockPauseRow]] = {}
        ids = [r.id for r in rows]
        for pause in uow.session.exec(
            select(ClockPauseRow)
            .where(col(ClockPauseRow.dossier_id).in_(ids))
            .order_by(col(ClockPauseRow.id))
        ).all():
            self.pauses.setdefault(pause.dossier_id, []).append(pause)


def _replay_row(calendars: Calendars, clocks: _Clocks, row: DossierRow, share: float) -> Replay | None:
    if row.received_at is None or row.due_at is None:
        return None
    if any(p.ended_at is None for p in clocks.pauses.get(row.id or 0, [])):
        return None  # paused: the due time is counted again when the clock resumes
    return replay(
        calendars.after(row.agency_code),
        row.received_at,
        clocks.deadlines[row.term_version_id or row.procedure_version_id],
        clocks.pauses.get(row.id or 0, []),
        share,
    )


def _moves(row: DossierRow, found: Replay | None) -> bool:
    return found is not None and row.due_at is not None and abs(found.due - row.due_at) >= TOLERANCE


# --- the dry run ------------------------------------------------------------------------------------------


@dataclass(frozen=True)
class DryRunPage:
    """One page of the dossiers a change moves, with the cursor of the next page (None: the last)."""

    change: AdminChangeRow
    moves: list[Move]
    examined: int
    next_cursor: str | None


def load_change(uow: UnitOfWork, actor: Actor, change_id: int, *, lock: bool = False) -> AdminChangeRow:
    """An administrator's change, or NotFound."""
    require_admin(actor)
    query = select(AdminChangeRow).where(AdminChangeRow.id == change_id)
    if lock:
        query = query.with_for_update()
    change = uow.session.exec(query).first()
    if change is None:
        raise NotFound("Không tìm thấy thay đổi này.", "Change not found.", "ChangeNotFound")
    return change


def dry_run(
    uow: UnitOfWork,
    services: Services,
    actor: Actor,
    change_id: int,
    *,
    after: str | None = None,
    page: int = PAGE,
) -> DryRunPage:
    """The open dossiers whose due time the change moves, old → new, one keyset page at a time.

    Reads at most SCAN candidates per page: a page may hold fewer than `page` moves and still have a next one.
    """
    change = load_change(uow, actor, change_id)
    effect = effect_of(uow, change)
    calendars = Calendars(uow, effect)
    cursor = Cursor.decode(after)
    moves: list[Move] = []
    examined = 0
    while len(moves) < page and examined < SCAN:
        batch = candidates(uow, effect, cursor, min(BATCH, SCAN - examined))
        if not batch:
            return DryRunPage(change, moves, examined, None)
        clocks = _Clocks(uow, [row for _, row in batch])
        for position, row in batch:
            examined += 1
            cursor = position
            found = _replay_row(calendars, clocks, row, services.near_due_share)
            if found is not None and _moves(row, found):
                moves.append(_move(row, found.due))
                if len(moves) >= page:
                    break
    return DryRunPage(change, moves, examined, cursor.encode() if cursor else None)


def _move(row: DossierRow, new_due: datetime) -> Move:
    assert row.id is not None
    assert row.due_at is not None
    return Move(
        row.id, row.code, row.agency_code, row.procedure_code, row.applicant_name, row.due_at, new_due
    )


# --- applying ---------------------------------------------------------------------------------------------


@dataclass
class ApplyReport:
    """What applying did so far."""

    change_id: int
    state: str
    examined: int = 0
    moved: int = 0
    batches: int = 0


def start(uow: UnitOfWork, actor: Actor, change_id: int, at: datetime) -> AdminChangeRow:
    """Write a draft's change (exception row or agency hours) and mark it applying; later calls: nothing."""
    change = load_change(uow, actor, change_id, lock=True)
    if change.state == "cancelled":
        raise Conflict("Thay đổi này đã bị hủy.", "This change was cancelled.", code="ChangeCancelled")
    if change.state != "draft":
        return change
    if change.kind == "agency_edit":
        agency = uow.session.get(AgencyRow, change.agency_code)
        if agency is None:
            raise NotFound("Không tìm thấy cơ quan.", "Agency not found.", "AgencyNotFound")
        before = change.payload["before"]
        if (agency.office_hours, agency.cutoff or "") != (before["office_hours"], before["cutoff"]):
            raise Conflict(
                "Giờ làm việc của cơ quan đã được sửa sau khi lập thay đổi này: hãy lập lại.",
                "The agency's hours were edited after this change was drafted: draft it again.",
                code="ChangeStale",
            )
        after = AgencyInput(**change.payload["agency"])
        agency.office_hours, agency.cutoff = after.office_hours, after.cutoff or None
        uow.session.add(agency)
    else:
        calendar_admin.write_change(uow, change, to_local(at).date())
    change.state = "applying"
    change.applied_by, change.applied_by_name, change.applied_at = actor.subject, actor.display, at
    uow.session.add(change)
    uow.flush()
    forget_exceptions()
    return change


def cancel(uow: UnitOfWork, actor: Actor, change_id: int) -> AdminChangeRow:
    """Drop a draft (nothing was written); an applied change cannot be cancelled."""
    change = load_change(uow, actor, change_id, lock=True)
    if change.state != "draft":
        raise Conflict(
            "Chỉ hủy được thay đổi chưa áp dụng.", "Only a draft can be cancelled.", code="ChangeApplied"
        )
    change.state = "cancelled"
    uow.session.add(change)
    return change


def apply_batch(
    uow: UnitOfWork, services: Services, actor: Actor, change_id: int, limit: int = BATCH
) -> ApplyReport:
    """Recompute the next `limit` candidates of an applying change in this transaction (done: none left)."""
    change = load_change(uow, actor, change_id, lock=True)
    report = ApplyReport(change_id, change.state)
    if change.state != "applying":
        return report
    now = services.clock.now()
    effect = effect_of(uow, change)
    calendars = Calendars(uow, effect)
    batch = candidates(uow, effect, Cursor.decode(change.cursor), limit)
    clocks = _Clocks(uow, [row for _, row in batch])
    already = set(
        uow.session.exec(
            select(DeadlineShiftRow.dossier_id).where(
                DeadlineShiftRow.change_id == change.id,
                col(DeadlineShiftRow.dossier_id).in_([row.id for _, row in batch]),
            )
        ).all()
    )
    for position, row in batch:
        report.examined += 1
        change.cursor = position.encode()
        # A dossier moved later by this change comes up again further on in (due_at, id) order: once, and
        # it is recognised by its record without being replayed.
        if row.id in already:
            continue
        found = _replay_row(calendars, clocks, row, services.near_due_share)
        if found is not None and _moves(row, found):
            _shift(uow, change, row, found, clocks=clocks, now=now)
            report.moved += 1
    change.examined += report.examined
    change.moved += report.moved
    if len(batch) < limit:
        change.state, change.finished_at = "done", now
    report.state = change.state
    report.batches = 1
    uow.session.add(change)
    return report


def _shift(
    uow: UnitOfWork, change: AdminChangeRow, row: DossierRow, found: Replay, *, clocks: _Clocks, now: datetime
) -> None:
    assert row.id is not None
    assert row.due_at is not None
    assert change.id is not None
    old = row.due_at
    reason = change.summary
    uow.session.add(
        DeadlineShiftRow(
            change_id=change.id,
            dossier_id=row.id,
            old_due_at=old,
            new_due_at=found.due,
            reason=reason,
            at=now,
        )
    )
    row.due_at, row.original_due_at, row.near_due_at = found.due, found.original, found.near_due
    actual = "overdue" if found.due < now else "near_due" if found.near_due <= now else "on_track"
    # A level already reported stays unless the new due time takes it back; a level not yet reached is the
    # deadline scan's to report (with its event), as for any other dossier.
    if LEVELS[actual] < LEVELS.get(row.deadline_state, 0):
        row.deadline_state = actual
    for pause in clocks.pauses.get(row.id, []):
        if pause.id in found.pause_due_after:
            pause.due_after = found.pause_due_after[pause.id]
            uow.session.add(pause)
    row.updated_at = now
    uow.session.add(row)
    uow.flush()  # the version bump: a concurrent step on this dossier makes this batch a conflict, retried
    restamp(uow, row)
    notify.tell(
        uow,
        row,
        notify.Notice.DUE_MOVED,
        now,
        {
            "old_due_at": to_local(old).isoformat(),
            "new_due_at": to_local(found.due).isoformat(),
            "reason": reason,
        },
    )


def apply(
    transaction: Callable[[], AbstractContextManager[UnitOfWork]],
    services: Services,
    actor: Actor,
    change_id: int,
    *,
    batch: int = BATCH,
    max_batches: int | None = None,
) -> ApplyReport:
    """Write the change, then recompute in batches of `batch` (one transaction each) until done.

    `max_batches` stops early (a request's time budget, or a test of an interrupted run); calling again
    resumes from the change's cursor. A batch that meets a concurrent step on one of its dossiers (version
    conflict) is retried.
    """
    with transaction() as uow:
        start(uow, actor, change_id, services.clock.now())
    total = ApplyReport(change_id, "applying")
    conflicts = 0
    while max_batches is None or total.batches < max_batches:
        try:
            with transaction() as uow:
                report = apply_batch(uow, services, actor, change_id, batch)
        except Conflict:
            conflicts += 1
            if conflicts > 5:
                raise
            continue
        total.examined += report.examined
        total.moved += report.moved
        total.batches += report.batches
        total.state = report.state
        if report.state != "applying":
            break
    return total


def shifts_of(uow: UnitOfWork, dossier_id: int) -> list[DeadlineShiftRow]:
    """The due-time moves of one dossier, oldest first (its deadline explanation)."""
    return list(
        uow.session.exec(
            select(DeadlineShiftRow)
            .where(DeadlineShiftRow.dossier_id == dossier_id)
            .order_by(col(DeadlineShiftRow.id))
        ).all()
    )


def moved_by(
    uow: UnitOfWork, actor: Actor, change_id: int, *, after: int = 0, page: int = PAGE
) -> tuple[list[Move], int | None]:
    """The dossiers an applied change moved, in the order it moved them (keyset on the record's id)."""
    require_admin(actor)
    rows = uow.session.exec(
        select(DeadlineShiftRow, DossierRow)
        .join(DossierRow, col(DossierRow.id) == col(DeadlineShiftRow.dossier_id))
        .where(DeadlineShiftRow.change_id == change_id, col(DeadlineShiftRow.id) > after)
        .options(*LIGHT)
        .order_by(col(DeadlineShiftRow.id))
        .limit(page + 1)
    ).all()
    moves = [
        Move(d.id or 0, d.code, d.agency_code, d.procedure_code, d.applicant_name, s.old_due_at, s.new_due_at)
        for s, d in rows[:page]
    ]
    last = rows[page - 1][0].id if len(rows) > page else None
    return moves, last


def recent_changes(uow: UnitOfWork, actor: Actor, limit: int = 20) -> list[AdminChangeRow]:
    """The latest changes, newest first (the audit on the calendar page)."""
    require_admin(actor)
    return list(
        uow.session.exec(select(AdminChangeRow).order_by(col(AdminChangeRow.id).desc()).limit(limit)).all()
    )


def unfinished(uow: UnitOfWork) -> list[int]:
    """Changes left applying by an interrupted run (the worker resumes them)."""
    ids = uow.session.exec(
        select(AdminChangeRow.id).where(AdminChangeRow.state == "applying").order_by(col(AdminChangeRow.id))
    ).all()
    return [i for i in ids if i is not None]


# The worker resumes what a request left applying (a closed browser, a restarted server), as the system.
RESUMER = Actor(
    subject="system", username="system", roles=frozenset({Role.ADMIN}), full_name="Hệ thống MotCua"
)


def resume_unfinished(
    transaction: Callable[[], AbstractContextManager[UnitOfWork]], services: Services, *, max_batches: int = 5
) -> int:
    """Continue the oldest change left applying by at most `max_batches` batches; dossiers examined."""
    with transaction() as uow:
        pending = unfinished(uow)
    if not pending:
        return 0
    report = apply(transaction, services, RESUMER, pending[0], max_batches=max_batches)
    return report.examined

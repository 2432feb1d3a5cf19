"""Move running dossiers to another published version of their procedure (…/{code}/chuyen-phien-ban).

A dossier keeps the version it was filed on (engine/catalog.py); an administrator may move the open ones to a
newer version. The dry run lists every open dossier of the old version, a keyset page at a time: whether its
waiting task(s) exist in the new version (by BPMN task id), its due time now and the due time it would have
under the chosen policy, or why it is refused. Nothing is written by the dry run.

Policies (docs/domain.md, "Moving dossiers to a new version"):
- `keep` (default): the legal term the dossier started with still counts: the due time does not move, and
  the dossier remembers the old version's term (`dossier.term_version_id`) for later pauses and restarts.
- `new_term`: the new version's legal term is counted afresh from the moment of the move.
A dossier not yet received has no clock: under both policies the new version's term applies at receipt.

Applying moves one dossier per transaction, under a row lock and the dossier's version counter: the workflow
instance is moved onto the new BPMN spec (SpiffWorkflow's own spec diff, task ids and data kept: see
engine/workflow/spiff.py `migrate`), the work list follows the new model, and the move is recorded
(`version_move`) on the dossier's timeline and deadline explanation; the citizen is told when the appointment
moved. A dossier already on the target version is left alone (idempotent).
"""

from __future__ import annotations

from collections.abc import Callable
from contextlib import AbstractContextManager
from dataclasses import dataclass, field
from datetime import datetime, timedelta
from typing import Any

from sqlmodel import col, select

from engine import notify
from engine.actor import Actor
from engine.calendar import WorkingCalendar
from engine.catalog import definition_of, ensure_spec, form_key
from engine.clock import to_local
from engine.dossier.status import OPEN, Status
from engine.errors import Conflict, DomainError, FieldError, InvalidInput
from engine.procedure import ProcedureDefinition
from engine.services import Services
from engine.store.db import UnitOfWork
from engine.store.models import ClockPauseRow, DossierRow, ProcedureVersionRow, VersionMoveRow, WorkTaskRow
from engine.usecases import progress
from engine.usecases.agencies import require_admin
from engine.usecases.calendars import calendar_for
from engine.usecases.simulation import procedure_versions

KEEP, NEW_TERM = "keep", "new_term"
POLICIES = {
    KEEP: ("Giữ thời hạn luật định đã áp dụng khi tiếp nhận", "Keep the legal term the dossier started with"),
    NEW_TERM: ("Áp dụng thời hạn của phiên bản mới, tính từ lúc chuyển", "Apply the new term from the move"),
}
# A dossier waiting for its result to be returned (status 9) still runs its process: it can move too.
MOVABLE = frozenset({*OPEN, Status.DONE})
PAGE = 50  # dossiers per page of the dry run
APPLY_LIMIT = 500  # dossiers one "apply to all" request moves; the page offers to continue
MAX_SELECTED = PAGE  # checkboxes come from one page
NOTE_MIN, NOTE_MAX = 5, 500


@dataclass
class MoveInput:
    """The form as typed: versions (numbers), policy, note."""

    from_version: str = ""
    to_version: str = ""
    policy: str = KEEP
    note: str = ""


@dataclass(frozen=True)
class Pair:
    """Two published versions of one procedure and the policy of the move."""

    code: str
    source: ProcedureVersionRow
    target: ProcedureVersionRow
    policy: str

    @property
    def source_id(self) -> int:
        assert self.source.id is not None
        return self.source.id

    @property
    def target_id(self) -> int:
        assert self.target.id is not None
        return self.target.id


@dataclass(frozen=True)
class Candidate:
    """One open dossier of the old version, as the move would leave it (or why it cannot move)."""

    dossier_id: int
    code: str
    applicant_name: str
    status: Status
    waiting: tuple[str, ...]  # titles of the waiting tasks
    due_at: datetime | None
    new_due_at: datetime | None
    refusal: str | None = None
    refusal_en: str | None = None
    # The dossier's answers checked against the new version's e-form: what it lacks or no longer fits.
    # Not a refusal (the dossier was filed rightly under its version); staff see it, may ask a supplement.
    form_gaps: tuple[FieldError, ...] = ()

    @property
    def movable(self) -> bool:
        """No reason to refuse."""
        return self.refusal is None


@dataclass
class DryRun:
    """One page of the open dossiers of the old version, with the cursor of the next page (None: the last)."""

    pair: Pair
    candidates: list[Candidate]
    next_after: int | None


@dataclass
class ApplyReport:
    """What applying did: dossiers moved, already on the target, refused with the reason; more left?"""

    moved: list[str] = field(default_factory=list)
    already: list[str] = field(default_factory=list)
    refused: list[tuple[str, str]] = field(default_factory=list)
    more: bool = False


# --- input ------------------------------------------------------------------------------------------------


def _version_number(text: str, name: str, problems: dict[str, FieldError]) -> int | None:
    value = text.strip()
    if not value.isdigit() or len(value) > 6 or int(value) < 1:
        problems[name] = FieldError("Chọn một phiên bản đã công bố.", "Choose a published version.")
        return None
    return int(value)


def check_pair(uow: UnitOfWork, actor: Actor, code: str, data: MoveInput) -> Pair:
    """Both versions published and different, a known policy; InvalidInput names each bad field."""
    require_admin(actor)
    versions = {row.version: row for row in procedure_versions(uow, actor, code)}  # NotFound first
    problems: dict[str, FieldError] = {}
    source_no = _version_number(data.from_version, "from_version", problems)
    target_no = _version_number(data.to_version, "to_version", problems)
    if source_no is not None and source_no not in versions:
        problems["from_version"] = FieldError("Không có phiên bản này.", "No such version.")
    if target_no is not None and target_no not in versions:
        problems["to_version"] = FieldError("Không có phiên bản này.", "No such version.")
    if source_no is not None and source_no == target_no:
        problems["to_version"] = FieldError(
            "Chọn phiên bản đích khác phiên bản đang dùng.", "Choose a target version other than the source."
        )
    if data.policy not in POLICIES:
        problems["policy"] = FieldError("Chọn cách tính thời hạn.", "Choose how the deadline is counted.")
    if problems or source_no is None or target_no is None:
        raise InvalidInput("Thông tin chuyển phiên bản chưa hợp lệ.", "The move is not valid.", problems)
    return Pair(code, versions[source_no], versions[target_no], data.policy)


def check_note(text: str) -> str:
    """The audit note: required, 5–500 characters, spaces collapsed."""
    note = " ".join(text.split())
    if not NOTE_MIN <= len(note) <= NOTE_MAX:
        raise InvalidInput(
            "Ghi chú chưa hợp lệ.",
            "The note is not valid.",
            {
                "note": FieldError(
                    f"Ghi lý do chuyển phiên bản ({NOTE_MIN}–{NOTE_MAX} ký tự).",
                    f"Give the reason for the move ({NOTE_MIN}–{NOTE_MAX} characters).",
                )
            },
        )
    return note


# --- the due time under a policy -------------------------------------------------------------------------


@dataclass(frozen=True)
class Clock:
    """The clock a move leaves: due time, original due time, and the budget left while paused."""

    due_at: datetime | None
    original_due_at: datetime | None
    paused_budget: timedelta | None = None  # new_term on a paused dossier: the budget when it resumes


def new_clock(calendar: WorkingCalendar, row: DossierRow, pair: Pair, now: datetime) -> Clock:
    """The due time the dossier would have after the move (pure: nothing written)."""
    if pair.policy == KEEP or row.received_at is None or row.due_at is None or row.deadline_state == "closed":
        return Clock(row.due_at, row.original_due_at)
    deadline = definition_of(pair.target).deadline
    fresh = calendar.due(now, deadline.amount, deadline.unit, deadline.cutoff)
    budget = calendar.working_time_between(fresh.start, fresh.due)
    if row.paused_at is not None:
        # The citizen holds the dossier: the new budget counts from when it comes back (shown as if now).
        return Clock(fresh.due, fresh.due, paused_budget=budget)
    return Clock(fresh.due, fresh.due)


# --- the dry run -----------------------------------------------------------------------------------------


def _open_page(uow: UnitOfWork, version_id: int, after: int | None, limit: int) -> list[DossierRow]:
    query = select(DossierRow).where(
        DossierRow.procedure_version_id == version_id,
        col(DossierRow.status).in_([int(s) for s in MOVABLE]),
    )
    if after is not None:
        query = query.where(col(DossierRow.id) > after)
    return list(uow.session.exec(query.order_by(col(DossierRow.id)).limit(limit)).all())


def _titles(uow: UnitOfWork, dossier_id: int) -> tuple[str, ...]:
    rows = uow.session.exec(
        select(WorkTaskRow.title).where(WorkTaskRow.dossier_id == dossier_id, WorkTaskRow.kind == "bpmn")
    ).all()
    return tuple(rows)


class _Calendars:
    def __init__(self, uow: UnitOfWork) -> None:
        self.uow = uow
        self._found: dict[str, WorkingCalendar] = {}

    def of(self, agency: str) -> WorkingCalendar:
        if agency not in self._found:
            self._found[agency] = calendar_for(self.uow, agency)
        return self._found[agency]


def form_gaps(services: Services, form: str, answers: dict[str, Any]) -> dict[str, FieldError]:
    """What the answers lack or no longer fit in the e-form `form`, by field path (empty when they pass)."""
    try:
        services.forms.validate(form, answers)
    except InvalidInput as exc:
        return dict(exc.fields)
    return {}


def moved_answers_gaps(
    services: Services, uow: UnitOfWork, dossier: DossierRow, form: str
) -> dict[str, FieldError]:
    """For a dossier moved to another version: what its answers lack in that version's e-form `form`, by
    field path (the dry run warned of it; staff see it next to the answers). Empty for a dossier never
    moved: its answers were checked against its own e-form when filed (and rechecking them later would
    turn rules relative to the filing day into false alarms)."""
    moved = uow.session.exec(select(VersionMoveRow.id).where(VersionMoveRow.dossier_id == dossier.id)).first()
    return {} if moved is None else form_gaps(services, form, dossier.form)


def _evaluate(  # noqa: PLR0913 — the dossier, the move and what is looked up once per page
    services: Services,
    uow: UnitOfWork,
    row: DossierRow,
    pair: Pair,
    *,
    calendars: _Calendars,
    target_form: str,
    now: datetime,
) -> Candidate:
    assert row.id is not None
    refusal: DomainError | None = None
    try:
        ensure_spec(uow, services.runtime, row.spec_hash)
        instance = services.runtime.loads(row.spec_hash, row.workflow_state)
        services.runtime.migrate(instance, pair.target.spec_hash, copy=False)  # read for this check only
    except DomainError as exc:
        refusal = exc
    clock = new_clock(calendars.of(row.agency_code), row, pair, now)
    return Candidate(
        dossier_id=row.id,
        code=row.code,
        applicant_name=row.applicant_name,
        status=Status(row.status),
        waiting=_titles(uow, row.id),
        due_at=row.due_at,
        new_due_at=clock.due_at,
        refusal=refusal.message if refusal else None,
        refusal_en=refusal.message_en if refusal else None,
        form_gaps=tuple(form_gaps(services, target_form, row.form).values()),
    )


def dry_run(
    services: Services,
    uow: UnitOfWork,
    actor: Actor,
    code: str,
    data: MoveInput,
    *,
    after: int | None = None,
    page: int = PAGE,
) -> DryRun:
    """One keyset page of the open dossiers of the old version, each with its verdict and due times."""
    pair = check_pair(uow, actor, code, data)
    ensure_spec(uow, services.runtime, pair.target.spec_hash)
    rows = _open_page(uow, pair.source_id, after, page + 1)
    calendars = _Calendars(uow)
    target_form = form_key(uow, services.forms, pair.target)
    now = services.clock.now()
    candidates = [
        _evaluate(services, uow, row, pair, calendars=calendars, target_form=target_form, now=now)
        for row in rows[:page]
    ]
    next_after = candidates[-1].dossier_id if len(rows) > page else None
    return DryRun(pair, candidates, next_after)


# --- applying --------------------------------------------------------------------------------------------


def _refuse(reason: str, reason_en: str) -> Conflict:
    return Conflict(reason, reason_en, code="VersionMigrationRefused")


def _lock(uow: UnitOfWork, dossier_id: int) -> DossierRow:
    row = uow.session.exec(select(DossierRow).where(DossierRow.id == dossier_id).with_for_update()).first()
    if row is None:
        raise _refuse("Không tìm thấy hồ sơ.", "Dossier not found.")
    return row


def _retitle(ctx: progress.DossierContext) -> None:
    """The waiting tasks keep their ids; their titles, lanes and properties now come from the new model."""
    ready = {task.id: task for task in ctx.services.runtime.ready_tasks(ctx.instance)}
    rows = ctx.uow.session.exec(
        select(WorkTaskRow).where(WorkTaskRow.dossier_id == ctx.dossier.id, WorkTaskRow.kind == "bpmn")
    ).all()
    for row in rows:
        task = ready.get(row.id)
        if task is None:
            continue
        role = progress.role_of(ctx, task)
        row.spec_name, row.title, row.lane, row.role = task.spec_name, task.title, task.lane, role.value
        row.step = task.properties.get("step")
        row.form = task.properties.get("form")
        row.decisions = task.properties.get("decisions")
        row.status_code = int(task.properties["status"]) if "status" in task.properties else None
        ctx.uow.session.add(row)


LEVELS = {"on_track": 0, "near_due": 1, "overdue": 2}


def _level(ctx: progress.DossierContext, now: datetime) -> str:
    """The level to keep after a new due time: lower when the new due time takes it back, else as reported.

    A level not reached yet is the deadline scan's to report, with its event (as usecases/recompute.py).
    """
    due, reported = ctx.dossier.due_at, ctx.dossier.deadline_state
    if due is None or reported not in LEVELS:
        return "on_track"
    if due <= now:
        actual = "overdue"
    else:
        actual = "near_due" if progress.near_due_moment(ctx, due) <= now else "on_track"
    return actual if LEVELS[actual] < LEVELS[reported] else reported


def _set_clock(ctx: progress.DossierContext, pair: Pair, clock: Clock, now: datetime) -> None:
    d = ctx.dossier
    if pair.policy == KEEP:
        if d.received_at is not None and d.term_version_id is None:
            d.term_version_id = pair.source_id  # the term it started with keeps counting
        ctx.term = definition_of(pair.source) if d.term_version_id == pair.source_id else ctx.term
        return
    if d.received_at is None or d.due_at is None or d.deadline_state == "closed":
        d.term_version_id = None
        return
    d.term_version_id = None
    ctx.term = None
    d.due_at, d.original_due_at = clock.due_at, clock.original_due_at
    if clock.paused_budget is not None:
        pause = ctx.uow.session.exec(
            select(ClockPauseRow).where(
                ClockPauseRow.dossier_id == d.id, col(ClockPauseRow.ended_at).is_(None)
            )
        ).first()
        if pause is not None:
            seconds = int(clock.paused_budget.total_seconds())
            pause.remaining_seconds = pause.remaining_original_seconds = seconds
            pause.policy = definition_of(pair.target).clock.value
            ctx.uow.session.add(pause)
        return
    progress.arm_watch(ctx, _level(ctx, now))


def move_one(
    services: Services, uow: UnitOfWork, actor: Actor, pair: Pair, *, dossier_id: int, note: str
) -> str:
    """Move one dossier (locked) to the target version; "moved" or "already". Conflict says why not."""
    require_admin(actor)
    now = services.clock.now()
    row = _lock(uow, dossier_id)
    if row.procedure_code != pair.code:
        raise _refuse("Hồ sơ không thuộc thủ tục này.", "The dossier is not of this procedure.")
    if row.procedure_version_id == pair.target_id:
        return "already"
    if row.procedure_version_id != pair.source_id:
        raise _refuse(
            f"Hồ sơ {row.code} không còn ở phiên bản {pair.source.version}.",
            f"Dossier {row.code} is no longer on version {pair.source.version}.",
        )
    if Status(row.status) not in MOVABLE:
        raise _refuse(f"Hồ sơ {row.code} đã kết thúc.", f"Dossier {row.code} is closed.")
    ensure_spec(uow, services.runtime, pair.target.spec_hash)
    ctx = progress.open_context(services, uow, row)
    # In place: on a refusal the transaction rolls back and this context is dropped.
    moved = services.runtime.migrate(ctx.instance, pair.target.spec_hash, copy=False)
    old_due = row.due_at
    clock = new_clock(ctx.calendar, row, pair, now)
    target_definition: ProcedureDefinition = definition_of(pair.target)
    ctx.instance, ctx.definition = moved, target_definition
    row.procedure_version_id, row.spec_hash = pair.target_id, pair.target.spec_hash
    _set_clock(ctx, pair, clock, now)
    _retitle(ctx)
    progress.advance(ctx, actor, now)
    uow.session.add(
        VersionMoveRow(
            dossier_id=dossier_id,
            from_version_id=pair.source_id,
            to_version_id=pair.target_id,
            policy=pair.policy,
            note=note,
            old_due_at=old_due,
            new_due_at=row.due_at,
            actor_subject=actor.subject,
            actor_name=actor.display,
            at=now,
        )
    )
    if old_due is not None and row.due_at is not None and old_due != row.due_at:
        notify.tell(
            uow,
            row,
            notify.Notice.VERSION_MOVED,
            now,
            {
                "old_due_at": to_local(old_due).isoformat(),
                "new_due_at": to_local(row.due_at).isoformat(),
                "version": pair.target.version,
            },
        )
    uow.flush()
    return "moved"


def apply(
    transaction: Callable[[], AbstractContextManager[UnitOfWork]],
    services: Services,
    actor: Actor,
    code: str,
    data: MoveInput,
    *,
    dossier_ids: list[int] | None,
) -> ApplyReport:
    """Move the chosen dossiers (None: every open one of the old version, up to APPLY_LIMIT per call).

    One transaction per dossier: a refusal or a concurrent step on one does not undo the others; calling
    again continues (a dossier already moved is counted as such, not moved twice).
    """
    with transaction() as uow:
        pair = check_pair(uow, actor, code, data)
        note = check_note(data.note)
        if dossier_ids is not None and not 1 <= len(dossier_ids) <= MAX_SELECTED:
            raise InvalidInput(
                "Chọn hồ sơ cần chuyển.",
                "Choose the dossiers to move.",
                {
                    "dossiers": FieldError(
                        f"Chọn từ 1 đến {MAX_SELECTED} hồ sơ.", f"Choose 1 to {MAX_SELECTED} dossiers."
                    )
                },
            )
    report = ApplyReport()
    ids = dossier_ids if dossier_ids is not None else _all_ids(transaction, pair, report)
    for dossier_id in ids:
        _apply_one(transaction, services, actor, pair, dossier_id=dossier_id, note=note, report=report)
    return report


def _all_ids(
    transaction: Callable[[], AbstractContextManager[UnitOfWork]], pair: Pair, report: ApplyReport
) -> list[int]:
    with transaction() as uow:
        ids = uow.session.exec(
            select(DossierRow.id)
            .where(
                DossierRow.procedure_version_id == pair.source_id,
                col(DossierRow.status).in_([int(s) for s in MOVABLE]),
            )
            .order_by(col(DossierRow.id))
            .limit(APPLY_LIMIT + 1)
        ).all()
    found = [i for i in ids if i is not None]
    report.more = len(found) > APPLY_LIMIT
    return found[:APPLY_LIMIT]


def _apply_one(  # noqa: PLR0913 — the move's inputs plus where to report
    transaction: Callable[[], AbstractContextManager[UnitOfWork]],
    services: Services,
    actor: Actor,
    pair: Pair,
    *,
    dossier_id: int,
    note: str,
    report: ApplyReport,
) -> None:
    for attempt in range(3):
        try:
            with transaction() as uow:
                outcome = move_one(services, uow, actor, pair, dossier_id=dossier_id, note=note)
                code = _code_of(uow, dossier_id)
        except Conflict as exc:
            if exc.code == "VersionMigrationRefused" or attempt == 2:
                report.refused.append((_code_outside(transaction, dossier_id), exc.message))
                return
            continue  # a concurrent step changed the dossier: read it again
        except DomainError as exc:
            report.refused.append((_code_outside(transaction, dossier_id), exc.message))
            return
        (report.moved if outcome == "moved" else report.already).append(code)
        return


def _code_of(uow: UnitOfWork, dossier_id: int) -> str:
    code = uow.session.exec(select(DossierRow.code).where(DossierRow.id == dossier_id)).first()
    return code or f"#{dossier_id}"


def _code_outside(transaction: Callable[[], AbstractContextManager[UnitOfWork]], dossier_id: int) -> str:
    with transaction() as uow:
        return _code_of(uow, dossier_id)


def moves_of(uow: UnitOfWork, actor: Actor, code: str, limit: int = 20) -> list[tuple[VersionMoveRow, str]]:
    """The latest moves of the procedure's dossiers (the page's audit), newest first, with their codes."""
    require_admin(actor)
    rows = uow.session.exec(
        select(VersionMoveRow, DossierRow.code)
        .join(DossierRow, col(DossierRow.id) == col(VersionMoveRow.dossier_id))
        .where(DossierRow.procedure_code == code)
        .order_by(col(VersionMoveRow.id).desc())
        .limit(limit)
    ).all()
    return [(move, dossier_code) for move, dossier_code in rows]


__all__ = [
    "KEEP",
    "NEW_TERM",
    "POLICIES",
    "ApplyReport",
    "Candidate",
    "DryRun",
    "MoveInput",
    "Pair",
    "apply",
    "check_note",
    "check_pair",
    "dry_run",
    "move_one",
    "moves_of",
    "new_clock",
]

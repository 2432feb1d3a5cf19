"""Tables. What is queried is projected into columns; the workflow instance is one JSON document."""

from __future__ import annotations

from datetime import date, datetime
from typing import Any

from sqlalchemy import JSON, Column, Index, Integer, LargeBinary, Text, UniqueConstraint, false
from sqlmodel import Field, SQLModel

from engine.dossier.code import new_access_key
from engine.store.types import UTCDateTime


class AgencyRow(SQLModel, table=True):
    """An agency (cơ quan) with its electronic identifier and office hours."""

    __tablename__ = "agency"

    code: str = Field(primary_key=True, max_length=35)
    name: str
    level: str = "commune"
    parent_code: str | None = None
    province_code: str | None = None
    office_hours: str = "07:30-11:30,13:00-17:00"
    has_counter: bool = True
    address: str | None = None
    phone: str | None = None
    # The agency's own cut-off ("giờ chốt nhận hồ sơ trong ngày", HH:MM): a receipt after it counts from
    # the next working day, for procedures that name no cut-off of their own.
    cutoff: str | None = Field(default=None, max_length=5)
    # The identity provider's groups (Keycloak group paths, e.g. "/agencies/ba-dinh") whose members staff it.
    staff_groups: list[str] = Field(
        default_factory=list, sa_column=Column(JSON, nullable=False, server_default="[]")
    )


class BpmnSpecRow(SQLModel, table=True):
    """A BPMN document, stored once per content hash; every version stays loadable."""

    __tablename__ = "bpmn_spec"

    spec_hash: str = Field(primary_key=True, max_length=64)
    process_id: str
    xml: str = Field(sa_column=Column(Text, nullable=False))


class ProcedureVersionRow(SQLModel, table=True):
    """A published version of a procedure; running dossiers keep theirs."""

    __tablename__ = "procedure_version"
    __table_args__ = (UniqueConstraint("code", "version"),)

    id: int | None = Field(default=None, primary_key=True)
    code: str = Field(index=True)
    slug: str
    version: int
    name: str
    content_hash: str = Field(unique=True, max_length=64)
    spec_hash: str = Field(foreign_key="bpmn_spec.spec_hash")
    definition: dict[str, Any] = Field(sa_column=Column(JSON, nullable=False))
    published_at: datetime = Field(sa_type=UTCDateTime)
    is_current: bool = Field(default=True, index=True)
    # Who published it (None: published from processes/ at start-up), what changed against the version
    # before, and when it was retired (no new filings on it; running dossiers keep it).
    published_by: str | None = Field(default=None, max_length=255)
    published_by_name: str | None = Field(default=None, max_length=255)
    change_summary: dict[str, Any] | None = Field(default=None, sa_column=Column(JSON, nullable=True))
    retired_at: datetime | None = Field(default=None, sa_type=UTCDateTime)
    retired_by: str | None = Field(default=None, max_length=255)


class ProcedureVersionFileRow(SQLModel, table=True):
    """The files of a published version's folder (procedure.yaml, process.bpmn, scenarios, e-form)."""

    __tablename__ = "procedure_version_file"
    __table_args__ = (UniqueConstraint("version_id", "path"),)

    id: int | None = Field(default=None, primary_key=True)
    version_id: int = Field(foreign_key="procedure_version.id", index=True)
    path: str = Field(max_length=200)
    content: str = Field(sa_column=Column(Text, nullable=False))


class ProcedureDraftRow(SQLModel, table=True):
    """A procedure being authored in the workshop (/quan-tri/thu-tuc); its files: procedure_draft_file."""

    __tablename__ = "procedure_draft"
    __table_args__ = (Index("ix_procedure_draft_code_state", "code", "state"),)

    id: int | None = Field(default=None, primary_key=True)
    code: str = Field(max_length=40)
    slug: str = Field(max_length=80)
    name: str = Field(max_length=300)
    state: str = Field(default="open", max_length=12)  # open | published | discarded
    base_version_id: int | None = Field(default=None, foreign_key="procedure_version.id")
    published_version_id: int | None = Field(default=None, foreign_key="procedure_version.id")
    # The last check: problems as dicts (engine.checks.Problem) and the content it ran on.
    problems: list[dict[str, Any]] | None = Field(default=None, sa_column=Column(JSON, nullable=True))
    checked_hash: str | None = Field(default=None, max_length=64)
    checked_at: datetime | None = Field(default=None, sa_type=UTCDateTime)
    # Scenario files the last check ran: 0 when it stopped at an earlier problem, None before any check.
    scenarios_run: int | None = None
    created_by: str = Field(max_length=255)
    created_by_name: str = Field(max_length=255)
    created_at: datetime = Field(sa_type=UTCDateTime)
    updated_by: str = Field(max_length=255)
    updated_at: datetime = Field(sa_type=UTCDateTime)


class ProcedureDraftFileRow(SQLModel, table=True):
    """One file of a draft's procedure folder, by relative path."""

    __tablename__ = "procedure_draft_file"
    __table_args__ = (UniqueConstraint("draft_id", "path"),)

    id: int | None = Field(default=None, primary_key=True)
    draft_id: int = Field(foreign_key="procedure_draft.id", index=True)
    path: str = Field(max_length=200)
    content: str = Field(sa_column=Column(Text, nullable=False))


_DOSSIER_VERSION = Column("version", Integer, nullable=False, default=1)


class DossierRow(SQLModel, table=True):
    """The dossier (hồ sơ): status, deadline and the workflow instance document."""

    __tablename__ = "dossier"
    __table_args__ = (
        Index("ix_dossier_open_due", "status", "due_at"),
        # The one-stop queues: an agency's dossiers at one status, oldest first, keyset on id.
        Index("ix_dossier_agency_status_id", "agency_code", "status", "id"),
        Index("ix_dossier_agency_id", "agency_code", "id"),
        Index("ix_dossier_owner_id", "owner_subject", "id"),
        Index("ix_dossier_applicant_id", "applicant_id_number", "id"),
        # The deadline scan finds the dossiers that crossed a threshold without touching the others.
        Index("ix_dossier_watch", "deadline_state", "near_due_at"),
        Index("ix_dossier_due_watch", "deadline_state", "due_at"),
        # A calendar or office-hours change finds the running clocks it may move (usecases/recompute.py),
        # one ordered range per (agency, level) from the changed day on, keyset on (due_at, id).
        Index("ix_dossier_clock_due", "deadline_state", "due_at", "id"),
        Index("ix_dossier_agency_clock_due", "agency_code", "deadline_state", "due_at", "id"),
        # The open dossiers of one procedure version, keyset on id (a move to a newer version lists them;
        # the workshop counts them per version in one grouped query).
        Index("ix_dossier_version_status_id", "procedure_version_id", "status", "id"),
    )

    id: int | None = Field(default=None, primary_key=True)
    code: str = Field(unique=True, max_length=60)
    # Mã tra cứu: the random key the public lookup needs beside the (sequential, guessable) code.
    access_key: str = Field(default_factory=new_access_key, max_length=16)
    procedure_code: str = Field(index=True)
    procedure_version_id: int = Field(foreign_key="procedure_version.id")
    agency_code: str = Field(foreign_key="agency.code")
    channel: str
    status: int = Field(index=True)
    owner_subject: str | None = None  # the account that filed online (ownership fallback only)
    applicant_name: str
    # The verified identity number the dossier belongs to (ownership key, engine/usecases/access.py).
    applicant_id_number: str | None = None
    applicant: dict[str, Any] = Field(sa_column=Column(JSON, nullable=False))
    form: dict[str, Any] = Field(sa_column=Column(JSON, nullable=False))
    papers: list[dict[str, Any]] = Field(default_factory=list, sa_column=Column(JSON, nullable=False))
    filed_at: datetime = Field(sa_type=UTCDateTime)
    filed_by: str
    received_at: datetime | None = Field(default=None, sa_type=UTCDateTime)
    due_at: datetime | None = Field(default=None, sa_type=UTCDateTime)
    original_due_at: datetime | None = Field(default=None, sa_type=UTCDateTime)
    paused_at: datetime | None = Field(default=None, sa_type=UTCDateTime)
    finished_at: datetime | None = Field(default=None, sa_type=UTCDateTime)
    returned_at: datetime | None = Field(default=None, sa_type=UTCDateTime)
    closed_at: datetime | None = Field(default=None, sa_type=UTCDateTime)
    current_step: str | None = None
    current_holder: str | None = None
    supplements_at_reception: int = 0
    supplements_in_processing: int = 0
    timeliness: str | None = None
    # Working days from receipt to result, paused time left out; set when the result is ready (status 9).
    processing_days: float | None = None
    outcome: str | None = None
    # Where the open dossier stands against its due time (OpenState), as last reported by the deadline scan.
    deadline_state: str = Field(default="on_track", sa_column_kwargs={"server_default": "on_track"})
    near_due_at: datetime | None = Field(default=None, sa_type=UTCDateTime)
    spec_hash: str = Field(max_length=64)
    # The version whose legal term (deadline, clock policy) the clock counts, when a move to a newer version
    # kept the term the dossier started with (engine/usecases/version_migration.py); None: its own version's.
    term_version_id: int | None = None
    workflow_state: str = Field(sa_column=Column(Text, nullable=False))
    version: int = Field(default=1, sa_column=_DOSSIER_VERSION)
    updated_at: datetime = Field(sa_type=UTCDateTime)

    # Optimistic concurrency: every UPDATE carries `WHERE version = ?`; a stale write raises StaleDataError.
    __mapper_args__ = {"version_id_col": _DOSSIER_VERSION}  # noqa: RUF012


def row_id(row: DossierRow) -> int:
    """The primary key of a flushed dossier (rows get their id at the first flush)."""
    if row.id is None:
        raise RuntimeError("dossier has no id yet: flush before referencing it")
    return row.id


class WorkTaskRow(SQLModel, table=True):
    """A ready user task, projected from the workflow for work lists."""

    __tablename__ = "work_task"
    __table_args__ = (
        Index("ix_work_task_queue", "agency_code", "role", "ready_at"),
        Index("ix_work_task_overdue", "overdue_reported", "due_at"),
        # The work list (engine/usecases/worklist.py) walks one of these in key order and stops after a page:
        # its cost is the page size, not the length of the queue.
        Index("ix_work_task_list", "agency_code", "role", "deadline_rank", "deadline_at", "id"),
        Index(
            "ix_work_task_list_procedure",
            "agency_code",
            "role",
            "procedure_code",
            "deadline_rank",
            "deadline_at",
            "id",
        ),
        Index("ix_work_task_list_assignee", "assignee", "deadline_rank", "deadline_at", "id"),
        Index("ix_work_task_list_agency", "agency_code", "deadline_rank", "deadline_at", "id"),
    )

    id: str = Field(primary_key=True, max_length=64)
    dossier_id: int = Field(foreign_key="dossier.id", index=True)
    # "bpmn": projected from the workflow; "verification": check the applicant against the population database
    # (engine/usecases/residents.py), created beside the workflow and never touched by the projection.
    kind: str = Field(default="bpmn", max_length=20, sa_column_kwargs={"server_default": "bpmn"})
    spec_name: str
    title: str
    lane: str | None = None
    role: str
    agency_code: str
    step: str | None = None
    form: str | None = None
    decisions: str | None = None
    status_code: int | None = None
    assignee: str | None = Field(default=None, index=True)
    assignee_name: str | None = None
    claimed_at: datetime | None = Field(default=None, sa_type=UTCDateTime)
    ready_at: datetime = Field(sa_type=UTCDateTime)
    due_at: datetime | None = Field(default=None, sa_type=UTCDateTime)
    overdue_reported: bool = Field(default=False, sa_column_kwargs={"server_default": false()})
    # Copied from the dossier so that the work list is ordered and filtered through one index, without reading
    # dossiers: the procedure, where its deadline stands (0 overdue, 1 near due, 2 on track, 3 no running
    # clock) and the moment the list sorts by (the dossier's due time; the ready time when no clock runs).
    # engine/usecases/progress.py keeps them in step with the dossier; the deadline scan moves the rank.
    procedure_code: str = Field(default="", sa_column_kwargs={"server_default": ""})
    deadline_rank: int = Field(default=3, sa_column_kwargs={"server_default": "3"})
    deadline_at: datetime = Field(sa_type=UTCDateTime)


class StatusChangeRow(SQLModel, table=True):
    """One status change of a dossier (the timeline)."""

    __tablename__ = "status_change"

    id: int | None = Field(default=None, primary_key=True)
    dossier_id: int = Field(foreign_key="dossier.id", index=True)
    from_status: int | None = None
    to_status: int
    at: datetime = Field(sa_type=UTCDateTime)
    actor_subject: str
    actor_name: str
    note: str | None = None


class HandoverRow(SQLModel, table=True):
    """One step of the hand-over log (Mẫu 05): who held it, from when, until when, early/on time/late."""

    __tablename__ = "handover"

    id: int | None = Field(default=None, primary_key=True)
    dossier_id: int = Field(foreign_key="dossier.id", index=True)
    task_id: str | None = Field(default=None, index=True)  # a late "complete" finds the step it ended
    step: str
    title: str
    giver: str
    receiver: str
    agency_code: str
    started_at: datetime = Field(sa_type=UTCDateTime)
    due_at: datetime | None = Field(default=None, sa_type=UTCDateTime)
    finished_at: datetime | None = Field(default=None, sa_type=UTCDateTime)
    finished_by: str | None = None
    timeliness: str | None = None
    note: str | None = None


class ClockPauseRow(SQLModel, table=True):
    """A stop of the legal clock while the citizen holds the dossier."""

    __tablename__ = "clock_pause"

    id: int | None = Field(default=None, primary_key=True)
    dossier_id: int = Field(foreign_key="dossier.id", index=True)
    policy: str
    reason: str
    started_at: datetime = Field(sa_type=UTCDateTime)
    ended_at: datetime | None = Field(default=None, sa_type=UTCDateTime)
    remaining_seconds: int | None = None
    remaining_original_seconds: int | None = None
    due_before: datetime | None = Field(default=None, sa_type=UTCDateTime)
    due_after: datetime | None = Field(default=None, sa_type=UTCDateTime)


class ExtensionRow(SQLModel, table=True):
    """The apology with a new appointment (Mẫu 04); at most one per dossier."""

    __tablename__ = "extension"

    id: int | None = Field(default=None, primary_key=True)
    dossier_id: int = Field(foreign_key="dossier.id", unique=True)
    old_due_at: datetime = Field(sa_type=UTCDateTime)
    new_due_at: datetime = Field(sa_type=UTCDateTime)
    reason: str
    issued_by: str
    issued_by_name: str
    issued_at: datetime = Field(sa_type=UTCDateTime)


class BpmnTimerRow(SQLModel, table=True):
    """A waiting BPMN timer; the worker loads only dossiers whose timer is due."""

    __tablename__ = "bpmn_timer"

    id: int | None = Field(default=None, primary_key=True)
    dossier_id: int = Field(foreign_key="dossier.id", index=True)
    task_id: str
    spec_name: str
    due_at: datetime = Field(sa_type=UTCDateTime, index=True)


class SubmissionRow(SQLModel, table=True):
    """Append-only record of what each actor submitted (the engine's task data is not an audit)."""

    __tablename__ = "submission"

    id: int | None = Field(default=None, primary_key=True)
    dossier_id: int = Field(foreign_key="dossier.id", index=True)
    action: str
    task_id: str | None = None
    actor_subject: str
    actor_name: str
    at: datetime = Field(sa_type=UTCDateTime)
    payload: dict[str, Any] = Field(sa_column=Column(JSON, nullable=False))


class CalendarExceptionRow(SQLModel, table=True):
    """An exception to the national holiday list (holiday, compensatory day off, make-up workday)."""

    __tablename__ = "calendar_exception"

    id: int | None = Field(default=None, primary_key=True)
    day: date = Field(index=True)
    kind: str
    name: str
    source: str
    scope: str = "national"
    scope_code: str | None = None


class AdminChangeRow(SQLModel, table=True):
    """An administrator's change to agencies or the calendar: what, who, when, and how far it was applied.

    A change that can move due times is first a draft (its dry run lists the dossiers it moves), then applied
    in bounded batches: `cursor` is where the last committed batch stopped, so an interrupted run resumes.
    """

    __tablename__ = "admin_change"
    __table_args__ = (Index("ix_admin_change_state", "state", "id"),)

    id: int | None = Field(default=None, primary_key=True)
    kind: str = Field(
        max_length=30
    )  # exception_add | exception_edit | exception_delete | agency_create | agency_edit
    state: str = Field(max_length=12)  # draft | applying | done | cancelled
    summary: str = Field(max_length=500)
    payload: dict[str, Any] = Field(sa_column=Column(JSON, nullable=False))
    target_id: int | None = None  # the exception row (edit, delete; add once applied)
    agency_code: str | None = Field(default=None, max_length=35)
    cursor: str | None = Field(default=None, max_length=120)
    examined: int = 0
    moved: int = 0
    created_by: str = Field(max_length=255)
    created_by_name: str = Field(max_length=255)
    created_at: datetime = Field(sa_type=UTCDateTime)
    applied_by: str | None = Field(default=None, max_length=255)
    applied_by_name: str | None = Field(default=None, max_length=255)
    applied_at: datetime | None = Field(default=None, sa_type=UTCDateTime)
    finished_at: datetime | None = Field(default=None, sa_type=UTCDateTime)


class DeadlineShiftRow(SQLModel, table=True):
    """A due time moved by an administrator's change, once per change: part of the deadline's explanation."""

    __tablename__ = "deadline_shift"
    __table_args__ = (UniqueConstraint("change_id", "dossier_id"),)

    id: int | None = Field(default=None, primary_key=True)
    change_id: int = Field(foreign_key="admin_change.id")
    dossier_id: int = Field(foreign_key="dossier.id", index=True)
    old_due_at: datetime = Field(sa_type=UTCDateTime)
    new_due_at: datetime = Field(sa_type=UTCDateTime)
    reason: str = Field(max_length=500)
    at: datetime = Field(sa_type=UTCDateTime)


class VersionMoveRow(SQLModel, table=True):
    """A running dossier moved to another version of its procedure: who, when, why, and its due time then."""

    __tablename__ = "version_move"

    id: int | None = Field(default=None, primary_key=True)
    dossier_id: int = Field(foreign_key="dossier.id", index=True)
    from_version_id: int = Field(foreign_key="procedure_version.id")
    to_version_id: int = Field(foreign_key="procedure_version.id")
    policy: str = Field(max_length=12)  # keep | new_term
    note: str = Field(max_length=500)
    old_due_at: datetime | None = Field(default=None, sa_type=UTCDateTime)
    new_due_at: datetime | None = Field(default=None, sa_type=UTCDateTime)
    actor_subject: str = Field(max_length=255)
    actor_name: str = Field(max_length=255)
    at: datetime = Field(sa_type=UTCDateTime)


class DossierSequenceRow(SQLModel, table=True):
    """Per agency per local day, the last sequence number handed out."""

    __tablename__ = "dossier_sequence"

    agency_code: str = Field(primary_key=True, max_length=35)
    day: date = Field(primary_key=True)
    last: int = 0


class OutboxEventRow(SQLModel, table=True):
    """An event written in the same transaction as the change that caused it, then delivered at least once.

    `id` is the CloudEvents id (stable across retries, the receiver's deduplication key); `seq` is the feed's
    cursor. Events of one dossier are delivered in `seq` order.
    """

    __tablename__ = "outbox_event"
    __table_args__ = (
        Index("ix_outbox_due", "status", "channel", "next_attempt_at"),
        # The claim reads pending rows in seq order: without this, SQLite walks the whole delivered history.
        Index("ix_outbox_pending_seq", "status", "channel", "seq"),
        Index("ix_outbox_dossier_seq", "dossier_id", "seq"),
        Index("ix_outbox_agency_seq", "agency_code", "seq"),
    )

    seq: int | None = Field(default=None, primary_key=True)
    id: str = Field(unique=True, max_length=36)
    type: str
    subject: str
    dossier_id: int | None = Field(default=None, foreign_key="dossier.id")
    agency_code: str | None = None
    channel: str = "ioc"
    payload: dict[str, Any] = Field(sa_column=Column(JSON, nullable=False))
    created_at: datetime = Field(sa_type=UTCDateTime)
    status: str = "pending"
    attempts: int = 0
    next_attempt_at: datetime = Field(sa_type=UTCDateTime)
    last_error: str | None = None
    delivered_at: datetime | None = Field(default=None, sa_type=UTCDateTime)
    delivered_to: str | None = None
    acked_at: datetime | None = Field(default=None, sa_type=UTCDateTime)
    acked_by: str | None = None
    acked_by_name: str | None = None
    ack_note: str | None = None


class DossierTallyRow(SQLModel, table=True):
    """Open dossiers counted per agency, procedure and deadline state, for the IOC summary.

    Kept by database triggers on `dossier` (migration 0003): every change that moves a dossier into or out of
    a (agency, procedure, state) cell appends a ±1 row to `dossier_tally_delta`; the worker folds the deltas
    into this table. The summary reads this table plus the unfolded deltas: its cost is the number of cells,
    not the number of open dossiers, and no writer ever waits on a shared counter row.
    """

    __tablename__ = "dossier_tally"

    agency_code: str = Field(primary_key=True)
    procedure_code: str = Field(primary_key=True)
    deadline_state: str = Field(primary_key=True)
    count: int = 0


class DossierTallyDeltaRow(SQLModel, table=True):
    """One ±1 change of a tally cell, appended by the `dossier` triggers and folded away by the worker."""

    __tablename__ = "dossier_tally_delta"

    id: int | None = Field(default=None, primary_key=True)
    agency_code: str
    procedure_code: str
    deadline_state: str
    delta: int


def _measure() -> Any:
    return Field(default=0, sa_column_kwargs={"server_default": "0"})


def _amount() -> Any:
    return Field(default=0.0, sa_column_kwargs={"server_default": "0"})


class StatMeasures(SQLModel):
    """The statistics counters of one (day or month, agency, procedure, channel) cell (docs/domain.md §6).

    Flows are counted on the local day they happened: `received` (receipt), `early`/`on_time`/`late` (result
    ready, with `processing_days` summed), `withdrawn`, `refused` (at reception), `stopped`. The `open_*`
    columns are the day's net change of the open dossiers per deadline state: summed up to a day they give
    the open dossiers at the end of that day.
    """

    received: int = _measure()
    early: int = _measure()
    on_time: int = _measure()
    late: int = _measure()
    withdrawn: int = _measure()
    refused: int = _measure()
    stopped: int = _measure()
    processing_days: float = _amount()
    digitised_papers: int = _measure()
    digitised_results: int = _measure()
    paid_online: int = _measure()
    reused_papers: int = _measure()
    open_on_track: int = _measure()
    open_near_due: int = _measure()
    open_overdue: int = _measure()
    open_paused: int = _measure()


class DossierStatRow(StatMeasures, table=True):
    """Counters per local day, agency, procedure and channel; kept by triggers through deltas (0015)."""

    __tablename__ = "dossier_stat"
    # A question reads one agency (or the `*` row of all) and one procedure (or `*`) over a range of days.
    __table_args__ = (
        Index("ix_dossier_stat_cell", "agency_code", "procedure_code", "day"),
        Index("ix_dossier_stat_procedure", "procedure_code", "day"),  # per agency, of every procedure (`*`)
    )

    day: date = Field(primary_key=True)
    agency_code: str = Field(primary_key=True, max_length=35)
    procedure_code: str = Field(primary_key=True)
    channel: str = Field(primary_key=True, max_length=20)


class DossierStatMonthRow(StatMeasures, table=True):
    """The same counters per month (`month` is its first day): a year is read from 12 rows per cell."""

    __tablename__ = "dossier_stat_month"
    __table_args__ = (
        Index("ix_dossier_stat_month_cell", "agency_code", "procedure_code", "month"),
        Index("ix_dossier_stat_month_procedure", "procedure_code", "month"),
    )

    month: date = Field(primary_key=True)
    agency_code: str = Field(primary_key=True, max_length=35)
    procedure_code: str = Field(primary_key=True)
    channel: str = Field(primary_key=True, max_length=20)


class DossierStatOpenRow(SQLModel, table=True):
    """The open dossiers now per agency, procedure, channel and deadline state (the `open_*` levels folded).

    A level at the start of a period is this minus the changes since: a request reads the period, not the
    history before it.
    """

    __tablename__ = "dossier_stat_open"

    agency_code: str = Field(primary_key=True, max_length=35)
    procedure_code: str = Field(primary_key=True)
    channel: str = Field(primary_key=True, max_length=20)
    open_on_track: int = _measure()
    open_near_due: int = _measure()
    open_overdue: int = _measure()
    open_paused: int = _measure()


class DossierStatDeltaRow(StatMeasures, table=True):
    """A change appended by the `dossier`, `dossier_upload` and `document` triggers; folded by the worker."""

    __tablename__ = "dossier_stat_delta"

    id: int | None = Field(default=None, primary_key=True)
    day: date
    agency_code: str = Field(max_length=35)
    procedure_code: str
    channel: str = Field(max_length=20)


class StepStatRow(SQLModel, table=True):
    """Finished steps of the hand-over log per local day, agency and holder (who finished it), lateness."""

    __tablename__ = "step_stat"

    day: date = Field(primary_key=True)
    agency_code: str = Field(primary_key=True, max_length=35)
    holder: str = Field(primary_key=True)
    steps: int = _measure()
    early: int = _measure()
    on_time: int = _measure()
    late: int = _measure()
    late_hours: float = _amount()


class ResidentLookupRow(SQLModel, table=True):
    """Audit of one population-database lookup: who, for which dossier, why, with which request id, outcome.

    Written in a transaction of its own, so a lookup stays recorded when the request that caused it fails.
    Holds the number asked for (the audit's key: "who looked me up") but nothing the registry answered.
    """

    __tablename__ = "resident_lookup"
    __table_args__ = (
        Index("ix_resident_lookup_subject", "subject_number", "id"),
        Index("ix_resident_lookup_agency", "actor_agency", "id"),
    )

    id: int | None = Field(default=None, primary_key=True)
    request_id: str = Field(unique=True, max_length=36)
    at: datetime = Field(sa_type=UTCDateTime)
    actor_subject: str
    actor_name: str
    actor_role: str
    actor_agency: str | None = None
    subject_number: str = Field(max_length=12)
    dossier_id: int | None = Field(default=None, foreign_key="dossier.id", index=True)
    procedure_code: str | None = None
    purpose: str
    outcome: str  # found | not_found | mismatch | unavailable
    reason: str | None = None  # why unavailable (timeout, server_error, ...)
    cached: bool = False


class RegistryCheckRow(SQLModel, table=True):
    """A check of the dossier's applicant against the population database: which form fields, when, how.

    `outcome`: verified (by the lookup `request_id`), unverified (the registry did not answer: `reason`),
    mismatch (the registry disagrees with the dossier), or verified_in_person (an officer saw the ID card).
    """

    __tablename__ = "registry_check"

    id: int | None = Field(default=None, primary_key=True)
    dossier_id: int = Field(foreign_key="dossier.id", index=True)
    task_id: str | None = Field(default=None, index=True)  # the verification task this check completed
    request_id: str | None = Field(default=None, max_length=36)
    at: datetime = Field(sa_type=UTCDateTime)
    outcome: str
    reason: str | None = None
    fields: list[str] = Field(default_factory=list, sa_column=Column(JSON, nullable=False))
    actor_subject: str
    actor_name: str
    note: str | None = None


class DocumentRow(SQLModel, table=True):
    """A printed document (Mẫu 01–06, stop notice, result): the data it prints, then its PDF.

    The engine writes the row (status `pending`, the data snapshot and its content hash) in the unit of work
    of the change that caused it; a renderer outside the engine fills `content` and `sha256` later.
    """

    __tablename__ = "document"
    __table_args__ = (
        Index("ix_document_dossier", "dossier_id", "id"),
        Index("ix_document_pending", "status", "lease_until"),
        Index("ix_document_content_hash", "content_hash"),
        Index("ix_document_agency_kind", "agency_code", "kind", "year", "id"),
    )

    id: int | None = Field(default=None, primary_key=True)
    dossier_id: int | None = Field(default=None, foreign_key="dossier.id")
    agency_code: str = Field(foreign_key="agency.code", max_length=35)
    kind: str = Field(max_length=20)
    year: int
    number: int | None = None
    template: str
    data: dict[str, Any] = Field(sa_column=Column(JSON, nullable=False))
    content_hash: str = Field(max_length=64)
    status: str = Field(default="pending", max_length=10)
    issued_at: datetime = Field(sa_type=UTCDateTime)
    issued_by: str
    sha256: str | None = Field(default=None, max_length=64)
    size: int | None = None
    content: bytes | None = Field(default=None, sa_column=Column(LargeBinary, nullable=True))
    rendered_at: datetime | None = Field(default=None, sa_type=UTCDateTime)
    attempts: int = 0
    last_error: str | None = None
    lease_until: datetime | None = Field(default=None, sa_type=UTCDateTime)
    signature: str | None = None
    signature_key: str | None = None


class DocumentSequenceRow(SQLModel, table=True):
    """Per agency, year and series (register, Mẫu 02, ...), the last number handed out."""

    __tablename__ = "document_sequence"

    agency_code: str = Field(primary_key=True, max_length=35)
    year: int = Field(primary_key=True)
    series: str = Field(primary_key=True, max_length=20)
    last: int = 0


class RegisterEntryRow(SQLModel, table=True):
    """One line of the register (Sổ theo dõi hồ sơ, Mẫu 06): per agency and year, numbered from 01."""

    __tablename__ = "register_entry"

    agency_code: str = Field(primary_key=True, max_length=35)
    year: int = Field(primary_key=True)
    number: int = Field(primary_key=True)
    dossier_id: int = Field(foreign_key="dossier.id", unique=True)
    received_at: datetime = Field(sa_type=UTCDateTime)
    returned_at: datetime | None = Field(default=None, sa_type=UTCDateTime)
    return_method: str | None = None


class WebSessionRow(SQLModel, table=True):
    """A browser session of the portal, kept in the database so that any portal process can serve it.

    `id` is the SHA-256 of the cookie value (a stolen table does not give usable cookies). A pending row
    (`subject` None) holds the OIDC state, nonce and PKCE verifier between the redirect to Keycloak and the
    callback; an active row holds the verified claims and the tokens for refresh and logout.
    """

    __tablename__ = "web_session"
    __table_args__ = (Index("ix_web_session_expires", "expires_at"),)

    id: str = Field(primary_key=True, max_length=64)
    csrf: str = Field(max_length=64)
    created_at: datetime = Field(sa_type=UTCDateTime)
    expires_at: datetime = Field(sa_type=UTCDateTime)
    oidc_state: str | None = Field(default=None, max_length=128)
    nonce: str | None = Field(default=None, max_length=128)
    code_verifier: str | None = Field(default=None, max_length=128)
    return_to: str | None = None
    subject: str | None = None
    claims: dict[str, Any] | None = Field(default=None, sa_column=Column(JSON, nullable=True))
    access_token: str | None = Field(default=None, sa_column=Column(Text, nullable=True))
    access_expires_at: datetime | None = Field(default=None, sa_type=UTCDateTime)
    refresh_token: str | None = Field(default=None, sa_column=Column(Text, nullable=True))
    id_token: str | None = Field(default=None, sa_column=Column(Text, nullable=True))


class UploadRow(SQLModel, table=True):
    """A file a user uploaded for a paper: its bytes live in the content-addressed store under `sha256`.

    `id` is a random token (never sequential, never the hash): knowing one file's id says nothing about
    another's, and the content hash is not handed out. The owner is the verified identity number when the
    uploader has one (a citizen keeps their files across accounts), else the token's subject.
    """

    __tablename__ = "upload"
    __table_args__ = (
        Index("ix_upload_owner_number", "owner_identity_number", "created_at"),
        Index("ix_upload_owner_subject", "owner_subject", "created_at"),
    )

    id: str = Field(primary_key=True, max_length=32)
    sha256: str = Field(max_length=64, index=True)
    mime: str = Field(max_length=40)
    size: int
    display_name: str = Field(max_length=120)
    owner_subject: str = Field(max_length=255)
    owner_identity_number: str | None = Field(default=None, max_length=12)
    created_at: datetime = Field(sa_type=UTCDateTime)


class DossierUploadRow(SQLModel, table=True):
    """An upload referenced by a dossier's papers (at filing or in a supplement): who else may read it."""

    __tablename__ = "dossier_upload"

    dossier_id: int = Field(foreign_key="dossier.id", primary_key=True)
    upload_id: str = Field(foreign_key="upload.id", primary_key=True, max_length=32, index=True)
    paper_key: str = Field(max_length=255)


class DraftRow(SQLModel, table=True):
    """A filing in progress (hồ sơ nháp): the e-form so far, the files per paper, the last step reached."""

    __tablename__ = "draft"
    __table_args__ = (
        Index("ix_draft_owner_number", "owner_identity_number", "updated_at"),
        Index("ix_draft_owner_subject", "owner_subject", "updated_at"),
    )

    id: str = Field(primary_key=True, max_length=32)
    owner_subject: str = Field(max_length=255)
    owner_identity_number: str | None = Field(default=None, max_length=12)
    procedure_code: str = Field(max_length=40)
    agency_code: str | None = Field(default=None, max_length=35)
    form: dict[str, Any] = Field(default_factory=dict, sa_column=Column(JSON, nullable=False))
    papers: dict[str, Any] = Field(default_factory=dict, sa_column=Column(JSON, nullable=False))
    # Values the population database filled in, by dotted path: shown marked while they stay unchanged.
    registry_values: dict[str, Any] = Field(default_factory=dict, sa_column=Column(JSON, nullable=False))
    last_step: str | None = Field(default=None, max_length=40)
    created_at: datetime = Field(sa_type=UTCDateTime)
    updated_at: datetime = Field(sa_type=UTCDateTime)


class IdempotencyRow(SQLModel, table=True):
    """The first answer to a state-changing request sent with an `Idempotency-Key`, per actor and key.

    Written in the same transaction as the change it answers, so a retry after a lost response (even after a
    crash right after commit) finds it; pruned by the worker once `expires_at` has passed.
    """

    __tablename__ = "idempotency_record"
    __table_args__ = (UniqueConstraint("actor", "key", name="uq_idempotency_actor_key"),)

    id: int | None = Field(default=None, primary_key=True)
    actor: str = Field(max_length=255)
    key: str = Field(max_length=100)
    request_hash: str = Field(max_length=64)
    status_code: int
    response: Any = Field(sa_column=Column(JSON, nullable=False))
    created_at: datetime = Field(sa_type=UTCDateTime)
    expires_at: datetime = Field(sa_type=UTCDateTime, index=True)


class RateLimitRow(SQLModel, table=True):
    """A fixed-window counter per bucket (anonymous tracking per client address), shared by all processes."""

    __tablename__ = "rate_limit"

    bucket: str = Field(primary_key=True, max_length=120)
    window_start: datetime = Field(sa_type=UTCDateTime)
    count: int = 0


class RatingRow(SQLModel, table=True):
    """A citizen's satisfaction rating of a returned dossier (Circular 01/2018 Art. 12–15); once per dossier.

    The receiving agency and procedure are copied from the dossier so that the aggregation reads the ratings
    of a scope and period through `ix_rating_agency_rated`, never the dossiers. Indicators 1–4, 6 and 7 are
    the ones scored per dossier (2 / 1 / 0, None when not answered); `prefill` keeps what MotCua computed for
    1–4 from the dossier's history, beside what was finally given.
    """

    __tablename__ = "rating"
    __table_args__ = (
        Index("ix_rating_agency_rated", "agency_code", "rated_at"),
        Index("ix_rating_rated", "rated_at"),
    )

    id: int | None = Field(default=None, primary_key=True)
    dossier_id: int = Field(foreign_key="dossier.id", unique=True)
    agency_code: str = Field(max_length=35)
    procedure_code: str = Field(max_length=35)
    via: str = Field(max_length=10)  # "online" (Hồ sơ của tôi) or "counter" (the officer's tablet)
    overall: str = Field(max_length=20)  # very_satisfied | satisfied | dissatisfied
    indicator_1: int | None = None
    indicator_2: int | None = None
    indicator_3: int | None = None
    indicator_4: int | None = None
    indicator_6: int | None = None
    indicator_7: int | None = None
    prefill: dict[str, Any] = Field(default_factory=dict, sa_column=Column(JSON, nullable=False))
    comment: str | None = Field(default=None, sa_column=Column(Text, nullable=True))
    rated_at: datetime = Field(sa_type=UTCDateTime)
    rated_by: str = Field(max_length=255)  # subject of the citizen, or of the officer at the counter
    rated_by_name: str = Field(max_length=255)


class RatingOfficerRow(SQLModel, table=True):
    """An officer a rating counts for: staff who finished a step of the dossier (Art. 15, per officer)."""

    __tablename__ = "rating_officer"
    __table_args__ = (Index("ix_rating_officer_agency", "agency_code", "officer"),)

    rating_id: int = Field(foreign_key="rating.id", primary_key=True)
    officer: str = Field(primary_key=True, max_length=255)  # the display name the hand-over log carries
    agency_code: str = Field(max_length=35)


class OpenDataReleaseRow(SQLModel, table=True):
    """The last content of an open-data file (path and period) and since when it is so (Last-Modified)."""

    __tablename__ = "open_data_release"

    key: str = Field(primary_key=True, max_length=200)
    etag: str = Field(max_length=64)
    modified_at: datetime = Field(sa_type=UTCDateTime)

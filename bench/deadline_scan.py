"""Deadline-scan benchmark: a worker scan cycle at 100k and 1M open dossiers (PostgreSQL), 20k/200k (SQLite).

Run: `.venv/bin/python bench/deadline_scan.py [--backend pg|sqlite|both] [--small N --large N] [--json]`
(`make bench-scan`). PostgreSQL is a throw-away server started from the Debian package (tests/pg.py).

What it does, per backend:

1. **Templates**: files 16 real dossiers through the use cases (both procedures × two agencies × four
   resting points: status 1 waiting for reception, status 4 at appraisal, status 4 at approval, status 5
   waiting for a supplement asked at appraisal — paused, with its 30-day BPMN timer, for permanent
   residence). They are filed on a FixedClock two weeks ahead, so that they never cross a threshold here.
2. **Seeding** with bulk SQL (`INSERT … SELECT` over `generate_series` on PostgreSQL, a recursive CTE on
   SQLite): each clone copies a template's row (workflow instance JSON, applicant and form JSON, papers)
   with a new id, code and applicant number, and takes its times from a grid computed with the engine's
   working calendar around the real current time: receipt spread over the past working days, due time
   and near-due moment as `progress` computes them, the ready step with its budgeted due time, a pause
   and the BPMN timer for supplements. The deadline level (`on_track`, `near_due`, `overdue`, `paused`)
   and `overdue_reported` are what the scan would already have reported, so that the seeded dossiers are
   the ones that did NOT cross. No threshold falls within two hours of the start, so none crosses during
   the run. Each clone also gets its ready work-task row, its timer and pause rows when paused, and its
   delivered `received` outbox event (history the delivery query must step over). Timelines, hand-overs
   and submissions are not seeded: no scan reads them. Then ANALYZE (PostgreSQL: VACUUM ANALYZE).
3. **Cycles** at the small size, then again after growing to the large size: before each cycle the bench
   plants the same number of threshold crossers (default 200: 80 overdue, 80 near due, 30 step
   overruns, 10 BPMN timers) by moving their due times just behind a FixedClock that advances one
   minute per cycle; then it times the worker's steps (portal.worker.STEPS: timers, overdue, near_due,
   step_overruns) one after the other, and separately the outbox delivery (the worker's `outbox` step,
   rounds of `MOTCUA_IOC_BATCH` events into a null sink) until the cycle's events are gone. Idle cycles
   (nothing crossed) are timed too. One untimed warm-up cycle first.
4. **Plans**: during one more planted cycle every SELECT the steps send on the big tables is explained on
   the same connection just before it runs, with the same parameters: `EXPLAIN (ANALYZE, BUFFERS)` on
   PostgreSQL, `EXPLAIN QUERY PLAN` on SQLite. The check: the batch query of each step goes through its
   index, and no step reads a big table by a sequential scan or a filtered walk of a whole index.
5. **Summary** (`engine.usecases.ioc.summary`, a GROUP BY over the open dossiers): timed at both sizes,
   a diagnostic only.
6. **Lateness under load** (large size): the real worker loop (`run_cycle` every `--interval` seconds,
   as `portal.worker.Worker` does, on the SystemClock) runs in a thread while a load thread files and
   advances permanent-residence dossiers through the use cases. The bench gives dossiers near-due and
   due moments, steps their due times and BPMN timers a few seconds ahead of real time, and reads how
   long after its moment each was reported: `created_at` of the outbox event (near_due, overdue,
   step_overdue) or `at` of the status change to 8 (a fired supplement timer emits no IOC event).

How to read the figures:

- **cycle** = the four scan steps of one worker cycle with the planted crossers, p50 and max (ms).
  Target on PostgreSQL at the large size: p50 ≤ 100 ms.
- **ratio large/small** = p50 cycle at the large size ÷ p50 at the small size, same number of crossers:
  what the dossiers that did not cross cost. Target ≤ 1.5. The idle-cycle ratio shows the same without
  the per-crosser work.
- **lateness** = how long after its moment a report or timer fired; target: within one scan interval.
  The worker waits `interval` after each cycle, so the bound it can keep is interval + one cycle.
- Wall-clock figures on a shared machine are noisy: the load average is printed; compare ratios.

`--json` prints a machine-readable summary on stdout (the human report then goes to stderr).
"""

# ruff: noqa: E402  (the repository root must come first on sys.path, before the engine imports below)

from __future__ import annotations

import argparse
import copy
import json
import math
import os
import random
import re
import statistics
import sys
import tempfile
import threading
import time
import warnings
from collections.abc import Callable, Iterator, Mapping
from concurrent.futures import ThreadPoolExecutor
from contextlib import contextmanager
from dataclasses import dataclass, field
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any, TextIO

ROOT = Path(__file__).resolve().parents[1]
# Run as a script, sys.path[0] is bench/; the repository root must be importable (engine, portal, tests).
if sys.path and Path(sys.path[0] or ".").resolve() == ROOT / "bench":
    sys.path[0] = str(ROOT)

from sqlalchemy import (
    Boolean,
    Column,
    Integer,
    MetaData,
    String,
    Table,
    event,
    func,
    text,
)
from sqlalchemy.engine import Engine
from sqlmodel import col, select

from engine import tally
from engine.actor import Actor, Role
from engine.calendar import WorkingCalendar
from engine.catalog import current_version, definition_of
from engine.clock import FixedClock, SystemClock, to_local
from engine.dossier.status import OPEN
from engine.outbox import EventType
from engine.procedure import ProcedureDefinition
from engine.store.db import make_engine, unit_of_work
from engine.store.migrate import upgrade
from engine.store.models import BpmnTimerRow, DossierRow, OutboxEventRow, StatusChangeRow, WorkTaskRow
from engine.store.types import UTCDateTime
from engine.usecases import dossiers, ioc, tasks
from engine.usecases.calendars import calendar_for
from portal import worker
from portal.bootstrap import prepare
from portal.settings import Settings
from portal.wiring import Container, build
from tests.pg import PostgresServer

with warnings.catch_warnings():  # tests.builders imports the test client, which warns about httpx
    warnings.simplefilter("ignore")
    from tests.builders import (
        ACCEPT,
        APPROVE,
        ASK_SUPPLEMENT,
        BA_DINH,
        BIRTH,
        HOAN_KIEM,
        PROPOSE_APPROVE,
        RESIDENCE,
        RETURN_AT_COUNTER,
        birth_filing,
        residence_filing,
    )

TARGET_CYCLE_MS = 100.0  # PostgreSQL, large size, p50
TARGET_RATIO = 1.5
DEFAULT_SIZES = {"pg": (100_000, 1_000_000), "sqlite": (20_000, 200_000)}
ID_BASE = 1000  # clone i gets dossier id ID_BASE + i; templates and later filings keep the sequence's ids
GRID = 64  # time samples per template slot
CHUNK = 50_000  # clones per INSERT statement
GUARD = timedelta(hours=2)  # no seeded threshold falls within this time after the start
CYCLE_STEP = timedelta(minutes=1)  # the FixedClock moves this much before every timed cycle
PLANT_LEAD = timedelta(seconds=5)  # planted thresholds lie this much before the cycle's clock
TEMPLATE_AHEAD = timedelta(days=14)
DOSSIER: Table = DossierRow.__table__  # type: ignore[attr-defined]
TASK: Table = WorkTaskRow.__table__  # type: ignore[attr-defined]
TIMER: Table = BpmnTimerRow.__table__  # type: ignore[attr-defined]
SCAN_STEPS = tuple((name, step) for name, step in worker.STEPS if name != "outbox")
BIG_TABLES = (
    "dossier",
    "work_task",
    "bpmn_timer",
    "outbox_event",
    "clock_pause",
    "status_change",
    "handover",
)
# The batch query of each step and the index it must go through.
EXPECTED_INDEX = {
    "timers": ("bpmn_timer", "ix_bpmn_timer_due_at"),
    "overdue": ("dossier", "ix_dossier_due_watch"),
    "near_due": ("dossier", "ix_dossier_watch"),
    "step_overruns": ("work_task", "ix_work_task_overdue"),
    # Either is a bounded range: pending rows in seq order, or pending rows due by now.
    "outbox": ("outbox_event", "ix_outbox_pending_seq|ix_outbox_due"),
}
NO_TIMER = "#no-timer#"  # replace(x, NO_TIMER, NO_TIMER) leaves the instance of a clone without timer as is
EVENT_VALUE = re.compile(r'"event_value":"[^"]*"')

# Resting points of an open dossier, with how many of every 20 clones of a (procedure, agency) rest there.
STATES = (("waiting_reception", 1), ("appraisal", 11), ("approval", 6), ("supplement", 2))
PROCEDURES = (RESIDENCE, BIRTH)
AGENCIES = (BA_DINH, HOAN_KIEM)
# Sampled receipts lie this many working hours before the start (birth registration is due the same day).
LOOKBACK_HOURS = {RESIDENCE: 60.0, BIRTH: 10.0}


def log(message: str) -> None:
    """One progress line per phase, on stderr."""
    print(f"[bench] {message}", file=sys.stderr, flush=True)


def percentile(values: list[float], share: float) -> float:
    """Nearest-rank percentile (share in 0..1) of a non-empty list."""
    ordered = sorted(values)
    rank = max(1, min(len(ordered), math.ceil(share * len(ordered))))
    return ordered[rank - 1]


def ms(seconds: float) -> float:
    """Seconds to milliseconds, rounded for the report."""
    return round(1000 * seconds, 2)


def stats_ms(values: list[float]) -> dict[str, float]:
    """p50 / p95 / max in milliseconds."""
    if not values:
        return {"p50_ms": 0.0, "p95_ms": 0.0, "max_ms": 0.0, "count": 0}
    return {
        "p50_ms": ms(statistics.median(values)),
        "p95_ms": ms(percentile(values, 0.95)),
        "max_ms": ms(max(values)),
        "count": len(values),
    }


class NullSink:
    """Takes every event and does nothing: delivery without a receiver's cost."""

    name = "null"

    def send(self, event: Mapping[str, Any]) -> None:
        """Accept the event."""

    def close(self) -> None:
        """Nothing to release."""


def staff(role: Role, agency: str) -> Actor:
    """A staff member of an agency."""
    return Actor(f"bench:{role.value}:{agency}", role.value, frozenset({role}), agency, None, f"{role.value}")


def citizen_of(applicant: Mapping[str, Any]) -> Actor:
    """The signed-in citizen filing for themselves."""
    number = str(applicant["identity_number"])
    return Actor(f"bench:citizen:{number}", "citizen", frozenset({Role.CITIZEN}), None, number, "citizen")


IOC_READER = Actor("bench:ioc", "ioc", frozenset({Role.IOC}), None, None, "IOC")


# --- SQL per backend -------------------------------------------------------------------------------------


@dataclass(frozen=True)
class Dialect:
    """The few SQL spellings that differ between PostgreSQL and SQLite."""

    series: str  # a CTE `s(i)` with lo <= i < hi
    pad12: str  # zero-padded 12-digit text of an integer expression
    as_json: str  # text → the JSON column's value
    json_text: str  # the JSON column's value → text


DIALECTS = {
    "postgresql": Dialect(
        series="WITH s(i) AS (SELECT generate_series(CAST(:lo AS BIGINT), CAST(:hi AS BIGINT) - 1))",
        pad12="lpad(CAST({} AS TEXT), 12, '0')",
        as_json="CAST({} AS JSON)",
        json_text="CAST({} AS TEXT)",
    ),
    "sqlite": Dialect(
        series="WITH RECURSIVE s(i) AS (SELECT :lo UNION ALL SELECT i + 1 FROM s WHERE i + 1 < :hi)",
        pad12="printf('%012d', {})",
        as_json="{}",
        json_text="{}",
    ),
}

_JOINS = """
FROM s
JOIN bench_slot AS b ON b.slot = s.i % {slots}
JOIN bench_moment AS m ON m.slot = b.slot AND m.j = (s.i / {slots}) % {grid}
"""
_CODE = "t.agency_code || '-' || m.day || '-' || CAST(s.i AS TEXT)"

SEED_SQL = {
    "dossier": """{series}
INSERT INTO dossier (id, code, procedure_code, procedure_version_id, agency_code, channel, status,
    owner_subject, applicant_name, applicant_id_number, applicant, form, papers, filed_at, filed_by,
    received_at, due_at, original_due_at, paused_at, current_step, current_holder, supplements_at_reception,
    supplements_in_processing, deadline_state, near_due_at, spec_hash, workflow_state, version, updated_at,
    access_key)
SELECT {base} + s.i, {code}, t.procedure_code, t.procedure_version_id, t.agency_code, t.channel, t.status,
    CASE WHEN t.owner_subject IS NULL THEN NULL ELSE 'bench:citizen-' || CAST(s.i % 50000 AS TEXT) END,
    t.applicant_name, '0' || CAST(10000000000 + s.i AS TEXT),
    {applicant}, t.form, t.papers, m.filed_at, t.filed_by, m.received_at, m.due_at,
    m.due_at, m.paused_at, t.current_step, t.current_holder, t.supplements_at_reception,
    t.supplements_in_processing, m.deadline_state, m.near_due_at, t.spec_hash,
    replace(replace(t.workflow_state, t.code, {code}), b.timer_iso, m.timer_iso), t.version, m.updated_at,
    'B' || CAST({base} + s.i AS TEXT)
{joins}JOIN bench_dossier AS t ON t.id = b.template_id""",
    "work_task": """{series}
INSERT INTO work_task (id, dossier_id, spec_name, title, lane, role, agency_code, step, form, decisions,
    status_code, ready_at, due_at, overdue_reported, procedure_code, deadline_rank, deadline_at)
SELECT 'b0000000-0000-4000-8000-' || {pad}, {base} + s.i, w.spec_name, w.title, w.lane, w.role,
    w.agency_code, w.step, w.form, w.decisions, w.status_code, m.step_ready_at, m.step_due_at,
    m.step_reported, w.procedure_code,
    CASE WHEN m.due_at IS NULL THEN 3 WHEN m.deadline_state = 'overdue' THEN 0
         WHEN m.deadline_state = 'near_due' THEN 1 WHEN m.deadline_state = 'on_track' THEN 2 ELSE 3 END,
    CASE WHEN m.due_at IS NOT NULL AND m.deadline_state IN ('overdue', 'near_due', 'on_track')
         THEN m.due_at ELSE m.step_ready_at END
{joins}JOIN bench_task AS w ON w.dossier_id = b.template_id""",
    "bpmn_timer": """{series}
INSERT INTO bpmn_timer (dossier_id, task_id, spec_name, due_at)
SELECT {base} + s.i, x.task_id, x.spec_name, m.timer_due_at
{joins}JOIN bench_timer AS x ON x.dossier_id = b.template_id
WHERE m.timer_due_at IS NOT NULL""",
    "clock_pause": """{series}
INSERT INTO clock_pause (dossier_id, policy, reason, started_at, remaining_seconds,
    remaining_original_seconds, due_before)
SELECT {base} + s.i, p.policy, p.reason, m.paused_at, m.remaining_seconds, m.remaining_seconds, m.due_at
{joins}JOIN bench_pause AS p ON p.dossier_id = b.template_id
WHERE m.paused_at IS NOT NULL""",
    "outbox_event": """{series}
INSERT INTO outbox_event (id, type, subject, dossier_id, agency_code, channel, payload, created_at, status,
    attempts, next_attempt_at, delivered_at, delivered_to)
SELECT 'e0000000-0000-4000-8000-' || {pad}, e.type, {code}, {base} + s.i, t.agency_code, e.channel,
    {payload}, m.received_at, 'delivered', 1, m.received_at, m.received_at, 'bench'
{joins}JOIN bench_dossier AS t ON t.id = b.template_id
JOIN bench_event AS e ON e.dossier_id = b.template_id
WHERE m.received_at IS NOT NULL""",
}


def seed_statement(table: str, dialect: Dialect, slots: int) -> str:
    """The INSERT … SELECT that clones templates into `table` for clones lo <= i < hi."""
    return SEED_SQL[table].format(
        series=dialect.series,
        joins=_JOINS.format(slots=slots, grid=GRID),
        code=_CODE,
        base=ID_BASE,
        pad=dialect.pad12.format("s.i"),
        applicant=dialect.as_json.format(
            f"replace({dialect.json_text.format('t.applicant')}, "
            "COALESCE(t.applicant_id_number, '#'), '0' || CAST(10000000000 + s.i AS TEXT))"
        ),
        payload=dialect.as_json.format(f"replace({dialect.json_text.format('e.payload')}, t.code, {_CODE})"),
    )


BENCH_META = MetaData()
BENCH_SLOT = Table(
    "bench_slot",
    BENCH_META,
    Column("slot", Integer, primary_key=True),
    Column("template_id", Integer, nullable=False),
    Column("procedure", String, nullable=False),
    Column("state", String, nullable=False),
    Column("timer_iso", String, nullable=False),
)
BENCH_MOMENT = Table(
    "bench_moment",
    BENCH_META,
    Column("slot", Integer, primary_key=True),
    Column("j", Integer, primary_key=True),
    Column("day", String, nullable=False),
    Column("filed_at", UTCDateTime, nullable=False),
    Column("received_at", UTCDateTime),
    Column("due_at", UTCDateTime),
    Column("near_due_at", UTCDateTime),
    Column("paused_at", UTCDateTime),
    Column("updated_at", UTCDateTime, nullable=False),
    Column("deadline_state", String, nullable=False),
    Column("step_ready_at", UTCDateTime, nullable=False),
    Column("step_due_at", UTCDateTime),
    Column("step_reported", Boolean, nullable=False),
    Column("timer_due_at", UTCDateTime),
    Column("timer_iso", String, nullable=False),
    Column("remaining_seconds", Integer),
)
# Copies of the template rows, so that the clone statements never read the table they insert into.
TEMPLATE_COPIES = {
    "bench_dossier": "SELECT * FROM dossier WHERE id IN ({ids})",
    "bench_task": "SELECT * FROM work_task WHERE dossier_id IN ({ids})",
    "bench_timer": "SELECT * FROM bpmn_timer WHERE dossier_id IN ({ids})",
    "bench_pause": "SELECT * FROM clock_pause WHERE dossier_id IN ({ids})",
    "bench_event": "SELECT * FROM outbox_event WHERE dossier_id IN ({ids}) AND type = '{received}'",
}


# --- backends ------------------------------------------------------------------------------------------


@dataclass
class Backend:
    """A migrated, prepared database with a container on a FixedClock."""

    name: str
    url: str
    engine: Engine
    container: Container
    clock: FixedClock
    directory: Path
    server: PostgresServer | None = None

    @property
    def dialect(self) -> Dialect:
        """SQL spellings of this backend."""
        return DIALECTS[self.engine.dialect.name]

    @property
    def is_pg(self) -> bool:
        """PostgreSQL (else SQLite)."""
        return self.engine.dialect.name == "postgresql"

    def settings(self, interval: float) -> Settings:
        """Settings of the bench's containers."""
        return Settings(
            env="test",
            database_url=self.url,
            data_dir=self.directory,
            dev_secret="bench-secret-" + "x" * 32,
            processes_dir=ROOT / "processes",
            forms_dir=ROOT / "forms",
            worker_interval=interval,
        )

    def size_bytes(self) -> int:
        """Size of the database (PostgreSQL database, or SQLite file and WAL)."""
        if self.is_pg:
            with self.engine.connect() as conn:
                return int(conn.execute(text("SELECT pg_database_size(current_database())")).scalar_one())
        return sum(p.stat().st_size for p in self.directory.glob("bench.db*"))

    def close(self) -> None:
        """Dispose the engine and stop the server."""
        self.engine.dispose()
        if self.server is not None:
            self.server.stop()


PG_TUNING = {
    "shared_buffers": "1GB",
    "max_wal_size": "8GB",
    "checkpoint_timeout": "30min",
    "maintenance_work_mem": "512MB",
    "default_toast_compression": "lz4",  # halves the time to seed the instance documents
}


def start_postgres() -> tuple[PostgresServer, str]:
    """A throw-away server (tests/pg.py), given production-like memory and WAL settings, restarted."""
    server = PostgresServer.start()
    engine = make_engine(server.url, isolation_level="AUTOCOMMIT")
    with engine.connect() as conn:
        for name, value in PG_TUNING.items():
            conn.execute(text(f"ALTER SYSTEM SET {name} = '{value}'"))
    engine.dispose()
    data = server.directory / "data"
    server._run(server.bindir / "pg_ctl", "-D", str(data), "-m", "fast", "-w", "-t", "60", "restart")
    return server, server.url


def open_backend(name: str, directory: Path, interval: float) -> Backend:
    """Start (PostgreSQL) or create (SQLite) the database, migrate it and publish the procedures."""
    server = None
    if name == "pg":
        server, url = start_postgres()
    else:
        url = f"sqlite:///{directory / 'bench.db'}"
    engine = make_engine(url)
    upgrade(engine)
    clock = FixedClock(datetime.now(UTC))
    backend = Backend(name, url, engine, None, clock, directory, server)  # type: ignore[arg-type]
    backend.container = build(backend.settings(interval), clock=clock, engine=engine)
    backend.container.sink = NullSink()
    prepare(backend.container, migrate=False)
    return backend


# --- templates: real dossiers filed through the use cases --------------------------------------------------


@dataclass
class Template:
    """A real dossier at one resting point."""

    dossier_id: int
    procedure: str
    agency: str
    state: str
    timer_iso: str = NO_TIMER


def _filing(procedure: str, agency: str, online: bool, day: datetime) -> tuple[dict[str, Any], Actor]:
    if procedure == RESIDENCE:
        body = residence_filing(agency=agency, channel="online" if online else "counter")
    else:
        body = birth_filing(agency=agency, channel="online" if online else "counter")
        body["form"]["child"]["date_of_birth"] = (to_local(day) - timedelta(days=10)).date().isoformat()
    actor = citizen_of(body["applicant"]) if online else staff(Role.OFFICER, agency)
    return body, actor


def file_template(backend: Backend, procedure: str, agency: str, state: str) -> Template:
    """File one dossier and move it to `state` through the use cases, a few minutes per step."""
    services, clock, engine = backend.container.services, backend.clock, backend.engine
    online = state == "waiting_reception" or procedure == RESIDENCE
    body, actor = _filing(procedure, agency, online, clock.now())
    command = dossiers.FileDossier(
        procedure=procedure,
        agency=agency,
        channel=body["channel"],
        applicant=body["applicant"],
        form=body["form"],
        papers=body["papers"],
    )
    with unit_of_work(engine) as uow:
        row = dossiers.file_dossier(services, uow, actor, command)
        dossier_id, code = row.id, row.code
    assert dossier_id is not None
    if state != "waiting_reception" and online:
        clock.advance(timedelta(minutes=20))
        with unit_of_work(engine) as uow:
            dossiers.receive(services, uow, staff(Role.OFFICER, agency), code, copy.deepcopy(ACCEPT))
    if state in ("approval", "supplement"):
        clock.advance(timedelta(minutes=40))
        payload = PROPOSE_APPROVE if state == "approval" else ASK_SUPPLEMENT
        with unit_of_work(engine) as uow:
            task_id = uow.session.exec(
                select(WorkTaskRow.id).where(WorkTaskRow.dossier_id == dossier_id)
            ).one()
            tasks.complete(services, uow, staff(Role.SPECIALIST, agency), task_id, copy.deepcopy(payload))
    template = Template(dossier_id, procedure, agency, state)
    with unit_of_work(engine) as uow:
        stored = uow.session.get(DossierRow, dossier_id)
        assert stored is not None
        found = EVENT_VALUE.findall(stored.workflow_state)
        if found:
            if len(found) != 1:
                raise AssertionError(f"template {code}: expected one timer in the instance, found {found}")
            template.timer_iso = found[0].split(":", 1)[1].strip('"')
    return template


def make_templates(backend: Backend, anchor: datetime) -> list[Template]:
    """One template per procedure, agency and resting point, filed two weeks ahead of the start."""
    templates = []
    backend.clock.set(_next_working_morning(backend, anchor + TEMPLATE_AHEAD))
    for procedure in PROCEDURES:
        for agency in AGENCIES:
            for state, _ in STATES:
                templates.append(file_template(backend, procedure, agency, state))
    worker.deliver_outbox(backend.container)  # their events: delivered before anything is measured
    return templates


def _next_working_morning(backend: Backend, moment: datetime) -> datetime:
    with unit_of_work(backend.engine) as uow:
        calendar = calendar_for(uow, BA_DINH)
    day = to_local(moment).date()
    while not calendar.is_working_day(day):
        day += timedelta(days=1)
    return datetime.fromisoformat(f"{day.isoformat()}T09:00:00+07:00")


# --- the time grid: realistic due times computed with the engine's calendar -------------------------------


@dataclass
class Moments:
    """Thresholds of one clone, computed like the engine does at receipt and at each step."""

    calendar: WorkingCalendar
    definition: ProcedureDefinition
    share: float
    anchor: datetime
    rng: random.Random

    def working_before(self, hours: float) -> datetime:
        """A random working moment within `hours` working hours before the start."""
        return self.calendar.subtract_working_time(
            self.anchor, timedelta(seconds=self.rng.uniform(60, hours * 3600))
        )

    def thresholds(self, received: datetime) -> tuple[datetime, datetime]:
        """Due time and near-due moment (as progress.near_due_moment computes it)."""
        deadline = self.definition.deadline
        due = self.calendar.due(received, deadline.amount, deadline.unit, deadline.cutoff)
        budget = self.calendar.working_time_between(due.start, due.due)
        return due.due, self.calendar.subtract_working_time(due.due, budget * self.share)

    def step_due(self, step: str, ready: datetime) -> datetime | None:
        """The due time of a step (as progress._step_due computes it)."""
        hours = self.definition.budgets.get(step)
        if hours is None:
            return None
        start, _ = self.calendar.start_of_count(ready)
        return self.calendar.add_working_time(start, timedelta(hours=hours))

    def later(self, start: datetime) -> datetime:
        """A working moment between `start` and the bench's start."""
        span = self.calendar.working_time_between(start, self.anchor)
        return self.calendar.add_working_time(start, span * self.rng.uniform(0.05, 0.95))

    def level(self, due: datetime, near: datetime) -> str:
        """What the scan has already reported at the start."""
        if due < self.anchor:
            return "overdue"
        return "near_due" if near <= self.anchor else "on_track"

    def sample(self, procedure: str, state: str) -> dict[str, Any]:
        """One clone's times and levels at a resting point."""
        row: dict[str, Any] = {"received_at": None, "due_at": None, "near_due_at": None, "paused_at": None}
        row.update(deadline_state="on_track", timer_due_at=None, timer_iso=NO_TIMER, remaining_seconds=None)
        if state == "waiting_reception":
            filed = self.working_before(16)
            row.update(filed_at=filed, step_ready_at=filed, step="reception")
        else:
            received = self.working_before(LOOKBACK_HOURS[procedure])
            due, near = self.thresholds(received)
            row.update(filed_at=received, received_at=received, due_at=due, near_due_at=near)
            row.update(deadline_state=self.level(due, near), step_ready_at=received, step=state)
            if state in ("approval", "supplement"):
                row["step_ready_at"] = self.later(received)
            if state == "supplement" and procedure == RESIDENCE:
                paused = row["step_ready_at"]
                timer = paused + timedelta(days=30)  # the boundary timer P30D, from the pause
                remaining = self.calendar.working_time_between(paused, due) if due > paused else timedelta()
                row.update(paused_at=paused, deadline_state="paused", timer_due_at=timer)
                row.update(timer_iso=timer.isoformat(), remaining_seconds=int(remaining.total_seconds()))
        step_due = self.step_due(row.pop("step"), row["step_ready_at"])
        row.update(step_due_at=step_due, step_reported=step_due is not None and step_due <= self.anchor)
        row["updated_at"] = max(m for m in (row["step_ready_at"], row["received_at"]) if m is not None)
        row["day"] = to_local(row["filed_at"]).strftime("%y%m%d")
        return row

    def clear(self, row: dict[str, Any]) -> bool:
        """True when no threshold of the row falls between just before the start and the guard after it."""
        low, high = self.anchor - timedelta(minutes=1), self.anchor + GUARD
        moments = [row["due_at"], row["step_due_at"], row["timer_due_at"]]
        if row["deadline_state"] != "paused":
            moments.append(row["near_due_at"])
        return not any(m is not None and low < m <= high for m in moments)


def build_grid(backend: Backend, templates: list[Template], anchor: datetime, seed: int = 7) -> int:
    """Write bench_slot and bench_moment; return the number of slots (a clone's slot is i % slots)."""
    BENCH_META.drop_all(backend.engine)
    BENCH_META.create_all(backend.engine)
    rng = random.Random(seed)
    share = backend.container.services.near_due_share
    slots: list[dict[str, Any]] = []
    moments: list[dict[str, Any]] = []
    weights = dict(STATES)
    with unit_of_work(backend.engine) as uow:
        for template in templates:
            calendar = calendar_for(uow, template.agency)
            definition = definition_of(current_version(uow, template.procedure))
            grid = Moments(calendar, definition, share, anchor, rng)
            for _ in range(weights[template.state]):
                slot = len(slots)
                slots.append(
                    {
                        "slot": slot,
                        "template_id": template.dossier_id,
                        "procedure": template.procedure,
                        "state": template.state,
                        "timer_iso": template.timer_iso,
                    }
                )
                for j in range(GRID):
                    row = grid.sample(template.procedure, template.state)
                    while not grid.clear(row):
                        row = grid.sample(template.procedure, template.state)
                    moments.append({"slot": slot, "j": j, **row})
    with backend.engine.begin() as conn:
        conn.execute(BENCH_SLOT.insert(), slots)
        conn.execute(BENCH_MOMENT.insert(), moments)
        ids = ", ".join(str(t.dossier_id) for t in templates)
        for table, query in TEMPLATE_COPIES.items():
            conn.execute(text(f"DROP TABLE IF EXISTS {table}"))
            received = EventType.RECEIVED.cloud_type
            conn.execute(text(f"CREATE TABLE {table} AS " + query.format(ids=ids, received=received)))
    return len(slots)


# --- seeding -------------------------------------------------------------------------------------------


@dataclass
class Population:
    """The seeded clones: how many, and which slots rest where (for choosing crossers)."""

    slots: list[dict[str, Any]]
    clones: int = 0
    used: set[int] = field(default_factory=set)
    rng: random.Random = field(default_factory=lambda: random.Random(11))

    def pick(self, count: int, want: Callable[[dict[str, Any]], bool]) -> list[int]:
        """Dossier ids of `count` unused clones whose slot satisfies `want`."""
        fitting = [s["slot"] for s in self.slots if want(s)]
        rounds = self.clones // len(self.slots)
        chosen: list[int] = []
        while len(chosen) < count:
            i = self.rng.choice(fitting) + len(self.slots) * self.rng.randrange(rounds)
            if i not in self.used:
                self.used.add(i)
                chosen.append(ID_BASE + i)
        return chosen


def seed_to(backend: Backend, population: Population, target: int) -> float:
    """Add clones until `target` (clones + templates) are open; ANALYZE. Returns the seconds spent."""
    started = time.perf_counter()
    slots = len(population.slots)
    want = target - templates_count(backend)
    want -= want % slots  # whole rounds of slots, so every resting point keeps its share
    statements = {table: text(seed_statement(table, backend.dialect, slots)) for table in SEED_SQL}

    def insert(lo: int, hi: int) -> None:
        with backend.engine.begin() as conn:
            for statement in statements.values():
                conn.execute(statement, {"lo": lo, "hi": hi})

    chunks = [(lo, min(want, lo + CHUNK)) for lo in range(population.clones, want, CHUNK)]
    # PostgreSQL takes chunks on two connections at once (one backend process each); SQLite has one writer.
    with ThreadPoolExecutor(max_workers=2 if backend.is_pg else 1) as pool:
        for done, _ in enumerate(pool.map(lambda chunk: insert(*chunk), chunks), start=1):
            log(f"{backend.name}: seeded {done}/{len(chunks)} chunks ({time.perf_counter() - started:.0f} s)")
    population.clones = want
    # What the worker's fold would leave after the seeding's triggers, without folding a million deltas in
    # the idle cycles that are timed.
    with unit_of_work(backend.engine) as uow:
        tally.rebuild(uow)
    if backend.is_pg:
        engine = make_engine(backend.url, isolation_level="AUTOCOMMIT")
        with engine.connect() as conn:
            conn.execute(text("SELECT setval(pg_get_serial_sequence('dossier', 'id'), max(id)) FROM dossier"))
            log(f"{backend.name}: VACUUM ANALYZE")
            for table in BIG_TABLES:
                conn.execute(text(f"VACUUM (ANALYZE) {table}"))
        engine.dispose()
    else:
        log(f"{backend.name}: ANALYZE")
        with backend.engine.begin() as conn:
            conn.execute(text("ANALYZE"))
    return time.perf_counter() - started


def templates_count(backend: Backend) -> int:
    """Dossiers that are not clones (the templates)."""
    with backend.engine.connect() as conn:
        return int(conn.execute(text(f"SELECT count(*) FROM dossier WHERE id < {ID_BASE}")).scalar_one())


def open_count(backend: Backend) -> int:
    """Open dossiers in the database."""
    with backend.engine.connect() as conn:
        query = select(func.count()).select_from(DossierRow).where(col(DossierRow.status).in_(sorted(OPEN)))
        return int(conn.execute(query).scalar_one())


# --- planting threshold crossers --------------------------------------------------------------------------


@dataclass(frozen=True)
class Mix:
    """How many crossers of each kind a cycle gets."""

    overdue: int
    near_due: int
    steps: int
    timers: int

    @classmethod
    def of(cls, total: int) -> Mix:
        """Split a total: 5 % timers, 15 % step overruns, the rest half overdue, half near due."""
        timers = max(1, total // 20) if total else 0
        steps = total * 15 // 100
        near = (total - timers - steps) // 2
        return cls(total - timers - steps - near, near, steps, timers)

    @property
    def total(self) -> int:
        """All crossers."""
        return self.overdue + self.near_due + self.steps + self.timers


@dataclass
class Planted:
    """Which dossiers were given which threshold, and when it passes."""

    overdue: dict[int, datetime] = field(default_factory=dict)
    near_due: dict[int, datetime] = field(default_factory=dict)
    steps: dict[int, datetime] = field(default_factory=dict)
    timers: dict[int, datetime] = field(default_factory=dict)


def _at_step(slot: dict[str, Any]) -> bool:
    return slot["state"] in ("appraisal", "approval")


def _with_timer(slot: dict[str, Any]) -> bool:
    return slot["timer_iso"] != NO_TIMER


def plant(
    backend: Backend, population: Population, mix: Mix, moment: Callable[[int, int], datetime]
) -> Planted:
    """Give fresh clones thresholds at `moment(k, n)` (k-th of n of a kind), in one transaction."""
    planted = Planted()
    for kind, count, want in (
        ("overdue", mix.overdue, _at_step),
        ("near_due", mix.near_due, _at_step),
        ("steps", mix.steps, _at_step),
        ("timers", mix.timers, _with_timer),
    ):
        ids = population.pick(count, want)
        getattr(planted, kind).update({dossier_id: moment(k, count) for k, dossier_id in enumerate(ids)})
    with backend.engine.begin() as conn:
        for dossier_id, at in planted.overdue.items():  # already reported near due; now the due time passes
            conn.execute(
                DOSSIER.update()
                .where(DOSSIER.c.id == dossier_id)
                .values(deadline_state="near_due", near_due_at=at - timedelta(hours=4), due_at=at)
            )
        for dossier_id, at in planted.near_due.items():
            conn.execute(
                DOSSIER.update()
                .where(DOSSIER.c.id == dossier_id)
                .values(deadline_state="on_track", near_due_at=at, due_at=at + timedelta(days=1))
            )
        for dossier_id, at in planted.steps.items():
            conn.execute(
                TASK.update().where(TASK.c.dossier_id == dossier_id).values(overdue_reported=False, due_at=at)
            )
        for dossier_id, at in planted.timers.items():  # the instance document and the timer index alike
            state = conn.execute(
                select(DOSSIER.c.workflow_state).where(DOSSIER.c.id == dossier_id)
            ).scalar_one()
            state, found = EVENT_VALUE.subn(f'"event_value":"{at.isoformat()}"', state, count=1)
            if found != 1:
                raise AssertionError(f"dossier {dossier_id}: no timer in the instance")
            conn.execute(DOSSIER.update().where(DOSSIER.c.id == dossier_id).values(workflow_state=state))
            conn.execute(TIMER.update().where(TIMER.c.dossier_id == dossier_id).values(due_at=at))
    return planted


# --- timing one cycle -----------------------------------------------------------------------------------


def timed_scan(container: Container) -> tuple[dict[str, float], dict[str, int]]:
    """The worker's scan steps once, in the worker's order; seconds and count per step."""
    spent: dict[str, float] = {}
    done: dict[str, int] = {}
    for name, step in SCAN_STEPS:
        started = time.perf_counter()
        done[name] = step(container)
        spent[name] = time.perf_counter() - started
    return spent, done


def drain(container: Container) -> tuple[float, float, int]:
    """Deliver rounds (the worker's outbox step) until nothing is due: first round, all rounds, events."""
    first = total = 0.0
    delivered = rounds = 0
    while True:
        started = time.perf_counter()
        count = worker.deliver_outbox(container)
        spent = time.perf_counter() - started
        if count == 0:
            return first, total, delivered
        first = spent if rounds == 0 else first
        total += spent
        delivered += count
        rounds += 1


def expected_counts(mix: Mix) -> dict[str, int]:
    """What each step must report for a planted mix."""
    return {
        "timers": mix.timers,
        "overdue": mix.overdue,
        "near_due": mix.near_due,
        "step_overruns": mix.steps,
    }


@dataclass
class SizeRun:
    """Everything measured at one size."""

    label: str
    open: int = 0
    seed_seconds: float = 0.0
    db_bytes: int = 0
    idle: list[float] = field(default_factory=list)
    cycles: list[float] = field(default_factory=list)
    steps: dict[str, list[float]] = field(default_factory=dict)
    mismatches: list[str] = field(default_factory=list)
    delivery_first: list[float] = field(default_factory=list)
    delivery_all: list[float] = field(default_factory=list)
    delivered: list[int] = field(default_factory=list)
    summary: list[float] = field(default_factory=list)
    plans: list[Plan] = field(default_factory=list)
    proposals: list[Plan] = field(default_factory=list)
    statements: dict[str, int] = field(default_factory=dict)

    def as_dict(self) -> dict[str, Any]:
        """The figures of this size."""
        return {
            "open_dossiers": self.open,
            "seed_seconds": round(self.seed_seconds, 1),
            "database_bytes": self.db_bytes,
            "cycle": stats_ms(self.cycles),
            "idle_cycle": stats_ms(self.idle),
            "steps": {name: stats_ms(values) for name, values in self.steps.items()},
            "delivery_first_round": stats_ms(self.delivery_first),
            "delivery_all_rounds": stats_ms(self.delivery_all),
            "events_delivered_per_cycle": self.delivered,
            "summary": stats_ms(self.summary),
            "mismatches": self.mismatches,
            "statements_per_planted_cycle": self.statements,
            "plans": [plan.as_dict() for plan in self.plans],
            "proposals": [plan.as_dict() for plan in self.proposals],
        }


def planted_cycle(backend: Backend, population: Population, mix: Mix) -> Planted:
    """Advance the FixedClock one step and plant the mix just behind it."""
    backend.clock.advance(CYCLE_STEP)
    now = backend.clock.now()
    return plant(backend, population, mix, lambda _k, _n: now - PLANT_LEAD)


def measure(
    backend: Backend, population: Population, mix: Mix, run: SizeRun, args: argparse.Namespace
) -> None:
    """Idle cycles, planted cycles with delivery, the summary, and the plans, at the current size."""
    container = backend.container
    planted_cycle(backend, population, mix)
    timed_scan(container)  # warm-up: caches, prepared plans
    drain(container)
    for _ in range(args.idle_reps):
        backend.clock.advance(CYCLE_STEP)
        spent, done = timed_scan(container)
        run.idle.append(sum(spent.values()))
        if any(done.values()):
            run.mismatches.append(f"idle cycle found {done}")
    for _ in range(args.reps):
        planted_cycle(backend, population, mix)
        spent, done = timed_scan(container)
        run.cycles.append(sum(spent.values()))
        for name, seconds in spent.items():
            run.steps.setdefault(name, []).append(seconds)
        if done != expected_counts(mix):
            run.mismatches.append(f"cycle found {done}, planted {expected_counts(mix)}")
        first, total, delivered = drain(container)
        run.delivery_first.append(first)
        run.delivery_all.append(total)
        run.delivered.append(delivered)
    for _ in range(3):
        started = time.perf_counter()
        with unit_of_work(backend.engine) as uow:
            ioc.summary(uow, IOC_READER, backend.clock.now())
        run.summary.append(time.perf_counter() - started)
    explain_cycle(backend, population, mix, run)


# --- plans ----------------------------------------------------------------------------------------------


@dataclass
class Plan:
    """The plan of one statement a step sent, and what it says about full reads."""

    step: str
    table: str
    statement: str
    lines: list[str]
    indexes: list[str]
    full_scans: list[str]
    rows_read: int | None = None
    execution_ms: float | None = None

    def as_dict(self) -> dict[str, Any]:
        """For --json."""
        return {
            "step": self.step,
            "table": self.table,
            "statement": self.statement,
            "indexes": self.indexes,
            "full_scans": self.full_scans,
            "rows_read": self.rows_read,
            "execution_ms": self.execution_ms,
            "plan": self.lines,
        }


_FROM = re.compile(r"\bFROM (\w+)")


def short_sql(statement: str) -> str:
    """The statement on one line, with its column list elided."""
    flat = " ".join(statement.split())
    return re.sub(r"^SELECT .*? FROM ", "SELECT … FROM ", flat, count=1)


def _pg_nodes(node: dict[str, Any]) -> Iterator[dict[str, Any]]:
    yield node
    for child in node.get("Plans", ()):
        yield from _pg_nodes(child)


def explain_pg(
    cursor: Any, statement: str, parameters: Any
) -> tuple[list[str], list[str], list[str], int, float]:
    """EXPLAIN (ANALYZE, BUFFERS): text lines, indexes, full reads, rows the scans touched, execution ms."""
    cursor.execute("EXPLAIN (ANALYZE, BUFFERS, FORMAT JSON) " + statement, parameters)
    raw = cursor.fetchone()[0]
    document = (raw if isinstance(raw, list) else json.loads(raw))[0]
    indexes: list[str] = []
    full: list[str] = []
    rows = 0
    for node in _pg_nodes(document["Plan"]):
        kind, relation = node["Node Type"], node.get("Relation Name")
        if "Index Name" in node:
            indexes.append(node["Index Name"])
        if relation in BIG_TABLES and kind == "Seq Scan":
            full.append(f"Seq Scan on {relation}")
        if relation in BIG_TABLES and kind in ("Index Scan", "Index Only Scan") and "Index Cond" not in node:
            full.append(f"whole index {node['Index Name']} on {relation}")
        if kind.endswith("Scan") and "Actual Rows" in node:
            touched = node["Actual Rows"] + node.get("Rows Removed by Filter", 0)
            rows += int(touched * node.get("Actual Loops", 1))
    cursor.execute("EXPLAIN (ANALYZE, BUFFERS) " + statement, parameters)
    lines = [row[0] for row in cursor.fetchall()]
    return lines, indexes, full, rows, float(document.get("Execution Time", 0.0))


def explain_sqlite(cursor: Any, statement: str, parameters: Any) -> tuple[list[str], list[str], list[str]]:
    """EXPLAIN QUERY PLAN: indented lines, indexes, full reads."""
    cursor.execute("EXPLAIN QUERY PLAN " + statement, parameters)
    depth: dict[int, int] = {0: 0}
    lines: list[str] = []
    indexes: list[str] = []
    full: list[str] = []
    for node, parent, _unused, detail in cursor.fetchall():
        depth[node] = depth.get(parent, 0) + 1
        lines.append("  " * (depth[node] - 1) + detail)
        indexes += re.findall(r"USING (?:COVERING )?INDEX (\w+)", detail)
        if "INTEGER PRIMARY KEY" in detail:
            indexes.append("rowid")
        scanned = re.match(r"SCAN (\w+)", detail)
        if scanned and scanned.group(1) in BIG_TABLES:
            full.append(detail)
    return lines, indexes, full


@dataclass
class Capture:
    """Plans of the SELECTs on big tables, explained as the steps send them."""

    is_pg: bool
    step: str | None = None
    plans: list[Plan] = field(default_factory=list)
    seen: set[tuple[str, str]] = field(default_factory=set)
    statements: dict[str, int] = field(default_factory=dict)

    def before(self, _conn: Any, cursor: Any, statement: str, parameters: Any, *_rest: Any) -> None:
        """before_cursor_execute: explain on the same connection, with the same parameters, first."""
        if self.step is not None:
            self.statements[self.step] = self.statements.get(self.step, 0) + 1
        table = _FROM.search(statement)
        if self.step is None or not statement.lstrip().upper().startswith("SELECT") or table is None:
            return
        if table.group(1) not in BIG_TABLES or (self.step, statement) in self.seen:
            return
        self.seen.add((self.step, statement))
        plan = Plan(self.step, table.group(1), short_sql(statement), [], [], [])
        if self.is_pg:
            plan.lines, plan.indexes, plan.full_scans, plan.rows_read, plan.execution_ms = explain_pg(
                cursor, statement, parameters
            )
        else:
            plan.lines, plan.indexes, plan.full_scans = explain_sqlite(cursor, statement, parameters)
        self.plans.append(plan)


@contextmanager
def capturing(engine: Engine, is_pg: bool) -> Iterator[Capture]:
    """Explain every new SELECT on a big table while the block runs."""
    capture = Capture(is_pg)
    event.listen(engine, "before_cursor_execute", capture.before)
    try:
        yield capture
    finally:
        event.remove(engine, "before_cursor_execute", capture.before)


def explain_cycle(backend: Backend, population: Population, mix: Mix, run: SizeRun) -> None:
    """One more planted cycle (not timed) with every statement explained; then the delivery and summary."""
    planted_cycle(backend, population, mix)
    run.proposals = explain_proposals(backend)
    container = backend.container
    with capturing(backend.engine, backend.is_pg) as capture:
        for name, step in SCAN_STEPS:
            capture.step = name
            step(container)
        capture.step = "outbox"
        worker.deliver_outbox(container)
        capture.step = "summary"
        with unit_of_work(backend.engine) as uow:
            ioc.summary(uow, IOC_READER, backend.clock.now())
    drain(container)
    run.plans, run.statements = capture.plans, capture.statements


_OVERDUE = "SELECT * FROM dossier WHERE deadline_state IN ('on_track', 'near_due') AND due_at < {now}"
# Other spellings of the batch queries (and indexes), explained with a cycle's crossers in place, inside a
# transaction that is rolled back: what the scan would read if the engine asked so. Never run by the engine.
PROPOSALS: tuple[tuple[str, str, str | None, tuple[str, ...]], ...] = (
    (
        "near_due ordered by near_due_at (existing ix_dossier_watch)",
        "SELECT * FROM dossier WHERE deadline_state IN ('on_track') AND near_due_at <= {now} "
        "AND due_at > {now} ORDER BY near_due_at LIMIT 200",
        None,
        ("pg", "sqlite"),
    ),
    (
        "overdue ordered by due_at (existing ix_dossier_due_watch)",
        _OVERDUE + " ORDER BY due_at LIMIT 200",
        None,
        ("pg", "sqlite"),
    ),
    (
        "overdue one level at a time (here: near_due), ordered by due_at (existing ix_dossier_due_watch)",
        "SELECT * FROM dossier WHERE deadline_state = 'near_due' AND due_at < {now} "
        "ORDER BY due_at LIMIT 200",
        None,
        ("pg", "sqlite"),
    ),
    (
        "overdue ordered by due_at, with a partial index",
        _OVERDUE + " ORDER BY due_at LIMIT 200",
        "CREATE INDEX ix_bench_overdue_watch ON dossier (due_at) "
        "WHERE deadline_state IN ('on_track', 'near_due')",
        ("pg", "sqlite"),
    ),
    (
        "outbox claim as is, with an index (status, channel, seq)",
        "SELECT * FROM outbox_event WHERE status = 'pending' AND channel = 'ioc' "
        "AND next_attempt_at <= {now} ORDER BY seq LIMIT 50",
        "CREATE INDEX ix_bench_outbox_pending_seq ON outbox_event (status, channel, seq)",
        ("sqlite",),
    ),
)


def explain_proposals(backend: Backend) -> list[Plan]:
    """Explain the PROPOSALS at the FixedClock's now, each in a rolled-back transaction."""
    plans = []
    now = backend.clock.now()
    for label, sql, index, backends in PROPOSALS:
        if backend.name not in backends:
            continue
        with backend.engine.connect() as conn:
            transaction = conn.begin()
            try:
                if index:
                    conn.execute(text(index))
                cursor = conn.connection.dbapi_connection.cursor()  # type: ignore[union-attr]
                plan = Plan(label, _FROM.findall(sql)[0], sql.format(now=":now"), [], [], [])
                if backend.is_pg:
                    statement = sql.format(now="%(now)s") + " FOR UPDATE SKIP LOCKED"
                    plan.lines, plan.indexes, plan.full_scans, plan.rows_read, plan.execution_ms = explain_pg(
                        cursor, statement, {"now": now}
                    )
                else:
                    stored = (
                        now.astimezone(UTC).replace(tzinfo=None).isoformat(sep=" ", timespec="microseconds")
                    )
                    plan.lines, plan.indexes, plan.full_scans = explain_sqlite(
                        cursor, sql.format(now=":now"), {"now": stored}
                    )
                plans.append(plan)
            finally:
                transaction.rollback()
    return plans


def batch_plan(plans: list[Plan], step: str) -> Plan | None:
    """The first statement of a step on its main table: the batch query."""
    table = EXPECTED_INDEX[step][0]
    return next((p for p in plans if p.step == step and p.table == table), None)


def plan_problems(plans: list[Plan]) -> list[str]:
    """Why the scan's plans do not stay on indexes (empty when they do): one line per statement."""
    problems = []
    batches = []
    for step, (_table, index) in EXPECTED_INDEX.items():
        plan = batch_plan(plans, step)
        if plan is None:
            problems.append(f"{step}: batch query not seen")
            continue
        batches.append(plan)
        if not set(index.split("|")) & set(plan.indexes) or plan.full_scans:
            how = ", ".join(plan.full_scans) or f"uses {', '.join(plan.indexes) or 'no index'}"
            rows = f", rows read {plan.rows_read:,}" if plan.rows_read is not None else ""
            problems.append(f"{step}: batch query not on {index} ({how}{rows})")
    for plan in plans:
        if plan.step != "summary" and plan.full_scans and not any(plan is b for b in batches):
            problems.append(f"{plan.step}: {', '.join(plan.full_scans)} in {plan.statement[:100]}")
    return problems


# --- lateness under load ----------------------------------------------------------------------------------


@dataclass
class Load:
    """Files permanent-residence dossiers and moves them through their four steps, until stopped."""

    container: Container
    stop: threading.Event = field(default_factory=threading.Event)
    steps: int = 0
    errors: list[str] = field(default_factory=list)

    def _complete(self, dossier_id: int, step: str, role: Role, payload: dict[str, Any]) -> None:
        services = self.container.services
        with unit_of_work(self.container.engine) as uow:
            task_id = uow.session.exec(
                select(WorkTaskRow.id).where(WorkTaskRow.dossier_id == dossier_id, WorkTaskRow.step == step)
            ).one()
            tasks.complete(services, uow, staff(role, BA_DINH), task_id, copy.deepcopy(payload))
        self.steps += 1

    def lifecycle(self) -> None:
        """File online, receive, appraise, approve, return."""
        body = residence_filing(agency=BA_DINH)
        command = dossiers.FileDossier(
            procedure=RESIDENCE,
            agency=BA_DINH,
            applicant=body["applicant"],
            form=body["form"],
            papers=body["papers"],
        )
        with unit_of_work(self.container.engine) as uow:
            row = dossiers.file_dossier(self.container.services, uow, citizen_of(body["applicant"]), command)
            dossier_id = row.id
        assert dossier_id is not None
        self.steps += 1
        for step, role, payload in (
            ("reception", Role.OFFICER, ACCEPT),
            ("appraisal", Role.SPECIALIST, PROPOSE_APPROVE),
            ("approval", Role.LEADER, APPROVE),
            ("return", Role.OFFICER, RETURN_AT_COUNTER),
        ):
            if self.stop.is_set():
                return
            self._complete(dossier_id, step, role, payload)

    def run(self) -> None:
        """Lifecycles until stopped; errors are kept, not raised."""
        while not self.stop.is_set():
            try:
                self.lifecycle()
            except Exception as exc:  # noqa: BLE001 — reported in the output
                self.errors.append(f"{type(exc).__name__}: {exc}")
                time.sleep(0.1)


@dataclass
class WorkerLoop:
    """`run_cycle` every `interval` seconds (as portal.worker.Worker.run), timing each cycle."""

    container: Container
    interval: float
    stop: threading.Event = field(default_factory=threading.Event)
    cycles: list[float] = field(default_factory=list)
    failed: list[str] = field(default_factory=list)

    def run(self) -> None:
        """Cycles until stopped."""
        while not self.stop.is_set():
            started = time.perf_counter()
            result = worker.run_cycle(self.container)
            self.cycles.append(time.perf_counter() - started)
            self.failed.extend(f"{k}: {v}" for k, v in result.failed.items())
            self.stop.wait(self.interval)


LATE_LEAD = 3.0  # seconds from planting to the first planted moment
LATE_SPREAD = 8.0  # planted moments are spread over this many seconds
LATE_PATIENCE = 60.0  # seconds to wait, after the last moment, for the last report


def lateness(backend: Backend, population: Population, mix: Mix, interval: float) -> dict[str, Any]:
    """The real worker loop on the SystemClock under load; how late each planted moment was reported."""
    container = build(backend.settings(interval), clock=SystemClock(), engine=backend.engine)
    container.sink = NullSink()
    loop = WorkerLoop(container, interval)
    load = Load(container)
    threads = [threading.Thread(target=t.run, daemon=True) for t in (load, loop)]
    for thread in threads:
        thread.start()
    time.sleep(2 * interval)
    start = datetime.now(UTC) + timedelta(seconds=LATE_LEAD)
    planted = plant(
        backend, population, mix, lambda k, n: start + timedelta(seconds=LATE_SPREAD * k / max(n, 1))
    )
    steps_before, started = load.steps, time.perf_counter()
    time.sleep(LATE_LEAD + LATE_SPREAD + interval)
    # Then until every planted moment was reported, or LATE_PATIENCE more seconds.
    waited = time.perf_counter()
    while read_lateness(backend, planted)["missing"] and time.perf_counter() - waited < LATE_PATIENCE:
        time.sleep(0.5)
    loop.stop.set()
    load.stop.set()
    for thread in threads:
        thread.join(timeout=60)
    load_seconds = time.perf_counter() - started
    late = read_lateness(backend, planted)
    everything = [v for values in late["seconds"].values() for v in values]
    return {
        "interval_seconds": interval,
        "planted": {k: len(getattr(planted, k)) for k in ("overdue", "near_due", "steps", "timers")},
        "by_kind": {kind: _late_stats(values) for kind, values in late["seconds"].items()},
        "all": _late_stats(everything),
        "missing": late["missing"],
        "worker_cycles": stats_ms(loop.cycles),
        "worker_failures": loop.failed[:5],
        "load_steps_per_second": round((load.steps - steps_before) / load_seconds, 1),
        "load_errors": load.errors[:5],
        "load_error_count": len(load.errors),
    }


def _late_stats(values: list[float]) -> dict[str, float]:
    if not values:
        return {"count": 0}
    return {
        "count": len(values),
        "p50_s": round(statistics.median(values), 3),
        "p95_s": round(percentile(values, 0.95), 3),
        "max_s": round(max(values), 3),
    }


def read_lateness(backend: Backend, planted: Planted) -> dict[str, Any]:
    """Seconds from each planted moment to its report (outbox created_at, or the status change to 8)."""
    kinds = {
        EventType.OVERDUE.cloud_type: ("overdue", planted.overdue),
        EventType.NEAR_DUE.cloud_type: ("near_due", planted.near_due),
        EventType.STEP_OVERDUE.cloud_type: ("steps", planted.steps),
    }
    seconds: dict[str, list[float]] = {"overdue": [], "near_due": [], "steps": [], "timers": []}
    seen: dict[str, set[int]] = {kind: set() for kind in seconds}
    with unit_of_work(backend.engine) as uow:
        for cloud_type, (kind, moments) in kinds.items():
            for dossier_id, created in uow.session.exec(
                select(OutboxEventRow.dossier_id, OutboxEventRow.created_at).where(
                    col(OutboxEventRow.dossier_id).in_(list(moments)), OutboxEventRow.type == cloud_type
                )
            ).all():
                assert dossier_id is not None
                seconds[kind].append((created - moments[dossier_id]).total_seconds())
                seen[kind].add(dossier_id)
        for dossier_id, at in uow.session.exec(
            select(StatusChangeRow.dossier_id, StatusChangeRow.at).where(
                col(StatusChangeRow.dossier_id).in_(list(planted.timers)), StatusChangeRow.to_status == 8
            )
        ).all():
            seconds["timers"].append((at - planted.timers[dossier_id]).total_seconds())
            seen["timers"].add(dossier_id)
    wanted = {"overdue": planted.overdue, "near_due": planted.near_due, "steps": planted.steps}
    wanted["timers"] = planted.timers
    missing = {kind: len(set(moments) - seen[kind]) for kind, moments in wanted.items()}
    return {"seconds": seconds, "missing": {k: v for k, v in missing.items() if v}}


# --- one backend, start to end -----------------------------------------------------------------------------


def run_backend(name: str, small: int, large: int, args: argparse.Namespace) -> dict[str, Any]:
    """Templates, seed small, measure, grow to large, measure, lateness; the figures."""
    mix = Mix.of(args.crossers)
    with tempfile.TemporaryDirectory(prefix="motcua-scan-") as tmp:
        log(f"{name}: starting the database, migrating, publishing the procedures")
        backend = open_backend(name, Path(tmp), args.interval)
        try:
            anchor = datetime.now(UTC).replace(microsecond=0)
            templates = make_templates(backend, anchor)
            slots = build_grid(backend, templates, anchor)
            with backend.engine.connect() as conn:
                rows = conn.execute(select(BENCH_SLOT)).mappings().all()
            population = Population([dict(r) for r in rows])
            backend.clock.set(anchor)
            log(f"{name}: {len(templates)} templates, {slots} slots × {GRID} time samples; anchor {anchor}")
            runs = []
            for label, size in (("small", small), ("large", large)):
                run = SizeRun(label)
                run.seed_seconds = seed_to(backend, population, size)
                run.open, run.db_bytes = open_count(backend), backend.size_bytes()
                log(f"{name}: {run.open:,} open; timing {args.reps} cycles of {mix.total} crossers")
                measure(backend, population, mix, run, args)
                runs.append(run)
            log(f"{name}: lateness under load for ~{LATE_LEAD + LATE_SPREAD + 3 * args.interval + 4:.0f} s")
            late = lateness(backend, population, Mix.of(args.late), args.interval)
            version = _server_version(backend)
        finally:
            backend.close()
    return summarize(name, version, mix, runs, late)


def _server_version(backend: Backend) -> str:
    with backend.engine.connect() as conn:
        if backend.is_pg:
            return "PostgreSQL " + str(conn.execute(text("SHOW server_version")).scalar_one()).split()[0]
        return "SQLite " + str(conn.execute(text("SELECT sqlite_version()")).scalar_one())


def _ratio(large: float, small: float) -> float:
    return round(large / small, 3) if small else 0.0


def summarize(name: str, version: str, mix: Mix, runs: list[SizeRun], late: dict[str, Any]) -> dict[str, Any]:
    """Figures, ratios and verdicts of one backend."""
    small, large = runs
    cycle_ratio = _ratio(statistics.median(large.cycles), statistics.median(small.cycles))
    problems = list(
        dict.fromkeys(
            [f"{small.open:,} open: {p}" for p in plan_problems(small.plans)]
            + [f"{large.open:,} open: {p}" for p in plan_problems(large.plans)]
        )
    )
    cycle_p50 = ms(statistics.median(large.cycles))
    worst = late["all"].get("max_s")
    targets: dict[str, Any] = {
        "ratio_large_to_small": {"target": f"<= {TARGET_RATIO}", "value": cycle_ratio},
        "plans_use_indexes": {
            "target": "batch queries on their index, no full read",
            "value": "ok" if not problems else f"{len(problems)} problems",
            "problems": problems,
            "met": not problems,
        },
        "lateness_max_s": {
            "target": f"<= {late['interval_seconds']:g} s (one interval)",
            "value": worst,
            "met": worst is not None and not late["missing"] and worst <= late["interval_seconds"],
        },
    }
    targets["ratio_large_to_small"]["met"] = cycle_ratio <= TARGET_RATIO
    if name == "pg":
        met = cycle_p50 <= TARGET_CYCLE_MS
        targets["cycle_p50_ms_large"] = {"target": f"<= {TARGET_CYCLE_MS:g}", "value": cycle_p50, "met": met}
    read = {}
    for step in EXPECTED_INDEX:
        before, after = batch_plan(small.plans, step), batch_plan(large.plans, step)
        if before and after and before.rows_read is not None and after.rows_read is not None:
            read[step] = {"small": before.rows_read, "large": after.rows_read}
    return {
        "backend": name,
        "server": version,
        "rows_read_by_batch_queries": read,
        "crossers_per_cycle": mix.__dict__ | {"total": mix.total},
        "sizes": {run.label: run.as_dict() for run in runs},
        "ratios_large_to_small": {
            "cycle": cycle_ratio,
            "idle_cycle": _ratio(statistics.median(large.idle), statistics.median(small.idle)),
            "delivery_first_round": _ratio(
                statistics.median(large.delivery_first), statistics.median(small.delivery_first)
            ),
            "delivery_all_rounds": _ratio(
                statistics.median(large.delivery_all), statistics.median(small.delivery_all)
            ),
            "summary": _ratio(statistics.median(large.summary), statistics.median(small.summary)),
            **{
                step: _ratio(statistics.median(large.steps[step]), statistics.median(small.steps[step]))
                for step in large.steps
            },
        },
        "lateness": late,
        "targets": targets,
        "machine": {"cpus": os.cpu_count(), "load_average": [round(x, 2) for x in os.getloadavg()]},
    }


# --- report ---------------------------------------------------------------------------------------------


def _verdict(met: bool) -> str:
    return "MET" if met else "NOT MET"


def _row(
    say: Callable[[str], None], label: str, small: dict[str, Any], large: dict[str, Any], ratio: float
) -> None:
    say(
        f"  {label:<34} {small['p50_ms']:9.1f} {small['max_ms']:9.1f}   {large['p50_ms']:9.1f} "
        f"{large['max_ms']:9.1f}   {ratio:6.2f}"
    )


def report(summary: dict[str, Any], out: TextIO) -> None:
    """Human-readable figures, plans and one MET / NOT MET line per target."""

    def say(line: str = "") -> None:
        print(line, file=out)

    small, large = summary["sizes"]["small"], summary["sizes"]["large"]
    ratios, mix = summary["ratios_large_to_small"], summary["crossers_per_cycle"]
    say(
        f"\nMotCua deadline-scan benchmark — {summary['server']}, "
        f"load average {summary['machine']['load_average']}"
    )
    say(
        f"  seeding: {small['open_dossiers']:,} open in {small['seed_seconds']:.0f} s, grown to "
        f"{large['open_dossiers']:,} in {large['seed_seconds']:.0f} s more (ANALYZE included); database "
        f"{large['database_bytes'] / 2**30:.2f} GiB"
    )
    say(
        f"  crossers planted per cycle: {mix['overdue']} overdue, {mix['near_due']} near due, "
        f"{mix['steps']} step overruns, {mix['timers']} BPMN timers ({mix['total']})"
    )
    say(f"  {'milliseconds':<34} {'p50':>9} {'max':>9}   {'p50':>9} {'max':>9}   {'ratio':>6}")
    say(f"  {'':<34} {small['open_dossiers']:>19,}   {large['open_dossiers']:>19,}   large/small")
    _row(say, "scan cycle (4 steps, crossers)", small["cycle"], large["cycle"], ratios["cycle"])
    for step in small["steps"]:
        _row(say, f"  {step}", small["steps"][step], large["steps"][step], ratios[step])
    _row(
        say,
        "idle scan cycle (nothing crossed)",
        small["idle_cycle"],
        large["idle_cycle"],
        ratios["idle_cycle"],
    )
    events = large["events_delivered_per_cycle"][0] if large["events_delivered_per_cycle"] else 0
    ratio = ratios["delivery_all_rounds"]
    _row(
        say,
        "outbox: first round into null sink",
        small["delivery_first_round"],
        large["delivery_first_round"],
        ratios["delivery_first_round"],
    )
    _row(
        say,
        f"outbox: all rounds ({events} events)",
        small["delivery_all_rounds"],
        large["delivery_all_rounds"],
        ratio,
    )
    _row(say, "ioc.summary (diagnostic)", small["summary"], large["summary"], ratios["summary"])
    for label, size in (("small", small), ("large", large)):
        for mismatch in size["mismatches"][:3]:
            say(f"  warning ({label}): {mismatch}")
    census = ", ".join(f"{step} {n}" for step, n in large["statements_per_planted_cycle"].items())
    say(f"  SQL statements sent during one planted cycle ({large['open_dossiers']:,} open): {census}")
    per_crosser = (large["cycle"]["p50_ms"] - large["idle_cycle"]["p50_ms"]) / mix["total"]
    say(f"  per crosser: {per_crosser:.2f} ms (planted cycle p50 − idle cycle p50, ÷ {mix['total']})")
    read = summary["rows_read_by_batch_queries"]
    if read:
        shown = ", ".join(f"{step} {row['small']:,} → {row['large']:,}" for step, row in read.items())
        say(f"  rows the batch queries read (EXPLAIN ANALYZE), small → large: {shown}")
    report_plans(large["plans"], large["open_dossiers"], say)
    report_proposals(large["proposals"], say)
    report_lateness(summary["lateness"], say)
    say("Targets:")
    for name, row in summary["targets"].items():
        say(f"  {name:<22} {row['target']:<44} {row['value']!s:>12}  {_verdict(row['met'])}")
        for problem in row.get("problems", ()):
            say(f"      {problem}")


def report_plans(plans: list[dict[str, Any]], size: int, say: Callable[[str], None]) -> None:
    """Full plans of the batch queries (and the summary's); one line for every other statement."""
    say(f"\nPlans at {size:,} open, taken while a planted cycle ran (same statement, same parameters):")
    wanted = {(step, table) for step, (table, _) in EXPECTED_INDEX.items()} | {("summary", "dossier")}
    full: list[dict[str, Any]] = []
    for plan in plans:
        key = (plan["step"], plan["table"])
        if key in wanted:
            wanted.discard(key)
            full.append(plan)
            extra = ""
            if plan["rows_read"] is not None:
                extra = f" — rows read {plan['rows_read']:,}, {plan['execution_ms']:.2f} ms"
            say(f"  [{plan['step']}] {plan['statement'][:300]}{extra}")
            for line in plan["plan"]:
                say(f"      {line}")
    say("  other statements of the cycle:")
    for plan in plans:
        if any(plan is shown for shown in full):
            continue
        indexes = ", ".join(dict.fromkeys(plan["indexes"])) or "no index"
        found = f" FULL: {', '.join(plan['full_scans'])}" if plan["full_scans"] else ""
        rows = f", rows read {plan['rows_read']:,}" if plan["rows_read"] is not None else ""
        say(f"    [{plan['step']}] {plan['statement'][:110]} → {indexes}{rows}{found}")


def report_proposals(plans: list[dict[str, Any]], say: Callable[[str], None]) -> None:
    """Plans of other spellings of the batch queries (not what the engine sends)."""
    if not plans:
        return
    say("\nProposals — other spellings/indexes, same crossers, rolled back (NOT the engine's queries):")
    for plan in plans:
        extra = ""
        if plan["rows_read"] is not None:
            extra = f" — rows read {plan['rows_read']:,}, {plan['execution_ms']:.2f} ms"
        say(f"  [{plan['step']}]{extra}")
        say(f"    {plan['statement']}")
        for line in plan["plan"]:
            say(f"      {line}")


def report_lateness(late: dict[str, Any], say: Callable[[str], None]) -> None:
    """Lateness per kind against the interval."""
    say(
        f"\nLateness under load: worker loop every {late['interval_seconds']:g} s on the SystemClock, "
        f"load {late['load_steps_per_second']} use-case steps/s, worker cycle p50 "
        f"{late['worker_cycles']['p50_ms']} ms / max {late['worker_cycles']['max_ms']} ms "
        f"({late['worker_cycles']['count']} cycles)"
    )
    say(f"  {'seconds after the moment':<26} {'count':>5} {'p50':>7} {'p95':>7} {'max':>7}")
    for kind, row in {**late["by_kind"], "all": late["all"]}.items():
        if row.get("count"):
            say(f"  {kind:<26} {row['count']:5d} {row['p50_s']:7.3f} {row['p95_s']:7.3f} {row['max_s']:7.3f}")
    spacing = late["interval_seconds"] + late["worker_cycles"]["p50_ms"] / 1000
    say(f"  (the loop waits the interval after each cycle: cycles start every ~{spacing:.2f} s here)")
    if late["missing"]:
        say(f"  never reported: {late['missing']}")
    if late["load_error_count"]:
        say(f"  load errors: {late['load_error_count']} (first: {late['load_errors'][:2]})")
    if late["worker_failures"]:
        say(f"  worker step failures: {late['worker_failures']}")


# --- main -----------------------------------------------------------------------------------------------


def parse_args(argv: list[str] | None) -> argparse.Namespace:
    """Command-line options."""
    parser = argparse.ArgumentParser(description="MotCua deadline-scan benchmark (see the module docstring).")
    parser.add_argument("--backend", choices=("pg", "sqlite", "both"), default="both")
    parser.add_argument(
        "--small", type=int, help="open dossiers of the first measurement (100k PG, 20k SQLite)"
    )
    parser.add_argument("--large", type=int, help="open dossiers of the second (1M PG, 200k SQLite)")
    parser.add_argument("--crossers", type=int, default=200, help="threshold crossers per cycle (200)")
    parser.add_argument("--reps", type=int, default=7, help="timed cycles with crossers per size (7)")
    parser.add_argument("--idle-reps", type=int, default=5, help="timed idle cycles per size (5)")
    parser.add_argument(
        "--interval", type=float, default=1.0, help="worker interval in the lateness run (1 s)"
    )
    parser.add_argument("--late", type=int, default=100, help="moments planted for the lateness run (100)")
    parser.add_argument("--json", action="store_true", help="print a JSON summary on stdout")
    return parser.parse_args(argv)


def main(argv: list[str] | None = None) -> int:
    """Run the chosen backends and print the figures and verdicts."""
    args = parse_args(argv)
    out = sys.stderr if args.json else sys.stdout
    names = ("pg", "sqlite") if args.backend == "both" else (args.backend,)
    results = []
    started = time.perf_counter()
    for name in names:
        small, large = DEFAULT_SIZES[name]
        summary = run_backend(name, args.small or small, args.large or large, args)
        report(summary, out)
        results.append(summary)
    log(f"total {time.perf_counter() - started:.0f} s")
    if args.json:
        print(json.dumps(results, ensure_ascii=False, indent=2, default=str))
    return 0


if __name__ == "__main__":
    sys.exit(main())

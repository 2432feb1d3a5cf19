"""Engine benchmark: full dossier lifecycles through MotCua versus bare SpiffWorkflow, in one run.

Run: `.venv/bin/python bench/engine.py [--seconds N] [--json] [--profile]` — one process, one core.

Four loops run on the same BPMN (`processes/permanent-residence/process.bpmn`), interleaved in rounds
(bare, runtime, floor, ours, bare, ...) so that a change in machine load hits every side alike:

1. **bare** (the baseline): SpiffWorkflow alone, in memory, stock `PythonScriptEngine`. The model is parsed
   once; a lifecycle instantiates a workflow with the start data our engine passes, runs engine steps and
   completes the four user tasks Reception → Appraisal → Approval → Return with `task.set_data`,
   `task.run` and `do_engine_steps`. Nothing is validated, copied, serialized or stored.
2. **runtime** (diagnostic): our `SpiffRuntime`, in memory, loading and saving the instance JSON around every
   step as a request does (sandboxed scripts, deep copies, instance-only JSON); no database.
3. **floor** (diagnostic): the runtime loop plus one raw `sqlite3` SELECT, UPDATE and COMMIT per step — the
   least a persisted step can cost with this library; no ORM, no use cases.
4. **ours**: the product path. Five use-case calls per lifecycle, each its own committed unit of work on a
   migrated and seeded SQLite file database (WAL), with a `FixedClock` moved a few minutes before each step:
   file (online, citizen) → receive (accept, one-stop officer) → complete appraisal (specialist) →
   complete approval (leader) → complete return (officer). A step is timed from opening the unit of work to
   its commit, including the lookup of the ready task row by dossier and step (a client knows the task id
   from its work list; the lookup is one indexed query).

How to read the figures:

- **ratio ours/bare** = our lifecycles/s ÷ bare lifecycles/s, measured in this run on this machine so machine
  speed cancels out. 1.0 would mean everything our layer adds (validation, authorization, sandbox, instance
  persistence, work-list and timeline projections, audit rows, commits) is free; 0.5 means a lifecycle costs
  twice the bare in-memory one. Target ≥ 0.5. The runtime and floor ratios show how much of the gap is
  inherent to persisting every step and how much is ours (use cases + ORM).
- **persisted steps/s** = 5 × our lifecycles/s. Counted: every step that commits a unit of work — the filing
  plus the four user-task completions (reception, appraisal, approval, return). Target ≥ 150 on one core.
- **instance JSON** = UTF-8 bytes of `dossier.workflow_state` after the full lifecycle. Target ≤ 20 KB.
- **latency**: p50/p95 per step kind of ours, in milliseconds.
- **SQL census**: statements and SQLite driver time per persisted step, from a short extra pass.
- **script evaluation**: BPMN scripts and expressions of ours and of the diagnostics run in the worker-process
  pool (engine/workflow/pool.py) — except bounded conditions (names, constant subscripts, comparisons), which
  run in-process; bare runs everything in-process with plain `eval`. Printed: the pool round trip of one
  expression against this lifecycle's task data (p50/p95/mean), a bounded condition's in-process cost, how
  many pool evaluations a lifecycle makes and their share of ours' lifecycle, and how long a lifecycle of the
  runtime loop waits on the pool (scheduling of the worker included: on a busy machine this dominates).
- Rates are wall-clock. When another process competes for the CPU (CPU/wall below 90 %) a warning is printed:
  rerun on a quiet machine before comparing with earlier runs.

`--profile` runs ours once more under cProfile (stdlib) and prints own time per package and the top functions.
`--json` prints a machine-readable summary on stdout (the human report then goes to stderr).
"""

# ruff: noqa: E402  (the repository root must come first on sys.path, before the engine imports below)

from __future__ import annotations

import argparse
import copy
import cProfile
import functools
import gc
import json
import math
import os
import pstats
import sqlite3
import statistics
import sys
import tempfile
import time
from collections import Counter, defaultdict
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from datetime import datetime, timedelta
from pathlib import Path
from typing import Any, TextIO

ROOT = Path(__file__).resolve().parents[1]
# Run as a script, sys.path[0] is bench/, where this very file would shadow the `engine` package.
if sys.path and Path(sys.path[0] or ".").resolve() == ROOT / "bench":
    sys.path[0] = str(ROOT)

from SpiffWorkflow.bpmn import BpmnWorkflow
from SpiffWorkflow.bpmn.script_engine import PythonScriptEngine
from SpiffWorkflow.spiff.parser.process import SpiffBpmnParser
from SpiffWorkflow.util.task import TaskState
from sqlalchemy import event
from sqlalchemy.engine import Engine
from sqlmodel import Session as OrmSession
from sqlmodel import col, select

from engine.actor import Actor, Role
from engine.clock import FixedClock
from engine.dossier.status import Status
from engine.forms import FormRegistry
from engine.services import Services
from engine.store.db import UnitOfWork, make_engine, unit_of_work
from engine.store.migrate import upgrade
from engine.store.models import DossierRow, WorkTaskRow
from engine.usecases import dossiers, tasks
from engine.workflow.helpers import script_helpers
from engine.workflow.pool import shared_pool
from engine.workflow.sandbox import SandboxEnvironment
from engine.workflow.spiff import SpiffRuntime
from portal.bootstrap import prepare
from portal.settings import Settings
from portal.wiring import build

PROCEDURE_DIR = ROOT / "processes" / "permanent-residence"
BPMN_PATH = PROCEDURE_DIR / "process.bpmn"
PROCESS_ID = "permanent_residence"
PROCEDURE_CODE = "1.004222"
AGENCY = "H29.12.3"
FORM_FIXTURE = ROOT / "tests" / "fixtures" / "forms" / "permanent-residence.json"
START = datetime.fromisoformat("2026-03-02T09:00:00+07:00")  # a Monday, office hours
STEP_GAP = timedelta(minutes=7)  # the FixedClock moves this much before every persisted step
PERSISTED_STEPS = 5  # file + reception + appraisal + approval + return: one committed unit of work each
TASK_COMPLETIONS = 4  # user tasks completed per lifecycle (reception, appraisal, approval, return)
TARGET_RATIO = 0.5
TARGET_STEPS_PER_SECOND = 150.0
TARGET_STATE_BYTES = 20 * 1024
BUSY_CPU_SHARE = 0.9  # below this CPU/wall share the machine was busy with something else
CENSUS_LIFECYCLES = 20

APPLICANT: dict[str, Any] = {
    "full_name": "Nguyễn Văn An",
    "identity_number": "001088012345",
    "phone": "0912345678",
    "email": "nguyenvanan@example.vn",
    "address": "Số 12, ngõ 34 phố Đội Cấn, phường Ba Đình, Hà Nội",
}
# (task spec name in the BPMN, data) for the bare baseline and the in-memory diagnostics.
BARE_STEPS: tuple[tuple[str, dict[str, Any]], ...] = (
    ("Task_Reception", {"reception": {"decision": "accept"}}),
    (
        "Task_Appraisal",
        {"appraisal": {"decision": "propose_approve", "opinion": "Đủ điều kiện đăng ký thường trú"}},
    ),
    ("Task_Approval", {"approval": {"decision": "approve"}}),
    ("Task_Return", {"return": {"method": "counter"}}),
)
# (step, role, payload) of the user tasks completed through our use cases after filing.
OUR_STEPS: tuple[tuple[str, Role, dict[str, Any]], ...] = (
    ("reception", Role.OFFICER, {"decision": "accept", "note": "Hồ sơ đầy đủ, hợp lệ"}),
    (
        "appraisal",
        Role.SPECIALIST,
        {
            "decision": "propose_approve",
            "opinion": "Đủ điều kiện đăng ký thường trú theo Điều 20 Luật Cư trú",
        },
    ),
    ("approval", Role.LEADER, {"decision": "approve"}),
    ("return", Role.OFFICER, {"method": "counter", "note": "Công dân nhận trực tiếp"}),
)
STEP_NAMES = ("file", *(name for name, _, _ in OUR_STEPS))


def log(message: str) -> None:
    """One progress line per phase, on stderr."""
    print(f"[bench] {message}", file=sys.stderr, flush=True)


def load_form() -> dict[str, Any]:
    """Valid permanent-residence form data (the test fixture)."""
    data: dict[str, Any] = json.loads(FORM_FIXTURE.read_text(encoding="utf-8"))
    return data


def start_data(form: dict[str, Any]) -> dict[str, Any]:
    """The start data our engine hands to the workflow, reused by the baseline and the diagnostics."""
    return {
        "dossier": {
            "code": f"{AGENCY}-260302-0001",
            "procedure": PROCEDURE_CODE,
            "channel": "online",
            "agency": AGENCY,
        },
        "form": form,
    }


# --- timing -------------------------------------------------------------------------------------------


@dataclass
class Phase:
    """Lifecycles completed by one side, over all rounds, with wall and CPU time."""

    name: str
    lifecycle: Callable[[], None]
    share: float = 1.0  # of --seconds per round (diagnostics run for half the time)
    lifecycles: int = 0
    seconds: float = 0.0
    cpu_seconds: float = 0.0

    @property
    def rate(self) -> float:
        """Full lifecycles per (wall-clock) second."""
        return self.lifecycles / self.seconds if self.seconds else 0.0

    @property
    def cpu_share(self) -> float:
        """CPU time over wall time: near 1.0 on a quiet machine for this single-threaded loop."""
        return self.cpu_seconds / self.seconds if self.seconds else 0.0

    def run_for(self, seconds: float) -> None:
        """Run whole lifecycles until `seconds` have passed (the last one finishes and counts)."""
        gc.collect()
        cpu_started = time.process_time()
        started = time.perf_counter()
        deadline = started + seconds
        count = 0
        while True:
            self.lifecycle()
            count += 1
            now = time.perf_counter()
            if now >= deadline:
                break
        self.lifecycles += count
        self.seconds += now - started
        self.cpu_seconds += time.process_time() - cpu_started


def percentile(values: list[float], share: float) -> float:
    """Nearest-rank percentile (share in 0..1) of a non-empty list."""
    ordered = sorted(values)
    rank = max(1, min(len(ordered), math.ceil(share * len(ordered))))
    return ordered[rank - 1]


# --- 1. bare SpiffWorkflow ----------------------------------------------------------------------------


class Bare:
    """SpiffWorkflow alone: parsed once, stock script engine, everything in memory."""

    def __init__(self, form: dict[str, Any]) -> None:
        parser = SpiffBpmnParser()
        parser.add_bpmn_file(str(BPMN_PATH))
        self.spec = parser.get_spec(PROCESS_ID)
        self.subprocess_specs = parser.get_subprocess_specs(PROCESS_ID)
        self.script_engine = PythonScriptEngine()
        self.start_data = start_data(form)

    def lifecycle(self) -> None:
        """Instantiate, run to Reception, complete the four user tasks; the workflow must end."""
        workflow = BpmnWorkflow(self.spec, self.subprocess_specs, script_engine=self.script_engine)
        workflow.get_next_task(state=TaskState.READY).data = dict(self.start_data)
        workflow.do_engine_steps()
        for spec_name, data in BARE_STEPS:
            task = workflow.get_tasks(state=TaskState.READY, manual=True)[0]
            if task.task_spec.name != spec_name:
                raise AssertionError(f"bare: expected {spec_name}, got {task.task_spec.name}")
            task.set_data(**data)
            task.run()
            workflow.do_engine_steps()
        if not workflow.is_completed():
            raise AssertionError("bare: the workflow did not complete")


# --- 2./3. our workflow adapter, in memory or on raw sqlite3 --------------------------------------------


class AdapterLoop:
    """`SpiffRuntime` with load–step–save around every step; optionally one raw sqlite3 row per instance."""

    def __init__(self, form: dict[str, Any], database: Path | None = None) -> None:
        self.runtime = SpiffRuntime(helpers=script_helpers())
        self.spec_hash = self.runtime.register(BPMN_PATH.read_text(encoding="utf-8"), PROCESS_ID).spec_hash
        self.start_data = start_data(form)
        self.db: sqlite3.Connection | None = None
        self.memory: dict[int, tuple[int, str]] = {}
        if database is not None:
            self.db = sqlite3.connect(database, isolation_level=None)
            self.db.execute("PRAGMA journal_mode=WAL")
            self.db.execute("PRAGMA synchronous=NORMAL")
            self.db.execute(
                "CREATE TABLE instance "
                "(id INTEGER PRIMARY KEY, version INTEGER NOT NULL, state TEXT NOT NULL)"
            )

    def _insert(self, state: str) -> int:
        if self.db is None:
            self.memory = {1: (1, state)}
            return 1
        self.db.execute("BEGIN IMMEDIATE")
        row_id = self.db.execute("INSERT INTO instance (version, state) VALUES (1, ?)", (state,)).lastrowid
        self.db.execute("COMMIT")
        assert row_id is not None
        return row_id

    def _step(self, row_id: int, work: Callable[[str], str]) -> str:
        if self.db is None:
            version, state = self.memory[row_id]
            state = work(state)
            self.memory[row_id] = (version + 1, state)
            return state
        self.db.execute("BEGIN IMMEDIATE")
        version, state = self.db.execute(
            "SELECT version, state FROM instance WHERE id = ?", (row_id,)
        ).fetchone()
        state = work(state)
        self.db.execute(
            "UPDATE instance SET state = ?, version = ? WHERE id = ? AND version = ?",
            (state, version + 1, row_id, version),
        )
        self.db.execute("COMMIT")
        return state

    def _complete(self, spec_name: str, data: dict[str, Any], state: str) -> str:
        runtime = self.runtime
        instance = runtime.loads(self.spec_hash, state)
        task = runtime.ready_tasks(instance)[0]
        if task.spec_name != spec_name:
            raise AssertionError(f"adapter: expected {spec_name}, got {task.spec_name}")
        runtime.complete(instance, task.id, data)
        runtime.ready_tasks(instance)  # what a request projects to the work list
        runtime.waiting_timers(instance)  # and to the timer table
        return runtime.dumps(instance)

    def lifecycle(self) -> None:
        """Start and save, then per user task: load, find it, complete it, list what waits, save."""
        row_id = self._insert(self.runtime.dumps(self.runtime.start(self.spec_hash, self.start_data)))
        state = ""
        for spec_name, data in BARE_STEPS:
            state = self._step(row_id, functools.partial(self._complete, spec_name, data))
        if not self.runtime.is_completed(self.runtime.loads(self.spec_hash, state)):
            raise AssertionError("adapter: the workflow did not complete")


# --- 4. ours: use cases, units of work, SQLite ----------------------------------------------------------


def actor(role: Role) -> Actor:
    """The scenario actors: the applicant citizen, or staff of the agency."""
    if role is Role.CITIZEN:
        return Actor(
            "bench:citizen",
            "citizen",
            frozenset({role}),
            None,
            APPLICANT["identity_number"],
            APPLICANT["full_name"],
        )
    return Actor(f"bench:{role.value}", role.value, frozenset({role}), AGENCY, None, f"{role.value} {AGENCY}")


class Ours:
    """Full lifecycles through the use cases, one committed unit of work per step, on a SQLite file."""

    def __init__(self, form: dict[str, Any], directory: Path) -> None:
        url = f"sqlite:///{directory / 'bench.db'}"
        self.engine: Engine = make_engine(url)
        upgrade(self.engine)
        self.clock = FixedClock(START)
        settings = Settings(
            env="test",
            database_url=url,
            data_dir=directory,
            dev_secret="bench-secret-" + "x" * 32,
            processes_dir=ROOT / "processes",
            forms_dir=ROOT / "forms",
        )
        container = build(settings, clock=self.clock, engine=self.engine)
        prepare(container, migrate=False)
        self.services: Services = container.services
        self.form = form
        self.citizen = actor(Role.CITIZEN)
        self.staff = {role: actor(role) for _, role, _ in OUR_STEPS}
        self.record = False
        self.latencies: dict[str, list[float]] = defaultdict(list)
        self.last_dossier: DossierRow | None = None
        self.runs = 0

    def _step(self, name: str, work: Callable[[UnitOfWork], DossierRow]) -> DossierRow:
        self.clock.advance(STEP_GAP)
        started = time.perf_counter()
        with unit_of_work(self.engine) as uow:
            dossier = work(uow)
        if self.record:
            self.latencies[name].append(time.perf_counter() - started)
        return dossier

    def _file(self, uow: UnitOfWork) -> DossierRow:
        command = dossiers.FileDossier(
            procedure=PROCEDURE_CODE,
            agency=AGENCY,
            channel="online",
            applicant=copy.deepcopy(APPLICANT),
            form=copy.deepcopy(self.form),
        )
        return dossiers.file_dossier(self.services, uow, self.citizen, command)

    def _complete(
        self, dossier_id: int, step: str, role: Role, payload: dict[str, Any], uow: UnitOfWork
    ) -> DossierRow:
        task_id = uow.session.exec(
            select(WorkTaskRow.id).where(
                col(WorkTaskRow.dossier_id) == dossier_id, col(WorkTaskRow.step) == step
            )
        ).first()
        if task_id is None:
            raise AssertionError(f"ours: no ready task for step {step!r}")
        return tasks.complete(self.services, uow, self.staff[role], task_id, copy.deepcopy(payload))

    def lifecycle(self) -> None:
        """File online, then complete reception, appraisal, approval and return; the dossier must close."""
        dossier = self._step("file", self._file)
        dossier_id = dossier.id
        assert dossier_id is not None
        for step, role, payload in OUR_STEPS:
            dossier = self._step(step, functools.partial(self._complete, dossier_id, step, role, payload))
        if dossier.status != int(Status.RETURNED) or dossier.outcome != "approved":
            raise AssertionError(f"ours: dossier ended in status {dossier.status}, outcome {dossier.outcome}")
        self.last_dossier = dossier
        self.runs += 1

    def final_state(self) -> tuple[int, int]:
        """Bytes of the stored instance JSON of the last finished dossier, and its row version."""
        assert self.last_dossier is not None
        with unit_of_work(self.engine) as uow:
            state, version = uow.session.exec(
                select(DossierRow.workflow_state, DossierRow.version).where(
                    DossierRow.id == self.last_dossier.id
                )
            ).one()
        return len(state.encode("utf-8")), int(version)

    def stored_dossiers(self) -> int:
        """Dossiers in the database (sanity check: one per lifecycle run)."""
        with unit_of_work(self.engine) as uow:
            return len(uow.session.exec(select(DossierRow.id)).all())


@contextmanager
def sql_census(engine: Engine) -> Iterator[dict[str, Any]]:
    """Count statements by verb and the time spent in the SQLite driver while the block runs."""
    found: dict[str, Any] = {"verbs": Counter(), "driver_seconds": 0.0}
    started: list[float] = []

    def before(*_args: Any) -> None:
        started.append(time.perf_counter())

    def after(_conn: Any, _cursor: Any, statement: str, *_args: Any) -> None:
        found["driver_seconds"] += time.perf_counter() - started.pop()
        found["verbs"][statement.split(None, 1)[0].upper()] += 1

    event.listen(engine, "before_cursor_execute", before)
    event.listen(engine, "after_cursor_execute", after)
    try:
        yield found
    finally:
        event.remove(engine, "before_cursor_execute", before)
        event.remove(engine, "after_cursor_execute", after)


# Entry points timed per layer; a call inside another timed call counts for the outer one only.
LAYERS: tuple[tuple[str, type, tuple[str, ...]], ...] = (
    ("ORM session", OrmSession, ("exec", "execute", "get", "flush", "commit", "close", "scalar", "scalars")),
    (
        "workflow runtime",
        SpiffRuntime,
        ("start", "loads", "dumps", "complete", "ready_tasks", "waiting_timers", "is_completed", "end_event"),
    ),
    ("form validation", FormRegistry, ("validate",)),
)


@contextmanager
def layer_timers() -> Iterator[dict[str, float]]:
    """Wrap the layers' entry points with timers for the block (cheap, unlike cProfile); then restore."""
    spent: dict[str, float] = defaultdict(float)
    depth = [0]
    restore: list[tuple[type, str, Any]] = []

    def timed(layer: str, function: Callable[..., Any]) -> Callable[..., Any]:
        @functools.wraps(function)
        def wrapper(*args: Any, **kwargs: Any) -> Any:
            if depth[0]:
                return function(*args, **kwargs)
            depth[0] += 1
            started = time.perf_counter()
            try:
                return function(*args, **kwargs)
            finally:
                spent[layer] += time.perf_counter() - started
                depth[0] -= 1

        return wrapper

    for layer, owner, names in LAYERS:
        for name in names:
            restore.append((owner, name, owner.__dict__.get(name)))
            setattr(owner, name, timed(layer, getattr(owner, name)))
    try:
        yield spent
    finally:
        for owner, name, original in reversed(restore):
            if original is None:
                delattr(owner, name)  # it was inherited
            else:
                setattr(owner, name, original)


def take_census(ours: Ours, lifecycles: int) -> dict[str, Any]:
    """SQL statements, driver time and time per layer, per persisted step, over a few extra lifecycles."""
    ours.record = False
    with sql_census(ours.engine) as found, layer_timers() as spent:
        started = time.perf_counter()
        for _ in range(lifecycles):
            ours.lifecycle()
        elapsed = time.perf_counter() - started
    steps = lifecycles * PERSISTED_STEPS
    verbs: Counter[str] = found["verbs"]
    driver = found["driver_seconds"]
    layers = {
        "ORM session incl. commit, without SQLite statements": spent["ORM session"] - driver,
        "SQLite driver executing statements": driver,
        "workflow runtime (load, step, save)": spent["workflow runtime"],
        "form validation": spent["form validation"],
    }
    layers["use-case code, row objects, calendar, bench"] = elapsed - sum(layers.values())
    return {
        "statements_per_step": round(sum(verbs.values()) / steps, 2),
        "by_verb_per_step": {verb: round(n / steps, 2) for verb, n in verbs.most_common()},
        "driver_ms_per_step": round(1000 * driver / steps, 3),
        "step_ms": round(1000 * elapsed / steps, 3),
        "layers_ms_per_step": {name: round(1000 * value / steps, 3) for name, value in layers.items()},
    }


# --- profile --------------------------------------------------------------------------------------------

_PACKAGES = (
    ("SpiffWorkflow", "SpiffWorkflow"),
    ("sqlalchemy", "SQLAlchemy"),
    ("sqlmodel", "SQLModel"),
    ("pydantic", "pydantic"),
    ("jsonschema", "jsonschema"),
    ("referencing", "jsonschema"),
    ("/engine/workflow/", "engine.workflow"),
    ("/engine/usecases/", "engine.usecases"),
    ("/engine/", "engine (other)"),
    ("holidays", "holidays"),
    ("/json/", "json (stdlib)"),
    ("copy.py", "copy (stdlib)"),
    ("uuid.py", "uuid (stdlib)"),
    ("/bench/", "bench"),
)


def _package(filename: str, function: str) -> str:
    if filename == "~":  # C functions: name them by what they are
        if "sqlite3" in function:
            return "sqlite3 (C)"
        return "builtins (C)"
    for marker, name in _PACKAGES:
        if marker in filename:
            return name
    return "other Python"


def profile_ours(ours: Ours, seconds: float, out: TextIO, top: int = 25) -> dict[str, float]:
    """Run ours under cProfile; print own time per package and the top functions. cProfile slows the
    many small calls of the ORM more than the rest, so read shares as indicative."""
    ours.record = False
    phase = Phase("profile", ours.lifecycle)
    profiler = cProfile.Profile()
    profiler.enable()
    phase.run_for(seconds)
    profiler.disable()
    stats = pstats.Stats(profiler, stream=out)
    raw: dict[tuple[str, int, str], tuple[Any, ...]] = stats.stats  # type: ignore[attr-defined]
    total = sum(row[2] for row in raw.values()) or 1.0
    by_package: dict[str, float] = defaultdict(float)
    for (filename, _line, function), row in raw.items():
        by_package[_package(filename, function)] += row[2]
    print(f"\nProfile of ours: {phase.lifecycles} lifecycles in {phase.seconds:.1f} s (cProfile)", file=out)
    print("Own time per package:", file=out)
    for name, spent in sorted(by_package.items(), key=lambda item: -item[1]):
        print(f"  {name:<20} {100 * spent / total:5.1f} %", file=out)
    print(f"\nTop {top} by cumulative time:", file=out)
    stats.sort_stats("cumulative").print_stats(top)
    print(f"Top {top} by own time:", file=out)
    stats.sort_stats("tottime").print_stats(top)
    return {name: round(spent / total, 4) for name, spent in by_package.items()}


# --- report ---------------------------------------------------------------------------------------------


def _verdict(met: bool) -> str:
    return "MET" if met else "NOT MET"


def _latency(latencies: dict[str, list[float]]) -> dict[str, dict[str, float]]:
    samples = {name: latencies[name] for name in STEP_NAMES if latencies.get(name)}
    samples["all steps"] = [v for values in samples.values() for v in values]
    return {
        name: {
            "p50_ms": round(1000 * statistics.median(values), 3),
            "p95_ms": round(1000 * percentile(values, 0.95), 3),
            "count": len(values),
        }
        for name, values in samples.items()
        if values
    }


def _phase_dict(phase: Phase, bare: Phase) -> dict[str, Any]:
    return {
        "lifecycles": phase.lifecycles,
        "seconds": round(phase.seconds, 3),
        "lifecycles_per_second": round(phase.rate, 2),
        "ratio_to_bare": round(phase.rate / bare.rate, 4) if bare.rate else 0.0,
        "cpu_share": round(phase.cpu_share, 3),
    }


def summarize(phases: dict[str, Phase], ours: Ours, state_bytes: int, version: int) -> dict[str, Any]:
    """Figures, ratios and target verdicts as one dictionary."""
    bare, mine = phases["bare"], phases["ours"]
    ratio = mine.rate / bare.rate if bare.rate else 0.0
    steps_per_second = mine.rate * PERSISTED_STEPS
    return {
        "phases": {name: _phase_dict(phase, bare) for name, phase in phases.items()},
        "ours": {
            "lifecycles_per_second": round(mine.rate, 2),
            "persisted_steps_per_second": round(steps_per_second, 1),
            "persisted_steps_per_lifecycle": PERSISTED_STEPS,
            "counted_steps": ["file", *(name for name, _, _ in OUR_STEPS)],
            "task_completions_per_second": round(mine.rate * TASK_COMPLETIONS, 1),
            "latency": _latency(ours.latencies),
            "dossier_row_version_after_lifecycle": version,
        },
        "ratio_ours_to_bare": round(ratio, 4),
        "state_bytes": state_bytes,
        "targets": {
            "ratio_ours_to_bare": {
                "target": f">= {TARGET_RATIO}",
                "value": ratio,
                "met": ratio >= TARGET_RATIO,
            },
            "persisted_steps_per_second": {
                "target": f">= {TARGET_STEPS_PER_SECOND:g}",
                "value": steps_per_second,
                "met": steps_per_second >= TARGET_STEPS_PER_SECOND,
            },
            "state_bytes": {
                "target": f"<= {TARGET_STATE_BYTES}",
                "value": state_bytes,
                "met": state_bytes <= TARGET_STATE_BYTES,
            },
        },
        "machine": {
            "python": sys.version.split()[0],
            "cpus": os.cpu_count(),
            "load_average": [round(x, 2) for x in os.getloadavg()],
        },
    }


_LABELS = {
    "bare": "bare SpiffWorkflow, in memory",
    "runtime": "our runtime, load/save, in memory",
    "floor": "our runtime + raw sqlite3 commit",
    "ours": "ours: use cases + ORM + SQLite",
}


def report(summary: dict[str, Any], out: TextIO) -> None:
    """Human-readable figures and one MET / NOT MET line per target."""
    ours, targets = summary["ours"], summary["targets"]

    def say(text: str = "") -> None:
        print(text, file=out)

    say("\nMotCua engine benchmark — permanent-residence lifecycle, one process, one core")
    say(f"  {'side':<36} {'lifecycles/s':>12} {'× bare':>7} {'count':>7} {'seconds':>8} {'CPU/wall':>8}")
    for name, row in summary["phases"].items():
        say(
            f"  {_LABELS[name]:<36} {row['lifecycles_per_second']:12.1f} {row['ratio_to_bare']:7.3f} "
            f"{row['lifecycles']:7d} {row['seconds']:8.1f} {row['cpu_share']:8.2f}"
        )
    say(
        f"  persisted steps/s: {ours['persisted_steps_per_second']:.1f}  "
        f"(counted per lifecycle: {', '.join(ours['counted_steps'])} — each one committed unit of work; "
        f"user-task completions/s: {ours['task_completions_per_second']:.1f})"
    )
    say(f"  ratio ours/bare: {summary['ratio_ours_to_bare']:.3f}")
    scripts = summary.get("scripts")
    if scripts:
        say(
            f"  script evaluation in the worker pool ({scripts['pool_workers']} workers, OS-bounded): round "
            f"trip p50 {scripts['round_trip_p50_us']:.0f} µs, p95 {scripts['round_trip_p95_us']:.0f} µs, "
            f"mean {scripts['round_trip_mean_us']:.0f} µs ({scripts['context_bytes']} bytes of task data); "
            f"a bounded condition in-process {scripts['bounded_in_process_p50_us']:.1f} µs"
        )
        say(
            f"    pool evaluations per lifecycle: {scripts['evaluations_per_lifecycle']:g} "
            f"≈ {100 * scripts['share_of_ours_lifecycle']:.1f} % of ours' lifecycle "
            "(this model's gateway conditions are all bounded, so they run in-process)"
        )
        say(
            f"    in the runtime loop a lifecycle waits "
            f"{scripts['runtime_loop_pool_ms_per_lifecycle']:.2f} ms on the pool "
            f"({100 * scripts['runtime_loop_share_in_pool']:.1f} % of it; bare evaluates in-process)"
        )
    say(
        f"  instance JSON after a full lifecycle: {summary['state_bytes']} bytes "
        f"(dossier row version {ours['dossier_row_version_after_lifecycle']} after {PERSISTED_STEPS} steps)"
    )
    say(f"  latency per step of ours (ms)  {'p50':>7} {'p95':>7} {'count':>6}")
    for name, row in ours["latency"].items():
        say(f"    {name:<28} {row['p50_ms']:7.2f} {row['p95_ms']:7.2f} {row['count']:6d}")
    census = summary.get("sql_census")
    if census:
        verbs = ", ".join(f"{verb} {n:g}" for verb, n in census["by_verb_per_step"].items())
        say(f"  SQL per persisted step: {census['statements_per_step']:g} statements ({verbs})")
        say(f"  where a persisted step of ours spends its {census['step_ms']:.2f} ms (timed entry points):")
        for name, spent in census["layers_ms_per_step"].items():
            say(f"    {name:<52} {spent:6.2f} ms  {100 * spent / census['step_ms']:5.1f} %")
    say("Targets:")
    for name, label, shown in (
        ("ratio_ours_to_bare", "ratio ours/bare", f"{targets['ratio_ours_to_bare']['value']:.3f}"),
        (
            "persisted_steps_per_second",
            "persisted steps/s",
            f"{targets['persisted_steps_per_second']['value']:.1f}",
        ),
        ("state_bytes", "instance JSON bytes", f"{targets['state_bytes']['value']}"),
    ):
        row = targets[name]
        say(f"  {label:<22} {row['target']:<9} {shown:>9}  {_verdict(row['met'])}")
    _notes(summary, say)


def _notes(summary: dict[str, Any], say: Callable[[str], None]) -> None:
    phases = summary["phases"]
    floor = phases.get("floor", {}).get("ratio_to_bare")
    if floor is not None and floor < TARGET_RATIO:
        say(
            f"Note: persisting every step and nothing else (floor) already reaches only {floor:.2f} × bare: "
            f"a ratio of {TARGET_RATIO} against in-memory bare is out of reach while every step loads and "
            "saves the instance."
        )
    busy = [name for name, row in phases.items() if row["cpu_share"] < BUSY_CPU_SHARE]
    if busy:
        say(
            f"Warning: the machine was busy (CPU/wall < {BUSY_CPU_SHARE} for {', '.join(busy)}; load average "
            f"{summary['machine']['load_average']}); absolute rates are low and noisy, ratios less so."
        )


# --- script evaluations ---------------------------------------------------------------------------------

SCRIPT_SAMPLES = 2000
SCRIPT_LIFECYCLES = 100
CONDITION = 'reception["decision"] == "refuse"'  # bounded: evaluated in-process
POOLED = 'reception.get("decision") == "refuse"'  # a call: goes to a worker


def pool_time_in(lifecycle: Callable[[], None], lifecycles: int) -> tuple[float, float]:
    """Seconds per lifecycle spent waiting on the script pool, and the lifecycle's own seconds."""
    pool = shared_pool()
    original = pool.run
    spent = 0.0

    def timed(*args: Any, **kwargs: Any) -> dict[str, Any]:
        nonlocal spent
        started = time.perf_counter()
        try:
            return original(*args, **kwargs)
        finally:
            spent += time.perf_counter() - started

    pool.run = timed  # type: ignore[method-assign]
    try:
        started = time.perf_counter()
        for _ in range(lifecycles):
            lifecycle()
        total = time.perf_counter() - started
    finally:
        del pool.run
    return spent / lifecycles, total / lifecycles


def script_costs(
    form: dict[str, Any], per_lifecycle: float, ours_rate: float, runtime_lifecycle: Callable[[], None]
) -> dict[str, Any]:
    """Pool round trip of one gateway condition with this lifecycle's task data, beside in-process eval;
    and the time a lifecycle of the runtime loop really waits on the pool (scheduling included)."""
    environment = SandboxEnvironment(script_helpers())
    environment.pool.wait_ready()
    context = {**start_data(form), "reception": dict(OUR_STEPS[0][2])}
    for _ in range(100):
        environment.evaluate(POOLED, context)
    pooled = []
    for _ in range(SCRIPT_SAMPLES):
        started = time.perf_counter()
        environment.evaluate(POOLED, context)
        pooled.append(time.perf_counter() - started)
    inline = []
    for _ in range(SCRIPT_SAMPLES):
        started = time.perf_counter()
        environment.evaluate(CONDITION, context)
        inline.append(time.perf_counter() - started)
    mean = statistics.fmean(pooled)
    lifecycle_seconds = 1 / ours_rate if ours_rate else 0.0
    in_pool, runtime_seconds = pool_time_in(runtime_lifecycle, SCRIPT_LIFECYCLES)
    return {
        "runtime_loop_pool_ms_per_lifecycle": round(in_pool * 1e3, 3),
        "runtime_loop_share_in_pool": round(in_pool / runtime_seconds, 4),
        "pool_workers": environment.pool.size,
        "round_trip_mean_us": round(mean * 1e6, 1),
        "round_trip_p50_us": round(percentile(pooled, 0.5) * 1e6, 1),
        "round_trip_p95_us": round(percentile(pooled, 0.95) * 1e6, 1),
        "bounded_in_process_p50_us": round(percentile(inline, 0.5) * 1e6, 2),
        "context_bytes": len(json.dumps(context, ensure_ascii=False).encode()),
        "evaluations_per_lifecycle": round(per_lifecycle, 2),
        "share_of_ours_lifecycle": round(per_lifecycle * mean / lifecycle_seconds, 4)
        if lifecycle_seconds
        else 0,
    }


# --- main -----------------------------------------------------------------------------------------------


def parse_args(argv: list[str] | None) -> argparse.Namespace:
    """Command-line options."""
    parser = argparse.ArgumentParser(description="MotCua engine benchmark (see the module docstring).")
    parser.add_argument("--seconds", type=float, default=10.0, help="measuring time of bare and of ours (10)")
    parser.add_argument("--rounds", type=int, default=5, help="interleaved rounds the time is split into (5)")
    parser.add_argument("--warmup", type=float, default=1.0, help="warm-up time per side, seconds (1)")
    parser.add_argument("--json", action="store_true", help="print a JSON summary on stdout")
    parser.add_argument("--profile", action="store_true", help="profile ours with cProfile afterwards")
    return parser.parse_args(argv)


def warm_up(phases: dict[str, Phase], seconds: float) -> None:
    """Run every side untimed for a while (imports, caches, spec parsing, SQLite pages)."""
    for phase in phases.values():
        Phase("warm-up", phase.lifecycle).run_for(seconds)


def measure(phases: dict[str, Phase], seconds: float, rounds: int) -> None:
    """Run the sides in interleaved rounds, each for its share of `seconds` per round."""
    plan = ", ".join(f"{name} {seconds * phase.share / rounds:g} s" for name, phase in phases.items())
    log(f"measuring: {rounds} interleaved rounds of {plan}")
    for _ in range(rounds):
        for phase in phases.values():
            phase.run_for(seconds * phase.share / rounds)


def main(argv: list[str] | None = None) -> int:
    """Measure bare, the diagnostics and ours; print the figures and the target verdicts."""
    args = parse_args(argv)
    out = sys.stderr if args.json else sys.stdout
    form = load_form()
    with tempfile.TemporaryDirectory(prefix="motcua-bench-") as tmp:
        directory = Path(tmp)
        log("setting up: parsing the BPMN, migrating and seeding a SQLite file database")
        ours_side = Ours(form, directory)
        floor_side = AdapterLoop(form, directory / "floor.db")
        phases = {
            "bare": Phase("bare", Bare(form).lifecycle),
            "runtime": Phase("runtime", AdapterLoop(form).lifecycle, share=0.5),
            "floor": Phase("floor", floor_side.lifecycle, share=0.5),
            "ours": Phase("ours", ours_side.lifecycle),
        }
        log(f"warming up each side for {args.warmup:g} s")
        warm_up(phases, args.warmup)
        ours_side.record = True
        measure(phases, args.seconds, max(1, args.rounds))
        ours_side.record = False
        state_bytes, version = ours_side.final_state()
        if ours_side.stored_dossiers() != ours_side.runs:
            raise AssertionError(f"expected {ours_side.runs} dossiers, one per lifecycle run")
        summary = summarize(phases, ours_side, state_bytes, version)
        log(f"census: {CENSUS_LIFECYCLES} more lifecycles of ours, counting statements and timing layers")
        evaluations = shared_pool().stats.evaluations
        summary["sql_census"] = take_census(ours_side, CENSUS_LIFECYCLES)
        per_lifecycle = (shared_pool().stats.evaluations - evaluations) / CENSUS_LIFECYCLES
        log(f"scripts: {SCRIPT_SAMPLES} pool round trips of one gateway condition")
        summary["scripts"] = script_costs(
            form, per_lifecycle, phases["ours"].rate, phases["runtime"].lifecycle
        )
        report(summary, out)
        if args.profile:
            log(f"profiling ours for {args.seconds / 2:g} s under cProfile")
            summary["profile_own_time_share"] = profile_ours(ours_side, args.seconds / 2, out)
        if floor_side.db is not None:
            floor_side.db.close()
        ours_side.engine.dispose()
    if args.json:
        print(json.dumps(summary, ensure_ascii=False, indent=2))
    return 0


if __name__ == "__main__":
    sys.exit(main())

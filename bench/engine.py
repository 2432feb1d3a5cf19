"""Engine benchmark: full dossier lifecycles through MotCua versus bare SpiffWorkflow, in one run.

Run: `.venv/bin/python bench/engine.py [--seconds N] [--json] [--profile]` (single process, one core).

What is measured, on the same BPMN (`processes/permanent-residence/process.bpmn`):

1. **bare** — the baseline: SpiffWorkflow alone, in memory, stock `PythonScriptEngine`. The model is parsed
   once; each lifecycle instantiates a workflow (with the same start data our engine passes), runs engine
   steps and completes the four user tasks Reception → Appraisal → Approval → Return with
   `task.set_data` / `task.run` / `do_engine_steps`. Nothing is validated, copied, serialized or stored.
2. **runtime** (diagnostic) — our `SpiffRuntime` alone, in memory, load–step–save per step like a request
   (sandboxed scripts, deep copies, instance-only JSON), no database. It splits our overhead into
   "workflow adapter" and "persistence + use cases".
3. **ours** — the product path: five use-case calls per lifecycle, each its own committed unit of work on a
   migrated SQLite file database (WAL), with a `FixedClock` advanced a few minutes before every step:
   file (online, citizen) → receive (accept, one-stop officer) → complete appraisal (specialist) →
   complete approval (leader) → complete return (officer). Each step is timed from opening the unit of
   work to its commit, including looking up the ready task row by dossier and step (the client would know
   the task id from its work list; the lookup is one indexed query).

How to read the figures:

- **ratio ours/bare** = (our lifecycles/s) / (bare lifecycles/s), both measured in this run on this machine,
  so machine speed cancels out. 1.0 would mean our layer (validation, authorization, sandbox, instance
  persistence, projections, audit rows, commits) costs nothing on top of the library; 0.5 means a lifecycle
  through our engine costs twice the bare engine-only lifecycle. Target ≥ 0.5.
- **persisted steps/s** = 5 × our lifecycles/s: every step that commits a unit of work counts — the filing
  plus the four user-task completions (reception, appraisal, approval, return). Target ≥ 150 on one core.
- **instance JSON size** = bytes of `dossier.workflow_state` (UTF-8) after the full lifecycle. Target ≤ 20 KB.
- **latency** p50/p95 per step kind of ours, in milliseconds, for the record.

`--profile` runs ours again under cProfile and prints the top functions and the time per package.
"""

# ruff: noqa: E402  (the repository root must come first on sys.path before the engine imports below)

from __future__ import annotations

import argparse
import copy
import cProfile
import gc
import json
import pstats
import statistics
import sys
import tempfile
import time
from collections import defaultdict
from collections.abc import Callable
from dataclasses import dataclass, field
from datetime import datetime, timedelta
from pathlib import Path
from typing import Any

ROOT = Path(__file__).resolve().parents[1]
# Run as a script, sys.path[0] is bench/, where this very file would shadow the `engine` package.
if sys.path and Path(sys.path[0] or ".").resolve() == ROOT / "bench":
    sys.path[0] = str(ROOT)

from SpiffWorkflow.bpmn import BpmnWorkflow
from SpiffWorkflow.bpmn.script_engine import PythonScriptEngine
from SpiffWorkflow.spiff.parser.process import SpiffBpmnParser
from SpiffWorkflow.util.task import TaskState
from sqlalchemy.engine import Engine
from sqlmodel import col, select

from engine.actor import Actor, Role
from engine.clock import FixedClock
from engine.dossier.status import Status
from engine.services import Services
from engine.store.db import UnitOfWork, make_engine, unit_of_work
from engine.store.migrate import upgrade
from engine.store.models import DossierRow, WorkTaskRow
from engine.usecases import dossiers, tasks
from engine.workflow.helpers import script_helpers
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
PERSISTED_STEPS = 5  # file + reception + appraisal + approval + return, each one committed unit of work
TARGET_RATIO = 0.5
TARGET_STEPS_PER_SECOND = 150.0
TARGET_STATE_BYTES = 20 * 1024

APPLICANT: dict[str, Any] = {
    "full_name": "Nguyễn Văn An",
    "identity_number": "001088012345",
    "phone": "0912345678",
    "email": "nguyenvanan@example.vn",
    "address": "Số 12, ngõ 34 phố Đội Cấn, phường Ba Đình, Hà Nội",
}
# (task spec name in the BPMN, data) for the bare baseline, exactly as the brief of the benchmark fixes them.
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
        {"decision": "propose_approve", "opinion": "Đủ điều kiện đăng ký thường trú theo Điều 20 Luật Cư trú"},
    ),
    ("approval", Role.LEADER, {"decision": "approve"}),
    ("return", Role.OFFICER, {"method": "counter", "note": "Công dân nhận trực tiếp"}),
)
STEP_NAMES = ("file", *(name for name, _, _ in OUR_STEPS))


def log(message: str) -> None:
    """One progress line per phase, on stderr so `--json` output stays clean."""
    print(f"[bench] {message}", file=sys.stderr, flush=True)


def load_form() -> dict[str, Any]:
    """Valid permanent-residence form data (the test fixture)."""
    data: dict[str, Any] = json.loads(FORM_FIXTURE.read_text(encoding="utf-8"))
    return data


def start_data(form: dict[str, Any]) -> dict[str, Any]:
    """The start data our engine hands to the workflow, reused for the bare baseline."""
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
    """Lifecycles completed in a fixed time, with per-step latencies when they were recorded."""

    name: str
    lifecycles: int = 0
    seconds: float = 0.0
    latencies: dict[str, list[float]] = field(default_factory=lambda: defaultdict(list))

    @property
    def rate(self) -> float:
        """Full lifecycles per second."""
        return self.lifecycles / self.seconds if self.seconds else 0.0


def run_for(phase: Phase, seconds: float, lifecycle: Callable[[], None]) -> Phase:
    """Run whole lifecycles until `seconds` have passed (the last one finishes; it counts)."""
    gc.collect()
    started = time.perf_counter()
    deadline = started + seconds
    while True:
        lifecycle()
        phase.lifecycles += 1
        now = time.perf_counter()
        if now >= deadline:
            phase.seconds = now - started
            return phase


def percentile(values: list[float], share: float) -> float:
    """Nearest-rank percentile (share in 0..1) of a non-empty list."""
    ordered = sorted(values)
    index = min(len(ordered) - 1, max(0, round(share * len(ordered) + 0.5) - 1))
    return ordered[index]


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


# --- 2. our workflow adapter, in memory -----------------------------------------------------------------


class RuntimeOnly:
    """`SpiffRuntime` with load–step–save per step (what each request does to the instance), no database."""

    def __init__(self, form: dict[str, Any]) -> None:
        self.runtime = SpiffRuntime(helpers=script_helpers())
        info = self.runtime.register(BPMN_PATH.read_text(encoding="utf-8"), PROCESS_ID)
        self.spec_hash = info.spec_hash
        self.start_data = start_data(form)
        self.last_state = ""

    def lifecycle(self) -> None:
        """Start and save, then per user task: load, find it, complete it, list what is ready, save."""
        runtime = self.runtime
        state = runtime.dumps(runtime.start(self.spec_hash, self.start_data))
        for spec_name, data in BARE_STEPS:
            instance = runtime.loads(self.spec_hash, state)
            task = runtime.ready_tasks(instance)[0]
            if task.spec_name != spec_name:
                raise AssertionError(f"runtime: expected {spec_name}, got {task.spec_name}")
            runtime.complete(instance, task.id, data)
            runtime.ready_tasks(instance)
            runtime.waiting_timers(instance)
            state = runtime.dumps(instance)
        if not runtime.is_completed(runtime.loads(self.spec_hash, state)):
            raise AssertionError("runtime: the workflow did not complete")
        self.last_state = state


# --- 3. ours: use cases, units of work, SQLite ----------------------------------------------------------


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
        self.record = True
        self.latencies: dict[str, list[float]] = defaultdict(list)
        self.last_dossier: DossierRow | None = None

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
        self, uow: UnitOfWork, dossier_id: int, step: str, role: Role, payload: dict[str, Any]
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
        filed = self._step("file", self._file)
        dossier_id = filed.id
        assert dossier_id is not None
        dossier = filed
        for step, role, payload in OUR_STEPS:
            dossier = self._step(
                step,
                lambda uow, s=step, r=role, p=payload: self._complete(uow, dossier_id, s, r, p),  # type: ignore[misc]
            )
        if dossier.status != int(Status.RETURNED) or dossier.outcome != "approved":
            raise AssertionError(f"ours: dossier ended in status {dossier.status}, outcome {dossier.outcome}")
        self.last_dossier = dossier

    def state_bytes(self) -> int:
        """Size of the stored instance JSON of the last finished dossier, read back from the database."""
        assert self.last_dossier is not None
        with unit_of_work(self.engine) as uow:
            state = uow.session.exec(
                select(DossierRow.workflow_state).where(DossierRow.id == self.last_dossier.id)
            ).one()
        return len(state.encode("utf-8"))

    def count(self) -> int:
        """Dossiers in the database (sanity check: one per lifecycle run)."""
        with unit_of_work(self.engine) as uow:
            return len(uow.session.exec(select(DossierRow.id)).all())


# --- profile --------------------------------------------------------------------------------------------

_PACKAGES = (
    ("SpiffWorkflow/", "SpiffWorkflow"),
    ("sqlalchemy/", "SQLAlchemy"),
    ("sqlmodel/", "SQLModel"),
    ("pydantic", "pydantic"),
    ("jsonschema", "jsonschema"),
    ("referencing", "jsonschema"),
    ("/engine/workflow/", "engine.workflow"),
    ("/engine/usecases/", "engine.usecases"),
    ("/engine/", "engine (other)"),
    ("holidays", "holidays"),
    ("json/", "json (stdlib)"),
    ("copy.py", "copy (stdlib)"),
    ("uuid.py", "uuid (stdlib)"),
)


def _package(filename: str) -> str:
    if filename.startswith("<built-in") or filename == "~":
        return "builtins / C"
    for marker, name in _PACKAGES:
        if marker in filename:
            return name
    return "other Python"


def profile_ours(ours: Ours, seconds: float, top: int = 25) -> dict[str, Any]:
    """Run ours under cProfile; print the top functions (cumulative and own time) and time per package."""
    ours.record = False
    profiler = cProfile.Profile()
    phase = Phase("profile")
    profiler.enable()
    run_for(phase, seconds, ours.lifecycle)
    profiler.disable()
    stats = pstats.Stats(profiler, stream=sys.stdout)
    stats.strip_dirs = lambda: stats  # type: ignore[method-assign]  # keep paths for the package grouping
    total = sum(row[2] for row in stats.stats.values())  # type: ignore[attr-defined]
    by_package: dict[str, float] = defaultdict(float)
    for (filename, _line, _name), row in stats.stats.items():  # type: ignore[attr-defined]
        by_package[_package(filename)] += row[2]
    print(f"\nProfile of ours: {phase.lifecycles} lifecycles in {phase.seconds:.1f} s (cProfile overhead)")
    print("Own time per package:")
    for name, spent in sorted(by_package.items(), key=lambda item: -item[1]):
        print(f"  {name:<20} {100 * spent / total:5.1f} %")
    print(f"\nTop {top} by cumulative time:")
    stats.sort_stats("cumulative").print_stats(top)
    print(f"Top {top} by own time:")
    stats.sort_stats("tottime").print_stats(top)
    return {name: round(spent / total, 4) for name, spent in by_package.items()}


# --- main -----------------------------------------------------------------------------------------------


def _verdict(met: bool) -> str:
    return "MET" if met else "NOT MET"


def summarize(bare: Phase, runtime: Phase, ours: Phase, state_bytes: int) -> dict[str, Any]:
    """Figures, ratios and target verdicts as one dictionary."""
    ratio = ours.rate / bare.rate if bare.rate else 0.0
    steps_per_second = ours.rate * PERSISTED_STEPS
    samples = {name: ours.latencies[name] for name in STEP_NAMES if ours.latencies[name]}
    samples["all"] = [v for values in samples.values() for v in values]
    latency = {
        name: {
            "p50_ms": round(1000 * statistics.median(values), 3),
            "p95_ms": round(1000 * percentile(values, 0.95), 3),
            "count": len(values),
        }
        for name, values in samples.items()
        if values
    }
    return {
        "bare": {"lifecycles": bare.lifecycles, "seconds": round(bare.seconds, 3), "per_second": bare.rate},
        "runtime_in_memory": {
            "lifecycles": runtime.lifecycles,
            "seconds": round(runtime.seconds, 3),
            "per_second": runtime.rate,
            "ratio_to_bare": runtime.rate / bare.rate if bare.rate else 0.0,
        },
        "ours": {
            "lifecycles": ours.lifecycles,
            "seconds": round(ours.seconds, 3),
            "per_second": ours.rate,
            "persisted_steps_per_second": steps_per_second,
            "persisted_steps_per_lifecycle": PERSISTED_STEPS,
            "latency": latency,
        },
        "ratio_ours_to_bare": ratio,
        "state_bytes": state_bytes,
        "targets": {
            "ratio_ours_to_bare": {"target": f">= {TARGET_RATIO}", "met": ratio >= TARGET_RATIO},
            "persisted_steps_per_second": {
                "target": f">= {TARGET_STEPS_PER_SECOND:g}",
                "met": steps_per_second >= TARGET_STEPS_PER_SECOND,
            },
            "state_bytes": {"target": f"<= {TARGET_STATE_BYTES}", "met": state_bytes <= TARGET_STATE_BYTES},
        },
        "python": sys.version.split()[0],
    }


def report(summary: dict[str, Any]) -> None:
    """Human-readable figures and one MET / NOT MET line per target."""
    bare, runtime, ours = summary["bare"], summary["runtime_in_memory"], summary["ours"]
    targets = summary["targets"]
    print("\nMotCua engine benchmark — permanent-residence, one process, one core")
    print(f"  bare SpiffWorkflow (in memory)  {bare['per_second']:8.1f} lifecycles/s  ({bare['lifecycles']} in {bare['seconds']:.1f} s)")  # noqa: E501
    print(f"  our runtime (in memory, diag.)  {runtime['per_second']:8.1f} lifecycles/s  ({runtime['lifecycles']} in {runtime['seconds']:.1f} s; {runtime['ratio_to_bare']:.2f} × bare)")  # noqa: E501
    print(f"  ours (use cases + SQLite)       {ours['per_second']:8.1f} lifecycles/s  ({ours['lifecycles']} in {ours['seconds']:.1f} s)")  # noqa: E501
    print(f"  persisted steps/s (file + 4 task completions, each a committed unit of work): {ours['persisted_steps_per_second']:.1f}")  # noqa: E501
    print(f"  ratio ours/bare: {summary['ratio_ours_to_bare']:.3f}")
    print(f"  instance JSON after a full lifecycle: {summary['state_bytes']} bytes")
    print("  latency per step of ours (ms):    p50      p95   count")
    for name, row in ours["latency"].items():
        print(f"    {name:<28} {row['p50_ms']:7.2f}  {row['p95_ms']:7.2f}  {row['count']:6d}")
    print("Targets:")
    print(f"  ratio ours/bare {targets['ratio_ours_to_bare']['target']:<8} {summary['ratio_ours_to_bare']:8.3f}  {_verdict(targets['ratio_ours_to_bare']['met'])}")  # noqa: E501
    print(f"  persisted steps/s {targets['persisted_steps_per_second']['target']:<6} {ours['persisted_steps_per_second']:8.1f}  {_verdict(targets['persisted_steps_per_second']['met'])}")  # noqa: E501
    print(f"  instance JSON {targets['state_bytes']['target']:<10} {summary['state_bytes']:8d}  {_verdict(targets['state_bytes']['met'])}")  # noqa: E501


def main(argv: list[str] | None = None) -> int:
    """Warm up, measure bare, runtime and ours for a fixed time each, print (and optionally dump) the figures."""
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0] if __doc__ else None)
    parser.add_argument("--seconds", type=float, default=10.0, help="measuring time per side (default 10)")
    parser.add_argument("--warmup", type=float, default=1.0, help="warm-up time per side (default 1)")
    parser.add_argument("--json", action="store_true", help="also print a machine-readable summary")
    parser.add_argument("--profile", action="store_true", help="profile ours with cProfile afterwards")
    args = parser.parse_args(argv)

    form = load_form()
    log("setting up: parsing the BPMN, migrating and seeding a SQLite file database")
    bare_side = Bare(form)
    runtime_side = RuntimeOnly(form)
    with tempfile.TemporaryDirectory(prefix="motcua-bench-") as directory:
        ours_side = Ours(form, Path(directory))

        log(f"bare SpiffWorkflow: warm-up {args.warmup:g} s, measuring {args.seconds:g} s")
        run_for(Phase("warm-up"), args.warmup, bare_side.lifecycle)
        bare = run_for(Phase("bare"), args.seconds, bare_side.lifecycle)

        log(f"our runtime in memory: warm-up {args.warmup:g} s, measuring {args.seconds:g} s")
        run_for(Phase("warm-up"), args.warmup, runtime_side.lifecycle)
        runtime = run_for(Phase("runtime"), args.seconds, runtime_side.lifecycle)

        log(f"ours on SQLite: warm-up {args.warmup:g} s, measuring {args.seconds:g} s")
        ours_side.record = False
        warmed = run_for(Phase("warm-up"), args.warmup, ours_side.lifecycle)
        ours_side.record = True
        ours = run_for(Phase("ours"), args.seconds, ours_side.lifecycle)
        ours.latencies = ours_side.latencies
        state_bytes = ours_side.state_bytes()
        stored = ours_side.count()
        if stored != warmed.lifecycles + ours.lifecycles:
            raise AssertionError(f"expected {warmed.lifecycles + ours.lifecycles} dossiers, found {stored}")

        summary = summarize(bare, runtime, ours, state_bytes)
        report(summary)
        if args.profile:
            log(f"profiling ours: {args.seconds:g} s under cProfile")
            summary["profile_own_time_share"] = profile_ours(ours_side, args.seconds)
        ours_side.engine.dispose()
    if args.json:
        print(json.dumps(summary, ensure_ascii=False, indent=2))
    return 0


if __name__ == "__main__":
    sys.exit(main())

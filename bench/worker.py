"""Worker benchmark: do documents and deliveries keep up with the portal? Lifecycles/s of each, in one run.

Run: `.venv/bin/python bench/worker.py [--backend sqlite|pg] [--seconds S] [--processes N] [--json]`
(`make bench-worker`; bounded: about 3 × S seconds plus setup).

A **lifecycle** is the engine benchmark's (bench/engine.py): a citizen files the permanent-residence dossier
online, the officer receives it, the specialist appraises, the leader approves, the officer returns the
result — five use-case calls, each its own committed unit of work, on the system clock. It leaves
background work behind: documents to render (receipt, result, ...) and outbox rows to deliver (IOC events,
the citizen's e-mails and SMS). The worker runs as an operator runs it: `motcua worker --processes N` in a
subprocess on the same database, with the embedded default's sinks (IOC events to the log, messages written
as files), so rendering (WeasyPrint) and delivery bookkeeping are real.

Phases:

1. **portal**: lifecycles as fast as one client process can run them, for S seconds, no worker running.
   The portal's own lifecycle rate, and the backlog one lifecycle leaves (documents, outbox rows).
2. **drain**: the worker starts on that backlog; the time until nothing is pending gives the lifecycles/s
   that documents and deliveries each keep up with (backlog lifecycles ÷ time to drain them).
3. **together**: lifecycles at the portal's measured rate (`--rate` to choose) while the worker runs, for
   S seconds, sharing the machine as a one-machine deployment does; the backlog and the age of the oldest
   pending document and message are sampled every second (the `/api/v1/metrics` queries, engine/backlog.py).

Target: the worker keeps up with the portal on the same machine — drain rates ≥ the portal's rate, and in
phase 3 the oldest pending document and message stay young (seconds, not growing with the run).
"""

# ruff: noqa: E402  (the repository root must come first on sys.path, before the engine imports below)

from __future__ import annotations

import argparse
import copy
import json
import os
import signal
import subprocess
import sys
import tempfile
import time
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

ROOT = Path(__file__).resolve().parents[1]
if sys.path and Path(sys.path[0] or ".").resolve() == ROOT / "bench":
    sys.path[0] = str(ROOT)

from sqlmodel import col, select

from bench.engine import AGENCY, APPLICANT, OUR_STEPS, PROCEDURE_CODE, actor, load_form
from engine import backlog
from engine.actor import Role
from engine.clock import SystemClock
from engine.dossier.status import Status
from engine.store.db import UnitOfWork, make_engine
from engine.store.migrate import upgrade
from engine.store.models import WorkTaskRow
from engine.usecases import dossiers, tasks
from portal.bootstrap import prepare
from portal.settings import Settings
from portal.wiring import Container, build

SECRET = "bench-secret-" + "x" * 32


def log(message: str) -> None:
    print(f"[worker-bench {time.strftime('%H:%M:%S')}] {message}", file=sys.stderr, flush=True)


class Portal:
    """Lifecycles through the use cases on the system clock (what the portal's requests do)."""

    def __init__(self, container: Container, form: dict[str, Any]) -> None:
        self.container = container
        self.form = form
        self.citizen = actor(Role.CITIZEN)
        self.staff = {role: actor(role) for _, role, _ in OUR_STEPS}
        self.runs = 0

    def lifecycle(self) -> None:
        services = self.container.services
        with self.container.transaction() as uow:
            command = dossiers.FileDossier(
                procedure=PROCEDURE_CODE,
                agency=AGENCY,
                channel="online",
                applicant=copy.deepcopy(APPLICANT),
                form=copy.deepcopy(self.form),
            )
            dossier_id = dossiers.file_dossier(services, uow, self.citizen, command).id
        assert dossier_id is not None
        for step, role, payload in OUR_STEPS:
            with self.container.transaction() as uow:
                dossier = tasks.complete(
                    services, uow, self.staff[role], self._task(uow, dossier_id, step), copy.deepcopy(payload)
                )
        if dossier.status != int(Status.RETURNED):
            raise AssertionError(f"the dossier ended in status {dossier.status}")
        self.runs += 1

    @staticmethod
    def _task(uow: UnitOfWork, dossier_id: int, step: str) -> str:
        task_id = uow.session.exec(
            select(WorkTaskRow.id).where(
                col(WorkTaskRow.dossier_id) == dossier_id, col(WorkTaskRow.step) == step
            )
        ).first()
        if task_id is None:
            raise AssertionError(f"no ready task for step {step!r}")
        return task_id


def pending(container: Container) -> dict[str, float]:
    """Backlog now: pending documents and outbox rows (all channels), and the age of the oldest of each."""
    now = datetime.now(UTC)
    with container.transaction() as uow:
        documents = backlog.documents(uow, now)
        outbox = backlog.outbox(uow, now)
    return {
        "documents": documents.pending,
        "document_age": documents.oldest_age_seconds,
        "messages": sum(b.pending for b in outbox.values()),
        "message_age": max((b.oldest_age_seconds for b in outbox.values()), default=0.0),
    }


def start_worker(settings: Settings, processes: int, directory: Path) -> subprocess.Popen[bytes]:
    env = {
        **os.environ,
        "PYTHONPATH": str(ROOT),
        "MOTCUA_ENV": "test",
        "MOTCUA_DATABASE_URL": settings.database_url,
        "MOTCUA_DATA_DIR": str(directory),
        "MOTCUA_DEV_SECRET": SECRET,
        "MOTCUA_WORKER_INTERVAL": "1",
    }
    command = [
        sys.executable,
        "-c",
        "from portal.cli import main; main()",
        "worker",
        "--processes",
        str(processes),
    ]
    worker_log = (directory / "worker.log").open("wb")
    return subprocess.Popen(command, cwd=ROOT, env=env, stdout=worker_log, stderr=subprocess.STDOUT)


def stop_worker(process: subprocess.Popen[bytes]) -> None:
    process.send_signal(signal.SIGTERM)
    try:
        process.wait(120)
    except subprocess.TimeoutExpired:
        process.kill()
        process.wait()


def run_at(portal: Portal, rate: float, seconds: float, container: Container) -> list[dict[str, float]]:
    """Lifecycles at `rate`/s for `seconds` (as far as this process manages); the backlog each second."""
    samples: list[dict[str, float]] = []
    started = time.monotonic()
    next_sample = started + 1.0
    done = 0
    while (elapsed := time.monotonic() - started) < seconds:
        if done < rate * elapsed:
            portal.lifecycle()
            done += 1
        else:
            time.sleep(min(0.01, max(0.0, (done + 1) / rate - elapsed)))
        if time.monotonic() >= next_sample:
            samples.append({"t": round(time.monotonic() - started, 1), **pending(container)})
            next_sample += 1.0
    return samples


def report(result: dict[str, Any], *, as_json: bool) -> None:
    """Print the figures (or the JSON)."""
    if as_json:
        print(json.dumps(result, indent=2))
        return
    together = result["together"]
    per = result["per_lifecycle"]
    print(f"backend {result['backend']}, worker --processes {result['processes']}, {result['cpus']} CPUs")
    print(f"portal (one client process)   {result['portal_lifecycles_per_s']:6.1f} lifecycles/s")
    print(f"  per lifecycle: {per['documents']:.1f} documents, {per['messages']:.1f} outbox rows")
    print(f"documents keep up with        {result['documents_keep_up_lifecycles_per_s']:6.1f} lifecycles/s")
    print(f"deliveries keep up with       {result['deliveries_keep_up_lifecycles_per_s']:6.1f} lifecycles/s")
    print(
        f"together at {together['target_rate']:.1f}/s (achieved {together['achieved_rate']:.1f}/s): "
        f"max pending {together['max_documents_pending']:.0f} documents, "
        f"{together['max_messages_pending']:.0f} messages"
    )
    print(
        f"  oldest pending document ≤ {together['max_document_age_s']} s, "
        f"message ≤ {together['max_message_age_s']} s "
        f"(last half of the phase: {together['last_half_max_document_age_s']} s, "
        f"{together['last_half_max_message_age_s']} s)"
    )
    print(f"target (the worker keeps up with the portal): {'MET' if result['keeps_up'] else 'NOT MET'}")


def main(argv: list[str] | None = None) -> int:  # noqa: PLR0915 — one bounded run, phase after phase
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--backend", choices=("sqlite", "pg"), default="sqlite")
    parser.add_argument("--seconds", type=float, default=20.0, help="length of phases 1 and 3")
    parser.add_argument("--processes", type=int, default=2, help="motcua worker --processes")
    parser.add_argument("--rate", type=float, default=None, help="phase 3 lifecycles/s (default: phase 1's)")
    parser.add_argument("--json", action="store_true")
    args = parser.parse_args(argv)

    with tempfile.TemporaryDirectory(prefix="motcua-worker-bench-") as tmp:
        directory = Path(tmp)
        server = None
        if args.backend == "pg":
            from bench.deadline_scan import start_postgres

            server, url = start_postgres()
        else:
            url = f"sqlite:///{directory / 'bench.db'}"
        try:
            engine = make_engine(url)
            upgrade(engine)
            settings = Settings(
                env="test",
                database_url=url,
                data_dir=directory,
                dev_secret=SECRET,
                processes_dir=ROOT / "processes",
                forms_dir=ROOT / "forms",
            )
            container = build(settings, clock=SystemClock(), engine=engine)
            prepare(container, migrate=False)
            portal = Portal(container, load_form())
            portal.lifecycle()  # warm up (parsing, caches); its backlog is drained with the rest
            before = pending(container)

            log(f"phase 1: lifecycles for {args.seconds:g} s, no worker")
            started = time.monotonic()
            runs = 0
            while time.monotonic() - started < args.seconds:
                portal.lifecycle()
                runs += 1
            portal_seconds = time.monotonic() - started
            portal_rate = runs / portal_seconds
            after = pending(container)
            lifecycles = runs + 1
            per_lifecycle = {
                "documents": (after["documents"]) / lifecycles,
                "messages": (after["messages"]) / lifecycles,
            }
            log(
                f"  {portal_rate:.1f} lifecycles/s; backlog {after['documents']:.0f} documents, "
                f"{after['messages']:.0f} messages (before: {before})"
            )

            log(f"phase 2: motcua worker --processes {args.processes} drains the backlog")
            worker = start_worker(settings, args.processes, directory)
            try:
                started = time.monotonic()
                documents_done = messages_done = None
                deadline = started + max(120.0, 6 * args.seconds)
                while time.monotonic() < deadline and (documents_done is None or messages_done is None):
                    now = pending(container)
                    elapsed = time.monotonic() - started
                    if documents_done is None and now["documents"] == 0:
                        documents_done = elapsed
                    if messages_done is None and now["messages"] == 0:
                        messages_done = elapsed
                    time.sleep(0.1)
                left = pending(container)
                doc_rate = lifecycles / documents_done if documents_done else 0.0
                msg_rate = lifecycles / messages_done if messages_done else 0.0
                log(
                    f"  documents drained in {documents_done} s ({doc_rate:.1f} lifecycles/s), "
                    f"messages in {messages_done} s ({msg_rate:.1f} lifecycles/s); left {left}"
                )

                rate = args.rate or portal_rate
                log(f"phase 3: {rate:.1f} lifecycles/s for {args.seconds:g} s with the worker running")
                before3 = portal.runs
                samples = run_at(portal, rate, args.seconds, container)
                achieved = (portal.runs - before3) / args.seconds
            finally:
                stop_worker(worker)
            tail = samples[len(samples) // 2 :] or samples
            result = {
                "backend": args.backend,
                "processes": args.processes,
                "cpus": os.cpu_count(),
                "portal_lifecycles_per_s": round(portal_rate, 2),
                "per_lifecycle": {k: round(v, 2) for k, v in per_lifecycle.items()},
                "backlog_lifecycles": lifecycles,
                "documents_keep_up_lifecycles_per_s": round(doc_rate, 2),
                "deliveries_keep_up_lifecycles_per_s": round(msg_rate, 2),
                "together": {
                    "target_rate": round(rate, 2),
                    "achieved_rate": round(achieved, 2),
                    "max_documents_pending": max((s["documents"] for s in samples), default=0),
                    "max_messages_pending": max((s["messages"] for s in samples), default=0),
                    "max_document_age_s": round(max((s["document_age"] for s in samples), default=0), 1),
                    "max_message_age_s": round(max((s["message_age"] for s in samples), default=0), 1),
                    "last_half_max_document_age_s": round(
                        max((s["document_age"] for s in tail), default=0), 1
                    ),
                    "last_half_max_message_age_s": round(max((s["message_age"] for s in tail), default=0), 1),
                    "end": samples[-1] if samples else {},
                },
            }
            keeps_up = min(doc_rate, msg_rate) >= portal_rate
            result["keeps_up"] = keeps_up
        finally:
            if server is not None:
                server.stop()

    report(result, as_json=args.json)
    return 0


if __name__ == "__main__":
    sys.exit(main())

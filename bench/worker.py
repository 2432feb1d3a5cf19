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

CPU seconds per lifecycle, read from /proc (user + system of each process tree: `motcua serve` and its
script pool for the portal, `motcua worker` with its helpers and pools for the worker): the portal's in
phase 1; the worker's in phase 2 from its first rendered document to the end of the drain; and both in
phase 3 (the worker's per lifecycle whose documents it rendered). On a machine shared with other work the
rates move with the load; the CPU seconds, and the worker/portal ratio, move much less.

Target: the worker keeps up with the portal on the same machine — given the machine as the portal had it in
phase 1, documents and deliveries drain at least as many lifecycles/s as the portal makes (`MET`). Phase 3
then shows both sharing it: the bench prints the cores that the portal, its HTTP clients (this process) and
the worker need together at that rate; where that is more than the machine has (the portal alone had
filled it), no worker can keep the oldest pending document young, and the bench says so beside the ages.
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
import threading
import time
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

ROOT = Path(__file__).resolve().parents[1]
if sys.path and Path(sys.path[0] or ".").resolve() == ROOT / "bench":
    sys.path[0] = str(ROOT)

import httpx
import sqlalchemy as sa
from sqlalchemy.engine import Engine
from sqlmodel import col, select

from bench.engine import AGENCY, APPLICANT, OUR_STEPS, PROCEDURE_CODE, actor, load_form
from engine import backlog
from engine.actor import Role
from engine.clock import SystemClock
from engine.dossier.status import Status
from engine.store.db import UnitOfWork, make_engine, unit_of_work
from engine.store.migrate import upgrade
from engine.store.models import WorkTaskRow
from engine.usecases import dossiers, tasks
from portal.auth import DevIdentity
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


# The demo users of the development identity who play each part over HTTP (the README's curl tour).
HTTP_USERS = {
    "citizen": "nguyenvanan",
    "officer": "motcua.badinh",
    "specialist": "chuyenvien.badinh",
    "leader": "lanhdao.badinh",
}


class HttpPortal:
    """Lifecycles over HTTP against `motcua serve` (the portal an operator runs), from `clients` threads.

    One lifecycle is the README's tour: the citizen files (POST /dossiers), the officer receives, the
    specialist claims and completes the appraisal, the leader approves, the officer returns; each task id read
    from the dossier (GET /dossiers/{code}). Every request goes through the server's authentication, body
    guard, idempotency, JSON and uvicorn, as a browser's or a client system's would.
    """

    def __init__(self, base: str, settings: Settings, form: dict[str, Any], clients: int) -> None:
        identity = DevIdentity(settings)
        self.base = base
        self.headers = {
            part: {"Authorization": f"Bearer {identity.issue_demo(user)}"}
            for part, user in HTTP_USERS.items()
        }
        self.body = {
            "procedure": PROCEDURE_CODE,
            "agency": AGENCY,
            "channel": "online",
            "applicant": copy.deepcopy(APPLICANT),
            "form": form,
        }
        self.clients = clients
        self.runs = 0
        self._lock = threading.Lock()
        self._local = threading.local()

    def _client(self) -> httpx.Client:
        client = getattr(self._local, "client", None)
        if client is None:
            client = self._local.client = httpx.Client(base_url=self.base + "/api/v1", timeout=60)
        return client

    def _call(self, method: str, path: str, part: str, body: dict[str, Any] | None = None) -> dict[str, Any]:
        answer = self._client().request(method, path, headers=self.headers[part], json=body)
        if answer.status_code >= 300:
            raise AssertionError(f"{method} {path} as {part}: {answer.status_code} {answer.text[:300]}")
        data: dict[str, Any] = answer.json()
        return data

    def _task(self, code: str, step: str) -> str:
        detail = self._call("GET", f"/dossiers/{code}", "officer")
        for task in detail["tasks"]:
            if task["step"] == step:
                return str(task["id"])
        raise AssertionError(f"{code}: no ready task for step {step!r}")

    def lifecycle(self) -> None:
        code = self._call("POST", "/dossiers", "citizen", self.body)["code"]
        self._call(
            "POST", f"/dossiers/{code}/receive", "officer", {"decision": "accept", "note": "Đủ giấy tờ"}
        )
        for step, role, payload in OUR_STEPS[1:]:
            part = role.value
            task = self._task(code, step)
            if part == "specialist":
                self._call("POST", f"/tasks/{task}/claim", part)
            done = self._call("POST", f"/tasks/{task}/complete", part, {"data": payload})
        if done["status"]["code"] != int(Status.RETURNED):
            raise AssertionError(f"{code} ended in status {done['status']}")
        with self._lock:
            self.runs += 1

    def run_for(self, seconds: float) -> None:
        """As many lifecycles as the clients manage in `seconds`."""
        self.run_at(None, seconds, None)

    def run_at(self, rate: float | None, seconds: float, monitor: Engine | None) -> list[dict[str, float]]:
        """Lifecycles at `rate`/s (None: flat out) from the client threads; the backlog each second."""
        started = time.monotonic()
        begun = 0
        failures: list[BaseException] = []

        def client() -> None:
            nonlocal begun
            while (elapsed := time.monotonic() - started) < seconds and not failures:
                with self._lock:
                    go = rate is None or begun < rate * elapsed
                    if go:
                        begun += 1
                if not go:
                    time.sleep(0.005)
                    continue
                try:
                    self.lifecycle()
                except BaseException as exc:  # noqa: BLE001 — reported by the main thread
                    failures.append(exc)

        threads = [threading.Thread(target=client, daemon=True) for _ in range(self.clients)]
        for thread in threads:
            thread.start()
        samples: list[dict[str, float]] = []
        next_sample = started + 1.0
        while any(thread.is_alive() for thread in threads):
            time.sleep(0.05)
            if monitor is not None and time.monotonic() >= next_sample:
                samples.append({"t": round(time.monotonic() - started, 1), **pending(monitor)})
                next_sample += 1.0
        if failures:
            raise failures[0]
        return samples


TICKS = os.sysconf("SC_CLK_TCK") if hasattr(os, "sysconf") else 100


def tree_cpu(pid: int | None) -> float:
    """CPU seconds (user + system) used so far by a process and every live descendant (/proc/<pid>/stat),
    plus the children it already waited for; 0 where /proc is missing."""
    if pid is None:
        return 0.0
    parents: dict[int, int] = {}
    times: dict[int, float] = {}
    for entry in Path("/proc").iterdir() if Path("/proc").is_dir() else ():
        if not entry.name.isdigit():
            continue
        try:
            fields = (entry / "stat").read_text().rsplit(")", 1)[1].split()
        except (OSError, IndexError):
            continue  # ended meanwhile
        # After the name: state, ppid, ..., utime (14th field of the line), stime, cutime, cstime.
        parents[int(entry.name)] = int(fields[1])
        times[int(entry.name)] = sum(int(f) for f in fields[11:15]) / TICKS
    total, todo = 0.0, [pid]
    while todo:
        current = todo.pop()
        total += times.get(current, 0.0)
        todo.extend(child for child, parent in parents.items() if parent == current)
    return total


def reader(container: Container) -> Engine:
    """Where the bench reads the backlog: on SQLite a connection that does not begin IMMEDIATE (a read in WAL
    mode takes no lock), so that polling never makes the worker wait for the write lock; else the same."""
    url = container.engine.url
    if url.get_backend_name() != "sqlite":
        return container.engine
    return sa.create_engine(url, connect_args={"timeout": 30})


def pending(engine: Engine) -> dict[str, float]:
    """Backlog now: pending documents and outbox rows (all channels), and the age of the oldest of each."""
    now = datetime.now(UTC)
    with unit_of_work(engine) as uow:
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


def run_at(
    portal: Portal | HttpPortal, rate: float, seconds: float, monitor: Engine
) -> list[dict[str, float]]:
    """Lifecycles at `rate`/s for `seconds` (as far as this process manages); the backlog each second."""
    if isinstance(portal, HttpPortal):
        return portal.run_at(rate, seconds, monitor)
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
            samples.append({"t": round(time.monotonic() - started, 1), **pending(monitor)})
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
    print(f"portal ({result['portal']}): {result['portal_lifecycles_per_s']:.1f} lifecycles/s")
    print(f"  per lifecycle: {per['documents']:.1f} documents, {per['messages']:.1f} outbox rows")
    print(f"documents keep up with        {result['documents_keep_up_lifecycles_per_s']:6.1f} lifecycles/s")
    print(f"deliveries keep up with       {result['deliveries_keep_up_lifecycles_per_s']:6.1f} lifecycles/s")
    cpu = result["cpu_seconds_per_lifecycle"]
    print(
        f"CPU seconds per lifecycle: portal {cpu['portal']:.3f}, worker {cpu['worker']:.3f} "
        f"(drain; worker/portal {cpu['worker'] / max(cpu['portal'], 1e-9):.2f}); together: "
        f"portal {cpu['together']['portal']}, worker {cpu['together']['worker']} "
        "(per lifecycle whose documents it rendered)"
    )
    print(
        f"  clients (this process) {cpu['clients']:.3f}; at the portal's rate portal + clients + worker need "
        f"{result['cores_needed_together']:.2f} of {result['cpus']} cores"
        + ("" if result["cores_needed_together"] <= (result["cpus"] or 1) else " (more than the machine has)")
    )
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


def main(argv: list[str] | None = None) -> int:  # noqa: C901, PLR0912, PLR0915 — one bounded run, phase after phase
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--backend", choices=("sqlite", "pg"), default="sqlite")
    parser.add_argument("--seconds", type=float, default=20.0, help="length of phases 1 and 3")
    parser.add_argument("--processes", type=int, default=2, help="motcua worker --processes")
    parser.add_argument("--rate", type=float, default=None, help="phase 3 lifecycles/s (default: phase 1's)")
    parser.add_argument(
        "--portal",
        choices=("http", "engine"),
        default="http",
        help="lifecycles over HTTP against `motcua serve` (default), or straight through the use cases",
    )
    parser.add_argument("--clients", type=int, default=4, help="HTTP client threads (--portal http)")
    parser.add_argument("--json", action="store_true")
    args = parser.parse_args(argv)

    with tempfile.TemporaryDirectory(prefix="motcua-worker-bench-") as tmp:
        directory = Path(tmp)
        server = None
        server_process: Any = None
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
            monitor = reader(container)
            portal: Portal | HttpPortal
            if args.portal == "http":
                from bench.portal import Server

                server_process = Server(url, directory)
                server_process.start()
                portal = HttpPortal(server_process.url, server_process.settings(), load_form(), args.clients)
            else:
                portal = Portal(container, load_form())
            portal.lifecycle()  # warm up (parsing, caches); its backlog is drained with the rest
            before = pending(monitor)

            how = f"{args.clients} HTTP clients" if args.portal == "http" else "one process, use cases"
            log(f"phase 1: lifecycles for {args.seconds:g} s, no worker ({how})")

            def portal_cpu() -> float:
                if server_process is not None:
                    return tree_cpu(server_process.process.pid)
                return time.process_time()  # the use cases run in this process (no worker child yet)

            cpu_started = portal_cpu()
            client_cpu_started = time.process_time()  # this process: the HTTP clients (and the monitor)
            started = time.monotonic()
            runs = 0
            if isinstance(portal, HttpPortal):
                portal.run_for(args.seconds)
                runs = portal.runs - 1
            else:
                while time.monotonic() - started < args.seconds:
                    portal.lifecycle()
                    runs += 1
            portal_seconds = time.monotonic() - started
            portal_rate = runs / portal_seconds
            portal_cpu_per = (portal_cpu() - cpu_started) / max(runs, 1)
            client_cpu = time.process_time() - client_cpu_started
            client_cpu_per = client_cpu / max(runs, 1) if server_process is not None else 0.0
            after = pending(monitor)
            lifecycles = runs + 1  # the warm-up's backlog is in the drain too
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
                # Each drain is timed from the worker's first finished item of that kind, so its start-up
                # (imports, the script pool, the procedures check, the dependency probes) is not counted.
                started = time.monotonic()
                first: dict[str, float] = {}
                done_at: dict[str, float] = {}
                deadline = started + max(180.0, 8 * args.seconds)
                # The worker's CPU (every process of its tree) from its first rendered document (its
                # start-up, imports and the first font loading, mostly done) to the end of the drain.
                cpu_first = cpu_last = 0.0
                while time.monotonic() < deadline and len(done_at) < 2:
                    now = pending(monitor)
                    moment = time.monotonic()
                    for kind in ("documents", "messages"):
                        if kind not in first and now[kind] < after[kind]:
                            if kind == "documents":
                                cpu_first = tree_cpu(worker.pid)
                            first[kind] = moment
                        if kind not in done_at and now[kind] == 0:
                            done_at[kind] = moment
                            cpu_last = tree_cpu(worker.pid)
                    time.sleep(0.2)
                left = pending(monitor)
                rates = {}
                for kind in ("documents", "messages"):
                    span = done_at.get(kind, 0.0) - first.get(kind, 0.0)
                    rates[kind] = lifecycles / span if kind in done_at and span > 0 else 0.0
                doc_rate, msg_rate = rates["documents"], rates["messages"]
                startup = min(first.values(), default=started) - started
                log(
                    f"  start-up {startup:.1f} s; then documents keep up with {doc_rate:.1f} lifecycles/s, "
                    f"messages with {msg_rate:.1f} lifecycles/s; left {left}"
                )

                worker_cpu_per = (cpu_last - cpu_first) / lifecycles
                log(
                    f"  CPU per lifecycle: portal {portal_cpu_per:.3f} s (phase 1), "
                    f"worker {worker_cpu_per:.3f} s (from its first document; {cpu_first:.1f} s before)"
                )

                rate = args.rate or portal_rate
                log(f"phase 3: {rate:.1f} lifecycles/s for {args.seconds:g} s with the worker running")
                before3 = portal.runs
                start3 = pending(monitor)
                cpu3 = (portal_cpu(), tree_cpu(worker.pid))
                samples = run_at(portal, rate, args.seconds, monitor)
                achieved = (portal.runs - before3) / args.seconds
                done3 = max(portal.runs - before3, 1)
                cpu3_end = (portal_cpu(), tree_cpu(worker.pid))
                end3 = pending(monitor)
                # Lifecycles whose documents the worker rendered in this phase (the backlog may have grown).
                processed3 = done3 - (end3["documents"] - start3["documents"]) / max(
                    per_lifecycle["documents"], 1
                )
                together_cpu = {
                    "portal": round((cpu3_end[0] - cpu3[0]) / done3, 3),
                    "worker": round((cpu3_end[1] - cpu3[1]) / max(processed3, 1), 3),
                }
                if server_process is None:  # the worker is this process's child: its CPU is not the portal's
                    together_cpu["portal"] = None
            finally:
                stop_worker(worker)
            tail = samples[len(samples) // 2 :] or samples
            result = {
                "backend": args.backend,
                "portal": how,
                "processes": args.processes,
                "cpus": os.cpu_count(),
                # What phase 3 at the portal's rate asks of the machine: the portal's, the clients' and the
                # worker's CPU per lifecycle × the rate, in cores (above the machine's: it cannot keep up).
                "cores_needed_together": round(
                    portal_rate * (portal_cpu_per + client_cpu_per + worker_cpu_per), 2
                ),
                "portal_lifecycles_per_s": round(portal_rate, 2),
                "per_lifecycle": {k: round(v, 2) for k, v in per_lifecycle.items()},
                "backlog_lifecycles": lifecycles,
                "documents_keep_up_lifecycles_per_s": round(doc_rate, 2),
                "deliveries_keep_up_lifecycles_per_s": round(msg_rate, 2),
                "cpu_seconds_per_lifecycle": {
                    "portal": round(portal_cpu_per, 3),
                    "clients": round(client_cpu_per, 3),
                    "worker": round(worker_cpu_per, 3),
                    "worker_start_up": round(cpu_first, 1),
                    "together": together_cpu,
                },
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
            if server_process is not None:
                server_process.stop()
            if server is not None:
                server.stop()

    report(result, as_json=args.json)
    return 0


if __name__ == "__main__":
    sys.exit(main())

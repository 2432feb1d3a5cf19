"""Portal benchmark: pages for people over real HTTP against a trivial endpoint, at 1,000 and 10,000 dossiers.

Run: `.venv/bin/python bench/portal.py [--backend sqlite|pg] [--small N] [--large N] [--users 1,10]
[--requests N] [--rounds R] [--json]` (`make bench-portal`).

What it does:

1. **Database**: a temporary SQLite file, or with `--backend pg` a throw-away PostgreSQL server
   (tests/pg.py), migrated and published by `bench/deadline_scan.py`'s `open_backend`. The open dossiers are
   seeded with that benchmark's helpers: 16 real template dossiers filed through the use cases, then bulk
   `INSERT … SELECT` clones at the usual resting points (waiting for reception, appraisal, approval,
   supplement) split between the two demo agencies. The demo citizens' own dossiers are the embedded default's
   demo dossiers (`portal/demo.py`), filed through the use cases after the clones.
2. **Server**: `motcua serve` (uvicorn, one process, no in-process worker) in a subprocess on a free loopback
   port, on that database. Requests go over real HTTP with keep-alive, one `httpx.Client` per simulated user.
3. **Signed in**: the citizen (`nguyenvanan`) and the specialist of Ba Đình (`chuyenvien.badinh`) sign in
   through the development sign-in (`POST /dang-nhap`) and carry its session cookie; where that form is not
   there, a development bearer token.
4. **Measured**, at each concurrency (`--users`, default 1 and 10 simultaneous users), in interleaved rounds
   so that machine load hits every endpoint alike: the trivial endpoint `GET /api/v1/health` (the baseline),
   the catalogue `/thu-tuc`, the e-form (the first step of a permanent-residence draft the bench starts once
   from `/thu-tuc/1.004222/nop`, prefilled from the population database; without the filing pages, the filing
   page itself or the procedure page `/thu-tuc/1.004222`), "Hồ sơ của tôi" `/ho-so`, and the work list
   `/cong-viec`. A page that answers 404 is skipped with a note.
5. **Grown**: the server is stopped, the agency grown from `--small` (1,000) to `--large` (10,000) dossiers,
   the server started again and everything measured again.

Targets: every page's p50 within 3× the trivial endpoint's p50 in the same run and at the same concurrency;
the work list's p50 at the large size within 1.5× its p50 at the small size (its cost does not grow with the
number of dossiers). p95 and its ratio are printed too; the wall-clock figures on a shared machine are noisy,
the ratios less so. The client shares the machine with the server: what the client spends is in every figure,
the baseline's too.
"""

# ruff: noqa: E402  (the repository root must come first on sys.path, before the engine imports below)

from __future__ import annotations

import argparse
import json
import os
import re
import signal
import statistics
import subprocess
import sys
import tempfile
import threading
import time
from dataclasses import dataclass, field
from datetime import UTC, datetime
from pathlib import Path
from typing import Any, TextIO

ROOT = Path(__file__).resolve().parents[1]
if sys.path and Path(sys.path[0] or ".").resolve() == ROOT / "bench":
    sys.path[0] = str(ROOT)

import httpx
from sqlmodel import select

from bench import deadline_scan as scan
from portal.auth import DevIdentity
from portal.demo import demo_cases, file_case
from portal.settings import Settings
from tests.pg import free_port

RATIO_TARGET = 3.0
GROWTH_TARGET = 1.5
DEFAULT_SIZES = (1_000, 10_000)  # dossiers in the agency (the seed splits them between two agencies)
CITIZEN = "nguyenvanan"
SPECIALIST = "chuyenvien.badinh"
DEV_SECRET = "bench-portal-" + "p" * 40
SERVE = ROOT / ".venv" / "bin" / "motcua"


@dataclass(frozen=True)
class Endpoint:
    """One thing to time: a path, who asks, and the path to try when the first answers 404.

    With `draft`, `path` is the filing page: the bench starts one draft there (POST, as the citizen's browser
    does) and times the e-form's first step it is sent to; without the filing pages, the path, then the
    fallback.
    """

    name: str
    path: str
    user: str | None = None
    fallback: str | None = None
    draft: bool = False


ENDPOINTS = (
    Endpoint("trivial", "/api/v1/health"),
    Endpoint("catalogue", "/thu-tuc"),
    Endpoint("e-form", "/thu-tuc/1.004222/nop", CITIZEN, "/thu-tuc/1.004222", draft=True),
    Endpoint("Hồ sơ của tôi", "/ho-so", CITIZEN),
    Endpoint("work list", "/cong-viec", SPECIALIST),
)
BASELINE = ENDPOINTS[0].name
WORK_LIST = ENDPOINTS[4].name

log = scan.log


def percentile(values: list[float], share: float) -> float:
    """Nearest-rank percentile of a non-empty list."""
    return scan.percentile(values, share)


# --- the server ------------------------------------------------------------------------------------------


@dataclass
class Server:
    """`motcua serve` in a subprocess on a free loopback port."""

    database_url: str
    data_dir: Path
    port: int = field(default_factory=free_port)
    process: subprocess.Popen[bytes] | None = None

    @property
    def url(self) -> str:
        """Where it answers."""
        return f"http://127.0.0.1:{self.port}"

    def settings(self) -> Settings:
        """The server's settings, as far as the bench needs them (the development identity)."""
        return Settings(
            env="development",
            database_url=self.database_url,
            data_dir=self.data_dir,
            dev_secret=DEV_SECRET,
            port=self.port,
        )

    def start(self) -> None:
        """Start and wait until /api/v1/health answers."""
        env = {
            **os.environ,
            "MOTCUA_ENV": "development",
            "MOTCUA_DATABASE_URL": self.database_url,
            "MOTCUA_DATA_DIR": str(self.data_dir),
            "MOTCUA_DEV_SECRET": DEV_SECRET,
            "MOTCUA_SEED_DEMO": "false",  # the bench seeded the database itself
        }
        for name in ("MOTCUA_PUBLIC_URL", "MOTCUA_TOKEN_ISSUER", "MOTCUA_HOST", "MOTCUA_PORT"):
            env.pop(name, None)
        with (self.data_dir / "serve.log").open("ab") as out:
            self.process = subprocess.Popen(
                [str(SERVE), "serve", "--host", "127.0.0.1", "--port", str(self.port), "--no-worker"],
                env=env,
                stdout=out,
                stderr=subprocess.STDOUT,
                cwd=ROOT,
            )
        deadline = time.monotonic() + 120
        while time.monotonic() < deadline:
            if self.process.poll() is not None:
                raise RuntimeError(f"motcua serve exited with {self.process.returncode}; see {self.log_path}")
            try:
                if httpx.get(f"{self.url}/api/v1/health", timeout=1).status_code == 200:
                    return
            except httpx.HTTPError:
                pass
            time.sleep(0.2)
        raise RuntimeError(f"motcua serve did not answer within 120 s; see {self.log_path}")

    @property
    def log_path(self) -> Path:
        """The server's output."""
        return self.data_dir / "serve.log"

    def stop(self) -> None:
        """Ctrl-C, as an operator would; kill after 30 s."""
        if self.process is None or self.process.poll() is not None:
            return
        self.process.send_signal(signal.SIGINT)
        try:
            self.process.wait(timeout=30)
        except subprocess.TimeoutExpired:
            self.process.kill()
            self.process.wait()


# --- signing in -----------------------------------------------------------------------------------------

CSRF = re.compile(r'name="csrf"\s+value="([^"]+)"|value="([^"]+)"\s+name="csrf"')


def sign_in(base: str, settings: Settings, username: str) -> tuple[dict[str, str], dict[str, str], str]:
    """Cookies and headers of a signed-in user: the development sign-in's session, else a bearer token."""
    with httpx.Client(base_url=base, follow_redirects=False, timeout=30) as client:
        form = client.get("/dang-nhap")
        found = CSRF.search(form.text) if form.status_code == 200 else None
        if found:
            posted = client.post(
                "/dang-nhap",
                data={"username": username, "csrf": found.group(1) or found.group(2), "next": "/"},
            )
            cookie = settings.session_cookie
            if posted.status_code in (200, 303) and cookie in client.cookies:
                return {cookie: str(client.cookies[cookie])}, {}, "session cookie (POST /dang-nhap)"
    token = DevIdentity(settings).issue_demo(username)
    return {}, {"Authorization": f"Bearer {token}"}, "bearer token (no development sign-in form)"


# --- timing ---------------------------------------------------------------------------------------------


@dataclass
class Target:
    """A resolved endpoint: the path that answers, with the credentials of its user."""

    endpoint: Endpoint
    path: str
    cookies: dict[str, str]
    headers: dict[str, str]


def resolve(base: str, settings: Settings, notes: list[str]) -> list[Target]:
    """Probe every endpoint once; skip (with a note) what is not there yet."""
    credentials = {user: sign_in(base, settings, user) for user in {e.user for e in ENDPOINTS if e.user}}
    for user, (_, _, how) in sorted(credentials.items()):
        notes.append(f"{user} signed in with a {how}")
    targets = []
    with httpx.Client(base_url=base, timeout=60) as client:
        for endpoint in ENDPOINTS:
            cookies, headers, _ = credentials.get(endpoint.user or "", ({}, {}, ""))
            answers: list[str] = []
            chosen = None
            step = start_draft(client, endpoint.path, cookies, headers, answers) if endpoint.draft else None
            for path in [p for p in (step, endpoint.path, endpoint.fallback) if p]:
                response = client.get(path, cookies=cookies, headers=headers)
                if response.status_code == 200:
                    chosen = path
                    break
                where = response.headers.get("location")
                answers.append(f"{path} answered {response.status_code}" + (f" → {where}" if where else ""))
            if chosen is None:
                notes.append(f"skipped {endpoint.name}, not there yet: {'; '.join(answers)}")
                continue
            targets.append(Target(endpoint, chosen, cookies, headers))
            if answers:
                notes.append(f"{'; '.join(answers)}: timed {chosen} instead")
    return targets


def start_draft(
    client: httpx.Client, page: str, cookies: dict[str, str], headers: dict[str, str], answers: list[str]
) -> str | None:
    """Start a filing at Ba Đình from the filing page; the path of the e-form's first step, else None."""
    form = client.get(page, cookies=cookies, headers=headers)
    found = CSRF.search(form.text) if form.status_code == 200 else None
    if not found:
        return None
    data = {"agency": scan.BA_DINH, "csrf": found.group(1) or found.group(2)}
    started = client.post(page, data=data, cookies=cookies, headers=headers)
    where = started.headers.get("location", "")
    if started.status_code == 303 and "/buoc/" in where:
        return httpx.URL(where).path
    answers.append(f"POST {page} answered {started.status_code}" + (f" → {where}" if where else ""))
    return None


def timed_requests(base: str, target: Target, users: int, per_user: int) -> list[float]:
    """`users` clients at once, each sending `per_user` GETs one after the other; every latency (s)."""
    laps: list[list[float]] = [[] for _ in range(users)]
    failures: list[str] = []
    start = threading.Barrier(users)

    def user(i: int) -> None:
        with httpx.Client(
            base_url=base, cookies=target.cookies, headers=target.headers, timeout=60
        ) as client:
            client.get(target.path)  # open the connection (keep-alive) before the clock runs
            start.wait()
            for _ in range(per_user):
                began = time.perf_counter()
                response = client.get(target.path)
                laps[i].append(time.perf_counter() - began)
                if response.status_code != 200:
                    failures.append(f"{target.path}: {response.status_code}")

    threads = [threading.Thread(target=user, args=(i,)) for i in range(users)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    if failures:
        raise RuntimeError(f"{len(failures)} failed requests, e.g. {failures[0]}")
    return [lap for user_laps in laps for lap in user_laps]


def measure(
    base: str, targets: list[Target], users: int, requests: int, rounds: int
) -> dict[str, list[float]]:
    """Latencies per endpoint at one concurrency, the endpoints interleaved round by round."""
    per_user = max(1, requests // rounds // users)
    laps: dict[str, list[float]] = {t.endpoint.name: [] for t in targets}
    for target in targets:  # warm-up: templates compiled, caches and connections filled
        timed_requests(base, target, users, 3)
    for r in range(rounds):
        for target in targets:
            laps[target.endpoint.name] += timed_requests(base, target, users, per_user)
        log(f"  {users} user(s): round {r + 1}/{rounds} ({per_user} requests per user per endpoint)")
    return laps


def figures(laps: dict[str, list[float]], paths: dict[str, str]) -> dict[str, dict[str, Any]]:
    """p50 and p95 per endpoint (ms) and their ratios to the baseline measured in the same run."""
    base = laps[BASELINE]
    b50, b95 = statistics.median(base), percentile(base, 0.95)
    out: dict[str, dict[str, Any]] = {}
    for name, values in laps.items():
        p50, p95 = statistics.median(values), percentile(values, 0.95)
        out[name] = {
            "path": paths[name],
            "p50_ms": round(p50 * 1000, 2),
            "p95_ms": round(p95 * 1000, 2),
            "ratio_p50": round(p50 / b50, 2),
            "ratio_p95": round(p95 / b95, 2),
            "requests": len(values),
        }
    return out


# --- seeding --------------------------------------------------------------------------------------------


def seed_demo(backend: scan.Backend) -> int:
    """The demo citizens' own dossiers (portal/demo.py), filed through the use cases at the real time."""
    now = datetime.now(UTC)
    return len([file_case(backend.container, case, now) for case in demo_cases()])


def grow(backend: scan.Backend, population: scan.Population, in_agency: int) -> float:
    """Seed clones until the agency (Ba Đình) holds about `in_agency` open dossiers; the seconds spent."""
    return scan.seed_to(backend, population, 2 * in_agency)


def agency_count(backend: scan.Backend) -> int:
    """Dossiers of Ba Đình (open or not)."""
    with backend.engine.connect() as conn:
        row = conn.exec_driver_sql("SELECT count(*) FROM dossier WHERE agency_code = 'H29.12.3'").scalar_one()
    return int(row)


# --- one run ----------------------------------------------------------------------------------------------


def run(args: argparse.Namespace) -> dict[str, Any]:
    """Seed, serve, measure at both sizes; the figures."""
    notes: list[str] = []
    sizes: dict[str, Any] = {}
    with tempfile.TemporaryDirectory(prefix="motcua-portal-bench-") as tmp:
        directory = Path(tmp)
        log(f"{args.backend}: starting the database, migrating, publishing the procedures")
        backend = scan.open_backend(args.backend, directory, 1.0)
        try:
            anchor = datetime.now(UTC).replace(microsecond=0)
            templates = scan.make_templates(backend, anchor)
            scan.build_grid(backend, templates, anchor)
            with backend.engine.connect() as conn:
                rows = conn.execute(select(scan.BENCH_SLOT)).mappings().all()
            population = scan.Population([dict(r) for r in rows])
            backend.clock.set(anchor)
            # Before the clones: their ids start at ID_BASE, after the templates' and these.
            log(f"{args.backend}: filing the demo citizens' dossiers through the use cases")
            seed_demo(backend)
            for label, size in (("small", args.small), ("large", args.large)):
                seconds = grow(backend, population, size)
                count = agency_count(backend)
                log(f"{args.backend}: {count:,} dossiers at Ba Đình (seeded in {seconds:.0f} s); serving")
                server = Server(backend.url, directory)
                server.start()
                try:
                    size_notes: list[str] = []
                    targets = resolve(server.url, server.settings(), size_notes)
                    levels = {}
                    for users in args.users:
                        laps = measure(server.url, targets, users, args.requests, args.rounds)
                        levels[str(users)] = figures(laps, {t.endpoint.name: t.path for t in targets})
                    sizes[label] = {
                        "agency_dossiers": count,
                        "seed_seconds": round(seconds, 1),
                        "users": levels,
                    }
                    notes += [n for n in size_notes if n not in notes]
                finally:
                    server.stop()
            version = scan._server_version(backend)
        finally:
            backend.close()
    return summarize(args, version, sizes, notes)


def summarize(
    args: argparse.Namespace, version: str, sizes: dict[str, Any], notes: list[str]
) -> dict[str, Any]:
    """Figures, growth of the work list and one verdict per target."""
    targets: dict[str, Any] = {}
    large = sizes["large"]["users"]
    for users, table in large.items():
        for name, row in table.items():
            if name == BASELINE:
                continue
            targets[f"{name} @ {users} user(s)"] = {
                "target": f"p50 ≤ {RATIO_TARGET:g}× trivial",
                "value": row["ratio_p50"],
                "met": row["ratio_p50"] <= RATIO_TARGET,
            }
    growth = {}
    for users, table in large.items():
        small_row = sizes["small"]["users"][users].get(WORK_LIST)
        if small_row and WORK_LIST in table:
            value = round(table[WORK_LIST]["p50_ms"] / small_row["p50_ms"], 2)
            growth[users] = value
            targets[f"work list growth @ {users} user(s)"] = {
                "target": f"p50 large/small ≤ {GROWTH_TARGET:g}",
                "value": value,
                "met": value <= GROWTH_TARGET,
            }
    return {
        "backend": version,
        "machine": {"load_average": [round(x, 2) for x in os.getloadavg()], "cpus": os.cpu_count()},
        "sizes": sizes,
        "work_list_growth": growth,
        "targets": targets,
        "notes": notes,
    }


def shown(path: str) -> str:
    """A path as the report prints it: a draft's random id as `{draft}`."""
    return re.sub(r"/nop/[^/]+/buoc/", "/nop/{draft}/buoc/", path)


def report(summary: dict[str, Any], out: TextIO) -> None:
    """Human-readable figures and one MET / NOT MET line per target."""

    def say(line: str = "") -> None:
        print(line, file=out)

    machine = summary["machine"]
    say(
        f"\nMotCua portal benchmark — {summary['backend']}, load average {machine['load_average']} "
        f"on {machine['cpus']} CPUs"
    )
    for label, size in summary["sizes"].items():
        say(f"\n{label}: {size['agency_dossiers']:,} dossiers at Ba Đình (H29.12.3)")
        say(f"  {'endpoint':<48} {'users':>5} {'p50 ms':>9} {'p95 ms':>9} {'×p50':>6} {'×p95':>6} {'n':>6}")
        for users, table in size["users"].items():
            for name, row in table.items():
                label = f"{name} {shown(row['path'])}"
                say(
                    f"  {label:<48} {users:>5} {row['p50_ms']:9.2f} {row['p95_ms']:9.2f} "
                    f"{row['ratio_p50']:6.2f} {row['ratio_p95']:6.2f} {row['requests']:6d}"
                )
    for users, value in summary["work_list_growth"].items():
        say(f"\nwork list p50, large/small, {users} user(s): {value:.2f}")
    if summary["notes"]:
        say("\nNotes:")
        for note in summary["notes"]:
            say(f"  {note}")
    say("\nTargets:")
    for name, row in summary["targets"].items():
        say(f"  {name:<46} {row['target']:<26} {row['value']!s:>7}  {scan._verdict(row['met'])}")


def parse_args(argv: list[str] | None) -> argparse.Namespace:
    """Command-line options."""
    parser = argparse.ArgumentParser(description="MotCua portal benchmark (see the module docstring).")
    parser.add_argument("--backend", choices=("sqlite", "pg"), default="sqlite")
    parser.add_argument("--small", type=int, default=DEFAULT_SIZES[0], help="dossiers in the agency (1,000)")
    parser.add_argument("--large", type=int, default=DEFAULT_SIZES[1], help="dossiers in the agency (10,000)")
    parser.add_argument(
        "--users", type=lambda s: [int(x) for x in s.split(",")], default=[1, 10], help="concurrency (1,10)"
    )
    parser.add_argument(
        "--requests", type=int, default=200, help="timed requests per endpoint and level (200)"
    )
    parser.add_argument("--rounds", type=int, default=5, help="interleaved rounds (5)")
    parser.add_argument("--json", action="store_true", help="print a JSON summary on stdout")
    return parser.parse_args(argv)


def main(argv: list[str] | None = None) -> int:
    """Run and print the figures and verdicts."""
    args = parse_args(argv)
    out = sys.stderr if args.json else sys.stdout
    started = time.perf_counter()
    summary = run(args)
    report(summary, out)
    log(f"total {time.perf_counter() - started:.0f} s")
    if args.json:
        print(json.dumps(summary, ensure_ascii=False, indent=2))
    return 0


if __name__ == "__main__":
    sys.exit(main())

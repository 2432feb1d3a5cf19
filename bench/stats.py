"""Statistics benchmark: /api/v1/stats and the /giam-sat page at 100,000 and 1,000,000 dossiers (PostgreSQL).

Run: `.venv/bin/python bench/stats.py [--small N] [--large N] [--requests N] [--json]` (`make bench-stats`).

What it does:

1. **Database**: a throw-away PostgreSQL server (tests/pg.py, tuned as in bench/deadline_scan.py), migrated
   and published; 200 agencies (`BENCH.001`–`BENCH.200`) with 20 procedures each.
2. **Seeding** with bulk SQL (`INSERT … SELECT` over `generate_series`), the statistics triggers switched off
   during the load: dossiers received over the 12 months before now (60 % online, 30 % at the counter, 10 %
   by post); those received in the last 15 days are open (on track, near due or overdue against a 10-day due
   time), older ones finished early / on time / late (5–12 days), withdrawn (1 in 20) or refused at reception
   (1 in 50). Then the counters are computed from the dossiers with the statements the triggers' rules amount
   to (received and open on the day of receipt; the move to overdue on the due date of those that went late;
   finish, withdrawal and refusal on their day; near due on the day of the load), grouped per day, per month
   and now — the state the triggers and the worker's fold would have left. Steps per holder likewise. Then
   ANALYZE. The large size adds dossiers to the small one and recounts.
3. **Server**: `motcua serve` (bench/portal.py's Server) on that database; the administrator (all agencies)
   asks over real HTTP with keep-alive, one request at a time, the endpoints interleaved in rounds.
4. **Measured**: the trivial endpoint `GET /api/v1/health` (baseline), each statistics request (this month,
   the last 12 months, one agency's year, the tables per agency / procedure / month, Decision 766, a
   drill-down page) and the dashboard page `/giam-sat`.

Targets: every statistics request and the dashboard p95 ≤ 100 ms at 1M, and p95(1M) / p95(100k) ≤ 1.5.
Wall-clock figures on a shared machine are noisy: the load average is printed, and the baseline beside them.
"""

# ruff: noqa: E402  (the repository root must come first on sys.path, before the engine imports below)

from __future__ import annotations

import argparse
import json
import os
import sys
import tempfile
import time
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

ROOT = Path(__file__).resolve().parents[1]
if sys.path and Path(sys.path[0] or ".").resolve() == ROOT / "bench":
    sys.path[0] = str(ROOT)

import httpx
from sqlalchemy import text

from bench import deadline_scan as scan
from bench import portal as pb
from engine import tally
from engine.clock import to_local

AGENCIES = 200
PROCEDURES = 20
TARGET_MS = 100.0
GROWTH_TARGET = 1.5
ADMIN = "quantri"
log = scan.log

LOCAL = "AT TIME ZONE 'Asia/Ho_Chi_Minh'"


def day(column: str) -> str:
    return f"(({column}) {LOCAL})::date"


SEED_AGENCIES = f"""
INSERT INTO agency (code, name, level, office_hours, has_counter)
SELECT 'BENCH.' || lpad(a::text, 3, '0'), 'UBND xã thử nghiệm ' || a, 'commune',
  '07:30-11:30,13:00-17:00', true
FROM generate_series(1, {AGENCIES}) AS a
ON CONFLICT (code) DO NOTHING
"""

# i → a dossier; :now is the load's moment, :version and :spec a published procedure version (FK only).
SEED_DOSSIERS = f"""
WITH s AS (
  SELECT i,
    CAST(:now AS timestamptz) - interval '365 days' + ((i * 104729) % 31536000) * interval '1 second' AS rec
  FROM generate_series(CAST(:lo AS bigint), CAST(:hi AS bigint) - 1) AS i
), d AS (
  SELECT i, rec,
    'BENCH.' || lpad(((i % {AGENCIES}) + 1)::text, 3, '0') AS agency,
    '9.' || lpad((((i / {AGENCIES}) % {PROCEDURES}) + 1)::text, 6, '0') AS procedure,
    CASE WHEN i % 10 < 6 THEN 'online' WHEN i % 10 < 9 THEN 'counter' ELSE 'postal' END AS channel,
    rec + interval '10 days' AS due,
    CASE WHEN rec > CAST(:now AS timestamptz) - interval '15 days' THEN 'open'
         WHEN i % 50 = 1 THEN 'refused' WHEN i % 20 = 0 THEN 'withdrawn' ELSE 'finished' END AS fate,
    5 + (i % 8) AS took
  FROM s
)
INSERT INTO dossier (code, access_key, procedure_code, procedure_version_id, agency_code, channel, status,
  applicant_name, applicant, form, papers, filed_at, filed_by, received_at, due_at, original_due_at,
  finished_at, returned_at, closed_at, current_step, current_holder, supplements_at_reception,
  supplements_in_processing, timeliness, processing_days, deadline_state, spec_hash, workflow_state, version,
  updated_at)
SELECT 'BENCH-' || i, 'K' || i, procedure, :version, agency, channel,
  CASE fate WHEN 'open' THEN 4 WHEN 'refused' THEN 3 WHEN 'withdrawn' THEN 7 ELSE 10 END,
  'Người thử nghiệm ' || i, '{{}}', '{{}}', '[]', rec, 'bench',
  CASE WHEN fate = 'refused' THEN NULL ELSE rec END,
  CASE WHEN fate = 'refused' THEN NULL ELSE due END,
  CASE WHEN fate = 'refused' THEN NULL ELSE due END,
  CASE WHEN fate = 'finished' THEN rec + took * interval '1 day' END,
  CASE WHEN fate = 'finished' THEN rec + took * interval '1 day' END,
  CASE fate WHEN 'finished' THEN rec + took * interval '1 day' WHEN 'withdrawn' THEN rec + interval '3 days'
            WHEN 'refused' THEN rec END,
  CASE WHEN fate = 'open' THEN 'Thẩm định' END,
  CASE WHEN fate = 'open' THEN 'Chuyên viên ' || (i % 5) END,
  0, 0,
  CASE WHEN fate = 'finished' THEN
         CASE WHEN took < 10 THEN 'early' WHEN took = 10 THEN 'on_time' ELSE 'late' END
       WHEN fate = 'withdrawn' THEN 'on_time' END,
  CASE WHEN fate = 'finished' THEN round(took * 5 / 7.0, 2) END,
  CASE WHEN fate <> 'open' THEN 'closed' WHEN due < CAST(:now AS timestamptz) THEN 'overdue'
       WHEN due < CAST(:now AS timestamptz) + interval '2 days' THEN 'near_due' ELSE 'on_track' END,
  :spec, '{{}}', 1,
  CASE fate WHEN 'finished' THEN rec + took * interval '1 day' WHEN 'withdrawn' THEN rec + interval '3 days'
            ELSE rec END
FROM d
"""

# What the triggers' rules append for each dossier (migration 0015), as (day, cell, measures) events.
MEASURES = (
    "received",
    "early",
    "on_time",
    "late",
    "withdrawn",
    "refused",
    "processing_days",
    "open_on_track",
    "open_near_due",
    "open_overdue",
)


def _event(when: str, values: dict[str, str], where: str) -> str:
    columns = ", ".join(values.get(m, "0") + f" AS {m}" for m in MEASURES)
    return (
        f"SELECT {day(when)} AS day, agency_code, procedure_code, channel, {columns} FROM dossier "
        f"WHERE agency_code LIKE 'BENCH.%' AND {where}"
    )


EVENTS = " UNION ALL ".join(
    [
        _event("received_at", {"received": "1", "open_on_track": "1"}, "received_at IS NOT NULL"),
        _event(  # the late ones were moved to overdue by the scan on their due date
            "due_at",
            {"open_on_track": "-1", "open_overdue": "1"},
            "(timeliness = 'late' AND status = 10) OR deadline_state = 'overdue'",
        ),
        _event(
            "finished_at",
            {
                "early": "CASE WHEN timeliness = 'early' THEN 1 ELSE 0 END",
                "on_time": "CASE WHEN timeliness = 'on_time' THEN 1 ELSE 0 END",
                "late": "CASE WHEN timeliness = 'late' THEN 1 ELSE 0 END",
                "processing_days": "processing_days",
                "open_on_track": "CASE WHEN timeliness = 'late' THEN 0 ELSE -1 END",
                "open_overdue": "CASE WHEN timeliness = 'late' THEN -1 ELSE 0 END",
            },
            "status = 10",
        ),
        _event("closed_at", {"withdrawn": "1", "open_on_track": "-1"}, "status = 7"),
        _event("closed_at", {"refused": "1"}, "status = 3"),
        _event(
            "CAST(:now AS timestamptz)",
            {"open_on_track": "-1", "open_near_due": "1"},
            "deadline_state = 'near_due'",
        ),
    ]
)


def recount(conn: Any, now: datetime) -> None:
    """Counters from the dossiers, as the triggers and the fold would have left them."""
    levels = ("open_on_track", "open_near_due", "open_overdue")
    for table in (
        "dossier_stat",
        "dossier_stat_month",
        "dossier_stat_open",
        "dossier_stat_delta",
        "step_stat",
    ):
        conn.execute(text(f"DELETE FROM {table}"))
    conn.execute(text(f"CREATE TEMP TABLE bench_events ON COMMIT DROP AS {EVENTS}"), {"now": now})
    # Each cell, and the `*` cells of every agency / every procedure / both (engine/stats/counters.py).
    for target, period in (
        ("dossier_stat", "day"),
        ("dossier_stat_month", "date_trunc('month', day)::date"),
        ("dossier_stat_open", None),
    ):
        head = [] if period is None else [f"{period} AS p"]
        keys = "p, " if period else ""
        chosen = MEASURES if period else levels
        sets = ", ".join(
            f"({keys}{dims}channel)"
            for dims in ("agency_code, procedure_code, ", "procedure_code, ", "agency_code, ", "")
        )
        columns = ([] if period is None else ["day" if target == "dossier_stat" else "month"]) + [
            "agency_code",
            "procedure_code",
            "channel",
            *chosen,
        ]
        conn.execute(
            text(
                f"INSERT INTO {target} ({', '.join(columns)}) "
                f"SELECT {keys}COALESCE(agency_code, '*'), COALESCE(procedure_code, '*'), channel, "
                f"{', '.join(f'SUM({m})' for m in chosen)} "
                f"FROM (SELECT {', '.join([*head, '*'])} FROM bench_events) e "
                f"GROUP BY GROUPING SETS ({sets})"
            )
        )
    conn.execute(
        text(
            "INSERT INTO step_stat (day, agency_code, holder, steps, early, on_time, late, late_hours) "
            f"SELECT {day('finished_at')}, agency_code, 'Chuyên viên ' || (id % 5), COUNT(*), "
            "SUM(CASE WHEN timeliness = 'early' THEN 1 ELSE 0 END), "
            "SUM(CASE WHEN timeliness = 'on_time' THEN 1 ELSE 0 END), "
            "SUM(CASE WHEN timeliness = 'late' THEN 1 ELSE 0 END), "
            "SUM(CASE WHEN timeliness = 'late' THEN 8 ELSE 0 END) "
            "FROM dossier WHERE status = 10 AND agency_code LIKE 'BENCH.%' GROUP BY 1, 2, 3"
        )
    )


def seed(backend: scan.Backend, start: int, end: int, now: datetime) -> float:
    """Add dossiers start..end-1 (triggers off), recount the counters, ANALYZE; seconds spent."""
    began = time.perf_counter()
    with backend.engine.begin() as conn:
        version, spec = conn.execute(
            text("SELECT id, spec_hash FROM procedure_version WHERE is_current ORDER BY id LIMIT 1")
        ).one()
        conn.execute(text(SEED_AGENCIES))
        conn.execute(text("ALTER TABLE dossier DISABLE TRIGGER dossier_stat"))
        conn.execute(text("ALTER TABLE dossier DISABLE TRIGGER dossier_tally"))
    step = 100_000
    for lo in range(start, end, step):
        with backend.engine.begin() as conn:
            conn.execute(
                text(SEED_DOSSIERS),
                {"lo": lo, "hi": min(lo + step, end), "now": now, "version": version, "spec": spec},
            )
        log(f"  seeded {min(lo + step, end):,} dossiers")
    with backend.engine.begin() as conn:
        conn.execute(text("ALTER TABLE dossier ENABLE TRIGGER dossier_stat"))
        conn.execute(text("ALTER TABLE dossier ENABLE TRIGGER dossier_tally"))
        recount(conn, now)
    with backend.container.transaction() as uow:
        tally.rebuild(uow)
    with backend.engine.execution_options(isolation_level="AUTOCOMMIT").connect() as conn:
        conn.execute(text("VACUUM ANALYZE"))
    return time.perf_counter() - began


def endpoints(now: datetime) -> list[tuple[str, str]]:
    """(name, path) of what is timed; the first is the baseline."""
    today = to_local(now).date()
    month = today.replace(day=1)
    year_ago = (month - timedelta(days=335)).replace(day=1)
    last_month = (month - timedelta(days=1)).strftime("%Y-%m")
    this = f"from={month}&to={today}"
    year = f"from={year_ago}&to={today}"
    return [
        ("trivial /api/v1/health", "/api/v1/health"),
        ("timeliness, this month", f"/api/v1/stats/timeliness?{this}"),
        ("timeliness, 12 months", f"/api/v1/stats/timeliness?{year}"),
        ("timeliness, 1 agency, 12 months", f"/api/v1/stats/timeliness?{year}&agency=BENCH.007"),
        ("timeliness, online, 12 months", f"/api/v1/stats/timeliness?{year}&channel=online"),
        ("table by agency, this month", f"/api/v1/stats/table?by=agency&{this}"),
        ("table by procedure, 12 months", f"/api/v1/stats/table?by=procedure&{year}&agency=BENCH.007"),
        ("table by month, 12 months", f"/api/v1/stats/table?by=month&{year}"),
        ("steps, this month", f"/api/v1/stats/steps?{this}"),
        ("766, last month", f"/api/v1/stats/766?period={last_month}"),
        ("drill-down late, 1 agency", f"/api/v1/stats/dossiers?measure=late&{year}&agency=BENCH.007"),
        ("dashboard /giam-sat", f"/giam-sat?tu-ngay={month}&den-ngay={today}"),
    ]


def measure(
    base: str, headers: dict[str, str], cookies: dict[str, str], paths: list[tuple[str, str]], rounds: int
) -> dict[str, list[float]]:
    """`rounds` interleaved rounds: each endpoint once per round, one request at a time."""
    laps: dict[str, list[float]] = {name: [] for name, _ in paths}
    with httpx.Client(base_url=base, headers=headers, cookies=cookies, timeout=60) as client:
        for _, path in paths:  # warm-up, and a check that each answers
            response = client.get(path)
            if response.status_code != 200:
                raise RuntimeError(f"{path} answered {response.status_code}: {response.text[:300]}")
        for _ in range(rounds):
            for name, path in paths:
                began = time.perf_counter()
                response = client.get(path)
                laps[name].append(time.perf_counter() - began)
                if response.status_code != 200:
                    raise RuntimeError(f"{path} answered {response.status_code}")
    return laps


def figures(laps: dict[str, list[float]]) -> dict[str, dict[str, float]]:
    return {
        name: {"p50": scan.ms(scan.percentile(v, 0.5)), "p95": scan.ms(scan.percentile(v, 0.95))}
        for name, v in laps.items()
    }


def run_size(backend: scan.Backend, directory: Path, rounds: int) -> dict[str, dict[str, float]]:
    server = pb.Server(backend.url, directory)
    server.start()
    try:
        token = pb.DevIdentity(server.settings()).issue_demo(ADMIN)
        cookies, _, _ = pb.sign_in(server.url, server.settings(), ADMIN)  # the page wants a browser session
        paths = endpoints(datetime.now(UTC))
        return figures(measure(server.url, {"Authorization": f"Bearer {token}"}, cookies, paths, rounds))
    finally:
        server.stop()


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--small", type=int, default=100_000)
    parser.add_argument("--large", type=int, default=1_000_000)
    parser.add_argument("--requests", type=int, default=60, help="requests per endpoint and size")
    parser.add_argument("--json", action="store_true")
    args = parser.parse_args(argv)
    directory = Path(tempfile.mkdtemp(prefix="motcua-bench-stats-"))
    backend = scan.open_backend("pg", directory, 5.0)
    now = datetime.now(UTC)
    results: dict[str, Any] = {"sizes": [args.small, args.large], "seconds_seeding": [], "figures": []}
    try:
        done = 0
        for size in (args.small, args.large):
            log(f"seeding to {size:,} dossiers")
            results["seconds_seeding"].append(round(seed(backend, done, size, now), 1))
            done = size
            log(f"measuring at {size:,} (load average {os.getloadavg()[0]:.2f})")
            results["figures"].append(run_size(backend, directory, args.requests))
    finally:
        backend.close()
    report(results, args.json)
    return 0 if results["ok"] else 1


def report(results: dict[str, Any], as_json: bool) -> None:
    small, large = results["figures"]
    baseline = next(iter(small))
    lines = [
        f"statistics at {results['sizes'][0]:,} → {results['sizes'][1]:,} dossiers, {AGENCIES} agencies × "
        f"{PROCEDURES} procedures, 12 months (PostgreSQL); seeding {results['seconds_seeding']} s",
        f"{'request':38} {'p50 small':>10} {'p95 small':>10} {'p50 large':>10} {'p95 large':>10} "
        f"{'p95 ×base':>10} {'growth':>7}",
    ]
    ok = True
    for name in small:
        growth = large[name]["p95"] / small[name]["p95"] if small[name]["p95"] else 0.0
        versus = large[name]["p95"] / large[baseline]["p95"] if large[baseline]["p95"] else 0.0
        fine = name == baseline or (large[name]["p95"] <= TARGET_MS and growth <= GROWTH_TARGET)
        ok = ok and fine
        lines.append(
            f"{name:38} {small[name]['p50']:10.1f} {small[name]['p95']:10.1f} {large[name]['p50']:10.1f} "
            f"{large[name]['p95']:10.1f} {versus:10.1f} {growth:7.2f}{'' if fine else '  ✗'}"
        )
    lines.append(
        f"targets: p95 ≤ {TARGET_MS:.0f} ms at the large size, growth ≤ {GROWTH_TARGET}: "
        f"{'met' if ok else 'NOT met'}"
    )
    results["ok"] = ok
    out = sys.stderr if as_json else sys.stdout
    print("\n".join(lines), file=out)  # noqa: T201
    if as_json:
        print(json.dumps(results, indent=2))  # noqa: T201


if __name__ == "__main__":
    sys.exit(main())

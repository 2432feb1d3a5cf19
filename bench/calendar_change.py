"""Calendar change in flight: what a dry run and its application cost as the number of open dossiers grows.

`.venv/bin/python bench/calendar_change.py [--backend sqlite|pg] [--small N] [--large N] [--reps N] [--json]`

The database is seeded with the deadline-scan benchmark's helpers (bench/deadline_scan.py: 16 template
dossiers filed through the use cases, then bulk clones with due times computed by the engine's calendar
around the real current time). At each size it times, interleaved over `--reps` rounds:

- far: the first page of the dry run of a national holiday 200 days ahead, beyond every due time: no running
  clock can move, so its cost must not grow with the dossiers (engine/usecases/recompute.py reads an index
  range from the changed day on);
- near: the first page (50 moves) of the dry run of a national holiday on the third working day ahead;
- **baseline**: reading every running clock (`SELECT … WHERE deadline_state = …` per level, the rows fetched),
  which is what a dry run that did not use the window would at least do.

Printed: p50 of each, the ratios far/baseline and near/baseline at both sizes, the ratio large/small of far
(target ≤ 1.5) and, at the large size, applying the near holiday: dossiers moved, batches of 200, seconds and
dossiers per second, and a second application (must move none).
"""

# ruff: noqa: E402  (the repository root must come first on sys.path, before the engine imports below)

from __future__ import annotations

import argparse
import json
import statistics
import sys
import tempfile
import time
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

ROOT = Path(__file__).resolve().parents[1]
if sys.path and Path(sys.path[0] or ".").resolve() == ROOT / "bench":
    sys.path[0] = str(ROOT)

from sqlalchemy import func, select
from sqlmodel import col

from bench import deadline_scan as scan
from engine.actor import Actor, Role
from engine.clock import to_local
from engine.store.db import unit_of_work
from engine.store.models import DossierRow
from engine.usecases import calendar_admin, recompute
from engine.usecases.calendar_admin import ExceptionInput
from engine.usecases.calendars import calendar_for

ADMIN = Actor(subject="bench-admin", username="quantri", roles=frozenset({Role.ADMIN}), full_name="Bench")


def log(message: str) -> None:
    """Progress on stderr."""
    print(message, file=sys.stderr, flush=True)  # noqa: T201


def working_day_ahead(backend: Any, start: datetime, n: int) -> datetime:
    """The n-th working day after `start` (local date as a datetime)."""
    with unit_of_work(backend.engine) as uow:
        calendar = calendar_for(uow, scan.BA_DINH)
    day = to_local(start).date()
    found = 0
    while found < n:
        day += timedelta(days=1)
        if calendar.is_working_day(day):
            found += 1
    return datetime.combine(day, datetime.min.time())


def draft(backend: Any, day: datetime, name: str) -> int:
    """A draft national compensatory day off on `day`."""
    data = ExceptionInput(
        day.date().isoformat(), "COMPENSATORY_OFF", name, "Công văn 1234/LĐTBXH-CV", "national"
    )
    with unit_of_work(backend.engine) as uow:
        change = calendar_admin.propose_add(uow, ADMIN, data, backend.clock.now())
        assert change.id is not None
        return change.id


def time_dry_run(backend: Any, change_id: int) -> tuple[float, int, int]:
    """Seconds for the first page of a dry run; moves found; candidates read."""
    started = time.perf_counter()
    with unit_of_work(backend.engine) as uow:
        page = recompute.dry_run(uow, backend.container.services, ADMIN, change_id)
    return time.perf_counter() - started, len(page.moves), page.examined


def time_baseline(backend: Any) -> tuple[float, int]:
    """Seconds to fetch every running clock (id, agency, due time, receipt): the least a full read costs."""
    started = time.perf_counter()
    rows = 0
    with backend.engine.connect() as conn:
        for state in recompute.RUNNING:
            rows += len(
                conn.execute(
                    select(
                        DossierRow.id, DossierRow.agency_code, DossierRow.due_at, DossierRow.received_at
                    ).where(col(DossierRow.deadline_state) == state)
                ).all()
            )
    return time.perf_counter() - started, rows


def running(backend: Any) -> int:
    """Running clocks in the database."""
    with backend.engine.connect() as conn:
        query = (
            select(func.count())
            .select_from(DossierRow)
            .where(col(DossierRow.deadline_state).in_(recompute.RUNNING))
        )
        return int(conn.execute(query).scalar_one())


def p50(values: list[float]) -> float:
    """Median in milliseconds."""
    return round(statistics.median(values) * 1000, 2)


def measure(backend: Any, far_id: int, near_id: int, reps: int) -> dict[str, Any]:
    """Interleaved rounds of far, near and baseline."""
    far, near, base = [], [], []
    far_moves = near_moves = near_read = base_rows = 0
    for _ in range(reps):
        seconds, far_moves, _ = time_dry_run(backend, far_id)
        far.append(seconds)
        seconds, near_moves, near_read = time_dry_run(backend, near_id)
        near.append(seconds)
        seconds, base_rows = time_baseline(backend)
        base.append(seconds)
    return {
        "running_clocks": running(backend),
        "far_p50_ms": p50(far),
        "far_moves": far_moves,
        "near_p50_ms": p50(near),
        "near_moves_first_page": near_moves,
        "near_candidates_read": near_read,
        "baseline_p50_ms": p50(base),
        "baseline_rows": base_rows,
        "far_over_baseline": round(statistics.median(far) / statistics.median(base), 3),
        "near_over_baseline": round(statistics.median(near) / statistics.median(base), 3),
    }


def run(args: argparse.Namespace) -> dict[str, Any]:
    """Seed small, measure, grow to large, measure, apply."""
    out: dict[str, Any] = {"backend": args.backend, "sizes": {}}
    with tempfile.TemporaryDirectory(prefix="motcua-calendar-") as tmp:
        backend = scan.open_backend(args.backend, Path(tmp), 1.0)
        try:
            anchor = datetime.now(UTC).replace(microsecond=0)
            templates = scan.make_templates(backend, anchor)
            scan.build_grid(backend, templates, anchor)
            with backend.engine.connect() as conn:
                rows = conn.execute(select(scan.BENCH_SLOT)).mappings().all()
            population = scan.Population([dict(r) for r in rows])
            backend.clock.set(anchor)
            far_id = draft(backend, working_day_ahead(backend, anchor, 140), "Nghỉ bù (xa)")
            near_day = working_day_ahead(backend, anchor, 3)
            near_id = draft(backend, near_day, "Nghỉ bù (gần)")
            for label, size in (("small", args.small), ("large", args.large)):
                log(f"{args.backend}: seeding to {size:,} dossiers")
                seeded = scan.seed_to(backend, population, size)
                result = measure(backend, far_id, near_id, args.reps)
                result["seed_seconds"] = round(seeded, 1)
                out["sizes"][label] = result
                log(f"{label}: {json.dumps(result)}")
            small, large = out["sizes"]["small"], out["sizes"]["large"]
            out["far_large_over_small"] = round(large["far_p50_ms"] / max(small["far_p50_ms"], 0.001), 2)
            out["far_target_met"] = out["far_large_over_small"] <= 1.5
            started = time.perf_counter()
            report = recompute.apply(
                backend.container.transaction, backend.container.services, ADMIN, near_id
            )
            seconds = time.perf_counter() - started
            again = recompute.apply(backend.container.transaction, backend.container.services, ADMIN, near_id)
            out["apply"] = {
                "moved": report.moved,
                "examined": report.examined,
                "batches": report.batches,
                "seconds": round(seconds, 2),
                "moved_per_second": round(report.moved / seconds, 1) if seconds else None,
                "second_application_moved": again.moved,
            }
        finally:
            backend.close()
    return out


def main() -> None:
    """Parse the options, run, print."""
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--backend", choices=("sqlite", "pg"), default="sqlite")
    parser.add_argument("--small", type=int, default=2_000)
    parser.add_argument("--large", type=int, default=20_000)
    parser.add_argument("--reps", type=int, default=7)
    parser.add_argument("--json", action="store_true")
    args = parser.parse_args()
    out = run(args)
    if args.json:
        print(json.dumps(out, indent=2))  # noqa: T201
        return
    for label, result in out["sizes"].items():
        print(  # noqa: T201
            f"{label:>5}: {result['running_clocks']:>8,} running clocks | "
            f"far {result['far_p50_ms']:>8.2f} ms "
            f"({result['far_moves']} moves) | near {result['near_p50_ms']:>8.2f} ms "
            f"({result['near_moves_first_page']} moves, {result['near_candidates_read']} read) | "
            f"baseline {result['baseline_p50_ms']:>8.2f} ms ({result['baseline_rows']:,} rows) | "
            f"far/baseline {result['far_over_baseline']} near/baseline {result['near_over_baseline']}"
        )
    met = "MET" if out["far_target_met"] else "NOT MET"
    print(f"far dry run large/small: {out['far_large_over_small']} (target ≤ 1.5: {met})")  # noqa: T201
    print(f"apply (large): {json.dumps(out['apply'])}")  # noqa: T201


if __name__ == "__main__":
    main()

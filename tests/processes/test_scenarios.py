"""Every scenario file of every procedure, run on SQLite (in memory) and on a fresh, migrated PostgreSQL."""

from __future__ import annotations

import itertools
from pathlib import Path

import pytest

from engine.clock import FixedClock
from engine.scenarios import run_scenario, scenario_files
from engine.services import Services
from engine.store.db import make_engine
from engine.store.migrate import upgrade
from portal.settings import ROOT, Settings
from portal.wiring import build_services
from tests.pg import PostgresServer

PROCESSES = ROOT / "processes"
SCENARIOS = [
    path for folder in sorted(PROCESSES.iterdir()) if folder.is_dir() for path in scenario_files(folder)
]
_FRESH = itertools.count(1)


def scenario_id(path: Path) -> str:
    """`<procedure slug>/<file stem>`, e.g. `birth-registration/01-counter-same-day`."""
    return f"{path.parent.parent.name}/{path.stem}"


def services_for(clock: FixedClock) -> Services:
    """The services `motcua procedures check` builds: repository forms, the scenario's clock."""
    settings = Settings(env="test", processes_dir=PROCESSES, forms_dir=ROOT / "forms")
    return build_services(settings, clock)


def report(problems: list[str]) -> str:
    """The problems, one per line, for the assertion message."""
    return "\n".join(["scenario problems:", *problems])


def test_every_procedure_ships_scenarios() -> None:
    folders = [p for p in PROCESSES.iterdir() if p.is_dir()]
    assert folders
    for folder in folders:
        assert scenario_files(folder), f"{folder.name} has no scenarios/*.json"


@pytest.mark.parametrize("path", SCENARIOS, ids=scenario_id)
def test_scenario_on_sqlite(path: Path) -> None:
    result = run_scenario(path, services_for)
    assert result.problems == [], report(result.problems)


@pytest.mark.parametrize("path", SCENARIOS, ids=scenario_id)
def test_scenario_on_postgres(path: Path, postgres: PostgresServer) -> None:
    url = postgres.create_database(f"scenario_{next(_FRESH)}")
    engine = make_engine(url)
    try:
        upgrade(engine)  # the real migrations; run_scenario's create_all then finds every table present
        result = run_scenario(path, services_for, engine)
    finally:
        engine.dispose()
    assert result.problems == [], report(result.problems)

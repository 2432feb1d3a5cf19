"""Shared fixtures: real migrations once per backend (SQLite and a real PostgreSQL), clean tables per test."""

from __future__ import annotations

import os
from collections.abc import Callable, Iterator
from datetime import datetime
from pathlib import Path

import pytest
from fastapi.testclient import TestClient
from sqlalchemy import text
from sqlalchemy.engine import Engine

from engine.clock import FixedClock
from engine.store.db import make_engine
from engine.store.migrate import upgrade
from integrations.residents.population import Population
from integrations.residents.settings import ResidentsSettings
from integrations.residents.simulator import Simulator
from portal.app import create_app
from portal.auth import DevIdentity
from portal.bootstrap import prepare
from portal.settings import ROOT, Settings
from portal.wiring import Container, build
from tests.builders import Api
from tests.ioc_receiver import IocReceiver
from tests.pg import PostgresServer

pytest_plugins = ["tests.kc_fixtures"]  # the real Keycloak (tests/kc.py)

# A Monday morning, inside office hours (local time).
MONDAY_0900 = datetime.fromisoformat("2026-03-02T09:00:00+07:00")

# Tables a test may fill, children first (agencies, procedures and the calendar stay between tests).
VOLATILE = (
    "version_move",
    "procedure_draft_file",
    "procedure_draft",
    "open_data_release",
    "rating_officer",
    "rating",  # before `dossier`
    "deadline_shift",
    "admin_change",
    "calendar_exception",  # re-seeded by prepare(); administrators' tests add rows
    "idempotency_record",
    "rate_limit",
    "draft",
    "dossier_upload",
    "resident_lookup",
    "registry_check",
    "document",
    "register_entry",
    "document_sequence",
    "web_session",
    "outbox_event",
    "submission",
    "bpmn_timer",
    "extension",
    "clock_pause",
    "handover",
    "status_change",
    "work_task",
    "dossier",
    "upload",
    "dossier_sequence",
    "dossier_tally_delta",  # after `dossier`: deleting dossiers appends deltas
    "dossier_tally",
    "dossier_stat_delta",  # after `dossier`, `document` and `dossier_upload`: deleting them appends deltas
    "dossier_stat",
    "dossier_stat_month",
    "dossier_stat_open",
    "step_stat",
)


@pytest.fixture(scope="session")
def postgres() -> Iterator[PostgresServer]:
    """One PostgreSQL server for the whole run (fails loudly when the Debian package is missing)."""
    server = PostgresServer.start()
    yield server
    server.stop()


@pytest.fixture(scope="session", params=["sqlite", "postgres"])
def database(request: pytest.FixtureRequest, tmp_path_factory: pytest.TempPathFactory) -> Iterator[Engine]:
    """A migrated database per backend; every test that uses it runs on both."""
    if request.param == "sqlite":
        url = f"sqlite:///{tmp_path_factory.mktemp('sqlite') / 'motcua.db'}"
    else:
        server: PostgresServer = request.getfixturevalue("postgres")
        url = server.create_database("motcua_suite")
    engine = make_engine(url)
    upgrade(engine)
    yield engine
    engine.dispose()


RESIDENTS_TOKEN = "residents-test-token-" + "r" * 24


@pytest.fixture(scope="session")
def residents_sim() -> Iterator[Simulator]:
    """The population-database simulator over real HTTP on loopback, once per run (faults set per test)."""
    sim = Simulator(Population(), token=RESIDENTS_TOKEN).start()
    yield sim
    sim.stop()


def residents_settings(sim: Simulator, **overrides: float) -> ResidentsSettings:
    """The client's settings for the test simulator: short timeouts so that faults cost little time."""
    values: dict[str, object] = {
        "url": sim.url,
        "token": RESIDENTS_TOKEN,
        "connect_timeout_seconds": 0.5,
        "read_timeout_seconds": 0.5,
        "budget_seconds": 2.0,
        "retries": 1,
    }
    return ResidentsSettings(**(values | overrides))  # type: ignore[arg-type]


def make_settings(data_dir: Path, url: str, residents: ResidentsSettings | None = None) -> Settings:
    """Settings for tests: repository processes and forms, a throw-away data dir, the test simulator."""
    return Settings(
        env="test",
        database_url=url,
        data_dir=data_dir,
        dev_secret="test-secret-" + "x" * 32,
        processes_dir=ROOT / "processes",
        forms_dir=ROOT / "forms",
        residents=residents or ResidentsSettings(),
    )


@pytest.fixture
def clock() -> FixedClock:
    """The test's clock, starting on a Monday at 09:00 local time."""
    return FixedClock(MONDAY_0900)


@pytest.fixture
def container(
    database: Engine, clock: FixedClock, tmp_path: Path, residents_sim: Simulator
) -> Iterator[Container]:
    """Services on the migrated database, procedures published, demo agencies seeded, registry simulated."""
    url = str(database.url.render_as_string(hide_password=False))
    settings = make_settings(tmp_path, url, residents_settings(residents_sim))
    built = build(settings, clock=clock, engine=database)
    prepare(built, migrate=False)
    yield built
    built.close()
    residents_sim.clear_faults()
    with database.begin() as conn:
        for table in VOLATILE:
            conn.execute(text(f"DELETE FROM {table}"))


@pytest.fixture
def client(container: Container) -> TestClient:
    """HTTP client on the real app (development identity)."""
    return TestClient(create_app(container.settings, container))


@pytest.fixture
def token(container: Container) -> Callable[[str], str]:
    """Bearer token of a demo user by username."""
    identity = DevIdentity(container.settings)
    return identity.issue_demo


@pytest.fixture
def auth(token: Callable[[str], str]) -> Callable[[str], dict[str, str]]:
    """Authorization header of a demo user."""
    return lambda username: {"Authorization": f"Bearer {token(username)}"}


def pytest_configure(config: pytest.Config) -> None:
    """Record whether we run in CI (components must be present there)."""
    config.addinivalue_line("markers", "ci_only: documents a CI expectation")
    os.environ.setdefault("MOTCUA_ENV", "test")


@pytest.fixture
def api(client: TestClient, auth: Callable[[str], dict[str, str]], clock: FixedClock) -> Api:
    """The HTTP API as the demo users see it, with the test's clock (tests/builders.py)."""
    return Api(client, auth, clock)


@pytest.fixture
def ioc_receiver() -> Iterator[IocReceiver]:
    """A real HTTP receiver on loopback standing in for the operations center (tests/ioc_receiver.py)."""
    receiver = IocReceiver().start()
    yield receiver
    receiver.stop()


def pytest_collection_modifyitems(config: pytest.Config, items: list[pytest.Item]) -> None:
    """With `-n 2 --dist loadgroup`, every test of the real Keycloak runs on one worker (one Keycloak)."""
    for item in items:
        if "tests/keycloak/" in str(item.fspath).replace("\\", "/"):
            item.add_marker(pytest.mark.xdist_group("keycloak"))

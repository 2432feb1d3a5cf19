"""The CI drift check: the migrated schema is what the models declare, on SQLite and PostgreSQL."""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
from alembic import command
from alembic.autogenerate import compare_metadata
from alembic.migration import MigrationContext
from alembic.script import ScriptDirectory
from sqlalchemy import inspect
from sqlalchemy.engine import Engine
from sqlmodel import SQLModel

import engine.store.models  # noqa: F401  (registers the tables on SQLModel.metadata)
from engine.store.db import make_engine
from engine.store.migrate import alembic_config, upgrade
from tests.pg import PostgresServer

TABLES = {
    "agency",
    "admin_change",
    "deadline_shift",
    "idempotency_record",
    "rate_limit",
    "bpmn_spec",
    "procedure_draft",
    "procedure_draft_file",
    "procedure_version_file",
    "bpmn_timer",
    "calendar_exception",
    "clock_pause",
    "document",
    "document_sequence",
    "dossier",
    "dossier_upload",
    "draft",
    "dossier_sequence",
    "extension",
    "handover",
    "dossier_tally",
    "dossier_tally_delta",
    "dossier_stat",
    "dossier_stat_delta",
    "dossier_stat_month",
    "dossier_stat_open",
    "step_stat",
    "rating",
    "rating_officer",
    "open_data_release",
    "outbox_event",
    "procedure_version",
    "registry_check",
    "resident_lookup",
    "register_entry",
    "status_change",
    "submission",
    "upload",
    "version_move",
    "web_session",
    "work_task",
}


def drift(engine: Engine) -> list[Any]:
    """What autogenerate would put in a new migration (empty when migrations and models agree)."""
    with engine.connect() as conn:
        context = MigrationContext.configure(conn, opts={"compare_type": True, "render_as_batch": True})
        return list(compare_metadata(context, SQLModel.metadata))


def migrate(engine: Engine, action: str, target: str) -> None:
    """`alembic upgrade|downgrade <target>` on the engine's database, through the repository's config."""
    config = alembic_config()
    with engine.begin() as connection:
        config.attributes["connection"] = connection
        getattr(command, action)(config, target)


def revision_of(engine: Engine) -> str | None:
    """The revision stamped in the database (None before the first migration)."""
    with engine.connect() as conn:
        return MigrationContext.configure(conn).get_current_revision()


def head() -> str | None:
    """The newest revision in alembic/versions."""
    return ScriptDirectory.from_config(alembic_config()).get_current_head()


def user_tables(engine: Engine) -> set[str]:
    """Tables of the application (Alembic's own bookkeeping table left out)."""
    return set(inspect(engine).get_table_names()) - {"alembic_version"}


@pytest.fixture(params=["sqlite", "postgres"])
def empty(request: pytest.FixtureRequest, tmp_path: Path) -> Iterator[Engine]:
    """A brand-new, empty database on each backend."""
    if request.param == "sqlite":
        url = f"sqlite:///{tmp_path / 'fresh.db'}"
    else:
        server: PostgresServer = request.getfixturevalue("postgres")
        url = server.create_database(f"fresh_{tmp_path.name.lower().replace('-', '_')[-40:]}")
    built = make_engine(url)
    yield built
    built.dispose()


def test_migrated_schema_matches_the_models(database: Engine) -> None:
    assert revision_of(database) == head()
    assert TABLES <= user_tables(database)
    assert drift(database) == []


def test_there_is_a_single_head() -> None:
    assert len(ScriptDirectory.from_config(alembic_config()).get_heads()) == 1


def test_downgrade_to_base_then_upgrade_to_head(empty: Engine) -> None:
    upgrade(empty)
    assert revision_of(empty) == head()
    assert user_tables(empty) == TABLES

    migrate(empty, "downgrade", "base")
    assert revision_of(empty) is None
    assert user_tables(empty) == set()

    migrate(empty, "upgrade", "head")
    assert revision_of(empty) == head()
    assert user_tables(empty) == TABLES
    assert drift(empty) == []


def test_upgrade_twice_is_harmless(empty: Engine) -> None:
    upgrade(empty)
    upgrade(empty)
    assert revision_of(empty) == head()
    assert drift(empty) == []

"""Per-agency, per-day dossier sequence, unique under concurrent filing on SQLite and PostgreSQL."""

from __future__ import annotations

from datetime import date

from sqlalchemy.dialects.postgresql import insert as pg_insert
from sqlalchemy.dialects.sqlite import insert as sqlite_insert

from engine.store.db import UnitOfWork
from engine.store.models import DossierSequenceRow


def next_sequence(uow: UnitOfWork, agency_code: str, day: date) -> int:
    """Atomically take the next number: one upsert that returns the new value (row-locked until commit)."""
    table = DossierSequenceRow.__table__  # type: ignore[attr-defined]
    insert = pg_insert if uow.session.get_bind().dialect.name == "postgresql" else sqlite_insert
    stmt = (
        insert(table)
        .values(agency_code=agency_code, day=day, last=1)
        .on_conflict_do_update(index_elements=["agency_code", "day"], set_={"last": table.c.last + 1})
        .returning(table.c.last)
    )
    value = uow.session.execute(stmt).scalar_one()
    return int(value)

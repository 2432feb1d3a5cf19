"""Counters unique under concurrency on SQLite and PostgreSQL: dossier codes per agency and day, document
numbers per agency, year and series (the register, Mẫu 02, ...)."""

from __future__ import annotations

from datetime import date
from typing import Any

from sqlalchemy.dialects.postgresql import insert as pg_insert
from sqlalchemy.dialects.sqlite import insert as sqlite_insert

from engine.store.db import UnitOfWork
from engine.store.models import DocumentSequenceRow, DossierSequenceRow


def _bump(uow: UnitOfWork, table: Any, key: dict[str, Any]) -> int:
    """Atomically take the next number: one upsert that returns the new value (row-locked until commit)."""
    insert = pg_insert if uow.session.get_bind().dialect.name == "postgresql" else sqlite_insert
    stmt = (
        insert(table)
        .values(**key, last=1)
        .on_conflict_do_update(index_elements=list(key), set_={"last": table.c.last + 1})
        .returning(table.c.last)
    )
    return int(uow.session.execute(stmt).scalar_one())


def next_sequence(uow: UnitOfWork, agency_code: str, day: date) -> int:
    """The next dossier sequence of an agency on a local day."""
    table = DossierSequenceRow.__table__  # type: ignore[attr-defined]
    return _bump(uow, table, {"agency_code": agency_code, "day": day})


def next_number(uow: UnitOfWork, agency_code: str, year: int, series: str) -> int:
    """The next number of a document series of an agency in a year, from 1."""
    table = DocumentSequenceRow.__table__  # type: ignore[attr-defined]
    return _bump(uow, table, {"agency_code": agency_code, "year": year, "series": series})

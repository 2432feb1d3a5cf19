"""The open-dossier tally behind the IOC summary (migration 0003 keeps it with triggers on `dossier`).

Reading: `cells` adds the folded counts and the deltas not folded yet, in one statement (one snapshot), so
the summary is exact at any moment and costs the number of cells plus the deltas since the last fold.
Folding: `fold` moves a bounded batch of deltas into the counts. Workers fold side by side on PostgreSQL:
each takes disjoint deltas (`FOR UPDATE SKIP LOCKED`) and updates the cells in key order, so two folds
never deadlock. Nothing here reads the dossiers themselves.
"""

from __future__ import annotations

from collections import Counter
from collections.abc import Iterable

import sqlalchemy as sa
from sqlalchemy import Integer, delete, func, literal, union_all
from sqlalchemy.dialects.postgresql import insert as pg_insert
from sqlalchemy.dialects.sqlite import insert as sqlite_insert
from sqlmodel import SQLModel, col, select

from engine.dossier.status import OPEN
from engine.store.db import UnitOfWork
from engine.store.models import DossierRow, DossierTallyDeltaRow, DossierTallyRow

Cell = tuple[str, str, str]  # agency code, procedure code, deadline state


def cells(uow: UnitOfWork, agencies: frozenset[str] | None = None) -> dict[Cell, int]:
    """Open dossiers per (agency, procedure, deadline state), of some agencies or all; no empty cells."""
    parts = []
    for table, amount in ((_table(DossierTallyRow), "count"), (_table(DossierTallyDeltaRow), "delta")):
        part = sa.select(
            table.c.agency_code, table.c.procedure_code, table.c.deadline_state, table.c[amount].label("n")
        )
        if agencies is not None:
            part = part.where(table.c.agency_code.in_(sorted(agencies)))
        parts.append(part)
    both = union_all(*parts).subquery()
    query = sa.select(
        both.c.agency_code, both.c.procedure_code, both.c.deadline_state, func.sum(both.c.n, type_=Integer)
    ).group_by(both.c.agency_code, both.c.procedure_code, both.c.deadline_state)
    return {(a, p, s): int(n) for a, p, s, n in uow.session.execute(query).all() if n}


def _table(model: type[SQLModel]) -> sa.Table:
    table: sa.Table = model.__table__  # type: ignore[attr-defined]
    return table


def fold(uow: UnitOfWork, batch: int = 5000) -> int:
    """Move up to `batch` deltas into the counts; return how many deltas were folded."""
    session = uow.session
    rows = session.exec(
        select(DossierTallyDeltaRow)
        .order_by(col(DossierTallyDeltaRow.id))
        .limit(batch)
        .with_for_update(skip_locked=True)
    ).all()
    if not rows:
        return 0
    sums: Counter[Cell] = Counter()
    for row in rows:
        sums[(row.agency_code, row.procedure_code, row.deadline_state)] += row.delta
    session.execute(
        delete(DossierTallyDeltaRow).where(col(DossierTallyDeltaRow.id).in_([r.id for r in rows]))
    )
    _add(uow, sorted((cell, n) for cell, n in sums.items() if n))
    return len(rows)


def _add(uow: UnitOfWork, changes: Iterable[tuple[Cell, int]]) -> None:
    """Add to each cell's count, creating the cell when new (in key order: no deadlock between folds)."""
    session = uow.session
    dialect = session.connection().dialect.name
    insert = pg_insert if dialect == "postgresql" else sqlite_insert
    table = _table(DossierTallyRow)
    for (agency, procedure, state), n in changes:
        statement = insert(table).values(
            agency_code=agency, procedure_code=procedure, deadline_state=state, count=n
        )
        session.execute(
            statement.on_conflict_do_update(
                index_elements=["agency_code", "procedure_code", "deadline_state"],
                set_={"count": table.c.count + literal(n)},
            )
        )


def rebuild(uow: UnitOfWork) -> None:
    """Count the open dossiers afresh and drop the deltas: one GROUP BY over every open dossier.

    For a bulk load that went around the use cases (the scan benchmark's seeding, a data import): the
    triggers' deltas of such a load are exact but many; the counts they fold into are the same.
    Never on a request or in the worker's cycle.
    """
    session = uow.session
    session.execute(delete(DossierTallyDeltaRow))
    session.execute(delete(DossierTallyRow))
    dossier = _table(DossierRow)
    counted = (
        sa.select(dossier.c.agency_code, dossier.c.procedure_code, dossier.c.deadline_state, func.count())
        .where(dossier.c.status.in_(sorted(int(s) for s in OPEN)))
        .group_by(dossier.c.agency_code, dossier.c.procedure_code, dossier.c.deadline_state)
    )
    session.execute(
        sa.insert(_table(DossierTallyRow)).from_select(
            ["agency_code", "procedure_code", "deadline_state", "count"], counted
        )
    )

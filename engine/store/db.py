"""Engines, sessions and the unit of work the request (or job) owns."""

from __future__ import annotations

from collections.abc import Callable, Iterator
from contextlib import contextmanager
from typing import Any, TypeVar

from sqlalchemy import event
from sqlalchemy.engine import Engine
from sqlalchemy.orm import Session as OrmSession
from sqlalchemy.orm.exc import StaleDataError
from sqlmodel import Session, create_engine

from engine.errors import Conflict


def make_engine(url: str, **kwargs: Any) -> Engine:
    """Create an engine; SQLite gets WAL, foreign keys and a busy timeout."""
    if url.startswith("sqlite"):
        kwargs.setdefault("connect_args", {"check_same_thread": False, "timeout": 30})
        engine = create_engine(url, **kwargs)

        @event.listens_for(engine, "connect")
        def _sqlite_pragmas(dbapi_conn: Any, _record: Any) -> None:
            # Let SQLAlchemy open transactions itself (BEGIN on first statement), as pysqlite's own
            # implicit handling misses BEGIN before SELECT and breaks read-then-write isolation.
            dbapi_conn.isolation_level = None
            cur = dbapi_conn.cursor()
            cur.execute("PRAGMA foreign_keys=ON")
            if ":memory:" not in url and url != "sqlite://":
                cur.execute("PRAGMA journal_mode=WAL")
            cur.execute("PRAGMA synchronous=NORMAL")
            cur.close()

        @event.listens_for(engine, "begin")
        def _sqlite_begin(conn: Any) -> None:
            conn.exec_driver_sql("BEGIN IMMEDIATE")

        return engine
    kwargs.setdefault("pool_pre_ping", True)
    return create_engine(url, **kwargs)


class UnitOfWork:
    """One transaction: use cases add and change rows; only the owner commits."""

    def __init__(self, engine: Engine) -> None:
        self.engine = engine
        self.session = Session(engine, expire_on_commit=False, autoflush=True)

    def flush(self) -> None:
        """Send pending writes; a stale dossier version becomes a Conflict."""
        try:
            self.session.flush()
        except StaleDataError as exc:
            raise stale_conflict() from exc

    def commit(self) -> None:
        """Commit everything or nothing."""
        try:
            self.session.commit()
        except StaleDataError as exc:
            self.session.rollback()
            raise stale_conflict() from exc

    def rollback(self) -> None:
        """Drop everything this unit did."""
        self.session.rollback()

    def close(self) -> None:
        """Release the connection."""
        self.session.close()


def stale_conflict() -> Conflict:
    """The error for a write based on an outdated dossier version."""
    return Conflict(
        "Hồ sơ vừa được người khác cập nhật. Vui lòng tải lại và thử lại.",
        "The dossier was just changed by someone else. Reload and try again.",
        code="StaleVersion",
    )


@contextmanager
def unit_of_work(engine: Engine) -> Iterator[UnitOfWork]:
    """Run a block in one transaction: commit on success, roll back on any error."""
    uow = UnitOfWork(engine)
    try:
        yield uow
        uow.commit()
    except StaleDataError as exc:
        # A stale version can surface from any autoflush, not only from UnitOfWork.flush().
        uow.rollback()
        raise stale_conflict() from exc
    except BaseException:
        uow.rollback()
        raise
    finally:
        uow.close()


Item = TypeVar("Item")


def at_commit(session: OrmSession, key: str, write: Callable[[OrmSession, list[Item]], None]) -> list[Item]:
    """The session's list of items under `key`, handed to `write` when the session commits.

    `write` adds the rows the items stand for, inside the committing transaction (the commit's own flush
    inserts them); a rollback drops the items, as what they record never happened. The outbox queues its
    events this way, so an event carries the dossier as the whole change leaves it.
    """
    queue: list[Item] | None = session.info.get(key)
    if queue is None:
        queue = session.info[key] = []
        pending = queue

        def before_commit(committing: OrmSession) -> None:
            if pending:
                items = list(pending)
                pending.clear()
                write(committing, items)

        event.listen(session, "before_commit", before_commit)
        event.listen(session, "after_rollback", lambda _session: pending.clear())
    return queue

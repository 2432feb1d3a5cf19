"""The work list of specialists and leaders ("Công việc"): ready tasks, most urgent deadline first.

Order: overdue, near due, on track (the dossier's deadline state as the deadline scan last set it), then tasks
of dossiers whose clock does not run; within a state by the dossier's due time (or the task's ready time),
then by task id. Pages are keyset pages over that triple, read through an index of `work_task` that carries a
copy of the dossier's procedure, deadline rank and due time (migration 0009): a page costs the same however
many dossiers the agency holds.
"""

from __future__ import annotations

import base64
import binascii
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from enum import StrEnum
from typing import Any

from sqlalchemy import ColumnElement, and_, case, func, tuple_, update
from sqlalchemy.orm import defer
from sqlmodel import col, select

from engine.actor import Actor, Role
from engine.errors import FieldError, InvalidInput
from engine.store.db import UnitOfWork
from engine.store.models import DossierRow, WorkTaskRow
from engine.usecases.calendars import calendar_for

MAX_PAGE = 100
DEFAULT_PAGE = 25
WORK_ROLES = (Role.SPECIALIST, Role.LEADER)


class DeadlineRank(StrEnum):
    """Where a task's dossier stands against its due time, as the work list sorts it."""

    OVERDUE = "overdue"  # quá hạn
    NEAR_DUE = "near_due"  # sắp đến hạn
    ON_TRACK = "on_track"  # trong hạn
    NO_CLOCK = "no_clock"  # not received yet, paused while the citizen holds it, or finished

    @property
    def rank(self) -> int:
        """Position in the list: the most urgent first."""
        return _RANKS.index(self)

    @property
    def label(self) -> str:
        """Vietnamese label."""
        return {
            "overdue": "Quá hạn",
            "near_due": "Sắp đến hạn",
            "on_track": "Trong hạn",
            "no_clock": "Không tính thời hạn",
        }[self.value]

    @classmethod
    def of_rank(cls, rank: int) -> DeadlineRank:
        """The state of a stored rank."""
        return _RANKS[rank] if 0 <= rank < len(_RANKS) else cls.NO_CLOCK


_RANKS = (DeadlineRank.OVERDUE, DeadlineRank.NEAR_DUE, DeadlineRank.ON_TRACK, DeadlineRank.NO_CLOCK)
_CLOCKED = {
    "overdue": DeadlineRank.OVERDUE,
    "near_due": DeadlineRank.NEAR_DUE,
    "on_track": DeadlineRank.ON_TRACK,
}


def rank_of(deadline_state: str, due_at: datetime | None) -> DeadlineRank:
    """The list's rank of a dossier: its reported deadline state while its clock runs, else no clock."""
    if due_at is None:
        return DeadlineRank.NO_CLOCK  # filed online, not received: the state column still says on_track
    return _CLOCKED.get(deadline_state, DeadlineRank.NO_CLOCK)


def sort_keys(dossier: DossierRow) -> tuple[int, datetime | None]:
    """The (rank, due time) a dossier gives its tasks; no due time when no clock runs (ready time is used)."""
    rank = rank_of(dossier.deadline_state, dossier.due_at)
    return rank.rank, dossier.due_at if rank is not DeadlineRank.NO_CLOCK else None


def list_fields(dossier: DossierRow, ready_at: datetime) -> dict[str, Any]:
    """The dossier's list keys for a new work-list row that becomes ready at `ready_at`."""
    rank, due = sort_keys(dossier)
    return {
        "procedure_code": dossier.procedure_code,
        "deadline_rank": rank,
        "deadline_at": due or ready_at,
    }


def restamp(uow: UnitOfWork, dossier: DossierRow) -> None:
    """Bring the list keys of a dossier's tasks in line with the dossier as the database now holds it.

    Read from the stored row, not from this request's copy: the deadline scan may have moved the dossier's
    state since this request loaded it (it never touches a row this request has already written), and the
    tasks this step created must carry that state, or the scan, which reports each level once, would leave
    them behind.
    """
    d = DossierRow.__table__  # type: ignore[attr-defined]
    clocked = and_(d.c.due_at.is_not(None), d.c.deadline_state.in_(list(_CLOCKED)))
    rank = case(
        *((and_(clocked, d.c.deadline_state == state), r.rank) for state, r in _CLOCKED.items()),
        else_=DeadlineRank.NO_CLOCK.rank,
    )
    mine = d.c.id == col(WorkTaskRow.dossier_id)
    uow.session.execute(
        update(WorkTaskRow)
        .where(col(WorkTaskRow.dossier_id) == dossier.id)
        .values(
            deadline_rank=select(rank).where(mine).scalar_subquery(),
            deadline_at=func.coalesce(
                select(d.c.due_at).where(mine, clocked).scalar_subquery(), col(WorkTaskRow.ready_at)
            ),
        )
        .execution_options(synchronize_session="fetch")  # rows this request holds see it
    )


def rerank(uow: UnitOfWork, dossier_ids: list[int], state: str) -> None:
    """The deadline scan moved these dossiers to `state`: their tasks move up the list (due times stay)."""
    if not dossier_ids:
        return
    uow.session.execute(
        update(WorkTaskRow)
        .where(
            col(WorkTaskRow.dossier_id).in_(dossier_ids),
            col(WorkTaskRow.deadline_rank) < DeadlineRank.NO_CLOCK.rank,
        )
        .values(deadline_rank=_CLOCKED[state].rank)
        .execution_options(synchronize_session=False)
    )


class Scope(StrEnum):
    """Whose tasks: the lane's, mine, nobody's yet, or (leaders) every staff task of the agency."""

    ALL = "all"
    MINE = "mine"
    UNCLAIMED = "unclaimed"
    AGENCY = "agency"  # a leader watches the whole agency's deadlines: the apology is theirs to issue


@dataclass(frozen=True)
class Cursor:
    """A position in the list: the (rank, due time, id) of a row; opaque to the browser."""

    rank: int
    at: datetime
    task_id: str

    def encode(self) -> str:
        """URL-safe text; carries no personal data."""
        micros = int(self.at.timestamp() * 1_000_000)
        raw = f"{self.rank}|{micros}|{self.task_id}".encode()
        return base64.urlsafe_b64encode(raw).decode().rstrip("=")

    @classmethod
    def decode(cls, text: str) -> Cursor:
        """Read a cursor back; InvalidInput when it was not made by `encode`."""
        try:
            if len(text) > 200:
                raise ValueError("too long")
            raw = base64.urlsafe_b64decode(text + "=" * (-len(text) % 4)).decode()
            rank, micros, task_id = raw.split("|", 2)
            # Bounded so that a forged cursor is this field error, never a database error.
            if not (rank.isdigit() and int(rank) < len(_RANKS) and micros.isdigit() and len(micros) <= 17):
                raise ValueError("out of range")
            if not 0 < len(task_id) <= 64:
                raise ValueError("bad task id")
            at = datetime.fromtimestamp(0, UTC) + timedelta(microseconds=int(micros))
            return cls(int(rank), at, task_id)
        except (ValueError, OverflowError, binascii.Error, UnicodeDecodeError) as exc:
            raise InvalidInput(
                "Vị trí trang không hợp lệ; vui lòng quay lại trang đầu.",
                "Invalid page cursor; go back to the first page.",
                {"cursor": FieldError("Vị trí trang không hợp lệ.", "Invalid page cursor.")},
            ) from exc

    @classmethod
    def of(cls, task: WorkTaskRow) -> Cursor:
        """The position of a row."""
        return cls(task.deadline_rank, task.deadline_at, task.id)


@dataclass(frozen=True)
class WorkListQuery:
    """Filters and position of one page of the work list."""

    procedure: str | None = None
    state: DeadlineRank | None = None
    scope: Scope = Scope.ALL
    after: str | None = None  # cursor of the last row of the previous page: the next page
    before: str | None = None  # cursor of the first row of the following page: the previous page
    limit: int = DEFAULT_PAGE


@dataclass(frozen=True)
class WorkItem:
    """One row of the list, with what the list shows of its dossier."""

    task: WorkTaskRow
    dossier: DossierRow
    state: DeadlineRank
    remaining: timedelta | None  # working time left to the dossier's due time (negative: overdue by)
    mine: bool


@dataclass(frozen=True)
class WorkListPage:
    """A page of the list and the cursors of its neighbours (None at either end)."""

    items: list[WorkItem]
    next_cursor: str | None
    prev_cursor: str | None


# What a list row never reads: the instance document and the filing's data stay on disk.
_LIGHT = tuple(defer(getattr(DossierRow, name)) for name in ("workflow_state", "form", "papers", "applicant"))


def lane_roles(actor: Actor) -> list[str]:
    """The roles of the actor that have a work list here (specialist, leader)."""
    return [r.value for r in WORK_ROLES if actor.has(r)]


def work_list(uow: UnitOfWork, actor: Actor, query: WorkListQuery, now: datetime) -> WorkListPage:
    """A page of the ready tasks of the actor's agency and lanes, the most urgent deadline first."""
    roles = lane_roles(actor)
    if not roles or not actor.agency:
        return WorkListPage([], None, None)
    limit = max(1, min(query.limit, MAX_PAGE))
    stmt = (
        select(WorkTaskRow, DossierRow)
        .join(DossierRow, col(DossierRow.id) == WorkTaskRow.dossier_id)
        .where(*_filters(actor, roles, query))
        .options(*_LIGHT)
    )
    # With one state asked for, the rank is fixed: the key is (due, id), or SQLite sorts what the index gives.
    order = [col(WorkTaskRow.deadline_at), col(WorkTaskRow.id)]
    if query.state is None:
        order.insert(0, col(WorkTaskRow.deadline_rank))
    backwards = query.before is not None and query.after is None
    text = query.after if query.after is not None else query.before
    if text is not None:
        c = Cursor.decode(text)
        values = (c.at, c.task_id) if query.state is not None else (c.rank, c.at, c.task_id)
        key, bound = tuple_(*order), tuple_(*values)
        stmt = stmt.where(key < bound if backwards else key > bound)
    stmt = stmt.order_by(*(o.desc() for o in order) if backwards else order).limit(limit + 1)
    rows = list(uow.session.exec(stmt).all())
    more = len(rows) > limit
    rows = rows[:limit]
    if backwards:
        rows.reverse()
    calendar = calendar_for(uow, actor.agency) if rows else None
    items = []
    for task, dossier in rows:
        state = DeadlineRank.of_rank(task.deadline_rank)
        remaining = None
        if calendar is not None and state is not DeadlineRank.NO_CLOCK and dossier.due_at is not None:
            if now <= dossier.due_at:
                remaining = calendar.working_time_between(now, dossier.due_at)
            else:
                remaining = -calendar.working_time_between(dossier.due_at, now)
        items.append(WorkItem(task, dossier, state, remaining, task.assignee == actor.subject))
    first = Cursor.of(rows[0][0]).encode() if rows else None
    last = Cursor.of(rows[-1][0]).encode() if rows else None
    if backwards:
        return WorkListPage(items, next_cursor=last, prev_cursor=first if more else None)
    started = query.after is not None
    return WorkListPage(items, next_cursor=last if more else None, prev_cursor=first if started else None)


def _filters(actor: Actor, roles: list[str], query: WorkListQuery) -> list[ColumnElement[bool]]:
    where: list[ColumnElement[bool]] = [col(WorkTaskRow.agency_code) == actor.agency]
    if query.scope is Scope.AGENCY and actor.has(Role.LEADER):
        # Every lane of the agency's staff (ix_work_task_list_agency); the citizen's own steps are not work.
        where.append(col(WorkTaskRow.role) != Role.CITIZEN.value)
    elif len(roles) == 1:
        # One role (the usual case) is an equality: the index then yields rows already in list order.
        where.append(col(WorkTaskRow.role) == roles[0])
    else:
        where.append(col(WorkTaskRow.role).in_(roles))
    if query.procedure:
        where.append(col(WorkTaskRow.procedure_code) == query.procedure)
    if query.state is not None:
        where.append(col(WorkTaskRow.deadline_rank) == query.state.rank)
    if query.scope is Scope.MINE:
        where.append(col(WorkTaskRow.assignee) == actor.subject)
    elif query.scope is Scope.UNCLAIMED:
        where.append(col(WorkTaskRow.assignee).is_(None))
    return where

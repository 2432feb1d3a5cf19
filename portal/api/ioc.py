"""The operations center (IOC): pull feed of events, acknowledgements, open-dossier summary."""

from __future__ import annotations

from typing import Annotated, Any

from fastapi import APIRouter, Query
from pydantic import BaseModel, ConfigDict, Field

from engine import limits
from engine.usecases import ioc as uc
from portal.api.deps import ContainerDep
from portal.api.idempotency import IdempotencyKey, Recorder, idempotent
from portal.api.models import WRITE, AckOut, FeedOut, SummaryOut, errors
from portal.api.params import Cursor, EventId
from portal.auth import CurrentActor

router = APIRouter(tags=["ioc"])


class AckIn(BaseModel):
    model_config = ConfigDict(extra="forbid")

    note: str | None = Field(default=None, max_length=limits.NOTE, description="Ghi chú xử lý của IOC")


@router.get("/ioc/events", response_model=FeedOut, responses=errors(401, 403, 422))
def events(
    actor: CurrentActor,
    c: ContainerDep,
    after: Cursor = 0,
    limit: Annotated[int, Query(ge=1, le=uc.FEED_MAX)] = 100,
) -> dict[str, Any]:
    """CloudEvents with `seq` > after, oldest first, each with `seq` and `acked`; `next` is the cursor."""
    with c.transaction() as uow:
        return uc.feed(uow, actor, after=after, limit=limit)


@router.post("/ioc/events/{event_id}/ack", response_model=AckOut, responses=WRITE)
def ack(
    event_id: EventId,
    actor: CurrentActor,
    c: ContainerDep,
    body: AckIn | None = None,
    key: IdempotencyKey = None,
) -> dict[str, Any]:
    """Acknowledge an event (who, when, note); a second acknowledgement is a 409 (a retry with the same
    `Idempotency-Key` gets the first answer)."""

    def work(record: Recorder) -> Any:
        with c.transaction() as uow:
            note = body.note if body else None
            return record(uow, uc.acknowledge(uow, actor, event_id, note, c.services.clock.now()))

    return idempotent(c, actor, key, f"POST /ioc/events/{event_id}/ack", body, 200, work)


@router.get("/ioc/summary", response_model=SummaryOut, responses=errors(401, 403))
def summary(actor: CurrentActor, c: ContainerDep) -> dict[str, Any]:
    """Open, near-due and overdue dossiers by agency and procedure."""
    with c.transaction() as uow:
        return uc.summary(uow, actor, c.services.clock.now())

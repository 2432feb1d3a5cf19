"""`Idempotency-Key` on the API's state-changing calls: a retry gets the first answer and changes nothing.

A route hands `idempotent` its work as a function of a recorder; the work calls the recorder with its unit of
work and its answer, inside the transaction that makes the change, so the record commits with the change or
not at all. A twin request racing the first fails the unique (actor, key) at the recorder's flush, its whole
transaction rolls back, and it answers with the first one's record.
"""

from __future__ import annotations

from collections.abc import Callable
from datetime import timedelta
from typing import Annotated, Any

from fastapi import Header
from fastapi.encoders import jsonable_encoder
from fastapi.responses import JSONResponse
from pydantic import BaseModel
from sqlalchemy.exc import IntegrityError

from engine.actor import Actor
from engine.store.db import UnitOfWork
from engine.usecases import idempotency
from portal.wiring import Container

KEY_PATTERN = f"^[!-~]{{1,{idempotency.KEY_MAX}}}$"  # 1–100 visible ASCII characters

IdempotencyKey = Annotated[
    str | None,
    Header(
        alias="Idempotency-Key",
        max_length=idempotency.KEY_MAX,
        # Documented here, enforced by `idempotency.check_key` (422 InvalidIdempotencyKey on the header).
        json_schema_extra={"pattern": KEY_PATTERN},
        description="Khóa chống gửi trùng (1–100 ký tự ASCII): gửi lại cùng khóa và cùng nội dung "
        "trong 24 giờ nhận lại câu trả lời đầu tiên, không thay đổi gì thêm.",
    ),
]

Recorder = Callable[[UnitOfWork, Any], Any]


def json_replay(first: idempotency.Replay) -> JSONResponse:
    """The first answer again, as the API sent it, marked as replayed."""
    return JSONResponse(first.body, status_code=first.status_code, headers={"Idempotent-Replayed": "true"})


def idempotent(  # noqa: PLR0913 — the request's parts, each needed
    c: Container,
    actor: Actor,
    key: str | None,
    scope: str,
    body: BaseModel | dict[str, Any] | None,
    status_code: int,
    work: Callable[[Recorder], Any],
    replay_as: Callable[[idempotency.Replay], Any] = json_replay,
) -> Any:
    """Run `work` once per (actor, key): a retry of the same request replays the first answer."""
    if key is None:
        return work(lambda _uow, answer: answer)
    key = idempotency.check_key(key)
    payload = body.model_dump(mode="json") if isinstance(body, BaseModel) else body
    fingerprint = idempotency.request_hash(scope, payload)
    replay = _replay(c, actor, key, fingerprint, replay_as)
    if replay is not None:
        return replay
    ttl = timedelta(hours=c.settings.idempotency_ttl_hours)

    def record(uow: UnitOfWork, answer: Any) -> Any:
        encoded = jsonable_encoder(answer)
        first = idempotency.Replay(status_code, encoded)
        idempotency.remember(
            uow,
            actor=actor.subject,
            key=key,
            fingerprint=fingerprint,
            answer=first,
            now=c.services.clock.now(),
            ttl=ttl,
        )
        return answer

    try:
        return work(record)
    except IntegrityError:
        replay = _replay(c, actor, key, fingerprint, replay_as)
        if replay is None:
            raise
        return replay


def _replay(
    c: Container, actor: Actor, key: str, fingerprint: str, replay_as: Callable[[idempotency.Replay], Any]
) -> Any:
    with c.transaction() as uow:
        found = idempotency.find(uow, actor.subject, key, fingerprint, c.services.clock.now())
    return None if found is None else replay_as(found)

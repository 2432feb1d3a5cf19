"""Idempotent writes: the first answer to a request sent with an `Idempotency-Key`, replayed on retry.

The record is written in the transaction of the change it answers, so a retry after a lost response (the
server killed right after commit included) finds it and changes nothing. Keys are scoped by actor: another
actor's key never reaches someone else's answer. A request that failed changed nothing and left no record;
its retry runs again.
"""

from __future__ import annotations

import hashlib
import json
from dataclasses import dataclass
from datetime import datetime, timedelta
from typing import Any

from sqlmodel import col, delete, select

from engine.errors import FieldError, InvalidInput
from engine.store.db import UnitOfWork
from engine.store.models import IdempotencyRow

KEY_MAX = 100
TTL = timedelta(hours=24)


@dataclass(frozen=True)
class Replay:
    """The first answer: its HTTP status and JSON body."""

    status_code: int
    body: Any


def request_hash(scope: str, payload: Any) -> str:
    """A fingerprint of what was asked: the operation (method and path) and the body, canonically."""
    text = json.dumps(
        [scope, payload], sort_keys=True, ensure_ascii=False, separators=(",", ":"), default=str
    )
    return hashlib.sha256(text.encode()).hexdigest()


def check_key(key: str) -> str:
    """The key as sent: 1–100 visible ASCII characters, else 422."""
    if not 1 <= len(key) <= KEY_MAX or not all(33 <= ord(ch) <= 126 for ch in key):
        raise InvalidInput(
            "Khóa chống gửi trùng (Idempotency-Key) phải có 1–100 ký tự ASCII nhìn thấy được.",
            "Idempotency-Key must be 1–100 visible ASCII characters.",
            {"Idempotency-Key": FieldError("Khóa không hợp lệ.", "Invalid key.")},
            code="InvalidIdempotencyKey",
        )
    return key


def find(uow: UnitOfWork, actor: str, key: str, fingerprint: str, now: datetime) -> Replay | None:
    """The recorded answer for this actor's key, None when new (or expired); 422 when the request differs."""
    row = uow.session.exec(
        select(IdempotencyRow).where(IdempotencyRow.actor == actor, IdempotencyRow.key == key)
    ).first()
    if row is None:
        return None
    if row.expires_at <= now:
        uow.session.delete(row)
        uow.flush()
        return None
    if row.request_hash != fingerprint:
        raise InvalidInput(
            "Khóa chống gửi trùng (Idempotency-Key) này đã được dùng cho một yêu cầu khác; "
            "hãy tạo khóa mới cho mỗi yêu cầu mới.",
            "This Idempotency-Key was already used for a different request; use a new key for a new request.",
            {
                "Idempotency-Key": FieldError(
                    "Khóa đã dùng cho yêu cầu khác.", "Key used for another request."
                )
            },
            code="IdempotencyKeyReused",
        )
    return Replay(row.status_code, row.response)


def remember(
    uow: UnitOfWork,
    *,
    actor: str,
    key: str,
    fingerprint: str,
    answer: Replay,
    now: datetime,
    ttl: timedelta = TTL,
) -> None:
    """Record the answer in the caller's transaction; a concurrent twin fails the unique key at this flush."""
    uow.session.add(
        IdempotencyRow(
            actor=actor,
            key=key,
            request_hash=fingerprint,
            status_code=answer.status_code,
            response=answer.body,
            created_at=now,
            expires_at=now + ttl,
        )
    )
    uow.flush()


def prune(uow: UnitOfWork, now: datetime, batch: int = 1000) -> int:
    """Delete up to `batch` expired records (through the `expires_at` index); return how many."""
    ids = uow.session.exec(
        select(IdempotencyRow.id).where(col(IdempotencyRow.expires_at) <= now).limit(batch)
    ).all()
    if ids:
        uow.session.exec(delete(IdempotencyRow).where(col(IdempotencyRow.id).in_(ids)))
    return len(ids)

"""Builders for API tests: valid filing bodies, a thin client per user, and database counts."""

from __future__ import annotations

import copy
import json
from collections.abc import Callable
from dataclasses import dataclass
from datetime import datetime
from pathlib import Path
from typing import Any

from fastapi.testclient import TestClient
from httpx import Response
from sqlalchemy import text
from sqlmodel import col, select

from engine.clock import FixedClock
from engine.store.models import OutboxEventRow
from portal.wiring import Container

FORMS = Path(__file__).resolve().parent / "fixtures" / "forms"

RESIDENCE = "1.004222"
BIRTH = "1.001193"
BA_DINH = "H29.12.3"
HOAN_KIEM = "H29.12.5"

# Demo users (portal/auth.py DEMO_USERS).
AN = "nguyenvanan"  # citizen, 001088012345
BINH = "tranthibinh"  # citizen, 001192004567
OFFICER = "motcua.badinh"
SPECIALIST = "chuyenvien.badinh"
LEADER = "lanhdao.badinh"
SUPERVISOR = "giamsat.badinh"
OFFICER_HK = "motcua.hoankiem"
SPECIALIST_HK = "chuyenvien.hoankiem"
LEADER_HK = "lanhdao.hoankiem"

APPLICANT_AN = {
    "full_name": "Nguyễn Văn An",
    "identity_number": "001088012345",
    "phone": "0912345678",
    "email": "nguyenvanan@example.vn",
    "address": "Số 12, ngõ 34 phố Đội Cấn, phường Ba Đình, Hà Nội",
}
APPLICANT_BINH = {
    "full_name": "Trần Thị Bình",
    "identity_number": "001192004567",
    "phone": "0987000111",
}
APPLICANT_HUY = {
    "full_name": "Lê Quang Huy",
    "identity_number": "001092034519",
    "phone": "0987654321",
    "address": "Số 8 ngõ 15 phố Chùa Láng, phường Láng, Hà Nội",
}

# Valid task payloads, step by step.
ACCEPT = {"decision": "accept", "note": "Hồ sơ đầy đủ, hợp lệ"}
PROPOSE_APPROVE = {"decision": "propose_approve", "opinion": "Đủ điều kiện theo Điều 20 Luật Cư trú"}
APPROVE = {"decision": "approve"}
RETURN_AT_COUNTER = {"method": "counter", "note": "Công dân nhận trực tiếp"}
ASK_SUPPLEMENT = {
    "decision": "supplement",
    "opinion": "Thiếu giấy tờ chứng minh chỗ ở hợp pháp",
    "missing_papers": [{"paper": "Hợp đồng thuê nhà có công chứng", "reason": "Bản đã nộp hết hiệu lực"}],
}
SUPPLY = {"note": "Đã bổ sung hợp đồng thuê nhà mới", "papers": [{"paper": "Hợp đồng thuê nhà"}]}


def local(moment: str) -> datetime:
    """A local (Asia/Ho_Chi_Minh) moment from `YYYY-MM-DDTHH:MM`."""
    return datetime.fromisoformat(f"{moment}:00+07:00")


def form_sample(name: str) -> dict[str, Any]:
    """A fresh copy of the valid e-form payload kept in tests/fixtures/forms."""
    data: dict[str, Any] = json.loads((FORMS / f"{name}.json").read_text(encoding="utf-8"))
    return data


def residence_form() -> dict[str, Any]:
    """Valid CT01 payload for Nguyễn Văn An."""
    return form_sample("permanent-residence")


def birth_form(child_born: str = "2026-02-20") -> dict[str, Any]:
    """Valid birth declaration; the child's birth date moved before the test clock."""
    form = form_sample("birth-registration")
    form["child"]["date_of_birth"] = child_born
    return form


def residence_form_of_binh() -> dict[str, Any]:
    """The CT01 payload with Trần Thị Bình as the declarant (as the population database knows her)."""
    form = residence_form()
    form["applicant"] = {
        "full_name": "Trần Thị Bình",
        "date_of_birth": "1992-08-25",
        "sex": "Nữ",
        "identity_number": "001192004567",
        "phone": "0987000111",
    }
    return form


def residence_filing(**overrides: Any) -> dict[str, Any]:
    """POST /dossiers body: permanent residence at Ba Đình, filed online by Nguyễn Văn An."""
    body: dict[str, Any] = {
        "procedure": RESIDENCE,
        "agency": BA_DINH,
        "channel": "online",
        "applicant": copy.deepcopy(APPLICANT_AN),
        "form": residence_form(),
        "papers": [{"key": "ct01", "count": 1}, {"key": "residence_proof", "count": 1}],
    }
    body.update(overrides)
    return body


def birth_filing(**overrides: Any) -> dict[str, Any]:
    """POST /dossiers body: birth registration at Ba Đình, filed at the counter for Lê Quang Huy."""
    body: dict[str, Any] = {
        "procedure": BIRTH,
        "agency": BA_DINH,
        "channel": "counter",
        "applicant": copy.deepcopy(APPLICANT_HUY),
        "form": birth_form(),
        "papers": [{"key": "declaration"}, {"key": "birth_certificate"}],
    }
    body.update(overrides)
    return body


@dataclass
class Api:
    """The HTTP API as the demo users see it; every call returns the raw response."""

    client: TestClient
    auth: Callable[[str], dict[str, str]]
    clock: FixedClock

    def at(self, moment: str) -> Api:
        """Move the clock to a local moment (`YYYY-MM-DDTHH:MM`)."""
        self.clock.set(local(moment))
        return self

    def get(self, path: str, user: str | None = None, **params: Any) -> Response:
        """GET under /api/v1, anonymous when `user` is None."""
        headers = self.auth(user) if user else {}
        return self.client.get(f"/api/v1{path}", headers=headers, params=params)

    def post(self, path: str, user: str | None, body: Any = None) -> Response:
        """POST JSON under /api/v1."""
        headers = self.auth(user) if user else {}
        return self.client.post(f"/api/v1{path}", headers=headers, json=body if body is not None else {})

    def file(self, user: str = AN, body: dict[str, Any] | None = None) -> Response:
        """File a dossier (online residence by default)."""
        return self.post("/dossiers", user, body if body is not None else residence_filing())

    def dossier(self, code: str, user: str = OFFICER) -> dict[str, Any]:
        """The detail of a dossier the user may see (asserting 200)."""
        return ok(self.get(f"/dossiers/{code}", user))

    def key(self, code: str) -> str:
        """The dossier's access key (mã tra cứu), as its agency's officer sees it."""
        key: str = self.dossier(code)["access_key"]
        return key

    def track(self, code: str, key: str | None = None) -> Response:
        """Anonymous public tracking with the access key (the dossier's own when not given)."""
        return self.get(f"/track/{code}", k=key if key is not None else self.key(code))

    def receive(self, code: str, user: str = OFFICER, body: dict[str, Any] | None = None) -> Response:
        """Officer's reception decision (accept by default)."""
        return self.post(f"/dossiers/{code}/receive", user, body or ACCEPT)

    def task_id(self, code: str, step: str, user: str = OFFICER) -> str:
        """The id of the dossier's ready task at a step, read from the dossier detail."""
        tasks = [t for t in self.dossier(code, user)["tasks"] if t["step"] == step]
        assert tasks, f"{code} has no ready {step} task"
        task_id: str = tasks[0]["id"]
        return task_id

    def complete(self, task_id: str, user: str, data: dict[str, Any]) -> Response:
        """Complete a task with its form data."""
        return self.post(f"/tasks/{task_id}/complete", user, {"data": data})

    def complete_step(self, code: str, step: str, user: str, data: dict[str, Any]) -> dict[str, Any]:
        """Complete the dossier's task at `step` (asserting 200); the dossier as it now stands."""
        return ok(self.complete(self.task_id(code, step), user, data))

    def filed(self, user: str = AN, body: dict[str, Any] | None = None) -> str:
        """File (asserting 201) and return the dossier code."""
        response = self.file(user, body)
        assert response.status_code == 201, response.text
        code: str = response.json()["code"]
        return code

    def received(self, at: str = "2026-03-02T09:30") -> str:
        """An online residence dossier filed now and accepted at `at`: status 4, at appraisal."""
        code = self.filed()
        self.at(at)
        ok(self.receive(code))
        return code


def ok(response: Response) -> dict[str, Any]:
    """The JSON body of a 2xx response; the body is shown when it is not."""
    assert response.is_success, f"{response.status_code}: {response.text}"
    body: dict[str, Any] = response.json()
    return body


def error(response: Response, status: int, code: str | None = None) -> dict[str, Any]:
    """The JSON error body of a response that must fail with `status` (and error `code`)."""
    assert response.status_code == status, f"{response.status_code}: {response.text}"
    body: dict[str, Any] = response.json()
    assert body["message"], "every error carries a Vietnamese message"
    assert body["message_en"]
    if code is not None:
        assert body["error"] == code, body
    return body


COUNTED = (
    "dossier",
    "status_change",
    "handover",
    "work_task",
    "submission",
    "clock_pause",
    "extension",
    "outbox_event",
    "document",
    "register_entry",
)


def row_counts(container: Container) -> dict[str, int]:
    """Rows in the tables a request may write, read straight from the database."""
    with container.engine.connect() as conn:
        return {t: int(conn.execute(text(f"SELECT COUNT(*) FROM {t}")).scalar_one()) for t in COUNTED}


def statuses(detail: dict[str, Any]) -> list[int]:
    """The status codes of a dossier's timeline, in order."""
    return [entry["to"] for entry in detail["timeline"]]


def outbox(container: Container, channel: str = "ioc") -> list[OutboxEventRow]:
    """The outbox rows of a channel (IOC events by default), oldest first, read straight from the database."""
    with container.transaction() as uow:
        return list(
            uow.session.exec(
                select(OutboxEventRow)
                .where(OutboxEventRow.channel == channel)
                .order_by(col(OutboxEventRow.seq))
            ).all()
        )


def notices(container: Container, channel: str = "email") -> list[tuple[str, str, str]]:
    """(notice, dossier code, recipient) of the citizen messages of a channel, oldest first."""
    return [
        (row.type.removeprefix("vn.motcua.notice."), row.subject, row.payload["to"])
        for row in outbox(container, channel)
    ]


def event_types(container: Container, subject: str | None = None) -> list[str]:
    """The short types (`received`, `completed`, ...) of the outbox rows, optionally of one dossier."""
    return [
        row.type.removeprefix("vn.motcua.dossier.")
        for row in outbox(container)
        if subject is None or row.subject == subject
    ]


class Ticking:
    """A monotonic clock the test moves (circuit breaker, cache)."""

    def __init__(self) -> None:
        self.now = 1000.0

    def __call__(self) -> float:
        return self.now

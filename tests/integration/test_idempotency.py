"""Idempotent writes attacked: lost answers retried, keys reused for other bodies, keys of other people.

The record of the first answer is written in the transaction of the change; a retry is answered from it, by a
fresh process too (a server killed after commit), and changes nothing.
"""

from __future__ import annotations

import threading
from datetime import timedelta
from typing import Any

import httpx
from fastapi.testclient import TestClient
from sqlmodel import func, select

from engine.store.models import DossierRow, IdempotencyRow, StatusChangeRow
from portal.app import create_app
from portal.wiring import Container
from portal.worker import prune_requests
from tests.builders import (
    AN,
    OFFICER,
    PROPOSE_APPROVE,
    SPECIALIST,
    Api,
    birth_filing,
    error,
    ok,
    residence_filing,
)


def post(api: Api, path: str, user: str, body: Any, key: str) -> httpx.Response:
    """POST under /api/v1 with an Idempotency-Key."""
    headers = {**api.auth(user), "Idempotency-Key": key}
    return api.client.post(f"/api/v1{path}", headers=headers, json=body)


def count(container: Container, table: Any) -> int:
    """Rows in a table."""
    with container.transaction() as uow:
        return int(uow.session.exec(select(func.count()).select_from(table)).one())


class TestFiling:
    def test_a_filing_whose_answer_was_lost_is_filed_once_when_retried(
        self, api: Api, container: Container
    ) -> None:
        post(api, "/dossiers", AN, residence_filing(), "nop-1")  # the answer never reaches the client

        retried = post(api, "/dossiers", AN, residence_filing(), "nop-1")
        again = post(api, "/dossiers", AN, residence_filing(), "nop-1")

        assert retried.status_code == again.status_code == 201
        assert retried.headers["Idempotent-Replayed"] == "true"
        assert retried.json() == again.json()
        assert retried.json()["code"] == "H29.12.3-260302-0001"
        assert count(container, DossierRow) == 1

    def test_a_server_killed_after_commit_answers_the_retry_from_the_record(
        self, api: Api, container: Container
    ) -> None:
        first = post(api, "/dossiers", AN, residence_filing(), "nop-crash")
        restarted = TestClient(create_app(container.settings, container))  # a new process, nothing in memory

        retried = restarted.post(
            "/api/v1/dossiers",
            headers={**api.auth(AN), "Idempotency-Key": "nop-crash"},
            json=residence_filing(),
        )

        assert retried.status_code == 201
        assert retried.json() == first.json()
        assert count(container, DossierRow) == 1
        with container.transaction() as uow:
            [record] = uow.session.exec(select(IdempotencyRow)).all()
        assert (record.key, record.status_code, record.response["code"]) == (
            "nop-crash",
            201,
            first.json()["code"],
        )

    def test_the_same_key_with_another_body_is_refused_and_changes_nothing(
        self, api: Api, container: Container
    ) -> None:
        ok(post(api, "/dossiers", AN, residence_filing(), "nop-2"))
        other = residence_filing()
        other["form"]["reason"] = "Chuyển về ở cùng bố mẹ"

        body = error(post(api, "/dossiers", AN, other, "nop-2"), 422, "IdempotencyKeyReused")

        assert "Idempotency-Key" in body["fields"]
        assert "khóa mới" in body["message"]
        assert count(container, DossierRow) == 1

    def test_another_actors_key_never_returns_their_answer(self, api: Api, container: Container) -> None:
        mine = ok(post(api, "/dossiers", AN, residence_filing(), "shared-key"))

        theirs = post(api, "/dossiers", OFFICER, birth_filing(), "shared-key")
        probe = post(api, "/dossiers", OFFICER, residence_filing(), "shared-key")

        assert theirs.status_code == 201
        assert "Idempotent-Replayed" not in theirs.headers
        assert theirs.json()["code"] != mine["code"]
        assert (
            "Nguyễn Văn An" not in probe.text
        )  # the officer's own key, reused: refused, AN's answer not shown
        assert probe.status_code == 422
        assert count(container, DossierRow) == 2

    def test_twin_requests_racing_file_once(self, api: Api, container: Container) -> None:
        app = create_app(container.settings, container)
        answers: list[httpx.Response] = []

        def send() -> None:
            client = TestClient(app)
            answers.append(
                client.post(
                    "/api/v1/dossiers",
                    headers={**api.auth(AN), "Idempotency-Key": "twin"},
                    json=residence_filing(),
                )
            )

        threads = [threading.Thread(target=send) for _ in range(4)]
        for thread in threads:
            thread.start()
        for thread in threads:
            thread.join()

        assert [a.status_code for a in answers] == [201] * 4, [a.text for a in answers]
        assert len({a.json()["code"] for a in answers}) == 1
        assert count(container, DossierRow) == 1

    def test_a_bad_key_is_422_in_the_error_shape(self, api: Api, container: Container) -> None:
        long = error(post(api, "/dossiers", AN, residence_filing(), "k" * 101), 422)
        spaced = error(
            post(api, "/dossiers", AN, residence_filing(), "has space"), 422, "InvalidIdempotencyKey"
        )

        assert long["fields"]
        assert spaced["fields"]
        assert count(container, DossierRow) == 0


class TestOtherWrites:
    def test_a_reception_retried_answers_as_the_first_and_adds_no_step(
        self, api: Api, container: Container
    ) -> None:
        code = api.filed()
        first = ok(post(api, f"/dossiers/{code}/receive", OFFICER, {"decision": "accept"}, "tn-1"))
        changes = count(container, StatusChangeRow)

        retried = post(api, f"/dossiers/{code}/receive", OFFICER, {"decision": "accept"}, "tn-1")
        without_key = api.receive(code)

        assert retried.status_code == 200
        assert retried.json() == first
        assert without_key.status_code == 409  # what a plain retry would have met
        assert count(container, StatusChangeRow) == changes

    def test_withdraw_claim_and_complete_replay_their_first_answers(self, api: Api) -> None:
        code = api.received()
        task_id = api.task_id(code, "appraisal")
        claim = ok(post(api, f"/tasks/{task_id}/claim", SPECIALIST, None, "claim-1"))
        assert ok(post(api, f"/tasks/{task_id}/claim", SPECIALIST, None, "claim-1")) == claim

        done = ok(post(api, f"/tasks/{task_id}/complete", SPECIALIST, {"data": PROPOSE_APPROVE}, "xl-1"))
        again = ok(post(api, f"/tasks/{task_id}/complete", SPECIALIST, {"data": PROPOSE_APPROVE}, "xl-1"))
        assert again == done

        other = api.filed()
        reason = {"reason": "Gia đình thay đổi kế hoạch"}
        withdrawn = ok(post(api, f"/dossiers/{other}/withdraw", AN, reason, "rut-1"))
        assert ok(post(api, f"/dossiers/{other}/withdraw", AN, reason, "rut-1")) == withdrawn
        assert len(api.dossier(other)["timeline"]) == len(withdrawn["timeline"])

    def test_a_failed_request_leaves_no_record_and_its_retry_runs_again(
        self, api: Api, container: Container
    ) -> None:
        code = api.filed()
        refused = post(api, f"/dossiers/{code}/withdraw", AN, {"reason": "   "}, "rut-2")

        assert refused.status_code == 422
        assert count(container, IdempotencyRow) == 0
        assert ok(post(api, f"/dossiers/{code}/withdraw", AN, {"reason": "   x"}, "rut-3"))


class TestExpiry:
    def test_keys_expire_after_a_day_and_the_worker_prunes_them(self, api: Api, container: Container) -> None:
        code = api.filed()
        ok(post(api, f"/dossiers/{code}/receive", OFFICER, {"decision": "accept"}, "tn-old"))
        api.clock.advance(timedelta(hours=container.settings.idempotency_ttl_hours, seconds=1))
        other = api.filed()
        ok(post(api, f"/dossiers/{other}/receive", OFFICER, {"decision": "accept"}, "tn-new"))

        assert prune_requests(container) == 1
        assert count(container, IdempotencyRow) == 1
        late = post(api, f"/dossiers/{code}/receive", OFFICER, {"decision": "accept"}, "tn-old")
        assert late.status_code == 409  # no longer remembered: run again, and the state refuses it


class TestAcknowledge:
    def test_an_ioc_acknowledgement_retried_gets_its_first_answer_not_a_409(self, api: Api) -> None:
        api.filed(OFFICER, birth_filing())  # a counter filing: received at once, an event for the IOC
        events = ok(api.get("/ioc/events", "ioc.hanoi"))["events"]
        event_id = events[0]["id"]
        note = {"note": "Đã giao phường theo dõi"}

        first = ok(post(api, f"/ioc/events/{event_id}/ack", "ioc.hanoi", note, "ack-1"))
        retried = post(api, f"/ioc/events/{event_id}/ack", "ioc.hanoi", note, "ack-1")

        assert retried.status_code == 200
        assert retried.json() == first
        error(api.post(f"/ioc/events/{event_id}/ack", "ioc.hanoi", note), 409, "AlreadyAcknowledged")

"""One writer per dossier: completing the same task twice, one after the other or truly at once."""

from __future__ import annotations

import threading
from typing import Any

from fastapi.testclient import TestClient
from httpx import Response

from portal.app import create_app
from portal.wiring import Container
from tests.builders import LEADER, OFFICER, PROPOSE_APPROVE, SPECIALIST, Api, error, ok, row_counts, statuses


class TestCompleteTwiceInARow:
    def test_the_second_completion_is_a_conflict_and_nothing_moves(
        self, api: Api, container: Container
    ) -> None:
        code = api.received()
        task_id = api.task_id(code, "appraisal")
        ok(api.complete(task_id, SPECIALIST, PROPOSE_APPROVE))
        before = api.dossier(code)
        rows = row_counts(container)

        body = error(api.complete(task_id, SPECIALIST, PROPOSE_APPROVE), 409, "TaskNotReady")

        assert "đã được xử lý" in body["message"]
        after = api.dossier(code)
        assert [t["step"] for t in after["tasks"]] == ["approval"]
        assert after["version"] == before["version"]
        assert row_counts(container) == rows

    def test_claiming_a_finished_task_is_a_conflict_too(self, api: Api) -> None:
        code = api.received()
        task_id = api.task_id(code, "appraisal")
        ok(api.complete(task_id, SPECIALIST, PROPOSE_APPROVE))

        error(api.post(f"/tasks/{task_id}/claim", SPECIALIST), 409, "TaskNotReady")

    def test_receiving_twice_is_a_conflict(self, api: Api) -> None:
        code = api.received()

        error(api.receive(code, OFFICER), 409, "NotAtStep")
        assert api.dossier(code)["status"]["code"] == 4


class TestCompleteAtTheSameMoment:
    """Two specialists press "complete" together, each through their own HTTP client.

    On PostgreSQL both transactions really overlap; SQLite serialises writers (BEGIN IMMEDIATE), so there the
    second request waits for the first and must still get a clean conflict.
    """

    def race(
        self, api: Api, container: Container, requests: list[tuple[str, str, dict[str, Any]]]
    ) -> list[Response]:
        """Send the POSTs from separate threads, released together by a barrier."""
        barrier = threading.Barrier(len(requests))
        responses: list[Response | None] = [None] * len(requests)

        def send(index: int, path: str, user: str, body: dict[str, Any]) -> None:
            with TestClient(create_app(container.settings, container)) as client:
                headers = api.auth(user)
                barrier.wait(timeout=30)
                responses[index] = client.post(f"/api/v1{path}", headers=headers, json=body)

        threads = [threading.Thread(target=send, args=(i, *request)) for i, request in enumerate(requests)]
        for thread in threads:
            thread.start()
        for thread in threads:
            thread.join(timeout=120)
        assert all(r is not None for r in responses), "a request never answered"
        return [r for r in responses if r is not None]

    def test_exactly_one_wins_and_the_dossier_moves_one_step(self, api: Api, container: Container) -> None:
        code = api.received()
        task_id = api.task_id(code, "appraisal")
        request = (f"/tasks/{task_id}/complete", SPECIALIST, {"data": PROPOSE_APPROVE})

        responses = self.race(api, container, [request, request])

        assert sorted(r.status_code for r in responses) == [200, 409], [r.text for r in responses]
        loser = next(r for r in responses if r.status_code == 409).json()
        assert loser["error"] in {"TaskNotReady", "StaleVersion"}
        assert loser["message"]
        detail = api.dossier(code)
        assert [t["step"] for t in detail["tasks"]] == ["approval"]
        appraisals = [h for h in detail["handovers"] if h["step"] == "appraisal"]
        assert len(appraisals) == 1
        assert appraisals[0]["finished_by"] == "Phạm Minh Đức"
        assert [h["step"] for h in detail["handovers"]] == ["reception", "appraisal", "approval"]
        assert statuses(detail) == [1, 2, 4]
        assert row_counts(container)["submission"] == 3  # file, receive, one appraisal

    def test_the_winner_of_the_appraisal_race_hands_over_to_the_leader_once(
        self, api: Api, container: Container
    ) -> None:
        code = api.received()
        task_id = api.task_id(code, "appraisal")
        request = (f"/tasks/{task_id}/complete", SPECIALIST, {"data": PROPOSE_APPROVE})

        self.race(api, container, [request, request, request])

        leader_tasks = [t for t in ok(api.get("/tasks", LEADER)) if t["dossier"]["code"] == code]
        assert [t["step"] for t in leader_tasks] == ["approval"]

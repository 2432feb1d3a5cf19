"""The task page's content (engine/usecases/taskview.py): the dossier, earlier opinions, who may act."""

from __future__ import annotations

import pytest

from engine.errors import NotFound
from engine.usecases.taskview import TaskPage, task_page
from portal.wiring import Container
from tests.builders import (
    AN,
    ASK_SUPPLEMENT,
    LEADER,
    PROPOSE_APPROVE,
    SPECIALIST,
    SPECIALIST_HK,
    SUPPLY,
    Api,
    ok,
)
from tests.integration.test_work_list import actor


def view(container: Container, username: str, task_id: str) -> TaskPage:
    with container.transaction() as uow:
        return task_page(container.services, uow, actor(container, username), task_id)


class TestTaskPage:
    def test_the_leader_reads_the_specialists_opinion_with_its_label(
        self, api: Api, container: Container
    ) -> None:
        code = api.received()
        api.complete_step(code, "appraisal", SPECIALIST, PROPOSE_APPROVE)
        page = view(container, LEADER, api.task_id(code, "approval"))
        assert page.can_work
        assert page.form == "tasks/approval"
        assert page.dossier["code"] == code
        assert [p["name"] for p in page.papers][0].startswith("Tờ khai thay đổi thông tin cư trú")
        steps = [(o.step, o.decision) for o in page.opinions]
        assert steps == [("Tiếp nhận hồ sơ", "Tiếp nhận hồ sơ"), ("Thẩm định hồ sơ", "Đề xuất giải quyết")]
        assert page.opinions[-1].text == PROPOSE_APPROVE["opinion"]
        assert page.can_extend  # a leader, the clock runs, no apology yet

    def test_missing_papers_of_a_supplement_request_are_listed(self, api: Api, container: Container) -> None:
        code = api.received()
        api.complete_step(code, "appraisal", SPECIALIST, ASK_SUPPLEMENT)
        ok(api.post(f"/dossiers/{code}/supplement", AN, SUPPLY))
        page = view(container, SPECIALIST, api.task_id(code, "appraisal"))
        asked = next(o for o in page.opinions if o.missing_papers)
        assert asked.missing_papers[0]["paper"] == "Hợp đồng thuê nhà có công chứng"
        assert not page.can_extend  # specialists do not apologise

    def test_a_task_done_by_a_colleague_shows_the_dossier_as_it_stands(
        self, api: Api, container: Container
    ) -> None:
        code = api.received()
        task_id = api.task_id(code, "appraisal")
        api.complete_step(code, "appraisal", SPECIALIST, PROPOSE_APPROVE)
        page = view(container, SPECIALIST, task_id)
        assert page.task is None
        assert not page.can_work
        assert page.dossier["current_step"] == "Phê duyệt kết quả"

    def test_another_agency_gets_not_found(self, api: Api, container: Container) -> None:
        code = api.received()
        task_id = api.task_id(code, "appraisal")
        with pytest.raises(NotFound):
            view(container, SPECIALIST_HK, task_id)
        api.complete_step(code, "appraisal", SPECIALIST, PROPOSE_APPROVE)
        with pytest.raises(NotFound):
            view(container, SPECIALIST_HK, task_id)  # nor once it is done

    def test_a_colleagues_claim_is_named(self, api: Api, container: Container) -> None:
        code = api.received()
        task_id = api.task_id(code, "appraisal")
        ok(api.post(f"/tasks/{task_id}/claim", SPECIALIST))
        page = view(container, SPECIALIST, task_id)
        assert page.mine
        assert page.claimed_by is None

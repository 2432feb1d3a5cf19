"""The blank template's process routes every decision its task forms offer.

Before: the blank BPMN ran reception → approval → end (status 9) with no gateway, so whatever the officer
decided at reception the dossier was *received* (1 → 2 → 4, receipt Mẫu 01, the clock started) and went to
the leader: «supplement» asked the citizen for nothing (no Mẫu 02, no supplement task) and «refuse» issued no
Mẫu 03; and after approval (approve or refuse) the process ended at 9 with no step left to hand the result
over, so no dossier could ever reach 10. Now: an exclusive gateway after reception (refuse → end 3,
supplement → the citizen's supplement task (5) → approval, default accept → approval); approval (approve or a
reasoned refusal) → return (9) → end (10). Each route is driven here through the API's use cases.
"""

from __future__ import annotations

from collections.abc import Iterator
from typing import Any

import pytest
from lxml import etree

from engine.forms import FormRegistry
from engine.usecases import workshop as uc
from integrations.bpmnlint import lint_bpmn
from portal.pages.admin_procedures import tools_of
from portal.wiring import Container
from tests.builders import LEADER, OFFICER, RETURN_AT_COUNTER, SUPPLY, Api, ok, residence_filing
from tests.integration.test_documents import documents
from tests.integration.test_versioned_eform import BLANK_CODE, publish_blank
from tests.integration.test_workshop import ADMIN, check, now
from tests.versions import restoring_versions

SPIFF = "{http://spiffworkflow.org/bpmn/schema/1.0/core}"
SUPPLEMENT = {
    "decision": "supplement",
    "missing_papers": [{"paper": "Giấy tờ chứng minh chỗ ở hợp pháp", "reason": "Chưa nộp"}],
}
REFUSE = {"decision": "refuse", "refusal_reason": "Hồ sơ không thuộc thẩm quyền giải quyết"}


@pytest.fixture
def workshop(container: Container) -> Iterator[Container]:
    """The container; what the test published is removed afterwards."""
    yield from restoring_versions(container)


@pytest.fixture
def blank(workshop: Container, api: Api) -> Api:
    """A procedure made from the blank template (code and names written), published; the API at 09:00."""
    publish_blank(workshop)
    return api.at("2026-03-02T09:00")


def filed(api: Api) -> str:
    return api.filed(body=residence_filing(procedure=BLANK_CODE, papers=[]))


def statuses(api: Api, code: str) -> list[int]:
    return [t["to"] for t in api.dossier(code)["timeline"] if "to" in t]


def kinds(api: Api, code: str) -> list[str]:
    return [d["kind"] for d in api.dossier(code)["documents"]]


def now_at(api: Api, code: str) -> tuple[int, list[str], Any]:
    detail = api.dossier(code)
    return detail["status"]["code"], [t["step"] for t in detail["tasks"]], detail.get("outcome")


class TestRoutes:
    def test_accepted_approved_and_returned(self, blank: Api) -> None:
        code = filed(blank)
        ok(blank.at("2026-03-02T09:30").receive(code))
        assert now_at(blank, code) == (4, ["approval"], None)
        blank.at("2026-03-03T14:00").complete_step(code, "approval", LEADER, {"decision": "approve"})
        assert now_at(blank, code) == (9, ["return"], "approved")
        blank.at("2026-03-04T09:00").complete_step(code, "return", OFFICER, RETURN_AT_COUNTER)
        assert now_at(blank, code) == (10, [], "approved")
        assert statuses(blank, code) == [1, 2, 4, 9, 10]
        assert "mau-01" in kinds(blank, code)
        assert documents(blank, code, "result")

    def test_a_supplement_at_reception_asks_the_citizen_then_receives_the_dossier(self, blank: Api) -> None:
        code = filed(blank)
        ok(blank.at("2026-03-02T10:00").receive(code, OFFICER, SUPPLEMENT))
        assert now_at(blank, code) == (5, ["supplement"], None)
        assert "mau-02" in kinds(blank, code)
        assert "mau-01" not in kinds(blank, code)
        assert blank.dossier(code)["deadline"].get("due_at") is None
        ok(blank.at("2026-03-04T16:00").post(f"/dossiers/{code}/supplement", "nguyenvanan", SUPPLY))
        assert now_at(blank, code) == (4, ["approval"], None)
        assert blank.dossier(code)["deadline"]["due_at"] == "2026-03-09T16:00:00+07:00"
        assert statuses(blank, code) == [1, 5, 4]

    def test_a_second_supplement_at_reception_is_refused(self, blank: Api) -> None:
        code = filed(blank)
        ok(blank.receive(code, OFFICER, SUPPLEMENT))
        again = blank.receive(code, OFFICER, SUPPLEMENT)
        assert again.status_code == 409

    def test_refused_at_reception_ends_with_mau_03_and_no_clock(self, blank: Api) -> None:
        code = filed(blank)
        ok(blank.at("2026-03-02T10:00").receive(code, OFFICER, REFUSE))
        assert now_at(blank, code) == (3, [], None)
        assert statuses(blank, code) == [1, 3]
        assert "mau-03" in kinds(blank, code)
        assert "mau-01" not in kinds(blank, code)

    def test_refused_by_the_leader_the_reasoned_refusal_is_returned(self, blank: Api) -> None:
        code = filed(blank)
        ok(blank.at("2026-03-02T09:30").receive(code))
        refusal = {"decision": "refuse", "reason": "Không đủ điều kiện theo quy định"}
        blank.at("2026-03-03T14:00").complete_step(code, "approval", LEADER, refusal)
        assert now_at(blank, code) == (9, ["return"], "refused")
        blank.at("2026-03-04T09:00").complete_step(code, "return", OFFICER, RETURN_AT_COUNTER)
        assert now_at(blank, code) == (10, [], "refused")

    def test_a_decision_the_task_does_not_offer_is_refused_on_its_field(self, blank: Api) -> None:
        code = filed(blank)
        ok(blank.receive(code))
        task = blank.task_id(code, "approval", LEADER)
        refused = blank.complete(task, LEADER, {"decision": "propose_approve"})
        assert refused.status_code == 422
        assert "decision" in refused.json()["fields"]


class TestTemplate:
    def test_every_decision_a_task_form_offers_is_declared_on_its_task(self, workshop: Container) -> None:
        forms: FormRegistry = workshop.services.forms
        root = etree.fromstring(uc.BLANK_BPMN.encode())
        tasks = root.iter("{http://www.omg.org/spec/BPMN/20100524/MODEL}userTask")
        for task in tasks:
            props = {p.get("name"): p.get("value") for p in task.iter(f"{SPIFF}property")}
            offered = forms.schema(f"tasks/{props['form']}")["properties"].get("decision", {}).get("enum")
            if offered:
                assert props["decisions"].split(",") == offered, task.get("id")

    def test_the_linter_finds_nothing_not_even_a_warning(self) -> None:
        assert lint_bpmn(uc.BLANK_BPMN.encode()) == []

    def test_a_fresh_blank_draft_misses_only_its_code_and_names(self, workshop: Container) -> None:
        with workshop.transaction() as uow:
            draft_id = uc.draft_blank(uow, ADMIN, now(workshop)).id or 0
        problems = check(workshop, draft_id).problems
        assert problems
        assert {p.field for p in problems} <= {"code", "name", "name_en"}, [p.message for p in problems]

    def test_with_code_and_names_its_four_scenarios_run_and_pass(self, workshop: Container) -> None:
        with workshop.transaction() as uow:
            draft_id = uc.draft_blank(uow, ADMIN, now(workshop)).id or 0
            meta = uc.MetadataInput.of(uc._yaml_of(uc.draft_files(uow, draft_id)))  # noqa: SLF001
            meta.code, meta.name, meta.name_en = "2.000998", "Thủ tục thử nghiệm", "Trial procedure"
            uc.save_metadata(uow, ADMIN, draft_id, meta, now(workshop))
        with workshop.transaction() as uow:
            outcome = uc.check_draft(uow, ADMIN, draft_id, tools_of(workshop), now(workshop))
        assert outcome.problems == [], [p.message for p in outcome.problems]
        assert outcome.scenarios == 4

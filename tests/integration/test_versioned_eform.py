"""A version's e-form is its own: an admin adds a required field in the workshop and publishes; new filings
need it, a dossier filed on the earlier version keeps (is shown and checked with) the earlier form."""

from __future__ import annotations

import json
from collections.abc import Iterator
from typing import Any

import pytest

from engine.catalog import current_version, form_key
from engine.forms import FormRegistry
from engine.usecases import taskview
from engine.usecases import version_migration as vm
from engine.usecases import workshop as uc
from engine.usecases.counter import counter_view
from portal.pages.admin_procedures import tools_of
from portal.wiring import Container
from tests import pdf_tools
from tests.builders import (
    AN,
    ASK_SUPPLEMENT,
    LEADER,
    OFFICER,
    RESIDENCE,
    SPECIALIST,
    SUPPLY,
    Api,
    error,
    ok,
    residence_filing,
)
from tests.integration.test_documents import documents, download
from tests.integration.test_work_list import actor
from tests.integration.test_workshop import ADMIN, new_draft, now
from tests.versions import restoring_versions

FORM_PATH = "forms/permanent-residence.schema.json"
OCCUPATION = {
    "title": "Nghề nghiệp",
    "type": "string",
    "minLength": 1,
    "maxLength": 200,
    "x-ui": {"order": 99, "group": "Thông tin bổ sung"},
}


@pytest.fixture
def workshop(container: Container) -> Iterator[Container]:
    """The container; what the test published is removed afterwards."""
    yield from restoring_versions(container)


def with_required_occupation(schema_text: str) -> str:
    """The permanent-residence e-form with a required «Nghề nghiệp» (occupation) field."""
    schema: dict[str, Any] = json.loads(schema_text)
    schema["properties"]["occupation"] = OCCUPATION
    schema["required"] = [*schema.get("required", []), "occupation"]
    return json.dumps(schema, ensure_ascii=False, indent=2) + "\n"


def with_an_occupation(scenario_text: str) -> str:
    """A scenario whose filing answers the new field (else the check refuses the draft)."""
    scenario: dict[str, Any] = json.loads(scenario_text)
    scenario["form"]["occupation"] = "Kỹ sư"
    return json.dumps(scenario, ensure_ascii=False, indent=2) + "\n"


def publish_occupation(c: Container) -> int:
    """Draft from the current version, the required field added to its e-form and answered in its scenarios,
    checked, published: the new version's id."""
    draft_id = new_draft(c)
    with c.transaction() as uow:
        files = uc.draft_files(uow, draft_id)
        uc.save_file(uow, ADMIN, draft_id, FORM_PATH, with_required_occupation(files[FORM_PATH]), now(c))
        for path in [p for p in files if p.startswith("scenarios/")]:
            uc.save_file(uow, ADMIN, draft_id, path, with_an_occupation(files[path]), now(c))
    with c.transaction() as uow:
        assert uc.check_draft(uow, ADMIN, draft_id, tools_of(c), now(c)).problems == []
    with c.transaction() as uow:
        row = uc.publish_draft(uow, ADMIN, draft_id, tools_of(c), now(c))
        assert row.id is not None
        return row.id


def with_occupation(**overrides: Any) -> dict[str, Any]:
    body = residence_filing(**overrides)
    body["form"]["occupation"] = "Kỹ sư xây dựng"
    return body


def task_page(c: Container, api: Api, code: str, step: str, user: str) -> taskview.TaskPage:
    task_id = api.task_id(code, step, user)
    with c.transaction() as uow:
        return taskview.task_page(c.services, uow, actor(c, user), task_id)


class TestNewFilings:
    def test_the_api_refuses_a_filing_without_the_new_field_naming_it(
        self, workshop: Container, api: Api
    ) -> None:
        publish_occupation(workshop)
        body = error(api.file(), 422, "DossierInvalid")
        assert body["fields"]["form.occupation"]["message"] == "Vui lòng nhập «Nghề nghiệp»."
        assert body["fields"]["form.occupation"]["message_en"] == "«Nghề nghiệp» is required."
        assert api.filed(body=with_occupation())

    def test_the_procedure_detail_shows_the_versions_own_form(self, workshop: Container, api: Api) -> None:
        before = ok(api.get(f"/procedures/{RESIDENCE}"))
        assert "occupation" not in before["form_schema"]["properties"]
        publish_occupation(workshop)
        after = ok(api.get(f"/procedures/{RESIDENCE}"))
        assert after["version"] == 2
        assert after["form_schema"]["properties"]["occupation"]["title"] == "Nghề nghiệp"
        assert "occupation" in after["form_schema"]["required"]

    def test_a_version_published_from_its_folder_reads_the_form_in_forms(self, workshop: Container) -> None:
        with workshop.transaction() as uow:
            assert form_key(uow, workshop.services.forms, current_version(uow, RESIDENCE)) == (
                "permanent-residence"
            )

    def test_the_versions_form_is_looked_up_once_and_keyed_by_its_content(self, workshop: Container) -> None:
        publish_occupation(workshop)
        forms = FormRegistry(workshop.services.forms.root)
        with workshop.transaction() as uow:
            version = current_version(uow, RESIDENCE)
            key = form_key(uow, forms, version)
            assert key.startswith("permanent-residence@")
            assert forms.version_key(version.content_hash) == key
        assert "occupation" in forms.schema(key)["required"]
        assert "occupation" not in forms.schema("permanent-residence")["properties"]


class TestRunningDossiers:
    def test_a_dossier_filed_on_v1_keeps_v1s_form_and_its_supplement_works(
        self, workshop: Container, api: Api
    ) -> None:
        old = api.received(at="2026-03-02T09:30")
        publish_occupation(workshop)
        api.at("2026-03-03T09:30")
        page = task_page(workshop, api, old, "appraisal", SPECIALIST)
        assert "occupation" not in workshop.services.forms.schema(page.dossier_form)["properties"]
        api.complete_step(old, "appraisal", SPECIALIST, ASK_SUPPLEMENT)
        api.at("2026-03-04T09:30")
        detail = ok(api.post(f"/dossiers/{old}/supplement", AN, SUPPLY))
        assert detail["status"]["code"] == 4
        new = api.filed(body=with_occupation())
        api.at("2026-03-04T10:00")
        ok(api.receive(new))
        page = task_page(workshop, api, new, "appraisal", SPECIALIST)
        assert workshop.services.forms.schema(page.dossier_form)["properties"]["occupation"] == OCCUPATION
        with workshop.transaction() as uow:
            counter = {
                code: counter_view(workshop.services, uow, actor(workshop, OFFICER), code)
                for code in (old, new)
            }
        assert "occupation" not in counter[old].form_schema["properties"]
        assert "occupation" in counter[new].form_schema["properties"]

    def test_moving_a_v1_dossier_to_v2_says_what_its_answers_lack_but_does_not_refuse_it(
        self, workshop: Container, api: Api
    ) -> None:
        old = api.received(at="2026-03-02T09:30")
        publish_occupation(workshop)
        wanted = vm.MoveInput(from_version="1", to_version="2", note="Theo Quyết định 123/QĐ-UBND")
        with workshop.transaction() as uow:
            page = vm.dry_run(workshop.services, uow, ADMIN, RESIDENCE, wanted)
        [candidate] = [c for c in page.candidates if c.code == old]
        assert candidate.movable
        assert [(gap.message, gap.message_en) for gap in candidate.form_gaps] == [
            ("Vui lòng nhập «Nghề nghiệp».", "«Nghề nghiệp» is required.")
        ]
        report = vm.apply(
            workshop.transaction,
            workshop.services,
            ADMIN,
            RESIDENCE,
            wanted,
            dossier_ids=[candidate.dossier_id],
        )
        assert report.moved == [old]
        # Moved, it is shown with v2's e-form, whose field it never answered.
        api.at("2026-03-03T09:30")
        page_after = task_page(workshop, api, old, "appraisal", SPECIALIST)
        assert "occupation" in workshop.services.forms.schema(page_after.dossier_form)["required"]
        # … and its task page and the counter name what its answers lack there; a dossier filed on v2 lacks
        # nothing, and neither does one never moved.
        assert list(page_after.answers_gaps) == ["occupation"]
        assert page_after.answers_gaps["occupation"].message == "Vui lòng nhập «Nghề nghiệp»."
        with workshop.transaction() as uow:
            counter = counter_view(workshop.services, uow, actor(workshop, OFFICER), old)
        assert list(counter.answers_gaps) == ["occupation"]
        new = api.filed(body=with_occupation())
        ok(api.receive(new))
        assert task_page(workshop, api, new, "appraisal", SPECIALIST).answers_gaps == {}


BLANK_CODE = "2.000999"
BLANK_NAME = "Xác nhận thông tin cư trú (thử nghiệm)"
BASIS = "Luật Cư trú số 68/2020/QH14"


def publish_blank(c: Container) -> None:
    """A procedure made from the blank template: code, names, legal basis written (its scenarios are the
    template's own); checked and published."""
    with c.transaction() as uow:
        draft_id = uc.draft_blank(uow, ADMIN, now(c)).id or 0
    with c.transaction() as uow:
        meta = uc.MetadataInput.of(uc._yaml_of(uc.draft_files(uow, draft_id)))  # noqa: SLF001
        meta.code, meta.name, meta.name_en = BLANK_CODE, BLANK_NAME, "Residence confirmation (trial)"
        meta.field, meta.legal_basis, meta.deadline_amount = "Cư trú", BASIS, "3"
        uc.save_metadata(uow, ADMIN, draft_id, meta, now(c))
    with c.transaction() as uow:
        outcome = uc.check_draft(uow, ADMIN, draft_id, tools_of(c), now(c))
        assert outcome.problems == [], [p.message for p in outcome.problems]
    with c.transaction() as uow:
        uc.publish_draft(uow, ADMIN, draft_id, tools_of(c), now(c))


class TestABlankProcedure:
    def test_it_passes_the_check_is_published_filed_and_its_result_prints_with_the_generic_template(
        self, workshop: Container, api: Api
    ) -> None:
        publish_blank(workshop)
        code = api.filed(body=residence_filing(procedure=BLANK_CODE, papers=[]))
        api.at("2026-03-02T09:30")
        ok(api.receive(code))
        api.at("2026-03-02T14:00")
        api.complete_step(code, "approval", LEADER, {"decision": "approve"})

        [result] = documents(api, code, "result")
        text = pdf_tools.text(download(api, result))
        assert BLANK_NAME in text
        assert "Nguyễn Văn An" in text
        assert BASIS in text
        assert "chấp thuận" in text

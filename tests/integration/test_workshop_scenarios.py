"""The workshop's scenario editor (engine/usecases/workshop_scenarios.py): a draft's scenarios listed with
their last check result, edited, copied and deleted; every refusal names its field and writes nothing."""

from __future__ import annotations

import io
import json
import zipfile
from collections.abc import Iterator
from typing import Any

import pytest

from engine.errors import Conflict, Forbidden, InvalidInput, NotFound
from engine.upload import UploadTooLarge
from engine.usecases import workshop as uc
from engine.usecases import workshop_scenarios as sc
from portal.wiring import Container
from tests.integration.test_versioned_eform import FORM_PATH, with_required_occupation
from tests.integration.test_workshop import ADMIN, OFFICER, check, new_draft, now, residence_version, zip_of
from tests.versions import restoring_versions

FIRST = "01-online-accepted-early.json"


@pytest.fixture
def workshop(container: Container) -> Iterator[Container]:
    """The container; what the test published is removed afterwards."""
    yield from restoring_versions(container)


def files_of(c: Container, draft_id: int) -> dict[str, str]:
    with c.transaction() as uow:
        return uc.draft_files(uow, draft_id)


def lines(c: Container, draft_id: int) -> dict[str, sc.ScenarioLine]:
    with c.transaction() as uow:
        return {line.file: line for line in sc.list_scenarios(uow, ADMIN, draft_id)}


def save(c: Container, draft_id: int, original: str, name: str, content: str) -> str:
    with c.transaction() as uow:
        return sc.save_scenario(uow, ADMIN, draft_id, original, name, content, now(c))


def refused_fields(c: Container, draft_id: int, original: str, name: str, content: str) -> dict[str, Any]:
    before = files_of(c, draft_id)
    with pytest.raises(InvalidInput) as refused:
        save(c, draft_id, original, name, content)
    assert files_of(c, draft_id) == before, "nothing is written when a save is refused"
    return refused.value.fields


def answered(text: str) -> str:
    scenario = json.loads(text)
    scenario["form"]["occupation"] = "Kỹ sư"
    return json.dumps(scenario, ensure_ascii=False, indent=2)


class TestList:
    def test_each_scenario_with_its_name_and_passed_after_a_clean_check(self, workshop: Container) -> None:
        draft_id = new_draft(workshop)
        assert {line.state for line in lines(workshop, draft_id).values()} == {"not_run"}
        check(workshop, draft_id)
        found = lines(workshop, draft_id)
        assert len(found) == 6
        assert found[FIRST].name.startswith("Nộp trực tuyến, tiếp nhận")
        assert {line.state for line in found.values()} == {"passed"}

    def test_a_required_field_fails_every_filing_scenario_and_fixing_one_passes_it(
        self, workshop: Container
    ) -> None:
        draft_id = new_draft(workshop)
        files = files_of(workshop, draft_id)
        with workshop.transaction() as uow:
            uc.save_file(
                uow, ADMIN, draft_id, FORM_PATH, with_required_occupation(files[FORM_PATH]), now(workshop)
            )
        check(workshop, draft_id)
        found = lines(workshop, draft_id)
        assert {line.state for line in found.values()} == {"failed"}
        assert "Nghề nghiệp" in found[FIRST].problems[0].message
        assert found[FIRST].problems[0].file == f"scenarios/{FIRST}"
        save(workshop, draft_id, FIRST, FIRST, answered(files[f"scenarios/{FIRST}"]))
        check(workshop, draft_id)
        found = lines(workshop, draft_id)
        assert found[FIRST].state == "passed"
        assert found["03-refused-at-reception.json"].state == "failed"

    def test_scenarios_stopped_by_an_earlier_problem_are_not_run(self, workshop: Container) -> None:
        with workshop.transaction() as uow:
            draft_id = uc.draft_blank(uow, ADMIN, now(workshop)).id or 0
        check(workshop, draft_id)  # the blank template has no code nor names yet
        assert {line.state for line in lines(workshop, draft_id).values()} == {"not_run"}


class TestSave:
    def test_an_edit_is_written_and_a_rename_moves_the_file(self, workshop: Container) -> None:
        draft_id = new_draft(workshop)
        text = files_of(workshop, draft_id)[f"scenarios/{FIRST}"].replace("trước hạn", "sớm")
        assert save(workshop, draft_id, FIRST, "01-som", text) == "01-som.json"
        files = files_of(workshop, draft_id)
        assert f"scenarios/{FIRST}" not in files
        assert files["scenarios/01-som.json"] == text
        assert check(workshop, draft_id).passed

    def test_a_new_file_is_added_when_there_is_no_original(self, workshop: Container) -> None:
        draft_id = new_draft(workshop)
        text = files_of(workshop, draft_id)[f"scenarios/{FIRST}"]
        save(workshop, draft_id, "", "07-them.json", text)
        assert "scenarios/07-them.json" in files_of(workshop, draft_id)

    @pytest.mark.parametrize(
        ("content", "said"),
        [
            ("{oops", "JSON không hợp lệ ở dòng 1"),
            ("[1, 2]", "phải là một đối tượng JSON"),
            ("", "JSON không hợp lệ"),
        ],
        ids=["not-json", "not-an-object", "empty"],
    )
    def test_bad_json_is_refused_on_its_field(self, workshop: Container, content: str, said: str) -> None:
        draft_id = new_draft(workshop)
        fields = refused_fields(workshop, draft_id, FIRST, FIRST, content)
        assert said in fields["scenario_json"].message
        assert fields["scenario_json"].message_en

    @pytest.mark.parametrize("name", ["../procedure", "a/b.json", "kịch-bản.json", "", "x" * 81, "a b.json"])
    def test_a_bad_file_name_is_refused_on_its_field(self, workshop: Container, name: str) -> None:
        draft_id = new_draft(workshop)
        fields = refused_fields(workshop, draft_id, FIRST, name, "{}")
        assert set(fields) == {"scenario_name"}
        assert "05-bo-sung.json" in fields["scenario_name"].message

    def test_a_name_taken_by_another_scenario_is_refused(self, workshop: Container) -> None:
        draft_id = new_draft(workshop)
        fields = refused_fields(workshop, draft_id, FIRST, "03-refused-at-reception", "{}")
        assert "Đã có kịch bản «03-refused-at-reception.json»" in fields["scenario_name"].message

    def test_both_fields_are_named_at_once(self, workshop: Container) -> None:
        draft_id = new_draft(workshop)
        assert set(refused_fields(workshop, draft_id, FIRST, "../x", "{")) == {
            "scenario_name",
            "scenario_json",
        }

    def test_over_the_import_cap_is_too_large(self, workshop: Container) -> None:
        draft_id = new_draft(workshop)
        big = json.dumps({"name": "ệ" * (uc.MAX_FILE_BYTES // 3 + 10)}, ensure_ascii=False)
        before = files_of(workshop, draft_id)
        with pytest.raises(UploadTooLarge) as refused:
            save(workshop, draft_id, FIRST, FIRST, big)
        assert set(refused.value.fields) == {"scenario_json"}
        assert files_of(workshop, draft_id) == before

    def test_no_room_past_the_import_file_count(self, workshop: Container) -> None:
        draft_id = new_draft(workshop)
        count = len(files_of(workshop, draft_id))
        for i in range(uc.MAX_FILES - count):
            save(workshop, draft_id, "", f"9{i:02}", "{}")
        fields = refused_fields(workshop, draft_id, "", "999", "{}")
        assert f"tối đa {uc.MAX_FILES}" in fields["scenario_name"].message
        save(workshop, draft_id, FIRST, FIRST, "{}")  # editing an existing one still works

    def test_an_original_that_is_gone_is_not_found(self, workshop: Container) -> None:
        draft_id = new_draft(workshop)
        with workshop.transaction() as uow, pytest.raises(NotFound):
            sc.save_scenario(uow, ADMIN, draft_id, "gone.json", "gone.json", "{}", now(workshop))

    def test_a_closed_draft_and_a_non_administrator_are_refused(self, workshop: Container) -> None:
        draft_id = new_draft(workshop)
        with workshop.transaction() as uow, pytest.raises(Forbidden):
            sc.save_scenario(uow, OFFICER, draft_id, FIRST, FIRST, "{}", now(workshop))
        with workshop.transaction() as uow:
            uc.discard(uow, ADMIN, draft_id, now(workshop))
        with workshop.transaction() as uow, pytest.raises(Conflict):
            sc.save_scenario(uow, ADMIN, draft_id, FIRST, FIRST, "{}", now(workshop))

    def test_a_scenario_the_runner_cannot_follow_is_a_problem_not_a_crash(self, workshop: Container) -> None:
        draft_id = new_draft(workshop)
        save(workshop, draft_id, FIRST, FIRST, json.dumps({"steps": [{"action": "fly"}], "as": 1}))
        problems = [p for p in check(workshop, draft_id).problems if p.file == f"scenarios/{FIRST}"]
        said = " | ".join(p.message for p in problems)
        assert "thiếu «start»" in said
        assert "thiếu «applicant»" in said
        assert "«action» phải là một trong file, receive" in said
        assert "bước đầu tiên phải là «file»" in said


def test_an_imported_zip_with_an_empty_scenario_is_checked_not_crashed(workshop: Container) -> None:
    with workshop.transaction() as uow:
        _name, data = uc.export_zip(uow, ADMIN, residence_version(workshop).id or 0)
    files = {n: z.read(n).decode() for z in [zipfile.ZipFile(io.BytesIO(data))] for n in z.namelist()}
    files["permanent-residence/scenarios/99-empty.json"] = "{}"
    with workshop.transaction() as uow:
        draft_id = uc.import_zip(uow, ADMIN, zip_of(files), now(workshop)).id or 0
    problems = check(workshop, draft_id).problems
    assert [p.file for p in problems] == ["scenarios/99-empty.json"] * len(problems)
    assert "thiếu «start»" in problems[0].message
    assert lines(workshop, draft_id)["99-empty.json"].state == "failed"


class TestAdd:
    def test_a_copy_of_another_named_as_a_copy(self, workshop: Container) -> None:
        draft_id = new_draft(workshop)
        with workshop.transaction() as uow:
            file = sc.add_scenario(uow, ADMIN, draft_id, FIRST, "07-ban-sao", now(workshop))
        assert file == "07-ban-sao.json"
        files = files_of(workshop, draft_id)
        copied, original = (
            json.loads(files["scenarios/07-ban-sao.json"]),
            json.loads(files[f"scenarios/{FIRST}"]),
        )
        assert copied["steps"] == original["steps"]
        assert copied["name"] == f"{original['name']} (bản sao)"
        assert check(workshop, draft_id).passed

    def test_without_a_source_a_skeleton(self, workshop: Container) -> None:
        draft_id = new_draft(workshop)
        with workshop.transaction() as uow:
            sc.add_scenario(uow, ADMIN, draft_id, "", "07", now(workshop))
        assert json.loads(files_of(workshop, draft_id)["scenarios/07.json"])["steps"][0]["action"] == "file"

    def test_the_next_free_name_is_offered(self, workshop: Container) -> None:
        draft_id = new_draft(workshop)
        assert sc.next_file_name(files_of(workshop, draft_id)) == "07-kich-ban-moi.json"

    def test_bad_source_and_taken_name_are_refused_on_their_fields(self, workshop: Container) -> None:
        draft_id = new_draft(workshop)
        before = files_of(workshop, draft_id)
        with workshop.transaction() as uow, pytest.raises(InvalidInput) as refused:
            sc.add_scenario(uow, ADMIN, draft_id, "khong-co.json", FIRST, now(workshop))
        assert set(refused.value.fields) == {"scenario_source", "scenario_new_name"}
        assert files_of(workshop, draft_id) == before


class TestDelete:
    def test_deleting_one_then_the_last_is_refused(self, workshop: Container) -> None:
        draft_id = new_draft(workshop)
        names = [
            p.removeprefix("scenarios/") for p in files_of(workshop, draft_id) if p.startswith("scenarios/")
        ]
        for name in names[:-1]:
            with workshop.transaction() as uow:
                sc.delete_scenario(uow, ADMIN, draft_id, name, now(workshop))
        assert [p for p in files_of(workshop, draft_id) if p.startswith("scenarios/")] == [
            f"scenarios/{names[-1]}"
        ]
        with workshop.transaction() as uow, pytest.raises(InvalidInput) as refused:
            sc.delete_scenario(uow, ADMIN, draft_id, names[-1], now(workshop))
        assert "ít nhất một kịch bản" in refused.value.fields["scenarios"].message
        assert f"scenarios/{names[-1]}" in files_of(workshop, draft_id)

    def test_an_unknown_file_is_not_found(self, workshop: Container) -> None:
        draft_id = new_draft(workshop)
        with workshop.transaction() as uow, pytest.raises(NotFound):
            sc.delete_scenario(uow, ADMIN, draft_id, "../procedure.yaml", now(workshop))


class TestTwoEditors:
    def test_a_save_over_someone_elses_newer_save_is_refused_and_writes_nothing(
        self, workshop: Container
    ) -> None:
        draft_id = new_draft(workshop)
        files = files_of(workshop, draft_id)
        opened = uc.file_token(files, f"scenarios/{FIRST}")
        text = files[f"scenarios/{FIRST}"]
        with workshop.transaction() as uow:
            sc.save_scenario(
                uow, ADMIN, draft_id, FIRST, FIRST, text.replace("trước hạn", "sớm"), now(workshop), opened
            )
        before = files_of(workshop, draft_id)

        with pytest.raises(Conflict) as refused, workshop.transaction() as uow:
            sc.save_scenario(
                uow, ADMIN, draft_id, FIRST, FIRST, text.replace("trước hạn", "kịp"), now(workshop), opened
            )

        assert refused.value.code == "DraftChanged"
        assert set(refused.value.fields) == {"scenario_json"}
        assert files_of(workshop, draft_id) == before

    def test_without_a_token_the_last_save_wins_as_before(self, workshop: Container) -> None:
        draft_id = new_draft(workshop)
        text = files_of(workshop, draft_id)[f"scenarios/{FIRST}"]
        save(workshop, draft_id, FIRST, FIRST, text.replace("trước hạn", "sớm"))
        save(workshop, draft_id, FIRST, FIRST, text.replace("trước hạn", "kịp"))
        assert "kịp" in files_of(workshop, draft_id)[f"scenarios/{FIRST}"]

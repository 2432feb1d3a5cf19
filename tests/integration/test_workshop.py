"""The procedure workshop's use cases (engine/usecases/workshop.py) on SQLite and PostgreSQL."""

from __future__ import annotations

import io
import zipfile
from collections.abc import Iterator
from pathlib import Path

import pytest
import yaml
from sqlmodel import col, select
from typer.testing import CliRunner

from engine.actor import Actor, Role
from engine.checks import check_all
from engine.errors import Conflict, Forbidden, InvalidInput
from engine.store.models import AdminChangeRow, DossierRow, ProcedureVersionRow
from engine.upload import UploadTooLarge
from engine.usecases import workshop as uc
from portal.pages.admin_procedures import tools_of
from portal.settings import get_settings
from portal.wiring import Container, build_services
from tests.builders import RESIDENCE, Api
from tests.versions import restoring_versions

ADMIN = Actor(
    subject="admin-1", username="quantri", roles=frozenset({Role.ADMIN}), full_name="Quản trị hệ thống"
)
OFFICER = Actor(subject="o", username="motcua.badinh", roles=frozenset({Role.OFFICER}), agency="H29.12.3")
FIXTURES = Path(__file__).resolve().parents[1] / "fixtures" / "bpmn"

XXE = b"""<?xml version="1.0"?>
<!DOCTYPE foo [<!ENTITY xxe SYSTEM "file:///etc/passwd">]>
<bpmn:definitions xmlns:bpmn="http://www.omg.org/spec/BPMN/20100524/MODEL" id="d">
  <bpmn:process id="p" name="&xxe;"/>
</bpmn:definitions>"""
LAUGHS = b"""<?xml version="1.0"?>
<!DOCTYPE lolz [
 <!ENTITY lol "lol">
 <!ENTITY lol2 "&lol;&lol;&lol;&lol;&lol;&lol;&lol;&lol;&lol;&lol;">
 <!ENTITY lol3 "&lol2;&lol2;&lol2;&lol2;&lol2;&lol2;&lol2;&lol2;&lol2;&lol2;">
]>
<bpmn:definitions xmlns:bpmn="http://www.omg.org/spec/BPMN/20100524/MODEL" id="d">
  <bpmn:process id="p" name="&lol3;"/>
</bpmn:definitions>"""


@pytest.fixture
def workshop(container: Container) -> Iterator[Container]:
    """The container; what the test published is removed afterwards."""
    yield from restoring_versions(container)


def now(c: Container):  # noqa: ANN201 — the test clock's time
    return c.services.clock.now()


def residence_version(c: Container) -> ProcedureVersionRow:
    with c.transaction() as uow:
        return uow.session.exec(
            select(ProcedureVersionRow).where(
                ProcedureVersionRow.code == RESIDENCE, col(ProcedureVersionRow.is_current).is_(True)
            )
        ).one()


def new_draft(c: Container) -> int:
    with c.transaction() as uow:
        draft = uc.draft_from_version(uow, ADMIN, c.services.forms, residence_version(c).id or 0, now(c))
        assert draft.id is not None
        return draft.id


def set_budget(c: Container, draft_id: int, step: str, hours: str) -> None:
    with c.transaction() as uow:
        meta = uc.MetadataInput.of(uc._yaml_of(uc.draft_files(uow, draft_id)))  # noqa: SLF001
        for budget in meta.budgets:
            if budget.step == step:
                budget.hours = hours
        uc.save_metadata(uow, ADMIN, draft_id, meta, now(c))


def check(c: Container, draft_id: int) -> uc.CheckOutcome:
    with c.transaction() as uow:
        return uc.check_draft(uow, ADMIN, draft_id, tools_of(c), now(c))


class TestDrafts:
    def test_a_draft_of_a_published_version_holds_its_folder_and_passes_every_check(
        self, workshop: Container
    ) -> None:
        draft_id = new_draft(workshop)
        with workshop.transaction() as uow:
            files = uc.draft_files(uow, draft_id)
        assert {"procedure.yaml", "process.bpmn", "forms/permanent-residence.schema.json"} <= set(files)
        assert any(p.startswith("scenarios/") for p in files)
        outcome = check(workshop, draft_id)
        assert outcome.problems == []
        assert outcome.scenarios >= 6

    def test_only_administrators(self, workshop: Container) -> None:
        with workshop.transaction() as uow, pytest.raises(Forbidden):
            uc.list_procedures(uow, OFFICER)
        with workshop.transaction() as uow, pytest.raises(Forbidden):
            uc.draft_blank(uow, OFFICER, now(workshop))

    def test_a_budget_over_the_legal_term_is_a_problem_on_the_budgets_field(
        self, workshop: Container
    ) -> None:
        draft_id = new_draft(workshop)
        set_budget(workshop, draft_id, "appraisal", "60")
        outcome = check(workshop, draft_id)
        [problem] = outcome.problems
        assert problem.field == "budgets"
        assert "vượt thời hạn luật định" in problem.message
        assert "more than the legal deadline" in problem.message_en

    def test_a_user_task_without_step_is_a_problem_on_its_element(self, workshop: Container) -> None:
        draft_id = new_draft(workshop)
        with workshop.transaction() as uow:
            xml = uc.draft_files(uow, draft_id)["process.bpmn"]
            broken = xml.replace('<spiffworkflow:property name="step" value="approval" />', "", 1)
            assert broken != xml
            uc.save_file(uow, ADMIN, draft_id, "process.bpmn", broken, now(workshop))
        problems = check(workshop, draft_id).problems
        assert any(p.element_id == "Task_Approval" and "step" in p.message for p in problems)  # noqa: PT018

    def test_bad_metadata_names_each_field_and_writes_nothing(self, workshop: Container) -> None:
        draft_id = new_draft(workshop)
        with workshop.transaction() as uow:
            before = uc.draft_files(uow, draft_id)["procedure.yaml"]
            meta = uc.MetadataInput.of(uc._yaml_of(uc.draft_files(uow, draft_id)))  # noqa: SLF001
        meta.code, meta.cutoff, meta.deadline_amount = "", "25:00", "-1"
        meta.papers[0].name = ""
        with workshop.transaction() as uow, pytest.raises(InvalidInput) as refused:
            uc.save_metadata(uow, ADMIN, draft_id, meta, now(workshop))
        assert {"code", "cutoff", "deadline_amount", "papers-0-name"} <= set(refused.value.fields)
        with workshop.transaction() as uow:
            assert uc.draft_files(uow, draft_id)["procedure.yaml"] == before

    def test_the_eform_schema_must_be_json(self, workshop: Container) -> None:
        draft_id = new_draft(workshop)
        with workshop.transaction() as uow, pytest.raises(InvalidInput) as refused:
            uc.save_file(
                uow, ADMIN, draft_id, "forms/permanent-residence.schema.json", "{oops", now(workshop)
            )
        assert "form_schema" in refused.value.fields


class TestImports:
    @pytest.mark.parametrize("payload", [XXE, LAUGHS], ids=["xxe", "billion-laughs"])
    def test_entity_declarations_are_refused_with_a_clear_message(
        self, workshop: Container, payload: bytes
    ) -> None:
        draft_id = new_draft(workshop)
        with workshop.transaction() as uow, pytest.raises(InvalidInput) as refused:
            uc.import_bpmn(uow, ADMIN, draft_id, payload, now(workshop))
        error = refused.value.fields["file"]
        assert "DOCTYPE/ENTITY" in error.message
        assert "XXE" in error.message
        assert "billion-laughs" in error.message_en

    def test_a_file_over_the_cap_is_too_large(self, workshop: Container) -> None:
        draft_id = new_draft(workshop)
        with workshop.transaction() as uow, pytest.raises(UploadTooLarge):
            uc.import_bpmn(uow, ADMIN, draft_id, b" " * (uc.MAX_FILE_BYTES + 1), now(workshop))

    def test_not_bpmn_is_refused(self, workshop: Container) -> None:
        draft_id = new_draft(workshop)
        with workshop.transaction() as uow, pytest.raises(InvalidInput) as refused:
            uc.import_bpmn(uow, ADMIN, draft_id, b"<html><body>hi</body></html>", now(workshop))
        assert "BPMN 2.0" in refused.value.fields["file"].message

    @pytest.mark.parametrize(
        "name", ["../evil/procedure.yaml", "/etc/procedure.yaml", "C:/x/procedure.yaml", "a/../../b.json"]
    )
    def test_zip_slip_and_absolute_paths_are_refused(self, workshop: Container, name: str) -> None:
        data = zip_of({name: "code: x\n", "process.bpmn": "<x/>"})
        with workshop.transaction() as uow, pytest.raises(InvalidInput) as refused:
            uc.import_zip(uow, ADMIN, data, now(workshop))
        assert "ra ngoài thư mục thủ tục" in refused.value.fields["file"].message

    def test_too_many_files_are_refused(self, workshop: Container) -> None:
        data = zip_of({f"scenarios/{i:03}.json": "{}" for i in range(uc.MAX_FILES + 1)})
        with workshop.transaction() as uow, pytest.raises(InvalidInput) as refused:
            uc.import_zip(uow, ADMIN, data, now(workshop))
        assert f"tối đa {uc.MAX_FILES}" in refused.value.fields["file"].message

    def test_a_zip_bomb_is_refused_by_its_declared_size(self, workshop: Container) -> None:
        data = zip_of({"procedure.yaml": "a" * (uc.MAX_UNZIPPED_BYTES + 10), "process.bpmn": "<x/>"})
        assert len(data) < uc.MAX_ZIP_BYTES
        with workshop.transaction() as uow, pytest.raises(UploadTooLarge):
            uc.import_zip(uow, ADMIN, data, now(workshop))

    def test_a_zip_with_an_entity_bpmn_is_refused(self, workshop: Container) -> None:
        data = zip_of({"procedure.yaml": "code: x\n", "process.bpmn": XXE.decode()})
        with workshop.transaction() as uow, pytest.raises(InvalidInput) as refused:
            uc.import_zip(uow, ADMIN, data, now(workshop))
        assert "XXE" in refused.value.fields["file"].message

    @pytest.mark.parametrize("name", sorted(p.name for p in FIXTURES.glob("*.bpmn")))
    def test_foreign_bpmn_opens_in_a_draft_or_is_refused_naming_the_element(
        self, workshop: Container, name: str
    ) -> None:
        draft_id = new_draft(workshop)
        if name.endswith("-broken.bpmn"):  # bpmnlint's not-XML fixture: refused, saying where it breaks
            with workshop.transaction() as uow, pytest.raises(InvalidInput) as refused:
                uc.import_bpmn(uow, ADMIN, draft_id, (FIXTURES / name).read_bytes(), now(workshop))
            assert "line 1, column 6" in refused.value.fields["file"].message
            assert refused.value.fields["file"].message_en.startswith("The file is not well-formed XML")
            return
        with workshop.transaction() as uow:
            uc.import_bpmn(uow, ADMIN, draft_id, (FIXTURES / name).read_bytes(), now(workshop))
            files = uc.draft_files(uow, draft_id)
        assert files["process.bpmn"] == (FIXTURES / name).read_text(encoding="utf-8")
        assert yaml.safe_load(files["procedure.yaml"])["process_id"] in uc.process_ids(files["process.bpmn"])
        problems = check(workshop, draft_id).problems
        assert problems, "a foreign model has no MotCua lanes and properties"
        assert any(p.element_id for p in problems), [p.message for p in problems]


def zip_of(files: dict[str, str]) -> bytes:
    buffer = io.BytesIO()
    with zipfile.ZipFile(buffer, "w", zipfile.ZIP_DEFLATED) as archive:
        for name, content in files.items():
            archive.writestr(name, content)
    return buffer.getvalue()


class TestPublishing:
    def test_publish_is_refused_while_a_problem_stands(self, workshop: Container) -> None:
        draft_id = new_draft(workshop)
        set_budget(workshop, draft_id, "appraisal", "60")
        with workshop.transaction() as uow, pytest.raises(Conflict) as refused:
            uc.publish_draft(uow, ADMIN, draft_id, tools_of(workshop), now(workshop))
        assert refused.value.code == "DraftHasProblems"
        assert residence_version(workshop).version == 1

    def test_new_filings_take_the_new_version_running_dossiers_keep_theirs(
        self, workshop: Container, api: Api
    ) -> None:
        old = residence_version(workshop)
        before = api.filed()
        draft_id = new_draft(workshop)
        set_budget(workshop, draft_id, "appraisal", "30")
        set_budget(workshop, draft_id, "approval", "18")
        with workshop.transaction() as uow:
            meta = uc.MetadataInput.of(uc._yaml_of(uc.draft_files(uow, draft_id)))  # noqa: SLF001
            meta.fee_amount = "25000"
            uc.save_metadata(uow, ADMIN, draft_id, meta, now(workshop))
        assert check(workshop, draft_id).passed
        with workshop.transaction() as uow:
            row = uc.publish_draft(uow, ADMIN, draft_id, tools_of(workshop), now(workshop))
        assert (row.version, row.published_by, row.published_by_name) == (2, "admin-1", "Quản trị hệ thống")
        assert row.change_summary is not None
        assert row.change_summary["changed"] == ["procedure.yaml"]
        assert row.change_summary["added"] == []  # the e-form in forms/ is compared, not counted as new
        assert row.change_summary["fee"]["after"]["amount"] == 25000
        assert "budgets" in row.change_summary
        assert "deadline" not in row.change_summary
        after = api.filed()
        with workshop.transaction() as uow:
            versions = {d.code: d.procedure_version_id for d in uow.session.exec(select(DossierRow)).all()}
            lines = uc.list_procedures(uow, ADMIN)
            audit = uow.session.exec(select(AdminChangeRow)).all()
        assert versions == {before: old.id, after: row.id}
        [line] = [p for p in lines if p.code == RESIDENCE]
        assert [(v.row.version, v.state, v.open_dossiers) for v in line.versions] == [
            (2, "published", 1),
            (1, "superseded", 1),
        ]
        assert [a.kind for a in audit] == ["procedure_publish"]

    def test_the_same_content_is_not_published_twice(self, workshop: Container) -> None:
        draft_id = new_draft(workshop)
        check(workshop, draft_id)
        with workshop.transaction() as uow, pytest.raises(Conflict) as refused:
            uc.publish_draft(uow, ADMIN, draft_id, tools_of(workshop), now(workshop))
        assert refused.value.code == "AlreadyPublished"

    def test_retiring_the_current_version_hands_new_filings_back(self, workshop: Container, api: Api) -> None:
        old = residence_version(workshop)
        draft_id = new_draft(workshop)
        set_budget(workshop, draft_id, "approval", "10")
        with workshop.transaction() as uow:
            new = uc.publish_draft(uow, ADMIN, draft_id, tools_of(workshop), now(workshop))
        with workshop.transaction() as uow:
            uc.retire_version(uow, ADMIN, new.id or 0, now(workshop))
        assert residence_version(workshop).id == old.id
        with workshop.transaction() as uow, pytest.raises(Conflict):
            uc.retire_version(uow, ADMIN, new.id or 0, now(workshop))
        with workshop.transaction() as uow:
            uc.retire_version(uow, ADMIN, old.id or 0, now(workshop))
        refused = api.file()
        assert refused.status_code == 404

    def test_an_exported_version_passes_the_check_unchanged(
        self, workshop: Container, tmp_path: Path
    ) -> None:
        with workshop.transaction() as uow:
            name, data = uc.export_zip(uow, ADMIN, residence_version(workshop).id or 0)
        assert name == "permanent-residence-v1.zip"
        zipfile.ZipFile(io.BytesIO(data)).extractall(tmp_path)
        settings = workshop.settings
        reports = check_all(
            tmp_path / "permanent-residence",
            workshop.services.runtime,
            workshop.services.forms,
            lambda clock: build_services(settings, clock),
        )
        assert [r.problems for r in reports] == [[]]
        assert reports[0].scenarios >= 6

    def test_an_exported_zip_imports_into_a_draft(self, workshop: Container) -> None:
        current = residence_version(workshop)
        with workshop.transaction() as uow:
            _name, data = uc.export_zip(uow, ADMIN, current.id or 0)
            draft = uc.import_zip(uow, ADMIN, data, now(workshop))
            assert draft.base_version_id == current.id
            files = uc.draft_files(uow, draft.id or 0)
        assert "procedure.yaml" in files
        assert "scenarios/01-online-accepted-early.json" in files


class TestCli:
    def test_publish_from_a_folder_checks_then_publishes(
        self, workshop: Container, tmp_path: Path, request: pytest.FixtureRequest
    ) -> None:
        from portal.cli import app

        with workshop.transaction() as uow:
            _name, data = uc.export_zip(uow, ADMIN, residence_version(workshop).id or 0)
        zipfile.ZipFile(io.BytesIO(data)).extractall(tmp_path)
        folder = tmp_path / "permanent-residence"
        raw = yaml.safe_load((folder / "procedure.yaml").read_text(encoding="utf-8"))
        raw["budgets"]["appraisal"] = 99
        (folder / "procedure.yaml").write_text(yaml.safe_dump(raw, allow_unicode=True), encoding="utf-8")
        env = {"MOTCUA_DATABASE_URL": str(workshop.engine.url.render_as_string(hide_password=False))}
        runner = CliRunner()
        get_settings.cache_clear()  # the CLI reads MOTCUA_DATABASE_URL once per process
        request.addfinalizer(get_settings.cache_clear)
        refused = runner.invoke(app, ["procedures", "publish", str(folder)], env=env)
        assert refused.exit_code == 1, refused.output
        assert "vượt thời hạn luật định" in refused.output
        assert "[budgets]" in refused.output
        raw["budgets"]["appraisal"] = 30
        (folder / "procedure.yaml").write_text(yaml.safe_dump(raw, allow_unicode=True), encoding="utf-8")
        done = runner.invoke(app, ["procedures", "publish", str(folder)], env=env)
        assert done.exit_code == 0, done.output
        assert "công bố phiên bản 2" in done.output
        assert residence_version(workshop).version == 2


def test_a_script_outside_the_sandbox_is_refused_naming_its_element(workshop: Container) -> None:
    """spiff-arena's «read /etc/passwd» model opens (its script would fail in the sandbox at run time: no
    `open`, no `os`); with an import added, the sandbox refuses it before anything runs, naming the task."""
    draft_id = new_draft(workshop)
    real = (FIXTURES / "spiff-arena-read-etc-passwd.bpmn").read_text(encoding="utf-8")
    with workshop.transaction() as uow:
        uc.import_bpmn(uow, ADMIN, draft_id, real.encode(), now(workshop))
    opened = check(workshop, draft_id).problems
    assert {p.element_id for p in opened} >= {"Event_05ctc03"}  # an end event without MotCua's status
    importing = real.replace("<bpmn:script>user_list", "<bpmn:script>import os\nuser_list")
    with workshop.transaction() as uow:
        uc.import_bpmn(uow, ADMIN, draft_id, importing.encode(), now(workshop))
    problems = check(workshop, draft_id).problems
    [problem] = [p for p in problems if p.message.startswith("process.bpmn không hợp lệ")]
    assert problem.element_id == "read_etc_passwd"
    assert problem.message.startswith("process.bpmn không hợp lệ")
    assert problem.message_en.startswith("process.bpmn is not valid")

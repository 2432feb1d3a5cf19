"""The procedure workshop's pages (/quan-tri, /quan-tri/thu-tuc) over HTTP."""

from __future__ import annotations

import io
import json
import re
import zipfile
from collections.abc import Iterator
from pathlib import Path

import httpx
import pytest
from fastapi.testclient import TestClient
from sqlmodel import col, select

from engine.store.models import ProcedureDraftRow, ProcedureVersionRow
from engine.usecases import workshop as uc
from portal.wiring import Container
from tests.builders import AN, OFFICER, RESIDENCE, Api
from tests.integration.test_workshop import LAUGHS, XXE
from tests.portal.conftest import Browse, csrf_of
from tests.versions import restoring_versions

ADMIN = "quantri"
FIXTURES = Path(__file__).resolve().parents[1] / "fixtures" / "bpmn"


@pytest.fixture
def workshop(container: Container) -> Iterator[Container]:
    """The container; what the test published is removed afterwards."""
    yield from restoring_versions(container)


def current(c: Container) -> ProcedureVersionRow:
    with c.transaction() as uow:
        return uow.session.exec(
            select(ProcedureVersionRow).where(
                ProcedureVersionRow.code == RESIDENCE, col(ProcedureVersionRow.is_current).is_(True)
            )
        ).one()


def open_draft(client: TestClient, c: Container) -> tuple[int, httpx.Response]:
    """Press «Tạo bản nháp» on the residence procedure's page; the draft page it lands on."""
    page = client.get(f"/quan-tri/thu-tuc/{RESIDENCE}")
    version = current(c)
    done = client.post(
        f"/quan-tri/thu-tuc/phien-ban/{version.id}/nhap", data={"csrf": csrf_of(page)}, follow_redirects=False
    )
    assert done.status_code == 303, done.text
    match = re.search(r"/nhap/(\d+)", done.headers["location"])
    assert match
    return int(match.group(1)), client.get(done.headers["location"])


def metadata_of(page: str) -> dict[str, str]:
    """The values of the metadata form as a browser would post them (text inputs, selects, checked boxes)."""
    form = re.split(r'action="/quan-tri/thu-tuc/nhap/\d+/thong-tin"', page, maxsplit=1)[1].split(
        "</form>", 1
    )[0]
    data = {
        m[0]: m[1]
        for m in re.findall(r'<input class="govuk-input[^>]*name="([^"]+)"[^>]*value="([^"]*)"', form)
    }
    data |= {
        m[0]: m[1]
        for m in re.findall(r'<input class="govuk-input[^>]*id="[^"]*" name="([^"]+)" value="([^"]*)"', form)
    }
    for name, body in re.findall(r'<select[^>]*name="([^"]+)"[^>]*>(.*?)</select>', form, re.S):
        chosen = re.search(r'<option value="([^"]*)" selected', body)
        data[name] = chosen.group(1) if chosen else ""
    for name, body in re.findall(r'<textarea[^>]*name="([^"]+)"[^>]*>(.*?)</textarea>', form, re.S):
        data[name] = body.strip()
    for name in re.findall(r'type="checkbox"[^>]*name="([^"]+)" value="1" checked', form):
        data[name] = "1"
    clock = re.search(r'name="clock" type="radio" value="(\w+)" checked', form) or re.search(
        r'name="clock"[^>]*value="(\w+)"[^>]*checked', form
    )
    data["clock"] = clock.group(1) if clock else "pause"
    return data


def post(
    client: TestClient, url: str, page: httpx.Response, data: dict[str, str], **kw: object
) -> httpx.Response:
    return client.post(url, data={"csrf": csrf_of(page), **data}, follow_redirects=False, **kw)  # type: ignore[arg-type]


class TestAccess:
    @pytest.mark.parametrize("path", ["/quan-tri", "/quan-tri/thu-tuc", f"/quan-tri/thu-tuc/{RESIDENCE}"])
    def test_only_administrators(self, browse: Browse, path: str) -> None:
        anonymous = browse().get(path, follow_redirects=False)
        assert anonymous.status_code == 303
        assert anonymous.headers["location"].startswith(f"/dang-nhap?next={path}")
        assert browse(AN).get(path).status_code == 403
        assert browse(OFFICER).get(path).status_code == 403
        assert browse(ADMIN).get(path).status_code == 200

    def test_posts_need_the_csrf_token_and_the_role(self, browse: Browse, workshop: Container) -> None:
        version = current(workshop)
        url = f"/quan-tri/thu-tuc/phien-ban/{version.id}/nhap"
        assert browse(ADMIN).post(url, data={}, follow_redirects=False).status_code == 403
        officer = browse(OFFICER)
        token = csrf_of(officer.get("/mot-cua"))
        assert officer.post(url, data={"csrf": token}, follow_redirects=False).status_code == 403
        with workshop.transaction() as uow:
            assert uow.session.exec(select(ProcedureDraftRow)).all() == []

    def test_the_landing_page_links_every_area(self, browse: Browse) -> None:
        page = browse(ADMIN).get("/quan-tri").text
        for href in ("/quan-tri/thu-tuc", "/quan-tri/so-do", "/quan-tri/co-quan", "/quan-tri/lich"):
            assert f'href="{href}"' in page
        for other in ("/quan-tri/co-quan", "/quan-tri/so-do"):  # one admin menu on every admin page
            assert 'href="/quan-tri/thu-tuc"' in browse(ADMIN).get(other).text


class TestList:
    def test_versions_with_publisher_and_open_dossiers(
        self, browse: Browse, workshop: Container, api: Api
    ) -> None:
        api.filed()
        page = browse(ADMIN).get("/quan-tri/thu-tuc").text
        row = re.search(
            rf'<tr class="govuk-table__row" data-code="{re.escape(RESIDENCE)}" data-version="1">(.*?)</tr>',
            page,
            re.S,
        )
        assert row, page
        assert "Đang áp dụng" in row.group(1)
        assert "Thư mục processes/" in row.group(1)
        assert re.search(r'numeric" data-label="Hồ sơ đang giải quyết">1</td>', row.group(1))

    def test_procedure_page_links_simulation_and_migration(self, browse: Browse) -> None:
        page = browse(ADMIN).get(f"/quan-tri/thu-tuc/{RESIDENCE}").text
        assert f'href="/quan-tri/thu-tuc/{RESIDENCE}/mo-phong"' in page
        assert f'href="/quan-tri/thu-tuc/{RESIDENCE}/chuyen-phien-ban"' in page

    def test_an_unknown_procedure_is_404(self, browse: Browse) -> None:
        assert browse(ADMIN).get("/quan-tri/thu-tuc/9.999999").status_code == 404


class TestDraftPage:
    def test_a_draft_of_the_version_passes_and_shows_the_bpmn_in_the_modeler_textarea(
        self, browse: Browse, workshop: Container
    ) -> None:
        client = browse(ADMIN)
        _draft_id, page = open_draft(client, workshop)
        assert page.status_code == 200
        assert "Đạt mọi kiểm tra" in page.text
        assert re.search(r'<textarea[^>]*name="bpmn_xml"[^>]*data-bpmn-modeler', page.text)
        assert "Task_Reception" in page.text
        # The e-form preview is drawn by the portal's renderer, as the citizen sees it.
        assert "Xem trước: công dân thấy biểu mẫu như sau" in page.text
        assert 'name="form[applicant][full_name]"' in page.text or "full_name" in page.text

    def test_a_budget_over_the_term_shows_on_the_field_and_publishing_is_refused(
        self, browse: Browse, workshop: Container
    ) -> None:
        client = browse(ADMIN)
        draft_id, page = open_draft(client, workshop)
        data = metadata_of(page.text)
        step = next(
            k
            for k, v in data.items()
            if k.startswith("budgets-") and k.endswith("-step") and v == "appraisal"
        )
        data[step.replace("-step", "-hours")] = "60"
        saved = post(client, f"/quan-tri/thu-tuc/nhap/{draft_id}/thong-tin", page, data)
        assert saved.status_code == 303, saved.text
        page = client.get(f"/quan-tri/thu-tuc/nhap/{draft_id}")
        assert re.search(r'<ul[^>]*data-bpmn-problems>\s*<li data-field="budgets">', page.text)
        assert 'data-problem-field="budgets"' in page.text
        assert "vượt thời hạn luật định" in page.text
        assert "more than the legal deadline" in page.text
        refused = post(client, f"/quan-tri/thu-tuc/nhap/{draft_id}/cong-bo", page, {})
        assert refused.status_code == 409
        assert "Chưa công bố được" in refused.text
        assert current(workshop).version == 1

    def test_a_bad_field_is_named_and_nothing_is_written(self, browse: Browse, workshop: Container) -> None:
        client = browse(ADMIN)
        draft_id, page = open_draft(client, workshop)
        data = metadata_of(page.text) | {"cutoff": "25:99", "deadline_amount": "abc"}
        refused = post(client, f"/quan-tri/thu-tuc/nhap/{draft_id}/thong-tin", page, data)
        assert refused.status_code == 422
        assert 'href="#f-cutoff"' in refused.text
        assert 'href="#f-deadline_amount"' in refused.text
        assert "Nhập giờ dạng HH:MM" in refused.text

    def test_a_task_without_step_is_listed_on_its_element(self, browse: Browse, workshop: Container) -> None:
        client = browse(ADMIN)
        draft_id, page = open_draft(client, workshop)
        with workshop.transaction() as uow:
            xml = uc.draft_files(uow, draft_id)["process.bpmn"]
        broken = xml.replace('<spiffworkflow:property name="step" value="approval" />', "", 1)
        saved = post(client, f"/quan-tri/thu-tuc/nhap/{draft_id}/bpmn", page, {"bpmn_xml": broken})
        assert saved.status_code == 303
        page = client.get(f"/quan-tri/thu-tuc/nhap/{draft_id}")
        assert re.search(r'<li data-element-id="Task_Approval">', page.text)

    def test_a_gateway_without_default_flow_is_a_lint_error_on_its_element(
        self, browse: Browse, workshop: Container
    ) -> None:
        client = browse(ADMIN)
        draft_id, page = open_draft(client, workshop)
        with workshop.transaction() as uow:
            xml = uc.draft_files(uow, draft_id)["process.bpmn"]
        broken = xml.replace(' default="Flow_ReceptionAccept"', "", 1)
        assert broken != xml
        saved = post(client, f"/quan-tri/thu-tuc/nhap/{draft_id}/bpmn", page, {"bpmn_xml": broken})
        assert saved.status_code == 303
        page = client.get(f"/quan-tri/thu-tuc/nhap/{draft_id}")
        assert re.search(r'<li data-element-id="Gateway_Reception">', page.text)
        assert "Cổng rẽ nhánh chưa có nhánh mặc định" in page.text
        assert "Gateway has no default flow" in page.text
        assert '<script src="/static/dist/bpmn/modeler.js" defer></script>' in page.text
        refused = post(client, f"/quan-tri/thu-tuc/nhap/{draft_id}/cong-bo", page, {})
        assert refused.status_code == 409
        assert current(workshop).version == 1

    @pytest.mark.parametrize("payload", [XXE, LAUGHS], ids=["xxe", "billion-laughs"])
    def test_entity_files_are_refused_on_the_page(
        self, browse: Browse, workshop: Container, payload: bytes
    ) -> None:
        client = browse(ADMIN)
        draft_id, page = open_draft(client, workshop)
        refused = post(
            client,
            f"/quan-tri/thu-tuc/nhap/{draft_id}/nhap-bpmn",
            page,
            {},
            files={"file": ("evil.bpmn", payload, "application/xml")},
        )
        assert refused.status_code == 422
        assert "DOCTYPE/ENTITY" in refused.text
        assert "XXE" in refused.text
        pasted = post(client, f"/quan-tri/thu-tuc/nhap/{draft_id}/bpmn", page, {"bpmn_xml": payload.decode()})
        assert pasted.status_code == 422
        with workshop.transaction() as uow:
            assert "ENTITY" not in uc.draft_files(uow, draft_id)["process.bpmn"]

    def test_an_oversized_file_is_413(self, browse: Browse, workshop: Container) -> None:
        client = browse(ADMIN)
        draft_id, page = open_draft(client, workshop)
        big = b"<x>" + b" " * (uc.MAX_FILE_BYTES + 10) + b"</x>"
        refused = post(
            client,
            f"/quan-tri/thu-tuc/nhap/{draft_id}/nhap-bpmn",
            page,
            {},
            files={"file": ("big.bpmn", big)},
        )
        assert refused.status_code == 413

    def test_a_zip_slip_is_refused(self, browse: Browse, workshop: Container) -> None:
        client = browse(ADMIN)
        page = client.get("/quan-tri/thu-tuc")
        buffer = io.BytesIO()
        with zipfile.ZipFile(buffer, "w") as archive:
            archive.writestr("../../etc/procedure.yaml", "code: x")
        refused = post(
            client, "/quan-tri/thu-tuc/nhap/tu-zip", page, {}, files={"file": ("p.zip", buffer.getvalue())}
        )
        assert refused.status_code == 422
        assert "ra ngoài thư mục thủ tục" in refused.text

    def test_a_foreign_model_opens_with_its_problems_on_elements(
        self, browse: Browse, workshop: Container
    ) -> None:
        client = browse(ADMIN)
        draft_id, page = open_draft(client, workshop)
        data = (FIXTURES / "camunda-modeler-lanes.bpmn").read_bytes()
        done = post(
            client, f"/quan-tri/thu-tuc/nhap/{draft_id}/nhap-bpmn", page, {}, files={"file": ("m.bpmn", data)}
        )
        assert done.status_code == 303
        page = client.get(f"/quan-tri/thu-tuc/nhap/{draft_id}")
        # Camunda Modeler's lanes A, B, C map to no role; its user tasks carry no status or step.
        assert '<li data-element-id="A_id" data-field="lanes">' in page.text
        assert '<li data-element-id="Activity_A1">' in page.text

    def test_the_eform_preview_without_and_with_htmx(self, browse: Browse, workshop: Container) -> None:
        client = browse(ADMIN)
        draft_id, page = open_draft(client, workshop)
        title = "Họ và tên người khai"
        schema = json.dumps({"type": "object", "properties": {"ho_ten": {"type": "string", "title": title}}})
        shown = post(
            client,
            f"/quan-tri/thu-tuc/nhap/{draft_id}/bieu-mau",
            page,
            {"form_schema": schema, "action": "preview"},
        )
        assert shown.status_code == 200
        assert "Họ và tên người khai" in shown.text
        fragment = post(
            client, f"/quan-tri/thu-tuc/nhap/{draft_id}/bieu-mau/xem-truoc", page, {"form_schema": schema}
        )
        assert fragment.status_code == 200
        assert fragment.text.lstrip().startswith('<div id="eform-preview"')
        assert "Họ và tên người khai" in fragment.text
        broken = post(
            client, f"/quan-tri/thu-tuc/nhap/{draft_id}/bieu-mau/xem-truoc", page, {"form_schema": "{"}
        )
        assert "Chưa vẽ được biểu mẫu" in broken.text


class TestPublish:
    def test_publish_then_export_and_retire(self, browse: Browse, workshop: Container) -> None:
        client = browse(ADMIN)
        draft_id, page = open_draft(client, workshop)
        data = metadata_of(page.text) | {"fee_amount": "30000"}
        assert post(client, f"/quan-tri/thu-tuc/nhap/{draft_id}/thong-tin", page, data).status_code == 303
        done = post(client, f"/quan-tri/thu-tuc/nhap/{draft_id}/cong-bo", page, {})
        assert done.status_code == 303, done.text
        assert done.headers["location"] == f"/quan-tri/thu-tuc/{RESIDENCE}?xong=cong-bo"
        shown = client.get(done.headers["location"]).text
        assert "Đã công bố phiên bản mới" in shown
        assert re.search(r'data-version="2" data-state="published"', shown)
        assert re.search(r'data-version="1" data-state="superseded"', shown)
        assert "lệ phí 20.000" in shown
        new = current(workshop)
        assert new.version == 2
        assert new.published_by_name == "Quản trị hệ thống"
        exported = client.get(f"/quan-tri/thu-tuc/phien-ban/{new.id}/tai-ve")
        assert exported.status_code == 200
        assert exported.headers["content-type"] == "application/zip"
        names = zipfile.ZipFile(io.BytesIO(exported.content)).namelist()
        assert "permanent-residence/procedure.yaml" in names
        procedure_page = client.get(f"/quan-tri/thu-tuc/{RESIDENCE}")
        retired = post(client, f"/quan-tri/thu-tuc/phien-ban/{new.id}/ngung", procedure_page, {})
        assert retired.status_code == 303
        assert current(workshop).version == 1
        again = post(client, f"/quan-tri/thu-tuc/phien-ban/{new.id}/ngung", procedure_page, {})
        assert again.status_code == 409


class TestBlankDraft:
    def test_a_blank_draft_lists_what_is_missing_on_its_fields_then_is_discarded(
        self, browse: Browse, workshop: Container
    ) -> None:
        client = browse(ADMIN)
        listing = client.get("/quan-tri/thu-tuc")
        made = post(client, "/quan-tri/thu-tuc/nhap/moi", listing, {})
        assert made.status_code == 303
        page = client.get(made.headers["location"])
        assert '<li data-field="code">' in page.text
        assert '<li data-field="name">' in page.text
        assert "Đã tạo bản nháp" in page.text
        draft_id = int(re.findall(r"/nhap/(\d+)", made.headers["location"])[0])
        refused = post(client, f"/quan-tri/thu-tuc/nhap/{draft_id}/cong-bo", page, {})
        assert refused.status_code == 409
        dropped = post(client, f"/quan-tri/thu-tuc/nhap/{draft_id}/huy", page, {})
        assert dropped.status_code == 303
        assert f"/quan-tri/thu-tuc/nhap/{draft_id}" not in client.get("/quan-tri/thu-tuc").text
        closed = post(client, f"/quan-tri/thu-tuc/nhap/{draft_id}/bpmn", page, {"bpmn_xml": uc.BLANK_BPMN})
        assert closed.status_code == 409


def token_of(page: str, action: str) -> str:
    """The token the editor posting to `action` carries (the file as the page showed it)."""
    form = page.split(f'action="{action}"', 1)[1].split("</form>", 1)[0]
    found = re.search(r'name="token" value="([^"]+)"', form)
    assert found, f"no token in the form posting to {action}"
    return found.group(1)


def stored(c: Container, draft_id: int, path: str) -> str:
    with c.transaction() as uow:
        return uc.draft_files(uow, draft_id)[path]


class TestTwoAdministrators:
    """Two administrators with the same draft open: the second save does not silently undo the first."""

    def test_a_save_over_a_newer_save_is_refused_and_what_was_typed_is_kept(
        self, browse: Browse, workshop: Container
    ) -> None:
        client = browse(ADMIN)
        draft_id, page = open_draft(client, workshop)
        action = f"/quan-tri/thu-tuc/nhap/{draft_id}/bpmn"
        opened = token_of(page.text, action)  # both administrators opened the draft here
        original = stored(workshop, draft_id, "process.bpmn")
        first = original.replace('name="Tiếp nhận hồ sơ"', 'name="Tiếp nhận (lần lưu thứ nhất)"')
        second = original.replace('name="Tiếp nhận hồ sơ"', 'name="Tiếp nhận (lần lưu thứ hai)"')
        assert first != original

        saved = post(client, action, page, {"bpmn_xml": first, "token": opened})
        refused = post(client, action, page, {"bpmn_xml": second, "token": opened})

        assert saved.status_code == 303
        assert refused.status_code == 409
        assert "Tệp này đã được lưu lúc" in refused.text
        assert "This file was saved at" in refused.text
        assert 'href="#f-bpmn_xml"' in refused.text  # in the summary, pointing at the editor
        assert "lần lưu thứ hai" in refused.text  # what the second one typed is still in the editor
        assert "lần lưu thứ nhất" in stored(workshop, draft_id, "process.bpmn")  # the first save stands

        # Having seen the notice, saving again (the page carries the newer token) is a deliberate overwrite.
        again = post(client, action, page, {"bpmn_xml": second, "token": token_of(refused.text, action)})
        assert again.status_code == 303
        assert "lần lưu thứ hai" in stored(workshop, draft_id, "process.bpmn")

    def test_the_metadata_and_eform_editors_are_guarded_the_same_way(
        self, browse: Browse, workshop: Container
    ) -> None:
        client = browse(ADMIN)
        draft_id, page = open_draft(client, workshop)
        meta_action = f"/quan-tri/thu-tuc/nhap/{draft_id}/thong-tin"
        form_action = f"/quan-tri/thu-tuc/nhap/{draft_id}/bieu-mau"
        meta_token, form_token = token_of(page.text, meta_action), token_of(page.text, form_action)
        data = metadata_of(page.text)
        schema = json.loads(stored(workshop, draft_id, "forms/permanent-residence.schema.json"))

        def save_metadata(name: str) -> httpx.Response:
            return post(client, meta_action, page, data | {"name": name, "token": meta_token})

        def save_eform(title: str) -> httpx.Response:
            text = json.dumps(schema | {"title": title}, ensure_ascii=False)
            return post(client, form_action, page, {"form_schema": text, "token": form_token})

        assert save_metadata("Đăng ký thường trú (sửa 1)").status_code == 303
        late_meta = save_metadata("Đăng ký thường trú (sửa 2)")
        assert save_eform("Tờ khai (sửa 1)").status_code == 303
        late_form = save_eform("Tờ khai (sửa 2)")

        assert late_meta.status_code == 409
        assert 'href="#f-code"' in late_meta.text
        assert "(sửa 1)" in stored(workshop, draft_id, "procedure.yaml")
        assert late_form.status_code == 409
        assert 'href="#f-form_schema"' in late_form.text
        assert "Tờ khai (sửa 1)" in stored(workshop, draft_id, "forms/permanent-residence.schema.json")


class TestLargeEditors:
    @pytest.mark.parametrize(
        ("action", "field"), [("bpmn", "bpmn_xml"), ("bieu-mau", "form_schema")], ids=["bpmn", "eform"]
    )
    def test_past_the_file_cap_is_413_on_the_editor_and_nothing_is_written(
        self, browse: Browse, workshop: Container, action: str, field: str
    ) -> None:
        client = browse(ADMIN)
        draft_id, page = open_draft(client, workshop)
        url = f"/quan-tri/thu-tuc/nhap/{draft_id}/{action}"
        # The editors post multipart: a urlencoded body over 1 MiB would be refused before the page sees it.
        assert re.search(rf'action="{url}" enctype="multipart/form-data"', page.text)
        with workshop.transaction() as uow:
            before = uc.draft_files(uow, draft_id)
        big = "<!-- " + "ệ" * (uc.MAX_FILE_BYTES // 3 + 10) + " -->"

        refused = post(client, url, page, {}, files={field: (None, big)})

        assert refused.status_code == 413
        assert f'id="f-{field}-error"' in refused.text
        assert f'href="#f-{field}"' in refused.text
        with workshop.transaction() as uow:
            assert uc.draft_files(uow, draft_id) == before

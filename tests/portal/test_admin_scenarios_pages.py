"""The draft page's scenario editor (section «Kịch bản kiểm thử») over HTTP, without JavaScript."""

from __future__ import annotations

import json
import re
from collections.abc import Iterator

import pytest
from fastapi.testclient import TestClient

from engine.usecases import workshop as uc
from portal.wiring import Container
from tests.builders import OFFICER
from tests.integration.test_versioned_eform import FORM_PATH, with_required_occupation
from tests.portal.conftest import Browse, csrf_of
from tests.portal.test_admin_procedures_pages import ADMIN, open_draft, post
from tests.versions import restoring_versions

FIRST = "01-online-accepted-early.json"


@pytest.fixture
def workshop(container: Container) -> Iterator[Container]:
    """The container; what the test published is removed afterwards."""
    yield from restoring_versions(container)


def row(page: str, file: str) -> str:
    found = re.search(
        rf'<tr class="govuk-table__row" data-scenario="{re.escape(file)}"[^>]*>(.*?)</tr>', page, re.S
    )
    assert found, page
    return found.group(0)


def textarea(page: str) -> str:
    found = re.search(r'<textarea[^>]*name="scenario_json"[^>]*>(.*?)</textarea>', page, re.S)
    assert found
    return (
        found.group(1)
        .replace("&#34;", '"')
        .replace("&quot;", '"')
        .replace("&#39;", "'")
        .replace("&amp;", "&")
    )


def editor(client: TestClient, draft_id: int) -> str:
    """The draft page with the first scenario open in the editor."""
    return client.get(f"/quan-tri/thu-tuc/nhap/{draft_id}?kich-ban={FIRST}").text


def scenarios_of(c: Container, draft_id: int) -> dict[str, str]:
    with c.transaction() as uow:
        return {p: t for p, t in uc.draft_files(uow, draft_id).items() if p.startswith("scenarios/")}


class TestList:
    def test_each_scenario_with_its_name_and_result_and_an_edit_link(
        self, browse: Browse, workshop: Container
    ) -> None:
        client = browse(ADMIN)
        draft_id, page = open_draft(client, workshop)
        assert '<section id="kich-ban"' in page.text
        first = row(page.text, FIRST)
        assert 'data-state="passed"' in first
        assert "Nộp trực tuyến, tiếp nhận" in first
        assert f'href="/quan-tri/thu-tuc/nhap/{draft_id}?kich-ban={FIRST}#kich-ban-sua"' in first
        assert 'name="scenario_json"' not in page.text  # the editor opens on demand
        english = client.get(f"/quan-tri/thu-tuc/nhap/{draft_id}?lang=en").text
        assert "Test scenarios" in english
        assert "Passed" in row(english, FIRST)

    def test_a_required_eform_field_shows_each_scenarios_problem_next_to_it(
        self, browse: Browse, workshop: Container
    ) -> None:
        client = browse(ADMIN)
        draft_id, page = open_draft(client, workshop)
        with workshop.transaction() as uow:
            schema = uc.draft_files(uow, draft_id)[FORM_PATH]
        saved = post(
            client,
            f"/quan-tri/thu-tuc/nhap/{draft_id}/bieu-mau",
            page,
            {"form_schema": with_required_occupation(schema), "action": "save"},
        )
        assert saved.status_code == 303
        page = client.get(f"/quan-tri/thu-tuc/nhap/{draft_id}")
        first = row(page.text, FIRST)
        assert 'data-state="failed"' in first
        assert "Nghề nghiệp" in first
        # The summary's line for the scenario links to its editor.
        edit = f"/quan-tri/thu-tuc/nhap/{draft_id}?kich-ban={FIRST}#kich-ban-sua"
        link = f'<a href="{edit}"><code>scenarios/{FIRST}</code></a>'
        assert link in page.text


class TestEdit:
    def test_open_fix_and_save_runs_the_check(self, browse: Browse, workshop: Container) -> None:
        client = browse(ADMIN)
        draft_id, page = open_draft(client, workshop)
        with workshop.transaction() as uow:
            schema = uc.draft_files(uow, draft_id)[FORM_PATH]
        post(
            client,
            f"/quan-tri/thu-tuc/nhap/{draft_id}/bieu-mau",
            page,
            {"form_schema": with_required_occupation(schema), "action": "save"},
        )
        editing = client.get(f"/quan-tri/thu-tuc/nhap/{draft_id}?kich-ban={FIRST}")
        assert 'id="kich-ban-sua"' in editing.text
        scenario = json.loads(textarea(editing.text))
        scenario["form"]["occupation"] = "Kỹ sư"
        data = {
            "original": FIRST,
            "scenario_name": FIRST,
            "scenario_json": json.dumps(scenario, ensure_ascii=False),
        }
        saved = post(client, f"/quan-tri/thu-tuc/nhap/{draft_id}/kich-ban", editing, data)
        assert saved.status_code == 303
        assert (
            saved.headers["location"]
            == f"/quan-tri/thu-tuc/nhap/{draft_id}?kich-ban={FIRST}&xong=kich-ban#kich-ban"
        )
        page = client.get(saved.headers["location"])
        assert "Đã lưu kịch bản và kiểm tra lại." in page.text
        assert 'data-state="passed"' in row(page.text, FIRST)
        assert 'data-state="failed"' in row(page.text, "03-refused-at-reception.json")

    @pytest.mark.parametrize(
        ("data", "field", "said"),
        [
            (
                {"scenario_name": FIRST, "scenario_json": "{oops"},
                "scenario_json",
                "JSON không hợp lệ ở dòng 1",
            ),
            ({"scenario_name": FIRST, "scenario_json": "[]"}, "scenario_json", "phải là một đối tượng JSON"),
            ({"scenario_name": "../procedure.yaml", "scenario_json": "{}"}, "scenario_name", "đuôi .json"),
            (
                {"scenario_name": "03-refused-at-reception", "scenario_json": "{}"},
                "scenario_name",
                "Đã có kịch bản",
            ),
        ],
        ids=["not-json", "not-an-object", "bad-name", "taken-name"],
    )
    def test_a_refusal_is_named_next_to_its_field_and_in_the_summary(
        self, browse: Browse, workshop: Container, data: dict[str, str], field: str, said: str
    ) -> None:
        client = browse(ADMIN)
        draft_id, page = open_draft(client, workshop)
        before = scenarios_of(workshop, draft_id)
        refused = post(
            client, f"/quan-tri/thu-tuc/nhap/{draft_id}/kich-ban", page, {"original": FIRST, **data}
        )
        assert refused.status_code == 422
        assert f'<li><a href="#f-{field}">' in refused.text  # the summary links to the field
        assert re.search(
            rf'<p id="f-{field}-error" class="govuk-error-message">.*?{re.escape(said)}', refused.text, re.S
        )
        assert textarea(refused.text) == data["scenario_json"]  # what was typed is kept
        assert scenarios_of(workshop, draft_id) == before

    def test_too_large_is_413_on_the_field(self, browse: Browse, workshop: Container) -> None:
        client = browse(ADMIN)
        draft_id, page = open_draft(client, workshop)
        big = json.dumps({"name": "ệ" * (uc.MAX_FILE_BYTES // 3 + 10)}, ensure_ascii=False)
        # The editor posts multipart: a urlencoded body over 1 MiB is refused by the body guard, not the page.
        assert re.search(r'action="[^"]*/kich-ban" enctype="multipart/form-data"', editor(client, draft_id))
        refused = post(
            client,
            f"/quan-tri/thu-tuc/nhap/{draft_id}/kich-ban",
            page,
            {"original": FIRST, "scenario_name": FIRST},
            files={"scenario_json": (None, big)},
        )
        assert refused.status_code == 413
        assert 'id="f-scenario_json-error"' in refused.text

    def test_needs_the_csrf_token_and_the_role(self, browse: Browse, workshop: Container) -> None:
        client = browse(ADMIN)
        draft_id, _page = open_draft(client, workshop)
        url = f"/quan-tri/thu-tuc/nhap/{draft_id}/kich-ban/xoa"
        assert client.post(url, data={"file": FIRST}, follow_redirects=False).status_code == 403
        officer = browse(OFFICER)
        token = csrf_of(officer.get("/mot-cua"))
        assert (
            officer.post(url, data={"csrf": token, "file": FIRST}, follow_redirects=False).status_code == 403
        )
        assert f"scenarios/{FIRST}" in scenarios_of(workshop, draft_id)

    def test_an_unknown_scenario_is_404(self, browse: Browse, workshop: Container) -> None:
        client = browse(ADMIN)
        draft_id, page = open_draft(client, workshop)
        gone = post(
            client,
            f"/quan-tri/thu-tuc/nhap/{draft_id}/kich-ban",
            page,
            {"original": "khong-co.json", "scenario_name": "x", "scenario_json": "{}"},
        )
        assert gone.status_code == 404


class TestAddAndDelete:
    def test_add_a_copy_then_delete_it(self, browse: Browse, workshop: Container) -> None:
        client = browse(ADMIN)
        draft_id, page = open_draft(client, workshop)
        assert 'name="scenario_new_name"' in page.text
        assert 'value="07-kich-ban-moi.json"' in page.text
        added = post(
            client,
            f"/quan-tri/thu-tuc/nhap/{draft_id}/kich-ban/them",
            page,
            {"scenario_source": FIRST, "scenario_new_name": "07-ban-sao"},
        )
        assert added.status_code == 303
        shown = client.get(added.headers["location"])
        assert 'id="kich-ban-sua"' in shown.text
        assert "(bản sao)" in textarea(shown.text)
        assert 'data-state="passed"' in row(shown.text, "07-ban-sao.json")
        dropped = post(
            client, f"/quan-tri/thu-tuc/nhap/{draft_id}/kich-ban/xoa", shown, {"file": "07-ban-sao.json"}
        )
        assert dropped.status_code == 303
        assert "scenarios/07-ban-sao.json" not in scenarios_of(workshop, draft_id)

    def test_a_taken_name_is_refused_on_its_field(self, browse: Browse, workshop: Container) -> None:
        client = browse(ADMIN)
        draft_id, page = open_draft(client, workshop)
        refused = post(
            client,
            f"/quan-tri/thu-tuc/nhap/{draft_id}/kich-ban/them",
            page,
            {"scenario_source": FIRST, "scenario_new_name": FIRST},
        )
        assert refused.status_code == 422
        assert '<li><a href="#f-scenario_new_name">' in refused.text
        assert 'id="f-scenario_new_name-error"' in refused.text

    def test_the_last_scenario_cannot_be_deleted(self, browse: Browse, workshop: Container) -> None:
        client = browse(ADMIN)
        draft_id, page = open_draft(client, workshop)
        files = sorted(p.removeprefix("scenarios/") for p in scenarios_of(workshop, draft_id))
        for file in files[:-1]:
            assert (
                post(
                    client, f"/quan-tri/thu-tuc/nhap/{draft_id}/kich-ban/xoa", page, {"file": file}
                ).status_code
                == 303
            )
        refused = post(client, f"/quan-tri/thu-tuc/nhap/{draft_id}/kich-ban/xoa", page, {"file": files[-1]})
        assert refused.status_code == 422
        assert '<li><a href="#f-scenarios">' in refused.text
        assert 'id="f-scenarios-error"' in refused.text
        assert "ít nhất một kịch bản kiểm thử" in refused.text
        assert list(scenarios_of(workshop, draft_id)) == [f"scenarios/{files[-1]}"]

    def test_a_closed_draft_is_409(self, browse: Browse, workshop: Container) -> None:
        client = browse(ADMIN)
        draft_id, page = open_draft(client, workshop)
        assert post(client, f"/quan-tri/thu-tuc/nhap/{draft_id}/huy", page, {}).status_code == 303
        refused = post(client, f"/quan-tri/thu-tuc/nhap/{draft_id}/kich-ban/xoa", page, {"file": FIRST})
        assert refused.status_code == 409

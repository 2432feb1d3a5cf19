"""The administrators' BPMN check page (/quan-tri/so-do) over HTTP: who may open it, upload and paste,
the problems listed on their elements, and the refusals (bad XML 422, too large 413)."""

from __future__ import annotations

import re

import pytest

from integrations.bpmnlint import MAX_BYTES, LintProblem
from portal.settings import ROOT
from portal.web import environment
from tests.builders import OFFICER
from tests.portal.conftest import Browse, csrf_of

ADMIN = "quantri"
PATH = "/quan-tri/so-do"
BIRTH = (ROOT / "processes" / "birth-registration" / "process.bpmn").read_text("utf-8")
NO_FORM = BIRTH.replace('<spiffworkflow:property name="form" value="reception" />', "", 1)


def problems_of(html: str) -> list[tuple[str, str]]:
    """(element id, severity) of each problem the page lists in the markup the modeler reads."""
    return re.findall(r'<li data-element-id="([^"]*)" data-severity="([^"]*)"', html)


def post(client, data: dict[str, str], files: dict[str, tuple[str, bytes, str]] | None = None):  # noqa: ANN001, ANN201
    page = client.get(PATH)
    return client.post(PATH, data={"csrf": csrf_of(page), **data}, files=files or {}, follow_redirects=False)


def test_only_administrators_open_the_page(browse: Browse) -> None:
    anonymous = browse().get(PATH, follow_redirects=False)
    assert anonymous.status_code == 303
    assert anonymous.headers["location"].startswith(f"/dang-nhap?next={PATH}")
    assert browse(OFFICER).get(PATH).status_code == 403
    page = browse(ADMIN).get(PATH)
    assert page.status_code == 200
    assert "Kiểm tra sơ đồ BPMN" in page.text
    assert 'name="bpmn_xml"' in page.text
    assert "data-bpmn-modeler" in page.text
    assert "/static/dist/bpmn/modeler.js" in page.text


def test_an_officer_cannot_post_and_a_post_needs_the_csrf_token(browse: Browse) -> None:
    officer = browse(OFFICER)
    token = csrf_of(officer.get("/"))
    assert officer.post(PATH, data={"csrf": token, "bpmn_xml": BIRTH}).status_code == 403
    assert browse(ADMIN).post(PATH, data={"bpmn_xml": BIRTH}, follow_redirects=False).status_code == 403


def test_pasted_xml_with_a_task_without_form_lists_the_problem_on_its_element(browse: Browse) -> None:
    page = post(browse(ADMIN), {"bpmn_xml": NO_FORM})
    assert page.status_code == 200
    assert ("Task_Reception", "error") in problems_of(page.text)
    assert "Bước xử lý chưa có biểu mẫu" in page.text
    assert "1 lỗi, 0 cảnh báo." in page.text
    assert "Task_SupplementReception" in page.text  # the XML stays in the textarea for the next try


def test_an_uploaded_file_is_checked_instead_of_the_textarea(browse: Browse) -> None:
    files = {"bpmn_file": ("process.bpmn", BIRTH.encode("utf-8"), "application/xml")}
    page = post(browse(ADMIN), {"bpmn_xml": NO_FORM}, files)
    assert page.status_code == 200
    assert problems_of(page.text) == []
    assert "Không có vấn đề nào." in page.text


def test_a_diagram_from_another_modeler_lists_what_motcua_misses(browse: Browse) -> None:
    data = (ROOT / "tests" / "fixtures" / "bpmn" / "spiff-arena-basic-user-task.bpmn").read_bytes()
    page = post(browse(ADMIN), {}, {"bpmn_file": ("basic.bpmn", data, "application/xml")})
    listed = problems_of(page.text)
    assert ("user_task_one", "error") in listed
    assert ("EndEvent_1", "error") in listed
    assert ("StartEvent_1", "warning") in listed


def test_english_messages_on_the_english_page(browse: Browse) -> None:
    client = browse(ADMIN)
    client.cookies.set("motcua_lang", "en")
    page = post(client, {"bpmn_xml": NO_FORM})
    assert "User task has no form" in page.text
    assert "Check a BPMN diagram" in page.text


@pytest.mark.parametrize(
    ("xml", "message"),
    [
        ("", "Hãy chọn tệp .bpmn hoặc dán XML"),
        ("<foo //>", "Không đọc được XML"),
        ('<?xml version="1.0"?><!DOCTYPE d [<!ENTITY x "y">]><d/>', "không được chứa khai báo DOCTYPE"),
        ("<definitions/>", "phần tử gốc phải là bpmn:definitions"),
    ],
    ids=["empty", "broken", "entity", "not-bpmn"],
)
def test_bad_xml_is_a_field_error_and_422(browse: Browse, xml: str, message: str) -> None:
    page = post(browse(ADMIN), {"bpmn_xml": xml})
    assert page.status_code == 422
    assert message in page.text
    assert 'href="#f-bpmn_xml"' in page.text  # the summary links to the textarea
    assert problems_of(page.text) == []


def test_too_large_is_413(browse: Browse) -> None:
    big = b"<x>" + b" " * MAX_BYTES + b"</x>"
    page = post(browse(ADMIN), {}, {"bpmn_file": ("big.bpmn", big, "application/xml")})
    assert page.status_code == 413
    assert "Tệp sơ đồ quá lớn" in page.text
    assert 'href="#f-bpmn_file"' in page.text
    huge = post(browse(ADMIN), {"bpmn_xml": "x" * (3 * MAX_BYTES)})
    assert huge.status_code == 413


def test_without_the_linter_the_page_says_so_with_503(
    browse: Browse, monkeypatch: pytest.MonkeyPatch
) -> None:
    import integrations.bpmnlint as bpmnlint

    monkeypatch.setattr(bpmnlint, "LINTER", ROOT / "var" / "no-such-linter.cjs")
    page = post(browse(ADMIN), {"bpmn_xml": BIRTH})
    assert page.status_code == 503
    assert "bộ kiểm tra BPMN chưa sẵn sàng" in page.text


def test_the_editor_macro_renders_the_markup_the_modeler_enhances() -> None:
    template = environment.from_string(
        '{% from "components/bpmn_editor.html" import bpmn_editor %}'
        "{{ bpmn_editor(xml, problems, budgets=budgets) }}"
    )
    problem = LintProblem("Task_X", "motcua/user-task-form", "error", "Thiếu <form>", "No <form>")
    html = template.render(xml="<a>&</a>", problems=[problem], budgets={"it's": 1.5})
    assert '<textarea class="govuk-textarea motcua-bpmn-editor__xml" id="f-bpmn_xml" name="bpmn_xml"' in html
    assert "&lt;a&gt;&amp;&lt;/a&gt;</textarea>" in html
    assert "data-bpmn-budgets='{\"it\\u0027s\": 1.5}'" in html
    assert '<li data-element-id="Task_X" data-severity="error" data-rule="motcua/user-task-form">' in html
    assert "Thiếu &lt;form&gt;" in html
    assert "/static/dist/bpmn/modeler.js" in html

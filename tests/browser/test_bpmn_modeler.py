"""The BPMN modeler in a real browser (/quan-tri/so-do): bpmn-js opens MotCua's diagrams with the MotCua
properties group, bpmnlint marks problems live, the server's problems are marked on their elements, and the
textarea carries the edited XML when the form is sent. Round trip: what the engine reads survives the
modeler."""

from __future__ import annotations

import shutil
from pathlib import Path

import pytest
from playwright.sync_api import Page

from engine.workflow.spiff import SpiffRuntime
from portal.settings import ROOT
from tests.browser.conftest import PHONE, SHOTS, Portal, SignIn, look

ADMIN = "quantri"
PATH = "/quan-tri/so-do"
BIRTH = ROOT / "processes" / "birth-registration" / "process.bpmn"
RESIDENCE = ROOT / "processes" / "permanent-residence" / "process.bpmn"
SPIFF_ARENA = ROOT / "tests" / "fixtures" / "bpmn" / "spiff-arena-basic-user-task.bpmn"
FORM = '<spiffworkflow:property name="form" value="reception" />'
OWN_SHOTS = Path("/tmp/shots-modeler")


def modeler_ready(page: Page) -> None:
    """Wait until the modeler has imported the textarea's diagram."""
    page.wait_for_function(
        "() => document.querySelector('textarea[data-bpmn-modeler]').bpmnReady !== undefined"
    )
    page.evaluate("() => document.querySelector('textarea[data-bpmn-modeler]').bpmnReady")
    page.wait_for_selector(".djs-element", state="attached")


def select(page: Page, element_id: str) -> None:
    """Select an element through bpmn-js (clicking SVG is flaky)."""
    page.evaluate(
        """(id) => { const m = document.querySelector('textarea[data-bpmn-modeler]').bpmnModeler;
                     m.get('selection').select(m.get('elementRegistry').get(id)); }""",
        element_id,
    )
    page.wait_for_selector("[data-group-id='group-motcua']")


def open_xml(page: Page, xml: str) -> None:
    """Put XML in the textarea as a person pasting it would (the modeler re-imports on change)."""
    page.evaluate(
        """(xml) => { const t = document.querySelector('textarea[data-bpmn-modeler]');
                      t.value = xml; t.dispatchEvent(new Event('change')); }""",
        xml,
    )
    page.wait_for_function(
        "() => document.querySelector('.motcua-modeler__status').textContent.includes('Đã mở')"
    )


def export_xml(page: Page) -> str:
    xml: str = page.evaluate(
        """async () => (await document.querySelector('textarea[data-bpmn-modeler]').bpmnModeler
                          .saveXML({format: true})).xml"""
    )
    return xml


def shots(page: Page, name: str) -> None:
    OWN_SHOTS.mkdir(parents=True, exist_ok=True)
    for width in ("1280", "360"):
        source = SHOTS / f"{name}-{width}.png"
        if source.exists():
            shutil.copy(source, OWN_SHOTS / source.name)


def test_the_modeler_edits_a_diagram_and_the_form_sends_the_edit(
    sign_in: SignIn, portal: Portal, tmp_path: Path
) -> None:
    broken = tmp_path / "process.bpmn"
    broken.write_text(BIRTH.read_text("utf-8").replace(FORM, "", 1), "utf-8")
    page = sign_in(ADMIN)
    page.goto(portal.at(PATH))
    page.set_input_files("#f-bpmn_file", str(broken))
    page.click("button:has-text('Kiểm tra sơ đồ')")
    assert "Bước xử lý chưa có biểu mẫu" in page.inner_text("#result")
    modeler_ready(page)

    # The server's problem and bpmnlint's live marker are both on the task without form.
    assert page.locator(".motcua-server-problem[data-element-id='Task_Reception']").count() == 1
    page.wait_for_selector(".djs-overlays[data-container-id='Task_Reception'] .bjsl-overlay")
    assert page.locator(".djs-overlays[data-container-id='Task_Appraisal'] .bjsl-overlay").count() == 0

    # The server's list links each problem to its element on the diagram.
    page.click("#result button:has-text('Xem trên sơ đồ')")
    selected = page.evaluate(
        """() => document.querySelector('textarea[data-bpmn-modeler]').bpmnModeler
                   .get('selection').get().map((e) => e.id)"""
    )
    assert selected == ["Task_Reception"]

    # The MotCua group shows what the engine reads from a user task.
    select(page, "Task_Appraisal")
    assert page.input_value("#bio-properties-panel-motcua-form") == "appraisal"
    assert page.input_value("#bio-properties-panel-motcua-step") == "appraisal"
    assert page.input_value("#bio-properties-panel-motcua-status") == "4"
    assert (
        page.input_value("#bio-properties-panel-motcua-decisions")
        == "propose_approve,supplement,propose_refuse"
    )
    look(page, "bpmn-modeler")
    shots(page, "bpmn-modeler")

    # Fill the missing form in the panel: the live marker goes, and the textarea sends the edit.
    select(page, "Task_Reception")
    assert "Thiếu biểu mẫu" in page.inner_text("[data-entry-id='motcua-form']")
    page.fill("#bio-properties-panel-motcua-form", "reception")
    page.wait_for_selector(
        ".djs-overlays[data-container-id='Task_Reception'] .bjsl-overlay", state="detached"
    )
    # One more edit, and the form sent at once: the modeler writes the XML before the form leaves.
    with page.expect_navigation():
        page.evaluate(
            """() => { const m = document.querySelector('textarea[data-bpmn-modeler]').bpmnModeler;
                       const task = m.get('elementRegistry').get('Task_Return');
                       m.get('modeling').updateLabel(task, 'Trả kết quả cho công dân');
                       document.querySelector('form[enctype] button[type=submit]').click(); }"""
        )
    assert "Không có vấn đề nào." in page.inner_text("#result")
    sent = page.input_value("#f-bpmn_xml")
    assert 'name="form" value="reception"' in sent
    assert 'name="Trả kết quả cho công dân"' in sent


@pytest.mark.parametrize(
    ("path", "process_id"), [(BIRTH, "birth_registration"), (RESIDENCE, "permanent_residence")]
)
def test_what_the_engine_reads_survives_the_modeler(
    sign_in: SignIn, portal: Portal, path: Path, process_id: str
) -> None:
    page = sign_in(ADMIN)
    page.goto(portal.at(PATH))
    modeler_ready(page)
    original = path.read_text("utf-8")
    open_xml(page, original)
    exported = export_xml(page)
    runtime = SpiffRuntime()
    before = runtime.register(original, process_id)
    after = runtime.register(exported, process_id)
    assert after.lanes == before.lanes
    assert after.user_tasks == before.user_tasks
    assert after.end_events == before.end_events
    assert after.task_lanes == before.task_lanes
    assert exported.count("<bpmn:timerEventDefinition") == original.count("<bpmn:timerEventDefinition")


def test_a_page_that_knows_the_budgets_shows_them_by_the_step(sign_in: SignIn, portal: Portal) -> None:
    page = sign_in(ADMIN)
    page.goto(portal.at(PATH))
    modeler_ready(page)
    assert page.inner_text(".motcua-modeler__status") == "Sơ đồ mới."  # an empty textarea: a new diagram
    assert page.input_value("#f-bpmn_xml") == ""  # untouched until the diagram is edited
    page.evaluate(
        """() => document.querySelector('textarea[data-bpmn-modeler]')
                   .setAttribute('data-bpmn-budgets', '{"appraisal": 1.5}')"""
    )
    open_xml(page, BIRTH.read_text("utf-8"))
    select(page, "Task_Appraisal")
    assert "Thời hạn của bước: 1.5 giờ làm việc." in page.inner_text("[data-entry-id='motcua-step']")


def test_a_diagram_made_elsewhere_opens_and_the_panel_says_what_is_missing(
    sign_in: SignIn, portal: Portal
) -> None:
    page = sign_in(ADMIN)
    page.goto(portal.at(PATH))
    modeler_ready(page)
    open_xml(page, SPIFF_ARENA.read_text("utf-8"))
    page.wait_for_selector(".djs-overlays[data-container-id='user_task_one'] .bjsl-overlay")
    select(page, "user_task_one")
    group = page.inner_text("[data-group-id='group-motcua']")
    assert "Thiếu biểu mẫu" in group
    assert "Thiếu trạng thái" in group
    assert "Thiếu mã bước" in group
    look(page, "bpmn-modeler-missing")
    shots(page, "bpmn-modeler-missing")
    select(page, "EndEvent_1")
    assert "Thiếu trạng thái" in page.inner_text("[data-group-id='group-motcua']")
    # spiff-arena's own properties are kept
    assert 'name="formJsonSchemaFilename"' in export_xml(page)


def test_on_a_phone_the_textarea_is_the_editor(sign_in: SignIn, portal: Portal) -> None:
    page = sign_in(ADMIN)
    page.set_viewport_size(PHONE)
    page.goto(portal.at(PATH))
    modeler_ready(page)
    assert page.is_visible(".motcua-modeler__narrow")
    assert page.is_visible("#f-bpmn_xml")
    assert not page.is_visible(".motcua-modeler__canvas")
    page.fill("#f-bpmn_xml", SPIFF_ARENA.read_text("utf-8"))
    page.click("button:has-text('Kiểm tra sơ đồ')")
    assert "user_task_one" in page.inner_text("#result")


def test_xml_the_modeler_cannot_open_stays_editable(sign_in: SignIn, portal: Portal) -> None:
    page = sign_in(ADMIN)
    page.goto(portal.at(PATH))
    modeler_ready(page)
    page.click("button:has-text('Sửa XML trực tiếp')")
    page.fill("#f-bpmn_xml", "<foo //>")
    page.click("button:has-text('Kiểm tra sơ đồ')")
    assert "Không đọc được XML" in page.inner_text(".govuk-error-summary")
    page.wait_for_function(
        "() => document.querySelector('.motcua-modeler__status').textContent.includes('Không mở')"
    )
    assert page.is_visible("#f-bpmn_xml")
    assert not page.is_visible(".motcua-modeler__canvas")
    assert page.input_value("#f-bpmn_xml") == "<foo //>"


def test_the_modeler_speaks_english_on_the_english_page(sign_in: SignIn, portal: Portal) -> None:
    page = sign_in(ADMIN)
    page.goto(portal.at(PATH + "?lang=en"))
    modeler_ready(page)
    page.evaluate(
        """(xml) => { const t = document.querySelector('textarea[data-bpmn-modeler]');
                      t.value = xml; t.dispatchEvent(new Event('change')); }""",
        SPIFF_ARENA.read_text("utf-8"),
    )
    page.wait_for_selector(".djs-overlays[data-container-id='user_task_one'] .bjsl-overlay")
    select(page, "user_task_one")
    group = page.inner_text("[data-group-id='group-motcua']")
    assert "Task form (form)" in group
    assert "The form is missing" in group
    assert "Errors" in page.inner_text(".bjsl-button")
    look(page, "bpmn-modeler-en")
    shots(page, "bpmn-modeler-en")

"""The procedure workshop in a real browser: a draft of permanent residence, a field added to its e-form, a
budget over the legal term shown on its field, fixed, published; a citizen files on the new version and its
e-form (the new field asked), an earlier dossier keeps its own until the administrator moves it to version 2
after the dry run."""

from __future__ import annotations

import json
import re
from pathlib import Path

from playwright.sync_api import Page, expect
from sqlmodel import select

from engine.store.models import DossierRow, ProcedureVersionRow
from tests.browser.conftest import Portal, SignIn, look
from tests.browser.flows import dry_run_move, file_residence_online
from tests.browser.test_work import received_dossier
from tests.upload_builders import jpeg

ADMIN = "quantri"
RESIDENCE = "1.004222"
OCCUPATION = {
    "title": "Nghề nghiệp",
    "type": "string",
    "maxLength": 200,
    "x-ui": {
        "widget": "text",
        "placeholder": "Ví dụ: Kỹ sư xây dựng",
        "order": 3,
        "group": "Nội dung đề nghị",
    },
}


def budget_hours(page: Page, step: str) -> str:
    """The hours input of a step budget row (rows are numbered in the order of procedure.yaml)."""
    name = page.locator(f"#budgets input[value='{step}']").get_attribute("name")
    assert name
    return f"input[name='{name.replace('-step', '-hours')}']"


def test_the_administrator_edits_the_eform_and_a_budget_publishes_files_then_moves_a_running_dossier(
    sign_in: SignIn, portal: Portal, tmp_path: Path
) -> None:
    before = received_dossier(portal)
    page = sign_in(ADMIN)
    page.goto(portal.at("/quan-tri"))
    page.click("h2 >> text=Thủ tục hành chính")
    assert RESIDENCE in page.inner_text("#procedures")
    look(page, "admin-procedures")

    page.click(f"#procedures >> text={RESIDENCE}")
    page.click("tr[data-version='1'] >> button:has-text('Tạo bản nháp')")
    page.wait_for_url(re.compile(r"/quan-tri/thu-tuc/nhap/\d+"))  # the draft page, not the one before it
    assert "Đạt mọi kiểm tra" in page.inner_text("#kiem-tra")
    expect(page.locator("textarea[name='bpmn_xml'][data-bpmn-modeler]")).to_have_count(1)

    # The e-form preview follows the schema as it is typed (htmx), drawn by the filing's own renderer.
    title = "Họ và tên người khai (xem thử)"
    schema = {"type": "object", "properties": {"ho_ten": {"type": "string", "title": title}}}
    page.fill("#f-form_schema", json.dumps(schema, ensure_ascii=False))
    page.locator("#eform-preview label", has_text=title).wait_for()

    # A field added to the e-form: the version published from this draft keeps this e-form as its own.
    page.reload()
    schema = json.loads(page.input_value("#f-form_schema"))
    schema["properties"]["occupation"] = OCCUPATION
    page.fill("#f-form_schema", json.dumps(schema, ensure_ascii=False, indent=2))
    page.click("button:has-text('Lưu biểu mẫu và kiểm tra')")
    assert "Đạt mọi kiểm tra" in page.inner_text("#kiem-tra")
    page.locator("#eform-preview label", has_text="Nghề nghiệp").wait_for()

    page.fill(budget_hours(page, "appraisal"), "60")
    page.click("button:has-text('Lưu thông tin và kiểm tra')")
    problems = page.inner_text("[data-bpmn-problems]")
    assert "vượt thời hạn luật định" in problems
    assert page.locator("[data-problem-field='budgets']").is_visible()
    look(page, "admin-procedure-draft-problem")

    page.click("#publish")
    assert "Chưa công bố được" in page.inner_text(".govuk-error-summary")

    page.fill(budget_hours(page, "appraisal"), "34")
    page.click("button:has-text('Lưu thông tin và kiểm tra')")
    assert "Đạt mọi kiểm tra" in page.inner_text("#kiem-tra")
    page.click("#publish")
    assert "Đã công bố phiên bản mới" in page.inner_text("#done")
    assert page.locator("tr[data-version='2'][data-state='published']").count() == 1
    assert "thời gian các bước" in page.inner_text("tr[data-version='2']")
    look(page, "admin-procedure-published")

    photo = tmp_path / "so-do.jpg"
    photo.write_bytes(jpeg())
    citizen = sign_in("nguyenvanan")
    after = file_residence_online(citizen, portal.url, photo, {3: {"#f-form-occupation": "Kỹ sư xây dựng"}})

    with portal.container.transaction() as uow:
        versions = {row.id: row.version for row in uow.session.exec(select(ProcedureVersionRow)).all()}
        rows = {d.code: d for d in uow.session.exec(select(DossierRow)).all()}
    assert versions[rows[before].procedure_version_id] == 1
    assert versions[rows[after].procedure_version_id] == 2
    assert rows[after].form["occupation"] == "Kỹ sư xây dựng"
    assert "occupation" not in rows[before].form

    # The running dossier of version 1 is moved to version 2 from the migration page, after its dry run.
    row = dry_run_move(page, portal, before)
    page.fill("#f-note", "Áp dụng biểu mẫu và thời hạn các bước mới")
    row.locator("button[name='mot']").click()
    assert before in page.inner_text("#moved")
    look(page, "admin-procedure-moved")
    with portal.container.transaction() as uow:
        moved = uow.session.exec(select(DossierRow).where(DossierRow.code == before)).one()
    assert versions[moved.procedure_version_id] == 2

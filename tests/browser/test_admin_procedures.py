"""The procedure workshop in a real browser: a draft of permanent residence, a budget over the legal term
shown on its field, fixed, published; a citizen files on the new version, an earlier dossier keeps its own."""

from __future__ import annotations

import json
from pathlib import Path

from playwright.sync_api import Page
from sqlmodel import select

from engine.store.models import DossierRow, ProcedureVersionRow
from tests.browser.conftest import Portal, SignIn, look
from tests.browser.flows import file_residence_online
from tests.browser.test_work import received_dossier
from tests.upload_builders import jpeg

ADMIN = "quantri"
RESIDENCE = "1.004222"


def budget_hours(page: Page, step: str) -> str:
    """The hours input of a step budget row (rows are numbered in the order of procedure.yaml)."""
    name = page.locator(f"#budgets input[value='{step}']").get_attribute("name")
    assert name
    return f"input[name='{name.replace('-step', '-hours')}']"


def test_the_administrator_fixes_a_budget_then_publishes_and_a_citizen_files_on_the_new_version(
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
    assert "Đạt mọi kiểm tra" in page.inner_text("#kiem-tra")
    assert page.locator("textarea[name='bpmn_xml'][data-bpmn-modeler]").count() == 1

    # The e-form preview follows the schema as it is typed (htmx), drawn by the filing's own renderer.
    title = "Họ và tên người khai (xem thử)"
    schema = {"type": "object", "properties": {"ho_ten": {"type": "string", "title": title}}}
    page.fill("#f-form_schema", json.dumps(schema, ensure_ascii=False))
    page.locator("#eform-preview label", has_text=title).wait_for()

    page.reload()
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
    after = file_residence_online(sign_in("nguyenvanan"), portal.url, photo)

    with portal.container.transaction() as uow:
        versions = {row.id: row.version for row in uow.session.exec(select(ProcedureVersionRow)).all()}
        filed = {d.code: versions[d.procedure_version_id] for d in uow.session.exec(select(DossierRow)).all()}
    assert filed[before] == 1
    assert filed[after] == 2

"""Administrators in a real browser: a due-date simulation across Tết 2026, the scenarios, and a dossier moved
to a new version after its dry run — with axe and screenshots at 1280 and 360 px."""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path

import pytest

from tests.browser.conftest import Portal, SignIn, look
from tests.browser.flows import dry_run_move
from tests.browser.test_work import received_dossier
from tests.builders import SPECIALIST
from tests.integration.test_versioned_eform import publish_occupation
from tests.integration.test_workshop import residence_version
from tests.versions import LONGER_AND_RENAMED, publish_edited, restoring_versions

ADMIN = "quantri"
RESIDENCE = "1.004222"


def test_the_simulation_across_tet_2026(sign_in: SignIn, portal: Portal) -> None:
    page = sign_in(ADMIN)
    page.goto(portal.at(f"/quan-tri/thu-tuc/{RESIDENCE}/mo-phong"))
    look(page, "admin-simulation-form")

    page.fill("#f-day", "30/02/2026")
    page.fill("#f-clock_time", "25:00")
    page.click("#simulate")
    summary = page.inner_text(".govuk-error-summary")
    assert "Nhập ngày tiếp nhận có thật" in summary
    assert "HH:MM" in summary
    look(page, "admin-simulation-errors")

    page.fill("#f-day", "13/02/2026")
    page.fill("#f-clock_time", "10:00")
    page.click("#simulate")
    assert "10:00 03/03/2026" in page.inner_text("#happy-due")
    assert "17:00 09/03/2026" in page.inner_text("#supplement-due")
    steps = page.inner_text("#happy-steps")
    assert "Mùng hai Tết Nguyên Đán" in steps
    look(page, "admin-simulation")

    page.click("#run-scenarios")
    results = page.locator("#scenario-results > li")
    assert results.count() == 6
    assert page.locator("#scenario-results > li[data-passed='no']").count() == 0
    look(page, "admin-simulation-scenarios")


@pytest.fixture
def versions_restored(portal: Portal) -> Iterator[None]:
    """This module's catalogue as it was before the test (the next test publishes its own version 2)."""
    for _ in restoring_versions(portal.container):
        yield


def test_the_dry_run_says_what_a_dossiers_answers_lack_in_the_new_e_form(
    sign_in: SignIn, portal: Portal, versions_restored: None
) -> None:
    code = received_dossier(portal)
    filed_on = residence_version(portal.container).version
    publish_occupation(portal.container)  # the next version's e-form requires «Nghề nghiệp»
    page = sign_in(ADMIN)
    page.goto(portal.at(f"/quan-tri/thu-tuc/{RESIDENCE}/chuyen-phien-ban"))
    page.select_option("#f-from_version", str(filed_on))
    page.select_option("#f-to_version", str(filed_on + 1))
    page.click("#preview")

    row = page.locator(f"#candidates tr[data-code='{code}']")
    assert "Câu trả lời chưa khớp biểu mẫu mới" in row.inner_text()
    assert "Vui lòng nhập «Nghề nghiệp»." in row.inner_text()
    assert row.locator("button[name='mot']").count() == 1  # a warning, not a refusal
    look(page, "admin-migrate-gaps")

    page.fill("#f-note", "Áp dụng biểu mẫu mới theo Quyết định 123/QĐ-UBND")
    row.locator("button[name='mot']").click()
    assert code in page.inner_text("#moved")
    # The specialist sees, next to the answers, what the new e-form asks that the citizen never answered.
    specialist = sign_in(SPECIALIST)
    specialist.goto(portal.at("/cong-viec"))
    specialist.click(f"text={code}")
    assert "phiên bản mới của quy trình" in specialist.inner_text("#answers-gaps")
    assert "Vui lòng nhập «Nghề nghiệp»." in specialist.inner_text("#answers")
    look(specialist, "work-task-moved-gaps")


def test_a_dossier_is_previewed_then_moved_to_version_2(
    sign_in: SignIn, portal: Portal, tmp_path: Path
) -> None:
    code = received_dossier(portal)
    published = publish_edited(portal.container, tmp_path, LONGER_AND_RENAMED)
    assert published.version == 2
    page = sign_in(ADMIN)
    row = dry_run_move(page, portal, code)
    look(page, "admin-migrate-preview")

    row.locator("button[name='mot']").click()
    assert "Ghi lý do chuyển phiên bản" in page.inner_text(".govuk-error-summary")

    page.fill("#f-note", "Áp dụng quy trình mới theo Quyết định 123/QĐ-UBND")
    page.locator(f"#candidates tr[data-code='{code}'] button[name='mot']").click()
    assert code in page.inner_text("#moved")
    assert code in page.inner_text("#history")
    look(page, "admin-migrate-applied")

    citizen = sign_in("nguyenvanan")
    citizen.goto(portal.at(f"/ho-so/{code}"))
    assert "Chuyển sang phiên bản 2 của quy trình" in citizen.inner_text("#timeline + ol")

"""A supervisor in a real browser: the dashboard (with and without script), a drill-down, an XLSX export."""

from __future__ import annotations

import io

from openpyxl import load_workbook

from tests.browser.conftest import SHOTS, Portal, SignIn, look, screenshot
from tests.browser.test_work import received_dossier

SUPERVISOR = "giamsat.badinh"


def test_the_supervisor_reads_the_numbers_drills_down_and_exports(sign_in: SignIn, portal: Portal) -> None:
    codes = {received_dossier(portal) for _ in range(2)}
    page = sign_in(SUPERVISOR)
    page.goto(portal.at("/giam-sat"))
    assert page.inner_text("h1") == "Giám sát giải quyết hồ sơ"
    page.locator(".motcua-chart canvas").first.wait_for()  # Chart.js drew the tables' numbers
    assert page.locator(".motcua-chart").count() == 2
    look(page, "supervise-dashboard")
    page.click("#definitions summary")
    assert "Tỷ lệ đúng hạn = " in page.inner_text("#definitions")

    received = page.locator("#headline-list a").nth(1)  # «Tiếp nhận mới (tổng)»
    assert int(received.inner_text()) >= 2
    received.click()
    assert page.inner_text("h1") == "Tiếp nhận mới"
    listed = page.inner_text("#dossier-list")
    assert all(code in listed for code in codes)
    look(page, "supervise-drill-down")

    page.go_back()
    with page.expect_download() as download:
        page.click("a[href^='/giam-sat/xuat/co-quan.xlsx']")
    sheet = load_workbook(io.BytesIO(download.value.path().read_bytes())).active
    header = [c.value for c in sheet[1]]
    assert header[:3] == ["Mã", "Cơ quan", "Kỳ trước chuyển sang"]
    rows = {row[0]: row for row in sheet.iter_rows(min_row=2, values_only=True)}
    assert rows["H29.12.3"][header.index("Tiếp nhận mới")] >= 2


def test_without_javascript_the_tables_are_the_charts(sign_in: SignIn, portal: Portal) -> None:
    received_dossier(portal)
    page = sign_in(SUPERVISOR, javascript=False)
    page.goto(portal.at("/giam-sat"))
    assert page.locator(".motcua-chart").count() == 0
    assert page.locator("table#table-months tbody tr").count() == 12
    assert page.locator("#headline-list a").count() >= 10  # every number still links to its dossiers
    screenshot(page, SHOTS / "supervise-dashboard-nojs-1280.png")

"""The scenario editor in a real browser: a required field added to the e-form makes every scenario fail
(they file the old form); the administrator fixes each scenario's JSON on the draft page and the check
passes again."""

from __future__ import annotations

import json
import re

from playwright.sync_api import Page

from tests.browser.conftest import SHOTS, Portal, SignIn, look

ADMIN = "quantri"
RESIDENCE = "1.004222"
OCCUPATION = {"title": "Nghề nghiệp", "type": "string", "minLength": 1, "maxLength": 200}


def section_shots(page: Page, name: str) -> None:
    """The scenario section alone, at 1280 and 360 px (the full page is long)."""
    size = page.viewport_size
    for width in (1280, 360):
        page.set_viewport_size({"width": width, "height": 900})
        page.locator("#kich-ban").screenshot(path=str(SHOTS / f"{name}-section-{width}.png"))
    if size:
        page.set_viewport_size(size)


def test_a_required_field_breaks_the_scenarios_and_the_administrator_fixes_them_in_the_browser(
    sign_in: SignIn, portal: Portal
) -> None:
    page = sign_in(ADMIN)
    page.goto(portal.at(f"/quan-tri/thu-tuc/{RESIDENCE}"))
    page.click("tr[data-version='1'] >> button:has-text('Tạo bản nháp')")
    page.wait_for_url(re.compile(r"/quan-tri/thu-tuc/nhap/\d+"))
    rows = page.locator("#scenarios tbody tr")
    files = [rows.nth(i).get_attribute("data-scenario") for i in range(rows.count())]
    assert len(files) == 6
    assert page.locator("#scenarios tr[data-state='passed']").count() == 6

    schema = json.loads(page.input_value("#f-form_schema"))
    schema["properties"]["occupation"] = OCCUPATION
    schema["required"] = [*schema.get("required", []), "occupation"]
    page.fill("#f-form_schema", json.dumps(schema, ensure_ascii=False, indent=2))
    page.click("button:has-text('Lưu biểu mẫu và kiểm tra')")
    page.wait_for_url(re.compile(r"xong=luu"))
    assert page.locator("#scenarios tr[data-state='failed']").count() == 6
    assert "Nghề nghiệp" in page.inner_text(f"#scenarios tr[data-scenario='{files[0]}']")
    assert "Đạt mọi kiểm tra" not in page.inner_text("#kiem-tra")

    for number, file in enumerate(files):
        page.click(f"#scenarios tr[data-scenario='{file}'] >> a:has-text('Sửa')")
        page.locator("#kich-ban-sua").wait_for()
        if number == 0:
            page.fill("#f-scenario_json", "{ chưa xong")
            page.click("button:has-text('Lưu kịch bản và kiểm tra')")
            assert "JSON không hợp lệ ở dòng 1" in page.inner_text("#f-scenario_json-error")
            assert "JSON không hợp lệ" in page.inner_text(".govuk-error-summary")
            look(page, "admin-procedure-scenario-error")
            section_shots(page, "admin-procedure-scenario-error")
            page.click(f"#scenarios tr[data-scenario='{file}'] >> a:has-text('Sửa')")
        scenario = json.loads(page.input_value("#f-scenario_json"))
        scenario["form"]["occupation"] = "Kỹ sư xây dựng"
        page.fill("#f-scenario_json", json.dumps(scenario, ensure_ascii=False, indent=2))
        page.click("button:has-text('Lưu kịch bản và kiểm tra')")
        page.wait_for_url(re.compile(r"xong=kich-ban"))
        assert page.get_attribute(f"#scenarios tr[data-scenario='{file}']", "data-state") == "passed"
        if number == 0:
            look(page, "admin-procedure-scenarios")
            section_shots(page, "admin-procedure-scenarios")

    assert "Đạt mọi kiểm tra" in page.inner_text("#kiem-tra")
    assert page.locator("#scenarios tr[data-state='passed']").count() == 6


def test_without_javascript_a_blank_procedure_runs_its_four_scenarios_once_named_and_one_is_copied(
    sign_in: SignIn, portal: Portal
) -> None:
    page = sign_in(ADMIN, javascript=False)
    page.goto(portal.at("/quan-tri/thu-tuc"))
    page.click("button:has-text('Tạo bản nháp từ mẫu trống')")
    page.wait_for_url(re.compile(r"/quan-tri/thu-tuc/nhap/\d+"))
    assert page.locator("#scenarios tr[data-state='not_run']").count() == 4
    assert "sửa các lỗi ở trên trước" in page.inner_text("#scenarios")

    page.fill("#f-code", "2.000997")
    page.fill("#f-name", "Xác nhận thông tin (thử nghiệm)")
    page.fill("#f-name_en", "Information confirmation (trial)")
    page.click("button:has-text('Lưu thông tin và kiểm tra')")
    page.wait_for_url(re.compile(r"xong=luu"))
    assert "Đạt mọi kiểm tra" in page.inner_text("#kiem-tra")
    assert page.locator("#scenarios tr[data-state='passed']").count() == 4

    page.select_option("#f-scenario_source", "03-tu-choi-tiep-nhan.json")
    page.fill("#f-scenario_new_name", "05-tu-choi-lan-hai")
    page.click("button:has-text('Thêm kịch bản')")
    page.wait_for_url(re.compile(r"xong=kich-ban-them"))
    copied = "#scenarios tr[data-scenario='05-tu-choi-lan-hai.json']"
    assert page.get_attribute(copied, "data-state") == "passed"
    assert "(bản sao)" in page.input_value("#f-scenario_json")

"""Administrators in a real browser: agencies and the calendar, a change previewed then applied — with axe."""

from __future__ import annotations

from tests.browser.conftest import Portal, SignIn, look
from tests.browser.test_work import received_dossier

ADMIN = "quantri"


def test_the_administrator_edits_an_agency_with_field_errors(sign_in: SignIn, portal: Portal) -> None:
    page = sign_in(ADMIN)
    page.goto(portal.at("/quan-tri/co-quan"))
    assert "UBND phường Ba Đình" in page.inner_text("#agencies")
    look(page, "admin-agencies")

    page.click("text=H29.12.3")
    assert "H29.12.3" in page.inner_text("h1")
    page.fill("#f-office_hours", "13:00-11:30")
    page.fill("#f-cutoff", "25:00")
    page.click("button:has-text('Lưu')")
    summary = page.inner_text(".govuk-error-summary")
    assert "Giờ làm việc gồm các buổi" in summary
    assert "Giờ chốt có dạng HH:MM" in summary
    look(page, "admin-agency-errors")

    page.fill("#f-office_hours", "07:30-11:30,13:00-17:00")
    page.fill("#f-cutoff", "")
    page.fill("#f-phone", "024 3823 1111")
    page.click("button:has-text('Lưu')")
    assert "Đã lưu thông tin cơ quan" in page.inner_text("#done")


def test_a_holiday_is_previewed_then_applied_to_the_dossiers_in_flight(
    sign_in: SignIn, portal: Portal
) -> None:
    code = received_dossier(portal)
    page = sign_in(ADMIN)
    page.goto(portal.at("/quan-tri/lich?nam=2026"))
    look(page, "admin-calendar")

    page.click("text=Thêm ngày ngoại lệ")
    page.fill("#f-day", "07/03/2026")  # a Saturday: already a day off
    page.check("input[name='kind'][value='COMPENSATORY_OFF']")
    page.fill("#f-name", "Nghỉ bù")
    page.fill("#f-source", "Công văn 1234/LĐTBXH-CV")
    page.check("input[name='scope'][value='national']")
    page.click("button:has-text('Xem trước')")
    assert "đã là ngày nghỉ" in page.inner_text(".govuk-error-summary")
    look(page, "admin-exception-errors")

    page.fill("#f-day", "10/03/2026")
    page.click("button:has-text('Xem trước')")
    assert code in page.inner_text("#moves")
    look(page, "admin-change-preview")

    page.click("#apply")
    assert "Đã áp dụng" in page.inner_text("main")
    assert code in page.inner_text("#moves")
    look(page, "admin-change-applied")

    citizen = sign_in("nguyenvanan")
    citizen.goto(portal.at(f"/ho-so/{code}"))
    citizen.click("text=Cách tính thời hạn")
    assert "Hạn giải quyết dời từ" in citizen.inner_text("#explanation")
    assert "Công văn 1234/LĐTBXH-CV" in citizen.inner_text("#explanation")

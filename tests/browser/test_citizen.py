"""The citizen's pages in Chromium: the catalogue (with and without JavaScript), my dossiers, one dossier,
the withdrawal; axe and screenshots on each."""

from __future__ import annotations

import httpx

from portal.auth import DevIdentity
from tests.browser.conftest import Portal, SignIn, look
from tests.builders import AN, OFFICER, residence_filing


def api(portal: Portal, user: str, path: str, body: dict[str, object]) -> dict[str, object]:
    """A call to the live portal's API as a demo user."""
    token = DevIdentity(portal.container.settings).issue_demo(user)
    response = httpx.post(
        portal.at(f"/api/v1{path}"), json=body, headers={"Authorization": f"Bearer {token}"}, timeout=30
    )
    assert response.is_success, response.text
    result: dict[str, object] = response.json()
    return result


def test_the_catalogue_searches_as_you_type_and_without_javascript(sign_in: SignIn, portal: Portal) -> None:
    page = sign_in()
    page.goto(portal.at("/thu-tuc"))
    look(page, "catalogue")

    page.fill("#f-q", "dang ky khai sinh")
    page.wait_for_function("() => document.querySelectorAll('#procedures li').length === 1")
    assert "Đăng ký khai sinh" in page.inner_text("#procedures")
    assert "q=dang%20ky%20khai%20sinh" in page.url  # htmx kept the address in step
    look(page, "catalogue-search")

    plain = sign_in(javascript=False)
    plain.goto(portal.at("/thu-tuc"))
    plain.select_option("#f-linh-vuc", "Hộ tịch")
    plain.click("#search-button")
    assert plain.locator("#procedures li").count() == 1
    plain.fill("#f-q", "không có thủ tục này")
    plain.click("#search-button")
    assert "Không tìm thấy thủ tục phù hợp" in plain.inner_text("#catalogue-results")
    page.goto(plain.url)  # axe needs JavaScript: the same page in the other browser
    look(page, "catalogue-nothing-found")

    page.goto(portal.at("/thu-tuc/1.004222"))
    look(page, "procedure")
    page.click("#file-online")
    assert "/thu-tuc/1.004222/nop" in page.url


def test_a_citizen_follows_and_withdraws_a_dossier(sign_in: SignIn, portal: Portal) -> None:
    portal.clock.set(portal.clock.now())
    code = str(api(portal, AN, "/dossiers", residence_filing())["code"])
    api(portal, OFFICER, f"/dossiers/{code}/receive", {"decision": "accept", "note": "Đủ giấy tờ"})
    page = sign_in(AN)

    page.goto(portal.at("/ho-so"))
    assert code in page.inner_text("#dossiers")
    look(page, "my-dossiers")
    page.click(f"a[href='/ho-so/{code}']")
    assert "Thời hạn giải quyết" in page.inner_text("main")
    look(page, "dossier")

    page.click("#withdraw summary")
    page.click("#withdraw-next")  # no reason
    assert "Vui lòng nêu lý do rút hồ sơ." in page.inner_text(".govuk-error-summary")
    look(page, "withdraw-error")
    page.fill("#f-reason", "Gia đình thay đổi kế hoạch")
    page.click("#withdraw-next")
    assert "Bạn có chắc" in page.inner_text("h1")
    look(page, "withdraw-confirm")
    page.click("#withdraw-confirm")
    assert "Công dân yêu cầu rút hồ sơ" in page.inner_text("#status")
    look(page, "dossier-withdrawn")

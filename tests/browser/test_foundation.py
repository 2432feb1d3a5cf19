"""The frame every page shares, in a real browser: sign-in, header, language, errors, phones, axe."""

from __future__ import annotations

from playwright.sync_api import Page

from tests.browser.conftest import Portal, SignIn, look


def test_public_pages_are_accessible_and_fit_a_phone(sign_in: SignIn, portal: Portal) -> None:
    page = sign_in()
    for path, name in (
        ("/", "home"),
        ("/tra-cuu", "tracking"),
        ("/xac-minh", "verify"),
        ("/dang-nhap", "sign-in"),
    ):
        page.goto(portal.at(path))
        look(page, name)
    page.goto(portal.at("/trang-khong-co"))
    assert "Không tìm thấy trang" in page.inner_text("h1")
    look(page, "not-found")


def test_a_demo_user_signs_in_and_sees_who_they_are(sign_in: SignIn, portal: Portal) -> None:
    page = sign_in("lanhdao.badinh")

    assert page.inner_text("#header-who") == "Hoàng Văn Hải"
    assert "Lãnh đạo, UBND phường Ba Đình" in page.inner_text("#header-role")
    page.goto(portal.at("/tai-khoan"))
    assert page.inner_text("#agency") == "H29.12.3"
    look(page, "account")
    page.click("#logout")
    page.wait_for_url(portal.at("/"))
    assert page.locator("#login").is_visible()


def test_the_language_switch_works_with_and_without_javascript(sign_in: SignIn, portal: Portal) -> None:
    for javascript in (True, False):
        page: Page = sign_in(javascript=javascript)
        page.goto(portal.at("/tra-cuu"))
        page.click("a[hreflang=en]")
        assert page.get_attribute("html", "lang") == "en"
        assert page.inner_text("h1") == "Track a dossier"
        page.fill("#f-ma", "khong-hop-le")
        page.click("button[type=submit] >> nth=-1")
        assert "There is a problem" in page.inner_text(".govuk-error-summary")
        if javascript:
            look(page, "tracking-error-en")
        page.click("a[hreflang=vi]")
        assert page.get_attribute("html", "lang") == "vi"

"""Keycloak's login page is MotCua's own theme (integrations/keycloak/themes/motcua), Vietnamese first.

The first tests read the theme and the realm as files; the others ask the real Keycloak of the test run for
the page the portal's "Đăng nhập" leads to: in Vietnamese (the realm's default), in English when the portal
is shown in English (it passes `ui_locales`), and in Debian's Chromium, switched with the page's own
language menu: the MotCua header band, no sideways scrolling at 360 px, no serious axe-core violation,
screenshots at 1280 and 360 px in var/screenshots/ for a person to look at.
"""

from __future__ import annotations

import html
import json
import re
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import Any
from urllib.parse import urljoin

import httpx
import pytest
from fastapi.testclient import TestClient
from playwright.sync_api import Browser, Page, sync_playwright

from integrations.keycloak.server import REALM_FILE, THEMES_DIR, KeycloakServer
from portal.settings import ROOT
from tests.kc import RunningKeycloak, post_login_form
from tests.kc_fixtures import LivePortal

CHROMIUM = "/usr/bin/chromium"
AXE = ROOT / "node_modules" / "axe-core" / "axe.min.js"
SHOTS = ROOT / "var" / "screenshots"
LOGIN = THEMES_DIR / "motcua" / "login"
RED = "rgb(165, 14, 14)"  # #a50e0e, the portal's header
WHITE = "rgb(255, 255, 255)"
STYLESHEET = re.compile(r'<link href="([^"]+/login/motcua/css/motcua\.css)" rel="stylesheet"')
VIETNAMESE = {
    "header": "MotCua — Dịch vụ công một cửa",
    "title": "Đăng nhập",
    "username": "Tên đăng nhập hoặc thư điện tử",
    "password": "Mật khẩu",
    "button": "Đăng nhập",
}
ENGLISH = {
    "header": "MotCua — One-stop public services",
    "title": "Sign in",
    "username": "Username or email",
    "password": "Password",
    "button": "Sign in",
}


def properties(path: Path) -> dict[str, str]:
    """A Java .properties file as Keycloak reads message bundles (UTF-8, `key=value`, `#` comments)."""
    pairs = {}
    for line in path.read_text(encoding="utf-8").splitlines():
        if line.strip() and not line.lstrip().startswith("#"):
            key, _, value = line.partition("=")
            pairs[key.strip()] = value.strip()
    return pairs


def test_the_realm_uses_the_repositorys_theme_and_speaks_vietnamese_first() -> None:
    realm = json.loads(REALM_FILE.read_text(encoding="utf-8"))

    assert realm["loginTheme"] == "motcua"
    assert realm["internationalizationEnabled"] is True
    assert realm["supportedLocales"] == ["vi", "en"]
    assert realm["defaultLocale"] == "vi"
    theme = properties(LOGIN / "theme.properties")
    # The parent's templates carry the ids the tests and password managers use (#kc-form-login, #username…).
    assert theme["parent"] == "keycloak.v2"
    assert theme["styles"].split() == ["css/styles.css", "css/motcua.css"]
    assert theme["locales"] == "vi,en"
    assert not list(LOGIN.glob("*.ftl")), "CSS and messages only: templates stay the parent's"


def test_every_message_has_its_vietnamese_and_its_english() -> None:
    vi = properties(LOGIN / "messages" / "messages_vi.properties")
    en = properties(LOGIN / "messages" / "messages_en.properties")

    assert vi.keys() == en.keys()
    assert all(vi.values())
    assert all(en.values())
    assert vi["loginTitleHtml"] == VIETNAMESE["header"]
    assert vi["doLogIn"] == VIETNAMESE["button"]
    assert vi["password"] == VIETNAMESE["password"]
    assert vi["languages"] == "Ngôn ngữ"  # the language menu's label (Keycloak ships no text for it)


def test_the_stylesheet_uses_no_web_font_no_logo_and_no_outside_address() -> None:
    css = (LOGIN / "resources" / "css" / "motcua.css").read_text(encoding="utf-8")

    assert "#a50e0e" in css
    assert '"Noto Sans", "DejaVu Sans", Arial, sans-serif' in css
    for banned in ("@font-face", "@import", "url(", "http:", "https:", "//cdn"):
        assert banned not in css
    favicon = LOGIN / "resources" / "img" / "favicon.ico"  # MotCua's door, not Keycloak's logo
    assert favicon.read_bytes()[:4] == b"\x00\x00\x01\x00"


def test_the_server_serves_themes_from_the_repository_with_caching_off(tmp_path: Path) -> None:
    command = KeycloakServer(home=tmp_path, state_dir=tmp_path).command()

    assert f"--spi-theme--folder--dir={THEMES_DIR}" in command
    assert "--spi-theme--cache-themes=false" in command
    assert "--spi-theme--cache-templates=false" in command


@contextmanager
def keycloak_login_page(
    client: TestClient, locale: str | None = None
) -> Iterator[tuple[httpx.Client, httpx.Response]]:
    """Follow the portal's "Đăng nhập" to Keycloak, the portal shown in `locale` (its `?lang=`) if given."""
    start = client.get("/dang-nhap", params={"lang": locale} if locale else None, follow_redirects=False)
    assert start.status_code == 303, start.text
    url = start.headers["location"]
    assert f"ui_locales={locale or 'vi'}" in url  # Keycloak's page in the portal's language
    with httpx.Client(follow_redirects=False, timeout=30) as browser:
        page = browser.get(url)
        assert page.status_code == 200, page.text[:300]
        yield browser, page


def assert_motcua_page(page: httpx.Response, http: httpx.Client, words: dict[str, str], lang: str) -> None:
    """The MotCua theme in one language: its stylesheet, the header band's name, the labels."""
    text = html.unescape(page.text)
    assert f'<html class="login-pf" lang="{lang}"' in text
    found = STYLESHEET.search(page.text)
    assert found, page.text[:1500]
    css = http.get(urljoin(str(page.url), found.group(1)))
    assert css.status_code == 200
    assert "#a50e0e" in css.text
    assert "/login/motcua/img/favicon.ico" in text
    assert re.search(rf'id="kc-header-wrapper"[^>]*>\s*{re.escape(words["header"])}\s*<', text)
    assert re.search(rf'id="kc-page-title">(?:<!--[^>]*-->)?\s*{re.escape(words["title"])}\s*<', text)
    assert re.search(rf'<label for="username"[^>]*>\s*<span[^>]*>\s*{re.escape(words["username"])}\s*<', text)
    assert re.search(rf'<label for="password"[^>]*>\s*<span[^>]*>\s*{re.escape(words["password"])}\s*<', text)
    assert re.search(rf'id="kc-login"[^>]*>\s*{re.escape(words["button"])}\s*<', text)
    for element in ('id="kc-form-login"', 'id="username"', 'id="password"', 'id="kc-login"'):
        assert element in text


def test_keycloaks_login_page_is_motcuas_in_vietnamese(kc_client: TestClient) -> None:
    with keycloak_login_page(kc_client) as (http, page):
        assert_motcua_page(page, http, VIETNAMESE, "vi")
        assert 'aria-label="Ngôn ngữ"' in page.text


def test_keycloaks_login_page_is_motcuas_in_english_when_the_portal_is(kc_client: TestClient) -> None:
    with keycloak_login_page(kc_client, "en") as (http, page):
        assert_motcua_page(page, http, ENGLISH, "en")


def test_a_wrong_password_is_told_in_vietnamese_on_the_same_page(kc_client: TestClient) -> None:
    with keycloak_login_page(kc_client) as (http, page):
        # An unknown user: a wrong password for a demo user would count towards its brute-force lockout.
        again = post_login_form(page, http, "khong.co.ai", "sai-mat-khau")

        assert again.status_code == 200
        assert "Tên đăng nhập hoặc mật khẩu không đúng." in html.unescape(again.text)
        assert_motcua_page(again, http, VIETNAMESE, "vi")


@pytest.fixture(scope="module")
def browser() -> Iterator[Browser]:
    """Headless Chromium from the Debian package (never a downloaded browser)."""
    with sync_playwright() as playwright:
        chromium = playwright.chromium.launch(executable_path=CHROMIUM, headless=True)
        yield chromium
        chromium.close()


def serious_axe_violations(page: Page) -> list[dict[str, Any]]:
    """Serious and critical WCAG 2.1 A/AA violations axe-core (npm, `make assets`) finds on the page."""
    if not AXE.exists():
        raise RuntimeError(f"axe-core is missing at {AXE}: run `make assets` (npm install)")
    page.add_script_tag(path=str(AXE))
    found: list[dict[str, Any]] = page.evaluate(
        """async () => (await axe.run(document, {runOnly: {type: 'tag',
             values: ['wcag2a', 'wcag2aa', 'wcag21a', 'wcag21aa']}})).violations"""
    )
    return [v for v in found if v.get("impact") in ("serious", "critical")]


def look_at(page: Page, words: dict[str, str], name: str, width: int) -> None:
    """The page as met at `width` px: MotCua's header, the words, no sideways scroll, axe; a screenshot."""
    page.wait_for_selector("#kc-form-login")
    header = page.locator("#kc-header")
    assert header.inner_text().strip() == words["header"]
    assert header.evaluate("e => getComputedStyle(e).backgroundColor") == RED
    assert page.locator("#kc-header-wrapper").evaluate("e => getComputedStyle(e).color") == WHITE
    assert page.locator("label[for=username]").inner_text().strip() == words["username"]
    assert page.locator("label[for=password]").inner_text().strip() == words["password"]
    assert page.locator("#kc-login").inner_text().strip() == words["button"]
    assert "Noto Sans" in page.locator("#username").evaluate("e => getComputedStyle(e).fontFamily")
    overflow = page.evaluate("() => document.documentElement.scrollWidth - window.innerWidth")
    assert overflow <= 0, f"{name}: {overflow}px wider than {width}px"
    violations = serious_axe_violations(page)
    assert not violations, json.dumps(
        [{"id": v["id"], "nodes": [n["target"] for n in v["nodes"][:3]]} for v in violations],
        ensure_ascii=False,
    )
    SHOTS.mkdir(parents=True, exist_ok=True)
    page.screenshot(path=str(SHOTS / f"{name}-{width}.png"), full_page=True)


@pytest.mark.parametrize("width", [1280, 360])
def test_the_login_page_in_the_browser_then_in_english_from_its_menu(
    browser: Browser, live_portal: LivePortal, keycloak: RunningKeycloak, width: int
) -> None:
    context = browser.new_context(viewport={"width": width, "height": 800})
    try:
        page = context.new_page()
        page.goto(f"{live_portal.url}/dang-nhap")
        assert page.url.startswith(keycloak.url)
        look_at(page, VIETNAMESE, "keycloak-login-vi", width)

        english = page.locator("#login-select-toggle option[value$='kc_locale=en']")
        assert english.inner_text().strip() == "Tiếng Anh (English)"
        page.select_option("#login-select-toggle", value=english.get_attribute("value"))
        page.wait_for_selector("#kc-login:has-text('Sign in')")
        look_at(page, ENGLISH, "keycloak-login-en", width)
        # No sign-in after the switch: Keycloak would keep "en" as the demo user's locale for later tests.
    finally:
        context.close()

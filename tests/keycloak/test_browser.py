"""A real browser (Debian's Chromium, driven by Playwright) logs in on Keycloak's own login page.

Three tests only (they are the slow ones): every demo user logs in; logout ends the Keycloak session too;
an expired access token is refreshed behind the page.
"""

from __future__ import annotations

from collections.abc import Callable, Iterator
from datetime import UTC, datetime, timedelta

import pytest
from playwright.sync_api import Browser, BrowserContext, Page, sync_playwright
from sqlalchemy import text
from sqlalchemy.engine import Engine

from engine.actor import Actor, Role
from engine.store.sessions import session_key
from portal.auth import DEMO_USERS
from portal.pages.account import role_names
from tests.kc import DEMO_PASSWORD
from tests.kc_fixtures import LivePortal

CHROMIUM = "/usr/bin/chromium"


@pytest.fixture(scope="module")
def browser() -> Iterator[Browser]:
    """Headless Chromium from the Debian package (never a downloaded browser)."""
    with sync_playwright() as playwright:
        chromium = playwright.chromium.launch(executable_path=CHROMIUM, headless=True)
        yield chromium
        chromium.close()


def log_in(page: Page, portal: LivePortal, username: str) -> None:
    """Open the signed-in page, get sent to Keycloak, type the password, land back on the portal."""
    page.goto(f"{portal.url}/ho-so")
    page.wait_for_selector("#kc-form-login")
    page.fill("#username", username)
    page.fill("#password", DEMO_PASSWORD)
    page.click("#kc-login")
    page.wait_for_url(f"{portal.url}/ho-so")


def cookie_of(context: BrowserContext) -> str:
    """The portal's session cookie in the browser."""
    return next((c["value"] for c in context.cookies() if c["name"] == "motcua_session"), "")


def session_of(context: BrowserContext, engine: Engine) -> dict[str, object] | None:
    """The web_session row behind the browser's cookie, or None."""
    with engine.connect() as conn:
        row = conn.execute(
            text("SELECT subject, access_token FROM web_session WHERE id = :id"),
            {"id": session_key(cookie_of(context))},
        ).first()
    return dict(row._mapping) if row else None


SignIn = Callable[[str], tuple[BrowserContext, Page]]


@pytest.fixture
def sign_in(browser: Browser, live_portal: LivePortal) -> Iterator[SignIn]:
    """Log a demo user in, in a fresh browser context (closed at the end of the test)."""
    contexts: list[BrowserContext] = []

    def _sign_in(username: str) -> tuple[BrowserContext, Page]:
        context = browser.new_context()
        contexts.append(context)
        page = context.new_page()
        log_in(page, live_portal, username)
        return context, page

    yield _sign_in
    for context in contexts:
        context.close()


def test_every_demo_user_logs_in_on_keycloaks_login_page(sign_in: SignIn, live_portal: LivePortal) -> None:
    for user in DEMO_USERS:
        context, page = sign_in(user.username)
        page.goto(f"{live_portal.url}/tai-khoan")

        assert page.inner_text("#username") == user.username
        assert page.inner_text("#who") == user.name
        assert page.inner_text("#roles") == role_names(
            Actor("s", user.username, frozenset(map(Role, user.roles)))
        )
        assert f"({user.roles[0]})" in page.inner_text("#roles")
        if user.agency:
            assert page.inner_text("#agency") == user.agency
        if user.identity_number:
            assert page.inner_text("#identity-number") == user.identity_number
        cookie = next(c for c in context.cookies() if c["name"] == "motcua_session")
        assert cookie["httpOnly"]
        assert cookie["sameSite"] == "Lax"


def test_logout_ends_the_keycloak_session_too(
    sign_in: SignIn, live_portal: LivePortal, portal_database: Engine
) -> None:
    context, page = sign_in("nguyenvanan")
    signed_in = session_of(context, portal_database)
    assert signed_in
    assert signed_in["subject"]

    page.click("#logout")
    page.wait_for_url(f"{live_portal.url}/")
    assert session_of(context, portal_database) is None
    page.goto(f"{live_portal.url}/ho-so")

    page.wait_for_selector("#kc-form-login")  # asked for the password again: no single sign-on left


def test_an_expired_access_token_is_refreshed_behind_the_page(
    sign_in: SignIn, live_portal: LivePortal, portal_database: Engine
) -> None:
    context, page = sign_in("lanhdao.hoankiem")
    before = session_of(context, portal_database)
    assert before
    with portal_database.begin() as conn:
        conn.execute(
            text("UPDATE web_session SET access_expires_at = :t WHERE id = :id"),
            {"t": datetime.now(UTC) - timedelta(minutes=1), "id": session_key(cookie_of(context))},
        )

    page.goto(f"{live_portal.url}/tai-khoan")

    assert page.inner_text("#username") == "lanhdao.hoankiem"
    after = session_of(context, portal_database)
    assert after
    assert after["access_token"] != before["access_token"]

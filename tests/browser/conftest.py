"""Browser tests: the portal served by uvicorn on loopback, Debian's Chromium driven by Playwright.

`look(page, name)` is what every browser test calls on every page it reaches: axe-core (from npm) must find no
serious or critical violation, the page must fit a 360 px phone without scrolling sideways, and screenshots at
1280 and 360 px are written to var/screenshots/ (git-ignored) for a person to look at.
"""

from __future__ import annotations

import json
import socket
from collections.abc import Callable, Iterator
from datetime import datetime
from pathlib import Path
from typing import Any

import pytest
from playwright.sync_api import Browser, BrowserContext, Page, sync_playwright
from playwright.sync_api import Error as PlaywrightError
from sqlalchemy.engine import Engine

from engine.clock import FixedClock
from engine.store.db import make_engine
from engine.store.migrate import upgrade
from integrations.residents.simulator import Simulator
from portal.app import create_app
from portal.bootstrap import prepare
from portal.settings import ROOT
from portal.wiring import Container, build
from tests.conftest import make_settings, residents_settings
from tests.kc_fixtures import LivePortal

CHROMIUM = "/usr/bin/chromium"
AXE = ROOT / "node_modules" / "axe-core" / "axe.min.js"
SHOTS = ROOT / "var" / "screenshots"
DESKTOP = {"width": 1280, "height": 900}
PHONE = {"width": 360, "height": 780}
# A Monday morning inside office hours, local time: journeys move this clock, the portal reads it.
START = datetime.fromisoformat("2026-03-02T08:30:00+07:00")


def free_port() -> int:
    """A free TCP port on loopback."""
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        port: int = sock.getsockname()[1]
        return port


class Portal:
    """The live portal of a browser test module: its URL, clock, container and database."""

    def __init__(self, live: LivePortal, container: Container, clock: FixedClock) -> None:
        self.live = live
        self.url = live.url
        self.container = container
        self.clock = clock

    def at(self, path: str) -> str:
        """Absolute URL of a path on the portal."""
        return self.url + path


@pytest.fixture(scope="module")
def portal(tmp_path_factory: pytest.TempPathFactory, residents_sim: Simulator) -> Iterator[Portal]:
    """A fresh embedded-default portal (SQLite, development sign-in) for one test module."""
    folder = tmp_path_factory.mktemp("browser")
    engine: Engine = make_engine(f"sqlite:///{folder / 'motcua.db'}")
    upgrade(engine)
    port = free_port()
    settings = make_settings(folder, str(engine.url), residents_settings(residents_sim)).model_copy(
        update={"public_url": f"http://127.0.0.1:{port}", "seed_demo": True}
    )
    clock = FixedClock(START)
    container = build(settings, clock=clock, engine=engine)
    prepare(container, migrate=False)
    live = LivePortal(create_app(settings, container), port).start()
    yield Portal(live, container, clock)
    live.stop()
    container.close()
    engine.dispose()


@pytest.fixture(scope="module")
def browser() -> Iterator[Browser]:
    """Headless Chromium from the Debian package (never a downloaded browser)."""
    if not Path(CHROMIUM).exists():
        raise RuntimeError(f"Debian's Chromium is missing at {CHROMIUM}: run .ci/system-deps.sh")
    with sync_playwright() as playwright:
        chromium = playwright.chromium.launch(executable_path=CHROMIUM, headless=True)
        yield chromium
        chromium.close()


SignIn = Callable[..., Page]


@pytest.fixture
def sign_in(browser: Browser, portal: Portal) -> Iterator[SignIn]:
    """A fresh browser (its own cookies), signed in as a demo user through the sign-in page."""
    contexts: list[BrowserContext] = []

    def open_as(username: str | None = None, *, javascript: bool = True, locale: str = "vi-VN") -> Page:
        context = browser.new_context(
            viewport=DESKTOP, java_script_enabled=javascript, locale=locale, accept_downloads=True
        )
        contexts.append(context)
        page = context.new_page()
        if username:
            page.goto(portal.at("/dang-nhap"))
            page.click(f"#login-{username.replace('.', '-')}")
            page.wait_for_load_state()
            assert "/dang-nhap" not in page.url, page.content()[:500]
        return page

    yield open_as
    for context in contexts:
        context.close()


def axe_violations(page: Page) -> list[dict[str, Any]]:
    """Serious and critical WCAG 2.1 A/AA violations axe-core finds on the page as it is now."""
    if not AXE.exists():
        raise RuntimeError("axe-core is missing: run `make assets` (npm install)")
    if not page.evaluate("() => typeof window.axe !== 'undefined'"):
        page.add_script_tag(path=str(AXE))
    result = page.evaluate(
        """async () => (await axe.run(document, {runOnly: {type: 'tag',
             values: ['wcag2a', 'wcag2aa', 'wcag21a', 'wcag21aa']}})).violations"""
    )
    return [v for v in result if v.get("impact") in ("serious", "critical")]


def screenshot(page: Page, path: Path, *, full_page: bool = True) -> None:
    """A screenshot, taken again once when Chromium answers "Unable to capture screenshot": headless Chromium
    says so now and then when its compositor has no frame ready (a full suite hit it once in about 150 shots);
    the page is the same, the second try takes it."""
    try:
        page.screenshot(path=str(path), full_page=full_page)
    except PlaywrightError as exc:
        if "Unable to capture screenshot" not in str(exc):
            raise
        page.wait_for_timeout(200)
        page.screenshot(path=str(path), full_page=full_page)


def look(page: Page, name: str) -> None:
    """Check the page as a person would meet it: accessible, fits a phone; screenshots at 1280 and 360 px."""
    SHOTS.mkdir(parents=True, exist_ok=True)
    violations = axe_violations(page)
    assert not violations, f"{name}: axe found " + json.dumps(
        [
            {"id": v["id"], "impact": v["impact"], "nodes": [n["target"] for n in v["nodes"][:3]]}
            for v in violations
        ],
        ensure_ascii=False,
    )
    assert page.locator("h1").count() == 1, f"{name}: a page has exactly one h1"
    assert page.get_attribute("html", "lang") in ("vi", "en")
    screenshot(page, SHOTS / f"{name}-1280.png")
    size = page.viewport_size or DESKTOP
    page.set_viewport_size(PHONE)
    try:
        overflow = page.evaluate("() => document.documentElement.scrollWidth - window.innerWidth")
        assert overflow <= 0, f"{name}: the page is {overflow}px wider than a 360px phone"
        screenshot(page, SHOTS / f"{name}-360.png")
    finally:
        page.set_viewport_size(size)

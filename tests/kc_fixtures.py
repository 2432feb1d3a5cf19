"""Fixtures around the real Keycloak (tests/kc.py): the server, a portal that trusts it, a login helper."""

from __future__ import annotations

import threading
from collections.abc import Callable, Iterator

import httpx
import pytest
import uvicorn
from fastapi import FastAPI
from fastapi.testclient import TestClient
from sqlalchemy.engine import Engine

from engine.clock import FixedClock
from engine.store.db import make_engine
from engine.store.migrate import upgrade
from portal.app import create_app
from portal.bootstrap import prepare
from portal.settings import Settings
from portal.wiring import Container, build
from tests.builders import Api
from tests.kc import DEMO_PASSWORD, RunningKeycloak, path_of, start_keycloak, submit_login_form


@pytest.fixture(scope="session")
def keycloak() -> Iterator[RunningKeycloak]:
    """One Keycloak for the whole run (realm `motcua` and `other` imported); stopped at the end."""
    running = start_keycloak()
    yield running
    running.server.stop()


def keycloak_settings(base: Settings, kc: RunningKeycloak) -> Settings:
    """The test settings, trusting the realm only (no development identity), served at the portal URL."""
    return base.model_copy(
        update={"keycloak_url": kc.url, "dev_identity": False, "public_url": kc.portal_url}
    )


@pytest.fixture
def kc_app(container: Container, keycloak: RunningKeycloak) -> FastAPI:
    """The real app on the test database, trusting Keycloak."""
    container.settings = keycloak_settings(container.settings, keycloak)
    return create_app(container.settings, container)


@pytest.fixture
def kc_client(kc_app: FastAPI) -> TestClient:
    """HTTP client on the app that trusts Keycloak."""
    return TestClient(kc_app)


@pytest.fixture
def kc_auth(keycloak: RunningKeycloak) -> Callable[[str], dict[str, str]]:
    """Authorization header with a Keycloak access token of a demo user (password grant, once per test)."""
    tokens: dict[str, str] = {}

    def auth(username: str) -> dict[str, str]:
        if username not in tokens:
            tokens[username] = keycloak.token(username)
        return {"Authorization": f"Bearer {tokens[username]}"}

    return auth


@pytest.fixture
def kapi(kc_client: TestClient, kc_auth: Callable[[str], dict[str, str]], clock: FixedClock) -> Api:
    """The API as the demo users see it, each with a real Keycloak token (tests/builders.py)."""
    return Api(kc_client, kc_auth, clock)


@pytest.fixture
def login(keycloak: RunningKeycloak) -> Callable[[TestClient, str], httpx.Response]:
    """Log a demo user in on a test client: /dang-nhap → Keycloak's login form → /auth/callback."""

    def _login(client: TestClient, username: str, password: str = DEMO_PASSWORD) -> httpx.Response:
        start = client.get("/dang-nhap", follow_redirects=False)
        assert start.status_code == 303, start.text
        with httpx.Client(follow_redirects=False, timeout=30) as browser:
            page = browser.get(start.headers["location"])
            assert page.status_code == 200, page.text[:300]
            back = submit_login_form(page, browser, username, password)
        assert back.startswith(keycloak.portal_url + "/auth/callback"), back
        return client.get(path_of(back), follow_redirects=False)

    return _login


class LivePortal:
    """The portal served by uvicorn on the port the realm redirects to (for the browser)."""

    def __init__(self, app: FastAPI, port: int) -> None:
        self.server = uvicorn.Server(uvicorn.Config(app, host="127.0.0.1", port=port, log_level="warning"))
        self.thread = threading.Thread(target=self.server.run, daemon=True)
        self.url = f"http://127.0.0.1:{port}"

    def start(self) -> LivePortal:
        """Serve in a thread; return once it accepts connections."""
        self.thread.start()
        while not self.server.started:
            if not self.thread.is_alive():
                raise RuntimeError("the portal did not start")
            self.thread.join(0.05)
        return self

    def stop(self) -> None:
        """Stop serving."""
        self.server.should_exit = True
        self.thread.join(10)


@pytest.fixture(scope="session")
def portal_database(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Engine]:
    """A migrated SQLite database for the live portal of the browser tests."""
    engine = make_engine(f"sqlite:///{tmp_path_factory.mktemp('portal') / 'motcua.db'}")
    upgrade(engine)
    yield engine
    engine.dispose()


@pytest.fixture(scope="session")
def live_portal(
    keycloak: RunningKeycloak, portal_database: Engine, tmp_path_factory: pytest.TempPathFactory
) -> Iterator[LivePortal]:
    """The portal, trusting Keycloak, at the URL the realm's portal client redirects to."""
    from tests.conftest import make_settings

    base = make_settings(tmp_path_factory.mktemp("portal-data"), str(portal_database.url))
    settings = keycloak_settings(base, keycloak)
    container = build(settings, engine=portal_database)
    prepare(container, migrate=False)
    portal = LivePortal(create_app(settings, container), keycloak.portal_port).start()
    yield portal
    portal.stop()


def portal_path(portal: LivePortal, path: str) -> str:
    """Absolute URL on the live portal."""
    return portal.url + path

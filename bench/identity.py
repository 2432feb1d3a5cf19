"""Identity benchmark: what a Keycloak bearer token and a browser session cost per request, in one run.

Run: `.venv/bin/python bench/identity.py [--requests N]` — starts the pinned Keycloak (as the tests do),
then measures on the real app (TestClient, SQLite):

1. **baseline**: `GET /api/v1/health` (no identity at all);
2. **dev token**: `GET /api/v1/me` with an HS256 development token;
3. **keycloak token**: `GET /api/v1/me` with a Keycloak access token (RS256, JWKS cached in the process);
4. **session**: `GET /api/v1/me` with the browser session cookie (one primary-key read of `web_session`).

It also times what happens rarely: a password grant at Keycloak (PBKDF2 hashing of the password), a full
browser-less login (`/dang-nhap` → Keycloak's form → `/auth/callback`) and a refresh of an expired session.
Ratios are against the baseline measured in the same run, so machine speed cancels out.
"""

from __future__ import annotations

import argparse
import statistics
import sys
import tempfile
import time
from collections.abc import Callable
from datetime import UTC, datetime, timedelta
from pathlib import Path

import httpx
from fastapi.testclient import TestClient
from sqlalchemy import text

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

from engine.store.db import make_engine  # noqa: E402
from engine.store.migrate import upgrade  # noqa: E402
from portal.app import create_app  # noqa: E402
from portal.auth import DevIdentity  # noqa: E402
from portal.bootstrap import prepare  # noqa: E402
from portal.wiring import build  # noqa: E402
from tests.conftest import make_settings  # noqa: E402
from tests.kc import path_of, start_keycloak, submit_login_form  # noqa: E402
from tests.kc_fixtures import keycloak_settings  # noqa: E402


def per_request(call: Callable[[], httpx.Response], n: int) -> float:
    """Mean milliseconds per call over n calls (each must succeed)."""
    start = time.perf_counter()
    for _ in range(n):
        response = call()
        assert response.status_code == 200, response.text
    return (time.perf_counter() - start) * 1000 / n


def timed(call: Callable[[], object], n: int) -> list[float]:
    """Milliseconds of each of n calls."""
    out = []
    for _ in range(n):
        start = time.perf_counter()
        call()
        out.append((time.perf_counter() - start) * 1000)
    return out


def main() -> None:
    """Start Keycloak, build the app, print the figures."""
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--requests", type=int, default=2000)
    n = parser.parse_args().requests
    started = time.perf_counter()
    kc = start_keycloak()
    print(f"Keycloak ready in {time.perf_counter() - started:.1f} s", file=sys.stderr)
    try:
        work = Path(tempfile.mkdtemp(prefix="motcua-bench-id-"))
        engine = make_engine(f"sqlite:///{work / 'motcua.db'}")
        upgrade(engine)
        base = make_settings(work, str(engine.url))
        dev = DevIdentity(base).issue_demo("motcua.badinh")
        settings = keycloak_settings(base, kc).model_copy(update={"dev_identity": True})
        container = build(settings, engine=engine)
        prepare(container, migrate=False)
        client = TestClient(create_app(settings, container))
        token = kc.token("motcua.badinh")

        def login() -> None:
            client.cookies.clear()
            start = client.get("/dang-nhap", follow_redirects=False)
            with httpx.Client(timeout=30) as browser:
                page = browser.get(start.headers["location"])
                back = submit_login_form(page, browser, "motcua.badinh", kc.server.demo_password)
            assert client.get(path_of(back), follow_redirects=False).status_code == 303

        def expire_and_read() -> None:
            with engine.begin() as conn:
                conn.execute(
                    text("UPDATE web_session SET access_expires_at = :t"),
                    {"t": datetime.now(UTC) - timedelta(1)},
                )
            assert client.get("/api/v1/me").status_code == 200

        logins = timed(login, 20)
        refreshes = timed(expire_and_read, 20)
        grants = timed(lambda: kc.token("motcua.badinh"), 20)
        rows = {
            "baseline (health, no identity)": per_request(lambda: client.get("/api/v1/health"), n),
            "dev token (HS256)": per_request(lambda: client.get("/api/v1/me", headers=bearer(dev)), n),
            "keycloak token (RS256, JWKS cached)": per_request(
                lambda: client.get("/api/v1/me", headers=bearer(token)), n
            ),
            "browser session (cookie → web_session row)": per_request(lambda: client.get("/api/v1/me"), n),
        }
    finally:
        kc.server.stop()
    baseline = rows["baseline (health, no identity)"]
    print(f"{'per request':48} {'ms':>7} {'× baseline':>11}")
    for name, ms in rows.items():
        print(f"{name:48} {ms:7.3f} {ms / baseline:11.2f}")
    for name, values in (
        ("password grant at Keycloak", grants),
        ("login: /dang-nhap → form → callback", logins),
        ("session refresh (expired access token)", refreshes),
    ):
        print(f"{name:48} p50 {statistics.median(values):7.1f} ms  max {max(values):7.1f} ms")


def bearer(token: str) -> dict[str, str]:
    """Authorization header."""
    return {"Authorization": f"Bearer {token}"}


if __name__ == "__main__":
    main()

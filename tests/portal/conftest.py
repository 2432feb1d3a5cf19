"""Page tests: a browser-like client signed in through the development sign-in (a real session cookie)."""

from __future__ import annotations

import re
from collections.abc import Callable

import httpx
import pytest
from fastapi.testclient import TestClient

from portal.app import create_app
from portal.wiring import Container

CSRF_RE = re.compile(r'name="csrf" value="([^"]+)"')


def csrf_of(page: httpx.Response | str) -> str:
    """The CSRF token a page's forms carry."""
    text = page if isinstance(page, str) else page.text
    match = CSRF_RE.search(text)
    assert match, "the page has no form with a CSRF token"
    return match.group(1)


def sign_in(client: TestClient, username: str) -> httpx.Response:
    """Sign a demo user in the way a person does: open /dang-nhap, press their button."""
    page = client.get("/dang-nhap")
    assert page.status_code == 200, page.text
    done = client.post(
        "/dang-nhap", data={"csrf": csrf_of(page), "username": username}, follow_redirects=False
    )
    assert done.status_code == 303, done.text
    return done


Browse = Callable[..., TestClient]


@pytest.fixture
def browse(container: Container) -> Browse:
    """A new browser-like client on the app, signed in as `username` when one is given."""

    def open_as(username: str | None = None) -> TestClient:
        client = TestClient(create_app(container.settings, container), headers={"accept": "text/html"})
        if username:
            sign_in(client, username)
        return client

    return open_as


def post_form(client: TestClient, url: str, data: dict[str, str], **kwargs: object) -> httpx.Response:
    """POST a page's form with the CSRF token of the page at `url` (as a browser would)."""
    page = client.get(url)
    return client.post(url, data={"csrf": csrf_of(page), **data}, follow_redirects=False, **kwargs)  # type: ignore[arg-type]

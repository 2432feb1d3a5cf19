"""/docs in a browser that cannot reach anything but the portal: Swagger UI still draws the API."""

from __future__ import annotations

from urllib.parse import urlsplit

from playwright.sync_api import Route

from tests.browser.conftest import SHOTS, Portal, SignIn


def test_docs_draws_the_api_with_the_network_cut_off(sign_in: SignIn, portal: Portal) -> None:
    page = sign_in()
    outside: list[str] = []

    def loopback_only(route: Route) -> None:
        if urlsplit(route.request.url).hostname == "127.0.0.1":
            route.continue_()
        else:
            outside.append(route.request.url)
            route.abort()

    page.route("**/*", loopback_only)
    page.goto(portal.at("/docs"))

    page.wait_for_selector(".swagger-ui .info .title")
    assert "MotCua" in page.inner_text(".swagger-ui .info .title")
    page.wait_for_selector(".swagger-ui .opblock")  # the operations of /api/v1/openapi.json
    assert page.locator(".swagger-ui .opblock").count() > 10
    assert outside == []
    SHOTS.mkdir(parents=True, exist_ok=True)
    page.screenshot(path=str(SHOTS / "api-docs-1280.png"))  # Swagger UI's own page: not held to our axe check

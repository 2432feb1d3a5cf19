"""One journey signed in through the real Keycloak: the citizen files online, the officer receives it."""

from __future__ import annotations

from pathlib import Path

from playwright.sync_api import Browser

from tests.browser.flows import file_residence_online, pdf_of
from tests.kc_fixtures import LivePortal
from tests.keycloak.test_browser import browser, log_in  # noqa: F401 — the module's Chromium fixture
from tests.upload_builders import jpeg


def test_a_citizen_files_and_an_officer_receives_signed_in_through_keycloak(
    browser: Browser,  # noqa: F811
    live_portal: LivePortal,
    tmp_path: Path,
) -> None:
    photo = tmp_path / "so-do.jpg"
    photo.write_bytes(jpeg())
    citizen_context = browser.new_context()
    officer_context = browser.new_context()
    try:
        citizen = citizen_context.new_page()
        log_in(citizen, live_portal, "nguyenvanan")
        assert citizen.inner_text("#header-who") == "Nguyễn Văn An"
        code = file_residence_online(citizen, live_portal.url, photo)

        officer = officer_context.new_page()
        log_in(officer, live_portal, "motcua.badinh")
        officer.goto(f"{live_portal.url}/mot-cua")
        officer.click(f"text={code}")
        officer.check('[name="checklist.ct01.received"][value="original"]')
        officer.check('[name="checklist.residence_proof.received"][value="certified_copy"]')
        officer.check('[name="checklist.owner_consent.received"][value="missing"]')
        officer.click("#accept")
        assert "Đã tiếp nhận hồ sơ" in officer.inner_text("#done")
        receipt = pdf_of(officer, officer.get_attribute("#print-receipt", "href") or "")
        assert code in receipt

        citizen.goto(f"{live_portal.url}/ho-so/{code}")
        assert "Đang xử lý" in citizen.inner_text("#status")
    finally:
        citizen_context.close()
        officer_context.close()

"""Steps of the journeys that several browser tests take (a person's actions in the pages)."""

from __future__ import annotations

import re
from datetime import datetime
from pathlib import Path
from urllib.parse import urljoin

from playwright.sync_api import Locator, Page

from tests import pdf_tools
from tests.browser.conftest import Portal, look


def at(portal: Portal, moment: str) -> None:
    """Move the portal's clock to a local moment."""
    portal.clock.set(datetime.fromisoformat(moment + "+07:00"))


def pdf_of(page: Page, href: str) -> str:
    """The text of a PDF the page links to, fetched with the page's own session (as a download would)."""
    response = page.request.get(urljoin(page.url, href))
    assert response.ok, response.status
    assert response.headers["content-type"].startswith("application/pdf")
    return pdf_tools.text(response.body())


def dry_run_move(page: Page, portal: Portal, code: str) -> Locator:
    """The administrator's dry run of moving permanent residence's running dossiers from version 1 to 2: the
    dossier's row among the candidates (its waiting step named)."""
    page.goto(portal.at("/quan-tri/thu-tuc/1.004222/chuyen-phien-ban"))
    page.select_option("#f-from_version", "1")
    page.select_option("#f-to_version", "2")
    page.click("#preview")
    row = page.locator(f"#candidates tr[data-code='{code}']")
    assert "Thẩm định hồ sơ" in row.inner_text()
    return row


def file_residence_online(
    page: Page, base_url: str, photo: Path, extra: dict[int, dict[str, str]] | None = None
) -> str:
    """The citizen's filing through every step of the e-form, with one paper uploaded (at `base_url`);
    `extra` answers more fields (by step), e.g. one an administrator added to the e-form."""
    page.goto(base_url + "/thu-tuc/1.004222")
    look(page, "journey-procedure")
    page.click("#file-online")
    page.check("#f-agency")
    page.click("#start")
    answers = {
        1: {"#f-form-applicant-phone": "0912345678"},
        2: {"#f-form-new_address-commune_code": "00004", "#f-form-new_address-detail": "Số 12 phố Đội Cấn"},
        3: {"#f-form-reason": "Chuyển về ở cùng bố mẹ"},
        4: {
            "#f-form-relation_to_head": "Con",
            "#f-form-household_head_name": "Nguyễn Văn Bình",
            "#f-form-household_head_identity_number": "001060004321",
        },
    }
    for step in range(1, 7):
        page.wait_for_url(re.compile(rf".*/buoc/{step}$"))
        assert "001088012345" not in page.url  # no personal data in an address
        for selector, value in {**answers.get(step, {}), **(extra or {}).get(step, {})}.items():
            page.fill(selector, value)
        if step == 2:
            page.select_option("#f-form-new_address-province_code", "01")
        if step == 5:
            page.select_option("#f-form-residence_proof_kind", index=1)
        page.click("#save-continue")
    page.wait_for_url(re.compile(r".*/giay-to$"))
    page.set_input_files("#f-papers-residence_proof", str(photo))
    page.click("#f-papers-residence_proof-upload")
    page.click("#papers-continue")
    page.wait_for_url(re.compile(r".*/kiem-tra$"))
    look(page, "journey-check-answers")
    page.click("#submit-dossier")
    page.wait_for_url(re.compile(r".*/da-nop/.*"))
    look(page, "journey-filed")
    return page.inner_text("#dossier-code").strip()

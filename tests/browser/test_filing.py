"""The citizen's online filing in Chromium: with the keyboard alone, and again with JavaScript disabled.

Every page the filing reaches is checked with axe, at 360 px, and screenshotted (tests/browser/conftest.py).
"""

from __future__ import annotations

import re
from pathlib import Path

from playwright.sync_api import Page

from engine.actor import Actor, actor_from_claims
from engine.usecases.dossiers import FileDossier, receive
from engine.usecases.queries import dossier_detail
from engine.usecases.residents import file_verified
from portal.auth import DevIdentity
from tests.browser.conftest import Portal, SignIn, look
from tests.builders import residence_filing
from tests.upload_builders import jpeg

AN = "nguyenvanan"
START = "/thu-tuc/1.004222/nop"


def tab_to(page: Page, element_id: str, limit: int = 120) -> None:
    """Press Tab until the element has the focus: it is reachable with the keyboard alone."""
    for _ in range(limit):
        if page.evaluate("() => document.activeElement && document.activeElement.id") == element_id:
            return
        page.keyboard.press("Tab")
    raise AssertionError(f"#{element_id} cannot be reached with Tab")


def key_type(page: Page, element_id: str, text: str) -> None:
    """Tab to a text field, clear it and type."""
    tab_to(page, element_id)
    page.keyboard.press("Control+A")
    page.keyboard.type(text)


def key_press(page: Page, element_id: str, key: str = "Enter") -> None:
    """Tab to a control and press a key on it (Enter on a button, Space on a radio)."""
    tab_to(page, element_id)
    page.keyboard.press(key)


def fill_by_keyboard(page: Page, portal: Portal, photo: Path) -> str:
    """The whole permanent-residence filing, every answer typed and every button pressed with the keys."""
    page.goto(portal.at(START))
    look(page, "filing-start")
    key_press(page, "f-agency", "Space")
    key_press(page, "start")
    page.wait_for_url(re.compile(r".*/buoc/1$"))
    assert "Điền sẵn từ Cơ sở dữ liệu quốc gia về dân cư" in page.content()

    key_type(page, "f-form-applicant-date_of_birth", "31/02/1988")
    key_press(page, "save-continue")
    assert "không phải là ngày hợp lệ" in page.inner_text(".govuk-error-summary")
    look(page, "filing-step-error")
    assert page.inner_text(".govuk-error-summary li >> nth=0").startswith("«Ngày sinh»"), "in page order"
    page.click('.govuk-error-summary a[href="#f-form-applicant-date_of_birth"]')  # the link focuses the field
    assert page.evaluate("() => document.activeElement.id") == "f-form-applicant-date_of_birth"
    page.keyboard.press("Control+A")
    page.keyboard.type("14/05/1988")
    key_type(page, "f-form-applicant-phone", "0912345678")
    look(page, "filing-step-1")
    key_press(page, "save-continue")

    page.wait_for_url(re.compile(r".*/buoc/2$"))
    key_press(page, "f-form-new_address-province_code", "ArrowDown")  # Thành phố Hà Nội, the first
    key_type(page, "f-form-new_address-commune_code", "00004")
    key_type(page, "f-form-new_address-detail", "Số 12, ngõ 34 phố Đội Cấn")
    key_press(page, "save-continue")
    page.wait_for_url(re.compile(r".*/buoc/3$"))
    key_type(page, "f-form-reason", "Chuyển về ở cùng bố đẻ tại nhà riêng của gia đình.")
    key_press(page, "save-continue")
    page.wait_for_url(re.compile(r".*/buoc/4$"))
    key_type(page, "f-form-relation_to_head", "Con")
    key_type(page, "f-form-household_head_name", "Nguyễn Văn Bình")
    key_type(page, "f-form-household_head_identity_number", "001060004321")
    key_press(page, "save-continue")
    page.wait_for_url(re.compile(r".*/buoc/5$"))
    key_press(page, "f-form-residence_proof_kind", "ArrowDown")
    key_press(page, "save-continue")
    page.wait_for_url(re.compile(r".*/buoc/6$"))
    look(page, "filing-step-members")
    key_press(page, "save-continue")  # nobody moves with the applicant

    page.wait_for_url(re.compile(r".*/giay-to$"))
    page.set_input_files("#f-papers-residence_proof", str(photo))  # the file chooser is the system's
    key_press(page, "f-papers-residence_proof-upload")
    page.wait_for_load_state()
    assert "so-do.jpg" in page.inner_text("#f-papers-residence_proof-files")
    look(page, "filing-papers")
    key_press(page, "papers-continue")

    page.wait_for_url(re.compile(r".*/kiem-tra$"))
    assert "Nguyễn Văn An" in page.inner_text("main")
    look(page, "filing-check")
    key_press(page, "submit-dossier")
    page.wait_for_url(re.compile(r".*/da-nop/.*"))
    look(page, "filing-filed")
    return page.inner_text("#dossier-code")


def test_a_citizen_files_with_the_keyboard_alone(sign_in: SignIn, portal: Portal, tmp_path: Path) -> None:
    photo = tmp_path / "so-do.jpg"
    photo.write_bytes(jpeg())
    page = sign_in(AN)

    code = fill_by_keyboard(page, portal, photo)

    assert code.startswith("H29.12.3-")
    assert page.locator("svg.motcua-qr").count() == 1
    page.click("#track-link")
    assert code in page.inner_text("main")


def test_the_filing_works_with_javascript_disabled(sign_in: SignIn, portal: Portal, tmp_path: Path) -> None:
    photo = tmp_path / "giay-to.png"
    photo.write_bytes(jpeg())
    page = sign_in(AN, javascript=False)
    page.goto(portal.at(START))
    page.check("#f-agency")
    page.click("#start")
    answers = {
        1: {"#f-form-applicant-phone": "0912345678"},
        2: {"#f-form-new_address-commune_code": "00004", "#f-form-new_address-detail": "Số 12 phố Đội Cấn"},
        3: {"#f-form-reason": "Về ở cùng bố mẹ"},
        4: {
            "#f-form-relation_to_head": "Con",
            "#f-form-household_head_name": "Nguyễn Văn Bình",
            "#f-form-household_head_identity_number": "001060004321",
        },
    }
    for step in range(1, 7):
        page.wait_for_url(re.compile(rf".*/buoc/{step}$"))
        for selector, value in answers.get(step, {}).items():
            page.fill(selector, value)
        if step == 2:
            page.select_option("#f-form-new_address-province_code", "01")
        if step == 5:
            page.select_option("#f-form-residence_proof_kind", index=1)
        page.click("#save-continue")
    page.wait_for_url(re.compile(r".*/giay-to$"))
    page.set_input_files("#f-papers-residence_proof", str(photo))
    page.click("#f-papers-residence_proof-upload")
    assert "giay-to.jpg" in page.inner_text("#f-papers-residence_proof-files"), "named by its content"
    page.click("#papers-continue")
    page.click("#submit-dossier")
    page.wait_for_url(re.compile(r".*/da-nop/.*"))
    assert page.inner_text("#dossier-code").startswith("H29.12.3-")


def demo_actor(portal: Portal, username: str) -> Actor:
    """The actor a demo user's sign-in gives (the same claims as the development sign-in)."""
    return actor_from_claims(DevIdentity(portal.container.settings).demo_claims(username))


def test_the_citizen_answers_a_supplement_request_item_by_item(
    sign_in: SignIn, portal: Portal, tmp_path: Path
) -> None:
    c = portal.container
    citizen = demo_actor(portal, AN)
    code = file_verified(
        c.services, c.transaction, citizen, FileDossier(**residence_filing()), lambda _u, d: d.code
    )
    asked = {
        "decision": "supplement",
        "note": "Thiếu giấy tờ",
        "missing_papers": [
            {"paper": "Hợp đồng thuê nhà có công chứng", "reason": "Bản đã nộp hết hiệu lực"},
            {"paper": "Ý kiến đồng ý của chủ hộ", "reason": "Chưa có chữ ký"},
        ],
    }
    with c.transaction() as uow:
        receive(c.services, uow, demo_actor(portal, "motcua.badinh"), code, asked)
    photo = tmp_path / "hop-dong.jpg"
    photo.write_bytes(jpeg())
    page = sign_in(AN)

    page.goto(portal.at(f"/ho-so/{code}/bo-sung"))
    assert "Bản đã nộp hết hiệu lực" in page.inner_text("main")
    page.click("#send-supplement")
    assert "Vui lòng trả lời hoặc tải tệp lên cho mục 2 «Ý kiến đồng ý của chủ hộ»" in page.inner_text(
        ".govuk-error-summary"
    )
    look(page, "supplement-error")
    page.set_input_files("#f-items-0-files", str(photo))
    key_type(page, "f-items-1-text", "Chủ hộ đã ký, nộp bản gốc tại Bộ phận Một cửa")
    look(page, "supplement")
    key_press(page, "send-supplement")
    page.wait_for_url(re.compile(rf".*/ho-so/{re.escape(code)}$"))

    with c.transaction() as uow:
        detail = dossier_detail(c.services, uow, citizen, code)
    assert detail["status"]["code"] != 5, "no longer waiting for the citizen"
    assert detail["timeline"][-1]["from"] == 5

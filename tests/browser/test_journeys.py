"""Whole journeys in Chromium, each person signing in and doing their part in the pages (no API calls).

1. Permanent residence, online: the citizen files with an upload → the officer asks for a supplement → the
   citizen supplements, which completes the reception → the receipt PDF is read back → the specialist
   proposes → the leader approves → the officer returns → the citizen downloads the result and reads the
   deadline.
2. Birth registration at the counter, finished the same day: accepted from the checklist, receipt printed.
Every page reached is checked with axe, at 360 px, and screenshotted (`look`).
"""

from __future__ import annotations

import re
from pathlib import Path

from tests.browser.conftest import Portal, SignIn, look
from tests.browser.flows import at, file_residence_online, pdf_of
from tests.upload_builders import jpeg

CITIZEN, OFFICER, SPECIALIST, LEADER = "nguyenvanan", "motcua.badinh", "chuyenvien.badinh", "lanhdao.badinh"


def test_permanent_residence_from_filing_to_return(sign_in: SignIn, portal: Portal, tmp_path: Path) -> None:
    photo = tmp_path / "so-do.jpg"
    photo.write_bytes(jpeg())
    at(portal, "2026-03-02T08:40")
    citizen = sign_in(CITIZEN)
    code = file_residence_online(citizen, portal.url, photo)

    # The officer finds it in the queue and asks, once and completely, for the missing paper.
    at(portal, "2026-03-02T09:30")
    officer = sign_in(OFFICER)
    officer.goto(portal.at("/mot-cua"))
    look(officer, "journey-counter-queue")
    officer.click(f"text={code}")
    officer.check('[name="checklist.ct01.received"][value="original"]')
    officer.check('[name="checklist.residence_proof.received"][value="missing"]')
    officer.fill('[name="checklist.residence_proof.note"]', "Ảnh chụp không rõ, cần bản sao có chứng thực")
    officer.check('[name="checklist.owner_consent.received"][value="missing"]')
    officer.click("#supplement")
    look(officer, "journey-counter-supplement")

    # The citizen sees what is asked and answers it with a new file.
    at(portal, "2026-03-03T10:00")
    citizen.goto(portal.at(f"/ho-so/{code}"))
    assert "Yêu cầu bổ sung" in citizen.inner_text("#status")
    citizen.click("#supplement")
    assert "Ảnh chụp không rõ, cần bản sao có chứng thực" in citizen.inner_text("main")
    citizen.set_input_files("#f-items-0-files", str(photo))
    look(citizen, "journey-supplement")
    citizen.click("#send-supplement")
    citizen.wait_for_url(re.compile(rf".*/ho-so/{re.escape(code)}$"))

    # The complete dossier is received (MotCua's reception: the officer's one supplement request was the
    # reception decision, the supplemented dossier starts the clock); the officer prints the receipt (Mẫu 01).
    at(portal, "2026-03-03T14:00")
    officer.goto(portal.at(f"/mot-cua/{code}"))
    assert "Đang xử lý" in officer.inner_text("main")
    look(officer, "journey-counter-received")
    receipt_link = officer.locator("#documents a", has_text="tiếp nhận").first
    receipt = pdf_of(officer, receipt_link.get_attribute("href") or "")
    assert "GIẤY TIẾP NHẬN HỒ SƠ VÀ HẸN TRẢ KẾT QUẢ" in receipt.upper()
    assert code in receipt
    assert "Nguyễn Văn An" in receipt

    # The specialist appraises from the work list and proposes approval.
    at(portal, "2026-03-04T09:00")
    specialist = sign_in(SPECIALIST)
    specialist.goto(portal.at("/cong-viec"))
    look(specialist, "journey-work-list")
    specialist.click(f"text={code}")
    specialist.check("input[name='form.decision'][value='propose_approve']")
    specialist.fill(
        "textarea[name='form.opinion']", "Đủ điều kiện đăng ký thường trú theo Điều 20 Luật Cư trú"
    )
    look(specialist, "journey-appraisal")
    specialist.click("#submit-task")
    assert code in specialist.inner_text("#done")

    # The leader approves.
    at(portal, "2026-03-05T10:00")
    leader = sign_in(LEADER)
    leader.goto(portal.at("/cong-viec"))
    leader.click(f"text={code}")
    assert "Đủ điều kiện đăng ký thường trú" in leader.inner_text("#opinions")
    leader.check("input[name='form.decision'][value='approve']")
    look(leader, "journey-approval")
    leader.click("#submit-task")
    assert code in leader.inner_text("#done")

    # The officer returns the result at the counter.
    at(portal, "2026-03-05T15:00")
    officer.goto(portal.at("/mot-cua/tra-ket-qua"))
    officer.click(f'tr[data-code="{code}"] button[value="counter"]')
    assert "Đã trả kết quả" in officer.inner_text("#done")

    # The citizen reads the outcome, the deadline explained, and downloads the result.
    at(portal, "2026-03-06T08:00")
    citizen.goto(portal.at(f"/ho-so/{code}"))
    assert "Đã trả kết quả" in citizen.inner_text("#status")
    deadline = citizen.inner_text("#deadline ~ dl")
    assert "10:00 03/03/2026" in deadline  # the clock starts when the complete dossier came back
    assert "07/03/2026 — Thứ Bảy" in deadline  # each skipped day by name
    assert "08/03/2026 — Chủ nhật" in deadline
    assert "10:00 12/03/2026 — Trước hạn" in deadline  # 7 working days; finished early
    look(citizen, "journey-returned")
    links = citizen.locator("#documents ~ ul a")
    titles = [links.nth(i).inner_text() for i in range(links.count())]
    result = next(i for i, t in enumerate(titles) if "thường trú" in t.lower() or "kết quả" in t.lower())
    text = pdf_of(citizen, links.nth(result).get_attribute("href") or "")
    assert code in text


def test_a_birth_registered_at_the_counter_is_finished_the_same_day(sign_in: SignIn, portal: Portal) -> None:
    at(portal, "2026-03-09T09:00")
    officer = sign_in(OFFICER)
    officer.goto(portal.at("/mot-cua/nop-truc-tiep"))
    officer.select_option("#f-procedure", "1.001193")
    officer.fill("#f-identity_number", "001092034519")
    officer.click("#lookup")
    assert officer.input_value("#f-form-declarant-full_name") == "Lê Quang Huy"
    typed = {
        "applicant.phone": "0987654321",
        "form.child.full_name": "Lê Minh Anh",
        "form.child.date_of_birth": "20/02/2026",
        "form.child.place_of_birth": "Bệnh viện Phụ sản Hà Nội, phường Láng, thành phố Hà Nội",
        "form.child.ethnicity": "Kinh",
        "form.child.nationality": "Việt Nam",
        "form.mother.full_name": "Phạm Thu Hà",
        "form.mother.date_of_birth": "19/07/1994",
        "form.mother.identity_number": "001194012876",
        "form.mother.ethnicity": "Kinh",
        "form.mother.nationality": "Việt Nam",
        "form.mother.residence": "Số 8 ngõ 15 phố Chùa Láng, phường Láng, thành phố Hà Nội",
        "form.declarant.relation_to_child": "Cha",
        "form.declarant.phone": "0987654321",
    }
    for name, value in typed.items():
        officer.fill(f'[name="{name}"]', value)
    officer.check('[name="form.child.sex"][value="Nữ"]')
    officer.check('[name="checklist.declaration.received"][value="original"]')
    officer.check('[name="checklist.birth_certificate.received"][value="original"]')
    officer.check('[name="checklist.applicant_id.received"][value="photocopy"]')
    officer.click("#file")
    assert "Đã tiếp nhận hồ sơ" in officer.inner_text("#done")
    code = officer.url.split("/mot-cua/")[1].split("?")[0]
    receipt = pdf_of(officer, officer.get_attribute("#print-receipt", "href") or "")
    assert "17:00" in receipt  # appointment: the same day's closing time

    at(portal, "2026-03-09T10:00")
    specialist = sign_in(SPECIALIST)
    specialist.goto(portal.at("/cong-viec"))
    specialist.click(f"text={code}")
    specialist.check("input[name='form.decision'][value='propose_approve']")
    specialist.fill("textarea[name='form.opinion']", "Hồ sơ đầy đủ, đề nghị đăng ký khai sinh")
    specialist.click("#submit-task")
    assert code in specialist.inner_text("#done")

    at(portal, "2026-03-09T11:00")
    leader = sign_in(LEADER)
    leader.goto(portal.at("/cong-viec"))
    leader.click(f"text={code}")
    leader.check("input[name='form.decision'][value='approve']")
    leader.click("#submit-task")
    assert code in leader.inner_text("#done")

    at(portal, "2026-03-09T15:30")
    officer.goto(portal.at("/mot-cua/tra-ket-qua"))
    officer.click(f'tr[data-code="{code}"] button[value="counter"]')
    assert "Đã trả kết quả" in officer.inner_text("#done")
    officer.goto(portal.at(f"/ho-so/{code}"))
    assert "Đã trả kết quả" in officer.inner_text("#status")
    assert "Trước hạn" in officer.inner_text("main") or "Đúng hạn" in officer.inner_text("main")
    look(officer, "journey-birth-returned")

"""Ratings and open data in a real browser: the applicant rates online, the citizen rates on the counter
tablet, the supervisor reads both, anyone downloads the open data; axe and 1280/360 px screenshots."""

from __future__ import annotations

import httpx

from portal.auth import DevIdentity
from tests.browser.conftest import Portal, SignIn, look
from tests.browser.test_work import received_dossier
from tests.builders import APPROVE, LEADER, OFFICER, PROPOSE_APPROVE, SPECIALIST


def _call(portal: Portal, user: str, method: str, path: str, body: object = None) -> dict[str, object]:
    token = DevIdentity(portal.container.settings).issue_demo(user)
    response = httpx.request(
        method, portal.at(f"/api/v1{path}"), json=body, headers={"Authorization": f"Bearer {token}"}
    )
    assert response.is_success, response.text
    result: dict[str, object] = response.json()
    return result


def _step(portal: Portal, code: str, step: str, user: str, data: dict[str, object]) -> None:
    tasks = _call(portal, OFFICER, "GET", f"/dossiers/{code}")["tasks"]
    assert isinstance(tasks, list)
    [task] = [t for t in tasks if t["step"] == step]
    _call(portal, user, "POST", f"/tasks/{task['id']}/complete", {"data": data})


def returned_dossier(portal: Portal) -> str:
    """A residence dossier received, approved and returned at the counter (status 10)."""
    code = received_dossier(portal)
    _step(portal, code, "appraisal", SPECIALIST, PROPOSE_APPROVE)
    _step(portal, code, "approval", LEADER, APPROVE)
    _step(portal, code, "return", OFFICER, {"method": "counter", "note": "Nhận trực tiếp"})
    return code


def test_rating_online_and_at_the_counter_then_the_supervisor_and_the_open_data(
    sign_in: SignIn, portal: Portal
) -> None:
    online, counter = returned_dossier(portal), returned_dossier(portal)

    citizen = sign_in("nguyenvanan")
    citizen.goto(portal.at(f"/ho-so/{online}"))
    citizen.click("#rate")
    assert citizen.inner_text("h1") == "Đánh giá mức độ hài lòng"
    assert "Điền sẵn từ hồ sơ" in citizen.inner_text("#rating-form")
    assert citizen.is_checked("input[name='indicator_3'][value='2']")  # no supplement asked
    look(citizen, "rating-citizen")
    citizen.click("#send-rating")  # nothing chosen yet: the error sits next to the question
    assert "Hãy chọn mức độ hài lòng chung" in citizen.inner_text(".govuk-error-summary")
    look(citizen, "rating-citizen-errors")
    citizen.click(".govuk-error-summary a[href='#f-overall']")
    citizen.check("#f-overall-2")  # Hài lòng
    citizen.check("input[name='indicator_7'][value='2']")
    citizen.fill("#f-comment", "Cán bộ hướng dẫn rất nhiệt tình")
    citizen.click("#send-rating")
    assert "Cảm ơn bạn đã đánh giá" in citizen.inner_text("#thanks")
    assert citizen.inner_text("#rated-overall") == "Hài lòng"
    look(citizen, "rating-citizen-done")

    officer = sign_in(OFFICER)
    officer.goto(portal.at(f"/mot-cua/{counter}"))
    officer.click("#counter-rate")
    look(officer, "rating-counter")
    box = officer.locator("#f-overall").locator("xpath=..").bounding_box()
    assert box is not None
    assert box["height"] >= 56  # a touch target a finger hits
    officer.click("label[for='f-overall']")  # Rất hài lòng
    officer.click("#send-rating")
    assert officer.is_visible("#hand-back")

    supervisor = sign_in("giamsat.badinh")
    supervisor.goto(portal.at("/giam-sat"))
    supervisor.click("#ratings-link a")
    assert supervisor.inner_text("h1") == "Mức độ hài lòng của người dân"
    assert supervisor.inner_text("#rating-count") == "2"
    assert supervisor.inner_text("#satisfied-share") == "100,0\u00a0%"
    assert "Cán bộ hướng dẫn rất nhiệt tình" in supervisor.inner_text("#latest")
    assert "Lê Thu Hà" in supervisor.inner_text("#officers")
    look(supervisor, "rating-supervise")

    visitor = sign_in()
    visitor.goto(portal.at("/du-lieu-mo"))
    assert visitor.inner_text("h1") == "Dữ liệu mở"
    look(visitor, "open-data")
    with visitor.expect_download() as download:
        visitor.click("a[href^='/du-lieu-mo/ty-le-dung-han.csv']")
    text = download.value.path().read_bytes().decode("utf-8-sig")
    assert text.splitlines()[0].startswith("Tháng,Mã cơ quan,Tên cơ quan,Phải giải quyết")
    assert "Nguyễn Văn An" not in text

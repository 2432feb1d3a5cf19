"""Specialists and leaders in a real browser: the work list, a task, the decisions, the apology — with axe."""

from __future__ import annotations

from datetime import datetime

import httpx

from engine.watch import run_watch
from portal.auth import DevIdentity
from tests.browser.conftest import Portal, SignIn, look
from tests.builders import ACCEPT, OFFICER, SPECIALIST, residence_filing

LEADER = "lanhdao.badinh"


def api(portal: Portal, user: str, path: str, body: dict[str, object]) -> dict[str, object]:
    """POST to the live portal's API as a demo user (the dossiers the pages then show)."""
    token = DevIdentity(portal.container.settings).issue_demo(user)
    response = httpx.post(
        portal.at(f"/api/v1{path}"), json=body, headers={"Authorization": f"Bearer {token}"}
    )
    assert response.is_success, response.text
    result: dict[str, object] = response.json()
    return result


def received_dossier(portal: Portal) -> str:
    """An online residence dossier filed by Nguyễn Văn An and accepted by the one-stop officer."""
    code = str(api(portal, "nguyenvanan", "/dossiers", residence_filing())["code"])
    api(portal, OFFICER, f"/dossiers/{code}/receive", ACCEPT)
    return code


def test_the_specialist_proposes_and_the_leader_approves(sign_in: SignIn, portal: Portal) -> None:
    code = received_dossier(portal)
    page = sign_in(SPECIALIST)
    page.goto(portal.at("/cong-viec"))
    look(page, "work-list")
    page.click(f"text={code}")
    assert "Thẩm định hồ sơ" in page.inner_text("h1")
    missing = page.locator("[data-show-when='form.decision=supplement']").first
    missing.wait_for(state="hidden")  # revealed only for a supplement, once the small script runs
    page.check("input[name='form.decision'][value='supplement']")
    assert missing.is_visible()
    look(page, "work-task-supplement")
    page.check("input[name='form.decision'][value='propose_approve']")
    assert missing.is_hidden()
    page.fill("textarea[name='form.opinion']", "Đủ điều kiện đăng ký thường trú")
    page.click("#submit-task")
    assert code in page.inner_text("#done")
    look(page, "work-list-done")

    leader = sign_in(LEADER)
    leader.goto(portal.at("/cong-viec"))
    leader.click(f"text={code}")
    assert "Đủ điều kiện đăng ký thường trú" in leader.inner_text("#opinions")
    leader.check("input[name='form.decision'][value='refuse']")
    leader.click("#submit-task")
    assert "Có lỗi cần sửa" in leader.inner_text(".govuk-error-summary")
    look(leader, "work-approval-error")
    leader.check("input[name='form.decision'][value='approve']")
    leader.click("#submit-task")
    assert code in leader.inner_text("#done")


def test_without_javascript_every_section_of_the_form_is_on_the_page(sign_in: SignIn, portal: Portal) -> None:
    code = received_dossier(portal)
    page = sign_in(SPECIALIST, javascript=False)
    page.goto(portal.at("/cong-viec"))
    page.click(f"text={code}")
    assert page.locator("[data-show-when='form.decision=supplement']").first.is_visible()
    page.check("input[name='form.decision'][value='supplement']")
    page.fill("textarea[name='form.opinion']", "Thiếu giấy tờ chứng minh chỗ ở hợp pháp")
    page.fill("input[name='form.missing_papers.0.paper']", "Hợp đồng thuê nhà có công chứng")
    page.fill("input[name='form.missing_papers.0.reason']", "Bản đã nộp hết hiệu lực")
    page.click("#submit-task")
    assert code in page.inner_text("#done")


def test_the_leader_sees_the_apology_form(sign_in: SignIn, portal: Portal) -> None:
    code = received_dossier(portal)
    leader = sign_in(LEADER)
    token = DevIdentity(portal.container.settings).issue_demo(SPECIALIST)
    tasks = httpx.get(portal.at("/api/v1/tasks"), headers={"Authorization": f"Bearer {token}"}).json()
    task_id = next(t["id"] for t in tasks if t["dossier"]["code"] == code)
    api(
        portal,
        SPECIALIST,
        f"/tasks/{task_id}/complete",
        {"data": {"decision": "propose_approve", "opinion": "Đạt"}},
    )
    leader.goto(portal.at("/cong-viec"))
    leader.click(f"text={code}")
    assert leader.locator("#apology-form").is_visible()
    look(leader, "work-approval")


def test_overdue_and_near_due_dossiers_come_first_and_are_marked(sign_in: SignIn, portal: Portal) -> None:
    received_dossier(portal)
    before = portal.clock.now()
    try:
        portal.clock.set(
            datetime.fromisoformat("2026-03-11T10:00:00+07:00")
        )  # the dossiers above are overdue
        fresh = received_dossier(portal)
        run_watch(portal.container.engine, portal.container.services)
        page = sign_in(SPECIALIST)
        page.goto(portal.at("/cong-viec"))
        states = page.eval_on_selector_all("tr[data-state]", "rows => rows.map(r => r.dataset.state)")
        assert states[0] == "overdue"
        assert states[-1] == "on_track"
        assert fresh in page.inner_text("tr[data-state='on_track'] >> nth=-1")
        look(page, "work-list-overdue")
        page.select_option("#f-trang-thai", "overdue")  # htmx replaces the results in place
        page.wait_for_function("() => !document.querySelector(\"tr[data-state='on_track']\")")
        assert "trang-thai=overdue" in page.url
    finally:
        portal.clock.set(before)

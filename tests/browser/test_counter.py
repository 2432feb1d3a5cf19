"""The one-stop counter in a real browser: queue, reception with the checklist, counter filing, results."""

from __future__ import annotations

from engine.actor import Actor, Role
from engine.usecases.dossiers import FileDossier
from engine.usecases.residents import file_verified
from engine.usecases.tasks import complete, list_tasks
from portal.auth import DevIdentity
from tests.browser.conftest import Portal, SignIn, look
from tests.builders import residence_filing

AN = Actor(
    subject="dev:nguyenvanan",
    username="nguyenvanan",
    roles=frozenset({Role.CITIZEN}),
    identity_number="001088012345",
    full_name="Nguyễn Văn An",
)


def filed_online(portal: Portal) -> str:
    """An online residence dossier of Nguyễn Văn An, waiting for reception."""
    body = residence_filing()
    cmd = FileDossier(
        body["procedure"], body["agency"], "online", body["applicant"], body["form"], body["papers"]
    )
    code: str = file_verified(
        portal.container.services, portal.container.transaction, AN, cmd, lambda _uow, d: d.code
    )
    return code


def decided(portal: Portal, code: str) -> None:
    """The specialist proposes and the leader approves: the result waits at the counter (status 9)."""
    identity = DevIdentity(portal.container.settings)
    for username, step, data in (
        ("chuyenvien.badinh", "appraisal", {"decision": "propose_approve", "opinion": "Đủ điều kiện"}),
        ("lanhdao.badinh", "approval", {"decision": "approve"}),
    ):
        actor = identity.verify(identity.issue_demo(username))
        with portal.container.transaction() as uow:
            task = next(t for t in list_tasks(uow, actor) if t.dossier.code == code and t.task.step == step)
            complete(portal.container.services, uow, actor, task.task.id, data)


def test_an_officer_receives_an_online_dossier_from_the_checklist(sign_in: SignIn, portal: Portal) -> None:
    code = filed_online(portal)
    page = sign_in("motcua.badinh")

    page.goto(portal.at("/mot-cua"))
    look(page, "counter-queue")
    page.click(f"text={code}")
    assert code in page.inner_text("h1")
    look(page, "counter-dossier")

    page.click("#refuse")
    assert "lý do từ chối" in page.inner_text(".govuk-error-summary")
    look(page, "counter-dossier-error")

    page.check("#f-checklist-ct01-received")
    page.check("#f-checklist-residence_proof-received-2")
    page.check("#f-checklist-owner_consent-received-4")
    page.click("#accept")
    assert "Đã tiếp nhận hồ sơ" in page.inner_text("#done")
    assert page.locator("#print-receipt").count() == 1
    look(page, "counter-accepted")


BIRTH_TYPED = {
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


def test_counter_filing_and_results_pages(sign_in: SignIn, portal: Portal) -> None:
    page = sign_in("motcua.badinh")

    page.goto(portal.at("/mot-cua/nop-truc-tiep"))
    look(page, "counter-file-start")
    page.select_option("#f-procedure", "1.001193")
    page.fill("#f-identity_number", "001092034519")
    page.click("#lookup")
    assert page.input_value("#f-form-declarant-full_name") == "Lê Quang Huy"
    look(page, "counter-file-form")

    for name, value in BIRTH_TYPED.items():
        page.fill(f'[name="{name}"]', value)
    page.check('[name="form.child.sex"][value="Nữ"]')
    page.check('[name="checklist.declaration.received"][value="original"]')
    page.check('[name="checklist.birth_certificate.received"][value="original"]')
    page.check('[name="checklist.applicant_id.received"][value="photocopy"]')
    page.click("#file")
    assert "Đã tiếp nhận hồ sơ" in page.inner_text("#done")
    assert "Đang xử lý" in page.inner_text("#status")
    with page.expect_popup() as popup:
        page.click("#print-receipt")
    assert popup.value.url.startswith(portal.at("/mot-cua/van-ban/"))
    code = page.url.split("/mot-cua/")[1].split("?")[0]
    decided(portal, code)

    page.goto(portal.at("/mot-cua/tra-ket-qua"))
    look(page, "counter-results")
    page.click(f'tr[data-code="{code}"] button[value="counter"]')
    assert "Đã trả kết quả" in page.inner_text("#done")
    assert page.locator(f'tr[data-code="{code}"]').count() == 0

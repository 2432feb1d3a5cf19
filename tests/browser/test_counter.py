"""The one-stop counter in a real browser: queue, reception with the checklist, counter filing, results."""

from __future__ import annotations

from engine.actor import Actor, Role
from engine.usecases.dossiers import FileDossier
from engine.usecases.residents import file_verified
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


def test_counter_filing_and_results_pages(sign_in: SignIn, portal: Portal) -> None:
    page = sign_in("motcua.badinh")

    page.goto(portal.at("/mot-cua/nop-truc-tiep"))
    look(page, "counter-file-start")
    page.select_option("#f-procedure", "1.001193")
    page.fill("#f-identity_number", "001092034519")
    page.click("#lookup")
    assert page.input_value("#f-form-declarant-full_name") == "Lê Quang Huy"
    look(page, "counter-file-form")

    page.goto(portal.at("/mot-cua/tra-ket-qua"))
    look(page, "counter-results")

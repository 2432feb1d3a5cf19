"""Filing drafts: kept per verified identity, capped, saved at every step, filed once and then gone."""

from __future__ import annotations

import threading
from datetime import timedelta
from typing import Any

import pytest
from sqlmodel import select

from engine.actor import Actor, Role
from engine.clock import FixedClock
from engine.errors import Conflict, Forbidden, InvalidInput, NotFound
from engine.store.models import DossierRow, DraftRow
from engine.usecases import drafts
from engine.usecases.queries import dossier_detail
from engine.usecases.uploads import store_upload
from portal.wiring import Container
from tests.builders import BA_DINH, BIRTH, RESIDENCE, residence_form
from tests.upload_builders import pdf

AN = Actor("dev:nguyenvanan", "nguyenvanan", frozenset({Role.CITIZEN}), None, "001088012345", "Nguyễn Văn An")
# The same person signed in through another identity provider: another subject, the same identity number.
AN_VNEID = Actor("vneid:123", "an.vneid", frozenset({Role.CITIZEN}), None, "001088012345", "Nguyễn Văn An")
BINH = Actor(
    "dev:tranthibinh", "tranthibinh", frozenset({Role.CITIZEN}), None, "001192004567", "Trần Thị Bình"
)
NO_NUMBER = Actor("dev:guest", "guest", frozenset({Role.CITIZEN}))
OFFICER = Actor("dev:motcua.badinh", "motcua.badinh", frozenset({Role.OFFICER}), BA_DINH)


def started(c: Container, actor: Actor = AN, procedure: str = RESIDENCE) -> str:
    """A new draft's id."""
    with c.transaction() as uow:
        return drafts.start_draft(c.services, uow, actor, procedure, BA_DINH).id


def save(c: Container, draft_id: str, actor: Actor = AN, **changes: Any) -> DraftRow:
    """Save changes to a draft in one unit of work."""
    with c.transaction() as uow:
        return drafts.save_draft(c.services, uow, actor, draft_id, **changes)


def upload(c: Container, actor: Actor = AN) -> str:
    """A PDF uploaded by `actor`; its id."""
    with c.transaction() as uow:
        return store_upload(c.services, uow, actor, "giay-to.pdf", pdf()).id


def file(c: Container, draft_id: str, actor: Actor = AN) -> dict[str, Any]:
    """File the draft; the dossier's detail."""
    return drafts.file_draft(
        c.services,
        c.transaction,
        actor,
        draft_id,
        lambda uow, d: dossier_detail(c.services, uow, actor, d.code),
    )


class TestOwnership:
    def test_only_the_owner_reads_it(self, container: Container) -> None:
        draft_id = started(container)

        with container.transaction() as uow:
            assert drafts.get_draft(uow, AN, draft_id).procedure_code == RESIDENCE
            with pytest.raises(NotFound):
                drafts.get_draft(uow, BINH, draft_id)
            assert drafts.list_drafts(uow, BINH) == []
            assert drafts.list_drafts(uow, OFFICER) == []

    def test_the_same_person_through_another_account_finds_it(self, container: Container) -> None:
        draft_id = started(container)

        with container.transaction() as uow:
            assert [d.id for d in drafts.list_drafts(uow, AN_VNEID)] == [draft_id]

    def test_an_account_without_identity_number_keeps_its_own_by_subject(self, container: Container) -> None:
        draft_id = started(container, NO_NUMBER)

        with container.transaction() as uow:
            assert [d.id for d in drafts.list_drafts(uow, NO_NUMBER)] == [draft_id]
            assert drafts.list_drafts(uow, AN) == []

    def test_another_citizen_can_neither_save_file_nor_delete_it(self, container: Container) -> None:
        draft_id = started(container)

        with pytest.raises(NotFound):
            save(container, draft_id, BINH, form={"reason": "Chiếm hồ sơ"})
        with pytest.raises(NotFound):
            file(container, draft_id, BINH)
        with pytest.raises(NotFound), container.transaction() as uow:
            drafts.delete_draft(uow, BINH, draft_id)
        with container.transaction() as uow:
            assert drafts.get_draft(uow, AN, draft_id).form == {}

    def test_staff_do_not_keep_drafts(self, container: Container) -> None:
        with pytest.raises(Forbidden), container.transaction() as uow:
            drafts.start_draft(container.services, uow, OFFICER, RESIDENCE)


class TestSaving:
    def test_each_step_is_kept_and_the_list_shows_the_latest_first(
        self, container: Container, clock: FixedClock
    ) -> None:
        older, newer = started(container), started(container, procedure=BIRTH)
        clock.advance(timedelta(minutes=5))

        save(container, older, form={"reason": "Về ở với bố mẹ"}, last_step="noi-dung")

        with container.transaction() as uow:
            listed = drafts.list_drafts(uow, AN)
        assert [d.id for d in listed] == [older, newer]
        assert listed[0].form == {"reason": "Về ở với bố mẹ"}
        assert listed[0].last_step == "noi-dung"

    def test_a_text_over_the_limit_is_refused_and_nothing_changes(self, container: Container) -> None:
        draft_id = started(container)

        with pytest.raises(InvalidInput) as caught:
            save(container, draft_id, form={"reason": "x" * (drafts.TEXT_LIMIT + 1)})

        assert "form.reason" in caught.value.fields
        with container.transaction() as uow:
            assert drafts.get_draft(uow, AN, draft_id).form == {}

    def test_papers_take_only_the_owners_uploads_of_listed_papers(self, container: Container) -> None:
        draft_id = started(container)
        mine, theirs = upload(container), upload(container, BINH)

        assert save(container, draft_id, papers={"residence_proof": [mine]}).papers == {
            "residence_proof": [mine]
        }
        with pytest.raises(InvalidInput) as caught:
            save(container, draft_id, papers={"residence_proof": [theirs], "passport": [mine]})
        assert set(caught.value.fields) == {"papers.residence_proof", "papers.passport"}

    def test_an_unknown_agency_is_a_field_error(self, container: Container) -> None:
        draft_id = started(container)

        with pytest.raises(InvalidInput) as caught:
            save(container, draft_id, agency="H99.99")

        assert "agency" in caught.value.fields


class TestCap:
    def test_the_twenty_first_draft_is_refused(self, container: Container) -> None:
        for _ in range(drafts.DRAFT_CAP):
            started(container)

        with pytest.raises(Conflict) as caught:
            started(container)

        assert caught.value.code == "DraftLimit"
        assert started(container, BINH), "the cap is per owner"


class TestFiling:
    def test_filing_a_complete_draft_files_the_dossier_and_deletes_the_draft(
        self, container: Container
    ) -> None:
        draft_id = started(container)
        proof = upload(container)
        save(container, draft_id, form=residence_form(), papers={"residence_proof": [proof]})

        detail = file(container, draft_id)

        assert detail["status"]["code"] == 1
        assert detail["applicant"]["identity_number"] == "001088012345"
        assert {p["key"]: p.get("uploads") for p in detail["papers"]} == {"residence_proof": [proof]}
        with container.transaction() as uow:
            assert drafts.list_drafts(uow, AN) == []
            assert uow.session.get(DraftRow, draft_id) is None

    def test_a_draft_is_filed_only_once(self, container: Container) -> None:
        draft_id = started(container)
        save(container, draft_id, form=residence_form())
        file(container, draft_id)

        with pytest.raises(NotFound):
            file(container, draft_id)

        with container.transaction() as uow:
            assert len(uow.session.exec(select(DossierRow)).all()) == 1

    def test_a_double_click_on_file_files_one_dossier(self, container: Container) -> None:
        draft_id = started(container)
        save(container, draft_id, form=residence_form())
        barrier = threading.Barrier(2)
        outcomes: list[str] = []

        def press() -> None:
            barrier.wait()
            try:
                outcomes.append(file(container, draft_id)["code"])
            except NotFound:
                outcomes.append("not found")

        threads = [threading.Thread(target=press) for _ in range(2)]
        for thread in threads:
            thread.start()
        for thread in threads:
            thread.join(timeout=60)

        assert sorted(o == "not found" for o in outcomes) == [False, True]
        with container.transaction() as uow:
            assert len(uow.session.exec(select(DossierRow)).all()) == 1

    def test_an_incomplete_draft_is_refused_with_field_errors_and_kept(self, container: Container) -> None:
        draft_id = started(container)
        form = residence_form()
        del form["reason"]
        form["applicant"]["date_of_birth"] = "1988-02-31"
        save(container, draft_id, form=form)

        with pytest.raises(InvalidInput) as caught:
            file(container, draft_id)

        assert {"form.reason", "form.applicant.date_of_birth"} <= set(caught.value.fields)
        with container.transaction() as uow:
            assert drafts.get_draft(uow, AN, draft_id).form == form
            assert uow.session.exec(select(DossierRow)).all() == []

    def test_an_applicant_error_is_named_on_the_forms_filer_section(self, container: Container) -> None:
        draft_id = started(container)
        form = residence_form()
        form["applicant"]["identity_number"] = "001192004567"  # someone else's number
        form["applicant"]["date_of_birth"], form["applicant"]["sex"] = "1992-08-25", "Nữ"
        save(container, draft_id, form=form)

        with pytest.raises(InvalidInput) as caught:
            file(container, draft_id)

        assert "form.applicant.identity_number" in caught.value.fields
        assert "trùng với tài khoản" in caught.value.fields["form.applicant.identity_number"].message


class TestBeginFiling:
    def test_the_draft_starts_prefilled_and_the_registry_values_are_marked(
        self, container: Container
    ) -> None:
        draft_id, problem = drafts.begin_filing(container.services, container.transaction, AN, RESIDENCE)

        assert problem is None
        with container.transaction() as uow:
            draft = drafts.get_draft(uow, AN, draft_id)
        assert draft.form["applicant"]["identity_number"] == "001088012345"
        assert draft.form["applicant"]["full_name"] == "Nguyễn Văn An"
        assert "applicant.full_name" in drafts.registry_marks(draft)

    def test_a_changed_value_is_no_longer_marked_as_the_registrys(self, container: Container) -> None:
        draft_id, _ = drafts.begin_filing(container.services, container.transaction, AN, RESIDENCE)
        with container.transaction() as uow:
            form = drafts.get_draft(uow, AN, draft_id).form
        form["applicant"]["full_name"] = "Nguyễn Văn Ân"

        draft = save(container, draft_id, form=form)

        assert "applicant.full_name" not in drafts.registry_marks(draft)
        assert "applicant.identity_number" in drafts.registry_marks(draft)

    def test_without_an_identity_number_the_draft_starts_empty(self, container: Container) -> None:
        draft_id, problem = drafts.begin_filing(
            container.services, container.transaction, NO_NUMBER, RESIDENCE
        )

        assert problem is not None
        assert "định danh" in problem.message
        with container.transaction() as uow:
            assert drafts.get_draft(uow, NO_NUMBER, draft_id).form == {}


class TestSavingAStep:
    def test_the_answers_are_kept_and_only_that_sections_errors_are_returned(
        self, container: Container
    ) -> None:
        draft_id = started(container)
        form = {"applicant": {"full_name": "Nguyễn Văn An", "date_of_birth": "2099-01-01"}}

        with container.transaction() as uow:
            draft, errors = drafts.save_step(
                container.services, uow, AN, draft_id, form=form, properties=["applicant"], step="buoc-1"
            )

        assert "applicant.date_of_birth" in errors, "a birth date in the future is refused"
        assert "applicant.phone" in errors, "a required answer left out is named"
        assert not any(key.startswith("reason") for key in errors), "other sections wait for their turn"
        with container.transaction() as uow:
            kept = drafts.get_draft(uow, AN, draft_id)
        assert kept.form == form
        assert kept.last_step == "buoc-1"

    def test_a_complete_section_has_no_errors(self, container: Container) -> None:
        draft_id = started(container)

        with container.transaction() as uow:
            _, errors = drafts.save_step(
                container.services,
                uow,
                AN,
                draft_id,
                form={"reason": "Về ở với bố mẹ"},
                properties=["reason"],
                step="buoc-3",
            )

        assert errors == {}

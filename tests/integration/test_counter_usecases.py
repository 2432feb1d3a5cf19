"""The one-stop counter's use cases (engine/usecases/counter.py) on a real database, both backends."""

from __future__ import annotations

from typing import Any

import pytest
from sqlalchemy import text
from sqlmodel import col, select

from engine.actor import Actor
from engine.dossier.checklist import CERTIFIED_COPY, MISSING, ORIGINAL, PHOTOCOPY, PaperCheck
from engine.errors import Conflict, Forbidden, InvalidInput, NotFound
from engine.store.models import DocumentRow, DossierRow, ResidentLookupRow
from engine.usecases import counter
from engine.usecases.residents import prefill_at_counter
from portal.auth import DevIdentity
from portal.wiring import Container
from tests.builders import (
    AN,
    APPLICANT_BINH,
    APPROVE,
    BINH,
    BIRTH,
    HOAN_KIEM,
    LEADER,
    OFFICER,
    OFFICER_HK,
    PROPOSE_APPROVE,
    SPECIALIST,
    Api,
    birth_filing,
    ok,
    residence_filing,
    residence_form_of_binh,
)

COMPLETE_RESIDENCE = {
    "ct01": PaperCheck(ORIGINAL),
    "residence_proof": PaperCheck(CERTIFIED_COPY),
    "owner_consent": PaperCheck(MISSING),
}
COMPLETE_BIRTH = {
    "declaration": PaperCheck(ORIGINAL),
    "birth_certificate": PaperCheck(ORIGINAL),
    "applicant_id": PaperCheck(PHOTOCOPY),
}


def actor(container: Container, username: str) -> Actor:
    """The Actor of a demo user, as the portal would build it from their token."""
    identity = DevIdentity(container.settings)
    return identity.verify(identity.issue_demo(username))


class TestQueues:
    def test_only_the_agencys_new_dossiers_oldest_first_in_keyset_pages(
        self, api: Api, container: Container
    ) -> None:
        first = api.filed(AN)
        second = api.filed(AN)
        accepted = api.received()
        elsewhere = residence_filing(
            agency=HOAN_KIEM, applicant=APPLICANT_BINH, form=residence_form_of_binh()
        )
        third = api.filed(BINH, elsewhere)
        fourth = api.filed(AN)
        officer = actor(container, OFFICER)

        with container.transaction() as uow:
            page = counter.reception_queue(uow, officer, limit=2)
            codes = [r.dossier.code for r in page.rows]
            assert page.next_after is not None
            rest = counter.reception_queue(uow, officer, after=page.next_after, limit=2)

        assert codes == [first, second]
        assert [r.dossier.code for r in rest.rows] == [fourth]
        assert rest.next_after is None
        assert accepted not in codes
        assert third not in codes

    def test_each_row_says_what_the_registry_check_said(self, api: Api, container: Container) -> None:
        api.filed(AN)

        with container.transaction() as uow:
            (row,) = counter.reception_queue(uow, actor(container, OFFICER)).rows

        assert row.check.state == counter.MATCHED
        assert row.procedure_name == "Đăng ký thường trú"

    def test_the_queue_is_read_from_the_agency_status_index(self, container: Container) -> None:
        query = " ".join(
            (
                "SELECT * FROM dossier",
                "WHERE agency_code = 'H29.12.3' AND status = 1 AND id > 0",
                "ORDER BY id LIMIT 51",
            )
        )
        with container.engine.connect() as conn:
            if container.engine.dialect.name == "sqlite":
                detail = " ".join(str(row[-1]) for row in conn.execute(text("EXPLAIN QUERY PLAN " + query)))
                assert "TEMP B-TREE" not in detail
            else:
                # PostgreSQL's planner prefers a scan on tiny tables: ask what it would do on a large one.
                conn.execute(text("SET LOCAL enable_seqscan = off"))
                detail = " ".join(str(row[0]) for row in conn.execute(text("EXPLAIN " + query)))
                assert "Sort" not in detail
        assert "ix_dossier_agency_status_id" in detail

    def test_a_citizen_has_no_queue(self, container: Container) -> None:
        with container.transaction() as uow, pytest.raises(Forbidden):
            counter.reception_queue(uow, actor(container, AN))


def accept(container: Container, code: str, **overrides: Any) -> DossierRow:
    cmd = counter.Reception(**({"decision": "accept", "checklist": COMPLETE_RESIDENCE} | overrides))
    with container.transaction() as uow:
        dossier, _ = counter.receive_checked(container.services, uow, actor(container, OFFICER), code, cmd)
        return dossier


class TestReceiveChecked:
    def test_accept_receives_and_records_the_papers_as_checked(self, api: Api, container: Container) -> None:
        code = api.filed(AN)

        dossier = accept(container, code)

        assert dossier.status == 4
        assert [(p["key"], p["copies"]) for p in dossier.papers] == [
            ("ct01", "original"),
            ("residence_proof", "certified_copy"),
        ]
        with container.transaction() as uow:
            kinds = uow.session.exec(
                select(DocumentRow.kind)
                .where(DocumentRow.dossier_id == dossier.id)
                .order_by(col(DocumentRow.id))
            ).all()
        assert "mau-01" in kinds

    def test_a_form_built_on_an_older_version_is_stale(self, api: Api, container: Container) -> None:
        code = api.filed(AN)
        with container.transaction() as uow:
            seen = uow.session.exec(select(DossierRow).where(DossierRow.code == code)).one().version
        accept(container, code, version=seen)

        with pytest.raises(Conflict) as raised:
            accept(container, code, version=seen)

        assert raised.value.code == "StaleForm"
        assert "Đang xử lý" in raised.value.message

    def test_accept_with_a_missing_paper_changes_nothing(self, api: Api, container: Container) -> None:
        code = api.filed(AN)
        checklist = COMPLETE_RESIDENCE | {"ct01": PaperCheck(MISSING, "Chưa có tờ khai")}

        with pytest.raises(InvalidInput):
            accept(container, code, checklist=checklist)

        assert api.dossier(code)["status"]["code"] == 1

    def test_supplement_sends_exactly_the_deficient_papers(self, api: Api, container: Container) -> None:
        code = api.filed(AN)
        checklist = COMPLETE_RESIDENCE | {
            "ct01": PaperCheck(MISSING, "Chưa có tờ khai CT01"),
            "residence_proof": PaperCheck(PHOTOCOPY, "Bản sao chưa được chứng thực"),
        }
        cmd = counter.Reception(decision="supplement", checklist=checklist)

        with container.transaction() as uow:
            counter.receive_checked(container.services, uow, actor(container, OFFICER), code, cmd)

        detail = api.dossier(code)
        assert detail["status"]["code"] == 5
        assert [d["kind"] for d in detail["documents"]] == ["mau-02"]

    def test_another_agencys_officer_does_not_find_it(self, api: Api, container: Container) -> None:
        code = api.filed(AN)
        cmd = counter.Reception(decision="accept", checklist=COMPLETE_RESIDENCE)

        with container.transaction() as uow, pytest.raises(NotFound):
            counter.receive_checked(container.services, uow, actor(container, OFFICER_HK), code, cmd)


class TestCounterFiling:
    def test_a_birth_registration_is_received_at_once(self, container: Container) -> None:
        body = birth_filing()
        cmd = counter.CounterFiling(BIRTH, body["applicant"], body["form"], COMPLETE_BIRTH)

        code, status, papers = counter.file_at_counter(
            container.services,
            container.transaction,
            actor(container, OFFICER),
            cmd,
            lambda _uow, d: (d.code, d.status, d.papers),
        )

        assert code.startswith("H29.12.3-")
        assert status == 4
        assert [p["copies"] for p in papers] == ["original", "original", "photocopy"]

    def test_a_missing_paper_files_nothing(self, container: Container) -> None:
        body = birth_filing()
        checklist = COMPLETE_BIRTH | {"birth_certificate": PaperCheck(MISSING, "Chưa có giấy chứng sinh")}
        cmd = counter.CounterFiling(BIRTH, body["applicant"], body["form"], checklist)

        with pytest.raises(InvalidInput) as raised:
            counter.file_at_counter(
                container.services,
                container.transaction,
                actor(container, OFFICER),
                cmd,
                lambda _u, d: d.code,
            )

        assert set(raised.value.fields) == {"checklist.birth_certificate.received"}
        with container.transaction() as uow:
            assert uow.session.exec(select(DossierRow)).first() is None


class TestPrefillAtCounter:
    def test_the_walk_in_citizens_record_fills_the_form_and_the_lookup_is_audited(
        self, container: Container
    ) -> None:
        filled = prefill_at_counter(
            container.services, container.transaction, actor(container, OFFICER), BIRTH, "001092034519"
        )

        assert filled["form"]["declarant"]["full_name"] == "Lê Quang Huy"
        assert filled["applicant"]["full_name"] == "Lê Quang Huy"
        with container.transaction() as uow:
            audit = uow.session.exec(select(ResidentLookupRow)).all()
        assert [(a.subject_number, a.actor_agency, a.actor_role) for a in audit] == [
            ("001092034519", "H29.12.3", "officer")
        ]
        assert "Bộ phận Một cửa" in audit[0].purpose

    def test_a_malformed_number_is_not_looked_up(self, container: Container) -> None:
        with pytest.raises(InvalidInput):
            prefill_at_counter(
                container.services, container.transaction, actor(container, OFFICER), BIRTH, "12345"
            )

        with container.transaction() as uow:
            assert uow.session.exec(select(ResidentLookupRow)).first() is None

    def test_a_citizen_may_not_look_up_someone_at_the_counter(self, container: Container) -> None:
        with pytest.raises(Forbidden):
            prefill_at_counter(
                container.services, container.transaction, actor(container, AN), BIRTH, "001092034519"
            )


class TestReturn:
    def test_results_to_return_then_returned_at_the_counter(self, api: Api, container: Container) -> None:
        code = api.received()
        api.complete_step(code, "appraisal", SPECIALIST, PROPOSE_APPROVE)
        api.complete_step(code, "approval", LEADER, APPROVE)
        officer = actor(container, OFFICER)

        with container.transaction() as uow:
            (row,) = counter.results_queue(uow, officer).rows
            assert row.dossier.code == code
            assert row.task_id is not None
        with container.transaction() as uow:
            counter.return_result(container.services, uow, officer, code, {"method": "counter"})

        assert ok(api.get(f"/dossiers/{code}", OFFICER))["status"]["code"] == 10
        with container.transaction() as uow:
            assert counter.results_queue(uow, officer).rows == []

"""Resident-data lookups through the API, against the simulator over real HTTP: pre-fill, verified filing,
refused numbers, every fault mode leaving the dossier filed and flagged, the officer's check, the audit."""

from __future__ import annotations

import copy
import logging
import socket
from collections.abc import Callable
from dataclasses import replace
from typing import Any

import pytest

from engine.residents.registry import Resident
from integrations.residents.breaker import CircuitBreaker
from integrations.residents.client import ResidentsClient
from integrations.residents.population import Population
from integrations.residents.simulator import FaultMode, FaultRule, Simulator
from portal.auth import DevIdentity
from portal.wiring import Container
from tests.builders import (
    AN,
    BINH,
    OFFICER,
    OFFICER_HK,
    SPECIALIST,
    SUPERVISOR,
    Api,
    birth_filing,
    error,
    ok,
    residence_filing,
    residence_form,
    row_counts,
)
from tests.conftest import RESIDENTS_TOKEN

AN_NUMBER = "001088012345"
WITHDRAW_REASON = "Gia đình thay đổi kế hoạch, không đăng ký nữa"
SOMEONE: Resident = Population().person(4242)  # a synthetic person: a real-looking number with diacritics
VERIFIED_FIELDS = [
    "form.applicant.full_name",
    "form.applicant.date_of_birth",
    "form.applicant.sex",
    "form.applicant.identity_number",
]


def citizen(container: Container, person: Resident) -> dict[str, str]:
    """Authorization header of a citizen signed in (VNeID) as that person."""
    token = DevIdentity(container.settings).issue(
        username=f"cd{person.identity_number}",
        roles=["citizen"],
        identity_number=person.identity_number,
        name=person.full_name,
    )
    return {"Authorization": f"Bearer {token}"}


def post(api: Api, path: str, headers: dict[str, str], body: Any) -> Any:
    return api.client.post(f"/api/v1{path}", headers=headers, json=body)


def get(api: Api, path: str, headers: dict[str, str]) -> Any:
    return api.client.get(f"/api/v1{path}", headers=headers)


def filing_for(person: Resident, form: dict[str, Any]) -> dict[str, Any]:
    """An online residence filing by that person with the (pre-filled) form."""
    body = residence_filing(form=form)
    body["applicant"] = {
        "full_name": person.full_name,
        "identity_number": person.identity_number,
        "phone": "0912345678",
    }
    return body


@pytest.fixture
def fault(residents_sim: Simulator) -> Callable[..., None]:
    """Make the simulator misbehave for one number (cleared after the test by the container fixture)."""

    def set_fault(mode: str, number: str = AN_NUMBER) -> None:
        residents_sim.add_fault(FaultRule.parse(mode, number))

    return set_fault


class TestPrefill:
    def test_the_citizen_gets_the_residence_form_filled_from_the_registry(self, api: Api) -> None:
        prefilled = ok(api.post("/residents/prefill", AN, {"procedure": "1.004222"}))

        assert prefilled["form"]["applicant"] == {
            "full_name": "Nguyễn Văn An",
            "date_of_birth": "1988-05-14",
            "sex": "Nam",
            "identity_number": AN_NUMBER,
        }
        assert prefilled["prefilled"] == [p.removeprefix("form.") for p in VERIFIED_FIELDS]
        assert prefilled["source"] == "Cơ sở dữ liệu quốc gia về dân cư"
        assert prefilled["looked_up_at"] == "2026-03-02T09:00:00+07:00"
        [lookup] = ok(api.get("/residents/lookups", AN))
        assert lookup["request_id"] == prefilled["request_id"]
        assert (lookup["outcome"], lookup["dossier"], lookup["by"]["name"]) == (
            "found",
            None,
            "Nguyễn Văn An",
        )
        assert lookup["purpose"] == "Điền sẵn tờ khai thủ tục «Đăng ký thường trú» cho chính công dân"

    def test_what_the_citizen_typed_stays_and_the_registry_wins_on_its_fields(self, api: Api) -> None:
        typed = {"reason": "Về ở cùng bố", "applicant": {"full_name": "nguyen van an", "phone": "0912345678"}}

        form = ok(api.post("/residents/prefill", AN, {"procedure": "1.004222", "form": typed}))["form"]

        assert form["reason"] == "Về ở cùng bố"
        assert form["applicant"]["full_name"] == "Nguyễn Văn An"
        assert form["applicant"]["phone"] == "0912345678"

    def test_the_birth_declaration_is_filled_for_the_person_who_registers(self, api: Api) -> None:
        form = ok(api.post("/residents/prefill", BINH, {"procedure": "1.001193"}))["form"]

        assert form == {"declarant": {"full_name": "Trần Thị Bình", "identity_number": "001192004567"}}

    def test_an_officer_looks_people_up_only_within_a_dossier(self, api: Api) -> None:
        body = error(api.post("/residents/prefill", OFFICER, {"procedure": "1.004222"}), 403, "Forbidden")

        assert "chỉ tra cứu trong hồ sơ của cơ quan mình" in body["message"]
        assert ok(api.get("/residents/lookups", OFFICER)) == []

    def test_an_unknown_procedure_is_404(self, api: Api) -> None:
        error(api.post("/residents/prefill", AN, {"procedure": "9.999999"}), 404)

    def test_without_an_answer_it_is_503_and_says_filing_still_works(
        self, api: Api, fault: Callable[..., None]
    ) -> None:
        fault("hang")

        response = api.post("/residents/prefill", AN, {"procedure": "1.004222"})

        body = error(response, 503, "RegistryUnavailable")
        assert response.headers["Retry-After"] == "30"
        assert "hồ sơ vẫn nộp được" in body["message"]
        assert [(x["outcome"], x["reason"]) for x in ok(api.get("/residents/lookups", AN))] == [
            ("unavailable", "timeout")
        ]


class TestVerifiedFiling:
    def test_a_real_looking_number_prefills_the_applicant_and_files_verified(
        self, api: Api, container: Container
    ) -> None:
        me = citizen(container, SOMEONE)
        prefilled = post(api, "/residents/prefill", me, {"procedure": "1.004222", "form": residence_form()})
        assert prefilled.status_code == 200, prefilled.text
        form = prefilled.json()["form"]
        assert form["applicant"]["full_name"] == SOMEONE.full_name
        assert form["applicant"]["identity_number"] == SOMEONE.identity_number

        response = post(api, "/dossiers", me, filing_for(SOMEONE, form))

        assert response.status_code == 201, response.text
        dossier = response.json()
        verification = dossier["verification"]
        assert verification["state"] == "verified"
        assert verification["label"] == "Đã xác minh với CSDL quốc gia về dân cư"
        assert verification["fields"] == VERIFIED_FIELDS
        assert verification["at"] == "2026-03-02T09:00:00+07:00"
        assert [t["step"] for t in dossier["tasks"]] == ["reception"]
        audit = get(api, "/residents/lookups", me).json()
        assert [(a["dossier"], a["outcome"]) for a in audit] == [(dossier["code"], "found"), (None, "found")]
        assert audit[0]["request_id"] == verification["request_id"]
        assert audit[0]["purpose"] == "Nộp hồ sơ thủ tục «Đăng ký thường trú» tại H29.12.3 (trực tuyến)"

    def test_a_counter_filing_verifies_the_declarant_for_the_officer(self, api: Api) -> None:
        dossier = ok(api.file(OFFICER, birth_filing()))

        assert dossier["verification"]["state"] == "verified"
        assert dossier["verification"]["fields"] == [
            "form.declarant.full_name",
            "form.declarant.identity_number",
        ]
        [lookup] = ok(api.get("/residents/lookups", OFFICER))
        assert (lookup["identity_number"], lookup["by"]["role"], lookup["dossier"]) == (
            "001092034519",
            "officer",
            dossier["code"],
        )


class TestRefusedNumbers:
    def test_a_forged_number_is_refused_with_a_clear_message_and_nothing_filed(
        self, api: Api, container: Container
    ) -> None:
        forged = replace(SOMEONE, identity_number=SOMEONE.identity_number[:6] + "000999")  # a made-up serial
        me = citizen(container, forged)
        form = residence_form()
        form["applicant"].update(
            full_name=forged.full_name,
            date_of_birth=forged.date_of_birth.isoformat(),
            sex=forged.sex,
            identity_number=forged.identity_number,
        )
        before = row_counts(container)

        response = post(api, "/dossiers", me, filing_for(forged, form))

        body = error(response, 422, "IdentityMismatch")
        assert body["fields"]["form.applicant.identity_number"]["message"] == (
            "Không tìm thấy số định danh cá nhân này trong Cơ sở dữ liệu quốc gia về dân cư. "
            "Vui lòng kiểm tra lại số ghi trên thẻ Căn cước."
        )
        assert row_counts(container) == before
        assert [a["outcome"] for a in get(api, "/residents/lookups", me).json()] == [
            "not_found"
        ]  # still audited

    def test_a_number_that_contradicts_the_birth_date_is_refused_before_any_lookup(self, api: Api) -> None:
        filing = residence_filing()
        filing["form"]["applicant"]["date_of_birth"] = "1989-05-14"

        body = error(api.file(AN, filing), 422, "DossierInvalid")

        assert body["fields"]["form.applicant.identity_number"]["message"] == (
            "Số định danh cá nhân không khớp với năm sinh (chữ số thứ 4 đến 6 ghi thế kỷ và năm sinh)."
        )
        assert ok(api.get("/residents/lookups", AN)) == []

    def test_someone_else_s_number_under_one_s_own_name_is_refused_without_telling_whose_it_is(
        self, api: Api
    ) -> None:
        filing = residence_filing(channel="counter")
        filing["form"]["applicant"]["full_name"] = "Nguyễn Văn Ân"

        body = error(api.file(OFFICER, filing), 422, "IdentityMismatch")

        assert set(body["fields"]) == {"form.applicant.full_name"}
        message = body["fields"]["form.applicant.full_name"]["message"]
        assert message == (
            "«Họ và tên» không khớp với Cơ sở dữ liệu quốc gia về dân cư "
            "đối với số định danh cá nhân đã khai."
        )
        assert "Nguyễn Văn An" not in str(body)

    def test_a_citizen_cannot_file_as_someone_else_to_read_their_record(self, api: Api) -> None:
        filing = residence_filing()
        filing["applicant"] = {"full_name": "Trần Thị Bình", "phone": "0987000111"}

        body = error(api.file(BINH, filing), 422, "DossierInvalid")

        assert (
            "chỉ được khai thác thông tin dân cư của chính mình"
            in body["fields"]["form.applicant.identity_number"]["message"]
        )
        assert ok(api.get("/residents/lookups", AN)) == []


FAULTS = [
    ("error", "server_error"),
    ("busy", "server_error"),
    ("hang", "timeout"),
    ("latency=1500", "timeout"),
    ("malformed", "malformed"),
]


class TestRegistryDown:
    @pytest.mark.parametrize(("mode", "reason"), FAULTS)
    def test_every_fault_leaves_the_dossier_filed_unverified_with_a_task_for_the_officer(
        self, api: Api, container: Container, fault: Callable[..., None], mode: str, reason: str
    ) -> None:
        fault(mode)

        dossier = ok(api.file(AN))

        assert dossier["status"]["code"] == 1
        assert dossier["form"] == residence_form()  # nothing lost
        verification = dossier["verification"]
        assert (verification["state"], verification["reason"], verification["fields"]) == (
            "unverified",
            reason,
            [],
        )
        assert verification["reason_label"]
        assert sorted(t["step"] for t in dossier["tasks"]) == ["reception", "verification"]
        work = ok(api.get("/tasks", OFFICER))
        assert [(t["step"], t["dossier"]["code"]) for t in work if t["step"] == "verification"] == [
            ("verification", dossier["code"])
        ]
        [lookup] = ok(api.get("/residents/lookups", AN))
        assert (lookup["outcome"], lookup["reason"], lookup["dossier"]) == (
            "unavailable",
            reason,
            dossier["code"],
        )

    def test_nothing_listening_leaves_the_dossier_filed_unverified(
        self, api: Api, container: Container
    ) -> None:
        with socket.socket() as probe:
            probe.bind(("127.0.0.1", 0))
            port = probe.getsockname()[1]
        container.services.registry = ResidentsClient(f"http://127.0.0.1:{port}/api/v1", RESIDENTS_TOKEN)

        dossier = ok(api.file(AN))

        assert (dossier["verification"]["state"], dossier["verification"]["reason"]) == (
            "unverified",
            "unreachable",
        )

    def test_once_the_breaker_opens_filings_do_not_wait_for_the_registry(
        self, api: Api, container: Container, residents_sim: Simulator
    ) -> None:
        container.services.registry = ResidentsClient(
            residents_sim.url, RESIDENTS_TOKEN, breaker=CircuitBreaker(threshold=1, reset_seconds=3600)
        )
        residents_sim.add_fault(FaultRule(FaultMode.ERROR))
        first = ok(api.file(AN))
        reached = residents_sim.stats["lookups"]

        second = ok(api.file(AN))

        assert first["verification"]["reason"] == "server_error"
        assert second["verification"]["reason"] == "circuit_open"
        assert residents_sim.stats["lookups"] == reached

    def test_a_counter_filing_is_received_unverified(self, api: Api, fault: Callable[..., None]) -> None:
        fault("error", "001092034519")

        dossier = ok(api.file(OFFICER, birth_filing()))

        assert dossier["status"]["code"] == 4
        assert dossier["verification"]["state"] == "unverified"
        assert "verification" in [t["step"] for t in dossier["tasks"]]

    def test_the_verification_task_survives_the_next_workflow_steps(
        self, api: Api, fault: Callable[..., None]
    ) -> None:
        fault("error")
        code = ok(api.file(AN))["code"]

        dossier = ok(api.receive(code))

        assert sorted(t["step"] for t in dossier["tasks"]) == ["appraisal", "verification"]


def unverified(api: Api, fault: Callable[..., None], residents_sim: Simulator) -> dict[str, Any]:
    """An online residence dossier filed while the registry failed; the registry answers again afterwards."""
    fault("error")
    dossier = ok(api.file(AN))
    residents_sim.clear_faults()
    return dossier


class TestOfficerVerifies:
    def test_looking_up_again_verifies_and_closes_the_task(
        self, api: Api, fault: Callable[..., None], residents_sim: Simulator
    ) -> None:
        code = unverified(api, fault, residents_sim)["code"]
        api.at("2026-03-02T10:15")

        dossier = ok(api.post(f"/dossiers/{code}/verify", OFFICER, {}))

        verification = dossier["verification"]
        assert (verification["state"], verification["fields"]) == ("verified", VERIFIED_FIELDS)
        assert verification["at"] == "2026-03-02T10:15:00+07:00"
        assert verification["by"] == "Lê Thu Hà"
        assert [h["outcome"] for h in verification["history"]] == ["unverified", "verified"]
        assert [t["step"] for t in dossier["tasks"]] == ["reception"]
        assert not [t for t in ok(api.get("/tasks", OFFICER)) if t["step"] == "verification"]
        purposes = [x["purpose"] for x in ok(api.get("/residents/lookups", OFFICER))]
        assert purposes[0] == f"Xác minh người nộp hồ sơ {code}"

    def test_the_task_is_completed_from_the_work_list_once(
        self, api: Api, fault: Callable[..., None], residents_sim: Simulator
    ) -> None:
        code = unverified(api, fault, residents_sim)["code"]
        task = api.task_id(code, "verification")
        ok(api.post(f"/tasks/{task}/claim", OFFICER))

        dossier = ok(api.complete(task, OFFICER, {"method": "registry"}))

        assert dossier["verification"]["state"] == "verified"
        error(api.complete(task, OFFICER, {"method": "registry"}), 409, "TaskNotReady")

    def test_the_officer_may_record_that_the_original_id_card_was_checked(
        self, api: Api, fault: Callable[..., None], residents_sim: Simulator
    ) -> None:
        code = unverified(api, fault, residents_sim)["code"]

        missing = error(api.post(f"/dossiers/{code}/verify", OFFICER, {"method": "in_person"}), 422)
        dossier = ok(
            api.post(
                f"/dossiers/{code}/verify",
                OFFICER,
                {"method": "in_person", "note": "Đã đối chiếu thẻ Căn cước bản gốc"},
            )
        )

        assert missing["fields"]["note"]["message"].startswith("Vui lòng ghi rõ giấy tờ đã đối chiếu")
        assert dossier["verification"]["state"] == "verified_in_person"
        assert dossier["verification"]["note"] == "Đã đối chiếu thẻ Căn cước bản gốc"
        assert "verification" not in [t["step"] for t in dossier["tasks"]]

    def test_still_no_answer_is_503_and_the_task_stays(
        self, api: Api, container: Container, fault: Callable[..., None], residents_sim: Simulator
    ) -> None:
        code = unverified(api, fault, residents_sim)["code"]
        fault("hang")
        version = api.dossier(code)["version"]
        before = row_counts(container)

        error(api.post(f"/dossiers/{code}/verify", OFFICER, {}), 503, "RegistryUnavailable")

        detail = api.dossier(code)
        assert detail["version"] == version
        assert row_counts(container) == before
        assert detail["verification"]["state"] == "unverified"
        assert "verification" in [t["step"] for t in detail["tasks"]]

    def test_the_registry_disagreeing_later_keeps_the_task_and_says_so(
        self, api: Api, container: Container, fault: Callable[..., None], residents_sim: Simulator
    ) -> None:
        filing = residence_filing(channel="counter")
        filing["form"]["applicant"]["full_name"] = "Nguyễn Văn Ân"
        fault("error")
        code = ok(api.file(OFFICER, filing))["code"]
        residents_sim.clear_faults()

        dossier = ok(api.post(f"/dossiers/{code}/verify", OFFICER, {}))

        assert dossier["verification"]["state"] == "mismatch"
        assert dossier["verification"]["reason"] == "form.applicant.full_name"
        assert "verification" in [t["step"] for t in dossier["tasks"]]

    @pytest.mark.parametrize(
        ("user", "status"),
        [(OFFICER_HK, 404), (SPECIALIST, 403), (AN, 403), (SUPERVISOR, 403)],
    )
    def test_only_a_one_stop_officer_of_the_agency_verifies(
        self, api: Api, fault: Callable[..., None], residents_sim: Simulator, user: str, status: int
    ) -> None:
        code = unverified(api, fault, residents_sim)["code"]
        reached = residents_sim.stats["lookups"]

        error(api.post(f"/dossiers/{code}/verify", user, {}), status)

        assert residents_sim.stats["lookups"] == reached  # refused before anyone was looked up

    def test_a_withdrawn_dossier_has_nothing_left_to_verify(
        self, api: Api, fault: Callable[..., None], residents_sim: Simulator
    ) -> None:
        code = unverified(api, fault, residents_sim)["code"]
        ok(api.post(f"/dossiers/{code}/withdraw", AN, {"reason": WITHDRAW_REASON}))

        error(api.post(f"/dossiers/{code}/verify", OFFICER, {}), 409, "NotVerifiable")


class TestAudit:
    def test_each_reader_sees_only_their_share(self, api: Api) -> None:
        ok(api.post("/residents/prefill", AN, {"procedure": "1.004222"}))
        counter = ok(api.file(OFFICER, birth_filing()))["code"]

        assert [x["dossier"] for x in ok(api.get("/residents/lookups", OFFICER))] == [counter]
        assert [x["dossier"] for x in ok(api.get("/residents/lookups", SUPERVISOR))] == [counter]
        assert ok(api.get("/residents/lookups", OFFICER_HK)) == []
        assert [x["identity_number"] for x in ok(api.get("/residents/lookups", AN))] == [AN_NUMBER]
        assert ok(api.get("/residents/lookups", BINH)) == []
        error(api.get("/residents/lookups", "ioc.hanoi"), 403)

    def test_no_personal_data_reaches_the_logs(
        self, api: Api, fault: Callable[..., None], caplog: pytest.LogCaptureFixture
    ) -> None:
        caplog.set_level(logging.DEBUG)
        ok(api.post("/residents/prefill", AN, {"procedure": "1.004222"}))
        fault("malformed")
        ok(api.file(AN, copy.deepcopy(residence_filing())))

        logged = "\n".join(r.getMessage() for r in caplog.records)
        assert "population database unavailable" in logged
        for personal in (AN_NUMBER, "Nguyễn Văn An", "1988-05-14", "14/05/1988", "Trường Chinh"):
            assert personal not in logged

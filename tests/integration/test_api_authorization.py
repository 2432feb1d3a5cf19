"""Object-level authorization: citizens see their own dossiers, staff their agency's; no existence leaks."""

from __future__ import annotations

import pytest

from portal.auth import DevIdentity
from portal.wiring import Container
from tests.builders import (
    AN,
    APPLICANT_AN,
    APPLICANT_BINH,
    BA_DINH,
    BINH,
    HOAN_KIEM,
    LEADER,
    LEADER_HK,
    OFFICER,
    OFFICER_HK,
    PROPOSE_APPROVE,
    SPECIALIST,
    SPECIALIST_HK,
    SUPERVISOR,
    Api,
    birth_filing,
    error,
    ok,
    residence_filing,
    residence_form_of_binh,
    row_counts,
)


def citizen(container: Container, username: str, identity_number: str | None) -> dict[str, str]:
    """A citizen account other than the demo ones (another `sub`), vouching for `identity_number`."""
    token = DevIdentity(container.settings).issue(
        username=username, roles=["citizen"], identity_number=identity_number, name="Nguyễn Văn An"
    )
    return {"Authorization": f"Bearer {token}"}


def second_specialist(container: Container) -> dict[str, str]:
    """A colleague of chuyenvien.badinh: another specialist of Ba Đình."""
    token = DevIdentity(container.settings).issue(
        username="chuyenvien2.badinh", roles=["specialist"], agency=BA_DINH, name="Đặng Thu Trang"
    )
    return {"Authorization": f"Bearer {token}"}


class TestCitizens:
    def test_another_citizens_dossier_does_not_exist_for_you(self, api: Api) -> None:
        code = api.filed(AN)

        response = api.get(f"/dossiers/{code}", BINH)

        body = error(response, 404, "DossierNotFound")
        unknown = error(api.get("/dossiers/H29.12.3-260302-0099", BINH), 404, "DossierNotFound")
        assert body["message"] == unknown["message"].replace("0099", "0001")
        assert "Nguyễn Văn An" not in response.text

    def test_a_citizen_may_not_receive_even_their_own_dossier(self, api: Api, container: Container) -> None:
        code = api.filed(AN)
        rows = row_counts(container)

        error(api.receive(code, AN), 403, "Forbidden")

        assert row_counts(container) == rows
        assert api.dossier(code)["status"]["code"] == 1

    def test_a_citizen_cannot_complete_the_officers_reception_task(self, api: Api) -> None:
        code = api.filed(AN)

        error(api.complete(api.task_id(code, "reception"), AN, {"decision": "accept"}), 403)
        error(api.complete(api.task_id(code, "reception"), BINH, {"decision": "accept"}), 404, "TaskNotFound")

    def test_a_citizen_may_not_file_at_the_counter(self, api: Api) -> None:
        error(api.file(AN, residence_filing(channel="counter")), 403, "Forbidden")

    def test_a_citizen_lists_only_their_own_dossiers(self, api: Api) -> None:
        mine = api.filed(AN)
        theirs = api.filed(
            BINH, residence_filing(applicant=dict(APPLICANT_BINH), form=residence_form_of_binh())
        )
        elsewhere = api.filed(AN, residence_filing(agency=HOAN_KIEM))

        assert [d["code"] for d in ok(api.get("/dossiers", AN))] == [elsewhere, mine]
        assert [d["code"] for d in ok(api.get("/dossiers", BINH))] == [theirs]

    def test_a_counter_dossier_under_your_identity_number_is_yours(self, api: Api) -> None:
        code = api.filed(OFFICER, birth_filing(applicant=dict(APPLICANT_BINH)))

        assert [d["code"] for d in ok(api.get("/dossiers", BINH))] == [code]
        assert api.dossier(code, BINH)["status"]["code"] == 4
        error(api.get(f"/dossiers/{code}", AN), 404)


class TestOwnershipByIdentityNumber:
    """A dossier belongs to the verified identity number, not to the account (token subject) that filed it."""

    def test_the_same_person_under_another_account_sees_and_withdraws_it(
        self, api: Api, container: Container
    ) -> None:
        code = api.filed(AN)
        keycloak = citizen(container, "an.keycloak", APPLICANT_AN["identity_number"])

        listed = api.client.get("/api/v1/dossiers", headers=keycloak)
        detail = api.client.get(f"/api/v1/dossiers/{code}", headers=keycloak)
        withdrawn = api.client.post(
            f"/api/v1/dossiers/{code}/withdraw", headers=keycloak, json={"reason": "Tôi không chuyển nhà nữa"}
        )

        assert [d["code"] for d in ok(listed)] == [code]
        assert ok(detail)["code"] == code
        assert ok(withdrawn)["status"]["code"] == 7
        assert api.dossier(code, AN)["status"]["code"] == 7

    def test_a_dossier_filed_under_the_new_account_is_also_the_old_ones(
        self, api: Api, container: Container
    ) -> None:
        keycloak = citizen(container, "an.keycloak", APPLICANT_AN["identity_number"])
        response = api.client.post("/api/v1/dossiers", headers=keycloak, json=residence_filing())
        code = ok(response)["code"]

        assert [d["code"] for d in ok(api.get("/dossiers", AN))] == [code]
        assert api.dossier(code, AN)["code"] == code

    def test_the_same_account_with_another_number_sees_none_of_them(
        self, api: Api, container: Container
    ) -> None:
        code = api.filed(AN)
        # Same username, hence the same `sub`, but the identity provider now vouches for Bình's number.
        renumbered = citizen(container, AN, APPLICANT_BINH["identity_number"])

        assert ok(api.client.get("/api/v1/dossiers", headers=renumbered)) == []
        error(api.client.get(f"/api/v1/dossiers/{code}", headers=renumbered), 404, "DossierNotFound")
        error(
            api.client.post(f"/api/v1/dossiers/{code}/withdraw", headers=renumbered, json={"reason": "x"}),
            404,
            "DossierNotFound",
        )
        assert api.dossier(code)["status"]["code"] == 1

    def test_an_account_without_a_number_keeps_what_it_filed_and_gives_it_to_no_one(
        self, api: Api, container: Container
    ) -> None:
        unverified = citizen(container, "khach", None)
        code = ok(api.client.post("/api/v1/dossiers", headers=unverified, json=residence_filing()))["code"]
        mine = api.filed(AN)

        assert [d["code"] for d in ok(api.client.get("/api/v1/dossiers", headers=unverified))] == [code]
        # The number it typed (An's) proves nothing: An does not get the dossier, nor it An's.
        assert [d["code"] for d in ok(api.get("/dossiers", AN))] == [mine]
        error(api.get(f"/dossiers/{code}", AN), 404)
        error(api.client.get(f"/api/v1/dossiers/{mine}", headers=unverified), 404)


class TestOtherAgencies:
    def test_an_officer_of_another_agency_neither_sees_nor_receives_it(
        self, api: Api, container: Container
    ) -> None:
        code = api.filed(AN)
        rows = row_counts(container)

        error(api.get(f"/dossiers/{code}", OFFICER_HK), 404, "DossierNotFound")
        error(api.receive(code, OFFICER_HK), 404, "DossierNotFound")

        assert row_counts(container) == rows
        assert api.dossier(code)["status"]["code"] == 1

    def test_a_specialist_of_another_agency_neither_lists_nor_works_its_tasks(self, api: Api) -> None:
        code = api.received()
        task_id = api.task_id(code, "appraisal")

        assert ok(api.get("/tasks", SPECIALIST_HK)) == []
        error(api.post(f"/tasks/{task_id}/claim", SPECIALIST_HK), 404, "TaskNotFound")
        error(api.complete(task_id, SPECIALIST_HK, PROPOSE_APPROVE), 404, "TaskNotFound")

        detail = api.dossier(code)
        assert [(t["id"], t["assignee"]) for t in detail["tasks"]] == [(task_id, None)]

    def test_a_finished_task_of_another_agency_is_still_just_not_found(self, api: Api) -> None:
        code = api.received()
        task_id = api.task_id(code, "appraisal")
        ok(api.complete(task_id, SPECIALIST, PROPOSE_APPROVE))

        error(api.complete(task_id, SPECIALIST_HK, PROPOSE_APPROVE), 404, "TaskNotFound")

    def test_a_leader_of_another_agency_cannot_approve(self, api: Api) -> None:
        code = api.received()
        api.complete_step(code, "appraisal", SPECIALIST, PROPOSE_APPROVE)

        error(api.complete(api.task_id(code, "approval"), LEADER_HK, {"decision": "approve"}), 404)
        assert [t["step"] for t in api.dossier(code)["tasks"]] == ["approval"]

    def test_an_officer_files_at_the_counter_only_for_their_own_agency(self, api: Api) -> None:
        error(api.file(OFFICER_HK, birth_filing()), 403, "Forbidden")

    def test_staff_list_only_their_agencys_dossiers(self, api: Api) -> None:
        ba_dinh = api.filed(AN)
        hoan_kiem = api.filed(AN, residence_filing(agency=HOAN_KIEM))

        assert [d["code"] for d in ok(api.get("/dossiers", OFFICER))] == [ba_dinh]
        assert [d["code"] for d in ok(api.get("/dossiers", SUPERVISOR))] == [ba_dinh]
        assert [d["code"] for d in ok(api.get("/dossiers", OFFICER_HK))] == [hoan_kiem]


class TestRolesInsideTheAgency:
    def test_an_officer_cannot_complete_the_leaders_approval(self, api: Api, container: Container) -> None:
        code = api.received()
        api.complete_step(code, "appraisal", SPECIALIST, PROPOSE_APPROVE)
        rows = row_counts(container)

        body = error(api.complete(api.task_id(code, "approval"), OFFICER, {"decision": "approve"}), 403)

        assert "vai trò khác" in body["message"]
        assert row_counts(container) == rows
        assert api.dossier(code)["status"]["code"] == 4

    def test_the_leader_does_not_find_appraisals_in_their_work_list(self, api: Api) -> None:
        api.received()

        assert ok(api.get("/tasks", LEADER)) == []
        assert [t["step"] for t in ok(api.get("/tasks", SPECIALIST))] == ["appraisal"]

    def test_a_supervisor_reads_but_does_not_act(self, api: Api) -> None:
        code = api.filed(AN)

        assert api.dossier(code, SUPERVISOR)["status"]["code"] == 1
        assert ok(api.get("/tasks", SUPERVISOR)) == []
        error(api.receive(code, SUPERVISOR), 403)

    def test_an_officer_may_not_file_online_in_a_citizens_name(self, api: Api) -> None:
        error(api.file(OFFICER, residence_filing()), 403, "Forbidden")


class TestClaims:
    def test_a_task_claimed_by_a_colleague_cannot_be_completed_by_you(
        self, api: Api, container: Container
    ) -> None:
        code = api.received()
        task_id = api.task_id(code, "appraisal")
        ok(api.post(f"/tasks/{task_id}/claim", SPECIALIST))
        colleague = second_specialist(container)

        completed = api.client.post(
            f"/api/v1/tasks/{task_id}/complete", headers=colleague, json={"data": PROPOSE_APPROVE}
        )
        claimed = api.client.post(f"/api/v1/tasks/{task_id}/claim", headers=colleague)

        assert error(completed, 409, "TaskClaimed")["message"] == "Công việc đang do Phạm Minh Đức xử lý."
        error(claimed, 409, "TaskClaimed")
        assert [(t["step"], t["assignee"]) for t in api.dossier(code)["tasks"]] == [
            ("appraisal", "Phạm Minh Đức")
        ]

    def test_the_holder_completes_the_task_they_claimed(self, api: Api) -> None:
        code = api.received()
        task_id = api.task_id(code, "appraisal")
        ok(api.post(f"/tasks/{task_id}/claim", SPECIALIST))

        assert [t["step"] for t in ok(api.get("/tasks", SPECIALIST, mine=True))] == ["appraisal"]
        assert [
            t["step"] for t in api.complete_step(code, "appraisal", SPECIALIST, PROPOSE_APPROVE)["tasks"]
        ] == ["approval"]

    @pytest.mark.parametrize("user", [AN, OFFICER, LEADER])
    def test_only_a_specialist_may_claim_an_appraisal(self, api: Api, user: str) -> None:
        code = api.received()

        error(api.post(f"/tasks/{api.task_id(code, 'appraisal')}/claim", user), 403)

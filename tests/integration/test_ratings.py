"""Satisfaction ratings (docs/domain.md §11): once per dossier, by the applicant or at the counter, prefilled
from the dossier's history, aggregated per agency and officer for the agencies a supervisor reads."""

from __future__ import annotations

import threading
from dataclasses import replace
from datetime import date
from typing import Any

import pytest
from sqlalchemy import event, text

from engine.errors import Forbidden
from engine.usecases import ratings
from engine.usecases.statistics import StatsQuery
from portal.auth import demo_actor
from portal.wiring import Container
from tests.builders import (
    AN,
    APPROVE,
    ASK_SUPPLEMENT,
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
    SUPPLY,
    Api,
    error,
    ok,
    residence_filing,
)

GOOD = {"overall": "very_satisfied", "indicators": {"6": 2, "7": 2}, "comment": "Cán bộ hướng dẫn tận tình."}


def returned(
    api: Api,
    *,
    supplement: bool = False,
    approve_at: str = "2026-03-03T10:00",
    method: str = "counter",
    hk: bool = False,
) -> str:
    """A residence dossier filed online by An, processed and returned (status 10)."""
    officer, specialist, leader = (
        (OFFICER_HK, SPECIALIST_HK, LEADER_HK) if hk else (OFFICER, SPECIALIST, LEADER)
    )
    body = residence_filing(agency=HOAN_KIEM) if hk else None
    api.at("2026-03-02T09:00")
    code = api.filed(AN, body)
    api.at("2026-03-02T09:30")
    ok(api.receive(code, officer))

    def step(name: str, user: str, data: dict[str, Any]) -> None:
        ok(api.complete(api.task_id(code, name, officer), user, data))

    if supplement:
        step("appraisal", specialist, ASK_SUPPLEMENT)
        api.at("2026-03-02T14:00")
        ok(api.post(f"/dossiers/{code}/supplement", AN, SUPPLY))
    step("appraisal", specialist, PROPOSE_APPROVE)
    api.at(approve_at)
    step("approval", leader, APPROVE)
    step("return", officer, {"method": method, "note": "Nhận kết quả"})
    assert api.dossier(code, officer)["status"]["code"] == 10
    return code


class TestRateOnline:
    def test_the_applicant_rates_once_and_a_second_rating_is_409(self, api: Api) -> None:
        code = returned(api)
        state = ok(api.get(f"/dossiers/{code}/rating", AN))
        assert (state["rated"], state["ratable"]) == (False, True)

        created = api.post(f"/dossiers/{code}/rating", AN, GOOD)

        assert created.status_code == 201, created.text
        rating = created.json()
        assert rating["via"] == "online"
        assert rating["overall"] == "very_satisfied"
        assert rating["indicators"]["6"] == 2
        assert rating["indicators"]["1"] is None  # not answered: kept empty, the prefill beside it
        assert rating["comment"] == "Cán bộ hướng dẫn tận tình."
        again = error(api.post(f"/dossiers/{code}/rating", AN, GOOD), 409, "AlreadyRated")
        assert "một lần" in again["message"]
        assert error(api.post(f"/dossiers/{code}/rating", OFFICER, GOOD), 409, "AlreadyRated")
        seen = ok(api.get(f"/dossiers/{code}/rating", OFFICER))
        assert (seen["rated"], seen["ratable"], seen["rating"]["overall"]) == (True, False, "very_satisfied")

    def test_two_ratings_at_once_one_wins_and_the_other_is_409(self, api: Api, container: Container) -> None:
        code = returned(api)
        barrier = threading.Barrier(2)
        statuses: list[int] = []

        def rate(user: str) -> None:
            barrier.wait()
            statuses.append(api.post(f"/dossiers/{code}/rating", user, {"overall": "satisfied"}).status_code)

        threads = [threading.Thread(target=rate, args=(user,)) for user in (AN, OFFICER)]
        for t in threads:
            t.start()
        for t in threads:
            t.join()
        assert sorted(statuses) == [201, 409]
        with container.engine.connect() as conn:
            assert conn.execute(text("SELECT COUNT(*) FROM rating")).scalar_one() == 1

    def test_a_dossier_not_yet_returned_cannot_be_rated(self, api: Api) -> None:
        code = api.received()
        error(api.post(f"/dossiers/{code}/rating", AN, GOOD), 409, "NotReturned")
        assert ok(api.get(f"/dossiers/{code}/rating", AN))["ratable"] is False

    def test_another_citizen_gets_404_and_other_staff_403_or_404(self, api: Api) -> None:
        code = returned(api)
        error(api.post(f"/dossiers/{code}/rating", BINH, GOOD), 404, "DossierNotFound")
        error(api.get(f"/dossiers/{code}/rating", BINH), 404)
        error(api.post(f"/dossiers/{code}/rating", OFFICER_HK, GOOD), 404)  # another agency: not seen
        error(api.post(f"/dossiers/{code}/rating", SPECIALIST, GOOD), 403)  # same agency, not an officer
        error(api.post(f"/dossiers/{code}/rating", SUPERVISOR, GOOD), 403)
        assert api.post(f"/dossiers/{code}/rating", None, GOOD).status_code == 401
        assert ok(api.get(f"/dossiers/{code}/rating", AN))["rated"] is False

    @pytest.mark.parametrize(
        ("body", "field"),
        [
            ({"overall": "ok"}, "overall"),
            ({}, "overall"),
            ({"overall": "satisfied", "indicators": {"1": 3}}, "indicators.1"),
            ({"overall": "satisfied", "indicators": {"5": 2}}, "indicators.5"),
            ({"overall": "satisfied", "comment": "x" * 1001}, "comment"),
            ({"overall": "satisfied", "comment": "a\u0000b"}, "comment"),
            ({"overall": "satisfied", "extra": 1}, "extra"),
        ],
    )
    def test_bad_input_is_422_on_the_field_and_writes_nothing(
        self, api: Api, body: dict[str, Any], field: str
    ) -> None:
        code = returned(api)
        response = api.post(f"/dossiers/{code}/rating", AN, body)
        assert response.status_code == 422, response.text
        assert field in response.json()["fields"], response.text
        assert ok(api.get(f"/dossiers/{code}/rating", AN))["rated"] is False

    def test_the_comment_is_nfc(self, api: Api) -> None:
        code = returned(api)
        decomposed = "Ha\u0300i lo\u0300ng"  # "Hài lòng" with combining marks
        rating = ok(api.post(f"/dossiers/{code}/rating", AN, {"overall": "satisfied", "comment": decomposed}))
        assert rating["comment"] == "Hài lòng"


class TestPrefill:
    def test_an_early_dossier_without_supplement_returned_online(self, api: Api) -> None:
        code = returned(api, method="online")
        prefill = ok(api.get(f"/dossiers/{code}/rating", AN))["prefill"]
        assert prefill["1"]["score"] == 2
        assert "trước hạn" in prefill["1"]["reason"]
        assert prefill["3"]["score"] == 2
        assert prefill["4"]["score"] == 2  # filed online, returned online: no agency visited
        assert prefill["2"]["score"] in (1, 2)

    def test_a_late_dossier_with_one_supplement_returned_at_the_counter(self, api: Api) -> None:
        code = returned(api, supplement=True, approve_at="2026-03-20T10:00")
        prefill = ok(api.get(f"/dossiers/{code}/rating", AN))["prefill"]
        assert prefill["1"]["score"] == 0
        assert "sau hạn" in prefill["1"]["reason"]
        assert prefill["2"]["score"] == 0  # the approval step ran late
        assert prefill["3"]["score"] == 1
        assert "một lần" in prefill["3"]["reason"]
        assert prefill["4"]["score"] == 1
        rating = ok(
            api.post(f"/dossiers/{code}/rating", AN, {"overall": "dissatisfied", "indicators": {"3": 2}})
        )
        assert rating["indicators"]["3"] == 2  # the citizen's answer wins; the computed one is kept beside it
        assert rating["prefill"]["3"]["score"] == 1


class TestCounter:
    def test_an_officer_of_the_receiving_agency_records_the_rating_at_the_counter(self, api: Api) -> None:
        code = returned(api)
        assert ok(api.get(f"/dossiers/{code}/rating", OFFICER))["ratable"] is True
        rating = ok(api.post(f"/dossiers/{code}/rating", OFFICER, {"overall": "satisfied"}))
        assert rating["via"] == "counter"
        error(api.post(f"/dossiers/{code}/rating", AN, GOOD), 409, "AlreadyRated")


class TestAggregation:
    def test_per_agency_and_officer_and_a_supervisor_sees_only_their_agencies(
        self, api: Api, container: Container
    ) -> None:
        first = returned(api)
        second = returned(api, supplement=True, approve_at="2026-03-20T10:00")
        other = returned(api, hk=True)
        ok(api.post(f"/dossiers/{first}/rating", AN, {"overall": "very_satisfied", "indicators": {"7": 2}}))
        ok(api.post(f"/dossiers/{second}/rating", AN, {"overall": "dissatisfied", "indicators": {"7": 1}}))
        ok(api.post(f"/dossiers/{other}/rating", AN, {"overall": "satisfied"}))

        march = StatsQuery(date(2026, 3, 1), date(2026, 3, 31))
        with container.transaction() as uow:
            mine = ratings.summary(uow, demo_actor(SUPERVISOR), march)
            theirs = ratings.summary(uow, demo_actor("giamsat.hoankiem"), march)
            everyone = ratings.summary(uow, demo_actor("quantri"), march)

        assert [u["agency_code"] for u in mine["units"]] == [BA_DINH]
        unit = mine["units"][0]
        assert (unit["ratings"], unit["very_satisfied"], unit["dissatisfied"]) == (2, 1, 1)
        assert unit["satisfied_share"] == 0.5
        assert unit["indicators"]["7"] == 1.5  # (2 + 1) / 2, one decimal
        assert unit["indicators"]["6"] is None  # nobody scored it: left out
        assert {o["officer"] for o in mine["officers"]} >= {"Lê Thu Hà", "Phạm Minh Đức", "Hoàng Văn Hải"}
        assert {o["agency_code"] for o in mine["officers"]} == {BA_DINH}
        assert "Nguyễn Văn An" not in {
            o["officer"] for o in mine["officers"]
        }  # his supplement step: not staff
        assert {r["dossier"] for r in mine["latest"]} == {first, second}
        assert [u["agency_code"] for u in theirs["units"]] == [HOAN_KIEM]
        assert {r["dossier"] for r in theirs["latest"]} == {other}
        assert "Lê Thu Hà" not in {o["officer"] for o in theirs["officers"]}
        assert everyone["total"]["ratings"] == 3
        with container.transaction() as uow, pytest.raises(Forbidden):
            ratings.summary(uow, demo_actor(SUPERVISOR), replace(march, agencies=frozenset({HOAN_KIEM})))
        with container.transaction() as uow, pytest.raises(Forbidden):
            ratings.summary(uow, demo_actor(OFFICER), march)


def test_the_aggregates_read_ratings_never_dossiers(api: Api, container: Container) -> None:
    code = returned(api)
    ok(api.post(f"/dossiers/{code}/rating", AN, {"overall": "satisfied"}))
    statements: list[str] = []

    def seen(_conn: Any, _cursor: Any, statement: str, *_args: Any) -> None:
        statements.append(statement.lower())

    event.listen(container.engine, "before_cursor_execute", seen)
    try:
        with container.transaction() as uow:
            units = ratings.per_agency(uow, frozenset({BA_DINH}), date(2026, 3, 1), date(2026, 3, 31))
            officers = ratings.per_officer(uow, None, date(2026, 3, 1), date(2026, 3, 31))
            total = ratings.totals(uow, None, date(2026, 3, 1), date(2026, 3, 31))
    finally:
        event.remove(container.engine, "before_cursor_execute", seen)
    assert (units[0]["ratings"], total["ratings"]) == (1, 1)
    assert officers
    reads = [s for s in statements if "rating" in s]
    assert reads
    assert not [s for s in reads if " dossier " in s or "dossier." in s.replace("rating.dossier_id", "")]

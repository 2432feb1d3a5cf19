"""Engine rules around the population database, with the in-process fake: pre-fill, verdicts, form schemas;
and the client's circuit breaker and cache on a clock the test moves."""

from __future__ import annotations

import copy
import json
from datetime import date
from typing import Any

import pytest

from engine.forms import check_schema, registry_group
from engine.residents.fake import FakeRegistry
from engine.residents.prefill import declared, judge, prefill
from engine.residents.registry import (
    LookupRequest,
    LookupResult,
    LookupStatus,
    RegistryUnavailable,
    Requester,
    UnavailableReason,
)
from integrations.residents.breaker import BreakerState, CircuitBreaker, TtlCache
from integrations.residents.population import demo_residents
from portal.settings import ROOT
from tests.builders import Ticking, residence_form

RESIDENCE = json.loads((ROOT / "forms" / "permanent-residence.schema.json").read_text(encoding="utf-8"))
BIRTH = json.loads((ROOT / "forms" / "birth-registration.schema.json").read_text(encoding="utf-8"))
AN = next(r for r in demo_residents() if r.full_name == "Nguyễn Văn An")


def request(number: str, **kwargs: Any) -> LookupRequest:
    return LookupRequest(
        request_id="r-1",
        identity_number=number,
        requester=Requester("sub", "Lê Thu Hà", "officer", "H29.12.3"),
        service_code="1.004222",
        service_name="Đăng ký thường trú",
        purpose="test",
        **kwargs,
    )


def group() -> Any:
    found = registry_group(RESIDENCE)
    assert found is not None
    return found


class TestRegistryGroup:
    def test_the_residence_form_is_filled_for_its_declarant(self) -> None:
        g = group()

        assert g.path == ("applicant",)
        assert g.key == "identity_number"
        assert g.fields == {
            "full_name": "full_name",
            "date_of_birth": "date_of_birth",
            "sex": "sex",
            "identity_number": "identity_number",
        }

    def test_the_birth_form_is_filled_for_the_person_who_registers(self) -> None:
        found = registry_group(BIRTH)

        assert found is not None
        assert found.path == ("declarant",)

    def test_two_people_marked_for_the_registry_is_a_schema_problem(self) -> None:
        schema = copy.deepcopy(RESIDENCE)
        schema["properties"]["household_head_name"]["x-registry"] = "household_head.full_name"

        problems = check_schema(schema)

        assert any("the fields of one person only" in p for p in problems), problems
        assert registry_group(schema) is None

    def test_registry_fields_without_the_identity_number_are_a_schema_problem(self) -> None:
        schema = copy.deepcopy(RESIDENCE)
        del schema["properties"]["applicant"]["properties"]["identity_number"]["x-registry"]

        assert "applicant: x-registry fields need one mapped to identity_number" in check_schema(schema)

    def test_a_field_the_registry_does_not_have_is_a_schema_problem(self) -> None:
        schema = copy.deepcopy(RESIDENCE)
        schema["properties"]["applicant"]["properties"]["phone"]["x-registry"] = "phone"

        assert any("x-registry 'phone' is not a field" in p for p in check_schema(schema))


class TestPrefill:
    def test_fills_the_declarant_and_keeps_what_the_citizen_typed(self) -> None:
        typed = {"reason": "Về ở cùng bố", "applicant": {"phone": "0912345678", "full_name": "nguyen van an"}}

        form, paths = prefill(group(), typed, AN)

        assert form["applicant"] == {
            "phone": "0912345678",
            "full_name": "Nguyễn Văn An",
            "date_of_birth": "1988-05-14",
            "sex": "Nam",
            "identity_number": "001088012345",
        }
        assert form["reason"] == "Về ở cùng bố"
        assert paths == [
            "applicant.full_name",
            "applicant.date_of_birth",
            "applicant.sex",
            "applicant.identity_number",
        ]
        assert typed["applicant"]["full_name"] == "nguyen van an"  # the caller's copy is untouched

    def test_an_empty_form_gets_the_declarant_object(self) -> None:
        form, _ = prefill(group(), None, AN)

        assert form["applicant"]["identity_number"] == "001088012345"


class TestVerdict:
    def test_a_form_that_agrees_is_verified_field_by_field(self) -> None:
        verdict = judge(group(), residence_form(), LookupResult(LookupStatus.FOUND, AN))

        assert verdict.errors == {}
        assert verdict.verified == [
            "form.applicant.full_name",
            "form.applicant.date_of_birth",
            "form.applicant.sex",
            "form.applicant.identity_number",
        ]

    def test_names_agree_whatever_the_case_spacing_or_unicode_composition(self) -> None:
        form = residence_form()
        form["applicant"]["full_name"] = "  NGUYỄN   văn an ".replace("Ễ", "E\u0302\u0303")

        assert judge(group(), form, LookupResult(LookupStatus.FOUND, AN)).errors == {}

    def test_a_different_sex_is_refused_without_telling_the_registry_s_value(self) -> None:
        form = residence_form()
        form["applicant"]["sex"] = "Nữ"

        verdict = judge(group(), form, LookupResult(LookupStatus.FOUND, AN))

        error = verdict.errors["form.applicant.sex"]
        assert error.message == (
            "«Giới tính» không khớp với Cơ sở dữ liệu quốc gia về dân cư "
            "đối với số định danh cá nhân đã khai."
        )
        assert "Nam" not in error.message

    def test_the_registry_s_mismatch_names_the_fields_and_confirms_nothing(self) -> None:
        result = LookupResult(LookupStatus.MISMATCH, mismatched=("full_name",))

        verdict = judge(group(), residence_form(), result)

        assert set(verdict.errors) == {"form.applicant.full_name"}
        assert verdict.verified == []

    def test_an_unknown_number_is_refused_at_the_number(self) -> None:
        verdict = judge(group(), residence_form(), LookupResult(LookupStatus.NOT_FOUND))

        assert verdict.errors["form.applicant.identity_number"].message.startswith(
            "Không tìm thấy số định danh cá nhân này trong Cơ sở dữ liệu quốc gia về dân cư."
        )

    def test_the_declared_name_and_birth_date_become_match_criteria(self) -> None:
        person = declared(group(), residence_form())

        assert (person.identity_number, person.full_name, person.date_of_birth) == (
            "001088012345",
            "Nguyễn Văn An",
            date(1988, 5, 14),
        )


class TestFake:
    def test_answers_like_the_registry_and_fails_when_told(self) -> None:
        fake = FakeRegistry(demo_residents())

        assert fake.lookup(request("001088012345")).resident == AN
        fake.fail_with(UnavailableReason.TIMEOUT)
        with pytest.raises(RegistryUnavailable) as caught:
            fake.lookup(request("001088012345"))
        assert caught.value.reason is UnavailableReason.TIMEOUT
        fake.recover()
        assert fake.lookup(request("001088012345", full_name="Nguyễn Văn Ân")).status is LookupStatus.MISMATCH


class TestCircuitBreaker:
    def test_opens_after_the_threshold_of_failures_in_a_row(self) -> None:
        breaker = CircuitBreaker(threshold=3, reset_seconds=30, monotonic=Ticking())

        for _ in range(2):
            assert breaker.allow()
            breaker.failure()
        assert breaker.state is BreakerState.CLOSED
        breaker.failure()

        assert breaker.state is BreakerState.OPEN
        assert not breaker.allow()

    def test_a_success_resets_the_count(self) -> None:
        breaker = CircuitBreaker(threshold=2, monotonic=Ticking())

        breaker.failure()
        breaker.success()
        breaker.failure()

        assert breaker.state is BreakerState.CLOSED

    def test_after_the_pause_one_trial_call_decides(self) -> None:
        clock = Ticking()
        breaker = CircuitBreaker(threshold=1, reset_seconds=30, monotonic=clock)
        breaker.failure()
        clock.now += 30

        assert breaker.state is BreakerState.HALF_OPEN
        assert breaker.allow()
        assert not breaker.allow()  # only one trial at a time
        breaker.failure()
        assert breaker.state is BreakerState.OPEN  # the trial failed: a new pause

        clock.now += 30
        assert breaker.allow()
        breaker.success()
        assert breaker.state is BreakerState.CLOSED
        assert breaker.allow()


class TestCache:
    def test_keeps_answers_for_its_time_then_forgets(self) -> None:
        clock = Ticking()
        cache: TtlCache[str, int] = TtlCache(60, monotonic=clock)

        cache.put("a", 1)
        clock.now += 59
        assert cache.get("a") == 1
        clock.now += 1
        assert cache.get("a") is None

    def test_drops_the_least_recently_used_beyond_its_size(self) -> None:
        cache: TtlCache[str, int] = TtlCache(60, size=2, monotonic=Ticking())

        cache.put("a", 1)
        cache.put("b", 2)
        assert cache.get("a") == 1
        cache.put("c", 3)

        assert (cache.get("a"), cache.get("b"), cache.get("c")) == (1, None, 3)

    def test_zero_seconds_keeps_nothing(self) -> None:
        cache: TtlCache[str, int] = TtlCache(0)

        cache.put("a", 1)

        assert cache.get("a") is None

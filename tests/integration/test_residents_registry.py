"""The population-database port: one contract for the in-process fake and the HTTP client on the simulator;
then what the HTTP client does with each fault the simulator can produce (real HTTP on loopback)."""

from __future__ import annotations

import logging
import os
import signal
import socket
import subprocess
import sys
import unicodedata
import uuid
from collections.abc import Iterator
from dataclasses import replace
from datetime import date
from pathlib import Path

import httpx
import pytest

from engine.residents.fake import FakeRegistry
from engine.residents.registry import (
    LookupRequest,
    LookupStatus,
    RegistryUnavailable,
    Requester,
    ResidentRegistry,
    UnavailableReason,
)
from integrations.residents.breaker import CircuitBreaker, TtlCache
from integrations.residents.client import ResidentsClient
from integrations.residents.population import Population, demo_residents
from integrations.residents.simulator import FaultMode, FaultRule, Simulator
from integrations.residents.wire import encode_request
from tests.builders import Ticking
from tests.conftest import RESIDENTS_TOKEN

POPULATION = Population()
SOMEONE = POPULATION.person(4242)  # a synthetic person, the same in every run
AN_NUMBER = "001088012345"


def ask(number: str, **kwargs: object) -> LookupRequest:
    """A lookup as the engine sends it."""
    return LookupRequest(
        request_id=str(uuid.uuid4()),
        identity_number=number,
        requester=Requester("dev:motcua.badinh", "Lê Thu Hà", "officer", "H29.12.3"),
        service_code="1.004222",
        service_name="Đăng ký thường trú",
        purpose="Kiểm thử hợp đồng",
        **kwargs,  # type: ignore[arg-type]
    )


def client_of(sim: Simulator, **kwargs: object) -> ResidentsClient:
    """An HTTP client on the test simulator with short timeouts and no cache unless asked."""
    options: dict[str, object] = {"connect_timeout": 0.5, "read_timeout": 0.5, "budget": 2.0, "retries": 1}
    return ResidentsClient(sim.url, RESIDENTS_TOKEN, **(options | kwargs))  # type: ignore[arg-type]


@pytest.fixture(params=["fake", "http"])
def registry(request: pytest.FixtureRequest, residents_sim: Simulator) -> Iterator[ResidentRegistry]:
    """The same contract, held by the fake (seeded from the same population) and by the HTTP client."""
    if request.param == "fake":
        yield FakeRegistry([*demo_residents(), *POPULATION.people(4200, 100)])
        return
    client = client_of(residents_sim)
    yield client
    client.close()


class TestContract:
    def test_a_known_number_returns_the_whole_record(self, registry: ResidentRegistry) -> None:
        result = registry.lookup(ask(SOMEONE.identity_number))

        assert result.status is LookupStatus.FOUND
        assert result.resident == SOMEONE
        assert result.resident.permanent_address.province_name
        assert result.resident.father is not None

    def test_the_demo_citizen_is_known_with_his_family(self, registry: ResidentRegistry) -> None:
        resident = registry.lookup(ask(AN_NUMBER)).resident

        assert resident is not None
        assert (resident.full_name, resident.date_of_birth, resident.sex) == (
            "Nguyễn Văn An",
            date(1988, 5, 14),
            "Nam",
        )
        assert resident.spouse is not None
        assert resident.spouse.full_name == "Trần Thị Mai"

    def test_a_well_formed_number_nobody_holds_is_not_found(self, registry: ResidentRegistry) -> None:
        result = registry.lookup(ask("001088999999"))

        assert result.status is LookupStatus.NOT_FOUND
        assert result.resident is None

    def test_the_name_and_birth_date_sent_must_match(self, registry: ResidentRegistry) -> None:
        ok = registry.lookup(ask(AN_NUMBER, full_name="Nguyễn Văn An", date_of_birth=date(1988, 5, 14)))
        wrong_name = registry.lookup(ask(AN_NUMBER, full_name="Nguyễn Văn Ân"))
        wrong_both = registry.lookup(ask(AN_NUMBER, full_name="Lê Văn An", date_of_birth=date(1988, 5, 15)))

        assert ok.status is LookupStatus.FOUND
        assert (wrong_name.status, wrong_name.mismatched, wrong_name.resident) == (
            LookupStatus.MISMATCH,
            ("full_name",),
            None,
        )
        assert wrong_both.mismatched == ("full_name", "date_of_birth")

    def test_names_match_across_case_spacing_and_unicode_composition(
        self, registry: ResidentRegistry
    ) -> None:
        decomposed = unicodedata.normalize("NFD", "  nguyễn  VĂN an ")

        assert registry.lookup(ask(AN_NUMBER, full_name=decomposed)).status is LookupStatus.FOUND

    def test_an_old_cmnd_finds_the_person_and_their_twelve_digit_number(
        self, registry: ResidentRegistry
    ) -> None:
        assert SOMEONE.legacy_id_number is not None

        resident = registry.lookup(ask(SOMEONE.legacy_id_number)).resident

        assert resident is not None
        assert resident.identity_number == SOMEONE.identity_number


@pytest.fixture
def sim(residents_sim: Simulator) -> Iterator[Simulator]:
    """The shared simulator, its faults cleared after the test."""
    yield residents_sim
    residents_sim.clear_faults()


def reached(sim: Simulator) -> int:
    """Lookups that reached the simulator so far."""
    return sim.stats["lookups"]


def failure(client: ResidentsClient, number: str) -> UnavailableReason:
    with pytest.raises(RegistryUnavailable) as caught:
        client.lookup(ask(number))
    return caught.value.reason


class TestFaults:
    """Each fault mode of the simulator, through the real client."""

    def test_a_slow_answer_within_the_budget_is_still_an_answer(self, sim: Simulator) -> None:
        sim.add_fault(FaultRule(FaultMode.LATENCY, latency_ms=150, identity_number=SOMEONE.identity_number))

        assert client_of(sim).lookup(ask(SOMEONE.identity_number)).resident == SOMEONE

    @pytest.mark.parametrize(
        ("fault", "reason", "requests"),
        [
            ("latency=1500", UnavailableReason.TIMEOUT, 1),  # slower than the read timeout: not asked twice
            ("hang", UnavailableReason.TIMEOUT, 1),
            ("error", UnavailableReason.SERVER_ERROR, 1),  # HTTP 500: the service failed, not retried
            ("busy", UnavailableReason.SERVER_ERROR, 2),  # HTTP 503: retried once, then given up
            ("malformed", UnavailableReason.MALFORMED, 1),
        ],
    )
    def test_each_failure_is_reported_with_its_reason(
        self, sim: Simulator, fault: str, reason: UnavailableReason, requests: int
    ) -> None:
        sim.add_fault(FaultRule.parse(fault, SOMEONE.identity_number))
        before = reached(sim)

        assert failure(client_of(sim), SOMEONE.identity_number) is reason
        assert reached(sim) - before == requests

    def test_http_503_is_retried_once_and_the_retry_can_succeed(self, sim: Simulator) -> None:
        sim.add_fault(FaultRule(FaultMode.BUSY, identity_number=SOMEONE.identity_number, count=1))
        before = reached(sim)

        assert client_of(sim).lookup(ask(SOMEONE.identity_number)).resident == SOMEONE
        assert reached(sim) - before == 2

    def test_a_fault_can_be_asked_for_per_request(self, sim: Simulator) -> None:
        response = httpx.post(
            f"{sim.url}/cong-dan/tra-cuu",
            json={"soDinhDanh": AN_NUMBER},
            headers={"Authorization": f"Bearer {RESIDENTS_TOKEN}", "X-Sim-Fault": "error"},
        )

        assert response.status_code == 400  # the request is checked first: it lacks maYeuCau, canBo, ...
        response = httpx.post(
            f"{sim.url}/cong-dan/tra-cuu",
            json=encode_request(ask(AN_NUMBER)),
            headers={"Authorization": f"Bearer {RESIDENTS_TOKEN}", "X-Sim-Fault": "error"},
        )
        assert response.status_code == 500
        assert response.json()["maLoi"] == "LOI_HE_THONG"

    def test_a_wrong_token_is_rejected(self, sim: Simulator) -> None:
        client = ResidentsClient(sim.url, "not-the-token")

        assert failure(client, AN_NUMBER) is UnavailableReason.REJECTED

    def test_nothing_listening_is_unreachable(self) -> None:
        with socket.socket() as probe:
            probe.bind(("127.0.0.1", 0))
            port = probe.getsockname()[1]
        client = ResidentsClient(f"http://127.0.0.1:{port}/api/v1", RESIDENTS_TOKEN, budget=2.0)

        assert failure(client, AN_NUMBER) is UnavailableReason.UNREACHABLE


class TestCircuitBreakerAndCache:
    def test_after_three_failures_the_service_is_not_asked_until_the_pause_ends(self, sim: Simulator) -> None:
        clock = Ticking()
        client = client_of(sim, breaker=CircuitBreaker(threshold=3, reset_seconds=30, monotonic=clock))
        sim.add_fault(FaultRule(FaultMode.ERROR))
        for _ in range(3):
            assert failure(client, SOMEONE.identity_number) is UnavailableReason.SERVER_ERROR
        before = reached(sim)

        assert failure(client, SOMEONE.identity_number) is UnavailableReason.CIRCUIT_OPEN
        assert reached(sim) == before

        sim.clear_faults()
        clock.now += 30
        assert client.lookup(ask(SOMEONE.identity_number)).resident == SOMEONE
        assert reached(sim) == before + 1

    def test_the_same_question_within_a_minute_is_answered_from_the_cache(self, sim: Simulator) -> None:
        client = client_of(sim, cache=TtlCache(60))
        before = reached(sim)

        first = client.lookup(ask(AN_NUMBER, full_name="Nguyễn Văn An"))
        second = client.lookup(ask(AN_NUMBER, full_name="nguyễn văn an"))

        assert (first.cached, second.cached) == (False, True)
        assert replace(second, cached=False) == first
        assert reached(sim) - before == 1

    def test_no_personal_data_reaches_the_logs(
        self, sim: Simulator, caplog: pytest.LogCaptureFixture
    ) -> None:
        caplog.set_level(logging.DEBUG)
        client = client_of(sim)
        client.lookup(ask(SOMEONE.identity_number, full_name=SOMEONE.full_name))
        sim.add_fault(FaultRule(FaultMode.MALFORMED))
        with pytest.raises(RegistryUnavailable):
            client.lookup(ask(SOMEONE.identity_number))

        logged = "\n".join(r.getMessage() for r in caplog.records)
        assert "answered: found" in logged
        assert "malformed" in logged
        for personal in (SOMEONE.identity_number, SOMEONE.full_name, SOMEONE.permanent_address.detail):
            assert personal not in logged


class TestCommand:
    def test_motcua_residents_sim_serves_the_population_with_a_fault_until_stopped(
        self, tmp_path: Path
    ) -> None:
        motcua = Path(sys.executable).parent / "motcua"
        env = {**os.environ, "MOTCUA_ENV": "development"}
        args = ["residents-sim", "--port", "0", "--size", "400", "--token", "t" * 20, "--fault", "error"]
        process = subprocess.Popen(
            [str(motcua), *args],
            stdout=subprocess.PIPE,
            stderr=subprocess.PIPE,
            text=True,
            env=env,
            cwd=tmp_path,
        )
        try:
            assert process.stdout is not None
            url = process.stdout.readline().strip()
            client = ResidentsClient(url, "t" * 20, retries=0)

            assert failure(client, AN_NUMBER) is UnavailableReason.SERVER_ERROR
            httpx.delete(
                url.replace("/api/v1", "/_sim/faults"), headers={"Authorization": f"Bearer {'t' * 20}"}
            )
            assert client.lookup(ask(AN_NUMBER)).status is LookupStatus.FOUND
            sample = httpx.get(
                url.replace("/api/v1", "/_sim/sample?count=2"),
                headers={"Authorization": f"Bearer {'t' * 20}"},
            )
            assert sample.json()["size"] == 408
            assert client.lookup(ask(sample.json()["people"][1]["soDinhDanh"])).status is LookupStatus.FOUND
        finally:
            process.send_signal(signal.SIGTERM)
            _, err = process.communicate(timeout=30)
        assert process.returncode == 0
        assert "408 người" in err

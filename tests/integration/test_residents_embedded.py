"""The embedded default starts its own simulator and talks HTTP to it; production needs the real service."""

from __future__ import annotations

import uuid
from pathlib import Path

import pytest
from pydantic import ValidationError

from engine.residents.registry import (
    LookupRequest,
    LookupStatus,
    RegistryUnavailable,
    Requester,
    UnavailableReason,
)
from integrations.residents import build_registry, embedded_simulator
from integrations.residents.client import ResidentsClient
from integrations.residents.settings import ResidentsSettings
from portal.settings import Settings
from portal.wiring import build_services


def ask(number: str) -> LookupRequest:
    return LookupRequest(
        request_id=str(uuid.uuid4()),
        identity_number=number,
        requester=Requester("dev:nguyenvanan", "Nguyễn Văn An", "citizen"),
        service_code="1.004222",
        service_name="Đăng ký thường trú",
        purpose="Điền sẵn tờ khai",
    )


class TestEmbeddedDefault:
    def test_without_a_url_the_services_look_people_up_in_an_in_process_simulator(
        self, tmp_path: Path
    ) -> None:
        settings = Settings(env="development", data_dir=tmp_path, residents=ResidentsSettings(sim_size=400))

        registry = build_services(settings).registry

        assert isinstance(registry, ResidentsClient)
        assert registry.url.startswith("http://127.0.0.1:")
        assert registry.url.endswith("/api/v1/cong-dan/tra-cuu")
        assert registry.lookup(ask("001088012345")).status is LookupStatus.FOUND
        registry.close()

    def test_one_simulator_per_process_and_it_asks_for_a_token(self) -> None:
        first = embedded_simulator(400, 2025)

        assert embedded_simulator(400, 2025) is first
        assert first.token
        anonymous = ResidentsClient(first.url, None)
        with pytest.raises(RegistryUnavailable) as caught:
            anonymous.lookup(ask("001088012345"))
        assert caught.value.reason is UnavailableReason.REJECTED

    def test_a_configured_url_is_used_as_given(self) -> None:
        client = build_registry(ResidentsSettings(url="https://lgsp.example.gov.vn/dan-cu/", token="t" * 20))

        assert client.url == "https://lgsp.example.gov.vn/dan-cu/cong-dan/tra-cuu"


PRODUCTION = {
    "env": "production",
    "dev_identity": False,
    "keycloak_url": "https://sso.example.gov.vn",
    "database_url": "postgresql+psycopg://motcua@db.example.gov.vn/motcua",
}


class TestProduction:
    def test_the_simulator_is_never_the_production_registry(self) -> None:
        with pytest.raises(ValidationError, match="MOTCUA_RESIDENTS_URL is required in production"):
            Settings(**PRODUCTION, residents=ResidentsSettings(token="t" * 32))

    def test_production_needs_the_service_token(self) -> None:
        with pytest.raises(ValidationError, match="MOTCUA_RESIDENTS_TOKEN must hold at least 16 characters"):
            Settings(
                **PRODUCTION,
                residents=ResidentsSettings(url="https://lgsp.example.gov.vn/dan-cu", token="short"),
            )

    def test_a_complete_production_configuration_builds(self) -> None:
        residents = ResidentsSettings(url="https://lgsp.example.gov.vn/dan-cu", token="t" * 32)

        assert (
            Settings(**PRODUCTION, residents=residents).residents.url == "https://lgsp.example.gov.vn/dan-cu"
        )

"""Rules of the IOC outbox without a database: which change emits what, backoff, signatures, settings."""

from __future__ import annotations

import random
import re
from datetime import UTC, datetime

import pytest
from pydantic import SecretStr, ValidationError

from engine.delivery import RetryPolicy
from engine.dossier.status import Status
from engine.outbox import EventType, event_for_status
from engine.store.models import DossierRow
from integrations.ioc.client import encode, signature, verify
from integrations.ioc.fake import RecordingSink
from integrations.ioc.settings import IocSettings
from integrations.residents.settings import ResidentsSettings
from portal.settings import Settings

RECEIVED_AT = datetime(2026, 3, 2, 2, 30, tzinfo=UTC)


def dossier(received: bool) -> DossierRow:
    """A dossier row with or without a receipt (nothing else matters to the mapping)."""
    return DossierRow.model_construct(received_at=RECEIVED_AT if received else None)


class TestWhichChangeEmitsWhat:
    @pytest.mark.parametrize(
        ("current", "target", "expected"),
        [
            (Status.NEW, Status.RECEIVED, EventType.RECEIVED),
            (Status.RECEIVED, Status.PROCESSING, None),
            (Status.NEW, Status.NOT_RECEIVED, EventType.REFUSED),
            (Status.NEW, Status.SUPPLEMENT, None),
            (Status.PROCESSING, Status.SUPPLEMENT, None),
            (Status.PROCESSING, Status.PROCESSING, None),
            (Status.PROCESSING, Status.DONE, EventType.COMPLETED),
            (Status.DONE, Status.RETURNED, EventType.RETURNED),
            (Status.PROCESSING, Status.WITHDRAWN, EventType.WITHDRAWN),
            (Status.NEW, Status.WITHDRAWN, EventType.WITHDRAWN),
            (Status.SUPPLEMENT, Status.STOPPED, None),
        ],
    )
    def test_status_change(self, current: Status, target: Status, expected: EventType | None) -> None:
        assert event_for_status(dossier(received=True), current, target) is expected

    def test_the_receipt_after_a_supplement_at_reception_is_a_reception(self) -> None:
        assert (
            event_for_status(dossier(received=False), Status.SUPPLEMENT, Status.PROCESSING)
            is EventType.RECEIVED
        )

    def test_resuming_after_a_supplement_in_processing_is_not(self) -> None:
        assert event_for_status(dossier(received=True), Status.SUPPLEMENT, Status.PROCESSING) is None

    def test_cloud_event_types(self) -> None:
        assert EventType.NEAR_DUE.cloud_type == "vn.motcua.dossier.near_due"
        assert {t.value for t in EventType} >= {
            "received",
            "near_due",
            "overdue",
            "extended",
            "completed",
            "returned",
            "refused",
            "withdrawn",
        }


class TestBackoff:
    POLICY = RetryPolicy(base_seconds=5, cap_seconds=600, floor_seconds=1)

    @pytest.mark.parametrize("failures", range(1, 12))
    def test_full_jitter_stays_within_the_exponential_ceiling(self, failures: int) -> None:
        rng = random.Random(failures)
        ceiling = min(600, 5 * 2 ** (failures - 1))
        waits = [self.POLICY.delay(failures, rng).total_seconds() for _ in range(500)]
        assert min(waits) >= 1
        assert max(waits) <= ceiling
        if ceiling >= 40:
            # Spread over the whole range, not bunched at the ceiling (that is what full jitter buys).
            assert min(waits) < ceiling * 0.1
            assert max(waits) > ceiling * 0.9

    def test_the_cap_holds_for_any_number_of_failures(self) -> None:
        assert self.POLICY.delay(500, random.Random(3)).total_seconds() <= 600


class TestSignature:
    def test_the_receiver_verifies_the_exact_bytes(self) -> None:
        body = encode({"id": "1", "data": {"agency": {"name": "UBND phường Ba Đình"}}})
        header = signature("k" * 32, body)
        assert re.fullmatch("sha256=[0-9a-f]{64}", header)
        assert verify("k" * 32, body, header)
        assert not verify("k" * 32, body + b" ", header)
        assert not verify("j" * 32, body, header)
        assert not verify("k" * 32, body, None)

    def test_the_body_is_compact_utf8_with_vietnamese_unescaped(self) -> None:
        assert encode({"a": "Ba Đình"}) == '{"a":"Ba Đình"}'.encode()


class TestSettings:
    def test_the_embedded_default_has_no_webhook(self) -> None:
        assert IocSettings().webhook_url is None
        assert IocSettings().max_attempts == 10

    @pytest.mark.parametrize(("secret", "refused"), [(None, True), ("x" * 31, True), ("x" * 32, False)])
    def test_production_needs_a_secret_of_32_characters_with_a_webhook(
        self, secret: str | None, refused: bool
    ) -> None:
        ioc = IocSettings(
            webhook_url="https://ioc.hanoi.gov.vn/events", secret=SecretStr(secret) if secret else None
        )
        assert bool(ioc.production_problems()) is refused
        production = {
            "env": "production",
            "dev_identity": False,
            "keycloak_url": "https://id.hanoi.gov.vn",
            "database_url": "postgresql+psycopg://motcua@db/motcua",
            "residents": ResidentsSettings(url="https://lgsp.example.gov.vn/dan-cu", token="t" * 32),
        }
        if refused:
            with pytest.raises(ValidationError, match="MOTCUA_IOC_SECRET"):
                Settings(**production, ioc=ioc)
        else:
            assert Settings(**production, ioc=ioc).ioc.webhook_url

    def test_outside_production_an_unsigned_webhook_is_allowed(self) -> None:
        assert (
            Settings(env="development", ioc=IocSettings(webhook_url="http://127.0.0.1:9/")).ioc.secret is None
        )

    def test_the_secret_never_shows_in_a_repr(self) -> None:
        ioc = IocSettings(webhook_url="https://x", secret=SecretStr("s" * 40))
        assert "s" * 40 not in repr(ioc)


def test_the_fake_sink_records_and_fails_when_told() -> None:
    sink = RecordingSink()
    sink.fail_next(1)
    with pytest.raises(Exception, match="HTTP 500"):
        sink.send({"id": "a"})
    sink.send({"id": "a"})
    assert sink.events == [{"id": "a"}]

"""Delivery to a real IOC receiver on loopback: signed, same id on every retry, backoff, parking, order."""

from __future__ import annotations

import json
import random
import threading
import time
from collections.abc import Iterator
from datetime import timedelta

import pytest
from sqlalchemy import func
from sqlmodel import select

from engine.clock import FixedClock, SystemClock
from engine.delivery import RetryPolicy, deliver_due
from engine.outbox import EventType, emit
from engine.store.models import DossierRow, OutboxEventRow
from engine.usecases.dossiers import FileDossier, file_dossier
from integrations.ioc.client import IocClient, verify
from integrations.ioc.sink import LogSink, WebhookSink
from portal.auth import DEMO_USERS, actor_from_claims
from portal.wiring import Container
from portal.worker import run_cycle
from tests.builders import OFFICER, Api, birth_filing, ok, outbox
from tests.ioc_receiver import SECRET, IocReceiver

POLICY = RetryPolicy(max_attempts=4, base_seconds=10, cap_seconds=60)


@pytest.fixture
def webhook(ioc_receiver: IocReceiver) -> Iterator[WebhookSink]:
    """The real HTTP sink, pointed at the receiver, signing with the test secret."""
    sink = WebhookSink(IocClient(ioc_receiver.url, SECRET, timeout=1.0))
    yield sink
    sink.close()


def deliver(container: Container, sink: WebhookSink, policy: RetryPolicy = POLICY, batch: int = 50) -> int:
    """One delivery round with the test's clock."""
    return deliver_due(
        container.transaction, sink, container.services.clock, batch, policy=policy, rng=random.Random(7)
    )


def counter_dossier(api: Api) -> str:
    """A birth registration filed at the counter: received at once, one `received` event."""
    return str(ok(api.file(OFFICER, birth_filing()))["code"])


def row(container: Container, event_id: str) -> OutboxEventRow:
    """The outbox row of an event."""
    return next(r for r in outbox(container) if r.id == event_id)


class TestSignedDelivery:
    def test_the_body_is_the_cloud_event_signed_with_the_shared_secret(
        self, api: Api, container: Container, ioc_receiver: IocReceiver, webhook: WebhookSink
    ) -> None:
        code = counter_dossier(api)

        assert deliver(container, webhook) == 1

        [request] = ioc_receiver.requests
        headers = {k.lower(): v for k, v in request.headers.items()}
        assert headers["content-type"].startswith("application/cloudevents+json")
        assert verify(SECRET, request.body, headers["x-motcua-signature"])
        assert not verify("another-secret-" + "x" * 32, request.body, headers["x-motcua-signature"])
        assert headers["x-motcua-signature"].startswith("sha256=")
        event = json.loads(request.body)
        assert event["subject"] == code
        assert headers["ce-id"] == event["id"]
        stored = row(container, event["id"])
        assert event == stored.payload
        assert (stored.status, stored.delivered_to, stored.attempts) == ("delivered", "webhook", 0)
        assert stored.delivered_at == container.services.clock.now()

    def test_nothing_is_sent_twice_once_delivered(
        self, api: Api, container: Container, ioc_receiver: IocReceiver, webhook: WebhookSink
    ) -> None:
        counter_dossier(api)
        assert deliver(container, webhook) == 1
        assert deliver(container, webhook) == 0
        assert len(ioc_receiver.requests) == 1


class TestRetries:
    def test_a_500_is_retried_later_with_the_same_id(
        self,
        api: Api,
        container: Container,
        clock: FixedClock,
        ioc_receiver: IocReceiver,
        webhook: WebhookSink,
    ) -> None:
        counter_dossier(api)
        ioc_receiver.answer(500)

        assert deliver(container, webhook) == 0
        [failed] = outbox(container)
        assert (failed.status, failed.attempts) == ("pending", 1)
        assert "HTTP 500" in (failed.last_error or "")
        assert clock.now() < failed.next_attempt_at <= clock.now() + timedelta(seconds=10)
        assert deliver(container, webhook) == 0, "not due yet: nothing is sent"
        assert len(ioc_receiver.requests) == 1

        clock.set(failed.next_attempt_at)
        assert deliver(container, webhook) == 1

        ids = ioc_receiver.all_ids()
        assert ids == [failed.id, failed.id]
        assert ioc_receiver.accepted_ids() == {failed.id: 1}
        [done] = outbox(container)
        assert (done.status, done.attempts) == ("delivered", 1)

    def test_the_wait_grows_with_full_jitter_and_the_event_parks_after_the_last_attempt(
        self,
        api: Api,
        container: Container,
        clock: FixedClock,
        ioc_receiver: IocReceiver,
        webhook: WebhookSink,
    ) -> None:
        counter_dossier(api)
        ioc_receiver.answer(*[503] * POLICY.max_attempts)
        for attempt in range(1, POLICY.max_attempts):
            assert deliver(container, webhook) == 0
            [pending] = outbox(container)
            assert (pending.status, pending.attempts) == ("pending", attempt)
            ceiling = min(POLICY.cap_seconds, POLICY.base_seconds * 2 ** (attempt - 1))
            wait = (pending.next_attempt_at - clock.now()).total_seconds()
            assert POLICY.floor_seconds <= wait <= ceiling
            clock.set(pending.next_attempt_at)

        assert deliver(container, webhook) == 0
        [parked] = outbox(container)
        assert (parked.status, parked.attempts) == ("parked", POLICY.max_attempts)
        assert "503" in (parked.last_error or "")

        clock.advance(timedelta(days=30))
        assert deliver(container, webhook) == 0, "a parked event waits for `motcua outbox retry`"
        assert len(ioc_receiver.requests) == POLICY.max_attempts
        assert set(ioc_receiver.all_ids()) == {parked.id}

    def test_a_receiver_that_hangs_times_out_and_gets_the_event_again_with_the_same_id(
        self,
        api: Api,
        container: Container,
        clock: FixedClock,
        ioc_receiver: IocReceiver,
        webhook: WebhookSink,
    ) -> None:
        counter_dossier(api)
        ioc_receiver.hang(2.0)  # longer than the client's 1 s timeout

        started = time.monotonic()
        assert deliver(container, webhook) == 0
        assert time.monotonic() - started < 1.9
        [pending] = outbox(container)
        assert "Timeout" in (pending.last_error or "")

        clock.set(pending.next_attempt_at)
        assert deliver(container, webhook) == 1
        deadline = time.monotonic() + 5
        while len(ioc_receiver.requests) < 2 and time.monotonic() < deadline:
            time.sleep(0.05)  # the hung request is recorded when its sleep ends
        assert ioc_receiver.all_ids() == [pending.id, pending.id]
        assert row(container, pending.id).status == "delivered"

    def test_a_connection_refused_is_a_failed_attempt(self, api: Api, container: Container) -> None:
        counter_dossier(api)
        dead = IocReceiver()
        url = dead.url
        dead.server.server_close()  # bound, never served, now closed
        sink = WebhookSink(IocClient(url, SECRET, timeout=1.0))
        try:
            assert deliver(container, sink) == 0
        finally:
            sink.close()
        [pending] = outbox(container)
        assert pending.attempts == 1
        assert "ConnectError" in (pending.last_error or "")


class TestOrderPerDossier:
    def test_a_later_event_waits_while_an_earlier_one_of_its_dossier_is_retried(
        self,
        api: Api,
        container: Container,
        clock: FixedClock,
        ioc_receiver: IocReceiver,
        webhook: WebhookSink,
    ) -> None:
        first = counter_dossier(api)
        with container.transaction() as uow:
            dossier = uow.session.exec(select(DossierRow).where(DossierRow.code == first)).one()
            emit(uow, EventType.NEAR_DUE, dossier, {"deadline_state": "near_due"}, clock.now())
            emit(uow, EventType.OVERDUE, dossier, {"deadline_state": "overdue"}, clock.now())
        other = counter_dossier(api)
        ioc_receiver.answer(500)  # the first dossier's `received`

        assert deliver(container, webhook) == 1  # only the other dossier's event goes
        assert [e["subject"] for e in ioc_receiver.accepted()] == [other]
        waiting = [r for r in outbox(container) if r.subject == first]
        assert [r.status for r in waiting] == ["pending"] * 3
        assert waiting[1].next_attempt_at <= clock.now(), "due, but held back behind the failed one"

        assert deliver(container, webhook) == 0  # still held back: the first one is not due yet
        clock.set(waiting[0].next_attempt_at)
        assert deliver(container, webhook) == 3

        types = [
            e["type"].removeprefix("vn.motcua.dossier.")
            for e in ioc_receiver.accepted()
            if e["subject"] == first
        ]
        assert types == ["received", "near_due", "overdue"]

    def test_a_failure_in_the_middle_of_a_round_holds_back_the_rest_of_that_dossier(
        self,
        api: Api,
        container: Container,
        clock: FixedClock,
        ioc_receiver: IocReceiver,
        webhook: WebhookSink,
    ) -> None:
        code = counter_dossier(api)
        with container.transaction() as uow:
            dossier = uow.session.exec(select(DossierRow).where(DossierRow.code == code)).one()
            for _ in range(3):
                emit(uow, EventType.NEAR_DUE, dossier, None, clock.now())
        ioc_receiver.answer(200, 500)

        assert deliver(container, webhook) == 1
        assert len(ioc_receiver.requests) == 2, "after the failure no later event of the dossier is tried"
        rows = outbox(container)
        assert [r.status for r in rows] == ["delivered", "pending", "pending", "pending"]
        assert rows[2].next_attempt_at == clock.now(), "released, due again, still behind the failed one"

        clock.set(rows[1].next_attempt_at)
        assert deliver(container, webhook) == 3
        assert [e["id"] for e in ioc_receiver.accepted()] == [r.id for r in rows]


class TestWithoutWebhook:
    def test_events_are_logged_marked_delivered_to_log_and_stay_in_the_feed(
        self, api: Api, container: Container, caplog: pytest.LogCaptureFixture
    ) -> None:
        code = counter_dossier(api)
        assert container.settings.ioc.webhook_url is None
        with caplog.at_level("INFO", logger="motcua.ioc"):
            result = run_cycle(container)

        assert (result.done["outbox"], result.failed) == (1, {})
        assert list(result.done) == [
            "timers",
            "overdue",
            "near_due",
            "step_overruns",
            "calendar_changes",
            "documents",
            "outbox",
            "email",
            "sms",
            "tally",
            "stats",
            "prune",
            "prune_requests",
        ]
        [delivered] = outbox(container)
        assert (delivered.status, delivered.delivered_to) == ("delivered", "log")
        assert code in caplog.text
        assert isinstance(container.sink, LogSink)
        feed = ok(api.get("/ioc/events", "quantri"))
        assert [e["id"] for e in feed["events"]] == [delivered.id]


class TestTwoWorkersAtOnce:
    """Two delivery loops, each with its own sessions and HTTP client, over the same 200 events."""

    DOSSIERS = 40
    EVENTS_EACH = 5

    def seed(self, container: Container) -> None:
        officer = next(u for u in DEMO_USERS if u.username == OFFICER)
        actor = actor_from_claims(
            {
                "sub": f"dev:{officer.username}",
                "preferred_username": officer.username,
                "name": officer.name,
                "realm_access": {"roles": list(officer.roles)},
                "agency": officer.agency,
            }
        )
        now = container.services.clock.now()
        for _ in range(self.DOSSIERS):
            with container.transaction() as uow:
                dossier = file_dossier(container.services, uow, actor, FileDossier(**birth_filing()))
                for kind in (EventType.NEAR_DUE, EventType.OVERDUE, EventType.EXTENDED, EventType.COMPLETED):
                    emit(uow, kind, dossier, None, now)

    def test_each_event_is_delivered_exactly_once_and_in_order_per_dossier(
        self, container: Container, ioc_receiver: IocReceiver
    ) -> None:
        self.seed(container)
        total = self.DOSSIERS * self.EVENTS_EACH
        assert len(outbox(container)) == total
        clock = SystemClock()  # real time: the two loops really overlap
        failures: list[BaseException] = []
        start = threading.Barrier(2)
        delivered = [0, 0]

        def loop(index: int) -> None:
            sink = WebhookSink(IocClient(ioc_receiver.url, SECRET, timeout=5.0))
            try:
                start.wait(timeout=10)
                deadline = time.monotonic() + 60
                while time.monotonic() < deadline:
                    delivered[index] += deliver_due(container.transaction, sink, clock, 20, policy=POLICY)
                    with container.transaction() as uow:
                        left = uow.session.exec(
                            select(func.count()).where(OutboxEventRow.status == "pending")
                        ).one()
                    if not left:
                        return
                    time.sleep(0.01)
            except BaseException as exc:  # noqa: BLE001 — reported by the main thread
                failures.append(exc)
            finally:
                sink.close()

        threads = [threading.Thread(target=loop, args=(i,)) for i in range(2)]
        for thread in threads:
            thread.start()
        for thread in threads:
            thread.join(timeout=90)

        assert not failures, failures
        assert sum(delivered) == total
        assert min(delivered) > 0, f"both loops must have delivered: {delivered}"
        accepted = ioc_receiver.accepted_ids()
        assert len(accepted) == total
        assert set(accepted.values()) == {1}, "an event was delivered twice"
        assert {r.status for r in outbox(container)} == {"delivered"}
        seq_of = {r.id: r.seq for r in outbox(container)}
        by_dossier: dict[str, list[int]] = {}
        for event in ioc_receiver.accepted():
            by_dossier.setdefault(event["subject"], []).append(seq_of[event["id"]])
        assert all(seqs == sorted(seqs) for seqs in by_dossier.values()), (
            "a dossier's events arrived out of order"
        )
        assert len(by_dossier) == self.DOSSIERS


def test_the_lease_keeps_a_claimed_event_from_a_second_worker(api: Api, container: Container) -> None:
    """A worker that claimed rows and died: they stay with it until the lease ends, then go out again."""
    from engine.delivery import claim
    from engine.outbox import Channel

    counter_dossier(api)
    clock = container.services.clock
    [claimed] = claim(container.transaction, Channel.IOC, clock.now(), 10, POLICY)
    assert claim(container.transaction, Channel.IOC, clock.now(), 10, POLICY) == []

    later = clock.now() + timedelta(seconds=POLICY.lease_seconds)
    [again] = claim(container.transaction, Channel.IOC, later, 10, POLICY)
    assert again.id == claimed.id

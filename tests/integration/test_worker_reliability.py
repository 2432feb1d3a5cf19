"""Reliability with real processes: `motcua worker` killed with SIGKILL mid-delivery, an IOC receiver that
fails and hangs, two workers side by side, and signed reports fired exactly when the calendar says.

The workers here are separate OS processes on the test's database (SQLite file or the real PostgreSQL),
driven by their own system clock, delivering over real HTTP to a receiver on loopback.
"""

from __future__ import annotations

import os
import signal
import subprocess
import sys
import time
from collections import defaultdict
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from datetime import UTC, datetime, timedelta
from pathlib import Path

import pytest
from sqlalchemy import update
from sqlmodel import col, select

from engine.outbox import EventType, emit
from engine.store.models import DossierRow, OutboxEventRow
from integrations.ioc.client import IocClient, verify
from integrations.ioc.sink import WebhookSink
from portal.wiring import Container
from portal.worker import run_cycle
from tests.builders import OFFICER, Api, birth_filing, ok, outbox
from tests.ioc_receiver import SECRET, IocReceiver

ROOT = Path(__file__).resolve().parents[2]
WAIT = 60.0  # seconds: generous on a loaded 2-core machine; the loops below return as soon as they can


def file_now(api: Api) -> str:
    """A birth registration received at the counter now (the workers run on the system clock)."""
    api.clock.set(datetime.now(UTC))
    return str(ok(api.file(OFFICER, birth_filing()))["code"])


def add_events(container: Container, codes: list[str], per_dossier: int) -> None:
    """More events per dossier (as the deadline scan would write them), so order per dossier is tested."""
    now = datetime.now(UTC)
    with container.transaction() as uow:
        for code in codes:
            dossier = uow.session.exec(select(DossierRow).where(DossierRow.code == code)).one()
            for n in range(per_dossier):
                emit(uow, EventType.NEAR_DUE, dossier, {"test_sequence": n}, now)


@contextmanager
def worker(
    container: Container, tmp_path: Path, receiver: IocReceiver, name: str, **env: str
) -> Iterator[subprocess.Popen[bytes]]:
    """`motcua worker` as its own process, delivering to the receiver; stopped (or found dead) at the end."""
    environment = {
        **os.environ,
        "MOTCUA_ENV": "test",
        "MOTCUA_DATABASE_URL": container.engine.url.render_as_string(hide_password=False),
        "MOTCUA_DATA_DIR": str(tmp_path / name),
        "MOTCUA_IOC_WEBHOOK_URL": receiver.url,
        "MOTCUA_IOC_SECRET": SECRET,
        "MOTCUA_WORKER_INTERVAL": "0.2",
        **env,
    }
    log = (tmp_path / f"{name}.log").open("wb")
    process = subprocess.Popen(
        [sys.executable, "-c", "from portal.cli import main; main()", "worker"],
        cwd=ROOT,
        env=environment,
        stdout=log,
        stderr=subprocess.STDOUT,
    )
    try:
        yield process
    finally:
        if process.poll() is None:
            process.send_signal(signal.SIGTERM)
            try:
                process.wait(timeout=20)
            except subprocess.TimeoutExpired:
                process.kill()
                process.wait()
        log.close()


def wait_for(condition: Callable[[], bool], what: str, tmp_path: Path) -> None:
    deadline = time.monotonic() + WAIT
    while not condition():
        if time.monotonic() > deadline:
            logs = "\n".join(p.read_text(errors="replace")[-2000:] for p in tmp_path.glob("*.log"))
            raise AssertionError(f"timed out waiting until {what}\n{logs}")
        time.sleep(0.1)


def ioc_rows(container: Container) -> list[OutboxEventRow]:
    return outbox(container, "ioc")


def test_a_worker_killed_mid_delivery_loses_nothing_and_a_duplicate_keeps_its_id(
    api: Api, container: Container, tmp_path: Path, ioc_receiver: IocReceiver
) -> None:
    codes = [file_now(api) for _ in range(3)]
    add_events(container, codes, per_dossier=3)
    expected = {r.id: r.payload for r in ioc_rows(container)}
    assert len(expected) == 12
    ioc_receiver.answer(200, 200, 200)
    ioc_receiver.hang(4)  # the fourth event hangs: the worker is in the middle of delivering it
    with worker(
        container,
        tmp_path,
        ioc_receiver,
        "first",
        MOTCUA_IOC_TIMEOUT_SECONDS="60",
        MOTCUA_IOC_LEASE_SECONDS="3",
    ) as first:
        wait_for(lambda: ioc_receiver.arrivals >= 4, "the fourth event reached the receiver", tmp_path)
        os.kill(first.pid, signal.SIGKILL)
        first.wait(timeout=10)
        assert first.returncode == -signal.SIGKILL
    assert any(r.status == "pending" for r in ioc_rows(container)), "the kill left work undone"

    with worker(container, tmp_path, ioc_receiver, "second", MOTCUA_IOC_LEASE_SECONDS="3"):
        wait_for(
            lambda: all(r.status == "delivered" for r in ioc_rows(container)),
            "every event is delivered",
            tmp_path,
        )
    wait_for(
        lambda: len(ioc_receiver.requests) == ioc_receiver.arrivals, "the hanging request ends", tmp_path
    )
    accepted = ioc_receiver.accepted()
    assert {e["id"] for e in accepted} == set(expected)
    for event in accepted:
        assert event == expected[event["id"]]  # a duplicate is the same event, byte for byte in content
    duplicates = {i for i, n in ioc_receiver.accepted_ids().items() if n > 1}
    assert len(duplicates) <= 1  # at most the event that was in flight when the worker died
    assert all(verify(SECRET, r.body, r.headers.get("X-MotCua-Signature")) for r in ioc_receiver.requests)


def test_after_an_outage_of_the_receiver_every_event_arrives_in_order_per_dossier(
    api: Api, container: Container, tmp_path: Path, ioc_receiver: IocReceiver
) -> None:
    codes = [file_now(api) for _ in range(3)]
    add_events(container, codes, per_dossier=3)
    by_dossier: dict[str, list[str]] = defaultdict(list)
    for row in ioc_rows(container):  # seq order
        by_dossier[row.subject].append(row.id)
    ioc_receiver.answer(500, 500, 503, 500, 500)
    ioc_receiver.hang(3)  # longer than the worker's timeout
    with worker(
        container,
        tmp_path,
        ioc_receiver,
        "outage",
        MOTCUA_IOC_TIMEOUT_SECONDS="1",
        MOTCUA_IOC_BACKOFF_BASE_SECONDS="0.2",
        MOTCUA_IOC_BACKOFF_CAP_SECONDS="1",
        MOTCUA_IOC_MAX_ATTEMPTS="50",
    ):
        wait_for(
            lambda: all(r.status == "delivered" for r in ioc_rows(container)),
            "every event is delivered after the outage",
            tmp_path,
        )
    answered = [r.answered for r in ioc_receiver.requests]
    assert answered[:5] == [500, 500, 503, 500, 500]
    first_accepted: dict[str, list[str]] = defaultdict(list)
    for event in ioc_receiver.accepted():
        ids = first_accepted[event["subject"]]
        if event["id"] not in ids:
            ids.append(event["id"])
    assert first_accepted == by_dossier  # none lost, and each dossier's events in the order they happened


def test_two_workers_report_each_near_due_and_overdue_transition_exactly_once(
    api: Api, container: Container, tmp_path: Path, ioc_receiver: IocReceiver
) -> None:
    codes = [file_now(api) for _ in range(8)]
    near, late = codes[:4], codes[4:]
    now = datetime.now(UTC)
    with container.engine.begin() as conn:
        # Thresholds set straight in the indexed columns: what is tested is the claim, not the calendar.
        conn.execute(
            update(DossierRow)
            .where(col(DossierRow.code).in_(near))
            .values(near_due_at=now - timedelta(minutes=1), due_at=now + timedelta(days=2))
        )
        conn.execute(
            update(DossierRow)
            .where(col(DossierRow.code).in_(late))
            .values(near_due_at=now - timedelta(days=1), due_at=now - timedelta(minutes=1))
        )

    def reports(kind: str) -> list[str]:
        return [r.subject for r in ioc_rows(container) if r.type == f"vn.motcua.dossier.{kind}"]

    with (
        worker(container, tmp_path, ioc_receiver, "a"),
        worker(container, tmp_path, ioc_receiver, "b"),
    ):
        wait_for(lambda: len(reports("near_due")) >= 4 and len(reports("overdue")) >= 4, "reports", tmp_path)
        wait_for(lambda: all(r.status == "delivered" for r in ioc_rows(container)), "delivery", tmp_path)
        time.sleep(1.5)  # several more cycles of both workers: nothing may be reported again
    assert sorted(reports("near_due")) == sorted(near)
    assert sorted(reports("overdue")) == sorted(late)
    delivered = [e for e in ioc_receiver.accepted() if e["type"].endswith(("near_due", "overdue"))]
    assert sorted(e["subject"] for e in delivered) == sorted(codes)
    assert len({e["id"] for e in delivered}) == len(delivered)


class TestSignedReportsOnCalendarDates:
    """The receiver gets each report at the moment the working calendar says, signed, once (Clock port)."""

    @pytest.fixture
    def webhook(self, container: Container, ioc_receiver: IocReceiver) -> IocReceiver:
        container.sink = WebhookSink(IocClient(ioc_receiver.url, SECRET, timeout=2))
        return ioc_receiver

    def reported(self, receiver: IocReceiver, kind: str) -> list[str]:
        return [e["subject"] for e in receiver.accepted() if e["type"] == f"vn.motcua.dossier.{kind}"]

    def test_near_due_across_tet_2026(self, api: Api, container: Container, webhook: IocReceiver) -> None:
        # Received Thu 12/02 10:00 → due Mon 02/03 10:00 (Tết 14–22/02 skipped); near due 14 h before.
        api.at("2026-02-12T10:00")
        code = api.received(at="2026-02-12T10:00")
        for moment in ("2026-02-16T10:00", "2026-02-25T17:00", "2026-02-26T13:29"):
            api.at(moment)
            run_cycle(container)
        assert self.reported(webhook, "near_due") == []
        api.at("2026-02-26T13:30")
        run_cycle(container)
        run_cycle(container)
        assert self.reported(webhook, "near_due") == [code]
        (request,) = [r for r in webhook.requests if r.event["type"].endswith("near_due")]
        assert verify(SECRET, request.body, request.headers.get("X-MotCua-Signature"))
        assert request.event["data"]["due_at"] == "2026-03-02T10:00:00+07:00"

    def test_overdue_after_the_makeup_saturday(
        self, api: Api, container: Container, webhook: IocReceiver
    ) -> None:
        # Fri 21/08 09:00 + 7 working days counts Sat 22/08 (make-up) → due Thu 03/09 09:00.
        api.at("2026-08-21T09:00")
        code = api.received(at="2026-08-21T09:00")
        api.at("2026-09-03T09:00")
        run_cycle(container)
        assert self.reported(webhook, "overdue") == []
        api.at("2026-09-03T09:01")
        run_cycle(container)
        api.at("2026-09-04T09:00")
        run_cycle(container)
        assert self.reported(webhook, "overdue") == [code]
        (event,) = [e for e in webhook.accepted() if e["type"] == "vn.motcua.dossier.overdue"]
        assert event["data"]["deadline_state"] == "overdue"

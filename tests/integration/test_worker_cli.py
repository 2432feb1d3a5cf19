"""`motcua worker` and `motcua outbox list|retry`, run the way an operator runs them."""

from __future__ import annotations

import os
import random
import signal
import subprocess
import sys
import time
from collections.abc import Callable
from datetime import UTC, datetime
from pathlib import Path

import pytest
from typer.testing import CliRunner, Result

from engine.delivery import RetryPolicy, deliver_due
from integrations.ioc.client import IocClient, verify
from integrations.ioc.sink import WebhookSink
from portal.cli import app
from portal.settings import ROOT, get_settings
from portal.wiring import Container
from tests.builders import OFFICER, Api, birth_filing, ok, outbox
from tests.ioc_receiver import SECRET, IocReceiver

Cli = Callable[..., Result]


def environment(container: Container, tmp_path: Path, **extra: str) -> dict[str, str]:
    """The settings of a process working on the test's database."""
    return {
        "MOTCUA_ENV": "test",
        "MOTCUA_DATABASE_URL": container.engine.url.render_as_string(hide_password=False),
        "MOTCUA_DATA_DIR": str(tmp_path),
        **extra,
    }


@pytest.fixture
def cli(container: Container, tmp_path: Path) -> Cli:
    """`motcua ...` in this process, settings read afresh from the given environment."""

    def run(*args: str, **extra: str) -> Result:
        get_settings.cache_clear()
        try:
            return CliRunner().invoke(app, list(args), env=environment(container, tmp_path, **extra))
        finally:
            get_settings.cache_clear()

    return run


def webhook_env(receiver: IocReceiver) -> dict[str, str]:
    """MOTCUA_IOC_* pointing at the receiver."""
    return {
        "MOTCUA_IOC_WEBHOOK_URL": receiver.url,
        "MOTCUA_IOC_SECRET": SECRET,
        "MOTCUA_IOC_TIMEOUT_SECONDS": "2",
    }


def file_at_counter(api: Api) -> str:
    """One received dossier, one pending event.

    Filed at the real present: `motcua worker` runs on the system clock, and a dossier filed on the test's
    fixed date in the past would (rightly) be reported overdue by the same cycle.
    """
    api.clock.set(datetime.now(UTC))
    return str(ok(api.file(OFFICER, birth_filing()))["code"])


def park(container: Container, receiver: IocReceiver) -> str:
    """Fail the pending event once with a one-attempt budget: it is parked. Returns its id."""
    receiver.answer(500)
    sink = WebhookSink(IocClient(receiver.url, SECRET, timeout=2))
    try:
        deliver_due(
            container.transaction,
            sink,
            container.services.clock,
            policy=RetryPolicy(max_attempts=1),
            rng=random.Random(1),
        )
    finally:
        sink.close()
    [row] = outbox(container)
    assert row.status == "parked"
    return row.id


class TestWorkerOnce:
    def test_without_a_webhook_the_events_go_to_the_log(
        self, api: Api, container: Container, cli: Cli
    ) -> None:
        file_at_counter(api)
        result = cli("worker", "--once")
        assert result.exit_code == 0, result.output
        assert "outbox: 1" in result.output
        [row] = outbox(container)
        assert (row.status, row.delivered_to) == ("delivered", "log")

    def test_with_a_webhook_the_receiver_gets_the_signed_event(
        self, api: Api, container: Container, cli: Cli, ioc_receiver: IocReceiver
    ) -> None:
        code = file_at_counter(api)
        result = cli("worker", "--once", **webhook_env(ioc_receiver))
        assert result.exit_code == 0, result.output
        [request] = ioc_receiver.requests
        assert request.event["subject"] == code
        assert verify(SECRET, request.body, request.headers.get("X-MotCua-Signature"))
        assert outbox(container)[0].delivered_to == "webhook"

    def test_a_failed_delivery_is_a_retry_later_not_a_failed_cycle(
        self, api: Api, container: Container, cli: Cli, ioc_receiver: IocReceiver
    ) -> None:
        file_at_counter(api)
        ioc_receiver.answer(500)
        result = cli("worker", "--once", **webhook_env(ioc_receiver))
        assert result.exit_code == 0, result.output
        assert "outbox: 0" in result.output
        assert outbox(container)[0].attempts == 1

    def test_production_refuses_a_webhook_without_a_long_secret(
        self, cli: Cli, ioc_receiver: IocReceiver
    ) -> None:
        result = cli(
            "worker",
            "--once",
            MOTCUA_ENV="production",
            MOTCUA_DEV_IDENTITY="false",
            MOTCUA_KEYCLOAK_URL="https://id.example.vn",
            MOTCUA_DATABASE_URL="postgresql+psycopg://motcua@127.0.0.1:1/motcua",
            MOTCUA_IOC_WEBHOOK_URL=ioc_receiver.url,
            MOTCUA_IOC_SECRET="too-short",
        )
        assert result.exit_code != 0
        assert "MOTCUA_IOC_SECRET must hold at least 32 characters" in str(result.exception)
        assert ioc_receiver.requests == []


class TestOutboxCommands:
    def test_list_shows_a_parked_event_and_retry_delivers_it_again_with_the_same_id(
        self, api: Api, container: Container, cli: Cli, ioc_receiver: IocReceiver
    ) -> None:
        code = file_at_counter(api)
        event_id = park(container, ioc_receiver)

        listed = cli("outbox", "list", "--status", "parked")
        assert listed.exit_code == 0, listed.output
        header, line = listed.output.splitlines()
        assert header.split()[:3] == ["SEQ", "ID", "LOẠI"]
        assert all(part in line for part in (event_id, code, "received", "parked"))
        assert "HTTP 500" in line
        assert (
            cli("outbox", "list", "--status", "delivered").output.strip()
            == "Không có sự kiện nào (no events)."
        )

        retried = cli("outbox", "retry", event_id)
        assert retried.exit_code == 0, retried.output
        assert "Đã đặt lại 1 sự kiện" in retried.output
        [row] = outbox(container)
        assert (row.status, row.attempts) == ("pending", 0)

        sent = cli("worker", "--once", **webhook_env(ioc_receiver))
        assert sent.exit_code == 0, sent.output
        assert ioc_receiver.all_ids() == [event_id, event_id]
        assert ioc_receiver.accepted_ids() == {event_id: 1}
        assert outbox(container)[0].status == "delivered"

    def test_retry_all_parked(
        self, api: Api, container: Container, cli: Cli, ioc_receiver: IocReceiver
    ) -> None:
        file_at_counter(api)
        park(container, ioc_receiver)
        result = cli("outbox", "retry", "--all-parked")
        assert result.exit_code == 0, result.output
        assert "Đã đặt lại 1 sự kiện" in result.output
        assert outbox(container)[0].status == "pending"

    def test_a_delivered_or_unknown_id_is_left_alone(self, api: Api, container: Container, cli: Cli) -> None:
        file_at_counter(api)
        assert cli("worker", "--once").exit_code == 0
        [row] = outbox(container)
        result = cli("outbox", "retry", row.id, "no-such-id")
        assert result.exit_code == 0, result.output
        assert "Đã đặt lại 0 sự kiện" in result.output
        assert "no-such-id" in result.output
        assert outbox(container)[0].status == "delivered"

    def test_retry_needs_ids_or_all_parked(self, cli: Cli) -> None:
        result = cli("outbox", "retry")
        assert result.exit_code == 2
        assert "--all-parked" in result.output

    def test_list_without_filter_shows_newest_first(self, api: Api, container: Container, cli: Cli) -> None:
        first, second = file_at_counter(api), file_at_counter(api)
        result = cli("outbox", "list", "--channel", "ioc", "--limit", "5")
        assert result.exit_code == 0, result.output
        lines = result.output.splitlines()[1:]
        assert [second in lines[0], first in lines[1]] == [True, True]
        assert all(" ioc " in line for line in lines)
        everything = cli("outbox", "list", "--limit", "20").output
        assert " sms " in everything  # the applicant's messages wait in the same outbox


class TestWorkerProcess:
    @pytest.mark.parametrize("signum", [signal.SIGTERM, signal.SIGINT])
    def test_a_signal_stops_the_loop_after_the_current_cycle(
        self, api: Api, container: Container, tmp_path: Path, signum: int
    ) -> None:
        file_at_counter(api)
        env = {**os.environ, **environment(container, tmp_path, MOTCUA_WORKER_INTERVAL="0.2")}
        process = subprocess.Popen(
            [sys.executable, "-c", "from portal.cli import main; main()", "worker"],
            cwd=ROOT,
            env=env,
            stdout=subprocess.PIPE,
            stderr=subprocess.STDOUT,
            text=True,
        )
        try:
            deadline = time.monotonic() + 30
            while outbox(container)[0].status != "delivered" and time.monotonic() < deadline:
                time.sleep(0.1)
            assert outbox(container)[0].status == "delivered", "the running worker never delivered"
            process.send_signal(signum)
            output, _ = process.communicate(timeout=15)
        finally:
            if process.poll() is None:
                process.kill()
                process.wait()
        assert process.returncode == 0, output
        assert "stopping after this cycle" in output

    def test_several_processes_drain_the_outbox_and_stop_together(
        self, api: Api, container: Container, tmp_path: Path
    ) -> None:
        for _ in range(6):
            file_at_counter(api)
        env = {**os.environ, **environment(container, tmp_path, MOTCUA_WORKER_INTERVAL="30")}
        process = subprocess.Popen(
            [sys.executable, "-c", "from portal.cli import main; main()", "worker", "--processes", "3"],
            cwd=ROOT,
            env=env,
            stdout=subprocess.PIPE,
            stderr=subprocess.STDOUT,
            text=True,
        )
        try:
            deadline = time.monotonic() + 60
            while any(r.status != "delivered" for r in outbox(container)) and time.monotonic() < deadline:
                time.sleep(0.1)
            rows = outbox(container)
            assert rows
            assert all(r.status == "delivered" for r in rows), "the workers never drained the outbox"
            assert all(r.attempts == 0 for r in rows)  # each delivered once, none failed
            process.send_signal(signal.SIGTERM)
            output, _ = process.communicate(timeout=60)
        finally:
            if process.poll() is None:
                process.kill()
                process.wait()
        assert process.returncode == 0, output
        assert "3 tiến trình" in output

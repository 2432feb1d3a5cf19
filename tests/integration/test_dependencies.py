"""Loud misconfiguration (issue 11, finding 10): every configured service is probed against a real server on
loopback; a wrong one is named in the log, reported by /api/v1/health without secrets, and stops a
production start when it is required."""

from __future__ import annotations

import json
import logging
import socket
import threading
import time
from collections.abc import Iterator
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path
from typing import Any

import pytest
from aiosmtpd.controller import Controller
from fastapi.testclient import TestClient
from typer.testing import CliRunner

from integrations.ioc.settings import IocSettings
from integrations.notify.settings import SmsSettings, SmtpSettings
from integrations.residents.settings import ResidentsSettings
from integrations.residents.simulator import Simulator
from portal import dependencies
from portal.app import create_app
from portal.cli import app as cli_app
from portal.dependencies import (
    Broken,
    Check,
    HealthCache,
    State,
    check_at_start,
    check_ioc,
    check_keycloak,
    check_registry,
    check_sms,
    check_smtp,
)
from portal.settings import Settings, get_settings
from portal.wiring import Container
from tests.conftest import RESIDENTS_TOKEN
from tests.ioc_receiver import IocReceiver

REALM = "motcua"


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return int(s.getsockname()[1])


def dead_url() -> str:
    return f"http://127.0.0.1:{free_port()}/api/v1"


class _Http:
    """A loopback HTTP server answering every GET/HEAD/POST with a fixed status and JSON body."""

    def __init__(self, status: int = 200, body: Any = None) -> None:
        answer = (status, json.dumps(body if body is not None else {}).encode())

        class Handler(BaseHTTPRequestHandler):
            def _reply(self) -> None:
                code, data = answer
                self.send_response(code)
                self.send_header("Content-Type", "application/json")
                self.send_header("Content-Length", str(len(data)))
                self.end_headers()
                if self.command != "HEAD":
                    self.wfile.write(data)

            do_GET = do_HEAD = do_POST = _reply

            def log_message(self, format: str, *args: Any) -> None:  # noqa: A002
                pass

        self.server = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
        threading.Thread(target=self.server.serve_forever, daemon=True).start()
        self.url = f"http://127.0.0.1:{self.server.server_address[1]}"

    def close(self) -> None:
        self.server.shutdown()
        self.server.server_close()


@pytest.fixture
def keycloak() -> Iterator[str]:
    """The realm's OpenID metadata, as Keycloak serves it."""
    holder: dict[str, str] = {}

    class Handler(BaseHTTPRequestHandler):
        def do_GET(self) -> None:
            if self.path != f"/realms/{REALM}/.well-known/openid-configuration":
                self.send_response(404)
                self.end_headers()
                return
            data = json.dumps({"issuer": f"{holder['url']}/realms/{REALM}"}).encode()
            self.send_response(200)
            self.send_header("Content-Type", "application/json")
            self.send_header("Content-Length", str(len(data)))
            self.end_headers()
            self.wfile.write(data)

        def log_message(self, format: str, *args: Any) -> None:  # noqa: A002
            pass

    real = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
    threading.Thread(target=real.serve_forever, daemon=True).start()
    holder["url"] = f"http://127.0.0.1:{real.server_address[1]}"
    yield holder["url"]
    real.shutdown()
    real.server_close()


@pytest.fixture
def smtp_port() -> Iterator[int]:
    class Handler:
        async def handle_DATA(self, *_args: Any) -> str:  # noqa: N802 — aiosmtpd's hook name
            return "250 OK"

    port = free_port()
    controller = Controller(Handler(), hostname="127.0.0.1", port=port)
    controller.start()
    yield port
    controller.stop()


def settings(tmp_path: Path, **values: Any) -> Settings:
    return Settings(env="test", data_dir=tmp_path, database_url=f"sqlite:///{tmp_path}/db.sqlite", **values)


def residents(url: str, token: str = RESIDENTS_TOKEN) -> ResidentsSettings:
    return ResidentsSettings(url=url, token=token)  # type: ignore[arg-type]


class TestRegistry:
    def test_the_simulator_answers_as_the_lookup_api(self, tmp_path: Path, residents_sim: Simulator) -> None:
        assert check_registry(settings(tmp_path, residents=residents(residents_sim.url))).state is State.OK

    def test_a_url_missing_its_path_is_caught(self, tmp_path: Path, residents_sim: Simulator) -> None:
        base = residents_sim.url.removesuffix("/api/v1")
        check = check_registry(settings(tmp_path, residents=residents(base)))
        assert check.state is State.DOWN
        assert "path" in check.reason

    def test_a_wrong_token_is_caught(self, tmp_path: Path, residents_sim: Simulator) -> None:
        check = check_registry(settings(tmp_path, residents=residents(residents_sim.url, "wrong" * 5)))
        assert check.state is State.DOWN
        assert "TOKEN" in check.reason

    def test_nothing_listening(self, tmp_path: Path) -> None:
        assert check_registry(settings(tmp_path, residents=residents(dead_url()))).state is State.DOWN

    def test_another_server_is_not_the_registry(self, tmp_path: Path) -> None:
        other = _Http(200, {"hello": "world"})
        try:
            check = check_registry(settings(tmp_path, residents=residents(other.url)))
        finally:
            other.close()
        assert check.state is State.DOWN

    def test_the_embedded_simulator_is_not_configured(self, tmp_path: Path) -> None:
        assert check_registry(settings(tmp_path)).state is State.NOT_CONFIGURED


class TestOtherServices:
    def test_ioc_webhook(self, tmp_path: Path, ioc_receiver: IocReceiver) -> None:
        assert check_ioc(settings(tmp_path, ioc=IocSettings(webhook_url=ioc_receiver.url))).state is State.OK
        dead = settings(tmp_path, ioc=IocSettings(webhook_url=dead_url()))
        assert check_ioc(dead).state is State.DOWN
        assert check_ioc(settings(tmp_path)).state is State.NOT_CONFIGURED

    def test_smtp_greets(self, tmp_path: Path, smtp_port: int) -> None:
        good = SmtpSettings(host="127.0.0.1", port=smtp_port, starttls=False)
        assert check_smtp(settings(tmp_path, smtp=good)).state is State.OK
        needs_tls = SmtpSettings(host="127.0.0.1", port=smtp_port, starttls=True)
        assert check_smtp(settings(tmp_path, smtp=needs_tls)).state is State.DOWN  # no STARTTLS offered
        dead = SmtpSettings(host="127.0.0.1", port=free_port(), starttls=False)
        assert check_smtp(settings(tmp_path, smtp=dead)).state is State.DOWN
        assert check_smtp(settings(tmp_path)).state is State.NOT_CONFIGURED

    def test_an_http_server_is_not_an_smtp_server(self, tmp_path: Path) -> None:
        other = _Http(200)
        try:
            port = int(other.url.rsplit(":", 1)[1])
            wrong = SmtpSettings(host="127.0.0.1", port=port, starttls=False, timeout_seconds=2)
            assert check_smtp(settings(tmp_path, smtp=wrong), timeout=2).state is State.DOWN
        finally:
            other.close()

    def test_sms_gateway(self, tmp_path: Path) -> None:
        gateway = _Http(405)
        try:
            assert check_sms(settings(tmp_path, sms=SmsSettings(url=gateway.url))).state is State.OK
        finally:
            gateway.close()
        assert check_sms(settings(tmp_path, sms=SmsSettings(url=dead_url()))).state is State.DOWN

    def test_keycloak_realm_metadata(self, tmp_path: Path, keycloak: str) -> None:
        assert check_keycloak(settings(tmp_path, keycloak_url=keycloak)).state is State.OK
        wrong_realm = settings(tmp_path, keycloak_url=keycloak, keycloak_realm="other")
        assert check_keycloak(wrong_realm).state is State.DOWN
        assert check_keycloak(settings(tmp_path, keycloak_url=dead_url())).state is State.DOWN


class TestStart:
    def test_a_broken_service_is_logged_by_name(
        self, tmp_path: Path, residents_sim: Simulator, caplog: pytest.LogCaptureFixture
    ) -> None:
        base = residents_sim.url.removesuffix("/api/v1")
        with caplog.at_level(logging.ERROR, logger="motcua.dependencies"):
            check_at_start(settings(tmp_path, residents=residents(base)), "worker")  # not production: goes on
        assert "dependency residents is DOWN" in caplog.text
        assert "path" in caplog.text
        assert RESIDENTS_TOKEN not in caplog.text

    def test_production_refuses_a_broken_required_service(
        self, tmp_path: Path, residents_sim: Simulator, keycloak: str
    ) -> None:
        base = residents_sim.url.removesuffix("/api/v1")
        prod = settings(tmp_path, keycloak_url=keycloak).model_copy(  # unvalidated: only what the checks read
            update={"env": "production", "residents": residents(base)}
        )
        with pytest.raises(Broken, match="residents"):
            check_at_start(prod, "serve")
        good = prod.model_copy(update={"residents": residents(residents_sim.url)})
        assert all(c.state is not State.DOWN for c in check_at_start(good, "serve"))

    def test_worker_exits_non_zero_in_production_with_the_reason(
        self, tmp_path: Path, residents_sim: Simulator, keycloak: str, monkeypatch: pytest.MonkeyPatch
    ) -> None:
        base = residents_sim.url.removesuffix("/api/v1")
        env = {
            "MOTCUA_ENV": "production",
            "MOTCUA_DEV_IDENTITY": "false",
            "MOTCUA_KEYCLOAK_URL": keycloak,
            "MOTCUA_DATABASE_URL": "postgresql+psycopg://motcua:x@127.0.0.1:1/motcua",
            "MOTCUA_DATA_DIR": str(tmp_path),
            "MOTCUA_RESIDENTS_URL": base,
            "MOTCUA_RESIDENTS_TOKEN": RESIDENTS_TOKEN,
            "MOTCUA_PDF_SIGNING_KEYS_DIR": str(tmp_path),
        }
        get_settings.cache_clear()
        try:
            result = CliRunner().invoke(cli_app, ["worker", "--once"], env=env)
        finally:
            get_settings.cache_clear()
        assert result.exit_code == 1, result.output
        assert "residents" in result.output
        assert "path" in result.output


class TestHealthCache:
    def test_probes_again_after_the_ttl_and_never_queues_behind_a_slow_probe(
        self, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
    ) -> None:
        clock = [0.0]
        calls: list[float] = []
        release = threading.Event()

        def slow(_settings: Settings) -> list[Check]:
            calls.append(clock[0])
            if len(calls) > 1:
                release.wait(10)  # a dependency that takes its whole timeout
            return [Check("ioc", State.DOWN if len(calls) > 1 else State.OK)]

        monkeypatch.setattr(dependencies, "check_all", slow)
        cache = HealthCache(settings(tmp_path), ttl=30, monotonic=lambda: clock[0])
        assert [c.state for c in cache.checks()] == [State.OK]
        assert [c.state for c in cache.checks()] == [State.OK]
        assert len(calls) == 1  # within the TTL: no probe
        clock[0] = 31.0
        prober = threading.Thread(target=cache.checks)
        prober.start()
        while len(calls) < 2:
            time.sleep(0.01)
        started = time.monotonic()
        assert [c.state for c in cache.checks()] == [State.OK]  # the previous answer, at once
        assert time.monotonic() - started < 0.5
        release.set()
        prober.join(5)
        assert [c.state for c in cache.checks()] == [State.DOWN]


class TestHealth:
    def test_reports_each_state_without_secrets(
        self, container: Container, tmp_path: Path, residents_sim: Simulator
    ) -> None:
        base = residents_sim.url.removesuffix("/api/v1")
        s = container.settings.model_copy(update={"residents": residents(base)})
        client = TestClient(create_app(s, container))
        body = client.get("/api/v1/health").json()
        assert body["status"] == "degraded"
        assert body["dependencies"] == {
            "residents": "down",
            "ioc": "not_configured",
            "smtp": "not_configured",
            "sms": "not_configured",
            "keycloak": "not_configured",
        }
        text = json.dumps(body)
        assert base not in text
        assert RESIDENTS_TOKEN not in text

    def test_all_well(self, client: TestClient) -> None:
        body = client.get("/api/v1/health").json()
        assert body["status"] == "ok"
        assert "down" not in body["dependencies"].values()

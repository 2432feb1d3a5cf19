"""Time-bomb models against the system: refused at publishing, or stopped mid-request with nothing written.

Two kinds of bomb, both in a copy of the permanent-residence model (the reception gateway's condition):
- an unconditional one, which the scenarios of `procedures check` set off: publishing refuses that folder and
  logs why, while the other folders publish and filing for the refused procedure is a clean 404, not a 500;
- one that only goes off for a reception note the scenarios never use, so it is published; setting it off
  makes the request fail with ScriptLimitExceeded while other requests are answered, leaves the dossier as it
  was, and the next reception works (the pool replaced the killed worker).
Runs on its own SQLite file. Timeouts detect hangs; nothing measures speed.
"""

from __future__ import annotations

import json
import logging
import os
import shutil
import signal
import socket
import subprocess
import sys
import threading
import time
import urllib.error
import urllib.request
from collections.abc import Iterator
from pathlib import Path

import pytest
from fastapi.testclient import TestClient
from httpx import Response
from sqlalchemy import text

from engine.clock import FixedClock
from engine.store.db import make_engine
from engine.store.migrate import upgrade
from integrations.residents.simulator import Simulator
from portal.app import create_app
from portal.auth import DevIdentity
from portal.bootstrap import prepare
from portal.settings import ROOT, Settings
from portal.wiring import Container, build
from tests.builders import (
    ACCEPT,
    BIRTH,
    OFFICER,
    Api,
    birth_filing,
    error,
    ok,
    residence_filing,
    row_counts,
)
from tests.conftest import MONDAY_0900, make_settings, residents_settings

HANG = 120.0
PROCESSES = ROOT / "processes"
REFUSE = 'reception["decision"] == "refuse"</bpmn:conditionExpression>'
BIG_POWER = "(((10**64)**64)**64)**64 > 0"
ALWAYS = f'{BIG_POWER} and reception["decision"] == "refuse"</bpmn:conditionExpression>'
ON_BOM = f'reception["decision"] == "refuse" or (reception.get("note") == "BOM" and {BIG_POWER})'
ON_BOM += "</bpmn:conditionExpression>"
BOM = {"decision": "accept", "note": "BOM"}
# Hours of C-level work: in-process, nothing could interrupt it.
ON_BOM_FOREVER = ON_BOM.replace(BIG_POWER, "((((10**64)**64)**64)**64)**64 > 0")


def copy_with_bomb(root: Path, condition: str) -> Path:
    """A copy of permanent-residence whose refuse flow condition is `condition`."""
    folder = root / "permanent-residence"
    shutil.copytree(PROCESSES / "permanent-residence", folder)
    bpmn = folder / "process.bpmn"
    xml = bpmn.read_text(encoding="utf-8")
    assert xml.count(REFUSE) == 1
    bpmn.write_text(xml.replace(REFUSE, condition), encoding="utf-8")
    return folder


@pytest.fixture
def container_for(tmp_path: Path, residents_sim: Simulator) -> Iterator[object]:
    """Build a container on a fresh SQLite file for a given processes dir (not yet prepared)."""
    built: list[Container] = []

    def make(processes: Path) -> Container:
        url = f"sqlite:///{tmp_path / 'motcua.db'}"
        engine = make_engine(url)
        upgrade(engine)
        settings = make_settings(tmp_path / "data", url, residents_settings(residents_sim))
        settings = settings.model_copy(update={"processes_dir": processes})
        container = build(settings, clock=FixedClock(MONDAY_0900), engine=engine)
        built.append(container)
        return container

    yield make
    for container in built:
        container.close()
        container.engine.dispose()


def api_for(container: Container) -> Api:
    identity = DevIdentity(container.settings)
    client = TestClient(create_app(container.settings, container))
    return Api(
        client, lambda user: {"Authorization": f"Bearer {identity.issue_demo(user)}"}, FixedClock(MONDAY_0900)
    )


class TestNothingUncheckedIsPublished:
    def test_a_folder_whose_scenarios_set_off_a_bomb_is_refused_and_the_others_publish(
        self, tmp_path: Path, container_for: object, caplog: pytest.LogCaptureFixture
    ) -> None:
        processes = tmp_path / "processes"
        shutil.copytree(PROCESSES / "birth-registration", processes / "birth-registration")
        bad = copy_with_bomb(processes, ALWAYS)
        broken = processes / "broken"
        broken.mkdir()
        (broken / "process.bpmn").write_text("<not bpmn", encoding="utf-8")
        container = container_for(processes)  # type: ignore[operator]

        with caplog.at_level(logging.ERROR, logger="motcua"):
            prepare(container, migrate=False)  # no exception: the bad folders are refused, not fatal

        refused = {record.args[0] for record in caplog.records if record.args}  # type: ignore[index]
        assert refused == {bad, broken}
        text_of = {Path(str(r.args[0])): r.getMessage() for r in caplog.records if r.args}  # type: ignore[index]
        assert "ScriptLimitExceeded" in text_of[bad]
        assert "Gateway_Reception" in text_of[bad]
        assert "procedure.yaml" in text_of[broken]

        api = api_for(container)
        assert _codes(api) == [BIRTH]
        error(api.file(body=residence_filing()), 404, "ProcedureNotFound")
        assert api.file(OFFICER, birth_filing()).status_code == 201

    def test_a_restart_does_not_run_the_scenarios_of_published_content_again(
        self, tmp_path: Path, container_for: object, monkeypatch: pytest.MonkeyPatch
    ) -> None:
        processes = tmp_path / "processes"
        shutil.copytree(PROCESSES / "birth-registration", processes / "birth-registration")
        container = container_for(processes)  # type: ignore[operator]
        prepare(container, migrate=False)
        import engine.checks

        def no_check(*args: object) -> None:
            raise AssertionError("published content was checked again")

        monkeypatch.setattr(engine.checks, "check_folder", no_check)
        prepare(container, migrate=False)
        assert _codes(api_for(container)) == [BIRTH]


def _codes(api: Api) -> list[str]:
    response = api.get("/procedures")
    assert response.status_code == 200, response.text
    return sorted(item["code"] for item in response.json())


def dossier_row(container: Container, code: str) -> tuple[int, int, str]:
    with container.engine.connect() as conn:
        row = conn.execute(
            text("SELECT status, version, workflow_state FROM dossier WHERE code = :code"), {"code": code}
        ).one()
    return int(row[0]), int(row[1]), str(row[2])


class TestABombSetOffByARequest:
    def test_the_request_fails_others_are_answered_nothing_is_written_and_the_next_one_works(
        self, tmp_path: Path, container_for: object
    ) -> None:
        processes = tmp_path / "processes"
        copy_with_bomb(processes, ON_BOM)
        container = container_for(processes)  # type: ignore[operator]
        prepare(container, migrate=False)  # the scenarios never write "BOM": the folder passes its check
        api = api_for(container)
        code = api.filed()
        other = api.filed()
        before_counts = row_counts(container)
        before_row = dossier_row(container, code)

        answers: dict[str, Response] = {}
        order: list[str] = []

        def set_off() -> None:
            answers["bomb"] = api.receive(code, body=BOM)
            order.append("bomb")

        thread = threading.Thread(target=set_off)
        thread.start()
        pool = container.services.runtime._engine.environment.pool  # type: ignore[attr-defined]
        deadline = time.monotonic() + HANG
        while pool.busy_count() == 0 and thread.is_alive() and time.monotonic() < deadline:
            time.sleep(0.01)
        health = api.client.get("/api/v1/health")
        order.append("health")
        # On SQLite every unit of work begins IMMEDIATE: a read waits for the bomb's transaction, which the
        # script budget bounds; it is answered either way.
        detail = api.dossier(other)
        thread.join(HANG)
        assert not thread.is_alive()

        assert health.status_code == 200
        assert order[0] == "health"
        assert detail["status"]["code"] == 1
        body = answers["bomb"].json()
        assert answers["bomb"].status_code == 503  # not a server error: nothing changed, try again later
        assert answers["bomb"].headers["Retry-After"] == "30"
        assert body["error"] == "ScriptLimitExceeded"
        assert "Gateway_Reception" in body["message"]
        assert "quá thời gian cho phép" in body["message"]

        assert dossier_row(container, code) == before_row  # status, version and workflow state unchanged
        assert row_counts(container) == before_counts  # no submission, status change, outbox row...

        received = ok(api.receive(code, body=ACCEPT))
        assert received["status"]["code"] == 4


def free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        port: int = sock.getsockname()[1]
        return port


def children(pid: int) -> set[int]:
    """Direct children of a process (every thread's)."""
    found: set[int] = set()
    for task in Path(f"/proc/{pid}/task").glob("*"):
        try:
            found.update(int(child) for child in (task / "children").read_text().split())
        except OSError:
            continue
    return found


def state(pid: int) -> str:
    """R, S, Z... or '' when the process is gone."""
    try:
        return Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()[0]
    except (OSError, IndexError):
        return ""


def post(url: str, token: str, body: object) -> tuple[int, dict[str, object]]:
    request = urllib.request.Request(
        url,
        data=json.dumps(body).encode(),
        headers={"Authorization": f"Bearer {token}", "Content-Type": "application/json"},
        method="POST",
    )
    try:
        with urllib.request.urlopen(request, timeout=HANG) as response:
            return response.status, json.loads(response.read())
    except urllib.error.HTTPError as exc:
        return exc.code, json.loads(exc.read())


class TestServeStopsWhileAScriptIsKilled:
    def test_sigterm_during_a_bomb_stops_serve_and_leaves_no_worker(self, tmp_path: Path) -> None:
        processes = tmp_path / "processes"
        copy_with_bomb(processes, ON_BOM_FOREVER)
        port, secret = free_port(), "serve-secret-" + "s" * 32
        env = {
            **os.environ,
            "MOTCUA_ENV": "test",
            "MOTCUA_DATABASE_URL": f"sqlite:///{tmp_path / 'serve.db'}",
            "MOTCUA_DATA_DIR": str(tmp_path / "data"),
            "MOTCUA_PROCESSES_DIR": str(processes),
            "MOTCUA_DEV_SECRET": secret,
        }
        motcua = Path(sys.executable).parent / "motcua"
        serve = subprocess.Popen(
            [str(motcua), "serve", "--port", str(port), "--no-worker"],
            env=env,
            stdout=subprocess.DEVNULL,
            stderr=subprocess.DEVNULL,
        )
        try:
            base = f"http://127.0.0.1:{port}/api/v1"
            deadline = time.monotonic() + HANG
            while True:
                assert serve.poll() is None, "serve exited during start"
                try:
                    with urllib.request.urlopen(f"{base}/health", timeout=5):
                        break
                except OSError:
                    assert time.monotonic() < deadline, "serve did not start"
                    time.sleep(0.2)
            identity = DevIdentity(Settings(env="test", dev_secret=secret, port=port))
            status, filed = post(f"{base}/dossiers", identity.issue_demo("nguyenvanan"), residence_filing())
            assert status == 201, filed
            workers = children(serve.pid)
            assert len(workers) >= 2

            answer: list[object] = []

            def set_off() -> None:
                try:
                    answer.append(
                        post(f"{base}/dossiers/{filed['code']}/receive", identity.issue_demo(OFFICER), BOM)
                    )
                except OSError as exc:  # the server went away: acceptable, it was told to stop
                    answer.append(exc)

            thread = threading.Thread(target=set_off, daemon=True)
            thread.start()
            while not any(state(pid) == "R" for pid in children(serve.pid)):  # a worker is crunching
                assert time.monotonic() < deadline, "the bomb never started"
                time.sleep(0.01)
            workers |= children(serve.pid)
            serve.send_signal(signal.SIGTERM)
            # uvicorn shuts down gracefully, then re-raises the signal it caught: -SIGTERM is a clean stop.
            assert serve.wait(HANG) in (0, -signal.SIGTERM)
            thread.join(HANG)
            assert answer
            if isinstance(answer[0], tuple):  # answered before the server closed: the budget's error
                assert answer[0][1]["error"] == "ScriptLimitExceeded"
        finally:
            if serve.poll() is None:
                serve.kill()
                serve.wait()
        gone = time.monotonic() + HANG
        while any(state(pid) not in ("", "Z") for pid in workers):
            assert time.monotonic() < gone, f"workers left behind: {workers}"
            time.sleep(0.05)

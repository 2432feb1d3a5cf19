"""`motcua keycloak fetch|up|down` as an operator runs them (the server itself is started by the fixture)."""

from __future__ import annotations

import os
import subprocess
import sys
from pathlib import Path

from integrations.keycloak.server import KEYCLOAK_VERSION, fetch, server_dir
from portal.settings import Settings


def motcua(*args: str, home: Path) -> subprocess.CompletedProcess[str]:
    """Run the CLI with MOTCUA_KEYCLOAK_HOME pointing at `home`."""
    env = {**os.environ, "MOTCUA_KEYCLOAK_HOME": str(home), "MOTCUA_ENV": "development"}
    command = [str(Path(sys.executable).parent / "motcua"), *args]
    return subprocess.run(command, capture_output=True, text=True, env=env, check=False, timeout=120)


def test_fetch_is_skipped_when_the_server_is_already_there() -> None:
    cache = Settings().keycloak_home
    fetch(cache)  # the suite's cache (downloaded once by `make test`)
    before = sorted(p.name for p in cache.iterdir())

    done = motcua("keycloak", "fetch", home=cache)

    assert done.returncode == 0, done.stderr
    assert done.stdout.strip() == f"Keycloak {KEYCLOAK_VERSION}: {server_dir(cache)}"
    assert "Đang tải" not in done.stdout
    assert sorted(p.name for p in cache.iterdir()) == before


def test_down_without_a_running_server_says_so(tmp_path: Path) -> None:
    done = motcua("keycloak", "down", home=tmp_path)

    assert done.returncode == 0
    assert done.stdout.strip() == "Keycloak không chạy."


def test_up_refuses_while_a_pid_file_says_one_runs(tmp_path: Path) -> None:
    (tmp_path / "run").mkdir()
    (tmp_path / "run" / "keycloak.pid").write_text("4242")

    done = motcua("keycloak", "up", home=tmp_path)

    assert done.returncode == 1
    assert "motcua keycloak down" in done.stderr
    assert not (tmp_path / f"keycloak-{KEYCLOAK_VERSION}").exists()

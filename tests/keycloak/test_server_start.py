"""Two starts of one Keycloak distribution never overlap (the suite's two workers each start one).

The first `kc.sh start-dev` after unpacking rebuilds the server's jars; a second start meanwhile read them
half-written and died ("invalid CEN header"), which took a whole CI run down. The stand-in `kc.sh` here
records when it was launched and answers the health check after a pause, like the real one; the real server
is started (twice, by both workers on a fresh checkout) by the suite itself.
"""

from __future__ import annotations

import threading
import time
from pathlib import Path

from integrations.keycloak.server import KeycloakServer, free_port

STAND_IN = """#!/usr/bin/env bash
set -eu
for arg in "$@"; do
  case "$arg" in --http-management-port=*) port="${arg#*=}" ;; esac
done
here="$(cd "$(dirname "$0")/.." && pwd)"
echo "launch $(date +%s.%N)" >> "$here/launches"
sleep 1.5
mkdir -p "$here/www/$port/health" && echo UP > "$here/www/$port/health/ready"
exec python3 -m http.server "$port" --bind 127.0.0.1 --directory "$here/www/$port"
"""


def test_a_second_start_waits_until_the_first_server_is_ready(tmp_path: Path) -> None:
    home = tmp_path / "keycloak"
    (home / "bin").mkdir(parents=True)
    script = home / "bin" / "kc.sh"
    script.write_text(STAND_IN)
    script.chmod(0o755)
    ready: list[float] = []
    servers: list[KeycloakServer] = []

    def start(name: str) -> None:
        server = KeycloakServer(
            home=home, state_dir=tmp_path / name, http_port=free_port(), management_port=free_port()
        )
        servers.append(server.start(timeout=30))
        ready.append(time.time())

    workers = [threading.Thread(target=start, args=(name,)) for name in ("gw0", "gw1")]
    try:
        for worker in workers:
            worker.start()
        for worker in workers:
            worker.join(60)
    finally:
        for server in servers:
            server.stop()

    launches = sorted(float(line.split()[1]) for line in (home / "launches").read_text().splitlines())
    assert len(ready) == 2
    assert len(launches) == 2
    first_ready = min(ready)
    assert launches[1] >= first_ready - 0.05, "the second server was launched before the first was ready"
    assert sorted((home / "data" / "import").iterdir())  # the realm of the last start is in place

"""A Keycloak server for development and tests: fetched from Maven Central, run on loopback, stopped by PID.

`fetch` asks Maven for `org.keycloak:keycloak-quarkus-dist:<KEYCLOAK_VERSION>:tar.gz` through a pinned
maven-dependency-plugin and unpacks it into a cache directory (skipped when already there). `KeycloakServer`
runs `kc.sh start-dev` on 127.0.0.1 with the realm of this folder imported, one hostname for the browser,
the back channel and the issuer, and waits for `/health/ready` on the management port.

The themes of `themes/` here (the `motcua` login theme the realm names) are served from the repository:
Keycloak's folder theme provider is pointed at that directory (`--spi-theme--folder--dir`), nothing is
copied into the distribution, and with theme caching off an edit shows on the next page load.
"""

from __future__ import annotations

import fcntl
import os
import shutil
import signal
import socket
import subprocess
import tarfile
import time
from collections.abc import Callable
from dataclasses import dataclass, field
from pathlib import Path

import httpx

KEYCLOAK_VERSION = "26.7.4"
"""The server release we test against; it runs on OpenJDK 17 (and 21)."""

DEPENDENCY_PLUGIN = "org.apache.maven.plugins:maven-dependency-plugin:3.8.1"
ARTIFACT = "org.keycloak:keycloak-quarkus-dist:{version}:tar.gz"
REALM_FILE = Path(__file__).resolve().parent / "realm-motcua.json"
THEMES_DIR = Path(__file__).resolve().parent / "themes"
"""Themes kept in the repository (realm as code): `motcua/login`."""
REALM = "motcua"
READY_TIMEOUT_SECONDS = 300.0
STOP_TIMEOUT_SECONDS = 30.0


class KeycloakUnavailable(RuntimeError):
    """Keycloak could not be fetched or started: callers fail loudly, never skip."""


def free_port() -> int:
    """A TCP port nobody listens on right now (loopback)."""
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return int(sock.getsockname()[1])


def server_dir(cache: Path, version: str = KEYCLOAK_VERSION) -> Path:
    """Where the unpacked distribution of `version` lives inside the cache."""
    return cache / f"keycloak-{version}"


def fetch(cache: Path, version: str = KEYCLOAK_VERSION, say: Callable[[str], None] = print) -> Path:
    """The unpacked server directory; downloads and unpacks it first when missing."""
    target = server_dir(cache, version)
    if (target / "bin" / "kc.sh").exists():
        return target
    if shutil.which("mvn") is None:
        raise KeycloakUnavailable("Maven (mvn) is missing: run `make system-deps` (Debian package maven).")
    cache.mkdir(parents=True, exist_ok=True)
    archive = cache / f"keycloak-quarkus-dist-{version}.tar.gz"
    if not archive.exists():
        say(f"Đang tải Keycloak {version} (Maven Central)…")
        command = [
            "mvn",
            "-q",
            "-B",
            f"{DEPENDENCY_PLUGIN}:copy",
            f"-Dartifact={ARTIFACT.format(version=version)}",
            f"-DoutputDirectory={cache}",
        ]
        done = subprocess.run(command, capture_output=True, text=True, check=False)
        if done.returncode != 0 or not archive.exists():
            raise KeycloakUnavailable(
                f"Maven could not fetch Keycloak {version}:\n{done.stdout}{done.stderr}"
            )
    say(f"Đang giải nén {archive.name}…")
    partial = cache / f".unpacking-{version}-{os.getpid()}"
    shutil.rmtree(partial, ignore_errors=True)
    with tarfile.open(archive) as tar:
        tar.extractall(partial, filter="tar")
    # Rename last, so a half-unpacked tree is never taken for a finished one.
    (partial / f"keycloak-{version}").rename(target)
    shutil.rmtree(partial, ignore_errors=True)
    return target


@dataclass
class KeycloakServer:
    """One `kc.sh start-dev` process on loopback with the `motcua` realm imported (in-memory database)."""

    home: Path
    state_dir: Path
    http_port: int = 8080
    management_port: int = 9000
    public_url: str = "http://127.0.0.1:8000"
    admin_password: str = "admin"
    demo_password: str = "motcua-demo"
    realm_file: Path = REALM_FILE
    extra_realms: tuple[Path, ...] = ()
    themes_dir: Path = THEMES_DIR
    pid: int | None = field(default=None, init=False)

    @property
    def url(self) -> str:
        """The one hostname of the server (browser, back channel and token issuer alike)."""
        return f"http://127.0.0.1:{self.http_port}"

    @property
    def issuer(self) -> str:
        """`iss` of the realm's tokens."""
        return f"{self.url}/realms/{REALM}"

    @property
    def pid_file(self) -> Path:
        """Where the PID of the running server is kept."""
        return self.state_dir / "keycloak.pid"

    @property
    def log_file(self) -> Path:
        """The server's console output."""
        return self.state_dir / "keycloak.log"

    def command(self) -> list[str]:
        """`kc.sh start-dev`: realm import, loopback binding, health checks, the repository's themes."""
        return [
            str(self.home / "bin" / "kc.sh"),
            "start-dev",
            "--import-realm",
            "--db=dev-mem",
            "--health-enabled=true",
            "--http-host=127.0.0.1",
            f"--http-port={self.http_port}",
            f"--http-management-port={self.management_port}",
            f"--hostname={self.url}",
            # Themes from the repository instead of the distribution's (empty) themes/ folder; Keycloak's own
            # themes come from its jars either way. Caching off (start-dev's default, said out loud).
            f"--spi-theme--folder--dir={self.themes_dir}",
            "--spi-theme--cache-themes=false",
            "--spi-theme--cache-templates=false",
            "--spi-theme--static-max-age=-1",
        ]

    def environment(self) -> dict[str, str]:
        """Placeholders of the realm file and the bootstrap administrator of the master realm."""
        return {
            **os.environ,
            "MOTCUA_PUBLIC_URL": self.public_url.rstrip("/"),
            "MOTCUA_DEMO_PASSWORD": self.demo_password,
            "KC_BOOTSTRAP_ADMIN_USERNAME": "admin",
            "KC_BOOTSTRAP_ADMIN_PASSWORD": self.admin_password,
            "JAVA_OPTS_KC_HEAP": "-Xms128m -Xmx768m",
        }

    def start(self, timeout: float = READY_TIMEOUT_SECONDS) -> KeycloakServer:
        """Start the server and wait until it reports ready; raises KeycloakUnavailable otherwise."""
        if not (self.home / "bin" / "kc.sh").exists():
            raise KeycloakUnavailable(f"No Keycloak in {self.home}: run `motcua keycloak fetch` first.")
        # One start at a time per distribution: the first `start-dev` after unpacking re-augments the server,
        # rewriting the jars of lib/quarkus/, and a second start meanwhile (two test workers) reads them
        # half-written ("invalid CEN header") or clobbers the first's realm imports. The lock is held until
        # the server is ready (or failed), then the next start finds a built server and its own imports.
        with (self.home / ".motcua-start.lock").open("a") as lock:
            fcntl.flock(lock, fcntl.LOCK_EX)
            try:
                self._launch(timeout)
            finally:
                fcntl.flock(lock, fcntl.LOCK_UN)
        return self

    def _launch(self, timeout: float) -> None:
        imports = self.home / "data" / "import"
        imports.mkdir(parents=True, exist_ok=True)
        for stale in imports.glob("*.json"):  # only the realms asked for this time
            stale.unlink()
        for realm in (self.realm_file, *self.extra_realms):
            shutil.copyfile(realm, imports / realm.name)
        self.state_dir.mkdir(parents=True, exist_ok=True)
        with self.log_file.open("wb") as log:
            process = subprocess.Popen(
                self.command(),
                stdout=log,
                stderr=subprocess.STDOUT,
                stdin=subprocess.DEVNULL,
                env=self.environment(),
                start_new_session=True,
            )
        self.pid = process.pid
        self.pid_file.write_text(str(process.pid))
        self._wait_ready(process, timeout)

    def _wait_ready(self, process: subprocess.Popen[bytes], timeout: float) -> None:
        health = f"http://127.0.0.1:{self.management_port}/health/ready"
        deadline = time.monotonic() + timeout
        while time.monotonic() < deadline:
            if process.poll() is not None:
                raise KeycloakUnavailable(f"Keycloak exited ({process.returncode}):\n{self.log_tail()}")
            try:
                if httpx.get(health, timeout=2.0).status_code == 200:
                    return
            except httpx.HTTPError:
                pass
            time.sleep(1.0)
        self.stop()
        raise KeycloakUnavailable(f"Keycloak was not ready within {timeout:.0f} s:\n{self.log_tail()}")

    def log_tail(self, lines: int = 40) -> str:
        """The last lines of the server's output."""
        if not self.log_file.exists():
            return ""
        return "\n".join(self.log_file.read_text(errors="replace").splitlines()[-lines:])

    def stop(self) -> bool:
        """Stop the server whose PID we recorded (SIGTERM, then SIGKILL); False when none was running."""
        pid = self.pid or read_pid(self.pid_file)
        self.pid_file.unlink(missing_ok=True)
        self.pid = None
        return stop_pid(pid) if pid else False


def read_pid(path: Path) -> int | None:
    """The PID in a PID file, or None."""
    try:
        return int(path.read_text().strip())
    except (FileNotFoundError, ValueError):
        return None


def stop_pid(pid: int, timeout: float = STOP_TIMEOUT_SECONDS) -> bool:
    """Terminate the process group we started for `pid`; False when it was already gone."""
    try:
        os.killpg(pid, signal.SIGTERM)
    except ProcessLookupError:
        return False
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        try:
            finished, _ = os.waitpid(pid, os.WNOHANG)
        except ChildProcessError:
            finished = 0 if _alive(pid) else pid
        if finished == pid:
            return True
        time.sleep(0.2)
    try:
        os.killpg(pid, signal.SIGKILL)
    except ProcessLookupError:
        pass
    return True


def _alive(pid: int) -> bool:
    try:
        os.kill(pid, 0)
    except ProcessLookupError:
        return False
    return True

"""A real PostgreSQL server (Debian package) on a temporary directory and a free port, for the test run."""

from __future__ import annotations

import glob
import os
import pwd
import shutil
import socket
import subprocess
import tempfile
from dataclasses import dataclass
from pathlib import Path


class PostgresMissing(RuntimeError):
    """The server binaries are not installed: the suite must fail, not skip."""


def _bindir() -> Path:
    found = sorted(glob.glob("/usr/lib/postgresql/*/bin/initdb"))
    if not found:
        raise PostgresMissing(
            "PostgreSQL server binaries not found (/usr/lib/postgresql/*/bin). "
            "Run `make system-deps` (installs the Debian package `postgresql`)."
        )
    return Path(found[-1]).parent


def free_port() -> int:
    """A TCP port nobody listens on right now."""
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return int(sock.getsockname()[1])


@dataclass
class PostgresServer:
    """A throw-away cluster; `url` points at database `motcua`."""

    directory: Path
    port: int
    bindir: Path
    run_as: str | None

    @property
    def url(self) -> str:
        """SQLAlchemy URL (psycopg 3)."""
        return f"postgresql+psycopg://motcua@127.0.0.1:{self.port}/motcua"

    def url_for(self, database: str) -> str:
        """URL of another database on the same server."""
        return f"postgresql+psycopg://motcua@127.0.0.1:{self.port}/{database}"

    def _run(self, *args: str) -> None:
        cmd = [str(a) for a in args]
        if self.run_as:
            cmd = ["runuser", "-u", self.run_as, "--", *cmd]
        subprocess.run(cmd, check=True, stdout=subprocess.DEVNULL, stderr=subprocess.PIPE)

    @classmethod
    def start(cls) -> PostgresServer:
        """initdb + pg_ctl start (as the postgres user when we are root), then create the database."""
        bindir = _bindir()
        directory = Path(tempfile.mkdtemp(prefix="motcua-pg-"))
        run_as = None
        if os.geteuid() == 0:
            run_as = "postgres"
            user = pwd.getpwnam(run_as)
            os.chown(directory, user.pw_uid, user.pw_gid)
        server = cls(directory, free_port(), bindir, run_as)
        data = directory / "data"
        server._run(
            bindir / "initdb",
            "-D",
            str(data),
            "-U",
            "motcua",
            "--auth=trust",
            "-E",
            "UTF8",
            "--locale=C.UTF-8",
            "--no-sync",
        )
        options = (
            f"-p {server.port} -k {directory} -c listen_addresses=127.0.0.1 -c fsync=off "
            "-c synchronous_commit=off -c full_page_writes=off -c max_connections=200"
        )
        server._run(
            bindir / "pg_ctl",
            "-D",
            str(data),
            "-o",
            options,
            "-l",
            str(directory / "log"),
            "-w",
            "-t",
            "60",
            "start",
        )
        server._run(bindir / "createdb", "-h", "127.0.0.1", "-p", str(server.port), "-U", "motcua", "motcua")
        return server

    def create_database(self, name: str) -> str:
        """Create another database and return its URL."""
        self._run(self.bindir / "createdb", "-h", "127.0.0.1", "-p", str(self.port), "-U", "motcua", name)
        return self.url_for(name)

    def stop(self) -> None:
        """Stop the server and remove its files."""
        try:
            self._run(
                self.bindir / "pg_ctl", "-D", str(self.directory / "data"), "-m", "immediate", "-w", "stop"
            )
        finally:
            shutil.rmtree(self.directory, ignore_errors=True)

"""A throwaway PostgreSQL cluster for tests, started from the machine's own server binaries.

Tests never touch a shared server: each run gets a fresh cluster in a temporary
folder, listening on a free loopback port, and removes it afterwards. initdb
refuses to run as root, so as root the cluster runs as the `postgres` system user.

    with throwaway_cluster() as (base_url, create_database):
        url = create_database()   # postgresql+psycopg://postgres@127.0.0.1:PORT/<fresh name>
"""

from __future__ import annotations

import os
import pwd
import re
import shutil
import socket
import subprocess
import tempfile
import uuid
from collections.abc import Callable, Iterator
from contextlib import contextmanager, suppress
from pathlib import Path
from typing import NamedTuple

import psycopg

SERVER_ROOT = Path("/usr/lib/postgresql")
SERVER_USER = "postgres"
COMMAND_TIMEOUT_SECONDS = 120
START_ATTEMPTS = 3

# Durability is worthless for a cluster that is deleted after the run; speed is not.
SERVER_SETTINGS = {
    "listen_addresses": "127.0.0.1",
    "fsync": "off",
    "synchronous_commit": "off",
    "full_page_writes": "off",
    "max_connections": "300",
}


class PostgresUnavailable(RuntimeError):
    """No PostgreSQL server binaries on this machine."""


class ThrowawayCluster(NamedTuple):
    url: str  # the server, without a database name
    create_database: Callable[[], str]  # a fresh empty database's URL


def server_bin() -> Path:
    """The bin folder of the newest PostgreSQL installed under /usr/lib/postgresql."""
    candidates = [path for path in SERVER_ROOT.glob("*/bin") if (path / "pg_ctl").exists()]
    if not candidates:
        raise PostgresUnavailable(f"no PostgreSQL server under {SERVER_ROOT}/*/bin")
    return max(candidates, key=lambda path: _version_key(path.parent.name))


def _version_key(name: str) -> tuple[int, ...]:
    return tuple(int(part) for part in re.findall(r"\d+", name))


def _as_server_user(argv: list[str]) -> list[str]:
    return ["runuser", "-u", SERVER_USER, "--", *argv] if os.geteuid() == 0 else argv


def _run(argv: list[str]) -> None:
    result = subprocess.run(
        _as_server_user(argv),
        capture_output=True,
        text=True,
        timeout=COMMAND_TIMEOUT_SECONDS,
        stdin=subprocess.DEVNULL,
        check=False,
    )
    if result.returncode != 0:
        raise RuntimeError(
            f"{' '.join(argv)} failed ({result.returncode}):\n{result.stdout}\n{result.stderr}"
        )


def _free_port() -> int:
    with socket.socket(socket.AF_INET, socket.SOCK_STREAM) as probe:
        probe.bind(("127.0.0.1", 0))
        return int(probe.getsockname()[1])


def _make_home() -> Path:
    """A private folder the server user can own (under /tmp as root, so the user can reach it)."""
    home = Path(tempfile.mkdtemp(prefix="pg-throwaway-", dir="/tmp" if os.geteuid() == 0 else None))
    if os.geteuid() == 0:
        account = pwd.getpwnam(SERVER_USER)
        os.chown(home, account.pw_uid, account.pw_gid)
    home.chmod(0o700)
    return home


def _start(bin_dir: Path, data: Path, home: Path) -> int:
    """Start the server on a free port; another process may take the port first, so try a few."""
    log = home / "server.log"
    for attempt in range(1, START_ATTEMPTS + 1):
        port = _free_port()
        options = " ".join([f"-p {port}", f"-k {home}", *(f"-c {k}={v}" for k, v in SERVER_SETTINGS.items())])
        try:
            _run(
                [
                    str(bin_dir / "pg_ctl"),
                    "-D",
                    str(data),
                    "-l",
                    str(log),
                    "-o",
                    options,
                    "-w",
                    "-t",
                    "60",
                    "start",
                ]
            )
            return port
        except (RuntimeError, subprocess.TimeoutExpired) as exc:
            _stop(bin_dir, data)
            if attempt == START_ATTEMPTS:
                tail = log.read_text(errors="replace")[-4000:] if log.exists() else ""
                raise RuntimeError(f"PostgreSQL did not start: {exc}\n{tail}") from exc
    raise AssertionError("unreachable")


def _stop(bin_dir: Path, data: Path) -> None:
    if not (data / "postmaster.pid").exists():
        return
    with suppress(RuntimeError, subprocess.TimeoutExpired):
        _run([str(bin_dir / "pg_ctl"), "-D", str(data), "-m", "immediate", "-w", "-t", "30", "stop"])
        return
    _kill_postmaster(data)


def _kill_postmaster(data: Path) -> None:
    """Last resort when pg_ctl cannot stop the server: signal the postmaster named in its pid file."""
    with suppress(OSError, ValueError, IndexError):
        pid = int((data / "postmaster.pid").read_text().splitlines()[0])
        os.kill(pid, 9)


def _database_creator(base_url: str, port: int) -> Callable[[], str]:
    def create_database() -> str:
        name = f"test_{uuid.uuid4().hex[:12]}"
        with psycopg.connect(
            host="127.0.0.1", port=port, user=SERVER_USER, dbname="postgres", autocommit=True
        ) as conn:
            conn.execute(f'CREATE DATABASE "{name}"')
        return f"{base_url}/{name}"

    return create_database


@contextmanager
def throwaway_cluster() -> Iterator[ThrowawayCluster]:
    """A running cluster for the duration of the block; stopped and deleted however the block ends."""
    bin_dir = server_bin()
    home = _make_home()
    data = home / "data"
    try:
        _run(
            [
                str(bin_dir / "initdb"),
                "-D",
                str(data),
                "-A",
                "trust",
                "-U",
                SERVER_USER,
                "-E",
                "UTF8",
                "--locale=C",
                "--no-sync",
            ]
        )
        port = _start(bin_dir, data, home)
        try:
            base_url = f"postgresql+psycopg://{SERVER_USER}@127.0.0.1:{port}"
            yield ThrowawayCluster(base_url, _database_creator(base_url, port))
        finally:
            _stop(bin_dir, data)
    finally:
        shutil.rmtree(home, ignore_errors=True)

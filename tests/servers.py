"""Real PostgreSQL and Redis servers for the tests, started from their binaries.

Each runs on a free port of 127.0.0.1 with its data in a temporary folder and stops with the
test session. PostgreSQL refuses to run as root, so as root it runs as the `postgres` user.
"""

from __future__ import annotations

import contextlib
import glob
import os
import pwd
import shutil
import signal
import socket
import subprocess
import tempfile
import time
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def _wait_for_port(port: int, process: subprocess.Popen, what: str, timeout: float = 30) -> None:
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        if process.poll() is not None:
            raise RuntimeError(f"{what} exited with {process.returncode}")
        with (
            contextlib.suppress(OSError),
            socket.create_connection(("127.0.0.1", port), timeout=0.5),
        ):
            return
        time.sleep(0.1)
    raise RuntimeError(f"{what} did not start on port {port}")


def postgres_bindir() -> Path:
    found = sorted(
        glob.glob("/usr/lib/postgresql/*/bin/initdb"), key=lambda p: int(p.split("/")[4])
    )
    if found:
        return Path(found[-1]).parent
    initdb = shutil.which("initdb")
    if initdb:
        return Path(initdb).parent
    raise RuntimeError("PostgreSQL binaries not found: apt-get install postgresql (make test does)")


@dataclass
class PostgresServer:
    """A PostgreSQL server on 127.0.0.1:port; `halt()` and `start()` stop it and start it again
    on the same port with the same data (the fault tests), `stop()` ends it for good."""

    port: int
    process: subprocess.Popen | None
    data: Path

    def url(self, database: str) -> str:
        return f"postgresql+psycopg://postgres@127.0.0.1:{self.port}/{database}"

    def create_database(self, name: str) -> str:
        import psycopg

        with psycopg.connect(self.url("postgres").replace("+psycopg", ""), autocommit=True) as conn:
            conn.execute(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)')
            conn.execute(f'CREATE DATABASE "{name}"')
        return self.url(name)

    def start(self) -> None:
        prefix, _, _ = _as_postgres_user()
        self.process = subprocess.Popen(
            [
                *prefix,
                str(postgres_bindir() / "postgres"),
                "-D",
                str(self.data / "db"),
                "-p",
                str(self.port),
                "-k",
                str(self.data),
                "-c",
                "listen_addresses=127.0.0.1",
                "-c",
                "fsync=off",
                "-c",
                "synchronous_commit=off",
                "-c",
                "full_page_writes=off",
                "-c",
                "max_connections=300",
            ],
            stdout=subprocess.DEVNULL,
            stderr=open(self.data / "server.log", "ab"),  # noqa: SIM115
        )
        _wait_for_port(self.port, self.process, "postgres")
        import psycopg

        deadline = time.monotonic() + 30
        while True:  # the port opens a moment before the server accepts logins
            try:
                psycopg.connect(self.url("postgres").replace("+psycopg", "")).close()
                break
            except psycopg.OperationalError:
                if time.monotonic() > deadline:
                    raise
                time.sleep(0.1)

    def halt(self) -> None:
        """Stop the server at once (fast shutdown: every session cut), keeping its data. The
        signal goes to the postmaster itself: `runuser`, its parent as root, forwards none."""
        if self.process is None:
            return
        pid_file = self.data / "db" / "postmaster.pid"
        try:
            os.kill(int(pid_file.read_text().split()[0]), signal.SIGINT)
        except (OSError, ValueError, IndexError):
            self.process.terminate()
        try:
            self.process.wait(timeout=20)
        except subprocess.TimeoutExpired:
            self.process.kill()
            self.process.wait(timeout=10)
        self.process = None

    def stop(self) -> None:
        self.halt()
        shutil.rmtree(self.data, ignore_errors=True)


def _as_postgres_user() -> tuple[list[str], int | None, int | None]:
    if os.geteuid() != 0:
        return [], None, None
    entry = pwd.getpwnam("postgres")
    return ["runuser", "-u", "postgres", "--"], entry.pw_uid, entry.pw_gid


def start_postgres() -> PostgresServer:
    bindir = postgres_bindir()
    prefix, uid, gid = _as_postgres_user()
    data = Path(tempfile.mkdtemp(prefix="baladiya-pg-"))
    if uid is not None:
        os.chown(data, uid, gid)
    subprocess.run(
        [
            *prefix,
            str(bindir / "initdb"),
            "-D",
            str(data / "db"),
            "-U",
            "postgres",
            "-A",
            "trust",
            "-E",
            "UTF8",
            "--locale=C",
            "--no-sync",
        ],
        check=True,
        capture_output=True,
    )
    server = PostgresServer(free_port(), None, data)
    server.start()
    return server


@dataclass
class RedisServer:
    port: int
    process: subprocess.Popen | None
    data: Path

    @property
    def url(self) -> str:
        return f"redis://127.0.0.1:{self.port}/0"

    def start(self) -> None:
        self.process = subprocess.Popen(
            [
                shutil.which("redis-server") or "redis-server",
                "--port",
                str(self.port),
                "--bind",
                "127.0.0.1",
                "--save",
                "",
                "--appendonly",
                "no",
                "--dir",
                str(self.data),
            ],
            stdout=subprocess.DEVNULL,
            stderr=subprocess.DEVNULL,
        )
        _wait_for_port(self.port, self.process, "redis-server")

    def stop(self) -> None:
        if self.process is not None:
            self.process.terminate()
            self.process.wait(timeout=10)
            self.process = None


def start_redis() -> RedisServer:
    if shutil.which("redis-server") is None:
        raise RuntimeError("redis-server not found: apt-get install redis-server (make test does)")
    server = RedisServer(free_port(), None, Path(tempfile.mkdtemp(prefix="baladiya-redis-")))
    server.start()
    return server


@contextlib.contextmanager
def running(server) -> Iterator:
    try:
        yield server
    finally:
        server.stop()

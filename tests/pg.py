"""PostgreSQL for the tests: Debian's PostgreSQL 15 started once per session in a tmp dir on a free loopback
port (as the `postgres` user when the tests run as root: initdb and pg_ctl refuse root), a fresh database per
test, and `case_store`, a fixture parametrized over both backends of the case store.

Import what a module needs: `from tests.pg import case_store, pg_url, postgres_server  # noqa: F401`.
Skipped, with the reason, where the binaries are absent (`apt-get install postgresql`, or `make postgres`).
"""

from __future__ import annotations

import itertools
import os
import shutil
import socket
import subprocess
import tempfile
from collections.abc import Iterator
from pathlib import Path
from typing import TYPE_CHECKING

import pytest

if TYPE_CHECKING:
    from assistant.casework.store import CaseStore

PG_BIN = Path(os.environ.get("ASSISTANT_TEST_PG_BIN", "/usr/lib/postgresql/15/bin"))
_DBS = itertools.count(1)


def _free_port() -> int:
    with socket.socket(socket.AF_INET, socket.SOCK_STREAM) as s:
        s.bind(("127.0.0.1", 0))
        return int(s.getsockname()[1])


def _as_owner(cmd: list[str]) -> list[str]:
    return ["runuser", "-u", "postgres", "--", *cmd] if os.geteuid() == 0 else cmd


@pytest.fixture(scope="session")
def postgres_server() -> Iterator[str]:
    """The server's URL without a database name (`postgresql+psycopg://postgres@127.0.0.1:PORT`)."""
    initdb, pg_ctl = PG_BIN / "initdb", PG_BIN / "pg_ctl"
    if not (initdb.exists() and pg_ctl.exists()):
        pytest.skip(f"PostgreSQL 15 is not installed ({PG_BIN}): apt-get install postgresql (or make postgres)")
    if os.geteuid() == 0 and shutil.which("runuser") is None:
        pytest.skip("running as root without runuser: cannot start PostgreSQL as the postgres user")
    base = Path(tempfile.mkdtemp(prefix="assistant-pg-"))  # under /tmp: the postgres user can reach it
    data, log = base / "data", base / "server.log"
    if os.geteuid() == 0:
        shutil.chown(base, "postgres", "postgres")
    subprocess.run(_as_owner([str(initdb), "-D", str(data), "-U", "postgres", "-A", "trust", "-E", "UTF8",
                              "--no-locale", "--no-sync"]), check=True, capture_output=True)
    port = _free_port()
    opts = (f"-p {port} -c listen_addresses=127.0.0.1 -c unix_socket_directories={base} -c fsync=off "
            "-c synchronous_commit=off -c full_page_writes=off -c max_connections=300")
    started = subprocess.run(_as_owner([str(pg_ctl), "-D", str(data), "-o", opts, "-l", str(log), "-w", "-t", "60",
                                        "start"]), capture_output=True, text=True)
    if started.returncode != 0:
        text = log.read_text(errors="replace") if log.exists() else ""
        shutil.rmtree(base, ignore_errors=True)
        pytest.fail(f"PostgreSQL did not start: {started.stderr}\n{text}")
    try:
        yield f"postgresql+psycopg://postgres@127.0.0.1:{port}"
    finally:
        subprocess.run(_as_owner([str(pg_ctl), "-D", str(data), "-m", "immediate", "-w", "stop"]),
                       capture_output=True)
        shutil.rmtree(base, ignore_errors=True)


@pytest.fixture
def pg_url(postgres_server: str) -> Iterator[str]:
    """A new, empty database of the session's server for one test; its engine closed afterwards."""
    import psycopg

    from core import db

    name = f"t{os.getpid()}_{next(_DBS)}"
    dsn = postgres_server.replace("postgresql+psycopg://", "postgresql://") + "/postgres"
    with psycopg.connect(dsn, autocommit=True) as conn:
        conn.execute(f'CREATE DATABASE "{name}"')
    url = f"{postgres_server}/{name}"
    try:
        yield url
    finally:
        db.dispose(url)
        with psycopg.connect(dsn, autocommit=True) as conn:
            conn.execute(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)')


BACKENDS = ["sqlite", pytest.param("postgresql", marks=pytest.mark.integration)]


@pytest.fixture(params=BACKENDS)
def case_url(request: pytest.FixtureRequest, tmp_path: Path) -> str:
    """The URL of an empty case database: a SQLite file in the test's tmp dir, or a PostgreSQL database."""
    if request.param == "postgresql":
        return str(request.getfixturevalue("pg_url"))
    return f"sqlite:///{(tmp_path / 'cases.sqlite3').resolve()}"


@pytest.fixture
def case_store(case_url: str) -> CaseStore:
    """An empty `CaseStore` on each backend (the test runs once per backend)."""
    from assistant.casework.store import CaseStore

    return CaseStore(case_url)

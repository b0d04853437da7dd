"""The database: one SQLAlchemy engine per URL, transactions that check and write safely, Alembic migrations.

SQLite (the default, `<data_dir>/cases.sqlite3`) runs in WAL mode with foreign keys on and a busy timeout;
pysqlite's own transaction handling is switched off and every transaction is begun here (SQLAlchemy's
documented recipe): `write()` begins with `BEGIN IMMEDIATE`, which takes the write lock before the first read
so what a transaction checked still holds when it writes, and `read()` with a plain deferred `BEGIN`, which
never waits for a writer. PostgreSQL (`ASSISTANT_DATABASE_URL`, several app instances on one database) runs
ordinary READ COMMITTED transactions; the callers lock the rows they check (`SELECT … FOR UPDATE`, advisory
locks) so two writers cannot both pass a check.

`migrate(engine)` brings any database to the newest schema (`alembic upgrade head`, configured in code with
the scripts in `core/migrations`); a SQLite file written before Alembic (the case store's schema versions 1
and 2, no `alembic_version` table) is first brought to version 2 in place as the old code did — rows kept —
and stamped as revision 0001.
"""

from __future__ import annotations

import json
import re
import sqlite3
import threading
from collections.abc import Iterator
from contextlib import contextmanager, suppress
from pathlib import Path
from typing import Any

from sqlalchemy import Connection, Engine, create_engine, event, inspect
from sqlalchemy.engine import URL, make_url

from core.settings import Settings

MIGRATIONS = Path(__file__).resolve().parent / "migrations"
BASE_REVISION = "0001"  # the case tables as the sqlite3 store left them (schema version 2)
BUSY_TIMEOUT_S = 30

_ENGINES: dict[str, Engine] = {}
_LOCK = threading.Lock()
_MIGRATE_LOCK = threading.Lock()
_HEADS: tuple[str, ...] | None = None
_BEGIN = "sqlite_begin"  # execution option read by the "begin" listener: IMMEDIATE for writes


def safe_url(url: str | URL) -> str:
    """The URL with its password hidden, for messages and logs."""
    return make_url(url).render_as_string(hide_password=True)


def engine_for(settings_or_url: Settings | str | URL) -> Engine:
    """The engine of a database URL (or of the settings' `db_url`), created once per URL and process."""
    # anything with a db_url is settings (a Settings class reloaded by Streamlit's file watcher is another class)
    raw = settings_or_url if isinstance(settings_or_url, str | URL) else settings_or_url.db_url
    url = make_url(raw)
    key = url.render_as_string(hide_password=False)
    with _LOCK:
        engine = _ENGINES.get(key)
        if engine is None:
            engine = _sqlite_engine(url) if url.get_backend_name() == "sqlite" else create_engine(
                url, pool_pre_ping=True)
            _ENGINES[key] = engine
    return engine


def _sqlite_engine(url: URL) -> Engine:
    if url.database and url.database != ":memory:" and not url.database.startswith("file:"):
        Path(url.database).parent.mkdir(parents=True, exist_ok=True)
    engine = create_engine(url, connect_args={"timeout": BUSY_TIMEOUT_S})

    @event.listens_for(engine, "connect")
    def _connect(dbapi_conn: sqlite3.Connection, _record: Any) -> None:
        dbapi_conn.isolation_level = None  # pysqlite begins nothing itself: the "begin" listener does
        cur = dbapi_conn.cursor()
        cur.execute(f"PRAGMA busy_timeout={BUSY_TIMEOUT_S * 1000}")
        cur.execute("PRAGMA foreign_keys=ON")
        with suppress(sqlite3.OperationalError):  # another connection holds it in rollback mode: later
            cur.execute("PRAGMA journal_mode=WAL")
        cur.close()

    @event.listens_for(engine, "begin")
    def _begin(conn: Connection) -> None:
        mode = conn.get_execution_options().get(_BEGIN, "DEFERRED")
        conn.exec_driver_sql(f"BEGIN {mode}")

    return engine


def is_sqlite(engine: Engine | Connection) -> bool:
    return engine.dialect.name == "sqlite"


@contextmanager
def read(engine: Engine) -> Iterator[Connection]:
    """A read-only transaction (deferred on SQLite: it never waits for a writer); rolled back at the end."""
    with engine.connect() as conn, conn.begin() as tx:
        yield conn
        tx.rollback()


@contextmanager
def write(engine: Engine) -> Iterator[Connection]:
    """One read-check-write transaction: committed at the end, rolled back on any exception. On SQLite it
    begins with BEGIN IMMEDIATE (the write lock before the first read); on PostgreSQL the caller locks what it
    checks (`with_for_update()`)."""
    with engine.connect() as conn:
        if is_sqlite(engine):
            conn.execution_options(**{_BEGIN: "IMMEDIATE"})
        with conn.begin():
            yield conn


# -- migrations ---------------------------------------------------------------------------------------------
def _config(conn: Connection | None = None) -> Any:
    from alembic.config import Config

    cfg = Config()
    cfg.set_main_option("script_location", str(MIGRATIONS))
    if conn is not None:
        cfg.attributes["connection"] = conn
    return cfg


def _heads() -> tuple[str, ...]:
    global _HEADS
    if _HEADS is None:
        from alembic.script import ScriptDirectory

        _HEADS = tuple(sorted(ScriptDirectory.from_config(_config()).get_heads()))
    return _HEADS


def _current(conn: Connection) -> tuple[str, ...]:
    from alembic.runtime.migration import MigrationContext

    return tuple(sorted(MigrationContext.configure(conn).get_current_heads()))


def migrate(engine: Engine) -> None:
    """Bring the database to the newest schema (cheap when it already is). Safe to call from many threads and
    processes at once: SQLite serialises on BEGIN IMMEDIATE, PostgreSQL on an advisory lock."""
    from alembic import command

    with read(engine) as conn:
        if _current(conn) == _heads():
            return
    with _MIGRATE_LOCK, write(engine) as conn:
        if engine.dialect.name == "postgresql":
            conn.exec_driver_sql("SELECT pg_advisory_xact_lock(7270001)")
        if _current(conn) == _heads():  # another process got there first
            return
        tables = set(inspect(conn).get_table_names())
        if "cases" in tables and "alembic_version" not in tables and is_sqlite(conn):  # the sqlite3 store's
            _legacy_upgrade(conn)
            command.stamp(_config(conn), BASE_REVISION)
        command.upgrade(_config(conn), "head")


# -- a database of the sqlite3 store (schema versions 1 and 2) --------------------------------------------------
_LEGACY_TABLES = (
    """CREATE TABLE IF NOT EXISTS versions (
  case_id INTEGER NOT NULL REFERENCES cases(id), n INTEGER NOT NULL, text TEXT NOT NULL,
  author TEXT NOT NULL DEFAULT '', note TEXT NOT NULL DEFAULT '', created TEXT NOT NULL,
  payload_json TEXT NOT NULL DEFAULT '{}', PRIMARY KEY (case_id, n))""",
    """CREATE TABLE IF NOT EXISTS opinions (
  case_id INTEGER NOT NULL REFERENCES cases(id), office TEXT NOT NULL, date TEXT NOT NULL DEFAULT '',
  opinion_json TEXT NOT NULL, doc_id TEXT NOT NULL DEFAULT '', created TEXT NOT NULL,
  PRIMARY KEY (case_id, office))""",
    """CREATE TABLE IF NOT EXISTS files (
  id INTEGER PRIMARY KEY AUTOINCREMENT, case_id INTEGER NOT NULL REFERENCES cases(id), role TEXT NOT NULL,
  name TEXT NOT NULL, data BLOB NOT NULL, created TEXT NOT NULL)""",
    """CREATE TABLE IF NOT EXISTS events (
  id INTEGER PRIMARY KEY AUTOINCREMENT, case_id INTEGER NOT NULL REFERENCES cases(id), kind TEXT NOT NULL,
  who TEXT NOT NULL DEFAULT '', reason TEXT NOT NULL DEFAULT '', data_json TEXT NOT NULL DEFAULT '{}',
  created TEXT NOT NULL)""",
)


def _legacy_key(number: str, session: str, title: str) -> str:
    """`assistant.casework.store.proposal_key` as it was when the pkey column was added (frozen here: a
    migration must not change when the application's code does)."""
    def norm(s: str) -> str:
        return re.sub(r"\s+", "", s or "")

    if norm(number):
        return f"no:{norm(session)}|{norm(number)}"
    return f"title:{norm(session)}|{norm(title)}" if norm(title) else ""


def _legacy_upgrade(conn: Connection) -> None:
    """What the sqlite3 store did on opening an older file: the missing tables, the pkey column filled from
    each case's proposal, the one-case-per-proposal index unless old duplicates forbid it; rows kept."""
    for stmt in _LEGACY_TABLES:
        conn.exec_driver_sql(stmt)
    cols = {c["name"] for c in inspect(conn).get_columns("cases")}
    if "pkey" not in cols:
        conn.exec_driver_sql("ALTER TABLE cases ADD COLUMN pkey TEXT NOT NULL DEFAULT ''")
        for cid, number, title, pj in conn.exec_driver_sql(
                "SELECT id, number, title, proposal_json FROM cases").fetchall():
            try:
                session = str(json.loads(pj).get("session") or "")
            except (ValueError, AttributeError):
                session = ""
            conn.exec_driver_sql("UPDATE cases SET pkey=? WHERE id=?", (_legacy_key(number, session, title), cid))
    dup = conn.exec_driver_sql("SELECT 1 FROM cases WHERE office<>'' AND pkey<>'' GROUP BY office, pkey "
                               "HAVING COUNT(*) > 1 LIMIT 1").fetchone()
    if dup is None:  # with duplicates from before, every case is kept and the insert path checks
        conn.exec_driver_sql("CREATE UNIQUE INDEX IF NOT EXISTS cases_one_per_proposal ON cases(office, pkey) "
                             "WHERE office <> '' AND pkey <> ''")
    if is_sqlite(conn):
        conn.exec_driver_sql("PRAGMA user_version=2")


def dispose(settings_or_url: Settings | str | URL) -> None:
    """Close the pooled connections of a URL's engine and forget it (tests, shutting a database down)."""
    raw = settings_or_url.db_url if isinstance(settings_or_url, Settings) else settings_or_url
    with _LOCK:
        engine = _ENGINES.pop(make_url(raw).render_as_string(hide_password=False), None)
    if engine is not None:
        engine.dispose()

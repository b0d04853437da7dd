"""The database layer: engines per URL, safe URLs, Alembic migrations matching the tables, an old sqlite3 file
migrated with every row, SQLite's transactions, and two saves on one case against PostgreSQL."""

from __future__ import annotations

import json
import sqlite3
from pathlib import Path
from typing import Any

import pytest
from alembic.autogenerate import compare_metadata
from alembic.runtime.migration import MigrationContext
from sqlalchemy import inspect

from assistant.casework.store import CaseStore, VersionConflict, proposal_key
from assistant.casework.tables import metadata
from core import db
from core.settings import Settings
from tests.pg import case_url, pg_url, postgres_server  # noqa: F401 - fixtures
from tests.test_case_concurrency import _together
from tests.test_cases import OFFICE, _proposal


def test_engine_for_is_cached_per_url(tmp_path: Path) -> None:
    url = f"sqlite:///{tmp_path / 'a.sqlite3'}"
    assert db.engine_for(url) is db.engine_for(url)
    assert db.engine_for(url) is not db.engine_for(f"sqlite:///{tmp_path / 'b.sqlite3'}")
    settings = Settings(data_dir=tmp_path / "data")
    assert db.engine_for(settings) is db.engine_for(settings.db_url)
    assert CaseStore.of(settings).engine is CaseStore(tmp_path / "data" / "cases.sqlite3").engine


def test_safe_url_hides_the_password() -> None:
    url = "postgresql+psycopg://cases:s3cret-pw@db.example:5432/assistant"
    shown = db.safe_url(url)
    assert "s3cret-pw" not in shown and "***" in shown and "db.example:5432/assistant" in shown
    assert db.safe_url("sqlite:////data/cases.sqlite3") == "sqlite:////data/cases.sqlite3"


def test_sqlite_pragmas_and_begin_modes(tmp_path: Path) -> None:
    engine = db.engine_for(f"sqlite:///{tmp_path / 'p.sqlite3'}")
    statements: list[str] = []
    from sqlalchemy import event

    def log(_conn: Any, _cur: Any, statement: str, *_a: Any) -> None:
        statements.append(statement)

    event.listen(engine, "before_cursor_execute", log)
    try:
        with db.write(engine) as conn:
            assert conn.exec_driver_sql("PRAGMA journal_mode").scalar() == "wal"
            assert conn.exec_driver_sql("PRAGMA foreign_keys").scalar() == 1
            assert int(conn.exec_driver_sql("PRAGMA busy_timeout").scalar() or 0) >= 1000
        with db.read(engine) as conn:
            conn.exec_driver_sql("SELECT 1")
    finally:
        event.remove(engine, "before_cursor_execute", log)
    assert statements.count("BEGIN IMMEDIATE") == 1 and statements.count("BEGIN DEFERRED") == 1


def test_a_reader_does_not_wait_for_a_writer(tmp_path: Path) -> None:
    store = CaseStore(tmp_path / "cases.sqlite3")
    cid = store.create(_proposal(), OFFICE)
    with store._write() as conn:  # noqa: SLF001 - holds the write lock
        conn.exec_driver_sql("UPDATE cases SET due='x'")
        assert store.get(cid).due == ""  # read at once, before the writer commits (WAL)
    assert store.get(cid).due == "x"


def _ours(name: str | None, type_: str, _parent: Any) -> bool:
    """The case tables only: later revisions add another capability's tables (users, audit)."""
    return type_ != "table" or name in metadata.tables


def _diff(engine: Any) -> list[Any]:
    with engine.connect() as conn:
        return list(compare_metadata(MigrationContext.configure(conn, opts={"include_name": _ours}), metadata))


def test_migrations_create_exactly_the_tables(case_url: str) -> None:  # noqa: F811
    engine = db.engine_for(case_url)
    db.migrate(engine)
    assert _diff(engine) == []
    names = set(inspect(engine).get_table_names())
    assert {"cases", "versions", "opinions", "files", "events", "alembic_version"} <= names
    indexes = {i["name"]: i for i in inspect(engine).get_indexes("cases")}
    assert indexes["cases_one_per_proposal"]["unique"]
    with engine.connect() as conn:
        assert "0001" in _history(conn)
    db.migrate(engine)  # again: nothing to do


def _history(conn: Any) -> list[str]:
    from alembic.script import ScriptDirectory

    script = ScriptDirectory.from_config(db._config())  # noqa: SLF001
    current = MigrationContext.configure(conn).get_current_heads()
    return [r.revision for h in current for r in script.iterate_revisions(h, "base")]


_V1 = """
CREATE TABLE cases (
  id INTEGER PRIMARY KEY AUTOINCREMENT, title TEXT NOT NULL, number TEXT NOT NULL DEFAULT '',
  proposer TEXT NOT NULL DEFAULT '', office TEXT NOT NULL DEFAULT '', role TEXT NOT NULL DEFAULT 'lead',
  lead_office TEXT NOT NULL DEFAULT '', due TEXT NOT NULL DEFAULT '', proposal_json TEXT NOT NULL,
  final_text TEXT, final_at TEXT, created TEXT NOT NULL, updated TEXT NOT NULL);
CREATE TABLE versions (
  case_id INTEGER NOT NULL REFERENCES cases(id), n INTEGER NOT NULL, text TEXT NOT NULL,
  author TEXT NOT NULL DEFAULT '', note TEXT NOT NULL DEFAULT '', created TEXT NOT NULL,
  payload_json TEXT NOT NULL DEFAULT '{}', PRIMARY KEY (case_id, n));
CREATE TABLE opinions (
  case_id INTEGER NOT NULL REFERENCES cases(id), office TEXT NOT NULL, date TEXT NOT NULL DEFAULT '',
  opinion_json TEXT NOT NULL, doc_id TEXT NOT NULL DEFAULT '', created TEXT NOT NULL,
  PRIMARY KEY (case_id, office));
CREATE TABLE files (
  id INTEGER PRIMARY KEY AUTOINCREMENT, case_id INTEGER NOT NULL REFERENCES cases(id), role TEXT NOT NULL,
  name TEXT NOT NULL, data BLOB NOT NULL, created TEXT NOT NULL);
"""

_V2_EXTRA = """
ALTER TABLE cases ADD COLUMN pkey TEXT NOT NULL DEFAULT '';
CREATE TABLE events (
  id INTEGER PRIMARY KEY AUTOINCREMENT, case_id INTEGER NOT NULL REFERENCES cases(id), kind TEXT NOT NULL,
  who TEXT NOT NULL DEFAULT '', reason TEXT NOT NULL DEFAULT '', data_json TEXT NOT NULL DEFAULT '{}',
  created TEXT NOT NULL);
CREATE UNIQUE INDEX cases_one_per_proposal ON cases(office, pkey) WHERE office<>'' AND pkey<>'';
PRAGMA user_version=2;
"""


def _old_file(path: Path, version: int) -> dict[str, list[tuple[Any, ...]]]:
    """A file as the sqlite3 store wrote it (schema version 1 or 2), with rows in every table; the rows."""
    p = _proposal()
    pj = json.dumps(p.to_dict(), ensure_ascii=False)
    con = sqlite3.connect(path)
    con.executescript(_V1 + (_V2_EXTRA if version == 2 else ""))
    pkey = ", pkey" if version == 2 else ""
    for i, (title, number) in enumerate([(p.title, p.number), ("另一件", "DH9999")], 1):
        con.execute(f"INSERT INTO cases (title, number, proposer, office, proposal_json, created, updated{pkey}) "
                    f"VALUES (?,?,?,?,?,?,?{',?' if pkey else ''})",
                    (title, number, "刘芳", OFFICE, pj, f"2024-05-0{i}T09:00:00", "2024-05-01T09:00:00",
                     *([f"no:|{number}"] if pkey else [])))
    con.execute("INSERT INTO versions VALUES (1, 1, '旧第一稿', '张三', '生成草稿', '2024-05-02T09:00:00', '{}')")
    con.execute("INSERT INTO versions VALUES (1, 2, '旧第二稿', '李四', '修改', '2024-05-03T09:00:00', '{\"a\": 1}')")
    con.execute("INSERT INTO opinions VALUES (1, '东莞市财政局', '2024-05-01', '{\"office\": \"东莞市财政局\"}', 'd1', "
                "'2024-05-01T09:00:00')")
    con.execute("INSERT INTO files (case_id, role, name, data, created) VALUES (1, 'proposal', 'p.txt', x'00ff', '2024')")
    if version == 2:
        con.execute("INSERT INTO events (case_id, kind, who, reason, data_json, created) "
                    "VALUES (2, 'reopen', '李四', '补数据', '{}', '2024-06-01T09:00:00')")
    con.commit()
    rows = {t: con.execute(f"SELECT * FROM {t} ORDER BY rowid").fetchall()
            for t in ("cases", "versions", "opinions", "files") + (("events",) if version == 2 else ())}
    con.close()
    return rows


@pytest.mark.parametrize("version", [1, 2])
def test_an_old_sqlite3_file_is_migrated_with_every_row(tmp_path: Path, version: int) -> None:
    path = tmp_path / "cases.sqlite3"
    before = _old_file(path, version)
    store = CaseStore(path)
    con = sqlite3.connect(path)
    try:
        for table, rows in before.items():
            got = con.execute(f"SELECT * FROM {table} ORDER BY rowid").fetchall()
            if table == "cases":  # revision 0003 adds state (''); version 1 also lacks pkey, filled from the proposal
                assert [r[-1] for r in got] == [""] * len(rows)
                got = [r[:-1] for r in got]
            if table == "cases" and version == 1:
                session = _proposal().session
                assert [r[:-1] for r in got] == rows
                assert [r[-1] for r in got] == [proposal_key(r[2], session, r[1]) for r in rows]
            else:
                assert got == rows, table
        assert con.execute("SELECT version_num FROM alembic_version").fetchone() is not None
        assert con.execute("PRAGMA user_version").fetchone()[0] == 2
        assert con.execute("SELECT 1 FROM sqlite_master WHERE name='cases_one_per_proposal'").fetchone()
    finally:
        con.close()
    assert [v.text for v in store.versions(1)] == ["旧第一稿", "旧第二稿"]
    assert store.files(1) == [("proposal", "p.txt", b"\x00\xff")]
    assert store.add_version(1, "新第三稿", base=2) == 3 and store.version(1).payload == {"a": 1}
    assert store.integrity() == []
    # the old DDL wrote `id INTEGER PRIMARY KEY AUTOINCREMENT` without NOT NULL: reflected as nullable, though an
    # INTEGER PRIMARY KEY is SQLite's rowid and never NULL; nothing else differs
    rest = [d for d in _diff(store.engine) if not (isinstance(d, list) and d[0][0] == "modify_nullable"
                                                   and d[0][3] == "id")]
    assert rest == []


@pytest.mark.integration
def test_two_threads_saving_one_case_on_postgresql(pg_url: str) -> None:  # noqa: F811
    store = CaseStore(pg_url)
    cid = store.create(_proposal(), OFFICE)
    assert store.add_version(cid, "第一稿", "张三") == 1
    for rnd in range(5):
        base = store.version(cid).n
        out = _together(2, lambda i, rnd=rnd, base=base: CaseStore(pg_url).add_version(
            cid, f"第{rnd}轮 作者{i}", f"作者{i}", base=base))
        wins = [r for r in out if isinstance(r, int)]
        lost = [r for r in out if isinstance(r, VersionConflict)]
        assert wins == [base + 1] and len(lost) == 1, out
        assert lost[0].newer.text == store.version(cid).text and lost[0].text != lost[0].newer.text
        # no lost edit: the loser's text is carried and saves on top
        assert store.add_version(cid, lost[0].text, base=lost[0].newer.n) == base + 2
    assert [v.n for v in store.versions(cid)] == list(range(1, 12))


@pytest.mark.integration
def test_one_case_per_proposal_from_many_threads_on_postgresql(pg_url: str) -> None:  # noqa: F811
    CaseStore(pg_url)
    out = _together(6, lambda i: CaseStore(pg_url).create_or_find(_proposal(), OFFICE))
    assert sorted(out) == [(1, False)] * 5 + [(1, True)], out

"""The case store's tables (SQLAlchemy Core), one `MetaData`: what `core/migrations/versions/0001_cases.py`
(and 0003_case_state.py: `cases.state`) creates, column for column (a test compares the two after `migrate`).

Portable types only (Text, LargeBinary, Integer), so the same tables live in SQLite and PostgreSQL; times are
ISO text as the store has always written them.
"""

from __future__ import annotations

import hashlib
from typing import Any

from sqlalchemy import (
    Column,
    ForeignKey,
    Index,
    Integer,
    LargeBinary,
    MetaData,
    PrimaryKeyConstraint,
    Table,
    Text,
    func,
    select,
    text,
)
from sqlalchemy.sql import Select

metadata = MetaData()

UNIQUE_INDEX = "cases_one_per_proposal"
_PARTIAL = "office <> '' AND pkey <> ''"  # cases of an unknown office or proposal are never matched


def _text(name: str, default: str | None = None, nullable: bool = False) -> Column[str]:
    return Column(name, Text, nullable=nullable,
                  server_default=None if default is None else text(f"'{default}'"))


cases = Table(
    "cases", metadata,
    Column("id", Integer, primary_key=True, autoincrement=True),
    _text("title"), _text("number", ""), _text("proposer", ""), _text("office", ""), _text("role", "lead"),
    _text("lead_office", ""), _text("due", ""), _text("proposal_json"),
    _text("final_text", nullable=True), _text("final_at", nullable=True),
    _text("created"), _text("updated"), _text("pkey", ""),
    _text("state", ""),  # revision 0003: the review workflow's state ('' = derived: 待起草/起草中)
    sqlite_autoincrement=True,
)
Index(UNIQUE_INDEX, cases.c.office, cases.c.pkey, unique=True,
      sqlite_where=text(_PARTIAL), postgresql_where=text(_PARTIAL))

versions = Table(
    "versions", metadata,
    Column("case_id", Integer, ForeignKey("cases.id"), nullable=False, autoincrement=False),
    Column("n", Integer, nullable=False, autoincrement=False),
    _text("text"), _text("author", ""), _text("note", ""), _text("created"), _text("payload_json", "{}"),
    PrimaryKeyConstraint("case_id", "n"),
)

opinions = Table(
    "opinions", metadata,
    Column("case_id", Integer, ForeignKey("cases.id"), nullable=False, autoincrement=False),
    _text("office"), _text("date", ""), _text("opinion_json"), _text("doc_id", ""), _text("created"),
    PrimaryKeyConstraint("case_id", "office"),
)

files = Table(
    "files", metadata,
    Column("id", Integer, primary_key=True, autoincrement=True),
    Column("case_id", Integer, ForeignKey("cases.id"), nullable=False),
    _text("role"), _text("name"), Column("data", LargeBinary, nullable=False), _text("created"),
    sqlite_autoincrement=True,
)

events = Table(
    "events", metadata,
    Column("id", Integer, primary_key=True, autoincrement=True),
    Column("case_id", Integer, ForeignKey("cases.id"), nullable=False),
    _text("kind"), _text("who", ""), _text("reason", ""), _text("data_json", "{}"), _text("created"),
    sqlite_autoincrement=True,
)


def case_select() -> Select[Any]:
    """A case's row with its number of versions (`nv`)."""
    nv = (select(func.count()).select_from(versions).where(versions.c.case_id == cases.c.id)
          .scalar_subquery().label("nv"))
    return select(cases, nv)


def lock_key(office: str, key: str) -> int:
    """A signed 64-bit number for PostgreSQL's advisory lock on one proposal at one office."""
    return int.from_bytes(hashlib.blake2b(f"case|{office}|{key}".encode(), digest_size=8).digest(), "big",
                          signed=True)

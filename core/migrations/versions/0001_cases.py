"""The case tables (cases, versions, opinions, files, events), as the sqlite3 case store's schema version 2.

Revision ID: 0001
Revises:
"""

from __future__ import annotations

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

revision: str = "0001"
down_revision: str | Sequence[str] | None = None
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None

_PARTIAL = "office <> '' AND pkey <> ''"


def _text(name: str, default: str | None = None, nullable: bool = False) -> sa.Column[str]:
    return sa.Column(name, sa.Text, nullable=nullable,
                     server_default=None if default is None else sa.text(f"'{default}'"))


def _case_id() -> sa.Column[int]:
    return sa.Column("case_id", sa.Integer, sa.ForeignKey("cases.id"), nullable=False, autoincrement=False)


def upgrade() -> None:
    op.create_table(
        "cases",
        sa.Column("id", sa.Integer, primary_key=True, autoincrement=True),
        _text("title"), _text("number", ""), _text("proposer", ""), _text("office", ""), _text("role", "lead"),
        _text("lead_office", ""), _text("due", ""), _text("proposal_json"),
        _text("final_text", nullable=True), _text("final_at", nullable=True),
        _text("created"), _text("updated"), _text("pkey", ""),
        sqlite_autoincrement=True,
    )
    op.create_index("cases_one_per_proposal", "cases", ["office", "pkey"], unique=True,
                    sqlite_where=sa.text(_PARTIAL), postgresql_where=sa.text(_PARTIAL))
    op.create_table(
        "versions",
        _case_id(), sa.Column("n", sa.Integer, nullable=False, autoincrement=False),
        _text("text"), _text("author", ""), _text("note", ""), _text("created"), _text("payload_json", "{}"),
        sa.PrimaryKeyConstraint("case_id", "n"),
    )
    op.create_table(
        "opinions",
        _case_id(), _text("office"), _text("date", ""), _text("opinion_json"), _text("doc_id", ""),
        _text("created"),
        sa.PrimaryKeyConstraint("case_id", "office"),
    )
    op.create_table(
        "files",
        sa.Column("id", sa.Integer, primary_key=True, autoincrement=True),
        sa.Column("case_id", sa.Integer, sa.ForeignKey("cases.id"), nullable=False),
        _text("role"), _text("name"), sa.Column("data", sa.LargeBinary, nullable=False), _text("created"),
        sqlite_autoincrement=True,
    )
    op.create_table(
        "events",
        sa.Column("id", sa.Integer, primary_key=True, autoincrement=True),
        sa.Column("case_id", sa.Integer, sa.ForeignKey("cases.id"), nullable=False),
        _text("kind"), _text("who", ""), _text("reason", ""), _text("data_json", "{}"), _text("created"),
        sqlite_autoincrement=True,
    )
    if op.get_bind().dialect.name == "sqlite":  # what the sqlite3 store read as "up to date"
        op.execute("PRAGMA user_version=2")


def downgrade() -> None:
    for table in ("events", "files", "opinions", "versions"):
        op.drop_table(table)
    op.drop_index("cases_one_per_proposal", table_name="cases")
    op.drop_table("cases")

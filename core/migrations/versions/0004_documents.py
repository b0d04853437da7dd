"""Archive documents' visibility: `documents` (doc_id, 公开/内部, owner office).

Revision ID: 0004
Revises: 0003

A document not listed is 公开 (every document stored before this revision stays readable by all). Kept in step
with assistant/access/tables.py by hand (a migration is frozen history).
"""

from __future__ import annotations

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

revision: str = "0004"
down_revision: str | Sequence[str] | None = "0003"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    op.create_table(
        "documents",
        sa.Column("doc_id", sa.String(255), primary_key=True),
        sa.Column("visibility", sa.String(16), nullable=False),
        sa.Column("owner_office", sa.String(128), nullable=False, server_default=""),
        sa.Column("set_by", sa.String(128), nullable=False, server_default=""),
        sa.Column("updated", sa.DateTime(timezone=True), nullable=False),
    )


def downgrade() -> None:
    op.drop_table("documents")

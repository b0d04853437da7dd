"""The case's place in the review and sign-off workflow: `cases.state`.

Revision ID: 0003
Revises: 0002

'' for a case that never entered the review: its status is then derived as before (待起草 without a version,
起草中 with one; 已答复 once the final letter is in). Set by `CaseStore.set_state` (送审、退回修改、审核通过、签发)
and by reopening. Kept in step with assistant/casework/tables.py by hand (a migration is frozen history).
SQLite adds the column in batch mode, which with a plain string default is an ALTER TABLE ADD COLUMN (no
table copy): rows, indexes and foreign keys stay as they are.
"""

from __future__ import annotations

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

revision: str = "0003"
down_revision: str | Sequence[str] | None = "0002"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    with op.batch_alter_table("cases") as batch:
        batch.add_column(sa.Column("state", sa.Text, nullable=False, server_default=""))


def downgrade() -> None:
    with op.batch_alter_table("cases") as batch:
        batch.drop_column("state")

"""The access layer's tables (users, audit, documents' visibility) on their own MetaData.

Alembic revision 0002 (core/migrations/versions/0002_access.py) creates the same tables; `create_tables` is
for tests and for a database that is not (yet) under Alembic. The SQL of the append-only triggers is repeated
in the migration on purpose: a migration is frozen history and core may not import assistant.
"""

from __future__ import annotations

from sqlalchemy import (
    DDL,
    Boolean,
    Column,
    DateTime,
    Engine,
    Integer,
    MetaData,
    String,
    Table,
    Text,
    event,
    false,
)

metadata = MetaData()

users = Table(
    "users",
    metadata,
    Column("id", Integer, primary_key=True, autoincrement=True),
    Column("name", String(64), nullable=False, unique=True),
    Column("display", String(128), nullable=False, server_default=""),
    Column("role", String(32), nullable=False),
    Column("office", String(128), nullable=False),
    Column("password_hash", String(255), nullable=True),  # none for users who sign in with OIDC only
    Column("oidc_subject", String(255), nullable=True, unique=True),
    Column("disabled", Boolean, nullable=False, server_default=false()),
    Column("created", DateTime(timezone=True), nullable=False),
    Column("updated", DateTime(timezone=True), nullable=False),
)

audit = Table(
    "audit",
    metadata,
    Column("id", Integer, primary_key=True, autoincrement=True),
    Column("at", DateTime(timezone=True), nullable=False, index=True),  # UTC
    Column("user_name", String(128), nullable=False, index=True),
    Column("action", String(64), nullable=False, index=True),
    Column("target", String(255), nullable=False, server_default=""),
    Column("outcome", String(16), nullable=False),  # ok | denied | failed
    Column("detail", Text, nullable=False, server_default="{}"),  # JSON; never document text nor secrets
    sqlite_autoincrement=True,  # ids never reused
)

# who may read an archive document: 公开 (everyone; the default for a document not listed here) or 内部 (only its
# owner office's users). Kept here, not in the vector store's metadata, so a re-ingest cannot lose it.
documents = Table(
    "documents",
    metadata,
    Column("doc_id", String(255), primary_key=True),
    Column("visibility", String(16), nullable=False),  # 公开 | 内部
    Column("owner_office", String(128), nullable=False, server_default=""),
    Column("set_by", String(128), nullable=False, server_default=""),
    Column("updated", DateTime(timezone=True), nullable=False),
)

APPEND_ONLY_MESSAGE = "audit log is append-only"

SQLITE_APPEND_ONLY = [
    f"CREATE TRIGGER audit_no_update BEFORE UPDATE ON audit BEGIN SELECT RAISE(ABORT, '{APPEND_ONLY_MESSAGE}'); END",
    f"CREATE TRIGGER audit_no_delete BEFORE DELETE ON audit BEGIN SELECT RAISE(ABORT, '{APPEND_ONLY_MESSAGE}'); END",
]

POSTGRES_APPEND_ONLY = [
    "CREATE OR REPLACE FUNCTION audit_append_only() RETURNS trigger LANGUAGE plpgsql AS "
    f"$$ BEGIN RAISE EXCEPTION '{APPEND_ONLY_MESSAGE}'; END $$",
    "CREATE TRIGGER audit_no_change BEFORE UPDATE OR DELETE ON audit "
    "FOR EACH ROW EXECUTE FUNCTION audit_append_only()",
    "CREATE TRIGGER audit_no_truncate BEFORE TRUNCATE ON audit "
    "FOR EACH STATEMENT EXECUTE FUNCTION audit_append_only()",
]

for _sql in SQLITE_APPEND_ONLY:
    event.listen(audit, "after_create", DDL(_sql).execute_if(dialect="sqlite"))
for _sql in POSTGRES_APPEND_ONLY:
    event.listen(audit, "after_create", DDL(_sql).execute_if(dialect="postgresql"))


def create_tables(engine: Engine) -> None:
    """Create users and audit (with the append-only triggers) where they do not exist yet."""
    metadata.create_all(engine)

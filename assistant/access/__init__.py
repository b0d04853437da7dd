"""Access: users (Argon2 passwords, OIDC subjects), roles and offices, permission checks, the audit log.

The bottom layer of `assistant`: it imports only `core` and third-party libraries, so every capability above
(casework, the CLI, the app) asks the same rules.
"""

from __future__ import annotations

from sqlalchemy import Engine

from assistant.access.audit import AuditEntry, AuditLog, to_csv
from assistant.access.roles import (
    ACTIONS,
    ROLES,
    AccessDenied,
    Role,
    User,
    can,
    require,
    role_of,
    transition_allowed,
    waiting_for,
)
from assistant.access.tables import create_tables
from assistant.access.users import AuthError, UserError, UserStore
from core.db import engine_for, migrate
from core.settings import Settings

__all__ = [
    "ACTIONS", "ROLES", "AccessDenied", "AuditEntry", "AuditLog", "AuthError", "Role", "User", "UserError",
    "UserStore", "can", "create_tables", "open_engine", "require", "role_of", "to_csv", "transition_allowed", "waiting_for",
]


def open_engine(settings: Settings) -> Engine:
    """The database of these settings (core.db: SQLite WAL or ASSISTANT_DATABASE_URL), migrated to the newest
    schema, access tables included."""
    engine = engine_for(settings)
    migrate(engine)
    return engine

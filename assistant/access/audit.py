"""The audit log: who did what to which target, when, and whether it went through. Append-only.

The class has no way to change or remove an entry, and the database refuses UPDATE and DELETE on the table
(triggers on SQLite and PostgreSQL). Details are short facts (ids, counts, roles): values that could carry a
document's text or a secret are dropped before they reach the table, and the dropped keys are named.
"""

from __future__ import annotations

import csv
import io
import json
import re
from dataclasses import asdict, dataclass
from datetime import UTC, date, datetime, time
from typing import Any

from sqlalchemy import Engine, insert, select

from assistant.access.roles import User
from assistant.access.tables import audit
from core.db import read, write

OUTCOMES = ("ok", "denied", "failed")
MAX_VALUE = 200  # characters; longer strings are taken for document text and dropped
MAX_ITEMS = 20
_SECRET_WORDS = frozenset({
    "password", "passwd", "pwd", "secret", "key", "token", "text", "content", "body", "credential",
    "credentials", "hash", "cookie", "session", "authorization", "apikey",
})
_SCALARS = (str, int, float, bool, type(None))


@dataclass(frozen=True)
class AuditEntry:
    id: int
    at: datetime  # UTC
    user: str
    action: str
    target: str
    outcome: str
    detail: dict[str, Any]

    def to_dict(self) -> dict[str, Any]:
        d = asdict(self)
        d["at"] = self.at.isoformat(timespec="seconds")
        return d


def _secret_key(key: str) -> bool:
    parts = [p for p in re.split(r"[^a-z0-9]+", re.sub(r"([a-z0-9])([A-Z])", r"\1_\2", key).lower()) if p]
    return any(p in _SECRET_WORDS for p in parts) or any(w in key.lower() for w in ("password", "secret", "token"))


def _safe_value(value: Any) -> bool:
    if isinstance(value, str):
        return len(value) <= MAX_VALUE and "\n" not in value
    if isinstance(value, _SCALARS):
        return True
    if isinstance(value, list | tuple):
        return len(value) <= MAX_ITEMS and all(isinstance(v, _SCALARS) and _safe_value(v) for v in value)
    return False


def clean_detail(detail: dict[str, Any]) -> dict[str, Any]:
    """The detail as it may be logged: secret-like keys and long or structured values dropped (and named)."""
    kept: dict[str, Any] = {}
    dropped: list[str] = []
    for key, value in detail.items():
        if _secret_key(key) or not _safe_value(value) or len(kept) >= MAX_ITEMS or len(key) > 64:
            dropped.append(key[:64])
        else:
            kept[key] = list(value) if isinstance(value, tuple) else value
    if dropped:
        kept["dropped"] = dropped
    return kept


def _utc(value: datetime) -> datetime:
    return value.astimezone(UTC) if value.tzinfo else value.replace(tzinfo=UTC)


def _since(value: date | datetime) -> datetime:
    if not isinstance(value, datetime):
        value = datetime.combine(value, time(0), tzinfo=UTC)
    return _utc(value)


class AuditLog:
    """Record and read audit entries. There is deliberately no update or delete."""

    def __init__(self, engine: Engine) -> None:
        self.engine = engine

    def record(self, user: User | str, action: str, target: str = "", outcome: str = "ok", **detail: Any) -> int:
        """Append one entry; returns its id. `user` is a User or a name such as "cli:root"."""
        if outcome not in OUTCOMES:
            raise ValueError(f"outcome must be one of {OUTCOMES}, not {outcome!r}")
        who = user.name if isinstance(user, User) else str(user)
        if not who or not action:
            raise ValueError("an audit entry needs a user and an action")
        row = {"at": datetime.now(UTC), "user_name": who[:128], "action": action[:64], "target": target[:255],
               "outcome": outcome, "detail": json.dumps(clean_detail(detail), ensure_ascii=False, sort_keys=True)}
        with write(self.engine) as conn:
            result = conn.execute(insert(audit).values(**row))
        key = result.inserted_primary_key
        assert key is not None
        return int(key[0])

    def entries(self, since: date | datetime | None = None, user: str | None = None, action: str | None = None,
                limit: int = 1000) -> list[AuditEntry]:
        """The newest `limit` entries that match, oldest first."""
        q = select(audit).order_by(audit.c.id.desc()).limit(max(1, limit))
        if since is not None:
            q = q.where(audit.c.at >= _since(since))
        if user:
            q = q.where(audit.c.user_name == user)
        if action:
            q = q.where(audit.c.action == action)
        with read(self.engine) as conn:
            rows = conn.execute(q).all()
        return [AuditEntry(id=r.id, at=_utc(r.at), user=r.user_name, action=r.action, target=r.target or "",
                           outcome=r.outcome, detail=json.loads(r.detail or "{}")) for r in reversed(rows)]


_FORMULA = ("=", "+", "-", "@", "\t", "\r")


def _cell(value: str) -> str:
    """A spreadsheet must not read a logged value as a formula."""
    return "'" + value if value.startswith(_FORMULA) else value


def to_csv(entries: list[AuditEntry]) -> str:
    buf = io.StringIO()
    w = csv.writer(buf, lineterminator="\n")
    w.writerow(["id", "at", "user", "action", "target", "outcome", "detail"])
    for e in entries:
        w.writerow([e.id, e.at.isoformat(timespec="seconds"), _cell(e.user), _cell(e.action), _cell(e.target),
                    e.outcome, _cell(json.dumps(e.detail, ensure_ascii=False, sort_keys=True))])
    return buf.getvalue()

"""Who may read an archive document: 公开 (everyone, the default) or 内部 (only the users of its owner office).

The rule lives here so that retrieval (answers, drafts), the 文档 page and the CLI hide the same documents:
`hidden_for(user)` is the set of document ids a user may not read. The single-user desk (user None) and 管理员
(who manages the archive) read everything.
"""

from __future__ import annotations

from datetime import UTC, datetime

from sqlalchemy import Engine, delete, insert, select, update

from assistant.access.roles import User
from assistant.access.tables import documents
from core.db import read, write

PUBLIC, INTERNAL = "公开", "内部"
VISIBILITIES = (PUBLIC, INTERNAL)


class DocAccess:
    def __init__(self, engine: Engine) -> None:
        self.engine = engine

    def set(self, doc_id: str, visibility: str, owner_office: str = "", who: str = "") -> None:
        """Record a document's visibility (内部 needs its owner office)."""
        if visibility not in VISIBILITIES:
            raise ValueError(f"可见范围只能是{'或'.join(VISIBILITIES)}，不是“{visibility}”")
        if visibility == INTERNAL and not owner_office.strip():
            raise ValueError("内部文档须指定所属单位")
        row = {"visibility": visibility, "owner_office": owner_office.strip(), "set_by": who[:128],
               "updated": datetime.now(UTC)}
        with write(self.engine) as conn:
            done = conn.execute(update(documents).where(documents.c.doc_id == doc_id).values(**row)).rowcount
            if not done:
                conn.execute(insert(documents).values(doc_id=doc_id, **row))

    def get(self, doc_id: str) -> tuple[str, str]:
        """(visibility, owner office); (公开, "") for a document never listed."""
        with read(self.engine) as conn:
            r = conn.execute(select(documents).where(documents.c.doc_id == doc_id)).first()
        return (r.visibility, r.owner_office) if r is not None else (PUBLIC, "")

    def forget(self, doc_id: str) -> None:
        """The document left the archive: its entry goes too (an id reused later starts 公开 again)."""
        with write(self.engine) as conn:
            conn.execute(delete(documents).where(documents.c.doc_id == doc_id))

    def hidden_for(self, user: User | None) -> frozenset[str]:
        """The ids of the documents this user may not read: other offices' 内部 documents."""
        if user is None or user.role == "admin":
            return frozenset()
        with read(self.engine) as conn:
            rows = conn.execute(select(documents.c.doc_id).where(
                documents.c.visibility == INTERNAL, documents.c.owner_office != user.office)).all()
        return frozenset(r.doc_id for r in rows)

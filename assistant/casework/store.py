"""The case store (办件): a proposal, the opinions received on it, every draft version and the final letter,
in SQLite."""

from __future__ import annotations

import datetime
import json
import sqlite3
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from assistant.casework.diff import render_diff
from assistant.casework.intake import ParsedProposal
from assistant.casework.opinions import Opinion, same_office
from assistant.evidence import cite
from core.settings import Settings

STATUS_NEW, STATUS_DRAFTING, STATUS_FINAL = "待起草", "起草中", "已定稿"


_SCHEMA = """
CREATE TABLE IF NOT EXISTS cases (
  id INTEGER PRIMARY KEY AUTOINCREMENT, title TEXT NOT NULL, number TEXT NOT NULL DEFAULT '',
  proposer TEXT NOT NULL DEFAULT '', office TEXT NOT NULL DEFAULT '', role TEXT NOT NULL DEFAULT 'lead',
  lead_office TEXT NOT NULL DEFAULT '', due TEXT NOT NULL DEFAULT '', proposal_json TEXT NOT NULL,
  final_text TEXT, final_at TEXT, created TEXT NOT NULL, updated TEXT NOT NULL);
CREATE TABLE IF NOT EXISTS versions (
  case_id INTEGER NOT NULL REFERENCES cases(id), n INTEGER NOT NULL, text TEXT NOT NULL,
  author TEXT NOT NULL DEFAULT '', note TEXT NOT NULL DEFAULT '', created TEXT NOT NULL,
  payload_json TEXT NOT NULL DEFAULT '{}', PRIMARY KEY (case_id, n));
CREATE TABLE IF NOT EXISTS opinions (
  case_id INTEGER NOT NULL REFERENCES cases(id), office TEXT NOT NULL, date TEXT NOT NULL DEFAULT '',
  opinion_json TEXT NOT NULL, doc_id TEXT NOT NULL DEFAULT '', created TEXT NOT NULL,
  PRIMARY KEY (case_id, office));
CREATE TABLE IF NOT EXISTS files (
  id INTEGER PRIMARY KEY AUTOINCREMENT, case_id INTEGER NOT NULL REFERENCES cases(id), role TEXT NOT NULL,
  name TEXT NOT NULL, data BLOB NOT NULL, created TEXT NOT NULL);
"""


class CaseError(Exception):
    """A request the case store refuses, with a message for the drafter (nothing is changed)."""


def _now() -> str:
    return datetime.datetime.now().isoformat(timespec="seconds")


@dataclass
class Version:
    case_id: int
    n: int
    text: str
    author: str
    note: str
    created: str
    payload: dict[str, Any]


@dataclass
class Case:
    id: int
    title: str
    number: str
    proposer: str
    office: str
    role: str
    lead_office: str
    due: str
    proposal: ParsedProposal
    final_text: str | None
    final_at: str | None
    created: str
    updated: str
    versions: int = 0

    @property
    def status(self) -> str:
        return STATUS_FINAL if self.final_text else STATUS_DRAFTING if self.versions else STATUS_NEW

    def row(self) -> dict[str, Any]:
        """One line of the case list."""
        return {"id": self.id, "title": self.title, "number": self.number, "proposer": self.proposer,
                "office": self.office, "status": self.status, "versions": self.versions, "due": self.due,
                "updated": self.updated}


class CaseStore:
    """The cases of one data directory."""

    def __init__(self, path: Path) -> None:
        self.path = path
        path.parent.mkdir(parents=True, exist_ok=True)
        with self._db() as db:
            db.executescript(_SCHEMA)

    @classmethod
    def of(cls, settings: Settings) -> CaseStore:
        return cls(settings.data_dir / "cases.sqlite3")

    @contextmanager
    def _db(self) -> Iterator[sqlite3.Connection]:
        db = sqlite3.connect(self.path, timeout=30)
        db.row_factory = sqlite3.Row
        try:
            with db:
                yield db
        finally:
            db.close()

    # -- cases ------------------------------------------------------------------------------------------
    def create(self, proposal: ParsedProposal, office: str = "", role: str = "lead", lead_office: str = "",
               due: str = "", file: tuple[str, bytes] | None = None) -> int:
        """A new case for a proposal (its file kept as it came)."""
        now = _now()
        with self._db() as db:
            cur = db.execute(
                "INSERT INTO cases (title, number, proposer, office, role, lead_office, due, proposal_json, created,"
                " updated) VALUES (?,?,?,?,?,?,?,?,?,?)",
                (proposal.title, proposal.number, proposal.proposer, office, role, lead_office, due,
                 json.dumps(proposal.to_dict(), ensure_ascii=False), now, now))
            case_id = int(cur.lastrowid or 0)
            if file:
                db.execute("INSERT INTO files (case_id, role, name, data, created) VALUES (?,?,?,?,?)",
                           (case_id, "proposal", file[0], file[1], now))
        return case_id

    def find(self, proposal: ParsedProposal, office: str) -> int | None:
        """The open case of this proposal at this office (same number, or same title when unnumbered)."""
        with self._db() as db:
            row = db.execute("SELECT id FROM cases WHERE office=? AND ((number<>'' AND number=?) OR "
                             "(number='' AND title=?)) ORDER BY id DESC LIMIT 1",
                             (office, proposal.number, proposal.title)).fetchone()
        return int(row["id"]) if row else None

    def update(self, case_id: int, proposal: ParsedProposal | None = None, **fields: str) -> None:
        """Correct the parsed proposal or the case's office, role, lead office, due date."""
        self.get(case_id)
        sets, args = ["updated=?"], [_now()]
        if proposal is not None:
            sets += ["proposal_json=?", "title=?", "number=?", "proposer=?"]
            args += [json.dumps(proposal.to_dict(), ensure_ascii=False), proposal.title, proposal.number,
                     proposal.proposer]
        for k, v in fields.items():
            if k not in ("office", "role", "lead_office", "due"):
                raise CaseError(f"unknown case field {k}")
            sets.append(f"{k}=?")
            args.append(v)
        with self._db() as db:
            db.execute(f"UPDATE cases SET {', '.join(sets)} WHERE id=?", (*args, case_id))

    def get(self, case_id: int) -> Case:
        with self._db() as db:
            row = db.execute("SELECT c.*, (SELECT COUNT(*) FROM versions v WHERE v.case_id=c.id) AS nv "
                             "FROM cases c WHERE id=?", (case_id,)).fetchone()
        if row is None:
            raise CaseError(f"没有编号为 {case_id} 的办件")
        return self._case(row)

    @staticmethod
    def _case(row: sqlite3.Row) -> Case:
        return Case(int(row["id"]), row["title"], row["number"], row["proposer"], row["office"], row["role"],
                    row["lead_office"], row["due"], ParsedProposal.from_dict(json.loads(row["proposal_json"])),
                    row["final_text"], row["final_at"], row["created"], row["updated"], int(row["nv"]))

    def all(self) -> list[Case]:
        with self._db() as db:
            rows = db.execute("SELECT c.*, (SELECT COUNT(*) FROM versions v WHERE v.case_id=c.id) AS nv "
                              "FROM cases c ORDER BY updated DESC, id DESC").fetchall()
        return [self._case(r) for r in rows]

    # -- versions ---------------------------------------------------------------------------------------
    def add_version(self, case_id: int, text: str, author: str = "", note: str = "",
                    payload: dict[str, Any] | None = None) -> int:
        """Save the letter as the case's next version; the payload (passages, request) carries over from the
        previous version when not given, so an edited text keeps its sources."""
        case = self.get(case_id)
        if case.final_text is not None:
            raise CaseError("该办件已定稿，不能再保存新的草稿版本")
        last = self.versions(case_id)[-1:] if case.versions else []
        data = payload if payload is not None else (last[0].payload if last else {})
        with self._db() as db:
            n = int(db.execute("SELECT COALESCE(MAX(n), 0) FROM versions WHERE case_id=?", (case_id,)).fetchone()[0]) + 1
            now = _now()
            db.execute("INSERT INTO versions VALUES (?,?,?,?,?,?,?)",
                       (case_id, n, text, author, note, now, json.dumps(data, ensure_ascii=False)))
            db.execute("UPDATE cases SET updated=? WHERE id=?", (now, case_id))
        return n

    def versions(self, case_id: int) -> list[Version]:
        with self._db() as db:
            rows = db.execute("SELECT * FROM versions WHERE case_id=? ORDER BY n", (case_id,)).fetchall()
        return [Version(case_id, int(r["n"]), r["text"], r["author"], r["note"], r["created"],
                        json.loads(r["payload_json"] or "{}")) for r in rows]

    def version(self, case_id: int, n: int | None = None) -> Version:
        vs = self.versions(case_id)
        if not vs:
            raise CaseError("该办件还没有草稿版本")
        if n is None:
            return vs[-1]
        got = next((v for v in vs if v.n == n), None)
        if got is None:
            raise CaseError(f"没有第 {n} 版（共 {len(vs)} 版）")
        return got

    # -- opinions ---------------------------------------------------------------------------------------
    def add_opinion(self, case_id: int, opinion: Opinion, file: tuple[str, bytes] | None = None) -> list[str]:
        """Attach a co-handling opinion; refuses a second opinion of the same office (CaseError). Returns
        warnings (an office the proposal does not name as co-handling, an opinion addressed elsewhere)."""
        case = self.get(case_id)
        if same_office(opinion.office, case.office) and case.role == "lead":
            raise CaseError(f"“{opinion.office}”是本件的主办单位，不能作为会办意见附加")
        for other in self.opinions(case_id):
            if same_office(other.office, opinion.office):
                raise CaseError(f"已附加过“{other.office}”的会办意见（{other.source}）；同一单位只能有一份，"
                                "如需替换请先删除原意见")
        warnings = list(opinion.warnings)
        named = case.proposal.co_offices
        if named and not any(same_office(o, opinion.office) for o in named):
            warnings.append(f"来文列明的会办单位为{'、'.join(named)}，未包括“{opinion.office}”")
        if opinion.to_office and case.office and not same_office(opinion.to_office, case.office):
            warnings.append(f"该意见的主送单位是“{opinion.to_office}”，不是“{case.office}”")
        now = _now()
        with self._db() as db:
            db.execute("INSERT INTO opinions VALUES (?,?,?,?,?,?)",
                       (case_id, opinion.office, opinion.date, json.dumps(opinion.to_dict(), ensure_ascii=False),
                        "", now))
            if file:
                db.execute("INSERT INTO files (case_id, role, name, data, created) VALUES (?,?,?,?,?)",
                           (case_id, "opinion", file[0], file[1], now))
            db.execute("UPDATE cases SET updated=? WHERE id=?", (now, case_id))
        return warnings

    def remove_opinion(self, case_id: int, office: str) -> bool:
        with self._db() as db:
            return db.execute("DELETE FROM opinions WHERE case_id=? AND office=?", (case_id, office)).rowcount > 0

    def opinions(self, case_id: int) -> list[Opinion]:
        with self._db() as db:
            rows = db.execute("SELECT opinion_json FROM opinions WHERE case_id=? ORDER BY rowid",
                              (case_id,)).fetchall()
        return [Opinion.from_dict(json.loads(r["opinion_json"])) for r in rows]

    def set_opinion_doc(self, case_id: int, office: str, doc_id: str) -> None:
        with self._db() as db:
            db.execute("UPDATE opinions SET doc_id=? WHERE case_id=? AND office=?", (doc_id, case_id, office))

    def files(self, case_id: int) -> list[tuple[str, str, bytes]]:
        """(role, name, bytes) of every file received for the case."""
        with self._db() as db:
            rows = db.execute("SELECT role, name, data FROM files WHERE case_id=? ORDER BY id", (case_id,)).fetchall()
        return [(r["role"], r["name"], bytes(r["data"])) for r in rows]

    # -- final letter -----------------------------------------------------------------------------------
    def set_final(self, case_id: int, text: str, file: tuple[str, bytes] | None = None) -> str:
        """Store the signed final letter; returns its readable diff against the last draft."""
        if not text.strip():
            raise CaseError("定稿文件没有可读的文字")
        last = self.version(case_id).text if self.get(case_id).versions else ""
        now = _now()
        with self._db() as db:
            db.execute("UPDATE cases SET final_text=?, final_at=?, updated=? WHERE id=?", (text, now, now, case_id))
            if file:
                db.execute("INSERT INTO files (case_id, role, name, data, created) VALUES (?,?,?,?,?)",
                           (case_id, "final", file[0], file[1], now))
        return render_diff(cite.strip_markers(last), cite.strip_markers(text), "最后草稿", "定稿")

"""The case store (办件): a proposal, the opinions received on it, every draft version and the final letter,
in SQLite.

Trust rules, kept here rather than by the callers:

- every read-check-write runs in one `BEGIN IMMEDIATE` transaction on one connection, so two saves cannot both
  pass a check and then write (WAL mode: readers never wait for a writer, `PRAGMA foreign_keys=ON`);
- an edit names the version it was made from (`base`); when a newer version exists the save is refused with a
  `VersionConflict` that carries both texts: nothing is overwritten and nothing is lost;
- one case per proposal at an office (a UNIQUE index on office + proposal key: number and session, the title
  when unnumbered);
- a final case (已定稿) is read-only — no version, field correction, opinion added or removed, no second final
  letter — until it is reopened with a reason (`reopen`), which is recorded in `events` with the final letter
  it set aside.

A database written by an earlier version of this module is migrated in place when opened (rows kept); if it
holds two cases of one proposal the unique index is left out, and the insert path still checks in its
transaction.
"""

from __future__ import annotations

import datetime
import json
import re
import sqlite3
from collections.abc import Iterator
from contextlib import contextmanager, suppress
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from assistant.casework.diff import render_diff
from assistant.casework.intake import ParsedProposal
from assistant.casework.opinions import Opinion, same_office
from assistant.evidence import cite
from core.settings import Settings

STATUS_NEW, STATUS_DRAFTING, STATUS_FINAL = "待起草", "起草中", "已定稿"
EVENT_FINAL, EVENT_REOPEN = "final", "reopen"
EVENT_LABELS = {EVENT_FINAL: "定稿", EVENT_REOPEN: "重新打开"}

SCHEMA_VERSION = 2
_UNIQUE_INDEX = "cases_one_per_proposal"

_TABLES = (
    """CREATE TABLE IF NOT EXISTS cases (
  id INTEGER PRIMARY KEY AUTOINCREMENT, title TEXT NOT NULL, number TEXT NOT NULL DEFAULT '',
  proposer TEXT NOT NULL DEFAULT '', office TEXT NOT NULL DEFAULT '', role TEXT NOT NULL DEFAULT 'lead',
  lead_office TEXT NOT NULL DEFAULT '', due TEXT NOT NULL DEFAULT '', proposal_json TEXT NOT NULL,
  final_text TEXT, final_at TEXT, created TEXT NOT NULL, updated TEXT NOT NULL,
  pkey TEXT NOT NULL DEFAULT '')""",
    """CREATE TABLE IF NOT EXISTS versions (
  case_id INTEGER NOT NULL REFERENCES cases(id), n INTEGER NOT NULL, text TEXT NOT NULL,
  author TEXT NOT NULL DEFAULT '', note TEXT NOT NULL DEFAULT '', created TEXT NOT NULL,
  payload_json TEXT NOT NULL DEFAULT '{}', PRIMARY KEY (case_id, n))""",
    """CREATE TABLE IF NOT EXISTS opinions (
  case_id INTEGER NOT NULL REFERENCES cases(id), office TEXT NOT NULL, date TEXT NOT NULL DEFAULT '',
  opinion_json TEXT NOT NULL, doc_id TEXT NOT NULL DEFAULT '', created TEXT NOT NULL,
  PRIMARY KEY (case_id, office))""",
    """CREATE TABLE IF NOT EXISTS files (
  id INTEGER PRIMARY KEY AUTOINCREMENT, case_id INTEGER NOT NULL REFERENCES cases(id), role TEXT NOT NULL,
  name TEXT NOT NULL, data BLOB NOT NULL, created TEXT NOT NULL)""",
    """CREATE TABLE IF NOT EXISTS events (
  id INTEGER PRIMARY KEY AUTOINCREMENT, case_id INTEGER NOT NULL REFERENCES cases(id), kind TEXT NOT NULL,
  who TEXT NOT NULL DEFAULT '', reason TEXT NOT NULL DEFAULT '', data_json TEXT NOT NULL DEFAULT '{}',
  created TEXT NOT NULL)""",
)


class CaseError(Exception):
    """A request the case store refuses, with a message for the drafter (nothing is changed)."""


def _now() -> str:
    return datetime.datetime.now().isoformat(timespec="seconds")


def when(stamp: str | None) -> str:
    """A stored time as the drafter reads it (2025-06-01 14:03:05)."""
    return (stamp or "").replace("T", " ")


def proposal_key(number: str, session: str, title: str) -> str:
    """What makes two proposals one at an office: the number within its session, or the title when unnumbered
    ('' when neither is known: such a case is never matched to another)."""
    def norm(s: str) -> str:
        return re.sub(r"\s+", "", s or "")

    if norm(number):
        return f"no:{norm(session)}|{norm(number)}"
    return f"title:{norm(session)}|{norm(title)}" if norm(title) else ""


def _key_of(p: ParsedProposal) -> str:
    return proposal_key(p.number, p.session, p.title)


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
class Event:
    """A recorded step of a case's life besides its versions: 定稿 (final), 重新打开 (reopen, with the reason
    and the final letter it set aside in `data`)."""

    case_id: int
    kind: str
    who: str
    reason: str
    created: str
    data: dict[str, Any]

    @property
    def label(self) -> str:
        return EVENT_LABELS.get(self.kind, self.kind)

    def line(self) -> str:
        who = f" {self.who}" if self.who else ""
        return f"{self.label} {when(self.created)}{who}" + (f"：{self.reason}" if self.reason else "")


class VersionConflict(CaseError):
    """An edit made from version `base` while a newer version (`newer`) was saved meanwhile: refused, and the
    edited text (`text`) is carried here so it can be compared with `newer` and saved again — nothing lost."""

    def __init__(self, case_id: int, base: int, newer: Version, text: str, author: str = "", note: str = "") -> None:
        self.case_id, self.base, self.newer, self.text, self.author, self.note = case_id, base, newer, text, author, note
        span = "" if newer.n == base + 1 else f"第{base + 1}–{newer.n}版，最新的"
        super().__init__(
            f"办件 #{case_id} 的第{base}版之后已有新版本：{span}第{newer.n}版由"
            f"{newer.author or '（未署名）'}于{when(newer.created)}保存。你的修改没有保存，也没有丢失："
            f"请先与第{newer.n}版比较、合并后，以第{newer.n}版为基础再保存。")

    def __reduce__(self) -> tuple[Any, ...]:  # picklable across processes despite the extra arguments
        return (type(self), (self.case_id, self.base, self.newer, self.text, self.author, self.note))

    def diff(self) -> str:
        """The saved newer version against the refused edit (paragraph and character level)."""
        return render_diff(self.newer.text, self.text, f"第{self.newer.n}版（{self.newer.author or '未署名'}）", "你的修改")


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
        return STATUS_FINAL if self.final_text is not None else STATUS_DRAFTING if self.versions else STATUS_NEW

    @property
    def is_final(self) -> bool:
        return self.final_text is not None

    def row(self) -> dict[str, Any]:
        """One line of the case list."""
        return {"id": self.id, "title": self.title, "number": self.number, "proposer": self.proposer,
                "office": self.office, "status": self.status, "versions": self.versions, "due": self.due,
                "updated": self.updated}


def final_message(case_id: int, final_at: str | None) -> str:
    return (f"办件 #{case_id} 已定稿（{when(final_at)}），不能再修改（保存版本、更正字段、附加或删除会办意见、更换定稿）；"
            f"如确需修改，请先重新打开并写明理由（assistant case {case_id} --reopen --reason …）")


_CASE_SELECT = "SELECT c.*, (SELECT COUNT(*) FROM versions v WHERE v.case_id=c.id) AS nv FROM cases c"


class CaseStore:
    """The cases of one data directory. Each call opens its own connection, so one store may be shared by
    threads (the Streamlit sessions) and processes (the CLI) alike."""

    def __init__(self, path: Path) -> None:
        self.path = path
        path.parent.mkdir(parents=True, exist_ok=True)
        self._migrate()

    @classmethod
    def of(cls, settings: Settings) -> CaseStore:
        return cls(settings.data_dir / "cases.sqlite3")

    # -- connections and transactions ---------------------------------------------------------------------
    def _connect(self) -> sqlite3.Connection:
        db = sqlite3.connect(self.path, timeout=30, isolation_level=None)  # transactions are begun explicitly
        db.row_factory = sqlite3.Row
        db.execute("PRAGMA foreign_keys=ON")
        return db

    @contextmanager
    def _read(self) -> Iterator[sqlite3.Connection]:
        db = self._connect()
        try:
            yield db
        finally:
            db.close()

    @contextmanager
    def _write(self) -> Iterator[sqlite3.Connection]:
        """One read-check-write: BEGIN IMMEDIATE takes the write lock before the first read, so what was
        checked still holds when it is written; any exception rolls everything back."""
        db = self._connect()
        try:
            db.execute("BEGIN IMMEDIATE")
            try:
                yield db
            except BaseException:
                if db.in_transaction:
                    db.execute("ROLLBACK")
                raise
            db.execute("COMMIT")
        finally:
            db.close()

    def _migrate(self) -> None:
        """Create or bring the schema up to date in place (rows kept); cheap when it already is."""
        with self._read() as db:
            with suppress(sqlite3.OperationalError):  # another connection holds it in rollback mode: later
                db.execute("PRAGMA journal_mode=WAL")
            version = int(db.execute("PRAGMA user_version").fetchone()[0])
            indexed = db.execute("SELECT 1 FROM sqlite_master WHERE type='index' AND name=?",
                                 (_UNIQUE_INDEX,)).fetchone()
        if version >= SCHEMA_VERSION and indexed:
            return
        with self._write() as db:
            for stmt in _TABLES:
                db.execute(stmt)
            cols = {r["name"] for r in db.execute("PRAGMA table_info(cases)")}
            if "pkey" not in cols:
                db.execute("ALTER TABLE cases ADD COLUMN pkey TEXT NOT NULL DEFAULT ''")
                for r in db.execute("SELECT id, number, title, proposal_json FROM cases").fetchall():
                    try:
                        session = str(json.loads(r["proposal_json"]).get("session") or "")
                    except (ValueError, AttributeError):
                        session = ""
                    db.execute("UPDATE cases SET pkey=? WHERE id=?",
                               (proposal_key(r["number"], session, r["title"]), r["id"]))
            dup = db.execute("SELECT 1 FROM cases WHERE office<>'' AND pkey<>'' GROUP BY office, pkey "
                             "HAVING COUNT(*) > 1 LIMIT 1").fetchone()
            if dup is None:  # with duplicates from before, every case is kept and the insert path checks
                db.execute(f"CREATE UNIQUE INDEX IF NOT EXISTS {_UNIQUE_INDEX} ON cases(office, pkey) "
                           "WHERE office<>'' AND pkey<>''")
            db.execute(f"PRAGMA user_version={SCHEMA_VERSION}")

    @staticmethod
    def _row(db: sqlite3.Connection, case_id: int) -> sqlite3.Row:
        row = db.execute(f"{_CASE_SELECT} WHERE id=?", (case_id,)).fetchone()
        if row is None:
            raise CaseError(f"没有编号为 {case_id} 的办件")
        return row

    def _open_row(self, db: sqlite3.Connection, case_id: int) -> sqlite3.Row:
        """The case's row, refused when it is final (read-only until reopened)."""
        row = self._row(db, case_id)
        if row["final_text"] is not None:
            raise CaseError(final_message(case_id, row["final_at"]))
        return row

    @staticmethod
    def _same(db: sqlite3.Connection, office: str, key: str, but: int | None = None) -> int | None:
        if not office or not key:
            return None
        row = db.execute("SELECT id FROM cases WHERE office=? AND pkey=? AND id<>? ORDER BY id DESC LIMIT 1",
                         (office, key, -1 if but is None else but)).fetchone()
        return int(row["id"]) if row else None

    # -- cases ------------------------------------------------------------------------------------------
    def _insert(self, db: sqlite3.Connection, proposal: ParsedProposal, office: str, role: str, lead_office: str,
                due: str, file: tuple[str, bytes] | None) -> int:
        now = _now()
        cur = db.execute(
            "INSERT INTO cases (title, number, proposer, office, role, lead_office, due, proposal_json, created,"
            " updated, pkey) VALUES (?,?,?,?,?,?,?,?,?,?,?)",
            (proposal.title, proposal.number, proposal.proposer, office, role, lead_office, due,
             json.dumps(proposal.to_dict(), ensure_ascii=False), now, now, _key_of(proposal)))
        case_id = int(cur.lastrowid or 0)
        if file:
            db.execute("INSERT INTO files (case_id, role, name, data, created) VALUES (?,?,?,?,?)",
                       (case_id, "proposal", file[0], file[1], now))
        return case_id

    def create(self, proposal: ParsedProposal, office: str = "", role: str = "lead", lead_office: str = "",
               due: str = "", file: tuple[str, bytes] | None = None) -> int:
        """A new case for a proposal (its file kept as it came); CaseError when the office already has a case
        of this proposal (`create_or_find` returns that one instead)."""
        with self._write() as db:
            found = self._same(db, office, _key_of(proposal))
            if found is not None:
                raise CaseError(f"{office}已有该提案的办件 #{found}")
            return self._insert(db, proposal, office, role, lead_office, due, file)

    def create_or_find(self, proposal: ParsedProposal, office: str = "", role: str = "lead",
                       lead_office: str = "", due: str = "",
                       file: tuple[str, bytes] | None = None) -> tuple[int, bool]:
        """The office's case of this proposal, created when there is none: (id, created). Looked up and created
        in one transaction, so two sessions opening the same proposal get one case."""
        with self._write() as db:
            found = self._same(db, office, _key_of(proposal))
            if found is not None:
                return found, False
            return self._insert(db, proposal, office, role, lead_office, due, file), True

    def find(self, proposal: ParsedProposal, office: str) -> int | None:
        """The case of this proposal at this office (same number in the same session, or same title when
        unnumbered)."""
        with self._read() as db:
            return self._same(db, office, _key_of(proposal))

    def update(self, case_id: int, proposal: ParsedProposal | None = None, **fields: str) -> None:
        """Correct the parsed proposal or the case's office, role, lead office, due date (not of a final case;
        not into a second case of a proposal the office already has)."""
        for k in fields:
            if k not in ("office", "role", "lead_office", "due"):
                raise CaseError(f"unknown case field {k}")
        with self._write() as db:
            row = self._open_row(db, case_id)
            sets, args = ["updated=?"], [_now()]
            key = row["pkey"]
            if proposal is not None:
                key = _key_of(proposal)
                sets += ["proposal_json=?", "title=?", "number=?", "proposer=?", "pkey=?"]
                args += [json.dumps(proposal.to_dict(), ensure_ascii=False), proposal.title, proposal.number,
                         proposal.proposer, key]
            for k, v in fields.items():
                sets.append(f"{k}=?")
                args.append(v)
            other = self._same(db, fields.get("office", row["office"]), key, but=case_id)
            if other is not None:
                raise CaseError(f"更正后与办件 #{other} 是同一单位的同一提案；未保存更正")
            db.execute(f"UPDATE cases SET {', '.join(sets)} WHERE id=?", (*args, case_id))

    def get(self, case_id: int) -> Case:
        with self._read() as db:
            return self._case(self._row(db, case_id))

    @staticmethod
    def _case(row: sqlite3.Row) -> Case:
        return Case(int(row["id"]), row["title"], row["number"], row["proposer"], row["office"], row["role"],
                    row["lead_office"], row["due"], ParsedProposal.from_dict(json.loads(row["proposal_json"])),
                    row["final_text"], row["final_at"], row["created"], row["updated"], int(row["nv"]))

    def all(self) -> list[Case]:
        with self._read() as db:
            rows = db.execute(f"{_CASE_SELECT} ORDER BY updated DESC, id DESC").fetchall()
        return [self._case(r) for r in rows]

    # -- versions ---------------------------------------------------------------------------------------
    @staticmethod
    def _version(r: sqlite3.Row) -> Version:
        return Version(int(r["case_id"]), int(r["n"]), r["text"], r["author"], r["note"], r["created"],
                       json.loads(r["payload_json"] or "{}"))

    def add_version(self, case_id: int, text: str, author: str = "", note: str = "",
                    payload: dict[str, Any] | None = None, base: int | None = None) -> int:
        """Save the letter as the case's next version and return its number.

        `base` is the version the text was edited from (0: made when there was none); when a newer version
        was saved meanwhile, `VersionConflict` (nothing written; the text travels in the exception). None is a
        fresh draft, saved on top of whatever is there. The payload (passages, request) carries over from the
        base (else the latest) version when not given, so an edited text keeps its sources. Refused on a
        final case."""
        with self._write() as db:
            self._open_row(db, case_id)
            last = db.execute("SELECT * FROM versions WHERE case_id=? ORDER BY n DESC LIMIT 1", (case_id,)).fetchone()
            top = int(last["n"]) if last else 0
            if base is not None and base != top:
                if base < 0 or base > top:
                    raise CaseError(f"没有第 {base} 版（共 {top} 版），无法以它为基础保存")
                raise VersionConflict(case_id, base, self._version(last), text, author, note)
            data = payload if payload is not None else (json.loads(last["payload_json"] or "{}") if last else {})
            now = _now()
            db.execute("INSERT INTO versions VALUES (?,?,?,?,?,?,?)",
                       (case_id, top + 1, text, author, note, now, json.dumps(data, ensure_ascii=False)))
            db.execute("UPDATE cases SET updated=? WHERE id=?", (now, case_id))
        return top + 1

    def versions(self, case_id: int) -> list[Version]:
        with self._read() as db:
            rows = db.execute("SELECT * FROM versions WHERE case_id=? ORDER BY n", (case_id,)).fetchall()
        return [self._version(r) for r in rows]

    def version(self, case_id: int, n: int | None = None) -> Version:
        """Version n of the case, the latest when n is None."""
        with self._read() as db:
            if n is None:
                row = db.execute("SELECT * FROM versions WHERE case_id=? ORDER BY n DESC LIMIT 1",
                                 (case_id,)).fetchone()
            else:
                row = db.execute("SELECT * FROM versions WHERE case_id=? AND n=?", (case_id, n)).fetchone()
            count = int(db.execute("SELECT COUNT(*) FROM versions WHERE case_id=?", (case_id,)).fetchone()[0])
        if row is None:
            raise CaseError("该办件还没有草稿版本" if not count else f"没有第 {n} 版（共 {count} 版）")
        return self._version(row)

    # -- opinions ---------------------------------------------------------------------------------------
    def add_opinion(self, case_id: int, opinion: Opinion, file: tuple[str, bytes] | None = None) -> list[str]:
        """Attach a co-handling opinion; refuses a second opinion of the same office and any change to a final
        case (CaseError). Returns warnings (an office the proposal does not name as co-handling, an opinion
        addressed elsewhere)."""
        with self._write() as db:
            case = self._case(self._open_row(db, case_id))
            if same_office(opinion.office, case.office) and case.role == "lead":
                raise CaseError(f"“{opinion.office}”是本件的主办单位，不能作为会办意见附加")
            for r in db.execute("SELECT opinion_json FROM opinions WHERE case_id=? ORDER BY rowid", (case_id,)):
                other = Opinion.from_dict(json.loads(r["opinion_json"]))
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
            db.execute("INSERT INTO opinions VALUES (?,?,?,?,?,?)",
                       (case_id, opinion.office, opinion.date, json.dumps(opinion.to_dict(), ensure_ascii=False),
                        "", now))
            if file:
                db.execute("INSERT INTO files (case_id, role, name, data, created) VALUES (?,?,?,?,?)",
                           (case_id, "opinion", file[0], file[1], now))
            db.execute("UPDATE cases SET updated=? WHERE id=?", (now, case_id))
        return warnings

    def remove_opinion(self, case_id: int, office: str) -> bool:
        """Detach the office's opinion (False when there is none); refused on a final case."""
        with self._write() as db:
            self._open_row(db, case_id)
            gone = db.execute("DELETE FROM opinions WHERE case_id=? AND office=?", (case_id, office)).rowcount > 0
            if gone:
                db.execute("UPDATE cases SET updated=? WHERE id=?", (_now(), case_id))
        return gone

    def opinions(self, case_id: int) -> list[Opinion]:
        with self._read() as db:
            rows = db.execute("SELECT opinion_json FROM opinions WHERE case_id=? ORDER BY rowid",
                              (case_id,)).fetchall()
        return [Opinion.from_dict(json.loads(r["opinion_json"])) for r in rows]

    def set_opinion_doc(self, case_id: int, office: str, doc_id: str) -> None:
        """Link an attached opinion to its archived copy (bookkeeping, allowed on a final case)."""
        with self._write() as db:
            db.execute("UPDATE opinions SET doc_id=? WHERE case_id=? AND office=?", (doc_id, case_id, office))

    def files(self, case_id: int) -> list[tuple[str, str, bytes]]:
        """(role, name, bytes) of every file received for the case."""
        with self._read() as db:
            rows = db.execute("SELECT role, name, data FROM files WHERE case_id=? ORDER BY id", (case_id,)).fetchall()
        return [(r["role"], r["name"], bytes(r["data"])) for r in rows]

    # -- final letter, reopening, events ----------------------------------------------------------------
    def set_final(self, case_id: int, text: str, file: tuple[str, bytes] | None = None, who: str = "") -> str:
        """Store the signed final letter; returns its readable diff against the last draft. Refused when the
        case is already final (reopen it first)."""
        if not text.strip():
            raise CaseError("定稿文件没有可读的文字")
        with self._write() as db:
            self._open_row(db, case_id)
            last = db.execute("SELECT text FROM versions WHERE case_id=? ORDER BY n DESC LIMIT 1",
                              (case_id,)).fetchone()
            now = _now()
            db.execute("UPDATE cases SET final_text=?, final_at=?, updated=? WHERE id=?", (text, now, now, case_id))
            if file:
                db.execute("INSERT INTO files (case_id, role, name, data, created) VALUES (?,?,?,?,?)",
                           (case_id, "final", file[0], file[1], now))
            self._event(db, case_id, EVENT_FINAL, who, "", {"file": file[0] if file else ""}, now)
        return render_diff(cite.strip_markers(last["text"] if last else ""), cite.strip_markers(text), "最后草稿", "定稿")

    def reopen(self, case_id: int, who: str, reason: str) -> None:
        """Make a final case editable again. The reason is required; the reopening, who did it and the final
        letter it sets aside are recorded (`events`), and the final file stays among the case's files."""
        if not reason.strip():
            raise CaseError("重新打开已定稿的办件须写明理由")
        with self._write() as db:
            row = self._row(db, case_id)
            if row["final_text"] is None:
                raise CaseError(f"办件 #{case_id} 尚未定稿，无需重新打开")
            now = _now()
            self._event(db, case_id, EVENT_REOPEN, who.strip(), reason.strip(),
                        {"final_text": row["final_text"], "final_at": row["final_at"]}, now)
            db.execute("UPDATE cases SET final_text=NULL, final_at=NULL, updated=? WHERE id=?", (now, case_id))

    @staticmethod
    def _event(db: sqlite3.Connection, case_id: int, kind: str, who: str, reason: str, data: dict[str, Any],
               now: str) -> None:
        db.execute("INSERT INTO events (case_id, kind, who, reason, data_json, created) VALUES (?,?,?,?,?,?)",
                   (case_id, kind, who, reason, json.dumps(data, ensure_ascii=False), now))

    def events(self, case_id: int) -> list[Event]:
        """The case's 定稿 and 重新打开 steps, oldest first."""
        with self._read() as db:
            rows = db.execute("SELECT * FROM events WHERE case_id=? ORDER BY id", (case_id,)).fetchall()
        return [Event(int(r["case_id"]), r["kind"], r["who"], r["reason"], r["created"],
                      json.loads(r["data_json"] or "{}")) for r in rows]

    def integrity(self) -> list[str]:
        """SQLite's integrity and foreign-key checks: [] when the database is sound."""
        with self._read() as db:
            got = [str(r[0]) for r in db.execute("PRAGMA integrity_check")]
            fks = db.execute("PRAGMA foreign_key_check").fetchall()
        return [g for g in got if g != "ok"] + [f"foreign key: {tuple(r)}" for r in fks]

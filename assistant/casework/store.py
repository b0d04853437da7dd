"""The case store (办件): a proposal, the opinions received on it, every draft version and the final letter,
in SQL through SQLAlchemy Core: SQLite by default (`<data_dir>/cases.sqlite3`), PostgreSQL when
`ASSISTANT_DATABASE_URL` names one (several app instances on one database). Tables: `tables.py`; schema:
Alembic migrations in `core/migrations` (`core.db.migrate`, run when a store is opened).

Trust rules, kept here rather than by the callers:

- every read-check-write runs in one transaction on one connection, so two saves cannot both pass a check and
  then write: on SQLite it begins with `BEGIN IMMEDIATE` (WAL mode: readers never wait for a writer,
  `PRAGMA foreign_keys=ON`); on PostgreSQL it locks the case row (`SELECT … FOR UPDATE`) before checking, and a
  new case takes an advisory lock on its office + proposal key before looking for an existing one;
- an edit names the version it was made from (`base`); when a newer version exists the save is refused with a
  `VersionConflict` that carries both texts: nothing is overwritten and nothing is lost;
- one case per proposal at an office (a UNIQUE index on office + proposal key: number and session, the title
  when unnumbered);
- a case sent for signature or signed (待签发/已签发, `cases.state`) takes no version, correction or opinion
  until the signer returns it; `set_state` moves it only from the state the caller saw (else refused);
- a final case (已答复) is read-only — no version, field correction, opinion added or removed, no second final
  letter — until it is reopened with a reason (`reopen`), which is recorded in `events` with the final letter
  it set aside.

A SQLite file written by the earlier sqlite3 version of this module is migrated in place when opened (rows
kept, `core.db.migrate`); if it holds two cases of one proposal the unique index is left out, and the insert
path still checks in its transaction.
"""

from __future__ import annotations

import datetime
import json
import re
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from sqlalchemy import Connection, Engine, RowMapping, delete, func, insert, literal_column, select, update

from assistant.casework.diff import render_diff
from assistant.casework.intake import ParsedProposal
from assistant.casework.opinions import Opinion, same_office
from assistant.casework.records import (
    EVENT_FINAL,
    EVENT_LABELS,
    EVENT_REOPEN,
    EVENT_STATE,
    FROZEN,
    STATUS_DRAFTING,
    STATUS_FINAL,
    STATUS_NEW,
    STATUS_RETURNED,
    STATUS_REVIEW,
    STATUS_SIGNED,
    STATUS_TO_SIGN,
    CaseError,
    Event,
    Version,
    VersionConflict,
    final_message,
    frozen_message,
    when,
)
from assistant.casework.tables import (
    UNIQUE_INDEX,
    case_select,
    cases,
    events,
    files,
    lock_key,
    opinions,
    versions,
)
from assistant.evidence import cite
from core import db as dbs
from core.settings import Settings

SCHEMA_VERSION = 2  # the sqlite3 store's last schema (PRAGMA user_version), = Alembic revision 0001
_UNIQUE_INDEX = UNIQUE_INDEX

Row = RowMapping
STATES = (STATUS_NEW, STATUS_DRAFTING, STATUS_REVIEW, STATUS_RETURNED, STATUS_TO_SIGN, STATUS_SIGNED, STATUS_FINAL)

__all__ = [
    "EVENT_FINAL", "EVENT_LABELS", "EVENT_REOPEN", "EVENT_STATE", "FROZEN", "STATES", "STATUS_DRAFTING",
    "STATUS_FINAL", "STATUS_NEW", "STATUS_RETURNED", "STATUS_REVIEW", "STATUS_SIGNED", "STATUS_TO_SIGN", "Case",
    "CaseError", "CaseStore", "Event", "Version", "VersionConflict", "final_message", "frozen_message",
    "proposal_key", "when",
]


def _now(precise: bool = False) -> str:
    return datetime.datetime.now().isoformat(timespec="microseconds" if precise else "seconds")


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
    state: str = ""  # the review workflow's stored state; '' = never entered it

    @property
    def status(self) -> str:
        """已答复 once the final letter is in; else the review workflow's state when set; else 起草中 with a
        version, 待起草 without."""
        if self.final_text is not None:
            return STATUS_FINAL
        return self.state or (STATUS_DRAFTING if self.versions else STATUS_NEW)

    @property
    def is_final(self) -> bool:
        return self.final_text is not None

    def row(self) -> dict[str, Any]:
        """One line of the case list."""
        return {"id": self.id, "title": self.title, "number": self.number, "proposer": self.proposer,
                "office": self.office, "status": self.status, "versions": self.versions, "due": self.due,
                "updated": self.updated}


class CaseStore:
    """The cases of one database. Each call takes a pooled connection of its own, so one store may be shared by
    threads (the Streamlit sessions) and processes (the CLI) alike.

    Opened with a database URL, an engine, or (as before) the path of a SQLite file."""

    def __init__(self, where: Path | str | Engine) -> None:
        if isinstance(where, Engine):
            self.engine = where
        elif isinstance(where, Path) or "://" not in where:
            self.engine = dbs.engine_for(f"sqlite:///{Path(where).resolve()}")
        else:
            self.engine = dbs.engine_for(where)
        self.url = self.engine.url.render_as_string(hide_password=False)
        self._pg = self.engine.dialect.name == "postgresql"
        db_file = self.engine.url.database if dbs.is_sqlite(self.engine) else None
        self.path: Path | None = Path(db_file) if db_file and db_file != ":memory:" else None
        dbs.migrate(self.engine)

    @classmethod
    def of(cls, settings: Settings) -> CaseStore:
        return cls(dbs.engine_for(settings))

    def __repr__(self) -> str:
        return f"CaseStore({dbs.safe_url(self.url)!r})"

    # -- connections and transactions ---------------------------------------------------------------------
    @contextmanager
    def _read(self) -> Iterator[Connection]:
        with dbs.read(self.engine) as db:
            yield db

    @contextmanager
    def _write(self) -> Iterator[Connection]:
        """One read-check-write: SQLite's BEGIN IMMEDIATE takes the write lock before the first read, and on
        PostgreSQL `_row(lock=True)` locks the case row, so what was checked still holds when it is written;
        any exception rolls everything back."""
        with dbs.write(self.engine) as db:
            yield db

    def _row(self, db: Connection, case_id: int, lock: bool = False) -> Row:
        stmt = case_select().where(cases.c.id == case_id)
        if lock and self._pg:
            stmt = stmt.with_for_update(of=cases)
        row = db.execute(stmt).mappings().first()
        if row is None:
            raise CaseError(f"没有编号为 {case_id} 的办件")
        return row

    def _open_row(self, db: Connection, case_id: int, signed_ok: bool = False) -> Row:
        """The case's row, locked for this transaction, refused when it is final (read-only until reopened) or
        sent for signature / signed (until the signer returns it; `signed_ok`: the final letter may come in)."""
        row = self._row(db, case_id, lock=True)
        if row["final_text"] is not None:
            raise CaseError(final_message(case_id, row["final_at"]))
        if not signed_ok and row["state"] in FROZEN:
            raise CaseError(frozen_message(case_id))
        return row

    def _claim(self, db: Connection, office: str, key: str) -> None:
        """On PostgreSQL, serialise every transaction that may create this office's case of this proposal (the
        check for an existing one and the insert), until commit; SQLite's write lock already does."""
        if self._pg and office and key:
            db.execute(select(func.pg_advisory_xact_lock(lock_key(office, key))))

    def _same(self, db: Connection, office: str, key: str, but: int | None = None) -> int | None:
        if not office or not key:
            return None
        self._claim(db, office, key)
        found = db.execute(select(cases.c.id).where(cases.c.office == office, cases.c.pkey == key,
                                                    cases.c.id != (-1 if but is None else but))
                           .order_by(cases.c.id.desc()).limit(1)).scalar()
        return int(found) if found is not None else None

    # -- cases ------------------------------------------------------------------------------------------
    def _insert(self, db: Connection, proposal: ParsedProposal, office: str, role: str, lead_office: str,
                due: str, file: tuple[str, bytes] | None) -> int:
        now = _now()
        case_id = int(db.execute(insert(cases).values(
            title=proposal.title, number=proposal.number, proposer=proposal.proposer, office=office, role=role,
            lead_office=lead_office, due=due, proposal_json=json.dumps(proposal.to_dict(), ensure_ascii=False),
            created=now, updated=now, pkey=_key_of(proposal)).returning(cases.c.id)).scalar_one())
        if file:
            self._file(db, case_id, "proposal", file, now)
        return case_id

    @staticmethod
    def _file(db: Connection, case_id: int, role: str, file: tuple[str, bytes], now: str) -> None:
        db.execute(insert(files).values(case_id=case_id, role=role, name=file[0], data=file[1], created=now))

    @staticmethod
    def _touch(db: Connection, case_id: int, now: str) -> None:
        db.execute(update(cases).where(cases.c.id == case_id).values(updated=now))

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
        key = _key_of(proposal)
        if not office or not key:
            return None
        with self._read() as db:
            found = db.execute(select(cases.c.id).where(cases.c.office == office, cases.c.pkey == key)
                               .order_by(cases.c.id.desc()).limit(1)).scalar()
        return int(found) if found is not None else None

    def update(self, case_id: int, proposal: ParsedProposal | None = None, **fields: str) -> None:
        """Correct the parsed proposal or the case's office, role, lead office, due date (not of a final case;
        not into a second case of a proposal the office already has)."""
        for k in fields:
            if k not in ("office", "role", "lead_office", "due"):
                raise CaseError(f"unknown case field {k}")
        with self._write() as db:
            row = self._open_row(db, case_id)
            values: dict[str, Any] = {"updated": _now()}
            key = row["pkey"]
            if proposal is not None:
                key = _key_of(proposal)
                values.update(proposal_json=json.dumps(proposal.to_dict(), ensure_ascii=False),
                              title=proposal.title, number=proposal.number, proposer=proposal.proposer, pkey=key)
            values.update(fields)
            other = self._same(db, fields.get("office", row["office"]), key, but=case_id)
            if other is not None:
                raise CaseError(f"更正后与办件 #{other} 是同一单位的同一提案；未保存更正")
            db.execute(update(cases).where(cases.c.id == case_id).values(**values))

    def get(self, case_id: int) -> Case:
        with self._read() as db:
            return self._case(self._row(db, case_id))

    @staticmethod
    def _case(row: Row) -> Case:
        return Case(int(row["id"]), row["title"], row["number"], row["proposer"], row["office"], row["role"],
                    row["lead_office"], row["due"], ParsedProposal.from_dict(json.loads(row["proposal_json"])),
                    row["final_text"], row["final_at"], row["created"], row["updated"], int(row["nv"]),
                    row["state"] or "")

    def all(self) -> list[Case]:
        with self._read() as db:
            rows = db.execute(case_select().order_by(cases.c.updated.desc(), cases.c.id.desc())).mappings().all()
        return [self._case(r) for r in rows]

    # -- versions ---------------------------------------------------------------------------------------
    @staticmethod
    def _version(r: Row) -> Version:
        return Version(int(r["case_id"]), int(r["n"]), r["text"], r["author"], r["note"], r["created"],
                       json.loads(r["payload_json"] or "{}"))

    @staticmethod
    def _last(db: Connection, case_id: int) -> Row | None:
        return db.execute(select(versions).where(versions.c.case_id == case_id).order_by(versions.c.n.desc())
                          .limit(1)).mappings().first()

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
            last = self._last(db, case_id)
            top = int(last["n"]) if last else 0
            if base is not None and base != top:
                if base < 0 or base > top:
                    raise CaseError(f"没有第 {base} 版（共 {top} 版），无法以它为基础保存")
                assert last is not None
                raise VersionConflict(case_id, base, self._version(last), text, author, note)
            data = payload if payload is not None else (json.loads(last["payload_json"] or "{}") if last else {})
            now = _now()
            db.execute(insert(versions).values(case_id=case_id, n=top + 1, text=text, author=author, note=note,
                                               created=now, payload_json=json.dumps(data, ensure_ascii=False)))
            self._touch(db, case_id, now)
        return top + 1

    def versions(self, case_id: int) -> list[Version]:
        with self._read() as db:
            rows = db.execute(select(versions).where(versions.c.case_id == case_id)
                              .order_by(versions.c.n)).mappings().all()
        return [self._version(r) for r in rows]

    def version(self, case_id: int, n: int | None = None) -> Version:
        """Version n of the case, the latest when n is None."""
        with self._read() as db:
            if n is None:
                row = self._last(db, case_id)
            else:
                row = db.execute(select(versions).where(versions.c.case_id == case_id, versions.c.n == n)
                                 ).mappings().first()
            count = int(db.execute(select(func.count()).select_from(versions)
                                   .where(versions.c.case_id == case_id)).scalar() or 0)
        if row is None:
            raise CaseError("该办件还没有草稿版本" if not count else f"没有第 {n} 版（共 {count} 版）")
        return self._version(row)

    # -- opinions ---------------------------------------------------------------------------------------
    def _opinion_order(self) -> list[Any]:
        """Opinions in the order they were attached: SQLite's rowid; PostgreSQL has none, so there `created`
        is written to the microsecond (`_now(precise=True)`)."""
        return [literal_column("opinions.rowid")] if dbs.is_sqlite(self.engine) else [opinions.c.created]

    def _opinion_rows(self, db: Connection, case_id: int) -> list[Row]:
        return list(db.execute(select(opinions.c.opinion_json).where(opinions.c.case_id == case_id)
                               .order_by(*self._opinion_order())).mappings().all())

    def add_opinion(self, case_id: int, opinion: Opinion, file: tuple[str, bytes] | None = None) -> list[str]:
        """Attach a co-handling opinion; refuses a second opinion of the same office and any change to a final
        case (CaseError). Returns warnings (an office the proposal does not name as co-handling, an opinion
        addressed elsewhere)."""
        with self._write() as db:
            case = self._case(self._open_row(db, case_id))
            if same_office(opinion.office, case.office) and case.role == "lead":
                raise CaseError(f"“{opinion.office}”是本件的主办单位，不能作为会办意见附加")
            for r in self._opinion_rows(db, case_id):
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
            db.execute(insert(opinions).values(
                case_id=case_id, office=opinion.office, date=opinion.date,
                opinion_json=json.dumps(opinion.to_dict(), ensure_ascii=False), doc_id="",
                created=_now(precise=self._pg)))
            if file:
                self._file(db, case_id, "opinion", file, now)
            self._touch(db, case_id, now)
        return warnings

    def remove_opinion(self, case_id: int, office: str) -> bool:
        """Detach the office's opinion (False when there is none); refused on a final case."""
        with self._write() as db:
            self._open_row(db, case_id)
            gone = db.execute(delete(opinions).where(opinions.c.case_id == case_id,
                                                     opinions.c.office == office)).rowcount > 0
            if gone:
                self._touch(db, case_id, _now())
        return gone

    def opinions(self, case_id: int) -> list[Opinion]:
        with self._read() as db:
            rows = self._opinion_rows(db, case_id)
        return [Opinion.from_dict(json.loads(r["opinion_json"])) for r in rows]

    def set_opinion_doc(self, case_id: int, office: str, doc_id: str) -> None:
        """Link an attached opinion to its archived copy (bookkeeping, allowed on a final case)."""
        with self._write() as db:
            db.execute(update(opinions).where(opinions.c.case_id == case_id, opinions.c.office == office)
                       .values(doc_id=doc_id))

    def files(self, case_id: int) -> list[tuple[str, str, bytes]]:
        """(role, name, bytes) of every file received for the case."""
        with self._read() as db:
            rows = db.execute(select(files.c.role, files.c.name, files.c.data).where(files.c.case_id == case_id)
                              .order_by(files.c.id)).mappings().all()
        return [(r["role"], r["name"], bytes(r["data"])) for r in rows]

    # -- final letter, reopening, events ----------------------------------------------------------------
    def set_final(self, case_id: int, text: str, file: tuple[str, bytes] | None = None, who: str = "") -> str:
        """Store the signed final letter; returns its readable diff against the last draft. Refused when the
        case is already final (reopen it first)."""
        if not text.strip():
            raise CaseError("定稿文件没有可读的文字")
        with self._write() as db:
            self._open_row(db, case_id, signed_ok=True)
            last = self._last(db, case_id)
            now = _now()
            db.execute(update(cases).where(cases.c.id == case_id).values(final_text=text, final_at=now, updated=now,
                                                                         state=STATUS_FINAL))
            if file:
                self._file(db, case_id, "final", file, now)
            self._event(db, case_id, EVENT_FINAL, who, "", {"file": file[0] if file else ""}, now)
        return render_diff(cite.strip_markers(last["text"] if last else ""), cite.strip_markers(text), "最后草稿", "定稿")

    def reopen(self, case_id: int, who: str, reason: str) -> None:
        """Make a final case editable again. The reason is required; the reopening, who did it and the final
        letter it sets aside are recorded (`events`), and the final file stays among the case's files."""
        if not reason.strip():
            raise CaseError("重新打开已定稿的办件须写明理由")
        with self._write() as db:
            row = self._row(db, case_id, lock=True)
            if row["final_text"] is None:
                raise CaseError(f"办件 #{case_id} 尚未定稿，无需重新打开")
            now = _now()
            self._event(db, case_id, EVENT_REOPEN, who.strip(), reason.strip(),
                        {"final_text": row["final_text"], "final_at": row["final_at"]}, now)
            db.execute(update(cases).where(cases.c.id == case_id).values(final_text=None, final_at=None, updated=now,
                                                                         state=STATUS_DRAFTING))

    def set_state(self, case_id: int, expected: str, to: str, who: str = "", comment: str = "") -> None:
        """Move the case in the review workflow from `expected` to `to`, recorded as a 流转 event (from, to; the
        comment as its reason), in one transaction. Refused when the case is no longer `expected` (someone moved
        it meanwhile). Who may make which move is the caller's check (`assistant.casework.review.move`); the
        final letter comes in through `set_final` and reopening through `reopen`."""
        if to not in STATES or to == STATUS_FINAL:
            raise CaseError(f"不能把办件设为“{to}”" + ("（请上传签发后的答复函定稿）" if to == STATUS_FINAL else ""))
        with self._write() as db:
            case = self._case(self._row(db, case_id, lock=True))
            if case.status != expected:
                raise CaseError(f"办件 #{case_id} 现为“{case.status}”，已不是“{expected}”（可能已有他人处理）；"
                                f"未改为“{to}”，请刷新后再操作")
            now = _now()
            db.execute(update(cases).where(cases.c.id == case_id).values(state=to, updated=now))
            self._event(db, case_id, EVENT_STATE, who.strip(), comment.strip(), {"from": expected, "to": to}, now)

    @staticmethod
    def _event(db: Connection, case_id: int, kind: str, who: str, reason: str, data: dict[str, Any],
               now: str) -> None:
        db.execute(insert(events).values(case_id=case_id, kind=kind, who=who, reason=reason,
                                         data_json=json.dumps(data, ensure_ascii=False), created=now))

    def events(self, case_id: int) -> list[Event]:
        """The case's 定稿, 重新打开 and 流转 steps, oldest first."""
        with self._read() as db:
            rows = db.execute(select(events).where(events.c.case_id == case_id)
                              .order_by(events.c.id)).mappings().all()
        return [Event(int(r["case_id"]), r["kind"], r["who"], r["reason"], r["created"],
                      json.loads(r["data_json"] or "{}")) for r in rows]

    def integrity(self) -> list[str]:
        """SQLite's integrity and foreign-key checks: [] when the database is sound (PostgreSQL keeps both
        itself: [] there)."""
        if not dbs.is_sqlite(self.engine):
            return []
        with self._read() as db:
            got = [str(r[0]) for r in db.exec_driver_sql("PRAGMA integrity_check")]
            fks = db.exec_driver_sql("PRAGMA foreign_key_check").fetchall()
        return [g for g in got if g != "ok"] + [f"foreign key: {tuple(r)}" for r in fks]

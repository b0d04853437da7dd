"""Cases (办件): a proposal, the opinions received on it, every draft version and the signed final letter.

Kept in one SQLite database in the data directory (`cases.sqlite3`, stdlib sqlite3): the uploaded files
themselves (bytes), the parsed proposal, each version of the letter with its author, note, time and its
provenance (the passages each paragraph cites), the co-handling opinions, and the final reply. A draft
is rebuilt from a stored version without retrieving again, so any version can be exported later.
"""

from __future__ import annotations

import datetime
import difflib
import json
import re
import sqlite3
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import asdict, dataclass
from pathlib import Path
from typing import Any

from assistant import cite
from assistant.answer import support_texts
from assistant.draft import Draft, DraftRequest, LetterFields, Proposal, check_structure
from assistant.intake import IntakeError, Opinion, ParsedProposal, same_office
from assistant.retrieve import Hit
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


# -- drafts to and from versions ---------------------------------------------------------------------------
def draft_payload(draft: Draft) -> dict[str, Any]:
    """What a version keeps besides its text: the request, the numbered passages and the provenance."""
    req = draft.request
    return {"title": draft.title, "generator": draft.generator,
            "request": {"proposal": asdict(req.proposal), "office": req.office, "date": req.date, "role": req.role,
                        "lead_office": req.lead_office, "fields": asdict(req.fields),
                        "co_offices": req.co_offices},
            "passages": [{"id": h.id, "label": h.label, "text": h.text, "metadata": h.metadata, "score": h.score}
                         for h in draft.passages],
            "asks": [asdict(a) for a in draft.asks], "provenance": provenance(draft)}


def draft_of(version: Version, threshold: float = 0.35) -> Draft:
    """A stored version as a Draft (its citations checked again against its own passages), for export."""
    p = version.payload
    r = p.get("request", {})
    prop = r.get("proposal", {})
    req = DraftRequest(Proposal(**{k: prop[k] for k in Proposal.__dataclass_fields__ if k in prop}) if prop
                       else Proposal(""), r.get("office", ""), r.get("date", ""), r.get("role", "lead"),
                       r.get("lead_office", ""), "", LetterFields(**r.get("fields", {})))
    passages = [Hit(d["id"], d["label"], d["text"], d["metadata"], float(d.get("score", 0.0)))
                for d in p.get("passages", [])]
    report = cite.check(version.text, support_texts(passages), threshold)
    from assistant.draft import AskCoverage

    asks = [AskCoverage(**a) for a in p.get("asks", [])]
    return Draft(req, p.get("title", ""), report.text, passages, report, asks, check_structure(report.text, req))


def provenance(draft: Draft) -> list[dict[str, Any]]:
    """Each paragraph of the letter with the passages it came from."""
    out = []
    for line in draft.text.split("\n"):
        if not line.strip():
            continue
        nums = list(dict.fromkeys(int(n) for n in cite._CANON.findall(line)))
        srcs = []
        for n in nums:
            if 1 <= n <= len(draft.passages):
                h = draft.passages[n - 1]
                srcs.append({"n": n, "id": h.id, "title": h.metadata.get("title", ""),
                             "office": h.metadata.get("office", ""), "date": h.metadata.get("date", ""),
                             "opinion": bool(h.metadata.get("opinion"))})
        out.append({"paragraph": cite.strip_markers(line), "sources": srcs})
    return out


# -- diffs ---------------------------------------------------------------------------------------------
_TOKEN = re.compile(r"[A-Za-z]+|\d+(?:[.,]\d+)*%?|\s+|.", re.S)


def _tokens(s: str) -> list[str]:
    """Chinese-aware units: one character of Chinese text, whole numbers and Latin words."""
    return _TOKEN.findall(s)


def char_diff(a: str, b: str) -> str:
    """One paragraph's change inline: [-deleted-]{+inserted+}."""
    ta, tb = _tokens(a), _tokens(b)
    out = []
    for op, i1, i2, j1, j2 in difflib.SequenceMatcher(None, ta, tb, autojunk=False).get_opcodes():
        if op == "equal":
            out.append("".join(ta[i1:i2]))
        if op in ("delete", "replace"):
            out.append("[-" + "".join(ta[i1:i2]) + "-]")
        if op in ("insert", "replace"):
            out.append("{+" + "".join(tb[j1:j2]) + "+}")
    return "".join(out)


@dataclass
class ParagraphChange:
    kind: str  # 修改 | 新增 | 删除
    before: int | None  # paragraph number (1-based) in the first text
    after: int | None
    old: str
    new: str
    inline: str = ""


def diff_paragraphs(a: str, b: str) -> list[ParagraphChange]:
    """Paragraph-level changes between two letters, each modified paragraph with its character-level diff."""
    pa = [ln.strip() for ln in a.split("\n") if ln.strip()]
    pb = [ln.strip() for ln in b.split("\n") if ln.strip()]
    out: list[ParagraphChange] = []
    for op, i1, i2, j1, j2 in difflib.SequenceMatcher(None, pa, pb, autojunk=False).get_opcodes():
        if op == "equal":
            continue
        olds, news = pa[i1:i2], pb[j1:j2]
        k = 0
        while k < min(len(olds), len(news)) and op == "replace":
            o, n = olds[k], news[k]
            if len(olds) != len(news) and difflib.SequenceMatcher(None, o, n, autojunk=False).ratio() < 0.3:
                break
            similar = difflib.SequenceMatcher(None, o, n, autojunk=False).ratio() >= 0.3
            inline = char_diff(o, n) if similar else f"[-{o}-]{{+{n}+}}"  # rewritten whole: shown whole
            out.append(ParagraphChange("修改", i1 + k + 1, j1 + k + 1, o, n, inline))
            k += 1
        for x, o in enumerate(olds[k:], i1 + k + 1):
            out.append(ParagraphChange("删除", x, None, o, ""))
        for y, n in enumerate(news[k:], j1 + k + 1):
            out.append(ParagraphChange("新增", None, y, "", n))
    return out


def render_diff(a: str, b: str, name_a: str = "前一版", name_b: str = "后一版") -> str:
    """A readable diff: per changed paragraph, where it is, what it said, and the change inline."""
    changes = diff_paragraphs(a, b)
    if not changes:
        return f"{name_a}与{name_b}内容相同。"
    lines = [f"{name_a} → {name_b}：共 {len(changes)} 处段落变化（[-删除-]{{+新增+}}）"]
    for c in changes:
        if c.kind == "修改":
            lines.append(f"第{c.after}段 修改：{c.inline}")
        elif c.kind == "新增":
            lines.append(f"第{c.after}段 新增：{{+{c.new}+}}")
        else:
            lines.append(f"原第{c.before}段 删除：[-{c.old}-]")
    return "\n".join(lines)


def read_letter(path: Path) -> str:
    """The text of a letter file (the signed final reply) in any format the ingest reads."""
    from ingest.load import LoadError, load_document

    try:
        return load_document(path).text.strip()
    except LoadError as exc:
        raise IntakeError(f"{path.name}：无法读取（{exc.reason}）") from exc


def archive_file(path: Path, services: Any, links: dict[str, str | int]) -> str:
    """Ingest one file into the archive with links to its case (case_id, proposal number and title, role);
    returns its document id."""
    from core.store import pipeline_key
    from ingest.pipeline import parse_file

    parsed = parse_file(path, services.settings)
    rec = parsed.record
    rec.metadata.update(links)
    for c in rec.chunks:
        c.metadata.update(links)
    services.store.write_document(rec, pipeline_key(services.settings))
    services.store.bump_version()
    return rec.doc_id


# -- the flow: file in, opinions, drafts, final letter -------------------------------------------------------
def _safe_name(name: str) -> str:
    base = re.sub(r'[\\/:*?"<>|\x00-\x1f]', "_", Path(name).name).strip(" .") or "file"
    return base[-120:]


def keep_file(settings: Settings, case_id: int, role: str, name: str, data: bytes) -> Path:
    """A copy of a received file under data/cases/<id>/ (what the ingest reads); its bytes are also in the db."""
    folder = settings.data_dir / "cases" / str(case_id)
    folder.mkdir(parents=True, exist_ok=True)
    path = folder / f"case{case_id}-{role}-{_safe_name(name)}"
    path.write_bytes(data)
    return path


def open_case(store: CaseStore, settings: Settings, name: str, data: bytes, office: str = "", role: str = "lead",
              lead_office: str = "", due: str = "") -> tuple[int, ParsedProposal]:
    """Read an incoming proposal file and open its case (or return the open case of the same proposal).
    IntakeError when the file cannot be read or is not a proposal: nothing is stored then."""
    import tempfile

    from assistant.intake import read_proposal

    with tempfile.TemporaryDirectory() as tmp:
        path = Path(tmp) / _safe_name(name)
        path.write_bytes(data)
        parsed = read_proposal(path, settings.max_file_bytes)
        parsed.source = name
    found = store.find(parsed, office) if office else None
    if found is not None:
        return found, store.get(found).proposal
    return store.create(parsed, office, role, lead_office or parsed.lead_office if role == "co" else lead_office,
                        due, (name, data)), parsed


def attach_opinion(store: CaseStore, settings: Settings, case_id: int, name: str, data: bytes,
                   services: Any = None) -> tuple[Opinion, list[str]]:
    """Read a co-handling opinion file and attach it to the case; with services, also ingest it into the
    archive linked to the proposal. IntakeError / CaseError leave the case as it was."""
    from assistant.intake import read_opinion

    case = store.get(case_id)
    path = keep_file(settings, case_id, "opinion", name, data)
    try:
        opinion = read_opinion(path, settings.max_file_bytes, name)
        warnings = store.add_opinion(case_id, opinion, (name, data))
    except (IntakeError, CaseError):
        path.unlink(missing_ok=True)
        raise
    if services is not None:
        try:
            doc_id = archive_file(path, services, {"case_id": case_id, "proposal_number": case.number,
                                                   "proposal_title": case.title, "case_role": "opinion"})
            store.set_opinion_doc(case_id, opinion.office, doc_id)
        except Exception as exc:  # the opinion stays attached; the archive copy can be ingested later
            warnings.append(f"意见已附加，但未能存入资料库：{exc}")
    return opinion, warnings


def case_request(store: CaseStore, case_id: int, date: str = "", fields: LetterFields | None = None,
                 instructions: str = "") -> DraftRequest:
    """The drafting request of a case: its (corrected) proposal, office, role and the opinions received."""
    from assistant.intake import opinion_hits

    case = store.get(case_id)
    if not case.office:
        raise CaseError("请先填写答复单位")
    opinions = [(o.office, opinion_hits(o)) for o in store.opinions(case_id)] if case.role == "lead" else []
    return DraftRequest(case.proposal.to_proposal(), case.office, date, "co" if case.role == "co" else "lead",
                        case.lead_office, instructions, fields or LetterFields(), opinions)


def draft_case(store: CaseStore, case_id: int, drafter: Any, generator: str | None = None, author: str = "",
               note: str = "", date: str = "", fields: LetterFields | None = None) -> tuple[Draft, int]:
    """Draft the case's letter and save it as its next version."""
    draft = drafter.draft(case_request(store, case_id, date, fields), generator)
    n = store.add_version(case_id, draft.text, author, note or "生成草稿", draft_payload(draft))
    return draft, n


def finalize(store: CaseStore, settings: Settings, case_id: int, name: str, data: bytes,
             services: Any = None) -> tuple[str, list[str]]:
    """Store the signed final letter, diff it against the last draft and ingest it into the archive."""
    case = store.get(case_id)
    path = keep_file(settings, case_id, "final", name, data)
    try:
        text = read_letter(path)
        diff = store.set_final(case_id, text, (name, data))
    except (IntakeError, CaseError):
        path.unlink(missing_ok=True)
        raise
    notes: list[str] = []
    if services is not None:
        try:
            archive_file(path, services, {"case_id": case_id, "proposal_number": case.number,
                                          "proposal_title": case.title, "case_role": "final"})
        except Exception as exc:
            notes.append(f"定稿已保存，但未能存入资料库：{exc}")
    return diff, notes

"""Intake: the incoming proposal file (建议 / 提案) and the co-handling opinions (会办意见) read into fields.

Any format the ingest reads (`ingest.load.load_document`): .txt, .docx, .doc/.wps, .ofd, PDF, scans by OCR.
The words (field labels, ask and problem cues, session forms, opinion formulas) are data in
`core/domain/intake.toml`. The result is shown to the drafter to check and correct before drafting; nothing
is invented: a field the file does not give stays empty."""

from __future__ import annotations

import re
from dataclasses import asdict, dataclass, field
from pathlib import Path
from typing import Any

from assistant.letters.items import _cues, _marker_at, _patterns, split_asks
from assistant.letters.model import Proposal
from core.profile import profile
from core.text import normalize_text, to_fullwidth
from ingest.load import LoadError, load_document
from ingest.sections import is_date_line

__all__ = ["IntakeError", "ParsedProposal", "parse_proposal_text", "read_proposal"]


class IntakeError(Exception):
    """A file that cannot be taken in, with a message for the drafter (Chinese, one line)."""


@dataclass
class ParsedProposal:
    """What an incoming proposal file says, field by field; empty where the file does not say."""

    title: str = ""
    number: str = ""  # without 第/号: 20250123, DH0271, 2024-0117
    proposers: list[str] = field(default_factory=list)  # names (or a body), the lead (领衔) first
    body_kind: str = ""  # 人大 | 政协
    kind: str = ""  # 建议 | 提案
    session: str = ""  # 市第十六届人大第四次会议
    lead_office: str = ""
    co_offices: list[str] = field(default_factory=list)
    asks: list[str] = field(default_factory=list)
    problems: list[str] = field(default_factory=list)  # problem statements, told apart from the asks
    body: str = ""
    source: str = ""  # file name
    warnings: list[str] = field(default_factory=list)

    @property
    def proposer(self) -> str:
        """How the letter names the proposer: 王明代表, 王明等代表 (联名), 刘芳委员, 民盟市委会."""
        if not self.proposers:
            return ""
        lead = self.proposers[0]
        if _is_body(lead):
            return lead
        suffix = str(profile().section("intake_cues")["person_suffix"].get(self.body_kind or "人大", "代表"))
        return f"{lead}等{suffix}" if len(self.proposers) > 1 else f"{lead}{suffix}"

    def to_proposal(self) -> Proposal:
        return Proposal(self.title, self.number, self.proposer, self.kind, self.body, list(self.asks))

    def to_dict(self) -> dict[str, Any]:
        return {**asdict(self), "proposer": self.proposer}

    @classmethod
    def from_dict(cls, d: dict[str, Any]) -> ParsedProposal:
        known = {k: d[k] for k in cls.__dataclass_fields__ if k in d}
        return cls(**known)

    def problems_to_check(self) -> list[str]:
        """What the drafter should look at before drafting (fields the file did not give)."""
        out = list(self.warnings)
        for name, label in (("title", "标题"), ("number", "编号"), ("proposers", "提出人")):
            if not getattr(self, name):
                out.append(f"未识别到{label}，请补充")
        if not self.asks:
            out.append("未识别到具体诉求（建议事项），请补充或确认")
        return out


def _is_body(name: str) -> bool:
    return any(p.search(name) for p in _patterns("body_proposer"))


def _labels() -> list[tuple[str, str]]:
    """(label, field) pairs, longest label first."""
    pairs = [(str(lb), str(f)) for f, lbs in profile().section("intake_labels").items() for lb in lbs]
    return sorted(pairs, key=lambda p: len(p[0]), reverse=True)


def _lines(text: str) -> list[str]:
    out = []
    for ln in normalize_text(text).split("\n"):
        s = ln.strip()
        if s:
            out.append(s)
    return out


def _label_value(line: str) -> list[tuple[str, str]]:
    """The (field, value) pairs of a line: "案由:关于…", "提案者 民建市委会", a table row "编号 | 0123 | 提案人 | 刘芳"."""
    cells = [c.strip() for c in line.split("|")] if "|" in line else _split_run_in(line)
    out: list[tuple[str, str]] = []
    pending = ""
    for cell in cells:
        hit = _cell_label(cell)
        if hit is None:
            if pending:
                out.append((pending, cell))
                pending = ""
            continue
        if hit[1]:
            out.append(hit)
            pending = ""
        else:
            pending = hit[0]
    return out


def _split_run_in(line: str) -> list[str]:
    """A line holding two fields (OCR joins "建议标题：关于…的建议提出人：蔡文华"): cut before the second label."""
    if not _cell_label(line):
        return [line]
    cuts = sorted({m.start() for label, _ in _labels() if len(label) >= 3
                   for m in re.finditer(re.escape(label) + r"\s*:", line) if m.start() > 0})
    if not cuts:
        return [line]
    bounds = [0, *cuts, len(line)]
    return [line[a:b].strip() for a, b in zip(bounds, bounds[1:], strict=False) if line[a:b].strip()]


def _cell_label(cell: str) -> tuple[str, str] | None:
    """(field, value) when the cell opens with a label ("" value: the label alone), else None."""
    squashed = re.sub(r"\s+", "", cell)
    for label, fld in _labels():
        spaced = r"\s*".join(map(re.escape, label))
        if squashed in (label, label + ":"):
            return fld, ""
        m = re.match(rf"^{spaced}\s*:\s*(.*)$", cell)
        if m is None:  # "提案者 民建市委会": the label, spaces, the value
            m = re.match(rf"^{spaced}\s+(?=\S)(.*)$", cell)
            if m is not None and len(label) < 2:
                m = None
        if m is not None:
            return fld, m.group(1).strip()
    return None


_NUMBER = profile().number_pattern("bare")  # 第…号: domain profile (documents.toml [letters])


_PAREN_NUMBER = profile().title_number  # "(117)关于…的提案": domain profile


_TITLE = re.compile(r"关于.{2,80}?的(?:建议|提案|议案)")


def _clean_number(value: str) -> str:
    v = value.strip().strip("()（）[]【】")
    if m := _NUMBER.search(v):
        return m.group(1).replace("—", "-").replace("－", "-")
    v = re.sub(r"^第|号$", "", v).strip()
    m2 = re.search(profile().number_token, v)
    return m2.group(0) if m2 else ""


def _names(value: str) -> tuple[list[str], int]:
    """Names from "张三（领衔）、李四、王五" / "张三 李四" / "民盟市委会"; the index of the marked lead or -1."""
    lead = -1
    out: list[str] = []
    for raw in re.split(r"[、,;，；\s]+", value):
        name = raw.strip()
        if not name:
            continue
        marked = any(p.search(name) for p in _patterns("lead_marks"))
        for p in _patterns("lead_marks"):
            name = p.sub("", name)
        name = re.sub(r"\(.*?\)", "", name).strip()
        name = re.sub(r"等\d*[名位人]?(?:代表|委员)?(?:联名)?$", "", name)
        if not _is_body(name):
            name = re.sub(r"(?:代表|委员|同志)$", "", name)
        if not name or re.fullmatch(r"[\d\W]+", name) or name in ("等", "联名"):
            continue
        if marked:
            lead = len(out)
        out.append(name)
    return out, lead


def _offices(value: str) -> list[str]:
    return [o.strip() for o in re.split(r"[、,;，；\s]+", value) if len(o.strip()) >= 2]


# -- proposals -----------------------------------------------------------------------------------------
def _body_kind(session: str, proposers: list[str], title: str, head: str) -> str:
    for text in (session, " ".join(proposers), title, head):
        if not text:
            continue
        c = next((i for w in _cues("cppcc_words") if (i := text.find(w)) >= 0), -1)
        n = next((i for w in _cues("npc_words") if (i := text.find(w)) >= 0), -1)
        if c >= 0 and (n < 0 or text in (session,) and "政协" in text):
            return "政协"
        if n >= 0:
            return "人大"
        if c >= 0:
            return "政协"
    return ""


def parse_proposal_text(text: str, source: str = "") -> ParsedProposal:
    """Fields of a proposal's text; raises IntakeError when the text is not a proposal."""
    lines = _lines(text)
    if not lines:
        raise IntakeError(f"{source or '文件'}：没有可读的文字")
    head = "".join(lines[:12])
    stop = _proposal_end(lines)
    fields: dict[str, list[str]] = {}
    used: set[int] = set()
    for i, ln in enumerate(lines[:stop]):
        if i in used:
            continue
        pairs = _label_value(ln)
        if pairs:
            used.add(i)
        elif (below := _value_below(lines, i, stop)) is not None:
            pairs = [below]  # a form copied from a table: "提案人" on its line, "民盟市委会" on the next
            used.update((i, i + 1))
        for fld, value in pairs:
            fields.setdefault(fld, []).append(value)
    if stop < 3 or (not fields and any(w in head for w in _cues("not_proposal"))):
        raise IntakeError(f"{source or '文件'}：这不是一份建议或提案（看起来是答复函、会办意见或通知），请上传来文原件")
    p = ParsedProposal(source=source)
    title, title_lines = _title_and_number(p, lines, fields, used)
    used |= title_lines
    p.proposers = _proposers(fields)
    sessions = [s for ln in lines[:20] for pat in _patterns("session_patterns") for s in pat.findall(ln)]
    sessions += [v for v in fields.get("session", []) if re.search(r"会议$", v)]
    p.session = max(sessions, key=len) if sessions else ""
    _handling_offices(p, fields)
    body_lines = _body_lines(lines, stop, used, title, p.session)
    p.body = to_fullwidth("\n".join(body_lines))
    p.asks, p.problems = split_asks(body_lines)
    p.body_kind = _body_kind(p.session, [*fields.get("proposer", []), *p.proposers], p.title, head)
    p.kind = "提案" if p.body_kind == "政协" else "建议" if p.body_kind == "人大" else (
        "提案" if p.title.endswith("提案") else "建议" if p.title.endswith("建议") else "")
    if not p.title and not p.proposers and not p.asks:
        raise IntakeError(f"{source or '文件'}：未能识别为建议或提案（没有标题、提出人或建议事项），请检查文件")
    return p


def _proposal_end(lines: list[str]) -> int:
    """The proposal part only: a file may carry the replies after it (the corpus's Dongguan file does)."""
    for i, ln in enumerate(lines[1:], 1):
        if ln.endswith(":") and i + 1 < len(lines) and "收悉" in lines[i + 1] and len(ln) < 40:
            return i
    return len(lines)


# fields whose value may stand on the line below a label alone ("提案人" / "民盟市委会"); the body and the asks
# labels open a section instead
_BELOW = ("title", "number", "proposer", "co_proposers", "lead_office", "co_offices", "handling", "session", "ignored")


def _value_below(lines: list[str], i: int, stop: int) -> tuple[str, str] | None:
    """(field, value) when line i is a label alone and the next line is its value (no label, no list marker)."""
    hit = _cell_label(lines[i])
    if hit is None or hit[1] or hit[0] not in _BELOW or i + 1 >= stop:
        return None
    nxt = lines[i + 1]
    if _cell_label(nxt) is not None or _label_value(nxt) or _marker_at(nxt) or len(nxt) > 80:
        return None
    return hit[0], nxt


_TITLE_END = re.compile(r"的(?:建议|提案|议案)》?$")
_OPEN_TITLE = re.compile(r"^《?关于")
# a title line without 关于 ("推进农村寄递物流体系建设的建议"): short, no sentence punctuation
_BARE_TITLE = re.compile(r"^《?[^\s,，。;；:：!！?？、]{4,60}的(?:建议|提案|议案)》?$")


def _wrapped_title(lines: list[str], i: int, used: set[int]) -> tuple[str, set[int]]:
    """The title that opens at line i (关于…), joined with the short lines that finish it (a title wrapped over
    two or three lines: "关于加强镇街污水管网建设" / "和运行维护的建议"); "" when it does not end as a title."""
    text = lines[i]
    if m := _TITLE.search(text):
        return m.group(0), {i}
    if not _OPEN_TITLE.match(text) or len(text) > 60:
        return "", set()
    for j in range(i + 1, min(i + 3, len(lines))):
        nxt = lines[j]
        if j in used or len(nxt) > 40 or _marker_at(nxt) or _cell_label(nxt) is not None or re.search(r"[。;；]", nxt):
            break
        text += nxt
        if _TITLE_END.search(text) and (m := _TITLE.search(text)):
            return m.group(0), set(range(i, j + 1))
    return "", set()


def _title_and_number(p: ParsedProposal, lines: list[str], fields: dict[str, list[str]],
                      used: set[int] | None = None) -> tuple[str, set[int]]:
    """Sets the title (a 标题 field, else the first 关于…的建议/提案 line, joined when wrapped, else a short line
    ending 的建议/的提案) and number; returns the title as written and the lines it takes."""
    used = used or set()
    title = (fields.get("title") or [""])[0]
    taken: set[int] = set()
    if title and not _TITLE_END.search(title):  # a 标题 value wrapped onto the next line
        k = next((i for i, ln in enumerate(lines[:15]) if ln.endswith(title)), -1)
        if k >= 0 and k + 1 < len(lines) and k + 1 not in used and len(lines[k + 1]) <= 40 \
                and _TITLE_END.search(title + lines[k + 1]) and not _cell_label(lines[k + 1]):
            title += lines[k + 1]
            taken = {k + 1}
    if title and not _TITLE_END.search(title):  # "案由：低空经济是…方向。": a reason, not the title a 关于…的提案 line gives
        for i in range(min(15, len(lines))):
            alt, alt_taken = ("", set()) if i in used else _wrapped_title(lines, i, used)
            if alt:
                title, taken = alt, alt_taken
                break
    if not title:
        for i in range(min(15, len(lines))):
            if i in used:  # a field line may still hold the title ("提案人：刘芳 关于…的提案")
                m0 = _TITLE.search(lines[i])
                title, taken = (m0.group(0), set()) if m0 else ("", set())
            else:
                title, taken = _wrapped_title(lines, i, used)
            if title:
                break
    if not title:
        for i, ln in enumerate(lines[:12]):
            if i in used or _marker_at(ln):
                continue
            if _BARE_TITLE.match(ln) and not any(p2.search(ln) for p2 in _patterns("session_patterns")):
                title, taken = ln, {i}
                break
    if m := _PAREN_NUMBER.match(title):
        p.number = m.group(1)
        title = title[m.end():]
    p.title = to_fullwidth(title.strip().strip("《》").strip())
    if not p.number:
        p.number = next((n for v in fields.get("number", []) if (n := _clean_number(v))), "")
    if not p.number:
        p.number = next((m2.group(1) for ln in lines[:15] if (m2 := _NUMBER.search(ln))), "")
    return title, taken


def _proposers(fields: dict[str, list[str]]) -> list[str]:
    """The proposers, the one marked as lead (领衔) first."""
    names: list[str] = []
    lead = -1
    for v in [*fields.get("proposer", []), *fields.get("co_proposers", [])]:
        got, mark = _names(v)
        if mark >= 0:
            lead = len(names) + mark
        names += got
    names = list(dict.fromkeys(names))
    if lead > 0:
        names.insert(0, names.pop(lead))
    return names


def _handling_offices(p: ParsedProposal, fields: dict[str, list[str]]) -> None:
    """The lead office and the co-handling offices, from their own fields or a 承办单位 line."""
    lead_off = (fields.get("lead_office") or [""])[0]
    co = [o for v in fields.get("co_offices", []) for o in _offices(v)]
    for v in fields.get("handling", []):
        m3 = re.search(r"主办(?:单位)?:?\s*([^;；]+)", v)
        m4 = re.search(r"(?:会办|协办)(?:单位)?:?\s*(.+)$", v)
        if m3 or m4:
            lead_off = lead_off or (m3.group(1).strip() if m3 else "")
            co += _offices(m4.group(1)) if m4 else []
        else:
            offs = _offices(v)
            lead_off = lead_off or (offs[0] if offs else "")
            co += offs[1:]
    p.lead_office = lead_off.strip()
    p.co_offices = list(dict.fromkeys(o for o in co if o != p.lead_office))


def _body_lines(lines: list[str], stop: int, used: set[int], title: str, session: str) -> list[str]:
    """The body: what is not a field line, the title, the session or the header."""
    body_start = 0
    for i, ln in enumerate(lines[:stop]):
        if i in used or ln == title or (session and session in ln and len(ln) < 40) \
                or re.fullmatch(r"(?:代表建议|提案|建议|议案|[\u4e00-\u9fff]{0,20}(?:建议|提案)(?:书|表|单)?)", ln):
            body_start = i + 1
            continue
        if len(ln) > 30 or _marker_at(ln):
            break
    return [ln for i, ln in enumerate(lines[body_start:stop], body_start) if i not in used and not is_date_line(ln)]


def _read_text(path: Path, max_bytes: int | None = None, name: str = "") -> str:
    try:
        doc = load_document(path, max_bytes=max_bytes) if max_bytes else load_document(path)
    except LoadError as exc:
        raise IntakeError(f"{name or path.name}：无法读取（{exc.reason}）") from exc
    except OSError as exc:
        raise IntakeError(f"{name or path.name}：无法读取（{exc.strerror or exc}）") from exc
    return doc.text


def read_proposal(path: Path, max_bytes: int | None = None) -> ParsedProposal:
    """The proposal file at `path`, in any format the ingest reads."""
    return parse_proposal_text(_read_text(path, max_bytes), path.name)

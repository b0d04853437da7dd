"""What a letter is made of: the proposal, the request to draft, the letter's fields, the draft and its
coverage of the asks."""

from __future__ import annotations

import re
from dataclasses import asdict, dataclass, field
from typing import Any, Literal

from assistant.evidence import cite
from assistant.retrieval.hybrid import Hit
from core.profile import profile

BLANK = "【待填写】"


CLOSINGS = profile().closings  # closing formulas: domain profile (documents.toml [letters])


Role = Literal["lead", "co"]


@dataclass
class Proposal:
    """The incoming suggestion (建议, NPC) or proposal (提案, CPPCC)."""

    title: str
    number: str = ""
    proposer: str = ""  # e.g. 魏朗代表, 艾冬玉委员, 民建市委会
    kind: str = ""  # 建议 | 提案 | "" (inferred from the proposer when empty)
    body: str = ""
    asks: list[str] = field(default_factory=list)  # main asks; extracted from the body when empty

    def __post_init__(self) -> None:
        # "第20240388号" as typed in a form is the number 20240388: the letter writes 第…号 itself
        self.number = re.sub(r"^第|号$", "", self.number.strip())

    @classmethod
    def from_dict(cls, d: dict[str, Any]) -> Proposal:
        asks = d.get("asks") or []
        number = re.sub(r"^第|号$", "", str(d.get("number", "")).strip())
        return cls(str(d.get("title", "")).strip().strip("《》"), number,
                   str(d.get("proposer", "")).strip(), str(d.get("kind", "")).strip(), str(d.get("body", "")),
                   [str(a) for a in asks])

    @property
    def kind_name(self) -> str:
        if self.kind in ("建议", "提案"):
            return self.kind
        # a 政协 member, a party's committee, or a body of the profile (民盟广州市委, 农工党, 市工商联) proposes a 提案
        if self.proposer.endswith(("委员", "委会", "党派")) or profile().proposer_body.search(self.proposer):
            return "提案"
        return "建议"


@dataclass
class LetterFields:
    """What such letters carry around the body; chosen by the drafter, never invented."""

    category: str = ""  # 答复类别: A 已解决或采纳 / B 正在解决或列入计划 / C 因条件限制暂不能解决
    disclosure: str = ""  # 公开属性: 主动公开 / 依申请公开 / 不予公开
    signer: str = ""  # 签发人
    cc: str = ""  # 抄送
    contact: str = ""  # 联系人 (older versions kept 联系人及电话 in this one field; still read as such)
    phone: str = ""  # 联系电话

    def contact_line(self) -> str:
        """The letter's last line, without brackets: "联系人：王浪，联系电话：0769-1234567", a blank for what is not
        given. A field that already reads as name and number (an older version's 联系人及电话) is kept as it is."""
        name, phone = self.contact.strip(), self.phone.strip()
        if not phone and name and (re.search(r"\d{5,}", name) or "电话" in name):
            return name
        return f"联系人：{name or BLANK}，联系电话：{phone or BLANK}"

    def as_dict(self) -> dict[str, str]:
        return asdict(self)

    @classmethod
    def of(cls, data: dict[str, Any] | None) -> LetterFields:
        """Fields from a stored payload or a form (unknown keys ignored, values as text)."""
        return cls(**{k: str(v or "").strip() for k, v in (data or {}).items() if k in cls.__dataclass_fields__})


# a letter's date line, as drafted or typed (2024年4月29日, 二〇二四年四月二十九日, the blank)
_DATE_LINE = re.compile(r"^\s*(?:【日期待填写】|\d{4}\s*年\s*\d{1,2}\s*月\s*\d{1,2}\s*日|[〇○零一二三四五六七八九]{4}年[一二三四五六七八九十]{1,2}月"
                        r"[一二三四五六七八九十]{1,3}日)\s*$")
_CONTACT_LINE = re.compile(r"^\s*[（(]?\s*(?:联系人|联系电话)")


def apply_fields(text: str, date: str, fields: LetterFields) -> str:
    """The letter with its date line and contact line made to say what the drafter entered. Only those two lines
    at the letter's end are touched (nothing else is rewritten); an empty date leaves the date line as it is; a
    letter without such a line gets one (the date before the contact line)."""
    lines = text.rstrip("\n").split("\n")
    tail = max(0, len(lines) - 6)
    contact = f"（{fields.contact_line()}）"
    ci = next((i for i in range(len(lines) - 1, tail - 1, -1) if _CONTACT_LINE.match(lines[i])), None)
    if ci is None:
        lines.append(contact)
        ci = len(lines) - 1
    else:
        lines[ci] = contact
    if date.strip():
        di = next((i for i in range(ci - 1, max(tail, ci - 4) - 1, -1) if _DATE_LINE.match(lines[i])), None)
        if di is None:
            lines.insert(ci, date.strip())
        else:
            lines[di] = date.strip()
    return "\n".join(lines)


CATEGORIES = ("A 已解决或采纳", "B 正在解决或列入计划", "C 因条件限制暂不能解决")


DISCLOSURES = ("主动公开", "依申请公开", "不予公开")


@dataclass
class DraftRequest:
    proposal: Proposal
    office: str  # the replying office, e.g. 广州市工业和信息化局
    date: str = ""  # 2024年4月29日; left blank when not given
    role: Role = "lead"  # lead reply to the proposer, or co-handling opinion to the lead office
    lead_office: str = ""  # addressee of a co-handling opinion
    instructions: str = ""
    fields: LetterFields = field(default_factory=LetterFields)
    # co-handling opinions received by the lead office: (issuing office, its points as passages), each the
    # first source for the asks it addresses (assistant/intake.py builds them)
    opinions: list[tuple[str, list[Hit]]] = field(default_factory=list)

    @property
    def co_offices(self) -> list[str]:
        return [office for office, _ in self.opinions]


@dataclass
class AskCoverage:
    ask: str
    cited: list[int]  # passages used for it
    found: bool
    where: str = ""  # "" its own sub-point; "next" only the next steps speak of it; "elsewhere" another part


@dataclass
class Draft:
    request: DraftRequest
    title: str
    text: str  # the letter with [n] markers
    passages: list[Hit]
    report: cite.CitationReport
    asks: list[AskCoverage]
    structure: dict[str, bool]
    notice: str = ""
    generator: str = "offline"
    retrieval_ms: float = 0.0
    generation_ms: float = 0.0

    @property
    def complete(self) -> bool:
        return all(self.structure.values())

    @property
    def blanks(self) -> list[str]:
        """What the drafter still has to fill in (【待填写】 and 【…请承办人补充…】 left in the letter)."""
        return blanks(self.text)

    def sources(self) -> list[dict[str, Any]]:
        used = sorted({n for s in self.report.sentences for n in s.cited})
        out = []
        for n in used:
            m = self.passages[n - 1].metadata
            out.append({"n": n, "label": self.passages[n - 1].label, "title": m.get("title", ""),
                        "office": m.get("office", ""), "date": m.get("date", ""),
                        "heading_path": m.get("heading_path", ""), "text": self.passages[n - 1].text})
        return out

    def to_dict(self) -> dict[str, Any]:
        return {"title": self.title, "text": self.text, "request": asdict(self.request),
                "asks": [asdict(a) for a in self.asks], "structure": self.structure, "complete": self.complete,
                "blanks": self.blanks,
                "sources": self.sources(), "unsupported": [s.text for s in self.report.unsupported],
                "notice": self.notice, "generator": self.generator,
                "markers": {"total": self.report.markers_total, "valid": self.report.markers_valid,
                            "removed": self.report.markers_removed},
                "retrieval_ms": round(self.retrieval_ms, 1), "generation_ms": round(self.generation_ms, 1)}


_BLANK_RE = re.compile(r"【[^】]*(?:待填写|请承办人补充)[^】]*】")


def blanks(text: str) -> list[str]:
    """The blanks left in a letter, each named by what it stands for (日期, 联系人, an ask without material)."""
    labels = [(str(a), str(b)) for a, b in profile().section("compose").get("blank_labels", [])]
    out: list[str] = []
    for line in text.split("\n"):
        for m in _BLANK_RE.finditer(line):
            inner, before = m.group(0), line[: m.start()]
            name = next((lb for cue, lb in labels if cue in inner), "")
            if not name:  # "联系人：【待填写】，联系电话：【待填写】": the label just before the blank
                near = re.split(r"[，,；;（(]", before)[-1].strip("：: ")
                name = next((lb for cue, lb in labels if cue in near), near or "其他")
            out.append(name)
    return out


ESSENTIAL = ("salutation", "acknowledgement", "done_section", "closing")


STRUCTURE_NAMES = {"salutation": "称谓", "acknowledgement": "收悉语", "done_section": "一、已做工作",
                   "next_section": "二、下一步工作", "sub_points": "分项小标题", "closing": "结束语（此复）",
                   "office": "落款单位", "date": "日期", "contact": "联系人及电话"}

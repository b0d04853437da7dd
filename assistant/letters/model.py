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
    contact: str = ""  # 联系人及电话


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

"""Draft reply letters (答复函): the proposal's asks, material per ask, the letter, and its structure check."""

from __future__ import annotations

import dataclasses
import json
import re
import time
from dataclasses import asdict, dataclass, field, replace
from functools import lru_cache
from pathlib import Path
from typing import Any, Literal

from assistant import cite, prompts
from assistant.answer import Assistant, pack, passage_block, support_texts
from assistant.facts import dated_sentence
from assistant.generate import GenerationError
from assistant.question import analyze, candidate_sentences
from assistant.retrieve import Filters, Hit
from core.places import Place, gazetteer
from core.profile import profile
from core.text import normalize_text, to_fullwidth

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
        if self.proposer.endswith("委员") or self.proposer.endswith(("委会", "党派", "民进", "九三学社")):
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


# -- pure helpers --------------------------------------------------------------------------------------
# the profile's words that ask (建议, 希望…), as an alternation
_ASK_WORD_LIST = [re.escape(w) for w in profile().words("intake_cues", "ask_words")]
ASK_WORDS = "|".join(_ASK_WORD_LIST)
# an item marker at the start, after punctuation, or run on after an ask word ("建议一是…；二是…")
ASK_MARKER = re.compile(r"(?:^|(?<=[。;:\n\s])|" + "|".join(f"(?<={w})" for w in _ASK_WORD_LIST) + r")\s*"
                        r"(?:[一二三四五六七八九十]+是|\d{1,2}[.、](?!\d)|\(\d{1,2}\)|\([一二三四五六七八九十]{1,3}\)|"
                        r"[一二三四五六七八九十]+、)")


def extract_asks(body: str, limit: int = 8) -> list[str]:
    """The proposal's main asks: items opened by 一是/二是, 1. 2., (1), 一、; else its sentences."""
    original = body.strip()
    text = normalize_text(original)  # full-width colons and brackets as the patterns expect
    if not text:
        return []
    # same offsets: cut the writer's own text, keeping its full-width punctuation
    text_out = original if len(text) == len(original) else text
    items = inline_items(text, text_out)
    if not items:
        items = [s.strip() for s in re.split(r"(?<=[。;；!?！？])", text_out) if len(s.strip()) >= 6]
        asks = [s for s in items if re.search(ASK_WORDS + "|应当|亟需|要求|务必", s)]
        items = asks or items  # the asks, not the description of the problem
    return [short_ask(i) for i in items[:limit]]


def inline_items(text: str, text_out: str | None = None) -> list[str]:
    """Items opened by 一是/二是, 1. 2., (1), (一), 一、 anywhere in a normalised text (run on in one line or
    not), each from the end of its marker to the next one; [] when there are fewer than two. `text_out`, of
    the same length, is what is cut (the writer's own punctuation)."""
    out_text = text_out if text_out is not None and len(text_out) == len(text) else text
    marks = list(ASK_MARKER.finditer(text))
    if len(marks) < 2:
        return []
    ends = [m.start() for m in marks[1:]] + [len(text)]
    items = [out_text[m.end():end].strip(" ;；。\n") for m, end in zip(marks, ends, strict=True)]
    return [i for i in items if len(i) >= 4]


def short_ask(item: str, limit: int = 60) -> str:
    """First clause of an ask, as a label."""
    first = re.split(r"[。;；]", item, maxsplit=1)[0]
    return first[:limit]


def salutation(p: Proposal, role: Role, lead_office: str) -> str:
    if role == "co":
        return f"{lead_office or BLANK}："
    who = p.proposer.strip()
    if not who:
        return f"{BLANK}："
    if re.fullmatch(r"[\u4e00-\u9fff]{2,4}", who) and not re.search(r"(代表|委员|会|党|社|盟|所|部|局|委|组)$", who):
        who += "代表" if p.kind_name == "建议" else "委员"  # a person's name alone
    return f"{who}："


def acknowledgement(p: Proposal, role: Role, co_offices: list[str] | None = None, office: str = "") -> str:
    number = f"（第{p.number}号）" if p.number else ""
    words = profile().section("cohandling")
    if role == "co":
        return str(words["opinion_acknowledgement"]).format(title=p.title, number=number, kind=p.kind_name)
    if co_offices:  # 经会同市科技局、市财政局研究: the offices whose opinions the letter reflects
        names = str(words["office_separator"]).join(short_name(o, office) for o in co_offices)
        return str(words["acknowledgement"]).format(title=p.title, number=number, offices=names)
    return (f"您提出的《{p.title}》{number}收悉。我们高度重视，认真研究办理，现答复如下：")


def short_name(other: str, office: str) -> str:
    """Another office as a letter of `office` names it: 东莞市科学技术局 in a 东莞市 letter → 市科学技术局."""
    k = office.find("市")
    if 0 < k < len(office) - 1 and other.startswith(office[: k + 1]) and len(other) > k + 2:
        return other[k:]
    return other


def letter_title(req: DraftRequest) -> str:
    p = req.proposal
    what = f"第{p.number}号{p.kind_name}" if p.number else f"《{p.title}》"
    return f"{req.office}关于{what}的{'会办意见' if req.role == 'co' else '答复'}"


def check_structure(text: str, req: DraftRequest) -> dict[str, bool]:
    """The parts a reply letter must have, present or not."""
    lines = [ln.strip() for ln in text.split("\n") if ln.strip()]
    body = "\n".join(lines)
    return {
        "salutation": bool(lines) and lines[0].endswith(("：", ":")),
        "acknowledgement": "收悉" in body,
        "done_section": bool(re.search(r"^一、", body, re.M)),
        "next_section": bool(re.search(r"^二、", body, re.M)),
        "sub_points": bool(re.search(r"^[（(][一二三四五六七八九十]+[)）]", body, re.M)),
        "closing": any(c in body for c in CLOSINGS),
        "office": req.office in body.split("\n")[-4:] or any(ln == req.office for ln in lines[-4:]),
        "date": any(re.fullmatch(r"\d{4}\s*年\s*\d{1,2}\s*月\s*\d{1,2}\s*日|【日期待填写】|" + re.escape(BLANK), ln)
                    for ln in lines[-4:]),
        "contact": "联系人" in body,
    }


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


def _enumerators() -> list[re.Pattern[str]]:
    return _compiled(tuple(profile().words("compose", "enumerators")))


@lru_cache(maxsize=4)
def _compiled(patterns: tuple[str, ...]) -> list[re.Pattern[str]]:
    return [re.compile(p) for p in patterns]


def drop_enumerator(sentence: str) -> str:
    """A sentence without the list enumerator it opened with in its source (三是…, 首先，…, (2)…)."""
    s = sentence.strip()
    for _ in range(3):  # "(三)一是…" carries two
        norm = normalize_text(s)
        m = next((m for p in _enumerators() if (m := p.match(norm)) and m.end() < len(norm)), None)
        if m is None or len(norm) != len(s):
            break
        s = s[m.end():].lstrip()
    return s


def self_subject(office: str) -> str:
    """How the replying office names itself: 我局, 我委, 我办…"""
    words = profile().section("compose")
    for suffix, subject in words.get("self_subjects", []):
        if office.endswith(str(suffix)):
            return str(subject)
    return str(words.get("self_subject_default", "我单位"))


def subject_of(hit: Hit, office: str) -> str:
    """The subject a sentence of this passage implies: the replying office itself (我局), another office of
    the same city (市人力资源和社会保障局), or a policy document by its title (《…》)."""
    m = hit.metadata
    kind, src = str(m.get("kind", "")), str(m.get("office", "")).strip()
    if kind in ("notice", "implementation_plan") and m.get("title"):
        return f"《{str(m['title']).strip('《》')}》"
    if not src or src == office:
        return self_subject(office)
    k = office.find("市")
    if 0 < k < len(office) - 1 and src.startswith(office[: k + 1]) and len(src) > k + 2:
        return src[k:]  # 广州市人力资源和社会保障局 in a letter of 广州市工业和信息化局: 市人力资源和社会保障局
    return src


def lift(sentence: str, hit: Hit, office: str) -> str:
    """A source sentence as it stands in a letter: its enumerator dropped, a subjectless start given the
    subject its source implies, full-width punctuation. No word of the fact itself changes."""
    s = drop_enumerator(sentence)
    src = str(hit.metadata.get("office", "")).strip()
    if hit.metadata.get("opinion") or (src and src != office and (hit.metadata.get("kind") == "co_handling"
                                                                  or hit.metadata.get("case_role") == "opinion")):
        # a co-handling office's "我局" is that office, not the replying one
        who = short_name(src, office)
        for w in sorted(profile().words("opinion", "self_words"), key=len, reverse=True):
            s = s.replace(w, who)
        if hit.metadata.get("opinion"):
            return to_fullwidth(s)
    words = profile().section("compose")
    starts = tuple(str(w) for w in words.get("subjectless_starts", []))
    if s.startswith(starts):
        subject = subject_of(hit, office)
        verbs = tuple(str(w) for w in words.get("policy_verbs", []))
        k = hit.text.find(sentence.strip())
        before = hit.text[max(0, k - 150):k].split("\n")[-1] if k > 0 else ""
        titles = re.findall(r"《[^《》]{4,80}》", before)
        if s.startswith(verbs) and titles:  # "印发《若干措施》，提出…": the document just named says it
            subject = titles[-1]
        if subject.startswith("《") and not s.startswith(tuple(str(w) for w in words.get("policy_verbs", []))):
            subject += "提出"
        s = subject + s
    return to_fullwidth(s)


def _covers(ask: str, sentence: str, cities: list[str], lex: Any, need: float = 0.6) -> bool:
    """A sentence speaks to an ask: it holds most of the ask's key terms (IDF-weighted)."""
    terms = [(t, max(w, 0.1)) for t, w in analyze(ask, cities, lex).terms]
    total = sum(w for _, w in terms)
    text = normalize_text(cite.strip_markers(sentence))
    return total > 0 and sum(w for t, w in terms if t in text) / total >= need


def ask_coverage(text: str, asks: list[str], cities: list[str], lex: Any) -> list[AskCoverage]:
    """Which asks the letter answers, read from the whole letter: an ask's own sub-point with a cited
    sentence, else any cited sentence elsewhere (a next step, the overview) that speaks to it."""
    lines = [ln.strip() for ln in text.split("\n") if ln.strip()]
    heads = [i for i, ln in enumerate(lines) if re.match(r"^[（(][一二三四五六七八九十\d]+[)）]", ln)]
    nxt = next((i for i, ln in enumerate(lines) if re.match(r"^二、", ln)), len(lines))
    cited_lines = [(i, ln) for i, ln in enumerate(lines) if cite._CANON.search(ln)]
    out = []
    for ask in asks:
        label = normalize_text(ask.rstrip("。；;"))[:20]
        own = next((i for i in heads if i < nxt and label and label in normalize_text(lines[i])), None)
        if own is not None:
            end = min((i for i in [*heads, nxt] if i > own), default=len(lines))
            mine = [ln for i, ln in cited_lines if own <= i < end]
            if mine:
                out.append(AskCoverage(ask, _numbers_in(mine), True))
                continue
        other = [(i, ln) for i, ln in cited_lines if _covers(ask, ln, cities, lex)]
        if other:
            where = "next" if all(i > nxt for i, _ in other) else "elsewhere"
            out.append(AskCoverage(ask, _numbers_in([ln for _, ln in other]), True, where))
        else:
            out.append(AskCoverage(ask, [], False))
    return out


def addresses(ask: str, point: str) -> float:
    """How much of an ask a co-handling opinion's point speaks to: the share of the ask's character bigrams
    (minus the commonest letter words) found in the point."""
    def grams(s: str) -> set[str]:
        t = re.sub(r"[^\u4e00-\u9fff0-9A-Za-z]", "", normalize_text(s))
        return {t[i:i + 2] for i in range(len(t) - 1)}

    stop = set(profile().words("opinion", "common_bigrams"))
    a = grams(ask) - stop
    return len(a & grams(point)) / len(a) if a else 0.0


def _numbers_in(lines: list[str]) -> list[int]:
    return list(dict.fromkeys(int(n) for ln in lines for n in cite._CANON.findall(ln)))


def renumber(text: str, passages: list[Hit]) -> tuple[str, list[Hit]]:
    """Citations numbered 1, 2, 3… in order of first use; the passages reordered to match (the ones not
    cited follow in their old order)."""
    order: list[int] = []
    for m in cite._CANON.finditer(text):
        n = int(m.group(1))
        if 1 <= n <= len(passages) and n not in order:
            order.append(n)
    order += [n for n in range(1, len(passages) + 1) if n not in order]
    new = {old: i + 1 for i, old in enumerate(order)}
    out = cite._CANON.sub(lambda m: f"[{new.get(int(m.group(1)), int(m.group(1)))}]", text)
    return out, [passages[old - 1] for old in order]


ESSENTIAL = ("salutation", "acknowledgement", "done_section", "closing")
STRUCTURE_NAMES = {"salutation": "称谓", "acknowledgement": "收悉语", "done_section": "一、已做工作",
                   "next_section": "二、下一步工作", "sub_points": "分项小标题", "closing": "结束语（此复）",
                   "office": "落款单位", "date": "日期", "contact": "联系人及电话"}


def _is_next_step(hit: Hit, sentence: str) -> bool:
    path = str(hit.metadata.get("heading_path", ""))
    return bool(re.search(r"下一步|下阶段|下来|今后|计划|展望", path)) or bool(
        re.match(r"^(下一步|下阶段|下来|今后|我们将|将)", sentence))


def in_jurisdiction(meta: dict[str, Any], home: Place) -> bool:
    """A passage belongs to an office's jurisdiction at its level: everything of its own place; from the
    levels above it (its city, its province) only their policy documents, which apply to it — not their
    replies to other places' deputies, whose figures are those places' own."""
    province, city, district = (str(meta.get(k, "")) for k in ("province", "city", "district"))
    own = (district == home.district) if home.district else (city == home.city and not district) if home.city \
        else (province == home.province and not city and not district)
    if own:
        return True
    if meta.get("doc_kind") != "policy":
        return False
    if home.district:
        return not district and (city == home.city or not city) and province == home.province
    return bool(home.city) and not city and not district and province == home.province


# -- drafting -----------------------------------------------------------------------------------------
class Drafter:
    def __init__(self, assistant: Assistant) -> None:
        self.assistant = assistant
        self.settings = assistant.settings

    def material(self, req: DraftRequest, asks: list[str]) -> tuple[list[Hit], dict[int, list[int]]]:
        """Passages per ask, from the replying office's own jurisdiction at its level only (a district
        office: its district, and what its city and province wrote without naming another district): a
        letter never presents another place's figures as its own. Returns the numbered passages and, per
        ask, their numbers."""
        retriever = self.assistant.services.retriever
        home = gazetteer().place_of(req.office)
        stored = retriever.store_places()
        if home is None or not stored & {home.province, home.city, home.district} - {""}:
            return [], {i: [] for i in range(len(asks))}
        scope = home.province or home.city or home.district
        filters = Filters(city=retriever.resolve_place(scope) or scope)

        given = {o for o, _ in req.opinions}  # an attached opinion is used as given, not its archived copy

        def search(query: str, n: int) -> list[Hit]:
            hits = retriever.search(query, n * 4, filters, decompose=False).hits
            return [h for h in hits if in_jurisdiction(h.metadata, home)
                    and not (h.metadata.get("office") in given
                             and (h.metadata.get("kind") == "co_handling" or h.metadata.get("case_role") == "opinion"))][:n]

        p = req.proposal
        per_ask: list[list[Hit]] = [search(p.title, 3)]
        for ask in asks:
            per_ask.append(search(f"{ask} {p.title}", 4))
        nxt = search(f"下一步工作计划 {p.title}", 4)
        per_ask.append([h for h in nxt if _is_next_step(h, h.text)])
        merged: list[Hit] = []
        seen: set[str] = set()
        for rank in range(4):  # interleave so every ask keeps its best passages within the budget
            for hits in per_ask:
                if rank < len(hits) and hits[rank].id not in seen:
                    seen.add(hits[rank].id)
                    merged.append(hits[rank])
        firsts = self._opinion_points(req, asks)
        if firsts:  # an opinion's points come first for the asks they address
            for i, hits in firsts.items():
                per_ask[i + 1] = hits + [h for h in per_ask[i + 1] if h.id not in {x.id for x in hits}]
            first_ids = {h.id for hits in firsts.values() for h in hits}
            merged = [h for hits in firsts.values() for h in hits] + [h for h in merged if h.id not in first_ids]
            merged = list({h.id: h for h in merged}.values())
        passages = pack(merged, self.settings.context_tokens)
        number = {h.id: i + 1 for i, h in enumerate(passages)}
        return passages, {i: [number[h.id] for h in hits if h.id in number] for i, hits in enumerate(per_ask[1:-1])}

    @staticmethod
    def _opinion_points(req: DraftRequest, asks: list[str]) -> dict[int, list[Hit]]:
        """Per ask, the points of the co-handling opinions that address it (best first)."""
        if not req.opinions:
            return {}
        need = float(profile().section("opinion").get("min_overlap", 0.3))
        out: dict[int, list[Hit]] = {}
        for _, hits in req.opinions:
            for h in hits:
                scores = [addresses(a, f"{h.metadata.get('heading_path', '')} {h.text}") for a in asks]
                best = max(range(len(asks)), key=lambda i: scores[i], default=-1)
                if best >= 0 and scores[best] >= need:
                    out.setdefault(best, []).append(h)
        return out

    def offline_letter(self, req: DraftRequest, asks: list[str], passages: list[Hit],
                       per_ask: dict[int, list[int]]) -> tuple[str, list[AskCoverage]]:
        """The template letter made of cited corpus sentences, one sub-point per ask in the proposal's order
        (an ask without material keeps its place, with a blank for the drafter)."""
        retriever = self.assistant.services.retriever
        cities = sorted(retriever.store_places())
        lex = retriever.lexical()
        done: list[tuple[str, list[str]]] = []
        nxt: list[str] = []
        used: set[str] = set()
        overview = overview_key = ""

        def sentence(text: str, hit: Hit) -> str:
            lifted = lift(text, hit, req.office)
            if not _is_next_step(hit, text):  # what has been done says as of when; a plan has its own time
                lifted = dated_sentence(lifted, str(hit.metadata.get("date", "")))
            return f"{lifted.rstrip('。;,；，:：')}[{passages.index(hit) + 1}]。"

        info = analyze(req.proposal.title, cities, lex)
        for c in candidate_sentences(info, passages):  # the headline figure on the proposal's topic
            if c.has_number and cite.is_claim(c.text) and not c.heading and not _is_next_step(passages[c.hit], c.text) \
                    and not passages[c.hit].metadata.get("opinion"):  # an opinion's point goes under its ask
                overview = sentence(c.text, passages[c.hit])
                overview_key = re.sub(r"\W", "", c.text)
                used.add(overview_key)
                break
        speaks: dict[int, set[str]] = {}  # the sentences each ask's material offers (by their words)
        for i, ask in enumerate(asks):
            hits = [passages[n - 1] for n in per_ask.get(i, [])]
            info = analyze(ask, cities, lex)
            cands = [c for c in candidate_sentences(info, hits) if cite.is_claim(c.text) and not c.heading
                     and c.coverage >= 0.15]
            # sentences that answer the ask as a question would be answered (the refusal bar), not merely touch it
            speaks[i] = {re.sub(r"\W", "", c.text) for c in cands
                         if c.coverage >= self.settings.refusal_min_coverage}
            lines: list[str] = []
            for hit in hits:  # a co-handling opinion's point on this ask: the first source, whole
                if hit.metadata.get("opinion") and len(lines) < 3:
                    for part in re.split(r"(?<=[。；;])", hit.text):
                        key = re.sub(r"\W", "", part)
                        if re.fullmatch(r"关于[^，,。]{2,40}。?", part.strip()):
                            continue  # the point's own heading ("关于设立…。"), not a fact
                        if len(key) >= 6 and key not in used and cite.is_claim(part) and len(lines) < 3:
                            lines.append(sentence(part.strip(), hit))
                            used.add(key)
            for c in cands:
                key = re.sub(r"\W", "", c.text)
                if key in used:
                    continue
                hit = hits[c.hit]
                if _is_next_step(hit, c.text):
                    if len(nxt) < 6:
                        nxt.append(sentence(c.text, hit))
                        used.add(key)
                    continue
                if len(lines) < 3:
                    lines.append(sentence(c.text, hit))
                    used.add(key)
            done.append((ask, lines))
        # the headline sentence speaks to an ask left without material (it was that ask's material, taken first
        # as the headline): it goes under that ask
        for i, (ask, lines) in enumerate(done):
            if overview and not lines and (overview_key in speaks.get(i, set()) or _covers(ask, overview, cities, lex)):
                done[i], overview = (ask, [overview]), ""
        # what will be done next, from the next-step sections
        hits = [h for h in passages if _is_next_step(h, "")]
        info = analyze(req.proposal.title, cities, lex)
        for c in candidate_sentences(info, hits):
            key = re.sub(r"\W", "", c.text)
            if len(nxt) < 4 and key not in used and cite.is_claim(c.text) and not c.heading:
                nxt.append(sentence(c.text, hits[c.hit]))
                used.add(key)
        # an ask with no work done but a next step on it is pointed there, not reported as uncovered
        later = {i for i, (ask, lines) in enumerate(done)
                 if not lines and any(_covers(ask, s, cities, lex) for s in nxt)}
        text = self._assemble(req, done, nxt, overview, later)
        return text, ask_coverage(text, asks, cities, lex)

    def _assemble(self, req: DraftRequest, done: list[tuple[str, list[str]]], nxt: list[str], overview: str,
                  later: set[int] | None = None) -> str:
        cn = "一二三四五六七八九十"
        words = profile().section("compose")
        out = [salutation(req.proposal, req.role, req.lead_office),
               acknowledgement(req.proposal, req.role, req.co_offices, req.office), "一、工作开展情况"]
        if overview:
            out.append(overview)
        for k, (ask, lines) in enumerate(done):  # the proposal's order; a blank stays in its place
            label = to_fullwidth(ask.rstrip("。；;"))
            out.append(f"（{cn[k] if k < 10 else k + 1}）" + str(words["sub_heading"]).format(ask=label))
            if lines:
                out += lines
            else:
                out.append(str(words["no_done_material" if k in (later or set()) else "no_material"]))
        out.append("二、下一步工作计划")
        if nxt:
            for j, s in enumerate(nxt):
                out.append(f"（{cn[j]}）{s}")
        else:
            out.append(str(words["no_next_material"]))
        co = profile().section("cohandling")
        out.append("感谢您对我们工作的关心和支持，欢迎继续提出宝贵意见和建议。" if req.role == "lead"
                   else str(co["opinion_closing"]))
        out.append("此复" if req.role == "lead" else str(co["opinion_sign_off"]))
        out.append(req.office)
        out.append(req.date or "【日期待填写】")
        contact = to_fullwidth(req.fields.contact) or f"联系人：{BLANK}，联系电话：{BLANK}"
        out.append(f"（{contact}）")
        return "\n".join(out)

    def draft(self, req: DraftRequest, generator: str | None = None) -> Draft:
        t0 = time.perf_counter()
        p = req.proposal
        asks = p.asks or extract_asks(p.body) or [p.title]
        passages, per_ask = self.material(req, asks)
        t1 = time.perf_counter()
        gen = generator or self.settings.generator
        notice, used, text = "", "offline", ""
        if gen == "llm" and passages:
            try:
                model = self.assistant.chat_model()
                user = prompts.load("draft_reply").render(
                    proposal=json.dumps({"标题": p.title, "编号": p.number, "提出人": p.proposer,
                                         "类型": p.kind_name, "正文": p.body[:2000]}, ensure_ascii=False),
                    asks="\n".join(f"{i + 1}. {a}" for i, a in enumerate(asks)), office=req.office,
                    date=req.date or BLANK, role="主办答复" if req.role == "lead" else f"会办意见（致{req.lead_office}）",
                    instructions=req.instructions or "无",
                    passages="\n\n".join(passage_block(i + 1, h) for i, h in enumerate(passages)))
                text = model.complete(prompts.load("system").render(), user)
                used = f"llm:{model.name}"
                missing = [STRUCTURE_NAMES[k] for k in ESSENTIAL if not check_structure(text, req)[k]]
                if missing:  # not a letter (a weak model may echo the prompt): the template letter instead
                    notice = f"模型生成的函件缺少{'、'.join(missing)}，以下为离线生成的草稿。"
                    text, used = "", "offline"
            except GenerationError as exc:
                notice = f"{exc.cause}，以下为离线生成的草稿。"
        if not text:
            text, _ = self.offline_letter(req, asks, passages, per_ask)
        text = to_fullwidth(text)  # a model's letter too: full-width punctuation in Chinese text (1:1)
        first = cite.check(text, support_texts(passages), self.settings.support_threshold, attribute=used != "offline")
        text, passages = renumber(first.text, passages)  # [1], [2], [3]… in order of first use
        report = cite.check(text, support_texts(passages), self.settings.support_threshold)
        report = dataclasses.replace(report, markers_total=first.markers_total, markers_valid=first.markers_valid,
                                     markers_removed=first.markers_removed)
        retriever = self.assistant.services.retriever
        coverage = ask_coverage(report.text, asks, sorted(retriever.store_places()), retriever.lexical())
        return Draft(req, letter_title(req), report.text, passages, report, coverage,
                     check_structure(report.text, req), notice, used, (t1 - t0) * 1000,
                     (time.perf_counter() - t1) * 1000)


def with_text(draft: Draft, text: str, threshold: float) -> Draft:
    """The draft with an edited letter, its citations checked again against the same passages."""
    report = cite.check(text, support_texts(draft.passages), threshold)
    return replace(draft, text=report.text, report=report, structure=check_structure(report.text, draft.request))


def load_request(path: Path, office: str = "", date: str = "", role: Role = "lead", lead_office: str = "") -> DraftRequest:
    """A proposal JSON file: the question set's `proposal` shape, optionally with office/date/role/fields."""
    data = json.loads(path.read_text(encoding="utf-8"))
    prop = data.get("proposal", data)
    fields = LetterFields(**{k: str(v) for k, v in (data.get("fields") or {}).items() if k in LetterFields.__dataclass_fields__})
    return DraftRequest(Proposal.from_dict(prop), office or data.get("office", ""), date or data.get("date", ""),
                        role if role != "lead" else data.get("role", "lead"), lead_office or data.get("lead_office", ""),
                        data.get("instructions", ""), fields)

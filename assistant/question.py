"""Read a question (kind, places, years, key terms) and decide whether the retrieved passages answer it."""

from __future__ import annotations

import re
from dataclasses import dataclass
from typing import Literal

from assistant.cite import gazetteer
from assistant.lexical import LexicalIndex, tokenize
from assistant.retrieve import Hit
from core.text import normalize_text

Kind = Literal["fact", "list", "compare", "other"]

_COMPARE = re.compile(r"分别|各自|各是|各有|对比|比较|相比|异同|两地|三地|四地|各地|几个城市|哪些城市|哪几个城市")
_LIST = re.compile(r"哪些|哪几|几个方面|几方面|什么措施|措施有|什么做法|做法有|主要任务|列举|列了|包括什么|包括哪")
_NUMERIC = re.compile(r"多少|几家|几个|几场|几项|几名|几次|几批|几年|比例|占比|哪天|哪一天|何时|什么时候|哪一年|哪年|"
                      r"金额|规模|文号|编号|几号|第几|上限|最高|多高|多大|几成|几倍")
_CURRENT = re.compile(r"目前|现在|现有|已经|已有|截至目前|至今|当前")
_TARGET = re.compile(r"到20\d\d年|力争|计划|预计|目标|将")
_YEAR = re.compile(r"(20\d\d)\s*年?")
# what a passage is about, besides its own words: the question may name the document, not the fact
_ABOUT_KEYS = ("heading_path", "title", "proposer", "number", "doc_number", "office", "proposal_title", "addressee")
_SENT_SPLIT = re.compile(r"(?<=[。!?;])|\n")


@dataclass
class QuestionInfo:
    text: str
    kind: Kind
    numeric: bool
    cities: list[str]  # cities of the store that the question names
    unknown_places: list[str]  # cities it names that the store holds nothing about
    years: list[str]
    terms: list[tuple[str, float]]  # key terms and their weight (IDF)
    wants_current: bool
    answer_shape: re.Pattern[str] | None = None  # what the answer looks like: "248家", "16.23%", "4月27日"
    wants_titles: bool = False  # asks for documents or policies by name (《…》)


_UNIT = re.compile(r"(?:多少|几)(亿元|万元|千元|元|家|个|场次|场|项|名|人次|人|次|批|亩|条|倍|台套|台|套|户|平方米|天|年)")


def answer_shape(q: str) -> re.Pattern[str] | None:
    if m := _UNIT.search(q):
        return re.compile(rf"\d[\d.,]*\s*{re.escape(m.group(1))}")
    if re.search(r"数量|多少家|几家", q):
        return re.compile(r"\d[\d.,]*\s*(家|个|项|名|人)")
    if re.search(r"比例|占比|比重|率是|率达|百分之", q):
        return re.compile(r"\d[\d.]*%")
    if re.search(r"哪天|哪一天|日期|何时|什么时候", q):
        return re.compile(r"\d{1,2}月\d{1,2}日|\d{4}年\d{1,2}月|\d{4}-\d{2}")
    if re.search(r"文号|编号", q):
        return re.compile(r"〔\d{4}〕\d+号|第\d+号")
    return None


def analyze(question: str, store_cities: list[str], lex: LexicalIndex) -> QuestionInfo:
    q = normalize_text(question)
    named = []
    rest = q
    for name in (*sorted(store_cities, key=len, reverse=True), *gazetteer()):
        if name and name in rest:
            named.append((q.find(name), name))
            rest = rest.replace(name, " ")
    named.sort()
    cities = [c for _, c in named if c in store_cities]
    unknown = [c for _, c in named if c not in store_cities]
    places = [f"{c}市" for c in cities + unknown]
    drop = set(cities) | set(unknown) | set(places)
    seen: dict[str, float] = {}
    for tok in tokenize(q):
        if any(tok in p for p in places):  # 州市 from 广州市 is a fragment of the place, not a topic
            continue
        if tok not in drop and not tok.isdigit() and len(tok) > 1 or (tok.isdigit() and len(tok) == 4):
            # a word the documents never use is the asker's paraphrase, not evidence of a topic gap
            seen.setdefault(tok, lex.idf(tok) if lex.knows(tok) else 0.0)
    kind: Kind = "other"
    if len(cities) + len(unknown) >= 2 or _COMPARE.search(q):
        kind = "compare"
    elif _LIST.search(q):
        kind = "list"
    elif _NUMERIC.search(q) or re.search(r"是什么|是哪|什么时候|谁", q):
        kind = "fact"
    return QuestionInfo(q, kind, bool(_NUMERIC.search(q)), cities, unknown, sorted(set(_YEAR.findall(q))),
                        list(seen.items()), bool(_CURRENT.search(q)), answer_shape(q),
                        bool(re.search(r"文件|政策名称|哪些办法|哪些方案|哪些规定|哪些意见", q)))


@dataclass
class Candidate:
    """A sentence of a retrieved passage, scored against the question."""

    text: str
    hit: int  # index into the hits
    score: float
    coverage: float
    has_number: bool
    is_target: bool
    heading: bool
    position: int = 0  # order within its passage


def candidate_sentences(info: QuestionInfo, hits: list[Hit]) -> list[Candidate]:
    """Every sentence of every hit with an IDF-weighted term coverage and a score for ranking."""
    total = sum(w for _, w in info.terms) or 1.0
    top = max((h.score for h in hits), default=1.0) or 1.0
    out: list[Candidate] = []
    docs_seen: set[str] = set()
    for i, h in enumerate(hits):
        outline = h.metadata.get("role") == "outline"
        m = h.metadata
        about = normalize_text(" ".join(str(m.get(k, "")) for k in _ABOUT_KEYS))
        if m.get("doc_number") and m.get("doc_id") not in docs_seen and info.answer_shape is not None \
                and info.answer_shape.search(str(m["doc_number"])):
            # a fact held by the document's record (its 文号), not by any sentence of its text
            docs_seen.add(str(m.get("doc_id")))
            line = f"《{m.get('title', '')}》的文号为{m['doc_number']}"
            out.append(Candidate(line, i, 1.0 + 0.3 * (h.score / top), 1.0, True, False, False, -1))
        for raw in _SENT_SPLIT.split(h.text):
            s = raw.strip()
            if len(s) < 6:
                continue
            norm = normalize_text(s)
            context = f"{about} {norm}"
            cov_own = sum(w for t, w in info.terms if t in norm) / total
            cov = sum(w for t, w in info.terms if t in context) / total
            has_num = bool(re.search(r"\d", s))
            heading = outline or bool(re.match(r"^([一二三四五六七八九十]+、|\([一二三四五六七八九十]+\)|\d+\.)", s)) and len(s) < 50
            score = 0.45 * cov_own + 0.25 * cov + 0.3 * (h.score / top)
            if info.numeric and has_num:
                score += 0.15
            if info.answer_shape is not None and info.answer_shape.search(norm):
                score += 0.2
            if info.wants_titles and "《" in s:
                score += 0.2
            if outline and s == h.text.split("\n", 1)[0] and "\n" in h.text:
                continue  # an outline's own heading line introduces the list, it is not an item
            if info.kind == "fact" and heading:
                score -= 0.1
            if info.kind == "list" and heading:
                score += 0.1
            if info.years and any(y in s for y in info.years):
                score += 0.1
            out.append(Candidate(s, i, score, cov, has_num, bool(_TARGET.search(s)), heading, len(out)))
    out.sort(key=lambda c: -c.score)
    return out


@dataclass
class Scope:
    """Whether the passages answer the question, and why not when they do not (said to the user)."""

    answerable: bool
    reason: str = ""
    coverage: float = 0.0


def decide(info: QuestionInfo, hits: list[Hit], cands: list[Candidate], min_coverage: float) -> Scope:
    """Refuse rather than answer from the wrong city, year or topic.

    Dense scores sit in a narrow band here whatever the question, so the decision rests on what the
    question names: its places, its years, and whether one sentence covers its key terms.
    """
    if info.unknown_places and not info.cities:
        return Scope(False, f"文档中没有关于{'、'.join(info.unknown_places)}的材料。")
    if not hits:
        return Scope(False, "没有检索到相关段落。")
    if info.years:
        present = {str(h.metadata.get("year", "")) for h in hits} | {
            y for y in info.years for h in hits if y in h.text}
        if not any(y in present for y in info.years):
            return Scope(False, f"检索到的文档中没有{'、'.join(y + '年' for y in info.years)}的相关内容。")
    pool = [c for c in cands if c.has_number] if info.numeric else cands
    if info.numeric and info.wants_current:
        pool = [c for c in pool if not c.is_target] or []
    best = max((c.coverage for c in pool), default=0.0)
    if best < min_coverage:
        return Scope(False, "检索到的段落没有直接回答这个问题。", best)
    return Scope(True, "", best)

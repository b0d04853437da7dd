"""Read a question (kind, places, years, key terms) and decide whether the retrieved passages answer it."""

from __future__ import annotations

import re
from dataclasses import dataclass
from typing import Literal

from assistant.lexical import LexicalIndex, tokenize
from assistant.retrieve import Hit
from core.places import gazetteer, named_places
from core.profile import profile
from core.text import normalize_text

Kind = Literal["fact", "list", "compare", "other"]

_P = profile()
_COMPARE = _P.cue("compare")
_LIST = _P.cue("list")
_NUMERIC = _P.cue("numeric")
_FACT = _P.cue("fact")
_CURRENT = _P.cue("current")
_TARGET = _P.cue("target")
_TITLES = _P.cue("titles")
_DATED = re.compile(r"\d+\s*月\s*\d+\s*日|\d+(?:\.\d+)?\s*(?:家|个|项|名|万|亿|%)")  # a frame line that also states a fact
_FRAME = re.compile("|".join(_P.words("letters", "frame_patterns")))
_YEAR = re.compile(r"(20\d\d)\s*年?")
_CUE_WORDS = {w for key in ("current", "compare", "list", "numeric", "fact") for w in _P.words("questions", key)}
# what a passage is about, besides its own words: the question may name the document, not the fact
_ABOUT_KEYS = ("heading_path", "title", "proposer", "number", "doc_number", "office", "proposal_title", "addressee")
_SENT_SPLIT = re.compile(r"(?<=[。!?;])|\n")


@dataclass(frozen=True)
class Slot:
    """What a question asks for (amount, count, date, 文号…) and what an answer to it looks like."""

    slot: str
    name: str
    cues: tuple[str, ...]
    answer: re.Pattern[str]
    cue_pattern: re.Pattern[str] | None = None


def slots() -> list[Slot]:
    return [Slot(str(x["slot"]), str(x["name"]), tuple(x["cues"]), re.compile(x["answer"]),
                 re.compile(x["cue_pattern"]) if x.get("cue_pattern") else None)
            for x in _P.data["questions"]["slots"]]


_SLOTS = slots()


def asked_slot(q: str) -> Slot | None:
    """The slot a question asks for, by its cue words or patterns (the first slot of the profile that matches)."""
    return next((s for s in _SLOTS if any(c in q for c in s.cues) or (s.cue_pattern and s.cue_pattern.search(q))),
                None)


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
    slot: Slot | None = None  # what it asks for, when it asks for something specific


def answer_shape(q: str) -> re.Pattern[str] | None:
    slot = asked_slot(q)
    return slot.answer if slot else None


def place_forms(name: str) -> set[str]:
    """Every way a place may be written: 汶上县 → 汶上县, 汶上; 深圳 → 深圳, 深圳市."""
    gz = gazetteer()
    forms = {name}
    for p in gz.lookup(name):
        forms |= {p.name, *gz.official_forms(p), *gz.short_names(p)}
    return {f for f in forms if len(f) >= 2}


def analyze(question: str, store_places: list[str], lex: LexicalIndex) -> QuestionInfo:
    """Kind, places (stored and not), years, weighted key terms, and the slot a question asks for."""
    q = normalize_text(question)
    cities, unknown = named_places(q, frozenset(store_places))
    gz = gazetteer()
    place_words = {m.text for m in gz.mentions(q, short=True)}
    seen: dict[str, float] = {}
    for tok in tokenize(q):
        if any(tok in p for p in place_words):  # 州市 from 广州市 is a fragment of the place, not a topic
            continue
        if tok in _CUE_WORDS:  # 最新, 目前, 哪些: how the question asks, not what it is about
            continue
        if not tok.isdigit() and len(tok) > 1 or (tok.isdigit() and len(tok) == 4):
            # a word the documents never use is the asker's paraphrase, not evidence of a topic gap
            seen.setdefault(tok, lex.idf(tok) if lex.knows(tok) else 0.0)
    kind: Kind = "other"
    if len(cities) + len(unknown) >= 2 or _COMPARE.search(q):
        kind = "compare"
    elif _LIST.search(q):
        kind = "list"
    elif _NUMERIC.search(q) or _FACT.search(q):
        kind = "fact"
    slot = asked_slot(q)
    return QuestionInfo(q, kind, bool(_NUMERIC.search(q)), cities, unknown, sorted(set(_YEAR.findall(q))),
                        list(seen.items()), bool(_CURRENT.search(q)), slot.answer if slot else None,
                        bool(_TITLES.search(q)), slot)


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
    own: float = 0.0  # coverage by the sentence's own words (coverage also counts its document's title, headings)


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
            out.append(Candidate(line, i, 1.0 + 0.3 * (h.score / top), 1.0, True, False, False, -1, 1.0))
        title = re.sub(r"\s+", "", normalize_text(str(m.get("title", ""))))
        for raw in _SENT_SPLIT.split(h.text):
            s = raw.strip()
            if len(s) < 6:
                continue
            norm = normalize_text(s)
            if (_FRAME.search(norm) and not _DATED.search(norm)) or (title and re.sub(r"[\s。]+", "", norm) == title):
                continue  # the source letter's own frame (收悉, 现答复如下, thanks) or its title: not a fact
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
            out.append(Candidate(s, i, score, cov, has_num, bool(_TARGET.search(s)), heading, len(out), cov_own))
    out.sort(key=lambda c: -c.score)
    return out


@dataclass
class Scope:
    """Whether the passages answer the question, and why not when they do not (said to the user)."""

    answerable: bool
    reason: str = ""
    coverage: float = 0.0


def _speaks_of(place: str, sentence: str, hit: Hit) -> bool:
    """The sentence names the place and comes from a document whose own place contains it."""
    if not any(form in sentence for form in place_forms(place)):
        return False
    m = hit.metadata
    doc_place = str(m.get("district") or m.get("city") or m.get("province") or "")
    return bool(doc_place) and any(doc_place in (p.province, p.city) for p in gazetteer().lookup(place))


def _same_year(info: QuestionInfo, sentence: str, hit: Hit) -> bool:
    """A question naming a year wants that year's figure: the sentence states that year, or states none
    and comes from that year's document ("2016年以来…1080万元" does not answer "2020年…多少")."""
    if not info.years:
        return True
    stated = set(_YEAR.findall(sentence))
    if stated:
        return bool(stated & set(info.years))
    return str(hit.metadata.get("year", "")) in info.years


def decide(info: QuestionInfo, hits: list[Hit], cands: list[Candidate], min_coverage: float) -> Scope:
    """Refuse rather than answer from the wrong city, year or topic.

    Dense scores sit in a narrow band here whatever the question, so the decision rests on what the
    question names: its places, its years, and whether one sentence covers its key terms.
    """
    if info.unknown_places and not info.cities:
        # a place no document comes from is still answerable where a document whose own place contains it
        # speaks of it (台江县 in a 黔东南州 letter); a passing mention elsewhere ("含深圳" in 广州's letter) is not
        absent = [u for u in info.unknown_places if not any(
            _speaks_of(u, c.text, hits[c.hit]) for c in cands if c.coverage >= min_coverage)]
        if absent:
            return Scope(False, f"文档中没有关于{'、'.join(absent)}的材料。")
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
    if info.slot is not None:
        # right place and topic, but is the asked amount / count / date / 文号 there at all?
        with_slot = [c for c in cands if info.slot.answer.search(normalize_text(c.text))
                     and _same_year(info, c.text, hits[c.hit])]
        if max((c.coverage for c in with_slot), default=0.0) < min_coverage:
            said = max(cands, key=lambda c: c.coverage).text.strip()
            said = said if len(said) <= 60 else said[:60] + "…"
            return Scope(False, f"资料提到“{said}”，但没有给出所问的{info.slot.name}。", best)
    return Scope(True, "", best)

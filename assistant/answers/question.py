"""Read a question (kind, places, years, key terms) and decide whether the retrieved passages answer it."""

from __future__ import annotations

import re
from dataclasses import dataclass
from functools import lru_cache
from typing import Literal

from assistant.facts.dates import as_of
from assistant.retrieval.hybrid import Hit
from assistant.retrieval.lexical import LexicalIndex, tokenize
from core.places import gazetteer, named_places
from core.profile import profile
from core.text import doc_label, normalize_text, split_sentences

Kind = Literal["fact", "list", "compare", "other"]

_P = profile()
_COMPARE = _P.cue("compare")
_LIST = _P.cue("list")
_NUMERIC = _P.cue("numeric")
_FACT = _P.cue("fact")
_CURRENT = _P.cue("current")
_TITLES = _P.cue("titles")
_RECORD = _P.cue("record")
_DATED = re.compile(r"\d+\s*月\s*\d+\s*日|\d+(?:\.\d+)?\s*(?:家|个|项|名|万|亿|%)")  # a frame line that also states a fact
_FRAME = _P.frame_sentence
_YEAR = re.compile(r"(20\d\d)\s*年?")
_CUE_WORDS = {w for key in ("current", "compare", "list", "numeric", "fact") for w in _P.words("questions", key)}
# what a passage is about, besides its own words: the question may name the document, not the fact
_ABOUT_KEYS = ("heading_path", "title", "proposer", "number", "doc_number", "office", "proposal_title", "addressee")
SLOT_SUBJECT_SHARE = 0.3  # share of the best coverage the sentence giving the asked value must reach (dev set: positives ≥ 0.36)
# numbers that identify a document (文号, proposal number) rather than state a year or a figure
_IDS = [_P.doc_number, *_P.number_patterns]
_NUMERAL = re.compile(r"\d+(?:\.\d+)?|[〇○零一二三四五六七八九十百千万两]+")


@dataclass(frozen=True)
class Slot:
    """What a question asks for (amount, count, date, 文号…) and what an answer to it looks like."""

    slot: str
    name: str
    cues: tuple[str, ...]
    answer: re.Pattern[str]
    cue_pattern: re.Pattern[str] | None = None
    unit_ask: re.Pattern[str] | None = None  # the unit the question asks in (几所 → 所)


def slots() -> list[Slot]:
    return [Slot(str(x["slot"]), str(x["name"]), tuple(x["cues"]), re.compile(x["answer"]),
                 re.compile(x["cue_pattern"]) if x.get("cue_pattern") else None,
                 re.compile(x["unit_ask"]) if x.get("unit_ask") else None)
            for x in _P.data["questions"]["slots"]]


_SLOTS = slots()


_WHICH = re.compile("(?:" + "|".join(map(re.escape, _P.words("questions", "which"))) + r")\s*[^\s，,。？?]?")
_SAME_UNITS = [set(g) for g in _P.data["questions"]["same_units"]]


def asked_slot(q: str) -> Slot | None:
    """The slot a question asks for, by its cue words or patterns (the first slot of the profile that matches).

    "哪几个阶段" asks which ones, not how many: those words are read out before the cues are.
    """
    q = _WHICH.sub(" ", q)
    return next((s for s in _SLOTS if any(c in q for c in s.cues) or (s.cue_pattern and s.cue_pattern.search(q))),
                None)


def _units(unit: str) -> set[str]:
    return next((g for g in _SAME_UNITS if unit in g), {unit})


def without_ids(text: str) -> str:
    """The text with its 文号 and proposal numbers blanked: 〔2022〕 in a 文号 is not a year the question asks about."""
    for rx in _IDS:
        text = rx.sub(lambda m: " " * len(m.group(0)), text)
    return text


@lru_cache(maxsize=256)
def _asked(slot: Slot, question: str) -> tuple[str, tuple[str, ...], frozenset[str]]:
    """What slot_value needs of the question (its text, numbers and asked units), read once per question."""
    q = normalize_text(_WHICH.sub(" ", question))
    units: set[str] = set()
    for u in slot.unit_ask.findall(q) if slot.unit_ask else []:
        units |= _units(u)
    return q, tuple(_NUMERAL.findall(q)), frozenset(units)


def slot_value(slot: Slot, question: str, sentence: str, terms: tuple[str, ...] = ()) -> str | None:
    """The value a sentence gives for the slot a question asks, or None.

    Not a value: what the question itself says (第一批 does not answer "第一批有多少家", 教育部 does not answer
    "教育部答复的建议是谁提的"), nor a number in another unit than the one asked ("几所" is not answered by "两个规划";
    名 and 人 count the same). A count written without its unit right after what it counts ("地埋式垃圾箱65") is
    a value when `terms` (the question's key terms) name what it counts.
    """
    q, q_nums, units = _asked(slot, question)
    text = normalize_text(sentence)
    for m in slot.answer.finditer(text):
        value = re.sub(r"\s+", "", m.group(0))
        nums = _NUMERAL.findall(value)
        if nums and all(any(n in qn for qn in q_nums) for n in nums) or not nums and value in q:
            continue
        if units and not any(value.endswith(u) for u in units):
            continue
        return value
    if slot.unit_ask is not None:  # a counting slot
        for t in sorted((t for t in terms if len(t) >= 2), key=len, reverse=True):
            bare = re.search(re.escape(t) + r"\s*(?:共|有|达|为|约)?\s*(\d+)(?![\d.%年月日号万亿元])", text)
            if bare and not any(bare[1] in qn for qn in q_nums):
                return bare.group(0)
    return None


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

    @property
    def term_words(self) -> tuple[str, ...]:
        return tuple(t for t, _ in self.terms)


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
    return QuestionInfo(q, kind, bool(_NUMERIC.search(q)), cities, unknown, sorted(set(_YEAR.findall(without_ids(q)))),
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
    own: float = 0.0  # coverage by the sentence and its headings (coverage also counts its document's title, office…)


def record_line(info: QuestionInfo, m: dict[str, object]) -> str:
    """What a document's record says in answer: its 文号 when that is asked; who issued it and when, when the
    question asks about the letter itself ("是哪个单位答复的、哪天？"). "" when the record does not answer."""
    shape, title = info.answer_shape, f"《{m.get('title', '')}》"
    if shape is None:
        return ""
    if m.get("doc_number") and shape.search(str(m["doc_number"])):
        return f"{title}的文号为{m['doc_number']}"
    date = str(m.get("date", ""))
    if info.slot is not None and info.slot.slot in ("date", "person") and m.get("office") \
            and re.fullmatch(r"\d{4}-\d{2}-\d{2}", date) and _RECORD.search(info.text):
        line = f"{title}由{m['office']}于{doc_label(date)}答复"
        return line if shape.search(line) else ""
    return ""


def candidate_sentences(info: QuestionInfo, hits: list[Hit]) -> list[Candidate]:
    """Every sentence of every hit with an IDF-weighted term coverage and a score for ranking."""
    total = sum(w for _, w in info.terms) or 1.0
    top = max((h.score for h in hits), default=1.0) or 1.0
    out: list[Candidate] = []
    docs_seen: set[str] = set()
    for i, h in enumerate(hits):
        outline = h.meta.role == "outline"
        m = h.metadata
        about = normalize_text(" ".join(str(m.get(k, "")) for k in _ABOUT_KEYS))
        if m.get("doc_id") not in docs_seen and (line := record_line(info, m)):
            # a fact held by the document's record (its 文号, who issued it and when), not by a sentence of its text
            docs_seen.add(str(m.get("doc_id")))
            cov = sum(w for t, w in info.terms if t in f"{about} {normalize_text(line)}") / total
            out.append(Candidate(line, i, 0.5 + 0.8 * cov + 0.3 * (h.score / top), cov, True, False, False, -1, cov))
        title = re.sub(r"\s+", "", normalize_text(str(m.get("title", ""))))
        for s in split_sentences(h.text, "。!?;", flattened=True, min_chars=6):
            norm = normalize_text(s)
            if (_FRAME.search(norm) and not _DATED.search(norm)) or (title and re.sub(r"[\s。]+", "", norm) == title):
                continue  # the source letter's own frame (收悉, 现答复如下, thanks) or its title: not a fact
            context = f"{about} {norm}"
            local = f"{normalize_text(str(m.get('heading_path', '')))} {norm}"
            cov_own = sum(w for t, w in info.terms if t in local) / total
            cov = sum(w for t, w in info.terms if t in context) / total
            has_num = bool(re.search(r"\d", s))
            heading = outline or bool(re.match(r"^([一二三四五六七八九十]+、|\([一二三四五六七八九十]+\)|\d+\.)", s)) and len(s) < 50
            score = 0.45 * cov_own + 0.25 * cov + 0.3 * (h.score / top)
            if info.numeric and has_num:
                score += 0.15
            if info.slot is not None and slot_value(info.slot, info.text, norm, info.term_words):
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
            target = has_num and as_of(s, str(m.get("date", ""))).target
            out.append(Candidate(s, i, score, cov, has_num, target, heading, len(out), cov_own))
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
    return str(hit.meta.year or "") in info.years


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
        present = {str(h.meta.year or "") for h in hits} | {
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
        # a target (到2027年培育…家) does not answer what there is now (目前已经有多少家)
        with_slot = [c for c in cands if slot_value(info.slot, info.text, c.text, info.term_words)
                     and _same_year(info, c.text, hits[c.hit]) and not (info.wants_current and c.is_target)]
        # the value must sit where the question's subject is: a sentence about it, not a figure of the same document
        # on something else (4.27万亩 of the whole county for "毛家牛碑片区有多少亩"), nor another document's name
        rel = SLOT_SUBJECT_SHARE
        if (max((c.coverage for c in with_slot), default=0.0) < max(min_coverage, rel * best)
                or max((c.own for c in with_slot), default=0.0) < rel * max((c.own for c in cands), default=0.0)):
            said = max(cands, key=lambda c: c.coverage).text.strip()
            said = said if len(said) <= 60 else said[:60] + "…"
            return Scope(False, f"资料提到“{said}”，但没有给出所问的{info.slot.name}。", best)
    return Scope(True, "", best)

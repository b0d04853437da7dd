"""Figures (a number with a unit: 248家, 16.23%, 100万元) with what they measure, where and as of when, and the
series of one measure over time. Two figures measure the same thing when they share place, unit and subject
(the words before the number, compared as character bigrams); the word lists are the profile's [facts]."""

from __future__ import annotations

import re
from collections.abc import Sequence
from dataclasses import dataclass, field, replace
from functools import lru_cache
from typing import Any

from assistant.facts.dates import _PERIODS, AsOf, _figure_rx, _words, as_of
from core.places import gazetteer
from core.profile import profile
from core.text import normalize_text, split_sentences

_CLAUSE_END = re.compile(r"[,，;；:：、()（）]")


_CJK = re.compile(r"[\u4e00-\u9fff]")


# -- figures -------------------------------------------------------------------------------------------------
@dataclass(frozen=True)
class Figure:
    """One figure of one sentence, with what it measures and when it holds."""

    value: float
    text: str  # as written: "248家", "16.23%"
    unit: str
    subject: str  # the words before it that say what it counts
    place: str  # the most specific place (full name) the sentence or its document is about
    as_of: AsOf
    sentence: str
    start: int = 0  # position in the sentence
    meta: dict[str, Any] = field(default_factory=dict, compare=False, hash=False)

    @property
    def is_target(self) -> bool:
        return self.as_of.target

    def grams(self) -> frozenset[str]:
        return subject_grams(self.subject)


def _clean_subject(s: str) -> str:
    s = re.sub(r"(?:19|20)\d{2}\s*年(?:\s*\d{1,2}\s*月(?:\s*\d{1,2}\s*日)?)?", "", s)
    s = re.sub(r"[\d.%]+", "", s)
    for w in (*_words("facts", "this_year"), *_words("facts", "last_year"), *_PERIODS):
        s = s.replace(w, "")
    s = "".join(re.findall(r"[\u4e00-\u9fffA-Za-z]", s))
    gz = gazetteer()
    for m in sorted(gz.mentions(s, short=True), key=lambda m: -m.start):
        s = s[:m.start] + s[m.end:]
    return s


@lru_cache(maxsize=4096)
def subject_grams(subject: str) -> frozenset[str]:
    s = subject
    for w in _words("facts", "subject_stopwords"):
        if len(w) >= 2:
            s = s.replace(w, "|")
    chars = [c if c not in "".join(w for w in profile().words("facts", "subject_stopwords") if len(w) == 1) else "|"
             for c in s]
    s = "".join(chars)
    grams = {a + b for part in s.split("|") for a, b in zip(part, part[1:], strict=False)}
    return frozenset(grams)


def dice(a: frozenset[str] | set[str], b: frozenset[str] | set[str]) -> float:
    return 2 * len(a & b) / (len(a) + len(b)) if a and b else 0.0


def _number(raw: str, scale: str | None) -> float:
    v = float(raw.replace(",", ""))
    return v * (10000 if scale == "万" else 100000000 if scale == "亿" else 1)


def _place_of(sentence: str, meta: dict[str, Any]) -> str:
    gz = gazetteer()
    ms = [m for m in gz.mentions(sentence, short=True) if m.places]
    if ms:
        p = gz.resolve(ms[:1])
        if p is not None:
            return p.district or p.city or p.province
    return str(meta.get("place") or meta.get("district") or meta.get("city") or meta.get("province") or "")


def figures(sentence: str, meta: dict[str, Any] | None = None, doc_date: str = "") -> list[Figure]:
    """The figures of one sentence with unit, subject, place and as-of (the chunk's date when not given)."""
    meta = meta or {}
    doc_date = doc_date or str(meta.get("date") or meta.get("doc_date") or meta.get("year") or "")
    s = normalize_text(sentence)
    out: list[Figure] = []
    prev_subject = ""
    not_qty = tuple(profile().words("facts", "not_quantity_before"))
    for m in _figure_rx().finditer(s):
        if s[:m.start()].rstrip().endswith(not_qty):
            continue
        if re.match(r"\s*(年|月|日|号|〕|\])", s[m.end(1):]) and not m[4]:
            continue
        clause_start = max((x.end() for x in _CLAUSE_END.finditer(s, 0, m.start())), default=0)
        subject = _clean_subject(s[clause_start:m.start()])
        if len(subject_grams(subject)) < 2 and prev_subject:
            subject = prev_subject + subject  # 占全省的16.23%: the share of the figure before
        prev_subject = subject if len(subject_grams(subject)) >= 2 else prev_subject
        unit = ("万" if m[3] == "万" and m[4] == "元" else "亿" if m[3] == "亿" and m[4] == "元" else "") + m[4]
        unit = unit.replace("万万元", "万元")
        value = _number(m[1], m[3] if m[4] not in ("万元", "亿元") and not unit.endswith("元") else None)
        if unit in ("亿元",) and m[3] is None and m[4] == "亿元":
            value = float(m[1].replace(",", ""))
        # a place named in the figure's own clause (东莞31家企业); else the passage's place
        place = _place_of(s[clause_start:m.start()], meta)
        out.append(Figure(value, m.group(0).replace(" ", ""), _unit_key(unit), subject, place,
                          as_of(s, doc_date, m.start()), sentence.strip(), m.start(), dict(meta)))
    return out


def _unit_key(unit: str) -> str:
    """One key per unit family: 万元 and 亿元 and 元 compare as money (values kept as written)."""
    return unit


def same_measure(a: Figure, b: Figure, threshold: float | None = None) -> bool:
    """Same place, same unit, and subjects that share enough wording (measured on the subject's bigrams)."""
    if a.unit != b.unit:
        return False
    if a.place and b.place and a.place != b.place:
        return False
    la, lb = re.findall(r"[A-Za-z]+", a.subject), re.findall(r"[A-Za-z]+", b.subject)
    if la and lb and la != lb:
        return False  # A类人才 and B类人才 are two measures
    flow = profile().words("facts", "flow_words")
    if any((w in a.subject) != (w in b.subject) for w in flow):
        return False  # 新增 (this period's flow) and 累计 (a stock) are two measures
    t = float(profile().section("facts").get("same_subject", 0.6)) if threshold is None else threshold
    return dice(a.grams(), b.grams()) >= t


def sentences(text: str) -> list[str]:
    return split_sentences(text, min_chars=4)


def fragment_figures(fragment: str, passage: str, meta: dict[str, Any]) -> list[Figure]:
    """Figures of a sentence fragment (cut at ；) read within its whole sentence of the passage, so that a
    date stated at the head of the sentence (截至2025年2月底,…;…6420家) still dates the later figures."""
    frag = normalize_text(fragment).strip()
    text = normalize_text(passage)
    k = text.find(frag) if frag else -1
    if k < 0:
        return figures(fragment, meta)
    start = max(text.rfind(c, 0, k) for c in "。!?\n") + 1
    end = min((x for x in (text.find(c, k + len(frag)) for c in "。!?\n") if x >= 0), default=len(text))
    whole = text[start:end + 1]
    lo, hi = k - start, k - start + len(frag)
    return [replace(f, sentence=fragment.strip()) for f in figures(whole, meta) if lo <= f.start < hi]


def passage_figures(text: str, meta: dict[str, Any]) -> list[Figure]:
    out: list[Figure] = []
    for s in sentences(text):
        out += figures(s, meta)
    return out


def dated_label(f: Figure) -> str:
    """How a letter states when a figure holds: 截至2024年4月29日 / 2027年目标."""
    if f.as_of.target:
        return f"{f.as_of.year}年目标" if f.as_of.year else "目标"
    return f"截至{f.as_of.label}" if f.as_of.label else ""


# -- the newest figure -----------------------------------------------------------------------------------------
@dataclass
class Series:
    """Values of one measure over time, newest first (targets kept apart)."""

    figures: list[Figure]
    targets: list[Figure]

    @property
    def newest(self) -> Figure | None:
        return self.figures[0] if self.figures else None

    def for_year(self, year: str) -> Figure | None:
        return next((f for f in self.figures if f.as_of.year == year), None)

    def earlier(self, than: Figure) -> list[Figure]:
        seen = {than.value}
        out = []
        for f in self.figures:
            if f is than or f.value in seen or f.as_of.key >= than.as_of.key:
                continue
            seen.add(f.value)
            out.append(f)
        return out


def series_of(anchor: Figure, pool: Sequence[Figure]) -> Series:
    same = [f for f in pool if same_measure(anchor, f)]
    if anchor not in same:
        same.append(anchor)
    done = sorted((f for f in same if not f.is_target), key=lambda f: f.as_of.key, reverse=True)
    return Series(done, [f for f in same if f.is_target])


def choose(anchor: Figure, pool: Sequence[Figure], years: Sequence[str] = ()) -> tuple[Figure, list[Figure]]:
    """The figure to answer with for the measure of `anchor`: the named year's when a year is asked, else the
    newest; and the earlier values (each once, newest first) to list with their dates."""
    ser = series_of(anchor, pool)
    pick = next((f for y in years for f in [ser.for_year(y)] if f is not None), None) if years else None
    pick = pick or ser.newest or anchor
    return pick, ser.earlier(pick) if not years else []

"""Facts that stay true: the as-of date of every figure, the newest figure of a measure, superseded policies.

Pure functions over sentences and chunk metadata (the fields of `ingest.metadata.part_meta`); the word lists
are the domain profile's `[facts]` and `[supersede]` tables (`core/domain/wording.toml`).

A *figure* is a number with a unit (248家, 16.23%, 100万元). Its *as-of* is the date the sentence states for
it (截至2023年6月底, 2022年, 今年以来 → the document's year), else its document's date; a figure under a
target cue (到2027年…, 力争…) is a target with its year, never an achievement. Two figures measure the same
thing when they share place, unit and subject (the words before the number, compared as character bigrams).
"""

from __future__ import annotations

import re
from collections.abc import Callable, Iterable, Sequence
from dataclasses import dataclass, field, replace
from functools import lru_cache
from typing import Any

from core.places import gazetteer
from core.profile import profile
from core.text import normalize_text

_SENT = re.compile(r"[^。!?;！？；\n]+[。!?;！？；]?")
_CLAUSE_END = re.compile(r"[,，;；:：、()（）]")
_CJK = re.compile(r"[\u4e00-\u9fff]")


def _words(section: str, key: str) -> list[str]:
    return sorted(profile().words(section, key), key=len, reverse=True)


def _alt(words: Iterable[str]) -> str:
    return "|".join(re.escape(w) for w in sorted(set(words), key=len, reverse=True))


@lru_cache(maxsize=1)
def _figure_rx() -> re.Pattern[str]:
    units = _alt(profile().words("facts", "units"))
    return re.compile(rf"(?<![\d.])(\d+(?:,\d{{3}})*(?:\.\d+)?)\s*(余|多)?\s*(万|亿)?\s*({units})")


# -- dates ---------------------------------------------------------------------------------------------------
@dataclass(frozen=True)
class AsOf:
    """When a figure holds: `key` sorts (YYYY-MM-DD, the period's end), `label` is how a letter writes it."""

    key: str
    label: str
    stated: bool = False  # the sentence states it (else it is the document's date)
    target: bool = False  # a target or plan for that date, not an achievement

    @property
    def year(self) -> str:
        return self.key[:4]


_MONTH_END = {1: 31, 2: 28, 3: 31, 4: 30, 5: 31, 6: 30, 7: 31, 8: 31, 9: 30, 10: 31, 11: 30, 12: 31}
_PERIODS = {"一季度": 3, "第一季度": 3, "上半年": 6, "前三季度": 9, "三季度": 9, "第三季度": 9, "二季度": 6,
            "第二季度": 6, "四季度": 12, "下半年": 12, "全年": 12}
_DATE = re.compile(
    r"((?:19|20)\d{2})\s*年\s*(?:(\d{1,2})\s*月\s*(?:(\d{1,2})\s*日|(底|末|份|中旬|上旬|下旬))?"
    r"|(底|末|初|以来|度|上半年|下半年|前三季度|第?[一二三四]季度|全年))?")
_ISO = re.compile(r"^(\d{4})-(\d{2})-(\d{2})")


def doc_label(iso: str) -> str:
    """2024-04-29 → 2024年4月29日; 2024 → 2024年; "" stays ""."""
    if m := _ISO.match(iso):
        return f"{m[1]}年{int(m[2])}月{int(m[3])}日"
    return f"{iso[:4]}年" if iso[:4].isdigit() else ""


def _key(y: int, mo: int = 12, d: int = 0) -> str:
    return f"{y:04d}-{mo:02d}-{(d or _MONTH_END.get(mo, 30)):02d}"


def _doc_key(doc_date: str) -> str:
    if _ISO.match(doc_date):
        return doc_date[:10]
    return _key(int(doc_date[:4])) if doc_date[:4].isdigit() else ""


def _is_target(before: str, y_start: int, doc_year: str) -> bool:
    """The year at `y_start` is a target: 到2027年 (not 截至) for a year not before the document's."""
    prev = before[max(0, y_start - 3):y_start]
    if re.search(r"截[至止]\s*$", prev):
        return False
    later = not doc_year.isdigit() or before[y_start:y_start + 4] >= doc_year
    return later and any(prev.rstrip().endswith(w) for w in profile().words("facts", "target_year_before"))


def dates_in(sentence: str, doc_date: str) -> list[tuple[int, AsOf]]:
    """Every date expression of a sentence with its position: stated dates and relative ones (今年, 去年)."""
    s = normalize_text(sentence)
    out: list[tuple[int, AsOf]] = []
    for m in _DATE.finditer(s):
        y = int(m[1])
        target = _is_target(s, m.start(), doc_date[:4])
        if m[2]:
            mo = int(m[2])
            if not 1 <= mo <= 12:
                continue
            if m[3]:
                d = min(int(m[3]), _MONTH_END[mo] + (1 if mo == 2 else 0))
                out.append((m.start(), AsOf(_key(y, mo, d), f"{y}年{mo}月{int(m[3])}日", True, target)))
            else:
                suffix = "底" if m[4] in ("底", "末") else ""
                out.append((m.start(), AsOf(_key(y, mo), f"{y}年{mo}月{suffix}", True, target)))
        else:
            word = (m[5] or "").lstrip("第")
            mo = _PERIODS.get(word, _PERIODS.get("第" + word, 12))
            if word == "初":
                mo = 1
            label = f"{y}年{word if word in ('底', '末', '上半年', '下半年', '前三季度', '一季度', '二季度', '三季度', '四季度') else ''}"
            if word == "以来" and _ISO.match(doc_date) and doc_date[:4] == str(y):
                out.append((m.start(), AsOf(doc_date[:10], f"{y}年以来（至{doc_label(doc_date)}）", True, target)))
                continue
            out.append((m.start(), AsOf(_key(y, mo), label, True, target)))
    if doc_date[:4].isdigit():
        y = int(doc_date[:4])
        taken: list[tuple[int, int]] = []
        for words, delta in ((profile().words("facts", "this_year"), 0), (profile().words("facts", "last_year"), -1)):
            for w in sorted(words, key=len, reverse=True):
                if re.match(r"\d{4}", w):
                    continue
                for m in re.finditer(re.escape(w), s):
                    if any(a <= m.start() < b for a, b in taken) or any(a <= m.start() < a + 12 for a, _ in out):
                        continue
                    taken.append((m.start(), m.end()))
                    if delta == 0:
                        key = _doc_key(doc_date)
                        label = f"{y}年以来（至{doc_label(doc_date)}）" if "以来" in w else f"{y}年"
                        if "上半年" in w:
                            key, label = _key(y, 6), f"{y}年上半年"
                    else:
                        key, label = _key(y - 1), f"{y - 1}年"
                    out.append((m.start(), AsOf(key, label, True, _is_target(s, m.start(), doc_date[:4]))))
    if re.search(r"截[至止](目前|现在|今|发文)", s) and _doc_key(doc_date):
        pos = re.search(r"截[至止](目前|现在|今|发文)", s)
        assert pos is not None
        out.append((pos.start(), AsOf(_doc_key(doc_date), doc_label(doc_date), True, False)))
    out.sort(key=lambda x: x[0])
    return out


def as_of(sentence: str, doc_date: str, at: int | None = None) -> AsOf:
    """The as-of date of a figure at position `at` of a sentence (of its first figure when None): the nearest
    date the sentence states before it, else the first it states after, else the document's date."""
    s = normalize_text(sentence)
    found = dates_in(s, doc_date)
    if at is None:
        m = _figure_rx().search(s)
        at = m.start() if m else len(s)
    before = [d for pos, d in found if pos <= at]
    after = [d for pos, d in found if pos > at]
    target = _target_cue(s[:at])
    if before:
        d = before[-1]
        return AsOf(d.key, d.label, True, d.target or target)
    if after and not after[0].target:
        d = after[0]
        return AsOf(d.key, d.label, True, target)
    if after:
        return after[0]
    return AsOf(_doc_key(doc_date), doc_label(doc_date), False, target)


def dated_sentence(sentence: str, doc_date: str) -> str:
    """A sentence lifted into a letter says as of when its figure holds: "截至目前" becomes the source's date,
    and a total (累计, 共有… before its first figure) that states no date gets "截至<the source's date>，" in front. A target keeps
    its own year; a sentence without a figure, or a source without a date, is left as it is."""
    label = doc_label(doc_date)
    norm = normalize_text(sentence)
    first = _figure_rx().search(norm)
    if not label or first is None:
        return sentence
    now = re.search(r"截[至止](?:目前|现在|今)", sentence)
    if now:
        return sentence[: now.start()] + f"截至{label}" + sentence[now.end():]
    a = as_of(sentence, doc_date)
    if a.stated or a.target or re.match(r"^(?:截至|截止|到|至)", norm):
        return sentence
    if not any(w in norm[: first.start()] for w in profile().words("facts", "stock_cues")):
        return sentence  # a flow (下达资金6356万元) or a rule (最高200万元) is not "as of" anything
    return f"截至{label}，{sentence}"


def _target_cue(prefix: str) -> bool:
    # a cue in the same clause-run before the figure (力争培育…500家; 目标是…)
    tail = re.split(r"[。;；]", prefix)[-1]
    return any(w in tail for w in profile().words("facts", "target_cues"))


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
    return [m.group(0).strip() for m in _SENT.finditer(text) if len(m.group(0).strip()) >= 4]


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


# -- superseded policies ----------------------------------------------------------------------------------------
@dataclass(frozen=True)
class Supersession:
    doc_id: str  # the document replaced
    by_doc: str
    by_title: str
    by_date: str
    how: str  # 废止 / 修订


def _bare_title(title: str) -> str:
    t = normalize_text(title)
    t = re.sub(r"^.*?关于(?:印发|修订|发布|转发)?", "", t)
    t = re.sub(r"的通知$|的决定$", "", t)
    for w in profile().words("supersede", "revised_marks"):
        t = t.replace(w, "")
    t = re.sub(r"\((?:19|20)\d{2}[^)]*\)", "", t)
    return re.sub(r"[《》\s\"“”]", "", t)


def superseded(docs: Sequence[dict[str, Any]]) -> dict[str, Supersession]:
    """Documents replaced by a later one in the archive. `docs`: {doc_id, title, date, doc_number, text}.

    A later document replaces an earlier one when it names it (by 《title》 or 文号) next to a repeal word
    (同时废止, 停止执行), or when its title revises a document of the same name (…(修订), 关于修订《…》)."""
    verbs = _alt(profile().words("supersede", "verbs"))
    marks = profile().words("supersede", "revised_marks")
    out: dict[str, Supersession] = {}
    for new in docs:
        text = normalize_text(str(new.get("text", "")))
        title = normalize_text(str(new.get("title", "")))
        for old in docs:
            if old is new or old.get("doc_id") == new.get("doc_id"):
                continue
            if str(old.get("date", "")) and str(new.get("date", "")) and str(old["date"]) > str(new["date"]):
                continue
            otitle = _bare_title(str(old.get("title", "")))
            names = [n for n in (otitle, normalize_text(str(old.get("doc_number", "")))) if len(n) >= 6]
            how = ""
            for n in names:
                for m in re.finditer(re.escape(n), re.sub(r"[《》\"“”\s]", "", text)):
                    window = re.sub(r"[《》\"“”\s]", "", text)[m.end():m.end() + 40]
                    if re.search(verbs, window.split("。")[0]):
                        how = "废止"
                        break
                if how:
                    break
            if not how and otitle and _bare_title(title) == otitle and (
                    any(w in title for w in marks) or "修订" in title) and title != normalize_text(str(old.get("title"))):
                how = "修订"
            if how:
                prev = out.get(str(old["doc_id"]))
                if prev is None or str(new.get("date", "")) > prev.by_date:
                    out[str(old["doc_id"])] = Supersession(str(old["doc_id"]), str(new.get("doc_id", "")),
                                                           str(new.get("title", "")), str(new.get("date", "")), how)
    return out


def supersession_note(s: Supersession) -> str:
    when = doc_label(s.by_date)
    return f"已被《{s.by_title}》{'（' + when + '）' if when else ''}{'废止' if s.how == '废止' else '修订替代'}"


# -- the archive as documents (from the store or from parsed files) ----------------------------------------------
@dataclass
class ArchiveDoc:
    """One stored document: its metadata (of its reply part when it has one) and its passages."""

    doc_id: str
    meta: dict[str, Any]
    passages: list[tuple[str, dict[str, Any]]] = field(default_factory=list)  # (text, chunk metadata)

    @property
    def date(self) -> str:
        return str(self.meta.get("date") or "")

    @property
    def text(self) -> str:
        return "\n".join(t for t, _ in self.passages)

    def record(self) -> dict[str, Any]:
        return {"doc_id": self.doc_id, "title": self.meta.get("title", ""), "date": self.date,
                "doc_number": self.meta.get("doc_number", ""), "text": self.text}


def archive_docs(chunks: Iterable[tuple[str, dict[str, Any]]]) -> dict[str, ArchiveDoc]:
    """Group chunks (text, metadata) by document, outline passages left out (they repeat headings)."""
    docs: dict[str, ArchiveDoc] = {}
    for text, meta in chunks:
        if meta.get("role") == "outline":
            continue
        doc_id = str(meta.get("doc_id", ""))
        d = docs.setdefault(doc_id, ArchiveDoc(doc_id, dict(meta)))
        d.passages.append((text, meta))
        # the document is described by its reply part (dated, signed) rather than by the proposal it quotes
        if meta.get("kind") in ("reply", "co_handling", "implementation_plan", "notice") and meta.get("date") and (
                not d.meta.get("date") or d.meta.get("kind") not in ("reply", "co_handling")):
            d.meta = dict(meta)
    for d in docs.values():
        d.passages.sort(key=lambda p: int(p[1].get("chunk_index", 0)))
        if not d.meta.get("date"):
            dates = sorted(str(m.get("date")) for _, m in d.passages if m.get("date"))
            if dates:
                d.meta["date"] = dates[-1]
            elif d.meta.get("year"):
                d.meta["date"] = str(d.meta["year"])
    return docs


def store_chunks(store: Any) -> list[tuple[str, dict[str, Any]]]:
    out: list[tuple[str, dict[str, Any]]] = []
    for _ids, texts, metas in store.iter_chunks():
        out += list(zip(texts, metas, strict=True))
    return out


_NOTES: dict[tuple[int, str], dict[str, str]] = {}


def superseded_notes(store: Any) -> dict[str, str]:
    """doc_id → "已被《…》废止/修订替代" for the store's superseded documents (cached per store version)."""
    try:
        key = (id(store), str(store.version()))
    except Exception:  # a store that cannot say its version is read every time
        key = (id(store), "")
    if key not in _NOTES or not key[1]:
        docs = archive_docs(store_chunks(store))
        _NOTES.clear()
        _NOTES[key] = {k: supersession_note(v) for k, v in superseded([d.record() for d in docs.values()]).items()}
    return _NOTES[key]


# -- answers: the newest figure, dated ---------------------------------------------------------------------------
def _fig_terms_cover(f: Figure, terms: Sequence[tuple[str, float]]) -> float:
    return sum(w for t, w in terms if t in f.subject or t in f.sentence[:f.start])


def compose_dated(info: Any, chosen: list[Any], cands: list[Any], hits: list[Any], number_of: dict[str, int],
                  notes: dict[str, str] | None = None, compose: Callable[..., list[str]] | None = None) -> list[str]:
    """The offline composer's lines with facts that stay true: for a figure question the newest value of the
    measure (or the named year's) is quoted first, the earlier values listed after it with their dates; every
    quoted figure gets its as-of (【截至…】, a target its year) and a superseded source is marked.

    `info` is a `QuestionInfo`, `chosen` / `cands` `Candidate`s over `hits` (as in `assistant.generate`)."""
    if compose is None:
        from assistant.generate import compose_group

        compose = compose_group
    earlier: list[tuple[Figure, Any]] = []
    if getattr(info, "numeric", False) and chosen:
        owner: dict[int, Any] = {}
        pool: list[Figure] = []
        for c in cands:
            if not c.has_number:
                continue
            for f in fragment_figures(c.text, hits[c.hit].text, hits[c.hit].metadata):
                owner[id(f)] = c
                pool.append(f)
        first = [f for f in pool if owner[id(f)] is chosen[0] and not f.is_target]
        shape = getattr(info, "answer_shape", None)
        if shape is not None:
            first = [f for f in first if shape.search(f.text)] or first
        if first:
            anchor = max(first, key=lambda f: _fig_terms_cover(f, info.terms))
            pick, older = choose(anchor, [f for f in pool if not f.is_target], list(getattr(info, "years", [])))
            best = owner[id(pick)]
            same = {id(owner[id(f)]) for f in series_of(anchor, pool).figures}
            chosen = [best] + [c for c in chosen if c is not best and id(c) not in same]
            shown = {best.text}
            for f in older:
                c = owner[id(f)]
                if c.text not in shown:
                    shown.add(c.text)
                    earlier.append((f, c))
    lines = compose(chosen, hits, number_of)
    by_n = {number_of[h.id]: h for h in hits if h.id in number_of}
    out: list[str] = []
    for i, line in enumerate(lines):
        if line.startswith("【") and notes:
            nxt = next((x for x in lines[i + 1:] if x.startswith("- ")), "")
            m = re.search(r"\[(\d+)\]。?$", nxt)
            h = by_n.get(int(m[1])) if m else None
            note = notes.get(str(h.metadata.get("doc_id", ""))) if h is not None else None
            out.append(line[:-1] + f" · {note}】" if note else line)
            continue
        out.append(line + _as_of_trailer(line, by_n))
    if earlier:
        out.append("【此前的数据】")
        for _f, c in earlier:
            n = number_of.get(hits[c.hit].id)
            body = c.text.rstrip().rstrip("。;,；，:：")
            line = f"- {body}[{n}]。"
            out.append(line + _as_of_trailer(line, by_n))
    return out


def _as_of_trailer(line: str, by_n: dict[int, Any]) -> str:
    """【截至…】 after a quoted sentence with a count, amount or share whose date it does not state itself."""
    m = re.search(r"\[(\d+)\]。?$", line)
    if not line.startswith("- ") or not m or int(m[1]) not in by_n:
        return ""
    hit = by_n[int(m[1])]
    figs = fragment_figures(line[2:m.start()], hit.text, hit.metadata)
    if not figs:
        return ""
    f = figs[0]
    if f.is_target:
        return f"【{f.as_of.year}年目标】" if f.as_of.stated and f.as_of.year not in line else ""
    if not f.as_of.label or (f.as_of.stated and f.as_of.label.split("（")[0] in normalize_text(line)):
        return ""
    return f"【截至{f.as_of.label}】"

"""Read a question (kind, places, years, key terms) and decide whether the retrieved passages answer it."""

from __future__ import annotations

import re
from dataclasses import dataclass, replace
from functools import lru_cache
from typing import Literal

from assistant.answers.constraints import (
    CLAUSE as _CLAUSE,
)
from assistant.answers.constraints import (
    KIND_ENDINGS as _KIND_ENDINGS,
)
from assistant.answers.constraints import (
    SELF_SAID,
    STOCK_WORDS,
    author,
    below,
    clause_before,
    counts_after,
    ends_clause,
    ends_in_noun,
    flow_or_stock,
    is_from,
    kind_clash,
    level_miss,
    level_unstated,
    measure_miss,
    month_miss,
    named_otherwise,
    noun_words,
    nouns,
    only_verbs,
    outcome_miss,
    part_of,
    per_item_miss,
    place_forms,
    rate_miss,
    reach,
    role_miss,
    said_of,
    self_word,
    sentence_before,
    speaker,
    target_after,
    target_before,
    without_places,
)
from assistant.answers.constraints import (
    bigrams as _bigrams,
)
from assistant.facts.dates import as_of
from assistant.retrieval.hybrid import Hit, office_mentions, office_words
from assistant.retrieval.lexical import LexicalIndex, tokenize
from core.places import gazetteer, named_places
from core.profile import profile
from core.text import arabic_years, doc_label, normalize_text, split_sentences

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
_HANDLING = re.compile("|".join(_P.words("questions", "handling_words")))
_HANDLING_ASK = re.compile(_P.data["questions"]["handling_ask"])
_YEAR = re.compile(r"(20\d\d)\s*年?")  # in a question: "2023东莞…" names a year
_STATED_YEAR = re.compile(r"(20\d\d)\s*年")  # in a sentence a year says 年: "2040家" is a count
_HANDLED_COUNT = re.compile(r"(?:多少|几)\s*件|(?:建议|提案|议案)[^？?，,]{0,6}(?:数量|多少|几)")  # a count of 件 handled
_RELATIVE_YEARS = {"前年": -2, "去年": -1, "上年": -1, "今年": 0, "本年": 0}  # counted from the letter's year
_CUE_WORDS = {w for key in ("current", "compare", "list", "numeric", "fact") for w in _P.words("questions", key)}
# what a passage is about, besides its own words: the question may name the document, not the fact
_ABOUT_KEYS = ("heading_path", "title", "proposer", "number", "doc_number", "office", "proposal_title", "addressee")
NEAR_SHARE = 0.85  # a value meeting every constraint must cover this share of what a near-miss value's sentence covers
TOPIC_REFUSED = 3  # so many unsaid: the letters speak of something else (职业技能, 技术, 电商 for 学校向农民开放…)
TOPIC_UNSAID = 2  # nouns of what a question asks about that its letters never say, at which the answer is flagged
MEASURE_WEIGHT = 0.34  # IDF-weighted share of the question's words in what it counts that the value's sentence must hold
MEASURE_SHARE = 0.3  # share of what a counting question counts (its bigrams) that the value's sentence must hold
TITLE_SHARE = 0.5  # share of a named document's words (bigrams) a retrieved document's title must hold to be it
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
    which: bool = False  # its cue holds a which-word (哪几个乡镇): read before which-words are read out


def slots() -> list[Slot]:
    return [Slot(str(x["slot"]), str(x["name"]), tuple(x["cues"]), re.compile(x["answer"]),
                 re.compile(x["cue_pattern"]) if x.get("cue_pattern") else None,
                 re.compile(x["unit_ask"]) if x.get("unit_ask") else None, bool(x.get("which")))
            for x in _P.data["questions"]["slots"]]


_SLOTS = slots()


_Q = _P.data["questions"]
_FLOW_ASKS = tuple(_P.words("questions", "flow_asks"))
_STOCK_ASKS = tuple(_P.words("questions", "stock_asks"))
_ACTUAL_ASKS = tuple(_P.words("questions", "actual_asks"))
_ACTUAL_DONE = re.compile(_P.data["questions"]["actual_done"])
_PERIOD = re.compile(_P.data["questions"]["plan_period"])
_BATCH = re.compile(_P.data["questions"]["batch"])
_PARKS = tuple(_Q["sub_place"]["parks"])
_FUNCTION_END = re.compile(r"[的在和与及对把将从向给为是有要]$")  # no name ends in a preposition or particle
_SUB_SUFFIXES = "|".join((*_PARKS, *_Q["sub_place"]["suffixes"]))
_SUB_PLACE = re.compile(_Q["sub_place"]["pattern"].replace("{suffixes}", _SUB_SUFFIXES))
_NOT_SUB_PLACES = tuple(_Q["sub_place"]["not_places"])
_STAGE_CUES = tuple(_Q["stage"]["cues"])
_DONE_VERBS = [tuple(g) for g in _Q["done_verbs"]]
_NOT_YET = re.compile(_Q["done_not_yet"])
_ACKNOWLEDGES = re.compile(_Q["acknowledges"])  # a letter's sentence saying which proposal it answers
_STAGE = re.compile(_Q["stage"]["answer"])
_THRESHOLD = re.compile(_Q["threshold"]["after"])
_COUNTED_CUE = next(x["counted_cue"] for x in _Q["slots"] if x.get("counted_cue"))

_WHICH = re.compile("(?:" + "|".join(map(re.escape, _P.words("questions", "which"))) + r")\s*[^\s，,。？?]?")
_SAME_UNITS = [set(g) for g in _P.data["questions"]["same_units"]]
_ASPECT = _Q["aspect"]
_ASKED = [*(re.compile(_ASPECT[k] + r"([\u4e00-\u9fff]{2,12}?)(?:[？?，,；;。]|$)") for k in ("which", "how")),
          re.compile(_ASPECT["before"])]
_CLAUSE_WORDS = re.compile(_ASPECT["clause"])
_GENERIC = re.compile("|".join(sorted(map(re.escape, _ASPECT["generic"]), key=len, reverse=True)))


def asked_slot(q: str) -> Slot | None:
    """The slot a question asks for, by its cue words or patterns (the first slot of the profile that matches).

    "哪几个阶段" asks which ones, not how many: those words are read out before the cues are.
    """
    bare = _WHICH.sub(" ", q)
    return next((s for s in _SLOTS if any(c in bare for c in s.cues)
                 or (s.cue_pattern and s.cue_pattern.search(q if s.which else bare))), None)


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


def asked_verbs(question: str) -> list[str]:
    """The verbs of the stage a question asks about, with the others of their group (`done_verbs`): 建成 and 投用
    ask 建成, 竣工, 完工, 投用, 投入使用."""
    return [v for group in _DONE_VERBS if any(v in question for v in group) for v in group]


def slot_values(slot: Slot, question: str, sentence: str, terms: tuple[str, ...] = ()) -> list[tuple[str, int]]:
    """Every value a sentence gives for the slot a question asks, with where it stands in the (normalised) sentence.

    Not a value: what the question itself says (第一批 does not answer "第一批有多少家", 教育部 does not answer
    "教育部答复的建议是谁提的", "…庆丰社区日间照料中心" does not answer who built 庆丰社区日间照料中心), nor a number in another unit than the one asked ("几所" is not answered by "两个规划";
    名 and 人 count the same). A count written without its unit right after what it counts ("地埋式垃圾箱65,") is
    a value when `terms` (the question's key terms) name what it counts; one followed by a word has its unit
    ("诉求22225条"). "什么时候" is answered by a stage or a condition too ("待相关条件成熟后", "正在进行招标") when
    the sentence gives no date.
    """
    q, q_nums, units = _asked(slot, question)
    text = normalize_text(sentence)
    if slot.slot == "done":  # a stage reached: said with the verb asked or one of its group
        verbs = asked_verbs(q)
        return [(m.group(0), m.start()) for m in slot.answer.finditer(text) if any(v in m.group(0) for v in verbs)]
    out: list[tuple[str, int]] = []
    for m in slot.answer.finditer(text):
        value = re.sub(r"\s+", "", m.group(0))
        nums = _NUMERAL.findall(value)
        # a number the question states itself (第一批, 6092号) is no answer; whole numbers: 20 is not found in 2025
        if nums and all(n in q_nums for n in nums) or not nums and (value in q or len(value) >= 6 and value[-4:] in q):
            continue  # (a body ending like the one the question asks about is that one: "…庆丰社区日间照料中心")
        if units and not any(value.endswith(u) for u in units):
            continue
        out.append((value, m.start()))
    if not out and slot.unit_ask is not None:  # a counting slot
        for t in sorted((t for t in terms if len(t) >= 2), key=len, reverse=True):
            bare = re.search(re.escape(t) + r"\s*(?:共|有|达|为|约)?\s*(\d+)(?![\d.%]|\s*[\u4e00-\u9fff])", text)
            if bare and bare[1] not in q_nums:
                out.append((bare.group(0), bare.start(1)))
                break
    if not out and slot.slot == "date" and any(c in q for c in _STAGE_CUES) and not _ACTUAL_DONE.search(q):
        # (a stage answers when a thing will be done, never when it was: "什么时候建成投用的")
        out += [(m.group(0), m.start()) for m in _STAGE.finditer(text)]
    return out


def slot_value(slot: Slot, question: str, sentence: str, terms: tuple[str, ...] = ()) -> str | None:
    """The first value a sentence gives for the slot a question asks (see `slot_values`), or None."""
    found = slot_values(slot, question, sentence, terms)
    return found[0][0] if found else None


def _occurrences(text: str, word: str) -> list[int]:
    return [m.start() for m in re.finditer(re.escape(word), text)]


def sub_places(question: str) -> list[str]:
    """Places below the county a question names (湾塘乡, 严家坪村, 庆丰社区), read by the profile's pattern with the
    county-level and higher places taken out first; ordinary words that end like one (农村, 城乡) are not places."""
    q = normalize_text(question)
    for m in sorted(gazetteer().mentions(q, short=True), key=lambda m: -m.start):
        q = q[:m.start] + " " + q[m.end:]
    out = []
    for x in _SUB_PLACE.finditer(q):
        suffix = x[0][len(x[1]):]
        cut = x.end() - len(suffix)
        if x[1].endswith(_NOT_SUB_PLACES) or any(
                i < x.end() and i + len(w) > cut for w in _NOT_SUB_PLACES for i in _occurrences(q, w)):
            continue  # 农村 in 利用农村, 城乡居民: an ordinary word, not a place
        if suffix in _PARKS and (_FUNCTION_END.search(x[1]) or only_verbs(x[1])):
            continue  # a park is named by a name (青云工业园区), not by the words before it (为什么要对开发区, 有没有出台工业园区)
        # a stem read at its longest may be the tail of a longer name: it begins where the run of its characters does
        # (毛家牛碑小河边片区, not 碑小河边片区)
        head = re.search(r"[^\s\W的在和与及对把将从向给为是有]{0,6}$", q[:x.start()]) if len(x[1]) >= 4 else None
        out.append((head[0] if head else "") + x[0])
    return out


def asked_aspect(question: str) -> tuple[str, tuple[str, ...]]:
    """What a list or account question asks about, and its words, its head last: the words its interrogative
    governs; ("", ()) when they say nothing of their own or make a clause (`questions.aspect`)."""
    q = normalize_text(question)
    for found in (m.group(1) for pat in _ASKED for m in pat.finditer(q) if not _CLAUSE_WORDS.search(m.group(1))):
        phrase = found.rstrip("的了呢")
        tail = phrase.rsplit("的", 1)[-1]  # 城市的打分细则: what is asked is after the last 的
        phrase = tail if len(tail) >= 2 else phrase
        words = tuple(dict.fromkeys(t for t in tokenize(_GENERIC.sub(" ", phrase)) if len(t) > 1))
        if words:
            return phrase, words
    return "", ()


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
    flow: bool = False  # asks for a flow of one period (新增…)
    stock: bool = False  # asks for a stock (累计, 一共…)
    actual: bool = False  # asks what has been done (实际, 已经…), not what is planned
    sub_places: tuple[str, ...] = ()  # places below the county it names (湾塘乡)
    aspect: str = ""  # what a list or account question asks about (处罚措施), "" when it names nothing of its own
    aspect_words: tuple[tuple[str, float], ...] = ()  # its words and their weight, its head last
    offices: tuple[str, ...] = ()  # the offices it names, short or full (工信厅, 市财政局's 财政局)

    @property
    def figure(self) -> bool:
        """Whether it asks a figure (an amount, a count or a share)."""
        return self.slot is not None and self.slot.slot in _FIGURE_SLOTS

    @property
    def term_words(self) -> tuple[str, ...]:
        return tuple(t for t, _ in self.terms)


def answer_shape(q: str) -> re.Pattern[str] | None:
    slot = asked_slot(q)
    return slot.answer if slot else None


def analyze(question: str, store_places: list[str], lex: LexicalIndex) -> QuestionInfo:
    """Kind, places (stored and not), years, weighted key terms, and the slot a question asks for."""
    q = arabic_years(normalize_text(question))
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
    aspect, words = asked_aspect(q) if slot is None else ("", ())
    # a word of the aspect the documents never use weighs as much as the question's average known word: the archive
    # not saying it is what the aspect check reads
    known = [w for w in seen.values() if w > 0]
    mean = sum(known) / len(known) if known else 0.0
    weights = tuple((t, seen.get(t) or mean) for t in words
                    if t in seen or not any(t in p for p in place_words) and t not in _CUE_WORDS)
    # "哪几个方面" asks which ones, not how many: read without its which-words
    return QuestionInfo(q, kind, bool(_NUMERIC.search(_WHICH.sub(" ", q))), cities, unknown, sorted(set(_YEAR.findall(without_ids(q)))),
                        list(seen.items()), bool(_CURRENT.search(q)), slot.answer if slot else None,
                        bool(_TITLES.search(q)), slot, any(w in q for w in _FLOW_ASKS), any(w in q for w in _STOCK_ASKS),
                        any(w in q for w in _ACTUAL_ASKS) or bool(_ACTUAL_DONE.search(q)), tuple(sub_places(q)),
                        aspect, weights, tuple(office_mentions(q)))


_PART = re.compile(r"[？?；;]")


def further_asks(info: QuestionInfo) -> list[QuestionInfo]:
    """A question of several parts asks what each part asks ("覆盖了几个乡镇？具体是哪几个乡镇？"): the question read
    with each further slot one of its parts asks, so that every part is decided, not only the first slot found."""
    parts = [p for p in _PART.split(info.text) if p.strip()]
    out: list[QuestionInfo] = []
    seen = {info.slot.slot if info.slot else ""}
    for part in parts if len(parts) > 1 else ():
        slot = asked_slot(part)
        if slot is not None and slot.slot not in seen:
            seen.add(slot.slot)
            out.append(replace(info, slot=slot, answer_shape=slot.answer,
                               numeric=bool(_NUMERIC.search(_WHICH.sub(" ", part)))))
    return out


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
    gives: str = ""  # the asked value it gives that meets every constraint of the question ("" when none does)
    near: str = ""  # when it gives a value that misses one: what that value is instead (2022年的数字, 目标…)
    names_section: bool = False  # the heading of the passage's own section ("一、基本情况"), not an item of it


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


_FIGURE_SLOTS = ("amount", "count", "share")
_WHO_SLOTS = ("name", "person", "phone")  # who, or how to reach them
_OFFICE_NAMED = re.compile(_Q["office_named"])
_PLAN = _Q["plan_figures"]
_PLAN_REACHED = re.compile(_PLAN["reached"])


def value_miss(info: QuestionInfo, sentence: str, hit: Hit, at: int) -> str:
    """What keeps the value at `at` of a sentence from answering the question ("" when nothing does): each
    constraint the question sets — its year, actual vs target, flow vs stock (新增 vs 累计), a place below the
    county, and for a figure the place at the asked level (a county's figure does not answer for its city)."""
    s = sentence
    m = hit.metadata
    if info.years:
        # the years stated up to the end of the value's clause: a year only after it belongs to another figure
        # ("全市已建成5G基站4800座,力争2025年达到8000座": 2025 is the target's year, not 4800's)
        # a reason: its sentence's years are its own ("为解决…问题,2020年4月,…印发了方案")
        upto = None if info.slot is not None and info.slot.slot == "reason" else _CLAUSE.search(s, at)
        window = s[:upto.start() if upto else len(s)]
        stated = set(_STATED_YEAR.findall(without_ids(window)))
        if hit.meta.year:  # 去年 in a 2023 letter is 2022
            stated |= {str(hit.meta.year + d) for w, d in _RELATIVE_YEARS.items() if w in window}
        if not stated:  # the year its paragraph states before it ("2022年,…。…全年技改投资完成24.8亿元")
            text = normalize_text(hit.text)
            k = text.find(s[:20])
            before = without_ids(text[text.rfind("\n", 0, k) + 1:k]) if k > 0 else ""
            stated = set(_STATED_YEAR.findall(before)[-1:])
        if stated and not stated & set(info.years):
            return "、".join(sorted(y + "年" for y in stated)) + "的数字"
        # else the document's year: its date, or the year its title names (济南市市中区商务局2025年…办理总体情况)
        doc_years = {str(hit.meta.year)} if hit.meta.year else set(_YEAR.findall(without_ids(str(m.get("title", "")))))
        if not stated and not doc_years & set(info.years):
            return f"{hit.meta.year}年文档中的数字" if hit.meta.year else "未注明年份的数字"
    if info.figure and (month := month_miss(info.text, s, at)):
        return month
    if (info.wants_current or info.actual) and info.figure \
            and (as_of(s, str(m.get("date", "")), at).target or target_after(s, at)):
        return "计划或目标，不是已完成的数字"
    if (info.wants_current or info.actual) and info.figure and m.get("kind") in _PLAN["kinds"] \
            and not _PLAN_REACHED.search(s[:at]):
        return "计划或目标，不是已完成的数字"  # a plan's figure is its target unless said reached
    if info.actual and info.slot is not None and info.slot.slot == "date" and target_before(s, at):
        return "预计或计划的时间，不是已完成的时间"
    if info.actual and info.slot is not None and info.slot.slot == "date" and (verbs := asked_verbs(info.text)) \
            and not any(v in s for v in verbs):
        return "另一件事的时间"  # "2024年申报了…日间照料中心项目" is not when it was 建成投用
    if info.slot is not None and info.slot.slot == "done" and _NOT_YET.search(part_of(s, at)):
        return "计划或预计的事，不是已经完成的"
    if info.slot is not None and info.slot.slot not in _FIGURE_SLOTS and _KIND_ENDINGS and any(
            kind_clash(p, reach(s, at), 4) for p in _kind_phrases(info.text)):
        return "另一类对象的时间或名称"  # "专精特新中小企业申报截止日期" is not "创新型中小企业的申报截止日期"
    if (level := level_miss(info.text, reach(s, at))):
        return level
    flow, stock = flow_or_stock(s, at)
    if info.flow and not info.stock and stock and not flow:
        return "累计数，不是新增数"
    if info.stock and not info.flow and flow and not stock:
        return "新增数，不是累计数"
    fig = info.slot if info.figure else None  # the slot of a figure (amount, count, share)
    figure = fig is not None
    if fig is not None and (outcome := outcome_miss(info.text, s, at, fig.slot == "count")):
        return outcome
    if fig is not None and fig.slot == "share" and (rate := rate_miss(info.text, reach(s, at))):
        return rate
    mv = fig.answer.match(s, at) if fig is not None else None
    if mv and _THRESHOLD.match(s[mv.end():]):
        return "条件或门槛，不是所问的数字"
    if mv and fig is not None and fig.slot == "amount" and (each := per_item_miss(info.text, s, at, mv.end())):
        return each
    if fig is not None and fig.slot == "amount" and measure_miss(info.text, part_of(s, at, whole=True)):
        return "另一项指标的数字"
    if info.slot is not None and info.slot.unit_ask is not None and (counted := _counted(info))[0]:
        # what is counted: the question's noun phrase ("多少家中小企业完成了数字化改造") must be what the value's sentence
        # counts up to the value's clause (遴选122家平台, 完成技术适配150多家 count something else); words before the
        # cue ("黄丘旧址那件提案一共提了几条") may name the document: its title and headings count for them
        phrase, named_before = counted
        end = _CLAUSE.search(s, at)
        about = " ".join(str(m.get(k, "")) for k in _ABOUT_KEYS) if named_before else ""
        said = s[:end.start() if end else len(s)] + " " + normalize_text(about)
        if not phrase & _bigrams(said) and ends_clause(s, at, info.slot.answer):
            # "2024年共承办52件,…": a bare count counts what its paragraph's sentence before it named
            said += " " + sentence_before(normalize_text(hit.text), s)
        words = [(t, w) for t, w in info.terms if len(t) >= 2 and _bigrams(t) and _bigrams(t) <= phrase]
        # a count ending its clause counts what its clause names: in "…全年新增高新技术企业5家,科技型中小企业67家" 67家
        # does not count 高新技术企业
        own = clause_before(s, at)
        # a count followed by a noun counts that noun: one that is not what the question counts is something else
        # ("精准动员5800家重点目标企业" is no count of 高企, though both are 企业)
        named = counts_after(s, mv.end()) if mv else ""
        if not _measures(phrase, words, said) or other_kind(info.text, s[:end.start() if end else len(s)]) \
                or named and (not _bigrams(named) & _bigrams(info.text)
                              or not _measures(phrase, words, named) and not _measures(phrase, words, own)) \
                or not named_before and ends_clause(s, at, info.slot.answer) \
                and ends_in_noun(own) and not _measures(phrase, words, own):
            return "另一项指标的数字"
    if figure and _HANDLED_COUNT.search(info.text) \
            and (role := role_miss(info.text, s, at)):
        return role  # counts of suggestions and proposals handled (件), not anything a 会办意见 cites
    # a document whose title or heading names the place is about it throughout ("关于支持马龙工业园区…的提案": "园区")
    path = normalize_text(f"{m.get('title', '')} {m.get('heading_path', '')}")
    passage = normalize_text(hit.text)
    for sp in info.sub_places:  # a figure is the place's when said of it; anything else when its sentence names it
        stem = re.sub(f"(?:{_SUB_SUFFIXES})$", "", sp)[-2:]
        if not (said_of(s, at, {stem}, passage) if figure else stem in s) and stem not in path:
            return f"不是{sp}的{'数字' if figure else '内容'}"
    for name in info.unknown_places if figure else ():  # a county with no document of its own, inside this one's place
        forms = place_forms(name)
        if below(name, hit) and not said_of(s, at, forms, passage) and not any(f in path for f in forms):
            return f"{hit.meta.place or hit.meta.city}的数字，不是{name}的"
    # the letter's own office (我单位, 我局) in the value's part is not another office the question names: "其中涉及
    # 我单位1条" in 文旅局's letter does not count what concerns 住建局
    offices = info.offices
    if offices and SELF_SAID.search(part_of(s, at, whole=True)) and author(hit) \
            and not any(is_from(o, hit) for o in offices):
        return f"{author(hit)}自己的{info.slot.name if info.slot else '内容'}，不是{offices[0]}的"
    # a person of the office the question names ("会办的市财政局，联系人是谁"): said of it, or in its own letter naming
    # no other office ("省财政厅工贸发展处陈一凡" in a joint notice is not 工信厅's contact; a letter with no office on
    # record may be its own)
    for office in offices if info.slot is not None and info.slot.slot in _WHO_SLOTS else ():
        if any(f in s for f in office_words(office)):
            continue
        if office_mentions(s) or _OFFICE_NAMED.search(s) or author(hit) and not is_from(office, hit):
            return f"不是{office}的人员"
    # a county's letter gives its figures and names its bodies for the county, not for the city asked, unless the
    # sentence names the place asked. Left out: a date (a county's letter gives its city's programme dates too) and
    # a city's letter for its province (the blind held6 aggregate lost an answer to it, and no set gained).
    district = str(m.get("district") or "")
    for name in info.cities if district and (figure or info.slot is not None and info.slot.slot == "person") else ():
        places = gazetteer().lookup(name)
        if not places or any(p.level >= 3 for p in places):
            continue
        if any(f in info.text for f in place_forms(district)) or any(f in s for f in place_forms(name)):
            continue
        return f"{district}的{'数字' if figure else '内容'}，不是{name}的"
    # a name the question quotes (“浙江专精特新板”) is what it asks of: the value's sentence, the one it goes on from,
    # or its document's title or headings say it
    flat = re.sub(r"\s+", "", f"{sentence_before(passage, s)} {s} {path}")
    # and a figure whose own part quotes another name counts that one ("新增市“未来工厂”培育企业147家" is no count of
    # “智能工厂”, though the sentence before names it)
    own_quotes = [re.sub(r"\s+", "", n) for n in _QUOTED.findall(part_of(s, at))] if figure else []
    for name in quoted_names(info.text):
        if name not in flat or own_quotes and not any(name in q or q in name for q in own_quotes):
            return f"不是“{name}”的{'数字' if figure else '内容'}"
    return level_unstated(info.text, s) if figure else ""


def _measures(phrase: frozenset[str], words: list[tuple[str, float]], said: str) -> bool:
    """Whether `said` names what a figure question measures: a share of its phrase's bigrams, and the question's
    words in that phrase by weight (IDF) — "科技领军企业" shares 科技 and 企业 with "科技型中小企业", not 领军, which
    weighs most."""
    weight = sum(w for _, w in words)
    return len(phrase & _bigrams(said)) >= MEASURE_SHARE * len(phrase) \
        and not (weight and sum(w for t, w in words if t in said) < MEASURE_WEIGHT * weight)


def other_kind(question: str, clause: str) -> bool:
    """Whether the sentence counts another kind of what the question counts: the longest tail of the question's
    counted phrase found in the sentence ("中小企业") follows a kind word there ("创新型") while the question's own
    kind ("专精特新") is not in the sentence. Kind words are the profile's (`kind_endings`)."""
    slot = asked_slot(question)
    if slot is None or slot.unit_ask is None or not _KIND_ENDINGS:
        return False
    m = _count_cue(slot.unit_ask).search(_WHICH.sub(" ", question))
    if m is None:
        return False
    after = re.split(r"[，,。？?；;、！!\s]", question[m.end():])[0]
    return kind_clash(after, clause)


@lru_cache(maxsize=256)
def _counted_phrase(question: str, unit_ask: re.Pattern[str]) -> tuple[frozenset[str], bool]:
    """The bigrams of what a counting question counts: the words after "多少家" to the end of its clause, else the
    words before it in its clause (places, years and the question's own cue words left out)."""
    q = _WHICH.sub(" ", question)
    m = unit_ask.search(q)
    if m is None:
        return frozenset(), False
    after = re.split(r"[，,。？?；;、！!]", q[m.end():])[0]
    clauses = re.split(r"[，,。？?；;、！!]", q[:m.start()])
    named_before = len(re.sub(r"[^\u4e00-\u9fff]", "", after)) < 2 or only_verbs(after)  # "压到多少个": before
    # named before, what is counted is the clause's head, after its last 的 ("养老机构的床位总数是多少": 床位)
    head = clauses[-1].rsplit("的", 1)[-1] if "的" in clauses[-1] else ""
    phrase = _bare_phrase((head if len(head) >= 2 else clauses[-1]) if named_before else after)
    if named_before and len(_bigrams(phrase)) < (1 if head else 2):  # "…标杆企业中，杭州占了几家": the clause before
        # names it; of the clauses before, their nouns ("想了解下人才绿卡的情况，累计发了多少张": 人才绿卡)
        phrase = nouns(_bare_phrase("".join(clauses)))
    return _bigrams(phrase), named_before


@lru_cache(maxsize=8)
def _count_cue(unit_ask: re.Pattern[str]) -> re.Pattern[str]:
    """Where a counting question's cue stands: its unit, or 个, which the unit reader leaves open (any unit)."""
    return re.compile(f"{unit_ask.pattern}|{_COUNTED_CUE}")


def _bare_phrase(phrase: str) -> str:
    """A question's words without its places, cue words and years."""
    phrase = without_places(phrase, " ")
    for w in sorted(_CUE_WORDS | set(_STOCK_ASKS) | set(_FLOW_ASKS), key=len, reverse=True):
        phrase = phrase.replace(w, " ")
    return re.sub(r"\d+\s*[年家个]?", " ", phrase)


def _counted(info: QuestionInfo) -> tuple[frozenset[str], bool]:
    if info.slot is None or info.slot.unit_ask is None:
        return frozenset(), False
    return _counted_phrase(info.text, _count_cue(info.slot.unit_ask))


_SELF_DEFAULT = str(_P.section("compose").get("self_subject_default", "我单位"))
_OFFICE_END = re.compile("|".join(suffix for suffix, _ in _P.section("compose").get("self_subjects", [])))
_WHO_CACHE: dict[tuple[str, str], str] = {}


def _office_asked(question: str, hit: Hit) -> str:
    """How the question names the passage's office ("文旅局" for 台儿庄区文化和旅游局), "" when it does not."""
    key = (question, hit.meta.doc_id)
    if key not in _WHO_CACHE:
        q = normalize_text(question)
        spans = (q[s:m.end()] for m in _OFFICE_END.finditer(q) for s in range(max(0, m.end() - 14), m.start()))
        if len(_WHO_CACHE) > 1024:
            _WHO_CACHE.clear()
        _WHO_CACHE[key] = next((w for w in spans if re.fullmatch(r"[\u4e00-\u9fff]+", w) and is_from(w, hit)), "")
    return _WHO_CACHE[key]


def speaking_as(question: str, sentence: str, hit: Hit) -> str:
    """The sentence with its office's names for itself (我局, 我单位) read as the question names that office, without
    its place: "涉及我单位1条" in 台儿庄区文旅局's letter counts what "几条归文旅局办" asks."""
    if not hit.meta.office or not (who := _office_asked(question, hit)):
        return sentence
    places = gazetteer().mentions(who, short=True)
    who = who[places[-1].end:] if places else who  # the office, not its place: 我厅 says nothing of a level
    for word in {self_word(hit.meta.office), _SELF_DEFAULT} - {""}:
        sentence = sentence.replace(word, who)
    return sentence


def answer_value(info: QuestionInfo, sentence: str, hit: Hit) -> tuple[str, str]:
    """(the asked value a sentence gives that meets every constraint, or ""; what a value it gives is instead
    when none does, or "")."""
    if info.slot is None:
        return "", ""
    norm = normalize_text(sentence)
    misses, found = [], []
    # as written first (its passage's checks read it there), then with 我局 read as the office the question names
    for said in dict.fromkeys((norm, speaking_as(info.text, norm, hit))):
        found = slot_values(info.slot, info.text, said, info.term_words)
        for value, at in found:
            miss = value_miss(info, said, hit, at)
            if not miss:
                return value, ""
            misses.append(miss)
    if not found and (kind := _WHICH_ONE.search(info.text)) and kind[1] in normalize_text(sentence):
        misses.append(f"只说“{kind[1]}”，没有写明是哪一家")  # "哪家公交公司" and "由公交公司制定了…"
    return "", misses[0] if misses else ""


_WHICH_ONE = re.compile(_Q["which_one"])  # which one body, by its kind ("哪家公交公司")


def _about(info: QuestionInfo, h: Hit) -> str:
    """What a passage is about besides its words: its record, and its office as the question names it too ("文旅局"
    for 台儿庄区文化和旅游局)."""
    m = h.metadata
    return normalize_text(" ".join([*(str(m.get(k, "")) for k in _ABOUT_KEYS), _office_asked(info.text, h)]))


def coverage(info: QuestionInfo, text: str) -> float:
    """The IDF-weighted share of the question's key terms a text holds (terms are lower-case: Y19 is y19)."""
    low = text.lower()
    return sum(w for t, w in info.terms if t in low) / (sum(w for _, w in info.terms) or 1.0)


def _own(info: QuestionInfo, c: Candidate, hit: Hit) -> float:
    """A sentence's own coverage with its office's 我局/我单位 read as the question names that office: "其中涉及我单位
    1条" is about the 文旅局 a question names."""
    said = speaking_as(info.text, normalize_text(c.text), hit)
    return c.own if said == normalize_text(c.text) else coverage(info, f"{normalize_text(hit.meta.heading_path)} {said}")


def is_frame(info: QuestionInfo, norm: str, asks_handling: bool) -> bool:
    """A letter's frame sentence that states no fact for this question: not one with a date or figure, not who
    handled it when that is asked, and not a closing line giving the asked value ("以上答复意见已经我局杨军局长审定"
    names who approved the reply; the acknowledging line never counts)."""
    return bool(_FRAME.search(norm)) and not _DATED.search(norm) \
        and not (asks_handling and _HANDLING.search(norm)) \
        and not (info.slot is not None and not _ACKNOWLEDGES.search(norm)
                 and slot_value(info.slot, info.text, norm, info.term_words))


def candidate_sentences(info: QuestionInfo, hits: list[Hit]) -> list[Candidate]:
    """Every sentence of every hit with an IDF-weighted term coverage and a score for ranking."""
    top = max((h.score for h in hits), default=1.0) or 1.0
    out: list[Candidate] = []
    docs_seen: set[str] = set()
    # who handled it is said in the letter's frame ("经我局主办,市财政局…等单位会办,现答复如下"): kept when asked
    asks_handling = bool(_HANDLING_ASK.search(info.text))
    for i, h in enumerate(hits):
        outline = h.meta.role == "outline"
        m = h.metadata
        about = _about(info, h)
        if m.get("doc_id") not in docs_seen and (line := record_line(info, m)):
            # a fact held by the document's record (its 文号, who issued it and when), not by a sentence of its text
            docs_seen.add(str(m.get("doc_id")))
            cov = coverage(info, f"{about} {normalize_text(line)}")
            value = slot_value(info.slot, info.text, line, info.term_words) if info.slot is not None else None
            out.append(Candidate(line, i, 0.5 + 0.8 * cov + 0.3 * (h.score / top), cov, True, False, False, -1, cov,
                                 value or ""))
        title = re.sub(r"\s+", "", normalize_text(str(m.get("title", ""))))
        for s in split_sentences(h.text, "。!?;", flattened=True, min_chars=6):
            norm = normalize_text(s)
            if is_frame(info, norm, asks_handling) or (title and re.sub(r"[\s。]+", "", norm) == title):
                continue  # the source letter's own frame (收悉, 现答复如下, thanks) or its title: not a fact
            context = f"{about} {norm}"
            local = f"{normalize_text(str(m.get('heading_path', '')))} {norm}"
            cov_own, cov = coverage(info, local), coverage(info, context)
            has_num = bool(re.search(r"\d", s))
            heading = outline or bool(re.match(r"^([一二三四五六七八九十]+、|\([一二三四五六七八九十]+\)|\d+\.)", s)) and len(s) < 50
            score = 0.45 * cov_own + 0.25 * cov + 0.3 * (h.score / top)
            if info.numeric and has_num:
                score += 0.15
            gives, near = answer_value(info, norm, h) if info.slot is not None else ("", "")
            if gives:
                score += 0.2
            if info.wants_titles and "《" in s:
                score += 0.2
            if outline and s == h.text.split("\n", 1)[0] and "\n" in h.text:
                continue  # an outline's own heading line introduces the list, it is not an item
            if info.kind == "fact" and heading:
                score -= 0.1
            if info.kind == "list" and heading:
                score += 0.1
            if gives and (info.wants_current or info.stock) and not info.flow and any(w in norm for w in STOCK_WORDS):
                score += 0.1  # "现在有多少家": a total standing now (截至目前,全市共有…2040家), not one event's count
            if info.years and any(y in s for y in info.years):
                score += 0.1
            target = has_num and as_of(s, str(m.get("date", ""))).target
            bare = re.sub(r"[\s。]", "", norm)  # a heading on its path names a section: it is no item of it
            names = any(bare == re.sub(r"[\s。]", "", normalize_text(x)) for x in h.meta.heading_path.split(" > ") if x)
            out.append(Candidate(s, i, score, cov, has_num, target, heading, len(out), cov_own, gives, near, names))
    out.sort(key=lambda c: -c.score)
    return out


@dataclass
class Scope:
    """Whether the passages answer the question, and why not when they do not (said to the user)."""

    answerable: bool
    reason: str = ""
    coverage: float = 0.0
    absent: tuple[str, ...] = ()  # places the question names that no passage is about (refused for them)
    caveat: str = ""  # said with the answer: what the passages cannot confirm (a letter naming no place)
    source: Hit | None = None  # the passage of the sentence the reason quotes ("资料提到“…”"), cited with it
    quote: str = ""


def _quoting(said: str, hit: Hit, lack: str, best: float, lead: str = "资料提到",
             focus: re.Pattern[str] | None = None) -> Scope:
    """A refusal that quotes what the archive does give, in a sentence of its own with the passage it quotes, so
    that the quote is cited and checked like any answer's sentence; what it lacks is said after it, of the
    documents ("资料中没有…"), with why the quote is not the answer."""
    quote = f"“{_short(said.strip().rstrip('。；;！!？?'), focus)}”"  # the quote's own 。 would end the sentence inside it
    return Scope(False, f"{lead}{quote}。{lack}", best, source=hit, quote=quote)


def _why(near: str) -> str:
    """Why a quoted sentence is not the answer, after what the documents lack: "（所引为2022年的数字）"."""
    return f"（所引{'' if near.startswith('不是') else '为'}{near}）" if near else ""


_PROPOSAL_ASKS = tuple(_Q["proposal_text"]["asks"])
_SITUATION = tuple(_Q["proposal_text"]["situation"])


def asked_for(hit: Hit) -> bool:
    """A passage of a proposal's suggestions: a headed section of a proposal whose heading does not say it describes
    the situation (现状, 存在问题)."""
    path = hit.meta.heading_path
    return hit.meta.kind == "proposal" and bool(path) and not any(w in path for w in _SITUATION)


def proposer_names(proposer: str) -> list[str]:
    """The persons a proposer on record names ("李晓林、周志勋等代表" → 李晓林, 周志勋); a body (民建市委会) or a
    masked name names none."""
    bare = re.sub(r"(?:等)?(?:代表|委员)$", "", proposer.strip())
    if bare == proposer.strip():
        return []
    return [n for n in re.split(r"[、，,和及\s]+", bare) if 2 <= len(n) <= 4 and "*" not in n]


def named_proposer(question: str, hits: list[Hit]) -> set[str]:
    """The documents answering the deputy or member a question names ("答复陆锦良代表时"): a name on record, or its
    last two characters where the record's is longer ("函卓勇委员" read for 卓勇委员)."""
    q = normalize_text(question)
    return {h.meta.doc_id for h in hits for n in proposer_names(str(h.metadata.get("proposer") or ""))
            if any(re.search(re.escape(x) + r"(?:等)?(?:代表|委员)", q) for x in {n, n[-2:]})}


def _no_brackets(x: str) -> str:
    return re.sub(r"[\s〔〕\[\]()（）【】]", "", x)


def numbered(question: str, hits: list[Hit]) -> set[str]:
    """The documents bearing the 文号 a question names ("沭财复字〔2022〕4号那份答复"), on record or in their text."""
    asked = {_no_brackets(m.group(0)) for m in _P.doc_number.finditer(normalize_text(question))}
    return {h.meta.doc_id for h in hits
            if any(a in _no_brackets(f"{h.meta.doc_number} {normalize_text(h.text)}") for a in asked)}


def letters_of(info: QuestionInfo, hits: list[Hit]) -> list[Hit]:
    """The passages that may speak for what the question names: the letters to the deputy or member it names, or
    bearing the 文号 it names, when retrieved (another letter's figure is no answer to him); for a place with no
    letter of its own inside one with letters (普宁市 in 揭阳市), only the letters of the place containing it, not
    another city's that scores higher."""
    if (docs := named_proposer(info.text, hits) or numbered(info.text, hits)):
        hits = [h for h in hits if h.meta.doc_id in docs]
    if info.unknown_places and not info.cities and (inside := [h for h in hits if any(
            below(u, h) for u in info.unknown_places)]):
        return inside
    return hits


def of_record(info: QuestionInfo, hits: list[Hit], cands: list[Candidate]) -> list[Candidate]:
    """The sentences that may answer. A proposal's suggestions say what was asked for, so they answer only a
    question about the proposal (提了哪些建议), never what was done or decided (入库标准是怎么定的). For a place with no
    letter of its own, only what names it speaks of it, in its sentence, heading or title (a figure: `value_miss`
    reads its passage)."""
    if not any(w in info.text for w in _PROPOSAL_ASKS):
        cands = [c for c in cands if not asked_for(hits[c.hit])]
    if info.unknown_places and not info.cities and not info.figure:
        forms = {f for u in info.unknown_places for f in place_forms(u)}
        # a letter naming the place in what it answers (its proposal's title on record, or the sentence acknowledging
        # it: "…提出的关于将陇川工业园区纳入省级重点工业园区的建议》,已交…办理") is about it throughout: the value a slot
        # asks may stand in any of its sentences (a list or an account is still what names the place)
        about = {h.meta.doc_id for h in hits
                 if any(f in str(h.metadata.get("proposal_title") or "") for f in forms)
                 or h.meta.chunk_index == 0 and any(f in x and _ACKNOWLEDGES.search(x) for f in forms
                                                    for x in re.split("[。\n]", h.text))}
        cands = [c for c in cands if info.slot is not None and hits[c.hit].meta.doc_id in about or any(
            f in f"{hits[c.hit].meta.title} {hits[c.hit].meta.heading_path} {c.text}" for f in forms)]
    if info.sub_places and info.slot is None:  # a place below the county: what names it (a value: `value_miss`)
        stems = {re.sub(f"(?:{_SUB_SUFFIXES})$", "", sp)[-2:] for sp in info.sub_places}
        cands = [c for c in cands if any(st in f"{hits[c.hit].meta.title} {hits[c.hit].meta.heading_path} "
                                             f"{hits[c.hit].metadata.get('proposal_title') or ''} {c.text}"
                                         for st in stems)]
    return cands


def unplaced(hit: Hit) -> bool:
    """A local letter that names no place of its own (a city's web page signed "市经信局", never naming the city): it
    may be any city's, so it neither answers for a place nor is ruled out for one. A nationwide one is placed."""
    m = hit.meta
    return not (m.province or m.city or m.district) and not _P.ministry.search(f"{m.title}{m.office}")


_PLACE_PREFIXES = tuple(_P.words("offices", "place_prefixes"))


def may_be(place: str, hit: Hit) -> bool:
    """Whether an unplaced letter may be the place's: a place of the kind its office's name opens with ("市经信局":
    a 市's), or any place when its office's name opens with none."""
    kind = hit.meta.office[:1]
    return kind not in _PLACE_PREFIXES or any(p.name.endswith(kind) for p in gazetteer().lookup(place))


def _speaks_of(place: str, sentence: str, hit: Hit) -> bool:
    """The sentence names the place and comes from a document whose own place contains it."""
    if not any(form in sentence for form in place_forms(place)):
        return False
    m = hit.metadata
    doc_place = str(m.get("district") or m.get("city") or m.get("province") or "")
    return bool(doc_place) and any(doc_place in (p.province, p.city) for p in gazetteer().lookup(place))


_PROPOSAL_NO = re.compile(_P.data["questions"]["proposal_number"])


def proposal_number(question: str) -> str:
    """The number of the suggestion or proposal a question asks about ("第74号提案" → 74), "" when it names none."""
    m = _PROPOSAL_NO.search(normalize_text(question))
    return m.group(1) if m else ""


def _same_number(a: str, b: str) -> bool:
    """059 and 59 are one number; JY100013030572 is itself."""
    return a.lstrip("0") == b.lstrip("0") if a and b else False


@lru_cache(maxsize=256)
def _kind_phrases(question: str) -> tuple[str, ...]:
    """The question's phrases whose tail may name what it speaks of ("…专精特新中小企业"), longest first: every
    prefix of four or more characters of each run of Chinese characters. Read once per question."""
    return tuple(run[:end] for run in re.findall(r"[\u4e00-\u9fff]{4,}", _WHICH.sub(" ", question))
                 for end in range(len(run), 3, -1))


def _all_of_another_kind(info: QuestionInfo, on_topic: list[Candidate]) -> Candidate | None:
    """The best on-topic sentence when every one speaks of another kind of what the question names (创新型中小企业
    for a question on 专精特新中小企业: kind_clash); None when one speaks of the asked kind, or none clashes."""
    if not _KIND_ENDINGS or not on_topic:
        return None
    if all(any(kind_clash(p, normalize_text(c.text), 4) for p in _kind_phrases(info.text)) for c in on_topic):
        return max(on_topic, key=lambda c: c.coverage)
    return None


_QUOTED = re.compile(r"[“\"「]([^”\"」]{2,20})[”\"」]")


@lru_cache(maxsize=256)
def quoted_names(question: str) -> tuple[str, ...]:
    """The names a question quotes (“人才绿卡”), spaces taken out; a quoted name that is only a place is left out.
    Cached: every value of every candidate sentence asks it of the same question."""
    bare = (re.sub(r"\s+", "", n) for n in _QUOTED.findall(normalize_text(question)))
    return tuple(n for n in bare if named_places(n, frozenset())[1] != [n])


def quoted_absent(question: str, hits: list[Hit]) -> list[str]:
    """The names a question quotes that no retrieved passage says, in its text or its record."""
    said = re.sub(r"\s+", "", " ".join(normalize_text(f"{h.text} {h.meta.title} {h.meta.heading_path}") for h in hits))
    return [name for name in quoted_names(question) if name not in said]


_CONTENTS = _Q["document_contents"]
_DOC_TITLE = re.compile(r"《([^》]{4,60})》")
_PENDING = tuple(_CONTENTS["pending"])


def _bare(x: str) -> str:
    """A name without spaces and brackets, for finding it in text however it is written."""
    return re.sub(r"[\s()（）]+", "", normalize_text(x))


def named_document(question: str) -> list[str]:
    """How a question names a document whose contents it asks (its 《title》 and its 文号), [] when it asks none."""
    q = normalize_text(question)
    if not any(w in q for w in _CONTENTS["asks"]):
        return []
    return _DOC_TITLE.findall(q) + [re.sub(r"\s+", "", m.group(0)) for m in _P.doc_number.finditer(q)]


def contents_told(names: list[str], hits: list[Hit], cands: list[Candidate]) -> bool:
    """Whether the passages hold a named document's contents: a passage of that document (its 文号 on record, or a
    title holding half the name's words), or a sentence that names it and goes on past its name, unless it names it
    as still to be made."""
    def is_it(n: str, h: Hit) -> bool:  # its 文号 on record, or a title holding most of the name's words
        grams = _bigrams(n)
        return _bare(n) in _bare(f"{h.meta.title} {h.meta.doc_number}") or bool(grams) and len(
            grams & _bigrams(h.meta.title)) >= TITLE_SHARE * len(grams)

    if any(is_it(n, h) for n in names for h in hits):
        return True
    for c in cands:
        text = _bare(c.text)
        for n in names:
            at = text.find(_bare(n))
            if at < 0 or any(text[:at].rstrip("《“\"").endswith(w) for w in _PENDING):
                continue  # not named, or named as still to be made ("将研究制定开发区考核评价办法")
            after = re.sub(r"[^\u4e00-\u9fff]", "", _P.doc_number.sub("", text[at + len(_bare(n)):]))
            if len(after) >= int(_CONTENTS["after_chars"]):
                return True
    return False


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
            return Scope(False, f"文档中没有关于{'、'.join(absent)}的材料。", absent=tuple(absent))
    if not hits:
        return Scope(False, "没有检索到相关段落。")
    # (when the best passage's letter has no office on record it could be the office's own: nothing is ruled out)
    if (who := speaker(info.text)) and (not any(is_from(who, h) for h in hits) if author(hits[0])
                                        else named_otherwise(who, hits)):
        return Scope(False, f"资料中没有{who}自己的答复或意见。")
    if info.years:
        present = {str(h.meta.year or "") for h in hits} | {
            y for y in info.years for h in hits if y in h.text} | {
            str(h.meta.year + d) for h in hits if h.meta.year for w, d in _RELATIVE_YEARS.items() if w in h.text}
        if not any(y in present for y in info.years):
            return Scope(False, f"检索到的文档中没有{'、'.join(y + '年' for y in info.years)}的相关内容。")
    if (unsaid := quoted_absent(info.text, hits)):
        # a name the user quotes ("人才绿卡", “上市培育库”) is that name: a passage not saying it speaks of another
        return Scope(False, f"资料中没有“{'、'.join(unsaid)}”的相关内容。")
    periods = set(_PERIOD.findall(info.text)) | set(_BATCH.findall(info.text))  # 十三五, 第一批: asked like a year
    if periods and not any(p in normalize_text(h.text) for p in periods for h in hits):
        return Scope(False, f"检索到的文档中没有“{'、'.join(sorted(periods))}”的相关内容。")
    if (asked := proposal_number(info.text)) and any(h.meta.number for h in hits) \
            and not any(_same_number(asked, h.meta.number) for h in hits):
        return Scope(False, f"资料中没有第{asked}号建议或提案的答复。")
    stage = info.slot is not None and info.slot.slot == "date" and any(c in info.text for c in _STAGE_CUES)
    pool = [c for c in cands if c.has_number or (stage and c.gives)] if info.numeric else cands
    if info.numeric and info.wants_current:
        pool = [c for c in pool if not c.is_target] or []
    best = max((c.coverage for c in pool), default=0.0)
    if best < min_coverage:
        return Scope(False, "检索到的段落没有直接回答这个问题。", best)
    if info.slot is None and (names := named_document(info.text)) and not contents_told(names, hits, cands):
        # what a document says is in the document, not in a sentence that only names it
        lack = "资料中没有它的具体内容。"
        naming = next((c for c in cands if _bare(names[0]) in _bare(c.text)), None)
        return _quoting(names[0], hits[naming.hit], lack, best, "资料只提到") if naming \
            else Scope(False, f"资料只提到“{names[0]}”。{lack}", best)
    if info.slot is None and (other := _all_of_another_kind(info, [c for c in pool if c.coverage >= min_coverage])):
        return _quoting(other.text, hits[other.hit], f"资料中没有所问的内容{_why('另一类对象')}。", best)
    if info.slot is not None:
        # right place and topic, but is the asked amount / count / date / 文号 there at all, meeting every constraint
        # the question sets (year, actual vs target, flow vs stock, place level)?
        with_slot = [c for c in cands if c.gives]
        missed = [c for c in cands if c.near and not c.gives]
        # a sentence that names nothing of what is counted goes on from the one before it and shares its subject
        # ("2023年共承办建议提案45件…。2024年共承办52件…")
        at = {(c.hit, c.position): c for c in cands}
        phrase = _counted(info)[0]
        top = max((max(c.coverage, prev.coverage if phrase and not phrase & _bigrams(c.text)
                       and ends_clause(norm := normalize_text(c.text), norm.find(c.gives), info.slot.answer)
                       and (prev := at.get((c.hit, c.position - 1))) else 0.0) for c in with_slot), default=0.0)
        near = max(missed, key=lambda c: c.coverage, default=None)
        if near is not None and near.coverage >= max(min_coverage, top / NEAR_SHARE) and near.coverage > top:
            # the archive gives this figure for another year, a target, a flow for a stock, another level: a near miss
            return _quoting(near.text, hits[near.hit], f"资料中没有给出所问的{info.slot.name}{_why(near.near)}。", best,
                            focus=info.slot.answer)
        # the value must sit where the question's subject is: a sentence about it, not a figure of the same document
        # on something else (4.27万亩 of the whole county for "毛家牛碑片区有多少亩"), nor another document's name
        rel = SLOT_SUBJECT_SHARE
        if (top < max(min_coverage, rel * best)
                or max((_own(info, c, hits[c.hit]) for c in with_slot), default=0.0)
                < rel * max((c.own for c in cands), default=0.0)):
            said = max(cands, key=lambda c: c.coverage)
            why = _why(said.near) if said.near and not said.gives else ""
            return _quoting(said.text, hits[said.hit], f"资料中没有给出所问的{info.slot.name}{why}。", best,
                            focus=info.slot.answer if why else None)
    # said, not refused: a list's items often name instances of what is asked (图书室 for 场所), never the word, and
    # askers paraphrase (石刻构件 for 石制物件); as refusals both lost more answerable blind items than they refused
    if info.slot is None and info.kind != "compare" \
            and len(unsaid := topic_unsaid(info, hits, pool, min_coverage)) >= TOPIC_UNSAID:
        if len(unsaid) >= TOPIC_REFUSED:
            return Scope(False, f"资料中没有提到“{'”“'.join(unsaid)}”。", best)
        return Scope(True, "", best, caveat=f"所引资料中没有提到“{'”“'.join(unsaid)}”，请核对是否回答了所问。")
    if info.slot is None and info.kind != "compare" and aspect_unsaid(info, hits, pool, min_coverage):
        return Scope(True, "", best, caveat=f"所引资料中没有直接提到“{info.aspect}”，请核对是否回答了所问。")
    return Scope(True, "", best)


def aspect_unsaid(info: QuestionInfo, hits: list[Hit], pool: list[Candidate], min_coverage: float) -> bool:
    """Whether no on-topic sentence speaks of what the question asks about (its aspect: 处罚 for "有什么处罚措施"):
    its head or half its words' weight, in its text, heading or document's title. False when the question names no
    aspect."""
    total = sum(w for _, w in info.aspect_words)
    on_topic = [c for c in pool if c.coverage >= min_coverage]
    if not total or not on_topic:
        return False
    head = info.aspect_words[-1][0]

    def held(c: Candidate) -> bool:
        m = hits[c.hit].metadata
        local = normalize_text(f"{m.get('title', '')} {m.get('heading_path', '')} {m.get('proposal_title') or ''} {c.text}")
        return head in local or sum(w for t, w in info.aspect_words if t in local) >= float(_ASPECT["share"]) * total

    return not any(held(c) for c in on_topic)


_OFFICE_NOUN = re.compile(f"(?:{_OFFICE_END.pattern}|处|科|政府)$")  # an office's name, or a unit's (工贸发展处)


def topic_unsaid(info: QuestionInfo, hits: list[Hit], pool: list[Candidate], min_coverage: float) -> list[str]:
    """The nouns of what a question asks about (职业技能, 电商 in "给农民搞职业技能培训采取了哪些措施") that no letter
    answering it says anywhere in its retrieved text, title or headings: places, offices and the words that ask how
    (`aspect.generic`) left out."""
    on_topic = [c for c in pool if c.coverage >= min_coverage]
    if not on_topic:
        return []
    docs = {hits[c.hit].metadata.get("doc_id") for c in on_topic}
    said = normalize_text(" ".join(
        f"{h.text} {h.metadata.get('title', '')} {h.metadata.get('heading_path', '')} {h.metadata.get('proposal_title') or ''}"
        for h in hits if h.metadata.get("doc_id") in docs))
    q = without_places(info.text, " ")
    for name in info.offices:
        q = q.replace(name, " ")
    words = dict.fromkeys(w for w in noun_words(_GENERIC.sub(" ", q)) if len(w) >= 2 and not _OFFICE_NOUN.search(w))
    return [w for w in words if not _said(w, said)]


def _said(word: str, text: str) -> bool:
    """A word is said in a text, or a compound's parts are (银行贷款: 银行…贷款)."""
    parts = [t for t in tokenize(word) if t != word and len(t) >= 2]
    return word in text or bool(parts) and all(t in text for t in parts)


def coverage_needed(info: QuestionInfo, min_coverage: float) -> float:
    """How much of a question one sentence must cover to answer it: all the setting asks for a figure, a third for
    anything else (a list, a name, a reason: paraphrased more)."""
    return min_coverage if info.numeric else min_coverage / 3


def decide_parts(info: QuestionInfo, hits: list[Hit], cands: list[Candidate], min_coverage: float) -> Scope:
    """`decide`, and for a question of several parts each further part's slot too (`further_asks`): the first part
    the passages do not answer refuses the question, quoting what they give."""
    scope = decide(info, hits, cands, coverage_needed(info, min_coverage))
    for part in further_asks(info) if scope.answerable else ():
        told = decide(part, hits, of_record(part, hits, candidate_sentences(part, hits)),
                      coverage_needed(part, min_coverage))
        if not told.answerable:
            return told
    return scope


def _short(text: str, focus: re.Pattern[str] | None = None) -> str:
    """60 characters of a quoted sentence: from its start, or around the first value `focus` finds in it when that
    stands further on (the figure a near miss is about: "…2022年新增12家"), never cut inside a number ("累计投资广州
    项目1…" would misquote 130个)."""
    text = text.strip()
    if len(text) <= 60:
        return text
    at = m.start() if focus is not None and (m := focus.search(text)) else 0
    begin = 0 if at < 40 else min(at - 20, len(text) - 60)
    begin += len(text[begin:]) - len(text[begin:].lstrip("0123456789.%％,，")) if begin else 0  # nor a number's tail
    head = "…" if begin else ""
    end = begin + 60
    return head + (text[begin:] if end >= len(text) else re.sub(r"[\d.%％]+$", "", text[begin:end]) + "…")

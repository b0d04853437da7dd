"""What a question's constraints read around a value in a sentence: the words said of it (its clause and the
sentence's subject clause), plan cues, levels, kinds, handling roles, places below a document's own, and whose
letter a passage is. Pure functions over text and a passage's record; `question.py` applies them."""

from __future__ import annotations

import re
from functools import lru_cache

from assistant.retrieval.hybrid import Hit, office_words
from core.places import gazetteer
from core.profile import profile
from core.text import normalize_text
from ingest.metadata import office_from_title

_P = profile()
KIND_ENDINGS = tuple(_P.words("questions", "kind_endings"))
CLAUSE = re.compile(r"[,，;；:：、()（）]")


def place_forms(name: str) -> set[str]:
    """Every way a place may be written: 汶上县 → 汶上县, 汶上; 深圳 → 深圳, 深圳市."""
    gz = gazetteer()
    forms = {name}
    for p in gz.lookup(name):
        forms |= {p.name, *gz.official_forms(p), *gz.short_names(p)}
    return {f for f in forms if len(f) >= 2}


_REACH = re.compile(r"[,，;；]")


def clause_before(sentence: str, at: int) -> str:
    """The value's own clause (after the last , ; : 、 or bracket) up to the value at `at`."""
    return sentence[max((x.end() for x in CLAUSE.finditer(sentence, 0, at)), default=0):at]


@lru_cache(maxsize=4096)
def _tagged(text: str) -> tuple[tuple[str, str], ...]:
    """Each word of a text with jieba's part-of-speech tag (punctuation, numerals and 的 left out). A domain term of
    the lexicon's word list, which jieba tags x, counts as a noun."""
    import jieba.posseg

    return tuple((w.word, "n" if w.flag == "x" else w.flag) for w in jieba.posseg.lcut(text)
                 if re.search(r"[\u4e00-\u9fff]", w.word) and w.flag not in ("m", "uj"))


def _is_noun(tag: str) -> bool:
    return tag.startswith(("n", "j"))


def bigrams(text: str) -> frozenset[str]:
    """The character bigrams of a text's Chinese runs (quotes and title marks left out)."""
    runs = re.findall(r"[\u4e00-\u9fff]+", re.sub(r"[“”‘’\"'《》「」]", "", text))
    return frozenset(r[i:i + 2] for r in runs for i in range(len(r) - 1))


def without_places(text: str, gap: str = "") -> str:
    """A text with the places it names taken out (全县耕地总面积 → 全耕地总面积 → …), each replaced by `gap`."""
    for pm in sorted(gazetteer().mentions(text, short=True), key=lambda x: -x.start):
        text = text[:pm.start] + gap + text[pm.end:]
    return text


def nouns(text: str) -> str:
    """A text's nouns, space-separated ("想了解下人才绿卡的情况" → "人才 绿卡 情况"): what it names, without the asker's
    verbs and fillers."""
    return " ".join(w for w, t in _tagged(text) if _is_noun(t))


def noun_words(text: str) -> list[str]:
    """A text's nouns as words (places and persons left out), in order."""
    return [w for w, t in _tagged(text) if _is_noun(t) and not t.startswith(("ns", "nr"))]


def ends_in_noun(text: str) -> bool:
    """Whether a clause ends in a noun (tags n…, j for an abbreviation): "科技型中小企业" names what a count after it
    counts; "其中2023年认定获批" and "推动不少于" do not."""
    return bool(_tagged(text)) and _is_noun(_tagged(text)[-1][1])


def counts_after(sentence: str, end: int) -> str:
    """What a count names right after its unit, to its clause's end ("5800家重点目标企业" counts 重点目标企业); "" when a
    verb or nothing follows ("5家,科技型…", "6200家次")."""
    after = re.split(r"[,，。;；、:：()（）]", sentence[end:], maxsplit=1)[0]
    if after.startswith("的"):  # "800家的目标任务": the count qualifies what follows, it counts nothing there
        return ""
    tags = _tagged(after) if len(re.sub(r"[^\u4e00-\u9fff]", "", after)) >= 2 else ()
    return after if tags and _is_noun(tags[0][1]) else ""


def only_verbs(text: str) -> bool:
    """Whether a text is only a verb phrase (verbs, adverbs, prepositions, particles, units): "压到多少个" names nothing,
    "初中" (tagged a locality) and "中小企业完成了数字化改造" do."""
    return all(t.startswith(("v", "d", "p", "u", "r", "c", "y", "q")) and t != "vn" for _, t in _tagged(text))


def title_subjects(title: str) -> list[str]:
    """What a proposal's title is about: its noun phrases after 关于 and each asking verb, in order, those of four
    characters or more. 专精特新中小企业 in 关于破解专精特新中小企业融资难题的建议 (the aspect, 融资, starts a verbal
    noun); 服务水平 and 专精特新企业 in 关于提升服务水平和扶持力度 培育一批“专精特新”企业的建议."""
    runs: list[list[str]] = [[]]
    for word, tag in _tagged(re.sub(r"[“”\"'‘’《》]", "", title)):
        if (_is_noun(tag) or (runs[-1] and tag in ("d", "b", "a", "l"))) and tag != "vn" \
                and word not in _PROPOSAL_WORDS:
            runs[-1].append(word)
        elif runs[-1]:
            runs.append([])
    return [p for p in ("".join(r) for r in runs) if len(p) >= 4]


def part_of(sentence: str, at: int, whole: bool = False) -> str:
    """The value's part of the sentence (between commas and semicolons) up to the value at `at`, or all of it."""
    begin = max((x.end() for x in _REACH.finditer(sentence, 0, at)), default=0)
    end = _REACH.search(sentence, at) if whole else None
    return sentence[begin:(end.start() if end else len(sentence)) if whole else at]


def reach(sentence: str, at: int) -> str:
    """The words said of the value at `at`: its own clause and the sentence's first clause (its subject), apart."""
    starts = [0] + [x.end() for x in _REACH.finditer(sentence)]
    begin = max((p for p in starts if p <= at), default=0)
    end = _REACH.search(sentence, at)
    first = _REACH.search(sentence)
    return sentence[:first.start() if first else len(sentence)] + " " + sentence[begin:end.start() if end else len(sentence)]


def target_after(sentence: str, at: int) -> bool:
    """The value's clause names it a target after it ("努力完成新增小升规企业800家的目标任务")."""
    end = _REACH.search(sentence, at)
    return "目标" in sentence[at:end.start() if end else len(sentence)]


def target_before(sentence: str, at: int) -> bool:
    """A plan or forecast cue (预计, 计划…) in the value's clause before it; a document's name is none
    ("《长寿区养老服务发展规划》已于2024年3月正式印发")."""
    said = re.sub(r"《[^》]*》", "", part_of(sentence, at))
    return any(w in said for w in _P.words("facts", "target_cues"))


FLOW_WORDS = tuple(_P.words("facts", "flow_words"))
STOCK_WORDS = tuple(_P.words("facts", "stock_cues"))
_REACHED = tuple(_P.words("facts", "reach_cues"))
_PROPOSAL_WORDS = frozenset(_P.words("questions", "letter_heading_words"))  # 建议, 提案, 问题: no subject


def _flow_stock_of(text: str) -> tuple[bool, bool, bool]:
    """(a flow word, a stock word that is no mere 达到, a 达到) in the text."""
    return (any(w in text for w in FLOW_WORDS), any(w in text for w in STOCK_WORDS if w not in _REACHED),
            any(w in text for w in _REACHED))


def flow_or_stock(sentence: str, at: int) -> tuple[bool, bool]:
    """(a flow, a stock) as said of the value at `at`: by its own clause, or, when that says neither or only that a
    level was reached (达到), by its part of the sentence up to it ("我市共有…“小巨人”企业2家、省级专精特新企业76家":
    76家 is a stock; "新增规上工业企业中的国家高新技术企业达到250家": 250家 is a flow), else by a flow said before
    it in the sentence."""
    flow, stock, reached = _flow_stock_of(clause_before(sentence, at))
    if not (flow or stock):
        flow, stock, reached = _flow_stock_of(part_of(sentence, at))
    if not (flow or stock or reached):
        # a part saying neither goes on from a flow said before it in the sentence: in "全年新增高新技术企业5家,科技型
        # 中小企业67家", 新增 is said of 67家 too (a stock is not: "累计获批43家,其中2023年认定获批6家")
        flow = any(w in sentence[:at] for w in FLOW_WORDS)
    return flow, stock or (reached and not flow)


_OUTCOME = _P.data["questions"]["outcome"]
_STOCK_ASKED = tuple(_P.words("questions", "stock_asks"))


def outcome_miss(question: str, sentence: str, at: int, counting: bool) -> str:
    """The question asks how many were recognised (新认定, 获批), how many there are (总共有, 现有) or were added (新增):
    the value's part
    of the sentence counts those who applied or were recommended (推荐…申报, 申请省级…11家), or, for a count of the
    recognised, says nothing of an outcome, a flow or a stock ("支持22家专精特新企业贷款贴息" counts those supported).
    What the value is instead, else ""."""
    outcome = any(w in question for w in _OUTCOME["asks"])
    if not outcome and not any(w in question for w in _STOCK_ASKED + FLOW_WORDS):
        return ""
    part = part_of(sentence, at, whole=True)
    first = min((part.find(w) for w in _OUTCOME["asks"] if w in part), default=-1)
    applied = min((part.find(w) for w in _OUTCOME["applied"] if w in part), default=-1)
    if first >= 0 and not 0 <= applied < first:  # "申请高企认定" applies for the outcome; "认定…" is one
        return ""
    if applied >= 0:
        return "申报或推荐的数字，不是认定或入选的数字" if outcome else "申报或申请的数字，不是所问的数量"
    if outcome and counting and not any(w in part for w in FLOW_WORDS + STOCK_WORDS):
        return "另一类对象的数字，不是认定或入选的数量"
    return ""


_PER_ITEM = _P.data["questions"]["per_item"]
_ACTUAL_ASKS = tuple(_P.words("questions", "actual_asks"))
_PER_ITEM_AFTER = re.compile(_PER_ITEM["after"])
_BAND = re.compile(_PER_ITEM["band"])
_SEVERAL = re.compile(_PER_ITEM["several"])


def per_item_miss(question: str, sentence: str, at: int, end: int) -> str:
    """An amount per item (最高50万元/家, 每家…, a band: 50万到300万元) for a question asking a total (总额, 一共), or a
    total (共计1600万元; 75家…实现产值172.3亿元) for one asking the amount per item (每家企业最多…, 最高的那家): what the
    value is instead, else ""."""
    each_asked = any(w in question for w in _PER_ITEM["before"])
    # what was actually given is a total too: a band ("50万到300万元") is no amount given ("实际已经办了多少钱")
    total_asked = any(w in question for w in _PER_ITEM["asks"]) or any(w in question for w in _ACTUAL_ASKS)
    clause = clause_before(sentence, at)
    each = bool(_PER_ITEM_AFTER.match(sentence[end:]) or _BAND.search(clause)) \
        or any(w in clause for w in _PER_ITEM["before"])
    if total_asked and not each_asked and each:
        return "每项（每家）的标准或上限，不是总额"
    if each_asked and not total_asked and not each \
            and (any(w in clause for w in _PER_ITEM["totals"]) or _SEVERAL.search(part_of(sentence, at))):
        return "总额，不是每项（每家）的数额"
    return ""


_WHOLE_AREA = tuple(_P.words("questions", "whole_area"))


_LEVELS: list[tuple[str, ...]] = [tuple(g) for g in _P.data["questions"]["levels"]]
_NOT_LEVEL = re.compile(_P.data["questions"]["level_not_in"])  # an office's name (国家发改委) is no level
_MEASURES: list[tuple[str, ...]] = [tuple(g) for g in _P.data["questions"]["amount_measures"]]


def measure_miss(question: str, clause: str) -> bool:
    """The question asks one money measure (利润) and the value's clause names only others (产值)."""
    asked = {g for g in _MEASURES if any(w in question for w in g)}
    said = {g for g in _MEASURES if any(w in clause for w in g)}
    return bool(asked and said) and not asked & said


def _asked_level(question: str) -> tuple[str, ...] | None:
    question = _NOT_LEVEL.sub(" ", question)
    asked = [g for g in _LEVELS if any(w in question for w in g)]
    return asked[0] if len(asked) == 1 else None


def level_miss(question: str, said: str) -> str:
    """The question names one level (省级) and the value's words another (国家…评价), not the asked one."""
    asked = _asked_level(question)
    said_levels = [g for g in _LEVELS if any(w in said for w in g)]
    if asked and said_levels and asked not in said_levels:
        return f"{said_levels[0][0]}的数字，不是{asked[0]}的"
    return ""


def level_unstated(question: str, sentence: str) -> str:
    """The question names one level and the figure's sentence none: a figure of every level ("全区累计培育高新技术
    企业86家" counts no 国家级 ones)."""
    asked = _asked_level(question)
    if asked and not any(w in sentence for g in _LEVELS for w in g):
        return f"未说明是否{asked[0]}的数字"
    return ""


def in_reach(sentence: str, at: int, names: set[str]) -> bool:
    """Whether a name is said of the value at `at`: in the value's own clause, or in the sentence's first clause
    (its subject: "湾塘乡已建成…,其中2023年新建0.3万亩"). A name in another clause is another figure's
    ("…日间照料中心9所,…申报了城关街道…项目": 9所 is the county's)."""
    said = reach(sentence, at)
    return any(n in said for n in names if n)


def said_of(sentence: str, at: int, names: set[str], passage: str) -> bool:
    """A figure is a place's when the place is named in reach of it (in_reach), or, when its sentence names no such
    place, when the passage names it before (the passage's topic: "马龙工业园区…。2016年以来,我厅对园区…给予了
    1080万元"). Named elsewhere in its own sentence, the place belongs to another figure; a sentence saying 全县/全市
    gives the whole area's figure."""
    if in_reach(sentence, at, names):
        return True
    if any(n in sentence for n in names if n) or any(w in sentence for w in _WHOLE_AREA):
        return False  # another figure's place, or a whole area's figure ("覆盖全县…4.27万亩")
    k = passage.find(sentence[:20])
    return k > 0 and any(n in passage[:k] for n in names if n)


def ends_clause(sentence: str, at: int, answer: re.Pattern[str]) -> bool:
    """The value at `at` ends its clause ("共承办52件,"): it names nothing it counts after it, unlike
    "评选不超过10家优质数字工程服务商"."""
    m = answer.match(sentence, at) if at >= 0 else None
    return m is not None and (m.end() == len(sentence) or sentence[m.end()] in ",，;；。、")


def sentence_before(passage: str, sentence: str) -> str:
    """The sentence before this one in its paragraph ("" when it opens the paragraph)."""
    k = passage.find(sentence[:20])
    if k <= 0:
        return ""
    para = passage[passage.rfind("\n", 0, k) + 1:k]
    pieces = [p for p in re.split(r"(?<=[。;；])", para) if p.strip()]
    return pieces[-1] if pieces else ""


_ROLES = tuple(_P.words("questions", "handling_roles"))


def role_miss(question: str, sentence: str, at: int) -> str:
    """A count of one handling role (主办 28件) is not the total, nor another role's: the question's role must be
    in the value's own clause, and a question naming none is not answered by a role's share."""
    asked = [r for r in _ROLES if r in question]
    clause = clause_before(sentence, at)
    said = [r for r in _ROLES if r in clause]
    if len(asked) == 1 and asked[0] not in said:
        return f"不是{asked[0]}件数" if not said else f"{said[0]}件数，不是{asked[0]}件数"
    if not asked and said:
        return f"{said[0]}件数，不是总数"
    return ""


def below(name: str, hit: Hit) -> bool:
    """The place lies inside the hit's document's place, below it (普宁市 in a 揭阳市 letter)."""
    own = hit.meta.district or hit.meta.city or hit.meta.province
    return bool(own) and any(own in (p.province, p.city) and own != p.name for p in gazetteer().lookup(name))


def kind_clash(phrase: str, clause: str, min_tail: int = 2) -> bool:
    """The longest tail of the phrase found in the clause ("中小企业", at least `min_tail` long) follows a kind
    word there ("创新型") while the phrase's own kind ("专精特新") is not in the clause."""
    text = re.sub(r"[“”‘’\"'《》「」]", "", clause)
    for k in range(1, len(phrase) - 1):  # the longest tail first
        tail, own = phrase[k:], phrase[:k]
        at = text.find(tail)
        if len(tail) < min_tail or at < 0:
            continue
        before = text[max(0, at - 6):at]
        return before.endswith(KIND_ENDINGS) and own not in text and own[-2:] not in before
    return False


_SPEAKER = re.compile(_P.data["questions"]["speaker"])


def speaker(question: str) -> str:
    """The office whose own reply or opinion the question asks for ("科技部对…是怎么答复的" → 科技部), else ""."""
    m = _SPEAKER.search(normalize_text(question))
    return m.group("who") if m else ""


_SELF = [(str(suffix), str(word)) for suffix, word in _P.section("compose").get("self_subjects", [])]
# how any office names itself in its own letters (我局, 我委…, 我单位)
SELF_SAID = re.compile("|".join(sorted({re.escape(w) for _, w in _SELF} | {re.escape(str(
    _P.section("compose").get("self_subject_default", "我单位")))}, key=len, reverse=True)))


def self_word(office: str) -> str:
    """How an office names itself in its own letters (我局, 我委, 我部…), "" when its name does not say."""
    return next((word for suffix, word in _SELF if office.endswith(suffix)), "")


def named_otherwise(who: str, hits: list[Hit]) -> bool:
    """The first passage's letter calls itself (in what was retrieved of it) only otherwise than the asked office
    would: a letter saying 我委 is no reply of 科技部 (我部). For a letter with no office on record."""
    mine = self_word(who)
    text = " ".join(h.text for h in hits if h.meta.doc_id == hits[0].meta.doc_id)
    selves = {word for _, word in _SELF if word in text}
    return bool(mine and selves) and mine not in selves


def author(hit: Hit) -> str:
    """The office a passage's letter is from: its part's office on record, else the one its title opens with (a
    co-handling opinion filed alone records its office in its title only)."""
    return hit.meta.office or office_from_title(normalize_text(hit.meta.title))


def is_from(who: str, hit: Hit) -> bool:
    """The passage's letter is the office's own: its recorded office, title or first line names it (a place the
    question gives with it must be the letter's too: 台江县人民政府 is not 黔东南州人民政府)."""
    places = [p for p in gazetteer().mentions(who, short=True)]
    core = who[places[-1].end:] if places else who
    where = " ".join([hit.meta.office, hit.meta.title, normalize_text(hit.text).split("\n", 1)[0][:40]])
    if not any(f in where for f in office_words(core)):
        return False
    own = [hit.meta.district, hit.meta.city, hit.meta.province, author(hit)]
    return not places or any(p.text in x or any(x and x in f for f in place_forms(p.text)) for p in places for x in own)


_AS_OF_MONTH = re.compile(r"(?:截至|截止|至)\s*(?:(20\d\d)\s*年|今年|本年)?\s*(\d{1,2})\s*月")


def month_miss(question: str, sentence: str, at: int) -> str:
    """A figure as of another month than the one the question asks ("截至2020年6月底" is not answered by "截至7月25日,
    共收到…"): the as-of month stated before the value in its clause-run, "" when either states none or they agree."""
    asked = _AS_OF_MONTH.search(question)
    said = list(_AS_OF_MONTH.finditer(re.split(r"[。;；]", sentence[:at])[-1]))
    if not asked or not said:
        return ""
    m = said[-1]
    other_year = m.group(1) and asked.group(1) and m.group(1) != asked.group(1)
    return "" if other_year or int(m.group(2)) == int(asked.group(2)) else f"截至{int(m.group(2))}月的数字"


_RATE = re.compile(r"([\u4e00-\u9fff]{2}率)")
_RATE_GENERIC = tuple(_P.words("questions", "rate_generic")) if "rate_generic" in _P.data["questions"] else ()


_SHARE_BASE = re.compile(_P.data["questions"]["share_base"])


def rate_miss(question: str, said: str) -> str:
    """A share the question names by its own word (建有率, 自有率) and the value's words do not, or a share of another
    base (占耕地总面积的 asked, 占永久基本农田面积的 said): another share."""
    asked = [r for r in _RATE.findall(question) if not any(r.endswith(g) or g.endswith(r) for g in _RATE_GENERIC)]
    if asked and not any(r in said for r in asked):
        return "另一项比例的数字"
    base, base_said = _SHARE_BASE.search(question), list(_SHARE_BASE.finditer(said))
    if base and base_said:
        want = bigrams(re.sub(r"^(?:全|本)[市县区省国]", "", without_places(base.group(1))))
        if want and len(want & bigrams(base_said[-1].group(1))) < len(want) / 2:
            return "另一个基数的比例"
    return ""


"""When a figure holds: the dates a sentence states (截至2023年6月底, 今年以来 → the document's year), targets
(到2027年…) apart from achievements, and a lifted sentence dated for a letter."""

from __future__ import annotations

import re
from collections.abc import Iterable
from dataclasses import dataclass
from functools import lru_cache

from core.profile import profile
from core.text import doc_label, normalize_text


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
    now: bool = False  # "截至目前/目前/现有…": the document's own date, said as "now"

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
            if (word == "以来" or s[m.end():].startswith("至今")) and _ISO.match(doc_date) and doc_date[:4] > str(y):
                # "2019年以来/2019年至今累计…": a total standing at the document's date, not at the end of 2019
                out.append((m.start(), AsOf(doc_date[:10], f"{y}年以来（至{doc_label(doc_date)}）", True, target,
                                            now=True)))
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
        out.append((pos.start(), AsOf(_doc_key(doc_date), doc_label(doc_date), True, False, now=True)))
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
        return AsOf(d.key, d.label, True, d.target or target, now=d.now)
    if after and not after[0].target:
        d = after[0]
        return AsOf(d.key, d.label, True, target, now=d.now)
    if after:
        return after[0]
    return AsOf(_doc_key(doc_date), doc_label(doc_date), False, target, now=_says_now(s[:at]))


def _says_now(prefix: str) -> bool:
    """A now-word (目前, 现有, 至今…) in the clause-run before a figure that states no date."""
    tail = re.split(r"[。;；]", prefix)[-1]
    return any(w in tail for w in profile().words("facts", "now_words"))


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
    """A plan cue in the same clause-run before the figure (力争培育…500家; 目标是…) that no now-word follows: in
    "积极争取资金,…,全县现有…高标准农田3.3万亩", 现有 says the figure stands now, whatever came before it."""
    tail = re.split(r"[。;；]", prefix)[-1]
    cue = max((tail.rfind(w) for w in profile().words("facts", "target_cues")), default=-1)
    return cue >= 0 and cue > max((tail.rfind(w) for w in profile().words("facts", "now_words")), default=-1)

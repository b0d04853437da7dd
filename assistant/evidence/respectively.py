"""Pairs a passage states with 分别/依次 ("对“链主工厂”“智能工厂”和“数字化车间”的企业,分别给予不超过500万元、
200万元、80万元"): a claim that gives one of the names another name's value misreads the passage, though every
number it states is there (a model's "智能工厂补助500万元")."""

from __future__ import annotations

import re

from core.text import normalize_text

_CUE = re.compile(r"(?:分别|依次)")
_CLAUSE_END = re.compile(r"[，,；;:：。]")
_QUOTED = re.compile(r"“([^”]{1,20})”")
_VALUE = re.compile(r"\d+(?:\.\d+)?\s*(?:万|亿|千)?\s*(?:元|家|个|项|人|名|所|亩|%|张|件|次|台|套|座|条|户|公里|吨)?")


def pairs(text: str) -> list[list[tuple[str, str]]]:
    """Each 分别 list of a text as (name, value) pairs, when its names and values are as many (two or more)."""
    s = normalize_text(text)
    out = []
    for m in _CUE.finditer(s):
        ends = [0] + [x.end() for x in _CLAUSE_END.finditer(s, 0, m.start())]
        before = s[ends[-1]:m.start()]
        if len(_QUOTED.findall(before)) < 2 and len(re.split(r"[、和及与]", before)) < 2 and len(ends) >= 2:
            before = s[ends[-2]:m.start()]  # "对…“甲”“乙”和“丙”的企业,分别给予…": the names are a clause before
        head = _CLAUSE_END.search(s, m.end())
        after = s[m.end():head.start() if head else len(s)]
        names = _QUOTED.findall(before)
        if len(names) < 2:
            names = [n for n in re.split(r"[、和及与]", re.sub(r"^.*?(?:对|为|在)", "", before)) if n.strip()]
        values = [v.group(0).strip() for v in _VALUE.finditer(after) if re.search(r"\D", v.group(0))]
        if len(names) == len(values) >= 2:
            out.append([(n.strip(), v) for n, v in zip(names, values, strict=True)])
    return out


def misread(sentence: str, passage: str) -> str:
    """The value a sentence gives a name that the passage's 分别 list gives another name ("" when none)."""
    s = normalize_text(sentence)
    for group in pairs(passage):
        for name, value in group:
            if name not in s or value in s:
                continue
            others = [v for n, v in group if n != name and v in s and not any(n2 in s for n2, v2 in group
                                                                               if v2 == v and n2 != name)]
            if others:
                return others[0]
    return ""

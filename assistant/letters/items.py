"""The numbered items of a proposal's body (一、 （一） 1. (1) 一是 ①) and which of them are asks, which problems."""

from __future__ import annotations

import re
from functools import lru_cache

from assistant.letters.asks import ASK_MARKER, ASK_WORDS, clause_asks, inline_items, short_ask
from core.profile import profile
from core.text import normalize_text, split_sentences, to_fullwidth

CN = "一二三四五六七八九十"


# list markers by rank: 一、 > （一） > 1. > (1) > 一是 > ①
_MARKERS: list[tuple[int, re.Pattern[str]]] = [
    (1, re.compile(rf"^[{CN}]{{1,3}}[、.](?!\d)")),
    (2, re.compile(rf"^\([{CN}]{{1,3}}\)")),
    (3, re.compile(r"^\d{1,2}(?:[.、](?!\d)|\s)")),
    (4, re.compile(r"^\(\d{1,2}\)")),
    (5, re.compile(rf"(?:^|(?<=[。;:,；：，])|(?<=建议)|(?<=希望))[{CN}]{{1,2}}是", re.M)),  # run on: 建议一是…
    (6, re.compile(r"^[\u2460-\u2473]")),
]


# -- helpers -------------------------------------------------------------------------------------------
def _cues(key: str) -> list[str]:
    return profile().words("intake_cues", key)


@lru_cache(maxsize=32)
def _rx(patterns: tuple[str, ...]) -> list[re.Pattern[str]]:
    return [re.compile(p) for p in patterns]


def _patterns(key: str, section: str = "intake_cues") -> list[re.Pattern[str]]:
    return _rx(tuple(profile().words(section, key)))


def _marker_at(line: str) -> tuple[int, re.Match[str]] | None:
    for rank, p in _MARKERS:
        if rank == 5:
            continue
        m = p.match(line)
        if m:
            return rank, m
    return None


def _items(lines: list[str]) -> list[str]:
    """The items of the top-level list in these lines (一、 > （一） > 1. > (1) > 一是 > ①), each with its text;
    a list run on within a line ("建议：一是…；二是…；三是…") when no line opens with a marker."""
    items = _items_at(lines)[0]
    if items:
        return items
    text = "\n".join(lines)
    return inline_items(normalize_text(text), text)


def _items_at(lines: list[str]) -> tuple[list[str], int]:
    """The top-level items and the line where the first one starts (-1 when there is no list)."""
    text = "\n".join(lines)
    best: list[tuple[int, int]] = []
    for rank, p in _MARKERS:
        if rank == 5:
            found = [(m.start(), m.end()) for m in p.finditer(text)]
        else:
            found = []
            pos = 0
            for ln in lines:
                m = p.match(ln)
                if m:
                    found.append((pos, pos + m.end()))
                pos += len(ln) + 1
        if len(found) >= 2:
            best = found
            break
    if not best:
        return [], -1
    out = []
    ends = [s for s, _ in best[1:]] + [len(text)]
    for (_, e), end in zip(best, ends, strict=True):
        item = text[e:end].strip(" ;；。\n:")
        if len(item) >= 4:
            out.append(item)
    return out, text[: best[0][0]].count("\n")


def _ask_label(item: str) -> str:
    first = item.split("\n", 1)[0]
    return to_fullwidth(short_ask(first.strip(" :,")))


def _is_ask(item: str) -> bool:
    head = item.strip()[:12]
    if head.startswith(tuple(_cues("ask_verbs"))):
        return True
    if any(w in item for w in _cues("problem_words")):
        return False
    return any(w in item for w in _cues("ask_verbs")[:4])


def _section_at(lines: list[str], key: str) -> int:
    for i, ln in enumerate(lines):
        s = re.sub(r"\s+", "", ln)
        if len(s) <= 40 and any(p.search(s) for p in _patterns(key)):
            return i
    return -1


def _sentence_asks(lines: list[str]) -> list[str]:
    """"建议：…" paragraphs without a list: each sentence that asks (建议/希望/呼吁…) is one ask."""
    out = []
    for s in split_sentences("\n".join(lines), "。;；!！", newline=False):
        if len(s) >= 6 and re.search(ASK_WORDS, s) and not re.search(r"提出.{0,6}建议如下|以下建议", s):
            s = re.sub(r"^(?:为此|因此|对此|综上)[,，]?\s*", "", s)
            s = re.sub(r"^(?:特|我们)?建议[:：,，]?\s*", "", s)
            out += [to_fullwidth(short_ask(a)) for a in clause_asks(s)]  # one sentence may ask several things
    return out


_ASK_LEAD = re.compile(rf"(?:{ASK_WORDS})\s*:?\s*$")


def _run_on_asks(lines: list[str]) -> list[str]:
    """A list run on after the ask word within a paragraph ("建议：一是…；二是…", "为此建议：（一）…（二）…"):
    every item is an ask, whatever verb it opens with."""
    text = "\n".join(lines)
    norm = normalize_text(text)
    first = ASK_MARKER.search(norm)
    if first is None or not _ASK_LEAD.search(norm[: first.start()].rstrip()):
        return []
    items = inline_items(norm[first.start():], text[first.start():] if len(text) == len(norm) else None)
    return [_ask_label(i) for i in items]


def split_asks(lines: list[str]) -> tuple[list[str], list[str]]:
    """The asks and the problem statements of a proposal's body lines."""
    run_on = _run_on_asks(lines)
    if len(run_on) >= 2:
        return run_on, []
    start = _section_at(lines, "ask_section")
    prob = _section_at(lines, "problem_section")
    if start >= 0:
        region = lines[start + 1:]
        items = _items(region)
        asks = [_ask_label(i) for i in items] if items else _sentence_asks(region)
        before = lines[prob + 1 if 0 <= prob < start else 0: start]
        problems = [_ask_label(i) for i in _items(before)]
        return asks, problems
    region = lines[prob + 1:] if prob >= 0 else lines
    items, first = _items_at(region)
    if not items:  # a list run on within a paragraph ("…闲置。1. 摸清底数；2. 改作幼儿园；3. …")
        items, first = _items(region), 0
    if items:
        asks = [_ask_label(i) for i in items if _is_ask(i)]
        problems = [_ask_label(i) for i in items if not _is_ask(i)]
        if first > 0:  # a list before the asks' list: the problems (1. 2. … before 一、 二、 …)
            problems = [_ask_label(i) for i in _items(region[:first])] + problems
        if asks:
            return asks, problems
        if not any(w in i for i in items for w in _cues("problem_words")):
            return [_ask_label(i) for i in items], []  # a list of what to do, none of it a problem
    return _sentence_asks(lines), problems if items else []


def extract_asks(body: str, limit: int = 8) -> list[str]:
    """A proposal's asks from its body text, read as the intake reads an uploaded one (`split_asks`): the drafter's
    reader for a proposal typed in or given by a question set. A body that asks nothing in so many words is
    answered sentence by sentence (the intake lists no asks then, and says so)."""
    text = normalize_text(body)
    asks = split_asks(text.split("\n"))[0] or [
        to_fullwidth(short_ask(s)) for s in split_sentences(text, "。;!?", newline=False, min_chars=6)]
    return asks[:limit]

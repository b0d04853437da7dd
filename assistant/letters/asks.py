"""A proposal's asks (一是…, 1., (1)…, 建议…), and whether a letter's sections cover them."""

from __future__ import annotations

import math
import re
from typing import Any

from assistant.answers.question import analyze
from assistant.evidence import cite
from assistant.letters.frame import NEXT_HEADING
from assistant.letters.model import AskCoverage
from core.profile import profile
from core.text import normalize_text

# -- pure helpers --------------------------------------------------------------------------------------
# the profile's words that ask (建议, 希望…), as an alternation
_ASK_WORD_LIST = [re.escape(w) for w in profile().words("intake_cues", "ask_words")]


ASK_WORDS = "|".join(_ASK_WORD_LIST)


# an item marker at the start, after punctuation, or run on after an ask word ("建议一是…；二是…")
ASK_MARKER = re.compile(r"(?:^|(?<=[。;:\n\s])|" + "|".join(f"(?<={w})" for w in _ASK_WORD_LIST) + r")\s*"
                        r"(?:[一二三四五六七八九十]+是|\d{1,2}[.、](?!\d)|\(\d{1,2}\)|\([一二三四五六七八九十]{1,3}\)|"
                        r"[一二三四五六七八九十]+、)")


_ASK_VERBS = tuple(profile().words("intake_cues", "ask_verbs"))
_JOINERS = tuple(profile().words("intake_cues", "clause_joiners"))
_PURPOSE = tuple(profile().words("intake_cues", "purpose_verbs"))


def clause_asks(sentence: str) -> list[str]:
    """The asks of one sentence that asks several things, a clause each (see intake.toml clause_joiners); the
    sentence whole when it asks one. A lead-in without an ask verb ("建议市政府牵头") opens the first ask."""
    clauses = [c for c in re.split(r"[，,]", sentence) if c.strip()]
    asks: list[str] = []
    for c in clauses:
        bare = c.strip()
        for j in _JOINERS:
            if bare.startswith(j):
                bare = bare[len(j):]
                break
        before = re.sub(rf"(?:{ASK_WORDS})", "", asks[-1]) if asks else ""
        if asks and bare.startswith(_ASK_VERBS) and not bare.startswith(_PURPOSE) and len(bare) >= 4 \
                and any(v in before for v in _ASK_VERBS):
            asks.append(bare)
        elif asks:
            asks[-1] += "，" + c.strip()
        else:
            asks.append(c.strip())
    return asks if len(asks) >= 2 else [sentence]


def inline_items(text: str, text_out: str | None = None) -> list[str]:
    """Items opened by 一是/二是, 1. 2., (1), (一), 一、 anywhere in a normalised text (run on in one line or
    not), each from the end of its marker to the next one; [] when there are fewer than two. `text_out`, of
    the same length, is what is cut (the writer's own punctuation)."""
    out_text = text_out if text_out is not None and len(text_out) == len(text) else text
    marks = list(ASK_MARKER.finditer(text))
    if len(marks) < 2:
        return []
    ends = [m.start() for m in marks[1:]] + [len(text)]
    items = [out_text[m.end():end].strip(" ;；。\n") for m, end in zip(marks, ends, strict=True)]
    return [i for i in items if len(i) >= 4]


def short_ask(item: str, limit: int = 60) -> str:
    """First clause of an ask, as a label."""
    first = re.split(r"[。;；]", item, maxsplit=1)[0]
    return first[:limit]


def _covers(ask: str, sentence: str, cities: list[str], lex: Any, need: float = 0.6) -> bool:
    """A sentence speaks to an ask: it holds most of the ask's key terms (IDF-weighted)."""
    terms = [(t, max(w, 0.1)) for t, w in analyze(ask, cities, lex).terms]
    total = sum(w for _, w in terms)
    text = normalize_text(cite.strip_markers(sentence))
    return total > 0 and sum(w for t, w in terms if t in text) / total >= need


def ask_coverage(text: str, asks: list[str], cities: list[str], lex: Any) -> list[AskCoverage]:
    """Which asks the letter answers, read from the whole letter: an ask's own sub-point with a cited
    sentence, else any cited sentence elsewhere (a next step, the overview) that speaks to it."""
    lines = [ln.strip() for ln in text.split("\n") if ln.strip()]
    heads = [i for i, ln in enumerate(lines) if re.match(r"^[（(][一二三四五六七八九十\d]+[)）]", ln)]
    nxt = next((i for i, ln in enumerate(lines) if re.match(NEXT_HEADING, ln)),
               next((i for i, ln in enumerate(lines) if re.match(r"^二、", ln)), len(lines)))
    cited_lines = [(i, ln) for i, ln in enumerate(lines) if cite.CANON.search(ln)]
    out = []
    for ask in asks:
        label = normalize_text(ask.rstrip("。；;"))[:20]
        own = next((i for i in heads if i < nxt and label and label in normalize_text(lines[i])), None)
        if own is not None:
            end = min((i for i in [*heads, nxt] if i > own), default=len(lines))
            mine = [ln for i, ln in cited_lines if own <= i < end]
            if mine:
                out.append(AskCoverage(ask, cite.cited_in(mine), True))
                continue
        other = [(i, ln) for i, ln in cited_lines if _covers(ask, ln, cities, lex)]
        if other:
            where = "next" if all(i > nxt for i, _ in other) else "elsewhere"
            out.append(AskCoverage(ask, cite.cited_in([ln for _, ln in other]), True, where))
        else:
            out.append(AskCoverage(ask, [], False))
    return out


def addresses(ask: str, point: str) -> float:
    """How much of an ask a co-handling opinion's point speaks to: the share of the ask's character bigrams
    (minus the commonest letter words) found in the point."""
    def grams(s: str) -> set[str]:
        t = re.sub(r"[^\u4e00-\u9fff0-9A-Za-z]", "", normalize_text(s))
        return {t[i:i + 2] for i in range(len(t) - 1)}

    stop = set(profile().words("opinion", "common_bigrams"))
    a = grams(ask) - stop
    return len(a & grams(point)) / len(a) if a else 0.0


def _grams(s: str) -> set[str]:
    t = re.sub(r"[^\u4e00-\u9fff0-9A-Za-z]", "", normalize_text(s))
    return {t[i:i + 2] for i in range(len(t) - 1)}


def ask_texts(body: str, asks: list[str]) -> list[str]:
    """Each ask with what the proposal says under it (its sub-items): the body from the ask's label to the next
    ask's; the label alone when it is not found in the body."""
    text = normalize_text(body)
    starts = [text.find(normalize_text(a)[:12]) if a.strip() else -1 for a in asks]
    out = []
    for a, s in zip(asks, starts, strict=True):
        if s < 0:
            out.append(a)
            continue
        end = min((x for x in starts if x > s), default=len(text))
        out.append(text[s:end])
    return out


def ask_scores(point: str, heading: str, asks: list[str], texts: list[str] | None = None) -> list[float]:
    """How much a co-handling opinion's point speaks to each ask: its heading's and text's character bigrams
    found in the ask and what the proposal says under it, each weighted by how few asks share it (a bigram
    every ask has tells nothing), the heading counting three times; plus `addresses` of the ask's label."""
    texts = texts or asks
    stop = set(profile().words("opinion", "common_bigrams"))
    ask_grams = [(_grams(a) | _grams(t)) - stop for a, t in zip(asks, texts, strict=True)]
    n = len(asks)
    df: dict[str, int] = {}
    for g in ask_grams:
        for x in g:
            df[x] = df.get(x, 0) + 1
    weight = {x: math.log((n + 1) / d) for x, d in df.items()}
    counts: dict[str, float] = {}
    for text, times in ((heading, 3.0), (point, 1.0)):
        t = re.sub(r"[^\u4e00-\u9fff0-9A-Za-z]", "", normalize_text(text))
        for i in range(len(t) - 1):
            if t[i:i + 2] not in stop:
                counts[t[i:i + 2]] = counts.get(t[i:i + 2], 0.0) + times
    unseen = math.log(n + 1)  # a bigram no ask has weighs as much as the rarest: off-topic text dilutes
    total = sum(c * weight.get(x, unseen) for x, c in counts.items()) or 1.0
    out = []
    for a, g in zip(asks, ask_grams, strict=True):
        s = sum(c * weight[x] for x, c in counts.items() if x in g)
        out.append(s / total + addresses(a, f"{heading} {point}"))
    return out

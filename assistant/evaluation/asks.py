"""The evaluator's own reading of ask coverage: from the letter's text, never from the drafter's markers.

An ask is answered when the cited sentences about it (each holding `sentence_share` of the ask's content
words; not a blank, not the sub-heading that restates the ask) hold `ask_share` of its words together (an ask
of three parts is answered by three sentences) — in the ask's own section when the letter has one per ask (the
（n） sub-heading that shares most words with it) and the next steps, else anywhere in the body. The word lists and the share
are the profile's [evaluation] (core/domain/questions.toml).
"""

from __future__ import annotations

from functools import lru_cache

from assistant.evidence.cite import CANON, split_sentences, strip_markers
from assistant.retrieval.lexical import tokenize
from core.profile import profile
from core.text import normalize_text


@lru_cache(maxsize=1)
def _generic() -> frozenset[str]:
    return frozenset(profile().words("evaluation", "generic_ask_words"))


def content_words(text: str) -> set[str]:
    """The words that say what an ask is about (jieba tokens of two or more characters, not generic)."""
    return {t for t in tokenize(strip_markers(text)) if len(t) >= 2 and not t.isdigit() and t not in _generic()}


def share(ask_words: set[str], text: str) -> float:
    return len(ask_words & content_words(text)) / len(ask_words) if ask_words else 0.0


def sections(letter: str) -> list[tuple[str, list[str], int]]:
    """(heading, sentences, part) of the letter's body: a （n） sub-heading opens a section, a 一、/二、 heading
    too; `part` counts the 一、/二、 headings (2 from 二、 on: next steps)."""
    out: list[tuple[str, list[str], int]] = [("", [], 0)]
    part = 0
    for raw in letter.split("\n"):
        line = raw.strip()
        rank = profile().heading_rank(normalize_text(line)) if line else None
        if rank in (1, 2):
            part += rank == 1
            head, _, rest = normalize_text(line).partition("。")
            if CANON.search(head):  # a numbered item that is itself a cited sentence: "（二）我局将…[2]。"
                head, rest = "", line
            out.append((head, split_sentences(rest) if rest.strip() else [], part))
        elif line:
            out[-1][1].extend(split_sentences(line))
    return out


def _evidence(sentence: str) -> bool:
    return bool(CANON.search(sentence)) and "【" not in sentence


def judge_asks(letter: str, asks: list[str]) -> list[bool]:
    """Whether the letter answers each ask, read from its text: what its own section says, with what the
    next steps say of it."""
    need = float(profile().section("evaluation").get("ask_share", 0.5))
    touch = float(profile().section("evaluation").get("sentence_share", 0.2))
    parts = sections(letter)[1:]
    body = [s for _, ss, _ in parts for s in ss if _evidence(s)]
    later = [s for _, ss, part in parts if part >= 2 for s in ss if _evidence(s)]
    out = []
    for ask in asks:
        words = content_words(ask)
        own = max((p for p in parts if p[2] < 2), key=lambda p: share(words, p[0]), default=("", [], 0))
        if own[0] and share(words, own[0]) >= need:
            pool = [s for s in own[1] if _evidence(s)] + later
        else:
            pool = body
        on_topic = [s for s in pool if share(words, s) >= touch]  # each sentence about the ask…
        out.append(share(words, " ".join(on_topic)) >= need)  # …and together they answer most of it
    return out

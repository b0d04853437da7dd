"""Draft reply letters (答复函): the proposal's asks, material per ask, the letter, and its structure check."""

from __future__ import annotations

import re
from typing import Any

from assistant.evidence import cite
from assistant.retrieval.hybrid import Hit
from core.text import normalize_text


def _numbers_in(lines: list[str]) -> list[int]:
    return list(dict.fromkeys(int(n) for ln in lines for n in cite._CANON.findall(ln)))


def renumber(text: str, passages: list[Hit]) -> tuple[str, list[Hit]]:
    """Citations numbered 1, 2, 3… in order of first use; the passages reordered to match (the ones not
    cited follow in their old order)."""
    order: list[int] = []
    for m in cite._CANON.finditer(text):
        n = int(m.group(1))
        if 1 <= n <= len(passages) and n not in order:
            order.append(n)
    order += [n for n in range(1, len(passages) + 1) if n not in order]
    new = {old: i + 1 for i, old in enumerate(order)}
    out = cite._CANON.sub(lambda m: f"[{new.get(int(m.group(1)), int(m.group(1)))}]", text)
    return out, [passages[old - 1] for old in order]




_HEADING_LINE = re.compile(r"^\s*(?:[一二三四五六七八九十]+[、.]|\([一二三四五六七八九十]+\)|\d{1,2}[.、](?!\d))")


def support_span(sentence: str, passage: str) -> tuple[int, int]:
    """The span of the passage a cited sentence rests on, to highlight: the quoted text itself when it is
    there, else the passage sentence sharing most wording with it; a heading line only when nothing else
    shares any (a lifted sentence may carry a subject or lose its enumerator, its facts do not change)."""
    body = normalize_text(cite.strip_markers(sentence)).strip().lstrip("-•· ").rstrip("。")
    if body and (k := passage.find(body)) != -1:
        return k, k + len(body)
    grams = cite.bigrams(body)
    best, best_score, pos = (0, 0), 0.0, 0
    for part in re.split(r"(?<=[。!?;！？；\n])", passage):
        text = part.rstrip("\n")
        core = text.strip()
        if core:
            heading = bool(_HEADING_LINE.match(core)) and "。" not in core[:-1] and len(core) < 50
            score = len(grams & cite.bigrams(core)) / (len(grams) or 1) * (0.5 if heading else 1.0)
            if score > best_score:
                lead = len(text) - len(text.lstrip())
                best, best_score = (pos + lead, pos + len(text)), score
        pos += len(part)
    return best


def draft_citations(draft: Any) -> list[dict[str, Any]]:
    """The draft's cited sources with the span each rests on (for highlighting), like Answer.citation."""
    out = []
    for src in draft.sources():
        claims = [s for s in draft.report.sentences if src["n"] in s.cited]
        a, b = support_span(claims[0].text, src["text"]) if claims else (0, 0)
        out.append({**src, "span": [a, b]})
    return out


def renumbered(text: str, citations: list[dict[str, Any]]) -> tuple[str, list[dict[str, Any]]]:
    """An answer as shown: its citations numbered 1, 2, 3… in order of first use (the text and the list
    alike), the list in that order."""
    order = list(dict.fromkeys(int(n) for n in cite._CANON.findall(text)))
    new = {old: i + 1 for i, old in enumerate(order)}
    shown = cite._CANON.sub(lambda m: f"[{new.get(int(m.group(1)), int(m.group(1)))}]", text)
    cits = sorted(({**c, "n": new.get(int(c["n"]), int(c["n"]))} for c in citations), key=lambda c: int(c["n"]))
    return shown, cits


def answer_citations(ans: Any) -> list[dict[str, Any]]:
    """An answer's citations, each with the span of the sentence that supports it (not a heading)."""
    out = []
    for n in ans.report.cited:
        c = ans.citation(n)
        claims = [s for s in ans.report.sentences if n in s.cited]
        if claims:
            c["span"] = list(support_span(claims[0].text, str(c.get("text", ""))))
        out.append(c)
    return out

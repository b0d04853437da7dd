"""Where a citation points: the span of the passage a sentence rests on, and citations renumbered in order of use."""

from __future__ import annotations

from typing import Any

from assistant.evidence.cite import CANON, bigrams, strip_markers
from assistant.retrieval.hybrid import Hit
from core.profile import profile
from core.text import normalize_text, sentence_spans


def first_use(text: str, limit: int | None = None) -> dict[int, int]:
    """Old citation number → new, numbering 1, 2, 3… in order of first use in the text (numbers above
    `limit` are not citations of this list and keep theirs)."""
    order: list[int] = []
    for m in CANON.finditer(text):
        n = int(m.group(1))
        if (limit is None or 1 <= n <= limit) and n not in order:
            order.append(n)
    return {old: i + 1 for i, old in enumerate(order)}


def _apply(text: str, new: dict[int, int]) -> str:
    return CANON.sub(lambda m: f"[{new.get(int(m.group(1)), int(m.group(1)))}]", text)


def renumber(text: str, passages: list[Hit]) -> tuple[str, list[Hit]]:
    """Citations numbered 1, 2, 3… in order of first use; the passages reordered to match (the ones not
    cited follow in their old order)."""
    new = first_use(text, len(passages))
    for n in range(1, len(passages) + 1):
        new.setdefault(n, len(new) + 1)
    order = sorted(new, key=new.__getitem__)
    return _apply(text, new), [passages[old - 1] for old in order]


def renumbered(text: str, citations: list[dict[str, Any]]) -> tuple[str, list[dict[str, Any]]]:
    """An answer as shown: its citations numbered 1, 2, 3… in order of first use (the text and the list
    alike), the list in that order."""
    new = first_use(text)
    cits = sorted(({**c, "n": new.get(int(c["n"]), int(c["n"]))} for c in citations), key=lambda c: int(c["n"]))
    return _apply(text, new), cits


def _is_heading(line: str) -> bool:
    rank = profile().heading_rank(line)
    return rank is not None and rank <= 3


def span_of(sentence: str, passage: str) -> tuple[int, int]:
    """The span of the passage a cited sentence rests on, to highlight: the quoted text itself when it is
    there, else the passage sentence sharing most wording with it; a heading line only when nothing else
    shares any (a lifted sentence may carry a subject or lose its enumerator, its facts do not change).
    (0, 0) when nothing is shared."""
    body = normalize_text(strip_markers(sentence)).strip().lstrip("-•· ").rstrip("。")
    if body and (k := passage.find(body)) != -1:
        return k, k + len(body)
    grams = bigrams(body)
    best, best_score = (0, 0), 0.0
    for a, b in sentence_spans(passage):
        text = passage[a:b].rstrip("\n")
        core = text.strip()
        if core:
            heading = _is_heading(core) and "。" not in core[:-1] and len(core) < 50
            score = len(grams & bigrams(core)) / (len(grams) or 1) * (0.5 if heading else 1.0)
            if score > best_score:
                lead = len(text) - len(text.lstrip())
                best, best_score = (a + lead, a + len(text)), score
    return best


def draft_citations(draft: Any) -> list[dict[str, Any]]:
    """The draft's cited sources with the span each rests on (for highlighting), like Answer.citation."""
    out = []
    for src in draft.sources():
        claims = [s for s in draft.report.sentences if src["n"] in s.cited]
        a, b = span_of(claims[0].text, src["text"]) if claims else (0, 0)
        out.append({**src, "span": [a, b]})
    return out

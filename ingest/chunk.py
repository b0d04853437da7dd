"""Cut sections into retrieval chunks bounded in tokens, on sentence ends, never across sections."""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass

from core.text import SENTENCE_ENDS, sentence_spans
from ingest.sections import Section

_CLAUSE_ENDS = ",、:，："


def _pieces(text: str, ends: str = SENTENCE_ENDS) -> list[str]:
    """The text cut after each end mark (and line break for sentences), nothing dropped."""
    return [text[a:b] for a, b in sentence_spans(text, ends, newline=ends == SENTENCE_ENDS)]


def split_span(
    text: str, start: int, end: int, max_tokens: int, count: Callable[[str], int]
) -> list[tuple[int, int]]:
    """Offsets of chunks covering text[start:end] exactly, each within max_tokens where possible.

    Sentences are packed greedily; a single sentence over the budget is cut at clause marks and,
    only if a clause is still too long (a giant unpunctuated paragraph), at a character count.
    """
    span = text[start:end]
    if count(span) <= max_tokens:
        return [(start, end)]
    units: list[str] = []
    for sentence in _pieces(span):
        if count(sentence) <= max_tokens:
            units.append(sentence)
            continue
        for clause in _pieces(sentence, _CLAUSE_ENDS):
            if count(clause) <= max_tokens:
                units.append(clause)
            else:
                step = max(1, max_tokens // 4)  # byte-level BPE: at most 4 tokens per character
                units.extend(clause[i : i + step] for i in range(0, len(clause), step))
    out: list[tuple[int, int]] = []
    pos, cur_start = start, start
    for unit in units:
        # measured on the joined text: BPE can merge across the join, so token counts do not add up
        if pos > cur_start and count(text[cur_start : pos + len(unit)]) > max_tokens:
            out.append((cur_start, pos))
            cur_start = pos
        pos += len(unit)
    if pos > cur_start:
        out.append((cur_start, pos))
    return _trim(text, out)


def _trim(text: str, spans: list[tuple[int, int]]) -> list[tuple[int, int]]:
    """Drop leading/trailing newlines from chunk spans so each starts and ends on content."""
    out = []
    for a, b in spans:
        while a < b and text[a] == "\n":
            a += 1
        while b > a and text[b - 1] == "\n":
            b -= 1
        if b > a:
            out.append((a, b))
    return out


@dataclass(frozen=True)
class PlannedChunk:
    part: int
    path: tuple[str, ...]
    role: str  # opening | body | closing | outline
    start: int
    end: int
    text: str


def plan_chunks(
    text: str, sections: list[Section], max_tokens: int, count: Callable[[str], int]
) -> list[PlannedChunk]:
    """Structure-aware chunks: the largest heading subtree that fits the budget becomes one chunk.

    A subtree that does not fit is split into its children (recursively, down to sentence packing
    inside a leaf section), and gets an outline chunk listing its sub-headings so that "which
    aspects…" questions still find the whole structure in one passage. No chunk crosses a section
    boundary at its own level; every chunk's text is text[start:end] except outlines, whose lines
    are each copied from the document and whose span is the subtree's.

    Longer than most functions on purpose: its three steps (leaf, pack, outline) are closures over the text
    and the output list, and read best together.
    """
    out: list[PlannedChunk] = []
    by_part: dict[int, list[Section]] = {}
    for sec in sections:
        by_part.setdefault(sec.part, []).append(sec)

    def leaf(sec: Section, path: tuple[str, ...]) -> None:
        for a, b in split_span(text, sec.start, sec.end, max_tokens, count):
            out.append(PlannedChunk(sec.part, path, sec.role, a, b, text[a:b]))

    def pack(secs: list[Section], depth: int) -> None:
        groups: list[list[Section]] = []
        for sec in secs:
            key = sec.heading_path[depth] if len(sec.heading_path) > depth else None
            prev = groups[-1][0] if groups else None
            prev_key = (prev.heading_path[depth] if len(prev.heading_path) > depth else None) if prev else None
            if groups and key is not None and key == prev_key:
                groups[-1].append(sec)
            else:
                groups.append([sec])
        kids = [g for g in groups if len(g[0].heading_path) > depth]
        if depth > 0 and len(kids) >= 2:
            node = secs[0].heading_path[:depth]
            _outline(secs, node, kids, depth)
        for g in groups:
            if len(g[0].heading_path) <= depth:  # the node's own text (lead-in, opening, closing)
                for sec in g:
                    leaf(sec, sec.heading_path)
                continue
            a, b = g[0].start, g[-1].end
            if depth > 0 and count(text[a:b]) <= max_tokens:
                out.append(PlannedChunk(g[0].part, g[0].heading_path[: depth + 1], "body", a, b, text[a:b]))
            elif len(g) == 1 and len(g[0].heading_path) == depth + 1:
                leaf(g[0], g[0].heading_path)
            else:
                pack(g, depth + 1)

    def _outline(secs: list[Section], node: tuple[str, ...], kids: list[list[Section]], depth: int) -> None:
        """One outline passage (or several, if long) listing the sub-headings of a subtree."""
        head = heading_sentence(text, label_at(text, node[-1], secs[0].start)) if node else ""
        lines = []
        for g in kids:
            label = g[0].heading_path[depth]
            ln = heading_sentence(text, label_at(text, label, g[0].start))
            lines.append(ln if len(ln) <= 60 else label)
        a, b = kids[0][0].start if not node else secs[0].start, kids[-1][-1].end if not node else secs[-1].end
        batch: list[str] = []
        for ln in lines:
            if batch and count("\n".join([head, *batch, ln])) > max_tokens:
                out.append(PlannedChunk(secs[0].part, node, "outline", a, b, "\n".join(x for x in [head, *batch] if x)))
                batch = []
            batch.append(ln)
        out.append(PlannedChunk(secs[0].part, node, "outline", a, b, "\n".join(x for x in [head, *batch] if x)))

    for secs in by_part.values():
        pack(secs, 0)
        kids: list[list[Section]] = []
        for sec in secs:
            if not sec.heading_path:
                continue
            if kids and kids[-1][0].heading_path[0] == sec.heading_path[0]:
                kids[-1].append(sec)
            else:
                kids.append([sec])
        if len(kids) >= 2:  # the part's own outline: its top-level headings
            _outline(secs, (), kids, 0)
    return out


def label_at(text: str, label: str, start: int) -> int:
    """Where a heading is written (a merged section starts at its parent's heading)."""
    k = text.find(label, start)
    return k if k != -1 else start


def heading_sentence(text: str, start: int) -> str:
    """The heading's own sentence: from its marker to the first full stop or line end."""
    end = len(text)
    for stop in ("。", "\n"):
        k = text.find(stop, start)
        if k != -1:
            end = min(end, k)
    return text[start:end]

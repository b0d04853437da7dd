"""Offline answers whose figures stay true: the newest value of a measure first, earlier values with their
dates, every quoted figure with its as-of (【截至…】), a superseded source marked."""

from __future__ import annotations

import re
from collections.abc import Callable, Sequence
from typing import Any

from assistant.facts.figures import Figure, choose, fragment_figures, series_of
from core.text import normalize_text


# -- answers: the newest figure, dated ---------------------------------------------------------------------------
def _fig_terms_cover(f: Figure, terms: Sequence[tuple[str, float]]) -> float:
    return sum(w for t, w in terms if t in f.subject or t in f.sentence[:f.start])


def compose_dated(info: Any, chosen: list[Any], cands: list[Any], hits: list[Any], number_of: dict[str, int],
                  notes: dict[str, str] | None = None, compose: Callable[..., list[str]] | None = None) -> list[str]:
    """The offline composer's lines with facts that stay true: for a figure question the newest value of the
    measure (or the named year's) is quoted first, the earlier values listed after it with their dates; every
    quoted figure gets its as-of (【截至…】, a target its year) and a superseded source is marked.

    `info` is a `QuestionInfo`, `chosen` / `cands` `Candidate`s over `hits` (as in `assistant.generate`)."""
    if compose is None:
        from assistant.answers.compose import compose_group

        compose = compose_group
    earlier: list[tuple[Figure, Any]] = []
    if getattr(info, "numeric", False) and chosen:
        owner: dict[int, Any] = {}
        pool: list[Figure] = []
        for c in cands:
            if not c.has_number:
                continue
            for f in fragment_figures(c.text, hits[c.hit].text, hits[c.hit].metadata):
                owner[id(f)] = c
                pool.append(f)
        first = [f for f in pool if owner[id(f)] is chosen[0] and not f.is_target]
        shape = getattr(info, "answer_shape", None)
        if shape is not None:
            first = [f for f in first if shape.search(f.text)] or first
        if first:
            anchor = max(first, key=lambda f: _fig_terms_cover(f, info.terms))
            pick, older = choose(anchor, [f for f in pool if not f.is_target], list(getattr(info, "years", [])))
            best = owner[id(pick)]
            same = {id(owner[id(f)]) for f in series_of(anchor, pool).figures}
            chosen = [best] + [c for c in chosen if c is not best and id(c) not in same]
            shown = {best.text}
            for f in older:
                c = owner[id(f)]
                if c.text not in shown:
                    shown.add(c.text)
                    earlier.append((f, c))
    lines = compose(chosen, hits, number_of)
    by_n = {number_of[h.id]: h for h in hits if h.id in number_of}
    out: list[str] = []
    for i, line in enumerate(lines):
        if line.startswith("【") and notes:
            nxt = next((x for x in lines[i + 1:] if x.startswith("- ")), "")
            m = re.search(r"\[(\d+)\]。?$", nxt)
            h = by_n.get(int(m[1])) if m else None
            note = notes.get(h.meta.doc_id) if h is not None else None
            out.append(line[:-1] + f" · {note}】" if note else line)
            continue
        out.append(line + _as_of_trailer(line, by_n))
    if earlier:
        out.append("【此前的数据】")
        for _f, c in earlier:
            n = number_of.get(hits[c.hit].id)
            body = c.text.rstrip().rstrip("。;,；，:：")
            line = f"- {body}[{n}]。"
            out.append(line + _as_of_trailer(line, by_n))
    return out


def _as_of_trailer(line: str, by_n: dict[int, Any]) -> str:
    """【截至…】 after a quoted sentence with a count, amount or share whose date it does not state itself."""
    m = re.search(r"\[(\d+)\]。?$", line)
    if not line.startswith("- ") or not m or int(m[1]) not in by_n:
        return ""
    hit = by_n[int(m[1])]
    figs = fragment_figures(line[2:m.start()], hit.text, hit.metadata)
    if not figs:
        return ""
    f = figs[0]
    if f.is_target:
        return f"【{f.as_of.year}年目标】" if f.as_of.stated and f.as_of.year not in line else ""
    if not f.as_of.label or (f.as_of.stated and f.as_of.label.split("（")[0] in normalize_text(line)):
        return ""
    return f"【截至{f.as_of.label}】"

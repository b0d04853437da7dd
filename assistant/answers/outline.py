"""A list question about one section of a letter: every item of the section, each with what it says.

Retrieval finds passages, not sections: "下一步工作计划包括哪几个方面？" gets two or three of the five items,
and their headings without the measures under them. When the best passages sit under a heading that shares
the question's words, the answer is that section read whole, in the document's order: each sub-item's
heading with its first sentences, or, for a section without sub-items, its sentences.
"""

from __future__ import annotations

import re
from collections.abc import Callable
from dataclasses import dataclass

from assistant.answers.question import QuestionInfo
from assistant.retrieval.hybrid import Hit
from core.profile import profile
from core.text import normalize_text, split_sentences

SectionOf = Callable[[Hit, str], list[Hit]]  # the passages of a hit's document under a heading path

_ASIDE = re.compile(r"[(（][^()（）]*[)）]。?")  # "(市科学技术局、财政局负责)": who does it, not an item
_LETTER_WORDS = frozenset(profile().words("questions", "letter_heading_words"))
_MAX_ITEMS = 15
_LEAF_SENTENCES = 10


@dataclass(frozen=True)
class Item:
    heading: str  # "(一)拓宽融资渠道" ("" in a section without sub-items: each sentence is an item)
    sentences: tuple[str, ...]
    hit: Hit  # the passage that holds the item (its citation)


@dataclass(frozen=True)
class Section:
    title: str  # the section's heading as the letter writes it: "三、集聚资本要素,注入企业健康发展能量"
    items: tuple[Item, ...]
    hits: tuple[Hit, ...]  # the passages it cites: its heading's, then each item's


def _bare(text: str) -> str:
    return re.sub(r"[\s\W]+", "", normalize_text(text))


def full_heading(short: str, hits: list[Hit]) -> str:
    """The heading as written ("三、集聚资本要素,注入企业健康发展能量"): a path keeps only its first clause."""
    for h in hits:
        for line in h.text.split("\n"):
            if line.strip().startswith(short):
                return split_sentences(line, "。;")[0].rstrip("。;")
    return short


def topic_cover(info: QuestionInfo, text: str, about: str) -> float:
    """The share (by IDF weight) of the question's own words a heading holds: words the document's title,
    office or place already gives (专精特新, 杭州), and words every letter's headings use (意见, 办理), say nothing
    about which section is meant."""
    terms = [(t, w) for t, w in info.terms if t not in about and t not in _LETTER_WORDS]
    total = sum(w for _, w in terms)
    return sum(w for t, w in terms if t in normalize_text(text)) / total if total else 0.0


def choose(info: QuestionInfo, hits: list[Hit], section_of: SectionOf) -> Section | None:
    """The section the question asks about: of the headings above the best passage under a heading (one of the
    first three; below a first passage without a heading, only a heading holding half the question's own words),
    the one that shares most of the question's own words, the deepest on a tie. None when no
    heading shares any, when the section has fewer than two items, or when the question wants something else:
    one value (a 文号, a date: its slot), document titles, or several places."""
    if info.kind != "list" or info.slot is not None or info.wants_titles or len(info.cities) > 1:
        return None
    top = next((h for h in hits[:3] if h.meta.heading_path), None)
    if top is None:
        return None
    first = top is hits[0]  # below a best passage without a heading (an opening), a heading must say more
    about = normalize_text(" ".join([top.meta.title, top.meta.office, top.meta.place, top.meta.city]))
    parts = top.meta.heading_path.split(" > ")
    best: tuple[float, int, str, list[Hit], str] | None = None
    for depth in range(len(parts)):
        path = " > ".join(parts[: depth + 1])
        passages = section_of(top, path)
        title = full_heading(parts[depth], passages)
        cover = topic_cover(info, title, about)
        if cover > 0 and (best is None or (cover, depth) >= best[:2]):
            best = (cover, depth, path, passages, title)
    if best is None or not first and best[0] < 0.5:
        return None
    _, _, path, passages, title = best
    items = read_items(path, passages)
    cited = {h.id: h for h in [passages[0], *(i.hit for i in items)]}  # the heading's passage, then each item's
    return Section(title, tuple(items), tuple(cited.values())) if len(items) >= 2 else None


def read_items(path: str, passages: list[Hit]) -> list[Item]:
    """The section's sub-items in order, each with its first sentences (fewer when there are many); a section
    without sub-items gives its sentences as items."""
    depth = len(path.split(" > "))
    children: list[str] = []
    for h in passages:
        parts = h.meta.heading_path.split(" > ")
        if len(parts) > depth and parts[depth] not in children:
            children.append(parts[depth])
    headings = {_bare(p) for h in passages for p in h.meta.heading_path.split(" > ") if p}
    if len(children) < 2:
        leaf = [(s, h) for h in passages for s in _sentences(h, headings)]
        return [Item("", (s,), h) for s, h in leaf[:_LEAF_SENTENCES]]
    per = max(1, min(3, 9 // len(children)))
    items = []
    for child in children[:_MAX_ITEMS]:
        under = [h for h in passages if (h.meta.heading_path.split(" > ") + [""])[depth] == child]
        heading = full_heading(child, under)
        # the first passage under the item that says something: its first sentences, all cited to it
        said = next(((h, found) for h in under if (found := _sentences(h, headings))), None)
        items.append(Item(heading, tuple(said[1][:per]), said[0]) if said else Item(heading, (), under[0]))
    return items


def _sentences(hit: Hit, headings: set[str]) -> list[str]:
    """A passage's sentences that say something: not a heading of the section's outline, not an aside."""
    out = []
    for s in split_sentences(hit.text, "。;", flattened=True, min_chars=6):
        bare = _bare(s)
        if any(bare.startswith(h) for h in headings if h) or _ASIDE.fullmatch(s.strip()):
            continue
        out.append(s.rstrip("。;"))
    return out


def compose(section: Section, number_of: dict[str, int], source: str) -> list[str]:
    """The section as answer lines: its source and heading, then each item with its citation."""
    first = number_of[section.hits[0].id]
    lines = [source, f"「{section.title}」[{first}]："]
    for item in section.items:
        n = number_of[item.hit.id]
        body = "".join(f"{s}[{n}]。" for s in item.sentences)
        if item.heading:
            lines.append(f"- {item.heading}：{body}" if body else f"- {item.heading}[{n}]。")
        else:
            lines.append(f"- {body}")
    return lines

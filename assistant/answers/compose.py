"""The offline, extractive answer: which retrieved sentences answer, grouped by source, each with its [n]."""

from __future__ import annotations

import re

from assistant.answers.question import Candidate, QuestionInfo, slot_value
from assistant.evidence.cite import is_claim
from assistant.retrieval.hybrid import Hit
from core.profile import profile
from core.text import cn_number


# -- offline, extractive ------------------------------------------------------------------------------
def source_line(hit: Hit) -> str:
    """Whose, what and when a group of sentences is: 【揭阳市工业和信息化局 · 答复 · 2023-06-30】. A page whose office and
    kind were not read says its place and title instead (【云南省 · 对政协云南省…第120400516号提案的答复】, not 【其他】)."""
    m = hit.metadata
    kind, title = str(m.get("kind", "")), str(m.get("title", ""))[:40]
    what = title if kind in ("", "other") and title else profile().kind_labels.get(kind, "")
    where = str(m.get("office") or m.get("city") or m.get("province") or "")
    parts = [where, what, str(m.get("date", ""))]
    return "【" + " · ".join(p for p in parts if p) + "】"


def pick_sentences(info: QuestionInfo, cands: list[Candidate], limit: int | None = None) -> list[Candidate]:
    """The sentences that answer: for a fact the one or two that hold it, for a list several items."""
    slot = info.slot

    def gives_slot(c: Candidate) -> bool:
        # the asked value, meeting every constraint of the question (year, level…): read by candidate_sentences, else here
        return slot is not None and (bool(c.gives) or not c.near and slot_value(slot, info.text, c.text, info.term_words) is not None)

    # a short line that gives the asked value ("签发人:庞佃宝") answers, though it is too short to be a claim
    # never a page's index or date line, nor a heading on the passage's own path (it names a section, it is no item)
    admitted = [c for c in cands if (c.coverage > 0 or c.score > 0.3) and (c.heading or is_claim(c.text) or gives_slot(c))
                and (gives_slot(c) or readable(c)) and not is_chrome(c)]
    pool = [c for c in admitted if gives_slot(c) or not own_heading(c)]
    if info.numeric:
        pool = [c for c in pool if c.has_number or gives_slot(c)] or pool  # a stage answers 什么时候 too
        if info.wants_current:
            pool = [c for c in pool if not c.is_target] or pool
    n = limit or {"fact": 2, "list": 8, "compare": 2, "other": 3}[info.kind]
    if info.kind == "list" and not info.wants_titles:
        # an outline passage that is about the question lists its items; headings elsewhere do not
        about = [c for c in admitted if c.heading and c.coverage >= 0.5]  # a section's own heading says what it is about
        if about:
            best_hit = max(about, key=lambda c: c.coverage).hit
            items = [c for c in pool if c.heading and c.hit == best_hit]
            if len(items) >= 3:
                pool, n = items, limit or 12
    if slot is not None:
        shaped = [c for c in pool if gives_slot(c)]
        # then the sentences whose value misses a constraint (another year, a target): still closer than no value
        near = [c for c in pool if c.near and not c.gives]
        pool = shaped + near + [c for c in pool if c not in shaped and c not in near] if shaped else pool
    chosen: list[Candidate] = []
    seen: set[str] = set()
    for c in pool:
        if chosen and info.kind in ("fact", "compare") and (
                c.score < 0.8 * chosen[0].score
                or c.hit != chosen[0].hit and c.coverage < 0.8 * chosen[0].coverage):
            break  # a second sentence only when it is nearly as good as the first (as much on topic, if elsewhere)
        key = re.sub(r"\W", "", c.text)[:40]
        if key in seen or any(key in re.sub(r"\W", "", x.text) for x in chosen):
            continue
        seen.add(key)
        chosen.append(c)
        if len(chosen) >= n:
            break
    if info.kind == "list":  # items read in the document's order, an inline list whole
        chosen = inline_items(chosen, cands)
        chosen.sort(key=lambda c: (c.hit, c.position))
    return chosen


def inline_items(chosen: list[Candidate], cands: list[Candidate]) -> list[Candidate]:
    """A chosen sentence that opens an inline list ("主要涉及以下方面:一是优化营商环境;") brings the items that
    follow it in its passage (二是…;三是…), however short: the list is the answer, not its first item."""
    at = {(c.hit, c.position): c for c in cands}
    out = list(chosen)
    for c in chosen:
        if not (m := list(profile().shi_marker.finditer(c.text))) or m[-1].group(1) != "一":
            continue
        pos, expect = c.position + 1, 2
        while (nxt := at.get((c.hit, pos))) and (first := profile().shi_marker.match(nxt.text)) \
                and cn_number(first.group(1)) == expect:
            if nxt not in out:
                out.append(nxt)
            pos, expect = pos + 1, expect + 1
    return out


_HAN = re.compile(r"[\u4e00-\u9fff]")


_FIELD = re.compile(r"[\u4e00-\u9fff]{1,6}\s*[:：]")


_LABEL = re.compile(r"[\u4e00-\u9fff]{4,10}")


def readable(c: Candidate) -> bool:
    """Words a reader can take as an answer: a page's index number or date line ("1137010355374005X3/2025-6693596",
    "2025-11-26") is not, though it holds figures, nor a contact or 抄送 line, nor the letter's bare 文号
    ("沭财复字〔2022〕4号"). Each still answers when it gives the asked value (联系人是谁, 文号是多少)."""
    text = c.text.strip().rstrip("。")
    return len(_HAN.findall(c.text)) >= 4 and not profile().contact_line.match(text) \
        and not profile().doc_number.fullmatch(text)


_BARE_DATE = re.compile(r"\d{4}\s*年\s*\d{1,2}\s*月\s*\d{1,2}\s*日|\d{4}-\d{1,2}-\d{1,2}")


def is_chrome(c: Candidate) -> bool:
    """A page's frame, never an answer even where its words look like one: a row of labelled fields ("办:…办公室 |
    联系地址:… | 联系方式:0855-8235320", a footer), a short bare label ("法定主动公开内容", "州直部门频道": a portal's
    menu; 州直部 is no office), which is no heading or item of the letter, or a bare date line ("2020年12月3日")."""
    text = c.text.strip()  # a sentence ends in 。 ("鲸鱼座计划已完成。"); a menu's label does not
    label = bool(_LABEL.fullmatch(text)) and not c.heading and not profile().shi_marker.match(text)
    # a bare date is a letter's date line: its record answers when it was written (record_line), the line nothing
    return label or bool(_BARE_DATE.fullmatch(text.rstrip("。"))) or "|" in c.text and len(_FIELD.findall(c.text)) >= 2


def own_heading(c: Candidate) -> bool:
    """The heading of the section the passage comes from ("一、基本情况"): it names the section, it is not an item
    of it (the items of an outline the question is about are chosen apart)."""
    return c.names_section


def compose_group(chosen: list[Candidate], hits: list[Hit], number_of: dict[str, int]) -> list[str]:
    """Sentences grouped by source, best source first, each followed by its citation."""
    order: list[str] = []
    by_doc: dict[str, list[Candidate]] = {}
    for c in chosen:  # chosen is best-first, so the first source is the one holding the best sentence
        doc = hits[c.hit].meta.sub_doc or hits[c.hit].id
        if doc not in by_doc:
            order.append(doc)
        by_doc.setdefault(doc, []).append(c)
    lines = []
    for doc in order:
        group = by_doc[doc]
        lines.append(source_line(hits[group[0].hit]))
        for c in group:
            body = c.text.rstrip().rstrip("。;,；，:：")
            lines.append(f"- {body}[{number_of[hits[c.hit].id]}]。")
    return lines

"""Split cleaned text into parts (proposal, reply, co-handling opinion, plan) and parts into sections."""

from __future__ import annotations

import datetime
import re
from dataclasses import dataclass

from core.profile import profile
from core.text import CN_DIGIT, cn_number

_P = profile()
CN_NUM = _P.cn_numerals
# Heading schemes by rank come from the domain profile (一、 > (一) > 1. > (1) > 一是…). A new heading pops
# every open heading of equal or lower rank, so lists that start below the top level still nest correctly.
_HEADINGS: list[tuple[int, re.Pattern[str]]] = [(h.rank, h.pattern) for h in _P.heading_schemes]
SHI_RANK = 1 + max(rank for rank, _ in _HEADINGS)
_SHI = _P.shi_marker
DATE_LINE = _P.date_line
OFFICE_LINE = _P.office_line
SALUTATION = _P.salutation
CONTACT_LINE = _P.contact_line
CLOSING_LINE = _P.closing_line


@dataclass(frozen=True)
class Part:
    """A sub-document: the proposal, a reply, a co-handling opinion, a notice or a plan."""

    index: int
    kind: str
    first_line: int
    last_line: int  # inclusive
    salutation: str  # addressee line without the colon, "" when none
    signature_office: str
    signature_date: str  # ISO date, "" when none


@dataclass(frozen=True)
class Section:
    """A contiguous span of one part under one heading path."""

    part: int
    heading_path: tuple[str, ...]
    role: str  # opening | body | closing
    start: int
    end: int


def line_spans(text: str) -> list[tuple[int, int]]:
    """(start, end) offsets of each line of the cleaned text."""
    spans, pos = [], 0
    for ln in text.split("\n"):
        spans.append((pos, pos + len(ln)))
        pos += len(ln) + 1
    return spans


def valid_date(y: int, m: int, d: int) -> str:
    """ISO date, or "" for a date that does not exist (2023-02-30): never passed on as if it did."""
    try:
        return datetime.date(y, m, d).isoformat()
    except ValueError:
        return ""


_CN_DATE = re.compile(_P.data["letters"]["cn_date"])
def is_date_line(line: str) -> bool:
    line = line.strip()
    return bool(DATE_LINE.match(line) or _CN_DATE.match(line))


def iso_date(line: str) -> str:
    """ISO date of a signature line (2023年6月19日, 二〇二三年六月十九日, the typo 2019月6月11日), else ""."""
    line = line.strip()
    if m := DATE_LINE.match(line):
        return valid_date(int(m[1]), int(m[2]), int(m[3]))
    if m := _CN_DATE.match(line):
        year = int("".join(str(CN_DIGIT[c]) for c in m[1]))
        return valid_date(year, cn_number(m[2]), cn_number(m[3]))
    return ""


def _is_title_like(line: str) -> bool:
    return "。" not in line and len(line) < 90 and not heading_of(line)


def split_parts(lines: list[str]) -> list[Part]:
    """Cut the document where a salutation opens a new letter or a signature (office + date) closes one."""
    bounds: list[tuple[int, int, str, str, str]] = []
    start, salutation, has_body = 0, "", False
    i, n = 0, len(lines)

    def close(end: int, office: str = "", date: str = "") -> None:
        nonlocal start, salutation, has_body
        if end >= start:
            bounds.append((start, end, salutation, office, date))
        start, salutation, has_body = end + 1, "", False

    while i < n:
        ln = lines[i]
        if SALUTATION.match(ln) and i + 1 < n:
            if salutation or has_body:
                close(i - 1)
            salutation = ln[:-1]
            i += 1
            continue
        if OFFICE_LINE.match(ln) and i + 1 < n and is_date_line(lines[i + 1]):
            end = i + 1
            if end + 1 < n and CONTACT_LINE.match(lines[end + 1]):
                end += 1
            close(end, ln, iso_date(lines[i + 1]))
            i = end + 1
            continue
        if has_body and is_date_line(ln):  # a date alone under the body signs the letter (no office line)
            end = i
            if end + 1 < n and CONTACT_LINE.match(lines[end + 1]):
                end += 1
            close(end, "", iso_date(ln))
            i = end + 1
            continue
        if not _is_title_like(ln):
            has_body = True
        i += 1
    if start < n:
        close(n - 1)
    parts: list[Part] = []
    for idx, (a, b, sal, office, date) in enumerate(bounds):
        kind = _part_kind(lines[a : b + 1], sal, parts)
        parts.append(Part(idx, kind, a, b, sal, office, date))
    return parts


def _part_kind(lines: list[str], salutation: str, earlier: list[Part]) -> str:
    head = "".join(lines[:3])
    prof = profile()
    if not salutation:
        if any(prof.proposal_marker.match(x) for x in lines[:40]):
            return "proposal"
        kind = prof.title_kind(head)
        return kind if kind and kind != "proposal" else "other"
    if prof.proposer_suffix.search(salutation) or any(p.kind == "proposal" for p in earlier) and not any(
        p.kind == "reply" for p in earlier
    ):
        return "reply"
    if any(p.kind == "reply" for p in earlier) or prof.title_kind("".join(lines)) == "co_handling":
        return "co_handling"
    kind = prof.title_kind(head)
    return kind if kind in ("notice", "implementation_plan", "co_handling") else "reply"


def heading_of(line: str) -> int:
    """Rank of the heading that opens this line, 0 when it is not a heading."""
    for rank, rx in _HEADINGS:
        if rx.match(line):
            return rank
    return 0


def heading_label(text: str, limit: int = 40) -> str:
    """The heading's short label: its text up to the first clause end outside 《》 and quotes."""
    depth = 0
    for k, ch in enumerate(text):
        if ch in "《“(〈":
            depth += 1
        elif ch in "》”)〉":
            depth = max(0, depth - 1)
        elif depth == 0 and ch in "。,;:!?" and k >= 3:
            return text[:k][:limit]
    return text[:limit].rstrip("。")


def shi_splits(text: str, expect: int = 1) -> list[int]:
    """Offsets of 一是/二是/… markers that follow each other in order, starting at `expect`."""
    out = []
    for m in _SHI.finditer(text):
        num = CN_NUM.find(m[1]) + 1 if len(m[1]) == 1 else (10 + CN_NUM.find(m[1][1]) + 1)
        if num == expect:
            out.append(m.start())
            expect += 1
    return out


def split_sections(text: str, parts: list[Part]) -> list[Section]:
    """Sections of every part, along its headings, each with its heading path and offsets."""
    spans = line_spans(text)
    lines = text.split("\n")
    sections: list[Section] = []
    for part in parts:
        raw: list[tuple[tuple[str, ...], str, int, int, bool]] = []  # path, role, start, end, heading_only
        stack: list[tuple[int, str]] = []
        role = "opening"
        shi_next = 1
        last_heading_line = max(
            (i for i in range(part.first_line, part.last_line + 1) if heading_of(lines[i])), default=-1
        )
        for i in range(part.first_line, part.last_line + 1):
            ln, (a, _b) = lines[i], spans[i]
            rank = heading_of(ln)
            if role != "closing" and i > last_heading_line and (
                CLOSING_LINE.match(ln) or OFFICE_LINE.match(ln) or is_date_line(ln)
            ):
                role, stack = "closing", []
                raw.append(((), role, a, spans[i][1], False))
                continue
            if role == "closing":
                raw[-1] = (raw[-1][0], role, raw[-1][2], spans[i][1], False)
                continue
            segments = [(0, rank)]
            if rank:
                stack = [h for h in stack if h[0] < rank]
                shi_next = 1
            cuts = shi_splits(ln, shi_next)
            if not rank and cuts[:1] == [0]:
                segments = [(0, SHI_RANK)]
            segments += [(c, SHI_RANK) for c in cuts if c > 0]
            shi_next += len(cuts)
            for s_idx, (off, srank) in enumerate(segments):
                seg_end = segments[s_idx + 1][0] if s_idx + 1 < len(segments) else len(ln)
                seg = ln[off:seg_end]
                if srank:
                    role = "body"
                    stack = [h for h in stack if h[0] < srank]
                    stack.append((srank, heading_label(seg)))
                    path = tuple(lbl for _, lbl in stack)
                    heading_only = (
                        srank < SHI_RANK and len(segments) == 1 and "。" not in ln.rstrip("。") and len(ln) <= 60
                    )
                    raw.append((path, role, a + off, a + seg_end, heading_only))
                elif raw and raw[-1][1] == role and s_idx == 0 and (not stack or raw[-1][0] == tuple(h[1] for h in stack)):
                    p, r, s0, _e0, _ho = raw[-1]
                    raw[-1] = (p, r, s0, a + seg_end, False)
                else:
                    raw.append((tuple(lbl for _, lbl in stack), role, a + off, a + seg_end, False))
        sections.extend(_merge_heading_only(part.index, raw))
    return sections


def _merge_heading_only(part: int, raw: list[tuple[tuple[str, ...], str, int, int, bool]]) -> list[Section]:
    """A heading line with no text of its own joins the section that follows it under that heading."""
    out: list[Section] = []
    carry: int | None = None
    for idx, (path, role, a, b, heading_only) in enumerate(raw):
        nxt = raw[idx + 1] if idx + 1 < len(raw) else None
        start = carry if carry is not None else a
        if heading_only and nxt and nxt[0][: len(path)] == path and len(nxt[0]) > len(path):
            carry = start
            continue
        carry = None
        out.append(Section(part, path, role, start, b))
    return out

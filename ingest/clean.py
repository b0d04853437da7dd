"""Clean loaded text: normalise characters, strip web-page chrome and index tables, drop repeated blocks."""

from __future__ import annotations

import re

from core.profile import profile
from core.text import cn_number, normalize_text

_P = profile()
# Whole lines that are page chrome on any portal, and the labels of portals' index tables: profile data.
_CHROME_LINE = _P.chrome_line
_INDEX_LABELS = _P.index_labels
_INDEX_ROW = re.compile(rf"^({_INDEX_LABELS})(?:\s*[:：]|\s)\s*\S.*$")  # a label, then ":" or a space
_INDEX_BARE = re.compile(rf"^({_INDEX_LABELS})\s*[:：]?$")
# A row of an index table carries two or more labels, or a label followed by a short value.
_DOC_NUMBER = _P.doc_number
_TABLE_LABELS = "|".join([_INDEX_LABELS, *(re.escape(x) for x in _P.words("letters", "title_labels"))])
_LABEL_ANYWHERE = re.compile(rf"(?:^|\s)({_TABLE_LABELS})\s*[:：]?\s")


def _is_sentence(line: str) -> bool:
    """Running text of the letter: long and ending like a sentence. Chrome patterns never remove it."""
    return len(line) > 40 and line.endswith(("。", ";", "!", "?"))


def is_chrome(line: str) -> bool:
    """True for navigation, counters and index-table rows that are not part of the letter."""
    if _is_sentence(line):
        return False
    if _DOC_NUMBER.search(line) and len(_LABEL_ANYWHERE.findall(" " + line)) <= 1:
        return False  # "文号:提复字〔2021〕31号" is the letter's own 文号 (GB/T 9704 header), not portal chrome
    if _CHROME_LINE.match(line) or _INDEX_BARE.match(line):
        return True
    if len(_LABEL_ANYWHERE.findall(" " + line)) >= 2:  # "公开日期 2018-12-14 发布机构 罗庄区…": a table row
        return True
    if _INDEX_ROW.match(line):
        # "来源:本网 发布时间:... 浏览次数" and "文件编号 X 成文日期 Y" are table rows; a sentence that
        # merely starts with "时间" would be long and end with sentence punctuation.
        return len(_LABEL_ANYWHERE.findall(" " + line)) >= 2 or len(line) <= 40 or not line.endswith("。")
    return False


def clean_lines(text: str) -> list[str]:
    """Return the content lines of a normalised document, chrome removed, repeated blocks kept once."""
    # runs of table-border pipes at a line's ends ("标题 | ||||||") are layout, not text
    raw = [re.sub(r"^[|\s]*\|[|\s]*|\s*\|[|\s]*$", "", re.sub(r"[ \t]+", " ", ln)).strip()
           for ln in normalize_text(text).split("\n")]
    lines: list[str] = []
    skip_value = False
    for ln in raw:
        if not ln:
            continue
        if skip_value:  # the value cell under a bare index-table label
            skip_value = False
            if len(ln) <= 40 and not ln.endswith("。"):
                continue
        if _INDEX_BARE.match(ln):
            skip_value = True
            continue
        if is_chrome(ln):
            continue
        lines += run_in_items(ln)
    return drop_repeated_blocks(lines)


def run_in_items(line: str) -> list[str]:
    """A numbered item that runs on, after a sentence's end, into the next number of its scheme ("(六)…。(七)…")
    as one line per item: the converter lost the line break, and the next item would be lost to its heading."""
    for pattern in _P.numbered_headings:
        first = pattern.match(line)
        if not first:
            continue
        out, n, start = [], cn_number(first.group(1)), 0
        for m in re.finditer(r"。", line):
            nxt = pattern.match(line, m.end())
            if nxt and cn_number(nxt.group(1)) == n + 1:
                out.append(line[start : m.end()])
                start, n = m.end(), n + 1
        return out + [line[start:]]
    return [line]


def drop_repeated_blocks(lines: list[str], min_run: int = 3, min_len: int = 30) -> list[str]:
    """Drop lines that repeat earlier ones when they form a block (a page that holds its text twice).

    A short line repeated alone ("市工业和信息化局:" heading each co-handling opinion) is kept;
    a run of at least `min_run` repeated lines, or a long repeated paragraph, is dropped.
    """
    seen: set[str] = set()
    dup = []
    for ln in lines:
        dup.append(ln in seen)
        seen.add(ln)
    keep = [True] * len(lines)
    i = 0
    while i < len(lines):
        if not dup[i]:
            i += 1
            continue
        j = i
        while j < len(lines) and dup[j]:
            j += 1
        run_is_block = (j - i) >= min_run
        for t in range(i, j):
            if run_is_block or len(lines[t]) >= min_len:
                keep[t] = False
        i = j
    return [ln for ln, k in zip(lines, keep, strict=True) if k]


def clean_text(text: str) -> str:
    """The cleaned document text that section offsets point into: one paragraph per line."""
    return "\n".join(clean_lines(text))

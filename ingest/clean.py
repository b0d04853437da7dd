"""Clean loaded text: normalise characters, strip web-page chrome and index tables, drop repeated blocks."""

from __future__ import annotations

import re

from core.text import normalize_text

# Whole lines that are page chrome on government portals (menus, font switches, counters, footers).
_CHROME_LINE = re.compile(
    r"^(无障碍.*|点击率.*|长者助手.*|当前位置.*|.*字体\s*:?\s*\[?大\]?.*|.*【字体.*|.*浏览次数.*|分享到.*"
    r"|相关附件.*|相关阅读.*|相关链接.*|网友评价.*|支持\s*\d+\s*反对\s*\d+.*|打印本页.*|关闭窗口.*|扫一扫.*"
    r"|\(此页无正文\)|部门答复|【打印】.*|【关闭】.*)$"
)
# Index-table rows ("label value" on one line) and their bare labels (value on the next line).
_INDEX_LABELS = (
    "信息索引号|索引号|文件编号|文号|发布机构|发文机关|发布日期|成文日期|信息分类|公开形式|公开方式|"
    "主题分类|办理单位|信息来源|来源|发布时间|时间"
)
_INDEX_ROW = re.compile(rf"^({_INDEX_LABELS})\s*[:：]?\s*\S.*$")
_INDEX_BARE = re.compile(rf"^({_INDEX_LABELS})\s*[:：]?$")
# A row of an index table carries two or more labels, or a label followed by a short value.
_LABEL_ANYWHERE = re.compile(rf"(?:^|\s)({_INDEX_LABELS})\s*[:：]?\s")


def is_chrome(line: str) -> bool:
    """True for navigation, counters and index-table rows that are not part of the letter."""
    if _CHROME_LINE.match(line) or _INDEX_BARE.match(line):
        return True
    if _INDEX_ROW.match(line):
        # "来源:本网 发布时间:... 浏览次数" and "文件编号 X 成文日期 Y" are table rows; a sentence that
        # merely starts with "时间" would be long and end with sentence punctuation.
        return len(_LABEL_ANYWHERE.findall(" " + line)) >= 2 or len(line) <= 40 or not line.endswith("。")
    return False


def clean_lines(text: str) -> list[str]:
    """Return the content lines of a normalised document, chrome removed, repeated blocks kept once."""
    raw = [re.sub(r"[ \t]+", " ", ln).strip() for ln in normalize_text(text).split("\n")]
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
        lines.append(ln)
    return drop_repeated_blocks(lines)


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

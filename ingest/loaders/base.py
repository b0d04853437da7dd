"""What every loader shares: the error type, the loaded-document shape, and small helpers."""

from __future__ import annotations

import re
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

_MAX_REASON_CHARS = 300


class LoadError(Exception):
    """A file that cannot be ingested, named with the reason so a batch run can report it and move on."""

    def __init__(self, path: str | Path, reason: str) -> None:
        self.path = str(path)
        self.reason = one_line(reason)
        # args mirror the constructor so the error survives pickling into and out of worker processes.
        super().__init__(self.path, self.reason)

    def __str__(self) -> str:
        shown = self.path.replace("\r", "\\r").replace("\n", "\\n")
        return f"{shown}: {self.reason}"


def one_line(message: str) -> str:
    """Keep reasons to one short line so log lines and UI messages stay readable."""
    text = " ".join(message.split())
    if len(text) > _MAX_REASON_CHARS:
        text = text[: _MAX_REASON_CHARS - 3] + "..."
    return text


def short(exc: BaseException) -> str:
    """Describe a library exception briefly; some (KeyError, bare asserts) have no useful message alone."""
    message = str(exc).strip().strip("\"'")
    return f"{type(exc).__name__}: {message}" if message else type(exc).__name__


def normalise_newlines(text: str) -> str:
    return text.replace("\r\n", "\n").replace("\r", "\n")


@dataclass
class Page:
    """One page (or the whole text of a format without pages): paragraphs as \\n-separated lines."""

    number: int
    text: str
    ocr: bool = False
    confidence: float | None = None  # mean recognition confidence of an OCR page, 0..1
    low_lines: list[tuple[str, float]] = field(default_factory=list)  # OCR lines read under the line floor


@dataclass
class Document:
    """A loaded file: its pages in order, the detected format, and what the loader wants to say."""

    pages: list[Page]
    kind: str  # the detected format: txt, html, docx, doc, wps, ofd, pdf, image
    notes: list[str] = field(default_factory=list)

    @property
    def text(self) -> str:
        """All pages' paragraphs, one per \\n-separated line, ready for cleaning and chunking."""
        if len(self.pages) == 1:
            return self.pages[0].text
        return "\n".join(p.text.strip("\n") for p in self.pages if p.text.strip())

    @property
    def ocr_pages(self) -> list[Page]:
        return [p for p in self.pages if p.ocr]

    def low_confidence_pages(self, floor: float) -> list[int]:
        """Numbers of OCR pages whose mean confidence is under the floor."""
        return [p.number for p in self.pages if p.ocr and p.confidence is not None and p.confidence < floor]

    def low_confidence_lines(self) -> list[str]:
        """The OCR lines read under the line floor, on any page (a chunk holding one can be flagged)."""
        return [text for p in self.pages for text, _ in p.low_lines]


def ocr_low_pages(doc_meta: dict[str, Any], floor: float) -> list[int]:
    """OCR pages of a stored document (its metadata's "ocr_confidence": "1:0.982 2:0.640") under the floor."""
    low = []
    for item in str(doc_meta.get("ocr_confidence", "") or "").split():
        number, _, value = item.partition(":")
        try:
            if float(value) < floor:
                low.append(int(number))
        except ValueError:
            continue
    return low


# Opening markers of Chinese official-document headings and list items: 一、 （一） 1. （1） 第一条 一是
HEADING_START = re.compile(
    r"^\s*(?:[一二三四五六七八九十百]+[、.．]|[（(][一二三四五六七八九十\d]+[)）]|\d{1,2}[.．、](?!\d)"
    r"|第[一二三四五六七八九十百\d]+[章节条款部分]|[一二三四五六七八九十]是)"
)
_CJK = re.compile(r"[\u2e80-\u9fff\uf900-\ufaff\uff00-\uffef\u3000-\u303f]")


def join_cjk(left: str, right: str) -> str:
    """Join two pieces of one paragraph: no space where Chinese text meets, one space between words."""
    if not left:
        return right
    if not right:
        return left
    if _CJK.match(left[-1]) or _CJK.match(right[0]):
        return left + right
    if left[-1].isdigit() and right[0].isdigit() and _CJK.search(left):
        return left + right  # a number of a Chinese sentence broken at the line end (第202401 / 17号)
    if re.search(r"\d[.．]$", left) and right[0].isdigit() and _CJK.search(left):
        return left + right  # a decimal broken after its point (31. / 6万吨)
    if left.endswith("-") and left[-2:-1].isalpha():
        return left[:-1] + right  # a word hyphenated at the line end
    return left + " " + right


_SPACE_NEAR_CJK = re.compile(r"(?<=[\u2e80-\u9fff\uff00-\uffef\u3000-\u303f]) +| +(?=[\u2e80-\u9fff\uff00-\uffef\u3000-\u303f])")
_SPACE_IN_NUMBER = re.compile(r"(?<=\d) (?=\d)")


def tidy_ocr_text(text: str) -> str:
    """Drop the spaces OCR puts into Chinese text (between characters, inside numbers of a Chinese line)."""
    text = _SPACE_NEAR_CJK.sub("", " ".join(text.split()))
    if len(_CJK.findall(text)) * 2 > len(text):
        text = _SPACE_IN_NUMBER.sub("", text)
    return text


@dataclass
class Line:
    """A line of text on a page with its box (any unit, y growing downwards)."""

    text: str
    x0: float
    y0: float
    x1: float
    y1: float
    score: float | None = None  # OCR recognition confidence of the line, 0..1

    @property
    def height(self) -> float:
        return max(self.y1 - self.y0, 1e-6)


def _percentile(values: list[float], share: float) -> float:
    ordered = sorted(values)
    return ordered[min(len(ordered) - 1, max(0, round(share * (len(ordered) - 1))))]


# Two pieces of one row further apart than this many line heights are table cells or columns ("指标 | 2022年");
# words of one sentence are never that far apart, while the cells of a ruled table with narrow columns can be
# as close as one and a half characters.
CELL_GAP = 1.5


def lines_to_paragraphs(lines: list[Line], page_width: float | None = None) -> list[str]:
    """Group positioned lines into rows, then rows into paragraphs the way Chinese text flows.

    A new paragraph starts where a row is indented (first-line indent, centred titles), where the previous
    row stopped well short of the right margin, after a vertical gap, or at a heading marker (一、 （一） 1.).
    Inside a paragraph rows are joined without spaces between Chinese characters. `page_width` (same
    unit) helps on pages with few rows, whose right margin cannot be read from the rows themselves.
    Kept as one function on purpose: rows, margins and paragraph breaks are one geometric reading.
    """
    lines = [ln for ln in lines if ln.text.strip()]
    if not lines:
        return []
    # Rows: lines whose vertical centres are close (a line split in two boxes, table cells side by side).
    lines.sort(key=lambda ln: ((ln.y0 + ln.y1) / 2, ln.x0))
    rows: list[list[Line]] = []
    for ln in lines:
        centre = (ln.y0 + ln.y1) / 2
        if rows:
            last = rows[-1]
            last_centre = sum((x.y0 + x.y1) / 2 for x in last) / len(last)
            if abs(centre - last_centre) < 0.5 * min(ln.height, last[0].height):
                last.append(ln)
                continue
        rows.append([ln])
    merged: list[Line] = []
    for row in rows:
        row.sort(key=lambda ln: ln.x0)
        text = row[0].text.strip()
        for before, ln in zip(row, row[1:], strict=False):
            gap = ln.x0 - before.x1
            piece = ln.text.strip()
            # Far-apart pieces on one row are cells or columns: keep them apart.
            text = f"{text} | {piece}" if gap > CELL_GAP * ln.height else join_cjk(text, piece)
        merged.append(Line(text, row[0].x0, min(x.y0 for x in row), max(x.x1 for x in row), max(x.y1 for x in row)))
    height = _percentile([ln.height for ln in merged], 0.5)
    left = _percentile([ln.x0 for ln in merged], 0.1)
    right = _percentile([ln.x1 for ln in merged], 0.9)
    if page_width and len(merged) < 6:  # too few rows to see the right margin: assume it mirrors the left
        right = max(right, page_width - left)
    def centred(ln: Line) -> bool:
        return ln.x0 > left + 1.2 * height and abs((ln.x0 - left) - (right - ln.x1)) < 2 * height

    paragraphs: list[str] = []
    prev: Line | None = None
    for ln in merged:
        if prev is not None and splits_number(prev.text, ln.text):
            # a number, date or 文号 broken at the line end ("…经费，20" / "22年…"): the row before ends short
            # (digits are half as wide), which would otherwise end the paragraph in the middle of the number
            paragraphs[-1] = join_cjk(paragraphs[-1], ln.text)
            prev = ln
            continue
        title_goes_on = (  # a title set in two centred lines, the first one as wide as the text
            prev is not None and centred(ln) and ln.y0 - prev.y1 < 0.9 * height
            and abs((prev.x0 - left) - (right - prev.x1)) < 2 * height
            and (prev.x1 - prev.x0) > (ln.x1 - ln.x0) and not HEADING_START.match(ln.text)
            and not prev.text.endswith(("。", "：", ":", "；", "！", "？"))
        )
        new = not title_goes_on and (
            prev is None
            or ln.x0 > left + 1.2 * height  # indented first line, centred title, right-aligned signature
            or prev.x1 < right - 1.5 * height  # the previous row ended short: its paragraph ended there
            or ln.y0 - prev.y1 > 0.9 * height  # a blank line between
            or " | " in ln.text
            or " | " in prev.text
            or bool(HEADING_START.match(ln.text))
        )
        if new:
            paragraphs.append(ln.text)
        else:
            paragraphs[-1] = join_cjk(paragraphs[-1], ln.text)
        prev = ln
    return paragraphs


# The end of a row that leaves a number, date or 文号 unfinished, and the start of a row that finishes one.
_NUMBER_TAIL = re.compile(r"(?:\d[.．]?|[〔\[［(（]|第)$")
_NUMBER_HEAD = re.compile(r"^(?:\d|[〕\]］)）]|[年月日号%％元个家名人项件条所次批户亩吨]|[万亿](?:元|吨|人|户|亩|千瓦)?)")


def splits_number(before: str, after: str) -> bool:
    """Whether the row `after` goes on with a number, date or 文号 that the row `before` left unfinished:
    "…经费，20" / "22年", "（粤工信函〔20" / "23〕12号）", "截至2023年" / "6月底"; not a telephone number or a
    value after a label ("电话：0660-3371024"), nor a list item ("1. …") after a row ending in a number."""
    before, after = before.rstrip(), after.lstrip()
    if not before or not after or " | " in before or " | " in after or not _CJK.search(before):
        return False
    if (re.search(r"\d{4}\s*年$", before) and re.match(r"\d{1,2}\s*月", after)) or (
            re.search(r"\d\s*月$", before) and re.match(r"\d{1,2}\s*日", after)):
        return True  # a date broken between its year and month, or month and day
    if not _NUMBER_TAIL.search(before) or not _NUMBER_HEAD.match(after):
        return False
    if before[-1] in "〔[［(（第":
        return after[0].isdigit()
    tail = re.search(r"[\d.．\-－—]+$", before)
    if tail is None or re.search(r"[-－—]", tail.group(0)) or sum(c.isdigit() for c in tail.group(0)) >= 7 \
            or before[: tail.start()].endswith((":", "：")):
        return False  # a telephone number or a value after a label ends its line
    return not HEADING_START.match(after)


# A .docx or .ofd is a zip; refuse archives that inflate far beyond the on-disk limit (zip bombs).
INFLATION_FACTOR = 10


def check_zip(path: Path, data: bytes, max_bytes: int, damaged: str) -> None:
    """A zip container (.docx, .ofd) that opens and does not inflate past the size limit (a zip bomb)."""
    import io
    import zipfile

    try:
        with zipfile.ZipFile(io.BytesIO(data)) as archive:
            inflated = sum(info.file_size for info in archive.infolist())
    except Exception as exc:
        raise LoadError(path, f"{damaged}: {short(exc)}") from exc
    limit = max_bytes * INFLATION_FACTOR
    if inflated > limit:
        raise LoadError(path, f"file too large: {inflated} bytes uncompressed > limit {limit}")

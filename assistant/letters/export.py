"""Export a drafted letter as Markdown or as a .docx in official-document layout.

The .docx follows the usual conventions of GB/T 9704《党政机关公文格式》: A4 paper, margins
37/35/28/26 mm (top/bottom/left/right), title in 方正小标宋简体 二号, body in 仿宋_GB2312 三号 on a fixed
28 pt line, first-level headings "一、" in 黑体, second-level "（一）" in 楷体_GB2312, office and date
at the right, page numbers "— n —" in the footer. The fonts are named, not embedded: a machine without
them substitutes its own.
"""

from __future__ import annotations

import io
import re
import unicodedata
from collections.abc import Sequence
from typing import Any

from docx import Document
from docx.enum.section import WD_ORIENT
from docx.enum.text import WD_ALIGN_PARAGRAPH, WD_LINE_SPACING
from docx.oxml import OxmlElement
from docx.oxml.ns import qn
from docx.shared import Mm, Pt, RGBColor
from docx.text.paragraph import Paragraph

from assistant.evidence import cite
from assistant.letters.model import BLANK, CLOSINGS, Draft
from core.profile import profile
from core.text import cited_sentences, normalize_text, to_fullwidth

__all__ = ["to_markdown", "to_docx", "to_review_docx", "suggested_filename", "field_items", "md_escape"]

# -- fonts and sizes (GB/T 9704) -----------------------------------------------------------------------
TITLE_FONT = "方正小标宋简体"
BODY_FONT = "仿宋_GB2312"
H1_FONT = "黑体"
H2_FONT = "楷体_GB2312"
PAGE_NO_FONT = "宋体"
SIZE_2 = Pt(22)  # 二号
SIZE_3 = Pt(16)  # 三号
SIZE_4 = Pt(14)  # 四号
LINE = Pt(28)  # fixed line pitch: 22 lines on the type area
INDENT = Pt(32)  # two characters of 三号
SOURCES_HEADING = "附：引用来源（内部核对用，对外印发时删除）"

_MARKER = re.compile(r"(\[\d+\])")
_DATE = re.compile(r"^(\d{4}年\d{1,2}月\d{1,2}日|[〇○零一二三四五六七八九十]{4}年[一二三四五六七八九十]{1,2}月"
                   r"[一二三四五六七八九十]{1,3}日|【日期待填写】|" + re.escape(BLANK) + r")$")
_OFFICE = profile().office_line  # a signature line that is an office: domain profile
_XML_BAD = re.compile(r"[\x00-\x08\x0b\x0c\x0e-\x1f\ufffe\uffff]")


def _clean(text: str) -> str:
    """Text safe for XML and for a single rendering: no control characters, normalised newlines."""
    return _XML_BAD.sub("", text.replace("\r\n", "\n").replace("\r", "\n"))


def field_items(draft: Draft) -> list[tuple[str, str]]:
    """The letter's fields as (label, value) pairs, blanks shown as 【待填写】."""
    f = draft.request.fields
    pairs = [("答复类别", f.category), ("公开属性", f.disclosure), ("签发人", f.signer), ("抄送", f.cc),
             ("联系人及电话", f.contact_line() if f.contact or f.phone else "")]
    return [(k, _clean(v).strip() or BLANK) for k, v in pairs]


def _letter_text(draft: Draft, keep_markers: bool) -> str:
    """The letter as sent: full-width punctuation (GB/T 15834); markers only in a review copy."""
    text = to_fullwidth(_clean(draft.text))
    return text if keep_markers else cite.strip_markers(text)


# -- Markdown ------------------------------------------------------------------------------------------
_MD_CHARS = {"\\": "\\\\", "&": "&amp;", "<": "&lt;", ">": "&gt;", "[": "\\[", "]": "\\]", "`": "\\`",
             "*": "\\*", "_": "\\_", "~": "\\~", "|": "\\|", "$": "\\$", "@": "\\@"}
_MD_CHAR_RE = re.compile("[" + re.escape("".join(_MD_CHARS)) + "]")
_MD_LINE_START = re.compile(r"^(?:[#+=-]|\d{1,9}(?=[.)](?:\s|$)))")


def _md_chars(text: str) -> str:
    """Backslash-escape Markdown punctuation, turn <, >, & into entities and break URL autolinks."""
    s = _MD_CHAR_RE.sub(lambda m: _MD_CHARS[m.group(0)], text)
    s = re.sub(r"(?i)(?<=[a-z])://", r"\\://", s)  # http://x would be autolinked by GFM renderers
    return re.sub(r"(?i)\bwww\.", r"www\\.", s)


def _md_line_start(s: str) -> str:
    """Keep a line from opening a heading, list or thematic break."""
    m = _MD_LINE_START.match(s)
    if not m:
        return s
    return s[: m.end()] + "\\" + s[m.end():] if s[0].isdigit() else "\\" + s


def md_escape(text: str) -> str:
    """One line of foreign text as inert Markdown: no HTML, no links or autolinks, no emphasis, no math,
    no block structure (heading, list, quote, code block) opened by its first characters."""
    return _md_line_start(_md_chars(text.strip(" \t")))


def _md_letter_line(line: str) -> str:
    """A line of the letter, escaped like foreign text except for our own [n] markers."""
    parts = _MARKER.split(line.strip(" \t"))
    out = []
    for i, part in enumerate(parts):
        text = part if i % 2 else _md_chars(part)
        if i % 2 == 0 and i and text.startswith(("(", ":")):
            text = "\\" + text  # "[2](url)" or "[2]: url" would make our marker a link
        out.append(text)
    return _md_line_start("".join(out))


def _source_heading(src: dict[str, Any]) -> str:
    path = " › ".join(to_fullwidth(h.strip()) for h in str(src.get("heading_path", "")).split(" > ") if h.strip())
    bits = [f"《{src['title']}》" if src.get("title") else "", src.get("office", ""), src.get("date", ""), path]
    return " ".join(_clean(str(b)).strip() for b in bits if str(b).strip())


_NO_ENTITIES = {"&amp;": "\\&", "&lt;": "\\<", "&gt;": "\\>"}


def _plain(md: str) -> str:
    """An exported file is read as text as often as it is rendered: backslash escapes, no HTML entities
    (CommonMark treats \\< \\> \\& as the literal characters, so nothing becomes HTML either way)."""
    return re.sub("&(?:amp|lt|gt);", lambda m: _NO_ENTITIES[m.group(0)], md)


def to_markdown(draft: Draft, include_sources: bool = True, keep_markers: bool | None = None) -> str:
    """The letter as Markdown: title, fields, the letter's paragraphs, and the cited passages quoted.
    Markers stay only when the sources are appended (a review copy); the letter to send has none."""
    keep = include_sources if keep_markers is None else keep_markers
    out = [f"# {_plain(md_escape(_clean(draft.title)))}", ""]
    out += [f"- {k}：{_plain(md_escape(v))}" for k, v in field_items(draft)]
    out.append("")
    for line in _letter_text(draft, keep).split("\n"):
        if line.strip():
            out += [_plain(_md_letter_line(line)), ""]
    if include_sources:
        sources = draft.sources()
        if sources:
            out += ["---", "", "## 引用来源", ""]
            for src in sources:
                out += [f"[{src['n']}] {_plain(md_escape(_source_heading(src)))}", ""]
                lines = [_plain(md_escape(to_fullwidth(ln)))
                         for ln in _clean(str(src.get("text", ""))).split("\n") if ln.strip()]
                quoted: list[str] = []
                for ln in lines:
                    quoted += [">", f"> {ln}"] if quoted else [f"> {ln}"]
                out += [*quoted, ""]
    return "\n".join(out).rstrip("\n") + "\n"


# -- .docx ---------------------------------------------------------------------------------------------
def _set_fonts(rpr_owner: Any, name: str) -> None:
    """Name a font for Latin and East-Asian text alike (python-docx's font.name sets Latin only)."""
    rpr = rpr_owner.get_or_add_rPr()
    fonts = rpr.find(qn("w:rFonts"))
    if fonts is None:
        fonts = OxmlElement("w:rFonts")
        rpr.insert(0, fonts)
    for attr in ("w:ascii", "w:hAnsi", "w:eastAsia", "w:cs"):
        fonts.set(qn(attr), name)


def _run(p: Paragraph, text: str, font: str, size: Any, *, bold: bool = False, superscript: bool = False) -> Any:
    r = p.add_run(text)
    r.font.name = font
    _set_fonts(r._element, font)
    r.font.size = size
    r.font.bold = bold
    if superscript:
        r.font.superscript = True
    return r


REVIEW_AUTHOR = "答复函助手"


def _source_note(draft: Draft, nums: list[int]) -> str:
    """A comment: where a sentence comes from, passage by passage (a co-handling opinion named as such)."""
    out = []
    for n in nums:
        if not 1 <= n <= len(draft.passages):
            continue
        h = draft.passages[n - 1]
        m = h.metadata
        kind = "会办意见" if m.get("opinion") else ""
        head = _source_heading({"title": m.get("title", ""), "office": m.get("office", ""), "date": m.get("date", ""),
                                "heading_path": m.get("heading_path", "")})
        excerpt = to_fullwidth(_clean(h.text).replace("\n", " "))
        out.append(f"[{n}] {kind + '：' if kind else ''}{head}\n“{excerpt[:160]}{'…' if len(excerpt) > 160 else ''}”")
    return "\n".join(out)


def _review_runs(doc: Any, draft: Draft, p: Paragraph, text: str, font: str, size: Any, unsupported: set[str]) -> None:
    """A line of a review copy: each cited sentence its own run with its sources as a Word comment, each
    unsupported claim highlighted; no [n] markers in the text."""
    from docx.enum.text import WD_COLOR_INDEX

    for piece in cited_sentences(text):
        nums = [int(x) for x in re.findall(r"\[(\d+)\]", piece)]
        plain = cite.strip_markers(piece)
        if not plain:
            continue
        r = _run(p, plain, font, size)
        key = re.sub(r"\W", "", normalize_text(plain))
        if key and key in unsupported:
            r.font.highlight_color = WD_COLOR_INDEX.YELLOW
        note = _source_note(draft, nums)
        if note:
            doc.add_comment(r, text=note, author=REVIEW_AUTHOR, initials="AI")

def _marker_runs(p: Paragraph, text: str, font: str, size: Any, bold: bool = False) -> None:
    """Text with [n] markers as superscript runs."""
    for i, part in enumerate(_MARKER.split(text)):
        if part:
            _run(p, part, font, size, bold=bold, superscript=bool(i % 2))


def _para(doc: Any, *, indent: bool = True, align: Any = WD_ALIGN_PARAGRAPH.JUSTIFY, line: Any = LINE,
          first_line: Any = INDENT) -> Paragraph:
    p = doc.add_paragraph()
    pf = p.paragraph_format
    pf.alignment = align
    pf.line_spacing_rule = WD_LINE_SPACING.EXACTLY
    pf.line_spacing = line
    pf.space_before = Pt(0)
    pf.space_after = Pt(0)
    pf.first_line_indent = first_line if indent else Pt(0)
    return p


def _width(s: str) -> float:
    """Approximate width in characters of 三号: CJK and full-width count 1, others ½."""
    return sum(1.0 if unicodedata.east_asian_width(c) in "WF" else 0.5 for c in s)


def _title_lines(title: str, per_line: float) -> list[str]:
    """Break a long title before 关于 when that keeps both lines within the type width."""
    if _width(title) <= per_line:
        return [title]
    k = title.find("关于")
    if k > 0 and _width(title[:k]) <= per_line and _width(title[k:]) <= per_line:
        return [title[:k], title[k:]]
    return [title]


def _heading_split(line: str) -> tuple[str, str]:
    """A heading runs to its first full stop; the rest of the line is ordinary text."""
    k = line.find("。")
    if k == -1:
        return line, ""
    end = k + 1
    m = re.match(r"(\[\d+\])+", line[end:])
    if m:
        end += m.end()
    return line[:end], line[end:]


def _page_number(section: Any) -> None:
    p = section.footer.paragraphs[0]
    p.alignment = WD_ALIGN_PARAGRAPH.CENTER
    _run(p, "— ", PAGE_NO_FONT, SIZE_4)
    fld = OxmlElement("w:fldSimple")
    fld.set(qn("w:instr"), "PAGE")
    r = OxmlElement("w:r")
    rpr = OxmlElement("w:rPr")
    fonts = OxmlElement("w:rFonts")
    for attr in ("w:ascii", "w:hAnsi", "w:eastAsia"):
        fonts.set(qn(attr), PAGE_NO_FONT)
    sz = OxmlElement("w:sz")
    sz.set(qn("w:val"), "28")
    rpr.append(fonts)
    rpr.append(sz)
    t = OxmlElement("w:t")
    t.text = "1"
    r.append(rpr)
    r.append(t)
    fld.append(r)
    p._p.append(fld)
    _run(p, " —", PAGE_NO_FONT, SIZE_4)


def _border(p: Paragraph, side: str) -> None:
    ppr = p._p.get_or_add_pPr()
    bdr = ppr.find(qn("w:pBdr"))
    if bdr is None:
        bdr = OxmlElement("w:pBdr")
        ppr.append(bdr)
    b = OxmlElement(f"w:{side}")
    for k, v in (("w:val", "single"), ("w:sz", "6"), ("w:space", "1"), ("w:color", "000000")):
        b.set(qn(k), v)
    bdr.append(b)


def _setup(doc: Any, title: str) -> None:
    sec = doc.sections[0]
    sec.orientation = WD_ORIENT.PORTRAIT
    sec.page_width, sec.page_height = Mm(210), Mm(297)
    sec.top_margin, sec.bottom_margin = Mm(37), Mm(35)
    sec.left_margin, sec.right_margin = Mm(28), Mm(26)
    sec.header_distance, sec.footer_distance = Mm(15), Mm(20)
    normal = doc.styles["Normal"]
    normal.font.name = BODY_FONT
    normal.font.size = SIZE_3
    _set_fonts(normal.element, BODY_FONT)
    rpr = normal.element.get_or_add_rPr()
    lang = rpr.find(qn("w:lang"))
    if lang is None:
        lang = OxmlElement("w:lang")
        rpr.append(lang)
    lang.set(qn("w:eastAsia"), "zh-CN")
    pf = normal.paragraph_format
    pf.line_spacing_rule = WD_LINE_SPACING.EXACTLY
    pf.line_spacing = LINE
    pf.space_before = pf.space_after = Pt(0)
    pf.widow_control = False
    doc.core_properties.title = title
    doc.core_properties.language = "zh-CN"
    _page_number(sec)


def _tail_roles(lines: list[str], office: str) -> dict[int, str]:
    """Which of the last lines are the office line, the date line and the contact line."""
    roles: dict[int, str] = {}
    closing = max((i for i, ln in enumerate(lines) if ln.rstrip("。.") in CLOSINGS), default=-1)
    start = closing + 1 if closing >= 0 else max(0, len(lines) - 4)
    for i in range(start, len(lines)):
        s = cite.strip_markers(lines[i]).strip()
        if "联系人" in s or "联系电话" in s:
            roles[i] = "contact"
        elif _DATE.match(s):
            roles[i] = "date"
        elif s == office.strip() or _OFFICE.match(s):
            roles[i] = "office"
    return roles


# a changed paragraph for the review copy's comparison table: (where, [(kind, text)…]), kind same | del | ins
Change = tuple[str, list[tuple[str, str]]]


def to_review_docx(draft: Draft, include_sources: bool = True, changes: Sequence[Change] | None = None,
                   against: str = "") -> bytes:
    """The review copy: the same layout, every cited sentence carrying its sources as a Word comment,
    unsupported sentences highlighted, no [n] in the text; the sources appendix follows. `changes` (from
    assistant.casework.diff): a table of the paragraphs changed since `against`, deletions struck through in
    red, insertions underlined in green."""
    data = to_docx(draft, include_sources, review=True)
    if changes is None:
        return data
    doc = Document(io.BytesIO(data))
    _docx_changes(doc, changes, against)
    buf = io.BytesIO()
    doc.save(buf)
    return buf.getvalue()


_CHANGE_COLOUR = {"del": RGBColor(0xC6, 0x28, 0x28), "ins": RGBColor(0x2E, 0x7D, 0x32)}


def _docx_changes(doc: Any, changes: Sequence[Change], against: str) -> None:
    """The comparison table on a new page: where each changed paragraph is, and the change inline."""
    p = _para(doc, indent=False, align=WD_ALIGN_PARAGRAPH.LEFT)
    p.paragraph_format.page_break_before = True
    _run(p, f"修改对照（与{against or '前一版'}相比，删除线为删去，下划线为新增）", H1_FONT, SIZE_3)
    if not changes:
        _run(_para(doc, indent=False), "（内容相同，没有修改）", BODY_FONT, SIZE_4)
        return
    table = doc.add_table(rows=1, cols=2)
    table.style = "Table Grid"
    for cell, head in zip(table.rows[0].cells, ("位置", "修改"), strict=True):
        _run(cell.paragraphs[0], head, BODY_FONT, SIZE_4, bold=True)
    for where, pieces in changes:
        row = table.add_row().cells
        _run(row[0].paragraphs[0], where, BODY_FONT, SIZE_4)
        for kind, text in pieces:
            r = _run(row[1].paragraphs[0], _clean(text), BODY_FONT, SIZE_4)
            if kind in _CHANGE_COLOUR:
                r.font.color.rgb = _CHANGE_COLOUR[kind]
                r.font.strike = kind == "del"
                r.font.underline = kind == "ins"


def to_docx(draft: Draft, include_sources: bool = True, keep_markers: bool | None = None, review: bool = False) -> bytes:
    """The letter as a .docx in official-document layout, returned as bytes. Markers stay only when the
    sources are appended (a review copy); the letter to send has none. `review`: sources as comments."""
    keep_markers = True if review else include_sources if keep_markers is None else keep_markers
    doc = Document()
    unsupported = {re.sub(r"\W", "", normalize_text(s.text)) for s in draft.report.unsupported}

    def runs(p: Paragraph, text: str, font: str, size: Any, bold: bool = False) -> None:
        if review:
            _review_runs(doc, draft, p, text, font, size, unsupported)
        else:
            _marker_runs(p, text, font, size, bold)

    fields = dict(field_items(draft))
    _docx_head(doc, draft, fields)
    lines = [ln.strip() for ln in _letter_text(draft, keep_markers).split("\n") if ln.strip()]
    _docx_body(doc, draft, lines, runs)
    _docx_record(doc, fields)
    if include_sources:
        _docx_sources(doc, draft)
    buf = io.BytesIO()
    doc.save(buf)
    return buf.getvalue()


def _docx_head(doc: Any, draft: Draft, fields: dict[str, str]) -> None:
    """答复类别 and 公开属性 above the title; the title centred in 小标宋 二号, broken into balanced lines."""
    title = _clean(draft.title).replace("\n", " ").strip()
    _setup(doc, title)
    type_width = (210 - 28 - 26) / 25.4 * 72  # points
    p = _para(doc, indent=False, align=WD_ALIGN_PARAGRAPH.LEFT)
    _run(p, f"答复类别：{fields['答复类别']}　　公开属性：{fields['公开属性']}", H1_FONT, SIZE_3)
    _para(doc, indent=False)  # one blank line above the title
    p = _para(doc, indent=False, align=WD_ALIGN_PARAGRAPH.CENTER, line=Pt(35))
    for i, part in enumerate(_title_lines(title, type_width / 22)):
        if i:
            p.runs[-1].add_break()
        _run(p, part, TITLE_FONT, SIZE_2)
    _para(doc, indent=False)  # one blank line below the title


def _docx_body(doc: Any, draft: Draft, lines: list[str], runs: Any) -> None:
    """Salutation flush left, headings in 黑体/楷体, body in 仿宋, office centred over the date at the right."""
    roles = _tail_roles([cite.strip_markers(ln) for ln in lines], draft.request.office)
    date_idx = next((i for i, r in roles.items() if r == "date"), None)
    date_w = _width(cite.strip_markers(lines[date_idx])) if date_idx is not None else 0.0
    closing = max((i for i, ln in enumerate(lines) if cite.strip_markers(ln).rstrip("。.") in CLOSINGS), default=-1)
    for i, line in enumerate(lines):
        role = roles.get(i)
        rank = profile().heading_rank(normalize_text(line))
        if i == 0 and line.endswith(("：", ":")):  # salutation, flush left
            runs(_para(doc, indent=False), line, BODY_FONT, SIZE_3)
        elif role == "office":
            p = _para(doc, indent=False, align=WD_ALIGN_PARAGRAPH.RIGHT)
            p.paragraph_format.space_before = LINE  # room for the seal
            # centred over the date, which sits four characters from the right edge
            shift = 4 + (date_w - _width(line)) / 2 if date_idx is not None else 4
            p.paragraph_format.right_indent = Pt(max(0.0, shift) * 16)
            runs(p, line, BODY_FONT, SIZE_3)
        elif role == "date":
            p = _para(doc, indent=False, align=WD_ALIGN_PARAGRAPH.RIGHT)
            p.paragraph_format.right_indent = Pt(4 * 16)
            runs(p, line, BODY_FONT, SIZE_3)
        elif rank in (1, 2):  # 一、 in 黑体, （一） in 楷体 (the profile's heading schemes); the rest in 仿宋
            head, rest = _heading_split(line)
            p = _para(doc)
            p.paragraph_format.keep_with_next = not rest
            runs(p, head, H1_FONT if rank == 1 else H2_FONT, SIZE_3)
            runs(p, rest, BODY_FONT, SIZE_3)
        else:  # acknowledgement, body, closing formula, contact line
            runs(_para(doc), line, BODY_FONT, SIZE_3)
        if closing >= 0 and i >= closing - 1 and role != "contact":
            # the closing formula, office and date are kept on one page (with the sentence before them)
            doc.paragraphs[-1].paragraph_format.keep_with_next = True
            doc.paragraphs[-1].paragraph_format.keep_together = True


def _docx_record(doc: Any, fields: dict[str, str]) -> None:
    """版记: 抄送 and 签发人 between two thin rules, 四号, one character in from either side."""
    _para(doc, indent=False)
    for k, label in enumerate(("抄送", "签发人")):
        p = _para(doc, indent=False, align=WD_ALIGN_PARAGRAPH.LEFT, line=Pt(28))
        p.paragraph_format.left_indent = p.paragraph_format.right_indent = Pt(14)
        _border(p, "top" if k == 0 else "bottom")
        _run(p, f"{label}：{fields[label]}", BODY_FONT, SIZE_4)


def _docx_sources(doc: Any, draft: Draft) -> None:
    """The sources appendix on a new page: each cited passage under its heading, for checking only."""
    p = _para(doc, indent=False, align=WD_ALIGN_PARAGRAPH.LEFT)
    p.paragraph_format.page_break_before = True
    _run(p, SOURCES_HEADING, H1_FONT, SIZE_3)
    sources = draft.sources()
    if not sources:
        _run(_para(doc, line=Pt(24), first_line=Pt(28)), "（本稿未引用资料）", BODY_FONT, SIZE_4)
    for src in sources:
        p = _para(doc, indent=False, align=WD_ALIGN_PARAGRAPH.LEFT, line=Pt(24))
        p.paragraph_format.space_before = Pt(6)
        p.paragraph_format.keep_with_next = True
        _run(p, f"[{src['n']}] {_source_heading(src)}", BODY_FONT, SIZE_4, bold=True)
        for ln in _clean(str(src.get("text", ""))).split("\n"):
            if ln.strip():
                q = _para(doc, line=Pt(24), first_line=Pt(28))
                q.paragraph_format.left_indent = Pt(28)
                _run(q, to_fullwidth(ln.strip()), BODY_FONT, SIZE_4)


# -- file names ----------------------------------------------------------------------------------------
_RESERVED = re.compile(r"^(CON|PRN|AUX|NUL|COM[1-9]|LPT[1-9])(\..*)?$", re.IGNORECASE)


def suggested_filename(draft: Draft, ext: str, max_chars: int = 80) -> str:
    """A file name safe on Windows, macOS and Linux: no path separators, reserved characters or control
    characters, no leading/trailing dots or spaces, short enough in UTF-8 (≤ 255 bytes with the extension)."""
    base = unicodedata.normalize("NFC", draft.title or "答复函")
    base = "".join(" " if unicodedata.category(c)[0] == "C" or c in '\\/:*?"<>|' else c for c in base)
    base = re.sub(r"\s+", " ", base).strip(" .")
    while len(base.encode("utf-8")) > 200 or len(base) > max_chars:
        base = base[:-1].rstrip(" .")
    if not base or _RESERVED.match(base):
        base = f"答复函_{base}" if base else "答复函"
    ext = re.sub(r"[^0-9A-Za-z]", "", ext)
    return f"{base}.{ext}" if ext else base

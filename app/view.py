"""Pure helpers behind the browser app (streamlit_app.py), testable without Streamlit.

Everything that turns corpus text or model output into Markdown goes through here, escaped: no HTML,
no links, no emphasis or math can come from a document or a model, only from the app's own markup."""

from __future__ import annotations

import re
from collections.abc import Sequence
from typing import Any

from assistant.letters.export import md_escape
from core.settings import Settings
from core.text import to_fullwidth

_MARKER = re.compile(r"(\[\d{1,3}\])")


_WS = re.compile(r"^(\s*)(.*?)(\s*)$", re.DOTALL)


# -- escaping and highlighting ---------------------------------------------------------------------------
def _escape_piece(text: str) -> str:
    """Escape a piece of one line, keeping its surrounding spaces (md_escape trims them)."""
    m = _WS.match(text)
    assert m is not None
    lead, body, trail = m.groups()
    return lead + md_escape(body) + trail if body else text


def escape_block(text: str) -> str:
    """Several lines of foreign text as inert Markdown, line breaks kept (hard breaks, blank lines dropped)."""
    lines = [md_escape(to_fullwidth(ln)) for ln in str(text).split("\n")]
    return "  \n".join(ln for ln in lines if ln)


def highlight(text: str, span: Sequence[int] | None, color: str = "orange") -> str:
    """A passage as escaped Markdown with text[a:b] wrapped in Streamlit's `:orange-background[...]`.

    The span is escaped too; a span crossing line breaks is highlighted line by line (a directive
    cannot hold a line break). An empty or invalid span leaves the passage unhighlighted.
    """
    text = to_fullwidth(str(text))  # 1:1, so the span still points at the same characters
    a, b = (int(span[0]), int(span[1])) if span and len(span) == 2 else (0, 0)
    a, b = max(0, min(a, len(text))), max(0, min(b, len(text)))
    out: list[str] = []
    pos = 0
    for line in text.split("\n"):
        start, end = pos, pos + len(line)
        pos = end + 1
        lo, hi = max(a, start), min(b, end)
        if lo < hi and line[lo - start : hi - start].strip():
            pre, mid, post = line[: lo - start], line[lo - start : hi - start], line[hi - start :]
            m = _WS.match(mid)
            assert m is not None
            lead, body, trail = m.groups()
            md = (_escape_piece(pre) + lead + f":{color}-background[**{md_escape(body)}**]" + trail
                  + _escape_piece(post))
        else:
            md = md_escape(line)
        if md.strip():
            out.append(md.strip())
    return "  \n".join(out)


def _is_block_heading(line: str) -> bool:
    """A line of our own answer layout that heads a block: "揭阳：" (a city), "【office · kind · date】"."""
    s = line.strip()
    return bool(re.fullmatch(r"[\u4e00-\u9fff]{1,12}[:：]", s)) or (s.startswith("【") and s.endswith("】"))


def _md_line(line: str) -> str:
    parts = _MARKER.split(to_fullwidth(line.strip(" \t")))
    out = []
    for i, part in enumerate(parts):
        if i % 2:
            out.append(f":blue[\\[{part[1:-1]}\\]]")
        elif part:
            out.append(_escape_piece(part) if i else md_escape(part) + (" " if part.endswith(" ") else ""))
    return "".join(out).strip()


def answer_markdown(text: str, headings: bool = True) -> str:
    """An answer or letter with our [n] markers: everything escaped, markers kept readable as "[n]"
    (escaped brackets, so "[1](http://…)" in model output never becomes a link). Full-width punctuation in
    Chinese text. A city heading ("揭阳：") is bold and, like a source line or a "no material" line after a
    list, starts a block of its own (it would otherwise run on inside the list's last item)."""
    blocks: list[list[str]] = []
    kind = ""
    for line in str(text).split("\n"):
        bullet = re.match(r"^\s*[-•·]\s+", line)
        if bullet:
            line = line[bullet.end():]
        md = _md_line(line)
        if not md:
            continue
        if headings and not bullet and re.fullmatch(r"[\u4e00-\u9fff]{1,12}[:：]", line.strip()):
            md = f"**{md}**"
        elif not headings and re.match(r"^(?:[一二三四五六七八九十]+、|（[一二三四五六七八九十]+）关于)", line.strip()) \
                and not _MARKER.search(line):
            md = f"**{md}**"  # a letter's section and sub-point headings
        this = "bullet" if bullet else "heading" if headings and _is_block_heading(line) else "text"
        if not blocks or this != kind or this == "heading":
            blocks.append([])
        kind = this
        blocks[-1].append(("- " if bullet else "") + md)
    return "\n\n".join("\n".join(b) if b[0].startswith("- ") else "  \n".join(b) for b in blocks)


def citation_label(c: dict[str, Any]) -> str:
    """"[n] 标题 · 办理单位 · 日期 · 小标题" for an expander (whose label is Markdown: escaped)."""
    bits = [str(c.get(k) or "").strip() for k in ("title", "office", "date")]
    last = str(c.get("heading_path") or "").split(" > ")[-1].strip()
    if last:
        bits.append(last if len(last) <= 24 else last[:24] + "…")  # tells apart passages of one letter
    head = " · ".join(b for b in bits if b) or "资料"
    return f"\\[{int(c.get('n', 0))}\\] " + md_escape(to_fullwidth(head))


def citation_meta(c: dict[str, Any]) -> str:
    """The line under a citation's label: kind and heading path, never an internal passage id."""
    path = " › ".join(h.strip() for h in str(c.get("heading_path") or "").split(" > ") if h.strip())
    return md_escape(to_fullwidth(" · ".join(x for x in (str(c.get("kind") or ""), path) if x)))


def ocr_check_rows(records: dict[str, dict[str, Any]], floor: float) -> list[str]:
    """Documents with OCR pages under the confidence floor, one line each, for the documents page."""
    from ingest.loaders.base import ocr_low_pages

    return [f"{doc_id}：第 {'、'.join(map(str, low))} 页识别置信度低于 {floor:g}，请对照原件核对"
            for doc_id, m in sorted(records.items()) if (low := ocr_low_pages(m, floor))]


# -- documents -------------------------------------------------------------------------------------------
def doc_rows(records: dict[str, dict[str, Any]], kind_labels: dict[str, str]) -> list[dict[str, Any]]:
    """One row per stored document for the documents table: its title first, then date, type and office
    (what tells documents apart at a glance), newest first; the internal id stays out of sight."""
    rows = []
    for doc_id, m in records.items():
        kind = str(m.get("doc_kind") or m.get("kind") or "")
        label = kind_labels.get(kind) or DOC_KIND_LABELS.get(kind) or "其他"
        rows.append({"标题": to_fullwidth(str(m.get("title") or m.get("file_name") or "（无标题）")),
                     "日期": m.get("date", ""), "类型": label, "办理单位": m.get("office", ""),
                     "城市": m.get("city", ""), "段落数": int(m.get("n_chunks", 0) or 0), "_id": doc_id})
    rows.sort(key=lambda r: (str(r["日期"]), str(r["标题"])), reverse=True)
    return rows


def doc_choice_label(records: dict[str, dict[str, Any]], doc_id: str) -> str:
    """How a document is named in a picker: title · date · office."""
    m = records.get(doc_id, {})
    bits = [to_fullwidth(str(m.get("title") or m.get("file_name") or "（无标题）")), str(m.get("date") or ""),
            str(m.get("office") or "")]
    return " · ".join(b for b in bits if b)


def heading_outline(metadatas: Sequence[dict[str, Any]], kind_labels: dict[str, str]) -> list[str]:
    """A document's parts and heading tree from its chunks' metadata, in text order, as indented lines."""
    ms = sorted((m for m in metadatas if m.get("role") != "outline"),
                key=lambda m: (int(m.get("start", 0) or 0), int(m.get("chunk_index", 0) or 0)))
    out: list[str] = []
    seen: set[tuple[str, ...]] = set()
    for m in ms:
        part = str(m.get("sub_doc_label") or kind_labels.get(str(m.get("kind", "")), str(m.get("kind", ""))))
        path = [p.strip() for p in str(m.get("heading_path", "")).split(" > ") if p.strip()]
        for depth in range(len(path) + 1):
            key = (part, *path[:depth])
            if key in seen:
                continue
            seen.add(key)
            head = path[depth - 1] if depth else f"【{part}】"
            out.append(("  " * depth) + (head if len(head) <= 40 else head[:40] + "…"))
    return out


DOC_KIND_LABELS = {"reply": "答复", "co_handling": "会办意见", "policy": "政策文件", "proposal": "提案/建议", "other": "其他"}


def blanks_summary(blanks: Sequence[str]) -> str:
    """"尚有 5 处待填写：未找到材料的诉求（2处）、日期、联系人、联系电话" or ""."""
    if not blanks:
        return ""
    counts: dict[str, int] = {}
    for b in blanks:
        counts[b] = counts.get(b, 0) + 1
    parts = [f"{k}（{v}处）" if v > 1 else k for k, v in counts.items()]
    return f"尚有 {len(blanks)} 处待填写：{'、'.join(parts)}"


def store_label(settings: Settings) -> str:
    if settings.chroma_host:
        return f"向量库服务 {settings.chroma_host}:{settings.chroma_port}"
    return f"本地库 {settings.chroma_dir}"


def stream_escape(delta: str) -> str:
    """A streamed piece of model output as inert Markdown, escaped character by character (context-free,
    so pieces can be escaped as they arrive): every ASCII punctuation mark backslash-escaped."""
    return re.sub(r"([!-/:-@\[-`{-~])", r"\\\1", delta).replace("\n", "  \n")


# -- the app's own texts ---------------------------------------------------------------------------------------
def coverage_note(a: Any) -> str:
    """The note after an ask in the coverage list (Markdown, our own text only)."""
    if not a.found:
        return " — :red[未找到材料，函中已留待填写处]"
    if a.where == "next":
        return " — 仅在“下一步工作计划”中涉及"
    if a.where == "elsewhere":
        return " — 在函中其他部分涉及"
    return ""

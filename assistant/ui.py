"""Pure helpers behind the browser app (streamlit_app.py), testable without Streamlit.

Everything that turns corpus text or model output into Markdown goes through here, escaped: no HTML,
no links, no emphasis or math can come from a document or a model, only from the app's own markup.
"""

from __future__ import annotations

import dataclasses
import re
import time
import unicodedata
from collections.abc import Callable, Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from pydantic import SecretStr

from assistant import cite
from assistant.export import md_escape
from assistant.report import LABELS
from core.settings import Settings

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
    lines = [md_escape(ln) for ln in str(text).split("\n")]
    return "  \n".join(ln for ln in lines if ln)


def highlight(text: str, span: Sequence[int] | None, color: str = "orange") -> str:
    """A passage as escaped Markdown with text[a:b] wrapped in Streamlit's `:orange-background[...]`.

    The span is escaped too; a span crossing line breaks is highlighted line by line (a directive
    cannot hold a line break). An empty or invalid span leaves the passage unhighlighted.
    """
    text = str(text)
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
            md = (_escape_piece(pre) + lead + f":{color}-background[{md_escape(body)}]" + trail
                  + _escape_piece(post))
        else:
            md = md_escape(line)
        if md.strip():
            out.append(md.strip())
    return "  \n".join(out)


def answer_markdown(text: str) -> str:
    """An answer or letter with our [n] markers: everything escaped, markers kept readable as "[n]"
    (escaped brackets, so "[1](http://…)" in model output never becomes a link)."""
    lines = []
    for line in str(text).split("\n"):
        bullet = re.match(r"^\s*[-•·]\s+", line)
        if bullet:
            line = line[bullet.end():]
        parts = _MARKER.split(line.strip(" \t"))
        out = []
        for i, part in enumerate(parts):
            if i % 2:
                out.append(f":blue[\\[{part[1:-1]}\\]]")
            elif part:
                out.append(_escape_piece(part) if i else md_escape(part) + (" " if part.endswith(" ") else ""))
        md = "".join(out).strip()
        if md:
            lines.append(("- " if bullet else "") + md)
    return "  \n".join(lines)


def citation_label(c: dict[str, Any]) -> str:
    """"[n] 标题 · 办理单位 · 日期 · 小标题" for an expander (whose label is Markdown: escaped)."""
    bits = [str(c.get(k) or "").strip() for k in ("title", "office", "date")]
    last = str(c.get("heading_path") or "").split(" > ")[-1].strip()
    if last:
        bits.append(last if len(last) <= 24 else last[:24] + "…")  # tells apart passages of one letter
    head = " · ".join(b for b in bits if b) or str(c.get("label", ""))
    return f"\\[{int(c.get('n', 0))}\\] " + md_escape(head)


def cited_numbers(report: cite.CitationReport) -> list[int]:
    return sorted({n for s in report.sentences for n in s.cited})


# -- uploads ---------------------------------------------------------------------------------------------
_BAD_NAME_CHARS = set('<>:"|?*')
_RESERVED = re.compile(r"^(CON|PRN|AUX|NUL|COM[1-9]|LPT[1-9])(\..*)?$", re.IGNORECASE)


def safe_upload_name(name: str, max_bytes: int = 200) -> str:
    """A browser-supplied file name made safe to save: the last path component only (either slash),
    no "..", control characters or reserved characters; Chinese and spaces kept. Raises ValueError
    when nothing usable is left."""
    s = unicodedata.normalize("NFC", str(name))
    s = "".join(c for c in s if unicodedata.category(c)[0] != "C")  # control, format, surrogate …
    s = s.replace("\\", "/").split("/")[-1]
    s = "".join("_" if c in _BAD_NAME_CHARS else c for c in s)
    s = re.sub(r"\.{2,}", ".", s)
    s = re.sub(r"\s+", " ", s).strip(" .")
    if not s or not re.search(r"[\w\u4e00-\u9fff]", s):
        raise ValueError("文件名为空或无效")
    stem, dot, ext = s.rpartition(".")
    if not dot:
        stem, ext = s, ""
    while len(s.encode("utf-8")) > max_bytes and stem:
        stem = stem[:-1].rstrip(" .")
        s = f"{stem}.{ext}" if ext else stem
    if not stem:
        raise ValueError("文件名为空或无效")
    if _RESERVED.match(s):
        s = "_" + s
    return s


def upload_path(uploads_dir: Path, name: str) -> Path:
    """Where an upload is saved; always inside uploads_dir (ValueError otherwise)."""
    root = uploads_dir.resolve()
    path = (root / safe_upload_name(name)).resolve()
    if path.parent != root:
        raise ValueError("文件名无效")
    return path


_REASONS = (
    ("empty file", "空文件"),
    ("binary content", "内容是二进制数据，不是文本"),
    ("undecodable text", "无法识别文本编码（已尝试 UTF-8、UTF-16、GB18030）"),
    ("corrupt or not a .docx", "文件损坏或不是有效的 .docx 文件"),
    ("file too large", "文件过大"),
    ("unsupported file type", "不支持的文件类型（支持 txt、md、html、htm、docx、pdf）"),
    ("no extractable text", "没有可提取的文字（可能是扫描件）"),
    ("encrypted PDF", "PDF 已加密，无法读取"),
    ("corrupt PDF", "PDF 文件损坏"),
    ("no text left", "去除页眉页脚等内容后没有正文"),
    ("cannot parse HTML", "无法解析 HTML"),
    ("same document id", "与同批另一文件的文件名（不含扩展名）相同，请改名"),
    ("store error", "写入存储失败"),
    ("cannot read", "无法读取文件"),
    ("file not found", "文件不存在"),
    ("damaged", "文件已损坏"),
    ("encrypted", "文件已加密，无法读取"),
    ("image too large", "图片过大"),
    ("OCR failed", "文字识别失败"),
    ("no text found", "没有识别出文字"),
    ("same text as", "与另一格式的同名文件内容相同，只保存一份"),
)


def ocr_check_rows(records: dict[str, dict[str, Any]], floor: float) -> list[str]:
    """Documents with OCR pages under the confidence floor, one line each, for the documents page."""
    from ingest.loaders.base import ocr_low_pages

    return [f"{doc_id}：第 {'、'.join(map(str, low))} 页识别置信度低于 {floor:g}，请对照原件核对"
            for doc_id, m in sorted(records.items()) if (low := ocr_low_pages(m, floor))]


def reason_zh(reason: str) -> str:
    """An ingest failure reason in Chinese; the technical detail kept in brackets when there is any."""
    for prefix, zh in _REASONS:
        if reason.startswith(prefix):
            detail = reason[len(prefix):].strip(" :：")
            return f"{zh}（{detail}）" if detail and prefix not in ("empty file", "binary content") else zh
    return reason


@dataclass
class UploadResult:
    saved: list[str] = field(default_factory=list)  # file names ingested
    failed: list[tuple[str, str]] = field(default_factory=list)  # (file name as uploaded, reason in Chinese)
    added: int = 0
    updated: int = 0
    unchanged: int = 0
    chunks: int = 0
    seconds: float = 0.0

    def summary(self) -> str:
        return (f"成功 {len(self.saved)} 个（新增 {self.added}，更新 {self.updated}，未变 {self.unchanged}），"
                f"失败 {len(self.failed)} 个，段落 {self.chunks} 个，用时 {self.seconds:.1f} 秒")


def ingest_uploads(files: Sequence[tuple[str, bytes]], services: Any,
                   on_progress: Callable[[int, int, str], None] | None = None) -> UploadResult:
    """Save uploaded files under data_dir/uploads (sanitised names, size limit checked before saving) and
    ingest them one by one; a bad file is reported with its reason and removed, the others go through."""
    from ingest.pipeline import ingest_paths

    settings: Settings = services.settings
    uploads = settings.data_dir / "uploads"
    uploads.mkdir(parents=True, exist_ok=True)
    result = UploadResult()
    t0 = time.perf_counter()
    for i, (name, data) in enumerate(files):
        if on_progress:
            on_progress(i, len(files), name)
        suffix = Path(name).suffix.lower().lstrip(".")
        if suffix not in settings.upload_suffixes:
            result.failed.append((name, f"不支持的文件类型（允许：{'、'.join(settings.upload_suffixes)}）"))
            continue
        if len(data) > settings.max_file_bytes:
            result.failed.append((name, f"文件过大（{len(data) / 1048576:.1f} MB，上限 {settings.max_file_mb:g} MB）"))
            continue
        try:
            path = upload_path(uploads, name)
        except ValueError as exc:
            result.failed.append((name, str(exc)))
            continue
        path.write_bytes(data)
        report = ingest_paths([path], services.store, settings, progress=False)
        if report.failed:
            result.failed += [(name, reason_zh(reason)) for _, reason in report.failed]
            path.unlink(missing_ok=True)
            continue
        result.saved.append(path.name)
        result.added += report.added
        result.updated += report.updated
        result.unchanged += report.unchanged
        result.chunks += report.chunks
    if on_progress:
        on_progress(len(files), len(files), "")
    result.seconds = time.perf_counter() - t0
    return result


# -- documents -------------------------------------------------------------------------------------------
def doc_rows(records: dict[str, dict[str, Any]], kind_labels: dict[str, str]) -> list[dict[str, Any]]:
    """One row per stored document for the documents table."""
    rows = []
    for doc_id, m in sorted(records.items()):
        kind = str(m.get("kind") or m.get("doc_kind") or "")
        rows.append({"文档": doc_id, "标题": m.get("title", ""), "城市": m.get("city", ""),
                     "办理单位": m.get("office", ""), "类型": kind_labels.get(kind, kind),
                     "日期": m.get("date", ""), "段落数": int(m.get("n_chunks", 0) or 0)})
    return rows


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


# -- settings, drafts, evaluation --------------------------------------------------------------------------
def store_label(settings: Settings) -> str:
    if settings.chroma_host:
        return f"Chroma 服务 {settings.chroma_host}:{settings.chroma_port}"
    return f"本地库 {settings.chroma_dir}"


def llm_settings(settings: Settings, base_url: str, model: str, api_key: str) -> Settings:
    """A copy of the settings for one call with a model chosen in the UI (the key stays in memory)."""
    update: dict[str, Any] = {"generator": "llm"}
    if base_url.strip():
        update["llm_base_url"] = base_url.strip()
    if model.strip():
        update["llm_model"] = model.strip()
    if api_key.strip():
        update["llm_api_key"] = SecretStr(api_key.strip())
    return settings.model_copy(update=update)


def edited_draft(draft: Any, text: str, threshold: float) -> Any:
    """The draft with the user's edited letter, its citations checked again against the same passages."""
    from assistant.answer import support_texts
    from assistant.draft import check_structure

    report = cite.check(text, support_texts(draft.passages), threshold)
    return dataclasses.replace(draft, text=report.text, report=report,
                               structure=check_structure(report.text, draft.request))


def draft_citations(draft: Any) -> list[dict[str, Any]]:
    """The draft's cited sources with the span each rests on (for highlighting), like Answer.citation."""
    out = []
    for src in draft.sources():
        claims = [s for s in draft.report.sentences if src["n"] in s.cited]
        a, b = cite.best_span(claims[0].text, src["text"]) if claims else (0, 0)
        out.append({**src, "span": [a, b]})
    return out


def stream_escape(delta: str) -> str:
    """A streamed piece of model output as inert Markdown, escaped character by character (context-free,
    so pieces can be escaped as they arrive): every ASCII punctuation mark backslash-escaped."""
    return re.sub(r"([!-/:-@\[-`{-~])", r"\\\1", delta).replace("\n", "  \n")

def question_rows(run: dict[str, Any]) -> list[dict[str, Any]]:
    keys = ("evidence_recall_at_k", "must_include", "citation_validity", "citation_support_recall",
            "draft_structure", "draft_ask_coverage")
    out = []
    for q in run.get("questions", []):
        m = q.get("metrics", {})
        row: dict[str, Any] = {"编号": q.get("id"), "类型": q.get("kind"), "问题": q.get("question")}
        row.update({LABELS[k]: m.get(k) for k in keys})
        row["拒答"] = bool(q.get("refused"))
        row["未核实句数"] = m.get("unsupported_sentences")
        out.append(row)
    return out


def kind_chart_rows(run: dict[str, Any]) -> dict[str, dict[str, float]]:
    """{metric label: {kind: value}} for the quality metrics (0–1) by question kind."""
    keys = ("evidence_recall_at_k", "must_include", "citation_validity", "citation_support_recall",
            "refusal_accuracy", "draft_structure")
    return {LABELS[k]: {kd: float(s[k]) for kd, s in run.get("by_kind", {}).items() if s.get(k) is not None}
            for k in keys}


def metric_delta(key: str, now: float | None, before: float | None) -> float | None:
    if now is None or before is None:
        return None
    return round(float(now) - float(before), 4)

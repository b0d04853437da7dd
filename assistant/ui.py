"""Pure helpers behind the browser app (streamlit_app.py), testable without Streamlit.

Everything that turns corpus text or model output into Markdown goes through here, escaped: no HTML,
no links, no emphasis or math can come from a document or a model, only from the app's own markup.
"""

from __future__ import annotations

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
from core.text import normalize_text, to_fullwidth

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


_HEADING_LINE = re.compile(r"^\s*(?:[一二三四五六七八九十]+[、.]|\([一二三四五六七八九十]+\)|\d{1,2}[.、](?!\d))")


def support_span(sentence: str, passage: str) -> tuple[int, int]:
    """The span of the passage a cited sentence rests on, to highlight: the quoted text itself when it is
    there, else the passage sentence sharing most wording with it; a heading line only when nothing else
    shares any (a lifted sentence may carry a subject or lose its enumerator, its facts do not change)."""
    body = normalize_text(cite.strip_markers(sentence)).strip().lstrip("-•· ").rstrip("。")
    if body and (k := passage.find(body)) != -1:
        return k, k + len(body)
    grams = cite.bigrams(body)
    best, best_score, pos = (0, 0), 0.0, 0
    for part in re.split(r"(?<=[。!?;！？；\n])", passage):
        text = part.rstrip("\n")
        core = text.strip()
        if core:
            heading = bool(_HEADING_LINE.match(core)) and "。" not in core[:-1] and len(core) < 50
            score = len(grams & cite.bigrams(core)) / (len(grams) or 1) * (0.5 if heading else 1.0)
            if score > best_score:
                lead = len(text) - len(text.lstrip())
                best, best_score = (pos + lead, pos + len(text)), score
        pos += len(part)
    return best


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


def delete_document(services: Any, doc_id: str) -> bool:
    """Remove a document from the store and, when it came in through the app, its saved file under
    data_dir/uploads (only there: files elsewhere are the user's own). Returns whether a file was removed."""
    rec = services.store.doc_records().get(doc_id, {})
    services.store.delete_document(doc_id)
    services.store.bump_version()
    name = str(rec.get("file_name") or "")
    if not name:
        return False
    uploads = (services.settings.data_dir / "uploads").resolve()
    path = (uploads / Path(name).name).resolve()
    if path.parent == uploads and path.is_file():
        path.unlink()
        return True
    return False


_NUMBER_FACT = re.compile(r"(\d[\d.,]*)\s*(亿元|万元|元|家|个|项|名|人次|人|场次|场|条|亩|批)")


def example_questions(records: dict[str, dict[str, Any]], documents: Sequence[str],
                      metadatas: Sequence[dict[str, Any]], limit: int = 4) -> list[str]:
    """A few questions the store can answer, drawn from its own documents: a sentence stating a figure
    becomes "…多少家？" for its city; one question per document, documents in turn."""
    by_doc: dict[str, list[str]] = {}
    for text, m in zip(documents, metadatas, strict=False):
        if m.get("role") == "outline" or not m.get("city"):
            continue
        for sent in re.split(r"[。;；\n]", str(text)):
            s = sent.strip()
            head = re.split(r"[,，]", s)
            clause = next((c for c in head if _NUMBER_FACT.search(c) and 8 <= len(c) <= 32), "")
            if not clause or re.match(r"^[一二三四五六七八九十]+、|^\(", clause):
                continue
            m2 = _NUMBER_FACT.search(clause)
            assert m2 is not None
            stem = clause[: m2.start()].strip()
            if len(re.findall(r"[\u4e00-\u9fff]", stem)) < 6 or re.search(r"\d{4}年|\d", stem[-2:]):
                continue
            city = str(m["city"])
            stem = re.sub(r"^(全市|我市|本市|市)", "", stem)
            if not stem.startswith(city.removesuffix("市")):
                stem = city + stem
            q = to_fullwidth(f"{stem}多少{m2.group(2)}？")
            by_doc.setdefault(str(m.get("doc_id", "")), []).append(q)
    out: list[str] = []
    queues = [qs for _, qs in sorted(by_doc.items())]
    while len(out) < limit and any(queues):
        for qs in queues:
            if qs and len(out) < limit:
                q = qs.pop(0)
                if q not in out:
                    out.append(q)
    return out


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
KIND_LABELS = {"fact": "事实", "list": "列举", "compare": "比较", "other": "其他", "draft": "起草", "refusal": "应拒答",
               "refuse": "应拒答", "negative": "应拒答", "followup": "追问", "follow_up": "追问"}
DOC_KIND_LABELS = {"reply": "答复", "co_handling": "会办意见", "policy": "政策文件", "proposal": "提案/建议", "other": "其他"}
# the evaluation's figures as the app shows them: Chinese names, no abbreviations
APP_LABELS = {**LABELS, "mrr": "首个相关段落排名倒数均值", "retrieval_ms_p50": "检索耗时中位数（毫秒）",
              "generation_ms_p50": "生成耗时中位数（毫秒）", "evidence_recall_at_k": "证据召回率",
              "source_hit_at_k": "来源命中率"}


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


def draft_citations(draft: Any) -> list[dict[str, Any]]:
    """The draft's cited sources with the span each rests on (for highlighting), like Answer.citation."""
    out = []
    for src in draft.sources():
        claims = [s for s in draft.report.sentences if src["n"] in s.cited]
        a, b = support_span(claims[0].text, src["text"]) if claims else (0, 0)
        out.append({**src, "span": [a, b]})
    return out


def renumbered(text: str, citations: list[dict[str, Any]]) -> tuple[str, list[dict[str, Any]]]:
    """An answer as shown: its citations numbered 1, 2, 3… in order of first use (the text and the list
    alike), the list in that order."""
    order = list(dict.fromkeys(int(n) for n in cite._CANON.findall(text)))
    new = {old: i + 1 for i, old in enumerate(order)}
    shown = cite._CANON.sub(lambda m: f"[{new.get(int(m.group(1)), int(m.group(1)))}]", text)
    cits = sorted(({**c, "n": new.get(int(c["n"]), int(c["n"]))} for c in citations), key=lambda c: int(c["n"]))
    return shown, cits


def answer_citations(ans: Any) -> list[dict[str, Any]]:
    """An answer's citations, each with the span of the sentence that supports it (not a heading)."""
    out = []
    for n in cited_numbers(ans.report):
        c = ans.citation(n)
        claims = [s for s in ans.report.sentences if n in s.cited]
        if claims:
            c["span"] = list(support_span(claims[0].text, str(c.get("text", ""))))
        out.append(c)
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
        kind = str(q.get("kind") or "")
        row: dict[str, Any] = {"类型": KIND_LABELS.get(kind, "其他"), "问题": q.get("question")}
        row.update({APP_LABELS[k]: m.get(k) for k in keys})
        row["拒答"] = bool(q.get("refused"))
        row["未核实句数"] = m.get("unsupported_sentences")
        out.append(row)
    return out


def kind_chart_rows(run: dict[str, Any]) -> dict[str, dict[str, float]]:
    """{metric label: {kind: value}} for the quality metrics (0–1) by question kind."""
    keys = ("evidence_recall_at_k", "must_include", "citation_validity", "citation_support_recall",
            "refusal_accuracy", "draft_structure")
    return {APP_LABELS[k]: {KIND_LABELS.get(kd, "其他"): float(s[k]) for kd, s in run.get("by_kind", {}).items()
                            if s.get(k) is not None} for k in keys}


def metric_delta(key: str, now: float | None, before: float | None) -> float | None:
    if now is None or before is None:
        return None
    return round(float(now) - float(before), 4)


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


def upload_suffix(name: str) -> str:
    return Path(str(name)).suffix.lower().lstrip(".")


# Streamlit draws some texts of its own in English (the uploader's drop zone and button, the hint under a
# form's text field, the running indicator). Our stylesheet hides them and, where they carry meaning, puts
# Chinese in their place. No user or corpus text ever goes through here.
APP_CSS = """<style>
[data-testid="stFileUploaderDropzoneInstructions"] > div > span,
[data-testid="stFileUploaderDropzoneInstructions"] > div > small,
[data-testid="stFileUploaderDropzoneInstructions"] span, [data-testid="stFileUploaderDropzoneInstructions"] small
  { display: none; }
[data-testid="stFileUploaderDropzoneInstructions"] > div::after
  { content: "将文件拖到此处，或点击右侧按钮选择文件"; font-size: 0.9rem; }
[data-testid="stFileUploaderDropzone"] button { font-size: 0; }
[data-testid="stFileUploaderDropzone"] button * { display: none; }
[data-testid="stFileUploaderDropzone"] button::after { content: "选择文件"; font-size: 0.9rem; }
[data-testid="InputInstructions"] { display: none; }
[data-testid="stStatusWidget"], [data-testid="stMainMenu"], #MainMenu { visibility: hidden; }
</style>"""

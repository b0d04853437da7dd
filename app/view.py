"""Pure helpers behind the browser app (streamlit_app.py, app/pages/), testable without Streamlit.

Everything that turns corpus text or model output into Markdown goes through here, escaped: no HTML,
no links, no emphasis or math can come from a document or a model, only from the app's own markup."""

from __future__ import annotations

import re
from collections.abc import Sequence
from typing import Any

from app.zh import zh_time
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
    """"[n] 标题 · 办理单位 · 日期 · 小标题" for an expander (whose label is Markdown: escaped). A letter without
    a title is named by its file and folder (its path in the archive), so a citation always says which letter."""
    head = str(c.get("title") or "").strip() or file_and_folder(c)
    bits = [head, str(c.get("office") or "").strip(), zh_time(str(c.get("date") or ""))]
    last = str(c.get("heading_path") or "").split(" > ")[-1].strip()
    if last:
        bits.append(last if len(last) <= 24 else last[:24] + "…")  # tells apart passages of one letter
    head = " · ".join(b for b in bits if b) or "资料"
    return f"\\[{int(c.get('n', 0))}\\] " + md_escape(to_fullwidth(head))


def file_and_folder(m: dict[str, Any]) -> str:
    """"答复.docx（2023年/工信局）" from a path relative to the archive (source, else the document id), else the
    file name alone; "" when nothing names the file."""
    src = str(m.get("source") or m.get("doc_id") or "").strip().replace("\\", "/")
    name = str(m.get("file_name") or "").strip() or src.rsplit("/", 1)[-1]
    folder = src.rsplit("/", 1)[0] if "/" in src else ""
    return f"{name}（{folder}）" if name and folder else name


def citation_meta(c: dict[str, Any]) -> str:
    """The line under a citation's label: kind and heading path, never an internal passage id."""
    path = " › ".join(h.strip() for h in str(c.get("heading_path") or "").split(" > ") if h.strip())
    return md_escape(to_fullwidth(" · ".join(x for x in (str(c.get("kind") or ""), path) if x)))


def doc_path(doc_id: str, m: dict[str, Any]) -> str:
    """A document's path relative to the folder it was ingested from (its identity), else its file name or id."""
    return str(m.get("source") or m.get("file_name") or doc_id)


def doc_name(doc_id: str, m: dict[str, Any]) -> str:
    """"标题（路径）": how a warning line names a document unambiguously."""
    title = to_fullwidth(str(m.get("title") or "").strip())
    path = doc_path(doc_id, m)
    return f"{title}（{path}）" if title else path


def ocr_check_rows(records: dict[str, dict[str, Any]], floor: float) -> list[str]:
    """Documents with OCR pages under the confidence floor, one line each, for the documents page."""
    from ingest.loaders.base import ocr_low_pages

    return [f"{doc_name(doc_id, m)}：第 {'、'.join(map(str, low))} 页识别置信度低于 {floor:g}，请对照原件核对"
            for doc_id, m in sorted(records.items()) if (low := ocr_low_pages(m, floor))]


def planted_rows(records: dict[str, dict[str, Any]]) -> list[str]:
    """Documents holding passages that address the assistant (planted instructions), one line each: those
    passages are withheld from answers and drafts, and the drafter should check the original."""
    return [f"{doc_name(doc_id, m)}：{n} 段文字像是对本助手的指令，已不用于回答和起草，请核对原件"
            for doc_id, m in sorted(records.items()) if (n := int(m.get("planted") or 0)) > 0]


# -- documents -------------------------------------------------------------------------------------------
def doc_rows(records: dict[str, dict[str, Any]], kind_labels: dict[str, str]) -> list[dict[str, Any]]:
    """One row per stored document for the documents table: its title and path first (the path is what tells
    two letters of one title apart), then date, type and office, newest first; the internal id stays hidden."""
    rows = []
    for doc_id, m in records.items():
        kind = str(m.get("doc_kind") or m.get("kind") or "")
        label = kind_labels.get(kind) or DOC_KIND_LABELS.get(kind) or "其他"
        rows.append({"标题": to_fullwidth(str(m.get("title") or m.get("file_name") or "（无标题）")),
                     "路径": doc_path(doc_id, m), "日期": str(m.get("date") or ""), "类型": label,
                     "办理单位": m.get("office", ""), "城市": m.get("city", ""),
                     "段落数": int(m.get("n_chunks", 0) or 0), "_id": doc_id})
    rows.sort(key=lambda r: (str(r["日期"]), str(r["标题"]), str(r["路径"])), reverse=True)
    return [{**r, "日期": zh_time(r["日期"])} for r in rows]  # sorted on the ISO date, shown the Chinese way


def doc_choice_label(records: dict[str, dict[str, Any]], doc_id: str) -> str:
    """How a document is named in a picker: title · path · date (two letters of one title differ by path)."""
    m = records.get(doc_id, {})
    bits = [to_fullwidth(str(m.get("title") or m.get("file_name") or "（无标题）")), doc_path(doc_id, m),
            zh_time(str(m.get("date") or ""))]
    return " · ".join(b for b in bits if b)


def delete_notice(records: dict[str, dict[str, Any]], doc_id: str) -> str:
    """What removing a document does, naming it by title and path (Markdown, escaped)."""
    m = records.get(doc_id, {})
    return md_escape(f"将从资料库删除“{doc_name(doc_id, m)}”（{int(m.get('n_chunks', 0) or 0)} 个段落），"
                     "此后不再参与检索和起草；通过本页上传的原文件也一并删除。此操作不能撤销。")


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


# -- the model used for an answer (sidebar) --------------------------------------------------------------------
SERVER_ENDPOINT = ""  # the endpoint picker's value for the server's own, configured endpoint


def endpoint_options(settings: Settings) -> list[str]:
    """What the endpoint picker offers: the server's configured endpoint (as "") and the admin's allow-list
    (ASSISTANT_LLM_USER_ENDPOINTS). Empty list: nothing to pick, the configured endpoint is shown read-only."""
    from assistant.answers.llm import allowed_endpoints, server_endpoint

    server = server_endpoint(settings)
    extra = [u for u in allowed_endpoints(settings) if u != server]
    return [SERVER_ENDPOINT, *extra] if extra else []


def endpoint_label(settings: Settings, value: str) -> str:
    from assistant.answers.llm import server_endpoint

    if value == SERVER_ENDPOINT:
        return f"单位配置：{server_endpoint(settings) or '默认地址'}"
    return value


def generator_from_state(state: Any, settings: Settings) -> dict[str, Any]:
    """The generator the sidebar's widgets chose (their values in session state), as one dict:
    generator ("offline" | "llm"), base_url ("" = the server's), model ("" = the configured) and api_key."""
    choice = state.get("gen_choice", "大模型" if settings.generator == "llm" else "离线")
    if choice != "大模型":
        return {"generator": "offline", "base_url": "", "model": "", "api_key": ""}
    options = endpoint_options(settings)
    base = str(state.get("llm_endpoint") or "")
    return {"generator": "llm", "base_url": base if base in options else "",
            "model": str(state.get("llm_model") or "").strip() if options else "",
            "api_key": str(state.get("llm_api_key") or "").strip()}


def generator_caption(settings: Settings, gen: dict[str, Any]) -> str:
    from assistant.answers.llm import server_endpoint

    if gen["generator"] != "llm":
        return "离线（抽取式，无需密钥）"
    model = gen["model"] or settings.llm_model
    where = gen["base_url"] or server_endpoint(settings) or "默认地址"
    return f"大模型（{model}，{where}）"


def generator_warning(settings: Settings, gen: dict[str, Any]) -> str:
    """The sidebar's warning about the chosen model, or ""."""
    import os

    from assistant.answers.llm import server_endpoint

    if gen["generator"] != "llm":
        return ""
    if gen["base_url"]:
        if not gen["api_key"]:
            return "使用所选接口地址须填写您自己的 API 密钥（单位配置的密钥只用于单位配置的地址）；未填写时自动使用离线回答。"
        return ""
    if not (gen["api_key"] or server_endpoint(settings) or settings.llm_api_key or os.environ.get("OPENAI_API_KEY")):
        return "管理员尚未配置大模型服务，请填写“API 密钥”或联系管理员；未配置时自动使用离线回答。"
    return ""


# -- the pages' forms and data, without Streamlit ------------------------------------------------------------------
def draft_request(form: dict[str, str]) -> Any:
    """The 起草答复函 form's values as a DraftRequest, or the message to show when a required field is empty."""
    from assistant.letters.model import DraftRequest, LetterFields, Proposal

    v = {k: str(x or "") for k, x in form.items()}
    if not v.get("title", "").strip() or not v.get("office", "").strip():
        return "请至少填写“来文标题”和“答复单位”。"
    proposal = Proposal(v["title"].strip().strip("《》"), v.get("number", "").strip(), v.get("proposer", "").strip(),
                        v.get("kind", "建议"), v.get("body", ""))
    fields = LetterFields(v.get("category", ""), v.get("disclosure", ""), v.get("signer", "").strip(),
                          v.get("cc", "").strip(), v.get("contact", "").strip())
    return DraftRequest(proposal, v["office"].strip(), v.get("date", "").strip(),
                        "co" if v.get("role") == "会办" else "lead", v.get("lead_office", "").strip(),
                        v.get("instructions", "").strip(), fields)


def proposal_prefill(parsed: Any) -> dict[str, str]:
    """A parsed incoming proposal as the draft form's defaults: the asks as numbered lines."""
    return {"title": parsed.title, "number": parsed.number, "proposer": parsed.proposer,
            "kind": parsed.kind or "建议",
            "body": "\n".join(f"{i + 1}. {a}" for i, a in enumerate(parsed.asks)) or parsed.body,
            "lead_office": parsed.lead_office, "checks": "；".join(parsed.problems_to_check())}


def read_uploaded_proposal(name: str, data: bytes, max_bytes: int) -> dict[str, str]:
    """An uploaded proposal file read into the draft form's defaults; IntakeError when it cannot be."""
    import tempfile
    from pathlib import Path

    from assistant.casework.intake import read_proposal

    with tempfile.TemporaryDirectory() as tmp:
        path = Path(tmp) / "proposal" / Path(name).name
        path.parent.mkdir()
        path.write_bytes(data)
        return proposal_prefill(read_proposal(path, max_bytes))


def chat_history(messages: Sequence[dict[str, Any]]) -> list[Any]:
    from assistant.answers.answer import Turn

    return [Turn("user", m["content"]) if m["role"] == "user" else Turn("assistant", m["answer"].text)
            for m in messages]


def wait_text(generator: str, timeout_s: float) -> str:
    if generator == "llm":
        return f"正在检索资料并等待大模型回复（最长约 {timeout_s:.0f} 秒，超时将改用离线回答；点击“新对话”可中止）…"
    return "正在检索资料并整理回答…"


def related_caption(metadata: dict[str, Any]) -> str:
    m = metadata
    return md_escape(" · ".join(str(x) for x in (m.get("title"), m.get("office"), m.get("date"), m.get("heading_path"))
                                if x).replace(" > ", " › "))


def answer_footer(ans: Any) -> str:
    gen = "离线（抽取式）" if ans.generator == "offline" else "大模型"
    return md_escape(f"生成方式：{gen} · 检索用时 {ans.retrieval_ms / 1000:.1f} 秒 · 生成用时 {ans.generation_ms / 1000:.1f} 秒")


def unsupported_markdown(sentences: Sequence[Any]) -> str:
    if not sentences:
        return ""
    return "以下内容未能在引用段落中核实，请人工核对：\n\n" + "\n".join(f"- {md_escape(s.text)}" for s in sentences)


ANY = "全部"  # a filter picker's "no filter" choice


def filters_from(city: str, year: str, kind: str, office: str, any_label: str = ANY) -> Any:
    from assistant.retrieval.hybrid import Filters

    return Filters(city="" if city == any_label else city, year=None if year == any_label else int(year),
                   kind="" if kind == any_label else kind, office=office.strip())


# -- documents page ---------------------------------------------------------------------------------------------
def doc_caption(rec: dict[str, Any]) -> str:
    src = rec.get("source") or rec.get("file_name")
    bits = (rec.get("office"), zh_time(str(rec.get("date") or "")), f"原文件：{src}" if src else "")
    return md_escape(" · ".join(str(x) for x in bits if x))


def doc_parts(rec: dict[str, Any]) -> str:
    parts = [p.strip().split(":", 1)[-1] for p in str(rec.get("parts", "")).split("|") if p.strip()]
    return "\n".join(parts) or "（无）"


def upload_rejections(names: Sequence[str], types: Sequence[str]) -> list[str]:
    """One error line per chosen file of a type the app does not take."""
    from ingest.uploads import upload_suffix

    allowed = "、".join(t.upper() for t in types)
    return [f"{md_escape(n)}：不支持的文件类型（支持 {allowed}）" for n in names if upload_suffix(n) not in types]


def upload_hint(settings: Settings) -> str:
    types = settings.upload_suffixes
    return (f"支持的格式：{'、'.join(t.upper() for t in types)}；单个文件不超过 {settings.max_file_mb:g} MB。"
            "可一次选择多个文件。")



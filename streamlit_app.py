"""Browser app: 问答 (chat with checked citations), 起草答复函, 文档 (browse/upload/remove), 评测.

Thin on purpose: the logic lives in the library and in assistant/ui.py. Corpus text and model output are
always shown as st.text or escaped Markdown (assistant.ui), never as HTML. A key typed into the sidebar
lives only in this browser session's st.session_state: it is never written to disk or logged.
"""

from __future__ import annotations

import json
import tempfile
import time
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import streamlit as st
import streamlit.components.v1 as components

st.set_page_config(page_title="答复函助手", page_icon="📄", layout="wide")
_starting = st.empty()
_starting.info("正在启动答复函助手，首次打开需要十几秒…", icon=":material/hourglass_top:")

from app.theme import APP_CSS
from app.view import (
    answer_markdown,
    blanks_summary,
    citation_label,
    citation_meta,
    coverage_note,
    doc_choice_label,
    doc_rows,
    escape_block,
    heading_outline,
    highlight,
    ocr_check_rows,
    store_label,
    stream_escape,
)
from assistant.answers.answer import Answer, Assistant, Turn  # noqa: E402
from assistant.answers.examples import example_questions
from assistant.answers.llm import llm_settings
from assistant.evaluation import report  # noqa: E402  (after the first message: these imports take seconds)
from assistant.evaluation.report import (
    APP_LABELS,
    LOWER_IS_BETTER,  # noqa: E402
    kind_chart_rows,
    metric_delta,
    question_rows,
)
from assistant.evidence.spans import answer_citations, draft_citations, renumbered
from assistant.letters.draft import Drafter, with_text
from assistant.letters.export import md_escape, suggested_filename, to_docx, to_markdown  # noqa: E402
from assistant.letters.model import (
    CATEGORIES,
    DISCLOSURES,
    STRUCTURE_NAMES,
    DraftRequest,
    LetterFields,
    Proposal,
)
from assistant.retrieval.hybrid import Filters  # noqa: E402
from assistant.retrieval.services import Services, build_services  # noqa: E402
from core.profile import profile  # noqa: E402
from core.settings import Settings  # noqa: E402
from core.text import to_fullwidth  # noqa: E402
from ingest.loaders.ocr import progress_callback  # noqa: E402
from ingest.uploads import delete_document, ingest_uploads, upload_suffix

st.markdown(APP_CSS, unsafe_allow_html=True)  # our own stylesheet only: Chinese labels for Streamlit's parts

METRIC_LABELS = APP_LABELS
PAGES = ("问答", "起草答复函", "办件", "文档", "评测")
REPO = Path(__file__).resolve().parent
ANY = "全部"


@st.cache_resource(show_spinner=False)
def _services(_settings: Settings, key: str) -> Services:
    """One embedder, store client and BM25 index per server process and store, shared by all sessions."""
    return build_services(_settings)


def base_services() -> Services:
    s = Settings()
    key = "|".join(str(x) for x in (s.data_dir.resolve(), s.chroma_host, s.chroma_port, s.collection, s.embedder))
    return _services(s, key)


def call_services(svc: Services, gen: dict[str, Any]) -> Services:
    """Services for one call: the shared ones, or a copy whose settings carry the model chosen in the UI."""
    if gen["generator"] != "llm":
        return svc
    settings = llm_settings(svc.settings, gen["base_url"], gen["model"], gen["api_key"])
    return Services(settings, svc.embedder, svc.store, svc.retriever)


# -- shared rendering ---------------------------------------------------------------------------------------
def render_citation(c: dict[str, Any]) -> None:
    with st.expander(citation_label(c)):
        meta = citation_meta(c)
        if meta:
            st.caption(meta)
        st.markdown(highlight(str(c.get("text", "")), c.get("span")))


def render_unsupported(sentences: list[Any]) -> None:
    if sentences:
        items = "\n".join(f"- {md_escape(s.text)}" for s in sentences)
        st.warning("以下内容未能在引用段落中核实，请人工核对：\n\n" + items, icon=":material/warning:")


def render_answer(ans: Answer) -> None:
    if ans.notice:
        st.warning(md_escape(ans.notice))
    if ans.refused:
        st.info(answer_markdown(ans.text), icon=":material/search_off:")
        if ans.related:
            with st.expander("相关段落（仅供参考）", expanded=False):
                for h in ans.related:
                    m = h.metadata
                    st.caption(md_escape(" · ".join(str(x) for x in (m.get("title"), m.get("office"), m.get("date"),
                                                                      m.get("heading_path")) if x).replace(" > ", " › ")))
                    st.markdown(escape_block(h.text))
        return
    text, cits = renumbered(ans.text, answer_citations(ans))
    st.markdown(answer_markdown(text))
    if ans.missing:
        st.caption("没有材料的城市：" + md_escape("、".join(ans.missing)))
    render_unsupported(ans.report.unsupported)
    if cits:
        st.caption("引用来源（点击展开原文，加粗高亮处为所引内容）")
        for c in cits:
            render_citation(c)
    gen = "离线（抽取式）" if ans.generator == "offline" else "大模型"
    st.caption(md_escape(f"生成方式：{gen} · 检索用时 {ans.retrieval_ms / 1000:.1f} 秒 · "
                         f"生成用时 {ans.generation_ms / 1000:.1f} 秒"))


# -- sidebar -----------------------------------------------------------------------------------------------
def sidebar_generator(svc: Services) -> dict[str, Any]:
    st.sidebar.subheader("生成方式")
    choice = st.sidebar.radio("生成方式", ["离线", "大模型"], key="gen_choice", horizontal=True,
                              label_visibility="collapsed",
                              index=1 if svc.settings.generator == "llm" else 0,
                              help="离线：从文档中抽取原句并标注出处，无需密钥。大模型：调用单位配置的大模型服务，需填写接口地址和密钥。")
    gen: dict[str, Any] = {"generator": "llm" if choice == "大模型" else "offline",
                           "base_url": "", "model": "", "api_key": ""}
    if gen["generator"] == "llm":
        gen["base_url"] = st.sidebar.text_input("接口地址", value=svc.settings.llm_base_url or "",
                                                key="llm_base_url", placeholder="https://api.deepseek.com/v1")
        gen["model"] = st.sidebar.text_input("模型名称", value=svc.settings.llm_model, key="llm_model")
        gen["api_key"] = st.sidebar.text_input("API 密钥", type="password", key="llm_api_key",
                                               help="只保存在本次浏览器会话的内存中，不写入磁盘或日志。")
    return gen


def generator_caption(svc: Services, gen: dict[str, Any]) -> str:
    if gen["generator"] == "llm":
        model = gen["model"] or svc.settings.llm_model
        where = gen["base_url"] or svc.settings.llm_base_url or "默认地址"
        g = f"大模型（{model}，{where}）"
    else:
        g = "离线（抽取式，无需密钥）"
    return g


def sidebar_filters(svc: Services) -> tuple[Filters, int]:
    st.sidebar.subheader("筛选")
    r = svc.retriever
    city = st.sidebar.selectbox("地区", [ANY, *sorted(r.store_places())], key="f_city")
    years = sorted({str(m.get("year")) for m in r.lexical().metadatas if m.get("year")})
    year = st.sidebar.selectbox("年份", [ANY, *years], key="f_year")
    kinds = [ANY, *r.known_values("kind")]
    kind = st.sidebar.selectbox("类型", kinds, key="f_kind", format_func=lambda k: profile().kind_labels.get(k, k))
    office = st.sidebar.text_input("办理单位（可简称，如 工信局）", key="f_office")
    k = st.sidebar.slider("返回段落数", 1, 20, svc.settings.top_k, key="f_k")
    return Filters(city="" if city == ANY else city, year=None if year == ANY else int(year),
                   kind="" if kind == ANY else kind, office=office.strip()), k


# -- 问答 ----------------------------------------------------------------------------------------------------
@st.cache_data(show_spinner=False)
def _examples(version: str, _svc: Services) -> list[str]:
    lex = _svc.retriever.lexical()
    return example_questions(_svc.store.doc_records(), lex.documents, lex.metadatas)


def page_chat(svc: Services, gen: dict[str, Any]) -> None:
    filters, k = sidebar_filters(svc)
    head, button = st.columns([5, 1], vertical_alignment="bottom")
    head.subheader("问答")
    if button.button("新对话", icon=":material/add_comment:", width="stretch"):
        st.session_state.messages = []
    messages: list[dict[str, Any]] = st.session_state.setdefault("messages", [])
    picked = ""
    if not messages:
        st.caption("就已入库的答复函和政策文件提问，回答逐句标注出处，并核对引用。可以继续追问，例如“那揭阳呢？”。")
        examples = _examples(svc.store.version(), svc)
        if examples:
            st.markdown("**可以这样问（点击即可提问）：**")
            cols = st.columns(2)
            for i, q in enumerate(examples):
                if cols[i % 2].button(q, key=f"example_{i}", icon=":material/help:", width="stretch"):
                    picked = q
    for msg in messages:
        with st.chat_message(msg["role"]):
            if msg["role"] == "user":
                st.markdown(md_escape(msg["content"]))
            else:
                render_answer(msg["answer"])
    typed = st.chat_input("输入问题，例如：揭阳到2023年6月底认定了多少名高层次人才？")
    question = (typed or picked or "").strip()
    if not question:
        return
    history = [Turn("user", m["content"]) if m["role"] == "user" else Turn("assistant", m["answer"].text)
               for m in messages]
    messages.append({"role": "user", "content": question})
    with st.chat_message("user"):
        st.markdown(md_escape(question))
    with st.chat_message("assistant"):
        box = st.empty()
        final: list[Answer] = []
        assistant = Assistant(call_services(svc, gen))
        timeout = call_services(svc, gen).settings.llm_timeout_s
        wait_text = (f"正在检索资料并等待大模型回复（最长约 {timeout:.0f} 秒，超时将改用离线回答；点击“新对话”可中止）…"
                     if gen["generator"] == "llm" else "正在检索资料并整理回答…")

        def deltas() -> Iterator[str]:
            for item in assistant.stream(question, filters, k, history, gen["generator"]):
                if isinstance(item, Answer):
                    final.append(item)
                else:
                    yield stream_escape(item)

        with box.container(), st.spinner(wait_text, show_time=True):
            st.write_stream(deltas())
        with box.container():
            if final:
                render_answer(final[0])
    if final:
        messages.append({"role": "assistant", "answer": final[0]})
    if not history:
        st.rerun()  # the first exchange: the example questions give way to the conversation


# -- 起草答复函 ------------------------------------------------------------------------------------------------
def page_draft(svc: Services, gen: dict[str, Any]) -> None:
    st.subheader("起草答复函")
    from app.cases_page import proposal_upload

    offices = svc.retriever.known_values("office")
    pre = proposal_upload(svc)  # the incoming file read into the form (assistant/intake.py)
    with st.form("draft_form"):
        c1, c2 = st.columns([3, 1])
        title = c1.text_input("来文标题", pre.get("title", ""), placeholder="关于破解专精特新中小企业融资难题的建议")
        number = c2.text_input("编号", pre.get("number", ""), placeholder="第20250156号")
        c1, c2 = st.columns([3, 1])
        proposer = c1.text_input("提出人", pre.get("proposer", ""), placeholder="陈晓代表 / 王芳委员 / 民建市委会")
        kind = c2.selectbox("类型", ["建议", "提案"], index=1 if pre.get("kind") == "提案" else 0)
        body = st.text_area("正文或主要建议", pre.get("body", ""), height=160,
                            placeholder="可粘贴来文全文；“一是…二是…”“1. 2.”等分项会被识别为各项诉求。")
        c1, c2, c3 = st.columns([2, 1, 1])
        office = c1.text_input("答复单位", placeholder=offices[0] if offices else "某市工业和信息化局")
        date = c2.text_input("日期", placeholder="2024年4月29日（可留空）")
        role = c3.radio("办理类型", ["主办", "会办"], horizontal=True)
        lead_office = st.text_input("主办单位（会办时填写）")
        instructions = st.text_area("补充要求", height=68)
        c1, c2 = st.columns(2)
        # chosen by the drafter, never preset: an unchosen field is exported as 【待填写】
        category = c1.selectbox("答复类别", ["", *CATEGORIES], format_func=lambda v: v or "（请选择）")
        disclosure = c2.selectbox("公开属性", ["", *DISCLOSURES], format_func=lambda v: v or "（请选择）")
        c1, c2, c3 = st.columns(3)
        signer = c1.text_input("签发人")
        cc = c2.text_input("抄送")
        contact = c3.text_input("联系人及电话")
        submitted = st.form_submit_button("生成草稿", type="primary")
    if submitted:
        if not title.strip() or not office.strip():
            st.error("请至少填写“来文标题”和“答复单位”。")
        else:
            req = DraftRequest(Proposal(title.strip().strip("《》"), number.strip(), proposer.strip(), kind, body),
                               office.strip(), date.strip(), "lead" if role == "主办" else "co", lead_office.strip(),
                               instructions.strip(), LetterFields(category, disclosure, signer.strip(), cc.strip(),
                                                                  contact.strip()))
            with st.spinner("正在检索材料并起草…"):
                draft = Drafter(Assistant(call_services(svc, gen))).draft(req, gen["generator"])
            st.session_state.draft = draft
            st.session_state.draft_text = draft.text
    draft = st.session_state.get("draft")
    if draft is None:
        return
    edited = draft if st.session_state.get("draft_text", draft.text) == draft.text else \
        with_text(draft, st.session_state.draft_text, svc.settings.support_threshold)
    st.markdown("#### " + md_escape(edited.title))
    if edited.notice:
        st.warning(md_escape(edited.notice))
    left, right = st.columns([3, 2])
    with left, st.container(border=True):
        st.markdown(answer_markdown(edited.text, headings=False))
    with right:
        st.markdown("**诉求覆盖**（按来文顺序）")
        st.markdown("\n".join(f"- {'✓' if a.found else '✗'} {md_escape(to_fullwidth(a.ask))}"
                              + coverage_note(a) for a in edited.asks))
        todo = blanks_summary(edited.blanks)
        st.markdown("**结构检查**" + ("（各部分齐全）" if edited.complete else "（有缺项）"))
        st.markdown("\n".join(f"- {'✓' if ok else '✗'} {STRUCTURE_NAMES.get(k, k)}"
                              for k, ok in edited.structure.items()))
        if todo:
            st.warning(md_escape(todo), icon=":material/edit_note:")
    render_unsupported(edited.report.unsupported)
    cits = draft_citations(edited)
    if cits:
        st.caption("引用来源（点击展开原文，高亮为所引内容）")
        for c in cits:
            render_citation(c)
    st.text_area("修改草稿（修改后引用会重新核对，下载使用修改后的文本）", key="draft_text", height=360)
    # -- facts (assistant/check.py): the draft checked against earlier replies and for its wording
    with st.expander("一致性与措辞检查（与档案中的前次答复核对）"):
        from assistant.facts.check import DraftError, check_store

        try:
            checked = check_store(st.session_state.get("draft_text", ""), svc.store)
            (st.success if checked.ok else st.warning)(checked.text())
        except DraftError as exc:
            st.info(str(exc))
    # -- end facts
    include = st.checkbox("核对稿：保留 [n] 标注并附引用来源（对外印发请不勾选）", value=False)
    c1, c2 = st.columns(2)
    c1.download_button("下载 Word 文档（.docx）", to_docx(edited, include), suggested_filename(edited, "docx"),
                       mime="application/vnd.openxmlformats-officedocument.wordprocessingml.document",
                       icon=":material/description:", width="stretch")
    c2.download_button("下载 Markdown（.md）", to_markdown(edited, include).encode("utf-8"),
                       suggested_filename(edited, "md"), mime="text/markdown", icon=":material/article:", width="stretch")


# -- 文档 ------------------------------------------------------------------------------------------------------
def page_docs(svc: Services) -> None:
    st.subheader("文档")
    records = svc.store.doc_records()
    rows = doc_rows(records, profile().kind_labels)
    if rows:
        st.dataframe(rows, hide_index=True, width="stretch", column_config={"_id": None, "标题": st.column_config.TextColumn(
            "标题", width="large")})
    else:
        st.info("库中还没有文档，请在下方上传。")
    for line in ocr_check_rows(records, svc.settings.ocr_min_confidence):
        st.warning(md_escape(line), icon=":material/document_scanner:")
    with st.container(border=True):
        st.markdown("**上传文档**")
        types = svc.settings.upload_suffixes
        st.caption(f"支持的格式：{'、'.join(t.upper() for t in types)}；单个文件不超过 {svc.settings.max_file_mb:g} MB。"
                   "可一次选择多个文件。")
        # no type filter in the widget: its own refusal is an English tooltip; every file is checked below
        files = st.file_uploader("选择文件", accept_multiple_files=True, key="uploads", label_visibility="collapsed")
        bad = [f.name for f in files or [] if upload_suffix(f.name) not in types]
        for name in bad:
            st.error(f"{md_escape(name)}：不支持的文件类型（支持 {'、'.join(t.upper() for t in types)}）",
                     icon=":material/error:")
        if files and st.button("导入上传的文件", type="primary"):
            bar = st.progress(0.0, text="准备导入…")

            def progress(i: int, n: int, name: str) -> None:
                bar.progress(i / n if n else 1.0, text=f"正在导入（{i + 1}/{n}）：{name}" if name else "导入完成")

            with progress_callback(lambda d, n, name: bar.progress(d / n if n else 1.0, text=f"文字识别 {name}：{d}/{n} 页")):
                result = ingest_uploads([(f.name, f.getvalue()) for f in files], svc, progress)
            for name, reason in result.failed:
                st.error(f"{md_escape(name)}：{md_escape(reason)}")
            (st.success if not result.failed else st.warning)(md_escape(result.summary()))
            svc.store.bump_version()
            records = svc.store.doc_records()
            rows = doc_rows(records, profile().kind_labels)
    if not records:
        return
    ids = [r["_id"] for r in rows]
    doc_id = st.selectbox("查看文档", ids, format_func=lambda d: doc_choice_label(records, d))
    if not doc_id:
        return
    rec = records[doc_id]
    head, action = st.columns([5, 1], vertical_alignment="bottom")
    head.caption(md_escape(" · ".join(str(x) for x in (rec.get("office"), rec.get("date"),
                                                        f"原文件：{rec.get('file_name')}" if rec.get("file_name") else "")
                                      if x)))
    with action.popover("删除此文档", icon=":material/delete:", width="stretch"):
        st.markdown("删除后将不再参与检索；通过本页上传的原文件也一并删除。")
        if st.button("确认删除", key=f"del_{doc_id}", type="primary"):
            delete_document(svc, doc_id)
            st.toast("已删除：" + md_escape(str(rec.get("title") or doc_id)))
            st.rerun()
    got = svc.store.chunks.get(where={"doc_id": doc_id}, include=["metadatas"])
    metas = [dict(m or {}) for m in got["metadatas"]]
    parts = [p.strip().split(":", 1)[-1] for p in str(rec.get("parts", "")).split("|") if p.strip()]
    c1, c2 = st.columns(2)
    with c1:
        st.markdown("**组成部分**")
        st.text("\n".join(parts) or "（无）")
    with c2:
        st.markdown("**标题结构**")
        st.text("\n".join(heading_outline(metas, profile().kind_labels)) or "（无小标题）")
    with st.expander("清洗后的正文"):
        st.text(svc.store.doc_text(doc_id) or "")


# -- 评测 ------------------------------------------------------------------------------------------------------
def previous_run() -> dict[str, Any] | None:
    if st.session_state.get("eval_prev"):
        return dict(st.session_state.eval_prev)
    path = REPO / "eval" / "out" / "run.json"
    try:
        return dict(json.loads(path.read_text(encoding="utf-8")))
    except (OSError, ValueError):
        return None


def page_eval(svc: Services, gen: dict[str, Any]) -> None:
    from assistant.evaluation import metrics as evaluate
    from assistant.evaluation.metrics import QuestionSetError, load_questions

    st.subheader("评测")
    source = st.radio("题集", ["项目自带题集", "上传题集（每行一题的 JSON 文件）"], horizontal=True)
    items: list[dict[str, Any]] = []
    name = "eval/questions.jsonl"
    try:
        if source.startswith("项目"):
            items = load_questions(REPO / "eval" / "questions.jsonl")
        else:
            up = st.file_uploader("题集文件", key="eval_upload")
            if up is not None:
                name = up.name
                with tempfile.TemporaryDirectory() as tmp:
                    path = Path(tmp) / "questions.jsonl"
                    path.write_bytes(up.getvalue())
                    items = load_questions(path)
    except QuestionSetError as exc:
        st.error("题集格式有误：" + md_escape(str(exc).split("/")[-1]))
    k = st.slider("每题检索段落数", 1, 20, svc.settings.top_k, key="eval_k")
    mode = "大模型（见侧栏“系统信息”）" if gen["generator"] == "llm" else "离线（抽取式，无需密钥）"
    st.caption(f"共 {len(items)} 题 · 生成方式：{mode}")
    if items and st.button("开始评测", type="primary"):
        assistant = Assistant(call_services(svc, gen))
        drafter = Drafter(assistant)
        bar = st.progress(0.0, text="开始评测…")
        rows = []
        t0 = time.perf_counter()
        for i, item in enumerate(items):
            bar.progress(i / len(items), text=md_escape(f"（{i + 1}/{len(items)}）{item.get('question', '')[:40]}"))
            rows.append(evaluate.eval_item(item, assistant, drafter, k, gen["generator"]))
        bar.progress(1.0, text="评测完成")
        config = {"question_set": name, "generator": gen["generator"], "embedder": svc.embedder.name, "k": k,
                  "store_version": svc.store.version(), "collection": svc.settings.collection,
                  "model": (gen["model"] or svc.settings.llm_model) if gen["generator"] == "llm" else None,
                  "seconds": round(time.perf_counter() - t0, 1)}
        if st.session_state.get("eval_run"):
            st.session_state.eval_prev = st.session_state.eval_run
        st.session_state.eval_run = {"config": config, **evaluate.build_run(rows, k)}
    run = st.session_state.get("eval_run")
    if not run:
        return
    prev = previous_run()
    s, ps = run["summary"], (prev or {}).get("summary", {})
    keys = [k for k in METRIC_LABELS if k in s]
    for start in range(0, len(keys), 5):
        cols = st.columns(5)
        for col, key in zip(cols, keys[start:start + 5], strict=False):
            v = s.get(key)
            d = metric_delta(key, v, ps.get(key))
            col.metric(METRIC_LABELS[key], "—" if v is None else f"{v:.3f}" if v <= 1 else f"{v:.0f}",
                       delta=None if d is None else f"{d:+.3f}",
                       delta_color="inverse" if key in LOWER_IS_BETTER else "normal")
    if prev:
        st.caption("增减相对于上一次评测")
    st.markdown("**各题结果**")
    st.dataframe(question_rows(run), hide_index=True, width="stretch")
    chart = kind_chart_rows(run)
    if any(chart.values()):
        st.markdown("**按题型的指标**")
        import pandas as pd

        st.bar_chart(pd.DataFrame(chart), stack=False, x_label="题型", y_label="得分（0–1）")
    c1, c2, c3 = st.columns(3)
    c1.download_button("下载评测数据（JSON）", json.dumps(run, ensure_ascii=False, indent=2).encode("utf-8"), "run.json",
                       mime="application/json", width="stretch")
    page = report.render_html(run, prev)
    c2.download_button("下载评测报告（网页）", page.encode("utf-8"), "report.html", mime="text/html", width="stretch")
    c3.download_button("下载评测报告（Markdown）", report.render_markdown(run, prev).encode("utf-8"), "report.md",
                       mime="text/markdown", width="stretch")
    with st.expander("完整报告（与下载的网页报告相同）"):
        # our own renderer's page, every string in it escaped; shown in Streamlit's sandboxed iframe
        components.html(page, height=900, scrolling=True)


# -- main ------------------------------------------------------------------------------------------------------
def system_info(svc: Services, gen: dict[str, Any], n_docs: int) -> None:
    """Where the data lives and which models answer: one place, in the sidebar, folded."""
    with st.sidebar.expander("系统信息", icon=":material/info:"):
        st.caption(md_escape(f"文档 {n_docs} 篇 · 段落 {svc.store.count()} 个"))
        st.caption(md_escape(f"生成方式：{generator_caption(svc, gen)}"))
        st.caption(md_escape(f"存储位置：{store_label(svc.settings)}"))
        st.caption(md_escape(f"向量模型：{svc.embedder.name}"))


def main() -> None:
    with st.spinner("正在加载向量模型和检索索引…", show_time=True):
        svc = base_services()
    _starting.empty()
    st.sidebar.title("答复函助手")
    page = st.sidebar.radio("页面", PAGES, key="page", label_visibility="collapsed")
    gen = sidebar_generator(svc)
    n_docs = len(svc.store.doc_records())
    if gen["generator"] == "llm" and not (gen["api_key"] or gen["base_url"] or svc.settings.llm_api_key
                                          or svc.settings.llm_base_url):
        st.sidebar.warning("请在上方填写“接口地址”和“API 密钥”后使用大模型；未填写时自动使用离线回答。")
    system_info(svc, gen, n_docs)
    if n_docs == 0 and page in ("问答", "起草答复函"):
        st.warning("库中还没有文档。请先到“文档”页上传答复函或政策文件。")
        return
    if page == "问答":
        page_chat(svc, gen)
    elif page == "起草答复函":
        page_draft(svc, gen)
    elif page == "办件":  # intake, co-handling opinions, versions, exports, final letter (assistant/cases_page.py)
        from app.cases_page import page_cases

        page_cases(svc, gen, lambda: Drafter(Assistant(call_services(svc, gen))))
    elif page == "文档":
        page_docs(svc)
    else:
        page_eval(svc, gen)


main()

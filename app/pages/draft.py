"""起草答复函: a reply letter drafted from the stored material for a proposal typed in or uploaded; checked,
editable, exported as Word or Markdown."""

from __future__ import annotations

from typing import Any

import streamlit as st

from app import common
from app.draft_view import check_summary, coverage_lines, official_punctuation, structure_lines
from app.view import answer_markdown, blanks_summary, draft_request, read_uploaded_proposal
from assistant.casework.intake import IntakeError
from assistant.evidence.spans import draft_citations
from assistant.facts.check import DraftError, check_store
from assistant.letters.draft import with_text
from assistant.letters.export import md_escape, suggested_filename, to_docx, to_markdown
from assistant.letters.model import CATEGORIES, DISCLOSURES
from assistant.retrieval.services import Services

DOCX_MIME = "application/vnd.openxmlformats-officedocument.wordprocessingml.document"


def proposal_upload(svc: Services) -> dict[str, str]:
    """The incoming proposal file read into the form's defaults; an unreadable file or one that is not a
    proposal gets a clear message and the form stays as it was. Versions are kept on the 办件 page."""
    up = st.file_uploader("上传来文（建议/提案原件，自动填写下列各项，请核对）", key="draft_proposal_file")
    if up is None:
        return {}
    if st.session_state.get("draft_prefill_of") != (up.name, up.size):
        try:
            st.session_state.draft_prefill = read_uploaded_proposal(up.name, up.getvalue(), svc.settings.max_file_bytes)
        except IntakeError as exc:
            st.error(md_escape(str(exc)), icon=":material/error:")
            return {}
        st.session_state.draft_prefill_of = (up.name, up.size)
    pre = dict(st.session_state.get("draft_prefill", {}))
    st.caption("已读取来文：" + md_escape(pre.get("title", "")) + "。附加会办意见、保存版本请到“办件”页。")
    if pre.get("checks"):
        st.warning(md_escape(pre["checks"]), icon=":material/edit_note:")
    return pre


def form(svc: Services, pre: dict[str, str]) -> dict[str, str] | None:
    """The request form; its values once submitted, else None."""
    offices = svc.retriever.known_values("office")
    v: dict[str, str] = {}
    with st.form("draft_form"):
        c1, c2 = st.columns([3, 1])
        v["title"] = c1.text_input("来文标题", pre.get("title", ""), placeholder="关于破解专精特新中小企业融资难题的建议")
        v["number"] = c2.text_input("编号", pre.get("number", ""), placeholder="第20250156号")
        c1, c2 = st.columns([3, 1])
        v["proposer"] = c1.text_input("提出人", pre.get("proposer", ""), placeholder="陈晓代表 / 王芳委员 / 民建市委会")
        v["kind"] = c2.selectbox("类型", ["建议", "提案"], index=1 if pre.get("kind") == "提案" else 0)
        v["body"] = st.text_area("正文或主要建议", pre.get("body", ""), height=160,
                                 placeholder="可粘贴来文全文；“一是…二是…”“1. 2.”等分项会被识别为各项诉求。")
        c1, c2, c3 = st.columns([2, 1, 1])
        v["office"] = c1.text_input("答复单位", placeholder=offices[0] if offices else "某市工业和信息化局")
        v["date"] = c2.text_input("日期", placeholder="2024年4月29日（可留空）")
        v["role"] = c3.radio("办理类型", ["主办", "会办"], horizontal=True)
        v["lead_office"] = st.text_input("主办单位（会办时填写）")
        v["instructions"] = st.text_area("补充要求", height=68)
        c1, c2 = st.columns(2)
        # chosen by the drafter, never preset: an unchosen field is exported as 【待填写】
        v["category"] = c1.selectbox("答复类别", ["", *CATEGORIES], format_func=lambda x: x or "（请选择）")
        v["disclosure"] = c2.selectbox("公开属性", ["", *DISCLOSURES], format_func=lambda x: x or "（请选择）")
        c1, c2, c3 = st.columns(3)
        v["signer"] = c1.text_input("签发人")
        v["cc"] = c2.text_input("抄送")
        v["contact"] = c3.text_input("联系人及电话")
        submitted = st.form_submit_button("生成草稿", type="primary")
    return v if submitted else None


def draft(svc: Services, gen: dict[str, Any], values: dict[str, str]) -> None:
    req = draft_request(values)
    if isinstance(req, str):
        st.error(req)
        return
    with st.spinner("正在检索材料并起草…"):
        made = common.drafter(svc, gen).draft(req, gen["generator"])
    st.session_state.draft = made
    st.session_state.draft_text = made.text


def checks(edited: Any) -> None:
    """The letter beside its coverage of the asks and its structure."""
    left, right = st.columns([3, 2])
    with left, st.container(border=True):
        st.markdown(answer_markdown(edited.text, headings=False))
    with right:
        st.markdown("**诉求覆盖**（按来文顺序）")
        st.markdown(coverage_lines(edited.asks, edited.text))
        st.markdown("**结构检查**" + ("（各部分齐全）" if edited.complete else "（有缺项）"))
        st.markdown(structure_lines(edited.structure))
        todo = blanks_summary(edited.blanks)
        if todo:
            st.warning(md_escape(todo), icon=":material/edit_note:")


def facts(svc: Services) -> None:
    """The draft checked against earlier replies and for its wording (assistant/facts)."""
    with st.expander("一致性与措辞检查（与档案中的前次答复核对）"):
        try:
            text = st.session_state.get("draft_text", "")
            checked = check_store(text, svc.store)
            (st.success if checked.ok else st.warning)(check_summary(checked, text))
        except DraftError as exc:
            st.info(str(exc))


def downloads(edited: Any) -> None:
    include = st.checkbox("核对稿：保留 [n] 标注并附引用来源（对外印发请不勾选）", value=False)
    c1, c2 = st.columns(2)
    c1.download_button("下载 Word 文档（.docx）", to_docx(edited, include), suggested_filename(edited, "docx"),
                       mime=DOCX_MIME, icon=":material/description:", width="stretch")
    c2.download_button("下载 Markdown（.md）", to_markdown(edited, include).encode("utf-8"),
                       suggested_filename(edited, "md"), mime="text/markdown", icon=":material/article:", width="stretch")


def result(svc: Services) -> None:
    made = st.session_state.get("draft")
    if made is None:
        return
    text = official_punctuation(st.session_state.get("draft_text", made.text))
    st.session_state.draft_text = text  # typed text in official punctuation, before the editor is drawn
    edited = made if text == made.text else with_text(made, text, svc.settings.support_threshold)
    st.markdown("#### " + md_escape(edited.title))
    if edited.notice:
        st.warning(md_escape(edited.notice))
    checks(edited)
    common.render_unsupported(edited.report.unsupported)
    common.render_citations(draft_citations(edited), "引用来源（点击展开原文，高亮为所引内容）")
    st.text_area("修改草稿（修改后引用会重新核对，下载使用修改后的文本）", key="draft_text", height=360)
    facts(svc)
    downloads(edited)


svc = common.services()
gen = common.generator(svc)
common.require_documents(svc)
st.subheader("起草答复函")
values = form(svc, proposal_upload(svc))
if values is not None:
    draft(svc, gen, values)
result(svc)

"""文档: the stored documents (table, parts, heading tree, cleaned text), uploads and removal."""

from __future__ import annotations

from typing import Any

import streamlit as st

from app import common
from app.auth import doc_access
from app.view import (
    delete_notice,
    doc_caption,
    doc_choice_label,
    doc_parts,
    doc_rows,
    heading_outline,
    ocr_check_rows,
    planted_rows,
    upload_hint,
    upload_rejections,
)
from assistant.letters.export import md_escape
from assistant.retrieval.hybrid import HIDDEN_DOCS
from assistant.retrieval.services import Services
from core.profile import profile
from ingest.loaders.ocr import progress_callback
from ingest.uploads import delete_document, ingest_uploads


def table(svc: Services, records: dict[str, dict[str, Any]]) -> None:
    rows = doc_rows(records, profile().kind_labels)
    if rows:
        st.dataframe(rows, hide_index=True, width="stretch",
                     column_config={"_id": None, "标题": st.column_config.TextColumn("标题", width="large"),
                                    "路径": st.column_config.TextColumn("路径（相对导入文件夹）", width="medium")})
    else:
        st.info("库中还没有文档，请在下方上传。")
    for line in ocr_check_rows(records, svc.settings.ocr_min_confidence):
        st.warning(md_escape(line), icon=":material/document_scanner:")
    for line in planted_rows(records):
        st.warning(md_escape(line), icon=":material/gpp_maybe:")


def uploads(svc: Services) -> None:
    """The upload box: every chosen file's type checked, then imported with a progress bar."""
    with st.container(border=True):
        st.markdown("**上传文档**")
        st.caption(upload_hint(svc.settings))
        # no type filter in the widget: its own refusal is an English tooltip; every file is checked below
        gen = int(st.session_state.get("uploads_gen", 0))  # a new key empties the box once its files are imported
        files = st.file_uploader("选择文件", accept_multiple_files=True, key=f"uploads_{gen}" if gen else "uploads",
                                 label_visibility="collapsed")
        for line in upload_rejections([f.name for f in files or []], svc.settings.upload_suffixes):
            st.error(line, icon=":material/error:")
        who = common.session()
        office = who.user.office if who is not None and who.user is not None else ""
        visibility = "公开"
        if office:  # a signed-in uploader may keep a document to their own office
            visibility = st.radio("可见范围", ["公开", "内部"], horizontal=True, key="upload_visibility",
                                  help=f"公开：所有用户可检索和引用。内部：只有{office}的用户可以看到和引用。")
        if not (files and st.button("导入上传的文件", type="primary")):
            return
        bar = st.progress(0.0, text="准备导入…")

        def progress(i: int, n: int, name: str) -> None:
            bar.progress(i / n if n else 1.0, text=f"正在导入（{i + 1}/{n}）：{name}" if name else "导入完成")

        with progress_callback(lambda d, n, name: bar.progress(d / n if n else 1.0, text=f"文字识别 {name}：{d}/{n} 页")):
            result = ingest_uploads([(f.name, f.getvalue()) for f in files], svc, progress)
        if visibility == "内部":
            access = doc_access(svc.settings)
            for doc_id in result.doc_ids:
                access.set(doc_id, "内部", office, who.user.name if who is not None and who.user else "")
        for name, reason in result.failed:
            common.flash("error", f"{md_escape(name)}：{md_escape(reason)}")
        common.audit_record("upload", "archive", files=len(files), failed=len(result.failed))
        common.flash("success" if not result.failed else "warning", "导入完成：" + md_escape(result.summary()))
        svc.store.bump_version()
        st.session_state.uploads_gen = gen + 1
        st.rerun()


def delete_button(svc: Services, doc_id: str, records: dict[str, dict[str, Any]]) -> None:
    st.markdown(delete_notice(records, doc_id))
    if st.button("确认删除", key=f"del_{doc_id}", type="primary"):
        delete_document(svc, doc_id)
        doc_access(svc.settings).forget(doc_id)
        common.audit_record("delete", f"doc:{doc_id}")
        common.flash("success", "已删除：" + md_escape(doc_choice_label(records, doc_id)))
        st.rerun()


def document(svc: Services, records: dict[str, dict[str, Any]]) -> None:
    """One document: where it comes from, its parts, heading tree and cleaned text."""
    ids = [r["_id"] for r in doc_rows(records, profile().kind_labels)]
    doc_id = st.selectbox("查看文档", ids, format_func=lambda d: doc_choice_label(records, d))
    if not doc_id:
        return
    rec = records[doc_id]
    head, action = st.columns([5, 1], vertical_alignment="bottom")
    head.caption(doc_caption(rec))
    if common.may("delete_archive"):  # 管理员 (or the single-user desk)
        with action.popover("删除此文档", icon=":material/delete:", width="stretch"):
            delete_button(svc, doc_id, records)
    got = svc.store.chunks.get(where={"doc_id": doc_id}, include=["metadatas"])
    metas = [dict(m or {}) for m in got["metadatas"]]
    c1, c2 = st.columns(2)
    with c1:
        st.markdown("**组成部分**")
        st.text(doc_parts(rec))
    with c2:
        st.markdown("**标题结构**")
        st.text("\n".join(heading_outline(metas, profile().kind_labels)) or "（无小标题）")
    with st.expander("清洗后的正文"):
        st.text(svc.store.doc_text(doc_id) or "")


def readable(svc: Services) -> dict[str, dict[str, Any]]:
    """The stored documents this person may read (other offices' 内部 documents are not even listed)."""
    hidden = HIDDEN_DOCS.get()
    return {d: m for d, m in svc.store.doc_records().items() if d not in hidden}


svc = common.services()
st.subheader("文档")
common.show_flash()
table(svc, readable(svc))
if common.may("upload_archive"):
    uploads(svc)
else:
    st.caption("上传和删除档案由管理员办理；办件的会办意见和定稿在“办件”页上传，会自动存入资料库。")
records = readable(svc)
if records:
    document(svc, records)

"""办件: upload the incoming proposal, check its fields, attach co-handling opinions, draft, edit and save
versions, compare versions, export both .docx forms, upload the signed final letter.

Thin over assistant/casework; every text from a file or the user is shown escaped.
"""

from __future__ import annotations

from typing import Any

import streamlit as st

from app import common
from app.view import case_rows, correct_proposal, opinion_rows, review_filename, version_rows
from assistant.casework.diff import render_diff
from assistant.casework.intake import IntakeError
from assistant.casework.store import CaseError, CaseStore
from assistant.casework.workflow import attach_opinion, draft_case, draft_of, finalize, open_case
from assistant.letters.draft import with_text
from assistant.letters.export import md_escape, suggested_filename, to_docx, to_markdown, to_review_docx

DOCX_MIME = "application/vnd.openxmlformats-officedocument.wordprocessingml.document"


def _new_case(svc: Any, store: CaseStore, offices: list[str]) -> None:
    with st.expander("新建办件：上传来文（建议/提案原件，支持 Word、PDF、扫描件等）", expanded=not store.all()):
        up = st.file_uploader("来文文件", key="case_proposal_file")
        c1, c2, c3 = st.columns([2, 1, 1])
        office = c1.text_input("答复单位", key="case_office", placeholder=offices[0] if offices else "某市工业和信息化局")
        role = c2.radio("办理类型", ["主办", "会办"], key="case_role", horizontal=True)
        due = c3.text_input("办理期限", key="case_due", placeholder="2025-06-30（可留空）")
        lead = st.text_input("主办单位（会办时填写，来文写明的会自动读取）", key="case_lead")
        if st.button("读取来文并建立办件", type="primary", key="case_open", disabled=up is None):
            if not office.strip():
                st.error("请填写“答复单位”。")
                return
            assert up is not None
            try:
                with st.spinner("正在读取来文…"):
                    cid, parsed = open_case(store, svc.settings, up.name, up.getvalue(), office.strip(),
                                            "co" if role == "会办" else "lead", lead.strip(), due.strip())
            except IntakeError as exc:
                st.error(md_escape(str(exc)), icon=":material/error:")
                return
            st.session_state.case_id = cid
            st.success(f"已建立办件 #{cid}：{md_escape(parsed.title or up.name)}，请核对下方的来文解析。")


def _proposal_form(store: CaseStore, cid: int) -> None:
    case = store.get(cid)
    p = case.proposal
    with st.form(f"case_fields_{cid}"):
        st.markdown("**来文解析**（请核对，可直接修改）")
        f: dict[str, str] = {}
        c1, c2 = st.columns([3, 1])
        f["title"] = c1.text_input("标题", p.title)
        f["number"] = c2.text_input("编号", p.number)
        c1, c2, c3 = st.columns([2, 1, 2])
        f["proposers"] = c1.text_input("提出人（领衔在前，用“、”分隔）", "、".join(p.proposers))
        f["body_kind"] = c2.selectbox("来源", ["人大", "政协", ""], index=["人大", "政协", ""].index(p.body_kind)
                                      if p.body_kind in ("人大", "政协") else 2, format_func=lambda v: v or "（未识别）")
        f["session"] = c3.text_input("会议", p.session)
        c1, c2 = st.columns(2)
        f["lead"] = c1.text_input("主办单位", p.lead_office)
        f["co"] = c2.text_input("会办单位（用“、”分隔）", "、".join(p.co_offices))
        f["asks"] = st.text_area("诉求（每行一项，按来文顺序）", "\n".join(p.asks), height=120)
        if p.problems:
            st.caption("来文所述问题（不作为诉求）：" + md_escape("；".join(p.problems)))
        for w in p.problems_to_check():
            st.warning(md_escape(w), icon=":material/edit_note:")
        if st.form_submit_button("保存更正"):
            correct_proposal(p, f)
            store.update(cid, p)
            st.toast("已保存更正")


def _opinions(svc: Any, store: CaseStore, cid: int) -> None:
    st.markdown("**会办意见**")
    got = store.opinions(cid)
    if got:
        st.dataframe(opinion_rows(got), hide_index=True, width="stretch")
    else:
        st.caption("尚未附加会办意见。")
    files = st.file_uploader("上传会办意见（可多选）", accept_multiple_files=True, key=f"case_opinions_{cid}")
    if files and st.button("附加会办意见", key=f"case_attach_{cid}"):
        for f in files:
            try:
                opinion, warns = attach_opinion(store, svc.settings, cid, f.name, f.getvalue(), svc)
                st.success(f"已附加：{md_escape(opinion.office)}（{len(opinion.points)} 点）")
                for w in warns:
                    st.warning(md_escape(w))
            except (IntakeError, CaseError) as exc:
                st.error(md_escape(str(exc)), icon=":material/error:")
        svc.store.bump_version()


def _versions(svc: Any, store: CaseStore, cid: int, gen: dict[str, Any]) -> None:
    case = store.get(cid)
    author = st.text_input("经办人", key=f"case_author_{cid}")
    if case.final_text is None and st.button("生成草稿" if not case.versions else "重新生成草稿（存为新版本）",
                                              type="primary", key=f"case_draft_{cid}"):
        with st.spinner("正在检索材料并起草…"):
            _, n = draft_case(store, cid, common.drafter(svc, gen), gen.get("generator"),
                              author.strip())
        st.session_state[f"case_text_{cid}"] = store.version(cid, n).text
        st.success(f"已生成并保存第{n}版")
    versions = store.versions(cid)
    if not versions:
        return
    last = versions[-1]
    key = f"case_text_{cid}"
    if key not in st.session_state:
        st.session_state[key] = last.text
    st.text_area("草稿（修改后保存为新版本）", key=key, height=360)
    note = st.text_input("修改说明", key=f"case_note_{cid}")
    if case.final_text is None and st.button("保存为新版本", key=f"case_save_{cid}"):
        if st.session_state[key].strip() == last.text.strip():
            st.info("内容没有变化，未保存新版本。")
        else:
            n = store.add_version(cid, st.session_state[key], author.strip(), note.strip() or "修改")
            st.success(f"已保存第{n}版")
            versions = store.versions(cid)
    st.markdown("**版本记录**")
    st.dataframe(version_rows(versions), hide_index=True, width="stretch")
    if len(versions) >= 2:
        ns = [v.n for v in versions]
        c1, c2 = st.columns(2)
        a = c1.selectbox("比较：从", ns, index=len(ns) - 2, key=f"case_diff_a_{cid}", format_func=lambda n: f"第{n}版")
        b = c2.selectbox("到", ns, index=len(ns) - 1, key=f"case_diff_b_{cid}", format_func=lambda n: f"第{n}版")
        st.text(render_diff(store.version(cid, a).text, store.version(cid, b).text, f"第{a}版", f"第{b}版"))
    chosen = versions[-1]
    draft = with_text(draft_of(chosen, svc.settings.support_threshold), chosen.text, svc.settings.support_threshold)
    st.caption(f"导出第{chosen.n}版：对外印发稿不含标注；核对稿中每句引用的出处以 Word 批注列出，未能核实的句子以黄色标出。")
    c1, c2, c3 = st.columns(3)
    c1.download_button("对外印发稿（.docx）", to_docx(draft, include_sources=False), suggested_filename(draft, "docx"),
                       mime=DOCX_MIME, key=f"case_dl_clean_{cid}", width="stretch")
    c2.download_button("核对稿（带批注 .docx）", to_review_docx(draft),
                       review_filename(draft), mime=DOCX_MIME,
                       key=f"case_dl_review_{cid}", width="stretch")
    c3.download_button("Markdown（含出处）", to_markdown(draft).encode("utf-8"), suggested_filename(draft, "md"),
                       mime="text/markdown", key=f"case_dl_md_{cid}", width="stretch")


def _final(svc: Any, store: CaseStore, cid: int) -> None:
    case = store.get(cid)
    if case.final_text is not None:
        st.success(f"已定稿（{case.final_at}），定稿已存入资料库。")
        with st.expander("定稿全文"):
            st.text(case.final_text)
        return
    if not case.versions:
        return
    up = st.file_uploader("上传签发后的定稿（与最后一版草稿比对，并存入资料库）", key=f"case_final_{cid}")
    if up is not None and st.button("确认定稿", key=f"case_finalize_{cid}"):
        try:
            diff, notes = finalize(store, svc.settings, cid, up.name, up.getvalue(), svc)
        except (IntakeError, CaseError) as exc:
            st.error(md_escape(str(exc)), icon=":material/error:")
            return
        st.success("已定稿")
        st.text(diff)
        for n in notes:
            st.warning(md_escape(n))


def _pick(store: CaseStore) -> int | None:
    """The case table and the picker; the case opened (remembered in the session), or None."""
    cases = store.all()
    if not cases:
        st.info("还没有办件。请上传来文建立办件。")
        return None
    st.dataframe(case_rows(cases), hide_index=True, width="stretch")
    ids = [c.id for c in cases]
    current = st.session_state.get("case_id")
    titles = {c.id: c.title for c in cases}
    cid = st.selectbox("打开办件", ids, index=ids.index(current) if current in ids else 0, key="case_pick",
                       format_func=lambda i: f"#{i} " + titles[i])
    if cid is not None:
        st.session_state.case_id = cid
    return cid


svc = common.services()
gen = common.generator(svc)
st.subheader("办件")
store = CaseStore.of(svc.settings)
_new_case(svc, store, svc.retriever.known_values("office"))
cid = _pick(store)
if cid is not None:
    case = store.get(cid)
    st.markdown(f"#### #{cid} {md_escape(case.title)}（{case.status}）")
    _proposal_form(store, cid)
    if case.role == "lead":
        _opinions(svc, store, cid)
    _versions(svc, store, cid, gen)
    _final(svc, store, cid)

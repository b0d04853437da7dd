"""待办: the first page of a signed-in user — the cases that wait for them (a 承办人 the ones to draft, revise or
send off, a 审核人 those to review, a 签发人 those to sign), each with its due date; one click opens it on the 办件
page. Widget calls only: what waits for whom is assistant.casework.review's."""

from __future__ import annotations

import streamlit as st

from app import common
from app.case_view import case_rows, open_case_state
from assistant.casework.review import waiting
from assistant.casework.store import CaseStore

svc = common.services()
who = common.session()
st.subheader("待办")
common.show_flash()
if who is None or who.user is None:
    st.info("单机模式没有审核流程；请在“办件”页办理。")
    st.stop()
store = CaseStore.of(svc.settings)
mine = waiting(store, who.user)
if not mine:
    st.success("目前没有等待你处理的办件。", icon=":material/task_alt:")
    st.stop()
st.caption(f"共 {len(mine)} 件等待你处理（{who.label}）")
st.dataframe(case_rows(mine), hide_index=True, width="stretch")
pick = st.selectbox("打开办件", [c.id for c in mine], format_func=lambda i: next(f"#{c.id} {c.title}（{c.status}）"
                                                                               for c in mine if c.id == i))
if st.button("在办件页打开", type="primary"):
    open_case_state(common.state(), int(pick))
    st.switch_page("app/pages/cases.py")

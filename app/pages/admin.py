"""用户与审计 (管理员): the users of the bureau's server — add, disable, enable — and the audit log, filtered and
exportable as CSV. Widget calls only: the rules and records are assistant.access's; every change here is audited
like the CLI's (`assistant users …`)."""

from __future__ import annotations

import datetime

import streamlit as st

from app import common
from app.auth import stores
from app.zh import zh_time
from assistant.access import AccessDenied, UserError, require, to_csv
from assistant.access.roles import ACTIONS, ROLES
from assistant.letters.export import md_escape
from core.settings import Settings

AUDIT_LABELS = {**ACTIONS, "sign_in": "登录", "sign_out": "退出登录", "user_add": "新增用户", "user_disable": "停用用户",
                "user_enable": "恢复用户", "user_passwd": "重设密码", "audit_export": "导出审计日志",
                "transition": "流转", "upload": "上传档案", "delete": "删除档案"}
settings = Settings()  # type: ignore[call-arg]
who = common.session()
st.subheader("用户与审计")
common.show_flash()
users, audit = stores(settings)
actor = who.user if who is not None else None
try:
    if actor is None:
        raise AccessDenied("单机模式没有用户管理：请先用 `assistant users add` 建立管理员账号并登录。")
    require(actor, "manage_users")
except AccessDenied as exc:
    if actor is not None:
        audit.record(actor, "manage_users", "page:admin", "denied", reason=str(exc))
    st.error(md_escape(str(exc)), icon=":material/lock:")
    st.stop()

st.markdown("**用户**")
rows = users.rows()
st.dataframe([{"用户名": r["name"], "姓名": r["display"], "角色": r["role_label"], "单位": r["office"],
               "登录方式": "统一身份认证" if r["oidc"] else "密码", "状态": "已停用" if r["disabled"] else "正常"}
              for r in rows], hide_index=True, width="stretch")
with st.expander("新增用户"), st.form("admin_add_user", clear_on_submit=True):
    c1, c2, c3 = st.columns(3)
    name = c1.text_input("用户名")
    display = c2.text_input("姓名")
    role = c3.selectbox("角色", [r.code for r in ROLES.values()], format_func=lambda c: ROLES[c].label)
    office = st.text_input("所属单位", placeholder="东莞市工业和信息化局")
    c1, c2 = st.columns(2)
    password = c1.text_input("初始密码（至少 10 位）", type="password")
    subject = c2.text_input("统一身份认证标识（使用单位统一身份认证时填写）")
    if st.form_submit_button("新增", type="primary"):
        try:
            added = users.add(name, role, office, password=password or None, oidc_subject=subject or None,
                              display=display)
            audit.record(actor, "user_add", f"user:{added.name}", "ok", role=added.role, office=added.office)
            common.flash("success", md_escape(f"已新增用户 {added.name}（{ROLES[added.role].label}，{added.office}）"))
            st.rerun()
        except UserError as exc:
            audit.record(actor, "user_add", f"user:{name.strip()[:64]}", "failed", reason=str(exc))
            st.error(md_escape(str(exc)), icon=":material/error:")
names = [r["name"] for r in rows if r["name"] != actor.name]
if names:
    c1, c2, c3 = st.columns([3, 1, 1], vertical_alignment="bottom")
    pick = c1.selectbox("停用或恢复用户", names)
    for col, label, disable in ((c2, "停用", True), (c3, "恢复", False)):
        if col.button(label, width="stretch", key=f"admin_{'disable' if disable else 'enable'}"):
            (users.disable if disable else users.enable)(str(pick))
            audit.record(actor, "user_disable" if disable else "user_enable", f"user:{pick}", "ok")
            common.flash("success", md_escape(f"已{label}用户 {pick}"))
            st.rerun()

st.markdown("**审计日志**（只增不改：登录、查看办件、修改、流转、导出、上传、删除、设置）")
c1, c2, c3 = st.columns(3)
since = c1.date_input("起始日期", datetime.date.today() - datetime.timedelta(days=30), format="YYYY/MM/DD")
user_filter = c2.selectbox("用户", ["", *sorted({r["name"] for r in rows})], format_func=lambda v: v or "全部")
action_filter = c3.text_input("操作（如 sign_in、transition）")
entries = audit.entries(since=since, user=user_filter or None, action=action_filter.strip() or None, limit=2000)
outcome = {"ok": "成功", "denied": "拒绝", "failed": "失败"}
st.dataframe([{"时间": zh_time(e.at.isoformat(timespec="seconds")), "用户": e.user,
               "操作": AUDIT_LABELS.get(e.action, e.action), "对象": e.target, "结果": outcome.get(e.outcome, e.outcome),
               "详情": "；".join(f"{k}：{v}" for k, v in e.detail.items())} for e in entries],
             hide_index=True, width="stretch")
if st.download_button("导出审计日志（CSV）", to_csv(entries).encode("utf-8-sig"), "审计日志.csv", mime="text/csv"):
    audit.record(actor, "audit_export", "audit", "ok", rows=len(entries))
if not st.session_state.get("audit_viewed"):  # once per session, not at every click on this page
    st.session_state["audit_viewed"] = True
    audit.record(actor, "view_audit", "page:admin", "ok", rows=len(entries))

"""Sign-in: who is using the app. The rules (passwords, OIDC subjects, roles, offices) live in assistant.access;
this module only draws the sign-in page and keeps the signed-in user in the session.

Three modes, by what the administrator configured:
- ``oidc``: an ``[auth]`` section in .streamlit/secrets.toml → Streamlit's ``st.login`` (the bureau's SSO or a
  Keycloak). The signed-in subject must belong to a user an administrator added
  (``assistant users add NAME --oidc-subject SUB``); role and office come from that table, never from the token.
- ``local``: accounts exist (``assistant users add NAME --role … --office …``, password from stdin) → a sign-in
  form, checked with Argon2 in the library.
- ``desk``: neither → a single-user desk, only on this computer: pages are refused when the server listens on,
  or the browser comes from, another address (say what to configure instead).
Accounts that can only sign in through OIDC while no ``[auth]`` section is found: refused (not the desk).

Every sign-in, failed sign-in, sign-out and expiry is written to the audit log.
"""

from __future__ import annotations

import ipaddress
import time
from dataclasses import dataclass
from typing import Any

import streamlit as st

from assistant.access import AuditLog, AuthError, User, UserStore, open_engine
from assistant.access.documents import DocAccess
from assistant.access.roles import ROLES
from assistant.retrieval.hybrid import HIDDEN_DOCS
from core.settings import Settings

SESSION_KEY = "signed_in"
NAV_KEY = "_pages_shown"  # this browser session was shown the page links (it was signed in)


@dataclass
class Session:
    """Who is at the keyboard: a user (signed in) or the single-user desk (user None)."""

    user: User | None
    mode: str  # oidc | local | desk

    @property
    def name(self) -> str:
        return self.user.name if self.user else "本机"

    @property
    def label(self) -> str:
        if self.user is None:
            return "单机模式（未启用登录，仅本机可用）"
        role = ROLES[self.user.role].label if self.user.role in ROLES else self.user.role
        return f"{self.user.shown}（{role}，{self.user.office}）"


def is_loopback(address: str | None) -> bool:
    """127.0.0.1, ::1 or localhost; an empty address means every interface (not loopback)."""
    if not address:
        return False
    if address.strip().lower() == "localhost":
        return True
    try:
        return ipaddress.ip_address(address.strip().strip("[]")).is_loopback
    except ValueError:
        return False


def desk_refusal(server_address: str | None, client_ip: str | None) -> str | None:
    """Why the single-user desk may not serve this request, or None: it listens on loopback only, and a browser
    on another machine is refused (an unknown client, as in tests, is this machine)."""
    if not is_loopback(server_address):
        return (f"未配置登录时，答复函助手只能在本机使用（当前监听地址：{server_address or '全部网卡'}）。"
                "请改为 127.0.0.1，或先配置登录：用 `assistant users add` 建立本地账号，"
                "或在 .streamlit/secrets.toml 的 [auth] 中配置单位统一身份认证（见 README“团队部署”）。")
    if client_ip and not is_loopback(client_ip):
        return "未配置登录时，答复函助手只接受本机访问。请联系管理员配置登录后再从其他电脑访问。"
    return None


def oidc_configured() -> bool:
    try:
        return "auth" in st.secrets
    except Exception:  # no secrets file at all
        return False


def mode_of(users: UserStore, oidc: bool) -> str:
    """oidc, local, desk — or ``unconfigured``: accounts exist but none can sign in here (only OIDC subjects,
    and no [auth] section found, e.g. the server started in another folder). That is refused, never the desk:
    behind a reverse proxy on the same computer every browser would look like this one."""
    if oidc:
        return "oidc"
    rows = users.rows()
    if any(r["password"] for r in rows):
        return "local"
    return "unconfigured" if rows else "desk"


def expired(signed_at: float, now: float, minutes: int) -> bool:
    return now - signed_at > minutes * 60


@st.cache_resource(show_spinner=False)
def _engine(url_key: str, _settings: Settings) -> Any:
    return open_engine(_settings)


def stores(settings: Settings) -> tuple[UserStore, AuditLog]:
    engine = _engine(settings.db_url, settings)
    return UserStore(engine), AuditLog(engine)


def doc_access(settings: Settings) -> DocAccess:
    return DocAccess(_engine(settings.db_url, settings))


def hide_documents(settings: Settings, session: Session) -> frozenset[str]:
    """For this run: the documents this person may not read (other offices' 内部 documents) are left out of
    every search (retrieval.hybrid.HIDDEN_DOCS); returns them for the pages that list documents."""
    hidden = doc_access(settings).hidden_for(session.user)
    HIDDEN_DOCS.set(hidden)
    return hidden


def gate(settings: Settings) -> Session:
    """The session's user, or a sign-in page and st.stop(). Re-reads the user every run: a user disabled by an
    administrator is signed out at their next click."""
    users, audit = stores(settings)
    mode = mode_of(users, oidc_configured())
    if mode == "unconfigured":
        st.error("已建立统一身份认证账号，但没有找到登录配置（.streamlit/secrets.toml 的 [auth]）。"
                 "请在答复函助手的程序目录中启动，或联系管理员检查配置。", icon=":material/lock:")
        st.stop()
    if mode == "desk":
        ip = st.context.ip_address  # None without a browser (AppTest gives a stand-in object: not an address)
        refusal = desk_refusal(st.get_option("server.address"), ip if isinstance(ip, str) else None)
        if refusal:
            st.error(refusal, icon=":material/lock:")
            st.stop()
        return Session(None, "desk")
    held = st.session_state.get(SESSION_KEY)
    if held and mode == "local":
        name, at = held
        current = users.get(name)
        if current is None or current.disabled:
            _drop(audit, name, "账号已停用或已删除")
        elif expired(at, time.time(), settings.session_minutes):
            _drop(audit, name, "登录已过期")
        else:
            st.session_state[NAV_KEY] = True
            return Session(current, mode)
    if mode == "oidc":
        return _oidc(users, audit)
    _hide_pages()
    _sign_in_form(users, audit)
    st.stop()
    raise AssertionError  # st.stop() does not return


def _signed_out() -> None:
    """The one page of a signed-out session (nothing drawn: the sign-in page is drawn by the gate)."""


def _hide_pages() -> None:
    """After a sign-out (or a session dropped), take the page links away: the browser keeps the last run's
    navigation when a run draws none, so the sign-in page would still list 待办, 办件 … A rerun from one of those
    pages falls back to this (default) page, so no 'page not found' is shown."""
    if st.session_state.pop(NAV_KEY, False):
        st.navigation([st.Page(_signed_out, title="登录", default=True)], position="hidden")


def _drop(audit: AuditLog, name: str, why: str) -> None:
    st.session_state.pop(SESSION_KEY, None)
    audit.record(name, "sign_out", f"user:{name}", "ok", reason=why)
    st.warning(f"{why}，请重新登录。", icon=":material/lock_clock:")


def _sign_in_form(users: UserStore, audit: AuditLog) -> None:
    st.subheader("登录")
    st.caption("答复函助手已启用账号登录。账号由管理员建立；忘记密码请联系管理员。")
    with st.form("sign_in"):
        name = st.text_input("用户名")
        password = st.text_input("密码", type="password")
        go = st.form_submit_button("登录", type="primary")
    if not go:
        return
    try:
        user = users.authenticate(name, password)
    except AuthError as exc:
        audit.record(name.strip()[:64] or "（空）", "sign_in", f"user:{name.strip()[:64]}", "failed", reason=str(exc))
        st.error(str(exc), icon=":material/error:")
        return
    st.session_state[SESSION_KEY] = (user.name, time.time())
    audit.record(user, "sign_in", f"user:{user.name}", "ok", method="local")
    st.rerun()


def _oidc(users: UserStore, audit: AuditLog) -> Session:
    if not st.user.is_logged_in:
        _hide_pages()
        st.subheader("登录")
        st.caption("请通过单位统一身份认证登录。")
        if st.button("统一身份认证登录", type="primary"):
            st.login()
        st.stop()
    claims = dict(st.user.to_dict())
    subject = str(claims.get("sub", ""))
    try:
        user = users.from_oidc(subject, claims)
    except AuthError as exc:
        _hide_pages()
        if not st.session_state.get("oidc_refused"):
            audit.record(f"oidc:{subject[:48]}", "sign_in", "oidc", "denied", reason=str(exc))
            st.session_state["oidc_refused"] = True
        st.error(f"{exc}。请把你的身份标识 {subject} 发给管理员。", icon=":material/lock:")
        if st.button("退出登录"):
            st.logout()
        st.stop()
    if st.session_state.get(SESSION_KEY, (None,))[0] != user.name:
        st.session_state[SESSION_KEY] = (user.name, time.time())
        audit.record(user, "sign_in", f"user:{user.name}", "ok", method="oidc")
    st.session_state[NAV_KEY] = True
    return Session(user, "oidc")


def sign_out(settings: Settings, session: Session) -> None:
    """The sidebar's sign-out: recorded, the session forgotten (and the OIDC cookie dropped)."""
    _, audit = stores(settings)
    if session.user is not None:
        audit.record(session.user, "sign_out", f"user:{session.user.name}", "ok")
    st.session_state.pop(SESSION_KEY, None)
    if session.mode == "oidc":
        # st.logout() only queues the browser's redirect to /auth/logout (which drops the identity cookie and
        # ends the provider's session); a rerun here would clear that queued message before it is sent, leaving
        # the cookie in place, so the run stops instead and the redirect goes out
        st.logout()
        st.stop()
    st.rerun()

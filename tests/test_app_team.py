"""The app for a bureau's team (AppTest, local accounts): the sign-in page hides everything; three people of one
office take a case through draft → return with comment → revise → approve → sign → final letter on the 办件 page,
each seeing only the moves their role allows; another office sees nothing of it; 管理员 sees users and the audit
log, no case; every step is in the audit log."""

from __future__ import annotations

import re
from pathlib import Path
from typing import Any

import pytest

from assistant.access import AuditLog, UserStore, open_engine
from assistant.casework.store import STATUS_FINAL, STATUS_RETURNED, STATUS_REVIEW, STATUS_SIGNED, CaseStore
from core.settings import Settings
from tests.test_app_cases import OFFICE, PROPOSAL, app_env  # noqa: F401  (app_env: the fixture)

REPO = Path(__file__).resolve().parent.parent
PW = "长安镇的春天来了2026"
PEOPLE = {"wang": ("承办人", OFFICE, "王承办"), "li": ("审核人", OFFICE, "李审核"), "zhang": ("签发人", OFFICE, "张签发"),
          "chen": ("承办人", "东莞市交通运输局", "陈承办"), "root": ("管理员", OFFICE, "系统管理员")}


@pytest.fixture
def team(app_env: Path) -> Path:  # noqa: F811
    users = UserStore(open_engine(Settings()))  # type: ignore[call-arg]
    for name, (role, office, display) in PEOPLE.items():
        users.add(name, role, office, password=PW, display=display)
    return app_env


def _run(at: Any) -> Any:
    at.run()
    assert not at.exception, at.exception
    return at


def _sign_in(name: str, password: str = PW) -> Any:
    from streamlit.testing.v1 import AppTest

    at = AppTest.from_file(str(REPO / "streamlit_app.py"), default_timeout=120).run()
    assert not at.exception, at.exception
    assert [s.value for s in at.subheader] == ["登录"]
    inputs = {t.label: t for t in at.text_input}
    inputs["用户名"].set_value(name)
    inputs["密码"].set_value(password)
    at.button(key="FormSubmitter:sign_in-登录").click()
    return _run(at)


def _texts(at: Any) -> str:
    from tests.test_app import _ui_texts

    return "\n".join(_ui_texts(at))


def _cases(at: Any) -> Any:
    at.switch_page("app/pages/cases.py")
    return _run(at)


def _move(at: Any, status: str, label: str, comment: str = "") -> Any:
    form = f"case_review_{status}_1"
    if comment:
        next(t for t in at.text_area if str(t.label).startswith("意见")).set_value(comment)
    at.button(key=f"FormSubmitter:{form}-{label}").click()
    return _run(at)


def _store() -> CaseStore:
    return CaseStore.of(Settings())  # type: ignore[call-arg]


def test_sign_in_page_shows_nothing_else_and_wrong_password_is_refused(team: Path) -> None:
    at = _sign_in("wang", "不是这个密码也不对")
    assert any("用户名或密码错误" in e.value for e in at.error)
    texts = _texts(at)
    assert "办件" not in texts and "专精特新" not in texts and "问答" not in texts
    at2 = _sign_in("nobody", PW)
    assert any("用户名或密码错误" in e.value for e in at2.error)  # the same words: no hint who exists
    audit = AuditLog(open_engine(Settings()))  # type: ignore[call-arg]
    failed = [(e.user, e.outcome) for e in audit.entries(action="sign_in")]
    assert ("wang", "failed") in failed and ("nobody", "failed") in failed
    assert "不是这个密码" not in str([e.detail for e in audit.entries()])  # no password in the log


def test_three_people_take_a_case_to_the_final_letter(team: Path) -> None:
    wang = _sign_in("wang")
    assert any("当前用户：王承办（承办人，东莞市金融工作局）" in str(c.value) for c in wang.sidebar.caption)
    assert [s.value for s in wang.main.subheader] == ["待办"]
    wang = _cases(wang)
    box = next(u for u in wang.get("file_uploader") if str(u.key).startswith("case_proposal_file"))
    box.set_value(("来文.txt", PROPOSAL.read_bytes(), "text/plain"))
    _run(wang)
    wang.button(key="case_open").click()
    _run(wang)
    assert _store().get(1).office == OFFICE  # the user's own office
    wang.button(key="case_draft_1").click()
    _run(wang)
    assert _store().get(1).versions == 1
    # a 承办人 may submit, not approve or sign
    labels = [str(b.proto.label) for b in wang.button if str(b.key).startswith("FormSubmitter:case_review_")]
    assert labels == ["提交审核"]
    _move(wang, "起草中", "提交审核")
    assert _store().get(1).status == STATUS_REVIEW

    li = _cases(_sign_in("li"))
    labels = [str(b.proto.label) for b in li.button if str(b.key).startswith("FormSubmitter:case_review_")]
    assert sorted(labels) == sorted(["退回修改", "审核通过，送签发"])  # not 签发
    _move(li, "待审核", "退回修改")  # without a comment: refused, nothing changed
    assert any("意见" in e.value or "理由" in e.value for e in li.error) and _store().get(1).status == STATUS_REVIEW
    _move(li, "待审核", "退回修改", "第二部分缺少贴息数据，请补充。")
    assert _store().get(1).status == STATUS_RETURNED

    wang = _cases(_sign_in("wang"))
    assert any("第二部分缺少贴息数据" in w.value for w in wang.warning)  # the comment beside the text
    text = wang.text_area(key="case_text_1").value
    wang.text_area(key="case_text_1").set_value(text.replace("此复", "特此答复。"))
    wang.button(key="case_save_1").click()
    _run(wang)
    assert _store().get(1).versions == 2
    _move(wang, "退回修改", "提交审核")
    li = _cases(_sign_in("li"))
    _move(li, "待审核", "审核通过，送签发", "同意")
    zhang = _cases(_sign_in("zhang"))
    assert "case_text_1" not in [t.key for t in zhang.text_area]  # frozen while 待签发: read only
    assert any("文本已冻结" in i.value for i in zhang.info)
    _move(zhang, "待签发", "签发", "同意签发")
    assert _store().get(1).status == STATUS_SIGNED

    wang = _cases(_sign_in("wang"))
    letter = _store().versions(1)[-1].text
    final = re.sub(r"【[^】]*】", "（略）", re.sub(r"\[\d+\]", "", letter))
    wang.file_uploader(key="case_final_1").set_value(("签发稿.txt", final.encode("utf-8"), "text/plain"))
    _run(wang)
    wang.button(key="case_finalize_1").click()
    _run(wang)
    assert _store().get(1).status == STATUS_FINAL, [e.value for e in wang.error]

    # every step in the audit log, by the person who took it
    audit = AuditLog(open_engine(Settings()))  # type: ignore[call-arg]
    steps = [(e.user, e.detail.get("to")) for e in audit.entries(action="transition") if e.outcome == "ok"]
    assert steps == [("wang", "待审核"), ("li", "退回修改"), ("wang", "待审核"), ("li", "待签发"), ("zhang", "已签发")]
    assert {("wang", "create_case"), ("wang", "edit_case"), ("wang", "mark_replied"), ("li", "view_case")} <= {
        (e.user, e.action) for e in audit.entries() if e.outcome == "ok"}
    assert ("li", "transition", "failed") in {(e.user, e.action, e.outcome) for e in audit.entries()}

    # another office sees nothing of it; 管理员 sees users and the log, no case
    chen = _cases(_sign_in("chen"))
    assert any("目前没有你可以查看的办件" in i.value or "还没有办件" in i.value for i in chen.info)
    assert "破解专精特新" not in _texts(chen)
    root = _sign_in("root")
    assert [s.value for s in root.main.subheader] == ["用户与审计"]
    shown = root.dataframe[0].value
    assert set(shown["用户名"]) == set(PEOPLE)
    try:  # the 办件 page is not among 管理员's pages: opening it by address shows no case
        root.switch_page("app/pages/cases.py").run()
    except Exception:  # noqa: BLE001 - AppTest refuses a page outside the navigation: as good
        return
    assert "办件" not in [s.value for s in root.main.subheader] and "破解专精特新" not in _texts(root)


def test_an_expired_or_disabled_session_is_signed_out(team: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    import time

    at = _sign_in("wang")
    assert [s.value for s in at.main.subheader] == ["待办"]
    later = time.time() + 9 * 3600  # past ASSISTANT_SESSION_MINUTES (480)
    with monkeypatch.context() as m:
        m.setattr("app.auth.time.time", lambda: later)
        _run(at)
    assert any("登录已过期" in w.value for w in at.warning) and [s.value for s in at.main.subheader] == ["登录"]
    at = _sign_in("li")
    UserStore(open_engine(Settings())).disable("li")  # type: ignore[call-arg]  # by an administrator, meanwhile
    _run(at)
    assert any("账号已停用" in w.value for w in at.warning) and "审核" not in _texts(at).replace("李审核", "")
    reasons = [e.detail.get("reason") for e in AuditLog(open_engine(Settings())).entries(action="sign_out")]  # type: ignore[call-arg]
    assert "登录已过期" in reasons and "账号已停用或已删除" in reasons


def test_oidc_sign_out_lets_the_logout_redirect_go_out(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    """st.logout() only queues the browser's redirect to /auth/logout (which drops the identity cookie); a
    st.rerun() after it clears that queue before it is sent, so the cookie stayed and the provider's session too
    (the browser test saw it now and then). Signing out of an OIDC session must stop the run, never rerun it."""
    import streamlit as st

    from app import auth

    monkeypatch.setenv("ASSISTANT_DATA_DIR", str(tmp_path / "data"))
    settings = Settings()  # type: ignore[call-arg]
    users = UserStore(open_engine(settings))
    users.add("alice", "承办人", OFFICE, password=PW, display="艾丽斯")
    calls: list[str] = []

    class Ended(Exception):
        pass

    def end(name: str) -> Any:
        def call(*_: Any, **__: Any) -> None:
            calls.append(name)
            raise Ended(name)
        return call

    monkeypatch.setattr(st, "logout", lambda: calls.append("logout"))
    monkeypatch.setattr(st, "stop", end("stop"))
    monkeypatch.setattr(st, "rerun", end("rerun"))
    user = users.get("alice")
    assert user is not None
    for mode, expected in (("oidc", ["logout", "stop"]), ("local", ["rerun"])):
        calls.clear()
        with pytest.raises(Ended):
            auth.sign_out(settings, auth.Session(user, mode))
        assert calls == expected, (mode, calls)
    outs = [e for e in AuditLog(open_engine(settings)).entries(action="sign_out") if e.user == "alice"]
    assert len(outs) == 2

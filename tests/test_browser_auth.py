"""Sign-in in a real browser (`streamlit run` + headless Debian chromium): local accounts (the sign-in form, a
wrong password, a disabled account, what a 承办人 and a 管理员 see, signing out) and OIDC through a real provider
(oidc-provider-mock on a loopback port): the subject must be one an administrator added, and the role comes from
our users table, never from the token. Screenshots go to artifacts/screenshots/auth-*.png."""

from __future__ import annotations

import io
import json
import os
import secrets
import subprocess
import sys
import urllib.request
from contextlib import redirect_stderr, redirect_stdout
from pathlib import Path
from typing import Any

import pytest

from benchmarks.bench_app import free_port
from tests.test_app import corpus_store  # noqa: F401  (the shared session fixture)
from tests.test_browser import (
    REPO,
    SHOTS,
    _go,
    _idle,
    _launch,
    _server,
    _stop,
    _visible_text,
    _wait_healthy,
    pytestmark,  # noqa: F401  (integration; skipped without playwright or chromium)
)

GONG = "东莞市工业和信息化局"
CAI = "东莞市财政局"
PW = "长安镇的春天来了2026"
OWN_PROPOSAL = REPO / "eval" / "proposals" / "gz-rd20250123-lianming.txt"
OTHER_PROPOSAL = REPO / "eval" / "proposals" / "fs-rd-2024-0117-sentences.txt"  # no co-handling office
CO_PROPOSAL = REPO / "tests" / "data" / "intake" / "proposal-dh0271.txt"  # 会办：东莞市工业和信息化局、东莞市财政局
FIGURES = ("9361",)  # a figure from the corpus the chat test finds; never on a page before sign-in


def _cli(data: Path, *argv: str, stdin: str = "") -> tuple[int, str, str]:
    """`assistant --data-dir DATA …` in this process, standard input given."""
    from assistant.cli import main

    out, err, old = io.StringIO(), io.StringIO(), sys.stdin
    sys.stdin = io.StringIO(stdin)
    try:
        with redirect_stdout(out), redirect_stderr(err):
            code = main(["--data-dir", str(data), *argv])
    finally:
        sys.stdin = old
    return code, out.getvalue(), err.getvalue()


def _add(data: Path, name: str, role: str, office: str, *extra: str) -> None:
    code, out, err = _cli(data, "users", "add", name, "--role", role, "--office", office, *extra, stdin=PW + "\n")
    assert code == 0, out + err


def _titles(data: Path) -> list[str]:
    """The stored documents' titles (`assistant docs --json`)."""
    env = {**os.environ, "HTTPS_PROXY": "http://127.0.0.1:9", "HTTP_PROXY": "http://127.0.0.1:9", "HF_HUB_OFFLINE": "1"}
    proc = subprocess.run([sys.executable, "-m", "assistant", "--data-dir", str(data), "docs", "--json"], cwd=REPO,
                          env=env, text=True, capture_output=True, timeout=600)
    assert proc.returncode == 0, proc.stderr
    titles = [str(m.get("title") or "") for m in json.loads(proc.stdout).values()]
    return [t for t in titles if len(t) >= 6]


def _shot(page: Any, name: str) -> str:
    _idle(page)
    SHOTS.mkdir(parents=True, exist_ok=True)
    page.screenshot(path=str(SHOTS / f"auth-{name}.png"), full_page=True)
    assert page.get_by_test_id("stException").count() == 0, name
    # what is drawn (the visible text leaves out widget labels: add the page's inner text)
    return _visible_text(page) + "\n" + str(page.inner_text("body"))


def _sign_in_page(page: Any) -> None:
    from playwright.sync_api import expect

    expect(page.get_by_test_id("stMain").get_by_role("heading", name="登录", exact=True)).to_be_visible(timeout=120_000)
    _idle(page)


def _sign_in(page: Any, name: str, password: str) -> None:
    main = page.get_by_test_id("stMain")
    main.get_by_label("用户名", exact=True).fill(name)
    main.get_by_label("密码", exact=True).fill(password)
    main.get_by_role("button", name="登录", exact=True).click()
    _idle(page)


def _nav(page: Any) -> list[str]:
    """The page links in the sidebar's navigation."""
    nav = page.get_by_test_id("stSidebarNav")
    texts = nav.get_by_role("link").all_inner_texts() if nav.count() else []
    return [t.strip().splitlines()[-1].strip() for t in texts if t.strip()]  # without the icon's ligature


def _options(page: Any, label: str) -> list[str]:
    """The options of a selectbox on the main page (opened, read, closed)."""
    page.get_by_test_id("stMain").get_by_label(label, exact=True).first.click()
    opts = page.get_by_role("option")
    opts.first.wait_for(timeout=30_000)
    texts = [t.strip() for t in opts.all_inner_texts()]
    page.keyboard.press("Escape")
    _idle(page)
    return texts


def _audit(data: Path) -> list[dict[str, Any]]:
    code, out, err = _cli(data, "audit", "--json")
    assert code == 0, err
    return list(json.loads(out))


def test_local_accounts(corpus_store: Path, tmp_path: Path) -> None:  # noqa: F811
    import shutil

    from playwright.sync_api import expect, sync_playwright

    from assistant.casework.intake import parse_proposal_text
    from assistant.casework.store import CaseStore
    from core.settings import Settings

    data = tmp_path / "data"
    shutil.copytree(corpus_store, data)
    titles = _titles(data)
    assert titles
    _add(data, "wang", "承办人", GONG, "--display", "王承办")
    _add(data, "li", "审核人", GONG, "--display", "李审核")
    _add(data, "zhao", "承办人", CAI, "--display", "赵承办")
    _add(data, "root", "管理员", GONG, "--display", "系统管理员")
    code, _, err = _cli(data, "users", "disable", "zhao")
    assert code == 0, err
    store = CaseStore.of(Settings(data_dir=data))  # type: ignore[call-arg]
    mine = parse_proposal_text(OWN_PROPOSAL.read_text(encoding="utf-8"), OWN_PROPOSAL.name)
    theirs = parse_proposal_text(OTHER_PROPOSAL.read_text(encoding="utf-8"), OTHER_PROPOSAL.name)
    co = parse_proposal_text(CO_PROPOSAL.read_text(encoding="utf-8"), CO_PROPOSAL.name)
    assert len({mine.title, theirs.title, co.title}) == 3 and GONG in co.co_offices and not theirs.co_offices
    own_id = store.create(mine, GONG)
    other_id = store.create(theirs, CAI)
    # another office's case that names his office as co-handling (opinion owed): his to view, by the office rule
    co_id = store.create(co, CAI)
    problems: list[str] = []  # app bugs found on the way, asserted at the end so the rest still runs

    server, url, log = _server(data, tmp_path)
    try:
        _wait_healthy(url, server)
        with sync_playwright() as p:
            browser = _launch(p, tmp_path)
            try:
                page = browser.new_page()
                page.set_viewport_size({"width": 1400, "height": 1600})
                page.goto(url)
                _sign_in_page(page)
                text = _shot(page, "1-sign-in")
                assert "登录" in text and "用户名" in text and "密码" in text
                leaked = [t for t in (*titles, mine.title, theirs.title, co.title, *FIGURES) if t in text]
                assert not leaked, leaked
                assert _nav(page) == []

                # a wrong password: the generic refusal, logged as failed; still no content
                _sign_in(page, "wang", "不是这个密码1234")
                expect(page.get_by_text("用户名或密码错误", exact=False).first).to_be_visible(timeout=60_000)
                text = _shot(page, "2-wrong-password")
                assert not [t for t in (*titles, *FIGURES) if t in text] and _nav(page) == []
                failed = [e for e in _audit(data) if e["action"] == "sign_in" and e["outcome"] == "failed"]
                assert any(e["target"] == "user:wang" for e in failed), failed

                # a disabled account with its right password: refused
                _sign_in(page, "zhao", PW)
                expect(page.get_by_text("账号已停用", exact=False).first).to_be_visible(timeout=60_000)
                _shot(page, "3-disabled")
                assert _nav(page) == []

                # the 承办人: 待办 first, named in the sidebar, no 用户与审计
                _sign_in(page, "wang", PW)
                main = page.get_by_test_id("stMain")
                expect(main.get_by_role("heading", name="待办", exact=True)).to_be_visible(timeout=120_000)
                text = _shot(page, "4-drafter-todo")
                assert f"当前用户：王承办（承办人，{GONG}）" in text, text
                links = _nav(page)
                assert links and links[0] == "待办" and "用户与审计" not in links and "办件" in links, links
                ok = [e for e in _audit(data) if e["action"] == "sign_in" and e["outcome"] == "ok"]
                assert any(e["user"] == "wang" for e in ok), ok
                todo = _options(page, "打开办件") if main.get_by_label("打开办件", exact=True).count() else []
                if any(theirs.title in t for t in todo):
                    problems.append(f"待办 lists the {CAI} case #{other_id} to a {GONG} 承办人: {todo}")

                # 办件: his office's case listed, the other office's not
                _go(page, "办件")
                listed = _options(page, "打开办件")
                _shot(page, "5-drafter-cases")
                assert any(f"#{own_id}" in t and mine.title in t for t in listed), listed
                assert any(f"#{co_id}" in t and co.title in t for t in listed), listed
                if any(theirs.title in t or t.startswith(f"#{other_id} ") for t in listed):
                    problems.append(f"办件 lists the {CAI} case #{other_id} to a {GONG} 承办人: {listed}")

                # signing out: back to the sign-in page, logged
                page.get_by_test_id("stSidebar").get_by_role("button", name="退出登录").click()
                _sign_in_page(page)
                text = _shot(page, "6-signed-out")
                assert _nav(page) == [] and mine.title not in text
                outs = [e for e in _audit(data) if e["action"] == "sign_out"]
                assert any(e["user"] == "wang" for e in outs), outs

                # the 管理员: 用户与审计 first, the users listed, no case pages
                _sign_in(page, "root", PW)
                expect(main.get_by_role("heading", name="用户与审计", exact=True)).to_be_visible(timeout=120_000)
                text = _shot(page, "7-admin")
                assert "当前用户：系统管理员（管理员" in text, text
                links = _nav(page)
                assert links and links[0] == "用户与审计" and "办件" not in links and "待办" not in links, links
                names = _options(page, "停用或恢复用户")
                assert {"wang", "li", "zhao"} <= set(names), names
            finally:
                browser.close()
    finally:
        _stop(server, log)
    shutil.rmtree(tmp_path / "profile", ignore_errors=True)
    assert not problems, problems


def _write_secrets(path: Path, app_url: str, provider: str) -> None:
    path.write_text(
        "[auth]\n"
        f'redirect_uri = "{app_url}/oauth2callback"\n'
        f'cookie_secret = "{secrets.token_hex(32)}"\n'
        'client_id = "reply-assistant"\n'  # the mock accepts any client id and secret (no registration)
        'client_secret = "any-secret"\n'
        f'server_metadata_url = "{provider}/.well-known/openid-configuration"\n', encoding="utf-8")


def _put_claims(provider: str, sub: str, claims: dict[str, str]) -> None:
    """The mock's user API: the claims its tokens will carry for SUB (a forged role and office here)."""
    req = urllib.request.Request(f"{provider}/users/{sub}", data=json.dumps(claims).encode(), method="PUT",
                                 headers={"Content-Type": "application/json"})
    with urllib.request.build_opener(urllib.request.ProxyHandler({})).open(req, timeout=10) as resp:
        assert resp.status in (200, 204)


def _click_to(page: Any, button: Any, url: str) -> None:
    """Click a button that sends the browser to `url` (st.login, st.logout). On a busy machine a click that lands
    while the page is still being redrawn can be dropped: the page then stays where it was, and is clicked again."""
    for attempt in range(3):
        _idle(page)
        button.click()
        try:
            page.wait_for_url(url, timeout=90_000)
            return
        except Exception:  # noqa: BLE001 - Playwright's TimeoutError: still on the app's page
            if attempt == 2:
                raise


def _oidc_sign_in(page: Any, provider: str, sub: str) -> None:
    """The app's button, the mock's authorization form with SUB, back in the app."""
    _click_to(page, page.get_by_test_id("stMain").get_by_role("button", name="统一身份认证登录", exact=True),
              f"{provider}/**")
    page.locator('input[name="sub"]').fill(sub)
    page.get_by_role("button", name="Authorize", exact=True).click()
    page.wait_for_url(lambda u: not u.startswith(provider) and "oauth2callback" not in u, timeout=240_000)
    _idle(page)


def test_oidc_sign_in(corpus_store: Path, tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:  # noqa: F811
    import shutil

    from playwright.sync_api import expect, sync_playwright

    oidc_provider_mock = pytest.importorskip("oidc_provider_mock")
    pytest.importorskip("authlib")
    monkeypatch.setenv("AUTHLIB_INSECURE_TRANSPORT", "1")  # the mock runs in this process, on plain http
    monkeypatch.setenv("NO_PROXY", "127.0.0.1,localhost")

    data = tmp_path / "data"
    shutil.copytree(corpus_store, data)
    _add(data, "alice", "承办人", GONG, "--display", "艾丽斯", "--oidc-subject", "alice-sub")
    _add(data, "root", "管理员", GONG)  # a local account as well: OIDC still decides

    with oidc_provider_mock.run_server_in_thread() as idp:
        provider = f"http://localhost:{idp.server_port}"
        # the token says 管理员 of another office: the app must take role and office from its own table
        _put_claims(provider, "alice-sub", {"role": "管理员", "roles": "admin", "office": CAI, "name": "管理员"})
        port = free_port()
        app_url = f"http://127.0.0.1:{port}"
        conf = tmp_path / "secrets.toml"
        _write_secrets(conf, app_url, provider)
        server, url, log = _server(data, tmp_path, port, ("--secrets.files", str(conf)))
        try:
            _wait_healthy(url, server)
            with sync_playwright() as p:
                browser = _launch(p, tmp_path)
                try:
                    page = browser.new_page()
                    page.set_viewport_size({"width": 1400, "height": 1400})
                    page.goto(url)
                    _sign_in_page(page)
                    text = _shot(page, "oidc-1-sign-in")
                    assert "统一身份认证登录" in text and "密码" not in text and _nav(page) == []
                    _oidc_sign_in(page, provider, "alice-sub")
                    main = page.get_by_test_id("stMain")
                    expect(main.get_by_role("heading", name="待办", exact=True)).to_be_visible(timeout=120_000)
                    text = _shot(page, "oidc-2-signed-in")
                    assert f"当前用户：艾丽斯（承办人，{GONG}）" in text, text
                    links = _nav(page)
                    assert links and links[0] == "待办" and "用户与审计" not in links, links
                    ok = [e for e in _audit(data) if e["action"] == "sign_in" and e["outcome"] == "ok"]
                    assert any(e["user"] == "alice" and e["detail"].get("method") == "oidc" for e in ok), ok

                    # signing out: the app's cookie dropped, the provider's end-session page, back to 登录
                    _click_to(page, page.get_by_test_id("stSidebar").get_by_role("button", name="退出登录"),
                              f"{provider}/**")  # its end_session_endpoint
                    page.get_by_role("button", name="End session", exact=True).click()
                    page.wait_for_url(lambda u: u.startswith(url) and "oauth2callback" not in u, timeout=60_000)
                    _sign_in_page(page)
                    text = _shot(page, "oidc-3-signed-out")
                    assert "统一身份认证登录" in text and "艾丽斯" not in text and _nav(page) == []
                    outs = [e for e in _audit(data) if e["action"] == "sign_out"]
                    assert any(e["user"] == "alice" for e in outs), outs
                finally:
                    browser.close()
                shutil.rmtree(tmp_path / "profile", ignore_errors=True)

                # an identity nobody added: refused, named, no pages
                browser = _launch(p, tmp_path)
                try:
                    page = browser.new_page()
                    page.goto(url)
                    _sign_in_page(page)
                    _oidc_sign_in(page, provider, "mallory")
                    expect(page.get_by_text("mallory", exact=False).first).to_be_visible(timeout=120_000)
                    text = _shot(page, "oidc-4-unknown")
                    assert "尚未由管理员添加" in text and "身份标识 mallory" in text, text
                    assert _nav(page) == [] and "待办" not in text
                    denied = [e for e in _audit(data) if e["action"] == "sign_in" and e["outcome"] == "denied"]
                    assert any(e["user"] == "oidc:mallory" for e in denied), denied
                finally:
                    browser.close()
        finally:
            _stop(server, log)
    shutil.rmtree(tmp_path / "profile", ignore_errors=True)


def test_oidc_accounts_without_auth_config_are_refused(tmp_path: Path) -> None:
    """Only OIDC accounts, and the server started without their [auth] section (another folder, a lost file):
    refused — not the single-user desk, which a reverse proxy on the same computer would open to everyone."""
    from playwright.sync_api import expect, sync_playwright

    data = tmp_path / "data"
    _add(data, "alice", "承办人", GONG, "--oidc-subject", "alice-sub")
    server, url, log = _server(data, tmp_path)
    try:
        _wait_healthy(url, server)
        with sync_playwright() as p:
            browser = _launch(p, tmp_path)
            try:
                page = browser.new_page()
                page.goto(url)
                expect(page.get_by_text("没有找到登录配置", exact=False).first).to_be_visible(timeout=120_000)
                text = _shot(page, "no-auth-config")
                assert _nav(page) == [] and "单机模式" not in text
            finally:
                browser.close()
    finally:
        _stop(server, log)

"""The app's model settings (AppTest, fake embedder): the configured endpoint is shown read-only; an endpoint
the admin allows can be picked, with the user's own key, and never receives the server's key."""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest

from tests.conftest import REPO_ROOT, FakeEmbedder
from tests.fake_openai import FakeOpenAI

APP = str(REPO_ROOT / "streamlit_app.py")
SERVER_KEY = "sk-server-key-0123456789"
USER_KEY = "sk-user-own-key-9876543210"
Q = "揭阳到2023年6月底认定了多少名高层次人才？"
REPLY = "全市共认定高层次人才9361人。"  # uncited: the check finds its passage (a wrong [n] would be replaced)


@pytest.fixture
def servers(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Iterator[tuple[FakeOpenAI, FakeOpenAI]]:
    """The corpus in a fresh data dir; ours configured with the server's key, theirs a second endpoint."""
    from assistant.cli import commands as cli

    for name in ("OPENAI_API_KEY", "OPENAI_BASE_URL", "ASSISTANT_LLM_USER_ENDPOINTS"):
        monkeypatch.delenv(name, raising=False)
    monkeypatch.setenv("ASSISTANT_DATA_DIR", str(tmp_path / "data"))
    monkeypatch.setattr("assistant.retrieval.services.make_embedder", lambda settings: FakeEmbedder())
    assert cli.main(["ingest", "--quiet"]) == 0
    monkeypatch.chdir(REPO_ROOT)
    with FakeOpenAI() as ours, FakeOpenAI() as theirs:
        monkeypatch.setenv("ASSISTANT_LLM_BASE_URL", ours.base_url)
        monkeypatch.setenv("ASSISTANT_LLM_API_KEY", SERVER_KEY)
        monkeypatch.setenv("ASSISTANT_LLM_TIMEOUT_S", "30")
        monkeypatch.setenv("ASSISTANT_LLM_MAX_RETRIES", "0")
        yield ours, theirs


def _app() -> Any:
    from streamlit.testing.v1 import AppTest

    at = AppTest.from_file(APP, default_timeout=120).run()
    assert not at.exception, at.exception
    at.sidebar.radio(key="gen_choice").set_value("大模型").run()
    assert not at.exception, at.exception
    return at


def _ask(at: Any) -> Any:
    """A new conversation with one question; the answer."""
    next(b for b in at.button if b.label == "新对话").click().run()
    at.chat_input[0].set_value(Q).run()
    assert not at.exception, at.exception
    return at.session_state.messages[-1]["answer"]


def _keys(srv: FakeOpenAI) -> list[str]:
    return [r["authorization"] for r in srv.requests]


def test_the_configured_endpoint_is_read_only_by_default(servers: tuple[FakeOpenAI, FakeOpenAI]) -> None:
    ours, theirs = servers
    ours.script(REPLY)
    at = _app()
    shown = {t.label: t for t in at.sidebar.text_input}
    assert shown["接口地址"].disabled and shown["接口地址"].value == ours.base_url
    assert shown["模型名称"].disabled and not [s for s in at.sidebar.selectbox if s.label == "接口地址"]
    at.session_state["llm_endpoint"] = theirs.base_url  # a forged choice is ignored
    ans = _ask(at)
    assert ans.generator.startswith("llm") and "9361" in ans.text
    assert _keys(ours) == [f"Bearer {SERVER_KEY}"] and theirs.requests == []


def test_a_picked_endpoint_never_gets_the_server_key(servers: tuple[FakeOpenAI, FakeOpenAI],
                                                     monkeypatch: pytest.MonkeyPatch) -> None:
    ours, theirs = servers
    monkeypatch.setenv("ASSISTANT_LLM_USER_ENDPOINTS", theirs.base_url)
    ours.script(REPLY)
    theirs.script(REPLY)
    at = _app()
    box = at.sidebar.selectbox(key="llm_endpoint")
    assert box.options == [f"单位配置：{ours.base_url}", theirs.base_url]
    assert _ask(at).generator.startswith("llm")  # the server's endpoint, with the server's key
    box.set_value(theirs.base_url).run()
    assert any("您自己的 API 密钥" in w.value for w in at.sidebar.warning)
    ans = _ask(at)  # no key of the user's: refused, answered offline, nothing sent there
    assert ans.generator == "offline" and "您自己的 API 密钥" in ans.notice
    assert theirs.requests == []
    at.sidebar.text_input(key="llm_api_key").set_value(USER_KEY).run()
    ans = _ask(at)
    assert ans.generator.startswith("llm") and "9361" in ans.text
    assert _keys(theirs) == [f"Bearer {USER_KEY}"] and _keys(ours) == [f"Bearer {SERVER_KEY}"]
    shown = [str(getattr(e, "value", "")) for e in (*at.main, *at.sidebar)]
    assert not any(SERVER_KEY in s or USER_KEY in s for s in shown if s != USER_KEY)

"""The server's LLM key only ever goes to the server's endpoint: two loopback OpenAI-compatible servers, one
configured by the admin, one a user may pick (ASSISTANT_LLM_USER_ENDPOINTS); each records the
Authorization header of every request it got."""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path

import pytest

from assistant.answers.llm import ChatModel, EndpointError, chat_config, llm_settings
from core.settings import Settings
from tests.fake_openai import FakeOpenAI

SERVER_KEY = "sk-server-key-0123456789"
USER_KEY = "sk-user-own-key-9876543210"


@pytest.fixture
def servers(monkeypatch: pytest.MonkeyPatch) -> Iterator[tuple[FakeOpenAI, FakeOpenAI]]:
    monkeypatch.delenv("OPENAI_API_KEY", raising=False)
    monkeypatch.delenv("OPENAI_BASE_URL", raising=False)
    with FakeOpenAI() as ours, FakeOpenAI() as theirs:
        ours.script(*["好"] * 5)
        theirs.script(*["好"] * 5)
        yield ours, theirs


def _settings(tmp_path: Path, ours: FakeOpenAI, allowed: list[str], **kw: object) -> Settings:
    base = {"llm_base_url": ours.base_url, "llm_api_key": SERVER_KEY, **kw}
    return Settings(data_dir=tmp_path, llm_model="m", llm_timeout_s=10, llm_max_retries=0,  # type: ignore[arg-type]
                    llm_user_endpoints=allowed, **base)


def _call(settings: Settings) -> str:
    return ChatModel(chat_config(settings)).complete("", "你好")


def _keys(srv: FakeOpenAI) -> list[str]:
    return [r["authorization"] for r in srv.requests]


def test_the_server_endpoint_gets_the_server_key(tmp_path: Path, servers: tuple[FakeOpenAI, FakeOpenAI]) -> None:
    ours, theirs = servers
    settings = _settings(tmp_path, ours, [theirs.base_url])
    for base in ("", ours.base_url, ours.base_url + "/"):  # left empty, or the configured one picked
        assert _call(llm_settings(settings, base, "", "")) == "好"
    assert _keys(ours) == [f"Bearer {SERVER_KEY}"] * 3 and theirs.requests == []


def test_a_picked_endpoint_gets_only_the_users_key(tmp_path: Path, servers: tuple[FakeOpenAI, FakeOpenAI]) -> None:
    ours, theirs = servers
    settings = _settings(tmp_path, ours, [theirs.base_url])
    picked = llm_settings(settings, theirs.base_url, "their-model", USER_KEY)
    assert _call(picked) == "好"
    assert _keys(theirs) == [f"Bearer {USER_KEY}"] and theirs.requests[0]["json"]["model"] == "their-model"
    assert ours.requests == []
    # without a key of the user's own the call is refused: nothing is sent there, the server's key least of all
    with pytest.raises(EndpointError) as err:
        _call(llm_settings(settings, theirs.base_url, "", ""))
    assert "您自己的 API 密钥" in err.value.cause
    assert len(theirs.requests) == 1 and ours.requests == []


def test_an_endpoint_not_allowed_is_refused(tmp_path: Path, servers: tuple[FakeOpenAI, FakeOpenAI]) -> None:
    ours, theirs = servers
    for allowed in ([], ["http://127.0.0.1:9/v1"]):  # the default: only the configured endpoint
        settings = _settings(tmp_path, ours, allowed)
        with pytest.raises(EndpointError) as err:
            llm_settings(settings, theirs.base_url, "", USER_KEY)
        assert "未获管理员允许" in err.value.cause
    assert theirs.requests == [] and ours.requests == []


def test_a_copy_pointed_elsewhere_never_carries_the_server_key(tmp_path: Path,
                                                               servers: tuple[FakeOpenAI, FakeOpenAI]) -> None:
    """chat_config holds even for settings changed without llm_settings: a copy remembers what was configured."""
    ours, theirs = servers
    settings = _settings(tmp_path, ours, [theirs.base_url])
    for update in ({"llm_base_url": theirs.base_url}, {"llm_base_url": "http://127.0.0.1:9/v1"},
                   {"llm_base_url": None}):
        with pytest.raises(EndpointError):
            chat_config(settings.model_copy(update=update))
    assert theirs.requests == [] and ours.requests == []


def test_keys_and_endpoint_from_the_environment(tmp_path: Path, servers: tuple[FakeOpenAI, FakeOpenAI],
                                                monkeypatch: pytest.MonkeyPatch) -> None:
    """OPENAI_API_KEY and OPENAI_BASE_URL are the server's too: the key goes to that endpoint only."""
    ours, theirs = servers
    monkeypatch.setenv("OPENAI_API_KEY", SERVER_KEY)
    monkeypatch.setenv("OPENAI_BASE_URL", ours.base_url)
    settings = _settings(tmp_path, ours, [theirs.base_url], llm_base_url=None, llm_api_key=None)
    assert _call(llm_settings(settings, "", "", "")) == "好"
    with pytest.raises(EndpointError):
        _call(llm_settings(settings, theirs.base_url, "", ""))
    with pytest.raises(EndpointError):  # the server's key typed in is not the user's own
        _call(llm_settings(settings, theirs.base_url, "", SERVER_KEY))
    assert _call(llm_settings(settings, theirs.base_url, "", USER_KEY)) == "好"
    assert _keys(ours) == [f"Bearer {SERVER_KEY}"] and _keys(theirs) == [f"Bearer {USER_KEY}"]


def test_the_allow_list_setting(monkeypatch: pytest.MonkeyPatch) -> None:
    assert Settings().llm_user_endpoints == []  # type: ignore[call-arg]
    monkeypatch.setenv("ASSISTANT_LLM_USER_ENDPOINTS", "https://a.example/v1, https://b.example/v1/")
    assert Settings().llm_user_endpoints == ["https://a.example/v1", "https://b.example/v1/"]  # type: ignore[call-arg]
    monkeypatch.setenv("ASSISTANT_LLM_USER_ENDPOINTS", '["https://c.example/v1"]')
    assert Settings().llm_user_endpoints == ["https://c.example/v1"]  # type: ignore[call-arg]


def test_the_judge_never_takes_the_server_key_elsewhere(tmp_path: Path, servers: tuple[FakeOpenAI, FakeOpenAI],
                                                        monkeypatch: pytest.MonkeyPatch) -> None:
    """The evaluation's judge model at another address gets its own key (ASSISTANT_JUDGE_API_KEY) or none."""
    from assistant.evaluation.judge import Judge

    ours, theirs = servers
    monkeypatch.setenv("OPENAI_API_KEY", "sk-server-env-key-123456")
    settings = Settings(data_dir=tmp_path, llm_base_url=ours.base_url, judge_base_url=theirs.base_url,
                        judge_model="j", llm_max_retries=0)
    theirs.script("支持")
    Judge(settings).supports("广州培育小巨人企业248家。", ["全市累计已培育专精特新“小巨人”企业248家。"])
    assert all("sk-server-env-key" not in k for k in _keys(theirs))

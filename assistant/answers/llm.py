"""Any OpenAI-compatible chat endpoint (LangChain's ChatOpenAI), streamed; failures become a short cause
in Chinese, and no key ever reaches a message."""

from __future__ import annotations

import os
import re
from collections.abc import Iterator
from dataclasses import dataclass
from typing import Any

from pydantic import SecretStr

from core.settings import Settings


class GenerationError(Exception):
    """The model could not produce an answer; `cause` is a short Chinese explanation for the user."""

    def __init__(self, cause: str, detail: str = "") -> None:
        super().__init__(cause)
        self.cause = cause
        self.detail = detail


# -- LLM ------------------------------------------------------------------------------------------------
@dataclass
class ChatConfig:
    base_url: str | None
    api_key: str | None
    model: str
    temperature: float
    timeout_s: float
    max_retries: int


class EndpointError(GenerationError):
    """A chat endpoint the server will not call, or not with the server's key (the cause is for the user)."""


def _norm(url: str | None) -> str:
    return (url or "").strip().rstrip("/")


def server_endpoint(settings: Settings) -> str:
    """The server's configured chat endpoint: ASSISTANT_LLM_BASE_URL, else OPENAI_BASE_URL ("": the default)."""
    return _norm(settings.llm_configured[0] or os.environ.get("OPENAI_BASE_URL"))


def allowed_endpoints(settings: Settings) -> list[str]:
    """The other endpoints the admin lets users pick (ASSISTANT_LLM_USER_ENDPOINTS), each with their own key."""
    return list(dict.fromkeys(u for u in (_norm(x) for x in settings.llm_user_endpoints) if u))


def _server_keys(settings: Settings) -> set[str]:
    key = settings.llm_configured[1]
    return {k for k in (key.get_secret_value() if key else "", os.environ.get("OPENAI_API_KEY", "")) if k}


def chat_config(settings: Settings) -> ChatConfig:
    """The chat call's endpoint and key. The server's key (ASSISTANT_LLM_API_KEY or OPENAI_API_KEY) is only
    ever sent to the server's endpoint: another endpoint must be on the admin's allow-list and carry a key
    of its own (the user's), else EndpointError."""
    own = settings.llm_api_key.get_secret_value() if settings.llm_api_key else ""
    base = _norm(settings.llm_base_url or os.environ.get("OPENAI_BASE_URL"))
    if base == server_endpoint(settings):
        key = own or os.environ.get("OPENAI_API_KEY")
    else:
        if base not in allowed_endpoints(settings):
            raise EndpointError("该接口地址未获管理员允许，不能使用", "base URL not in ASSISTANT_LLM_USER_ENDPOINTS")
        if not own or own in _server_keys(settings):
            raise EndpointError("使用所选接口地址须填写您自己的 API 密钥（单位配置的密钥只用于单位配置的地址）",
                                "no user key for a user endpoint")
        key = own
    return ChatConfig(base or None, key or None, settings.llm_model, settings.llm_temperature, settings.llm_timeout_s,
                      settings.llm_max_retries)


def scrub(text: str, secret: str | None) -> str:
    """Remove a secret (and any sk-… looking token) from text that may reach a log or the user."""
    if secret:
        text = text.replace(secret, "***")
    return re.sub(r"sk-[A-Za-z0-9_\-]{6,}", "sk-***", text)


def _explain(exc: BaseException) -> str:
    """A short Chinese cause for the user; never the raw exception (it may echo request details)."""
    import openai

    # transport errors surface under several HTTP libraries' names: match on the class names
    names = " ".join(t.__name__ for t in type(exc).__mro__)
    if isinstance(exc, openai.APITimeoutError) or "Timeout" in names:
        return "模型服务响应超时"
    if isinstance(exc, openai.APIConnectionError) or any(
        w in names for w in ("ConnectError", "ProtocolError", "ReadError", "NetworkError", "ConnectionError")
    ):
        return "无法连接模型服务（地址不可达或连接中断）"
    if isinstance(exc, openai.AuthenticationError):
        return "模型服务拒绝了密钥（401）"
    if isinstance(exc, openai.PermissionDeniedError):
        return "模型服务拒绝访问（403）"
    if isinstance(exc, openai.RateLimitError):
        return "模型服务请求过多或额度不足（429）"
    if isinstance(exc, openai.NotFoundError):
        return "模型服务找不到该模型或接口（404）"
    if isinstance(exc, openai.InternalServerError):
        return f"模型服务内部错误（{getattr(exc, 'status_code', '5xx')}）"
    if isinstance(exc, openai.APIStatusError):
        return f"模型服务返回错误（{exc.status_code}）"
    if isinstance(exc, ValueError | KeyError | TypeError | AttributeError):
        return "模型服务返回的内容格式异常"
    return "模型服务调用失败"


class ChatModel:
    """Any OpenAI-compatible chat endpoint through LangChain's ChatOpenAI, streamed."""

    def __init__(self, cfg: ChatConfig) -> None:
        if not cfg.api_key and not cfg.base_url:
            raise GenerationError("未配置模型服务（没有接口地址和密钥）", "set OPENAI_API_KEY or ASSISTANT_LLM_BASE_URL")
        self.cfg = cfg
        self.name = cfg.model

    def _client(self) -> Any:
        from langchain_openai import ChatOpenAI

        return ChatOpenAI(
            model=self.cfg.model, base_url=self.cfg.base_url, api_key=self.cfg.api_key or "not-needed",  # type: ignore[arg-type]
            temperature=self.cfg.temperature, timeout=self.cfg.timeout_s, max_retries=self.cfg.max_retries,
            streaming=True,
        )

    def stream(self, system: str, user: str) -> Iterator[str]:
        """Yield text deltas; raise GenerationError with a clear cause on any failure or an empty reply."""
        from langchain_core.messages import HumanMessage, SystemMessage

        got = False
        try:
            messages = [SystemMessage(system), HumanMessage(user)] if system else [HumanMessage(user)]
            for chunk in self._client().stream(messages):
                text = chunk.content if isinstance(chunk.content, str) else "".join(
                    str(p.get("text", "")) if isinstance(p, dict) else str(p) for p in chunk.content)
                if text:
                    got = True
                    yield text
        except GenerationError:
            raise
        except Exception as exc:
            raise GenerationError(_explain(exc), scrub(f"{type(exc).__name__}", self.cfg.api_key)) from None
        if not got:
            raise GenerationError("模型服务返回了空回复")

    def complete(self, system: str, user: str) -> str:
        return "".join(self.stream(system, user))


def llm_settings(settings: Settings, base_url: str, model: str, api_key: str) -> Settings:
    """A copy of the settings for one call with a model chosen in the UI (the key stays in memory).

    `base_url` empty or the server's own: the server's endpoint, with the user's key if one is given, else the
    server's. Another endpoint must be on the allow-list (EndpointError otherwise) and never gets the server's
    key: only the user's (chat_config refuses the call without one)."""
    update: dict[str, Any] = {"generator": "llm"}
    base, key = _norm(base_url), api_key.strip()
    if base and base != server_endpoint(settings):
        if base not in allowed_endpoints(settings):
            raise EndpointError("该接口地址未获管理员允许，不能使用", "base URL not in ASSISTANT_LLM_USER_ENDPOINTS")
        update["llm_base_url"] = base
        update["llm_api_key"] = SecretStr(key) if key else None
    elif key:
        update["llm_api_key"] = SecretStr(key)
    if model.strip():
        update["llm_model"] = model.strip()
    return settings.model_copy(update=update)

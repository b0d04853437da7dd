"""An optional judge model: does a sentence's cited passage set support it? Verdicts cached by content hash."""

from __future__ import annotations

import hashlib
import json
import os
import threading
from pathlib import Path
from typing import Any

from assistant.answers import prompts
from assistant.answers.llm import ChatConfig, ChatModel, GenerationError, server_endpoint
from core.settings import Settings


class Judge:
    """Asks any OpenAI-compatible model, configured apart from the generator; never replaces the offline check."""

    def __init__(self, settings: Settings, cache_path: Path | None = None) -> None:
        base = settings.judge_base_url or os.environ.get("OPENAI_BASE_URL")
        key = settings.judge_api_key.get_secret_value() if settings.judge_api_key else ""
        if not key and (base or "").rstrip("/") == server_endpoint(settings):
            key = os.environ.get("OPENAI_API_KEY", "")  # the server's key, to the server's own endpoint only
        cfg = ChatConfig(base, key or None, settings.judge_model, 0.0, settings.llm_timeout_s,
                         settings.llm_max_retries)
        self.model = ChatModel(cfg)
        self.prompt = prompts.load("judge")
        self.path = cache_path or settings.cache_dir / "judge-verdicts.json"
        self._lock = threading.Lock()
        self.cache: dict[str, bool] = self._load()
        self.asked = 0
        self.errors = 0

    def _load(self) -> dict[str, bool]:
        try:
            data = json.loads(self.path.read_text(encoding="utf-8"))
            return {str(k): bool(v) for k, v in data.items()} if isinstance(data, dict) else {}
        except (OSError, ValueError):
            return {}

    def save(self) -> None:
        with self._lock:
            self.path.parent.mkdir(parents=True, exist_ok=True)
            tmp = self.path.with_suffix(".tmp")
            tmp.write_text(json.dumps(self.cache, ensure_ascii=False), encoding="utf-8")
            tmp.replace(self.path)

    def key(self, sentence: str, passages: list[str]) -> str:
        blob = "\x1f".join([self.model.name, self.prompt.sha256, sentence, *passages])
        return hashlib.sha256(blob.encode("utf-8")).hexdigest()

    def supports(self, sentence: str, passages: list[str]) -> bool | None:
        """True/False from the cache or the model; None when the model could not be asked."""
        k = self.key(sentence, passages)
        if k in self.cache:
            return self.cache[k]
        user = self.prompt.render(sentence=sentence, passages="\n\n".join(f"[{i + 1}] {p}" for i, p in enumerate(passages)))
        try:
            reply = self.model.complete("", user)
        except GenerationError:
            self.errors += 1
            return None
        self.asked += 1
        verdict = "不支持" not in reply and "支持" in reply
        with self._lock:
            self.cache[k] = verdict
        return verdict

    def judge_report(self, report: Any, passage_texts: list[str]) -> float | None:
        """Share of claims the judge finds supported by their cited passages (uncited claims count as not)."""
        claims = [s for s in report.sentences if s.claim]
        if not claims:
            return None
        votes = []
        for s in claims:
            if not s.cited:
                votes.append(False)
                continue
            v = self.supports(s.text, [passage_texts[n - 1] for n in s.cited])
            if v is not None:
                votes.append(v)
        return sum(votes) / len(votes) if votes else None

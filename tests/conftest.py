"""Shared fixtures: an isolated data dir, offline tiktoken, a deterministic fake embedder, a tmp store."""

from __future__ import annotations

import zlib
from pathlib import Path

import numpy as np
import pytest

from core.settings import Settings
from core.store import Store

REPO_ROOT = Path(__file__).resolve().parent.parent


class FakeEmbedder:
    """Deterministic stand-in for a real model: hashed character bigrams, L2-normalised.

    Texts sharing many bigrams get close vectors, so retrieval-like behaviour is still meaningful.
    `passages_embedded` counts passages (not calls); `calls` counts embed_passages calls.
    """

    name = "fake/hash-64"
    dim = 64

    def __init__(self) -> None:
        self.passages_embedded = 0
        self.calls = 0

    def _vector(self, text: str) -> np.ndarray:
        vec = np.zeros(self.dim, dtype=np.float32)
        padded = f"\x02{text}\x03"
        for i in range(len(padded) - 1):
            vec[zlib.crc32(padded[i : i + 2].encode("utf-8")) % self.dim] += 1.0
        norm = float(np.linalg.norm(vec))
        return vec / norm if norm else vec

    def embed_passages(self, texts: list[str]) -> np.ndarray:
        self.calls += 1
        self.passages_embedded += len(texts)
        if not texts:
            return np.zeros((0, self.dim), dtype=np.float32)
        return np.stack([self._vector(t) for t in texts])

    def embed_query(self, text: str) -> np.ndarray:
        return self._vector(text)


@pytest.fixture(scope="session")
def _tiktoken_cache(tmp_path_factory: pytest.TempPathFactory) -> Path:
    return tmp_path_factory.mktemp("tiktoken")


@pytest.fixture(autouse=True)
def _isolated_env(monkeypatch: pytest.MonkeyPatch, tmp_path: Path, _tiktoken_cache: Path) -> None:
    monkeypatch.setenv("ASSISTANT_DATA_DIR", str(tmp_path / "data"))
    monkeypatch.setenv("TIKTOKEN_CACHE_DIR", str(_tiktoken_cache))


@pytest.fixture
def settings(tmp_path: Path) -> Settings:
    return Settings(data_dir=tmp_path / "data", collection="test-replies")


@pytest.fixture
def fake_embedder() -> FakeEmbedder:
    return FakeEmbedder()


@pytest.fixture
def corpus_dir() -> Path:
    return REPO_ROOT / "corpus"


@pytest.fixture
def store(settings: Settings, fake_embedder: FakeEmbedder) -> Store:
    return Store(settings, fake_embedder)

"""The OpenAI-compatible embedding backend against a scripted server on 127.0.0.1."""

from __future__ import annotations

from pathlib import Path

import numpy as np
import pytest

from core.embed import OpenAIEmbedder, make_embedder
from core.settings import Settings
from core.store import Store, StoreError
from ingest.pipeline import discover, ingest_paths
from tests.fake_openai import FakeOpenAI


@pytest.fixture
def server():
    with FakeOpenAI(dim=48) as srv:
        yield srv


def test_embeds_and_ingests_through_the_api(server: FakeOpenAI, tmp_path: Path, corpus_dir: Path) -> None:
    cfg = Settings(data_dir=tmp_path / "d", embedder="openai", embed_base_url=server.base_url,
                   embed_model="bge-m3", embed_api_key="sk-test-secret")
    emb = make_embedder(cfg)
    assert isinstance(emb, OpenAIEmbedder) and emb.name == "openai/bge-m3"
    vecs = emb.embed_passages(["甲", "乙"])
    assert vecs.shape == (2, 48) and np.allclose(np.linalg.norm(vecs, axis=1), 1.0)
    assert server.requests[-1]["json"]["model"] == "bge-m3"
    assert server.requests[-1]["authorization"] == "Bearer sk-test-secret"

    store = Store(cfg, emb)
    report = ingest_paths(discover(corpus_dir)[:1], store, cfg, progress=False)
    assert report.failed == [] and report.embedded == store.count() > 0
    assert store.chunks.metadata["embedder"] == "openai/bge-m3"
    # the key is not stored anywhere in the store's metadata
    metas = store.chunks.get(include=["metadatas"])["metadatas"]
    assert "sk-test-secret" not in repr(metas) + repr(store.doc_records()) + repr(store.chunks.metadata)


def test_reopening_with_another_embedder_is_refused(server: FakeOpenAI, tmp_path: Path, fake_embedder) -> None:
    cfg = Settings(data_dir=tmp_path / "d", embedder="openai", embed_base_url=server.base_url)
    Store(cfg, make_embedder(cfg))
    with pytest.raises(StoreError, match="built with embedder 'openai/text-embedding-3-small'.*fake/hash-64"):
        Store(cfg, fake_embedder)

"""Build the heavy objects (embedder, store, retriever) once from settings, for the CLI and the app."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

from assistant.retrieval.hybrid import Filters, Hit, HybridRetriever, Mode
from core.embed import Embedder, make_embedder
from core.settings import Settings
from core.store import Store


@dataclass
class Services:
    settings: Settings
    embedder: Embedder
    store: Store
    retriever: HybridRetriever

    def search_dicts(self, query: str, k: int, mode: Mode = "hybrid", filters: Filters | None = None) -> list[dict[str, Any]]:
        """Hits as plain dicts (what evaluation and JSON output consume)."""
        return [hit_dict(h) for h in self.retriever.search(query, k, filters, mode=mode).hits]


def hit_dict(h: Hit) -> dict[str, Any]:
    m = h.meta
    return {
        "rank": h.rank, "label": h.label, "id": h.id, "score": round(h.score, 6),
        "dense_rank": h.dense_rank, "bm25_rank": h.bm25_rank,
        "doc_id": m.doc_id, "chunk_index": m.chunk_index, "title": m.title, "city": m.city, "office": m.office,
        "kind": m.kind, "date": m.date, "heading_path": m.heading_path, "start": m.start, "end": m.end,
        "text": h.text,
    }


def build_services(settings: Settings) -> Services:
    embedder = make_embedder(settings)
    store = Store(settings, embedder)
    return Services(settings, embedder, store, HybridRetriever(store, embedder, settings))

"""The Chroma store: chunks with their vectors and metadata, one record per document, a version stamp."""

from __future__ import annotations

import contextlib
import hashlib
import time
import uuid
from collections.abc import Callable, Iterator
from dataclasses import dataclass, field
from functools import lru_cache
from pathlib import Path
from typing import Any

import numpy as np

from core.embed import Embedder
from core.profile import profile
from core.settings import Settings

VERSION_ID = "__store_version__"
PIPELINE_VERSION = "14"  # bump when cleaning/sectioning/chunking changes, so re-ingest rebuilds


def pipeline_key(settings: Settings) -> str:
    """What stored chunks depend on besides the file itself: the code's version and the chunk budget."""
    home = f"/h{settings.home_place.strip()}" if settings.home_place.strip() else ""
    return f"{PIPELINE_VERSION}/t{settings.chunk_tokens}{home}"


class StoreError(Exception):
    """The store cannot be used as configured; the message says what to do."""


def context_header(meta: dict[str, Any]) -> str:
    """The document context put before a chunk when embedding and indexing it (not stored as its text)."""
    place = str(meta.get("district") or meta.get("city") or meta.get("province") or "")
    office = str(meta.get("office", ""))
    who = " ".join(x for x in (place if place not in office else "", office,
                               profile().kind_labels.get(str(meta.get("kind", "")), "")) if x)
    return "\n".join(x for x in (who, str(meta.get("title", "")), str(meta.get("heading_path", ""))) if x)


@dataclass
class ChunkRecord:
    id: str
    text: str  # the exact span of the cleaned document
    embed_text: str  # the span with its document and heading context, what is embedded and indexed
    metadata: dict[str, Any]


@dataclass
class DocRecord:
    doc_id: str
    file_sha: str
    text: str
    metadata: dict[str, Any]
    chunks: list[ChunkRecord] = field(default_factory=list)


def _chroma_settings() -> Any:
    import chromadb

    return chromadb.Settings(anonymized_telemetry=False, allow_reset=True)


@lru_cache(maxsize=8)
def _persistent_client(path: str) -> Any:
    """One PersistentClient per path per process (a second one with other settings raises)."""
    import chromadb

    Path(path).mkdir(parents=True, exist_ok=True)
    return chromadb.PersistentClient(path=path, settings=_chroma_settings())


def make_client(settings: Settings) -> Any:
    """Embedded store under data_dir by default; an HttpClient when a chroma server host is configured."""
    import chromadb

    if settings.chroma_host:
        try:
            return chromadb.HttpClient(
                host=settings.chroma_host, port=settings.chroma_port, ssl=settings.chroma_ssl,
                settings=_chroma_settings(),
            )
        except Exception as exc:  # connection refused, wrong port, TLS
            raise StoreError(
                f"cannot reach the Chroma server at {settings.chroma_host}:{settings.chroma_port} "
                f"({type(exc).__name__}); start it with `chroma run --path DIR --host 127.0.0.1 "
                f"--port {settings.chroma_port}` or unset ASSISTANT_CHROMA_HOST"
            ) from exc
    try:
        return _persistent_client(str(settings.chroma_dir.resolve()))
    except Exception as exc:
        raise StoreError(
            f"cannot open the store at {settings.chroma_dir} ({type(exc).__name__}: {exc}); check that the "
            "directory is writable, or move it aside and re-run `assistant ingest`"
        ) from exc


def _doc_vector(doc_id: str) -> list[float]:
    """Document records need a vector in Chroma; a 1-d value derived from the id keeps them distinct."""
    return [int(hashlib.sha1(doc_id.encode()).hexdigest()[:8], 16) / 0xFFFFFFFF]


class Store:
    """Chunks collection (vectors from our embedder, never Chroma's default) plus a documents collection."""

    def __init__(self, settings: Settings, embedder: Embedder, client: Any | None = None) -> None:
        self.settings = settings
        self.embedder = embedder
        self.client = client or make_client(settings)
        meta: dict[str, str | int] = {"embedder": embedder.name, "pipeline": PIPELINE_VERSION}
        if embedder.dim:
            meta["embedder_dim"] = embedder.dim
        try:
            self.chunks = self.client.get_or_create_collection(
                settings.collection,
                embedding_function=None,
                metadata=meta,
                configuration={
                    "hnsw": {
                        "space": "cosine",
                        "ef_search": settings.hnsw_ef_search,
                        "ef_construction": settings.hnsw_ef_construction,
                        "max_neighbors": settings.hnsw_m,
                    }
                },
            )
            self.docs = self.client.get_or_create_collection(
                f"{settings.collection}-docs", embedding_function=None, metadata={"kind": "documents"}
            )
        except StoreError:
            raise
        except Exception as exc:
            raise StoreError(
                f"cannot open collection {settings.collection!r} of the store at "
                f"{settings.chroma_host and f'{settings.chroma_host}:{settings.chroma_port}' or settings.chroma_dir} "
                f"({type(exc).__name__}: {exc}); if the store is corrupted, move the data directory aside and run "
                "`assistant ingest` again"
            ) from exc
        built_with = (self.chunks.metadata or {}).get("embedder")
        if built_with and built_with != embedder.name:
            raise StoreError(
                f"collection {settings.collection!r} was built with embedder {built_with!r} but the settings "
                f"select {embedder.name!r}; set ASSISTANT_EMBEDDER back, choose another "
                "ASSISTANT_COLLECTION, or rebuild with `assistant ingest --reset`"
            )

    # -- reading ---------------------------------------------------------------------------------
    @contextlib.contextmanager
    def _reading(self) -> Iterator[None]:
        """A read that fails (server gone, corrupted files) becomes a StoreError that says what to do."""
        try:
            yield
        except StoreError:
            raise
        except Exception as exc:  # httpx.TransportError, chromadb.errors.*, sqlite errors
            import httpx

            s = self.settings
            if s.chroma_host and isinstance(exc, httpx.TransportError | ConnectionError | TimeoutError):
                raise StoreError(
                    f"cannot reach the Chroma server at {s.chroma_host}:{s.chroma_port} ({type(exc).__name__}: "
                    f"{exc}); start it again with `chroma run --path DIR --host {s.chroma_host} --port "
                    f"{s.chroma_port}` or unset ASSISTANT_CHROMA_HOST"
                ) from exc
            if s.chroma_host:
                raise StoreError(
                    f"the Chroma server at {s.chroma_host}:{s.chroma_port} failed to read collection "
                    f"{s.collection!r} ({type(exc).__name__}: {exc}); see the server's log"
                ) from exc
            raise StoreError(
                f"cannot read the store at {s.chroma_dir} ({type(exc).__name__}: {exc}); if it is corrupted, "
                "move the data directory aside and run `assistant ingest` again"
            ) from exc

    def doc_records(self) -> dict[str, dict[str, Any]]:
        with self._reading():
            got = self.docs.get(include=["metadatas"])
        return {i: dict(m or {}) for i, m in zip(got["ids"], got["metadatas"], strict=True) if i != VERSION_ID}

    def doc_text(self, doc_id: str) -> str | None:
        with self._reading():
            got = self.docs.get(ids=[doc_id], include=["documents"])
        return got["documents"][0] if got["ids"] else None

    def chunk_ids(self, doc_id: str) -> set[str]:
        with self._reading():
            return set(self.chunks.get(where={"doc_id": doc_id}, include=[])["ids"])

    def chunk_doc_ids(self, batch: int = 5000) -> set[str]:
        """Documents that have chunks, with or without a record (a record is missing after a killed write)."""
        out: set[str] = set()
        offset = 0
        while True:
            with self._reading():
                got = self.chunks.get(include=["metadatas"], limit=batch, offset=offset)
            if not got["ids"]:
                return out
            out |= {str((m or {}).get("doc_id", "")) for m in got["metadatas"]}
            offset += len(got["ids"])

    def count(self) -> int:
        with self._reading():
            return int(self.chunks.count())

    def version(self) -> str:
        with self._reading():
            got = self.docs.get(ids=[VERSION_ID], include=["metadatas"])
        return str(got["metadatas"][0].get("version")) if got["ids"] else "empty"

    def version_is_stale(self, records: dict[str, dict[str, Any]]) -> bool:
        """A record written after the last version stamp: an ingest died before it could bump the version."""
        with self._reading():
            got = self.docs.get(ids=[VERSION_ID], include=["metadatas"])
        stamped = float(got["metadatas"][0].get("updated_at", 0.0)) if got["ids"] else 0.0
        return any(float(r.get("ingested_at", 0.0)) > stamped for r in records.values())

    def iter_chunks(self, batch: int = 5000) -> Iterator[tuple[list[str], list[str], list[dict[str, Any]]]]:
        """All chunks in pages (for building the lexical index)."""
        offset = 0
        while True:
            with self._reading():
                got = self.chunks.get(include=["documents", "metadatas"], limit=batch, offset=offset)
            if not got["ids"]:
                return
            yield list(got["ids"]), list(got["documents"]), [dict(m or {}) for m in got["metadatas"]]
            offset += len(got["ids"])

    def query_ids(self, vector: np.ndarray, n: int, where: dict[str, Any] | None = None) -> dict[str, Any]:
        """Nearest chunk ids and cosine distances only: fetching texts and metadata costs 10x more."""
        with self._reading():
            return self.chunks.query(
                query_embeddings=[vector.tolist()], n_results=max(1, n), where=where or None, include=["distances"],
            )

    # -- writing ---------------------------------------------------------------------------------
    def is_current(self, doc_id: str, file_sha: str, key: str, records: dict[str, dict[str, Any]] | None = None) -> bool:
        """A document is current when its record (written last) names this file content and pipeline key."""
        rec = (records if records is not None else self.doc_records()).get(doc_id)
        return rec is not None and rec.get("file_sha") == file_sha and rec.get("pipeline") == key

    def vectors(self, doc_id: str) -> dict[str, list[float]]:
        """A stored document's vectors by what was embedded (header and text), to reuse under another id."""
        with self._reading():
            got = self.chunks.get(where={"doc_id": doc_id}, include=["documents", "metadatas", "embeddings"])
        return {f"{context_header(dict(m or {}))}\n{t}": [float(x) for x in e]
                for t, m, e in zip(got["documents"], got["metadatas"], got["embeddings"], strict=True)}

    def write_document(
        self, doc: DocRecord, key: str, on_embedded: Callable[[int], None] | None = None,
        reuse: dict[str, list[float]] | None = None,
    ) -> int:
        """Bring one document's chunks to the given state; returns how many chunks were embedded.

        Order matters for a kill at any point: the record is removed first and written last, and
        chunk ids are content hashes, so a re-run reuses what was stored and finishes the rest.
        `reuse`: vectors of the same texts stored under another id (a document re-keyed), not embedded again.
        """
        self.docs.delete(ids=[doc.doc_id])
        existing = self.chunk_ids(doc.doc_id)
        reuse = reuse or {}
        copied = [c for c in doc.chunks if c.id not in existing and c.embed_text in reuse]
        new = [c for c in doc.chunks if c.id not in existing and c.embed_text not in reuse]
        keep = [c for c in doc.chunks if c.id in existing]
        for i in range(0, len(copied), 1000):
            part = copied[i : i + 1000]
            self.chunks.upsert(ids=[c.id for c in part], embeddings=[reuse[c.embed_text] for c in part],
                               documents=[c.text for c in part], metadatas=[c.metadata for c in part])
        step = self.settings.embed_batch_size
        for i in range(0, len(new), step):
            batch = new[i : i + step]
            vecs = self.embedder.embed_passages([c.embed_text for c in batch])
            self.chunks.upsert(
                ids=[c.id for c in batch], embeddings=vecs.tolist(),
                documents=[c.text for c in batch], metadatas=[c.metadata for c in batch],
            )
            if on_embedded:
                on_embedded(len(batch))
        for i in range(0, len(keep), 1000):
            part = keep[i : i + 1000]
            self.chunks.update(ids=[c.id for c in part], metadatas=[c.metadata for c in part])
        stale = sorted(existing - {c.id for c in doc.chunks})
        for i in range(0, len(stale), 1000):
            self.chunks.delete(ids=stale[i : i + 1000])
        self.docs.upsert(
            ids=[doc.doc_id], embeddings=[_doc_vector(doc.doc_id)], documents=[doc.text],
            metadatas=[{**doc.metadata, "file_sha": doc.file_sha, "pipeline": key,
                        "n_chunks": len(doc.chunks), "ingested_at": time.time()}],
        )
        return len(new)

    def delete_document(self, doc_id: str) -> None:
        self.docs.delete(ids=[doc_id])
        self.chunks.delete(where={"doc_id": doc_id})

    def bump_version(self) -> str:
        """Mark a change so every process's lexical index knows to rebuild."""
        version = uuid.uuid4().hex
        self.docs.upsert(
            ids=[VERSION_ID], embeddings=[[0.0]], documents=[""],
            metadatas=[{"version": version, "updated_at": time.time()}],
        )
        return version

    def reset(self) -> None:
        """Drop both collections (for `ingest --reset`); they are recreated empty on next open."""
        for name in (self.settings.collection, f"{self.settings.collection}-docs"):
            with contextlib.suppress(Exception):  # absent already
                self.client.delete_collection(name)

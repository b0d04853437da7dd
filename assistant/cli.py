"""The `assistant` command line: ingest, search, documents, eval."""

from __future__ import annotations

import argparse
import json
import sys
from pathlib import Path
from typing import Any, cast

from assistant.retrieve import Mode
from assistant.settings import Settings


def _settings(args: argparse.Namespace) -> Settings:
    overrides: dict[str, Any] = {}
    if getattr(args, "data_dir", None):
        overrides["data_dir"] = Path(args.data_dir)
    return Settings(**overrides)


def cmd_ingest(args: argparse.Namespace) -> int:
    from assistant.service import build_services
    from ingest.pipeline import discover, ingest_paths

    settings = _settings(args)
    services = build_services(settings)
    if args.reset:
        services.store.reset()
        services = build_services(settings)
    roots = [Path(p) for p in args.paths] or [settings.corpus_dir]
    paths: list[Path] = []
    for root in roots:
        if not root.exists():
            print(f"{root}: no such file or folder", file=sys.stderr)
            return 2
        paths += discover(root)
    report = ingest_paths(paths, services.store, settings, prune=args.prune, progress=not args.quiet)
    for path, reason in report.failed:
        print(f"FAILED {path}: {reason}", file=sys.stderr)
    print(report.summary())
    return 1 if report.failed else 0


def cmd_search(args: argparse.Namespace) -> int:
    from assistant.retrieve import Filters
    from assistant.service import build_services

    services = build_services(_settings(args))
    filters = Filters(city=args.city or "", year=args.year, kind=args.kind or "", office=args.office or "")
    mode: Mode = args.mode
    hits = services.search_dicts(args.query, args.k or services.settings.top_k, mode, filters)
    if args.json:
        print(json.dumps(hits, ensure_ascii=False, indent=2))
        return 0
    if not hits:
        print("没有找到相关段落 (no passages matched)")
    for h in hits:
        print(f"[{h['rank']}] {h['label']}  score={h['score']:.4f}  dense#{h['dense_rank']} bm25#{h['bm25_rank']}")
        print(f"    {h['city']} | {h['office']} | {h['kind']} | {h['date']}")
        if h["heading_path"]:
            print(f"    {h['heading_path']}")
        text = h["text"].replace("\n", " ")
        print(f"    {text[:160]}{'…' if len(text) > 160 else ''}")
    return 0


def cmd_docs(args: argparse.Namespace) -> int:
    from assistant.service import build_services

    services = build_services(_settings(args))
    records = services.store.doc_records()
    if args.json:
        print(json.dumps(records, ensure_ascii=False, indent=2))
        return 0
    for doc_id, m in sorted(records.items()):
        print(f"{doc_id}\n    {m.get('title', '')}\n    {m.get('city', '')} | {m.get('office', '')} | "
              f"{m.get('kind', '')} | {m.get('date', '')} | chunks {m.get('n_chunks', 0)}\n    parts: {m.get('parts', '')}")
    print(f"{len(records)} documents, {services.store.count()} chunks")
    return 0


def cmd_eval(args: argparse.Namespace) -> int:
    from assistant.evaluate import (
        QuestionSetError,
        file_sha256,
        load_questions,
        run_retrieval_eval,
        write_run,
    )
    from assistant.service import build_services
    from ingest.store import PIPELINE_VERSION

    try:
        items = load_questions(Path(args.file))
    except QuestionSetError as exc:
        print(str(exc), file=sys.stderr)
        return 2
    if not args.retrieval_only:
        print("answer and draft evaluation arrives with the answering layer; use --retrieval-only", file=sys.stderr)
        return 2
    settings = _settings(args)
    services = build_services(settings)
    if services.store.count() == 0:
        print("the store is empty: run `assistant ingest` first", file=sys.stderr)
        return 2
    k = args.k or settings.top_k
    run = run_retrieval_eval(items, lambda q, kk, mode: services.search_dicts(q, kk, cast(Mode, mode)), k)
    run["config"] = {
        "question_set": str(args.file), "question_set_sha256": file_sha256(Path(args.file)),
        "generator": None, "embedder": services.embedder.name, "k": k, "retrieval_only": True,
        "store_version": services.store.version(), "collection": settings.collection,
        "pipeline": PIPELINE_VERSION, "chunk_tokens": settings.chunk_tokens, "candidates": settings.candidates,
        "rrf_k": settings.rrf_k, "hnsw_ef_search": settings.hnsw_ef_search,
    }
    run = {"config": run.pop("config"), **run}
    out = write_run(Path(args.out), run)
    print(f"{'mode':<8} {'recall@' + str(k):>10} {'hit@' + str(k):>8} {'MRR':>6} {'p50 ms':>8}")
    for mode, block in run["retrieval"].items():
        s = block["summary"]
        print(f"{mode:<8} {s['evidence_recall_at_k']:>10.3f} {s['source_hit_at_k']:>8.3f} {s['mrr']:>6.3f} "
              f"{s['retrieval_ms_p50']:>8.1f}")
    print(f"wrote {out}")
    return 0


def build_parser() -> argparse.ArgumentParser:
    p = argparse.ArgumentParser(prog="assistant", description="Reply-letter assistant (答复函助手)")
    p.add_argument("--data-dir", help="override ASSISTANT_DATA_DIR")
    sub = p.add_subparsers(dest="command", required=True)

    s = sub.add_parser("ingest", help="ingest files or folders (default: the corpus folder)")
    s.add_argument("paths", nargs="*")
    s.add_argument("--prune", action="store_true", help="remove stored documents whose files are gone")
    s.add_argument("--reset", action="store_true", help="drop the collection first (e.g. after changing embedder)")
    s.add_argument("--quiet", action="store_true", help="no progress bar")
    s.set_defaults(func=cmd_ingest)

    s = sub.add_parser("search", help="hybrid search; prints the passages")
    s.add_argument("query")
    s.add_argument("--k", type=int)
    s.add_argument("--city")
    s.add_argument("--year", type=int)
    s.add_argument("--kind", choices=["proposal", "reply", "co_handling", "notice", "implementation_plan"])
    s.add_argument("--office")
    s.add_argument("--mode", choices=["hybrid", "dense", "bm25"], default="hybrid")
    s.add_argument("--json", action="store_true")
    s.set_defaults(func=cmd_search)

    s = sub.add_parser("docs", help="list the stored documents and their metadata")
    s.add_argument("--json", action="store_true")
    s.set_defaults(func=cmd_docs)

    s = sub.add_parser("eval", help="evaluate on a question set (QUESTION_SET.md format)")
    s.add_argument("file", nargs="?", default="eval/questions.jsonl")
    s.add_argument("--retrieval-only", action="store_true")
    s.add_argument("--k", type=int)
    s.add_argument("--out", default="eval/out")
    s.set_defaults(func=cmd_eval)
    return p


def main(argv: list[str] | None = None) -> int:
    args = build_parser().parse_args(argv)
    from ingest.store import StoreError

    try:
        return int(args.func(args))
    except StoreError as exc:
        print(f"error: {exc}", file=sys.stderr)
        return 2
    except KeyboardInterrupt:
        print("interrupted; run the same command again to finish", file=sys.stderr)
        return 130

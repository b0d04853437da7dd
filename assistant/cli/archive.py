"""The archive from the command line: ingest, search, docs."""

from __future__ import annotations

import argparse
import json
import sys
from pathlib import Path
from typing import Any

from assistant.cli.common import add_filters, filters_from, settings_from
from assistant.retrieval.hybrid import Mode
from ingest.loaders.base import ocr_low_pages


def cmd_ingest(args: argparse.Namespace) -> int:
    from assistant.retrieval.services import build_services
    from ingest.pipeline import Source, discover_sources, home_place, ingest_paths

    settings = settings_from(args)
    if args.place is not None:
        settings = settings.model_copy(update={"home_place": args.place})
    try:
        home_place(settings.home_place)
    except ValueError as exc:
        print(f"--place / ASSISTANT_HOME_PLACE {exc}", file=sys.stderr)
        return 2
    services = build_services(settings)
    if args.reset:
        services.store.reset()
        services = build_services(settings)
    roots = [Path(p) for p in args.paths] or [settings.corpus_dir]
    sources: list[Source] = []
    for root in roots:
        if not root.exists():
            print(f"{root}: no such file or folder", file=sys.stderr)
            return 2
        sources += discover_sources(root)
    report = ingest_paths(sources, services.store, settings, prune=args.prune, progress=not args.quiet)
    for path, reason in report.failed:
        print(f"FAILED {path}: {reason}", file=sys.stderr)
    for path, note in report.duplicates:
        print(f"SAME TEXT {path}: {note}", file=sys.stderr)
    for path, note in report.notes:
        print(f"NOTE {path}: {note}", file=sys.stderr)
    for path, doc_id in report.renamed:
        print(f"SAME NAME {path}: its name is another file's document; stored as {doc_id}", file=sys.stderr)
    for path, pages in report.low_confidence:
        print(f"CHECK OCR {path}: {pages} under confidence {settings.ocr_min_confidence:g}", file=sys.stderr)
    print(report.summary())
    return 1 if report.failed else 0


def cmd_search(args: argparse.Namespace) -> int:
    from assistant.retrieval.services import build_services

    services = build_services(settings_from(args))
    filters = filters_from(args)
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
    from assistant.retrieval.services import build_services

    services = build_services(settings_from(args))
    records = services.store.doc_records()
    if args.remove:
        return _remove(services, records, args.remove)
    if args.json:
        print(json.dumps(records, ensure_ascii=False, indent=2))
        return 0
    for doc_id, m in sorted(records.items()):
        place = " ".join(dict.fromkeys(str(m[k]) for k in ("province", "city", "district") if m.get(k)))
        source = f"  ({m['source']})" if m.get("source") and m.get("source") != m.get("file_name") else ""
        print(f"{doc_id}{source}\n    {m.get('title', '')}\n    {place} | {m.get('office', '')} | "
              f"{m.get('kind', '')} | {m.get('date', '')} | chunks {m.get('n_chunks', 0)}\n    parts: {m.get('parts', '')}")
        if m.get("source_format") not in (None, "", "txt"):
            print(f"    format: {m.get('source_format')}, pages {m.get('n_pages', '')}"
                  + (f", OCR pages {m.get('ocr_pages')} (confidence {m.get('ocr_confidence', '')})" if m.get("ocr_pages") else ""))
        if int(m.get("planted") or 0):
            print(f"    PLANTED INSTRUCTION: {m['planted']} passage(s) address the assistant; withheld from answers "
                  "and letters (check the original)")
        low = ocr_low_pages(m, services.settings.ocr_min_confidence)
        if low:
            print(f"    OCR CHECK: pages {', '.join(map(str, low))} under confidence {services.settings.ocr_min_confidence:g}")
    print(f"{len(records)} documents, {services.store.count()} chunks")
    return 0


def find_document(records: dict[str, dict[str, Any]], key: str) -> tuple[str | None, list[str]]:
    """The one stored document a user names by id or by path (relative to its ingest root, or absolute):
    (its id, []) or (None, the ids it could mean)."""
    if key in records:
        return key, []
    absolute = str(Path(key).resolve()) if key else ""
    hits = [d for d, m in records.items() if key and key in (m.get("source"), m.get("file_name"))
            or absolute and absolute == m.get("source_abs")]
    return (hits[0], []) if len(hits) == 1 else (None, sorted(hits))


def _remove(services: Any, records: dict[str, dict[str, Any]], key: str) -> int:
    doc_id, could_be = find_document(records, key)
    if doc_id is None:
        print(f"{key}: " + (f"names several documents ({', '.join(could_be)}); give the id" if could_be
                            else "no such document (see `assistant docs`)"), file=sys.stderr)
        return 2
    services.store.delete_document(doc_id)
    services.store.bump_version()
    print(f"removed {doc_id}")
    return 0


def add_parsers(sub: Any) -> None:
    s = sub.add_parser("ingest", help="ingest files or folders (default: the corpus folder)")
    s.add_argument("paths", nargs="*")
    s.add_argument("--prune", action="store_true", help="remove stored documents whose files are gone")
    s.add_argument("--reset", action="store_true", help="drop the collection first (e.g. after changing embedder)")
    s.add_argument("--quiet", action="store_true", help="no progress bar")
    s.add_argument("--place", help="the bureau's own place (e.g. 广州市) for documents that state none "
                                    "(default: ASSISTANT_HOME_PLACE)")
    s.set_defaults(func=cmd_ingest)

    s = sub.add_parser("search", help="hybrid search; prints the passages")
    s.add_argument("query")
    add_filters(s)
    s.add_argument("--mode", choices=["hybrid", "dense", "bm25"], default="hybrid")
    s.add_argument("--json", action="store_true")
    s.set_defaults(func=cmd_search)

    s = sub.add_parser("docs", help="list the stored documents and their metadata")
    s.add_argument("--json", action="store_true")
    s.add_argument("--remove", metavar="ID_OR_PATH", help="remove one document, named by id or by path")
    s.set_defaults(func=cmd_docs)

"""The `assistant` command line: ingest, search, documents, eval."""

from __future__ import annotations

import argparse
import json
import sys
import time
from pathlib import Path
from typing import Any, cast

from assistant.retrieval.hybrid import Mode
from core.settings import Settings
from ingest.loaders.base import ocr_low_pages


def _settings(args: argparse.Namespace) -> Settings:
    overrides: dict[str, Any] = {}
    if getattr(args, "data_dir", None):
        overrides["data_dir"] = Path(args.data_dir)
    return Settings(**overrides)


def cmd_ingest(args: argparse.Namespace) -> int:
    from assistant.retrieval.services import build_services
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
    for path, note in report.duplicates:
        print(f"SAME TEXT {path}: {note}", file=sys.stderr)
    for path, pages in report.low_confidence:
        print(f"CHECK OCR {path}: {pages} under confidence {settings.ocr_min_confidence:g}", file=sys.stderr)
    print(report.summary())
    return 1 if report.failed else 0


def cmd_search(args: argparse.Namespace) -> int:
    from assistant.retrieval.services import build_services

    services = build_services(_settings(args))
    filters = _filters(args)
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

    services = build_services(_settings(args))
    records = services.store.doc_records()
    if args.json:
        print(json.dumps(records, ensure_ascii=False, indent=2))
        return 0
    for doc_id, m in sorted(records.items()):
        place = " ".join(dict.fromkeys(str(m[k]) for k in ("province", "city", "district") if m.get(k)))
        print(f"{doc_id}\n    {m.get('title', '')}\n    {place} | {m.get('office', '')} | "
              f"{m.get('kind', '')} | {m.get('date', '')} | chunks {m.get('n_chunks', 0)}\n    parts: {m.get('parts', '')}")
        if m.get("source_format") not in (None, "", "txt"):
            print(f"    format: {m.get('source_format')}, pages {m.get('n_pages', '')}"
                  + (f", OCR pages {m.get('ocr_pages')} (confidence {m.get('ocr_confidence', '')})" if m.get("ocr_pages") else ""))
        low = ocr_low_pages(m, services.settings.ocr_min_confidence)
        if low:
            print(f"    OCR CHECK: pages {', '.join(map(str, low))} under confidence {services.settings.ocr_min_confidence:g}")
    print(f"{len(records)} documents, {services.store.count()} chunks")
    return 0


def cmd_eval(args: argparse.Namespace) -> int:
    from assistant.evaluation.metrics import QuestionSetError, load_questions, run_retrieval_eval, write_run
    from assistant.retrieval.services import build_services

    try:
        items = load_questions(Path(args.file))
    except QuestionSetError as exc:
        print(str(exc), file=sys.stderr)
        return 2
    settings = _settings(args)
    services = build_services(settings)
    if services.store.count() == 0:
        print("the store is empty: run `assistant ingest` first", file=sys.stderr)
        return 2
    k = args.k or settings.top_k
    generator = args.generator or settings.generator
    t0 = time.perf_counter()
    retrieval = run_retrieval_eval(items, lambda q, kk, mode: services.search_dicts(q, kk, cast(Mode, mode)), k,
                                   progress=not args.retrieval_only)
    if args.retrieval_only:
        run = retrieval
    else:
        full = _answer_run(args, items, services, k, generator)
        if full is None:
            return 2
        run = {**full, "retrieval": retrieval["retrieval"]}
    run = {"config": _run_config(args, services, k, generator, t0), **run}
    out = write_run(Path(args.out), run)
    _write_reports(args, run)
    status = _baseline(args, run)
    _print_summary(run, k)
    print(f"wrote {out}, report.md, report.html ({run['config']['seconds']} s)")
    return status


def _answer_run(args: argparse.Namespace, items: list[dict[str, Any]], services: Any, k: int,
                generator: str) -> dict[str, Any] | None:
    """Answers and drafts for every item (with the judge when asked); None when the judge cannot start."""
    from assistant.answers.answer import Assistant
    from assistant.evaluation.metrics import run_eval
    from assistant.letters.draft import Drafter

    judge = None
    if args.judge:
        from assistant.answers.llm import GenerationError
        from assistant.evaluation.judge import Judge

        try:
            judge = Judge(services.settings)
        except GenerationError as exc:
            print(f"judge: {exc.cause}", file=sys.stderr)
            return None
    assistant = Assistant(services)
    run = run_eval(items, assistant, Drafter(assistant), k, generator, judge=judge)
    if judge is not None:
        run["judge"] = {"model": services.settings.judge_model, "asked": judge.asked, "errors": judge.errors,
                        "cached": len(judge.cache)}
    return run


def _run_config(args: argparse.Namespace, services: Any, k: int, generator: str, t0: float) -> dict[str, Any]:
    """What produced a run: question set and corpus hashes, store, embedder, generator, settings, prompts."""
    from assistant.answers import prompts
    from assistant.evaluation.metrics import file_sha256
    from core.store import PIPELINE_VERSION

    settings = services.settings
    return {
        "question_set": str(args.file), "question_set_sha256": file_sha256(Path(args.file)),
        "generator": None if args.retrieval_only else generator,
        "model": settings.llm_model if generator == "llm" and not args.retrieval_only else None,
        "embedder": services.embedder.name, "k": k, "retrieval_only": bool(args.retrieval_only),
        "store_version": services.store.version(), "collection": settings.collection,
        "corpus_sha256": _corpus_fingerprint(services.store.doc_records()),
        "pipeline": PIPELINE_VERSION, "chunk_tokens": settings.chunk_tokens, "candidates": settings.candidates,
        "rrf_k": settings.rrf_k, "bm25_weight": settings.bm25_weight, "hnsw_ef_search": settings.hnsw_ef_search,
        "context_tokens": settings.context_tokens, "support_threshold": settings.support_threshold,
        "refusal_min_coverage": settings.refusal_min_coverage,
        "prompts": {} if args.retrieval_only else prompts.hashes(),
        "version": _version(), "judge_model": settings.judge_model if args.judge else None,
        "seconds": round(time.perf_counter() - t0, 1),
    }


def _write_reports(args: argparse.Namespace, run: dict[str, Any]) -> None:
    from assistant.evaluation.report import compare_runs, render_html, render_markdown

    previous = _load_run(args.compare) if args.compare else None
    (Path(args.out) / "report.md").write_text(render_markdown(run, previous), encoding="utf-8")
    (Path(args.out) / "report.html").write_text(render_html(run, previous), encoding="utf-8")
    if previous is not None:
        worse = compare_runs(run, previous)["worse"]
        print(f"compared with {args.compare}: {len(worse)} questions worse" + (
            ": " + ", ".join(c["id"] for c in worse[:10]) if worse else ""))


def _baseline(args: argparse.Namespace, run: dict[str, Any]) -> int:
    """Write the baseline (--update-baseline), or hold the run against it: 1 when a primary figure fell
    beyond the tolerance, so that `make eval` and CI stop on a regression."""
    from assistant.evaluation.report import regressions

    if args.update_baseline:
        if args.retrieval_only:
            print("a baseline needs a full run (drop --retrieval-only)", file=sys.stderr)
            return 2
        base = {"config": run["config"], "summary": run["summary"], "by_kind": run["by_kind"]}
        Path(args.update_baseline).write_text(json.dumps(base, ensure_ascii=False, indent=2) + "\n", encoding="utf-8")
        print(f"baseline written to {args.update_baseline}")
        return 0
    if not Path(args.baseline).exists() or args.retrieval_only:
        return 0
    baseline = json.loads(Path(args.baseline).read_text(encoding="utf-8"))
    if baseline.get("config", {}).get("generator") != run["config"]["generator"]:
        return 0
    found = regressions(run["summary"], baseline["summary"])
    for line in found:
        print(f"REGRESSION {line}", file=sys.stderr)
    return 1 if found else 0


def _fmt(v: Any, spec: str) -> str:
    """A figure, or n/a when it does not apply to this question set."""
    return "n/a" if v is None else format(v, spec)


def _print_summary(run: dict[str, Any], k: int) -> None:
    print(f"{'mode':<8} {'recall@' + str(k):>10} {'hit@' + str(k):>8} {'MRR':>6} {'p50 ms':>8}")
    for mode, block in run["retrieval"].items():
        s = block["summary"]
        print(f"{mode:<8} {_fmt(s['evidence_recall_at_k'], '.3f'):>10} {_fmt(s['source_hit_at_k'], '.3f'):>8} "
              f"{_fmt(s['mrr'], '.3f'):>6} {_fmt(s['retrieval_ms_p50'], '.1f'):>8}")
    if run["config"]["retrieval_only"]:
        return
    s = run["summary"]
    for key in ("must_include", "citation_validity", "citation_support_recall", "citation_support_precision",
                "refusal_accuracy", "false_refusal_rate", "draft_structure", "draft_complete",
                "draft_ask_coverage", "draft_ask_coverage_material", "draft_honest_blanks", "generation_ms_p50"):
        print(f"{key:<28} {_fmt(s.get(key), '.3f')}")
    for split, sp in run.get("by_split", {}).items():
        print(f"split {split:<10} " + " ".join(
            f"{key}={_fmt(sp.get(key), '.3f')}" for key in ("evidence_recall_at_k", "mrr", "must_include",
                                                            "refusal_accuracy", "false_refusal_rate",
                                                            "draft_ask_coverage", "draft_ask_coverage_material")))


def _corpus_fingerprint(records: dict[str, dict[str, Any]]) -> str:
    """Which documents, at which content, the run was measured on (stable across re-ingests)."""
    import hashlib

    blob = "\n".join(f"{d}:{r.get('file_sha', '')}:{r.get('pipeline', '')}" for d, r in sorted(records.items()))
    return hashlib.sha256(blob.encode()).hexdigest()


def _version() -> str:
    from importlib.metadata import PackageNotFoundError, version

    try:
        return version("reply-assistant")
    except PackageNotFoundError:
        return "unknown"


def _load_run(path: str) -> dict[str, Any]:
    p = Path(path)
    return dict(json.loads((p / "run.json" if p.is_dir() else p).read_text(encoding="utf-8")))


def _filters(args: argparse.Namespace) -> Any:
    from assistant.retrieval.hybrid import Filters

    return Filters(city=args.city or "", year=args.year, kind=args.kind or "", office=args.office or "")


def cmd_ask(args: argparse.Namespace) -> int:
    from assistant.answers.answer import Answer, Assistant
    from assistant.retrieval.services import build_services

    assistant = Assistant(build_services(_settings(args)))
    final: Answer | None = None
    for item in assistant.stream(args.question, _filters(args), args.k, generator=args.generator):
        if isinstance(item, Answer):
            final = item
        elif not args.json:
            pass  # the checked text is printed below; raw model deltas may hold invalid markers
    assert final is not None
    if args.json:
        print(json.dumps(final.to_dict(), ensure_ascii=False, indent=2))
        return 0
    if final.notice:
        print(f"提示：{final.notice}")
    print(final.text)
    if final.refused and final.related:
        print("\n相关段落（仅供参考，不作为答案依据）：")
        for h in final.related:
            print(f"  - {h.label} {h.metadata.get('heading_path', '')}: {h.text[:80]}")
    cited = sorted({n for s in final.report.sentences for n in s.cited})
    if cited:
        print("\n出处：")
        for n in cited:
            c = final.citation(n)
            print(f"  [{n}] {c['title']} | {c['office']} | {c['date']} | {c['heading_path']}")
            print(f"      “{c['span_text'][:120]}”")
    if final.report.unsupported:
        print("\n未能核实的句子：")
        for s in final.report.unsupported:
            print(f"  ! {s.text}")
    return 0


def cmd_draft(args: argparse.Namespace) -> int:
    from assistant.answers.answer import Assistant
    from assistant.letters.draft import Drafter, load_request
    from assistant.retrieval.services import build_services

    if args.proposal_file or args.case:
        from assistant.cli.cases import draft_from_file

        return draft_from_file(args)
    if not args.proposal:
        print("give a proposal: --proposal-file PATH (any format), --proposal JSON or --case ID", file=sys.stderr)
        return 2
    try:
        req = load_request(Path(args.proposal), office=args.office or "", date=args.date or "",
                           role="co" if args.co else "lead", lead_office=args.lead_office or "")
    except (OSError, ValueError, TypeError) as exc:
        print(f"{args.proposal}: cannot read the proposal ({exc})", file=sys.stderr)
        return 2
    if not req.office:
        print("the replying office is required: --office 广州市工业和信息化局 (or \"office\" in the JSON)",
              file=sys.stderr)
        return 2
    assistant = Assistant(build_services(_settings(args)))
    draft = Drafter(assistant).draft(req, args.generator)
    if args.json:
        print(json.dumps(draft.to_dict(), ensure_ascii=False, indent=2))
    else:
        if draft.notice:
            print(f"提示：{draft.notice}")
        print(draft.title, "\n")
        print(draft.text)
        print("\n结构：" + " ".join(f"{k}{'✓' if v else '✗'}" for k, v in draft.structure.items()))
        print("建议覆盖：" + "；".join(f"{a.ask[:20]}{'✓' if a.found else '（未找到材料）'}" for a in draft.asks))
    from assistant.letters.export import to_docx, to_markdown

    if args.docx:
        Path(args.docx).write_bytes(to_docx(draft, include_sources=not args.no_sources))
        print(f"wrote {args.docx}", file=sys.stderr)
    if args.markdown:
        Path(args.markdown).write_text(to_markdown(draft, include_sources=not args.no_sources),
                                       encoding="utf-8")
        print(f"wrote {args.markdown}", file=sys.stderr)
    return 0


def cmd_check(args: argparse.Namespace) -> int:
    """Check a draft against the archive and its wording; exit 0 when nothing is flagged, 1 otherwise."""
    from assistant.facts.check import DraftError, check_store, read_draft
    from assistant.retrieval.services import build_services

    try:
        text = read_draft(Path(args.draft))
    except DraftError as exc:
        print(f"error: {exc}", file=sys.stderr)
        return 2
    report = check_store(text, build_services(_settings(args)).store)
    print(json.dumps(report.to_dict(), ensure_ascii=False, indent=2) if args.json else report.text())
    return 0 if report.ok else 1


def add_filters(s: argparse.ArgumentParser) -> None:
    s.add_argument("--k", type=int)
    s.add_argument("--city")
    s.add_argument("--year", type=int)
    s.add_argument("--kind", choices=["proposal", "reply", "co_handling", "notice", "implementation_plan"])
    s.add_argument("--office")


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
    add_filters(s)
    s.add_argument("--mode", choices=["hybrid", "dense", "bm25"], default="hybrid")
    s.add_argument("--json", action="store_true")
    s.set_defaults(func=cmd_search)

    s = sub.add_parser("docs", help="list the stored documents and their metadata")
    s.add_argument("--json", action="store_true")
    s.set_defaults(func=cmd_docs)

    s = sub.add_parser("ask", help="answer a question with cited sources")
    s.add_argument("question")
    add_filters(s)
    s.add_argument("--generator", choices=["offline", "llm"])
    s.add_argument("--json", action="store_true")
    s.set_defaults(func=cmd_ask)

    s = sub.add_parser("draft", help="draft a reply letter for a proposal file (any format) or a proposal JSON")
    s.add_argument("--proposal", help="JSON: {title, number, proposer, body} (+ office, date, fields)")
    s.add_argument("--proposal-file", help="the incoming 建议/提案 file (.txt .docx .doc .pdf scans …): parsed, "
                                           "opened as a case, drafted and saved as a version")
    s.add_argument("--case", type=int, help="draft again for an existing case (its corrected proposal and opinions)")
    s.add_argument("--opinion", action="append", default=[], help="a co-handling opinion file (repeatable)")
    s.add_argument("--author", default="", help="who drafts (kept with the version)")
    s.add_argument("--note", default="", help="a note kept with the version")
    s.add_argument("--due", default="", help="due date of the case, e.g. 2025-06-30")
    s.add_argument("--review-docx", help="write the review copy (sources as Word comments) here")
    s.add_argument("--office", help="the replying office, e.g. 广州市工业和信息化局")
    s.add_argument("--date", help="letter date, e.g. 2024年4月29日 (left blank when omitted)")
    s.add_argument("--co", action="store_true", help="a co-handling opinion to the lead office")
    s.add_argument("--lead-office", help="the lead office (addressee of a co-handling opinion)")
    s.add_argument("--generator", choices=["offline", "llm"])
    s.add_argument("--docx", help="write the letter as .docx here")
    s.add_argument("--markdown", help="write the letter as Markdown here")
    s.add_argument("--no-sources", action="store_true", help="leave the sources appendix out of the export")
    s.add_argument("--json", action="store_true")
    s.set_defaults(func=cmd_draft)

    from assistant.cli.cases import add_case_parsers

    add_case_parsers(sub)

    s = sub.add_parser("check", help="check a draft against earlier replies and its wording (exit 1 when flagged)")
    s.add_argument("draft", help="the draft letter (.txt .md .docx .pdf …)")
    s.add_argument("--json", action="store_true")
    s.set_defaults(func=cmd_check)

    s = sub.add_parser("eval", help="evaluate on a question set (QUESTION_SET.md format)")
    s.add_argument("file", nargs="?", default="eval/questions.jsonl")
    s.add_argument("--retrieval-only", action="store_true")
    s.add_argument("--generator", choices=["offline", "llm"])
    s.add_argument("--k", type=int)
    s.add_argument("--out", default="eval/out")
    s.add_argument("--compare", help="a previous run.json (or its folder) to compare against")
    s.add_argument("--judge", action="store_true", help="also ask the judge model (ASSISTANT_JUDGE_*) per sentence")
    s.add_argument("--baseline", default="eval/baseline.json", help="report regressions against this baseline")
    s.add_argument("--update-baseline", metavar="PATH", help="write this run's figures as the new baseline")
    s.set_defaults(func=cmd_eval)
    return p


def main(argv: list[str] | None = None) -> int:
    args = build_parser().parse_args(argv)
    from core.store import StoreError

    try:
        return int(args.func(args))
    except StoreError as exc:
        print(f"error: {exc}", file=sys.stderr)
        return 2
    except KeyboardInterrupt:
        print("interrupted; run the same command again to finish", file=sys.stderr)
        return 130

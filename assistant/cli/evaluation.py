"""Evaluation from the command line: `assistant eval` (runs, reports, the baseline)."""

from __future__ import annotations

import argparse
import json
import sys
import time
from pathlib import Path
from typing import Any, cast

from assistant.cli.common import settings_from
from assistant.retrieval.hybrid import Mode


def cmd_eval(args: argparse.Namespace) -> int:
    from assistant.evaluation.metrics import (
        QuestionSetError,
        generator_label,
        load_questions,
        run_retrieval_eval,
        write_run,
    )
    from assistant.retrieval.services import build_services

    try:
        items = load_questions(Path(args.file))
    except QuestionSetError as exc:
        print(str(exc), file=sys.stderr)
        return 2
    settings = settings_from(args)
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
    config = _run_config(args, services, k, generator, t0)
    if not args.retrieval_only:
        config["generator"], counts = generator_label(generator, run["questions"])
        config.update(counts)
    run = {"config": config, **run}
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
    made_on = baseline.get("config", {}).get("question_set_sha256")
    if made_on and made_on != run["config"]["question_set_sha256"]:
        print(f"baseline {args.baseline} is another question set's: not compared (pass --baseline)", file=sys.stderr)
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


def add_parsers(sub: Any) -> None:
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

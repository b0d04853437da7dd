"""Facts that stay true, measured: newest-figure answers, planted conflicts / stale figures / unreported
commitments / wording found, false flags on the real letters, superseded policies marked.

    .venv/bin/python benchmarks/bench_facts.py [--no-answers] [--split tune|heldout|all] [--json OUT]

Archive: the real letters of corpus/ and eval/corpora/dev/ plus the fictitious test letters of
eval/corpora/facts/archive/; planted drafts and questions in eval/corpora/facts/truth.json (split tune / heldout).
The answers part ingests the archive into its own store (eval/out/facts-store; re-runs reuse it).
"""

from __future__ import annotations

import argparse
import json
import re
import sys
import time
from pathlib import Path
from typing import Any

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

from assistant.facts.archive import archive_docs, superseded  # noqa: E402
from assistant.facts.check import check_text, read_draft  # noqa: E402
from core.settings import Settings  # noqa: E402
from ingest.pipeline import discover, parse_file  # noqa: E402

FACTS = ROOT / "eval" / "corpora" / "facts"
REAL = [ROOT / "corpus", ROOT / "eval" / "corpora" / "dev"]


def _chunks(paths: list[Path], settings: Settings) -> list[tuple[str, dict[str, Any]]]:
    out: list[tuple[str, dict[str, Any]]] = []
    for p in paths:
        pd = parse_file(p, settings)
        out += [(c.text, c.metadata) for c in pd.record.chunks]
    return out


def _found(flags: list[dict[str, Any]], want: dict[str, str]) -> bool:
    return any(f["type"] == want["type"] and (want["contains"] in f["sentence"] or want["contains"] in f["reason"])
               for f in flags)


def bench_checks(truth: dict[str, Any], chunks: list[tuple[str, dict[str, Any]]], split: str) -> dict[str, Any]:
    res: dict[str, Any] = {}
    for part in ("tune", "heldout"):
        if split not in ("all", part):
            continue
        want = found = extra = 0
        rows = []
        for case in truth["drafts"]:
            if case["split"] != part:
                continue
            report = check_text(read_draft(FACTS / "drafts" / case["file"]), chunks).to_dict()
            hit = [_found(report["flags"], w) for w in case["expect"]]
            unexpected = [f for f in report["flags"] if not any(
                f["type"] == w["type"] and (w["contains"] in f["sentence"] or w["contains"] in f["reason"])
                for w in case["expect"])]
            want += len(hit)
            found += sum(hit)
            extra += len(unexpected)
            rows.append({"file": case["file"], "expected": len(hit), "found": sum(hit),
                         "unexpected": [f"{f['type']}: {f['reason'][:60]}" for f in unexpected]})
        res[part] = {"planted": want, "found": found, "recall": round(found / want, 3) if want else None,
                     "unexpected_flags": extra, "cases": rows}
    return res


def bench_real(chunks: list[tuple[str, dict[str, Any]]], settings: Settings) -> dict[str, Any]:
    """Each real reply letter checked as if it were a draft, against the archive without it (and without
    anything dated after it)."""
    letters = flagged = flags = sentences = 0
    rows = []
    for root in REAL:
        for p in discover(root):
            if p.suffix != ".txt":
                continue
            pd = parse_file(p, settings)
            if pd.meta.kind not in ("reply", "co_handling"):
                continue
            others = [c for c in chunks if c[1].get("doc_id") != pd.meta.doc_id]
            report = check_text(pd.record.text, others, pd.meta.date or pd.meta.published)
            letters += 1
            n_sent = len(re.findall(r"[。!?;！？；]", pd.record.text)) or 1
            sentences += n_sent
            flags += len(report.flags)
            if report.flags:
                flagged += 1
                rows.append({"doc": pd.meta.doc_id, "flags": [f"{f.type}: {f.reason[:70]}" for f in report.flags]})
    return {"letters": letters, "letters_flagged": flagged, "false_flag_rate_letters": round(flagged / letters, 3),
            "flags": flags, "sentences": sentences, "false_flag_rate_sentences": round(flags / sentences, 4),
            "flagged": rows}


def bench_superseded(truth: dict[str, Any], chunks: list[tuple[str, dict[str, Any]]], split: str) -> dict[str, Any]:
    docs = archive_docs(chunks)
    sup = superseded([d.record() for d in docs.values()])
    cases = [c for c in truth["superseded"] if split in ("all", c["split"])]
    ok = [c for c in cases if c["doc"] in sup and sup[c["doc"]].by_doc == c["by"]]
    wrong = [k for k in sup if k not in {c["doc"] for c in truth["superseded"]}]
    return {"cases": len(cases), "marked": len(ok), "unexpected": wrong}


def bench_answers(truth: dict[str, Any], split: str, data_dir: Path) -> dict[str, Any]:
    from assistant.answers.answer import Assistant
    from assistant.retrieval.services import build_services
    from ingest.pipeline import ingest_paths

    settings = Settings(data_dir=data_dir, collection="facts-bench", generator="offline")
    services = build_services(settings)
    paths = [p for root in (*REAL, FACTS / "archive") for p in discover(root) if p.suffix == ".txt"]
    t0 = time.perf_counter()
    ingest_paths(paths, services.store, settings, prune=True, progress=False)
    ingest_s = time.perf_counter() - t0
    assistant = Assistant(build_services(settings))
    res: dict[str, Any] = {"ingest_s": round(ingest_s, 1)}
    for part in ("tune", "heldout"):
        if split not in ("all", part):
            continue
        rows = []
        for q in truth["questions"]:
            if q["split"] != part:
                continue
            ans = assistant.ask(q["question"])
            first = next((ln for ln in ans.text.split("\n") if ln.startswith("- ")), "")
            # the value must be the first figure quoted, with its date on the same line or its trailer
            tail = ans.text.split("\n")
            i = tail.index(first) if first in tail else -1
            dated = first + (tail[i + 1] if 0 <= i < len(tail) - 1 and tail[i + 1].startswith("【截至") else "")
            ok_value = q["value"] in first
            ok_date = q["date"] in dated or q["date"].replace("年", "年").split("月")[0] in dated and q["date"] in dated
            rows.append({"question": q["question"], "value_ok": ok_value, "date_ok": ok_date, "answer": ans.text[:400]})
        good = sum(r["value_ok"] and r["date_ok"] for r in rows)
        res[part] = {"questions": len(rows), "newest_with_date": good,
                     "accuracy": round(good / len(rows), 3) if rows else None, "rows": rows}
    return res


def main() -> int:
    ap = argparse.ArgumentParser()
    ap.add_argument("--split", choices=["tune", "heldout", "all"], default="all")
    ap.add_argument("--no-answers", action="store_true", help="skip the newest-figure answers (no ingest)")
    ap.add_argument("--data-dir", default=str(ROOT / "eval" / "out" / "facts-store"))
    ap.add_argument("--json", help="write the full results here")
    ap.add_argument("--verbose", action="store_true")
    args = ap.parse_args()
    settings = Settings()
    truth = json.loads((FACTS / "truth.json").read_text(encoding="utf-8"))
    real_paths = [p for root in REAL for p in discover(root) if p.suffix == ".txt"]
    chunks = _chunks(real_paths + discover(FACTS / "archive"), settings)
    out: dict[str, Any] = {"checks": bench_checks(truth, chunks, args.split),
                           "real": bench_real(chunks, settings),
                           "superseded": bench_superseded(truth, chunks, args.split)}
    if not args.no_answers:
        out["answers"] = bench_answers(truth, args.split, Path(args.data_dir))
    print("planted flags found (conflict, stale, commitment, wording):")
    for part, r in out["checks"].items():
        print(f"  {part:8s} {r['found']}/{r['planted']} = {r['recall']}   unexpected flags on planted drafts: "
              f"{r['unexpected_flags']}")
    r = out["real"]
    print(f"real letters (corpus + dev) flagged: {r['letters_flagged']}/{r['letters']} = {r['false_flag_rate_letters']}"
          f"   flags per sentence: {r['flags']}/{r['sentences']} = {r['false_flag_rate_sentences']}")
    s = out["superseded"]
    print(f"superseded policies marked: {s['marked']}/{s['cases']}   unexpected: {s['unexpected']}")
    if "answers" in out:
        for part, a in out["answers"].items():
            if part == "ingest_s":
                continue
            print(f"newest figure with its date, {part:8s}: {a['newest_with_date']}/{a['questions']} = {a['accuracy']}")
    if args.verbose:
        for part, r in out["checks"].items():
            for c in r["cases"]:
                print(f"  [{part}] {c['file']}: {c['found']}/{c['expected']} {c['unexpected']}")
        for row in out["real"]["flagged"]:
            print(f"  [real] {row['doc']}: {row['flags']}")
        for part, a in out.get("answers", {}).items():
            if part != "ingest_s":
                for row in a["rows"]:
                    if not (row["value_ok"] and row["date_ok"]):
                        print(f"  [answer {part}] {row['question']}\n{row['answer']}")
    if args.json:
        Path(args.json).write_text(json.dumps(out, ensure_ascii=False, indent=2), encoding="utf-8")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())

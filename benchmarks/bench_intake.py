"""Proposal intake measured on eval/proposals/truth.json: field accuracy and asks precision/recall/F1.

    .venv/bin/python benchmarks/bench_intake.py [--truth eval/proposals/truth.json] [--json]

A field is right when it equals the truth after NFKC and whitespace removal (lists in order). An ask
matches a true ask when one's first 12 characters open the other or they share ≥ 60 % of character
bigrams (Dice); each true ask is matched at most once. Files that are not proposals must be refused.
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

from assistant.casework.intake import IntakeError, read_proposal  # noqa: E402
from core.text import normalize_text  # noqa: E402

FIELDS = ("title", "number", "proposers", "body_kind", "session", "lead_office", "co_offices")


def _norm(v: Any) -> Any:
    if isinstance(v, list):
        return [_norm(x) for x in v]
    return re.sub(r"\s+", "", normalize_text(str(v)))


def _bigrams(s: str) -> set[str]:
    t = re.sub(r"\W", "", normalize_text(s))
    return {t[i:i + 2] for i in range(len(t) - 1)}


def ask_match(a: str, b: str) -> bool:
    x, y = _norm(a), _norm(b)
    if x[:12] and (y.startswith(x[:12]) or x.startswith(y[:12])):
        return True
    ba, bb = _bigrams(a), _bigrams(b)
    return bool(ba and bb) and 2 * len(ba & bb) / (len(ba) + len(bb)) >= 0.6


def score_asks(pred: list[str], truth: list[str]) -> tuple[int, int, int]:
    """(matched, predicted, true)."""
    left = list(truth)
    hit = 0
    for p in pred:
        k = next((i for i, t in enumerate(left) if ask_match(p, t)), None)
        if k is not None:
            left.pop(k)
            hit += 1
    return hit, len(pred), len(truth)


def run(truth_path: Path) -> dict[str, Any]:
    truth = json.loads(truth_path.read_text(encoding="utf-8"))
    base = truth_path.parent
    rows, right, total = [], 0, 0
    per_field = {f: [0, 0] for f in FIELDS}
    m = p = t = 0
    for item in truth["items"]:
        t0 = time.perf_counter()
        try:
            got = read_proposal(base / item["file"]).to_dict()
            error = ""
        except IntakeError as exc:
            got, error = {}, str(exc)
        wrong = [f for f in FIELDS if _norm(got.get(f, "")) != _norm(item[f])]
        for f in FIELDS:
            per_field[f][0] += f not in wrong
            per_field[f][1] += 1
        right += len(FIELDS) - len(wrong)
        total += len(FIELDS)
        hm, hp, ht = score_asks(got.get("asks", []), item["asks"])
        m, p, t = m + hm, p + hp, t + ht
        rows.append({"file": item["file"], "wrong": wrong, "asks": f"{hm}/{hp} predicted, {hm}/{ht} true",
                     "error": error, "seconds": round(time.perf_counter() - t0, 2)})
    refused = []
    for f in truth.get("not_proposals", []):
        try:
            read_proposal(base / f)
            refused.append((f, False))
        except IntakeError:
            refused.append((f, True))
    precision, recall = (m / p if p else 0.0), (m / t if t else 0.0)
    f1 = 2 * precision * recall / (precision + recall) if precision + recall else 0.0
    return {"files": len(rows), "field_accuracy": right / total if total else 0.0,
            "per_field": {f: a / n for f, (a, n) in per_field.items()}, "asks_precision": precision,
            "asks_recall": recall, "asks_f1": f1, "not_proposals_refused": sum(ok for _, ok in refused),
            "not_proposals": len(refused), "rows": rows}


def main() -> int:
    ap = argparse.ArgumentParser()
    ap.add_argument("--truth", default=str(ROOT / "eval" / "proposals" / "truth.json"))
    ap.add_argument("--json", action="store_true")
    args = ap.parse_args()
    r = run(Path(args.truth))
    if args.json:
        print(json.dumps(r, ensure_ascii=False, indent=2))
        return 0
    for row in r["rows"]:
        flag = "ok " if not row["wrong"] and not row["error"] else "ERR"
        print(f"{flag} {row['file'][:52]:<52} asks {row['asks']:<28} {row['seconds']:>5.1f}s"
              + (f"  wrong: {', '.join(row['wrong'])}" if row["wrong"] else "") + (f"  {row['error']}" if row["error"] else ""))
    print("field accuracy by field: " + ", ".join(f"{k} {v:.2f}" for k, v in r["per_field"].items()))
    print(f"files {r['files']}  field accuracy {r['field_accuracy']:.3f}  asks P {r['asks_precision']:.3f} "
          f"R {r['asks_recall']:.3f} F1 {r['asks_f1']:.3f}  not proposals refused "
          f"{r['not_proposals_refused']}/{r['not_proposals']}")
    return 0 if r["field_accuracy"] >= 0.9 and r["asks_f1"] >= 0.8 else 1


if __name__ == "__main__":
    sys.exit(main())

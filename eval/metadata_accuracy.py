#!/usr/bin/env python3
"""Metadata accuracy against a corpus's hand-read truth.json (fields as in eval/corpora/README-dev.md).

Usage: python eval/metadata_accuracy.py [CORPUS_DIR] [--split eval/dev-split.json] [-v]
Prints accuracy per field and overall, for all documents and per split; -v lists every mismatch.
"""

from __future__ import annotations

import argparse
import json
import re
import sys
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

from ingest.load import load_file  # noqa: E402
from ingest.pipeline import parse_text  # noqa: E402

FIELDS = ("kind", "province", "city", "district", "office", "number", "doc_number", "proposer", "body", "date", "title")


def _norm(field: str, value: str) -> str:
    value = str(value or "")
    if field == "title":
        value = re.sub(r"\s+", "", value)
    return value.strip()


def measure(corpus: Path) -> dict[str, dict[str, tuple[str, str]]]:
    """doc id → field → (truth, extracted)."""
    truth = json.loads((corpus / "truth.json").read_text(encoding="utf-8"))
    out: dict[str, dict[str, tuple[str, str]]] = {}
    for doc_id, want in truth.items():
        path = corpus / f"{doc_id}.txt"
        parsed = parse_text(doc_id, load_file(path), "sha", 450, path.name)
        got = vars(parsed.meta)
        out[doc_id] = {f: (_norm(f, want.get(f, "")), _norm(f, got.get(f, ""))) for f in FIELDS}
    return out


def summarise(results: dict[str, dict[str, tuple[str, str]]], ids: list[str]) -> dict[str, float]:
    per = {f: sum(results[d][f][0] == results[d][f][1] for d in ids) / len(ids) for f in FIELDS}
    per["all"] = sum(results[d][f][0] == results[d][f][1] for d in ids for f in FIELDS) / (len(ids) * len(FIELDS))
    return per


def main() -> int:
    ap = argparse.ArgumentParser()
    ap.add_argument("corpus", nargs="?", default=str(ROOT / "eval/corpora/dev"))
    ap.add_argument("--split", default=str(ROOT / "eval/dev-split.json"))
    ap.add_argument("-v", action="store_true")
    a = ap.parse_args()
    res = measure(Path(a.corpus))
    groups = {"all": sorted(res)}
    if Path(a.split).exists():
        split = json.loads(Path(a.split).read_text())
        groups.update({k: [d for d in v if d in res] for k, v in split.items()})
    for name, ids in groups.items():
        s = summarise(res, ids)
        print(f"{name:9} n={len(ids):2} overall {s['all']:.3f}  " + " ".join(f"{f}={s[f]:.2f}" for f in FIELDS))
    if a.v:
        for d, fields in sorted(res.items()):
            for f, (want, got) in fields.items():
                if want != got:
                    print(f"  {d:38} {f:10} want {want!r:40} got {got!r}")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())

#!/usr/bin/env python3
"""Validate an evaluation question set (JSON Lines) against the corpus.

Format: /work/shared/eval/QUESTION_SET.md.  Standard library only.

Usage:
    python eval/check_questions.py [QUESTIONS.jsonl] [--corpus DIR]

Checks: JSON parse, required fields and types, valid kinds, unique ids,
every evidence string (>= 8 chars) is an exact substring of at least one of
its source documents after collapsing whitespace runs (regex \\s+) to one space,
must_include strings occur in at least one source document, negative items
have answerable false and empty sources/evidence,
draft items carry a proposal with title/number/proposer/body, and no
evidence string is mere boilerplate (现答复如下, 收悉, 感谢…支持 …).
Extra keys (e.g. "split") are allowed by the format and only listed.
The corpus is every readable .txt/.md/.markdown/.html/.htm file in DIR except
README* and dot-files (so a corpus folder may carry README.md and truth.json).
Notes (not problems): evidence strings that occur in several corpus documents,
documents without any question.
Prints a summary (counts by kind, split and document); exits 1 on any problem.
"""
from __future__ import annotations

import argparse
import json
import re
import sys
from collections import Counter
from pathlib import Path

KINDS = {"fact", "list", "compare", "negative", "draft"}
REQUIRED = {"id": str, "kind": str, "question": str, "sources": list, "evidence": list}
OPTIONAL = {"must_include": list, "answerable": bool, "reference": str, "proposal": dict}
PROPOSAL_KEYS = ("title", "number", "proposer", "body")
MIN_EVIDENCE = 8
DOC_SUFFIXES = {".txt", ".md", ".markdown", ".html", ".htm"}
# Phrases every reply letter has; evidence made only of these (plus punctuation,
# spaces and a few characters) supports nothing.
BOILERPLATE = ("现答复如下", "现将办理情况答复如下", "收悉", "已收悉", "感谢您", "感谢你", "关心和支持",
               "关心与支持", "高度重视", "下一步", "此致", "敬礼", "特此函复", "答复如下", "的建议", "的提案")
MIN_CONTENT = 6  # characters left after removing boilerplate and punctuation
_WS = re.compile(r"\s+")

HERE = Path(__file__).resolve().parent
DEFAULT_QUESTIONS = HERE / "questions.jsonl"


def collapse(text: str) -> str:
    return _WS.sub(" ", text)


def default_corpus() -> Path:
    main = HERE.parent / "corpus"
    if main.is_dir():
        return main
    return Path("/work/shared/corpus")


def load_corpus(directory: Path) -> dict[str, str]:
    docs: dict[str, str] = {}
    for path in sorted(directory.iterdir()):
        if not path.is_file() or path.name.startswith("."):
            continue
        if path.suffix.lower() not in DOC_SUFFIXES or path.name.upper().startswith("README"):
            continue  # metadata beside the documents (truth.json, README.md)
        try:
            text = path.read_text(encoding="utf-8")
        except (UnicodeDecodeError, OSError):
            continue
        doc_id = path.stem  # document id = file name without extension
        if doc_id in docs:
            # e.g. foo.txt and foo.md: keep both texts so either may match
            docs[doc_id] += "\n" + collapse(text)
        else:
            docs[doc_id] = collapse(text)
    return docs


def check(questions: Path, corpus_dir: Path) -> int:
    problems: list[str] = []
    docs = load_corpus(corpus_dir)
    if not docs:
        print(f"ERROR: no readable documents in {corpus_dir}", file=sys.stderr)
        return 1

    items = []
    try:
        lines = questions.read_text(encoding="utf-8").splitlines()
    except (OSError, UnicodeDecodeError) as exc:
        print(f"ERROR: cannot read {questions}: {exc}", file=sys.stderr)
        return 1

    for lineno, line in enumerate(lines, 1):
        stripped = line.strip()
        if not stripped or stripped.startswith("#"):
            continue
        try:
            obj = json.loads(stripped)
        except json.JSONDecodeError as exc:
            problems.append(f"line {lineno}: invalid JSON: {exc}")
            continue
        if not isinstance(obj, dict):
            problems.append(f"line {lineno}: not a JSON object")
            continue
        items.append((lineno, obj))

    seen: dict[str, int] = {}
    by_kind: Counter = Counter()
    by_doc: Counter = Counter()
    by_doc_kind: dict[str, Counter] = {}
    n_evidence = 0
    extra_keys: Counter = Counter()
    by_split: Counter = Counter()
    by_split_kind: Counter = Counter()
    shared_evidence: list[str] = []

    for lineno, q in items:
        qid = q.get("id", f"<line {lineno}>")
        where = f"line {lineno} ({qid})"

        for key, typ in REQUIRED.items():
            if key not in q:
                problems.append(f"{where}: missing field '{key}'")
            elif not isinstance(q[key], typ):
                problems.append(f"{where}: field '{key}' must be {typ.__name__}")
        for key, typ in OPTIONAL.items():
            if key in q and not isinstance(q[key], typ):
                problems.append(f"{where}: field '{key}' must be {typ.__name__}")
        for key in set(q) - set(REQUIRED) - set(OPTIONAL):
            extra_keys[key] += 1

        if isinstance(q.get("id"), str):
            if not q["id"].strip():
                problems.append(f"{where}: empty id")
            elif q["id"] in seen:
                problems.append(f"{where}: duplicate id (first on line {seen[q['id']]})")
            else:
                seen[q["id"]] = lineno
        if isinstance(q.get("question"), str) and not q["question"].strip():
            problems.append(f"{where}: empty question")

        kind = q.get("kind")
        if kind not in KINDS:
            problems.append(f"{where}: invalid kind {kind!r}")
        else:
            by_kind[kind] += 1
        if isinstance(q.get("split"), str):
            by_split[q["split"]] += 1
            by_split_kind[(q["split"], kind)] += 1

        sources = q.get("sources") if isinstance(q.get("sources"), list) else []
        evidence = q.get("evidence") if isinstance(q.get("evidence"), list) else []
        must = q.get("must_include", []) if isinstance(q.get("must_include", []), list) else []
        answerable = q.get("answerable", True)

        for s in sources:
            if not isinstance(s, str):
                problems.append(f"{where}: source {s!r} is not a string")
            elif s not in docs:
                problems.append(f"{where}: unknown source document {s!r}")
        if len(set(map(str, sources))) != len(sources):
            problems.append(f"{where}: duplicate entries in sources")
        src_docs = [docs[s] for s in sources if isinstance(s, str) and s in docs]

        if kind == "negative" or answerable is False:
            if kind != "negative":
                problems.append(f"{where}: answerable false but kind is {kind!r}")
            if answerable is not False:
                problems.append(f"{where}: negative item must have answerable: false")
            if sources:
                problems.append(f"{where}: negative item must have empty sources")
            if evidence:
                problems.append(f"{where}: negative item must have empty evidence")
            if must:
                problems.append(f"{where}: negative item should not have must_include")
        else:
            if not sources:
                problems.append(f"{where}: answerable item without sources")
            if not evidence:
                problems.append(f"{where}: answerable item without evidence")

        if kind == "compare" and len(sources) < 2:
            problems.append(f"{where}: compare item should name at least two sources")

        if kind == "draft":
            prop = q.get("proposal")
            if not isinstance(prop, dict):
                problems.append(f"{where}: draft item needs a proposal object")
            else:
                for key in PROPOSAL_KEYS:
                    if not isinstance(prop.get(key), str) or not prop[key].strip():
                        problems.append(f"{where}: proposal.{key} missing or empty")
        elif "proposal" in q:
            problems.append(f"{where}: proposal given on a non-draft item")

        # every evidence string must be found in at least one source document
        doc_hits: set[int] = set()
        for ev in evidence:
            if not isinstance(ev, str):
                problems.append(f"{where}: evidence {ev!r} is not a string")
                continue
            n_evidence += 1
            if len(ev) < MIN_EVIDENCE:
                problems.append(f"{where}: evidence shorter than {MIN_EVIDENCE} chars: {ev!r}")
            if ev != collapse(ev) or ev != ev.strip():
                problems.append(f"{where}: evidence has uncollapsed/edge whitespace: {ev!r}")
            hits = [i for i, d in enumerate(src_docs) if collapse(ev) in d]
            if not hits:
                problems.append(f"{where}: evidence not found in sources: {ev!r}")
            doc_hits.update(hits)
            content = ev
            for phrase in BOILERPLATE:
                content = content.replace(phrase, "")
            if len(re.sub(r"[\W_]", "", content)) < MIN_CONTENT:
                problems.append(f"{where}: evidence is boilerplate, not specific: {ev!r}")
            elsewhere = [d for d, text in docs.items() if collapse(ev) in text]
            if len(elsewhere) > 1:
                shared_evidence.append(f"{qid}: {ev!r} in {len(elsewhere)} documents")
        if kind == "compare" and src_docs and len(doc_hits) < len(src_docs):
            problems.append(f"{where}: some compare source has no evidence string")

        for m in must:
            if not isinstance(m, str) or not m.strip():
                problems.append(f"{where}: bad must_include entry {m!r}")
                continue
            if not any(collapse(m) in d for d in src_docs):
                problems.append(f"{where}: must_include not found in sources: {m!r}")

        for s in sources:
            if isinstance(s, str):
                by_doc[s] += 1
                by_doc_kind.setdefault(s, Counter())[kind] += 1

    n = len(items)
    print(f"questions file: {questions}")
    print(f"corpus:         {corpus_dir} ({len(docs)} documents)")
    print(f"items: {n}   evidence strings: {n_evidence}")
    print("by kind:")
    for k in sorted(KINDS):
        print(f"  {k:9s} {by_kind.get(k, 0):3d}")
    if extra_keys:
        print("extra keys (allowed): " + ", ".join(f"{k} ×{c}" for k, c in sorted(extra_keys.items())))
    if by_split:
        print("by split:")
        for sp in sorted(by_split):
            detail = ", ".join(f"{k} {by_split_kind[(sp, k)]}" for k in sorted(KINDS) if by_split_kind[(sp, k)])
            print(f"  {sp:9s} {by_split[sp]:3d}  ({detail})")
    print("by document (items naming it as a source; per kind):")
    for d in sorted(docs):
        detail = ", ".join(f"{k} {c}" for k, c in sorted(by_doc_kind.get(d, Counter()).items()))
        print(f"  {d:48s} {by_doc.get(d, 0):3d}  ({detail})")
    uncovered = [d for d in sorted(docs) if by_doc.get(d, 0) == 0]
    if uncovered:
        print(f"note: documents without any question: {uncovered}")
    if shared_evidence:
        print(f"note: {len(shared_evidence)} evidence string(s) occur in more than one corpus document:")
        for line in shared_evidence:
            print(f"  {line}")

    if problems:
        print(f"\n{len(problems)} problem(s):", file=sys.stderr)
        for p in problems:
            print(f"  - {p}", file=sys.stderr)
        return 1
    print("\nOK: no problems found")
    return 0


def main(argv: list[str] | None = None) -> int:
    ap = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    ap.add_argument("questions", nargs="?", type=Path, default=DEFAULT_QUESTIONS)
    ap.add_argument("--corpus", type=Path, default=None,
                    help="corpus directory (default: <repo>/corpus if present, else /work/shared/corpus)")
    args = ap.parse_args(argv)
    corpus = args.corpus or default_corpus()
    if not corpus.is_dir():
        print(f"ERROR: corpus directory {corpus} not found", file=sys.stderr)
        return 1
    return check(args.questions, corpus)


if __name__ == "__main__":
    sys.exit(main())

"""Evaluate on a question set: pure metric functions and the run that writes DIR/run.json."""

from __future__ import annotations

import hashlib
import json
import statistics
import time
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from assistant.evaluation.asks import judge_asks
from core.profile import profile
from core.text import collapse_ws, normalize_text

KINDS = ("fact", "list", "compare", "negative", "draft")
SUMMARY_KEYS = (
    "evidence_recall_at_k", "source_hit_at_k", "mrr", "must_include", "citation_validity",
    "citation_support_recall", "citation_support_precision", "judge_support_recall", "refusal_accuracy",
    "false_refusal_rate",
    "draft_structure", "draft_ask_coverage", "retrieval_ms_p50", "generation_ms_p50",
)


class QuestionSetError(ValueError):
    """A question-set file that does not follow the format; the message names the line."""


@dataclass(frozen=True)
class Passage:
    """What the metrics need to know about one retrieved passage."""

    doc_id: str
    chunk_index: int
    text: str


def norm(s: str) -> str:
    """The comparison form: the ingest's character normalisation, whitespace collapsed."""
    return collapse_ws(normalize_text(s))


def load_questions(path: Path) -> list[dict[str, Any]]:
    """Read a JSON Lines question set (blank and # lines skipped), checking the required fields."""
    items: list[dict[str, Any]] = []
    seen: set[str] = set()
    try:
        lines = path.read_text(encoding="utf-8-sig").splitlines()
    except (OSError, UnicodeDecodeError) as exc:
        raise QuestionSetError(f"{path}: cannot read ({exc})") from exc
    for n, line in enumerate(lines, 1):
        if not line.strip() or line.lstrip().startswith("#"):
            continue
        try:
            item = json.loads(line)
        except json.JSONDecodeError as exc:
            raise QuestionSetError(f"{path}:{n}: not JSON ({exc.msg})") from exc
        for key in ("id", "kind", "question", "sources", "evidence"):
            if key not in item:
                raise QuestionSetError(f"{path}:{n}: missing field {key!r}")
        if item["kind"] not in KINDS:
            raise QuestionSetError(f"{path}:{n}: kind {item['kind']!r} is not one of {', '.join(KINDS)}")
        if item["id"] in seen:
            raise QuestionSetError(f"{path}:{n}: duplicate id {item['id']!r}")
        if item["kind"] == "draft" and not isinstance(item.get("proposal"), dict):
            raise QuestionSetError(f"{path}:{n}: a draft item needs a 'proposal' object")
        seen.add(item["id"])
        items.append(item)
    if not items:
        raise QuestionSetError(f"{path}: no questions")
    return items


def query_text(item: dict[str, Any]) -> str:
    """What is searched for an item: the question, and for drafts the incoming proposal too."""
    if item.get("kind") == "draft" and isinstance(item.get("proposal"), dict):
        p = item["proposal"]
        return " ".join(str(x) for x in (p.get("title", ""), p.get("body", ""), item["question"]) if x)
    return str(item["question"])


# -- retrieval metrics (pure) -------------------------------------------------------------------------
def _contains(evidence: str, passages: Sequence[Passage]) -> bool:
    """Inside one passage, or across two passages adjacent in the same document."""
    texts = {(p.doc_id, p.chunk_index): norm(p.text) for p in passages}
    if any(evidence in t for t in texts.values()):
        return True
    for (doc, idx), t in texts.items():
        nxt = texts.get((doc, idx + 1))
        if nxt is not None and (evidence in f"{t}{nxt}" or evidence in f"{t} {nxt}"):
            return True
    return False


def evidence_recall(evidence: Sequence[str], passages: Sequence[Passage], k: int) -> float | None:
    """Share of evidence strings found in the top-k passages; None when the item has none."""
    ev = [norm(e) for e in evidence if e.strip()]
    if not ev:
        return None
    top = list(passages[:k])
    return sum(_contains(e, top) for e in ev) / len(ev)


def source_hit(sources: Sequence[str], passages: Sequence[Passage], k: int) -> float | None:
    """Share of expected source documents among the top-k passages' documents."""
    if not sources:
        return None
    got = {p.doc_id for p in passages[:k]}
    return sum(s in got for s in sources) / len(sources)


def reciprocal_rank(evidence: Sequence[str], passages: Sequence[Passage]) -> float | None:
    """1/rank of the first passage holding any evidence string whole; 0 when none does."""
    ev = [norm(e) for e in evidence if e.strip()]
    if not ev:
        return None
    for rank, p in enumerate(passages, 1):
        t = norm(p.text)
        if any(e in t for e in ev):
            return 1.0 / rank
    return 0.0


def mean(values: Sequence[float | None]) -> float | None:
    vals = [v for v in values if v is not None]
    return sum(vals) / len(vals) if vals else None


def percentile(values: Sequence[float], q: float) -> float | None:
    if not values:
        return None
    if len(values) == 1:
        return float(values[0])
    return float(statistics.quantiles(sorted(values), n=100, method="inclusive")[int(q) - 1])


def file_sha256(path: Path) -> str:
    return hashlib.sha256(path.read_bytes()).hexdigest()


# -- the retrieval-only run -------------------------------------------------------------------------
def retrieval_metrics(item: dict[str, Any], passages: list[Passage], k: int) -> dict[str, float | None]:
    return {
        "evidence_recall_at_k": evidence_recall(item.get("evidence", []), passages, k),
        "source_hit_at_k": source_hit(item.get("sources", []), passages, k),
        "mrr": reciprocal_rank(item.get("evidence", []), passages[:k]),
    }


def summarise(rows: list[dict[str, Any]], k: int) -> dict[str, Any]:
    out: dict[str, Any] = {"n": len(rows), "k": k}
    for key in SUMMARY_KEYS:
        out[key] = mean([r["metrics"].get(key) for r in rows])
    out["retrieval_ms_p50"] = percentile([r["retrieval_ms"] for r in rows if "retrieval_ms" in r], 50)
    out["retrieval_ms_p95"] = percentile([r["retrieval_ms"] for r in rows if "retrieval_ms" in r], 95)
    return out


def run_retrieval_eval(
    items: list[dict[str, Any]],
    search: Callable[[str, int, str], list[dict[str, Any]]],
    k: int,
    modes: Sequence[str] = ("dense", "bm25", "hybrid"),
    progress: bool = True,
) -> dict[str, Any]:
    """Evaluate each retrieval mode; `search(query, k, mode)` returns passage dicts best first."""
    from tqdm import tqdm

    by_mode: dict[str, list[dict[str, Any]]] = {m: [] for m in modes}
    for item in tqdm(items, desc="eval", unit="q", disable=not progress):
        for mode in modes:
            t0 = time.perf_counter()
            hits = search(query_text(item), k, mode)
            ms = (time.perf_counter() - t0) * 1000
            passages = [Passage(h["doc_id"], int(h["chunk_index"]), h["text"]) for h in hits]
            by_mode[mode].append({
                "id": item["id"], "kind": item["kind"], "question": item["question"], "answer": None,
                "citations": [], "retrieved": [h["label"] for h in hits], "retrieval_ms": round(ms, 2),
                "metrics": retrieval_metrics(item, passages, k),
            })
    result: dict[str, Any] = {"retrieval": {}}
    for mode, rows in by_mode.items():
        result["retrieval"][mode] = {
            "summary": summarise(rows, k),
            "by_kind": {kd: summarise([r for r in rows if r["kind"] == kd], k)
                        for kd in KINDS if any(r["kind"] == kd for r in rows)},
        }
    main = "hybrid" if "hybrid" in by_mode else modes[0]
    result["summary"] = result["retrieval"][main]["summary"]
    result["by_kind"] = result["retrieval"][main]["by_kind"]
    result["questions"] = by_mode[main]
    return result


def write_run(out_dir: Path, run: dict[str, Any]) -> Path:
    out_dir.mkdir(parents=True, exist_ok=True)
    path = out_dir / "run.json"
    tmp = path.with_suffix(".json.tmp")
    tmp.write_text(json.dumps(run, ensure_ascii=False, indent=2), encoding="utf-8")
    tmp.replace(path)
    return path


# -- answers and drafts ------------------------------------------------------------------------------------
def must_include(strings: Sequence[str], text: str) -> float | None:
    """Share of required strings present in the text (normalised like the corpus)."""
    if not strings:
        return None
    t = norm(text)
    return sum(norm(s) in t for s in strings) / len(strings)


def citation_validity(total: int, valid: int) -> float | None:
    return valid / total if total else None


def support_figures(report: Any) -> tuple[float | None, float | None]:
    """ALCE-style citation recall and precision over the claims of a checked text.

    Recall: claims supported by their citations (a claim without citations is unsupported).
    Precision: a citation counts when its sentence is supported and the citation is not redundant
    (it supports the sentence alone, or the sentence loses support without it).
    """
    claims = [s for s in report.sentences if s.claim]
    if not claims:
        return None, None
    recall = sum(s.supported for s in claims) / len(claims)
    cites = [(s, n) for s in claims for n in s.cited]
    if not cites:
        return recall, None
    precise = sum(1 for s, n in cites if s.supported and n not in s.irrelevant)
    return recall, precise / len(cites)


def office_from_instruction(text: str) -> str:
    """"请以广州市工业和信息化局名义起草…" → 广州市工业和信息化局."""
    import re

    m = re.search(rf"以([\u4e00-\u9fff]{{2,30}}?(?:{profile().office_suffix}))(?:的)?(?:名义|口吻|身份)", text)
    return m.group(1) if m else ""


def answer_row(item: dict[str, Any], ans: Any, k: int, judge: Any = None) -> dict[str, Any]:
    passages = [Passage(h.meta.doc_id, h.meta.chunk_index, h.text)
                for h in ans.hits]
    m: dict[str, Any] = retrieval_metrics(item, passages, k)
    answerable = item.get("answerable", True) and item["kind"] != "negative"
    m["must_include"] = must_include(item.get("must_include", []), ans.text) if answerable else None
    m["citation_validity"] = citation_validity(ans.report.markers_total, ans.report.markers_valid)
    m["citation_support_recall"], m["citation_support_precision"] = support_figures(ans.report)
    if judge is not None:
        from assistant.answers.answer import support_texts

        m["judge_support_recall"] = judge.judge_report(ans.report, support_texts(ans.passages))
    m["refusal_accuracy"] = float(ans.refused) if not answerable else None
    m["false_refusal_rate"] = float(ans.refused) if answerable else None
    m["unsupported_sentences"] = len(ans.report.unsupported)
    m["attributed_sentences"] = sum(s.attributed for s in ans.report.sentences)
    return {"id": item["id"], "kind": item["kind"], "question": item["question"], "answer": ans.text,
            "refused": ans.refused, "notice": ans.notice, "unsupported": [s.text for s in ans.report.unsupported],
            "generator": ans.generator,
            "citations": [ans.citation(n)["label"] for n in sorted({n for s in ans.report.sentences for n in s.cited})],
            "retrieved": [h.label for h in ans.hits], "retrieval_ms": round(ans.retrieval_ms, 2),
            "generation_ms": round(ans.generation_ms, 2), "metrics": m}


def draft_row(item: dict[str, Any], draft: Any, k: int, judge: Any = None) -> dict[str, Any]:
    passages = [Passage(h.meta.doc_id, h.meta.chunk_index, h.text)
                for h in draft.passages]
    m: dict[str, Any] = retrieval_metrics(item, passages, k)  # at k, like answers: the first k of the material
    m["must_include"] = must_include(item.get("must_include", []), draft.text)
    m["citation_validity"] = citation_validity(draft.report.markers_total, draft.report.markers_valid)
    m["citation_support_recall"], m["citation_support_precision"] = support_figures(draft.report)
    if judge is not None:
        from assistant.answers.answer import support_texts

        m["judge_support_recall"] = judge.judge_report(draft.report, support_texts(draft.passages))
    m["draft_structure"] = sum(draft.structure.values()) / len(draft.structure)
    m["draft_complete"] = float(draft.complete)
    # the evaluator reads coverage from the letter's text; the drafter's own ticks are kept for comparison only
    asks = [a.ask for a in draft.asks]
    judged = judge_asks(draft.text, asks)
    m["draft_ask_coverage"] = sum(judged) / len(judged) if judged else None
    m["draft_ask_claimed"] = sum(a.found for a in draft.asks) / len(draft.asks) if draft.asks else None
    m["draft_ask_coverage_material"], m["draft_honest_blanks"] = material_coverage(
        asks, judged, item.get("asks_without_material", []))
    m["unsupported_sentences"] = len(draft.report.unsupported)
    return {"id": item["id"], "kind": item["kind"], "question": item["question"], "answer": draft.text,
            "refused": False, "notice": draft.notice, "citations": [s["label"] for s in draft.sources()],
            "unsupported": [s.text for s in draft.report.unsupported],
            "retrieved": [h.label for h in draft.passages], "structure": draft.structure,
            "asks": [{"ask": a.ask, "found": j, "claimed": a.found} for a, j in zip(draft.asks, judged, strict=True)],
            "generator": draft.generator,
            "retrieval_ms": round(draft.retrieval_ms, 2), "generation_ms": round(draft.generation_ms, 2), "metrics": m}


def material_coverage(asks: list[str], found: list[bool], without: list[str]) -> tuple[float | None, float | None]:
    """Ask coverage apart for the asks the archive holds material on, and for those it does not (listed by the
    question set, each checked by hand): an ask without material is answered honestly by a blank, not found.

    Returns (share found among asks with material, share left blank among asks without)."""
    def lacks(ask: str) -> bool:
        a = normalize_text(ask)
        return any(normalize_text(w) in a or a in normalize_text(w) for w in without)

    has = [f for a, f in zip(asks, found, strict=True) if not lacks(a)]
    lack = [not f for a, f in zip(asks, found, strict=True) if lacks(a)]
    return (sum(has) / len(has) if has else None), (sum(lack) / len(lack) if lack else None)


def summarise_full(rows: list[dict[str, Any]], k: int) -> dict[str, Any]:
    out = summarise(rows, k)
    out["draft_complete"] = mean([r["metrics"].get("draft_complete") for r in rows])
    out["draft_ask_coverage_material"] = mean([r["metrics"].get("draft_ask_coverage_material") for r in rows])
    out["draft_honest_blanks"] = mean([r["metrics"].get("draft_honest_blanks") for r in rows])
    out["generation_ms_p50"] = percentile([r["generation_ms"] for r in rows if "generation_ms" in r], 50)
    out["generation_ms_p95"] = percentile([r["generation_ms"] for r in rows if "generation_ms" in r], 95)
    out["unsupported_sentences"] = sum(int(r["metrics"].get("unsupported_sentences") or 0) for r in rows)
    return out


def eval_item(item: dict[str, Any], assistant: Any, drafter: Any, k: int, generator: str,
              judge: Any = None) -> dict[str, Any]:
    """One item answered (or, for `draft`, drafted) and measured: a row of run.json's `questions`."""
    from assistant.letters.model import DraftRequest, Proposal

    if item["kind"] == "draft":
        office = office_from_instruction(item["question"]) or office_of_sources(assistant, item)
        req = DraftRequest(Proposal.from_dict(item["proposal"]), office, instructions=item["question"])
        row = draft_row(item, drafter.draft(req, generator), k, judge)
    else:
        row = answer_row(item, assistant.ask(item["question"], k=k, generator=generator), k, judge)
    if item.get("split"):  # tuned / held_out: figures are reported for each apart
        row["split"] = str(item["split"])
    return row


def generator_label(requested: str, rows: list[dict[str, Any]]) -> tuple[str, dict[str, int]]:
    """What actually produced a run's answers: a run that asked for the model but got offline answers for most
    items (the model failed, the fallback answered) is not labelled llm; the counts say how many each."""
    if requested != "llm":
        return requested, {}
    by_model = sum(1 for r in rows if str(r.get("generator", "")).startswith("llm"))
    counts = {"answered_by_model": by_model, "fell_back_offline": len(rows) - by_model}
    return ("llm" if by_model * 2 > len(rows) else f"offline (model answered {by_model} of {len(rows)})"), counts


def build_run(rows: list[dict[str, Any]], k: int) -> dict[str, Any]:
    """summary, by_kind and questions, as QUESTION_SET.md describes run.json."""
    return {
        "summary": summarise_full(rows, k),
        "by_kind": {kd: summarise_full([r for r in rows if r["kind"] == kd], k)
                    for kd in KINDS if any(r["kind"] == kd for r in rows)},
        **({"by_split": {sp: summarise_full([r for r in rows if r.get("split") == sp], k)
                         for sp in sorted({str(r["split"]) for r in rows if r.get("split")})}}
           if any(r.get("split") for r in rows) else {}),
        "questions": rows,
    }


def run_eval(items: list[dict[str, Any]], assistant: Any, drafter: Any, k: int, generator: str,
             progress: bool = True, judge: Any = None) -> dict[str, Any]:
    """Answer every question (draft every `draft` item) and measure; the summary follows QUESTION_SET.md."""
    from tqdm import tqdm

    rows = [eval_item(item, assistant, drafter, k, generator, judge)
            for item in tqdm(items, desc="eval", unit="q", disable=not progress)]
    if judge is not None:
        judge.save()
    return build_run(rows, k)


def office_of_sources(assistant: Any, item: dict[str, Any]) -> str:
    records = assistant.services.store.doc_records()
    for src in item.get("sources", []):
        if office := records.get(src, {}).get("office"):
            return str(office)
    return "【答复单位待填写】"

"""Reports and run comparison: pure functions on hand-made runs; the judge against a loopback server."""

from __future__ import annotations

import copy
import json
import re
from pathlib import Path

import pytest

from assistant.evaluation.report import (
    compare_runs,
    question_score,
    regressions,
    render_html,
    render_markdown,
)

REPO = Path(__file__).resolve().parent.parent


def run_with(answer: str = "广州累计培育248家[1]。", must: float = 1.0, recall: float = 1.0) -> dict:
    q = {"id": "q1", "kind": "fact", "question": "广州有多少家？", "answer": answer, "refused": False,
         "retrieval_ms": 12.0, "generation_ms": 1.0,
         "metrics": {"evidence_recall_at_k": recall, "must_include": must, "citation_validity": 1.0,
                     "citation_support_recall": 1.0}}
    q2 = {"id": "q2", "kind": "negative", "question": "深圳？", "answer": "没有", "refused": True,
          "retrieval_ms": 10.0, "generation_ms": 0.5, "metrics": {"refusal_accuracy": 1.0}}
    summary = {"n": 2, "k": 8, "evidence_recall_at_k": recall, "must_include": must, "citation_validity": 1.0,
               "citation_support_recall": 1.0, "refusal_accuracy": 1.0, "draft_structure": None,
               "retrieval_ms_p50": 11.0, "generation_ms_p50": 0.8}
    return {"config": {"question_set_sha256": "abc", "generator": "offline", "embedder": "e"},
            "summary": summary, "by_kind": {"fact": dict(summary), "negative": {"n": 1, "refusal_accuracy": 1.0}},
            "questions": [q, q2]}


def test_question_score_is_the_mean_of_primary_figures() -> None:
    assert question_score(run_with(must=0.5)["questions"][0]) == pytest.approx((1 + 0.5 + 1 + 1) / 4)
    assert question_score({"metrics": {}}) is None


def test_compare_lists_worse_questions_first_with_both_answers() -> None:
    before, after = run_with(), run_with(answer="广州累计培育24家[1]。", must=0.0)
    cmp = compare_runs(after, before)
    assert [c["id"] for c in cmp["worse"]] == ["q1"] and cmp["better"] == []
    assert cmp["worse"][0]["previous_answer"].startswith("广州累计培育248家")
    assert cmp["summary"]["must_include"] == pytest.approx(-1.0)
    assert cmp["same_question_set"] is True


def test_regressions_respect_the_tolerance() -> None:
    base = run_with()["summary"]
    assert regressions(run_with(recall=0.985)["summary"], base) == []  # 1.5 points: within 2
    out = regressions(run_with(recall=0.97)["summary"], base)
    assert len(out) == 1 and out[0].startswith("evidence_recall_at_k")
    missing = dict(run_with()["summary"], citation_validity=None)
    assert any(r.startswith("citation_validity") for r in regressions(missing, base))


def test_markdown_report_has_summary_deltas_and_worse_questions() -> None:
    md = render_markdown(run_with(must=0.0), run_with())
    assert "# 评测报告" in md and "必含要点" in md and "▼ -1.000 ⚠" in md
    assert "## 变差的题目（1）" in md and "| 上次 | 本次 |" in md


def test_html_report_is_self_contained_and_escapes_answers() -> None:
    evil = run_with(answer="<script>alert(1)</script><img src=http://x.invalid/a.png>", must=0.0)
    page = render_html(evil, run_with())
    assert page.startswith("<!doctype html>") and "<svg" in page
    assert "<script" not in page and "<img" not in page and "&lt;script&gt;" in page
    assert not re.search(r"<[a-z][^<>]*\s(src|href)\s*=", page)  # no element fetches or links anything
    assert "变差的题目" in page


def test_committed_baseline_is_a_full_offline_run() -> None:
    base = json.loads((REPO / "eval" / "baseline.json").read_text(encoding="utf-8"))
    assert base["config"]["generator"] == "offline" and len(base["config"]["question_set_sha256"]) == 64
    for key in ("evidence_recall_at_k", "citation_validity", "citation_support_recall", "must_include",
                "refusal_accuracy", "draft_structure"):
        assert isinstance(base["summary"][key], float), key


def test_judge_verdicts_are_cached(tmp_path: Path) -> None:
    from assistant.evaluation.judge import Judge
    from assistant.evidence.cite import check
    from core.settings import Settings
    from tests.fake_openai import FakeOpenAI

    with FakeOpenAI() as srv:
        settings = Settings(data_dir=tmp_path, judge_base_url=srv.base_url, judge_api_key="sk-judge-xyz123456",
                            judge_model="judge-1", llm_max_retries=0)
        passages = ["全市累计已培育专精特新“小巨人”企业248家。", "揭阳共认定高层次人才9361人。"]
        report = check("广州培育小巨人企业248家[1]。揭阳认定高层次人才9361人[2]。没有出处的一句长长的话在这里。", passages)
        srv.script("支持", "不支持")
        judge = Judge(settings)
        assert judge.judge_report(report, passages) == pytest.approx(1 / 3)
        assert judge.asked == 2 and len(srv.requests) == 2
        assert "248家" in srv.requests[0]["json"]["messages"][-1]["content"]
        judge.save()
        again = Judge(settings)  # a new process: verdicts come from the cache, nothing is asked
        assert again.judge_report(report, passages) == pytest.approx(1 / 3)
        assert again.asked == 0 and len(srv.requests) == 2
        assert "sk-judge" not in (tmp_path / "cache" / "judge-verdicts.json").read_text(encoding="utf-8")


def test_judge_failure_is_not_a_verdict(tmp_path: Path) -> None:
    from assistant.evaluation.judge import Judge
    from assistant.evidence.cite import check
    from core.settings import Settings
    from tests.fake_openai import FakeOpenAI, Reply

    with FakeOpenAI() as srv:
        settings = Settings(data_dir=tmp_path, judge_base_url=srv.base_url, judge_model="j", llm_max_retries=0)
        srv.script(Reply(status=500))
        judge = Judge(settings)
        report = check("广州培育小巨人企业248家[1]。", ["全市累计已培育专精特新“小巨人”企业248家。"])
        assert judge.judge_report(report, ["全市累计已培育专精特新“小巨人”企业248家。"]) is None
        assert judge.errors == 1 and judge.cache == {}


def test_baseline_copy_is_unchanged_by_comparison() -> None:
    base = run_with()
    frozen = copy.deepcopy(base)
    compare_runs(run_with(must=0.2), base)
    assert base == frozen


def test_every_grouped_figure_has_a_meaning_and_a_goal() -> None:
    from assistant.evaluation.report import APP_LABELS, GOALS, GROUPS, MEANINGS, goal_text, meets_goal

    assert [g[0] for g in GROUPS] == ["找得到", "答得对", "不乱答", "起草"]
    keys = [k for _, _, ks in GROUPS for k in ks]
    assert all(k in MEANINGS and k in GOALS and k in APP_LABELS for k in keys)
    assert goal_text("evidence_recall_at_k") == "目标 ≥ 0.90" and goal_text("false_refusal_rate") == "目标 ≤ 0.05"
    assert meets_goal("evidence_recall_at_k", 0.93) and not meets_goal("evidence_recall_at_k", 0.5)
    assert meets_goal("false_refusal_rate", 0.0) and not meets_goal("false_refusal_rate", 0.2)
    assert meets_goal("mrr", None) is None and meets_goal("n", 3) is None and goal_text("n") == ""

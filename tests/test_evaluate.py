"""Metric functions on hand-made cases with known values, and question-set parsing."""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from assistant.evaluation.metrics import (
    Passage,
    QuestionSetError,
    evidence_recall,
    load_questions,
    mean,
    percentile,
    query_text,
    reciprocal_rank,
    source_hit,
)

P = [
    Passage("gz", 0, "全市累计已培育专精特新“小巨人”企业248家,占全省的16.23%"),
    Passage("gz", 1, "省级专精特新中小企业5847家"),
    Passage("hz", 4, "全市共四批208家国家专精特新“小巨人”"),
    Passage("hz", 5, "国高企化率已达100%。二是实施"),
]


def test_evidence_recall_counts_each_string() -> None:
    assert evidence_recall(["小巨人”企业248家", "5847家"], P, k=8) == 1.0
    assert evidence_recall(["小巨人”企业248家", "不存在的句子内容"], P, k=8) == 0.5
    assert evidence_recall(["5847家"], P, k=1) == 0.0  # outside the top-1


def test_evidence_split_across_adjacent_passages_counts() -> None:
    assert evidence_recall(["小巨人”国高企化率已达100%"], P, k=8) == 1.0
    # not adjacent (different documents) does not count
    assert evidence_recall(["5847家全市共四批"], P, k=8) == 0.0


def test_evidence_is_normalised_like_ingest() -> None:
    # full-width punctuation and extra spaces in the evidence match the NFKC'd passage text
    assert evidence_recall(["占全省的16.23％"], P, k=8) == 1.0
    assert evidence_recall(["企业248家，占全省"], P, k=8) == 1.0


def test_no_evidence_means_not_applicable() -> None:
    assert evidence_recall([], P, 8) is None
    assert reciprocal_rank([], P) is None
    assert source_hit([], P, 8) is None


def test_reciprocal_rank_and_source_hit() -> None:
    assert reciprocal_rank(["208家"], P) == pytest.approx(1 / 3)
    assert reciprocal_rank(["没有的"], P) == 0.0
    assert source_hit(["gz", "hz"], P, 2) == 0.5
    assert source_hit(["gz", "hz"], P, 3) == 1.0


def test_mean_and_percentile_skip_none() -> None:
    assert mean([1.0, None, 0.0]) == 0.5
    assert mean([None]) is None
    assert percentile([1.0, 2.0, 3.0, 4.0, 100.0], 50) == 3.0
    assert percentile([], 50) is None


def test_load_questions_validates(tmp_path: Path) -> None:
    good = {"id": "a", "kind": "fact", "question": "q", "sources": [], "evidence": []}
    f = tmp_path / "q.jsonl"
    f.write_text("# comment\n\n" + json.dumps(good) + "\n", encoding="utf-8")
    assert [i["id"] for i in load_questions(f)] == ["a"]
    for bad, msg in [
        ({**good, "kind": "essay"}, "kind 'essay'"),
        ({k: v for k, v in good.items() if k != "evidence"}, "missing field 'evidence'"),
        ({**good, "kind": "draft"}, "needs a 'proposal'"),
    ]:
        f.write_text(json.dumps(bad) + "\n", encoding="utf-8")
        with pytest.raises(QuestionSetError, match=msg):
            load_questions(f)
    f.write_text(json.dumps(good) + "\n" + json.dumps(good) + "\n", encoding="utf-8")
    with pytest.raises(QuestionSetError, match="duplicate id"):
        load_questions(f)


def test_draft_query_includes_the_proposal() -> None:
    item = {"kind": "draft", "question": "请起草答复", "proposal": {"title": "关于用地的建议", "body": "建议保障用地"}}
    assert "关于用地的建议" in query_text(item) and "建议保障用地" in query_text(item)


def test_project_question_set_is_valid_and_grounded() -> None:
    from core.text import collapse_ws, normalize_text

    repo = Path(__file__).resolve().parent.parent
    items = load_questions(repo / "eval" / "questions.jsonl")
    assert len(items) >= 40
    assert {i["kind"] for i in items} == {"fact", "list", "compare", "negative", "draft"}
    corpus = {p.stem: collapse_ws(normalize_text(p.read_text(encoding="utf-8"))) for p in (repo / "corpus").glob("*.txt")}
    assert {s for i in items for s in i["sources"]} == set(corpus)
    for item in items:
        for ev in item["evidence"]:
            assert any(collapse_ws(normalize_text(ev)) in corpus[s] for s in item["sources"]), (item["id"], ev)
        if item["kind"] == "negative":
            assert item.get("answerable") is False and not item["sources"]


def test_material_coverage_keeps_asks_without_material_apart() -> None:
    from assistant.evaluation.metrics import material_coverage

    asks, found = ["增设候车亭", "增加早晚高峰班次", "加装护栏和警示标志"], [False, True, True]
    # the archive holds nothing on 候车亭 or 护栏: a blank there is honest, a "found" is not
    assert material_coverage(asks, found, ["增设候车亭", "加装护栏和警示标志"]) == (1.0, 0.5)
    assert material_coverage(asks, found, []) == (2 / 3, None)


LETTER = """王明代表：
您提出的《关于改善公交出行的建议》收悉，现答复如下：
一、工作开展情况
（一）关于增加早晚高峰公交班次
我局已在早晚高峰时段为麻天路公交线路增开班次6班[1]。
（二）关于增设候车亭
全市今年新建充电桩200个[2]。
（三）关于加装护栏和警示标志
【资料库中未找到相关材料，请承办人补充】
二、下一步工作计划
（一）下一步，我局将在急弯陡坡路段加装护栏和警示标志[3]。
此复。
"""


def test_ask_coverage_is_read_from_the_letter_not_the_drafters_ticks() -> None:
    """An ask is answered by cited sentences about it: a sentence about something else under its heading is
    not, a blank is not, a next step on it is."""
    from assistant.evaluation.asks import judge_asks

    asks = ["增加早晚高峰公交班次", "增设候车亭", "加装护栏和警示标志"]
    assert judge_asks(LETTER, asks) == [True, False, True]
    assert judge_asks(LETTER.replace("[3]", ""), asks) == [True, False, False]  # an uncited plan is no answer


def test_a_run_that_mostly_fell_back_is_not_labelled_llm() -> None:
    from assistant.evaluation.metrics import generator_label

    rows = [{"generator": "llm:m"}, {"generator": "offline"}, {"generator": "offline"}]
    assert generator_label("llm", rows) == ("offline (model answered 1 of 3)",
                                             {"answered_by_model": 1, "fell_back_offline": 2})
    assert generator_label("llm", rows[:1])[0] == "llm" and generator_label("offline", rows) == ("offline", {})

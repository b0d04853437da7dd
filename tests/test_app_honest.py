"""The honest panels: coverage ticks come from the evaluator's reading of the letter, the wording check says
what it looked at, typed text gets official punctuation."""

from __future__ import annotations

from dataclasses import dataclass, field

from app.draft_view import check_summary, coverage_lines, judged_coverage, official_punctuation
from assistant.facts.check import CheckReport, Flag


@dataclass
class _Ask:
    ask: str
    found: bool
    where: str = "own"
    cited: list[int] = field(default_factory=list)


LETTER = ("陈晓代表：\n您提出的《关于融资的建议》收悉。现答复如下：\n一、主要工作情况\n"
          "（一）关于扩大政府引导基金投资\n我局设立政府引导基金，扩大对专精特新企业的投资，累计投资30亿元。[1]\n"
          "（二）关于完善贷款风险补偿机制\n【待填写：未找到材料的诉求】\n二、下一步工作计划\n我局将继续推进。\n此复\n")


def test_a_tick_needs_the_letter_not_the_drafters_claim() -> None:
    asks = [_Ask("扩大政府引导基金对专精特新企业的投资", True), _Ask("完善贷款风险补偿机制，提高补偿比例", True)]
    assert judged_coverage(asks, LETTER) == [True, False]
    lines = coverage_lines(asks, LETTER).split("\n")
    assert lines[0].startswith("- ✓") and lines[1].startswith("- ✗")  # the drafter said found; the letter does not
    assert "不足以回答" in lines[1]
    assert coverage_lines([_Ask("完善贷款风险补偿机制", False)], LETTER).startswith("- ✗")
    assert coverage_lines([], LETTER) == ""


def test_check_summary_says_what_was_checked() -> None:
    ok = CheckReport(related=["a（同一代表）", "b（同一事项）"])
    text = "我局累计培育248家企业，投入3.5亿元。[1]\n我局将继续推进相关工作。"
    said = check_summary(ok, text)
    assert "2 句" in said and "2 个数字" in said and "2 份" in said and said.endswith("未发现问题。")
    assert "措辞规范" not in said
    bad = CheckReport(flags=[Flag("colloquial", "*我觉得*挺好", "“挺好”是口语")])
    shown = check_summary(bad, "我觉得挺好。")
    assert "0 份" in shown and "\\*" in shown and "挺好" in shown  # the draft's text is escaped


def test_typed_text_gets_official_punctuation() -> None:
    typed = "一.主要工作情况\n我局加强了工作,成效明显.[1]\n二. 下一步工作计划\n(一)继续推进.\nversion 1.2 ok"
    out = official_punctuation(typed)
    assert len(out) == len(typed)  # 1:1, so spans stay valid
    assert out.startswith("一、主要工作情况") and "\n二、 下一步" in out
    assert "我局加强了工作，成效明显。[1]" in out and "（一）继续推进。" in out
    assert "1.2" in out  # a decimal point is not a full stop


def test_track_changes_escape_the_letters_and_keep_numbers_whole() -> None:
    from app.draft_view import track_changes_html
    from assistant.casework.diff import char_pieces, diff_paragraphs, render_diff

    a, b = "一、总体\n我局<b>培育248家企业。\n删掉这段话", "一、总体\n我局<b>培育252家企业，成效明显。\n完全不同的新内容"
    assert char_pieces("培育248家", "培育252家") == [("same", "培育"), ("del", "248"), ("ins", "252"), ("same", "家")]
    assert [c.pieces for c in diff_paragraphs(a, b)][1] == [("del", "删掉这段话"), ("ins", "完全不同的新内容")]
    html = track_changes_html(a, b, "第1版", "第2版")
    assert "<b>" not in html.replace("<b>第1版", "") and "&lt;b&gt;" in html  # the letter's text is escaped
    assert '<del style="color:#c62828;text-decoration:line-through">248</del>' in html
    assert '<ins style="color:#2e7d32;text-decoration:underline">252</ins>' in html
    assert "第2段 修改" in html and "共 2 处段落变化" in html and "[-" not in html
    assert "内容相同" in track_changes_html(a, a, "第1版", "第2版")
    assert "[-248-]{+252+}" in render_diff(a, b)  # the CLI keeps its markup


def test_eval_groups_say_meaning_goal_and_mark() -> None:
    from app.eval_view import eval_groups

    groups = eval_groups({"evidence_recall_at_k": 0.93, "mrr": 0.5, "false_refusal_rate": 0.0, "refusal_accuracy": 0.8},
                         {"evidence_recall_at_k": 0.90, "false_refusal_rate": 0.05, "refusal_accuracy": 0.8001})
    assert [g["title"] for g in groups] == ["找得到", "答得对", "不乱答", "起草"]
    recall, mrr = groups[0]["figures"]
    assert (recall["value"], recall["goal"], recall["delta"]) == ("0.93", "目标 ≥ 0.90", "+0.03")
    assert "达标" in recall["mark"] and "未达标" in mrr["mark"] and recall["meaning"]
    false_refusal = groups[2]["figures"][1]
    assert "达标" in false_refusal["mark"] and false_refusal["delta_color"] == "inverse"
    assert false_refusal["delta"] == "-0.05"  # lower is better: shown green by st.metric's inverse colouring
    # unchanged at the shown precision: "持平", grey, no arrow (not a red "↑ +0.00")
    same = groups[2]["figures"][0]
    assert (same["delta"], same["delta_color"], same["delta_arrow"]) == ("持平", "off", "off")
    assert mrr["delta"] is None and mrr["delta_arrow"] == "auto"  # not measured before: no change shown
    assert groups[1]["figures"][0]["value"] == "—" and groups[1]["figures"][0]["mark"] == "—"

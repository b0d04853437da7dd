"""Intake of proposal files and co-handling opinions (assistant/intake.py, core/domain/intake.toml)."""

from __future__ import annotations

import re
from pathlib import Path

import pytest

from assistant.casework.intake import IntakeError, parse_proposal_text, read_proposal
from assistant.casework.opinions import opinion_hits, parse_opinion_text, read_opinion, same_office
from assistant.letters.asks import addresses
from core.profile import profile

REPO = Path(__file__).resolve().parent.parent
DATA = REPO / "tests" / "data" / "intake"
PROPOSALS = REPO / "eval" / "proposals"


def test_the_measured_set_meets_the_bar() -> None:
    """Field accuracy ≥ 0.9 and asks F1 ≥ 0.8 on eval/proposals (txt, two .docx layouts, a rendered scan)."""
    import sys

    sys.path.insert(0, str(REPO))
    from benchmarks.bench_intake import run

    r = run(PROPOSALS / "truth.json")
    assert r["files"] >= 10
    assert r["field_accuracy"] >= 0.9, r["rows"]
    assert r["asks_f1"] >= 0.8, r["rows"]
    assert r["not_proposals_refused"] == r["not_proposals"]


def test_dongguan_corpus_file_reads_the_proposal_part_only() -> None:
    p = read_proposal(REPO / "corpus" / "dongguan-2023-zx20230368-proposal-and-replies.txt")
    assert p.number == "20230368" and p.proposers == ["民建市委会"] and p.proposer == "民建市委会"
    assert p.body_kind == "政协" and len(p.asks) == 3 and p.asks[0].startswith("构建完善的培育体系")
    assert len(p.problems) == 6 and "收悉" not in p.body  # the replies after the proposal are not its body


def test_joint_proposal_puts_the_lead_first_and_names_the_letter_addressee() -> None:
    p = parse_proposal_text("清远市第八届人民代表大会第三次会议\n第15号\n关于提升农村公路养护水平的建议\n"
                            "提出人：林晓、黄志强（领衔）、周敏\n内容：\n建议如下：\n1. 将养护资金纳入预算。\n"
                            "2. 推行路长制。\n")
    assert p.proposers == ["黄志强", "林晓", "周敏"]
    assert p.proposer == "黄志强等代表" and p.to_proposal().kind_name == "建议"
    assert p.session == "清远市第八届人民代表大会第三次会议" and p.number == "15"


def test_member_and_number_with_letters_and_dashes() -> None:
    p = parse_proposal_text("政协某市第十届委员会第一次会议\n提案编号：DH-0271\n案由：关于X的提案\n提案人：刘芳委员\n"
                            "办法：\n1.设立风险补偿资金池。\n2.扩大融资担保规模。\n")
    assert p.number == "DH-0271" and p.proposers == ["刘芳"] and p.proposer == "刘芳委员" and p.body_kind == "政协"
    assert p.asks == ["设立风险补偿资金池", "扩大融资担保规模"]


def test_problems_are_told_apart_from_asks() -> None:
    p = parse_proposal_text("关于加快发展低空经济的建议\n建议人：王明\n目前仍存在以下问题：一是审批流程复杂；二是场地不足。\n"
                            "为此，建议：\n一是简化审批流程。二是建设起降点。\n")
    assert p.asks == ["简化审批流程", "建设起降点"] and p.problems == ["审批流程复杂", "场地不足"]
    q = parse_proposal_text("关于X的建议\n建议人：王明\n（一）企业融资渠道单一，缺乏抵押物。\n（二）加大信贷投放力度。\n"
                            "（三）设立风险补偿资金。\n")
    assert q.asks == ["加大信贷投放力度", "设立风险补偿资金"] and q.problems == ["企业融资渠道单一，缺乏抵押物"]


def test_ask_sentences_without_a_list() -> None:
    p = parse_proposal_text("关于X的建议\n建议人：赵磊\n老旧小区充电难。建议将充电设施纳入改造内容。希望消防部门加强巡查。\n")
    assert p.asks == ["将充电设施纳入改造内容", "希望消防部门加强巡查"]


def test_offices_from_a_handling_field_and_a_table_row() -> None:
    p = parse_proposal_text("关于支持企业出海的提案\n承办单位：主办：东莞市金融工作局；会办：东莞市财政局、东莞市工业和信息化局\n"
                            "提案人 | 陈建国 | 附议人 | 孙丽、郑浩\n建议：\n1.甲乙丙丁。\n2.戊己庚辛。\n")
    assert p.lead_office == "东莞市金融工作局" and p.co_offices == ["东莞市财政局", "东莞市工业和信息化局"]
    assert p.proposers == ["陈建国", "孙丽", "郑浩"] and p.proposer == "陈建国等委员"


@pytest.mark.parametrize("path", ["corpus/guangzhou-2024-rd20242679-reply.txt", "corpus/qingyuan-2024-implementation-plan.txt",
                                  "eval/corpora/dev/weihai-2024-gxj-notice.txt", "tests/data/intake/opinion-gxj.txt"])
def test_a_file_that_is_not_a_proposal_is_refused(path: str) -> None:
    with pytest.raises(IntakeError, match="不是一份建议或提案"):
        read_proposal(REPO / path)


def test_an_unreadable_file_is_refused_with_its_name(tmp_path: Path) -> None:
    with pytest.raises(IntakeError, match=r"broken.docx：无法读取"):
        read_proposal(DATA / "broken.docx")
    empty = tmp_path / "empty.txt"
    empty.write_text("", encoding="utf-8")
    with pytest.raises(IntakeError):
        read_proposal(empty)


def test_opinion_office_date_points_and_hits() -> None:
    o = read_opinion(DATA / "opinion-gxj.txt")
    assert o.office == "东莞市工业和信息化局" and o.date == "2024-05-10" and o.to_office == "东莞市金融工作局"
    assert len(o.points) == 2 and "联系人" not in "".join(o.points)
    hits = opinion_hits(o)
    assert all(h.metadata["office"] == o.office and h.metadata["opinion"] for h in hits)
    assert hits[0].text.startswith("我局已将212家") and "上市后备资源库" in hits[0].metadata["heading_path"]
    assert addresses("建立专精特新企业上市后备资源库，对拟上市企业给予分阶段奖励",
                     hits[0].metadata["heading_path"] + hits[0].text) >= 0.3
    assert addresses("扩大政府性融资担保业务规模", hits[0].text) < 0.3


@pytest.mark.parametrize(("name", "message"), [("opinion-unknown.txt", "不是可识别的机关单位"),
                                               ("opinion-unsigned.txt", "无法识别出具会办意见的单位")])
def test_an_opinion_from_an_unknown_office_is_refused(name: str, message: str) -> None:
    with pytest.raises(IntakeError, match=message):
        read_opinion(DATA / name)


def test_opinion_without_a_list_keeps_its_sentences() -> None:
    o = parse_opinion_text("某市财政局：\n经研究，我局同意加大融资担保支持。我局将安排资金1亿元。\n东莞市财政局\n2024年5月1日\n")
    assert o.office == "东莞市财政局" and len(o.points) == 2


def test_same_office_reads_short_forms_and_aliases() -> None:
    assert same_office("东莞市科学技术局", "市科学技术局")
    assert same_office("东莞市财政局", "东莞市财政局")
    assert not same_office("东莞市财政局", "东莞市工业和信息化局")


def test_every_intake_cue_pattern_reads_its_example() -> None:
    cues = profile().section("intake_cues")
    examples = {"ask_section": ["为此,建议:", "二、对策建议", "建议如下:", "办法:"],
                "problem_section": ["一、存在问题", "目前仍存在以下问题:", "存在的主要问题:"],
                "session_patterns": ["政协东莞市第十四届委员会第二次会议", "广州市第十六届人民代表大会第四次会议",
                                     "市十六届人大三次会议"]}
    for key, texts in examples.items():
        for text in texts:
            assert any(re.search(p, text) for p in cues[key]), (key, text)
    labels = profile().section("intake_labels")
    assert "案由" in labels["title"] and "领衔代表" in labels["proposer"] and "附议人" in labels["co_proposers"]
    assert set(profile().section("cohandling")) >= {"acknowledgement", "opinion_acknowledgement", "opinion_closing"}


@pytest.mark.parametrize(("body", "asks"), [
    ("幸福院使用率不高。建议一是落实运营补贴，保障水电；二是引入志愿者参与服务；三是纳入对镇（街道）的考核。",
     ["落实运营补贴，保障水电", "引入志愿者参与服务", "纳入对镇（街道）的考核"]),
    ("没人管。建议：一是明确管护责任；二是每年安排管护资金。", ["明确管护责任", "每年安排管护资金"]),
    ("建议：1.加大宣传；2.给予奖励。", ["加大宣传", "给予奖励"]),
    ("为此建议：（一）加强统筹。（二）加大投入。", ["加强统筹", "加大投入"]),
    ("村小生源减少，校舍闲置。1. 摸清闲置校舍底数；2. 把闲置校舍改作幼儿园；3. 组织教师送教下乡。",
     ["摸清闲置校舍底数", "把闲置校舍改作幼儿园", "组织教师送教下乡"]),
])
def test_a_list_run_on_after_the_ask_word_is_read_by_both_parsers(body: str, asks: list[str]) -> None:
    from assistant.casework.intake import _lines
    from assistant.letters.items import extract_asks, split_asks

    assert split_asks(_lines(body))[0] == asks
    assert extract_asks(body) == asks


_BODY = "我市专精特新企业数量不多。\n建议：\n一是加大资金支持。\n二是完善服务体系。\n"


@pytest.mark.parametrize(("head", "title", "proposers"), [
    # the title wrapped over two lines below the 领衔代表 line
    ("领衔代表：王明\n关于加快发展专精特新企业\n的建议\n", "关于加快发展专精特新企业的建议", ["王明"]),
    ("领衔代表：王明\n附议代表：李四、赵五\n关于加快发展“专精特新”企业和中小企业\n数字化转型的建议\n",
     "关于加快发展“专精特新”企业和中小企业数字化转型的建议", ["王明", "李四", "赵五"]),
    # a title line without 关于
    ("领衔代表：王明（市人大代表）\n加快发展专精特新企业的建议\n", "加快发展专精特新企业的建议", ["王明"]),
    # labels alone on their line, the value on the next (a form copied from a table)
    ("领衔代表\n王明\n关于加快发展专精特新企业的建议\n", "关于加快发展专精特新企业的建议", ["王明"]),
    ("提案人\n民盟市委会\n案由\n关于加快发展专精特新企业的提案\n", "关于加快发展专精特新企业的提案", ["民盟市委会"]),
    # a 标题 value wrapped onto the next line
    ("建议标题：关于加快发展专精特新企业\n的建议\n领衔代表：王明\n", "关于加快发展专精特新企业的建议", ["王明"]),
])
def test_title_after_the_lead_proposer_line_is_kept(head: str, title: str, proposers: list[str]) -> None:
    p = parse_proposal_text(head + _BODY)
    assert (p.title, p.proposers) == (title, proposers)
    assert p.asks == ["加大资金支持", "完善服务体系"]
    assert title[-6:] not in p.body  # the title's lines are not the body


def test_a_sentence_ending_in_suggestion_is_not_a_title() -> None:
    p = parse_proposal_text("领衔代表：王明\n关于加快发展专精特新企业的建议\n"
                            "我市企业数量不多，现提出加快发展的建议。\n建议：\n一是加大资金支持。\n二是完善服务体系。\n")
    assert p.title == "关于加快发展专精特新企业的建议"


def test_a_reason_under_a_title_label_does_not_replace_the_title_line() -> None:
    """Some forms put the reason under 案由 (a title label elsewhere): a sentence there is not the title when a
    关于…的提案 line follows the 领衔代表 line."""
    p = parse_proposal_text("东莞市政协十四届二次会议\n提案\n第20240123号\n领衔代表：王明\n关于加快推进低空经济产业发展的提案\n"
                            "案由：低空经济是新质生产力的重要方向。\n建议：一是完善低空飞行服务保障体系；二是设立低空经济产业专项资金。\n"
                            "提案人：王明、李华\n")
    assert p.title == "关于加快推进低空经济产业发展的提案" and p.number == "20240123"
    assert p.asks == ["完善低空飞行服务保障体系", "设立低空经济产业专项资金"]
    wrapped = parse_proposal_text("案由：关于加快推进低空经济\n产业发展的提案\n提案人：王明\n建议：一是完善体系；二是设立专项资金。")
    assert wrapped.title == "关于加快推进低空经济产业发展的提案"  # a title under 案由 is still read as the title

"""One sentence that asks several things is several asks; a letter's sub-point takes sentences of work done,
not a page's title lines, and leaves a sentence to the later ask it speaks to more."""

from __future__ import annotations

from assistant.letters.asks import clause_asks
from assistant.letters.draft import _label_line
from assistant.letters.items import extract_asks, split_asks

FLOOD = ("今年汛期强降雨造成筒车湾镇部分村组农田堰渠垮塌、田块冲毁，群众春耕用水困难。建议县农水局尽快组织现场勘查，"
         "把受损农田纳入高标准农田提质改造项目，安排专项资金修复堰渠，并建立建后管护机制，防止年年冲毁年年修。")


def test_a_clause_opening_with_an_ask_verb_is_an_ask() -> None:
    assert extract_asks(FLOOD) == ["县农水局尽快组织现场勘查", "把受损农田纳入高标准农田提质改造项目", "安排专项资金修复堰渠",
                                   "建立建后管护机制，防止年年冲毁年年修"]
    # the intake reads the same asks
    asks, _problems = split_asks(FLOOD.split("\n"))
    assert len(asks) == 4 and asks[2] == "安排专项资金修复堰渠"


def test_a_lead_in_or_a_purpose_is_not_an_ask_of_its_own() -> None:
    assert clause_asks("建议市政府牵头，组织相关部门开展调研。") == ["建议市政府牵头，组织相关部门开展调研。"]
    assert clause_asks("建议加大对专精特新企业的支持力度，帮助企业解决融资难题。") == [
        "建议加大对专精特新企业的支持力度，帮助企业解决融资难题。"]


def test_title_and_index_lines_are_not_work_done() -> None:
    assert _label_line("对宁陕县第十九届人大二次会议")
    assert _label_line("签发日期 2023-09-07 17:16 发布日期 2023-09-07 17:16 类别 B")
    assert not _label_line("相关部门制定方案，安排专项经费，对土地进行平整，维修堰渠。")

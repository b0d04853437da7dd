"""A 分别 list read pair by pair: a claim that gives one member another member's value is not supported, though
every number it states is in the passage."""

from __future__ import annotations

from assistant.evidence import cite
from assistant.evidence.respectively import misread, pairs

PASSAGE = ("落实好市“未来工厂”奖补政策,对评定为“链主工厂”“智能工厂”和“数字化车间”的企业,"
           "分别给予不超过500万元、200万元、80万元的一次性补助。")


def test_pairs_read_names_from_the_clause_before() -> None:
    assert pairs(PASSAGE) == [[("链主工厂", "500万元"), ("智能工厂", "200万元"), ("数字化车间", "80万元")]]
    assert pairs("全市、各县分别建成3个和5个。") == [[("全市", "3个"), ("各县", "5个")]]
    assert pairs("分别寄我单位和区委督查办。") == []  # no values: no list


def test_a_member_given_anothers_value_is_misread() -> None:
    assert misread("对评定为“智能工厂”的企业给予不超过500万元的一次性补助", PASSAGE) == "500万元"
    assert misread("对评定为“智能工厂”的企业给予不超过200万元的一次性补助", PASSAGE) == ""
    assert misread(PASSAGE, PASSAGE) == ""  # the list itself, whole
    assert misread("链主工厂补助500万元,智能工厂200万元", PASSAGE) == ""


def test_the_support_check_refuses_the_misread_claim() -> None:
    wrong = cite.check("对评定为“智能工厂”的企业给予不超过500万元的一次性补助[1]。", [PASSAGE])
    right = cite.check("对评定为“智能工厂”的企业给予不超过200万元的一次性补助[1]。", [PASSAGE])
    assert not wrong.sentences[0].supported and wrong.sentences[0].missing_numbers == ["500万元"]
    assert right.sentences[0].supported

"""Pure helpers of the reply-letter drafter: asks, salutation, acknowledgement, title, structure check."""

from __future__ import annotations

import pytest

from assistant.evaluation.metrics import office_from_instruction
from assistant.letters.asks import short_ask
from assistant.letters.draft import Drafter
from assistant.letters.frame import acknowledgement, check_structure, letter_title, salutation
from assistant.letters.items import extract_asks
from assistant.letters.model import BLANK, CLOSINGS, DraftRequest, LetterFields, Proposal, blanks
from assistant.retrieval.hybrid import Hit

OFFICE = "广州市工业和信息化局"
ASKS = ["加大财政资金支持力度", "完善人才引进政策", "搭建产学研合作平台"]


# -- asks ---------------------------------------------------------------------------------------------------
@pytest.mark.parametrize(
    "body",
    [
        "一是加大财政资金支持力度；二是完善人才引进政策；三是搭建产学研合作平台。",
        "1.加大财政资金支持力度。 2.完善人才引进政策。 3.搭建产学研合作平台。",
        "1.加大财政资金支持力度；2.完善人才引进政策；3.搭建产学研合作平台。",
        "1、加大财政资金支持力度；2、完善人才引进政策；3、搭建产学研合作平台。",
        "具体建议：\n1.加大财政资金支持力度。\n2.完善人才引进政策。\n3.搭建产学研合作平台。",
        "(1)加大财政资金支持力度；(2)完善人才引进政策；(3)搭建产学研合作平台。",
        "（1）加大财政资金支持力度；（2）完善人才引进政策；（3）搭建产学研合作平台。",
        "一、加大财政资金支持力度。二、完善人才引进政策。三、搭建产学研合作平台。",
        "为此建议。一是加大财政资金支持力度；二是完善人才引进政策；三是搭建产学研合作平台。",
    ],
)
def test_extract_asks_from_numbered_items(body: str) -> None:
    assert extract_asks(body) == ASKS


def test_extract_asks_keeps_the_first_clause_of_each_item() -> None:
    body = "一是加大财政资金支持力度，提高补助标准；二是完善人才引进政策。"
    assert extract_asks(body) == ["加大财政资金支持力度，提高补助标准", "完善人才引进政策"]


def test_extract_asks_respects_the_limit() -> None:
    body = "一是加大财政资金支持；二是完善人才引进；三是搭建合作平台；四是优化营商环境。"
    assert extract_asks(body, limit=2) == ["加大财政资金支持", "完善人才引进"]
    assert len(extract_asks(body)) == 4


def test_extract_asks_from_plain_sentences_keeps_only_the_asks() -> None:
    body = ("当前我市中小企业融资难问题突出。企业普遍反映贷款成本较高。"
            "建议设立中小企业转贷应急资金，降低企业成本。希望加强政银企对接活动。")
    # the ask word is no part of the ask's label (the letter writes "关于设立…")
    assert extract_asks(body) == ["设立中小企业转贷应急资金，降低企业成本", "希望加强政银企对接活动"]


def test_extract_asks_falls_back_to_all_sentences_when_none_asks() -> None:
    body = "当前我市中小企业融资难问题突出。企业普遍反映贷款成本较高。"
    assert extract_asks(body) == ["当前我市中小企业融资难问题突出", "企业普遍反映贷款成本较高"]


@pytest.mark.parametrize("body", ["", "   ", "\n\n"])
def test_extract_asks_on_an_empty_body(body: str) -> None:
    assert extract_asks(body) == []


@pytest.mark.parametrize(
    "body",
    [
        "建议如下：一是加大财政资金支持力度；二是完善人才引进政策；三是搭建产学研合作平台。",
        "具体建议：1.加大财政资金支持力度；2.完善人才引进政策；3.搭建产学研合作平台。",
        "建议：(1)加大财政资金支持力度；(2)完善人才引进政策；(3)搭建产学研合作平台。",
    ],
)
def test_extract_asks_after_a_full_width_colon(body: str) -> None:
    assert extract_asks(body) == ASKS


def test_extract_asks_two_items_after_a_full_width_colon() -> None:
    assert extract_asks("建议：（1）加大财政资金支持力度；（2）完善人才引进政策。") == ASKS[:2]


def test_extract_asks_space_separated_numbers() -> None:
    assert extract_asks("1.加大财政资金支持力度 2.完善人才引进政策 3.搭建产学研合作平台") == ASKS


def test_extract_asks_does_not_take_zhuyao_for_an_ask() -> None:
    body = "当前我市中小企业融资难问题突出。企业融资需求主要集中在短期贷款。建议设立中小企业转贷应急资金。"
    assert extract_asks(body) == ["设立中小企业转贷应急资金"]


def test_short_ask_cuts_at_the_first_clause_and_the_limit() -> None:
    assert short_ask("加大财政资金支持力度；同时完善配套政策。") == "加大财政资金支持力度"
    assert short_ask("很" * 100) == "很" * 60
    assert short_ask("很" * 100, limit=10) == "很" * 10


# -- proposal --------------------------------------------------------------------------------------------
def test_proposal_from_dict_strips_number_and_title_marks() -> None:
    p = Proposal.from_dict({"title": "《关于加快发展专精特新企业的建议》", "number": "第20240105号",
                            "proposer": " 魏朗代表 ", "body": "正文", "asks": ["甲", 2]})
    assert p.title == "关于加快发展专精特新企业的建议"
    assert p.number == "20240105"
    assert p.proposer == "魏朗代表"
    assert p.body == "正文"
    assert p.asks == ["甲", "2"]
    assert p.kind == "" and p.kind_name == "建议"


@pytest.mark.parametrize(("raw", "number"), [("20240105", "20240105"), ("第123", "123"), ("45号", "45"), ("", "")])
def test_proposal_number_forms(raw: str, number: str) -> None:
    assert Proposal.from_dict({"title": "t", "number": raw}).number == number


def test_proposal_from_dict_with_only_a_title() -> None:
    p = Proposal.from_dict({"title": "关于X的建议"})
    assert (p.title, p.number, p.proposer, p.kind, p.body, p.asks) == ("关于X的建议", "", "", "", "", [])


@pytest.mark.parametrize(
    ("proposer", "kind", "name"),
    [("魏朗代表", "", "建议"), ("艾冬玉委员", "", "提案"), ("民建市委会", "", "提案"), ("九三学社", "", "提案"),
     ("魏朗", "", "建议"), ("魏朗", "提案", "提案"), ("艾冬玉委员", "建议", "建议")],
)
def test_kind_name(proposer: str, kind: str, name: str) -> None:
    assert Proposal("t", proposer=proposer, kind=kind).kind_name == name


# -- salutation, acknowledgement, title --------------------------------------------------------------
def test_salutation_for_a_deputy() -> None:
    assert salutation(Proposal("t", proposer="魏朗代表"), "lead", "") == "魏朗代表："


def test_salutation_adds_the_title_to_a_bare_name() -> None:
    assert salutation(Proposal("t", proposer="魏朗", kind="建议"), "lead", "") == "魏朗代表："
    assert salutation(Proposal("t", proposer="艾冬玉", kind="提案"), "lead", "") == "艾冬玉委员："


def test_salutation_leaves_a_body_unchanged() -> None:
    assert salutation(Proposal("t", proposer="民建市委会"), "lead", "") == "民建市委会："
    assert salutation(Proposal("t", proposer="艾冬玉委员"), "lead", "") == "艾冬玉委员："


def test_co_handling_opinion_is_addressed_to_the_lead_office() -> None:
    p = Proposal("t", proposer="魏朗代表")
    assert salutation(p, "co", "广州市发展和改革委员会") == "广州市发展和改革委员会："
    assert salutation(p, "co", "") == f"{BLANK}："


def test_missing_proposer_is_a_blank() -> None:
    assert salutation(Proposal("t", proposer=""), "lead", "") == f"{BLANK}："
    assert salutation(Proposal("t", proposer="  "), "lead", "") == f"{BLANK}："


def test_acknowledgement_of_a_lead_reply() -> None:
    ack = acknowledgement(Proposal("关于加快发展专精特新企业的建议", "20240105"), "lead")
    assert "《关于加快发展专精特新企业的建议》" in ack
    assert "（第20240105号）" in ack
    assert "收悉" in ack and ack.startswith("您提出的") and ack.endswith("现答复如下：")


def test_acknowledgement_of_a_co_handling_opinion() -> None:
    ack = acknowledgement(Proposal("关于X的建议", "7"), "co")
    assert ack.startswith("《关于X的建议》（第7号）收悉") and "会办意见" in ack


def test_acknowledgement_without_a_number() -> None:
    ack = acknowledgement(Proposal("关于X的建议"), "lead")
    assert "《关于X的建议》收悉" in ack and "第" not in ack


def test_letter_title() -> None:
    p = Proposal("关于加快发展专精特新企业的建议", "20240105", "魏朗代表")
    assert letter_title(DraftRequest(p, OFFICE)) == f"{OFFICE}关于第20240105号建议的答复"
    assert letter_title(DraftRequest(p, OFFICE, role="co")) == f"{OFFICE}关于第20240105号建议的会办意见"
    q = Proposal("关于X的提案", "", "艾冬玉委员")
    assert letter_title(DraftRequest(q, OFFICE)) == f"{OFFICE}关于《关于X的提案》的答复"
    assert letter_title(DraftRequest(Proposal("关于X的提案", "5", "艾冬玉委员"), OFFICE)) == f"{OFFICE}关于第5号提案的答复"


def test_draft_request_defaults() -> None:
    req = DraftRequest(Proposal("t"), OFFICE)
    assert (req.date, req.role, req.lead_office, req.instructions) == ("", "lead", "", "")
    assert req.fields == LetterFields()
    assert BLANK == "【待填写】" and "此复" in CLOSINGS and "特此函复" in CLOSINGS


# -- structure ----------------------------------------------------------------------------------------------
REQ = DraftRequest(Proposal("关于加快发展专精特新企业的建议", "20240105", "魏朗代表"), OFFICE, "2024年4月29日")
LETTER = """魏朗代表：
您提出的《关于加快发展专精特新企业的建议》（第20240105号）收悉。我们高度重视，认真研究办理，现答复如下：
一、工作开展情况
（一）关于加大资金支持
全市累计培育国家级专精特新“小巨人”企业248家[1]。
二、下一步工作计划
（一）继续加大培育力度。
感谢您对我们工作的关心和支持。
此复
广州市工业和信息化局
2024年4月29日
（联系人：【待填写】，联系电话：【待填写】）"""


def test_complete_letter_has_every_part() -> None:
    s = check_structure(LETTER, REQ)
    assert set(s) == {"salutation", "acknowledgement", "done_section", "next_section", "sub_points", "closing",
                      "office", "date", "contact"}
    assert all(s.values())


@pytest.mark.parametrize(
    ("missing", "old", "new"),
    [
        ({"salutation"}, "魏朗代表：", "魏朗代表"),
        ({"acknowledgement"}, "收悉", "收到"),
        ({"done_section"}, "一、工作开展情况", "工作开展情况"),
        ({"next_section"}, "二、下一步工作计划", "下一步工作计划"),
        ({"sub_points"}, "（一）", ""),
        ({"closing"}, "此复", "谢谢"),
        ({"office"}, "广州市工业和信息化局\n", ""),
        ({"contact"}, "\n（联系人：【待填写】，联系电话：【待填写】）", ""),
        ({"date", "contact"}, "\n2024年4月29日\n（联系人：【待填写】，联系电话：【待填写】）", ""),
    ],
)
def test_letter_missing_a_part(missing: set[str], old: str, new: str) -> None:
    assert old in LETTER
    s = check_structure(LETTER.replace(old, new), REQ)
    assert {k for k, v in s.items() if not v} == missing


def test_blank_date_line_counts_as_a_date() -> None:
    assert check_structure(LETTER.replace("2024年4月29日", "【日期待填写】"), REQ)["date"] is True
    assert check_structure(LETTER.replace("2024年4月29日", BLANK), REQ)["date"] is True


def test_letter_without_a_date_line_but_with_a_contact_line() -> None:
    s = check_structure(LETTER.replace("2024年4月29日\n", ""), REQ)
    assert s["date"] is False


def test_empty_letter_has_no_part() -> None:
    assert not any(check_structure("", REQ).values())


def test_offline_letter_layout_is_complete() -> None:
    drafter = object.__new__(Drafter)  # _assemble needs no retriever
    text = drafter._assemble(REQ, [("加大资金支持", ["全市累计培育企业248家[1]。"]), ("完善人才政策", [])],
                             ["继续加大培育力度[1]。"], "")
    assert all(check_structure(text, REQ).values())
    assert text.splitlines()[0] == "魏朗代表："
    assert "（一）关于加大资金支持" in text and "（二）关于完善人才政策" in text
    lines = text.splitlines()
    # the ask without material keeps its place, with the blank right under its sub-heading
    assert lines[lines.index("（二）关于完善人才政策") + 1] == "【资料库中未找到相关材料，请承办人补充】"
    assert blanks(text) == ["未找到材料的诉求", "联系人", "联系电话"]


# -- office from an instruction ---------------------------------------------------------------------------
@pytest.mark.parametrize(
    ("instruction", "office"),
    [
        ("请以广州市工业和信息化局名义起草答复函", "广州市工业和信息化局"),
        ("请以佛山市人民政府办公室的名义起草", "佛山市人民政府办公室"),
        ("以深圳市发展和改革委员会口吻写一份答复", "深圳市发展和改革委员会"),
        ("请起草一份答复函", ""),
    ],
)
def test_office_from_instruction(instruction: str, office: str) -> None:
    assert office_from_instruction(instruction) == office


# -- letters ready to send: punctuation, enumerators, subjects, order of citations -----------------------------
def test_to_fullwidth_is_one_to_one_and_reverses_under_nfkc() -> None:
    from core.text import normalize_text, to_fullwidth

    cases = {
        "全市共有企业3193家,专精特新企业2040家;小巨人企业110家": "全市共有企业3193家，专精特新企业2040家；小巨人企业110家",
        "(一)加强惠企政策宣贯": "（一）加强惠企政策宣贯",
        "建议:扩大投资?": "建议：扩大投资？",
        "共1,000家,时间10:30": "共1,000家，时间10:30",  # digits keep their separators
        "see (a, b) here": "see (a, b) here",  # Latin text is left alone
        "穗工信(2023)97号": "穗工信（2023）97号",
        "[1][2]": "[1][2]",
    }
    for raw, want in cases.items():
        got = to_fullwidth(raw)
        assert got == want and len(got) == len(raw) and normalize_text(got) == normalize_text(raw)


def test_drop_enumerator() -> None:
    from assistant.letters.lift import drop_enumerator

    assert drop_enumerator("三是持续实施专精特新企业培育工程") == "持续实施专精特新企业培育工程"
    assert drop_enumerator("首先,加强组织领导") == "加强组织领导"
    assert drop_enumerator("(2)落实奖补政策") == "落实奖补政策"
    assert drop_enumerator("一是") == "一是"  # nothing would be left
    assert drop_enumerator("全市共认定高层次人才9361人") == "全市共认定高层次人才9361人"


def _hit(text: str, **meta: str) -> Hit:
    return Hit("d#0", "d:1", text, dict(meta), 1.0)


def test_lift_gives_a_subject_and_keeps_the_facts() -> None:
    from assistant.letters.lift import lift

    own = _hit("四是印发《若干措施》,提出强化银行信贷供给等13条具体措施。", kind="reply", office=OFFICE)
    assert lift("四是印发《若干措施》,提出强化银行信贷供给等13条具体措施", own, OFFICE) == \
        "我局印发《若干措施》，提出强化银行信贷供给等13条具体措施"
    # the document just named is the subject of a sentence that starts with 提出
    assert lift("提出强化银行信贷供给等13条具体措施", own, OFFICE) == "《若干措施》提出强化银行信贷供给等13条具体措施"
    policy = _hit("深入推进拿地即开工模式。", kind="implementation_plan", title="清远市专精特新企业培育方案")
    assert lift("深入推进拿地即开工模式", policy, OFFICE) == "《清远市专精特新企业培育方案》提出深入推进拿地即开工模式"
    other = _hit("给予每人每年最高100万元奖励。", kind="reply", office="广州市人力资源和社会保障局")
    assert lift("给予每人每年最高100万元奖励", other, OFFICE) == "市人力资源和社会保障局给予每人每年最高100万元奖励"
    assert lift("全市共认定高层次人才9361人", own, OFFICE) == "全市共认定高层次人才9361人"


def test_renumber_in_order_of_first_use() -> None:
    from assistant.evidence.spans import renumber

    hits = [_hit(f"p{i}") for i in range(1, 8)]
    text, passages = renumber("甲[3]。乙[1][3]。丙[7]。丁[5]。穗工信[2023]97号", hits)
    assert text == "甲[1]。乙[2][1]。丙[3]。丁[4]。穗工信[2023]97号"
    assert [p.text for p in passages] == ["p3", "p1", "p7", "p5", "p2", "p4", "p6"]


class _Lex:
    def idf(self, tok: str) -> float:
        return 1.0

    def knows(self, tok: str) -> bool:
        return True


def test_ask_coverage_reads_the_whole_letter(monkeypatch: pytest.MonkeyPatch) -> None:
    import assistant.answers.question as question
    from assistant.letters.asks import ask_coverage

    monkeypatch.setattr(question, "tokenize", lambda q: [w for w in ("知识产权", "质押", "融资", "人才", "奖励") if w in q])
    letter = "\n".join(["一、工作开展情况", "（一）关于完善知识产权质押融资", "【资料库中未找到相关材料，请承办人补充】",
                        "（二）关于设立人才奖励", "【资料库中未找到相关材料，请承办人补充】", "二、下一步工作计划",
                        "（一）我局设立知识产权质押融资风险补偿基金[2]。"])
    cov = ask_coverage(letter, ["完善知识产权质押融资", "设立人才奖励"], [], _Lex())
    assert (cov[0].found, cov[0].where, cov[0].cited) == (True, "next", [2])
    assert (cov[1].found, cov[1].cited) == (False, [])


def test_a_number_typed_with_its_frame_is_not_doubled() -> None:
    p = Proposal("关于强化专精特新企业金融服务的建议", "第20240388号", "林海代表")
    assert acknowledgement(p, "lead").startswith("您提出的《关于强化专精特新企业金融服务的建议》（第20240388号）收悉")
    assert letter_title(DraftRequest(p, OFFICE)) == f"{OFFICE}关于第20240388号建议的答复"

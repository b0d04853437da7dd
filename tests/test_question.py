"""Reading a question and deciding whether retrieved passages answer it, over a tiny real BM25 index."""

from __future__ import annotations

import re
from typing import Any

import pytest

from assistant.answers.question import QuestionInfo, analyze, answer_shape, candidate_sentences, decide
from assistant.retrieval.hybrid import Hit
from assistant.retrieval.lexical import LexicalIndex
from core.places import gazetteer

TEXTS = [
    "截至2023年底，广州市累计培育国家级专精特新小巨人企业248家。",
    "2023年广州市规模以上工业企业研发投入占比达到16.23%。",
    "广州市工业和信息化局于2024年4月27日召开中小企业服务大会。",
    "佛山市推动制造业数字化转型，全年完成技术改造项目300个。",
    "佛山市出台支持中小企业融资的若干措施，设立转贷应急资金。",
    "广州市下一步将继续加大专精特新企业培育力度，力争到2025年达到300家。",
    "广州市加强产业园区建设，推进工业用地提质增效。",
]
GZ = {"province": "广东省", "city": "广州市", "office": "广州市工业和信息化局"}
FS = {"province": "广东省", "city": "佛山市", "office": "佛山市工业和信息化局"}
METAS: list[dict[str, Any]] = [
    {**GZ, "kind": "建议", "year": 2023}, {**GZ, "kind": "建议", "year": 2023}, {**GZ, "kind": "提案", "year": 2024},
    {**FS, "kind": "建议", "year": 2023}, {**FS, "kind": "提案", "year": 2023}, {**GZ, "kind": "建议", "year": 2024},
    {**GZ, "kind": "提案", "year": 2022},
]
IDS = [f"c{i}" for i in range(len(TEXTS))]
MIN_COVERAGE = 0.3  # the settings' default refusal_min_coverage
CJK = re.compile(r"[\u4e00-\u9fff]")


@pytest.fixture(scope="module")
def lex() -> LexicalIndex:
    return LexicalIndex(IDS, TEXTS, TEXTS, METAS, version="t")


@pytest.fixture(scope="module")
def cities(lex: LexicalIndex) -> list[str]:
    return list(lex.values["city"]) + list(lex.values["province"])


def hits(*idx: int) -> list[Hit]:
    return [Hit(IDS[i], f"L{i}", TEXTS[i], METAS[i], 1.0 - 0.1 * rank, rank + 1) for rank, i in enumerate(idx)]


def ask(q: str, lex: LexicalIndex, cities: list[str]) -> QuestionInfo:
    return analyze(q, cities, lex)


# -- the index and gazetteer -------------------------------------------------------------------------
def test_fixture_index_knows_its_cities(lex: LexicalIndex, cities: list[str]) -> None:
    assert cities == ["佛山市", "广州市", "广东省"]
    assert lex.values["kind"] == ["建议", "提案"]


def test_gazetteer_reads_full_short_and_official_names() -> None:
    g = gazetteer()
    assert [p.name for p in g.lookup("广州")] == ["广州市"]
    assert g.lookup("深圳市")[0].chain() == ("广东省", "深圳市", "")
    assert g.lookup("长寿区")[0].chain() == ("重庆市", "重庆市", "长寿区")
    assert g.lookup("屏边县")[0].city == "红河哈尼族彝族自治州"
    assert len(g.lookup("铁西区")) >= 3  # 沈阳, 鞍山, 四平: ambiguous on its own


# -- analyze ---------------------------------------------------------------------------------------------
@pytest.mark.parametrize(
    ("q", "kind", "numeric"),
    [
        ("广州市培育了多少家专精特新小巨人企业？", "fact", True),
        ("中小企业服务大会是哪天召开的？", "fact", True),
        ("广州市工业和信息化局的局长是谁？", "fact", False),
        ("广州市支持中小企业融资有哪些措施？", "list", False),
        ("广州和佛山分别采取了哪些措施？", "compare", False),
        ("佛山的技术改造项目与广州相比如何？", "compare", False),
        ("广州市产业园区建设的情况", "other", False),
    ],
)
def test_analyze_kind_and_numeric(q: str, kind: str, numeric: bool, lex: LexicalIndex, cities: list[str]) -> None:
    info = ask(q, lex, cities)
    assert info.kind == kind
    assert info.numeric is numeric


def test_store_city_is_named(lex: LexicalIndex, cities: list[str]) -> None:
    info = ask("广州市培育了多少家专精特新小巨人企业？", lex, cities)
    assert info.cities == ["广州市"] and info.unknown_places == []


def test_city_outside_the_store_is_unknown(lex: LexicalIndex, cities: list[str]) -> None:
    info = ask("深圳市培育了多少家小巨人企业？", lex, cities)
    assert info.cities == [] and info.unknown_places == ["深圳市"]


def test_known_and_unknown_cities_together_make_a_comparison(lex: LexicalIndex, cities: list[str]) -> None:
    info = ask("深圳和广州的小巨人企业数量", lex, cities)
    assert info.cities == ["广州市"] and info.unknown_places == ["深圳"]
    assert info.kind == "compare"


def test_a_near_miss_slot_is_refused_with_what_the_documents_say(lex: LexicalIndex, cities: list[str]) -> None:
    # right place and topic (小巨人, 广州), but no amount anywhere: "资料提到…。资料中没有给出…"
    scope = _decide("广州市对专精特新小巨人企业奖励多少钱？", lex, cities, 0, 1)
    assert scope.answerable is False and "资料中没有给出所问的金额" in scope.reason


def test_two_store_cities_keep_question_order(lex: LexicalIndex, cities: list[str]) -> None:
    assert ask("佛山和广州分别采取了哪些措施？", lex, cities).cities == ["佛山市", "广州市"]


def test_city_names_are_not_key_terms(lex: LexicalIndex, cities: list[str]) -> None:
    terms = dict(ask("广州和深圳的小巨人企业数量", lex, cities).terms)
    assert "广州" not in terms and "深圳" not in terms and "广州市" not in terms
    assert "小巨人" in terms


def test_no_fragment_of_a_city_name_is_a_key_term(lex: LexicalIndex, cities: list[str]) -> None:
    terms = dict(ask("广州市培育了多少家专精特新小巨人企业？", lex, cities).terms)
    assert not [t for t in terms if t in "广州市"]


def test_key_terms_are_weighted_by_idf(lex: LexicalIndex, cities: list[str]) -> None:
    terms = dict(ask("广州市培育了多少家专精特新小巨人企业？", lex, cities).terms)
    assert terms["小巨人"] > terms["企业"] > 0  # 企业 is in most passages, 小巨人 in one
    assert "多少" not in terms  # a stop word
    assert dict(ask("中小企业服务大会在哪里召开的？", lex, cities).terms)["哪里"] == 0.0  # unseen word
    assert "哪天" not in dict(ask("中小企业服务大会是哪天召开的？", lex, cities).terms)  # a cue word: how it asks
    assert "最新" not in dict(ask("广州最新有多少家小巨人企业？", lex, cities).terms)


@pytest.mark.parametrize(
    ("q", "years"),
    [
        ("2021年广州市培育了多少家小巨人企业？", ["2021"]),
        ("2023年和2022年广州市的研发投入占比", ["2022", "2023"]),
        ("广州市培育了多少家小巨人企业？", []),
    ],
)
def test_years(q: str, years: list[str], lex: LexicalIndex, cities: list[str]) -> None:
    assert ask(q, lex, cities).years == years


def test_wants_current(lex: LexicalIndex, cities: list[str]) -> None:
    assert ask("广州目前有多少家小巨人企业？", lex, cities).wants_current is True
    assert ask("广州市培育了多少家小巨人企业？", lex, cities).wants_current is False


def test_wants_titles(lex: LexicalIndex, cities: list[str]) -> None:
    assert ask("广州市出台了哪些文件支持中小企业？", lex, cities).wants_titles is True
    assert ask("广州市培育了多少家小巨人企业？", lex, cities).wants_titles is False


# -- answer shape ---------------------------------------------------------------------------------------
def test_answer_shape_for_how_many_companies() -> None:
    shape = answer_shape("广州市培育了多少家小巨人企业？")
    assert shape is not None
    m = shape.search("累计培育小巨人企业248家。")
    assert m is not None and m.group(0) == "248家"
    assert shape.search("完成技术改造项目300个") is not None  # a count is a count, whatever its unit


def test_answer_shape_for_a_share() -> None:
    shape = answer_shape("研发投入的比例是多少？")
    assert shape is not None
    m = shape.search("研发投入占比达到16.23%。")
    assert m is not None and m.group(0) == "16.23%"
    assert shape.search("共248家") is None


def test_answer_shape_for_a_day() -> None:
    shape = answer_shape("中小企业服务大会是哪天召开的？")
    assert shape is not None
    m = shape.search("于4月27日召开中小企业服务大会")
    assert m is not None and m.group(0) == "4月27日"
    assert shape.search("于2024年4月27日召开中小企业服务大会") is not None
    assert shape.search("全年召开中小企业服务大会3场") is None


def test_answer_shape_for_an_amount_and_a_docno() -> None:
    amount = answer_shape("技术改造投资多少亿元？")
    docno = answer_shape("这份文件的文号是什么？")
    assert amount is not None and docno is not None
    assert (m := amount.search("技术改造投资3.21亿元")) is not None and m.group(0) == "3.21亿元"
    assert (m := docno.search("（穗工信〔2023〕097号）")) is not None and m.group(0) == "〔2023〕097号"


def test_no_answer_shape_for_an_open_question() -> None:
    assert answer_shape("广州市如何推进产业园区建设？") is None


def test_analyze_sets_the_answer_shape(lex: LexicalIndex, cities: list[str]) -> None:
    info = ask("广州市研发投入占比是多少？", lex, cities)
    assert info.answer_shape is not None and info.answer_shape.search("16.23%") is not None


# -- candidates ---------------------------------------------------------------------------------------------
def test_best_candidate_is_the_sentence_with_the_answer(lex: LexicalIndex, cities: list[str]) -> None:
    info = ask("广州市培育了多少家专精特新小巨人企业？", lex, cities)
    hs = hits(5, 0)  # the answer is in the second hit
    cands = candidate_sentences(info, hs)
    best = cands[0]
    assert best.text == TEXTS[0] and best.hit == 1
    assert best.coverage == pytest.approx(1.0) and best.has_number
    assert not best.is_target
    assert [c.score for c in cands] == sorted((c.score for c in cands), reverse=True)
    target = next(c for c in cands if c.hit == 0)
    assert target.is_target  # 力争到2025年: a target, not a fact


def test_candidates_split_sentences_and_mark_headings(lex: LexicalIndex, cities: list[str]) -> None:
    info = ask("广州市如何推进产业园区建设？", lex, cities)
    h = Hit("x", "Lx", "一、加强产业园区建设\n广州市加强产业园区建设，推进工业用地提质增效。短句。", GZ, 1.0)
    cands = candidate_sentences(info, [h])
    assert {c.text for c in cands} == {"一、加强产业园区建设", "广州市加强产业园区建设，推进工业用地提质增效。"}
    assert next(c for c in cands if c.text.startswith("一、")).heading
    assert not next(c for c in cands if c.text.startswith("广州市")).heading


def test_docno_question_gets_a_record_candidate(lex: LexicalIndex, cities: list[str]) -> None:
    info = ask("广州市关于促进制造业高质量发展的若干措施文号是什么？", lex, cities)
    meta = {**GZ, "doc_id": "d1", "title": "关于促进制造业高质量发展的若干措施", "doc_number": "穗工信〔2023〕097号"}
    cands = candidate_sentences(info, [Hit("x", "Lx", "广州市加强产业园区建设，推进工业用地提质增效。", meta, 1.0)])
    assert cands[0].text == "《关于促进制造业高质量发展的若干措施》的文号为穗工信〔2023〕097号"
    assert cands[0].coverage == 1.0


def test_no_hits_no_candidates(lex: LexicalIndex, cities: list[str]) -> None:
    assert candidate_sentences(ask("广州市如何推进产业园区建设？", lex, cities), []) == []


# -- decide -------------------------------------------------------------------------------------------------
def _decide(q: str, lex: LexicalIndex, cities: list[str], *idx: int, min_coverage: float = MIN_COVERAGE):
    info = ask(q, lex, cities)
    hs = hits(*idx)
    return decide(info, hs, candidate_sentences(info, hs), min_coverage)


def test_answers_when_a_sentence_covers_the_key_terms(lex: LexicalIndex, cities: list[str]) -> None:
    scope = _decide("广州市培育了多少家专精特新小巨人企业？", lex, cities, 0, 5)
    assert scope.answerable is True and scope.reason == ""
    assert scope.coverage == pytest.approx(1.0)


def test_refuses_an_unknown_city(lex: LexicalIndex, cities: list[str]) -> None:
    scope = _decide("深圳市培育了多少家小巨人企业？", lex, cities, 0)  # a hit about 广州 is no answer
    assert scope.answerable is False
    assert "深圳" in scope.reason and CJK.search(scope.reason)


def test_refuses_a_year_absent_from_the_hits(lex: LexicalIndex, cities: list[str]) -> None:
    scope = _decide("2021年广州市培育了多少家小巨人企业？", lex, cities, 0, 5)
    assert scope.answerable is False
    assert "2021年" in scope.reason


def test_year_present_in_the_hits_metadata_is_not_refused(lex: LexicalIndex, cities: list[str]) -> None:
    # hit 6 is a 2022 document whose text does not say 2022
    scope = _decide("2022年广州市如何推进产业园区建设？", lex, cities, 6)
    assert scope.answerable is True


def test_refuses_a_fact_question_no_sentence_covers(lex: LexicalIndex, cities: list[str]) -> None:
    # the hits are about 广州 (a service conference, industrial parks), not about 小巨人 companies
    scope = _decide("广州市培育了多少家专精特新小巨人企业？", lex, cities, 2, 6)
    assert scope.answerable is False
    assert CJK.search(scope.reason) and "没有" in scope.reason
    assert 0 < scope.coverage < MIN_COVERAGE


def test_same_hits_answer_with_a_lower_bar(lex: LexicalIndex, cities: list[str]) -> None:
    q = "广州市专精特新小巨人企业培育情况"  # no slot asked: the bar on term coverage alone decides
    coverage = _decide(q, lex, cities, 2, 6).coverage
    assert _decide(q, lex, cities, 2, 6, min_coverage=coverage).answerable is True


def test_words_the_store_never_uses_weigh_nothing(lex: LexicalIndex, cities: list[str]) -> None:
    terms = dict(ask("广州市培育了多少家生物医药企业？", lex, cities).terms)
    assert terms["生物"] == 0.0 and terms["医药"] == 0.0


def test_refuses_without_hits(lex: LexicalIndex, cities: list[str]) -> None:
    scope = _decide("广州市如何推进产业园区建设？", lex, cities)
    assert scope.answerable is False and CJK.search(scope.reason)


def test_current_figure_is_not_answered_by_a_target(lex: LexicalIndex, cities: list[str]) -> None:
    only_target = _decide("广州目前有多少家小巨人企业？", lex, cities, 5)
    assert only_target.answerable is False
    with_fact = _decide("广州目前有多少家小巨人企业？", lex, cities, 5, 0)
    assert with_fact.answerable is True


def test_who_replied_and_when_is_read_from_the_document_record(lex: LexicalIndex, cities: list[str]) -> None:
    from assistant.answers.question import record_line

    meta = {"title": "对市政协九届三次会议第64号提案的答复", "office": "天门市教育局", "date": "2024-06-12",
            "doc_id": "d1"}
    line = record_line(ask("肖中法委员那件提案，是哪个单位答复的、哪天？", lex, cities), meta)
    assert "天门市教育局" in line and "2024年6月12日" in line
    # a date asked about a fact, not about the letter, is not the letter's date
    assert record_line(ask("广州什么时候召开中小企业服务大会？", lex, cities), meta) == ""
    # the 文号 is the record's when it is asked
    numbered = {**meta, "doc_number": "天教函〔2024〕12号"}
    assert "天教函〔2024〕12号" in record_line(ask("那份答复的文号是什么？", lex, cities), numbered)



def test_a_target_does_not_answer_what_there_is_now(lex: LexicalIndex, cities: list[str]) -> None:
    meta = {**GZ, "kind": "建议", "year": 2024, "title": "关于加快专精特新企业发展的建议的答复", "date": "2024-04-08"}
    plan = [Hit("p", "P", "2023年广州市召开专精特新小巨人企业培育工作会议。力争到2027年全市累计培育国家级专精特新小巨人企业300家。",
                meta, 1.0, 1)]
    info = ask("广州目前已经有多少家小巨人企业？", lex, cities)
    assert not decide(info, plan, candidate_sentences(info, plan), MIN_COVERAGE).answerable
    info = ask("广州到2027年计划培育多少家小巨人企业？", lex, cities)
    assert decide(info, plan, candidate_sentences(info, plan), MIN_COVERAGE).answerable


def test_a_second_sentence_from_elsewhere_must_be_as_much_on_topic(lex: LexicalIndex, cities: list[str]) -> None:
    from assistant.answers.compose import pick_sentences
    from assistant.answers.question import Candidate

    info = ask("沭财复字〔2022〕4号那份答复的签发人是谁？", lex, cities)
    first = Candidate("签发人:庞佃宝", 0, 0.83, 1.0, False, False, False, 0, 0.35)
    other_doc = Candidate("签发人:杨宏亮", 1, 0.67, 0.38, False, False, False, 1, 0.35)
    same_passage = Candidate("签发日期 2022年7月1日,抄送县政府办公室", 0, 0.70, 0.9, True, False, False, 2, 0.3)
    chosen = pick_sentences(info, [first, other_doc, same_passage])
    assert [c.text for c in chosen][:1] == ["签发人:庞佃宝"]
    assert "签发人:杨宏亮" not in [c.text for c in chosen]


def test_how_something_is_to_be_done_asks_the_measures(lex: LexicalIndex, cities: list[str]) -> None:
    # "准备怎样…" asks what is to be done: every measure the letter lists, not the one that covers most words
    assert ask("广州市准备怎样支持专精特新企业融资？", lex, cities).kind == "list"
    assert ask("广州市培育了多少家小巨人企业？", lex, cities).kind != "list"

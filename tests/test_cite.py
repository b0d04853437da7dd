"""Citation markers, sentence splitting, claims, key numbers and support checks (pure functions), plus the
evaluation figures computed from a citation report."""

from __future__ import annotations

import pytest

from assistant.evaluation.metrics import citation_validity, must_include, support_figures
from assistant.evidence import cite
from assistant.evidence.cite import CitationReport, SentenceCheck
from assistant.evidence.spans import span_of

P = [
    "截至2023年底，全市累计培育国家级专精特新“小巨人”企业248家，省级专精特新中小企业1500家。",
    "2023年全市工业投资增长16.23%，技术改造投资3.21亿元。",
    "市工业和信息化局印发《关于促进制造业高质量发展的若干措施》（穗工信〔2023〕097号）。",
]
GIANTS = "全市累计培育国家级专精特新“小巨人”企业248家"


# -- markers ---------------------------------------------------------------------------------------------
@pytest.mark.parametrize(
    ("written", "canonical", "count"),
    [
        ("企业248家[2]。", "企业248家[2]。", 1),
        ("企业248家[2][3]。", "企业248家[2][3]。", 2),
        ("企业248家[2,3]。", "企业248家[2][3]。", 2),
        ("企业248家[2, 3]。", "企业248家[2][3]。", 2),
        ("企业248家[2、3]。", "企业248家[2][3]。", 2),
        ("企业248家[2，3]。", "企业248家[2][3]。", 2),
        ("企业248家【2】。", "企业248家[2]。", 1),
        ("企业248家[^2]。", "企业248家[2]。", 1),
        ("企业248家[编号:2]。", "企业248家[2]。", 1),
        ("企业248家[编号：2]。", "企业248家[2]。", 1),
        ("企业248家[来源 2]。", "企业248家[2]。", 1),
        ("企业248家【编号：2】。", "企业248家[2]。", 1),
        ("企业248家[Source 2]。", "企业248家[2]。", 1),
    ],
)
def test_every_marker_variant_is_canonicalised(written: str, canonical: str, count: int) -> None:
    text, total, valid, removed = cite.canonicalize(written, 3)
    assert text == canonical
    assert (total, valid, removed) == (count, count, 0)
    assert cite.MARKER.search(written) is not None


def test_canonicalize_drops_numbers_outside_the_shown_passages_and_counts_each() -> None:
    text, total, valid, removed = cite.canonicalize("甲[5][2]。乙[2,9,3]。丙[0]。丁[编号：4]。", 3)
    assert text == "甲[2]。乙[2][3]。丙。丁。"
    assert (total, valid, removed) == (7, 3, 4)


def test_canonicalize_without_passages_removes_every_marker() -> None:
    text, total, valid, removed = cite.canonicalize("甲[1]。乙【2】。", 0)
    assert text == "甲。乙。"
    assert (total, valid, removed) == (2, 0, 2)


def test_canonicalize_leaves_text_without_markers_alone() -> None:
    assert cite.canonicalize("没有任何编号的句子。", 3) == ("没有任何编号的句子。", 0, 0, 0)


def test_marker_pointing_nowhere_is_removed_from_the_checked_text() -> None:
    r = cite.check(f"{GIANTS}[7]。", P)
    assert "[7]" not in r.text and "7" not in r.text
    assert r.text == f"{GIANTS}。"
    assert (r.markers_total, r.markers_valid, r.markers_removed) == (1, 0, 1)
    s = r.sentences[0]
    assert s.cited == [] and s.claim and not s.supported
    assert r.unsupported == [s]


def test_partly_invalid_marker_keeps_only_the_valid_link() -> None:
    r = cite.check(f"{GIANTS}[1, 9]。", P)
    assert r.text == f"{GIANTS}[1]。"
    assert r.sentences[0].cited == [1] and r.sentences[0].supported
    assert (r.markers_total, r.markers_valid, r.markers_removed) == (2, 1, 1)


def test_strip_markers_removes_all_variants() -> None:
    assert cite.strip_markers("甲[1]乙【2】丙[编号：3]丁[2, 3]。") == "甲乙丙丁。"


# -- sentences ---------------------------------------------------------------------------------------------
def test_split_sentences_keeps_a_marker_after_the_full_stop() -> None:
    assert cite.split_sentences(f"{GIANTS}。[1]第二句说了别的内容。") == [f"{GIANTS}。[1]", "第二句说了别的内容。"]


def test_split_sentences_keeps_a_marker_before_the_full_stop() -> None:
    assert cite.split_sentences(f"{GIANTS}[1]。第二句说了别的内容[2]。") == [
        f"{GIANTS}[1]。", "第二句说了别的内容[2]。"]


def test_split_sentences_attaches_markers_on_their_own_line_to_the_previous_sentence() -> None:
    assert cite.split_sentences(f"{GIANTS}。\n[1][2]\n下一句。") == [f"{GIANTS}。[1][2]", "下一句。"]


def test_split_sentences_splits_lines_and_drops_blank_ones() -> None:
    assert cite.split_sentences("魏朗代表：\n\n一、工作开展情况\n此复") == ["魏朗代表：", "一、工作开展情况", "此复"]


# -- claims --------------------------------------------------------------------------------------------------
@pytest.mark.parametrize(
    "line",
    [
        "魏朗代表：",
        "此复",
        "特此函复。",
        "广州市工业和信息化局",
        "2024年4月29日",
        "一、工作开展情况",
        "二、下一步工作计划",
        "（一）关于加大资金支持力度",
        "您提出的《关于加快发展专精特新企业的建议》（第20240105号）收悉。我们高度重视，认真研究办理，现答复如下：",
        "文档中没有找到深圳的相关材料。",
        "提供的资料中没有相关内容。",
        "（所引答复没有写明所属地区，无法确认是否为嘉兴市的材料，请核对。）",  # the answer's own caveat
        "资料中没有给出所问的数量（所引为潼关县的数字，不是渭南市的）。",  # a refusal's why, after its cited quote
        "感谢您对我们工作的关心和支持，欢迎继续提出宝贵意见和建议。",
        "（联系人：【待填写】，联系电话：【待填写】）",
    ],
)
def test_letter_frame_is_not_a_claim(line: str) -> None:
    assert cite.is_claim(line) is False


@pytest.mark.parametrize(
    "line",
    [
        f"{GIANTS}。",
        "2023年全市工业投资增长16.23%。",
        "我局高度重视中小企业梯度培育工作并出台了一系列措施。",
        "此复[1]",  # anything attributed to a source is checked against it
    ],
)
def test_content_is_a_claim(line: str) -> None:
    assert cite.is_claim(line) is True


# -- key numbers ---------------------------------------------------------------------------------------------
def test_key_numbers_keep_percentages_decimals_and_docno_cores() -> None:
    nums = cite.key_numbers("占比16.23%，技术改造投资3.21亿元，依据穗工信〔2023〕097号文件，共1,234家[2]。")
    assert nums == ["〔2023〕097号", "16.23%", "3.21", "1234"]


def test_key_numbers_do_not_include_citation_markers() -> None:
    assert cite.key_numbers("企业248家[3]。") == ["248"]


def test_key_numbers_of_a_sentence_without_numbers_is_empty() -> None:
    assert cite.key_numbers("我局高度重视这项工作。") == []


# -- support -------------------------------------------------------------------------------------------------
def test_sentence_citing_the_right_passage_is_supported() -> None:
    s = cite.check(f"{GIANTS}[1]。", P).sentences[0]
    assert s.cited == [1] and s.claim and s.supported
    assert s.missing_numbers == [] and s.overlap == pytest.approx(1.0)


def test_sentence_citing_a_passage_without_its_number_is_unsupported() -> None:
    s = cite.check(f"{GIANTS}[2]。", P).sentences[0]
    assert s.cited == [2] and not s.supported
    assert s.missing_numbers == ["248"]


def test_wrong_figure_is_unsupported_and_listed() -> None:
    s = cite.check("全市累计培育国家级专精特新“小巨人”企业258家[1]。", P).sentences[0]
    assert not s.supported and s.missing_numbers == ["258"]
    assert s.overlap > 0.8  # the wording matches: only the figure is wrong


def test_rounded_percentage_is_unsupported() -> None:
    s = cite.check("2023年全市工业投资增长16.2%[2]。", P).sentences[0]
    assert not s.supported and s.missing_numbers == ["16.2%"]


def test_docno_core_must_match_exactly() -> None:
    ok = cite.check("印发了穗工信〔2023〕097号文件[3]。", P).sentences[0]
    bad = cite.check("印发了穗工信〔2023〕98号文件[3]。", P).sentences[0]
    assert ok.supported and ok.missing_numbers == []
    assert not bad.supported and bad.missing_numbers == ["〔2023〕98号"]


def test_paraphrase_with_low_bigram_overlap_is_unsupported() -> None:
    s = cite.check("我市高度重视优质中小企业梯度成长体系建设工作[1]。", P).sentences[0]
    assert s.missing_numbers == []
    assert s.overlap < 0.35
    assert not s.supported


def test_threshold_decides_paraphrase_support() -> None:
    text = "我市高度重视优质中小企业梯度成长体系建设工作[1]。"
    overlap = cite.check(text, P).sentences[0].overlap
    assert cite.check(text, P, threshold=overlap).sentences[0].supported
    assert not cite.check(text, P, threshold=overlap + 0.01).sentences[0].supported


def test_uncited_claim_is_unsupported() -> None:
    r = cite.check(f"{GIANTS}。", P)
    s = r.sentences[0]
    assert s.cited == [] and s.claim and not s.supported
    assert s.missing_numbers == ["248"]
    assert r.unsupported == [s]


def test_non_claims_count_as_supported_and_are_not_listed() -> None:
    letter = (f"魏朗代表：\n您提出的《关于加快发展的建议》（第20240105号）收悉。\n一、工作开展情况\n{GIANTS}[1]。\n"
              "此复\n广州市工业和信息化局\n2024年4月29日")
    r = cite.check(letter, P)
    assert [s.claim for s in r.sentences] == [False, False, False, True, False, False, False]
    assert all(s.supported for s in r.sentences)
    assert r.unsupported == []
    assert [s.text for s in r.claims] == [f"{GIANTS}。"]


def test_irrelevant_citation_is_listed() -> None:
    s = cite.check(f"{GIANTS}[1][2]。", P).sentences[0]
    assert s.cited == [1, 2] and s.supported
    assert s.irrelevant == [2]


def test_citations_that_support_jointly_are_not_irrelevant() -> None:
    s = cite.check("全市累计培育“小巨人”企业248家，工业投资增长16.23%[1][2]。", P).sentences[0]
    assert s.supported and s.missing_numbers == []
    assert s.irrelevant == []
    assert not cite.check("全市累计培育“小巨人”企业248家，工业投资增长16.23%[1]。", P).sentences[0].supported


def test_supports_without_passages_is_false() -> None:
    ok, missing, overlap = cite.supports(GIANTS, [], 0.35)
    assert ok is False and missing == ["248"] and overlap == 0.0


@pytest.mark.parametrize(
    ("sentence", "missing"),
    [
        ("全市累计培育国家级专精特新“小巨人”企业24家[1]。", "24"),
        ("省级专精特新中小企业150家[1]。", "150"),
        ("2023年全市工业投资增长16.2[2]。", "16.2"),
        ("技术改造投资3.2亿元[2]。", "3.2"),
    ],
)
def test_truncated_figure_is_unsupported(sentence: str, missing: str) -> None:
    s = cite.check(sentence, P).sentences[0]
    assert not s.supported
    assert s.missing_numbers == [missing]


def test_bracketed_year_in_a_docno_is_not_a_citation() -> None:
    passages = ["市工业和信息化局印发《若干措施》（穗工信[2023]97号）。"]
    r = cite.check("印发了《若干措施》（穗工信[2023]97号）[1]。", passages)
    assert r.sentences[0].cited == [1]
    assert "[2023]" in r.text


def test_full_width_square_bracket_marker_is_canonicalised() -> None:
    assert cite.canonicalize("企业248家［2］。", 3) == ("企业248家[2]。", 1, 1, 0)


# -- the span a citation points at -------------------------------------------------------------------------------------------------
def test_span_of_returns_the_quoted_text_exactly() -> None:
    quote = "省级专精特新中小企业1500家"
    a, b = span_of(f"{quote}[1]。", P[0])
    assert P[0][a:b] == quote
    assert a == P[0].index(quote)


def test_span_of_falls_back_to_the_most_overlapping_sentence() -> None:
    passage = "第一句说的是工业投资。技术改造投资3.21亿元，增长较快。第三句是无关的内容。"
    a, b = span_of("技术改造投资达到了3.21亿元[1]", passage)
    assert passage[a:b] == "技术改造投资3.21亿元，增长较快。"


# -- evaluation figures -------------------------------------------------------------------------------------
def test_must_include_normalises_full_width_characters() -> None:
    assert must_include(["248家", "16.23%", "ABC"], "共２４８家，占比16.23％，ＡＢＣ") == 1.0
    assert must_include(["248家", "16.23%"], "共248家") == 0.5
    assert must_include([], "任何文字") is None


def test_citation_validity() -> None:
    assert citation_validity(0, 0) is None
    assert citation_validity(4, 3) == 0.75
    r = cite.check("甲[1]。乙[5]。", P)
    assert citation_validity(r.markers_total, r.markers_valid) == 0.5


def _s(cited: list[int], claim: bool, supported: bool, irrelevant: list[int] | None = None) -> SentenceCheck:
    return SentenceCheck("句子", cited, claim, supported, irrelevant=irrelevant or [])


def test_support_figures_on_a_hand_built_report() -> None:
    report = CitationReport("", [
        _s([1, 2], True, True, [2]),  # supported; [2] redundant
        _s([3], True, False),  # unsupported
        _s([], True, False),  # uncited claim
        _s([4, 5], True, True),  # supported, both count
        _s([1], False, True),  # not a claim: ignored
    ], 0, 0, 0)
    recall, precision = support_figures(report)
    assert recall == pytest.approx(2 / 4)
    assert precision == pytest.approx(3 / 5)


def test_support_figures_without_claims_or_citations() -> None:
    assert support_figures(CitationReport("", [_s([], False, True)], 0, 0, 0)) == (None, None)
    assert support_figures(CitationReport("", [_s([], True, False)], 0, 0, 0)) == (0.0, None)


def test_support_figures_on_a_checked_text() -> None:
    r = cite.check(f"魏朗代表：\n{GIANTS}[1][2]。\n2023年全市工业投资增长16.23%[2]。\n技术改造投资5亿元[2]。", P)
    recall, precision = support_figures(r)
    assert recall == pytest.approx(2 / 3)
    assert precision == pytest.approx(2 / 4)


def test_a_city_named_in_the_sentence_must_be_in_the_cited_passage() -> None:
    gz = "[1] 《广州市工业和信息化局关于…的答复》 广州市工业和信息化局\n全市累计已培育专精特新“小巨人”企业248家。"
    report = cite.check("广州和杭州分别有248家国家级专精特新小巨人企业[1]。", [gz])
    s = report.sentences[0]
    assert not s.supported and s.missing_numbers == ["杭州"]
    assert cite.check("广州累计培育专精特新小巨人企业248家[1]。", [gz]).sentences[0].supported


def test_an_iso_date_in_a_header_supports_the_same_date_written_in_chinese() -> None:
    from assistant.evidence.cite import supports

    header = "[1] 《对市政协九届三次会议第64号提案的答复》 天门市教育局 2024-06-12\n正文"
    ok, missing, _ = supports("《对市政协九届三次会议第64号提案的答复》由天门市教育局于2024年6月12日答复", [header], 0.35)
    assert ok and not missing
    assert not supports("由天门市教育局于2024年6月13日答复", [header], 0.35)[0]

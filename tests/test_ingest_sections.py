"""Pure-function tests of cleaning, part/section splitting and chunking on small hand-made texts."""

from __future__ import annotations

import pytest
from hypothesis import HealthCheck, given
from hypothesis import settings as hyp_settings
from hypothesis import strategies as st

from core.text import normalize_text
from core.tokens import count_tokens
from ingest.chunk import split_span
from ingest.clean import clean_lines, clean_text, drop_repeated_blocks, is_chrome
from ingest.pipeline import parse_text
from ingest.sections import (
    Section,
    heading_label,
    heading_of,
    iso_date,
    shi_splits,
    split_parts,
    split_sections,
)

SENTENCE_ENDS = "。!?;"

LETTER = """关于第12号建议的答复
张三代表：
　　您提出的建议收悉。现答复如下：
一、主要工作
（一）政策支持
1.资金扶持。我局安排资金100万元。
（1）贷款贴息。对企业贷款给予贴息。
（2）担保补助。对担保费给予补助。
2.人才培育。一是举办培训班3期。二是组织招聘会5场。三是发放补贴。
（二）服务保障
加强服务企业工作。
二、下一步计划
继续加大支持力度。
感谢您对我们工作的关心和支持。
某某市工业和信息化局
2024年5月6日
"""

WORK = ("一、主要工作", "(一)政策支持")
LETTER_PATHS = [
    (),
    (*WORK, "1.资金扶持"),
    (*WORK, "1.资金扶持", "(1)贷款贴息"),
    (*WORK, "1.资金扶持", "(2)担保补助"),
    (*WORK, "2.人才培育"),
    (*WORK, "2.人才培育", "一是举办培训班3期"),
    (*WORK, "2.人才培育", "二是组织招聘会5场"),
    (*WORK, "2.人才培育", "三是发放补贴"),
    ("一、主要工作", "(二)服务保障"),
    ("二、下一步计划",),
    (),
]


def sections_of(text: str) -> list[Section]:
    return split_sections(text, split_parts(text.split("\n")))


def assert_well_formed(text: str, sections: list[Section]) -> None:
    """Sections lie inside the text, are non-empty, in order and never overlap."""
    assert sections
    prev_end = 0
    for sec in sections:
        assert 0 <= sec.start < sec.end <= len(text), sec
        assert sec.start >= prev_end, sec
        prev_end = sec.end


def covered_text(text: str, spans: list[tuple[int, int]]) -> str:
    return "".join(text[a:b] for a, b in spans)


# --- clean ---------------------------------------------------------------------------------------


def test_normalize_text_nfkc_and_invisibles() -> None:
    assert (
        normalize_text("（一）ＡＢＣ１２３：\r\n第二行\u3000\u200b尾\ufeff\r") == "(一)ABC123:\n第二行 尾\n"
    )


def test_clean_lines_removes_page_chrome_and_index_tables() -> None:
    raw = "\n".join(
        [
            "无障碍辅助浏览 长者助手 繁体版 简体版",
            "当前位置: 首页 > 政务公开 > 人大代表建议和政协提案",
            "信息索引号 002489452/2023-00352 公开形式 主动公开",
            "文件编号 杭经信提〔2023〕097号 成文日期 2023-11-09",
            "点击率",
            "某市工业和信息化局关于第1号建议的答复",
            "来源:本网 发布时间:2023-11-15 浏览次数:- 【字体: 分享到:",
            "信息来源:创业创新服务处 时间:2024-04-30 字体: [大] [中] [小]",
            "发布机构",
            "市经信局",
            "李四代表:",
            "时间紧、任务重,我局高度重视,组织专门力量开展研究,确保各项工作按时按质完成,取得了良好的成效和广泛的认可。",
            "(此页无正文)",
            "相关附件:",
            "相关阅读",
            "网友评价",
            "支持 0   反对 0",
        ]
    )
    assert clean_lines(raw) == [
        "某市工业和信息化局关于第1号建议的答复",
        "李四代表:",
        "时间紧、任务重,我局高度重视,组织专门力量开展研究,确保各项工作按时按质完成,取得了良好的成效和广泛的认可。",
    ]


@pytest.mark.parametrize(
    ("line", "chrome"),
    [
        ("浏览次数:", True),
        ("时间:2024-04-30", True),
        ("发布日期: 2023-11-09 11:45", True),
        ("打印本页 关闭窗口", True),
        ("一、主要工作情况", False),
        ("市工业和信息化局:", False),
        (
            "来源于企业的诉求共计593条,办结率98%,企业满意度持续提升,服务质量明显改善,得到了企业的广泛好评和认可。",
            False,
        ),
    ],
)
def test_is_chrome(line: str, chrome: bool) -> None:
    assert is_chrome(line) is chrome


def test_block_repeated_twice_is_kept_once() -> None:
    block = [
        "一、推动创新引领,强化企业强链补链能力,进一步激发中小企业创新创造活力。",
        "(一)促进融通发展。一是长期保持与市军民融合办协调沟通,为专精特新企业做好服务。",
        "(二)鼓励大胆创新。全市共四批208家国家专精特新“小巨人”国高企化率已达100%。",
        "特此反馈。",
        "杭州市经济和信息化局",
    ]
    text = "\n".join(["答复", "艾冬玉委员:", *block, "艾冬玉委员:", *block])
    lines = clean_lines(text)
    assert lines == ["答复", "艾冬玉委员:", *block]
    assert sum("208家" in ln for ln in lines) == 1


def test_short_repeated_line_is_kept() -> None:
    text = "\n".join(
        [
            "市工业和信息化局:",
            "我局会办意见如下:一是加强政策支持。",
            "东莞市科学技术局",
            "市工业和信息化局:",
            "我局会办意见如下:一是强化人才保障。",
            "东莞市市场监督管理局",
        ]
    )
    lines = clean_lines(text)
    assert lines.count("市工业和信息化局:") == 2
    assert len(lines) == 6


def test_long_paragraph_repeated_alone_is_dropped_short_run_kept() -> None:
    long = "近年来,市委、市政府高度重视专精特新企业培育工作,多次专题研究部署相关工作并提出明确要求。"
    assert len(long) >= 30
    lines = ["标题", long, "中间一段。", long, "短句。", "中间一段。"]
    # the long paragraph is dropped on repetition; a short line repeated alone is kept
    assert drop_repeated_blocks(lines) == ["标题", long, "中间一段。", "短句。", "中间一段。"]


def test_clean_text_of_chrome_only_page_is_empty() -> None:
    assert clean_text("无障碍版\n点击率\n相关附件:\n\n") == ""


# --- headings ------------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("line", "rank"),
    [
        ("一、总体要求", 1),
        ("十一、其他", 1),
        ("(一)指导思想", 2),
        ("(十一)强化服务支持", 2),
        ("1.完善人才政策体系", 3),
        ("12、加强宣传", 3),
        ("(1)贷款贴息", 4),
        ("1.5亿元专项资金已拨付。", 0),
        ("2023年全市新增企业100家。", 0),
        ("一是加强领导。", 0),
        ("近年来,我市出台了系列政策。", 0),
    ],
)
def test_heading_of(line: str, rank: int) -> None:
    assert heading_of(line) == rank


@pytest.mark.parametrize(
    ("text", "label"),
    [
        ("一、构建完善的培育体系,将专精特新与城市发展结合起来", "一、构建完善的培育体系"),
        (
            "一是出台《广州市优质中小企业梯队培育方案》,对优质中小企业实行分类扶持",
            "一是出台《广州市优质中小企业梯队培育方案》",
        ),
        (
            "二是印发《关于甲,乙的通知》。其他内容",
            "二是印发《关于甲,乙的通知》",
        ),  # comma inside 《》 does not end it
        ("三是打造“政府搭台,企业受惠”模式,降低成本", "三是打造“政府搭台,企业受惠”模式"),
        ("(二)夯实科技支撑,推动技术创新", "(二)夯实科技支撑"),
        ("二、下一步工作。", "二、下一步工作"),
        ("(一)指导思想", "(一)指导思想"),
        ("一" * 50, "一" * 40),
        (
            "四是出台揭阳市高层次人才分类认定、安居保障申请、高层次人才引进资助申报、骨干人才奖申报等人才政策措施,进一步完善",
            "四是出台揭阳市高层次人才分类认定、安居保障申请、高层次人才引进资助申报、骨干人才",
        ),
    ],
)
def test_heading_label(text: str, label: str) -> None:
    assert heading_label(text) == label


def test_shi_splits_only_in_order_after_punctuation() -> None:
    text = "一是加强领导。二是完善机制;三是强化保障。"
    assert shi_splits(text) == [0, text.index("二是"), text.index("三是")]
    assert shi_splits("一是加强领导。三是强化保障。") == [0]  # 三 without 二 is not a list item
    assert shi_splits("我们认为这二是关键。") == []  # not after punctuation
    assert shi_splits("二是完善机制。三是强化保障。", expect=2) == [0, 7]


def test_iso_date() -> None:
    assert iso_date("2023年 6月 19日") == "2023-06-19"
    assert iso_date("2024年4月8日") == "2024-04-08"
    assert iso_date("2024年4月8日印发") == ""


# --- parts and sections ------------------------------------------------------------------------


def test_letter_parts() -> None:
    lines = clean_lines(LETTER)
    parts = split_parts(lines)
    assert len(parts) == 1
    part = parts[0]
    assert (part.kind, part.salutation, part.signature_office, part.signature_date) == (
        "reply",
        "张三代表",
        "某某市工业和信息化局",
        "2024-05-06",
    )
    assert (part.first_line, part.last_line) == (0, len(lines) - 1)


def test_letter_heading_paths_and_roles() -> None:
    text = clean_text(LETTER)
    sections = sections_of(text)
    assert_well_formed(text, sections)
    assert [s.heading_path for s in sections] == LETTER_PATHS
    assert [s.role for s in sections] == ["opening"] + ["body"] * 9 + ["closing"]
    by_path = {s.heading_path: text[s.start : s.end] for s in sections}
    # a heading line with no text of its own is merged into the section that follows under it
    assert by_path[(*WORK, "1.资金扶持")] == "一、主要工作\n(一)政策支持\n1.资金扶持。我局安排资金100万元。"
    assert by_path[("一、主要工作", "(二)服务保障")] == "(二)服务保障\n加强服务企业工作。"
    # 一是/二是/三是 inside one paragraph become sub-sections of that paragraph
    assert by_path[(*WORK, "2.人才培育", "二是组织招聘会5场")] == "二是组织招聘会5场。"
    assert by_path[()] == "感谢您对我们工作的关心和支持。\n某某市工业和信息化局\n2024年5月6日"
    assert text[sections[0].start : sections[0].end].startswith("关于第12号建议的答复\n张三代表:")
    # nothing of the text but line breaks falls outside the sections
    gaps = [text[a.end : b.start] for a, b in zip(sections, sections[1:], strict=False)]
    assert set("".join(gaps)) <= {"\n"}
    assert sections[0].start == 0 and sections[-1].end == len(text)


def test_reply_followed_by_co_handling_opinion() -> None:
    text = clean_text(
        LETTER
        + "市工业和信息化局:\n根据安排,我局是第12号建议的会办单位,现提出会办意见如下:\n一、加强人才保障\n"
        "一是落实人才政策。二是建设人才载体。\n某某市人力资源和社会保障局\n2024年4月20日\n"
    )
    lines = text.split("\n")
    parts = split_parts(lines)
    assert [(p.kind, p.salutation, p.signature_office, p.signature_date) for p in parts] == [
        ("reply", "张三代表", "某某市工业和信息化局", "2024-05-06"),
        ("co_handling", "市工业和信息化局", "某某市人力资源和社会保障局", "2024-04-20"),
    ]
    assert parts[1].first_line == parts[0].last_line + 1 and parts[1].last_line == len(lines) - 1
    sections = split_sections(text, parts)
    assert_well_formed(text, sections)
    co = [s.heading_path for s in sections if s.part == 1]
    assert ("一、加强人才保障", "二是建设人才载体") in co
    assert all(s.part == 0 for s in sections[: len(LETTER_PATHS)])


def test_text_without_headings_is_one_section() -> None:
    text = clean_text("这是一段没有任何标题的说明文字。\n它有第二段,也没有编号。\n第三段到此结束。")
    parts = split_parts(text.split("\n"))
    assert len(parts) == 1 and parts[0].kind == "other" and parts[0].salutation == ""
    sections = split_sections(text, parts)
    assert_well_formed(text, sections)
    assert [(s.heading_path, s.start, s.end) for s in sections] == [((), 0, len(text))]


def test_giant_paragraph_is_one_section_split_into_chunks() -> None:
    sentence = "近年来我市大力推进专精特新企业培育工作,取得了显著成效。"
    text = clean_text(sentence * 120)
    sections = sections_of(text)
    assert [(s.heading_path, s.start, s.end) for s in sections] == [((), 0, len(text))]
    chunks = split_span(text, 0, len(text), 100, count_tokens)
    assert len(chunks) > 10
    assert covered_text(text, chunks) == text
    assert all(count_tokens(text[a:b]) <= 100 for a, b in chunks)
    assert all(text[b - 1] == "。" for a, b in chunks)


# --- chunking ------------------------------------------------------------------------------------


def test_split_span_under_budget_is_one_chunk() -> None:
    text = "前言\n一、短小的一节。只有两句。\n后记"
    start = text.index("一")
    end = text.index("\n后记")
    assert split_span(text, start, end, 300, count_tokens) == [(start, end)]


def test_split_span_normal_text_packs_sentences_within_budget() -> None:
    sentences = [
        f"第{i}项重点工作已经完成,累计服务企业{i * 37}家,拨付资金{i * 3}亿元。" for i in range(1, 30)
    ]
    sentences[5] = sentences[5].replace("。", "!")
    sentences[9] = sentences[9].replace("。", ";")
    body = "".join(sentences)
    text = "标题\n" + body + "\n结尾"
    start, end = text.index("第1项"), text.index("\n结尾")
    budget = 64
    chunks = split_span(text, start, end, budget, count_tokens)
    assert len(chunks) > 3
    assert chunks[0][0] == start and chunks[-1][1] == end
    for (a, b), (c, _d) in zip(chunks, chunks[1:], strict=False):
        assert a < b == c  # in order, contiguous, no overlap
        assert text[b - 1] in SENTENCE_ENDS  # the section was split right after a sentence end
    for a, b in chunks:
        assert start <= a < b <= end
        assert count_tokens(text[a:b]) <= budget
    assert covered_text(text, chunks) == body


def test_split_span_multiline_section_trims_line_breaks() -> None:
    lines = [
        f"({i})第{i}段内容说明了一项具体的工作措施,并给出了明确的时间安排和责任单位。" for i in range(1, 13)
    ]
    text = "\n".join(lines)
    chunks = split_span(text, 0, len(text), 60, count_tokens)
    assert len(chunks) > 2
    for (_a, b), (c, _d) in zip(chunks, chunks[1:], strict=False):
        assert b <= c and set(text[b:c]) <= {"\n"}
        assert text[b - 1] in SENTENCE_ENDS
    for a, b in chunks:
        assert text[a] != "\n" and text[b - 1] != "\n"
        assert count_tokens(text[a:b]) <= 60
    assert covered_text(text, chunks).replace("\n", "") == text.replace("\n", "")


def test_split_span_long_sentence_cut_at_clauses() -> None:
    clauses = [f"推动第{i}批企业实施数字化改造并建设智能工厂," for i in range(1, 25)]
    text = "".join(clauses)[:-1] + "。"
    chunks = split_span(text, 0, len(text), 48, count_tokens)
    assert len(chunks) > 2
    assert covered_text(text, chunks) == text
    for _a, b in chunks[:-1]:
        assert text[b - 1] == ","
    assert all(count_tokens(text[a:b]) <= 48 for a, b in chunks)


@pytest.mark.parametrize("budget", [32, 64, 300])
def test_split_span_giant_unpunctuated_paragraph_still_split(budget: int) -> None:
    text = "专精特新中小企业高质量发展" * 150
    chunks = split_span(text, 0, len(text), budget, count_tokens)
    assert len(chunks) > 1
    assert covered_text(text, chunks) == text
    assert all(count_tokens(text[a:b]) <= budget for a, b in chunks)


@pytest.mark.parametrize("budget", [32, 300])
def test_split_span_three_token_characters_still_within_budget(budget: int) -> None:
    assert count_tokens("鑫") == 3
    text = "鑫" * 1200  # an unpunctuated run of 3-token characters
    chunks = split_span(text, 0, len(text), budget, count_tokens)
    assert covered_text(text, chunks) == text
    assert max(count_tokens(text[a:b]) for a, b in chunks) <= budget


# --- property test: parse_text on arbitrary heading soup ---------------------------------------

TOKENS = [
    *"专精特新企业发展政策资金人才服务",
    "。",
    "。",
    ",",
    "一、",
    "二、",
    "(一)",
    "(二)",
    "1.",
    "(1)",
    "一是",
    "二是",
    "\n",
    "\n",
    " ",
    "代表:\n",
    "某市工业和信息化局\n2024年5月6日\n",
    "无障碍\n",
    "(此页无正文)\n",
]


@hyp_settings(max_examples=60, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(pieces=st.lists(st.sampled_from(TOKENS), max_size=160), budget=st.sampled_from([32, 48, 300]))
def test_parse_text_spans_are_exact_and_disjoint(pieces: list[str], budget: int) -> None:
    raw = "".join(pieces)
    try:
        parsed = parse_text("prop-doc", raw, "sha", budget)
    except ValueError:
        assert clean_text(raw).strip() == ""
        return
    text = parsed.record.text
    assert text == clean_text(raw) and text.strip()
    assert_well_formed(text, parsed.sections)
    spans = []
    for chunk in parsed.record.chunks:
        md = chunk.metadata
        start, end = md["start"], md["end"]
        assert 0 <= start < end <= len(text)
        if md["role"] == "outline":  # synthesised from heading lines inside the parent's span
            assert all(line in text[start:end] for line in chunk.text.split("\n"))
            continue
        assert text[start:end] == chunk.text
        assert chunk.text.strip()
        assert count_tokens(chunk.text) <= budget
        spans.append((start, end))
    assert spans, "a non-empty document yields at least one chunk"
    assert spans == sorted(spans)
    for (_a, b), (c, _d) in zip(spans, spans[1:], strict=False):
        assert b <= c
    assert len({c.id for c in parsed.record.chunks}) == len(parsed.record.chunks)

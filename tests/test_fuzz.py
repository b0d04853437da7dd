"""Property tests (Hypothesis) of the parsers: cleaning, parts/sections, chunking, metadata, citations.

Texts are built from fragments that look like the corpus (Chinese text, heading markers, salutations,
signatures, dates, 文号, sentence punctuation) mixed with full-width variants, whitespace, \\r\\n,
control characters, zero-width characters and HTML-like fragments.
"""

from __future__ import annotations

import datetime as dt
import re

import pytest
from hypothesis import HealthCheck, example, given, settings
from hypothesis import strategies as st

from assistant.evidence import cite
from assistant.evidence.spans import span_of
from core.tokens import count_tokens
from ingest.clean import clean_lines, clean_text
from ingest.pipeline import parse_text
from ingest.sections import split_parts, split_sections

FUZZ = settings(deadline=None, max_examples=150, suppress_health_check=[HealthCheck.too_slow])
FEW = settings(deadline=None, max_examples=100, suppress_health_check=[HealthCheck.too_slow])

CJK = st.characters(min_codepoint=0x4E00, max_codepoint=0x9FA5)
WORDS = ["广州市", "工业和信息化局", "专精特新", "企业", "培育", "答复", "建议", "提案", "关于", "的",
         "小巨人", "累计", "万元", "项目", "实施方案", "会办意见", "收悉", "此复", "感谢", "联系人"]
MARKERS = [
    "一、", "二、", "十一、", "(一)", "（二）", "（十）", "1.", "2、", "１．", "10.", "(1)", "（3）", "一是", "二是",
    "三是", "十二是", "案由:", "案由：(123)", "代表:", "委员：", "局:", "同志们:", "广州市工业和信息化局:",
    "2023年5月9日", "２０２４年１２月３１日", "2023年2月30日", "2024 年 13 月 1 日", "〔2024〕24号",
    "清府办函〔2024〕24号", "广州市工业和信息化局", "此复", "联系人:张三", "提案人:民建市委会", "第20242679号建议",
    "发布时间:2024-05-09", "发布日期：2023-02-30", "成文日期 2024-1-1", "文号:穗工信函〔2024〕97号",
    "来源:广州市工业和信息化局", "索引号", "字体:[大 中 小]", "打印本页", "提出的《关于", "》", "《", "[1]", "【2】",
]
PUNCT = list("。！？；，、：,.!?;:()（）“”《》")
WS = [" ", "  ", "\u3000", "\xa0", "\t", "\n", "\n\n", "\r\n", "\r"]
ODD = ["\x00", "\x07", "\x0b", "\x0c", "\x1c", "\x1e", "\x85", "\u2028", "\u2029", "\u200b", "\u200d", "\ufeff",
       "\u0301", "㈠", "⑴", "⒈", "①", "ﬁ", "\U00020000", "😀"]
HTML = ["<p>", "</p>", "<br/>", "&nbsp;", "<div class=\"a\">", "</div>", "&lt;", "<b>", "<script>x=1;</script>"]

FRAGMENT = st.one_of(
    st.text(CJK, min_size=1, max_size=12),
    st.sampled_from(WORDS),
    st.sampled_from(MARKERS),
    st.sampled_from(PUNCT),
    st.sampled_from(WS),
    st.sampled_from(ODD),
    st.sampled_from(HTML),
    st.integers(0, 99999).map(str),
    st.text(st.characters(codec="utf-8"), max_size=3),
)
TEXT = st.lists(FRAGMENT, max_size=60).map("".join)


@st.composite
def documents(draw: st.DrawFn) -> str:
    """Line-structured documents: each line starts with a marker (or not) and carries some text."""
    lines = []
    for _ in range(draw(st.integers(0, 25))):
        head = draw(st.one_of(st.just(""), st.sampled_from(MARKERS)))
        body = draw(st.lists(FRAGMENT, max_size=8).map("".join))
        lines.append(head + body)
    return draw(st.sampled_from(["\n", "\r\n", "\n\n"])).join(lines)


DOC = st.one_of(TEXT, documents())

_ZERO_WIDTH = re.compile(r"[\u200b-\u200f\ufeff]")


# -- clean ------------------------------------------------------------------------------------------------
@FUZZ
@given(DOC)
def test_clean_never_raises_no_cr(raw: str) -> None:
    lines = clean_lines(raw)
    text = clean_text(raw)
    assert "\r" not in text
    assert all("\n" not in ln and "\r" not in ln and ln and ln == ln.strip() for ln in lines)
    assert text == "\n".join(lines)


@FUZZ
@given(DOC)
def test_clean_idempotent(raw: str) -> None:
    # A zero-width character between a base character and a combining mark is removed only after NFKC,
    # so the second pass composes what the first could not (see test_clean_idempotent_zero_width below);
    # that case is kept out here and pinned by its own xfail test.
    raw = _ZERO_WIDTH.sub("", raw)
    once = clean_text(raw)
    assert clean_text(once) == once


@pytest.mark.parametrize("raw", ["e\u200b\u0301", "\u1100\u200b\u1161"])
def test_clean_idempotent_zero_width(raw: str) -> None:
    once = clean_text(raw)
    assert clean_text(once) == once


# -- sections -------------------------------------------------------------------------------------------
@FUZZ
@given(DOC)
def test_parts_and_sections_are_ordered_spans(raw: str) -> None:
    text = clean_text(raw)
    lines = text.split("\n")
    parts = split_parts(lines)
    prev_last = -1
    for p in parts:
        assert prev_last < p.first_line <= p.last_line < len(lines), parts
        prev_last = p.last_line
    sections = split_sections(text, parts)
    pos = 0
    for s in sections:
        assert 0 <= s.start <= s.end <= len(text), s
        assert s.start >= pos, (s, sections)
        pos = s.end


# -- parse_text: chunks and metadata ------------------------------------------------------------------------
def _parse(raw: str, max_tokens: int):  # type: ignore[no-untyped-def]
    try:
        return parse_text("fuzz-doc", raw, "0" * 64, max_tokens=max_tokens, file_name="fuzz.txt")
    except ValueError:
        assert not clean_text(raw).strip()
        return None


_JOIN_AFTER = set("。!?;！？；\n,、:，：")


def _valid_date(s: str) -> bool:
    if s == "":
        return True
    if not re.fullmatch(r"\d{4}-\d{2}-\d{2}", s):
        return False
    try:
        dt.date.fromisoformat(s)
    except ValueError:
        return False
    return True


@FEW
@given(DOC, st.sampled_from([32, 40, 64, 450]))
def test_parse_text_chunks(raw: str, max_tokens: int) -> None:
    parsed = _parse(raw, max_tokens)
    if parsed is None:
        return
    text = parsed.record.text
    ids = [c.id for c in parsed.record.chunks]
    assert len(ids) == len(set(ids))
    for c in parsed.record.chunks:
        md = c.metadata
        for k, v in md.items():
            assert isinstance(v, str | int) and not isinstance(v, bool), (k, v)
        if md["role"] == "outline":
            for ln in c.text.split("\n"):
                assert ln in text, (ln, text)
        else:
            assert text[md["start"] : md["end"]] == c.text
            # split_span packs units by the sum of their token counts, and cl100k is not additive across a
            # join ("。" + "'s": 1 + 1 tokens, "。's": 3): allow one token per join (the bug itself is pinned by
            # test_chunk_within_token_budget below).
            joins = sum(1 for ch in c.text[:-1] if ch in _JOIN_AFTER) + len(c.text) // max(1, max_tokens // 4)
            assert count_tokens(c.text) <= max_tokens + joins, (count_tokens(c.text), joins, c.text)
    for k, v in parsed.record.metadata.items():
        assert isinstance(v, str | int) and not isinstance(v, bool), (k, v)


def test_chunk_within_token_budget() -> None:
    parsed = _parse("案由：(123)！<p>一一一丁一一一一一一\n一一丁丁丁一一一丁", 32)  # one chunk of 33 tokens
    assert parsed is not None
    assert all(count_tokens(c.text) <= 32 for c in parsed.record.chunks if c.metadata["role"] != "outline")


@FEW
@given(DOC)
def test_doc_meta_fields(raw: str) -> None:
    parsed = _parse(raw, 450)
    if parsed is None:
        return
    meta = vars(parsed.meta)
    for name, value in meta.items():
        assert isinstance(value, str)
        if name != "proposal_title":  # a known bug, pinned by test_proposal_title_one_line below
            assert "\n" not in value and "\r" not in value, (name, value)
    for name in ("date", "published"):
        # Only the shape here: a date that does not exist in the calendar is kept as written (a known bug,
        # pinned by test_doc_meta_date_exists below).
        assert meta[name] == "" or re.fullmatch(r"\d{4}-\d{2}-\d{2}", meta[name]), (name, meta[name])


@pytest.mark.parametrize("raw", ["发布时间:2024-02-30\n正文", "正文。\n广州市工业和信息化局\n2023年2月30日",
                                 "正文。\n广州市工业和信息化局\n2023年13月1日"])
def test_doc_meta_date_exists(raw: str) -> None:
    parsed = _parse(raw, 450)
    assert parsed is not None
    assert _valid_date(parsed.meta.date) and _valid_date(parsed.meta.published), parsed.meta


def test_proposal_title_one_line() -> None:
    parsed = _parse("广州市工业和信息化局关于答复\n对您提出的《关于支持\n专精特新企业的建议》收悉。", 450)
    assert parsed is not None
    assert "\n" not in parsed.meta.proposal_title, parsed.meta.proposal_title


# -- citations ---------------------------------------------------------------------------------------------
MARKER_FORMS = st.one_of(
    st.integers(0, 12).map(lambda n: f"[{n}]"),
    st.integers(0, 12).map(lambda n: f"【{n}】"),
    st.integers(0, 12).map(lambda n: f"[^{n}]"),
    st.integers(0, 12).map(lambda n: f"[编号:{n}]"),
    st.integers(0, 12).map(lambda n: f"［{n}］"),
    st.lists(st.integers(0, 12), min_size=2, max_size=3).map(lambda ns: "[" + ",".join(map(str, ns)) + "]"),
    st.lists(st.integers(0, 12), min_size=2, max_size=3).map(lambda ns: "[" + "、".join(map(str, ns)) + "]"),
    st.sampled_from(["[", "]", "[2023]", "穗工信[2023]97号", "[ 2 ]"]),
)
GENERATED = st.lists(st.one_of(FRAGMENT, MARKER_FORMS), max_size=40).map("".join)
PASSAGES = st.lists(st.lists(FRAGMENT, max_size=15).map("".join), max_size=6)


def _markers_in(text: str) -> list[int]:
    out = [int(n) for n in cite.CANON.findall(text)]
    for m in cite.MARKER.finditer(text):
        out += cite._numbers(m.group(1) or m.group(2) or "")
    return out


@FUZZ
@given(GENERATED, PASSAGES)
def test_check_citations(text: str, passages: list[str]) -> None:
    rep = cite.check(text, passages)
    assert rep.markers_valid + rep.markers_removed == rep.markers_total
    assert 0 <= rep.markers_valid <= rep.markers_total
    for s in rep.sentences:
        assert all(1 <= n <= len(passages) for n in s.cited), s
        assert all(n in s.cited for n in s.irrelevant)


@FUZZ
@given(GENERATED, PASSAGES)
def test_check_output_markers_point_at_passages(text: str, passages: list[str]) -> None:
    # Nested brackets are kept out here: removing an inner invalid marker can leave a new one behind
    # (see test_check_nested_marker below).
    text = re.sub(r"[\[［【](?=[^\]］】]*[\[［【])", "", text)
    rep = cite.check(text, passages)
    assert all(1 <= n <= len(passages) for n in _markers_in(rep.text)), rep.text


def test_check_nested_marker() -> None:
    rep = cite.check("广州累计培育企业248家。[[9]2]", ["广州累计培育企业248家。"])
    assert all(1 <= n <= 1 for n in _markers_in(rep.text)), rep.text


_BRACKET_NUM = re.compile(r"\[\d+\]")


def _no_ws(s: str) -> str:
    return re.sub(r"\s", "", s)


@FUZZ
@given(GENERATED)
def test_split_sentences_loses_only_markers_and_stray_punctuation(text: str) -> None:
    clean, *_ = cite.canonicalize(text, 12)
    sents = cite.split_sentences(clean)
    # [n] without CANON's (?!\d): "[1]1" is attached to the sentence before it as a marker
    got = _no_ws("".join(_BRACKET_NUM.sub("", s) for s in sents))
    want = _no_ws(_BRACKET_NUM.sub("", clean))
    # A sentence-end mark that opens a line or follows another sentence's markers ("。。", "[1]。")
    # starts no sentence and is dropped; nothing else may be.
    stray = "。!?;！？；"
    assert got.translate({ord(c): None for c in stray}) == want.translate({ord(c): None for c in stray})
    assert len(got) <= len(want)


@pytest.mark.xfail(strict=True, reason="split_sentences (assistant/cite.py _SENTENCE) drops sentence-end punctuation "
                   "that starts a line or follows a sentence's markers: '。' alone gives []")
@pytest.mark.parametrize("text", ["。", "好。\n！结束", "好。[1]。"])
def test_split_sentences_keeps_all_punctuation(text: str) -> None:
    got = _no_ws("".join(_BRACKET_NUM.sub("", s) for s in cite.split_sentences(text)))
    assert got == _no_ws(_BRACKET_NUM.sub("", text))


@FUZZ
@given(GENERATED, st.lists(FRAGMENT, max_size=30).map("".join))
@example("", "")
@example("。", "。\n")
@example("abc", "x\nabc\n")
def test_span_of_within_passage(sentence: str, passage: str) -> None:
    a, b = span_of(sentence, passage)
    assert 0 <= a <= b <= len(passage)
    ok, missing, overlap = cite.supports(sentence, [passage], 0.35)
    assert 0.0 <= overlap <= 1.0
    assert isinstance(ok, bool) and isinstance(missing, list)

"""Export of a drafted letter: Markdown (escaped, with its sources) and .docx in GB/T 9704 layout."""

from __future__ import annotations

import io
import re
from dataclasses import replace

import pytest
from docx import Document
from docx.document import Document as DocxDocument
from docx.enum.text import WD_ALIGN_PARAGRAPH, WD_LINE_SPACING
from docx.oxml.ns import qn
from docx.shared import Pt
from docx.text.paragraph import Paragraph
from docx.text.run import Run

from assistant.evidence import cite
from assistant.letters.export import md_escape, suggested_filename, to_docx, to_markdown
from assistant.letters.model import BLANK, Draft, DraftRequest, LetterFields, Proposal
from assistant.retrieval.hybrid import Hit

OFFICE = "广州市工业和信息化局"
TITLE = "广州市工业和信息化局关于第20242679号建议的答复"
LETTER = "\n".join([
    "魏朗代表：",
    "您提出的《关于推动我市人工智能产业高质量发展的建议》（第20242679号）收悉。我们高度重视，认真研究办理，现答复如下：",
    "一、工作开展情况",
    "（一）关于完善产业扶持政策",
    "2023年我市出台人工智能产业发展若干措施，安排专项资金5亿元支持企业研发[1]。",
    "二、下一步工作计划",
    "（一）我们将建设人工智能公共算力平台，新增算力规模1000P[2]。",
    "感谢您对我们工作的关心和支持，欢迎继续提出宝贵意见和建议。",
    "此复",
    OFFICE,
    "2024年4月29日",
    f"（联系人：{BLANK}，联系电话：{BLANK}）",
])
P1 = ("2023年我市出台人工智能产业发展若干措施，安排专项资金5亿元支持企业研发。"
      "详见<script>alert(1)</script>及[链接](http://x)。")
P2 = "下一步，我们将建设人工智能公共算力平台，新增算力规模1000P。"
P3 = "未被引用的段落：全市规上工业增加值增长4.4%。"


def _hit(n: int, text: str, heading: str) -> Hit:
    meta = {"title": f"广州市人工智能工作报告{n}", "office": OFFICE, "date": f"2024-03-0{n}",
            "heading_path": heading}
    return Hit(f"doc{n}#0", f"[{n}] 报告{n}", text, meta, 1.0 / n)


def make_draft(fields: LetterFields | None = None, text: str = LETTER, passages: list[Hit] | None = None) -> Draft:
    if fields is None:
        fields = LetterFields(category="B 正在解决或列入计划", disclosure="主动公开")
    hits = passages if passages is not None else [
        _hit(1, P1, "一、工作开展情况 > （一）政策"), _hit(2, P2, "二、下一步工作计划"), _hit(3, P3, "三、其他")]
    req = DraftRequest(Proposal(title="关于推动我市人工智能产业高质量发展的建议", number="20242679", proposer="魏朗代表"),
                       office=OFFICE, date="2024年4月29日", fields=fields)
    report = cite.check(text, [h.text for h in hits])
    return Draft(request=req, title=TITLE, text=report.text, passages=hits, report=report, asks=[], structure={})


@pytest.fixture
def draft() -> Draft:
    return make_draft()


# -- Markdown ------------------------------------------------------------------------------------------
def test_markdown_title_fields_body_and_sources(draft: Draft) -> None:
    md = to_markdown(draft)
    assert md.splitlines()[0] == f"# {TITLE}"
    assert "- 答复类别：B 正在解决或列入计划" in md
    assert "- 公开属性：主动公开" in md
    for label in ("签发人", "抄送", "联系人及电话"):
        assert f"- {label}：{BLANK}" in md
    assert "魏朗代表：" in md and "此复" in md and "一、工作开展情况" in md
    assert "安排专项资金5亿元支持企业研发[1]。" in md  # our markers stay unescaped
    appendix = md.split("## 引用来源", 1)[1]
    assert f"[1] 《广州市人工智能工作报告1》 {OFFICE} 2024-03-01 一、工作开展情况 › （一）政策" in appendix
    assert f"[2] 《广州市人工智能工作报告2》 {OFFICE} 2024-03-02 二、下一步工作计划" in appendix
    assert "> 下一步，我们将建设人工智能公共算力平台，新增算力规模1000P。" in appendix
    assert "报告3" not in md and "未被引用的段落" not in md  # only cited passages are listed


def test_markdown_without_sources(draft: Draft) -> None:
    md = to_markdown(draft, include_sources=False)
    assert "引用来源" not in md
    assert "建设人工智能公共算力平台" in md  # the letter itself is still there
    assert "下一步，我们将" not in md  # the passage text only appears in the appendix
    assert "[1]" not in md  # the letter to send has no markers
    assert "研发[1]。" in to_markdown(draft, include_sources=False, keep_markers=True)


def test_markdown_without_markers(draft: Draft) -> None:
    md = to_markdown(draft, include_sources=False, keep_markers=False)
    assert not re.search(r"\[\d+\]", md)
    assert "安排专项资金5亿元支持企业研发。" in md
    with_sources = to_markdown(draft, keep_markers=False)
    body = with_sources.split("## 引用来源", 1)[0]
    assert not re.search(r"\[\d+\]", body) and "## 引用来源" in with_sources


def test_markdown_no_appendix_when_nothing_cited() -> None:
    d = make_draft(text=LETTER.replace("[1]", "").replace("[2]", ""))
    assert d.sources() == []
    assert "引用来源" not in to_markdown(d)


def test_markdown_neutralises_corpus_html_and_links(draft: Draft) -> None:
    md = to_markdown(draft)
    assert "<script>" not in md and "</script>" not in md
    assert "&lt;" not in md and "&gt;" not in md and "&amp;" not in md  # no HTML entities in the file
    assert "\\<script\\>alert(1)\\</script\\>" in md
    assert "[链接](http://x)" not in md and not re.search(r"(?<!\\)\]\(", md)
    assert "\\[链接\\]" in md
    markdown_it = pytest.importorskip("markdown_it")
    html = markdown_it.MarkdownIt("commonmark").enable(["table", "strikethrough"]).render(md)
    assert "<script" not in html
    assert "<a " not in html
    assert "&lt;script&gt;alert(1)&lt;/script&gt;" in html  # shown as text, not dropped
    assert "[链接]（http://x）" in html
    assert "<h1>" + TITLE + "</h1>" in html


def test_markdown_escape_hostile_letter_and_line_starts() -> None:
    evil = LETTER.replace("支持企业研发[1]。", "支持企业研发[1](http://evil)。<b>x</b>")
    md = to_markdown(make_draft(text=evil), include_sources=False, keep_markers=True)
    markdown_it = pytest.importorskip("markdown_it")
    html = markdown_it.MarkdownIt("commonmark").render(md)
    assert "<a " not in html and "<b>" not in html
    assert "[1]（http://evil）" in html  # the text is kept (full-width in Chinese text), the link is not made
    for line in ("# 标题", "- 列表", "1. 编号", "> 引用", "    代码", "**粗体**"):
        rendered = markdown_it.MarkdownIt("commonmark").render(md_escape(line))
        assert rendered.startswith("<p>"), (line, rendered)


# -- .docx ---------------------------------------------------------------------------------------------
def _open(data: bytes) -> DocxDocument:
    return Document(io.BytesIO(data))


def _para(doc: DocxDocument, start: str) -> Paragraph:
    found = [p for p in doc.paragraphs if p.text.replace("\n", "").startswith(start)]
    assert found, f"no paragraph starting with {start!r}"
    return found[0]


def _east_asia(run: Run) -> str | None:
    rpr = run._element.rPr
    return None if rpr is None or rpr.rFonts is None else rpr.rFonts.get(qn("w:eastAsia"))


def _text(doc: DocxDocument) -> str:
    return "\n".join(p.text for p in doc.paragraphs)


def test_docx_page_setup(draft: Draft) -> None:
    data = to_docx(draft)
    assert data[:2] == b"PK"
    sec = _open(data).sections[0]
    for got, want in ((sec.page_width, 210), (sec.page_height, 297), (sec.top_margin, 37),
                      (sec.bottom_margin, 35), (sec.left_margin, 28), (sec.right_margin, 26)):
        assert got is not None and abs(got.mm - want) <= 0.5, (got, want)


def test_docx_title_and_body_fonts(draft: Draft) -> None:
    doc = _open(to_docx(draft))
    title = _para(doc, "广州市工业和信息化局关于")
    assert title.text.replace("\n", "") == TITLE
    assert title.alignment == WD_ALIGN_PARAGRAPH.CENTER
    assert title.runs and all(r.font.size == Pt(22) and _east_asia(r) == "方正小标宋简体" for r in title.runs)
    assert title.runs[0].font.name == "方正小标宋简体"

    ack = _para(doc, "您提出的")
    assert all(r.font.size == Pt(16) and _east_asia(r) == "仿宋_GB2312" for r in ack.runs)
    pf = ack.paragraph_format
    assert pf.line_spacing_rule == WD_LINE_SPACING.EXACTLY and pf.line_spacing == Pt(28)
    assert pf.first_line_indent == Pt(32)

    salutation = _para(doc, "魏朗代表：")
    assert not salutation.paragraph_format.first_line_indent
    assert _east_asia(salutation.runs[0]) == "仿宋_GB2312"


def test_docx_headings_and_signature(draft: Draft) -> None:
    doc = _open(to_docx(draft))
    h1 = _para(doc, "一、工作开展情况")
    assert all(_east_asia(r) == "黑体" and r.font.size == Pt(16) for r in h1.runs)
    h2 = _para(doc, "（一）关于完善产业扶持政策")
    assert all(_east_asia(r) == "楷体_GB2312" for r in h2.runs)
    assert _east_asia(_para(doc, "二、下一步工作计划").runs[0]) == "黑体"
    closing = _para(doc, "此复")
    assert closing.alignment != WD_ALIGN_PARAGRAPH.RIGHT and _east_asia(closing.runs[0]) == "仿宋_GB2312"
    office = [p for p in doc.paragraphs if p.text == OFFICE]
    date = [p for p in doc.paragraphs if p.text == "2024年4月29日"]
    assert len(office) == 1 and len(date) == 1
    assert office[0].alignment == WD_ALIGN_PARAGRAPH.RIGHT
    assert date[0].alignment == WD_ALIGN_PARAGRAPH.RIGHT
    assert _para(doc, "（联系人：").alignment != WD_ALIGN_PARAGRAPH.RIGHT


def test_docx_fields_lines() -> None:
    filled = _text(_open(to_docx(make_draft())))
    assert "答复类别：B 正在解决或列入计划　　公开属性：主动公开" in filled
    assert f"抄送：{BLANK}" in filled and f"签发人：{BLANK}" in filled
    doc = _open(to_docx(make_draft(fields=LetterFields(cc="市人大常委会代表工作委员会", signer="张三"))))
    first = doc.paragraphs[0].text
    assert first == f"答复类别：{BLANK}　　公开属性：{BLANK}"
    text = _text(doc)
    assert "抄送：市人大常委会代表工作委员会" in text and "签发人：张三" in text
    assert text.index("签发人：") > text.index("2024年4月29日")  # after the letter
    assert text.index("答复类别") < text.index(TITLE[:10])  # above the title


def test_docx_sources_flag(draft: Draft) -> None:
    doc = _open(to_docx(draft))
    heading = _para(doc, "附：引用来源（内部核对用，对外印发时删除）")
    assert heading.paragraph_format.page_break_before
    text = _text(doc)
    assert f"[1] 《广州市人工智能工作报告1》 {OFFICE}" in text and "[2] 《广州市人工智能工作报告2》" in text
    assert "未被引用的段落" not in text
    quoted = _para(doc, "下一步，我们将建设")
    assert all(r.font.size == Pt(14) and _east_asia(r) == "仿宋_GB2312" for r in quoted.runs)
    assert "<script>alert(1)</script>" in text  # a .docx shows the source text verbatim

    without = _text(_open(to_docx(draft, include_sources=False)))
    assert "引用来源" not in without and "下一步，我们将建设" not in without
    assert "此复" in without


def test_docx_markers_flag(draft: Draft) -> None:
    clean = _open(to_docx(draft, include_sources=False))  # the letter to send: no markers
    assert not re.search(r"\[\d+\]", _text(clean))
    doc = _open(to_docx(draft, include_sources=False, keep_markers=True))
    para = _para(doc, "2023年我市出台")
    assert para.text.endswith("支持企业研发[1]。")
    marker = [r for r in para.runs if r.text == "[1]"]
    assert marker and marker[0].font.superscript
    assert _para(doc, "（一）我们将建设").text.endswith("[2]。")

    bare = _open(to_docx(draft, include_sources=False, keep_markers=False))
    assert not re.search(r"\[\d+\]", _text(bare))
    assert _para(bare, "2023年我市出台").text.endswith("支持企业研发。")


def test_docx_survives_control_characters() -> None:
    hits = [_hit(1, P1 + "\x0b\x0c尾", "一"), _hit(2, P2, "二")]
    d = make_draft(passages=hits)
    d = replace(d, title=d.title + "\x07")
    text = _text(_open(to_docx(d)))
    assert "尾" in text and "\x0b" not in text


# -- file names ----------------------------------------------------------------------------------------
def test_suggested_filename(draft: Draft) -> None:
    assert suggested_filename(draft, "docx") == f"{TITLE}.docx"
    assert suggested_filename(draft, ".md") == f"{TITLE}.md"
    hostile = replace(draft, title='../a/b\\c:d*e?f"g<h>i|j\x00k\nl.  ')
    name = suggested_filename(hostile, "docx")
    assert name.endswith(".docx")
    assert not re.search(r'[/\\:*?"<>|\x00-\x1f]', name)
    assert not name.startswith(".")
    long = replace(draft, title="关于" * 300)
    assert len(suggested_filename(long, "docx").encode("utf-8")) <= 255
    assert suggested_filename(replace(draft, title="CON"), "docx").upper() != "CON.DOCX"
    assert suggested_filename(replace(draft, title=""), "docx") == "答复函.docx"


def test_docx_keeps_the_signature_block_on_one_page(draft: Draft) -> None:
    doc = _open(to_docx(draft, include_sources=False))
    tail = [p for p in doc.paragraphs if p.text in ("此复", OFFICE, "2024年4月29日")] + [_para(doc, "感谢您对我们工作")]
    assert len(tail) == 4 and all(p.paragraph_format.keep_with_next for p in tail)


def test_export_uses_full_width_punctuation_in_chinese_text() -> None:
    text = LETTER.replace("安排专项资金5亿元支持企业研发[1]。", "安排专项资金5亿元,支持企业研发(含中试)[1]。")
    d = make_draft(text=text)
    md = to_markdown(d, include_sources=False)
    assert "安排专项资金5亿元，支持企业研发（含中试）。" in md
    assert "安排专项资金5亿元，支持企业研发（含中试）。" in _text(_open(to_docx(d, include_sources=False)))


def test_review_docx_comparison_table(draft: Draft) -> None:
    from app.case_view import review_changes
    from assistant.letters.export import to_review_docx

    plain = Document(io.BytesIO(to_review_docx(draft)))
    assert not plain.tables
    changes = [("第2段 修改", [("same", "全市共有"), ("del", "248"), ("ins", "250"), ("same", "家。")]),
               ("第5段 新增", [("ins", "新增一段\x01。")])]
    doc = Document(io.BytesIO(to_review_docx(draft, changes=changes, against="第1版")))
    heads = [p.text for p in doc.paragraphs if p.text.startswith("修改对照")]
    assert heads and "与第1版相比" in heads[0]
    table = doc.tables[-1]
    assert [c.text for c in table.rows[0].cells] == ["位置", "修改"]
    assert table.rows[1].cells[0].text == "第2段 修改" and table.rows[1].cells[1].text == "全市共有248250家。"
    runs = {r.text: r for r in table.rows[1].cells[1].paragraphs[0].runs}
    assert runs["248"].font.strike and not runs["248"].font.underline
    assert runs["250"].font.underline and not runs["250"].font.strike and not runs["全市共有"].font.strike
    assert table.rows[2].cells[1].text == "新增一段。"  # control characters dropped
    empty = Document(io.BytesIO(to_review_docx(draft, changes=[], against="第1版")))
    assert any("没有修改" in p.text for p in empty.paragraphs) and not empty.tables
    # the 办件 page's rows: version n against the one before it
    from types import SimpleNamespace as NS

    vs = [NS(n=1, text="一、总体\n共有248家。[1]"), NS(n=2, text="一、总体\n共有250家。[1]")]
    assert review_changes(vs, 1) == (None, "")
    rows, against = review_changes(vs, 2)
    assert against == "第1版" and rows == [("第2段 修改", [("same", "共有"), ("del", "248"), ("ins", "250"),
                                                          ("same", "家。")])]

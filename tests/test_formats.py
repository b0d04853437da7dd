"""Every archive format: text, table rows, sections and metadata per format; bad inputs give one clear line.

Fixtures come from tests/fixtures/make_formats.py, made once per session. OCR is slow on 2 cores (~4 s a
page), so only three OCR inputs are read: a clean 200 dpi scan, a photo-like 150 dpi JPEG and a mixed PDF.
"""

from __future__ import annotations

import shutil
from pathlib import Path

import pytest

from core.settings import Settings
from ingest.loaders import SUPPORTED_SUFFIXES, LoadError, identify, load_document
from ingest.loaders.base import Line, lines_to_paragraphs, ocr_low_pages, tidy_ocr_text
from ingest.pipeline import discover, ingest_paths, parse_file
from tests.fixtures import make_formats as mf

TABLE_ROWS = ["指标 | 2022年 | 2023年", "小巨人企业（家） | 193 | 248", "备注 | 数据来源：市科学技术局"]


@pytest.fixture(scope="session")
def text_files(tmp_path_factory: pytest.TempPathFactory) -> dict[str, Path]:
    return mf.make_text_formats(tmp_path_factory.mktemp("formats"))


@pytest.fixture(scope="session")
def scans(tmp_path_factory: pytest.TempPathFactory) -> dict[str, Path]:
    if mf.font_path() is None:
        pytest.skip("rendered scans need fonts-noto-cjk (make fonts, or apt-get install fonts-noto-cjk)")
    return mf.make_scans(tmp_path_factory.mktemp("scans"))


@pytest.fixture(scope="session")
def bad_files(tmp_path_factory: pytest.TempPathFactory, text_files: dict[str, Path]) -> dict[str, Path]:
    return mf.make_bad(tmp_path_factory.mktemp("bad"), text_files["docx"], text_files["ofd"],
                       (mf.COMMITTED / "reply-table.pdf").read_bytes())


@pytest.mark.parametrize(("key", "kind"), [("docx", "docx"), ("doc", "doc"), ("wps", "wps"), ("pdf", "pdf"),
                                           ("doc-as-docx", "doc"), ("ofd", "ofd")])
def test_text_formats_read_letter_and_table(text_files: dict[str, Path], key: str, kind: str) -> None:
    document = load_document(text_files[key])
    assert document.kind == kind
    lines = document.text.split("\n")
    assert lines[:2] == [mf.TITLE, mf.SALUTATION]
    for paragraph in (*mf.BODY, *mf.SIGNATURE):
        assert paragraph in lines  # whole paragraphs: lines wrapped on the page are joined again
    if kind != "ofd":  # the OFD fixture has no table
        start = lines.index(mf.BODY[2]) + 1
        assert lines[start : start + 3] == TABLE_ROWS  # inside 一、, merged 备注 cell read once
    assert not document.ocr_pages


def test_docx_that_is_really_word97_is_read_as_doc(text_files: dict[str, Path]) -> None:
    document = load_document(text_files["doc-as-docx"])
    assert document.notes == ["named .docx but is Word 97-2003 (.doc)"]


def test_ofd_keeps_page_order(text_files: dict[str, Path]) -> None:
    document = load_document(text_files["ofd"])
    assert [p.number for p in document.pages] == [1, 2]
    assert document.pages[1].text.split("\n") == mf.PAGE_TWO


def test_formats_are_chosen_by_content(text_files: dict[str, Path], tmp_path: Path) -> None:
    data = text_files["pdf"].read_bytes()
    assert identify(tmp_path / "letter.txt", data).name == "pdf"
    assert identify(tmp_path / "letter.docx", text_files["ofd"].read_bytes()).name == "ofd"
    assert identify(tmp_path / "letter.wps", text_files["doc"].read_bytes()).name == "wps"
    assert {".doc", ".wps", ".ofd", ".png", ".jpg", ".jpeg", ".tif", ".tiff", ".bmp"} <= SUPPORTED_SUFFIXES


@pytest.mark.parametrize("key", ["docx", "doc", "wps", "pdf", "ofd"])
def test_sections_and_metadata_per_format(text_files: dict[str, Path], key: str) -> None:
    parsed = parse_file(text_files[key], Settings())
    meta = parsed.record.metadata
    assert meta["city"] == "佛山" or "佛山" in str(meta["city"])
    assert meta["date"] == "2024-04-29"
    assert meta["source_format"] == ("doc" if key == "doc" else key)
    headings = {c.metadata["heading_path"] for c in parsed.record.chunks}
    assert any("一、工作进展" in h for h in headings) and any("二、下一步工作" in h for h in headings)
    table_chunk = next(c for c in parsed.record.chunks if "小巨人企业248家" in c.text)
    if key != "ofd":
        assert "小巨人企业（家） | 193 | 248".replace("（", "(").replace("）", ")") in table_chunk.text
        assert "一、工作进展" in table_chunk.metadata["heading_path"]


def test_bad_inputs_each_give_one_clear_line(bad_files: dict[str, Path]) -> None:
    for name, expected in mf.BAD.items():
        with pytest.raises(LoadError) as info:
            load_document(bad_files[name])
        assert expected in info.value.reason.lower(), (name, info.value.reason)
        assert "\n" not in str(info.value)


def test_ingest_names_every_file_not_read_and_keeps_the_rest(
    store, settings, text_files: dict[str, Path], bad_files: dict[str, Path], tmp_path: Path  # noqa: ANN001
) -> None:
    folder = tmp_path / "archive"
    folder.mkdir()
    for key in ("docx", "wps", "ofd"):
        shutil.copy(text_files[key], folder / text_files[key].name)
    first = ingest_paths(discover(folder), store, settings, progress=False)
    assert first.failed == [] and first.added == 3
    before = set(store.doc_records())
    for path in bad_files.values():
        shutil.copy(path, folder / path.name)
    (folder / "reply-ofd.ofd").write_bytes(bad_files["truncated.ofd"].read_bytes())  # a stored file damaged
    report = ingest_paths(discover(folder), store, settings, progress=False, prune=True)
    failed = {Path(p).name: reason for p, reason in report.failed}
    assert set(failed) == {*mf.BAD, "reply-ofd.ofd"}
    assert failed["reply-ofd.ofd"].startswith("damaged .ofd file")
    assert set(store.doc_records()) == before  # nothing stored was lost, not even the damaged file's copy


def test_same_document_in_two_formats_is_stored_once(store, settings, text_files: dict[str, Path],  # noqa: ANN001
                                                     tmp_path: Path) -> None:
    folder = tmp_path / "pair"
    folder.mkdir()
    shutil.copy(text_files["doc"], folder / "答复.doc")
    shutil.copy(text_files["pdf"], folder / "答复.pdf")
    report = ingest_paths(discover(folder), store, settings, progress=False)
    assert report.added == 1 and report.failed == []
    assert report.duplicates == [(str(folder / "答复.pdf"), "same text as 答复.doc; stored once")]
    again = ingest_paths(discover(folder), store, settings, progress=False)
    assert again.unchanged == 1 and again.failed == [] and len(again.duplicates) == 1


def test_lines_join_into_chinese_paragraphs() -> None:
    h = 20.0
    lines = [
        Line("关于加快培育专精特新企业", 150, 0, 450, h),  # centred title
        Line("李明代表：", 50, 40, 150, 40 + h),
        Line("您提出的建议收悉。截至2023年底，全市累计培育", 90, 80, 550, 80 + h),  # indented first line
        Line("小巨人企业248家。", 50, 110, 230, 110 + h),  # short last line
        Line("一、工作进展", 50, 140, 170, 140 + h),
        Line("指标", 50, 170, 90, 170 + h), Line("2023年", 300, 170, 380, 170 + h),  # one row, two cells
    ]
    assert lines_to_paragraphs(lines, page_width=600) == [
        "关于加快培育专精特新企业", "李明代表：", "您提出的建议收悉。截至2023年底，全市累计培育小巨人企业248家。",
        "一、工作进展", "指标 | 2023年",
    ]
    assert tidy_ocr_text("第 1 7 号 建议") == "第17号建议"
    assert tidy_ocr_text("table 193 248") == "table 193 248"


def test_low_confidence_pages_are_read_from_metadata() -> None:
    assert ocr_low_pages({"ocr_confidence": "1:0.990 2:0.610 3:0.840"}, 0.85) == [2, 3]
    assert ocr_low_pages({}, 0.85) == []


# -- OCR (slow: three pages in all) ------------------------------------------------------------------------
def _cer(expected: str, got: str) -> float:
    from benchmarks.bench_formats import cer

    return cer(expected, got)


def test_clean_scan_is_read_with_paragraphs(scans: dict[str, Path]) -> None:
    document = load_document(scans["png"])
    page = document.pages[0]
    assert document.kind == "image" and page.ocr and page.confidence is not None and page.confidence > 0.9
    assert page.text.split("\n")[:2] == [mf.TITLE, mf.SALUTATION]
    for probe in mf.PROBES:
        assert probe in page.text
    assert _cer(mf.source_text(), page.text) <= 0.02


def test_photo_like_scan_within_five_percent(scans: dict[str, Path]) -> None:
    page = load_document(scans["jpg"]).pages[0]
    assert _cer(mf.source_text(), page.text) <= 0.05


def test_mixed_pdf_ocrs_only_the_page_without_text(scans: dict[str, Path], settings) -> None:  # noqa: ANN001
    document = load_document(scans["mixed-pdf"])
    assert [p.ocr for p in document.pages] == [False, True]
    assert document.pages[1].text.split("\n")[-2:] == mf.PAGE_TWO
    strict = settings.model_copy(update={"ocr_min_confidence": 1.0})
    parsed = parse_file(scans["mixed-pdf"], strict)
    assert parsed.record.metadata["ocr_pages"] == "2" and parsed.record.metadata["ocr_low_pages"] == "2"
    flags = {c.text: bool(c.metadata.get("ocr_low_confidence")) for c in parsed.record.chunks}
    assert any(flag for text, flag in flags.items() if "高新技术处" in text)  # from the OCR page
    assert not any(flag for text, flag in flags.items() if "一次性奖励" in text)  # from the text page


# -- OCR line joins, repeated pages, low-confidence lines (no OCR run: fast) -------------------------------------
@pytest.mark.parametrize(("before", "after", "joined"), [
    ("我局今年下达专项扶持经费，20", "22年共支持项目15个。", True),  # a year broken in two
    ("根据《通知》（粤工信函〔20", "23〕12号）要求，", True),  # a 文号
    ("依据《通知》（粤工信函〔", "2023〕12号）", True),
    ("全市累计下达资金31.", "6万元。", True),  # a decimal after its point
    ("全市累计培育企业20", "家，其中……", True),  # a number and its unit
    ("截至2023年", "6月底，全市……", True),  # a date between year and month
    ("已于2023年6", "月底前完成。", True),
    ("截至2023年6月", "30日，全市……", True),
    ("联系电话：0660-3371024", "2024年4月29日", False),  # a telephone number ends its line
    ("联系电话：88886666", "2024年4月29日", False),
    ("编号：2024", "年度重点工作", False),  # a value after a label
    ("全市共有企业20", "1. 加强组织领导。", False),  # a list item starts a paragraph
    ("一、工作", "进展", False),
    ("2024", "年", False),  # a row without Chinese (a page number)
])
def test_ocr_rows_never_split_a_number_date_or_doc_number(before: str, after: str, joined: bool) -> None:
    from ingest.loaders.base import splits_number

    assert splits_number(before, after) is joined
    # as OCR rows: the first ends well short of the right margin (digits are half as wide), a full row above it
    rows = [Line("全市上下认真贯彻落实各项决策部署，统筹推进各项工作，取得积极成效，", 100, 0, 1300, 30),
            Line(before, 100, 50, 100 + 30 * len(before) - 200, 80), Line(after, 100, 100, 100 + 30 * len(after), 130)]
    paragraphs = lines_to_paragraphs(rows, page_width=1400)
    assert any(before + after in p for p in paragraphs) is joined, paragraphs


def test_a_page_scanned_twice_is_stored_once() -> None:
    from ingest.loaders.base import Page
    from ingest.loaders.ocr import drop_repeated_pages

    one = "关于加快完善县域冷链物流设施的建议\n近年来，我市水产品和果蔬产量稳步增长，2023年全市水产品总产量达到31.6万吨。"
    again = one.replace("31.6", "31,6")  # the second reading differs by a character
    other = "二、下一步工作\n我局将继续加大支持力度，推动冷链物流设施建设，2025年底前实现主要产区全覆盖。"
    pages = [Page(1, one, ocr=True), Page(2, again, ocr=True), Page(3, other, ocr=True)]
    kept, notes = drop_repeated_pages(pages)
    assert [p.number for p in kept] == [1, 3]
    assert notes == ["page 2 left out: the same text as page 1 (a page scanned twice)"]
    assert drop_repeated_pages([Page(1, one), Page(2, other, ocr=True)])[0] == [Page(1, one), Page(2, other, ocr=True)]
    short = [Page(1, "此复", ocr=True), Page(2, "此复", ocr=True)]  # too little text to call it a repeat
    assert len(drop_repeated_pages(short)[0]) == 2


def test_low_confidence_lines_are_listed_for_the_drafter(monkeypatch: pytest.MonkeyPatch) -> None:
    """ocr_image keeps each line's confidence: the lines under the floor are on the page and in the load notes;
    a page that reads badly is tried upside down and the better reading kept."""
    from ingest.loaders import ocr

    good = [Line("关于加快完善县域冷链物流设施的建议", 100, 0, 700, 30, 0.99),
            Line("近年来我市水产品产量稳步增长", 100, 50, 600, 80, 0.62)]
    monkeypatch.setattr(ocr, "ocr_lines", lambda image: (good, 1400))
    page = ocr.ocr_image(_Image(), 1)
    assert page.low_lines == [("近年来我市水产品产量稳步增长", 0.62)]
    from ingest.loaders.base import Document

    assert Document([page], "image").low_confidence_lines() == ["近年来我市水产品产量稳步增长"]
    [note] = ocr.low_line_notes([page])
    assert note.startswith("page 1: 1 OCR line(s) under confidence 0.80") and "近年来我市水产品" in note
    garbled = [Line("系杀校实授企校", 100, 0, 300, 30, 0.41)]
    calls: list[int] = []

    def reading(image: object) -> tuple[list[Line], int]:
        calls.append(1)
        return (good if getattr(image, "turned", False) else garbled), 1400

    monkeypatch.setattr(ocr, "ocr_lines", reading)
    page = ocr.ocr_image(_Image(), 1)
    assert len(calls) == 2 and page.text.startswith("关于加快完善县域冷链物流设施的建议")


class _Image:
    turned = False

    def rotate(self, degrees: int, expand: bool = False) -> _Image:
        turned = _Image()
        turned.turned = degrees == 180
        return turned

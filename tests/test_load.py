"""Tests for ingest.load: encodings, formats, and every way a file can fail to load."""

from __future__ import annotations

import io
import pickle
import random
import zipfile
from pathlib import Path

import docx
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st
from pypdf import PdfReader, PdfWriter

from ingest.load import SUPPORTED_SUFFIXES, LoadError, decode_bytes, load_file
from ingest.loaders import html as html_loader
from ingest.loaders import text as text_loader

REPLY = "广州市工业和信息化局关于第20242679号建议的答复\n一、主要工作"
PNG_HEADER = bytes.fromhex("89504e470d0a1a0a0000000d49484452000000100000001008060000001ff3ff61")


def write(tmp_path: Path, name: str, data: bytes) -> Path:
    path = tmp_path / name
    path.write_bytes(data)
    return path


def minimal_pdf(lines: list[str]) -> bytes:
    """A one-page PDF written by hand: Helvetica text objects, xref offsets computed exactly."""
    operators = ["BT", "/F1 24 Tf", "72 720 Td"]
    for index, line in enumerate(lines):
        if index:
            operators.append("0 -30 Td")
        operators.append(f"({line}) Tj")
    operators.append("ET")
    stream = "\n".join(operators).encode("ascii")
    objects = [
        b"<< /Type /Catalog /Pages 2 0 R >>",
        b"<< /Type /Pages /Kids [3 0 R] /Count 1 >>",
        b"<< /Type /Page /Parent 2 0 R /MediaBox [0 0 612 792] "
        b"/Resources << /Font << /F1 5 0 R >> >> /Contents 4 0 R >>",
        b"<< /Length %d >>\nstream\n" % len(stream) + stream + b"\nendstream",
        b"<< /Type /Font /Subtype /Type1 /BaseFont /Helvetica >>",
    ]
    out = bytearray(b"%PDF-1.4\n%\xe2\xe3\xcf\xd3\n")
    offsets = []
    for number, body in enumerate(objects, start=1):
        offsets.append(len(out))
        out += b"%d 0 obj\n" % number + body + b"\nendobj\n"
    xref_at = len(out)
    out += b"xref\n0 %d\n0000000000 65535 f \n" % (len(objects) + 1)
    for offset in offsets:
        out += b"%010d 00000 n \n" % offset
    out += b"trailer\n<< /Size %d /Root 1 0 R >>\nstartxref\n%d\n%%%%EOF\n" % (len(objects) + 1, xref_at)
    return bytes(out)


def build_docx() -> bytes:
    document = docx.Document()
    document.add_heading("关于第20242679号建议的答复", level=1)
    document.add_paragraph("尊敬的代表：您提出的建议收悉。")
    table = document.add_table(rows=2, cols=3)
    for row, values in zip(
        table.rows, [("序号", "事项", "责任单位"), ("1", "产业扶持", "市工信局")], strict=True
    ):
        for cell, value in zip(row.cells, values, strict=True):
            cell.text = value
    document.add_paragraph("二、下一步工作计划")
    buffer = io.BytesIO()
    document.save(buffer)
    return buffer.getvalue()


# --- decode_bytes / text files ------------------------------------------------------------------


@pytest.mark.parametrize(
    "encoded",
    [
        pytest.param(REPLY.encode("utf-8"), id="utf-8"),
        pytest.param(REPLY.encode("utf-8-sig"), id="utf-8-bom"),
        pytest.param(b"\xff\xfe" + REPLY.encode("utf-16-le"), id="utf-16-le-bom"),
        pytest.param(b"\xfe\xff" + REPLY.encode("utf-16-be"), id="utf-16-be-bom"),
        pytest.param(REPLY.encode("utf-16-le"), id="utf-16-le-no-bom"),
        pytest.param(REPLY.encode("utf-16-be"), id="utf-16-be-no-bom"),
        pytest.param(REPLY.encode("utf-32"), id="utf-32-bom"),
        pytest.param(REPLY.encode("gbk"), id="gbk"),
        pytest.param(REPLY.encode("gb2312"), id="gb2312"),
        pytest.param((REPLY + "𠀀䶮").encode("gb18030"), id="gb18030-only-chars"),
    ],
)
def test_text_encodings_round_trip_exactly(tmp_path: Path, encoded: bytes) -> None:
    expected = REPLY + ("𠀀䶮" if "𠀀".encode("gb18030") in encoded else "")
    assert decode_bytes(encoded) == expected
    assert load_file(write(tmp_path, "reply.txt", encoded)) == expected


def test_gbk_bytes_are_not_valid_utf8_so_the_test_means_something() -> None:
    with pytest.raises(UnicodeDecodeError):
        REPLY.encode("gbk").decode("utf-8")


def test_line_endings_are_normalised(tmp_path: Path) -> None:
    data = "第一行\r\n第二行\r第三行\n".encode()
    assert decode_bytes(data) == "第一行\n第二行\n第三行\n"
    assert load_file(write(tmp_path, "notes.md", data)) == "第一行\n第二行\n第三行\n"
    utf16 = b"\xff\xfe" + "a\r\nb".encode("utf-16-le")
    assert decode_bytes(utf16) == "a\nb"


def test_markdown_suffix_case_insensitive(tmp_path: Path) -> None:
    assert load_file(write(tmp_path, "README.MARKDOWN", b"# Title\nbody")) == "# Title\nbody"


def test_legacy_encoding_falls_back_to_charset_normalizer() -> None:
    text = "Министерство ответило на обращение гражданина. Спасибо за ваше письмо. " * 3
    data = text.encode("cp1251")
    with pytest.raises(UnicodeDecodeError):
        data.decode("gb18030")  # so the detector, not GB18030, has to find it
    assert decode_bytes(data) == text


@pytest.mark.parametrize(
    "data",
    [
        pytest.param(random.Random(7).randbytes(4096) + b"\x00\x00", id="random-with-nuls"),
        pytest.param(PNG_HEADER + bytes(range(256)) * 4, id="png"),
        pytest.param(b"text\x00with a stray nul", id="odd-length-nul"),
        pytest.param("普通文本".encode() + b"\x00" * 64, id="nul-padding"),
    ],
)
def test_binary_bytes_are_rejected(tmp_path: Path, data: bytes) -> None:
    assert b"\x00" in data
    with pytest.raises(ValueError, match="binary content, not text"):
        decode_bytes(data)
    with pytest.raises(LoadError, match="binary") as info:
        load_file(write(tmp_path, "image.txt", data))
    assert "image.txt" in str(info.value)


def test_many_control_characters_are_binary() -> None:
    with pytest.raises(ValueError, match="binary"):
        decode_bytes(b"ab\x01\x02\x03\x04cd" * 10)
    # A few escape characters in real text are tolerated.
    assert decode_bytes(b"a\x1b[1m bold text in a log line \x1b[0m, otherwise ordinary prose").startswith("a")


def test_undecodable_bytes_raise_value_error(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr(text_loader, "_guess_encoding", lambda data: None)
    with pytest.raises(ValueError, match=r"undecodable text \(tried utf-8, utf-16, gb18030\)"):
        decode_bytes(b"\xff\xfe\xfd\x80 abc \x80\xff")


def test_empty_bytes_decode_to_empty_string() -> None:
    assert decode_bytes(b"") == ""


@settings(max_examples=300, deadline=None)
@given(st.binary(max_size=512))
def test_decode_bytes_only_ever_raises_value_error(data: bytes) -> None:
    try:
        text = decode_bytes(data)
    except ValueError:
        return
    assert isinstance(text, str)
    assert "\r" not in text


@settings(max_examples=200, deadline=None)
@given(st.text(alphabet=st.characters(codec="utf-8", exclude_categories=("Cc", "Cs")), max_size=200))
def test_utf8_text_round_trips(text: str) -> None:
    assert decode_bytes(text.encode("utf-8")) == text


# --- generic failures ------------------------------------------------------------------------------


def test_empty_and_whitespace_only_files(tmp_path: Path) -> None:
    with pytest.raises(LoadError) as empty:
        load_file(write(tmp_path, "empty.txt", b""))
    assert str(empty.value) == f"{tmp_path / 'empty.txt'}: empty file"
    with pytest.raises(LoadError) as blank:
        load_file(write(tmp_path, "blank.txt", " \r\n\t\u3000\n".encode()))
    assert "blank.txt" in str(blank.value)
    assert blank.value.reason == "no text found"


def test_oversize_file_names_the_limit(tmp_path: Path) -> None:
    path = write(tmp_path, "big.txt", b"x" * 101)
    with pytest.raises(LoadError) as info:
        load_file(path, max_bytes=100)
    assert info.value.reason == "file too large: 101 bytes > limit 100"
    assert load_file(path, max_bytes=101) == "x" * 101


def test_unsupported_suffix_lists_supported_ones(tmp_path: Path) -> None:
    path = write(tmp_path, "setup.exe", b"MZ")
    with pytest.raises(LoadError) as info:
        load_file(path)
    message = str(info.value)
    assert message.startswith(f"{path}: ")
    assert "'.exe'" in message
    for suffix in SUPPORTED_SUFFIXES:
        assert suffix in message
    with pytest.raises(LoadError, match="no suffix"):
        load_file(write(tmp_path, "README", b"text"))


def test_missing_file_and_directory(tmp_path: Path) -> None:
    with pytest.raises(LoadError, match="file not found"):
        load_file(tmp_path / "missing.txt")
    (tmp_path / "folder.txt").mkdir()
    with pytest.raises(LoadError, match="not a regular file"):
        load_file(tmp_path / "folder.txt")


def test_unreadable_file(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    path = write(tmp_path, "locked.txt", b"secret")

    def deny(self: Path, *args: object, **kwargs: object) -> None:
        raise PermissionError(13, "Permission denied")

    monkeypatch.setattr(Path, "open", deny)  # chmod 000 does not stop root, which CI may run as
    with pytest.raises(LoadError) as info:
        load_file(path)
    assert str(info.value) == f"{path}: cannot read file: Permission denied"


def test_load_error_shape_and_pickling() -> None:
    err = LoadError(Path("/corpus/a.pdf"), "corrupt PDF:\n  bad xref\n")
    assert err.path == "/corpus/a.pdf"
    assert err.reason == "corrupt PDF: bad xref"
    assert str(err) == "/corpus/a.pdf: corrupt PDF: bad xref"
    clone = pickle.loads(pickle.dumps(err))
    assert (clone.path, clone.reason, str(clone)) == (err.path, err.reason, str(err))
    assert "\n" not in str(LoadError("x.txt", "r" * 5000))


def test_supported_suffixes() -> None:
    assert {".txt", ".md", ".markdown", ".html", ".htm", ".docx", ".pdf", ".doc", ".wps", ".ofd", ".png", ".jpg",
            ".jpeg", ".tif", ".tiff", ".bmp"} == SUPPORTED_SUFFIXES


def test_str_path_is_accepted(tmp_path: Path) -> None:
    path = write(tmp_path, "a.txt", b"hello")
    assert load_file(str(path)) == "hello"  # type: ignore[arg-type]


# --- HTML -----------------------------------------------------------------------------------------

PAGE = """<!DOCTYPE html>
<html><head><meta charset="gbk"><title>网站标题不应出现</title>
<style>body { color: red; } .secret-css { display: none; }</style>
<script>alert(1); var leaked = "脚本内容";</script>
</head>
<body onload="alert(2)">
<nav><ul><li>首页</li><li>导航菜单</li></ul></nav>
<header>页眉横幅</header>
<h1>广州市工业和信息化局关于第20242679号建议的答复</h1>
<div class="content" onclick="alert(3)">
<p>尊敬的代表：</p>
<p>您提出的关于<b>推动</b>产业发展的建议收悉。</p>
<table><tr><th>序号</th><th>事项</th></tr><tr><td>1</td><td>主要工作</td></tr></table>
<p>第一行<br>第二行&nbsp;&amp;&lt;完&gt;</p>
<!-- 注释不应出现 -->
<noscript>请启用脚本</noscript><template><p>模板内容</p></template>
<iframe src="https://example.com">框架内容</iframe>
<svg><text>矢量图文字</text></svg>
<p hidden>隐藏段落</p>
</div>
<footer>版权所有</footer>
</body></html>
"""
PAGE_LINES = [
    "广州市工业和信息化局关于第20242679号建议的答复",
    "尊敬的代表：",
    "您提出的关于推动产业发展的建议收悉。",
    "序号 事项",
    "1 主要工作",
    "第一行",
    "第二行 &<完>",
]
NOT_IN_PAGE = [
    "alert", "leaked", "脚本内容", "color", "secret-css", "网站标题", "首页", "导航菜单", "页眉横幅",
    "注释", "请启用脚本", "模板内容", "框架内容", "矢量图文字", "隐藏段落", "版权所有",
]  # fmt: skip


def test_html_gbk_meta_charset_keeps_body_and_drops_chrome(tmp_path: Path) -> None:
    data = PAGE.encode("gbk")
    assert b"\x00" not in data
    text = load_file(write(tmp_path, "reply.html", data))
    assert text.split("\n") == PAGE_LINES
    for unwanted in NOT_IN_PAGE:
        assert unwanted not in text


def test_html_stdlib_fallback_matches_beautifulsoup(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    def explode(markup: str) -> str:
        raise RecursionError("maximum recursion depth exceeded")

    monkeypatch.setattr(html_loader, "_html_text_bs4", explode)
    text = load_file(write(tmp_path, "reply.htm", PAGE.encode("gbk")))
    assert text.split("\n") == PAGE_LINES


def test_html_without_meta_is_detected_as_gb18030(tmp_path: Path) -> None:
    page = "<html><body><p>" + REPLY.replace("\n", "</p><p>") + "</p></body></html>"
    assert load_file(write(tmp_path, "plain.html", page.encode("gbk"))) == REPLY


def test_html_mislabelled_utf8_page_is_read_as_utf8(tmp_path: Path) -> None:
    page = '<meta http-equiv="Content-Type" content="text/html; charset=gb2312"><p>' + REPLY + "</p>"
    assert load_file(write(tmp_path, "mislabelled.html", page.encode("utf-8"))) == REPLY.replace("\n", " ")


def test_html_unknown_meta_charset_is_ignored(tmp_path: Path) -> None:
    page = '<meta charset="no-such-codec"><p>答复</p>'
    assert load_file(write(tmp_path, "odd.html", page.encode("gbk"))) == "答复"


def test_html_unclosed_head_does_not_swallow_body(tmp_path: Path) -> None:
    page = "<html><head><title>标题</title><body><p>正文内容</p></body></html>"
    assert load_file(write(tmp_path, "sloppy.html", page.encode("utf-8"))) == "正文内容"


def test_html_preformatted_keeps_lines(tmp_path: Path) -> None:
    page = "<pre>第一行\n第二行</pre><p>后文</p>"
    assert load_file(write(tmp_path, "pre.html", page.encode())) == "第一行\n第二行\n后文"


def test_html_deeply_nested_loads(tmp_path: Path) -> None:
    page = "<html><body>" + "<div>" * 5000 + "深层文本" + "</div>" * 5000 + "<p>结尾</p></body></html>"
    assert load_file(write(tmp_path, "deep.html", page.encode())) == "深层文本\n结尾"
    assert html_loader._html_text_fallback(page) == "深层文本\n结尾"


def test_html_with_only_chrome_has_no_text(tmp_path: Path) -> None:
    page = "<html><head><title>只有标题</title></head><body><script>x()</script></body></html>"
    with pytest.raises(LoadError, match="no text found"):
        load_file(write(tmp_path, "chrome.html", page.encode()))


# --- DOCX -----------------------------------------------------------------------------------------


def test_docx_paragraphs_and_table_in_body_order(tmp_path: Path) -> None:
    text = load_file(write(tmp_path, "reply.docx", build_docx()))
    assert text.split("\n") == [
        "关于第20242679号建议的答复",
        "尊敬的代表：您提出的建议收悉。",
        "序号 | 事项 | 责任单位",
        "1 | 产业扶持 | 市工信局",
        "二、下一步工作计划",
    ]


def test_docx_merged_cells_are_not_repeated(tmp_path: Path) -> None:
    document = docx.Document()
    table = document.add_table(rows=2, cols=3)
    table.cell(0, 0).merge(table.cell(0, 2)).text = "合并标题"
    for cell, value in zip(table.rows[1].cells, ("甲", "乙", "丙"), strict=True):
        cell.text = value
    buffer = io.BytesIO()
    document.save(buffer)
    text = load_file(write(tmp_path, "merged.docx", buffer.getvalue()))
    assert text.split("\n") == ["合并标题", "甲 | 乙 | 丙"]


def test_docx_random_bytes_is_corrupt(tmp_path: Path) -> None:
    path = write(tmp_path, "random.docx", random.Random(1).randbytes(2048))
    with pytest.raises(LoadError, match=r"corrupt or not a \.docx file") as info:
        load_file(path)
    assert "random.docx" in str(info.value)


def test_docx_zip_without_document_is_corrupt(tmp_path: Path) -> None:
    buffer = io.BytesIO()
    with zipfile.ZipFile(buffer, "w") as archive:
        archive.writestr("hello.txt", "not a word document")
    with pytest.raises(LoadError, match=r"corrupt or not a \.docx file"):
        load_file(write(tmp_path, "empty-zip.docx", buffer.getvalue()))


def test_docx_without_text(tmp_path: Path) -> None:
    buffer = io.BytesIO()
    docx.Document().save(buffer)
    with pytest.raises(LoadError, match="no text found"):
        load_file(write(tmp_path, "blank.docx", buffer.getvalue()))


def test_docx_zip_bomb_is_refused(tmp_path: Path) -> None:
    buffer = io.BytesIO()
    with zipfile.ZipFile(buffer, "w", compression=zipfile.ZIP_DEFLATED) as archive:
        archive.writestr("word/document.xml", b" " * 2_000_000)
    data = buffer.getvalue()
    with pytest.raises(LoadError, match="file too large: 2000000 bytes uncompressed"):
        load_file(write(tmp_path, "bomb.docx", data), max_bytes=len(data) + 1)


# --- PDF ------------------------------------------------------------------------------------------


def test_hand_made_pdf_is_well_formed() -> None:
    data = minimal_pdf(["Reply 2024 No. 117"])
    reader = PdfReader(io.BytesIO(data), strict=True)  # strict: a wrong xref offset would raise
    assert len(reader.pages) == 1


def test_pdf_text_is_extracted(tmp_path: Path) -> None:
    text = load_file(write(tmp_path, "reply.pdf", minimal_pdf(["Reply 2024 No. 117", "Second line"])))
    assert text.split("\n") == ["Reply 2024 No. 117", "Second line"]


@pytest.mark.parametrize(
    "data",
    [
        pytest.param(minimal_pdf(["Reply 2024 No. 117"])[:200], id="truncated"),
        pytest.param(random.Random(2).randbytes(4096), id="random"),
        pytest.param(b"%PDF-1.4\n%%EOF\n", id="header-only"),
    ],
)
def test_broken_pdf_raises_load_error(tmp_path: Path, data: bytes) -> None:
    with pytest.raises(LoadError, match="PDF") as info:
        load_file(write(tmp_path, "broken.pdf", data))
    assert "broken.pdf" in str(info.value)


def test_blank_pdf_has_no_extractable_text(tmp_path: Path) -> None:
    writer = PdfWriter()
    writer.add_blank_page(width=612, height=792)
    buffer = io.BytesIO()
    writer.write(buffer)
    with pytest.raises(LoadError) as info:
        load_file(write(tmp_path, "scan.pdf", buffer.getvalue()))
    assert info.value.reason.startswith("no extractable text")


def _encrypted_pdf(user_password: str) -> bytes:
    writer = PdfWriter()
    writer.append(PdfReader(io.BytesIO(minimal_pdf(["Reply 2024 No. 117"]))))
    writer.encrypt(user_password=user_password, owner_password="owner-secret", algorithm="RC4-128")
    buffer = io.BytesIO()
    writer.write(buffer)
    return buffer.getvalue()


def test_password_protected_pdf_is_refused(tmp_path: Path) -> None:
    with pytest.raises(LoadError, match="encrypted PDF"):
        load_file(write(tmp_path, "locked.pdf", _encrypted_pdf("user-secret")))


def test_pdf_encrypted_with_empty_user_password_opens(tmp_path: Path) -> None:
    assert load_file(write(tmp_path, "owner-only.pdf", _encrypted_pdf(""))) == "Reply 2024 No. 117"


# --- robustness -------------------------------------------------------------------------------------


def _mutations(data: bytes, seed: int, count: int) -> list[bytes]:
    rng = random.Random(seed)
    out = []
    for _ in range(count):
        mutated = bytearray(data)
        for _ in range(rng.randint(1, 20)):
            mutated[rng.randrange(len(mutated))] = rng.randrange(256)
        if rng.random() < 0.3:
            mutated = mutated[: rng.randrange(1, len(mutated))]
        out.append(bytes(mutated))
    return out


@pytest.mark.parametrize(
    ("suffix", "original"),
    [
        (".pdf", minimal_pdf(["Reply 2024 No. 117"])),
        (".docx", build_docx()),
        (".html", PAGE.encode("gbk")),
        (".txt", REPLY.encode("utf-16")),
    ],
)
def test_corrupted_files_only_ever_raise_load_error(tmp_path: Path, suffix: str, original: bytes) -> None:
    for index, data in enumerate(_mutations(original, seed=len(original), count=40)):
        path = write(tmp_path, f"fuzz{index}{suffix}", data)
        try:
            text = load_file(path)
        except LoadError as err:
            assert err.path == str(path)
            assert err.reason
        else:
            assert isinstance(text, str) and text.strip()

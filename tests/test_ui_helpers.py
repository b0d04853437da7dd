"""Pure helpers of the browser app: upload names, escaping and highlighting."""

from __future__ import annotations

from pathlib import Path

import pytest

from assistant.ui import (
    answer_markdown,
    citation_label,
    escape_block,
    highlight,
    safe_upload_name,
    stream_escape,
    upload_path,
)


@pytest.mark.parametrize(("name", "expected"), [
    ("../../etc/passwd", "passwd"),
    ("a/b.txt", "b.txt"),
    ("..\\x.txt", "x.txt"),
    ("C:\\Users\\me\\答复 函.docx", "答复 函.docx"),
    ("my file  name.txt", "my file name.txt"),
    ("揭阳市答复.pdf", "揭阳市答复.pdf"),
    ("a\x00b\x1f\u202ec.txt", "abc.txt"),
    ("x..y.txt", "x.y.txt"),
    ("what?<>|.md", "what____.md"),
    ("CON.txt", "_CON.txt"),
])
def test_safe_upload_name(name: str, expected: str) -> None:
    assert safe_upload_name(name) == expected


@pytest.mark.parametrize("name", ["", "..", "../", "/", "\\..\\", " . ", "\x00\x01", "a/.."])
def test_safe_upload_name_refuses_empty(name: str) -> None:
    with pytest.raises(ValueError):
        safe_upload_name(name)


def test_safe_upload_name_limits_length() -> None:
    out = safe_upload_name("长" * 300 + ".txt")
    assert out.endswith(".txt") and len(out.encode("utf-8")) <= 200


@pytest.mark.parametrize("name", ["../../etc/passwd", "a/b.txt", "..\\x.txt", "with spaces .txt", "/abs/path.md",
                                  "....//....//x.txt"])
def test_upload_path_stays_inside(tmp_path: Path, name: str) -> None:
    root = tmp_path / "uploads"
    root.mkdir()
    path = upload_path(root, name)
    assert path.parent == root.resolve()
    assert path.is_relative_to(root.resolve())


def test_highlight_wraps_span_and_escapes() -> None:
    text = "前文<script>alert(1)</script>，全市共认定高层次人才9361人。[点我](http://evil) *强调*"
    a = text.index("全市")
    b = text.index("。") + 1
    md = highlight(text, [a, b])
    assert ":orange-background[全市共认定高层次人才9361人。]" in md
    assert "<script>" not in md and "&lt;script&gt;" in md
    assert "[点我](http://evil)" not in md and "\\[点我\\]" in md and "http\\://evil" in md
    assert "*强调*" not in md and "\\*强调\\*" in md


def test_highlight_escapes_the_span_itself_and_crosses_lines() -> None:
    text = "第一行[x](http://a)\n# 第二行<b>"
    md = highlight(text, [0, len(text)])
    lines = md.split("  \n")
    assert len(lines) == 2
    assert lines[0].startswith(":orange-background[") and "\\[x\\]" in lines[0] and "http\\://a" in lines[0]
    assert lines[1].startswith(":orange-background[\\#") and "&lt;b&gt;" in lines[1]


def test_highlight_without_span_only_escapes() -> None:
    assert highlight("a_b", None) == "a\\_b"
    assert highlight("a_b", [5, 9]) == "a\\_b"
    assert "orange" not in escape_block("x\n\ny")


def test_answer_markers_are_not_links() -> None:
    md = answer_markdown("共认定9361人[1]。\n- 其次[2](http://evil)\n<img src=x onerror=alert(1)>")
    assert "\\[1\\]" in md and "\\[2\\]" in md
    assert "[1]" not in md.replace("\\[1\\]", "")
    assert "](http://evil)" not in md and "http\\://evil" in md
    assert "<img" not in md and "&lt;img" in md
    assert "\n- 其次" in md  # our own list items stay a list


def test_citation_label_and_stream_escape() -> None:
    label = citation_label({"n": 2, "title": "关于*加强*的答复", "office": "某市局", "date": "2024-01-02"})
    assert label == "\\[2\\] 关于\\*加强\\*的答复 · 某市局 · 2024-01-02"
    assert stream_escape("[1](http://e) <b>") == "\\[1\\]\\(http\\:\\/\\/e\\) \\<b\\>"


def test_upload_type_limit_comes_from_settings(tmp_path) -> None:  # type: ignore[no-untyped-def]
    from types import SimpleNamespace

    from assistant.ui import ingest_uploads
    from core.settings import Settings

    settings = Settings(data_dir=tmp_path / "d", upload_types="txt")
    result = ingest_uploads([("报告.pdf", b"%PDF-1.4"), ("../../x.exe", b"MZ")], SimpleNamespace(settings=settings))
    assert [r.split("（")[0] for _, r in result.failed] == ["不支持的文件类型", "不支持的文件类型"]
    assert not (tmp_path / "d" / "uploads").exists() or not any((tmp_path / "d" / "uploads").iterdir())

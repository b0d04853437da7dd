"""Table rows keep their columns: an empty cell stays in its place, so a value never moves under the wrong
year (a .docx table with a blank 2022 cell reads "企业数 |  | 30", not "企业数 | 30")."""

from __future__ import annotations

import io
from pathlib import Path

from ingest.loaders.docx import read_docx


def _docx(rows: list[list[str]]) -> bytes:
    import docx

    doc = docx.Document()
    doc.add_paragraph("一、工作情况")
    table = doc.add_table(rows=len(rows), cols=len(rows[0]))
    for r, row in enumerate(rows):
        for c, value in enumerate(row):
            table.cell(r, c).text = value
    buf = io.BytesIO()
    doc.save(buf)
    return buf.getvalue()


def test_an_empty_docx_cell_keeps_its_column(tmp_path: Path) -> None:
    data = _docx([["指标", "2022年", "2023年"], ["企业数", "", "30"], ["", "", ""], ["资金（万元）", "120", ""]])
    lines = read_docx(tmp_path / "t.docx", data, 10_000_000).text.split("\n")
    assert lines[1:] == ["指标 | 2022年 | 2023年", "企业数 |  | 30", "资金（万元） | 120 |"]

"""Word 2007+ (.docx): paragraphs and table rows in body order; a table row is "指标 | 2022年 | 2023年"."""

from __future__ import annotations

import io
from collections.abc import Iterator
from pathlib import Path
from typing import Any

from ingest.loaders.base import Document, LoadError, Page, check_zip, short

CELL_SEPARATOR = " | "


def docx_lines(document: Any) -> Iterator[str]:
    """Yield paragraphs and table rows in body order, unwrapping content controls (w:sdt)."""
    from docx.oxml.ns import qn
    from docx.text.paragraph import Paragraph

    p_tag, tbl_tag, tr_tag, tc_tag = qn("w:p"), qn("w:tbl"), qn("w:tr"), qn("w:tc")
    sdt_tag, sdt_content_tag = qn("w:sdt"), qn("w:sdtContent")
    vmerge_tag, tcpr_tag, val_attr = qn("w:vMerge"), qn("w:tcPr"), qn("w:val")

    def children(element: Any, tag: str) -> Iterator[Any]:
        """Direct children with this tag, looking through content-control wrappers."""
        pending = list(reversed(element))
        while pending:
            child = pending.pop()
            if child.tag == tag:
                yield child
            elif child.tag == sdt_tag:
                content = child.find(sdt_content_tag)
                if content is not None:
                    pending.extend(reversed(content))

    def paragraph_text(p: Any) -> str:
        return str(Paragraph(p, document).text)

    def continues_merge(cell: Any) -> bool:
        """A cell under a vertically merged one (w:vMerge without val="restart"): its text is above."""
        props = cell.find(tcpr_tag)
        merge = None if props is None else props.find(vmerge_tag)
        return merge is not None and merge.get(val_attr, "continue") == "continue"

    pending = list(reversed(document.element.body))
    while pending:
        element = pending.pop()
        if element.tag == p_tag:
            for line in paragraph_text(element).split("\n"):
                if line.strip():
                    yield line.strip()
        elif element.tag == tbl_tag:
            for row in children(element, tr_tag):
                # Raw cells: a horizontally merged cell is one w:tc, a vertically merged one is read where
                # it starts, so a merged cell's text is never repeated across its span. Every cell keeps its
                # column (an empty or continued cell as nothing): a value never moves under another year.
                cells = [
                    "" if continues_merge(cell) else " ".join(" ".join(paragraph_text(p) for p in cell.iter(p_tag)).split())
                    for cell in children(row, tc_tag)
                ]
                if any(cells):
                    yield CELL_SEPARATOR.join(cells).strip()
        elif element.tag == sdt_tag:
            content = element.find(sdt_content_tag)
            if content is not None:
                pending.extend(reversed(content))


def read_docx(path: Path, data: bytes, max_bytes: int) -> Document:
    check_zip(path, data, max_bytes, "corrupt or not a .docx file")
    try:
        import docx

        document = docx.Document(io.BytesIO(data))
        return Document([Page(1, "\n".join(docx_lines(document)))], "docx")
    except Exception as exc:
        raise LoadError(path, f"corrupt or not a .docx file: {short(exc)}") from exc

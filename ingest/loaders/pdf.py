"""PDF: the text layer page by page (pdfplumber, lines joined into paragraphs, ruled tables as
"指标 | 2022年 | 2023年" rows in place), and OCR for pages without one (scans; mixed files per page)."""

from __future__ import annotations

import io
from pathlib import Path
from typing import Any

from ingest.loaders.base import (
    Document,
    Line,
    LoadError,
    Page,
    lines_to_paragraphs,
    normalise_newlines,
    short,
)
from ingest.loaders.docx import CELL_SEPARATOR
from ingest.loaders.ocr import INSTALL_HINT, OCRUnavailable, drop_repeated_pages, low_line_notes, ocr_pages

OCR_DPI = 200
NO_TEXT = "no extractable text"


def _open_checked(path: Path, data: bytes) -> Any:
    """pypdf reader, decrypted with the empty password when only an owner password is set."""
    from pypdf import PdfReader

    try:
        reader = PdfReader(io.BytesIO(data))
        if reader.is_encrypted:
            try:
                opened = reader.decrypt("")
            except Exception as exc:  # e.g. AES without a crypto backend installed
                raise LoadError(path, f"encrypted PDF, cannot decrypt: {short(exc)}") from exc
            if not opened:
                raise LoadError(path, "encrypted PDF (password required)")
        if len(reader.pages) == 0:
            raise LoadError(path, "corrupt PDF: no pages found")
    except LoadError:
        raise
    except Exception as exc:
        raise LoadError(path, f"corrupt PDF: {short(exc)}") from exc
    return reader


def _table_rows(table: Any) -> list[str]:
    rows = []
    for row in table.extract():
        # an empty cell ("") keeps its column as nothing, so a value never moves under the wrong year's
        # heading; a cell a merged cell spans (None) is the merged cell's, given once
        cells = [" ".join(str(cell).split()) for cell in row if cell is not None]
        if any(cells):
            rows.append(CELL_SEPARATOR.join(cells).strip())
    return rows


def _plumber_page_text(page: Any) -> str:
    """Paragraphs of one page in reading order with its ruled tables as rows where they stand."""
    try:
        tables = [t for t in page.find_tables() if t.bbox]
    except Exception:
        tables = []
    boxes = [t.bbox for t in tables]

    def outside(obj: Any) -> bool:
        x = (obj.get("x0", 0) + obj.get("x1", 0)) / 2
        y = (obj.get("top", 0) + obj.get("bottom", 0)) / 2
        return not any(x0 <= x <= x1 and top <= y <= bottom for x0, top, x1, bottom in boxes)

    source = page.filter(outside) if boxes else page
    lines = [Line(str(ln["text"]), float(ln["x0"]), float(ln["top"]), float(ln["x1"]), float(ln["bottom"]))
             for ln in source.extract_text_lines(strip=True, return_chars=False)]
    blocks: list[tuple[float, list[str]]] = []
    edges = sorted((t.bbox[1], _table_rows(t)) for t in tables)
    start = 0
    lines.sort(key=lambda ln: ln.y0)
    for top, rows in edges:
        above = [ln for ln in lines[start:] if ln.y0 < top]
        start += len(above)
        blocks.append((0, lines_to_paragraphs(above, page_width=float(page.width))))
        blocks.append((top, rows))
    blocks.append((0, lines_to_paragraphs(lines[start:], page_width=float(page.width))))
    return "\n".join(p for _, block in blocks for p in block)


FALLBACK_NOTE = "tables not read as tables: pdfplumber could not read the file, pypdf's plain text was used"


def _text_pages(path: Path, data: bytes, reader: Any) -> tuple[list[str], str]:
    """Text of each page, and a note when pypdf's plain extraction stood in for pdfplumber (its tables are
    then flat text, which the ingest report says)."""
    try:
        import pdfplumber

        with pdfplumber.open(io.BytesIO(data), password="") as pdf:
            return [_plumber_page_text(page) for page in pdf.pages], ""
    except Exception:
        pass
    try:
        return [normalise_newlines(page.extract_text() or "").replace("\x00", "").strip()
                for page in reader.pages], FALLBACK_NOTE
    except Exception as exc:
        raise LoadError(path, f"corrupt PDF: {short(exc)}") from exc


def _render(data: bytes, numbers: list[int]) -> Any:
    """Yield (page number, PIL image) for the 1-based page numbers, rendered at OCR_DPI."""
    import pypdfium2 as pdfium

    document = pdfium.PdfDocument(data, password="")
    try:
        for number in numbers:
            page = document[number - 1]
            try:
                yield number, page.render(scale=OCR_DPI / 72).to_pil()
            finally:
                page.close()
    finally:
        document.close()


def read_pdf(path: Path, data: bytes) -> Document:
    reader = _open_checked(path, data)
    texts, fallback = _text_pages(path, data, reader)
    pages = [Page(number, text) for number, text in enumerate(texts, start=1)]
    blank = [p.number for p in pages if not p.text.strip()]
    notes: list[str] = [fallback] if fallback else []
    if blank:
        try:
            for page in ocr_pages(_render(data, blank), len(blank), path.name):
                pages[page.number - 1] = page
        except OCRUnavailable as exc:
            notes.append(f"{len(blank)} page(s) without a text layer not read: {INSTALL_HINT}")
            if len(blank) == len(pages):
                raise LoadError(path, f"{NO_TEXT} (scanned PDF?); {INSTALL_HINT}") from exc
        except LoadError:
            raise
        except Exception as exc:
            raise LoadError(path, f"OCR failed: {short(exc)}") from exc
    if not any(p.text.strip() for p in pages):
        raise LoadError(path, f"{NO_TEXT}, even after OCR (blank or unreadable scan)" if blank else NO_TEXT)
    if blank:
        pages, repeated = drop_repeated_pages(pages)
        notes += repeated + low_line_notes(pages)
    return Document(pages, "pdf", notes)

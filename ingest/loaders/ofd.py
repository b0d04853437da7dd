"""OFD (GB/T 33190, the national format of official electronic documents), read with ofdkit (Apache-2.0).

Text runs (TextObject/TextCode with DeltaX/DeltaY, templates included) of every page are placed by their
positions and joined into paragraphs the way Chinese text flows; a page that cannot be read is noted.
"""

from __future__ import annotations

from pathlib import Path
from typing import Any

from ingest.loaders.base import Document, Line, LoadError, Page, check_zip, lines_to_paragraphs, short

_MARGIN_MM = 5.0


def _page_text(page: Any) -> str:
    x0, y0, width, height = page.box
    seen: set[tuple[str, int, int]] = set()
    lines: list[Line] = []
    for run in page.runs:
        if not run.text.strip():
            continue
        if not (x0 - _MARGIN_MM <= run.x <= x0 + width + _MARGIN_MM and y0 - _MARGIN_MM <= run.y <= y0 + height + _MARGIN_MM):
            continue
        key = (run.text, round(run.x * 4), round(run.y * 4))  # text drawn twice (fake bold) read once
        if key in seen:
            continue
        seen.add(key)
        size = run.size or 3.5
        lines.append(Line(run.text, run.x - x0, run.y - y0 - size * 0.85, run.x - x0 + run.width, run.y - y0 + size * 0.15))
    return "\n".join(lines_to_paragraphs(lines, page_width=width))


def read_ofd(path: Path, data: bytes, max_bytes: int) -> Document:
    try:
        import ofdkit
    except ImportError as exc:
        raise LoadError(path, "reading .ofd needs the ofdkit package: pip install 'ofdkit==0.2.0'") from exc
    check_zip(path, data, max_bytes, "damaged .ofd file")
    try:
        document = ofdkit.open(data)
    except Exception as exc:
        raise LoadError(path, f"damaged .ofd file: {short(exc)}") from exc
    notes: list[str] = []
    pages: list[Page] = []
    with document:
        if not document.pages:
            raise LoadError(path, "empty .ofd file: no pages")
        for number, page in enumerate(document.pages, start=1):
            try:
                text = _page_text(page)
            except Exception as exc:
                notes.append(f"page {number} not readable: {short(exc)}")
                text = ""
            pages.append(Page(number, text))
        notes += list(getattr(document, "warnings", []) or [])
    if not any(p.text.strip() for p in pages):
        reason = "; ".join(notes) if notes else "no text on any page (an image-only OFD is not OCRed yet)"
        raise LoadError(path, f"no text found in .ofd: {reason}")
    return Document(pages, "ofd", notes)

"""OCR with RapidOCR (PP-OCR models bundled in the `rapidocr` wheel, run by onnxruntime): no download.

The engine is built lazily, once per process (about 1 s); a page takes about 4 s on 2 cores. Lines come
back with boxes and are joined into paragraphs the way Chinese text flows (see `lines_to_paragraphs`);
each page carries the mean recognition confidence of its characters and the lines read under
LINE_MIN_CONFIDENCE, which the loaders put in the load notes (with a page the scanner repeated, left out).
"""

from __future__ import annotations

import logging
import sys
import threading
from collections.abc import Callable, Iterable, Iterator
from contextlib import contextmanager
from contextvars import ContextVar
from typing import Any

from ingest.loaders.base import Line, Page, lines_to_paragraphs, tidy_ocr_text

# Pages are OCRed at most this long on their longer side (RapidOCR itself works at 2000 px).
MAX_SIDE = 2400
# RapidOCR's settings. No per-line direction classifier: it judges a line from a 192 px wide thumbnail, so a
# line of 35+ characters (5 px a character) is now and then taken for upside down, turned over and read as
# three or four unrelated characters (about 1 long line in 30 on clean 200 dpi pages). A page's lines share one
# direction: a page scanned upside down is turned as a whole (`ocr_image`).
ENGINE_PARAMS: dict[str, Any] = {"Global.log_level": "error", "Global.use_cls": False}
# A line read under this confidence is listed for the drafter to check (the page's mean has its own floor,
# ASSISTANT_OCR_MIN_CONFIDENCE).
LINE_MIN_CONFIDENCE = 0.8
INSTALL_HINT = "OCR needs the rapidocr package: pip install 'rapidocr==3.10.0'"

_engine: Any = None
_engine_lock = threading.Lock()
# Called with (page number, page count, file name) before each OCR page: the app's progress bar.
_progress: ContextVar[Callable[[int, int, str], object] | None] = ContextVar("ocr_progress", default=None)


class OCRUnavailable(RuntimeError):
    """rapidocr (or onnxruntime) is not installed."""


@contextmanager
def progress_callback(callback: Callable[[int, int, str], object] | None) -> Iterator[None]:
    """Report OCR pages to `callback(done, total, name)` while the block runs (e.g. a Streamlit bar)."""
    token = _progress.set(callback)
    try:
        yield
    finally:
        _progress.reset(token)


def engine() -> Any:
    """The process-wide RapidOCR engine, built on first use with its INFO logging quieted."""
    global _engine
    with _engine_lock:
        if _engine is None:
            try:
                from rapidocr import RapidOCR
            except Exception as exc:  # ImportError, or onnxruntime failing to load
                raise OCRUnavailable(INSTALL_HINT) from exc
            for name in ("RapidOCR", "rapidocr"):
                logging.getLogger(name).setLevel(logging.ERROR)
            _engine = RapidOCR(params=dict(ENGINE_PARAMS))
            for name in ("RapidOCR", "rapidocr"):
                logging.getLogger(name).setLevel(logging.ERROR)
    return _engine


def _prepare(image: Any) -> Any:
    """An RGB numpy array no larger than MAX_SIDE on its longer side, red ink faded: a colour page is read
    through its red channel, where black and blue print stay dark and a red seal stamped over the text turns
    light (a seal's ring across a line otherwise hides the whole line from the detector); red headings stay
    readable, light grey on white."""
    import numpy as np
    from PIL import Image

    if image.mode not in ("RGB", "L"):
        image = image.convert("RGB")
    if image.mode == "RGB":
        image = image.getchannel("R")
    longest = max(image.size)
    if longest > MAX_SIDE:
        scale = MAX_SIDE / longest
        image = image.resize((max(1, round(image.width * scale)), max(1, round(image.height * scale))),
                             Image.Resampling.LANCZOS)
    if image.mode == "L":
        image = image.convert("RGB")
    return np.asarray(image), image.width


def ocr_lines(image: Any) -> tuple[list[Line], int]:
    """The text lines of one page image (a PIL image) with their boxes and confidences, and the width the
    boxes are measured in."""
    array, width = _prepare(image)
    result = engine()(array)
    texts = list(getattr(result, "txts", None) or [])
    scores = list(getattr(result, "scores", None) or [])
    boxes: Any = getattr(result, "boxes", None)
    if boxes is None:
        boxes = []
    lines: list[Line] = []
    for index, text in enumerate(texts):
        text = tidy_ocr_text(str(text))
        if not text:
            continue
        box = boxes[index]
        xs = [float(p[0]) for p in box]
        ys = [float(p[1]) for p in box]
        score = float(scores[index]) if index < len(scores) else 0.0
        lines.append(Line(text, min(xs), min(ys), max(xs), max(ys), score))
    return lines, width


def _confidence(lines: list[Line]) -> float:
    chars = sum(len(ln.text) for ln in lines)
    return round(sum((ln.score or 0.0) * len(ln.text) for ln in lines) / chars, 4) if chars else 0.0


# A page whose mean confidence is under this is tried turned over (scanned upside down); the better reading wins.
UPSIDE_DOWN_BELOW = 0.75


def ocr_image(image: Any, number: int = 1) -> Page:
    """OCR one page image (a PIL image) into a Page of paragraphs with its mean confidence and the lines read
    with low confidence."""
    lines, width = ocr_lines(image)
    confidence = _confidence(lines)
    if lines and confidence < UPSIDE_DOWN_BELOW:
        turned, turned_width = ocr_lines(image.rotate(180, expand=True))
        if _confidence(turned) > confidence + 0.05:
            lines, width, confidence = turned, turned_width, _confidence(turned)
    text = "\n".join(lines_to_paragraphs(lines, page_width=width))
    low = [(ln.text, round(ln.score or 0.0, 3)) for ln in lines if (ln.score or 0.0) < LINE_MIN_CONFIDENCE]
    return Page(number, text, ocr=True, confidence=confidence, low_lines=low)


def ocr_pages(images: Iterable[tuple[int, Any]], total: int, name: str) -> list[Page]:
    """OCR (page number, image) pairs in order with a per-page progress bar on stderr."""
    from tqdm import tqdm

    engine()  # fail before the bar when OCR is not installed
    callback = _progress.get()
    pages: list[Page] = []
    with tqdm(total=total, unit="page", desc=f"OCR {name[:30]}", file=sys.stderr, leave=False,
              disable=None, dynamic_ncols=True) as bar:
        for done, (number, image) in enumerate(images):
            if callback is not None:
                callback(done, total, name)
            pages.append(ocr_image(image, number))
            bar.update(1)
        if callback is not None:
            callback(total, total, name)
    return pages


# -- what a loader says about its OCR pages ----------------------------------------------------------------------
# Two pages whose texts share at least this share of character bigrams (Dice) are one page scanned twice.
REPEATED_PAGE = 0.9


def _bigrams(text: str) -> set[str]:
    t = "".join(text.split())
    return {t[i:i + 2] for i in range(len(t) - 1)}


def near_duplicate(a: str, b: str) -> bool:
    """The same page read twice by OCR (a few characters may differ between the two readings)."""
    ga, gb = _bigrams(a), _bigrams(b)
    if len(ga) < 10 or len(gb) < 10:
        return False
    return 2 * len(ga & gb) / (len(ga) + len(gb)) >= REPEATED_PAGE


def drop_repeated_pages(pages: list[Page]) -> tuple[list[Page], list[str]]:
    """Pages without an OCR page whose text repeats the page before it (a scanner that fed one sheet twice),
    and a note for each page left out."""
    kept: list[Page] = []
    notes: list[str] = []
    for page in pages:
        prev = kept[-1] if kept else None
        if prev is not None and page.ocr and near_duplicate(prev.text, page.text):
            notes.append(f"page {page.number} left out: the same text as page {prev.number} (a page scanned twice)")
            continue
        kept.append(page)
    return kept, notes


def low_line_notes(pages: list[Page], shown: int = 3) -> list[str]:
    """One note per OCR page with lines read under LINE_MIN_CONFIDENCE: how many, and the first few, so the
    drafter checks them against the scan."""
    notes = []
    for page in pages:
        if not page.low_lines:
            continue
        listed = "; ".join(f"「{text[:24]}{'…' if len(text) > 24 else ''}」 {score:.2f}"
                           for text, score in page.low_lines[:shown])
        more = f"; and {len(page.low_lines) - shown} more" if len(page.low_lines) > shown else ""
        notes.append(f"page {page.number}: {len(page.low_lines)} OCR line(s) under confidence "
                     f"{LINE_MIN_CONFIDENCE:.2f}, check them against the scan: {listed}{more}")
    return notes

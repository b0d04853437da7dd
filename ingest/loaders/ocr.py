"""OCR with RapidOCR (PP-OCR models bundled in the `rapidocr` wheel, run by onnxruntime): no download.

The engine is built lazily, once per process (about 1 s); a page takes about 4 s on 2 cores. Lines come
back with boxes and are joined into paragraphs the way Chinese text flows (see `lines_to_paragraphs`);
each page carries the mean recognition confidence of its characters.
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
            _engine = RapidOCR(params={"Global.log_level": "error"})
            for name in ("RapidOCR", "rapidocr"):
                logging.getLogger(name).setLevel(logging.ERROR)
    return _engine


def _prepare(image: Any) -> Any:
    """An RGB numpy array no larger than MAX_SIDE on its longer side."""
    import numpy as np
    from PIL import Image

    if image.mode not in ("RGB", "L"):
        image = image.convert("RGB")
    longest = max(image.size)
    if longest > MAX_SIDE:
        scale = MAX_SIDE / longest
        image = image.resize((max(1, round(image.width * scale)), max(1, round(image.height * scale))),
                             Image.Resampling.LANCZOS)
    if image.mode == "L":
        image = image.convert("RGB")
    return np.asarray(image), image.width


def ocr_image(image: Any, number: int = 1) -> Page:
    """OCR one page image (a PIL image) into a Page of paragraphs with its mean confidence."""
    array, width = _prepare(image)
    result = engine()(array)
    texts = list(getattr(result, "txts", None) or [])
    scores = list(getattr(result, "scores", None) or [])
    boxes: Any = getattr(result, "boxes", None)
    if boxes is None:
        boxes = []
    lines: list[Line] = []
    weighted = 0.0
    chars = 0
    for index, text in enumerate(texts):
        text = tidy_ocr_text(str(text))
        if not text:
            continue
        box = boxes[index]
        xs = [float(p[0]) for p in box]
        ys = [float(p[1]) for p in box]
        lines.append(Line(text, min(xs), min(ys), max(xs), max(ys)))
        score = float(scores[index]) if index < len(scores) else 0.0
        weighted += score * len(text)
        chars += len(text)
    confidence = round(weighted / chars, 4) if chars else 0.0
    text = "\n".join(lines_to_paragraphs(lines, page_width=width))
    return Page(number, text, ocr=True, confidence=confidence)


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

"""Photos and scans (.png .jpg .jpeg .tif .tiff .bmp): every frame OCRed as one page."""

from __future__ import annotations

import io
import warnings
from pathlib import Path
from typing import Any

from ingest.loaders.base import Document, LoadError, short
from ingest.loaders.ocr import OCRUnavailable, drop_repeated_pages, low_line_notes, ocr_pages

# A page scanned at 600 dpi is about 35 megapixels; anything far beyond that is not a page.
MAX_PIXELS = 60_000_000
MAX_FRAMES = 500


def open_image(path: Path, data: bytes) -> Any:
    from PIL import Image

    try:
        with warnings.catch_warnings():
            warnings.simplefilter("error", Image.DecompressionBombWarning)
            image = Image.open(io.BytesIO(data))
            width, height = image.size
            if width * height > MAX_PIXELS:
                raise LoadError(path, f"image too large: {width}×{height} pixels > limit {MAX_PIXELS}")
            image.load()
    except LoadError:
        raise
    except (Image.DecompressionBombError, Image.DecompressionBombWarning) as exc:
        raise LoadError(path, f"image too large: {short(exc)}") from exc
    except Exception as exc:
        raise LoadError(path, f"damaged image: {short(exc)}") from exc
    return image


def read_image(path: Path, data: bytes) -> Document:
    from PIL import ImageSequence

    image = open_image(path, data)
    frames = getattr(image, "n_frames", 1)
    if frames > MAX_FRAMES:
        raise LoadError(path, f"image has {frames} frames > limit {MAX_FRAMES}")

    def pages() -> Any:
        for number, frame in enumerate(ImageSequence.Iterator(image), start=1):
            try:
                yield number, frame.copy()
            except Exception as exc:
                raise LoadError(path, f"damaged image (frame {number}): {short(exc)}") from exc

    try:
        result = ocr_pages(pages(), frames, path.name)
    except OCRUnavailable as exc:
        raise LoadError(path, f"image needs OCR, which is not installed: {exc}") from exc
    except LoadError:
        raise
    except Exception as exc:
        raise LoadError(path, f"OCR failed: {short(exc)}") from exc
    if not any(p.text.strip() for p in result):
        raise LoadError(path, "no text found, even after OCR")
    result, notes = drop_repeated_pages(result)
    return Document(result, "image", notes + low_line_notes(result))

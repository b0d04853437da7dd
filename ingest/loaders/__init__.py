"""Loaders as a registry: each format is one module and one `register` line below, chosen by content.

A file's format is read from its bytes (magic numbers, OLE streams, zip members), not from its name, so a
`.docx` that is really a Word 97 file is read as one; the suffix decides only for plain text and HTML and,
when the content matches no format, which reader names the damage. Every failure is a LoadError naming
the file and the reason (unsupported type, encrypted, damaged, empty, no text even after OCR).
"""

from __future__ import annotations

import io
import zipfile
from collections.abc import Callable
from dataclasses import dataclass
from functools import cached_property
from pathlib import Path

from ingest.loaders.base import Document, LoadError, Page, short
from ingest.loaders.docx import read_docx
from ingest.loaders.html import read_html
from ingest.loaders.image import read_image
from ingest.loaders.msword import ole_streams, read_msword
from ingest.loaders.ofd import read_ofd
from ingest.loaders.pdf import read_pdf
from ingest.loaders.text import decode_bytes, read_text

__all__ = ["FORMATS", "SUPPORTED_SUFFIXES", "Document", "Format", "LoadError", "Page", "Probe", "decode_bytes",
           "identify", "load_document", "load_file", "register"]

_OLE_MAGIC = b"\xd0\xcf\x11\xe0\xa1\xb1\x1a\xe1"
_ZIP_MAGIC = b"PK\x03\x04"


class Probe:
    """What a loader's content test may look at, each part computed once: bytes, suffix, zip members, OLE streams."""

    def __init__(self, path: Path, data: bytes) -> None:
        self.path = path
        self.data = data
        self.suffix = path.suffix.lower()

    @cached_property
    def zip_names(self) -> list[str]:
        if not self.data.startswith(_ZIP_MAGIC):
            return []
        try:
            with zipfile.ZipFile(io.BytesIO(self.data)) as archive:
                return [name.lstrip("/") for name in archive.namelist()]
        except Exception:
            return []

    @cached_property
    def ole_streams(self) -> list[str]:
        return ole_streams(self.data) if self.data.startswith(_OLE_MAGIC) else []

    def head_text(self, size: int = 512) -> str:
        return self.data[:size].lstrip(b"\xef\xbb\xbf \t\r\n").decode("latin-1").lower()


@dataclass(frozen=True)
class Format:
    """A readable format: its name (the detected kind), suffixes, content test and reader."""

    name: str
    label: str
    suffixes: tuple[str, ...]
    read: Callable[[Path, bytes, int], Document]
    sniff: Callable[[Probe], bool] | None = None  # None: recognised by suffix only (plain text)


FORMATS: list[Format] = []


def register(fmt: Format) -> Format:
    """Add a format; formats are tried in registration order, content tests before suffixes."""
    FORMATS.append(fmt)
    return fmt


def _is_ole_word(p: Probe) -> bool:
    return "WordDocument" in p.ole_streams


register(Format("pdf", "PDF", (".pdf",), lambda path, data, _: read_pdf(path, data),
                lambda p: b"%PDF-" in p.data[:1024]))
register(Format("docx", "Word (.docx)", (".docx",), read_docx, lambda p: "word/document.xml" in p.zip_names))
register(Format("ofd", "OFD", (".ofd",), read_ofd, lambda p: any(n.lower() == "ofd.xml" for n in p.zip_names)))
register(Format("wps", "WPS Writer (.wps)", (".wps",), lambda path, data, _: read_msword(path, data, "wps"),
                lambda p: p.suffix == ".wps" and _is_ole_word(p)))
register(Format("doc", "Word 97-2003 (.doc)", (".doc",), lambda path, data, _: read_msword(path, data, "doc"),
                _is_ole_word))
register(Format("image", "image (OCR)", (".png", ".jpg", ".jpeg", ".tif", ".tiff", ".bmp"),
                lambda path, data, _: read_image(path, data),
                lambda p: p.data.startswith((b"\x89PNG\r\n\x1a\n", b"\xff\xd8\xff", b"II*\x00", b"MM\x00*"))
                or (p.data.startswith(b"BM") and p.suffix == ".bmp")))
register(Format("html", "HTML", (".html", ".htm"), lambda path, data, _: read_html(path, data),
                lambda p: p.suffix not in (".txt", ".md", ".markdown")
                and p.head_text().startswith(("<!doctype html", "<html"))))
register(Format("txt", "text", (".txt", ".md", ".markdown"), lambda path, data, _: read_text(path, data)))

SUPPORTED_SUFFIXES: frozenset[str] = frozenset(s for f in FORMATS for s in f.suffixes)

# Content this project recognises but does not read: named in the reason instead of "damaged".
_KNOWN_OTHER: tuple[tuple[Callable[[Probe], bool], str], ...] = (
    (lambda p: "EncryptedPackage" in p.ole_streams, "encrypted Office document (password required)"),
    (lambda p: "Workbook" in p.ole_streams or "Book" in p.ole_streams, "Excel 97-2003 workbook (.xls)"),
    (lambda p: "PowerPoint Document" in p.ole_streams, "PowerPoint 97-2003 presentation (.ppt)"),
    (lambda p: "xl/workbook.xml" in p.zip_names, "Excel workbook (.xlsx)"),
    (lambda p: "ppt/presentation.xml" in p.zip_names, "PowerPoint presentation (.pptx)"),
    (lambda p: p.data.startswith(b"{\\rtf"), "RTF document (save it as .docx or .pdf)"),
    (lambda p: p.data.startswith((b"GIF87a", b"GIF89a")), "GIF image"),
)


def identify(path: Path, data: bytes) -> Format:
    """The format of these bytes; LoadError for content and names that match no readable format."""
    probe = Probe(path, data)
    for fmt in FORMATS:
        if fmt.sniff is not None and fmt.sniff(probe):
            return fmt
    for test, what in _KNOWN_OTHER:
        if test(probe):
            if what.startswith("encrypted"):
                raise LoadError(path, what)
            raise LoadError(path, f"unsupported file type: {what}")
    for fmt in FORMATS:
        if probe.suffix in fmt.suffixes:
            return fmt  # its reader names the damage ("corrupt PDF", "damaged .ofd file", ...)
    supported = ", ".join(sorted(SUPPORTED_SUFFIXES))
    raise LoadError(path, f"unsupported file type {probe.suffix or '(no suffix)'!r}; supported: {supported}")


def _read_limited(path: Path, max_bytes: int) -> bytes:
    """Read the file, refusing anything that is not a regular file or is over the size limit."""
    try:
        if not path.exists():
            raise LoadError(path, "file not found")
        if not path.is_file():
            raise LoadError(path, "not a regular file")
        size = path.stat().st_size
        if size > max_bytes:
            raise LoadError(path, f"file too large: {size} bytes > limit {max_bytes}")
        if size == 0:
            raise LoadError(path, "empty file")
        with path.open("rb") as handle:
            data = handle.read(max_bytes + 1)  # the file may have grown since stat()
    except OSError as exc:
        raise LoadError(path, f"cannot read file: {exc.strerror or short(exc)}") from exc
    if len(data) > max_bytes:
        raise LoadError(path, f"file too large: more than {max_bytes} bytes > limit {max_bytes}")
    if not data:
        raise LoadError(path, "empty file")
    return data


def load_document(path: Path, max_bytes: int = 20_000_000) -> Document:
    """Read a file of any registered format into pages of paragraphs, with its detected kind.

    Every failure (unsupported type, unreadable, empty, too large, binary, damaged, encrypted, no text even
    after OCR) is raised as LoadError naming the file, so callers handle one exception type.
    """
    path = Path(path)
    try:
        data = _read_limited(path, max_bytes)
        fmt = identify(path, data)
        document = fmt.read(path, data, max_bytes)
    except LoadError:
        raise
    except Exception as exc:  # never leak a library exception to the ingestion loop
        raise LoadError(path, f"unexpected error: {short(exc)}") from exc
    if not document.text.strip():
        raise LoadError(path, "no text found")
    if path.suffix.lower() not in fmt.suffixes and path.suffix.lower() in SUPPORTED_SUFFIXES:
        document.notes.append(f"named {path.suffix.lower()} but is {fmt.label}")
    return document


def load_file(path: Path, max_bytes: int = 20_000_000) -> str:
    """Return the document's text, one paragraph per \\n-separated line, ready for chunking."""
    return load_document(path, max_bytes).text

"""Plain text (.txt .md): decode bytes whose encoding is unknown, as is usual for government websites."""

from __future__ import annotations

import codecs
import re
from pathlib import Path

from ingest.loaders.base import Document, LoadError, Page, normalise_newlines

_BINARY = "binary content, not text"
_UNDECODABLE = "undecodable text (tried utf-8, utf-16, gb18030)"

# Longest BOMs first: the UTF-32 LE BOM starts with the UTF-16 LE one.
_BOMS: tuple[tuple[bytes, str], ...] = (
    (codecs.BOM_UTF32_LE, "utf-32-le"),
    (codecs.BOM_UTF32_BE, "utf-32-be"),
    (codecs.BOM_UTF8, "utf-8"),
    (codecs.BOM_UTF16_LE, "utf-16-le"),
    (codecs.BOM_UTF16_BE, "utf-16-be"),
)
# C0/C1 control characters except \t \n \f (and \r, which is normalised away before counting).
_CONTROL_RE = re.compile(r"[\x00-\x08\x0b\x0e-\x1f\x7f-\x9f]")
_MAX_CONTROL_SHARE = 0.10
# Characters expected in real documents (ASCII, Latin, Greek/Cyrillic, punctuation, symbols, CJK, kana,
# Hangul, full-width forms). Used to tell real UTF-16/32 text from a wrong byte order or binary noise.
_PLAUSIBLE_RE = re.compile(
    "[\t\n\f\r\x20-\x7e\u00a0-\u024f\u0370-\u052f\u2000-\u206f\u2190-\u21ff\u2460-\u24ff"
    "\u2500-\u25ff\u3000-\u30ff\u3100-\u312f\u3400-\u4dbf\u4e00-\u9fff\uac00-\ud7af\uff00-\uffef]"
)
_MIN_PLAUSIBLE_SHARE = 0.8
_GB_FAMILY = frozenset({"gb2312", "gbk", "cp936", "gb18030", "euc_cn", "hz"})
_META_CHARSET_RE = re.compile(rb"""<meta[^>]*?charset\s*=\s*["']?\s*([A-Za-z0-9_.:-]+)""", re.IGNORECASE)
_META_SCAN_BYTES = 8192

def _finish(text: str) -> str:
    """Normalise line endings and reject text that is really binary data decoded by accident."""
    text = normalise_newlines(text)
    if text:
        controls = len(text) - len(_CONTROL_RE.sub("", text))
        if controls > _MAX_CONTROL_SHARE * len(text):
            raise ValueError(_BINARY)
    return text


def _plausible_share(text: str) -> float:
    if not text:
        return 0.0
    return (len(text) - len(_PLAUSIBLE_RE.sub("", text))) / len(text)


def _decode_wide(data: bytes) -> str | None:
    """Decode BOM-less UTF-16/32 (the only text encodings with NUL bytes); None if it is not such text.

    Byte order cannot be read from where the NULs fall alone (CJK such as 一 U+4E00 puts NULs on the
    "wrong" side), so every strict decoding is tried and the most plausible-looking text wins.
    """
    candidates: list[str] = []
    if len(data) % 4 == 0:
        candidates += ["utf-32-le", "utf-32-be"]
    if len(data) % 2 == 0:
        candidates += ["utf-16-le", "utf-16-be"]
    best: str | None = None
    best_share = 0.0
    for encoding in candidates:
        try:
            text = data.decode(encoding)
        except UnicodeDecodeError:
            continue
        share = _plausible_share(text)
        if share > best_share:
            best, best_share = text, share
    return best if best_share >= _MIN_PLAUSIBLE_SHARE else None


def _guess_encoding(data: bytes) -> str | None:
    """Last resort for legacy encodings (Big5, Shift-JIS, cp1252...); None when nothing fits."""
    try:
        from charset_normalizer import from_bytes

        match = from_bytes(data).best()
        return None if match is None else str(match)
    except Exception:  # a detector bug must read as "undecodable", not crash ingestion
        return None


def decode_bytes(data: bytes) -> str:
    """Decode text bytes whose encoding is unknown, as is usual for files from government websites.

    Order: BOM (UTF-32, UTF-8, UTF-16), strict UTF-8, BOM-less UTF-16/32 recognised by NUL bytes,
    strict GB18030 (superset of GBK/GB2312), then charset_normalizer's best guess. Line endings become
    \\n. Raises ValueError("binary content, not text") for NUL-bearing bytes that are not UTF-16/32 or
    text with over 10% control characters, and ValueError("undecodable text ...") when nothing fits.
    """
    for bom, encoding in _BOMS:
        if data.startswith(bom):
            try:
                return _finish(data[len(bom) :].decode(encoding))
            except UnicodeDecodeError:
                continue  # e.g. a UTF-16 BOM on a length that is not UTF-32: try the next BOM
    if b"\x00" in data:
        # Valid UTF-8 may contain NULs, but real text files never do unless they are UTF-16/32.
        wide = _decode_wide(data)
        if wide is None:
            raise ValueError(_BINARY)
        return _finish(wide)
    for encoding in ("utf-8", "gb18030"):
        try:
            return _finish(data.decode(encoding))
        except UnicodeDecodeError:
            continue
    guessed = _guess_encoding(data)
    if guessed is None:
        raise ValueError(_UNDECODABLE)
    return _finish(guessed)


def _declared_html_encoding(data: bytes) -> str | None:
    """The codec named by a <meta charset>, if it is a usable byte-oriented text encoding."""
    match = _META_CHARSET_RE.search(data[:_META_SCAN_BYTES])
    if match is None:
        return None
    try:
        name = codecs.lookup(match.group(1).decode("ascii")).name
    except (LookupError, UnicodeDecodeError):
        return None
    if name.startswith(("utf-16", "utf-32")):
        return None  # an ASCII-readable meta tag proves the page is not UTF-16/32 (as browsers assume)
    if name in _GB_FAMILY:
        return "gb18030"  # pages labelled GB2312/GBK routinely contain characters only GB18030 has
    return name


def _decode_html(data: bytes) -> str:
    """Decode HTML, preferring its <meta charset> unless a BOM or valid UTF-8 says otherwise."""
    if any(data.startswith(bom) for bom, _ in _BOMS) or b"\x00" in data:
        return decode_bytes(data)
    declared = _declared_html_encoding(data)
    if declared is not None and declared != "utf-8":
        # Mislabelled pages are common; non-ASCII bytes that are valid UTF-8 are almost never GBK/latin-1.
        if not data.isascii():
            try:
                return _finish(data.decode("utf-8"))
            except UnicodeDecodeError:
                pass
        try:
            return _finish(data.decode(declared))
        except (UnicodeDecodeError, LookupError):
            pass  # the label is wrong or names a non-text codec: detect instead
    return decode_bytes(data)


def decode_text(path: Path, data: bytes, html: bool = False) -> str:
    try:
        return _decode_html(data) if html else decode_bytes(data)
    except ValueError as exc:
        raise LoadError(path, str(exc)) from exc


def read_text(path: Path, data: bytes) -> Document:
    return Document([Page(1, decode_text(path, data))], "txt")

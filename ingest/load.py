"""Load documents of any supported format into plain text, detecting the encoding."""

from __future__ import annotations

import codecs
import io
import re
import warnings
import zipfile
from collections.abc import Iterator
from html.parser import HTMLParser
from pathlib import Path
from typing import Any

SUPPORTED_SUFFIXES: frozenset[str] = frozenset({".txt", ".md", ".markdown", ".html", ".htm", ".docx", ".pdf"})

_TEXT_SUFFIXES = frozenset({".txt", ".md", ".markdown"})
_HTML_SUFFIXES = frozenset({".html", ".htm"})

_BINARY = "binary content, not text"
_UNDECODABLE = "undecodable text (tried utf-8, utf-16, gb18030)"
_MAX_REASON_CHARS = 300
# A .docx is a zip; refuse archives that inflate far beyond the on-disk limit (zip bombs).
_DOCX_INFLATION_FACTOR = 10

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

# HTML elements whose content is never document text (code, embedded content, page chrome, head-only).
_HTML_SKIP = frozenset(
    {
        "script", "style", "noscript", "template", "iframe", "svg", "math", "object", "embed", "canvas",
        "audio", "video", "nav", "header", "footer", "title", "meta", "link", "base",
    }
)  # fmt: skip
_HTML_BLOCK = frozenset(
    {
        "address", "article", "aside", "blockquote", "body", "caption", "center", "dd", "details", "dialog",
        "div", "dl", "dt", "fieldset", "figcaption", "figure", "form", "h1", "h2", "h3", "h4", "h5", "h6",
        "hgroup", "hr", "html", "legend", "li", "main", "ol", "p", "pre", "section", "summary", "table",
        "tbody", "tfoot", "thead", "tr", "ul",
    }
)  # fmt: skip
_HTML_CELLS = frozenset({"td", "th"})
_HTML_VOID = frozenset(
    {
        "area", "base", "br", "col", "embed", "hr", "img", "input", "link", "meta", "param", "source",
        "track", "wbr",
    }
)  # fmt: skip


class LoadError(Exception):
    """A file that cannot be ingested, named with the reason so a batch run can report it and move on."""

    def __init__(self, path: str | Path, reason: str) -> None:
        self.path = str(path)
        self.reason = _one_line(reason)
        # args mirror the constructor so the error survives pickling into and out of worker processes.
        super().__init__(self.path, self.reason)

    def __str__(self) -> str:
        shown = self.path.replace("\r", "\\r").replace("\n", "\\n")
        return f"{shown}: {self.reason}"


def _one_line(message: str) -> str:
    """Keep reasons to one short line so log lines and UI messages stay readable."""
    text = " ".join(message.split())
    if len(text) > _MAX_REASON_CHARS:
        text = text[: _MAX_REASON_CHARS - 3] + "..."
    return text


def _short(exc: BaseException) -> str:
    """Describe a library exception briefly; some (KeyError, bare asserts) have no useful message alone."""
    message = str(exc).strip().strip("\"'")
    return f"{type(exc).__name__}: {message}" if message else type(exc).__name__


def _normalise_newlines(text: str) -> str:
    return text.replace("\r\n", "\n").replace("\r", "\n")


def _finish(text: str) -> str:
    """Normalise line endings and reject text that is really binary data decoded by accident."""
    text = _normalise_newlines(text)
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


class _Lines:
    """Accumulates inline text and cuts it into one line per block element."""

    def __init__(self) -> None:
        self.lines: list[str] = []
        self._buffer: list[str] = []

    def text(self, text: str, preformatted: bool) -> None:
        if not preformatted:
            self._buffer.append(text)
            return
        for index, part in enumerate(text.split("\n")):
            if index:
                self.flush()
            self._buffer.append(part)

    def space(self) -> None:
        if self._buffer:
            self._buffer.append(" ")

    def flush(self) -> None:
        line = " ".join("".join(self._buffer).split())
        if line:
            self.lines.append(line)
        self._buffer.clear()

    def result(self) -> str:
        self.flush()
        return "\n".join(self.lines)


def _html_text_bs4(markup: str) -> str:
    """Extract visible body text with BeautifulSoup, walking the tree iteratively (no recursion limit)."""
    from bs4 import BeautifulSoup, NavigableString, Tag
    from bs4.element import PreformattedString

    with warnings.catch_warnings():
        warnings.simplefilter("ignore", UserWarning)  # e.g. "markup looks like a URL": irrelevant here
        soup = BeautifulSoup(markup, "html.parser")
    out = _Lines()
    pre_depth = 0
    stack: list[tuple[Any, bool]] = [(soup, False)]
    while stack:
        node, closing = stack.pop()
        if isinstance(node, NavigableString):
            if not isinstance(node, PreformattedString):  # comments, doctype, CDATA, processing instructions
                out.text(str(node), pre_depth > 0)
            continue
        if not isinstance(node, Tag):
            continue
        name = (node.name or "").lower()
        if closing:
            if name == "pre":
                pre_depth -= 1
            if name in _HTML_CELLS:
                out.space()
            elif name in _HTML_BLOCK:
                out.flush()
            continue
        if name in _HTML_SKIP or node.has_attr("hidden"):
            continue
        if name == "br":
            out.flush()
            continue
        if name in _HTML_CELLS:
            out.space()
        elif name in _HTML_BLOCK:
            out.flush()
        if name == "pre":
            pre_depth += 1
        stack.append((node, True))
        stack.extend((child, False) for child in reversed(node.contents))
    return out.result()


class _FallbackHTMLText(HTMLParser):
    """Stdlib-only extractor with the same rules, used if BeautifulSoup fails on pathological markup."""

    def __init__(self) -> None:
        super().__init__(convert_charrefs=True)
        self.out = _Lines()
        self._open: list[tuple[str, bool]] = []  # (tag, whether this tag started a skipped region)
        self._skipping = 0
        self._pre_depth = 0

    def handle_starttag(self, tag: str, attrs: list[tuple[str, str | None]]) -> None:
        if tag in _HTML_VOID:
            if not self._skipping and (tag == "br" or tag in _HTML_BLOCK):
                self.out.flush()
            return
        skip = tag in _HTML_SKIP or any(name == "hidden" for name, _ in attrs)
        self._open.append((tag, skip))
        if skip:
            self._skipping += 1
        if self._skipping:
            return
        if tag in _HTML_CELLS:
            self.out.space()
        elif tag in _HTML_BLOCK:
            self.out.flush()
        if tag == "pre":
            self._pre_depth += 1

    def handle_endtag(self, tag: str) -> None:
        for index in range(len(self._open) - 1, -1, -1):
            if self._open[index][0] == tag:
                break
        else:  # stray end tag (e.g. </p> without <p>): still ends a block
            if not self._skipping and tag in _HTML_BLOCK:
                self.out.flush()
            return
        while len(self._open) > index:  # implicitly close anything left open inside it
            name, skip = self._open.pop()
            if self._skipping:
                if skip:
                    self._skipping -= 1
                continue
            if name == "pre":
                self._pre_depth -= 1
            if name in _HTML_CELLS:
                self.out.space()
            elif name in _HTML_BLOCK:
                self.out.flush()

    def handle_data(self, data: str) -> None:
        if not self._skipping:
            self.out.text(data, self._pre_depth > 0)


def _html_text_fallback(markup: str) -> str:
    parser = _FallbackHTMLText()
    parser.feed(markup)
    parser.close()
    return parser.out.result()


def _html_text(path: Path, data: bytes) -> str:
    markup = _decode_text(path, data, html=True)
    try:
        return _html_text_bs4(markup)
    except Exception:  # RecursionError or parser bugs on hostile markup: the stdlib parser never recurses
        try:
            return _html_text_fallback(markup)
        except Exception as exc:
            raise LoadError(path, f"cannot parse HTML: {_short(exc)}") from exc


def _decode_text(path: Path, data: bytes, html: bool = False) -> str:
    try:
        return _decode_html(data) if html else decode_bytes(data)
    except ValueError as exc:
        raise LoadError(path, str(exc)) from exc


def _docx_lines(document: Any) -> Iterator[str]:
    """Yield paragraphs and table rows in body order, unwrapping content controls (w:sdt)."""
    from docx.oxml.ns import qn
    from docx.text.paragraph import Paragraph

    p_tag, tbl_tag, tr_tag, tc_tag = qn("w:p"), qn("w:tbl"), qn("w:tr"), qn("w:tc")
    sdt_tag, sdt_content_tag = qn("w:sdt"), qn("w:sdtContent")

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

    pending = list(reversed(document.element.body))
    while pending:
        element = pending.pop()
        if element.tag == p_tag:
            for line in paragraph_text(element).split("\n"):
                if line.strip():
                    yield line.strip()
        elif element.tag == tbl_tag:
            for row in children(element, tr_tag):
                # Raw cells: a merged cell appears once, so its text is not repeated across the span.
                cells = [
                    " ".join(" ".join(paragraph_text(p) for p in cell.iter(p_tag)).split())
                    for cell in children(row, tc_tag)
                ]
                line = " ".join(cell for cell in cells if cell)
                if line:
                    yield line
        elif element.tag == sdt_tag:
            content = element.find(sdt_content_tag)
            if content is not None:
                pending.extend(reversed(content))


def _docx_text(path: Path, data: bytes, max_bytes: int) -> str:
    try:
        with zipfile.ZipFile(io.BytesIO(data)) as archive:
            inflated = sum(info.file_size for info in archive.infolist())
    except Exception as exc:
        raise LoadError(path, f"corrupt or not a .docx file: {_short(exc)}") from exc
    limit = max_bytes * _DOCX_INFLATION_FACTOR
    if inflated > limit:
        raise LoadError(path, f"file too large: {inflated} bytes uncompressed > limit {limit}")
    try:
        import docx

        document = docx.Document(io.BytesIO(data))
        return "\n".join(_docx_lines(document))
    except Exception as exc:
        raise LoadError(path, f"corrupt or not a .docx file: {_short(exc)}") from exc


def _pdf_text(path: Path, data: bytes) -> str:
    from pypdf import PdfReader

    try:
        reader = PdfReader(io.BytesIO(data))
        if reader.is_encrypted:
            try:
                opened = reader.decrypt("")
            except Exception as exc:  # e.g. AES without a crypto backend installed
                raise LoadError(path, f"encrypted PDF, cannot decrypt: {_short(exc)}") from exc
            if not opened:
                raise LoadError(path, "encrypted PDF (password required)")
        if len(reader.pages) == 0:
            raise LoadError(path, "corrupt PDF: no pages found")
        pages = [(page.extract_text() or "").strip() for page in reader.pages]
    except LoadError:
        raise
    except Exception as exc:
        raise LoadError(path, f"corrupt PDF: {_short(exc)}") from exc
    text = _normalise_newlines("\n".join(page for page in pages if page)).replace("\x00", "")
    if not text.strip():
        raise LoadError(path, "no extractable text (scanned PDF?)")
    return text


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
        raise LoadError(path, f"cannot read file: {exc.strerror or _short(exc)}") from exc
    if len(data) > max_bytes:
        raise LoadError(path, f"file too large: more than {max_bytes} bytes > limit {max_bytes}")
    if not data:
        raise LoadError(path, "empty file")
    return data


def load_file(path: Path, max_bytes: int = 20_000_000) -> str:
    """Return the document's text, one paragraph per \\n-separated line, ready for chunking.

    Every failure (unsupported type, unreadable, empty, too large, binary, corrupt, encrypted, scanned
    PDF) is raised as LoadError naming the file, so callers handle one exception type.
    """
    path = Path(path)
    suffix = path.suffix.lower()
    if suffix not in SUPPORTED_SUFFIXES:
        supported = ", ".join(sorted(SUPPORTED_SUFFIXES))
        raise LoadError(path, f"unsupported file type {suffix or '(no suffix)'!r}; supported: {supported}")
    try:
        data = _read_limited(path, max_bytes)
        if suffix in _TEXT_SUFFIXES:
            text = _decode_text(path, data)
        elif suffix in _HTML_SUFFIXES:
            text = _html_text(path, data)
        elif suffix == ".docx":
            text = _docx_text(path, data, max_bytes)
        else:
            text = _pdf_text(path, data)
    except LoadError:
        raise
    except Exception as exc:  # never leak a library exception to the ingestion loop
        raise LoadError(path, f"unexpected error: {_short(exc)}") from exc
    if not text.strip():
        raise LoadError(path, "no text found")
    return text

"""HTML pages (.html .htm): visible body text, one line per block element, table cells kept apart."""

from __future__ import annotations

import warnings
from html.parser import HTMLParser
from pathlib import Path
from typing import Any

from ingest.loaders.base import Document, LoadError, Page, short
from ingest.loaders.text import decode_text

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
    markup = decode_text(path, data, html=True)
    try:
        return _html_text_bs4(markup)
    except Exception:  # RecursionError or parser bugs on hostile markup: the stdlib parser never recurses
        try:
            return _html_text_fallback(markup)
        except Exception as exc:
            raise LoadError(path, f"cannot parse HTML: {short(exc)}") from exc


def read_html(path: Path, data: bytes) -> Document:
    return Document([Page(1, _html_text(path, data))], "html")

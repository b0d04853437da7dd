"""What changed between two versions of a letter: by paragraph, and within a paragraph by word."""

from __future__ import annotations

import difflib
import re
from dataclasses import dataclass, field

# -- diffs ---------------------------------------------------------------------------------------------
_TOKEN = re.compile(r"[A-Za-z]+|\d+(?:[.,]\d+)*%?|\s+|.", re.S)


def _tokens(s: str) -> list[str]:
    """Chinese-aware units: one character of Chinese text, whole numbers and Latin words."""
    return _TOKEN.findall(s)


Piece = tuple[str, str]  # (kind, text): kind "same" | "del" | "ins"


def char_pieces(a: str, b: str) -> list[Piece]:
    """One paragraph's change as pieces in reading order: what stayed, what went, what came (numbers whole)."""
    ta, tb = _tokens(a), _tokens(b)
    out: list[Piece] = []
    for op, i1, i2, j1, j2 in difflib.SequenceMatcher(None, ta, tb, autojunk=False).get_opcodes():
        if op == "equal":
            out.append(("same", "".join(ta[i1:i2])))
        if op in ("delete", "replace"):
            out.append(("del", "".join(ta[i1:i2])))
        if op in ("insert", "replace"):
            out.append(("ins", "".join(tb[j1:j2])))
    return out


_MARKUP = {"same": "{}", "del": "[-{}-]", "ins": "{{+{}+}}"}


def markup(pieces: list[Piece]) -> str:
    """Pieces as the CLI's inline markup: [-deleted-]{+inserted+}."""
    return "".join(_MARKUP[kind].format(text) for kind, text in pieces)


def char_diff(a: str, b: str) -> str:
    """One paragraph's change inline: [-deleted-]{+inserted+}."""
    return markup(char_pieces(a, b))


@dataclass
class ParagraphChange:
    kind: str  # 修改 | 新增 | 删除
    before: int | None  # paragraph number (1-based) in the first text
    after: int | None
    old: str
    new: str
    inline: str = ""
    pieces: list[Piece] = field(default_factory=list)  # the change as (kind, text), for display


def diff_paragraphs(a: str, b: str) -> list[ParagraphChange]:
    """Paragraph-level changes between two letters, each modified paragraph with its character-level diff."""
    pa = [ln.strip() for ln in a.split("\n") if ln.strip()]
    pb = [ln.strip() for ln in b.split("\n") if ln.strip()]
    out: list[ParagraphChange] = []
    for op, i1, i2, j1, j2 in difflib.SequenceMatcher(None, pa, pb, autojunk=False).get_opcodes():
        if op == "equal":
            continue
        olds, news = pa[i1:i2], pb[j1:j2]
        k = 0
        while k < min(len(olds), len(news)) and op == "replace":
            o, n = olds[k], news[k]
            if len(olds) != len(news) and difflib.SequenceMatcher(None, o, n, autojunk=False).ratio() < 0.3:
                break
            similar = difflib.SequenceMatcher(None, o, n, autojunk=False).ratio() >= 0.3
            pieces = char_pieces(o, n) if similar else [("del", o), ("ins", n)]  # rewritten whole: shown whole
            out.append(ParagraphChange("修改", i1 + k + 1, j1 + k + 1, o, n, markup(pieces), pieces))
            k += 1
        for x, o in enumerate(olds[k:], i1 + k + 1):
            out.append(ParagraphChange("删除", x, None, o, "", f"[-{o}-]", [("del", o)]))
        for y, n in enumerate(news[k:], j1 + k + 1):
            out.append(ParagraphChange("新增", None, y, "", n, f"{{+{n}+}}", [("ins", n)]))
    return out


def render_diff(a: str, b: str, name_a: str = "前一版", name_b: str = "后一版") -> str:
    """A readable diff: per changed paragraph, where it is, what it said, and the change inline."""
    changes = diff_paragraphs(a, b)
    if not changes:
        return f"{name_a}与{name_b}内容相同。"
    lines = [f"{name_a} → {name_b}：共 {len(changes)} 处段落变化（[-删除-]{{+新增+}}）"]
    for c in changes:
        if c.kind == "修改":
            lines.append(f"第{c.after}段 修改：{c.inline}")
        elif c.kind == "新增":
            lines.append(f"第{c.after}段 新增：{{+{c.new}+}}")
        else:
            lines.append(f"原第{c.before}段 删除：[-{c.old}-]")
    return "\n".join(lines)

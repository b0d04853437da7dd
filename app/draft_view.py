"""What the 起草 and 办件 pages show of a draft, without Streamlit: honest panels, official punctuation, track changes."""

from __future__ import annotations

import re
from collections.abc import Sequence
from typing import Any

from assistant.letters.export import md_escape
from core.text import to_fullwidth


# -- honest panels: what the evaluator judges, what the check covered, typed text made official ---------------
def judged_coverage(asks: Sequence[Any], letter: str) -> list[bool]:
    """Whether the letter answers each ask, by the evaluator's own reading of its text
    (assistant.evaluation.asks.judge_asks), never by the drafter's claim (`a.found`)."""
    from assistant.evaluation.asks import judge_asks

    return judge_asks(letter, [str(a.ask) for a in asks]) if asks else []


def judged_note(a: Any, answered: bool) -> str:
    """The note after an ask: the drafter's note when the judgement agrees, else why it is not ticked."""
    if answered or not a.found:
        return coverage_note(a)
    return " — :orange[起草时找到了材料，但函中相关的有引用的句子不足以回答这一项]"


def check_summary(report: Any, text: str) -> str:
    """What the wording/consistency check looked at, then what it found (Markdown, the draft's text escaped)."""
    from assistant.facts.figures import figures, sentences

    said = sentences(text)
    n_fig = sum(len(figures(s)) for s in said)
    head = (f"已核对草稿中的 {len(said)} 句、{n_fig} 个数字，对照档案中 {len(report.related)} 份相关的前次答复"
            "（数字一致、前次承诺有回应、措辞符合公文要求）。")
    if report.ok:
        return head + "未发现问题。"
    return head + "  \n" + "  \n".join(md_escape(line) for line in report.text().split("\n"))


_SUBHEAD_DOT = re.compile(r"^(\s*[一二三四五六七八九十]{1,3})[.．]", re.MULTILINE)


_CJK_DOT = re.compile(r"(?<=[\u4e00-\u9fff）”])\.(?=\s*$|\s*[\u4e00-\u9fff“（]|\s*\[\d)", re.MULTILINE)


def official_punctuation(text: str) -> str:
    """Typed text in the punctuation of generated text, character for character (spans stay valid):
    `to_fullwidth`, then "一." → "一、" and a "." ending a Chinese sentence → "。"."""
    out = to_fullwidth(str(text))
    out = _SUBHEAD_DOT.sub(lambda m: m[1] + "、", out)
    return _CJK_DOT.sub("。", out)


# -- track changes (the 办件 page's version diffs) ---------------------------------------------------------------
_TRACK = {"same": "{}",
          "del": '<del style="color:#c62828;text-decoration:line-through">{}</del>',
          "ins": '<ins style="color:#2e7d32;text-decoration:underline">{}</ins>'}


def track_changes_html(a: str, b: str, name_a: str, name_b: str) -> str:
    """Two versions as inline track changes, one row per changed paragraph: deletions struck through in red,
    insertions underlined in green. Every text from the letters is HTML-escaped; the markup is ours."""
    from html import escape

    from assistant.casework.diff import diff_paragraphs

    changes = diff_paragraphs(a, b)
    head = f"{escape(name_a)} → {escape(name_b)}"
    if not changes:
        return f'<div class="track-changes"><p>{head}：内容相同。</p></div>'
    rows = [f"<p><b>{head}：共 {len(changes)} 处段落变化</b>（<del style=\"color:#c62828\">删除</del>"
            f" <ins style=\"color:#2e7d32\">新增</ins>）</p>"]
    for c in changes:
        where = f"原第{c.before}段 删除" if c.kind == "删除" else f"第{c.after}段 {c.kind}"
        body = "".join(_TRACK[kind].format(escape(text)) for kind, text in c.pieces)
        rows.append(f'<p style="margin:0.3em 0"><span style="color:#666">{where}：</span>{body}</p>')
    return '<div class="track-changes">' + "".join(rows) + "</div>"


# -- the app's own texts ---------------------------------------------------------------------------------------
def coverage_note(a: Any) -> str:
    """The note after an ask in the coverage list (Markdown, our own text only)."""
    if not a.found:
        return " — :red[未找到材料，函中已留待填写处]"
    if a.where == "next":
        return " — 仅在“下一步工作计划”中涉及"
    if a.where == "elsewhere":
        return " — 在函中其他部分涉及"
    return ""


def coverage_lines(asks: Sequence[Any], letter: str) -> str:
    """One line per ask: ✓ only when the evaluator judges the letter's text answers it (`judged_coverage`)."""
    judged = judged_coverage(asks, letter)
    return "\n".join(f"- {'✓' if ok else '✗'} {md_escape(to_fullwidth(a.ask))}" + judged_note(a, ok)
                     for a, ok in zip(asks, judged, strict=True))


def structure_lines(structure: dict[str, bool]) -> str:
    from assistant.letters.model import STRUCTURE_NAMES

    return "\n".join(f"- {'✓' if ok else '✗'} {STRUCTURE_NAMES.get(k, k)}" for k, ok in structure.items())

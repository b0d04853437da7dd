"""What a model's answer must be before the user sees it: its key claims supported, no placeholders, and no
"the material holds nothing" when the archive answers the question. Otherwise the offline answer (which meets
the question's constraints) is shown instead, with a notice that says why — never the model's text flagged."""

from __future__ import annotations

import re

from assistant.evidence import cite

# markers a model writes without a number: [编号], 【来源】, [n], [?], (出处)
PLACEHOLDER = re.compile(r"[\[【(（]\s*(?:编号|来源|出处|引用|资料|段落|n|N|x|X|\?|？|…|\.\.\.)\s*[\]】)）]")
_NOTHING = re.compile(r"(?:资料|文档|材料|段落|提供的内容)中?(?:没有|未|并未|不包含|无)|无法回答|没有(?:相关|找到)")
_CONTENT = re.compile(r"[\u4e00-\u9fff0-9]")


# a line that opens with its marker ("[1] 200万元/家") is the prompt's passage list copied back, not an answer
_ECHOED = re.compile(r"^\s*\[\d+\]")


def vet(text: str, passages: list[str], threshold: float, shape: re.Pattern[str] | None = None,
        asked: str = "") -> str:
    """"" when the model's answer may be shown; else the notice that replaces it by the offline answer.

    `shape` is what an answer to the question looks like (a 文号, an amount, a date: the question's slot) and
    `asked` its name: an answer holding nothing of that shape does not answer, however well it is cited."""
    body = PLACEHOLDER.sub("", cite.strip_markers(text))
    if _NOTHING.search(body):
        return "模型称资料中没有答案，但资料中有相关内容，以下为离线整理的回答。"
    report = cite.check(PLACEHOLDER.sub("", text), passages, threshold, attribute=True)
    if len(_CONTENT.findall(body)) < 4 or not report.claims:  # markers, placeholders, "请参阅资料"
        return "模型没有给出可用的回答（只有占位符或标注），以下为离线整理的回答。"
    lines = [ln for ln in text.split("\n") if ln.strip()]
    if lines and all(_ECHOED.match(ln) for ln in lines):
        return "模型照抄了资料的编号列表，没有组织回答，以下为离线整理的回答。"
    if any(cite.key_numbers(s.text) for s in report.unsupported):
        return "模型回答中的数字无法在资料中核实，以下为离线整理的回答。"
    if shape is not None and not shape.search(body):
        return f"模型的回答没有给出所问的{asked or '内容'}，以下为离线整理的回答。"
    return ""

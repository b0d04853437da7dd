"""Co-handling opinions (会办意见): an opinion file read into its office, date and points, and its points as
passages the letter can cite."""

from __future__ import annotations

import re
from dataclasses import asdict, dataclass, field
from pathlib import Path
from typing import Any

from assistant.casework.intake import IntakeError, _lines, _read_text
from assistant.letters.items import _items, _items_at, _rx
from assistant.letters.lift import is_frame_line, is_next_step, office_name, opinion_line_patterns
from assistant.retrieval.hybrid import Hit, office_words
from core.places import gazetteer
from core.profile import profile
from core.text import normalize_text, split_sentences, to_fullwidth
from ingest.sections import is_date_line, iso_date


# -- co-handling opinions ------------------------------------------------------------------------------
@dataclass
class Opinion:
    """A co-handling office's opinion on the proposal."""

    office: str
    date: str = ""  # ISO
    to_office: str = ""  # the lead office it is addressed to
    points: list[str] = field(default_factory=list)  # its sentences or items, in order
    text: str = ""
    source: str = ""
    title: str = ""
    focus: str = ""  # what it says it answers ("针对…提出的完善人才引进政策意见")
    warnings: list[str] = field(default_factory=list)

    def to_dict(self) -> dict[str, Any]:
        return asdict(self)

    @classmethod
    def from_dict(cls, d: dict[str, Any]) -> Opinion:
        return cls(**{k: d[k] for k in cls.__dataclass_fields__ if k in d})


def short_office(office: str, replying: str = "") -> str:
    """An office as a letter of the same city names it: 东莞市科学技术局 → 市科学技术局."""
    k = office.find("市")
    if 0 < k < len(office) - 2 and (not replying or replying.startswith(office[: k + 1])):
        return office[k:]
    return office


def same_office(a: str, b: str) -> bool:
    """Two names of one office: equal, one the other's short form, or an alias (科技局 / 科学技术局)."""
    a, b = office_name(a), office_name(b)
    if not a or not b:
        return False
    if a == b or a.endswith(b) or b.endswith(a):
        return True
    core_a = re.sub(r"^[\u4e00-\u9fff]{2,}?[省市区县州](?=[\u4e00-\u9fff]{2})", "", a)  # 市场监管局 keeps its 市
    core_b = re.sub(r"^[\u4e00-\u9fff]{2,}?[省市区县州](?=[\u4e00-\u9fff]{2})", "", b)
    return bool(core_a) and (core_a == core_b or core_b in office_words(core_a) or core_a in office_words(core_b)
                             or any(w in core_b for w in office_words(core_a)[1:])
                             or any(w in core_a for w in office_words(core_b)[1:]))


def _title_office(line: str) -> str:
    """The issuing office of a title line "…局关于…的会办意见", or ""."""
    prof = profile()
    if "关于" not in line or not any(c in line for c in prof.words("opinion", "title_cues")):
        return ""
    name = office_name(line.split("关于", 1)[0])
    return name if prof.office_line.match(name) else ""


def _point(item: str) -> str:
    """An item as one point: its heading line (when it has one) closed by "。", the rest run on."""
    lines = [ln.strip() for ln in item.split("\n") if ln.strip()]
    if len(lines) > 1 and any(p.match(lines[0]) for p in opinion_line_patterns("item_heading")):
        lines[0] = lines[0].rstrip("。") + "。"
    return "".join(lines)


def parse_opinion_text(text: str, source: str = "") -> Opinion:
    """An opinion's issuing office (signature or title; a bracketed second name dropped), date, addressee and
    points (its items, the text before the first item as a point of its own); the frame — what precedes the
    addressee, what follows the signature, contact lines and formulas — is no point. IntakeError when no
    issuing office can be read or the name is not an office's."""
    lines = _lines(text)
    if not lines:
        raise IntakeError(f"{source or '文件'}：没有可读的文字")
    prof = profile()
    office, date = "", ""
    signer = ""
    end = len(lines)
    for i in range(len(lines) - 1, 0, -1):
        compact = re.sub(r"(?<=\d)\s+(?=[\d年月日])|(?<=[年月])\s+(?=\d)", "", lines[i])  # OCR: "20 23年4月18日"
        if is_date_line(compact) and not date:
            date = iso_date(compact)
            end = i
            name = office_name(lines[i - 1])
            if prof.office_line.match(name):
                office, end = name, i - 1
            elif len(lines[i - 1]) <= 30 and not re.search(r"[。,;]", lines[i - 1]):
                signer = lines[i - 1]  # signed, but not by an office this product knows
            break
    # the addressee ("市工业和信息化局:"), after any title or page chrome
    start = next((k for k, ln in enumerate(lines[:30]) if ln.endswith(":") and len(ln) < 40
                  and prof.office_line.match(office_name(ln[:-1]))), -1)
    title = ""
    for ln in lines[: max(start, 3)]:
        who = _title_office(ln)
        if who:
            title, office = ln, office or who
            break
    to_office = lines[start][:-1] if start >= 0 else ""
    if not office and signer:
        raise IntakeError(f"{source or '文件'}：出具单位“{signer}”不是可识别的机关单位名称，请确认是否为会办单位的意见")
    if not office:
        raise IntakeError(f"{source or '文件'}：无法识别出具会办意见的单位（没有落款单位或标题），请确认文件或补充落款")
    if not prof.office_line.match(office) or gazetteer().place_of(office) is None:
        raise IntakeError(f"{source or '文件'}：出具单位“{office}”不是可识别的机关单位名称，请确认")
    skip = _rx(tuple(prof.words("opinion", "formula_lines")))
    body = [ln for ln in lines[start + 1:end] if ln not in (title, office) and not is_date_line(ln)
            and not ln.endswith(":") and office_name(ln) != office and not is_frame_line(ln)
            and not any(p.search(ln) for p in skip)]
    focus = next((m.group("focus") for ln in lines[start + 1:end] for p in opinion_line_patterns("focus")
                  if (m := p.search(ln))), "")
    items, first = _items_at(body)
    if items:
        preamble = "".join(body[:first]) if first > 0 else ""
        points = ([to_fullwidth(preamble)] if len(preamble) >= 6 else []) + [to_fullwidth(_point(i)) for i in items]
    else:
        items = _items(body)
        points = [to_fullwidth(_point(i)) for i in items] if items else [
            to_fullwidth(s) for s in split_sentences("".join(body), "。;；", newline=False, min_chars=6)]
    return Opinion(office, date, to_office, points, to_fullwidth("\n".join(lines)), source, to_fullwidth(title),
                   to_fullwidth(focus))


def read_opinion(path: Path, max_bytes: int | None = None, name: str = "") -> Opinion:
    return parse_opinion_text(_read_text(path, max_bytes, name), name or path.name)


def point_parts(point: str) -> tuple[str, str]:
    """A point's own heading ("关于设立…。", "梯度培育民营企业。") and the rest."""
    m = re.match(r"^(关于[^，,。；;]{2,40})[。；;:：]\s*(?=\S)", point)
    if m:
        return m.group(1), point[m.end():]
    first, sep, rest = point.partition("。")
    if sep and rest.strip() and any(p.match(normalize_text(first)) for p in opinion_line_patterns("item_heading")):
        return first, rest.strip()
    return "", point


def opinion_hits(opinion: Opinion, city: str = "") -> list[Hit]:
    """An opinion's points as passages a letter can cite, with the opinion's office as their source; a point
    headed as a next step (下一步/下阶段工作…) carries "下一步" in its heading path."""
    out = []
    for k, whole in enumerate(opinion.points):
        head, point = point_parts(whole)
        nxt = " > 下一步" if head and is_next_step(head) else ""
        md = {"title": opinion.title or f"{opinion.office}会办意见", "office": opinion.office, "date": opinion.date,
              "kind": "co_handling", "heading_path": f"会办意见 > 第{k + 1}点" + (f" > {head}" if head else "") + nxt,
              "city": city, "opinion": True, "planted": bool(profile().planted_instruction.search(point)),
              "doc_id": f"opinion:{opinion.office}", "file_name": opinion.source, "focus": opinion.focus}
        out.append(Hit(f"opinion:{opinion.office}:{k}", f"{opinion.office}会办意见:{k + 1}", point, md, 1.0))
    return out

"""Co-handling opinions (会办意见): an opinion file read into its office, date and points, and its points as
passages the letter can cite."""

from __future__ import annotations

import re
from dataclasses import asdict, dataclass, field
from pathlib import Path
from typing import Any

from assistant.casework.intake import IntakeError, _items, _lines, _read_text, _rx
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
    a, b = normalize_text(a).strip(), normalize_text(b).strip()
    if not a or not b:
        return False
    if a == b or a.endswith(b) or b.endswith(a):
        return True
    core_a = re.sub(r"^.*?[省市区县州]", "", a)
    core_b = re.sub(r"^.*?[省市区县州]", "", b)
    return bool(core_a) and (core_a == core_b or core_b in office_words(core_a) or core_a in office_words(core_b)
                             or any(w in core_b for w in office_words(core_a)[1:])
                             or any(w in core_a for w in office_words(core_b)[1:]))


def parse_opinion_text(text: str, source: str = "") -> Opinion:
    """An opinion's issuing office (signature or title), date, addressee and points; IntakeError when no
    issuing office can be read or the name is not an office's."""
    lines = _lines(text)
    if not lines:
        raise IntakeError(f"{source or '文件'}：没有可读的文字")
    prof = profile()
    office, date = "", ""
    signer = ""
    for i in range(len(lines) - 1, 0, -1):
        if is_date_line(lines[i]) and not date:
            date = iso_date(lines[i])
            if prof.office_line.match(lines[i - 1]):
                office = lines[i - 1]
            elif len(lines[i - 1]) <= 30 and not re.search(r"[。,;]", lines[i - 1]):
                signer = lines[i - 1]  # signed, but not by an office this product knows
            break
    title = ""
    for ln in lines[:3]:
        if any(c in ln for c in prof.words("opinion", "title_cues")) and "关于" in ln:
            title = ln
            office = office or ln.split("关于", 1)[0]
            break
    to_office = next((ln[:-1] for ln in lines[:4] if ln.endswith(":") and len(ln) < 40), "")
    if not office and signer:
        raise IntakeError(f"{source or '文件'}：出具单位“{signer}”不是可识别的机关单位名称，请确认是否为会办单位的意见")
    if not office:
        raise IntakeError(f"{source or '文件'}：无法识别出具会办意见的单位（没有落款单位或标题），请确认文件或补充落款")
    if not prof.office_line.match(office) or gazetteer().place_of(office) is None:
        raise IntakeError(f"{source or '文件'}：出具单位“{office}”不是可识别的机关单位名称，请确认")
    skip = _rx(tuple(prof.words("opinion", "formula_lines")))
    body = [ln for ln in lines if ln not in (title, office) and not is_date_line(ln) and not ln.endswith(":")
            and not any(p.search(ln) for p in skip)]
    items = _items(body)
    points = [to_fullwidth(i.replace("\n", "")) for i in items] if items else [
        to_fullwidth(s) for s in split_sentences("".join(body), "。;；", newline=False, min_chars=6)]
    return Opinion(office, date, to_office, points, to_fullwidth("\n".join(lines)), source, to_fullwidth(title))


def read_opinion(path: Path, max_bytes: int | None = None, name: str = "") -> Opinion:
    return parse_opinion_text(_read_text(path, max_bytes, name), name or path.name)


def opinion_hits(opinion: Opinion, city: str = "") -> list[Hit]:
    """An opinion's points as passages a letter can cite, with the opinion's office as their source."""
    out = []
    for k, whole in enumerate(opinion.points):
        m = re.match(r"^(关于[^，,。；;]{2,40})[。；;:：]\s*(?=\S)", whole)  # the point's own heading
        head, point = (m.group(1), whole[m.end():]) if m else ("", whole)
        md = {"title": opinion.title or f"{opinion.office}会办意见", "office": opinion.office, "date": opinion.date,
              "kind": "co_handling", "heading_path": f"会办意见 > 第{k + 1}点" + (f" > {head}" if head else ""),
              "city": city, "opinion": True, "planted": bool(profile().planted_instruction.search(point)),
              "doc_id": f"opinion:{opinion.office}", "file_name": opinion.source}
        out.append(Hit(f"opinion:{opinion.office}:{k}", f"{opinion.office}会办意见:{k + 1}", point, md, 1.0))
    return out

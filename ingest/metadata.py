"""Extract document and sub-document metadata (city, office, number, proposer, body, date) by rule.

A field that the text does not state stays empty: nothing is guessed from file names.
"""

from __future__ import annotations

import re
from dataclasses import dataclass

from core.profile import profile
from core.text import normalize_text
from ingest.sections import Part, valid_date

_CITY = re.compile(r"^([\u4e00-\u9fff]{2,4}?)市")
_OFFICE_SUFFIX = re.compile(r"(局|委员会|委|办公室|办|政府|厅|院|中心|署)$")
_DOC_NUMBER = re.compile(r"[\u4e00-\u9fff]{1,10}〔\d{4}〕\d{1,4}号")
_HEADER_DATE = re.compile(r"(成文日期|发布时间|发布日期|时间)\s*[:：]?\s*(\d{4})-(\d{1,2})-(\d{1,2})")


@dataclass(frozen=True)
class DocMeta:
    """Facts about the whole document."""

    doc_id: str
    title: str
    kind: str
    city: str
    body: str  # 人大 | 政协 | ""
    number: str  # proposal / suggestion number, e.g. 20242679
    doc_number: str  # 文号, e.g. 清府办函〔2024〕24号
    proposer: str  # e.g. 魏朗代表, 民建市委会
    proposal_title: str
    office: str  # issuing office of the document
    published: str  # ISO date from the page header, "" when none
    date: str  # the document's date: header date, else the first signature date


def _balanced(s: str) -> bool:
    return s.count("《") == s.count("》") and s.count("〈") == s.count("〉")


def doc_title(lines: list[str]) -> str:
    """First line, joined with the next while book-title marks are still open (titles wrap)."""
    if not lines:
        return ""
    title = lines[0]
    k = 1
    while not _balanced(title) and k < min(len(lines), 4):
        title += lines[k]
        k += 1
    title = re.sub(r"^案由\s*:\s*(\(\d+\))?", "", title)
    return title.strip()


def city_of(office: str) -> str:
    m = _CITY.match(office or "")
    return m[1] if m else ""


def _header_fields(raw: str) -> dict[str, str]:
    text = normalize_text(raw)
    out: dict[str, str] = {}
    if m := re.search(r"(?:文件编号|文号)\s*[:：]?\s*(\S+?号)", text):
        out["doc_number"] = m[1]
    dates = {m[1]: valid_date(int(m[2]), int(m[3]), int(m[4])) for m in _HEADER_DATE.finditer(text)}
    for key in ("成文日期", "发布时间", "发布日期", "时间"):
        if dates.get(key):
            out["published"] = dates[key]
            break
    if (m := re.search(r"(?:来源|发布机构)\s*[:：]\s*([\u4e00-\u9fff]+)", text)) and _OFFICE_SUFFIX.search(m[1]):
        out["source_office"] = m[1]
    return out


def extract_doc_meta(doc_id: str, raw: str, lines: list[str], parts: list[Part]) -> DocMeta:
    """Document-level metadata from the cleaned lines, the parts and the page header of the raw text."""
    header = _header_fields(raw)
    title = doc_title(lines)
    text = "\n".join(lines)
    replies = [p for p in parts if p.kind == "reply"]
    first_reply = replies[0] if replies else None

    title_office = m[1] if (m := re.match(r"^([\u4e00-\u9fff]{2,}?)关于", title)) else ""
    office = (first_reply.signature_office if first_reply else "") or ""
    if not office and _OFFICE_SUFFIX.search(title_office) and city_of(title_office):
        office = title_office
    if not office:
        office = header.get("source_office", "")
    if not office:
        office = next((p.signature_office for p in parts if p.signature_office), "")

    city = ""
    for cand in (office, title_office, header.get("source_office", ""), *(p.signature_office for p in parts)):
        if city := city_of(cand):
            break

    number = ""
    for rx in (r"第(\d+)号(?:建议|提案)", r"^案由\s*:\s*\((\d+)\)", r"\(第(\d+)号\)", r"第(\d+)号提案"):
        if m := re.search(rx, title if rx.startswith("第") else text, flags=re.M):
            number = m[1]
            break

    doc_number = header.get("doc_number", "")
    if not doc_number:
        head = lines[:4]
        doc_number = next((ln for ln in head if _DOC_NUMBER.fullmatch(ln)), "")

    proposer = ""
    if first_reply and re.search(r"(代表|委员|委会|党派)$", first_reply.salutation):
        proposer = first_reply.salutation
    elif m := re.search(r"^(?:提案者|提案人|建议人)\s*[:：]?\s*(\S+)", text, flags=re.M):
        proposer = m[1]

    body = ""
    if number or proposer:
        if re.search(r"人民代表大会|人大", title) or proposer.endswith("代表"):
            body = "人大"
        elif re.search(r"政协", title) or proposer.endswith("委员") or "政协" in text:
            body = "政协"
        elif "人大代表" in text or "人民代表大会" in text:
            body = "人大"

    proposal_title = ""
    if m := re.search(r"(?:提出的|提案|建议)\s*《([^》\n]{4,120})》", text):
        proposal_title = m[1]
    elif any(p.kind == "proposal" for p in parts):
        proposal_title = title

    kind = "implementation_plan" if any(p.kind == "implementation_plan" for p in parts) else (
        "reply" if replies else (parts[0].kind if parts else "other")
    )
    return DocMeta(
        doc_id=doc_id,
        title=title,
        kind=kind,
        city=city,
        body=body,
        number=number,
        doc_number=doc_number,
        proposer=proposer,
        proposal_title=proposal_title,
        office=office,
        published=header.get("published", ""),
        date=header.get("published", "") or first_date(parts),
    )


def part_meta(doc: DocMeta, part: Part) -> dict[str, str | int]:
    """Scalar metadata of one sub-document, ready for the store (no None values)."""
    if part.kind == "proposal":
        office = ""
    elif part.kind in ("implementation_plan", "notice"):
        office = part.signature_office or doc.office
    else:
        office = part.signature_office or (doc.office if part.kind == "reply" else "")
    date = part.signature_date
    if not date and (part.kind == "implementation_plan" or (part.kind == "reply" and not part.signature_office)):
        date = doc.date  # an unsigned web reply or a plan is dated by its document
    label = profile().kind_labels.get(part.kind, part.kind) + (f"·{office}" if office else "")
    meta: dict[str, str | int] = {
        "doc_id": doc.doc_id,
        "title": doc.title,
        "doc_kind": doc.kind,
        "sub_doc": f"{doc.doc_id}#{part.index}",
        "sub_doc_label": label,
        "kind": part.kind,
        "city": city_of(office) or doc.city,
        "office": office,
        "addressee": part.salutation,
        "proposer": doc.proposer,
        "number": doc.number,
        "doc_number": doc.doc_number,
        "body": doc.body,
        "proposal_title": doc.proposal_title,
        "date": date,
    }
    year = (date or doc.date)[:4]
    if year.isdigit():
        meta["year"] = int(year)
    return meta


def first_date(parts: list[Part]) -> str:
    return next((p.signature_date for p in parts if p.signature_date), "")



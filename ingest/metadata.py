"""Document and sub-document metadata (title, kind, place, office, number, 文号, proposer, body, date) by rule.

The rules read the domain profile and the gazetteer; a field the text does not state stays empty:
nothing is guessed from file names. Dates are kept apart: the signature date is the document's date,
then its 成文日期; the page's publication date is recorded as `published` only.
"""

from __future__ import annotations

import re
from dataclasses import dataclass

from core.places import Place, gazetteer
from core.profile import profile
from core.text import normalize_text
from ingest.sections import Part, valid_date

_CJK = r"\u4e00-\u9fff"


@dataclass(frozen=True)
class DocMeta:
    """Facts about the whole document (field names as in the dev corpus's truth.json)."""

    doc_id: str
    title: str
    kind: str  # reply | co_handling | policy | proposal | other
    province: str
    city: str  # prefecture-level (full name); "" for a province-level or province-administered unit
    district: str  # county-level (full name)
    body: str  # 人大 | 政协 | ""
    number: str  # proposal / suggestion number as written without 第/号: 20242679, 059, Y19, DH0271
    doc_number: str  # the document's own 文号, e.g. 清府办函〔2024〕24号
    proposer: str  # e.g. 魏朗代表, 李正乔等代表, 民建市委会
    proposal_title: str
    office: str  # issuing office of the document
    published: str  # ISO date the page was published, "" when none
    date: str  # signature date, else 成文日期, else ""

    @property
    def place(self) -> str:
        """The most specific place of the document."""
        return self.district or self.city or self.province


def _balanced(s: str) -> bool:
    return s.count("《") == s.count("》") and s.count("〈") == s.count("〉") and s.count("(") == s.count(")")


def _opens_late(s: str) -> bool:
    """More closing than opening brackets: the title began on an earlier line."""
    return any(s.count(b) > s.count(a) for a, b in ("《》", "〈〉", "()"))


def _squash(s: str) -> str:
    return re.sub(r"\s+", "", s)


def _salutation_index(lines: list[str]) -> int:
    prof = profile()
    return next((i for i, ln in enumerate(lines[:40]) if prof.salutation.match(ln)), min(len(lines), 25))


def _strip_title_label(line: str) -> str:
    labels = "|".join(re.escape(x) for x in profile().words("letters", "title_labels"))
    return re.sub(rf"^(?:{labels})\s*[:：]?\s*(?:\(\d+\))?", "", line)


def _title_like(line: str) -> bool:
    """A line that reads as a document's title: announces a kind and is built like a title."""
    prof = profile()
    if "。" in line or len(line) > 90 or not prof.title_kind(line):
        return False
    if re.search(r"[>/|]|>>|来源|发布|索引|^[\u4e00-\u9fff]{1,6}:|[:,;]$|^(您|你|我|提出)", line):
        return False
    cues = [c for _, cs in prof.title_cues for c in cs]
    return bool(re.search(r"关于|^对|^转发|^印发", line)) or line.endswith(tuple(cues)) or line.endswith(("的函", "复函"))


def doc_title(lines: list[str]) -> str:
    """The document's own title line: the last title-like line before the first salutation (the page's
    own heading and breadcrumbs come earlier), joined with the lines it wraps over; "" when none."""
    body_start = next((i for i, ln in enumerate(lines) if "。" in ln and len(ln) >= 40), len(lines))
    head = [_strip_title_label(ln) for ln in lines[: min(_salutation_index(lines), body_start)]]
    cands = [i for i, ln in enumerate(head) if _title_like(ln)
             or (i + 1 < len(head) and re.search(r"(的|关于|对|号|会议|委员会|之)$", ln)
                 and _title_like(ln + head[i + 1]) and len(head[i + 1]) < 40)]
    if not cands:
        # a page that runs the title into the text: "关于…的通知各区市工业和信息化局,…"
        first = lines[0] if lines else ""
        m = re.match(r"^((?:关于|对)[^。:]{4,80}?的(?:通知|答复|复函|函|意见|会办意见))", first)
        return _tidy_title(m[1]) if m else ""
    # the last heading above the salutation or the first paragraph (the page's own heading and
    # breadcrumbs come first)
    i = cands[-1]
    title = head[i]
    # wrapped: the line before ends mid-title (…第25号提案的 / 关于…第00006号)
    k = i - 1
    while k >= 0 and len(title) < 120 and (re.search(r"(的|关于|对|号|会议|委员会|之)$", head[k]) or _opens_late(title)) \
            and "。" not in head[k] and not profile().doc_number.search(head[k]) and not _title_like(head[k]):
        title = head[k] + title
        k -= 1
    k = i + 1
    while k < len(head) and len(title) < 120 and (
        not _balanced(title) or re.search(r"(的|关于|对|号|会议|委员会)$", title)
        or (len(_squash(head[k])) <= 8 and prof_kind(head[k]))
    ):
        if "。" in head[k] or ":" in head[k] or profile().doc_number.search(head[k]):
            break
        title += head[k]
        k += 1
    title = re.sub(r"^案由\s*:\s*(\(\d+\))?", "", title).strip()
    return _tidy_title(title)


def prof_kind(line: str) -> str:
    return profile().title_kind(line)


def _tidy_title(title: str) -> str:
    """Whitespace inside a wrapped title (答   复) closed up between Chinese characters."""
    return re.sub(rf"(?<=[{_CJK}])\s{2,}(?=[{_CJK}])", "", title).strip()


def _header_fields(raw: str) -> dict[str, str]:
    prof = profile()
    text = normalize_text(raw)
    out: dict[str, str] = {}
    if m := re.search(r"(?:文件编号|发文字号|文号)\s*[:：]?\s*(\S+?号)", text):
        out["doc_number"] = m[1]
    written = prof.words("dates", "written_labels")
    published = prof.words("dates", "published_labels")
    labels = "|".join(sorted(written + published, key=len, reverse=True))
    for m in re.finditer(rf"({labels})\s*[:：]?\s*(\d{{4}})\s*[-年./]\s*(\d{{1,2}})\s*[-月./]\s*(\d{{1,2}})", text):
        key = "written" if m[1] in written else "published"
        if key not in out and (d := valid_date(int(m[2]), int(m[3]), int(m[4]))):
            out[key] = d
    office_rx = re.compile(rf"(?:来源|发布机构|发文机关|发文单位|办理部门|承办单位|主办单位)\s*[:：]?\s*([{_CJK}()]+)")
    for m in office_rx.finditer(text):
        if re.search(rf"(?:{prof.office_suffix})$", m[1]):
            out["source_office"] = m[1]
            break
    return out


def office_from_title(title: str) -> str:
    """The office named at the head of a title ("黔东南州人民政府关于…的会办意见" → 黔东南州人民政府), else ""."""
    prof = profile()
    m = re.match(rf"^([{_CJK}()]{{2,40}}?(?:{prof.office_suffix}))(?:关于|对|\d{{4}}年)", title)
    return m[1] if m else ""


def full_office(office: str, place: Place | None, source_office: str = "") -> str:
    """An office name completed from what the document says elsewhere, never invented.

    "省工业和信息化厅" in a 云南省 document → 云南省工业和信息化厅; a signature "隆尧县科工局" whose page
    header says "科技和工业信息化局" → 隆尧县科技和工业信息化局 (the header is the full form of the alias).
    """
    prof = profile()
    if not office:
        return office
    if place is not None and (m := re.match(r"^(省|市|州|县|区)(?![委政])", office)):
        level_name = {"省": place.province, "市": place.city or (place.district if place.district.endswith("市") else ""),
                      "州": place.city, "县": place.district, "区": place.district}[m[1]]
        if level_name and level_name.endswith(m[1]):
            office = level_name + office[1:]
    if source_office and source_office != office and not gazetteer().mentions(source_office):
        for short, fulls in prof.agency_aliases.items():
            if office.endswith(short) and source_office in fulls:
                return office[: -len(short)] + source_office
    return office


def resolve_place(office: str, title: str, header_office: str, lines: list[str]) -> Place | None:
    """Where the document comes from: its office, then its title, then the header, then what its text
    names (the place containing every named place). A national document (全国…, a ministry) has none."""
    gz = gazetteer()
    if profile().ministry.search(title + office):  # a ministry's or a nationwide document
        return None
    for text in (office, title, header_office):
        if text and (ms := gz.mentions(text)) and (p := gz.resolve(ms)) is not None:
            return p
    body = "\n".join(lines)
    if (ms := gz.mentions(body)) and (p := gz.common(ms)) is not None:
        return p
    # the office says its level (县发展和改革局) and the text names its county only by short name (汶上)
    level = {"县": 3, "区": 3, "市": 2, "州": 2, "省": 1}.get((office or title)[:1])
    if level:
        shorts = {p.code: p for m in gz.mentions(body, short=True) for p in m.places if p.level == level}
        if len(shorts) == 1:
            return next(iter(shorts.values()))
    return None


def _number(title: str, text: str) -> str:
    for source in (title, text):
        for rx in profile().number_patterns:
            if m := rx.search(source):
                return m[1]
    return ""


def _doc_number(header: dict[str, str], lines: list[str]) -> str:
    """The document's own 文号: in the header table, or above the salutation (not one it cites in 《》/())."""
    prof = profile()
    if header.get("doc_number") and (m := prof.doc_number.search(header["doc_number"])):
        return m[0].replace(" ", "")
    head = "\n".join(lines[: _salutation_index(lines)])
    if len(head) > 600 or not head:
        head = "\n".join(lines)[:300]
    head = re.split(r"尊敬的|[\u4e00-\u9fff、*]{2,20}(?:代表|委员)(?:们)?:", head, maxsplit=1)[0]
    for m in prof.doc_number.finditer(head):
        before = head[max(0, m.start() - 1): m.start()]
        if before not in ("(", "《") and not re.search(r"《[^》]*$", head[: m.start()]):
            return m[0].replace(" ", "")
    return ""


def _clean_salutation(sal: str) -> str:
    prefixes = profile().words("letters", "salutation_prefixes")
    sal = re.sub(r"^[^\u4e00-\u9fff*]+", "", sal)
    for p in prefixes:
        sal = sal.removeprefix(p)
    return sal


def _proposer(parts: list[Part], lines: list[str], kind: str) -> str:
    prof = profile()
    text = "\n".join(lines)
    for p in parts:
        if p.salutation and prof.proposer_suffix.search(p.salutation) and p.kind in ("reply", "co_handling"):
            return _clean_salutation(p.salutation)
    if m := re.search(r"^(?:提案者|提案人|建议人|领衔人|领衔代表)\s*[:：]?\s*(\S+)", text, flags=re.M):
        return m[1]
    if kind not in ("reply", "co_handling"):
        return ""
    name = r"(?:[\u4e00-\u9fff*]{2,5}、)*[\u4e00-\u9fff*]{2,5}?等?"
    suffix = "代表|委员"
    # a salutation run into the text ("…签发人:庞佃宝 尊敬的李晓林、周志勋等代表: 您提出的…") or without its colon
    if m := re.search(rf"(?:^|\s|尊敬的)({name}(?:{suffix}))(?:们)?\s*:", text, flags=re.M):
        return _clean_salutation(m[1])
    for ln in lines[: _salutation_index(lines) + 3]:
        if re.fullmatch(rf"{name}(?:{suffix})", ln):
            return ln
    if m := re.search(rf"({name}(?:{suffix}))(?:在|提出|所提|领衔|联名)", text):
        return m[1]
    return ""


def _body(title: str, number: str, proposer: str, text: str) -> str:
    prof = profile()
    if not (number or proposer):
        return ""
    npc, cppcc = prof.words("letters", "npc_cues"), prof.words("letters", "cppcc_cues")
    if any(c in title for c in cppcc[:1]):
        return "政协"
    if any(c in title for c in npc):
        return "人大"
    if proposer.endswith("代表"):
        return "人大"
    if proposer.endswith("委员") or any(c in title for c in cppcc) or "政协" in text:
        return "政协"
    if any(c in text for c in npc):
        return "人大"
    return ""


def _doc_kind(title: str, parts: list[Part]) -> str:
    prof = profile()
    kind = prof.title_kind(title)
    part_kinds = [p.kind for p in parts]
    if not kind:
        kind = next((k for k in ("co_handling", "reply", "implementation_plan", "notice", "proposal")
                     if k in part_kinds), parts[0].kind if parts else "other")
    if kind == "proposal" and "reply" in part_kinds:
        kind = "reply"  # a proposal filed with its replies is read for the replies
    for doc_kind, members in prof.doc_kinds.items():
        if kind in members:
            return doc_kind
    return kind if kind in prof.doc_kinds else "other"


def _closing_office(lines: list[str]) -> str:
    """An office line among the last lines (signed without a date line below it)."""
    prof = profile()
    for ln in reversed(lines[-6:]):
        if prof.office_line.match(ln) and not prof.salutation.match(ln):
            return ln
    return ""


_RUN_IN_SIGNATURE = re.compile(r"([\u4e00-\u9fff()]{2,40}?)\s*((?:19|20)\d{2})\s*[年月]\s*(\d{1,2})\s*月\s*(\d{1,2})\s*日\s*。?\s*$")


def _run_in_signature(lines: list[str]) -> tuple[str, str]:
    """Office and date at the very end of a page that runs everything together (…威海市工业和信息化局2024年3月1日。)."""
    prof = profile()
    tail = lines[-1][-80:] if lines else ""
    if m := _RUN_IN_SIGNATURE.search(tail):
        office = re.search(rf"[\u4e00-\u9fff()]{{2,30}}?(?:{prof.office_suffix})$", m[1])
        return (office[0] if office else ""), valid_date(int(m[2]), int(m[3]), int(m[4]))
    return "", ""


def _closing_date(lines: list[str]) -> str:
    """The letter's date written inside its last lines (…关心和支持! 2022年7月1日 联系科室…)."""
    tail = " ".join(lines[-3:])[-400:]
    found = list(re.finditer(r"(?:^|[\s!。])((?:19|20)\d{2})\s*年\s*(\d{1,2})\s*月\s*(\d{1,2})\s*日(?=\s|$|\(|联系|。$)", tail))
    return valid_date(int(found[-1][1]), int(found[-1][2]), int(found[-1][3])) if found else ""


def extract_doc_meta(doc_id: str, raw: str, lines: list[str], parts: list[Part]) -> DocMeta:
    """Document-level metadata from the cleaned lines, the parts and the page header of the raw text."""
    header = _header_fields(raw)
    title = doc_title(lines)
    text = "\n".join(lines)
    kind = _doc_kind(title, parts)
    lead = next((p for p in parts if p.kind in ("reply", "co_handling") and p.signature_office), None)
    signed = lead or next((p for p in parts if p.signature_office), None)
    run_office, run_date = _run_in_signature(lines)

    office = ((signed.signature_office if signed else "") or _closing_office(lines) or run_office
              or office_from_title(title) or header.get("source_office", ""))
    place = resolve_place(office, title, header.get("source_office", ""), lines)
    office = full_office(office, place, header.get("source_office", ""))

    number = _number(title, text) if kind != "policy" else ""
    proposer = _proposer(parts, lines, kind)
    proposal_title = ""
    if m := re.search(r"(?:提出的|提案|建议)\s*《([^》\n]{4,120})》", text):
        proposal_title = m[1]
    elif any(p.kind == "proposal" for p in parts):
        proposal_title = title
    date = ((signed.signature_date if signed else "") or next((p.signature_date for p in parts if p.signature_date), "")
            or run_date or header.get("written", "") or _closing_date(lines))
    return DocMeta(
        doc_id=doc_id,
        title=title,
        kind=kind,
        province=place.province if place else "",
        city=place.city if place else "",
        district=place.district if place else "",
        body=_body(title, number, proposer, text),
        number=number,
        doc_number=_doc_number(header, lines),
        proposer=proposer,
        proposal_title=proposal_title,
        office=office,
        published=header.get("published", ""),
        date=date,
    )


def part_meta(doc: DocMeta, part: Part) -> dict[str, str | int]:
    """Scalar metadata of one sub-document, ready for the store (no None values).

    A co-handling opinion signed by another office carries that office's place, not the document's.
    """
    if part.kind == "proposal":
        office = ""
    elif part.kind in ("implementation_plan", "notice"):
        office = part.signature_office or doc.office
    else:
        office = part.signature_office or (doc.office if part.kind == "reply" else "")
    province, city, district = doc.province, doc.city, doc.district
    if office and office != doc.office and (p := gazetteer().place_of(office)) is not None:
        province, city, district = p.chain()
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
        "province": province,
        "city": city,
        "district": district,
        "place": district or city or province,
        "office": office,
        "addressee": part.salutation,
        "proposer": doc.proposer,
        "number": doc.number,
        "doc_number": doc.doc_number,
        "body": doc.body,
        "proposal_title": doc.proposal_title,
        "date": date,
    }
    year = (date or doc.date or doc.published)[:4]
    if year.isdigit():
        meta["year"] = int(year)
    return meta

"""The letter's fixed parts: salutation, acknowledgement, title, and the structure check."""

from __future__ import annotations

import re

from assistant.letters.model import BLANK, CLOSINGS, DraftRequest, Proposal, Role
from core.profile import profile


def salutation(p: Proposal, role: Role, lead_office: str) -> str:
    if role == "co":
        return f"{lead_office or BLANK}："
    who = p.proposer.strip()
    if not who:
        return f"{BLANK}："
    if (re.fullmatch(r"[\u4e00-\u9fff]{2,4}", who) and not re.search(r"(代表|委员|会|党|社|盟|所|部|局|委|组)$", who)
            and not profile().proposer_body.search(who)):  # 民建, 工商联: a body, never 民建委员
        who += "代表" if p.kind_name == "建议" else "委员"  # a person's name alone
    return f"{who}："


def acknowledgement(p: Proposal, role: Role, co_offices: list[str] | None = None, office: str = "") -> str:
    number = f"（第{p.number}号）" if p.number else ""
    words = profile().section("cohandling")
    if role == "co":
        return str(words["opinion_acknowledgement"]).format(title=p.title, number=number, kind=p.kind_name)
    if co_offices:  # 经会同市科技局、市财政局研究: the offices whose opinions the letter reflects
        names = str(words["office_separator"]).join(short_name(o, office) for o in co_offices)
        return str(words["acknowledgement"]).format(title=p.title, number=number, offices=names)
    return (f"您提出的《{p.title}》{number}收悉。我们高度重视，认真研究办理，现答复如下：")


def short_name(other: str, office: str) -> str:
    """Another office as a letter of `office` names it: 东莞市科学技术局 in a 东莞市 letter → 市科学技术局."""
    k = office.find("市")
    if 0 < k < len(office) - 1 and other.startswith(office[: k + 1]) and len(other) > k + 2:
        return other[k:]
    return other


def letter_title(req: DraftRequest) -> str:
    p = req.proposal
    what = f"第{p.number}号{p.kind_name}" if p.number else f"《{p.title}》"
    return f"{req.office}关于{what}的{'会办意见' if req.role == 'co' else '答复'}"


# a part heading that announces the next steps: "二、下一步工作计划", "三、下阶段工作打算"
NEXT_HEADING = r"^[二三四五]、.{0,12}?(?:下一步|下阶段|下步|今后|计划|打算|安排)"


def check_structure(text: str, req: DraftRequest) -> dict[str, bool]:
    """The parts a reply letter must have, present or not."""
    lines = [ln.strip() for ln in text.split("\n") if ln.strip()]
    body = "\n".join(lines)
    return {
        "salutation": bool(lines) and lines[0].endswith(("：", ":")),
        "acknowledgement": "收悉" in body,
        "done_section": bool(re.search(r"^一、", body, re.M)),
        "next_section": bool(re.search(NEXT_HEADING, body, re.M)
                             or re.search(r"^二、", body, re.M) and not re.search(r"^三、", body, re.M)),
        "sub_points": bool(re.search(r"^[（(][一二三四五六七八九十]+[)）]", body, re.M)),
        "closing": any(c in body for c in CLOSINGS),
        "office": req.office in body.split("\n")[-4:] or any(ln == req.office for ln in lines[-4:]),
        "date": any(re.fullmatch(r"\d{4}\s*年\s*\d{1,2}\s*月\s*\d{1,2}\s*日|【日期待填写】|" + re.escape(BLANK), ln)
                    for ln in lines[-4:]),
        "contact": "联系人" in body,
    }

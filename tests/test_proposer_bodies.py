"""Proposals of the democratic parties, 工商联 and 无党派人士 (offices.toml [proposer_bodies]): each is a 政协
提案 addressed by the body's own name, whatever party, in full or short form."""

from __future__ import annotations

import pytest

from assistant.casework.intake import parse_proposal_text
from assistant.letters.frame import letter_title, salutation
from assistant.letters.model import DraftRequest, Proposal
from core.profile import profile

P = profile()
BODIES = P.data["proposer_bodies"]


@pytest.mark.parametrize("party", BODIES["parties"], ids=lambda e: e["full"])
def test_every_party_form_is_a_body(party: dict[str, object]) -> None:
    for name in (party["full"], *party["short"]):  # type: ignore[misc]
        assert P.proposer_body.search(f"{name}东莞市委员会"), name
    assert P.proposer_body.search(str(party["example"]))
    assert Proposal("t", proposer=str(party["example"])).kind_name == "提案"


@pytest.mark.parametrize("other", BODIES["others"], ids=lambda e: e["example"])
def test_other_bodies(other: dict[str, object]) -> None:
    assert P.proposer_body.search(str(other["example"]))
    assert Proposal("t", proposer=str(other["example"])).kind_name == "提案"


def test_a_person_whose_name_holds_a_short_form_is_not_a_body() -> None:
    assert not P.proposer_body.search("王民进")
    assert Proposal("t", proposer="王民进").kind_name == "建议"


@pytest.mark.parametrize("proposer", ["民建东莞市委会", "民盟广州市委", "农工党", "致公党", "民建", "台盟市委会",
                                      "中国民主同盟东莞市委员会", "市工商联", "无党派人士"])
def test_a_body_proposal_is_a_proposal_addressed_by_the_body(proposer: str) -> None:
    p = Proposal("关于加快数字经济发展的提案", number="20230368", proposer=proposer)
    assert p.kind_name == "提案"
    assert salutation(p, "lead", "") == f"{proposer}："
    assert letter_title(DraftRequest(p, "东莞市工业和信息化局")) == "东莞市工业和信息化局关于第20230368号提案的答复"


def test_intake_reads_a_party_proposal_as_a_cppcc_proposal() -> None:
    text = ("关于加快数字经济发展的提案\n提案者：民盟广州市委\n"
            "内容：我市数字经济发展仍存在一些不足。\n建议：\n一、加大对中小企业数字化转型的支持力度。\n"
            "二、建立数字经济人才培养机制。\n")
    parsed = parse_proposal_text(text)
    assert parsed.kind == "提案"
    assert parsed.body_kind == "政协"

"""A reply opens with the office's overall figures on what the proposal is about (全市共有…), not with the first
figure of one ask: the drafter looks for them (the title's subject and the words of a total) and puts them first.
The letter here is a small fictitious one."""

from __future__ import annotations

import re
from pathlib import Path

import pytest

from assistant.answers.answer import Assistant
from assistant.answers.constraints import title_subject
from assistant.letters.draft import Drafter
from assistant.letters.model import DraftRequest, Proposal
from assistant.retrieval.hybrid import HybridRetriever
from assistant.retrieval.services import Services
from ingest.pipeline import ingest_paths

LETTER = ("关于市人大第15号建议的答复\n刘洋代表:\n您提出的《关于加快养老服务设施建设的建议》收悉,现答复如下:\n"
          "一、社区养老\n2023年投入资金860万元支持养老服务设施建设,新建社区养老服务站12个。\n"
          "二、医养结合\n推动医疗机构与养老机构签约合作,签约率达到85%。\n"
          "三、总体情况\n截至2023年底,全市共有养老服务设施286处,养老床位1.2万张。\n"
          "新余市民政局\n2024年5月10日")


@pytest.mark.parametrize(("title", "subject"), [
    ("关于破解专精特新中小企业融资难题的建议", "专精特新中小企业"),  # the aspect (融资) starts a verbal noun
    ("关于完善专精特新企业人才引进政策的建议", "专精特新企业人才"),
    ("关于加快麻天路公交线路开通的建议", "麻天路公交线路"),
    ("关于加强养老服务设施建设的提案", "养老服务设施"),
    ("关于进一步做好有关工作的建议", ""),  # names nothing but the letter's own words
])
def test_the_subject_of_a_title_is_its_first_noun_phrase(title: str, subject: str) -> None:
    assert title_subject(title) == subject


@pytest.fixture
def drafter(store, settings, fake_embedder, tmp_path: Path) -> Drafter:  # type: ignore[no-untyped-def]
    path = tmp_path / "xinyu-2024-rd15-reply.txt"
    path.write_text(LETTER, encoding="utf-8")
    assert ingest_paths([path], store, settings, progress=False).failed == []
    retriever = HybridRetriever(store, fake_embedder, settings, version_check_s=0)
    return Drafter(Assistant(Services(settings, fake_embedder, store, retriever)))


def _first_fact(text: str) -> str:
    """The letter's first cited line after 一、 (its overall part, when it has one)."""
    body = text.split("一、", 1)[1]
    return next(ln for ln in body.split("\n") if re.search(r"\[\d+\]", ln))


def test_the_letter_opens_with_the_total_on_its_subject(drafter: Drafter) -> None:
    req = DraftRequest(Proposal("关于支持养老服务设施建设的建议", "3", "周婷代表",
                                body="一是增加社区养老服务站;二是推进医养结合。"), "新余市民政局")
    draft = drafter.draft(req, "offline")
    assert "286处" in _first_fact(draft.text)
    assert "12个" in draft.text and "85%" in draft.text  # each ask keeps its own figures


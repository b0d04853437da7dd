"""A reply opens with the office's overall figures on what the proposal is about (全市共有…), not with the first
figure of one ask: the drafter looks for them (the title's subject and the words of a total) and puts them first.
The letter here is a small fictitious one."""

from __future__ import annotations

import re
from pathlib import Path

import pytest

from assistant.answers.answer import Assistant
from assistant.answers.constraints import title_subjects
from assistant.casework.opinions import opinion_hits, parse_opinion_text
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
    assert (title_subjects(title) or [""])[0] == subject


def test_a_title_of_two_verb_phrases_has_two_subjects() -> None:
    # the real case 20230368's shape: the aspects first, what is to be grown last
    assert title_subjects("关于切实提升服务水平和扶持力度 培育一批“专精特新”企业的建议") == ["服务水平", "专精特新企业"]
    assert title_subjects("关于提升服务质量 加快养老服务设施建设的建议") == ["服务质量", "养老服务设施"]


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



OPINION = ("新余市卫生健康委员会关于第3号建议的会办意见\n新余市民政局：\n《关于提升服务质量 加快养老服务设施建设的建议》"
           "（第3号）收悉。经研究，我委会办意见如下：\n"
           + "".join(f"（{i}）推进医养结合第{i}项工作。2023年全市新增医养结合签约机构{i + 3}家，培训养老护理人员{i * 40}人次，"
                     f"开展上门巡诊服务{i * 100}次。\n" for i in range(1, 9))
           + "新余市卫生健康委员会\n2024年5月6日\n")


def test_long_opinions_leave_room_for_the_overall_figures(drafter: Drafter) -> None:
    # the letter's overall part is the lead office's own figures; a co-handler's long opinion filling the prompt
    # budget does not pack them away, and a title's second subject (养老服务设施) finds them
    op = parse_opinion_text(OPINION, "wjw.txt")
    drafter.settings = drafter.settings.model_copy(update={"context_tokens": 300})
    req = DraftRequest(Proposal("关于提升服务质量 加快养老服务设施建设的建议", "3", "周婷代表",
                                body="一是增加社区养老服务站;二是推进医养结合。"), "新余市民政局",
                       opinions=[(op.office, opinion_hits(op, "新余市"))])
    draft = drafter.draft(req, "offline")
    assert "新余市卫生健康委员会" in draft.text or "市卫生健康委员会" in draft.text
    assert "286处" in draft.text.split("二、", 1)[0]

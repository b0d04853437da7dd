"""Scope that never hides the answer: places read through the gazetteer, offices that boost rather than
filter, drafts kept to the replying office's own jurisdiction, quoted phrases found, fusion that keeps
each retriever's first passage. Letters here are small fictitious ones from places the seed corpus lacks."""

from __future__ import annotations

import re
from pathlib import Path

import pytest

from assistant.answers.answer import Assistant
from assistant.letters.draft import Drafter
from assistant.letters.lift import in_jurisdiction
from assistant.letters.model import DraftRequest, Proposal
from assistant.retrieval.hybrid import Hit, HybridRetriever, frame_not_first, keep_firsts
from assistant.retrieval.services import Services
from core.places import gazetteer
from ingest.pipeline import ingest_paths

LETTERS = {
    "changshou-2024-rd12-reply": (
        "关于区人大第12号建议的答复\n王芳代表:\n您提出的《关于改善农村学校寄宿条件的建议》收悉,现答复如下:\n"
        "一、改善寄宿条件\n2023年全区投入资金860万元改造农村学校宿舍14所。\n"
        "重庆市长寿区教育委员会\n2024年6月12日"),
    "fuling-2024-zx08-reply": (
        "关于区政协第8号提案的答复\n李强委员:\n您提出的《关于支持企业上市的提案》收悉,现答复如下:\n"
        "一、上市奖励\n对在主板上市的企业给予一次性奖励500万元,2023年兑现上市补贴1200万元。\n"
        "重庆市涪陵区金融工作局\n2024年5月20日"),
    "yueyang-2023-zx31-reply": (
        "关于市政协第31号提案的答复\n陈明委员:\n您提出的《关于国有企业改革的提案》收悉,现答复如下:\n"
        "一、国企改革\n2022年完成市属国有企业整合重组6家,国有资本布局进一步优化。\n"
        "岳阳市国有资产监督管理委员会\n2023年7月3日"),
    "qiandongnan-2021-rd7-cohandling": (
        "黔东南州人民政府关于第7号建议的会办意见\n省教育厅:\n杜明代表提出的《关于支持台江县建设寄宿制学校的建议》收悉。\n"
        "一、关于台江县寄宿制学校\n台江县2021年新建寄宿制学校3所,新增学位2400个。\n黔东南州人民政府\n2021年5月21日"),
    "chongqing-2024-policy-notice": (
        "重庆市教育委员会关于印发《农村寄宿制学校建设实施方案》的通知\n各区县教委:\n"
        "一、建设目标\n到2025年全市农村寄宿制学校生均宿舍面积达到5平方米。\n"
        "重庆市教育委员会\n2024年3月1日"),
}


@pytest.fixture
def retriever(store, settings, fake_embedder, tmp_path: Path) -> HybridRetriever:  # type: ignore[no-untyped-def]
    paths = []
    for name, text in LETTERS.items():
        p = tmp_path / f"{name}.txt"
        p.write_text(text, encoding="utf-8")
        paths.append(p)
    assert ingest_paths(paths, store, settings, progress=False).failed == []
    return HybridRetriever(store, fake_embedder, settings, version_check_s=0)


def test_documents_get_their_places_at_every_level(retriever: HybridRetriever) -> None:
    by_doc = {m["doc_id"]: m for m in retriever.lexical().metadatas}
    assert (by_doc["changshou-2024-rd12-reply"]["province"], by_doc["changshou-2024-rd12-reply"]["district"]) == (
        "重庆市", "长寿区")
    assert by_doc["yueyang-2023-zx31-reply"]["city"] == "岳阳市"
    assert by_doc["chongqing-2024-policy-notice"]["place"] == "重庆市"


def test_a_district_named_by_short_name_narrows_to_it(retriever: HybridRetriever) -> None:
    res = retriever.search("长寿农村学校宿舍改造投了多少钱", k=3)
    assert res.filters.city == "长寿区"
    assert {h.metadata["district"] for h in res.hits} == {"长寿区"}


def test_an_office_without_a_place_boosts_and_never_filters(retriever: HybridRetriever) -> None:
    # 嘉定区 is not in the store: 国资委 must not become a hard filter on 岳阳's letter
    res = retriever.search("嘉定区国资委对国企改革的会办意见", k=4)
    assert res.filters.office == "" and res.filters.city == ""
    assert len(res.hits) == 4  # other documents still reachable


def test_a_place_the_store_lacks_is_said_so(retriever: HybridRetriever, settings, store, fake_embedder) -> None:  # type: ignore[no-untyped-def]
    assistant = Assistant(Services(settings, fake_embedder, store, retriever))
    ans = assistant.ask("嘉定区国资委2022年整合重组了几家国有企业？")
    assert ans.refused and "嘉定区" in ans.text


def test_a_county_inside_a_stored_prefecture_is_answered_from_its_letter(  # type: ignore[no-untyped-def]
        retriever: HybridRetriever, settings, store, fake_embedder) -> None:
    assistant = Assistant(Services(settings, fake_embedder, store, retriever))
    ans = assistant.ask("台江县2021年新建了几所寄宿制学校？")  # 台江县 is no document's place; 黔东南州's is
    assert not ans.refused and "3所" in ans.text


def test_a_near_miss_slot_is_refused_with_what_the_documents_say(  # type: ignore[no-untyped-def]
        retriever: HybridRetriever, settings, store, fake_embedder) -> None:
    assistant = Assistant(Services(settings, fake_embedder, store, retriever))
    ans = assistant.ask("岳阳国企整合重组花了多少钱？")  # right place and topic, no amount anywhere
    assert ans.refused and "资料中没有给出所问的金额" in ans.text
    # what it quotes of the archive is cited and checked like an answer's sentence, never an uncited claim
    assert re.search(r"资料提到“[^”]*6家[^”]*”\[1\]", ans.text), ans.text
    assert [h.meta.office for h in ans.passages] == ["岳阳市国有资产监督管理委员会"]
    assert ans.report.cited == [1] and not ans.report.unsupported
    assert "6家" in ans.citation(1)["span_text"]
    ok = assistant.ask("岳阳2022年整合重组了几家市属国有企业？")
    assert not ok.refused and "6家" in ok.text


def test_a_quoted_phrase_ranks_its_passage_first(retriever: HybridRetriever) -> None:
    hits = retriever.search("国有资本布局进一步优化", k=3).hits
    assert hits[0].metadata["doc_id"] == "yueyang-2023-zx31-reply"


def test_a_district_office_drafts_from_its_own_district_and_upper_policy(  # type: ignore[no-untyped-def]
        retriever: HybridRetriever, settings, store, fake_embedder) -> None:
    drafter = Drafter(Assistant(Services(settings, fake_embedder, store, retriever)))
    req = DraftRequest(Proposal("关于支持企业上市和改善学校寄宿条件的建议", "5", "赵敏代表",
                                body="一是加大企业上市奖励;二是改善农村学校寄宿条件。"), "重庆市长寿区教育委员会")
    draft = drafter.draft(req)
    docs = {h.metadata["doc_id"] for h in draft.passages}
    assert "fuling-2024-zx08-reply" not in docs  # both are 重庆, but 涪陵's listing subsidies are not 长寿's
    assert "500万元" not in draft.text and "1200万元" not in draft.text
    assert docs <= {"changshou-2024-rd12-reply", "chongqing-2024-policy-notice"}


def test_in_jurisdiction_by_level() -> None:
    home = gazetteer().place_of("重庆市长寿区教育委员会")
    assert home is not None and home.district == "长寿区"
    own = {"province": "重庆市", "city": "重庆市", "district": "长寿区", "doc_kind": "reply"}
    other = {"province": "重庆市", "city": "重庆市", "district": "涪陵区", "doc_kind": "reply"}
    upper_policy = {"province": "重庆市", "city": "", "district": "", "doc_kind": "policy"}
    upper_reply = {**upper_policy, "doc_kind": "reply"}
    assert in_jurisdiction(own, home) and in_jurisdiction(upper_policy, home)
    assert not in_jurisdiction(other, home) and not in_jurisdiction(upper_reply, home)


def _hit(i: int, dense: int | None, bm25: int | None) -> Hit:
    return Hit(f"h{i}", f"L{i}", "t", {}, 1.0 / (i + 1), dense_rank=dense, bm25_rank=bm25)


def test_keep_firsts_puts_a_lost_first_passage_in_the_last_place() -> None:
    ranked = [_hit(0, 3, 2), _hit(1, 2, 4), _hit(2, 5, 3), _hit(3, 1, None)]
    top = keep_firsts(ranked, 3)
    assert [h.id for h in top[:3]] == ["h0", "h1", "h3"]  # the order above it is kept
    assert keep_firsts(ranked[:3], 3) == ranked[:3]  # nothing lost, nothing moved


@pytest.mark.parametrize(("text", "frame"), [
    ("民建市委会:\n您提出的《关于培育一批“专精特新”企业的建议》(20230368)提案收悉。经综合市市场监管局等单位的意见,"
     "现将我市相关工作情况答复如下:", True),
    ("您在提案中提出的为专精特新中小企业精准注入“资金流”等意见具有很强的针对性和建设性,我局高度重视,"
     "着重做好以下几个方面的工作:", True),
    ("市工业和信息化局:\n根据安排,我局是第20230368号提案的会办单位。经研究,我局现阶段能够回应有关需求的政策措施包括:", True),
    # an opening that goes on into the facts is not frame only
    ("尊敬的李晓林代表:\n您提出的建议已收悉,现答复如下:\n财政局先后投入资金建设了青云高速出口道路工程。", False),
    ("三、集聚资本要素。(一)拓宽融资渠道。推出“专精特新贷”。", False),
])
def test_frame_only_passages(text: str, frame: bool) -> None:
    from core.profile import profile

    assert profile().frame_only(text) is frame


def test_a_frame_only_passage_does_not_rank_first() -> None:
    frame = Hit("f", "F", "杭州市政协委员:\n您的提案收悉,现答复如下:", {}, 0.9)
    body = Hit("b", "B", "推出“专精特新贷”,满足企业不同阶段的资金需求。", {}, 0.8)
    other = Hit("o", "O", "全市组织政银企对接活动50场次以上。", {}, 0.7)
    assert [h.id for h in frame_not_first([frame, body, other])] == ["b", "f", "o"]
    assert [h.id for h in frame_not_first([body, frame, other])] == ["b", "f", "o"]  # nothing moved
    assert [h.id for h in frame_not_first([frame])] == ["f"]  # nothing else to put first

"""Hybrid retrieval with the fake embedder: fusion, filters, decomposition, index refresh, LangChain."""

from __future__ import annotations

from pathlib import Path

import pytest

from assistant.retrieval.hybrid import Filters, HybridRetriever, office_words
from assistant.retrieval.lexical import tokenize
from ingest.pipeline import discover, ingest_paths


@pytest.fixture
def retriever(store, settings, fake_embedder, corpus_dir: Path) -> HybridRetriever:
    report = ingest_paths(discover(corpus_dir), store, settings, progress=False)
    assert report.failed == []
    return HybridRetriever(store, fake_embedder, settings, version_check_s=0)


def test_tokenize_keeps_domain_terms_and_drops_stopwords() -> None:
    toks = tokenize("广州市培育了多少家专精特新“小巨人”企业？")
    assert "小巨人" in toks and "专精特新" in toks
    assert "多少" not in toks and "？" not in toks and "“" not in toks


def test_office_aliases() -> None:
    assert "东莞工业和信息化局" in office_words("东莞工信局")
    assert "人力资源和社会保障局" in office_words("人社局")


def test_hits_carry_text_metadata_score_and_label(retriever: HybridRetriever) -> None:
    hits = retriever.search("揭阳 减税降费 免征增值税", k=5).hits
    assert len(hits) == 5
    assert [h.rank for h in hits] == [1, 2, 3, 4, 5]
    assert all(hits[i].score >= hits[i + 1].score for i in range(4))
    top = hits[0]
    assert top.metadata["city"] == "揭阳市"
    assert "3.21亿元" in top.text
    assert top.label == f"{top.metadata['doc_id']}:{top.metadata['chunk_index']}"


@pytest.mark.parametrize("mode", ["dense", "bm25", "hybrid"])
def test_each_mode_returns_ranked_hits(retriever: HybridRetriever, mode: str) -> None:
    hits = retriever.search("专精特新小巨人企业数量", k=4, mode=mode).hits  # type: ignore[arg-type]
    assert 1 <= len(hits) <= 4
    if mode == "dense":
        assert all(h.bm25_rank is None and h.dense_rank for h in hits)
    if mode == "bm25":
        assert all(h.dense_rank is None and h.bm25_rank for h in hits)


def test_filters_restrict_every_hit(retriever: HybridRetriever) -> None:
    cases = [
        (Filters(city="杭州"), lambda m: m["city"] == "杭州市"),
        (Filters(year=2024), lambda m: m.get("year") == 2024),
        (Filters(kind="co_handling"), lambda m: m["kind"] == "co_handling"),
        (Filters(office="人社局"), lambda m: m["office"] == "东莞市人力资源和社会保障局"),
        (Filters(city="东莞", kind="proposal"), lambda m: m["city"] == "东莞市" and m["kind"] == "proposal"),
    ]
    for filters, ok in cases:
        for mode in ("dense", "bm25", "hybrid"):
            hits = retriever.search("专精特新企业 融资 人才", k=8, filters=filters, mode=mode).hits  # type: ignore[arg-type]
            assert hits, (filters, mode)
            assert all(ok(h.metadata) for h in hits), (filters, mode)


def test_filter_matching_nothing_returns_nothing(retriever: HybridRetriever) -> None:
    assert retriever.search("专精特新", filters=Filters(city="深圳")).hits == []


def test_one_named_city_keeps_results_to_that_city(retriever: HybridRetriever) -> None:
    res = retriever.search("广州累计培育小巨人企业多少家", k=8)
    assert res.filters.city == "广州市"
    assert {h.metadata["city"] for h in res.hits} == {"广州市"}


def test_several_cities_are_searched_each_and_interleaved(retriever: HybridRetriever) -> None:
    res = retriever.search("广州和杭州分别如何支持专精特新企业融资", k=6)
    assert [f.city for _, f in res.sub_queries] == ["广州市", "杭州市"]
    assert [h.metadata["city"] for h in res.hits[:2]] == ["广州市", "杭州市"]
    assert len({h.id for h in res.hits}) == len(res.hits) == 6


def test_named_office_narrows_within_its_named_place(retriever: HybridRetriever) -> None:
    res = retriever.search("东莞人社局在引才方面有哪些政策", k=5)
    assert "人力资源和社会保障局" in res.filters.office and res.filters.office_or_unknown
    assert all(h.metadata["office"] == "东莞市人力资源和社会保障局"
               or (h.metadata["office"] == "" and h.metadata["kind"] != "proposal") for h in res.hits)
    # an office that does not exist in the named place is not used as a filter
    assert retriever.search("清远工信局的实施方案有哪些主要任务", k=5).filters.office == ""


def test_named_office_without_a_place_boosts_without_filtering(retriever: HybridRetriever) -> None:
    res = retriever.search("人社局在专精特新人才引进方面有哪些政策", k=5)
    assert res.filters.office == "" and res.filters.city == ""
    assert res.hits[0].metadata["office"] == "东莞市人力资源和社会保障局"


def test_lexical_index_follows_store_version(retriever: HybridRetriever, store, settings, tmp_path: Path) -> None:
    before = len(retriever.lexical())
    new = tmp_path / "extra-2025-note.txt"
    new.write_text("某市工业和信息化局关于测试的答复\n一、工作情况\n独一无二的测试词汇鲸鱼座计划已经完成。", encoding="utf-8")
    ingest_paths([new], store, settings, progress=False)
    assert len(retriever.lexical()) > before
    assert retriever.search("鲸鱼座计划", k=3, mode="bm25").hits[0].metadata["doc_id"] == "extra-2025-note"


def test_langchain_retriever_returns_documents(retriever: HybridRetriever) -> None:
    from langchain_core.documents import Document

    from assistant.retrieval.lc_retriever import HybridLangChainRetriever

    lc = HybridLangChainRetriever(retriever=retriever, k=3, filters=Filters(city="清远"))
    docs = lc.invoke("专精特新企业用地保障")
    assert len(docs) == 3 and all(isinstance(d, Document) for d in docs)
    assert all(d.metadata["city"] == "清远市" and d.metadata["label"] and d.id for d in docs)

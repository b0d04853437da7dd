"""A list question about one section: the whole section, each item with what it says, in the document's order
(a small fictitious letter; the seed corpus through the real retriever at the end)."""

from __future__ import annotations

from pathlib import Path
from typing import Any

from assistant.answers import outline
from assistant.answers.question import analyze
from assistant.evidence import cite
from assistant.retrieval.hybrid import Hit, HybridRetriever
from assistant.retrieval.lexical import LexicalIndex
from ingest.clean import run_in_items
from ingest.pipeline import discover, ingest_paths

META = {"doc_id": "hx", "title": "关于加快发展数字经济的建议的答复", "office": "华溪市工业和信息化局",
        "province": "浙江省", "city": "华溪市", "place": "华溪市", "kind": "reply", "date": "2024-05-06"}
CHUNKS: list[tuple[str, str]] = [
    ("", "华溪市工业和信息化局关于市人大第12号建议的答复\n张明代表:\n您提出的建议收悉。现答复如下:"),
    ("一、工作开展情况 > (一)建设算力中心", "一、工作开展情况\n(一)建设算力中心。全市建成算力中心3个,总算力达到1200P。"),
    ("一、工作开展情况 > (二)培育数字企业", "(二)培育数字企业。新增数字经济核心企业45家。"),
    ("二、下一步工作计划 > (一)完善政策体系", "二、下一步工作计划\n(一)完善政策体系。出台数字经济促进条例实施细则。开展政策评估。"),
    ("二、下一步工作计划 > (二)强化要素保障", "(二)强化要素保障,夯实发展基础。设立数字经济产业基金,首期规模10亿元。"),
    ("二、下一步工作计划 > (三)优化营商环境", "(三)优化营商环境。推行“一件事”集成服务。(市数据局负责)"),
    ("", "感谢您对我们工作的关心和支持。\n华溪市工业和信息化局\n2024年5月6日"),
]
IDS = [f"hx-{i}" for i in range(len(CHUNKS))]


def _meta(i: int) -> dict[str, Any]:
    return {**META, "heading_path": CHUNKS[i][0], "chunk_index": i, "role": "body" if CHUNKS[i][0] else "opening"}


LEX = LexicalIndex(IDS, [t for _, t in CHUNKS], [t for _, t in CHUNKS], [_meta(i) for i in range(len(CHUNKS))], "t")


def _hit(i: int, rank: int = 1) -> Hit:
    return Hit(IDS[i], IDS[i], CHUNKS[i][1], _meta(i), 1.0 / rank, rank)


def section_of(hit: Hit, path: str) -> list[Hit]:
    return [_hit(i) for i, (hp, _) in enumerate(CHUNKS) if hp == path or hp.startswith(path + " > ")]


def _info(q: str):  # noqa: ANN202 - the analyzer's own type
    return analyze(q, ["华溪市"], LEX)


def test_a_section_is_read_whole_though_retrieval_found_one_item() -> None:
    info = _info("华溪市工信局答复中的下一步工作计划有哪几个方面？")
    section = outline.choose(info, [_hit(4, 1), _hit(1, 2)], section_of)
    assert section is not None and section.title == "二、下一步工作计划"
    assert [i.heading for i in section.items] == ["(一)完善政策体系", "(二)强化要素保障,夯实发展基础", "(三)优化营商环境"]
    # each item says what it does; an aside naming who does it is not an item's content
    assert section.items[1].sentences == ("设立数字经济产业基金,首期规模10亿元",)
    assert section.items[2].sentences == ("推行“一件事”集成服务",)
    assert [h.id for h in section.hits] == ["hx-3", "hx-4", "hx-5"]


def test_the_answer_lines_cite_each_item_and_pass_the_support_check() -> None:
    info = _info("华溪市下一步工作计划有哪几个方面？")
    section = outline.choose(info, [_hit(3)], section_of)
    assert section is not None
    number_of = {h.id: n for n, h in enumerate(section.hits, 1)}
    lines = outline.compose(section, number_of, "【华溪市工业和信息化局】")
    assert lines[1] == "「二、下一步工作计划」[1]："
    assert lines[3] == "- (二)强化要素保障,夯实发展基础：设立数字经济产业基金,首期规模10亿元[2]。"
    report = cite.check("\n".join(lines), [h.text for h in section.hits])
    assert all(s.supported for s in report.sentences if s.claim)


def test_a_question_for_one_value_or_no_matching_heading_is_not_a_section() -> None:
    # one value (its slot): the section holding it is not what is asked
    assert outline.choose(_info("华溪市建成了多少个算力中心？有哪些？"), [_hit(1)], section_of) is None
    # no heading above the best passage shares the question's own words
    assert outline.choose(_info("华溪市有哪些数据共享平台？"), [_hit(1)], section_of) is None
    # a passage without a heading (the opening) says nothing about a section
    assert outline.choose(_info("下一步工作计划有哪些？"), [_hit(0), _hit(6, 2)], section_of) is None


def test_a_section_of_sentences_lists_them() -> None:
    info = _info("华溪市在完善政策体系方面有哪些举措？")
    section = outline.choose(info, [_hit(3)], section_of)
    assert section is not None and section.title == "(一)完善政策体系"
    assert [i.sentences for i in section.items] == [("出台数字经济促进条例实施细则",), ("开展政策评估",)]


def test_a_run_in_next_item_is_cut_to_its_own_line() -> None:
    assert run_in_items("(六)完善人才保障。开展培训。(七)加强政府引导。强化财政引导。") == [
        "(六)完善人才保障。开展培训。", "(七)加强政府引导。强化财政引导。"]
    assert run_in_items("1.增长2.5%。2.推进改造。") == ["1.增长2.5%。", "2.推进改造。"]
    assert run_in_items("(二)甲。(四)乙。") == ["(二)甲。(四)乙。"]  # not the next number: one line
    assert run_in_items("开展(一)甲。(二)乙。") == ["开展(一)甲。(二)乙。"]  # not a heading line


def test_retriever_section_reads_the_store(store, settings, fake_embedder, corpus_dir: Path) -> None:  # noqa: ANN001
    assert ingest_paths(discover(corpus_dir), store, settings, progress=False).failed == []
    r = HybridRetriever(store, fake_embedder, settings, version_check_s=0)
    top = next(h for h in r.search("广州下一步工作计划", k=8).hits if h.meta.heading_path.startswith("二、下一步"))
    hits = r.section(top, "二、下一步工作计划")
    paths = [h.meta.heading_path for h in hits]
    assert sum(p.startswith("二、下一步工作计划 > ") for p in paths) == 5  # the five items, and the outline
    assert all(p == "二、下一步工作计划" or p.startswith("二、下一步工作计划 > ") for p in paths)
    assert [h.meta.chunk_index for h in hits] == sorted(h.meta.chunk_index for h in hits)
    assert {h.meta.doc_id for h in hits} == {top.meta.doc_id}


def test_a_section_joins_the_shown_passages_within_the_budget(settings, fake_embedder, corpus_dir: Path,  # noqa: ANN001
                                                              store) -> None:  # noqa: ANN001
    from assistant.answers.answer import Assistant, pack
    from assistant.retrieval.services import Services

    assert ingest_paths(discover(corpus_dir), store, settings, progress=False).failed == []
    q = "广州市工信局答复中的下一步工作计划包括哪几个方面？"
    roomy = Assistant(Services(settings, fake_embedder, store, HybridRetriever(store, fake_embedder, settings)))
    p = roomy.prepare(q)
    assert p.section is not None and len(p.section.items) == 5
    assert {h.id for h in p.section.hits} <= {h.id for h in p.passages}
    tight = settings.model_copy(update={"context_tokens": 300})
    small = Assistant(Services(tight, fake_embedder, store, HybridRetriever(store, fake_embedder, tight)))
    # a model's prompt: the section does not fit 300 tokens, it is not read whole, the passages keep the budget
    p = small.prepare(q, generator="llm")
    assert p.section is None and p.passages == pack(p.passages, 300)
    assert small.ask(q).text  # still answered or refused, from the passages that fit


def test_a_row_of_labelled_fields_is_no_answer_item() -> None:
    from assistant.answers.compose import is_chrome, readable
    from assistant.answers.question import Candidate

    footer = Candidate("办:黔东南州人民政府办公室 | 联系地址:贵州省凯里市北京东路21号 | 联系方式:0855-8235320", 0, 1.0, 1.0,
                       True, False, False)
    prose = Candidate("我州将合理优化教育资源,重新布局规划台江县小学和初中。", 0, 1.0, 1.0, False, False, False)
    assert is_chrome(footer) and not is_chrome(prose) and readable(prose)  # a footer: never an answer


def test_a_heading_of_words_every_letter_uses_is_not_the_section_asked() -> None:
    """"综合了哪些单位的意见" shares 意见 with "二、意见建议的办理情况", which says nothing of which section is meant."""
    chunks = [("二、意见建议的办理情况 > (一)完善政策", "二、意见建议的办理情况\n(一)完善政策。出台扶持办法。"),
              ("二、意见建议的办理情况 > (二)优化服务", "(二)优化服务。建立服务专员制度。")]
    hits = [Hit(f"o{i}", f"o{i}", t, {**META, "heading_path": p, "chunk_index": i, "role": "body"}, 1.0, i + 1)
            for i, (p, t) in enumerate(chunks)]
    lex = LexicalIndex([h.id for h in hits], [h.text for h in hits], [h.text for h in hits], [h.metadata for h in hits], "o")

    def sections(hit: Hit, path: str) -> list[Hit]:
        return [h for h in hits if h.meta.heading_path.startswith(path)]

    info = analyze("华溪市工信局答复时综合了哪些单位的意见？", ["华溪市"], lex)
    assert outline.choose(info, hits, sections) is None

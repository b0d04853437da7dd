"""Pinned metadata, parts, heading paths and cleaning results for the five corpus documents.

Every value below was read off the parser once and checked by eye against the source file.
"""

from __future__ import annotations

from pathlib import Path

import pytest

from core.settings import Settings
from core.store import ChunkRecord
from core.tokens import count_tokens
from ingest.load import load_file
from ingest.metadata import part_meta
from ingest.pipeline import ParsedDoc, discover, parse_file
from ingest.sections import split_parts

DONGGUAN = "dongguan-2023-zx20230368-proposal-and-replies"
GUANGZHOU = "guangzhou-2024-rd20242679-reply"
HANGZHOU = "hangzhou-2023-zx117-reply"
JIEYANG = "jieyang-2023-zx7-reply"
QINGYUAN = "qingyuan-2024-implementation-plan"
ALL_DOCS = [DONGGUAN, GUANGZHOU, HANGZHOU, JIEYANG, QINGYUAN]

DONGGUAN_TITLE = "关于切实提升服务水平和扶持力度 培育一批“专精特新”企业的建议"

EXPECTED_META: dict[str, dict[str, str]] = {
    DONGGUAN: {
        "title": DONGGUAN_TITLE,  # "案由:(20230368)" prefix removed
        "kind": "reply",
        "city": "东莞市",
        "body": "政协",
        "number": "20230368",
        "doc_number": "",  # the 东府办函〔2023〕168号 in a co-handling opinion is a cited document
        "proposer": "民建市委会",
        "proposal_title": DONGGUAN_TITLE,
        "office": "东莞市工业和信息化局",
        "published": "",
        "date": "2023-06-19",  # no page header: the first signature (the lead reply)
    },
    GUANGZHOU: {
        "title": "广州市工业和信息化局关于市第十六届人民代表大会第四次会议第20242679号建议的答复",
        "kind": "reply",
        "city": "广州市",
        "body": "人大",
        "number": "20242679",
        "doc_number": "",
        "proposer": "魏朗代表",
        "proposal_title": "关于培育“专精特新”铸基的世界一流企业群的建议",
        "office": "广州市工业和信息化局",
        "published": "2024-04-30",  # "信息来源:创业创新服务处 时间:2024-04-30"
        "date": "2024-04-29",  # the signature date; the page header's 2024-04-30 is its publication date
    },
    HANGZHOU: {
        "title": "市经信局关于市政协十二届二次会议第117号提案的答复",
        "kind": "reply",
        "city": "杭州市",
        "body": "政协",
        "number": "117",
        "doc_number": "杭经信提〔2023〕097号",
        "proposer": "艾冬玉委员",
        "proposal_title": "关于切实解决我市“专精特新”中小企业高质量发展面临困难的建议",
        "office": "杭州市经济和信息化局",
        "published": "2023-11-09",  # 成文日期 in the index table; the letter is signed 2023-06-09
        "date": "2023-06-09",  # signed; the page was published 2023-11-09
    },
    JIEYANG: {
        "title": "揭阳市工业和信息化局关于对揭阳市政协七届二次会议第7号提案的答复",
        "kind": "reply",
        "city": "揭阳市",
        "body": "政协",
        "number": "7",
        "doc_number": "",
        "proposer": "柳楷斌委员",
        "proposal_title": "关于壮大“专精特新”企业群体,加快制造业转型升级、创新驱动的建议提案",
        "office": "揭阳市工业和信息化局",  # unsigned: taken from the title
        "published": "2023-11-15",
        "date": "",  # no signature and no 成文日期: the publication date is not the letter's date
    },
    QINGYUAN: {
        "title": "清远市人民政府办公室关于印发《清远市贯彻落实〈广东省推动专精特新企业高质量发展的指导意见〉"
        "实施方案》的通知",  # wrapped over two lines in the source, joined while 《 is open
        "kind": "policy",
        "city": "清远市",
        "body": "",
        "number": "",
        "doc_number": "清府办函〔2024〕24号",
        "proposer": "",
        "proposal_title": "",
        "office": "清远市人民政府办公室",
        "published": "",
        "date": "2024-04-08",
    },
}

# (kind, office, date, addressee) of every sub-document, in order, as the store sees them (part_meta).
EXPECTED_PARTS: dict[str, list[tuple[str, str, str, str]]] = {
    DONGGUAN: [
        ("proposal", "", "", ""),
        ("reply", "东莞市工业和信息化局", "2023-06-19", "民建市委会"),
        ("co_handling", "东莞市科学技术局", "2023-05-09", "市工业和信息化局"),
        ("co_handling", "东莞市市场监督管理局", "2023-05-08", "市工业和信息化局"),
        ("co_handling", "东莞市人力资源和社会保障局", "2023-05-12", "市工业和信息化局"),
        ("co_handling", "东莞市发展和改革局", "2023-05-05", "市工业和信息化局"),
    ],
    GUANGZHOU: [("reply", "广州市工业和信息化局", "2024-04-29", "魏朗代表")],
    HANGZHOU: [("reply", "杭州市经济和信息化局", "2023-06-09", "艾冬玉委员")],
    # no signature block: office from the title, date from the page header
    JIEYANG: [("reply", "揭阳市工业和信息化局", "", "柳楷斌委员")],
    QINGYUAN: [
        (
            "notice",
            "清远市人民政府办公室",
            "2024-04-08",
            "清远高新区管委会,各县(市、区)人民政府,市政府各部门、各直属机构",
        ),
        ("implementation_plan", "清远市人民政府办公室", "2024-04-08", ""),
    ],
}

PAGE_CHROME = [
    "无障碍",
    "字体",
    "浏览次数",
    "相关附件",
    "信息索引号",
    "点击率",
    "相关阅读",
    "分享到",
    "当前位置",
    "网友评价",
    "发布机构",
    "办理单位",
    "部门答复",
    "此页无正文",
]


def parse(corpus_dir: Path, settings: Settings, doc_id: str) -> ParsedDoc:
    return parse_file(corpus_dir / f"{doc_id}.txt", settings)


def spans(parsed: ParsedDoc) -> list[ChunkRecord]:
    """Chunks that are exact spans of the cleaned text (outline chunks are synthesised from headings)."""
    return [c for c in parsed.record.chunks if c.metadata["role"] != "outline"]


def parts_of(parsed: ParsedDoc) -> list[tuple[str, str, str, str]]:
    parts = split_parts(parsed.record.text.split("\n"))
    out = []
    for part in parts:
        md = part_meta(parsed.meta, part)
        out.append((str(md["kind"]), str(md["office"]), str(md["date"]), str(md["addressee"])))
    return out


def test_corpus_is_the_five_documents(corpus_dir: Path) -> None:
    assert [p.stem for p in discover(corpus_dir)] == sorted(ALL_DOCS)


@pytest.mark.parametrize("doc_id", ALL_DOCS)
def test_doc_meta_fields(corpus_dir: Path, settings: Settings, doc_id: str) -> None:
    meta = parse(corpus_dir, settings, doc_id).meta
    assert meta.doc_id == doc_id
    got = {k: getattr(meta, k) for k in EXPECTED_META[doc_id]}
    assert got == EXPECTED_META[doc_id]


@pytest.mark.parametrize("doc_id", ALL_DOCS)
def test_parts_kind_office_date(corpus_dir: Path, settings: Settings, doc_id: str) -> None:
    parsed = parse(corpus_dir, settings, doc_id)
    assert parts_of(parsed) == EXPECTED_PARTS[doc_id]
    assert parsed.record.metadata["n_parts"] == len(EXPECTED_PARTS[doc_id])


@pytest.mark.parametrize("doc_id", ALL_DOCS)
def test_every_part_reaches_the_chunks(corpus_dir: Path, settings: Settings, doc_id: str) -> None:
    """Each sub-document yields chunks carrying its own kind, office and date."""
    parsed = parse(corpus_dir, settings, doc_id)
    by_sub: dict[str, set[tuple[str, str, str]]] = {}
    for chunk in parsed.record.chunks:
        md = chunk.metadata
        by_sub.setdefault(str(md["sub_doc"]), set()).add((md["kind"], md["office"], md["date"]))
    expected = {f"{doc_id}#{i}": {p[:3]} for i, p in enumerate(EXPECTED_PARTS[doc_id])}
    assert by_sub == expected


def test_reply_date_is_the_signature_date_not_the_page_date(corpus_dir: Path, settings: Settings) -> None:
    """Hangzhou (117, signed 2023-06-09) and Guangzhou (20242679, signed 2024-04-29): chunks carry the
    letter's own date and year even though the page header shows a later publication date."""
    for doc_id, signed in ((HANGZHOU, "2023-06-09"), (GUANGZHOU, "2024-04-29")):
        chunks = parse(corpus_dir, settings, doc_id).record.chunks
        assert {c.metadata["date"] for c in chunks} == {signed}
        assert {c.metadata["year"] for c in chunks} == {int(signed[:4])}


def test_no_invented_values(corpus_dir: Path, settings: Settings) -> None:
    """Fields the text does not state stay empty; nothing is taken from the file name."""
    plan = parse(corpus_dir, settings, QINGYUAN)
    assert (plan.meta.number, plan.meta.proposer, plan.meta.body, plan.meta.proposal_title) == (
        "",
        "",
        "",
        "",
    )
    for chunk in plan.record.chunks:
        assert chunk.metadata["number"] == "" and chunk.metadata["proposer"] == ""
    # jieyang's file name says zx7 but the number must come from the title ("第7号提案")
    assert parse(corpus_dir, settings, JIEYANG).meta.number == "7"
    # the dongguan proposal part has no office of its own (it is the proposer's text)
    dongguan = parse(corpus_dir, settings, DONGGUAN)
    assert {c.metadata["office"] for c in dongguan.record.chunks if c.metadata["kind"] == "proposal"} == {""}


@pytest.mark.parametrize("doc_id", ALL_DOCS)
def test_chunk_metadata_is_store_ready(corpus_dir: Path, settings: Settings, doc_id: str) -> None:
    parsed = parse(corpus_dir, settings, doc_id)
    text = parsed.record.text
    assert parsed.record.chunks
    for i, chunk in enumerate(parsed.record.chunks):
        md = chunk.metadata
        assert all(isinstance(v, str | int | float | bool) for v in md.values()), md
        assert md["doc_id"] == doc_id and md["chunk_index"] == i
        assert md["file_name"] == f"{doc_id}.txt"
        assert 0 <= md["start"] < md["end"] <= len(text)
        if md["role"] == "outline":  # heading lines copied from inside the parent section's span
            assert all(line in text[md["start"] : md["end"]] for line in chunk.text.split("\n")), chunk.text
        else:
            assert text[md["start"] : md["end"]] == chunk.text
        assert chunk.embed_text.endswith(chunk.text)
        assert count_tokens(chunk.text) <= settings.chunk_tokens
    assert len({c.id for c in parsed.record.chunks}) == len(parsed.record.chunks)


@pytest.mark.parametrize(
    ("doc_id", "path"),
    [
        (JIEYANG, "一、主要工作情况 > (一)加强惠企政策宣贯 > 2.全面实施减税降费优惠政策"),
        (
            JIEYANG,
            "一、主要工作情况 > (四)完善服务机制 > 3.加大“规范办”服务力度 > 一是贯彻落实《市场主体登记管理条例》",
        ),
        (
            GUANGZHOU,
            "一、近年来我市培育专精特新中小企业的做法和成效 > (二)建立逐级递进培育体系 > "
            "一是出台《广州市优质中小企业梯队培育方案》",
        ),
        (HANGZHOU, "一、推动创新引领 > (二)鼓励大胆创新 > 一是推进“专精特新”高企化"),
        (QINGYUAN, "二、主要任务 > (二)夯实科技支撑"),
        (
            DONGGUAN,
            "一、营商环境工作情况 > (一)构建便捷高效惠企便民的服务体系 > 四是深化“全市通办、跨城通办”",
        ),
        (DONGGUAN, "二、意见建议的办理情况 > (一)完善顶层设计 > 二是以解决问题为思路制定专项政策"),
    ],
)
def test_section_heading_path_present(corpus_dir: Path, settings: Settings, doc_id: str, path: str) -> None:
    """Section-level paths are exact; chunks may carry an ancestor when a whole subtree fits the budget."""
    parsed = parse(corpus_dir, settings, doc_id)
    assert path in {" > ".join(s.heading_path) for s in parsed.sections}
    chunk_paths = {c.metadata["heading_path"] for c in parsed.record.chunks}
    assert any(path == p or path.startswith(p + " > ") for p in chunk_paths if p)


def test_chunk_heading_paths(corpus_dir: Path, settings: Settings) -> None:
    jieyang = {c.metadata["heading_path"] for c in parse(corpus_dir, settings, JIEYANG).record.chunks}
    assert "一、主要工作情况 > (一)加强惠企政策宣贯 > 2.全面实施减税降费优惠政策" in jieyang
    assert "一、主要工作情况 > (一)加强惠企政策宣贯 > 1.完善人才政策体系" in jieyang
    qingyuan = {c.metadata["heading_path"] for c in parse(corpus_dir, settings, QINGYUAN).record.chunks}
    assert "二、主要任务 > (二)夯实科技支撑" in qingyuan


@pytest.mark.parametrize(
    ("doc_id", "needle", "path"),
    [
        (
            GUANGZHOU,
            "市财政给予一次性100万元奖励",
            "一、近年来我市培育专精特新中小企业的做法和成效 > (二)建立逐级递进培育体系 > "
            "一是出台《广州市优质中小企业梯队培育方案》",
        ),
        (
            JIEYANG,
            "累计免征增值税金额达3.21亿元",
            "一、主要工作情况 > (一)加强惠企政策宣贯 > 2.全面实施减税降费优惠政策",
        ),
        (HANGZHOU, "208家", "一、推动创新引领 > (二)鼓励大胆创新 > 一是推进“专精特新”高企化"),
        # the second paragraph under (二) stays under that heading
        (QINGYUAN, "支持专精特新企业组建省、市两级工程技术研究中心", "二、主要任务 > (二)夯实科技支撑"),
        (
            DONGGUAN,
            "两个运营中心将积极引导",
            "三、我市设立有东莞知识产权运营中心和东莞松山湖科学城国际知识产权运营中心",
        ),
    ],
)
def test_fact_lands_under_its_heading(
    corpus_dir: Path, settings: Settings, doc_id: str, needle: str, path: str
) -> None:
    parsed = parse(corpus_dir, settings, doc_id)
    text = parsed.record.text
    assert text.count(needle) == 1
    at = text.index(needle)
    [section] = [s for s in parsed.sections if s.start <= at < s.end]
    assert " > ".join(section.heading_path) == path
    assert section.role == "body"
    # the chunk holding it is labelled with that path or, when a whole subtree fits, an ancestor of it
    [chunk] = [c for c in spans(parsed) if needle in c.text]
    assert chunk.metadata["heading_path"]
    assert path == chunk.metadata["heading_path"] or path.startswith(chunk.metadata["heading_path"] + " > ")
    assert chunk.metadata["role"] == "body"


def test_signature_block_is_a_closing_section(corpus_dir: Path, settings: Settings) -> None:
    chunks = spans(parse(corpus_dir, settings, GUANGZHOU))
    last = chunks[-1]
    assert last.metadata["role"] == "closing" and last.metadata["heading_path"] == ""
    assert "此复" in last.text and "2024年4月29日" in last.text
    assert chunks[0].metadata["role"] == "opening" and "魏朗代表:" in chunks[0].text


def test_page_chrome_removed(corpus_dir: Path, settings: Settings) -> None:
    raw_all = "".join(load_file(corpus_dir / f"{d}.txt") for d in ALL_DOCS)
    for marker in PAGE_CHROME:
        assert marker in raw_all, marker  # each marker is really in some source page
    for doc_id in ALL_DOCS:
        text = parse(corpus_dir, settings, doc_id).record.text
        found = [m for m in PAGE_CHROME if m in text]
        assert found == [], (doc_id, found)
    hangzhou = parse(corpus_dir, settings, HANGZHOU).record.text
    assert "002489452/2023-00352" not in hangzhou and "2023-11-09" not in hangzhou


def test_hangzhou_repeated_reply_kept_once(corpus_dir: Path, settings: Settings) -> None:
    raw = load_file(corpus_dir / f"{HANGZHOU}.txt")
    text = parse(corpus_dir, settings, HANGZHOU).record.text
    sentence = "全市共四批208家国家专精特新“小巨人”国高企化率已达100%。"
    assert raw.count(sentence) == 2
    assert text.count(sentence) == 1
    assert text.count("艾冬玉委员:") == 1
    assert text.count("杭州市经济和信息化局") == 1
    assert text.rstrip().endswith("2023年6月9日")


def test_dongguan_short_repeated_salutation_kept(corpus_dir: Path, settings: Settings) -> None:
    """ "市工业和信息化局:" opens each of the four co-handling opinions and must survive de-duplication."""
    text = parse(corpus_dir, settings, DONGGUAN).record.text
    assert text.split("\n").count("市工业和信息化局:") == 4
    assert text.startswith("案由:(20230368)")


def test_qingyuan_notice_and_plan_are_separate(corpus_dir: Path, settings: Settings) -> None:
    chunks = spans(parse(corpus_dir, settings, QINGYUAN))
    notice = [c for c in chunks if c.metadata["kind"] == "notice"]
    plan = [c for c in chunks if c.metadata["kind"] == "implementation_plan"]
    assert notice and plan
    assert all(c.metadata["chunk_index"] < plan[0].metadata["chunk_index"] for c in notice)
    assert any("请认真贯彻执行" in c.text for c in notice)
    assert not any("请认真贯彻执行" in c.text for c in plan)
    assert any("累计培育12家以上专精特新“小巨人”企业" in c.text for c in plan)

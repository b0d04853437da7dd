"""The domain profile (core/domain/*.toml): every entry that carries an example is checked against it,
and the derived matchers read the forms a bureau's documents use."""

from __future__ import annotations

import re

import pytest

from core.places import gazetteer
from core.profile import load_profile, profile

P = profile()


def test_every_table_is_defined_once_and_loads() -> None:
    for table in ("kinds", "doc_kinds", "title_cues", "headings", "chrome", "letters", "offices", "proposer_bodies",
                  "places", "questions"):
        assert P.data.get(table), table


@pytest.mark.parametrize("entry", P.data["chrome"]["line_patterns"], ids=lambda e: e["example"][:12])
def test_chrome_pattern_matches_its_example(entry: dict[str, str]) -> None:
    assert re.fullmatch(entry["pattern"], entry["example"], re.IGNORECASE)
    assert P.chrome_line.match(entry["example"])


@pytest.mark.parametrize("scheme", P.heading_schemes, ids=lambda s: s.example[:8])
def test_heading_scheme_matches_its_example(scheme) -> None:  # type: ignore[no-untyped-def]
    assert scheme.pattern.match(scheme.example)


@pytest.mark.parametrize("i", range(len(P.data["letters"]["number_patterns"])))
def test_number_pattern_reads_its_example(i: int) -> None:
    example = P.data["letters"]["number_patterns"][i]["example"]
    m = P.number_patterns[i].search(example)
    assert m and m[1] and m[1] in example


def test_the_number_patterns_shared_with_intake() -> None:
    assert P.number_pattern("bare").search("第2023—015号")[1] == "2023—015"  # type: ignore[index]
    entry = P.data["letters"]["title_number"]
    assert (m := P.title_number.match(entry["example"])) and m[1] == "117"
    assert P.title_number.match("(1)关于加快数字经济发展的提案") is None  # a list item, not a number


@pytest.mark.parametrize("entry", P.data["offices"]["ministries"], ids=lambda e: e["name"])
def test_a_ministry_is_national(entry: dict[str, object]) -> None:
    assert P.ministry.search(str(entry["example"]))
    for short in entry.get("short", []):  # type: ignore[attr-defined]
        assert P.ministry.search(f"{short}关于…的答复")


@pytest.mark.parametrize("text", ["民政部门关于…的答复", "东莞市教育局关于…的答复", "关于加强财政部门监管的建议"])
def test_a_local_office_is_not_a_ministry(text: str) -> None:
    assert not P.ministry.search(text)


@pytest.mark.parametrize(("line", "frame"), [
    ("魏朗代表:", True), ("您提出的《关于加快数字经济发展的建议》收悉。", True), ("现将有关情况答复如下:", True),
    ("感谢您对我市工业发展的关心和支持。", True), ("对您的建议表示衷心的感谢。", True), ("此复。", True),
    ("联系人:张三,电话:0769-12345678", True), ("东莞市工业和信息化局", True),
    ("2023年全市新增高新技术企业120家。", False), ("我局将加大对中小企业的扶持力度。", False),
])
def test_frame_line(line: str, frame: bool) -> None:
    assert P.frame_line(line) is frame


# -- chrome: never a content line ------------------------------------------------------------------------
def _content_lines() -> list[str]:
    """Every heading (一、 (一) 1. (1) …) and every sentence (over 25 characters, ending in 。) of the seed and
    dev corpora."""
    from pathlib import Path

    from core.text import normalize_text

    root = Path(__file__).resolve().parents[1]
    out: list[str] = []
    for f in sorted([*root.glob("corpus/*.txt"), *root.glob("eval/corpora/dev/*.txt")]):
        for ln in normalize_text(f.read_text(encoding="utf-8")).split("\n"):
            ln = re.sub(r"[ \t]+", " ", ln).strip()
            if any(h.pattern.match(ln) for h in P.heading_schemes) or (len(ln) > 25 and ln.endswith("。")):
                out.append(ln)
    return out


CONTENT = _content_lines()


@pytest.mark.parametrize("entry", P.data["chrome"]["line_patterns"], ids=lambda e: e["example"][:12])
def test_chrome_pattern_never_matches_content(entry: dict[str, object]) -> None:
    rx = re.compile(str(entry["pattern"]), re.IGNORECASE)
    counter = [str(c) for c in entry.get("counter", [])]  # type: ignore[attr-defined]
    hits = [ln for ln in [*counter, *CONTENT] if rx.fullmatch(ln)]
    assert not hits, hits[:3]
    assert not any(P.chrome_line.match(c) for c in counter)


def test_the_corpora_give_content_lines_to_check() -> None:
    assert len(CONTENT) > 200


@pytest.mark.parametrize("slot", P.data["questions"]["slots"], ids=lambda s: s["slot"])
def test_slot_cue_and_answer_examples(slot: dict[str, object]) -> None:
    from assistant.answers.question import asked_slot, slot_value

    question, answer = slot["examples"]  # type: ignore[misc]
    asked = asked_slot(str(question))
    assert asked is not None and asked.slot == slot["slot"]
    assert re.search(str(slot["answer"]), str(answer))
    assert slot_value(asked, str(question), str(answer))


@pytest.mark.parametrize(
    ("title", "kind"),
    [("关于区人大十八届第四次会议第39号建议的复函", "reply"),
     ("黔东南州人民政府关于贵州省人大十三届四次会议第560号建议的会办意见", "co_handling"),
     ("清远市人民政府办公室关于印发《清远市…实施方案》的通知", "notice"),
     ("济南市市中区商务局2025年建议和提案办理总体情况", "summary"),
     ("关于切实提升服务水平和扶持力度的建议", "proposal")],
)
def test_title_kind_reads_the_head_noun(title: str, kind: str) -> None:
    assert P.title_kind(title) == kind


@pytest.mark.parametrize(
    ("line", "is_office"),
    [("重庆市巴南区交通局", True), ("隆尧县科工局", True), ("广东省财政厅 广东省工业和信息化厅", True),
     ("黔东南州人民政府", True), ("2023年6月30日", False), ("此复", False)],
)
def test_office_line(line: str, is_office: bool) -> None:
    assert bool(P.office_line.match(line)) is is_office


@pytest.mark.parametrize(
    ("line", "is_salutation"),
    [("杨运平代表:", True), ("尊敬的李晓林、周志勋等代表:", True), ("省教育厅:", True), ("马青、周丽等委员:", True),
     ("现答复如下:", False)],
)
def test_salutation(line: str, is_salutation: bool) -> None:
    assert bool(P.salutation.match(line)) is is_salutation


def test_no_stop_word_is_a_prefecture_or_province() -> None:
    """Stop words are words that are not places: a prefecture's or province's short name (长治, 延安, 海南), as
    the suffix rules give it before any stop word is taken out, is never one."""
    cfg = P.section("places")
    shorts = set()
    for p in gazetteer().places:
        if p.level <= 2:
            suffix = next((x for x in cfg["strip_suffixes"] if p.name.endswith(x) and len(p.name) > len(x)), "")
            if suffix:
                core_name = p.name[: -len(suffix)]
                shorts.add(re.sub(cfg["ethnic_pattern"], "", core_name) or core_name)
    assert "延安" in shorts and "海南" in shorts
    assert not set(cfg["short_name_stopwords"]) & shorts, sorted(set(cfg["short_name_stopwords"]) & shorts)


@pytest.mark.parametrize(("question", "place"), [
    ("延安市有多少家企业通过评价？", "延安市"), ("延安有多少家企业通过评价？", "延安市"),
    ("长治有多少家专精特新企业？", "长治市"), ("大同今年新增了多少家企业？", "大同市"),
    ("和田的红枣产业有什么扶持？", "和田地区"), ("海东市的补贴标准是多少？", "海东市"),
])
def test_a_prefecture_named_in_a_question_is_a_place(question: str, place: str) -> None:
    ms = gazetteer().mentions(question, short=True)
    assert len(ms) == 1 and place in [p.name for p in ms[0].places]  # 和田 is also 和田市 and 和田县


@pytest.mark.parametrize("text", ["确保社会长治久安", "两份方案大同小异", "农村道路和田间道路", "推动沿海东部地区发展"])
def test_a_short_name_inside_a_longer_word_is_no_place(text: str) -> None:
    assert gazetteer().mentions(text, short=True) == []


def test_agency_aliases_expand_short_names() -> None:
    assert "工业和信息化局" in P.agency_aliases["工信局"]
    assert "国有资产监督管理委员会" in P.agency_aliases["国资委"]
    assert "科技和工业信息化局" in P.agency_aliases["科工局"]


def test_places_short_and_official_forms_come_from_the_rules() -> None:
    g = gazetteer()
    assert [p.name for p in g.lookup("黔东南州")] == ["黔东南苗族侗族自治州"]
    assert [p.name for p in g.lookup("新疆")] == ["新疆维吾尔自治区"]
    assert [p.name for p in g.lookup("巴南")] == ["巴南区"]
    assert g.lookup("资源") == []  # 资源县's short name is an everyday word (jieba frequency)
    assert g.mentions("泰达中区的项目", short=True) == []  # a full name that is an ordinary word


def test_a_table_defined_twice_is_refused(tmp_path) -> None:  # type: ignore[no-untyped-def]
    (tmp_path / "a.toml").write_text("[kinds]\nreply = '答复'\n", encoding="utf-8")
    (tmp_path / "b.toml").write_text("[kinds]\nreply = '复函'\n", encoding="utf-8")
    with pytest.raises(ValueError, match=r"\['kinds'\] defined twice \(b.toml\)"):
        load_profile(tmp_path)


def test_a_broken_file_is_named(tmp_path) -> None:  # type: ignore[no-untyped-def]
    (tmp_path / "bad.toml").write_text("[kinds\n", encoding="utf-8")
    with pytest.raises(ValueError, match="bad.toml"):
        load_profile(tmp_path)


@pytest.mark.parametrize(("question", "sentence", "value"), [
    ("威海2024年第一批有多少家企业评上？", "现组织开展2024年第一批创新型中小企业评价工作", None),  # the question's own words
    ("威海2024年第一批有多少家企业评上？", "2024年第一批共有35家企业通过评价", "35家"),
    ("仁怀准备新建几所托育机构？", "两个规划将养老机构和托育机构纳入", None),  # another unit than the one asked
    ("仁怀准备新建几所托育机构？", "计划新建3所托育机构", "3所"),
    ("屏边那片农田一共有多少亩？", "覆盖全县7个乡镇4.27万亩高标准农田", "4.27万亩"),
    ("教育部答复的6092号建议是哪位全国人大代表提的？", "教育部认真落实中央决策部署,跳出教育看教育", None),
    ("这份建议是哪位代表提的？", "杜贤伟代表提出的建议不符合布局", "杜贤伟代表"),
    ("沭财复字〔2022〕4号那份答复的签发人是谁？", "签发人:庞佃宝", "签发人:庞佃宝"),
    ("规划是委托谁编的？", "主动在党和国家事业发展全局中谋划", None),  # 全局 is not an office
    ("规划是委托谁编的？", "由县农科局组织编制", "县农科局"),
    ("2024年什么时候开通？", "2024年将开通", None),
    ("2024年什么时候开通？", "2024年12月底前开通", "2024年12月"),
])
def test_slot_value_is_an_answer_not_an_echo(question: str, sentence: str, value: str | None) -> None:
    from assistant.answers.question import asked_slot, slot_value

    slot = asked_slot(question)
    assert slot is not None
    assert slot_value(slot, question, sentence) == value


def test_a_year_inside_a_doc_number_is_not_a_year_asked() -> None:
    from assistant.answers.question import without_ids

    assert "2022" not in without_ids("沭财复字〔2022〕4号那份答复的签发人是谁？")
    assert "2022" in without_ids("2022年拨付了多少资金？")


@pytest.mark.parametrize(("question", "sentence", "value"), [
    ("揭阳认定了多少名高层次人才？", "全市共认定高层次人才9361人", "9361人"),  # 名 and 人 count the same
    ("在哪几条路加了垃圾桶，一共多少个？", "在龙潭路、开元路增设垃圾桶460个", "460个"),  # 哪几条 asks which roads
    ("塔城市区现在有多少个地埋式垃圾箱？", "目前我市共有地埋式垃圾箱65,将结合市区实际", "地埋式垃圾箱65"),
])
def test_slot_value_units_and_bare_counts(question: str, sentence: str, value: str | None) -> None:
    from assistant.answers.question import asked_slot, slot_value

    slot = asked_slot(question)
    assert slot is not None
    assert slot_value(slot, question, sentence, ("地埋式垃圾箱", "垃圾箱", "高层次人才")) == value


def test_which_ones_is_a_list_not_a_count() -> None:
    from assistant.answers.question import asked_slot

    assert asked_slot("评价分哪几个阶段，时间怎么排？") is None
    slot = asked_slot("哪几条路加了垃圾桶，一共多少个？")
    assert slot is not None and slot.slot == "count"


def test_a_question_naming_yanan_is_scoped_to_yanan() -> None:
    from core.places import named_places

    assert named_places("延安市有多少家企业通过评价？", {"延安市", "东莞市"}) == (["延安市"], [])
    assert named_places("延安有多少家企业通过评价？", {"东莞市"}) == ([], ["延安"])

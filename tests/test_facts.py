"""Facts that stay true: as-of dates, the newest figure, superseded policies, `assistant check`."""

from __future__ import annotations

from pathlib import Path

import pytest

from assistant.cli.commands import main
from assistant.facts.archive import archive_docs, superseded
from assistant.facts.check import DraftError, check_text, read_draft, validate
from assistant.facts.dates import as_of
from assistant.facts.figures import choose, figures, same_measure

GZ = {"place": "广州市", "city": "广州市", "doc_id": "gz24", "title": "答复", "date": "2024-04-29"}


# -- as-of dates ---------------------------------------------------------------------------------------------------
@pytest.mark.parametrize(("sentence", "doc_date", "key", "target"), [
    ("截至2023年6月底,全市共认定高层次人才1200名。", "2023-08-01", "2023-06-30", False),
    ("2022年,全市新增小巨人企业30家。", "2023-03-01", "2022-12-31", False),
    ("今年以来,全市新增小巨人企业50家。", "2025-03-20", "2025-03-20", False),
    ("去年全市新增小巨人企业20家。", "2025-03-20", "2024-12-31", False),
    ("截至目前,全市累计培育小巨人企业248家。", "2024-04-29", "2024-04-29", False),
    ("全市累计培育小巨人企业248家。", "2024-04-29", "2024-04-29", False),
    ("到2027年,全市小巨人企业达到400家。", "2024-05-01", "2027-12-31", True),
    ("力争培育上市企业5家以上。", "2023-05-01", "2023-05-01", True),
])
def test_as_of(sentence: str, doc_date: str, key: str, target: bool) -> None:
    a = as_of(sentence, doc_date)
    assert (a.key, a.target) == (key, target)


def test_as_of_states_whether_the_sentence_gives_it() -> None:
    assert as_of("截至2023年6月底,共1200名。", "2023-08-01").label == "2023年6月底"
    assert not as_of("全市共1200名。", "2023-08-01").stated


def test_figures_unit_subject_and_share() -> None:
    fs = figures("截至目前,全市累计已培育专精特新“小巨人”企业248家,占全省的16.23%(含深圳,下同)。", GZ)
    assert [(f.text, f.unit, f.place) for f in fs] == [("248家", "家", "广州市"), ("16.23%", "%", "广州市")]
    assert "小巨人" in fs[1].subject  # a share is the share of the figure before it
    assert not figures("第4批名单公布。", GZ)


def test_same_measure_by_place_unit_and_subject() -> None:
    a = figures("全市累计已培育专精特新“小巨人”企业248家。", GZ)[0]
    b = figures("截至2025年2月底,全市累计培育国家级专精特新小巨人企业312家。", {**GZ, "date": "2025-03-20"})[0]
    c = figures("省级专精特新中小企业5847家。", GZ)[0]
    d = figures("全市累计已培育专精特新“小巨人”企业110家。", {**GZ, "place": "东莞市", "city": "东莞市"})[0]
    e = figures("其中A类人才51人。", GZ)[0]
    f = figures("其中B类人才460人。", GZ)[0]
    assert same_measure(a, b)
    assert not same_measure(a, c) and not same_measure(a, d) and not same_measure(e, f)


def test_choose_newest_or_named_year_and_lists_earlier() -> None:
    old = figures("截至2023年6月底,全市累计培育专精特新小巨人企业200家。", {**GZ, "date": "2023-08-01"})[0]
    mid = figures("全市累计已培育专精特新“小巨人”企业248家。", GZ)[0]
    new = figures("截至2025年2月底,全市累计已培育专精特新“小巨人”企业312家。", {**GZ, "date": "2025-03-20"})[0]
    target = figures("到2027年,全市累计培育专精特新小巨人企业400家。", {**GZ, "date": "2025-03-20"})[0]
    pick, earlier = choose(mid, [old, mid, new, target])
    assert pick is new and [f.value for f in earlier] == [248, 200]
    pick, _ = choose(new, [old, mid, new, target], years=["2024"])
    assert pick is mid


def test_superseded_by_repeal_and_by_revision() -> None:
    docs = [
        {"doc_id": "old", "title": "关于印发《某市专精特新企业培育实施方案》的通知", "date": "2024-04-08",
         "doc_number": "某府办函〔2024〕24号", "text": "…"},
        {"doc_id": "new", "title": "关于印发《某市专精特新企业培育实施方案(2025年修订)》的通知", "date": "2025-05-10",
         "doc_number": "", "text": "原《某市专精特新企业培育实施方案》(某府办函〔2024〕24号)同时废止。"},
        {"doc_id": "p1", "title": "关于印发《某市数字化转型补贴办法》的通知", "date": "2023-06-01", "text": "…"},
        {"doc_id": "p2", "title": "关于印发《某市数字化转型补贴办法(修订)》的通知", "date": "2025-06-01", "text": "…"},
        {"doc_id": "other", "title": "关于印发《某市人才办法》的通知", "date": "2025-01-01", "text": "…"},
    ]
    sup = superseded(docs)
    assert sup["old"].by_doc == "new" and sup["old"].how == "废止"
    assert sup["p1"].by_doc == "p2"
    assert set(sup) == {"old", "p1"}


# -- the check ------------------------------------------------------------------------------------------------------
ARCHIVE_2025 = """广州市工业和信息化局关于市人大第20251234号建议的答复

王某代表:

  您提出的《关于持续壮大专精特新企业群体的建议》(第20251234号)收悉。现答复如下:

  一、工作进展

  截至2025年2月底,全市累计已培育专精特新“小巨人”企业312家。

  二、下一步工作计划

  一是在黄埔、南沙等区建设3个市级专精特新产业园。二是设立规模20亿元的专精特新产业基金。

  感谢您的关心和支持!

广州市工业和信息化局
2025年3月20日
"""


def _draft(body: str, proposer: str = "王某代表", date: str = "2026年3月15日") -> str:
    return f"""广州市工业和信息化局关于市人大第20260102号建议的答复

{proposer}:

  您提出的《关于进一步壮大专精特新企业群体的建议》(第20260102号)收悉。现答复如下:

  {body}

  感谢您的关心和支持!

广州市工业和信息化局
{date}
"""


@pytest.fixture
def archive_chunks() -> list[tuple[str, dict[str, object]]]:
    from ingest.pipeline import parse_text

    pd = parse_text("gz-2025", ARCHIVE_2025, "sha", 450)
    return [(c.text, c.metadata) for c in pd.record.chunks]


def _types(report: object) -> list[str]:
    return [f.type for f in report.flags]  # type: ignore[attr-defined]


def test_check_stale_conflict_and_unreported_commitment(archive_chunks: list) -> None:
    r = check_text(_draft("全市累计已培育专精特新“小巨人”企业312家。2025年建成3个市级专精特新产业园。"), archive_chunks)
    assert _types(r) == ["commitment"] and "产业基金" in r.flags[0].sentence
    r = check_text(_draft("截至2025年2月底,全市累计已培育专精特新“小巨人”企业300家。"), archive_chunks)
    assert "conflict" in _types(r)
    old = [("截至2024年4月底,全市累计已培育专精特新“小巨人”企业248家。", {"doc_id": "gz-2024", "place": "广州市",
                                                               "date": "2024-04-29", "kind": "reply"})]
    r = check_text(_draft("全市累计已培育专精特新“小巨人”企业248家。", proposer="陈某代表"), archive_chunks + old)
    assert _types(r)[0] == "stale" and "312家" in r.flags[0].reason and r.flags[0].source_doc == "gz-2025"


def test_check_clean_draft_has_no_flags(archive_chunks: list) -> None:
    r = check_text(_draft("截至2025年2月底,全市累计已培育专精特新“小巨人”企业312家。黄埔、南沙3个市级专精特新产业园正在建设;"
                          "专精特新产业基金设立方案已报市政府审定。"), archive_chunks)
    assert r.ok, r.text()


def test_wording_guard(archive_chunks: list) -> None:
    r = check_text(_draft("我们认为数字化转型很重要,政策效果非常给力。我局将确保2025年底前所有企业完成改造。"
                          "市财政局将安排专项资金5000万元。我市数字化水平绝对能够走在前列。"
                          "我局将会同市财政局做好资金保障。全市守住“口粮绝对安全”底线。"), archive_chunks)
    found = [f for f in r.flags if f.type != "commitment"]
    assert sorted(f.type for f in found) == ["absolute", "colloquial", "opinion", "other_office", "promise"], r.text()


def test_validate_bad_input(tmp_path: Path) -> None:
    with pytest.raises(DraftError, match="empty"):
        validate("  \n ")
    with pytest.raises(DraftError, match="not in Chinese"):
        validate("Dear deputy, thank you for your suggestion on small firms. We will reply soon.")
    with pytest.raises(DraftError, match="no such file"):
        read_draft(tmp_path / "missing.txt")
    bad = tmp_path / "bad.docx"
    bad.write_bytes(b"not a zip")
    with pytest.raises(DraftError, match="cannot read"):
        read_draft(bad)


def test_cli_check_exit_codes(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    empty = tmp_path / "empty.txt"
    empty.write_text("", encoding="utf-8")
    assert main(["--data-dir", str(tmp_path / "d"), "check", str(empty)]) == 2
    assert "empty" in capsys.readouterr().err
    english = tmp_path / "en.txt"
    english.write_text("This is an English letter about small firms and their growth in the city.", encoding="utf-8")
    assert main(["--data-dir", str(tmp_path / "d"), "check", str(english)]) == 2
    assert main(["--data-dir", str(tmp_path / "d"), "check", str(tmp_path / "nope.txt")]) == 2


def test_cli_check_against_store(tmp_path: Path, monkeypatch: pytest.MonkeyPatch, settings, fake_embedder,
                                 capsys: pytest.CaptureFixture[str]) -> None:
    """Integration: a small archive ingested with the fake embedder; `assistant check` exits 1 on a flagged
    draft (with --json) and 0 on a clean one; the offline answer dates its figure and uses the newest."""
    import assistant.retrieval.services as service
    from assistant.answers.answer import Assistant
    from assistant.retrieval.hybrid import HybridRetriever
    from core.store import Store
    from ingest.pipeline import ingest_paths

    (tmp_path / "arch").mkdir()
    (tmp_path / "arch" / "gz-2025.txt").write_text(ARCHIVE_2025, encoding="utf-8")
    (tmp_path / "arch" / "gz-2024.txt").write_text(
        ARCHIVE_2025.replace("第20251234号", "第20242679号").replace("王某代表", "魏某代表")
        .replace("截至2025年2月底,全市累计已培育专精特新“小巨人”企业312家", "全市累计已培育专精特新“小巨人”企业248家")
        .replace("2025年3月20日", "2024年4月29日"), encoding="utf-8")
    store = Store(settings, fake_embedder)
    ingest_paths(sorted((tmp_path / "arch").glob("*.txt")), store, settings, progress=False)

    def fake_build(_s: object) -> service.Services:
        return service.Services(settings, fake_embedder, store, HybridRetriever(store, fake_embedder, settings))

    monkeypatch.setattr(service, "build_services", fake_build)
    stale = tmp_path / "stale.txt"
    stale.write_text(_draft("全市累计已培育专精特新“小巨人”企业248家。", proposer="陈某代表"), encoding="utf-8")
    assert main(["check", str(stale), "--json"]) == 1
    assert '"stale"' in capsys.readouterr().out
    clean = tmp_path / "clean.txt"
    clean.write_text(_draft("截至2025年2月底,全市累计已培育专精特新“小巨人”企业312家。黄埔、南沙3个市级专精特新产业园正在建设;"
                            "专精特新产业基金设立方案已报市政府审定。"), encoding="utf-8")
    assert main(["check", str(clean)]) == 0

    ans = Assistant(fake_build(settings)).ask("广州目前累计培育了多少家专精特新小巨人企业？")
    first = next(line for line in ans.text.split("\n") if line.startswith("- "))
    assert "312家" in first and "2025年2月底" in first
    assert "248家" in ans.text and "【截至2024年4月29日】" in ans.text
    assert not ans.report.unsupported


def test_archive_docs_groups_by_document(archive_chunks: list) -> None:
    docs = archive_docs(archive_chunks)
    assert list(docs) == ["gz-2025"] and docs["gz-2025"].date == "2025-03-20"


@pytest.mark.parametrize(("sentence", "dated"), [
    ("截至目前，全市共有小巨人企业110家", "截至2023年6月19日，全市共有小巨人企业110家"),
    ("全市共有创新型中小企业3193家", "截至2023年6月19日，全市共有创新型中小企业3193家"),
    ("累计投资企业项目334个", "截至2023年6月19日，累计投资企业项目334个"),
    ("2022年，全年新增高新技术企业5家", None),  # states its own date
    ("力争到2027年培育500家", None),  # a target keeps its year
    ("下达省级奖补资金6356万元，支持17个项目", None),  # a flow, not a total at a date
    ("我局高度重视公交开行工作", None),  # no figure
])
def test_a_lifted_total_says_as_of_when(sentence: str, dated: str | None) -> None:
    from assistant.facts.dates import dated_sentence

    assert dated_sentence(sentence, "2023-06-19") == (dated or sentence)
    assert dated_sentence(sentence, "") == sentence  # a source without a date adds nothing


# -- "截至目前" in a draft: the draft's own date, and a total that cannot go down --------------------------------------
_OLD_2024 = [("全市累计已培育专精特新“小巨人”企业248家。", {"doc_id": "gz-2024", "place": "广州市", "city": "广州市",
                                                  "date": "2024-04-29", "kind": "reply", "title": "2024年答复"})]


def _figure_flags(report: object) -> list:
    return [f for f in report.flags if f.type in ("conflict", "stale")]  # type: ignore[attr-defined]


@pytest.mark.parametrize("now", ["截至目前，", "目前，", "目前", "截至目前，现", "至今，"])
def test_a_current_total_lower_than_a_newer_archive_figure_is_flagged(archive_chunks: list, now: str) -> None:
    """The draft says "now" (its own date, 2026-03-15) with a total the archive had a year earlier: with only the
    newer reply it is a conflict (a total does not go down), with the older one too it is stale; both name the
    newer source."""
    draft = _draft(f"{now}全市累计培育专精特新“小巨人”企业248家。", proposer="陈某代表")
    r = check_text(draft, archive_chunks)
    [flag] = _figure_flags(r)
    assert flag.type == "conflict" and "312家" in flag.reason and flag.source_doc == "gz-2025", r.text()
    r = check_text(draft, archive_chunks + _OLD_2024)
    [flag] = _figure_flags(r)
    assert flag.type == "stale" and "312家" in flag.reason and flag.source_doc == "gz-2025", r.text()
    assert "2024年4月29日" in flag.reason  # when the draft's figure held


def test_a_draft_without_a_date_line_reads_now_as_today(archive_chunks: list) -> None:
    body = _draft("截至目前，全市累计培育专精特新“小巨人”企业248家。", proposer="陈某代表").replace("2026年3月15日", "")
    r = check_text(body, archive_chunks + _OLD_2024, today="2026-05-01")
    assert [(f.type, f.source_doc) for f in _figure_flags(r)] == [("stale", "gz-2025")], r.text()


@pytest.mark.parametrize("body", [
    "截至目前，全市累计培育专精特新“小巨人”企业330家。",  # higher than the archive: news, not a conflict
    "截至2025年2月底，全市累计培育专精特新“小巨人”企业312家。",  # the newest figure with its date
    "目前全市新增专精特新“小巨人”企业20家。",  # a flow, not a total
    "目前，专精特新“小巨人”企业的营收增长率为8%。",  # a share can go down
])
def test_a_current_or_dated_figure_that_can_hold_is_not_flagged(archive_chunks: list, body: str) -> None:
    r = check_text(_draft(body, proposer="陈某代表"), archive_chunks + _OLD_2024)
    assert not _figure_flags(r), r.text()


def test_now_takes_the_documents_date() -> None:
    for s in ("截至目前,全市累计培育小巨人企业248家。", "目前全市累计培育小巨人企业248家。", "全市现有小巨人企业248家。"):
        a = as_of(s, "2026-03-15")
        assert (a.key, a.now) == ("2026-03-15", True), s
    a = as_of("截至2024年4月底,全市累计培育小巨人企业248家。", "2026-03-15")
    assert (a.key, a.now) == ("2024-04-30", False)
    assert not as_of("全市累计培育小巨人企业248家。", "2026-03-15").now

"""Cases: versions, diffs, opinions, the final letter, and the whole flow through the CLI (fake embedder)."""

from __future__ import annotations

import json
import re
from pathlib import Path
from typing import Any

import pytest

from assistant.casework.diff import char_diff, diff_paragraphs, render_diff
from assistant.casework.intake import parse_proposal_text
from assistant.casework.opinions import parse_opinion_text
from assistant.casework.store import STATUS_DRAFTING, STATUS_FINAL, STATUS_NEW, CaseError, CaseStore
from assistant.evidence import cite
from core.settings import Settings
from tests.conftest import FakeEmbedder
from tests.pg import case_store, case_url, pg_url, postgres_server  # noqa: F401 - fixtures (both backends)

REPO = Path(__file__).resolve().parent.parent
DATA = REPO / "tests" / "data" / "intake"
PROPOSAL = DATA / "proposal-dh0271.txt"
OFFICE = "东莞市金融工作局"


def _proposal() -> Any:
    return parse_proposal_text(PROPOSAL.read_text(encoding="utf-8"), PROPOSAL.name)


def test_versions_status_and_history(case_store: CaseStore) -> None:  # noqa: F811
    store = case_store
    cid = store.create(_proposal(), OFFICE, due="2025-06-30", file=("p.txt", b"x"))
    assert store.get(cid).status == STATUS_NEW
    assert store.add_version(cid, "第一稿", "张三", "生成草稿") == 1
    assert store.add_version(cid, "第二稿", "李四", "改措辞") == 2
    case = store.get(cid)
    assert case.status == STATUS_DRAFTING and case.versions == 2 and case.due == "2025-06-30"
    hist = store.versions(cid)
    assert [(v.n, v.author, v.note) for v in hist] == [(1, "张三", "生成草稿"), (2, "李四", "改措辞")]
    assert all(v.created for v in hist)
    assert [r["status"] for r in (c.row() for c in store.all())] == [STATUS_DRAFTING]
    assert store.files(cid) == [("proposal", "p.txt", b"x")]
    store.set_final(cid, "定稿")
    assert store.get(cid).status == STATUS_FINAL
    with pytest.raises(CaseError, match="已定稿"):
        store.add_version(cid, "再改")
    with pytest.raises(CaseError, match="没有编号"):
        store.get(999)


def test_corrections_are_kept(case_store: CaseStore) -> None:  # noqa: F811
    store = case_store
    cid = store.create(_proposal(), OFFICE)
    p = store.get(cid).proposal
    p.title, p.asks = "关于改正后的提案", ["甲", "乙"]
    store.update(cid, p, due="2025-07-01")
    got = store.get(cid)
    assert got.title == "关于改正后的提案" and got.proposal.asks == ["甲", "乙"] and got.due == "2025-07-01"


def test_diff_is_paragraph_and_character_level_and_keeps_numbers_whole() -> None:
    a = "刘芳委员：\n全市共有小巨人企业248家。\n此复"
    b = "刘芳委员：\n全市共有国家级小巨人企业250家。\n新增一段。\n此复"
    changes = diff_paragraphs(a, b)
    assert [c.kind for c in changes] == ["修改", "新增"]
    assert changes[0].inline == "全市共有{+国家级+}小巨人企业[-248-]{+250+}家。"
    assert char_diff("共248家", "共2480家") == "共[-248-]{+2480+}家"
    text = render_diff(a, b, "第1版", "第2版")
    assert "第2段 修改" in text and "第3段 新增：{+新增一段。+}" in text
    assert render_diff(a, a) .endswith("内容相同。")
    assert [c.kind for c in diff_paragraphs(b, a)] == ["修改", "删除"]


def test_two_opinions_of_one_office_and_the_lead_office_itself_are_refused(case_store: CaseStore) -> None:  # noqa: F811
    store = case_store
    cid = store.create(_proposal(), OFFICE)
    first = parse_opinion_text((DATA / "opinion-czj.txt").read_text(encoding="utf-8"), "czj.txt")
    assert store.add_opinion(cid, first) == []
    again = parse_opinion_text((DATA / "opinion-czj-again.txt").read_text(encoding="utf-8"), "again.txt")
    with pytest.raises(CaseError, match="已附加过“东莞市财政局”的会办意见"):
        store.add_opinion(cid, again)
    lead = parse_opinion_text("东莞市金融工作局：\n我局意见如下：加大支持。\n东莞市金融工作局\n2024年5月1日\n", "self.txt")
    with pytest.raises(CaseError, match="主办单位"):
        store.add_opinion(cid, lead)
    other = parse_opinion_text("东莞市金融工作局：\n经研究，我局同意加大支持力度，安排资金1亿元。\n东莞市科学技术局\n2024年5月1日\n",
                               "kj.txt")
    warnings = store.add_opinion(cid, other)
    assert warnings and "未包括“东莞市科学技术局”" in warnings[0]
    assert [o.office for o in store.opinions(cid)] == ["东莞市财政局", "东莞市科学技术局"]


# -- the whole flow through the CLI ------------------------------------------------------------------------
@pytest.fixture
def cli_env(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Path:
    """A data dir with the corpus ingested by the fake embedder; the CLI builds services with it."""
    from assistant.cli import commands as cli

    data = tmp_path / "data"
    monkeypatch.setenv("ASSISTANT_DATA_DIR", str(data))
    monkeypatch.setattr("assistant.retrieval.services.make_embedder", lambda settings: FakeEmbedder())
    assert cli.main(["ingest", "--quiet"]) == 0
    return data


def _run(capsys: pytest.CaptureFixture[str], *args: str) -> tuple[int, str, str]:
    from assistant.cli import commands as cli

    rc = cli.main(list(args))
    out = capsys.readouterr()
    return rc, out.out, out.err


def test_cli_flow_from_proposal_file_to_final_letter(cli_env: Path, tmp_path: Path,
                                                     capsys: pytest.CaptureFixture[str]) -> None:
    from docx import Document
    from docx.shared import Mm

    capsys.readouterr()
    clean, review, md = tmp_path / "clean.docx", tmp_path / "review.docx", tmp_path / "l.md"
    rc, out, err = _run(capsys, "draft", "--proposal-file", str(PROPOSAL), "--office", OFFICE,
                        "--opinion", str(DATA / "opinion-gxj.txt"), "--opinion", str(DATA / "opinion-czj.txt"),
                        "--opinion", str(DATA / "opinion-czj-again.txt"), "--opinion", str(DATA / "opinion-unknown.txt"),
                        "--author", "张三", "--json")
    assert rc == 1  # two opinions refused, each named; the draft is still made and saved
    assert "已附加过“东莞市财政局”" in err and "东莞某某科技有限公司" in err and "opinion-unknown.txt" in err
    got = json.loads(out)
    assert got["case"] == 1 and got["version"] == 1 and got["status"] == "起草中"
    p = got["proposal"]
    assert p["number"] == "DH0271" and p["proposers"] == ["刘芳"] and p["body_kind"] == "政协" and len(p["asks"]) == 4
    assert [o["office"] for o in got["opinions"]] == ["东莞市工业和信息化局", "东莞市财政局"]
    text = got["draft"]["text"]
    assert "经会同市工业和信息化局、市财政局认真研究" in text
    sources = {s["n"]: s for s in got["draft"]["sources"]}
    # every ask an opinion addresses cites that opinion, under its own sub-point
    lines = text.split("\n")
    expect = {"设立专精特新企业信贷风险补偿资金池": "东莞市财政局", "扩大政府性融资担保业务规模": "东莞市财政局",
              "建立专精特新企业上市后备资源库": "东莞市工业和信息化局", "推广知识产权质押融资": "东莞市工业和信息化局"}
    for ask, office in expect.items():
        k = next(i for i, ln in enumerate(lines) if ask in ln and ln.startswith("（"))
        end = next((i for i in range(k + 1, len(lines)) if lines[i].startswith(("（", "二、"))), len(lines))
        cited = {int(n) for ln in lines[k + 1:end] for n in cite.CANON.findall(ln)}
        assert any(sources[n]["office"] == office for n in cited if n in sources), (ask, office)
    # nothing of one office attributed to another: a sentence citing an opinion names only that office
    short = {"东莞市财政局": "市财政局", "东莞市工业和信息化局": "市工业和信息化局"}
    for ln in lines:
        for n in map(int, cite.CANON.findall(ln)):
            src = sources.get(n)
            if src and "会办意见" in src["title"]:
                others = [s for o, s in short.items() if o != src["office"]]
                assert not any(s in ln for s in others), ln
                assert "我局" not in cite.strip_markers(ln).split("。")[0] or src["office"] == OFFICE

    # edit, save a version, diff
    edited = tmp_path / "v2.txt"
    edited.write_text(text.replace("此复", "特此答复。").replace("【日期待填写】", "2024年6月1日"), encoding="utf-8")
    rc, _, err = _run(capsys, "case", "1", "--edit", str(edited), "--author", "李四")
    assert rc == 2 and "--base" in err  # an edit names the version it was made from
    rc, out, _ = _run(capsys, "case", "1", "--edit", str(edited), "--base", "1", "--author", "李四", "--note", "改日期")
    assert rc == 0 and "第2版已保存" in out
    rc, _, err = _run(capsys, "case", "1", "--edit", str(edited), "--base", "1", "--author", "王五")
    assert rc == 3 and "第2版由李四于" in err and "没有丢失" in err  # made from 1 while 2 exists: refused
    rc, out, _ = _run(capsys, "case", "1", "--diff", "1", "2")
    assert rc == 0 and "[-【日期待填写】-]{+2024年6月1日+}" in out

    # both .docx forms and Markdown from the stored version
    rc, _, err = _run(capsys, "case", "1", "--docx", str(clean), "--review-docx", str(review), "--markdown", str(md))
    assert rc == 0, err
    d = Document(str(clean))
    body = "\n".join(p.text for p in d.paragraphs)
    assert "刘芳委员：" in body and not re.search(r"\[\d+\]", body) and len(list(d.comments)) == 0
    sec = d.sections[0]
    assert abs(sec.page_width - Mm(210)) < Mm(1) and abs(sec.top_margin - Mm(37)) < Mm(1)
    r = Document(str(review))
    comments = list(r.comments)
    assert comments and all(c.author == "答复函助手" for c in comments)
    notes = "\n".join(c.text for c in comments)
    assert "会办意见：" in notes and "东莞市财政局" in notes and "东莞市工业和信息化局" in notes
    letter = "\n".join(p.text for p in r.paragraphs)
    assert not re.search(r"\[\d+\]", letter.split("附：引用来源")[0])
    assert "## 引用来源" in md.read_text(encoding="utf-8") and "[1]" in md.read_text(encoding="utf-8")

    # the signed final letter: diffed, stored, ingested, case closed
    final = tmp_path / "signed.txt"
    final.write_text(cite.strip_markers(edited.read_text(encoding="utf-8")).replace("认真研究", "深入研究"),
                     encoding="utf-8")
    rc, out, err = _run(capsys, "case", "1", "--final", str(final))
    # as on the 办件 page: a letter still holding blanks is refused, with the list, and the case stays open
    assert rc == 2 and "处待填写" in err and "联系人" in err and "--allow-blanks" in err
    assert CaseStore.of(Settings()).get(1).status == "起草中"
    filled = re.sub(r"【[^】]*(?:待填写|请承办人补充)[^】]*】", "（略）", final.read_text(encoding="utf-8"))
    final.write_text(filled, encoding="utf-8")
    rc, out, err = _run(capsys, "case", "1", "--final", str(final))
    assert rc == 0, err
    assert "{+深入+}" in out and "已定稿" in out
    rc, out, _ = _run(capsys, "cases", "--json")
    rows = json.loads(out)
    assert rows[0]["status"] == "已答复" and rows[0]["versions"] == 2
    from assistant.retrieval.services import build_services

    records = build_services(Settings()).store.doc_records()
    linked = {m.get("case_role") for m in records.values() if m.get("case_id") == 1}
    assert linked == {"opinion", "final"}
    # a final case is read-only until reopened with a reason, and the reopening is recorded
    rc, _, err = _run(capsys, "case", "1", "--edit", str(edited), "--base", "2")
    assert rc == 2 and "已定稿" in err and "--reopen" in err
    rc, _, err = _run(capsys, "case", "1", "--set", "title=改标题")
    assert rc == 2 and "已定稿" in err
    rc, _, err = _run(capsys, "case", "1", "--reopen")
    assert rc == 2 and "须写明理由" in err
    rc, out, _ = _run(capsys, "case", "1", "--reopen", "--reason", "领导要求补充数据", "--author", "赵六")
    assert rc == 0 and "已重新打开" in out
    rc, out, _ = _run(capsys, "case", "1")
    assert "重新打开" in out and "赵六：领导要求补充数据" in out and "定稿 " in out and "（起草中）" in out
    records = build_services(Settings()).store.doc_records()  # the set-aside final letter left the archive
    assert {m.get("case_role") for m in records.values() if m.get("case_id") == 1} == {"opinion"}
    rc, out, _ = _run(capsys, "case", "1", "--edit", str(final), "--base", "2", "--author", "赵六")
    assert rc == 0 and "第3版已保存" in out
    rc, out, err = _run(capsys, "case", "1", "--final", str(final), "--author", "赵六")
    assert rc == 0 and "已定稿" in out, err
    records = build_services(Settings()).store.doc_records()
    assert {m.get("case_role") for m in records.values() if m.get("case_id") == 1} == {"opinion", "final"}


def test_cli_bad_inputs_keep_the_case(cli_env: Path, tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    capsys.readouterr()
    rc, _, err = _run(capsys, "draft", "--proposal-file", str(DATA / "broken.docx"), "--office", OFFICE)
    assert rc == 2 and "broken.docx：无法读取" in err
    rc, _, err = _run(capsys, "draft", "--proposal-file", str(REPO / "corpus" / "guangzhou-2024-rd20242679-reply.txt"),
                      "--office", OFFICE)
    assert rc == 2 and "不是一份建议或提案" in err
    rc, out, _ = _run(capsys, "cases")
    assert "还没有办件" in out  # nothing half-made was stored
    rc, out, _ = _run(capsys, "draft", "--proposal-file", str(PROPOSAL), "--office", OFFICE, "--opinion",
                      str(DATA / "opinion-unsigned.txt"))
    assert rc == 1 and "办件 #1 第1版已保存" in out
    rc, out, err = _run(capsys, "case", "1", "--opinion", str(DATA / "opinion-unknown.txt"))
    assert rc == 1 and "不是可识别的机关单位" in err
    rc, out, _ = _run(capsys, "case", "1", "--set", "title=关于改正标题的提案")
    assert rc == 0
    rc, out, _ = _run(capsys, "case", "1")
    assert "标题：关于改正标题的提案" in out and "第1版" in out


# -- the same flow in the app (AppTest, fake embedder) ---------------------------------------------------------
def test_app_cases_page_flow(cli_env: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    from streamlit.testing.v1 import AppTest

    monkeypatch.chdir(REPO)
    at = AppTest.from_file(str(REPO / "streamlit_app.py"), default_timeout=120).run()
    assert not at.exception, at.exception
    at.switch_page("app/pages/cases.py").run()
    assert not at.exception, at.exception
    assert [h.value for h in at.main.subheader] == ["办件"]
    at.file_uploader(key="case_proposal_file").set_value(("来文.txt", PROPOSAL.read_bytes(), "text/plain"))
    at.text_input(key="case_office").set_value(OFFICE).run()
    at.button(key="case_open").click().run()
    assert not at.exception, at.exception
    assert any("已建立办件 #1" in s.value for s in at.success)
    at.file_uploader(key="case_opinions_1").set_value([
        ("工信局.txt", (DATA / "opinion-gxj.txt").read_bytes(), "text/plain"),
        ("财政局.txt", (DATA / "opinion-czj.txt").read_bytes(), "text/plain"),
        ("财政局补充.txt", (DATA / "opinion-czj-again.txt").read_bytes(), "text/plain")]).run()
    at.button(key="case_attach_1").click().run()
    assert not at.exception, at.exception
    assert sum("已附加" in s.value for s in at.success) == 2
    assert any("已附加过“东莞市财政局”" in e.value for e in at.error)  # refused, the others kept
    at.button(key="case_draft_1").click().run()
    assert not at.exception, at.exception
    text = at.text_area(key="case_text_1").value
    assert "经会同市工业和信息化局、市财政局认真研究" in text
    at.text_area(key="case_text_1").set_value(text.replace("【日期待填写】", "2024年6月1日"))
    at.text_input(key="case_note_1").set_value("填日期")
    at.button(key="case_save_1").click().run()
    assert not at.exception, at.exception
    assert any("已保存第2版" in s.value for s in at.success)
    shown = "\n".join(str(h.proto.body) for h in at.get("html"))  # track changes (app/view.py)
    assert "第1版 → 第2版" in shown and "2024年6月1日</ins>" in shown
    labels = [b.proto.label for b in at.get("download_button")]
    assert "对外印发稿（.docx）" in labels and "核对稿（带批注 .docx）" in labels
    final = text.replace("【日期待填写】", "2024年6月2日")
    at.file_uploader(key="case_final_1").set_value(("定稿.txt", final.encode("utf-8"), "text/plain")).run()
    at.button(key="case_finalize_1").click().run()
    assert not at.exception, at.exception
    # the letter still holds blanks (联系人, 联系电话): refused with their list, nothing finalised
    assert any("【待填写】" in e.value or "待填写" in e.value for e in at.error), [e.value for e in at.error]
    assert CaseStore.of(__import__("core.settings", fromlist=["Settings"]).Settings()).get(1).status != STATUS_FINAL
    at.checkbox(key="case_blanks_ok_1").check().run()  # an explicit override, recorded with the version
    at.button(key="case_finalize_1").click().run()
    assert not at.exception, at.exception
    assert any("已定稿" in s.value for s in at.success)
    assert ">1</del><ins" in "\n".join(str(h.proto.body) for h in at.get("html"))  # 2024年6月1日 → 2日
    assert CaseStore.of(__import__("core.settings", fromlist=["Settings"]).Settings()).get(1).status == STATUS_FINAL


def test_cli_co_handling_mode_writes_a_cohandling_opinion(cli_env: Path, capsys: pytest.CaptureFixture[str]) -> None:
    capsys.readouterr()
    rc, out, err = _run(capsys, "draft", "--proposal-file", str(PROPOSAL), "--office", "东莞市财政局", "--co", "--json")
    assert rc == 0, err
    got = json.loads(out)
    text = got["draft"]["text"]
    assert text.startswith("东莞市金融工作局：")  # to the lead office the proposal names
    assert "收悉。经研究，现将会办意见函告如下：" in text and "以上意见供你单位统一答复提案者时参考。" in text
    assert got["draft"]["title"].endswith("的会办意见") and "特此函复" in text


def test_app_draft_page_reads_an_uploaded_proposal(cli_env: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    from streamlit.testing.v1 import AppTest

    monkeypatch.chdir(REPO)
    at = AppTest.from_file(str(REPO / "streamlit_app.py"), default_timeout=120).run()
    at.switch_page("app/pages/draft.py").run()
    assert not at.exception, at.exception
    reply = (REPO / "corpus" / "guangzhou-2024-rd20242679-reply.txt").read_bytes()
    at.file_uploader(key="draft_proposal_file").set_value(("答复.txt", reply, "text/plain")).run()
    assert not at.exception, at.exception
    assert any("不是一份建议或提案" in e.value for e in at.error)
    at.file_uploader(key="draft_proposal_file").set_value(("来文.txt", PROPOSAL.read_bytes(), "text/plain")).run()
    assert not at.exception, at.exception
    values = {t.label: t.value for t in at.text_input}
    assert values["来文标题"] == "关于破解专精特新中小企业融资难题的提案" and values["编号"] == "DH0271"
    assert values["提出人"] == "刘芳委员" and at.selectbox[0].value == "提案"
    assert at.text_area[0].value.startswith("1. 设立专精特新企业信贷风险补偿资金池")


def test_review_copy_comments_cited_sentences_and_highlights_unsupported() -> None:
    from docx import Document

    from assistant.casework.store import Version
    from assistant.casework.workflow import draft_of, provenance
    from assistant.letters.export import to_docx, to_review_docx

    passage = {"id": "p1", "label": "doc:0", "text": "截至2023年底，全市累计培育小巨人企业248家。",
               "metadata": {"title": "关于专精特新的答复", "office": "佛山市工业和信息化局", "date": "2024-04-29",
                            "heading_path": "一、工作情况"}, "score": 1.0}
    payload = {"title": "佛山市工业和信息化局关于第1号建议的答复",
               "request": {"proposal": {"title": "关于X的建议", "number": "1", "proposer": "李明代表"},
                           "office": "佛山市工业和信息化局"}, "passages": [passage]}
    text = ("李明代表：\n您提出的《关于X的建议》（第1号）收悉。现答复如下：\n一、工作开展情况\n"
            "截至2023年底，全市累计培育小巨人企业248家[1]。全市共有独角兽企业99家。\n此复\n佛山市工业和信息化局\n2024年5月1日")
    draft = draft_of(Version(1, 1, text, "", "", "", payload))
    assert [p["sources"][0]["office"] for p in provenance(draft) if p["sources"]] == ["佛山市工业和信息化局"]
    doc = Document(__import__("io").BytesIO(to_review_docx(draft)))
    comments = list(doc.comments)
    assert len(comments) == 1 and "关于专精特新的答复" in comments[0].text and "248家" in comments[0].text
    runs = [r for p in doc.paragraphs for r in p.runs]
    assert [r.text for r in runs if r.font.highlight_color] == ["全市共有独角兽企业99家。"]
    letter = "\n".join(p.text for p in doc.paragraphs).split("附：引用来源")[0]
    assert "[1]" not in letter and "248家" in letter
    clean = Document(__import__("io").BytesIO(to_docx(draft, include_sources=False)))
    assert not list(clean.comments) and not any(r.font.highlight_color for p in clean.paragraphs for r in p.runs)

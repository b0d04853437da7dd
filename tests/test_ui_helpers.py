"""Pure helpers of the browser app: upload names, escaping and highlighting."""

from __future__ import annotations

from pathlib import Path

import pytest

from app.view import answer_markdown, citation_label, escape_block, highlight, stream_escape
from ingest.uploads import safe_upload_name, upload_path


@pytest.mark.parametrize(("name", "expected"), [
    ("../../etc/passwd", "passwd"),
    ("a/b.txt", "b.txt"),
    ("..\\x.txt", "x.txt"),
    ("C:\\Users\\me\\答复 函.docx", "答复 函.docx"),
    ("my file  name.txt", "my file name.txt"),
    ("揭阳市答复.pdf", "揭阳市答复.pdf"),
    ("a\x00b\x1f\u202ec.txt", "abc.txt"),
    ("x..y.txt", "x.y.txt"),
    ("what?<>|.md", "what____.md"),
    ("CON.txt", "_CON.txt"),
])
def test_safe_upload_name(name: str, expected: str) -> None:
    assert safe_upload_name(name) == expected


@pytest.mark.parametrize("name", ["", "..", "../", "/", "\\..\\", " . ", "\x00\x01", "a/.."])
def test_safe_upload_name_refuses_empty(name: str) -> None:
    with pytest.raises(ValueError):
        safe_upload_name(name)


def test_safe_upload_name_limits_length() -> None:
    out = safe_upload_name("长" * 300 + ".txt")
    assert out.endswith(".txt") and len(out.encode("utf-8")) <= 200


@pytest.mark.parametrize("name", ["../../etc/passwd", "a/b.txt", "..\\x.txt", "with spaces .txt", "/abs/path.md",
                                  "....//....//x.txt"])
def test_upload_path_stays_inside(tmp_path: Path, name: str) -> None:
    root = tmp_path / "uploads"
    root.mkdir()
    path = upload_path(root, name)
    assert path.parent == root.resolve()
    assert path.is_relative_to(root.resolve())


def test_highlight_wraps_span_and_escapes() -> None:
    text = "前文<script>alert(1)</script>，全市共认定高层次人才9361人。[点我](http://evil) *强调*"
    a = text.index("全市")
    b = text.index("。") + 1
    md = highlight(text, [a, b])
    assert ":orange-background[**全市共认定高层次人才9361人。**]" in md  # bold too: visible on any screen
    assert "<script>" not in md and "&lt;script&gt;" in md
    assert "[点我](http://evil)" not in md and "\\[点我\\]" in md and "http\\://evil" in md
    assert "*强调*" not in md and "\\*强调\\*" in md


def test_highlight_escapes_the_span_itself_and_crosses_lines() -> None:
    text = "第一行[x](http://a)\n# 第二行<b>"
    md = highlight(text, [0, len(text)])
    lines = md.split("  \n")
    assert len(lines) == 2
    assert lines[0].startswith(":orange-background[") and "\\[x\\]" in lines[0] and "http\\://a" in lines[0]
    assert lines[1].startswith(":orange-background[**\\#") and "&lt;b&gt;" in lines[1]


def test_highlight_without_span_only_escapes() -> None:
    assert highlight("a_b", None) == "a\\_b"
    assert highlight("a_b", [5, 9]) == "a\\_b"
    assert "orange" not in escape_block("x\n\ny")


def test_answer_markers_are_not_links() -> None:
    md = answer_markdown("共认定9361人[1]。\n- 其次[2](http://evil)\n<img src=x onerror=alert(1)>")
    assert "\\[1\\]" in md and "\\[2\\]" in md
    assert "[1]" not in md.replace("\\[1\\]", "")
    assert "](http://evil)" not in md and "http\\://evil" in md
    assert "<img" not in md and "&lt;img" in md
    assert "\n- 其次" in md  # our own list items stay a list


def test_citation_label_and_stream_escape() -> None:
    label = citation_label({"n": 2, "title": "关于*加强*的答复", "office": "某市局", "date": "2024-01-02"})
    assert label == "\\[2\\] 关于\\*加强\\*的答复 · 某市局 · 2024年1月2日"
    assert stream_escape("[1](http://e) <b>") == "\\[1\\]\\(http\\:\\/\\/e\\) \\<b\\>"


def test_upload_type_limit_comes_from_settings(tmp_path) -> None:  # type: ignore[no-untyped-def]
    from types import SimpleNamespace

    from core.settings import Settings
    from ingest.uploads import ingest_uploads

    settings = Settings(data_dir=tmp_path / "d", upload_types="txt")
    result = ingest_uploads([("报告.pdf", b"%PDF-1.4"), ("../../x.exe", b"MZ")], SimpleNamespace(settings=settings))
    assert [r.split("（")[0] for _, r in result.failed] == ["不支持的文件类型", "不支持的文件类型"]
    assert not (tmp_path / "d" / "uploads").exists() or not any((tmp_path / "d" / "uploads").iterdir())


# -- the chat: follow-ups, multi-city answers, highlights --------------------------------------------------------
def test_a_short_complete_question_stands_on_its_own() -> None:
    from assistant.answers.answer import Turn, condense, stands_alone

    prev = [Turn("user", "揭阳到2023年6月底认定了多少名高层次人才？"), Turn("assistant", "……")]
    assert stands_alone("深圳有多少家小巨人企业？")  # 12 characters, but its own place, subject and slot
    assert condense("深圳有多少家小巨人企业？", prev) == "深圳有多少家小巨人企业？"
    assert not stands_alone("那揭阳呢？") and not stands_alone("其中A类人才多少人？") and not stands_alone("奖励多少？")


def test_a_follow_up_carries_the_asked_slot_to_the_new_place() -> None:
    from assistant.answers.answer import Turn, condense

    prev = [Turn("user", "深圳市对新认定的小巨人企业一次性奖励多少钱？"), Turn("assistant", "……")]
    assert condense("那揭阳呢？", prev) == "揭阳市对新认定的小巨人企业一次性奖励多少钱？"  # not 深圳 + 揭阳
    chain = [*prev, Turn("user", "那揭阳呢？"), Turn("assistant", "……")]
    assert condense("那东莞呢？", chain) == "东莞市对新认定的小巨人企业一次性奖励多少钱？"
    assert condense("其中市级的呢？", prev).startswith("深圳市对新认定的小巨人企业一次性奖励多少钱？")
    assert condense("那揭阳呢？", []) == "那揭阳呢？"


def test_multi_city_answer_headings_and_no_material_lines_are_their_own_blocks() -> None:
    text = "\n".join(["揭阳：", "【揭阳市工业和信息化局 · 答复 · 2023-06-30】", "- 全市共认定高层次人才9361人[1]。",
                      "- 设立人才驿站[2]。", "深圳：", "文档中没有找到深圳的相关材料。"])
    md = answer_markdown(text)
    blocks = md.split("\n\n")
    assert blocks[0] == "**揭阳：**"
    assert blocks[2].startswith("- 全市") and blocks[2].count("\n- ") == 1  # one list, two items
    assert blocks[3] == "**深圳：**" and blocks[4] == "文档中没有找到深圳的相关材料。"


def test_answers_use_full_width_punctuation() -> None:
    assert answer_markdown("- 全市共有企业3193家,专精特新企业2040家[1]。") == \
        "- 全市共有企业3193家，专精特新企业2040家:blue[\\[1\\]]。"


def test_support_span_is_the_sentence_not_the_heading() -> None:
    from assistant.evidence.spans import span_of as support_span

    passage = "(一)加强人才引育\n一是出台人才政策,全市共认定高层次人才9361人。二是设立人才驿站。"
    a, b = support_span("我局出台人才政策，全市共认定高层次人才9361人[1]。", passage)
    assert passage[a:b].startswith("一是出台人才政策") and "9361" in passage[a:b]
    a, b = support_span("- 设立人才驿站[2]。", passage)
    assert passage[a:b] == "设立人才驿站"


def test_citation_meta_has_no_internal_ids() -> None:
    from app.view import citation_meta

    c = {"n": 1, "label": "jieyang-2023-zx7-reply:4", "kind": "答复", "heading_path": "一、主要工作 > (一)加强宣贯"}
    assert citation_meta(c) == "答复 · 一、主要工作 › （一）加强宣贯"
    assert "reply" not in citation_label({"n": 1, "label": "jieyang-2023-zx7-reply:4"})


# -- documents, examples, the app's texts ---------------------------------------------------------------------
RECORDS = {
    "jieyang-2023-zx7-reply": {"title": "关于破解专精特新企业招人难的提案答复", "date": "2023-06-30", "kind": "reply",
                               "office": "揭阳市工业和信息化局", "city": "揭阳", "n_chunks": 9, "file_name": "jy.txt"},
    "old": {"title": "旧文件", "date": "2021-01-01", "kind": "notice", "city": "广州", "n_chunks": 2},
}


def test_document_rows_lead_with_title_date_type_office() -> None:
    from app.view import doc_choice_label, doc_rows

    rows = doc_rows(RECORDS, {"reply": "答复", "notice": "通知"})
    assert list(rows[0])[:5] == ["标题", "路径", "日期", "类型", "办理单位"]
    assert rows[0]["标题"].startswith("关于破解") and rows[0]["类型"] == "答复" and rows[0]["_id"] == "jieyang-2023-zx7-reply"
    assert doc_choice_label(RECORDS, "jieyang-2023-zx7-reply") == \
        "关于破解专精特新企业招人难的提案答复 · jy.txt · 2023年6月30日"


def test_example_questions_come_from_the_documents() -> None:
    from assistant.answers.examples import example_questions

    docs = ["一、主要工作\n截至2023年6月底,全市共认定高层次人才9361人,其中A类人才51人。", "累计培育专精特新企业2040家。"]
    metas = [{"doc_id": "a", "city": "揭阳"}, {"doc_id": "b", "city": "东莞"}]
    qs = example_questions(RECORDS, docs, metas)
    assert "揭阳共认定高层次人才多少人？" in qs and "东莞累计培育专精特新企业多少家？" in qs


def test_delete_document_removes_its_uploaded_file(tmp_path: Path) -> None:
    from types import SimpleNamespace

    from core.settings import Settings
    from ingest.uploads import delete_document

    uploads = tmp_path / "uploads"
    uploads.mkdir()
    (uploads / "jy.txt").write_text("x", encoding="utf-8")
    outside = tmp_path / "jy.txt"
    outside.write_text("mine", encoding="utf-8")
    calls: list[str] = []
    store = SimpleNamespace(doc_records=lambda: RECORDS, delete_document=calls.append, bump_version=lambda: "v")
    svc = SimpleNamespace(store=store, settings=Settings(data_dir=tmp_path))
    assert delete_document(svc, "jieyang-2023-zx7-reply") is True
    assert calls == ["jieyang-2023-zx7-reply"] and not (uploads / "jy.txt").exists() and outside.exists()
    assert delete_document(svc, "old") is False  # a document with no uploaded file


def test_blanks_summary_and_labels_are_chinese() -> None:
    from app.view import blanks_summary
    from assistant.evaluation.report import APP_LABELS, kind_chart_rows

    assert blanks_summary(["未找到材料的诉求", "未找到材料的诉求", "日期"]) == "尚有 3 处待填写：未找到材料的诉求（2处）、日期"
    assert blanks_summary([]) == ""
    chart = kind_chart_rows({"by_kind": {"fact": {"must_include": 0.8}, "compare": {"must_include": 0.5}}})
    assert chart[APP_LABELS["must_include"]] == {"事实": 0.8, "比较": 0.5}
    import re
    assert not any(re.search(r"[A-Za-z]{2,}", v) for v in APP_LABELS.values())


def test_answer_citations_are_shown_in_order_of_first_use() -> None:
    from assistant.evidence.spans import renumbered

    text, cits = renumbered("甲[3]。乙[1][3]。", [{"n": 1, "title": "一"}, {"n": 3, "title": "三"}])
    assert text == "甲[1]。乙[2][1]。" and [(c["n"], c["title"]) for c in cits] == [(1, "三"), (2, "一")]


def test_a_letter_has_no_city_headings() -> None:
    assert answer_markdown("林海代表：\n您提出的建议收悉。", headings=False) == "林海代表：  \n您提出的建议收悉。"


# -- what the pages compute, without Streamlit (app/view.py) --------------------------------------------------------
def test_draft_request_from_the_form() -> None:
    from app.view import draft_request

    assert draft_request({"title": " ", "office": "某局"}) == "请至少填写“来文标题”和“答复单位”。"
    req = draft_request({"title": "《关于融资的建议》 ", "number": "第20250156号", "proposer": " 陈晓代表", "kind": "建议",
                         "body": "1. 设基金", "office": " 广州市工业和信息化局", "date": "2024年4月29日 ", "role": "会办",
                         "lead_office": "市金融局 ", "instructions": "", "category": "", "disclosure": "主动公开",
                         "signer": "张三", "cc": "", "contact": ""})
    assert req.proposal.title == "关于融资的建议" and req.proposal.number == "20250156"
    assert req.proposal.proposer == "陈晓代表" and req.office == "广州市工业和信息化局" and req.date == "2024年4月29日"
    assert req.role == "co" and req.lead_office == "市金融局" and req.fields.disclosure == "主动公开"
    assert draft_request({"title": "t", "office": "o", "role": "主办"}).role == "lead"


def test_an_uploaded_proposal_fills_the_draft_form() -> None:
    from app.view import read_uploaded_proposal
    from assistant.casework.intake import IntakeError

    data = Path(__file__).parent / "data" / "intake" / "proposal-dh0271.txt"
    pre = read_uploaded_proposal("../来文.txt", data.read_bytes(), 10_000_000)
    assert pre["title"] and pre["body"].startswith("1. ") and pre["kind"] in ("建议", "提案")
    with pytest.raises(IntakeError):
        read_uploaded_proposal("空.txt", b"", 10_000_000)


def test_generator_choice_from_the_sidebar_state() -> None:
    from app.view import (
        endpoint_label,
        endpoint_options,
        generator_caption,
        generator_from_state,
        generator_warning,
    )
    from core.settings import Settings

    s = Settings(llm_base_url="https://ours.example/v1", llm_api_key="k")  # type: ignore[call-arg]
    assert generator_from_state({}, s)["generator"] == "offline" and endpoint_options(s) == []
    forged = {"gen_choice": "大模型", "llm_endpoint": "https://evil.example/v1", "llm_model": "x", "llm_api_key": " u "}
    assert generator_from_state(forged, s) == {"generator": "llm", "base_url": "", "model": "", "api_key": "u"}
    assert generator_caption(s, generator_from_state(forged, s)) == "大模型（gpt-4o-mini，https://ours.example/v1）"
    allowed = s.model_copy(update={"llm_user_endpoints": ["https://theirs.example/v1/", "https://ours.example/v1"]})
    assert endpoint_options(allowed) == ["", "https://theirs.example/v1"]
    assert endpoint_label(allowed, "") == "单位配置：https://ours.example/v1"
    picked = generator_from_state({**forged, "llm_endpoint": "https://theirs.example/v1", "llm_api_key": ""}, allowed)
    assert picked == {"generator": "llm", "base_url": "https://theirs.example/v1", "model": "x", "api_key": ""}
    assert "您自己的 API 密钥" in generator_warning(allowed, picked)
    assert generator_warning(allowed, {**picked, "api_key": "u"}) == ""
    assert generator_from_state({**forged, "llm_endpoint": "https://evil.example/v1"}, allowed)["base_url"] == ""


def test_evaluation_page_data() -> None:
    from app.eval_view import eval_caption, eval_config, metric_cells, previous_run, progress_text

    cells = metric_cells({"a": 0.5, "b": 12.0, "c": None}, {"a": 0.25}, {"a": "甲", "b": "乙", "c": "丙", "d": "丁"}, {"b"})
    assert [(c["label"], c["value"], c["delta"], c["delta_color"]) for c in cells] == [
        ("甲", "0.500", "+0.250", "normal"), ("乙", "12", None, "normal"), ("丙", "—", None, "normal")]  # no change: no colour
    assert previous_run({"summary": {}}, "/nonexistent") == {"summary": {}}
    assert previous_run(None, "/nonexistent/run.json") is None
    assert progress_text(0, 3, "问" * 50) == "（1/3）" + "问" * 40

    class Svc:
        class embedder:  # noqa: N801
            name = "e"

        class store:  # noqa: N801
            @staticmethod
            def version() -> str:
                return "v1"

        class settings:  # noqa: N801
            collection, llm_model = "c", "m"

    cfg = eval_config("q.jsonl", {"generator": "llm", "model": ""}, Svc, 8, 1.26)
    assert cfg == {"question_set": "q.jsonl", "generator": "llm", "embedder": "e", "k": 8, "store_version": "v1",
                   "collection": "c", "model": "m", "seconds": 1.3}
    assert eval_config("q", {"generator": "offline", "model": ""}, Svc, 8, 0)["model"] is None
    assert eval_caption(55, {"generator": "offline"}) == "共 55 题 · 生成方式：离线（抽取式，无需密钥）"


def test_uploaded_question_set_is_checked() -> None:
    from app.eval_view import load_uploaded_questions, question_set_error
    from assistant.evaluation.metrics import QuestionSetError

    with pytest.raises(QuestionSetError) as err:
        load_uploaded_questions(b"not json\n")
    assert question_set_error(err.value).startswith("题集格式有误：")


def test_cases_page_rows_and_corrections() -> None:
    from types import SimpleNamespace as NS

    from app.case_view import case_rows, correct_proposal, opinion_rows, version_rows
    from assistant.casework.intake import ParsedProposal

    assert case_rows([NS(id=1, number="12", title="t", status="草稿", versions=2, due="", office="o")]) == [
        {"编号": 1, "来文": "第12号 t", "状态": "草稿", "版本数": 2, "办理期限": "—", "答复单位": "o"}]
    assert opinion_rows([NS(office="o", date="d", points=[1, 2], source="f")])[0]["要点数"] == 2
    assert version_rows([NS(n=1, created="2025-06-01T14:03:05", author="a", note="n")]) == [
        {"版本": 1, "时间": "2025年6月1日 14:03", "经办人": "a", "说明": "n"}]
    p = correct_proposal(ParsedProposal(kind="建议"), {
        "title": " 标题 ", "number": "1", "session": "", "lead": "主办局", "proposers": "甲、 乙、",
        "body_kind": "政协", "co": "丙局、丁局", "asks": "一\n\n二 "})
    assert (p.title, p.proposers, p.kind, p.co_offices, p.asks) == ("标题", ["甲", "乙"], "提案", ["丙局", "丁局"], ["一", "二"])


def test_documents_page_texts() -> None:
    from app.view import doc_caption, doc_parts, filters_from, upload_rejections

    assert doc_caption({"office": "某局", "date": "2024-01-02", "file_name": "a*b.txt"}) == \
        "某局 · 2024年1月2日 · 原文件：a\\*b.txt"
    assert doc_parts({"parts": "reply:答复 | attachment:附件"}) == "答复\n附件" and doc_parts({}) == "（无）"
    assert upload_rejections(["a.txt", "b.exe"], ["txt"]) == ["b.exe：不支持的文件类型（支持 TXT）"]
    f = filters_from("全部", "2023", "全部", " 工信局 ")
    assert (f.city, f.year, f.kind, f.office) == ("", 2023, "", "工信局")

"""What the 办件 and 文档 pages compute, without Streamlit (app/case_view.py, app/zh.py, app/view.py), and the
library's finalising over blanks."""

from __future__ import annotations

from pathlib import Path
from types import SimpleNamespace as NS
from typing import Any

import pytest

from app import case_view as cv
from app.zh import zh_time, zh_times_in
from assistant.casework.intake import parse_proposal_text
from assistant.casework.store import CaseError, CaseStore

REPO = Path(__file__).resolve().parent.parent
PROPOSAL = REPO / "tests" / "data" / "intake" / "proposal-dh0271.txt"


def _case(tmp_path: Path) -> tuple[CaseStore, int]:
    store = CaseStore(tmp_path / "cases.sqlite3")
    p = parse_proposal_text(PROPOSAL.read_text(encoding="utf-8"), PROPOSAL.name)
    return store, store.create(p, "东莞市金融工作局")


def test_times_are_chinese_dates() -> None:
    assert zh_time("2026-12-06T18:58:03") == "2026年12月6日 18:58"
    assert zh_time("2026-12-06 08:05:00") == "2026年12月6日 08:05"
    assert zh_time("2023-06-30") == "2023年6月30日"
    assert zh_time("") == "" and zh_time(None) == "" and zh_time("2024年4月29日") == "2024年4月29日"
    assert zh_times_in("于2025-06-01 14:03:05保存") == "于2025年6月1日 14:03保存"
    assert "T" not in zh_time("2026-12-06T18:58:03+00:00")  # an aware time is shown in local time


def test_case_errors_are_said_the_page_way() -> None:
    from assistant.casework.store import final_message

    msg = cv.case_error_zh(CaseError(final_message(3, "2026-12-06T18:58:03")))
    assert "2026年12月6日 18:58" in msg and "assistant" not in msg and "--reopen" not in msg
    assert "重新打开" in msg


def test_rows_and_lines_show_chinese_times() -> None:
    v = NS(n=1, created="2026-12-06T18:58:03", author="张三", note="生成草稿")
    assert cv.version_rows([v]) == [{"版本": 1, "时间": "2026年12月6日 18:58", "经办人": "张三", "说明": "生成草稿"}]
    e = NS(label="重新打开", created="2026-12-06T19:00:00", who="王五", reason="数据有误")
    assert cv.event_lines([e]) == ["重新打开 2026年12月6日 19:00 王五：数据有误"]
    assert cv.version_label(v) == "第1版（2026年12月6日 18:58，张三）"
    case = NS(id=2, title="关于某事的提案", status="起草中", versions=3, due="")
    assert cv.case_heading(case) == "办件 #2：关于某事的提案（起草中，3 个版本）"
    assert cv.versioned_filename("答复函.docx", 2) == "答复函_第2版.docx"
    row = cv.case_rows([NS(id=1, number="", title="t", status="起草中", versions=1, due="2025-06-30", office="o")])[0]
    assert row["办理期限"] == "2025年6月30日"


def test_state_is_scoped_by_case_and_reset_when_a_case_is_opened() -> None:
    state: dict[str, Any] = {"case_text_1": "a", "case_base_1": 1, "case_text_11": "b", "case_diff_a_1": 1,
                             "case_opinions_g2_1": [], "case_pick": 11, "case_id": 11, "case_office": "局"}
    cv.open_case_state(state, 1)
    assert state == {"case_text_11": "b", "case_pick": 1, "case_id": 1, "case_office": "局"}
    assert cv.current_case(state, [11, 1]) == 1
    assert cv.current_case({"case_id": 5}, [2, 3]) == 2  # a case gone: the first of the list, opened fresh
    state = {"case_id": 3}
    assert cv.current_case(state, [3]) == 3 and state["case_pick"] == 3  # the picker follows the case named


def test_the_editor_loads_only_when_asked_or_empty() -> None:
    state: dict[str, Any] = {}
    latest = NS(n=2, text="第二版")
    cv.ensure_text(state, 1, latest)
    assert (state["case_text_1"], state["case_base_1"]) == ("第二版", 2)
    state["case_text_1"] = "我的修改"
    cv.ensure_text(state, 1, NS(n=3, text="第三版"))
    assert state["case_text_1"] == "我的修改" and state["case_base_1"] == 2  # never silently replaced
    versions = [NS(n=2, text="第二版", author="", created=""), NS(n=3, text="第三版", author="王五",
                                                                 created="2026-12-06T18:58:03")]
    assert cv.is_edited(state, 1, versions)
    assert "第3版已由王五于2026年12月6日 18:58保存" in cv.newer_notice(state, 1, versions)
    assert "尚未保存的修改将被替换" in cv.redraft_notice(3, True) and "存为第4版" in cv.redraft_notice(3, False)
    state["case_conflict_1"] = {"x": 1}
    cv.load_text(state, 1, "第三版", 3)
    cv.ensure_text(state, 1, None)
    assert (state["case_text_1"], state["case_base_1"]) == ("第三版", 3) and "case_conflict_1" not in state


def test_diff_pair_and_export_follow_new_versions() -> None:
    state: dict[str, Any] = {"case_base_1": 2}
    cv.diff_defaults(state, 1, [1, 2])
    assert (state["case_diff_a_1"], state["case_diff_b_1"]) == (1, 2)
    state["case_diff_a_1"] = 2
    cv.diff_defaults(state, 1, [1, 2])
    assert state["case_diff_a_1"] == 2  # the user's pick stays while nothing new came
    cv.diff_defaults(state, 1, [1, 2, 3])
    assert (state["case_diff_a_1"], state["case_diff_b_1"]) == (2, 3)
    cv.export_default(state, 1, [1, 2, 3])
    assert state["case_export_1"] == 2  # the version on screen, not the latest
    state["case_export_1"] = 1
    cv.export_default(state, 1, [1, 2, 3])
    assert state["case_export_1"] == 1
    state["case_base_1"] = 3
    cv.export_default(state, 1, [1, 2, 3])
    assert state["case_export_1"] == 3
    assert "未保存的修改不在导出文件中" in cv.export_caption(3, 3, True)
    assert cv.upload_key(state, 1, "opinions") == "case_opinions_1"
    cv.clear_upload(state, 1, "opinions")
    assert cv.upload_key(state, 1, "opinions") == "case_opinions_g1_1"


def test_save_from_a_base_conflict_and_merge(tmp_path: Path) -> None:
    store, cid = _case(tmp_path)
    store.add_version(cid, "第一稿", "张三")
    state: dict[str, Any] = {}
    cv.ensure_text(state, cid, store.version(cid))
    assert cv.save_text(store, state, cid, "张三", "") == ("info", "内容与第1版相同，未保存新版本。")
    state[cv.key(cid, "text")] = "我的第二稿"
    assert cv.save_text(store, state, cid, "张三", "改") == ("success", "已保存第2版")
    store.add_version(cid, "王五的第三稿", "王五", base=2)
    state[cv.key(cid, "text")] = "我的第三稿"
    kind, msg = cv.save_text(store, state, cid, "张三", "")
    assert kind == "conflict" and "王五已于" in msg and "保存了第3版" in msg and "没有丢失" in msg
    assert state[cv.key(cid, "text")] == "我的第三稿" and len(store.versions(cid)) == 3
    view = state[cv.key(cid, "conflict")]
    assert "第3版（王五） → 编辑框中的文本" in cv.conflict_diff(view, "我的第三稿")
    assert cv.save_text(store, state, cid, "张三", "合并", base=3) == ("success", "已保存第4版")
    assert cv.key(cid, "conflict") not in state and state[cv.key(cid, "base")] == 4
    store.set_final(cid, "定稿")
    kind, msg = cv.save_text(store, state, cid, "张三", "")
    assert kind == "error" and "已定稿" in msg and "assistant" not in msg


def test_finalising_over_blanks_is_refused_unless_confirmed(tmp_path: Path) -> None:
    from assistant.casework.workflow import BlanksLeft, finalize_checked
    from core.settings import Settings

    store, cid = _case(tmp_path)
    store.add_version(cid, "刘芳委员：\n已办理。\n此复\n（联系人：【待填写】，联系电话：【待填写】）", "张三")
    settings = Settings(data_dir=tmp_path / "data")
    letter = "刘芳委员：\n已办理完毕。\n此复\n（联系人：【待填写】，联系电话：【待填写】）".encode()
    with pytest.raises(BlanksLeft) as err:
        finalize_checked(store, settings, cid, "定稿.txt", letter)
    assert err.value.blanks == ["联系人", "联系电话"] and not store.get(cid).is_final
    assert not list((tmp_path / "data" / "cases").rglob("*final*"))  # nothing kept
    assert "2 处待填写（联系人、联系电话）" in cv.blanks_message(err.value.blanks)
    diff, _ = finalize_checked(store, settings, cid, "定稿.txt", letter, who="李四", allow_blanks=True)
    assert store.get(cid).is_final and "{+完毕+}" in diff
    last = store.versions(cid)[-1]
    assert last.note == "定稿（仍有 2 处待填写：联系人、联系电话；李四确认仍然定稿）" and last.author == "李四"
    assert "已办理<ins" in cv.final_diff(store.versions(cid), store.get(cid).final_text or "")  # track changes
    clean = "刘芳委员：\n已办理。\n此复\n（联系人：张三，联系电话：123）".encode()
    store2, cid2 = _case(tmp_path / "b")
    store2.add_version(cid2, "稿", "张三")
    finalize_checked(store2, Settings(data_dir=tmp_path / "b" / "data"), cid2, "定稿.txt", clean)
    assert store2.get(cid2).is_final and len(store2.versions(cid2)) == 1


# -- 文档 page --------------------------------------------------------------------------------------------------------
RECORDS = {
    "2023/答复": {"title": "关于某事的答复", "source": "2023/答复.docx", "date": "2023-06-30", "kind": "reply",
                "n_chunks": 4, "planted": 0},
    "2024/答复": {"title": "关于某事的答复", "source": "2024/答复.docx", "date": "2024-06-30", "kind": "reply",
                "n_chunks": 3, "planted": 2},
}


def test_documents_are_named_by_title_and_path() -> None:
    from app.view import delete_notice, doc_choice_label, doc_rows, planted_rows

    rows = doc_rows(RECORDS, {"reply": "答复"})
    assert [(r["标题"], r["路径"], r["日期"]) for r in rows] == [
        ("关于某事的答复", "2024/答复.docx", "2024年6月30日"), ("关于某事的答复", "2023/答复.docx", "2023年6月30日")]
    assert doc_choice_label(RECORDS, "2023/答复") == "关于某事的答复 · 2023/答复.docx · 2023年6月30日"
    assert planted_rows(RECORDS) == [
        "关于某事的答复（2024/答复.docx）：2 段文字像是对本助手的指令，已不用于回答和起草，请核对原件"]
    notice = delete_notice(RECORDS, "2024/答复")
    assert "2024/答复.docx" in notice and "3 个段落" in notice and "不能撤销" in notice


def test_citations_always_name_their_letter() -> None:
    from app.view import citation_label

    assert citation_label({"n": 1, "title": "关于某事的答复", "office": "某局", "date": "2024-01-02"}) == \
        "\\[1\\] 关于某事的答复 · 某局 · 2024年1月2日"
    untitled = citation_label({"n": 2, "doc_id": "2023/工信局/答复", "file_name": "答复.docx", "office": "某局"})
    assert untitled == "\\[2\\] 答复.docx（2023/工信局） · 某局"
    assert citation_label({"n": 3, "source": "报告.pdf"}) == "\\[3\\] 报告.pdf"


def test_failure_reasons_are_chinese_with_what_to_do() -> None:
    import re

    from ingest.uploads import reason_zh

    for raw in ("corrupt or not a .docx file: File is not a zip file", "corrupt PDF: EOF marker not found",
                "damaged .doc file: bad sector", "encrypted PDF (password required)", "empty file",
                "no text found even after OCR", "unexpected error: KeyError 'x'", "something new",
                "file too large: 123 bytes > limit 100", "unsupported file type '.exe'; supported: txt"):
        zh = reason_zh(raw)
        assert not re.search(r"[A-Za-z]{3,}", zh.replace("Word", "").replace("PDF", "")), (raw, zh)
        assert "；" in zh and "请" in zh, (raw, zh)  # what happened; what to do
    assert reason_zh("corrupt or not a .docx file: x").startswith("文件已损坏，无法打开；请从原系统重新导出后再上传")


def test_a_saved_edit_gets_official_punctuation_and_is_shown(tmp_path: Path) -> None:
    store, cid = _case(tmp_path)
    store.add_version(cid, "一、第一稿", "张三")
    state: dict[str, Any] = {}
    cv.ensure_text(state, cid, store.version(cid))
    state[cv.key(cid, "text")] = "一.第一稿,改了.\n二. 下一步"
    assert cv.save_text(store, state, cid, "张三", "") == ("success", "已保存第2版")
    assert store.version(cid, 2).text == "一、第一稿，改了。\n二、 下一步"
    cv.ensure_text(state, cid, store.version(cid))  # the next run: the editor shows what was saved
    assert state[cv.key(cid, "text")] == store.version(cid, 2).text and state[cv.key(cid, "base")] == 2

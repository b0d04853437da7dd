"""The 办件 page driven by AppTest (fake embedder): what the page shows after each action — the case in view,
edits from a base version, a refused save and its two ways on, confirmations, finalising over blanks, a final
case read-only until reopened."""

from __future__ import annotations

import re
from pathlib import Path
from typing import Any

import pytest

from assistant.casework.store import STATUS_DRAFTING, STATUS_FINAL, CaseStore
from assistant.casework.workflow import draft_of
from assistant.evaluation.asks import judge_asks
from tests.conftest import FakeEmbedder

REPO = Path(__file__).resolve().parent.parent
DATA = REPO / "tests" / "data" / "intake"
PROPOSAL = DATA / "proposal-dh0271.txt"
OFFICE = "东莞市金融工作局"


@pytest.fixture
def app_env(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Path:
    from assistant.cli import commands as cli

    data = tmp_path / "data"
    monkeypatch.setenv("ASSISTANT_DATA_DIR", str(data))
    monkeypatch.setattr("assistant.retrieval.services.make_embedder", lambda settings: FakeEmbedder())
    monkeypatch.chdir(REPO)
    assert cli.main(["ingest", "--quiet"]) == 0
    return data


def _store() -> CaseStore:
    from core.settings import Settings

    return CaseStore.of(Settings())


def _run(at: Any) -> Any:
    at.run()
    assert not at.exception, at.exception
    return at


def _page() -> Any:
    from streamlit.testing.v1 import AppTest

    at = AppTest.from_file(str(REPO / "streamlit_app.py"), default_timeout=120).run()
    assert not at.exception, at.exception
    at.switch_page("app/pages/cases.py")
    return _run(at)


def _open(at: Any, name: str = "来文.txt", data: bytes | None = None) -> Any:
    box = next(u for u in at.get("file_uploader") if str(u.key).startswith("case_proposal_file"))
    box.set_value((name, data or PROPOSAL.read_bytes(), "text/plain"))
    at.text_input(key="case_office").set_value(OFFICE)
    _run(at)
    at.button(key="case_open").click()
    return _run(at)


def _heading(at: Any) -> str:
    return next(str(m.value) for m in at.markdown if str(m.value).startswith("#### "))


def _texts(at: Any) -> str:
    return "\n".join(str(t.value) for t in at.text)


def _diffs(at: Any) -> str:
    """The track changes the page shows (st.html): our markup around the letters' escaped text."""
    return "\n".join(str(h.proto.body) for h in at.get("html"))


def _table(at: Any) -> list[dict[str, Any]]:
    return list(at.dataframe[0].value.to_dict("records"))


def _chinese_only(at: Any) -> None:
    from tests.test_app import _ui_texts, english_words

    texts = [t for t in _ui_texts(at) if not t.startswith(("向量模型：", "存储位置："))]  # a test's paths, the fake model
    words = english_words(texts)
    assert not words, words


def _draft(at: Any, cid: int = 1) -> Any:
    at.button(key=f"case_draft_{cid}").click()
    return _run(at)


def test_one_case_in_view_and_edits_never_lost(app_env: Path) -> None:
    at = _page()
    _open(at)
    assert any("已建立办件 #1" in s.value for s in at.success)
    assert _heading(at).startswith("#### 办件 #1：关于破解专精特新中小企业融资难题的提案（待起草")
    assert not at.get("file_uploader") or all(not getattr(u, "value", None) for u in at.get("file_uploader"))
    _draft(at)
    assert any("已生成并保存第1版" in s.value for s in at.success)
    row = _table(at)[0]
    assert (row["状态"], row["版本数"]) == (STATUS_DRAFTING, 1)  # the case table after drafting, not before
    assert "（起草中，1 个版本" in _heading(at)
    text = at.text_area(key="case_text_1").value
    assert "【日期待填写】" in text and at.session_state["case_base_1"] == 1
    # the editor's text checked: ticks from the evaluator's reading, the check says what it covered
    assert any(e.label.startswith("诉求覆盖与措辞检查") for e in at.expander)
    panel = next(m.value for m in at.markdown if m.value.startswith(("- ✓", "- ✗")))
    asks = [a.ask for a in draft_of(_store().version(1, 1)).asks]
    assert [ln.startswith("- ✓") for ln in panel.split("\n")] == judge_asks(text, asks)
    assert any("已核对草稿中的" in e.value for e in [*at.success, *at.warning])

    # a save names its base; the diff shows the new pair right away
    at.text_area(key="case_text_1").set_value(text.replace("【日期待填写】", "2024年6月1日"))
    at.button(key="case_save_1").click()
    _run(at)
    assert any("已保存第2版" in s.value for s in at.success) and at.session_state["case_base_1"] == 2
    shown = _diffs(at)
    assert "第1版 → 第2版" in shown and "[-" not in shown and "{+" not in shown  # track changes, not markup
    assert re.search(r'<ins style="color:#2e7d32[^"]*">2024年6月1日</ins>', shown), shown
    assert re.search(r'<del style="color:#c62828[^"]*">【日期待填写】</del>', shown), shown
    assert at.selectbox(key="case_export_1").value == 2  # exports default to the version on screen
    assert any("导出第2版" in c.value for c in at.caption)

    # someone else saves version 3 from version 2 meanwhile
    from assistant.casework.workflow import save_edit

    other = text.replace("【日期待填写】", "2024年6月3日")
    assert save_edit(_store(), 1, other, 2, "王五", "改日期") == 3
    _run(at)  # the page says a newer version exists before any save is tried
    assert any("第3版已由王五" in w.value and "比编辑框中的第2版新" in w.value for w in at.warning)
    mine = at.text_area(key="case_text_1").value + "\n补充一句。"
    at.text_area(key="case_text_1").set_value(mine)
    at.button(key="case_save_1").click()
    _run(at)
    err = next(e.value for e in at.error if "未保存" in e.value)
    assert "王五已于" in err and "保存了第3版" in err and "年" in err and "T" not in err.split("王五")[1][:30]
    assert at.text_area(key="case_text_1").value == mine  # never silently replaced
    assert "第3版（王五） → 编辑框中的文本" in _diffs(at)
    assert len(_store().versions(1)) == 3
    _chinese_only(at)
    # merged: saved on top of version 3
    at.button(key="case_save_merged_1").click()
    _run(at)
    assert any("已保存第4版" in s.value for s in at.success) and "case_conflict_1" not in at.session_state
    assert _store().version(1, 4).text.strip() == mine.strip()
    assert "第3版 → 第4版" in _diffs(at)

    # another conflict, resolved by loading the newer version (asked for, never silent)
    assert save_edit(_store(), 1, mine + "\n王五又改。", 4, "王五") == 5
    at.text_area(key="case_text_1").set_value(mine + "\n我也改。")
    at.button(key="case_save_1").click()
    _run(at)
    at.button(key="case_load_newer_1").click()
    _run(at)
    assert at.text_area(key="case_text_1").value.endswith("王五又改。") and at.session_state["case_base_1"] == 5
    assert not any("未保存" in e.value for e in at.error)


def test_switching_cases_resets_and_names_the_case(app_env: Path) -> None:
    at = _page()
    _open(at)
    _draft(at)
    at.text_area(key="case_text_1").set_value("未保存的修改")
    _run(at)
    second = PROPOSAL.read_text(encoding="utf-8").replace("DH0271", "DH0999").replace("融资难题", "用地难题")
    _open(at, "来文二.txt", second.encode("utf-8"))
    assert any("已建立办件 #2" in s.value for s in at.success)
    assert _heading(at).startswith("#### 办件 #2：关于破解专精特新中小企业用地难题的提案")
    assert at.selectbox(key="case_pick").value == 2
    assert "case_text_2" not in at.session_state  # nothing of case 1 shown for case 2
    at.selectbox(key="case_pick").set_value(1)
    _run(at)
    assert _heading(at).startswith("#### 办件 #1：关于破解专精特新中小企业融资难题的提案")
    assert at.text_area(key="case_text_1").value == _store().version(1, 1).text  # opened fresh
    # the same proposal again opens its case instead of a second one
    _open(at, "来文二.txt", second.encode("utf-8"))
    assert any("已有该来文的办件 #2" in s.value for s in at.success) and _heading(at).startswith("#### 办件 #2")


def test_opinions_confirmed_removal_and_redraft_notice(app_env: Path) -> None:
    at = _page()
    _open(at)
    at.file_uploader(key="case_opinions_1").set_value([
        ("工信局.txt", (DATA / "opinion-gxj.txt").read_bytes(), "text/plain"),
        ("财政局.txt", (DATA / "opinion-czj.txt").read_bytes(), "text/plain")])
    _run(at)
    at.button(key="case_attach_1").click()
    _run(at)
    opinions = [t for t in at.dataframe if "会办单位" in t.value.columns]
    assert len(opinions[0].value) == 2  # the opinion list after attaching
    assert not at.file_uploader(key="case_opinions_g1_1").value  # the attached files left the picker
    notice = " ".join(str(m.value) for m in at.markdown)
    assert "资料库中的存档副本不受影响" in notice
    at.selectbox(key="case_rmop_pick_1").set_value("东莞市财政局")
    at.button(key="case_rmop_1").click()
    _run(at)
    assert any("已删除“东莞市财政局”的会办意见" in s.value for s in at.success)
    assert [o.office for o in _store().opinions(1)] == ["东莞市工业和信息化局"]
    _draft(at)
    redraft = " ".join(str(m.value) for m in at.markdown)
    assert "存为第2版" in redraft and "编辑框将换成新草稿" in redraft
    _draft(at)  # the confirm button inside the popover
    assert len(_store().versions(1)) == 2 and at.session_state["case_base_1"] == 2


def test_finalising_over_blanks_and_reopening(app_env: Path) -> None:
    at = _page()
    _open(at)
    _draft(at)
    letter = at.text_area(key="case_text_1").value.replace("【日期待填写】", "2024年6月2日")
    at.file_uploader(key="case_final_1").set_value(("定稿.txt", letter.encode("utf-8"), "text/plain"))
    _run(at)
    assert any("将以上传的签发稿作为定稿：与第1版比对" in str(m.value) for m in at.markdown)
    at.button(key="case_finalize_1").click()
    _run(at)
    refused = next(e.value for e in at.error if "未定稿" in e.value)
    assert "处待填写（" in refused and "联系人、联系电话）" in refused and _store().get(1).status == STATUS_DRAFTING
    at.checkbox(key="case_blanks_ok_1").check()
    at.button(key="case_finalize_1").click()
    _run(at)
    assert any("已定稿" in s.value for s in at.success) and _store().get(1).status == STATUS_FINAL
    assert "联系人、联系电话" in _store().versions(1)[-1].note and "确认仍然定稿" in _store().versions(1)[-1].note
    assert "最后草稿 → 定稿" in _diffs(at) and "2024年6月2日</ins>" in _diffs(at)  # against the draft, not itself
    # read-only: no editor, no save, no draft; the record and the reopen form instead
    assert "case_text_1" not in [t.key for t in at.text_area]
    assert not [b for b in at.button if b.key in ("case_save_1", "case_draft_1")]
    assert "定稿 " in _texts(at) and "年" in _texts(at)
    _chinese_only(at)
    at.button(key="FormSubmitter:case_reopen_form_1-重新打开").click()
    _run(at)
    assert any("请写明重新打开的理由" in e.value for e in at.error) and _store().get(1).status == STATUS_FINAL
    at.text_input(key="case_reopen_who_1").set_value("赵六")
    at.text_area(key="case_reopen_reason_1").set_value("领导要求补充数据")
    at.button(key="FormSubmitter:case_reopen_form_1-重新打开").click()
    _run(at)
    assert any("已重新打开" in s.value for s in at.success) and _store().get(1).status == STATUS_DRAFTING
    assert at.text_area(key="case_text_1").value == _store().versions(1)[-1].text

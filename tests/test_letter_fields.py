"""The letter's fields (答复类别, 公开属性, 抄送, 签发人, 联系人, 电话, date) where the letter is made: the pure rewrite
of the date and contact lines, saving them with a version (library, CLI, 办件 page), and what the .docx carries."""

from __future__ import annotations

from pathlib import Path

import pytest
from docx import Document

from assistant.casework.store import CaseStore, VersionConflict
from assistant.casework.workflow import letter_fields, save_fields
from assistant.letters.model import BLANK, LetterFields, apply_fields, blanks
from core.settings import Settings
from tests.test_app_cases import OFFICE, PROPOSAL, _draft, _open, _page, _run, app_env  # noqa: F401

LETTER = "\n".join([
    "王芳委员：", "您提出的《关于…的提案》收悉。现答复如下：", "一、工作开展情况", "（一）……", "此复",
    "东莞市金融工作局", "【日期待填写】", f"（联系人：{BLANK}，联系电话：{BLANK}）",
])


def test_contact_line_says_what_is_given_and_blanks_the_rest() -> None:
    assert LetterFields(contact="王浪", phone="0769-22830000").contact_line() == "联系人：王浪，联系电话：0769-22830000"
    assert LetterFields(contact="王浪").contact_line() == f"联系人：王浪，联系电话：{BLANK}"
    assert LetterFields(phone="0769-22830000").contact_line() == f"联系人：{BLANK}，联系电话：0769-22830000"
    # an older version kept name and number in one field: read as it is
    assert LetterFields(contact="王浪 0769-22830000").contact_line() == "王浪 0769-22830000"


def test_apply_fields_rewrites_only_the_date_and_contact_lines() -> None:
    out = apply_fields(LETTER, "2025年6月30日", LetterFields(contact="王浪", phone="0769-22830000"))
    lines = out.split("\n")
    assert lines[-2] == "2025年6月30日" and lines[-1] == "（联系人：王浪，联系电话：0769-22830000）"
    assert lines[:-2] == LETTER.split("\n")[:-2]  # the body untouched
    assert blanks(out) == []
    # a date already written is replaced; an empty date leaves it as it is
    again = apply_fields(out, "", LetterFields(contact="李明", phone="0769-1"))
    assert again.split("\n")[-2] == "2025年6月30日" and "李明" in again.split("\n")[-1]
    assert apply_fields(out, "2025年7月1日", LetterFields()).split("\n")[-2] == "2025年7月1日"
    # a letter whose contact line was deleted gets one back, the date before it
    bare = "\n".join(LETTER.split("\n")[:-2])
    got = apply_fields(bare, "2025年6月30日", LetterFields(contact="王浪"))
    assert got.split("\n")[-2:] == ["2025年6月30日", f"（联系人：王浪，联系电话：{BLANK}）"]
    # a body sentence that mentions 联系人 far above the end is never touched
    body = LETTER.replace("（一）……", "（一）建立企业联系人制度。")
    assert "（一）建立企业联系人制度。" in apply_fields(body, "", LetterFields(contact="王浪"))


def _store_with_version(tmp_path: Path) -> tuple[CaseStore, int]:
    from assistant.casework.intake import parse_proposal_text

    store = CaseStore.of(Settings(data_dir=tmp_path / "data"))
    parsed = parse_proposal_text(PROPOSAL.read_text(encoding="utf-8"))
    cid, _ = store.create_or_find(parsed, OFFICE, "lead", "", "")
    store.add_version(cid, LETTER, "张三", "生成草稿", {"request": {"office": OFFICE, "fields": {}}})
    return store, cid


def test_save_fields_makes_a_version_with_the_fields_and_keeps_edits(tmp_path: Path) -> None:
    store, cid = _store_with_version(tmp_path)
    edited = LETTER.replace("（一）……", "（一）已建立融资对接机制。")  # an unsaved edit in the editor
    f = LetterFields("B 正在解决或列入计划", "主动公开", "张局长", "市人大常委会代表工委", "王浪", "0769-22830000")
    n = save_fields(store, cid, edited, 1, f, "2025年6月30日", "李四")
    assert n == 2
    v = store.version(cid, 2)
    assert "（一）已建立融资对接机制。" in v.text and "2025年6月30日" in v.text and "王浪" in v.text
    assert v.note == "填写来函信息" and v.author == "李四"
    assert letter_fields([v]) == (f, "2025年6月30日")
    assert save_fields(store, cid, v.text, 2, f, "2025年6月30日") is None  # nothing changed: no version
    with pytest.raises(VersionConflict):  # made from version 1 while 2 exists: refused, nothing written
        save_fields(store, cid, LETTER, 1, LetterFields(signer="别人"), "")
    assert len(store.versions(cid)) == 2


def test_cli_field_and_final_refuses_blanks(tmp_path: Path, monkeypatch: pytest.MonkeyPatch,
                                            capsys: pytest.CaptureFixture[str]) -> None:
    from assistant.cli import commands as cli

    store, cid = _store_with_version(tmp_path)
    monkeypatch.setenv("ASSISTANT_DATA_DIR", str(tmp_path / "data"))
    assert cli.main(["case", str(cid), "--field", "nickname=x"]) == 2
    assert "不能填写的来函信息" in capsys.readouterr().err
    rc = cli.main(["case", str(cid), "--field", "signer=张局长", "--field", "contact=王浪", "--field",
                   "phone=0769-22830000", "--field", "date=2025年6月30日", "--field", "category=A 已解决或采纳",
                   "--author", "李四"])
    assert rc == 0 and "第2版已保存（来函信息）" in capsys.readouterr().out
    docx = tmp_path / "out.docx"
    assert cli.main(["case", str(cid), "--docx", str(docx)]) == 0
    text = "\n".join(p.text for p in Document(str(docx)).paragraphs)
    assert "签发人：张局长" in text and "答复类别：A 已解决或采纳" in text and "公开属性：【待填写】" in text
    assert "联系人：王浪，联系电话：0769-22830000" in text and "2025年6月30日" in text


def test_page_fields_saved_with_the_version_and_shown_again(app_env: Path) -> None:  # noqa: F811
    at = _page()
    _open(at)
    _draft(at)
    at.text_area(key="case_text_1").set_value(at.text_area(key="case_text_1").value.replace("此复", "特此答复。"))
    boxes = {b.label: b for b in at.selectbox}
    boxes["答复类别"].set_value("B 正在解决或列入计划")
    boxes["公开属性"].set_value("主动公开")
    inputs = {t.label: t for t in at.text_input}
    for label, value in {"日期": "2025年6月30日", "签发人": "张局长", "抄送": "市人大常委会代表工委", "联系人": "王浪",
                         "联系电话": "0769-22830000"}.items():
        inputs[label].set_value(value)
    next(b for b in at.button if "保存来函信息" in str(b.proto.label)).click()
    _run(at)
    assert any("已保存第2版" in s.value for s in at.success)
    v = CaseStore.of(Settings()).version(1, 2)
    assert "特此答复。" in v.text and "2025年6月30日" in v.text and "（联系人：王浪，联系电话：0769-22830000）" in v.text
    fields, date = letter_fields([v])
    assert (fields.signer, fields.category, fields.cc, date) == ("张局长", "B 正在解决或列入计划", "市人大常委会代表工委",
                                                                 "2025年6月30日")
    # the page shows what is stored: the editor holds version 2, the form the saved values
    assert at.text_area(key="case_text_1").value == v.text
    assert {t.label: t.value for t in at.text_input}["签发人"] == "张局长"
    assert {b.label: b.value for b in at.selectbox}["公开属性"] == "主动公开"

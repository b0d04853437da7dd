"""The drafter's day on the 办件 page in a real browser (`streamlit run` + headless Debian chromium): two cases
made in a row and the second edited, opinions attached, a draft, the letter's fields, versions saved and compared,
finalising refused over blanks and then accepted, an export — and after every action, what the page shows (case
number, version, opinion list, diff versions) and that what it shows is readable (no English word a civil servant
would read, no ISO time, no raw markup). Screenshots of each step go to artifacts/screenshots/."""

from __future__ import annotations

import re
import shutil
from pathlib import Path
from typing import Any

from tests.test_app import corpus_store  # noqa: F401  (the shared session fixture)
from tests.test_browser import (
    REPO,
    SHOTS,
    _corpus_words,
    _english,
    _go,
    _idle,
    _launch,
    _server,
    _stop,
    _visible_text,
    _wait_healthy,
    pytestmark,  # noqa: F401  (integration; skipped without playwright or chromium)
)

INTAKE = REPO / "tests" / "data" / "intake"
FIRST = REPO / "eval" / "proposals" / "gz-rd20250123-lianming.txt"
SECOND = INTAKE / "proposal-dh0271.txt"
OFFICE = "东莞市金融工作局"

# what a reader should never see: an ISO time, the CLI's diff markup, escaped or raw HTML/Markdown
ISO_TIME = re.compile(r"\d{4}-\d{2}-\d{2}[T ]\d{2}:\d{2}")
RAW_MARKUP = re.compile(r"\[-|-\]|\{\+|\+\}|</?(?:ins|del|span|div|br|p|b)\b|&lt;|&gt;|&amp;|\*\*|:material/|:red\[|:green\[")


def unreadable(text: str, own: set[str]) -> list[str]:
    """What on a page a civil servant could not read: English words (beside formats, units and the documents' own
    words), ISO times, raw markup."""
    found = [f"英文：{w}" for w in sorted(_english(text, own))]
    found += [f"时间：{m}" for m in ISO_TIME.findall(text)]
    found += [f"标记：{m}" for m in RAW_MARKUP.findall(text)]
    return found


def test_unreadable_finds_what_it_should() -> None:
    assert unreadable("已保存第2版（2026年12月6日 18:58）", set()) == []
    bad = unreadable("Saved 2026-12-06T18:58 [-旧-]{+新+} <ins>x</ins> **粗**", set())
    assert "英文：Saved" in bad and "时间：2026-12-06T18:58" in bad
    assert {"标记：[-", "标记：{+", "标记：<ins", "标记：**"} <= set(bad)


def _main_text(page: Any) -> str:
    return _visible_text(page)


def _check(page: Any, name: str, own: set[str], seen: dict[str, list[str]]) -> str:
    """Screenshot the page, record what is unreadable on it, return its visible text."""
    _idle(page)
    SHOTS.mkdir(parents=True, exist_ok=True)
    page.screenshot(path=str(SHOTS / f"case-{name}.png"), full_page=True)
    text = _main_text(page)
    seen[name] = unreadable(text, own)
    assert page.get_by_test_id("stException").count() == 0, name
    return text


def _settled(page: Any) -> None:
    """The script run is over and nothing of the previous run is left on the page (a message drawn at the top
    shows before the run reaches the widgets below it)."""
    _idle(page)
    page.wait_for_function("""() => !document.querySelector('[data-stale="true"]')""", timeout=120_000, polling=200)


def _heading(page: Any) -> str:
    return str(page.get_by_test_id("stMain").locator("h4").first.inner_text())


def _click(page: Any, label: str) -> None:
    page.get_by_test_id("stMain").get_by_role("button", name=label, exact=True).first.click()
    _idle(page)


def _new_case(page: Any, path: Path) -> None:
    from playwright.sync_api import expect

    main = page.get_by_test_id("stMain")
    exp = main.get_by_test_id("stExpander").filter(has_text="新建办件").first
    drop = exp.get_by_test_id("stFileUploaderDropzoneInput")
    if not exp.get_by_test_id("stFileUploaderDropzone").is_visible():  # collapsed once a case exists
        exp.locator("summary").first.click()
        expect(exp.get_by_test_id("stFileUploaderDropzone")).to_be_visible(timeout=30_000)
    drop.set_input_files(str(path))
    _idle(page)
    go = exp.get_by_role("button", name="读取来文并建立办件", exact=True)
    expect(go).to_be_enabled(timeout=60_000)  # enabled once the file is in
    box = exp.get_by_label("答复单位", exact=True)
    box.fill(OFFICE)
    box.press("Enter")
    _idle(page)
    go.click()
    _idle(page)


def _select(page: Any, label: str, option: str) -> None:
    page.get_by_test_id("stMain").get_by_label(label, exact=True).first.click()
    page.get_by_role("option", name=option, exact=True).click()
    _idle(page)


def test_drafters_day(corpus_store: Path, tmp_path: Path) -> None:  # noqa: F811
    from docx import Document
    from playwright.sync_api import expect, sync_playwright

    from assistant.casework.store import CaseStore
    from core.settings import Settings

    data = tmp_path / "data"
    shutil.copytree(corpus_store, data)
    own = _corpus_words() | {"DH"}  # a proposal number's letters are the document's own
    seen: dict[str, list[str]] = {}
    server, url, log = _server(data, tmp_path)
    try:
        _wait_healthy(url, server)
        with sync_playwright() as p:
            browser = _launch(p, tmp_path)
            try:
                page = browser.new_page()
                page.set_viewport_size({"width": 1400, "height": 2600})
                page.goto(url)
                expect(page.get_by_test_id("stChatInputTextArea")).to_be_visible(timeout=120_000)
                _go(page, "办件")
                main = page.get_by_test_id("stMain")
                expect(main.get_by_text("还没有办件", exact=False)).to_be_visible()

                # two cases in a row: the page names and shows the one just made
                _new_case(page, FIRST)
                expect(main.get_by_text("已建立办件 #1", exact=False)).to_be_visible(timeout=120_000)
                assert _heading(page).startswith("办件 #1：")
                _check(page, "1-first", own, seen)
                _new_case(page, SECOND)
                expect(main.get_by_text("已建立办件 #2", exact=False)).to_be_visible(timeout=120_000)
                assert _heading(page).startswith("办件 #2：") and "专精特新" in _heading(page)
                text = _check(page, "2-second", own, seen)
                assert "尚未附加会办意见" in text

                # opinions: the list shows them at once, the "none yet" line is gone
                up = main.get_by_test_id("stFileUploader").filter(has_text="上传会办意见")
                up.get_by_test_id("stFileUploaderDropzoneInput").set_input_files(
                    [str(INTAKE / "opinion-gxj.txt"), str(INTAKE / "opinion-czj.txt")])
                _idle(page)
                _click(page, "附加会办意见")
                expect(main.get_by_text("已附加：东莞市财政局", exact=False)).to_be_visible(timeout=120_000)
                text = _check(page, "3-opinions", own, seen)
                assert "东莞市工业和信息化局" in text and "尚未附加会办意见" not in text
                assert _heading(page).startswith("办件 #2：")

                # the draft: version 1 in the editor, the case table says so
                _click(page, "生成草稿")
                expect(main.get_by_text("已生成并保存第1版", exact=False)).to_be_visible(timeout=240_000)
                editor = main.get_by_label("草稿（修改后保存为新版本）", exact=True)
                # the message is drawn above the editor: wait for the run to reach the editor before reading it
                expect(editor).to_have_value(re.compile("【日期待填写】"), timeout=120_000)
                _settled(page)
                letter = editor.input_value()
                assert "经会同市工业和信息化局、市财政局" in letter and "【日期待填写】" in letter
                text = _check(page, "4-draft", own, seen)
                assert "起草中" in text

                # the letter's fields, saved with the text as version 2
                _select(page, "答复类别", "B 正在解决或列入计划")
                _select(page, "公开属性", "主动公开")
                for label, value in (("日期", "2025年6月30日"), ("签发人", "张局长"), ("联系人", "王浪"),
                                     ("联系电话", "0769-22830000")):
                    main.get_by_label(label, exact=True).fill(value)
                _click(page, "保存来函信息（存为新版本）")
                expect(main.get_by_text("已保存第2版", exact=False)).to_be_visible(timeout=60_000)
                expect(editor).to_have_value(re.compile("0769-22830000"), timeout=120_000)
                _settled(page)
                letter = editor.input_value()
                assert "2025年6月30日" in letter and "（联系人：王浪，联系电话：0769-22830000）" in letter
                assert main.get_by_label("签发人", exact=True).input_value() == "张局长"
                _check(page, "5-fields", own, seen)

                # an edit saved as version 3; the comparison follows to 第2版 → 第3版
                editor.fill(letter.replace("此复", "特此答复。"))
                editor.press("Control+Enter")
                _idle(page)
                main.get_by_label("修改说明", exact=True).fill("改结束语")
                _click(page, "保存为新版本")
                expect(main.get_by_text("已保存第3版", exact=False)).to_be_visible(timeout=60_000)
                expect(main.get_by_text("第2版 → 第3版", exact=False).first).to_be_visible()
                expect(editor).to_have_value(re.compile("特此答复"), timeout=120_000)
                _settled(page)
                _check(page, "6-versions", own, seen)  # the version table is drawn on a canvas: read the store
                assert CaseStore.of(Settings(data_dir=data)).versions(2)[-1].note == "改结束语"

                # finalising: a signed letter with a blank is refused with the list; the filled one is accepted
                final = tmp_path / "签发稿.txt"
                signed = re.sub(r"\[\d+\]", "", editor.input_value())
                final.write_text(signed.replace("张局长", "").replace("0769-22830000", "【待填写】"), encoding="utf-8")
                fin = main.get_by_test_id("stFileUploader").filter(has_text="上传签发后的定稿")
                fin.get_by_test_id("stFileUploaderDropzoneInput").set_input_files(str(final))
                _idle(page)
                main.get_by_role("button", name=re.compile("定稿…")).first.click()
                page.get_by_role("button", name="确认定稿", exact=True).click()
                _idle(page)
                expect(main.get_by_text("处待填写", exact=False).first).to_be_visible(timeout=120_000)
                text = _check(page, "7-blanks-refused", own, seen)
                assert "联系电话" in text
                assert CaseStore.of(Settings(data_dir=data)).get(2).final_text is None
                filled = tmp_path / "签发稿-补全.txt"
                filled.write_text(re.sub(r"【[^】]*】", "（略）", signed), encoding="utf-8")
                fin.get_by_test_id("stFileUploaderDropzoneInput").set_input_files(str(filled))
                _idle(page)
                main.get_by_role("button", name=re.compile("定稿…")).first.click()
                page.get_by_role("button", name="确认定稿", exact=True).click()
                _idle(page)
                expect(main.get_by_text("已定稿，定稿已存入资料库", exact=False).first).to_be_visible(timeout=240_000)
                text = _check(page, "8-final", own, seen)
                assert "本办件只读" in text and _heading(page).startswith("办件 #2：")

                # the export names its version and carries the fields
                with page.expect_download() as got:
                    main.get_by_role("button", name="对外印发稿（.docx）").click()
                download = got.value
                assert "第3版" in download.suggested_filename
                path = tmp_path / "out.docx"
                download.save_as(str(path))
                body = "\n".join(p.text for p in Document(str(path)).paragraphs)
                assert "签发人：张局长" in body and "答复类别：B 正在解决或列入计划" in body

                # every other page, read the same way
                for name in ("问答", "文档", "起草答复函", "评测"):
                    _go(page, name)
                    _check(page, f"page-{name}", own, seen)
            finally:
                browser.close()
    finally:
        _stop(server, log)
    shutil.rmtree(tmp_path / "profile", ignore_errors=True)
    assert not any(seen.values()), {k: v for k, v in seen.items() if v}

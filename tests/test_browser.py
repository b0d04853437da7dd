"""End to end in a real browser: `streamlit run` + headless Debian chromium driven by Playwright."""

from __future__ import annotations

import json
import os
import re
import shutil
import subprocess
import sys
import time
from pathlib import Path
from typing import Any

import pytest

from benchmarks.bench_app import free_port as _free_port
from benchmarks.bench_app import wait_healthy as _wait_healthy
from tests.test_app import corpus_store  # noqa: F401  (the shared session fixture)

REPO = Path(__file__).resolve().parent.parent
CHROMIUM = Path("/usr/bin/chromium")
SHOTS = REPO / "artifacts" / "screenshots"
QUESTION = "揭阳到2023年6月底认定了多少名高层次人才？"

pytestmark = pytest.mark.integration
try:
    import playwright.sync_api  # noqa: F401
except ImportError:
    pytestmark = [pytestmark, pytest.mark.skip(reason="the playwright package is not installed (pip install playwright)")]
if not CHROMIUM.exists():
    pytestmark = [pytestmark, pytest.mark.skip(reason="/usr/bin/chromium is missing (apt-get install chromium)")]


def _server(data: Path, tmp_path: Path, port: int | None = None, flags: tuple[str, ...] = (),
            **extra: str) -> tuple[subprocess.Popen[bytes], str, Any]:
    """`streamlit run` on 127.0.0.1 (a free port unless given), with extra command-line flags (e.g. a secrets
    file outside the repository: `--secrets.files`) and environment."""
    port = port or _free_port()
    url = f"http://127.0.0.1:{port}"
    env = {**os.environ, "ASSISTANT_DATA_DIR": str(data), "HF_HUB_OFFLINE": "1",
           "HTTPS_PROXY": "http://127.0.0.1:9", "HTTP_PROXY": "http://127.0.0.1:9", "NO_PROXY": "127.0.0.1,localhost",
           **extra}
    log = (tmp_path / "streamlit.log").open("wb")
    server = subprocess.Popen(
        [sys.executable, "-m", "streamlit", "run", "streamlit_app.py", "--server.headless", "true",
         "--server.address", "127.0.0.1", "--server.port", str(port), "--browser.gatherUsageStats", "false", *flags],
        cwd=REPO, env=env, stdout=log, stderr=subprocess.STDOUT)
    return server, url, log


def _stop(server: subprocess.Popen[bytes], log: Any) -> None:
    server.terminate()
    try:
        server.wait(timeout=10)
    except subprocess.TimeoutExpired:
        server.kill()
    log.close()


def _launch(p: Any, tmp_path: Path) -> Any:
    return p.chromium.launch_persistent_context(
        str(tmp_path / "profile"), executable_path=str(CHROMIUM), headless=True,
        args=["--headless", "--no-sandbox", "--disable-gpu", "--disable-background-networking",
              "--disable-component-update", "--disable-sync", "--no-first-run"],
        viewport={"width": 1400, "height": 1000}, locale="zh-CN")


def _visible_text(page: Any) -> str:
    """What a user reads on the page: rendered text nodes, without icon ligatures (translate="no", drawn
    as icons), text hidden from sight (aria-hidden, clipped screen-reader text) and style sheets."""
    return str(page.evaluate("""() => {
        const out = [];
        const walk = document.createTreeWalker(document.body, NodeFilter.SHOW_TEXT);
        let n;
        while ((n = walk.nextNode())) {
            const e = n.parentElement;
            if (!e || !n.textContent.trim() || e.closest('style, script, [translate="no"], [aria-hidden="true"]')) continue;
            if (!e.checkVisibility({opacityProperty: true, visibilityProperty: true})) continue;
            const r = e.getBoundingClientRect();
            if (r.width < 3 || r.height < 3) continue;
            out.push(n.textContent.trim());
        }
        return out.join("\\n");
    }"""))


def _idle(page: Any, timeout: int = 120_000) -> None:
    """The script run is over: no spinner left on the page."""
    page.wait_for_timeout(300)
    page.wait_for_function("""() => !document.querySelector('[data-testid="stSpinner"]')
        && !document.querySelector('[data-testid="stStatusWidget"] [data-testid="stStatusWidgetRunningIcon"]')""",
                           timeout=timeout, polling=200)
    page.wait_for_timeout(500)


def _go(page: Any, name: str) -> None:
    """Open a page by its link in the sidebar's navigation and wait until it is drawn: its heading shown and
    nothing of the previous page left.

    A busy machine may start the rerun after _idle's first look, so the old page's elements (marked
    data-stale while the new script runs) can still be in the DOM; waiting on them makes this hold. The link is
    clicked once the current run is over (a download button's click reruns the page it is on), and clicked again
    when the page does not change: a click that lands while a run is being torn down can be lost.
    """
    from playwright.sync_api import expect

    _idle(page)
    link = page.get_by_test_id("stSidebarNav").get_by_role("link").filter(has_text=name).get_by_text(name, exact=True)
    heading = page.get_by_test_id("stMain").get_by_role("heading", name=name, exact=True)
    for _ in range(2):
        link.click()
        try:
            expect(heading).to_be_visible(timeout=90_000)
            break
        except AssertionError:
            _idle(page)
    expect(heading).to_be_visible(timeout=120_000)
    _idle(page)
    page.wait_for_function("""() => !document.querySelector('[data-stale="true"]')""", timeout=120_000, polling=200)


def test_chat_in_browser(corpus_store: Path, tmp_path: Path) -> None:  # noqa: F811
    from playwright.sync_api import expect, sync_playwright

    t_start = time.perf_counter()
    server, url, log = _server(corpus_store, tmp_path)
    try:
        _wait_healthy(url, server)
        with sync_playwright() as p:
            browser = _launch(p, tmp_path)
            try:
                page = browser.new_page()
                page.goto(url)
                box = page.get_by_test_id("stChatInputTextArea")
                expect(box).to_be_visible(timeout=120_000)
                box.fill(QUESTION)
                t_ask = time.perf_counter()
                box.press("Enter")
                answers = page.get_by_test_id("stChatMessage").filter(has_text="9361")
                # the first streamed text appears in the assistant's message (the user's holds the question)
                page.wait_for_function(
                    """() => [...document.querySelectorAll('[data-testid="stChatMessage"]')]
                          .some(m => m.innerText.includes('9361') || m.innerText.includes('揭阳市工业和信息化局 ·'))""",
                    timeout=120_000, polling=20)
                t_first = time.perf_counter()
                expect(page.get_by_test_id("stExpander").first).to_be_visible(timeout=120_000)
                expect(answers.last).to_be_visible()
                t_answer = time.perf_counter()
                # the first exchange reruns the page (the example questions give way to the conversation): an
                # expander opened before that rerun would be drawn again closed, so wait for it to be over
                page.wait_for_function("""() => !document.querySelector('[class*="st-key-example_"]')
                    && !document.querySelector('[data-stale="true"]')""", timeout=120_000, polling=200)
                _idle(page)
                exp = page.get_by_test_id("stExpander").filter(has_text="[1]").first
                exp.locator("summary").click()
                expect(exp.get_by_text("9361", exact=False).last).to_be_visible()
                page.wait_for_timeout(800)  # let the expander finish opening before the screenshot
                assert page.get_by_text("Traceback").count() == 0 and page.get_by_test_id("stException").count() == 0
                body = page.inner_text("body")
                assert "\\[" not in body and ":orange-background" not in body and ":blue[" not in body
                assert "-reply:" not in body
                # the cited span is highlighted in bold, on the sentence with the figure
                marked = exp.locator("strong").filter(has_text="9361")
                expect(marked.first).to_be_visible()
                SHOTS.mkdir(parents=True, exist_ok=True)
                page.screenshot(path=str(SHOTS / "chat.png"), full_page=True)
                print(f"\ncold start → first answer visible: {t_answer - t_start:.1f} s; "
                      f"question → first streamed text: {t_first - t_ask:.2f} s; "
                      f"question → final answer with citations: {t_answer - t_ask:.2f} s")
            finally:
                browser.close()
    finally:
        _stop(server, log)
    shutil.rmtree(tmp_path / "profile", ignore_errors=True)


ALLOWED = {"PDF", "DOCX", "DOC", "WPS", "OFD", "OCR", "TXT", "MD", "HTML", "HTM", "JSON", "JSONL", "MARKDOWN", "WORD",
           "API", "MB", "KB", "GB", "B", "A", "C", "JPG", "JPEG", "PNG", "TIF", "TIFF", "BMP"}


def _corpus_words() -> set[str]:
    """Latin words the documents themselves use, in their text and file names (theirs, not the app's)."""
    words: set[str] = {"exe"}  # the rejected upload's own name
    for f in (REPO / "corpus").rglob("*"):
        if f.is_file():
            words |= set(re.findall(r"[A-Za-z][A-Za-z-]+", f.read_text(encoding="utf-8", errors="ignore") + f.name))
    return words


def _english(text: str, own: set[str]) -> set[str]:
    return {w for w in re.findall(r"[A-Za-z][A-Za-z-]+", text) if w.upper() not in ALLOWED and w not in own}


def test_every_page_in_chinese_with_screenshots(corpus_store: Path, tmp_path: Path) -> None:  # noqa: F811
    from playwright.sync_api import expect, sync_playwright

    own = _corpus_words()
    server, url, log = _server(corpus_store, tmp_path)
    seen: dict[str, set[str]] = {}
    try:
        _wait_healthy(url, server)
        with sync_playwright() as p:
            browser = _launch(p, tmp_path)
            try:
                page = browser.new_page()
                page.set_viewport_size({"width": 1400, "height": 2400})  # the whole page in each screenshot
                page.goto(url)
                expect(page.get_by_test_id("stChatInputTextArea")).to_be_visible(timeout=120_000)
                _idle(page)
                SHOTS.mkdir(parents=True, exist_ok=True)
                # first load: example questions drawn from the documents, clickable
                examples = page.get_by_test_id("stButton").filter(has_text="？")
                expect(examples.first).to_be_visible()
                page.screenshot(path=str(SHOTS / "chat-first-load.png"), full_page=True)
                seen["chat-first-load"] = _english(_visible_text(page), own)
                examples.first.click()
                expect(page.get_by_test_id("stChatMessage").nth(1)).to_be_visible(timeout=60_000)
                # the first exchange ends with a rerun (the examples give way): ask the next question after it
                expect(page.get_by_test_id("stChatMessage").nth(1).get_by_text("生成方式", exact=False)) \
                    .to_be_visible(timeout=240_000)
                expect(examples).to_have_count(0, timeout=60_000)
                _idle(page)
                # a comparison: city headings and "no material" lines as blocks of their own
                box = page.get_by_test_id("stChatInputTextArea")
                box.fill("广州和揭阳分别累计培育了多少家专精特新小巨人企业？")
                box.press("Enter")
                expect(page.get_by_test_id("stChatMessage").nth(3)).to_be_visible(timeout=60_000)
                _idle(page)
                last = page.get_by_test_id("stChatMessage").nth(3)
                # each city heading is a paragraph of its own, outside any list item
                heads = last.locator("p > strong").filter(has_text="：")
                # the streamed text is replaced by the checked answer when it is done (its 生成方式 line): wait for it
                expect(last.get_by_text("生成方式", exact=False)).to_be_visible(timeout=240_000)
                expect(heads).to_have_count(2, timeout=60_000)
                assert last.locator("li strong").count() == 0
                page.screenshot(path=str(SHOTS / "chat-compare.png"), full_page=True)
                seen["chat"] = _english(_visible_text(page), own)

                _go(page, "起草答复函")
                item = json.loads((REPO / "tests" / "data" / "letter_proposals.json").read_text(encoding="utf-8"))[0]
                prop = item["proposal"]
                for label, value in (("来文标题", prop["title"]), ("编号", prop["number"]), ("提出人", prop["proposer"]),
                                     ("正文或主要建议", prop["body"]), ("答复单位", item["office"]),
                                     ("日期", item["date"])):
                    page.get_by_label(label, exact=True).fill(value)
                page.get_by_text("生成草稿", exact=True).click()
                expect(page.get_by_text("诉求覆盖", exact=False)).to_be_visible(timeout=60_000)
                _idle(page)
                text = _visible_text(page)
                assert "尚有" in text and "待填写" in text
                page.screenshot(path=str(SHOTS / "draft.png"), full_page=True)
                seen["draft"] = _english(text, own)

                _go(page, "文档")
                bad = tmp_path / "旧格式.exe"
                bad.write_bytes(b"MZ\x00\x00")
                page.get_by_test_id("stFileUploaderDropzoneInput").set_input_files(str(bad))
                expect(page.get_by_test_id("stAlert").filter(has_text="不支持的文件类型").first).to_be_visible(timeout=30_000)
                _idle(page)
                text = _visible_text(page)
                assert "Upload" not in text and "Drag and drop" not in text and "per file" not in text
                page.screenshot(path=str(SHOTS / "documents-upload-error.png"), full_page=True)
                seen["documents"] = _english(text, own)

                _go(page, "评测")
                page.get_by_text("开始评测", exact=True).click()
                expect(page.get_by_test_id("stMetric").first).to_be_visible(timeout=300_000)
                _idle(page, 300_000)
                page.screenshot(path=str(SHOTS / "evaluation.png"), full_page=True)
                seen["evaluation"] = _english(_visible_text(page), own)
                assert page.get_by_test_id("stException").count() == 0
            finally:
                browser.close()
    finally:
        _stop(server, log)
    shutil.rmtree(tmp_path / "profile", ignore_errors=True)
    assert not any(seen.values()), seen


SERVER_KEY = "sk-server-key-0123456789"
USER_KEY = "sk-user-own-key-9876543210"


def _ask_and_wait(page: Any, question: str) -> Any:
    """A new conversation, one question; the assistant's message once its checked answer is shown."""
    from playwright.sync_api import expect

    page.get_by_test_id("stButton").filter(has_text="新对话").click()
    _idle(page)
    box = page.get_by_test_id("stChatInputTextArea")
    box.fill(question)
    box.press("Enter")
    answer = page.get_by_test_id("stChatMessage").nth(1)
    expect(answer.get_by_text("生成方式", exact=False)).to_be_visible(timeout=240_000)
    _idle(page)
    return answer


def test_a_picked_endpoint_never_gets_the_server_key(corpus_store: Path, tmp_path: Path) -> None:  # noqa: F811
    """Two loopback OpenAI-compatible servers: ours (configured, the server's key), theirs (allowed for users).
    Picked in the sidebar, theirs gets the user's key only, and nothing at all without one."""
    from playwright.sync_api import expect, sync_playwright

    from tests.fake_openai import FakeOpenAI

    with FakeOpenAI() as ours, FakeOpenAI() as theirs:
        theirs.script("全市共认定高层次人才9361人。")  # uncited: the check finds its passage
        extra = {"ASSISTANT_LLM_BASE_URL": ours.base_url, "ASSISTANT_LLM_API_KEY": SERVER_KEY,
                 "ASSISTANT_LLM_USER_ENDPOINTS": theirs.base_url, "ASSISTANT_LLM_MAX_RETRIES": "0",
                 "ASSISTANT_LLM_TIMEOUT_S": "60", "OPENAI_API_KEY": "", "OPENAI_BASE_URL": ""}
        server, url, log = _server(corpus_store, tmp_path, **extra)
        try:
            _wait_healthy(url, server)
            with sync_playwright() as p:
                browser = _launch(p, tmp_path)
                try:
                    page = browser.new_page()
                    page.goto(url)
                    expect(page.get_by_test_id("stChatInputTextArea")).to_be_visible(timeout=120_000)
                    _idle(page)
                    sidebar = page.get_by_test_id("stSidebar")
                    sidebar.get_by_text("大模型", exact=True).click()
                    picker = sidebar.get_by_test_id("stSelectbox").filter(has_text="接口地址")
                    expect(picker).to_be_visible(timeout=60_000)
                    _idle(page)
                    picker.get_by_role("combobox").click()
                    page.get_by_role("option", name=theirs.base_url, exact=True).click()
                    expect(sidebar.get_by_text("您自己的 API 密钥", exact=False)).to_be_visible(timeout=60_000)
                    _idle(page)
                    # without a key of the user's: answered offline, nothing sent to theirs
                    answer = _ask_and_wait(page, QUESTION)
                    expect(answer.get_by_text("您自己的 API 密钥", exact=False)).to_be_visible()
                    assert theirs.requests == [] and ours.requests == []
                    key = sidebar.get_by_label("API 密钥", exact=True)
                    key.fill(USER_KEY)
                    key.press("Enter")
                    expect(sidebar.get_by_text("您自己的 API 密钥", exact=False)).to_have_count(0, timeout=60_000)
                    _idle(page)
                    answer = _ask_and_wait(page, QUESTION)
                    expect(answer.get_by_text("生成方式：大模型", exact=False)).to_be_visible()
                    assert "9361" in answer.inner_text()
                    assert SERVER_KEY not in page.content() and USER_KEY not in page.inner_text("body")
                finally:
                    browser.close()
        finally:
            _stop(server, log)
        shutil.rmtree(tmp_path / "profile", ignore_errors=True)
        assert [r["authorization"] for r in theirs.requests] == [f"Bearer {USER_KEY}"]
        assert ours.requests == []


def test_two_people_editing_one_case(corpus_store: Path, tmp_path: Path) -> None:  # noqa: F811
    """Two browser sessions on one case: the second save from the same base is refused with who saved and when,
    the edit stays on screen with the diff, and is saved on top once merged."""
    from playwright.sync_api import expect, sync_playwright

    from assistant.casework.intake import parse_proposal_text
    from assistant.casework.store import CaseStore

    data = tmp_path / "data"
    shutil.copytree(corpus_store, data)
    prop = REPO / "tests" / "data" / "intake" / "proposal-dh0271.txt"
    store = CaseStore(data / "cases.sqlite3")
    cid = store.create(parse_proposal_text(prop.read_text(encoding="utf-8"), prop.name), "东莞市金融工作局")
    store.add_version(cid, "刘芳委员：\n您的提案收悉。\n此复", "张三", "生成草稿")
    own = _corpus_words()
    server, url, log = _server(data, tmp_path)
    try:
        _wait_healthy(url, server)
        with sync_playwright() as p:
            browser = _launch(p, tmp_path)
            try:
                pages = []
                for _ in range(2):
                    page = browser.new_page()
                    page.set_viewport_size({"width": 1400, "height": 2400})
                    page.goto(url)
                    expect(page.get_by_test_id("stChatInputTextArea")).to_be_visible(timeout=120_000)
                    _go(page, "办件")
                    expect(page.get_by_text("办件 #1：", exact=False).first).to_be_visible(timeout=60_000)
                    pages.append(page)
                first, second = pages

                def save(page: Any, extra: str) -> None:
                    box = page.get_by_label("草稿（修改后保存为新版本）", exact=True)
                    box.fill("刘芳委员：\n您的提案收悉。\n" + extra + "\n此复")
                    box.press("Control+Enter")
                    _idle(page)
                    page.get_by_test_id("stButton").filter(has_text="保存为新版本").click()
                    _idle(page)

                save(second, "乙补充的一句。")
                expect(second.get_by_text("已保存第2版", exact=False)).to_be_visible(timeout=60_000)
                save(first, "甲补充的一句。")
                refused = first.get_by_test_id("stAlert").filter(has_text="未保存")
                expect(refused).to_be_visible(timeout=60_000)
                assert "保存了第2版" in refused.inner_text() and "年" in refused.inner_text()
                assert "甲补充的一句。" in first.get_by_label("草稿（修改后保存为新版本）", exact=True).input_value()
                expect(first.get_by_text("第2版（未署名） → 编辑框中的文本", exact=False)).to_be_visible()
                SHOTS.mkdir(parents=True, exist_ok=True)
                first.screenshot(path=str(SHOTS / "case-conflict.png"), full_page=True)
                seen = _english(_visible_text(first), own)
                first.get_by_test_id("stButton").filter(has_text="我已合并，以第2版为基础保存").click()
                _idle(first)
                expect(first.get_by_text("已保存第3版", exact=False)).to_be_visible(timeout=60_000)
                assert first.get_by_test_id("stException").count() == 0
            finally:
                browser.close()
    finally:
        _stop(server, log)
    shutil.rmtree(tmp_path / "profile", ignore_errors=True)
    assert [v.n for v in CaseStore(data / "cases.sqlite3").versions(cid)] == [1, 2, 3]
    assert not seen, seen

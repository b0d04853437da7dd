"""End to end in a real browser: `streamlit run` + headless Debian chromium driven by Playwright."""

from __future__ import annotations

import os
import shutil
import subprocess
import sys
import time
from pathlib import Path

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


def test_chat_in_browser(corpus_store: Path, tmp_path: Path) -> None:  # noqa: F811
    from playwright.sync_api import expect, sync_playwright

    port = _free_port()
    url = f"http://127.0.0.1:{port}"
    env = {**os.environ, "ASSISTANT_DATA_DIR": str(corpus_store), "HF_HUB_OFFLINE": "1",
           "HTTPS_PROXY": "http://127.0.0.1:9", "HTTP_PROXY": "http://127.0.0.1:9", "NO_PROXY": "127.0.0.1,localhost"}
    log = (tmp_path / "streamlit.log").open("wb")
    t_start = time.perf_counter()
    server = subprocess.Popen(
        [sys.executable, "-m", "streamlit", "run", "streamlit_app.py", "--server.headless", "true",
         "--server.address", "127.0.0.1", "--server.port", str(port), "--browser.gatherUsageStats", "false"],
        cwd=REPO, env=env, stdout=log, stderr=subprocess.STDOUT)
    try:
        _wait_healthy(url, server)
        with sync_playwright() as p:
            browser = p.chromium.launch_persistent_context(
                str(tmp_path / "profile"), executable_path=str(CHROMIUM), headless=True,
                args=["--headless", "--no-sandbox", "--disable-gpu", "--disable-background-networking",
                      "--disable-component-update", "--disable-sync", "--no-first-run"],
                viewport={"width": 1400, "height": 1000}, locale="zh-CN")
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
                exp = page.get_by_test_id("stExpander").filter(has_text="[1]").first
                exp.locator("summary").click()
                expect(exp.get_by_text("9361", exact=False).last).to_be_visible()
                page.wait_for_timeout(800)  # let the expander finish opening before the screenshot
                assert page.get_by_text("Traceback").count() == 0 and page.get_by_test_id("stException").count() == 0
                body = page.inner_text("body")
                assert "\\[" not in body and ":orange-background" not in body and ":blue[" not in body
                SHOTS.mkdir(parents=True, exist_ok=True)
                page.screenshot(path=str(SHOTS / "chat.png"), full_page=True)
                print(f"\ncold start → first answer visible: {t_answer - t_start:.1f} s; "
                      f"question → first streamed text: {t_first - t_ask:.2f} s; "
                      f"question → final answer with citations: {t_answer - t_ask:.2f} s")
            finally:
                browser.close()
    finally:
        server.terminate()
        try:
            server.wait(timeout=10)
        except subprocess.TimeoutExpired:
            server.kill()
        log.close()
    shutil.rmtree(tmp_path / "profile", ignore_errors=True)

"""Browser timings of the app: cold start to first answer, and question → first streamed text / final answer.

    python benchmarks/bench_app.py [--data-dir data] [--questions 8]

Starts `streamlit run` on a free 127.0.0.1 port against an ingested store (run `assistant ingest` first)
and drives Debian's Chromium with Playwright (never a downloaded browser). Prints figures; asserts nothing.
"""

from __future__ import annotations

import argparse
import json
import os
import socket
import statistics
import subprocess
import sys
import tempfile
import time
import urllib.request
from pathlib import Path

REPO = Path(__file__).resolve().parent.parent
CHROMIUM = "/usr/bin/chromium"
ARGS = ["--headless", "--no-sandbox", "--disable-gpu", "--disable-background-networking",
        "--disable-component-update", "--disable-sync", "--no-first-run"]


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return int(s.getsockname()[1])


def wait_healthy(url: str, proc: subprocess.Popen[bytes], timeout: float = 180) -> None:
    """Until /_stcore/health answers; RuntimeError if the server exits or never answers."""
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        if proc.poll() is not None:
            raise RuntimeError(f"streamlit exited with {proc.returncode}")
        try:
            with urllib.request.urlopen(f"{url}/_stcore/health", timeout=2) as r:
                if r.status == 200:
                    return
        except OSError:
            time.sleep(0.2)
    raise RuntimeError("streamlit did not become healthy")


def questions(n: int) -> list[str]:
    items = [json.loads(ln) for ln in (REPO / "eval" / "questions.jsonl").read_text(encoding="utf-8").splitlines()
             if ln.strip() and not ln.startswith("#")]
    return [i["question"] for i in items if i["kind"] in ("fact", "list", "compare")][:n]


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    ap.add_argument("--data-dir", default=os.environ.get("ASSISTANT_DATA_DIR", "data"))
    ap.add_argument("--questions", type=int, default=8)
    args = ap.parse_args()
    from playwright.sync_api import expect, sync_playwright

    port = free_port()
    url = f"http://127.0.0.1:{port}"
    env = {**os.environ, "ASSISTANT_DATA_DIR": str(Path(args.data_dir).resolve())}
    t0 = time.perf_counter()
    server = subprocess.Popen([sys.executable, "-m", "streamlit", "run", "streamlit_app.py", "--server.headless",
                               "true", "--server.address", "127.0.0.1", "--server.port", str(port),
                               "--browser.gatherUsageStats", "false"], cwd=REPO, env=env,
                              stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
    first: list[float] = []
    final: list[float] = []
    cold = 0.0
    try:
        wait_healthy(url, server)
        healthy = time.perf_counter() - t0
        with sync_playwright() as p, tempfile.TemporaryDirectory() as profile:
            browser = p.chromium.launch_persistent_context(profile, executable_path=CHROMIUM, headless=True, args=ARGS,
                                                           viewport={"width": 1400, "height": 1000})
            page = browser.new_page()
            page.goto(url)
            for i, q in enumerate(questions(args.questions)):
                box = page.get_by_test_id("stChatInputTextArea")
                expect(box).to_be_visible(timeout=180_000)
                n_before = page.get_by_test_id("stChatMessage").count()
                box.fill(q)
                t_ask = time.perf_counter()
                box.press("Enter")
                # the assistant's message is the second new one; its first text is the first streamed piece
                page.wait_for_function(
                    f"""() => {{ const m = document.querySelectorAll('[data-testid="stChatMessage"]');
                               return m.length >= {n_before + 2} && m[m.length - 1].innerText.trim().length > 0; }}""",
                    timeout=180_000, polling=10)
                t_first = time.perf_counter()
                page.wait_for_function(  # the final, checked answer carries the timing caption
                    """() => { const m = document.querySelectorAll('[data-testid="stChatMessage"]');
                               return m[m.length - 1].innerText.includes('生成方式'); }""", timeout=180_000, polling=10)
                t_done = time.perf_counter()
                if i == 0:
                    cold = t_done - t0
                first.append((t_first - t_ask) * 1000)
                final.append((t_done - t_ask) * 1000)
            browser.close()
    finally:
        server.terminate()
        server.wait(timeout=20)

    def p(values: list[float], q: int) -> float:
        return statistics.quantiles(values, n=100, method="inclusive")[q - 1] if len(values) > 1 else values[0]

    print(f"server healthy after            {healthy:6.1f} s")
    print(f"cold start → first answer       {cold:6.1f} s (server start, page load, first question answered)")
    print(f"question → first streamed text  p50 {p(first, 50):6.0f} ms   p95 {p(first, 95):6.0f} ms   (n={len(first)})")
    print(f"question → final answer         p50 {p(final, 50):6.0f} ms   p95 {p(final, 95):6.0f} ms")


if __name__ == "__main__":
    main()

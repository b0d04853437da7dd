"""BM25 over jieba tokens (bm25s), with the project's domain dictionary and a shared tokenizer."""

from __future__ import annotations

import logging
import re
import threading
from importlib import resources
from pathlib import Path
from typing import Any

import numpy as np

from ingest.clean import normalize_text

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


class LexicalIndex:
    """An immutable BM25 index over a snapshot of the store; replaced whole when the store changes."""

    def __init__(self, ids: list[str], texts: list[str], documents: list[str], metadatas: list[dict[str, Any]],
                 version: str, k1: float = 1.2, b: float = 0.3) -> None:
        import bm25s

        self.ids, self.documents, self.metadatas, self.version = ids, documents, metadatas, version
        self._bm25 = bm25s.BM25(k1=k1, b=b)
        if ids:
            self._bm25.index([tokenize(t) or ["∅"] for t in texts], show_progress=False)
        self._vocab: dict[str, int] = dict(getattr(self._bm25, "vocab_dict", {}) or {})

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

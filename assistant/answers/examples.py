"""Example questions for the chat page, made from the archive's own figures (one per document)."""

from __future__ import annotations

import re
from collections.abc import Sequence
from typing import Any

from core.text import split_sentences, to_fullwidth

_NUMBER_FACT = re.compile(r"(\d[\d.,]*)\s*(亿元|万元|元|家|个|项|名|人次|人|场次|场|条|亩|批)")


def example_questions(records: dict[str, dict[str, Any]], documents: Sequence[str],
                      metadatas: Sequence[dict[str, Any]], limit: int = 4) -> list[str]:
    """A few questions the store can answer, drawn from its own documents: a sentence stating a figure
    becomes "…多少家？" for its city; one question per document, documents in turn."""
    from assistant.retrieval.hybrid import HIDDEN_DOCS

    hidden = HIDDEN_DOCS.get()  # never a question drawn from a document this reader may not read
    by_doc: dict[str, list[str]] = {}
    for text, m in zip(documents, metadatas, strict=False):
        if m.get("role") == "outline" or not m.get("city") or str(m.get("doc_id", "")) in hidden:
            continue
        for sent in split_sentences(str(text), "。;；"):
            s = sent.rstrip("。;；").strip()
            head = re.split(r"[,，]", s)
            clause = next((c for c in head if _NUMBER_FACT.search(c) and 8 <= len(c) <= 32), "")
            if not clause or re.match(r"^[一二三四五六七八九十]+、|^\(", clause):
                continue
            m2 = _NUMBER_FACT.search(clause)
            assert m2 is not None
            stem = clause[: m2.start()].strip()
            if len(re.findall(r"[\u4e00-\u9fff]", stem)) < 6 or re.search(r"\d{4}年|\d", stem[-2:]):
                continue
            city = str(m["city"])
            stem = re.sub(r"^(全市|我市|本市|市)", "", stem)
            if not stem.startswith(city.removesuffix("市")):
                stem = city + stem
            q = to_fullwidth(f"{stem}多少{m2.group(2)}？")
            by_doc.setdefault(str(m.get("doc_id", "")), []).append(q)
    out: list[str] = []
    queues = [qs for _, qs in sorted(by_doc.items())]
    while len(out) < limit and any(queues):
        for qs in queues:
            if qs and len(out) < limit:
                q = qs.pop(0)
                if q not in out:
                    out.append(q)
    return out

"""Odd questions and duplicate files: a clear answer or message, never a stack trace."""

from __future__ import annotations

import shutil
from pathlib import Path

import pytest

from assistant.answers.answer import Assistant
from assistant.retrieval.hybrid import HybridRetriever
from assistant.retrieval.services import Services
from ingest.pipeline import discover, ingest_paths


@pytest.fixture
def assistant(store, settings, fake_embedder, corpus_dir: Path) -> Assistant:
    ingest_paths(discover(corpus_dir), store, settings, progress=False)
    return Assistant(Services(settings, fake_embedder, store, HybridRetriever(store, fake_embedder, settings)))


@pytest.mark.parametrize(
    ("question", "refused"),
    [
        ("", True),
        ("   \n\t ", True),
        ("？？？！！。。", True),
        ("How many little giant firms does Guangzhou have?", True),
        ("\x00\x01广州\x07小巨人企业多少家\x1b", False),
        ("广州小巨人企业有多少家？" * 1800, False),  # ~20,000 characters
        ("广州 little giant 企业 多少家", False),
    ],
)
def test_odd_questions_get_an_answer_or_a_clear_message(assistant: Assistant, question: str, refused: bool) -> None:
    ans = assistant.ask(question)
    assert ans.text.strip() and "Traceback" not in ans.text
    assert ans.refused is refused
    if refused:
        assert ans.text.startswith(("请输入问题", "提供的文档中没有"))
    else:
        assert "248家" in ans.text


def test_same_document_under_two_names_is_ingested_once(store, settings, corpus_dir: Path, tmp_path: Path) -> None:
    src = corpus_dir / "guangzhou-2024-rd20242679-reply.txt"
    folder = tmp_path / "dup"
    folder.mkdir()
    shutil.copy(src, folder / "a-reply.txt")
    shutil.copy(src, folder / "b 同一份答复.txt")
    report = ingest_paths(discover(folder), store, settings, progress=False)
    assert report.added == 1 and report.failed == [] and len(report.duplicates) == 1  # stored once, said so
    assert report.duplicates[0][1].startswith("same content as ") and "a-reply.txt" in report.duplicates[0][1]
    assert set(store.doc_records()) == {"a-reply"}

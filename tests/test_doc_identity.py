"""A document is its path relative to the ingest root: same-name files in two folders, in one run or in two,
never replace each other; unchanged trees change nothing; older stores move to path ids without re-embedding;
uploads of the same name are two documents and a failed one removes nothing stored."""

from __future__ import annotations

import shutil
from pathlib import Path

import pytest

from assistant.cli.archive import find_document
from core.settings import Settings
from core.store import Store
from ingest.pipeline import IngestReport, Source, discover_sources, ingest_paths
from ingest.uploads import delete_document, ingest_uploads
from tests.conftest import FakeEmbedder

GZ = "guangzhou-2024-rd20242679-reply.txt"
JY = "jieyang-2023-zx7-reply.txt"


def run(items: list[Path] | list[Source], store: Store, settings: Settings, prune: bool = False) -> IngestReport:
    return ingest_paths(items, store, settings, prune=prune, progress=False)


@pytest.fixture
def archive(tmp_path: Path, corpus_dir: Path) -> Path:
    """A bureau's archive: 2023/答复.txt and 2024/答复.txt, two different letters of the same name."""
    root = tmp_path / "archive"
    for year, src in (("2023", GZ), ("2024", JY)):
        (root / year).mkdir(parents=True)
        shutil.copy(corpus_dir / src, root / year / "答复.txt")
    return root


def test_same_name_in_two_folders_is_two_documents(archive: Path, store: Store, settings: Settings) -> None:
    report = run(discover_sources(archive), store, settings)
    assert report.failed == [] and report.added == 2
    recs = store.doc_records()
    assert set(recs) == {"2023/答复", "2024/答复"}
    assert recs["2023/答复"]["source"] == "2023/答复.txt" and "揭阳" not in str(recs["2023/答复"]["title"])
    assert "揭阳" in store.doc_text("2024/答复")  # each letter kept its own text


def test_an_unchanged_tree_changes_nothing(archive: Path, store: Store, settings: Settings,
                                           fake_embedder: FakeEmbedder) -> None:
    run(discover_sources(archive), store, settings)
    before = (store.doc_records(), store.version(), fake_embedder.passages_embedded)
    again = run(discover_sources(archive), store, settings)
    assert (again.unchanged, again.added, again.updated, again.embedded) == (2, 0, 0, 0)
    assert store.version() == before[1] and fake_embedder.passages_embedded == before[2]
    assert {k: v["file_sha"] for k, v in store.doc_records().items()} == {
        k: v["file_sha"] for k, v in before[0].items()}


def test_a_changed_file_updates_its_own_document(archive: Path, store: Store, settings: Settings) -> None:
    run(discover_sources(archive), store, settings)
    other_text = store.doc_text("2023/答复")
    path = archive / "2024" / "答复.txt"
    path.write_text(path.read_text(encoding="utf-8") + "\n补充说明：本答复另附附件一份。\n", encoding="utf-8")
    report = run(discover_sources(archive), store, settings)
    assert (report.updated, report.unchanged, report.added) == (1, 1, 0)
    assert "补充说明" in (store.doc_text("2024/答复") or "") and store.doc_text("2023/答复") == other_text


def test_a_later_run_from_another_root_never_replaces(archive: Path, store: Store, settings: Settings) -> None:
    """`assistant ingest archive/2023` then `assistant ingest archive/2024`: both are 答复 at their root."""
    first = run(discover_sources(archive / "2023"), store, settings)
    assert set(store.doc_records()) == {"答复"} and first.added == 1
    kept = store.doc_text("答复")
    second = run(discover_sources(archive / "2024"), store, settings)
    assert second.added == 1 and second.updated == 0 and second.failed == []
    assert [doc_id for _, doc_id in second.renamed] == ["2024/答复"]
    assert store.doc_text("答复") == kept and "揭阳" in (store.doc_text("2024/答复") or "")
    # and each run again is unchanged: the renamed one keeps its new id
    assert run(discover_sources(archive / "2024"), store, settings).unchanged == 1
    assert set(store.doc_records()) == {"答复", "2024/答复"}


def test_same_stem_two_formats_of_different_text_are_two_documents(
        tmp_path: Path, corpus_dir: Path, store: Store, settings: Settings) -> None:
    root = tmp_path / "a"
    root.mkdir()
    shutil.copy(corpus_dir / GZ, root / "答复.txt")
    shutil.copy(corpus_dir / JY, root / "答复.md")
    report = run(discover_sources(root), store, settings)
    assert report.failed == [] and report.added == 2
    assert set(store.doc_records()) == {"答复", "答复.txt"} or set(store.doc_records()) == {"答复", "答复.md"}


def test_an_older_store_moves_to_path_ids_without_embedding(
        archive: Path, store: Store, settings: Settings, fake_embedder: FakeEmbedder) -> None:
    """A store from before: nested files were kept under their file name. Re-ingest moves them, vectors and all."""
    legacy = [Path(archive / "2023" / "答复.txt")]
    run(legacy, store, settings)  # a bare path: its name is its id, as every file's was
    rec = dict(store.doc_records()["答复"])
    text = store.doc_text("答复")
    store.docs.delete(ids=["答复"])  # as an older version wrote it: no source fields
    store.docs.add(ids=["答复"], embeddings=[[0.5]], documents=[text],
                   metadatas=[{k: v for k, v in rec.items() if k not in ("source", "source_abs")}])
    embedded = fake_embedder.passages_embedded
    report = run([Source(archive / "2023" / "答复.txt", "2023/答复.txt")], store, settings, prune=True)
    assert report.rekeyed == 1 and report.embedded == 0 and fake_embedder.passages_embedded == embedded
    assert set(store.doc_records()) == {"2023/答复"} and report.pruned == 0
    assert store.chunk_doc_ids() == {"2023/答复"}


def test_docs_remove_by_path_is_unambiguous(archive: Path, store: Store, settings: Settings) -> None:
    run(discover_sources(archive), store, settings)
    recs = store.doc_records()
    assert find_document(recs, "2024/答复.txt") == ("2024/答复", [])
    assert find_document(recs, str(archive / "2023" / "答复.txt")) == ("2023/答复", [])
    doc_id, could_be = find_document(recs, "答复.txt")  # the bare name: both letters carry it
    assert doc_id is None and could_be == ["2023/答复", "2024/答复"]


class _Services:
    def __init__(self, store: Store, settings: Settings) -> None:
        self.store, self.settings = store, settings


def test_uploads_of_the_same_name_are_two_documents_and_a_failed_one_removes_nothing(
        corpus_dir: Path, store: Store, settings: Settings) -> None:
    svc = _Services(store, settings)
    a, b = (corpus_dir / GZ).read_bytes(), (corpus_dir / JY).read_bytes()
    first = ingest_uploads([("答复.txt", a)], svc)
    second = ingest_uploads([("答复.txt", b)], svc)
    assert first.failed == [] and second.failed == [] and len(store.doc_records()) == 2
    saved = sorted((settings.data_dir / "uploads").rglob("答复.txt"))
    assert len(saved) == 2 and {p.read_bytes() for p in saved} == {a, b}
    bad = ingest_uploads([("答复.txt", b"")], svc)  # the same name again, an empty file: refused
    assert len(bad.failed) == 1 and len(store.doc_records()) == 2
    assert {p.read_bytes() for p in (settings.data_dir / "uploads").rglob("答复.txt")} == {a, b}
    again = ingest_uploads([("答复.txt", a)], svc)  # the same bytes again: nothing new
    assert again.unchanged == 1 and len(store.doc_records()) == 2
    gone = next(d for d, m in store.doc_records().items() if "揭阳" not in str(m.get("title")))
    assert delete_document(svc, gone) is True
    assert [p.read_bytes() for p in (settings.data_dir / "uploads").rglob("答复.txt")] == [b]

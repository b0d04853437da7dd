"""Ingest into a temporary Chroma store with the fake embedder: idempotence, updates, pruning, bad
inputs, embedder mismatch and recovery from a run killed half-way."""

from __future__ import annotations

import shutil
from pathlib import Path

import numpy as np
import pytest

from core.settings import Settings
from core.store import Store, StoreError
from ingest.pipeline import IngestReport, discover, ingest_paths, parse_file
from tests.conftest import REPO_ROOT, FakeEmbedder

GUANGZHOU = "guangzhou-2024-rd20242679-reply"
JIEYANG = "jieyang-2023-zx7-reply"
NEW_PARAGRAPH = (
    "  (六)以人才培育为支撑,进一步夯实发展基础。组织专精特新企业高层管理人员参加专题研修,"
    "每年举办校企人才对接活动不少于5场。\n\n"
)


class Killed(BaseException):
    """Stands in for SIGKILL/Ctrl-C: not an Exception, so the ingest loop cannot swallow it."""


class DyingEmbedder(FakeEmbedder):
    """Embeds normally, then raises once more than `die_after` passages would have been embedded."""

    def __init__(self, die_after: int, exc: type[BaseException] = Killed) -> None:
        super().__init__()
        self.die_after = die_after
        self.exc = exc

    def embed_passages(self, texts: list[str]) -> np.ndarray:
        if self.passages_embedded + len(texts) > self.die_after:
            raise self.exc("embedder died")
        return super().embed_passages(texts)


class OtherEmbedder(FakeEmbedder):
    name = "fake/other-32"
    dim = 32


def ingest(paths: list[Path], store: Store, settings: Settings, prune: bool = False) -> IngestReport:
    return ingest_paths(paths, store, settings, prune=prune, progress=False)


def all_ids(store: Store) -> set[str]:
    return set(store.chunks.get(include=[])["ids"])


def shas(store: Store) -> dict[str, str]:
    return {doc_id: rec["file_sha"] for doc_id, rec in store.doc_records().items()}


@pytest.fixture
def settings(tmp_path: Path) -> Settings:
    """As conftest's, with bigger embedding batches: each Chroma upsert costs ~50 ms of fsync."""
    return Settings(data_dir=tmp_path / "data", collection="test-replies", embed_batch_size=64)


@pytest.fixture(scope="module")
def reference(
    tmp_path_factory: pytest.TempPathFactory, _tiktoken_cache: Path
) -> tuple[set[str], dict[str, str], int]:
    """Chunk ids, file hashes and count of a clean, uninterrupted ingest of the corpus (built once)."""
    ref_settings = Settings(
        data_dir=tmp_path_factory.mktemp("reference") / "data", collection="test-replies", embed_batch_size=64
    )
    with pytest.MonkeyPatch.context() as mp:
        mp.setenv("TIKTOKEN_CACHE_DIR", str(_tiktoken_cache))
        ref = Store(ref_settings, FakeEmbedder())
        paths = discover(REPO_ROOT / "corpus")
        report = ingest(paths, ref, ref_settings)
    assert report.failed == [] and report.added == len(paths) == 5
    return all_ids(ref), shas(ref), ref.count()


@pytest.fixture
def corpus_copy(tmp_path: Path, corpus_dir: Path) -> Path:
    dest = tmp_path / "corpus"
    shutil.copytree(corpus_dir, dest)
    return dest


def test_first_ingest_then_reingest_is_a_no_op(
    store: Store, settings: Settings, fake_embedder: FakeEmbedder, corpus_dir: Path
) -> None:
    assert store.version() == "empty"
    paths = discover(corpus_dir)
    report = ingest(paths, store, settings)
    assert report.failed == []
    assert (report.documents, report.added, report.updated, report.unchanged) == (5, 5, 0, 0)
    assert report.chunks == store.count() > 0
    assert report.embedded == store.count() == fake_embedder.passages_embedded
    assert set(store.doc_records()) == {p.stem for p in paths}
    expected_ids = set().union(*({c.id for c in parse_file(p, settings).record.chunks} for p in paths))
    assert all_ids(store) == expected_ids
    version = store.version()
    assert version != "empty"

    again = ingest(paths, store, settings)
    assert again.failed == []
    assert (again.documents, again.added, again.updated, again.unchanged) == (5, 0, 0, 5)
    assert again.embedded == 0
    assert again.chunks == report.chunks == store.count()
    assert again.sections == report.sections
    assert fake_embedder.passages_embedded == report.embedded
    assert store.version() == version
    assert all_ids(store) == expected_ids


def test_stored_chunks_carry_text_and_metadata(
    store: Store, settings: Settings, fake_embedder: FakeEmbedder, corpus_dir: Path
) -> None:
    path = corpus_dir / f"{GUANGZHOU}.txt"
    ingest([path], store, settings)
    parsed = parse_file(path, settings)
    got = store.chunks.get(where={"doc_id": GUANGZHOU}, include=["documents", "metadatas"])
    stored = dict(zip(got["ids"], zip(got["documents"], got["metadatas"], strict=True), strict=True))
    assert len(stored) == len(parsed.record.chunks)
    for chunk in parsed.record.chunks:
        text, md = stored[chunk.id]
        assert text == chunk.text
        assert md["heading_path"] == chunk.metadata["heading_path"] and md["date"] == chunk.metadata["date"]
    assert store.doc_text(GUANGZHOU) == parsed.record.text
    rec = store.doc_records()[GUANGZHOU]
    assert rec["n_chunks"] == len(parsed.record.chunks) and rec["proposer"] == "魏朗代表"
    # the vector search returns the passage whose wording is closest to the query
    needle = next(c for c in parsed.record.chunks if "市财政给予一次性100万元奖励" in c.text)
    hits = store.query_ids(fake_embedder.embed_query(needle.embed_text), 1)
    assert hits["ids"][0] == [needle.id]


def test_modified_file_reembeds_only_new_chunks(
    store: Store, settings: Settings, fake_embedder: FakeEmbedder, corpus_copy: Path
) -> None:
    paths = discover(corpus_copy)
    first = ingest(paths, store, settings)
    assert first.failed == []
    target = corpus_copy / f"{GUANGZHOU}.txt"
    before = {c.id for c in parse_file(target, settings).record.chunks}
    count_before, version_before = store.count(), store.version()

    text = target.read_text(encoding="utf-8")
    anchor = "  感谢您对我市中小企业发展工作的关心和支持"
    assert anchor in text
    target.write_text(text.replace(anchor, NEW_PARAGRAPH + anchor), encoding="utf-8")
    after = {c.id for c in parse_file(target, settings).record.chunks}
    new_ids, gone_ids = after - before, before - after
    assert new_ids and gone_ids and before & after  # some chunks change, most stay

    embedded_before = fake_embedder.passages_embedded
    report = ingest(paths, store, settings)
    assert report.failed == []
    assert (report.documents, report.added, report.updated, report.unchanged) == (5, 0, 1, 4)
    assert report.embedded == len(new_ids) < len(after)
    assert fake_embedder.passages_embedded - embedded_before == len(new_ids)
    assert store.chunk_ids(GUANGZHOU) == after
    assert not gone_ids & all_ids(store)
    assert store.count() == count_before + len(new_ids) - len(gone_ids) == report.chunks
    assert store.version() != version_before
    assert store.doc_records()[GUANGZHOU]["file_sha"] == parse_file(target, settings).record.file_sha
    assert any(
        "每年举办校企人才对接活动不少于5场" in d for d in store.chunks.get(ids=sorted(new_ids))["documents"]
    )


def test_deleted_file_is_pruned_only_when_asked(store: Store, settings: Settings, corpus_copy: Path) -> None:
    ingest(discover(corpus_copy), store, settings)
    n_jieyang = len(store.chunk_ids(JIEYANG))
    total = store.count()
    assert n_jieyang > 0
    (corpus_copy / f"{JIEYANG}.txt").unlink()

    kept = ingest(discover(corpus_copy), store, settings)
    assert kept.pruned == 0 and JIEYANG in store.doc_records() and store.count() == total

    version = store.version()
    report = ingest(discover(corpus_copy), store, settings, prune=True)
    assert report.pruned == 1
    assert (report.documents, report.unchanged) == (4, 4)
    assert JIEYANG not in store.doc_records()
    assert store.chunk_ids(JIEYANG) == set()
    assert not any(m["doc_id"] == JIEYANG for m in store.chunks.get(include=["metadatas"])["metadatas"])
    assert store.count() == total - n_jieyang == report.chunks
    assert store.version() != version


def test_bad_inputs_are_reported_and_do_not_hurt_the_batch(
    store: Store, settings: Settings, tmp_path: Path, corpus_dir: Path
) -> None:
    ingest(discover(corpus_dir), store, settings)
    ids_before, shas_before = all_ids(store), shas(store)

    bad_dir = tmp_path / "incoming"
    bad_dir.mkdir()
    (bad_dir / "empty.txt").write_bytes(b"")
    (bad_dir / "binary.txt").write_bytes(b"\x00\x01\x02\xff\xfe\x00PK\x00" * 500)
    (bad_dir / "corrupt.docx").write_bytes(b"PK\x03\x04 this is not a zip archive" * 10)
    (bad_dir / "huge.txt").write_text("专精特新企业培育工作取得积极成效。" * 4000, encoding="utf-8")
    (bad_dir / "good-new.txt").write_text(
        "某市工业和信息化局关于第5号建议的答复\n王五代表:\n您提出的建议收悉。现答复如下:\n"
        "一、工作情况\n我局积极推动专精特新企业发展,今年新增省级专精特新企业30家。\n"
        "此复\n某市工业和信息化局\n2024年3月1日\n",
        encoding="utf-8",
    )
    small = Settings(data_dir=settings.data_dir, collection=settings.collection, max_file_mb=0.05)
    assert all(p.stat().st_size < small.max_file_bytes for p in discover(corpus_dir))
    assert (bad_dir / "huge.txt").stat().st_size > small.max_file_bytes

    report = ingest([*discover(bad_dir), *discover(corpus_dir)], store, small)
    reasons = {Path(path).name: reason for path, reason in report.failed}
    assert set(reasons) == {"empty.txt", "binary.txt", "corrupt.docx", "huge.txt"}
    assert "empty" in reasons["empty.txt"]
    assert "binary" in reasons["binary.txt"]
    assert "corrupt" in reasons["corrupt.docx"]
    assert "too large" in reasons["huge.txt"]
    assert (report.added, report.unchanged, report.documents) == (1, 5, 6)
    assert "good-new" in store.doc_records()
    assert store.chunk_ids("good-new")
    assert ids_before <= all_ids(store)  # nothing previously stored was lost
    assert {k: v for k, v in shas(store).items() if k != "good-new"} == shas_before


def test_the_same_file_twice_in_one_batch_is_stored_once(
    store: Store, settings: Settings, tmp_path: Path, corpus_dir: Path
) -> None:
    src = corpus_dir / f"{GUANGZHOU}.txt"
    other = tmp_path / "other"
    other.mkdir()
    shutil.copy(src, other / src.name)
    report = ingest([src, other / src.name], store, settings)
    assert report.added == 1 and report.failed == []  # the same bytes twice: stored once, said so
    assert [Path(p) for p, _ in report.duplicates] == [other / src.name]
    assert "same content" in report.duplicates[0][1]


def test_embedder_mismatch_is_refused(store: Store, settings: Settings, corpus_dir: Path) -> None:
    ingest([corpus_dir / f"{GUANGZHOU}.txt"], store, settings)
    with pytest.raises(StoreError) as info:
        Store(settings, OtherEmbedder())
    message = str(info.value)
    assert "fake/hash-64" in message and "fake/other-32" in message
    # the same embedder reopens the same collection with its data intact
    reopened = Store(settings, FakeEmbedder())
    assert reopened.count() == store.count() > 0


@pytest.mark.parametrize("exc", [Killed, RuntimeError])
def test_resume_after_a_run_killed_half_way(
    tmp_path: Path,
    corpus_dir: Path,
    reference: tuple[set[str], dict[str, str], int],
    exc: type[BaseException],
) -> None:
    settings = Settings(data_dir=tmp_path / "data", collection="test-replies", embed_batch_size=32)
    # a small document first, then a large one that the kill interrupts after one batch
    paths = sorted(discover(corpus_dir), key=lambda p: (GUANGZHOU not in p.name, p.name))
    assert paths[1].name.startswith("dongguan")
    first_doc = parse_file(paths[0], settings).record
    second_doc = parse_file(paths[1], settings).record
    die_after = len(first_doc.chunks) + settings.embed_batch_size + 3
    assert die_after + settings.embed_batch_size < len(first_doc.chunks) + len(second_doc.chunks)
    dying = DyingEmbedder(die_after, exc)
    if exc is Killed:
        with pytest.raises(Killed):
            ingest(paths, Store(settings, dying), settings)
    else:  # an ordinary error is reported per document and the batch goes on
        report = ingest(paths, Store(settings, dying), settings)
        assert [Path(p) for p, _ in report.failed] == paths[1:]
        assert all("store error: RuntimeError" in reason for _, reason in report.failed)
        assert report.added == 1
    partial = Store(settings, FakeEmbedder())
    stored_early = partial.count()
    assert stored_early == dying.passages_embedded > len(first_doc.chunks)
    assert stored_early < len(first_doc.chunks) + len(second_doc.chunks)
    # only the finished document has a record: the half-written one will be redone
    assert set(partial.doc_records()) == {first_doc.doc_id}

    resumed_embedder = FakeEmbedder()
    resumed_store = Store(settings, resumed_embedder)
    resumed = ingest(paths, resumed_store, settings)
    assert resumed.failed == []
    assert (resumed.unchanged, resumed.added) == (1, 4)

    ref_ids, ref_shas, ref_count = reference
    assert all_ids(resumed_store) == ref_ids
    assert resumed_store.count() == ref_count == resumed.chunks
    assert shas(resumed_store) == ref_shas
    # what was stored before the kill is reused, not embedded again
    assert resumed.embedded == resumed_embedder.passages_embedded == ref_count - stored_early


def test_file_that_turns_bad_keeps_its_stored_version(
    store: Store, settings: Settings, corpus_copy: Path
) -> None:
    """A previously ingested file that can no longer be read is reported, never pruned or emptied."""
    for path in discover(corpus_copy):
        if not path.name.startswith(("jieyang", "hangzhou")):
            path.unlink()
    ingest(discover(corpus_copy), store, settings)
    target = corpus_copy / f"{JIEYANG}.txt"
    ids_before, sha_before, version = store.chunk_ids(JIEYANG), shas(store)[JIEYANG], store.version()
    target.write_bytes(b"")
    report = ingest(discover(corpus_copy), store, settings, prune=True)
    assert [(Path(p).name, r) for p, r in report.failed] == [(target.name, "empty file")]
    assert (report.pruned, report.unchanged, report.documents) == (0, 1, 1)
    assert store.chunk_ids(JIEYANG) == ids_before
    assert shas(store)[JIEYANG] == sha_before
    assert store.version() == version  # nothing changed, so no rebuild is signalled


def test_changing_chunk_tokens_rebuilds_chunks(store: Store, settings: Settings, corpus_dir: Path) -> None:
    from core.tokens import count_tokens

    paths = [corpus_dir / f"{GUANGZHOU}.txt", corpus_dir / f"{JIEYANG}.txt"]
    ingest(paths, store, settings)
    smaller = Settings(data_dir=settings.data_dir, collection=settings.collection, chunk_tokens=100)
    report = ingest(paths, store, smaller)
    assert report.updated == 2
    texts = store.chunks.get(where={"role": {"$ne": "outline"}}, include=["documents"])["documents"]
    assert max(count_tokens(t) for t in texts) <= 100


def test_fake_embedder_is_deterministic_normalised_and_similarity_aware(fake_embedder: FakeEmbedder) -> None:
    a = "广州市财政给予一次性100万元奖励"
    vecs = fake_embedder.embed_passages(
        [a, a, "广州市财政给予一次性100万元资助", "揭阳榕江实验室采购仪器设备"]
    )
    assert vecs.shape == (4, FakeEmbedder.dim)
    assert np.allclose(np.linalg.norm(vecs, axis=1), 1.0)
    assert np.array_equal(vecs[0], vecs[1])
    assert np.array_equal(fake_embedder.embed_query(a), vecs[0])
    assert vecs[0] @ vecs[2] > vecs[0] @ vecs[3] + 0.3
    assert (fake_embedder.passages_embedded, fake_embedder.calls) == (4, 1)


def test_prune_removes_chunks_left_without_a_record(store: Store, settings: Settings, tmp_path: Path,
                                                    corpus_dir: Path) -> None:
    """A write killed before its record was written, then the file deleted: --prune still cleans up."""
    import shutil

    work = tmp_path / "c"
    work.mkdir()
    for p in list(corpus_dir.glob("*.txt"))[:2]:
        shutil.copy(p, work / p.name)
    ingest(sorted(work.glob("*.txt")), store, settings)
    victim = sorted(work.glob("*.txt"))[0]
    store.docs.delete(ids=[victim.stem])  # as if killed between chunk writes and the record
    victim.unlink()
    report = ingest(sorted(work.glob("*.txt")), store, settings, prune=True)
    assert report.pruned == 1
    assert store.chunk_ids(victim.stem) == set()

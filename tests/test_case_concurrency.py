"""The case store under concurrency: two saves from one base (threads, processes, the CLI), one case per
proposal, a process killed in the middle of a save, final cases read-only until reopened, old databases
migrated in place, the superseded-notes cache read by many threads.

No test depends on timing: threads meet at a barrier, processes wait for the parent's "go" on their stdin, and
a process is killed only after it has said (on its stdout) that it is inside a save.
"""

from __future__ import annotations

import hashlib
import json
import os
import signal
import sqlite3
import subprocess
import sys
import threading
from collections.abc import Callable
from pathlib import Path
from typing import Any

import pytest
from sqlalchemy.exc import IntegrityError

from assistant.casework.opinions import parse_opinion_text
from assistant.casework.store import STATUS_DRAFTING, STATUS_FINAL, CaseError, CaseStore, VersionConflict
from assistant.casework.workflow import attach_opinion, conflict_view, finalize, open_case, save_edit
from core.settings import Settings
from tests.pg import case_store, case_url, pg_url, postgres_server  # noqa: F401 - fixtures (both backends)
from tests.test_cases import (  # one fixture proposal for the case tests
    DATA,
    OFFICE,
    PROPOSAL,
    REPO,
    _proposal,
)


def _store_with_draft(store: CaseStore, text: str = "第一稿") -> tuple[CaseStore, int]:
    cid = store.create(_proposal(), OFFICE)
    assert store.add_version(cid, text, "张三", "生成草稿") == 1
    return store, cid


def _together(n: int, work: Callable[[int], Any]) -> list[Any]:
    """Run work(i) in n threads released together by a barrier; each result or the exception it raised."""
    barrier = threading.Barrier(n)
    out: list[Any] = [None] * n

    def run(i: int) -> None:
        barrier.wait()
        try:
            out[i] = work(i)
        except BaseException as exc:  # noqa: BLE001 - the test inspects it
            out[i] = exc

    threads = [threading.Thread(target=run, args=(i,)) for i in range(n)]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    return out


# -- two saves from one base --------------------------------------------------------------------------------
def test_threads_saving_from_the_same_base_one_wins_the_other_gets_the_conflict(case_store: CaseStore) -> None:  # noqa: F811
    store, cid = _store_with_draft(case_store)
    for rnd in range(10):  # a few rounds, each from the version the previous one left
        base = store.version(cid).n
        texts = [f"第{rnd}轮 李四的修改", f"第{rnd}轮 王五的修改"]
        got = _together(2, lambda i: CaseStore(store.url).add_version(
            cid, texts[i], ("李四", "王五")[i], "修改", base=base))  # noqa: B023 - run before the loop moves on
        wins = [i for i, r in enumerate(got) if isinstance(r, int)]
        lost = [i for i, r in enumerate(got) if isinstance(r, VersionConflict)]
        assert len(wins) == 1 and len(lost) == 1, got
        w, loser = wins[0], got[lost[0]]
        assert got[w] == base + 1
        # both texts recoverable: the winner's stored, the loser's carried by the exception with the newer one
        assert store.version(cid).text == texts[w]
        assert loser.text == texts[lost[0]] and loser.base == base
        assert loser.newer.n == base + 1 and loser.newer.text == texts[w]
        assert f"第{base + 1}版由{('李四', '王五')[w]}于" in str(loser) and "没有丢失" in str(loser)
        assert "你的修改" in loser.diff()
    assert [v.n for v in store.versions(cid)] == list(range(1, 12))


def test_many_writers_retrying_on_conflict_lose_nothing(case_store: CaseStore) -> None:  # noqa: F811
    store, cid = _store_with_draft(case_store)
    per = 5

    def writer(i: int) -> int:
        s, conflicts = CaseStore(store.url), 0
        for k in range(per):
            base = s.version(cid).n
            while True:
                try:
                    s.add_version(cid, f"作者{i}第{k}次", f"作者{i}", base=base)
                    break
                except VersionConflict as exc:  # merge (here: nothing to merge) and save on top of the newer one
                    conflicts += 1
                    base = exc.newer.n
        return conflicts

    got = _together(6, writer)
    assert all(isinstance(r, int) for r in got), got
    versions = store.versions(cid)
    assert [v.n for v in versions] == list(range(1, 6 * per + 2))
    assert sorted(v.text for v in versions[1:]) == sorted(f"作者{i}第{k}次" for i in range(6) for k in range(per))
    assert store.integrity() == []


def test_save_edit_and_conflict_view_for_the_page(case_store: CaseStore) -> None:  # noqa: F811
    store, cid = _store_with_draft(case_store)
    assert save_edit(store, cid, "第一稿", 1) is None  # unchanged: nothing saved
    assert save_edit(store, cid, "第二稿", 1, "李四") == 2
    with pytest.raises(VersionConflict) as err:
        save_edit(store, cid, "王五从第一稿改的", 1, "王五")
    view = conflict_view(err.value)
    assert view["newer"] == 2 and view["author"] == "李四" and view["newer_text"] == "第二稿"
    assert view["text"] == "王五从第一稿改的" and "第2版" in view["diff"]
    assert save_edit(store, cid, "王五合并后的", view["newer"], "王五") == 3  # saved on top once merged
    with pytest.raises(CaseError, match="没有第 9 版"):
        store.add_version(cid, "x", base=9)
    assert store.add_version(cid, "新生成的草稿") == 4  # a fresh draft (no base) is saved on top


_SAVER = r"""
import sys
from pathlib import Path
from assistant.casework.store import CaseStore, VersionConflict
path, cid, base, who = sys.argv[1], int(sys.argv[2]), int(sys.argv[3]), sys.argv[4]
store = CaseStore(path)  # a database URL
print("ready", flush=True)
sys.stdin.readline()  # the parent's go: both processes are open before either saves
try:
    print("saved", store.add_version(cid, who + "的修改", who, base=base), flush=True)
except VersionConflict as exc:
    print("conflict", exc.newer.n, exc.newer.author, exc.text, flush=True)
"""


def _python(script: str, *args: str, **kw: Any) -> subprocess.Popen[str]:
    env = {**os.environ, "PYTHONPATH": str(REPO)}
    return subprocess.Popen([sys.executable, "-c", script, *args], cwd=REPO, env=env, text=True,
                            stdin=subprocess.PIPE, stdout=subprocess.PIPE, stderr=subprocess.PIPE, **kw)


def test_two_processes_saving_from_the_same_base(case_store: CaseStore) -> None:  # noqa: F811
    store, cid = _store_with_draft(case_store)
    procs = [_python(_SAVER, store.url, str(cid), "1", who) for who in ("李四", "王五")]
    for p in procs:
        assert p.stdout is not None and p.stdout.readline().strip() == "ready", p.stderr and p.stderr.read()
    for p in procs:
        assert p.stdin is not None
        p.stdin.write("go\n")
        p.stdin.flush()
    outs = [p.communicate(timeout=120)[0].split() for p in procs]
    assert all(p.returncode == 0 for p in procs)
    assert sorted(o[0] for o in outs) == ["conflict", "saved"], outs
    win = next(o for o in outs if o[0] == "saved")
    lose = next(o for o in outs if o[0] == "conflict")
    assert win[1] == "2" and lose[1] == "2" and lose[2] != lose[3][:2]  # the loser names the winner
    assert store.version(cid).text == f"{lose[2]}的修改" and lose[3] == f"{'王五' if lose[2] == '李四' else '李四'}的修改"
    assert [v.n for v in store.versions(cid)] == [1, 2]


def test_two_cli_processes_editing_from_the_same_base(tmp_path: Path, case_url: str) -> None:  # noqa: F811
    data = tmp_path / "data"
    on_pg = case_url.startswith("postgresql")  # the CLI reads it from ASSISTANT_DATABASE_URL
    store = CaseStore(case_url) if on_pg else CaseStore(data / "cases.sqlite3")
    cid = store.create(_proposal(), OFFICE)
    store.add_version(cid, "第一稿", "张三")
    files = []
    for who in ("李四", "王五"):
        f = tmp_path / f"{who}.txt"
        f.write_text(f"{who}改的稿子", encoding="utf-8")
        files.append(f)
    run = "import sys; from assistant.cli import main; sys.exit(main(sys.argv[1:]))"
    env = {**os.environ, "PYTHONPATH": str(REPO), "ASSISTANT_DATA_DIR": str(data),
           **({"ASSISTANT_DATABASE_URL": case_url} if on_pg else {})}
    procs = [subprocess.Popen([sys.executable, "-c", run, "case", str(cid), "--edit", str(f), "--base", "1",
                               "--author", f.stem], cwd=REPO, env=env, text=True, stdout=subprocess.PIPE,
                              stderr=subprocess.PIPE) for f in files]
    outs = [p.communicate(timeout=120) for p in procs]
    codes = sorted(p.returncode for p in procs)
    assert codes == [0, 3], outs
    ok = next(i for i, p in enumerate(procs) if p.returncode == 0)
    err = outs[1 - ok][1]
    assert "第2版已保存" in outs[ok][0]
    assert f"第2版由{files[ok].stem}于" in err and "--base 2" in err and "没有丢失" in err
    assert store.version(cid).text == f"{files[ok].stem}改的稿子"
    assert files[1 - ok].read_text(encoding="utf-8") == f"{files[1 - ok].stem}改的稿子"  # the loser's file untouched


# -- one case per proposal ----------------------------------------------------------------------------------
def test_open_case_from_many_threads_makes_one_case(tmp_path: Path, settings: Settings) -> None:
    data = PROPOSAL.read_bytes()
    got = _together(6, lambda i: open_case(CaseStore.of(settings), settings, "来文.txt", data, OFFICE)[0])
    assert all(isinstance(r, int) for r in got), got
    assert len(set(got)) == 1
    store = CaseStore.of(settings)
    assert len(store.all()) == 1
    assert len(store.files(got[0])) == 1
    with pytest.raises(CaseError, match=r"已有该提案的办件 #1"):
        store.create(_proposal(), OFFICE)
    # another office, or a proposal of another session with the same number, is another case
    other = _proposal()
    other.session = "市政协十五届一次会议"
    assert store.create_or_find(other, OFFICE) == (2, True)
    assert store.create_or_find(_proposal(), "东莞市财政局")[1] is True
    # a correction that would make two cases of one proposal is refused
    with pytest.raises(CaseError, match="同一提案"):
        store.update(2, _proposal())


# -- a process killed in the middle of a save ------------------------------------------------------------------
def _body(n: int) -> str:
    return f"第{n}稿\n" + hashlib.sha256(str(n).encode()).hexdigest() * 800  # ~50 KB: pages spill mid-write


_LOOP = r"""
import hashlib, sys
from pathlib import Path
from assistant.casework.store import CaseStore

def body(n):
    return f"第{n}稿\n" + hashlib.sha256(str(n).encode()).hexdigest() * 800

store = CaseStore(sys.argv[1])  # a database URL
cid, n = int(sys.argv[2]), int(sys.argv[3])
while True:
    n = store.add_version(cid, body(n + 1), "循环", base=n)
    print(n, flush=True)
"""

_STUCK = r"""
import sys
from sqlalchemy import event
from assistant.casework.store import CaseStore

store = CaseStore(sys.argv[1])  # a database URL

@event.listens_for(store.engine, "before_cursor_execute")
def trace(conn, cursor, sql, *args):
    if sql.startswith("UPDATE cases SET updated"):  # the version row is written, not yet committed
        print("inside", flush=True)
        sys.stdin.readline()  # never answered: the parent kills us here

store.add_version(int(sys.argv[2]), "不会提交的一版", "半途", base=int(sys.argv[3]))
"""


def _check_after_kill(store: CaseStore, cid: int, at_least: int) -> int:
    reopened = CaseStore(store.url)
    assert reopened.integrity() == []
    versions = reopened.versions(cid)
    ns = [v.n for v in versions]
    assert ns == list(range(1, len(ns) + 1)) and len(ns) >= at_least
    assert all(v.text == _body(v.n) for v in versions)  # every committed version intact
    n = reopened.add_version(cid, _body(len(ns) + 1), base=len(ns))  # the lock died with the process
    assert n == len(ns) + 1
    return n


def test_kill_9_while_saving_in_a_loop_keeps_every_committed_version(case_store: CaseStore) -> None:  # noqa: F811
    store, cid = _store_with_draft(case_store, _body(1))
    proc = _python(_LOOP, store.url, str(cid), "1")
    assert proc.stdout is not None
    last = 0
    while last < 25:  # it has committed 25 saves and is in the middle of the next one
        line = proc.stdout.readline()
        assert line, proc.stderr and proc.stderr.read()
        last = int(line)
    os.kill(proc.pid, signal.SIGKILL)
    proc.wait(timeout=60)
    _check_after_kill(store, cid, last)


def test_kill_9_inside_the_save_transaction_leaves_nothing_half_written(case_store: CaseStore) -> None:  # noqa: F811
    store, cid = _store_with_draft(case_store, _body(1))
    proc = _python(_STUCK, store.url, str(cid), "1")
    assert proc.stdout is not None
    assert proc.stdout.readline().strip() == "inside", proc.stderr and proc.stderr.read()
    os.kill(proc.pid, signal.SIGKILL)
    proc.wait(timeout=60)
    assert _check_after_kill(store, cid, 1) == 2  # the uncommitted version is gone, its number free again
    assert "不会提交的一版" not in [v.text for v in store.versions(cid)]


# -- a final case is read-only until reopened -----------------------------------------------------------------
def test_final_case_refuses_every_change_until_reopened(tmp_path: Path, settings: Settings) -> None:
    store = CaseStore.of(settings)
    cid = store.create(_proposal(), OFFICE)
    opinion = parse_opinion_text((DATA / "opinion-czj.txt").read_text(encoding="utf-8"), "czj.txt")
    store.add_opinion(cid, opinion)
    store.add_version(cid, "第一稿", "张三")
    diff, _ = finalize(store, settings, cid, "定稿.txt", "签发的定稿".encode(), who="张三")
    assert "签发的定稿" in diff and store.get(cid).status == STATUS_FINAL
    kept = sorted(p.name for p in (settings.data_dir / "cases" / str(cid)).iterdir())
    other = parse_opinion_text((DATA / "opinion-gxj.txt").read_text(encoding="utf-8"), "gxj.txt")
    p = store.get(cid).proposal
    p.title = "改过的标题"
    refused: list[Callable[[], Any]] = [
        lambda: store.add_version(cid, "再改", base=1), lambda: store.add_version(cid, "新草稿"),
        lambda: save_edit(store, cid, "第一稿", 1), lambda: store.update(cid, p), lambda: store.update(cid, due="2030-01-01"),
        lambda: store.add_opinion(cid, other), lambda: store.remove_opinion(cid, "东莞市财政局"),
        lambda: store.set_final(cid, "另一份定稿"),
        lambda: attach_opinion(store, settings, cid, "gxj.txt", (DATA / "opinion-gxj.txt").read_bytes()),
        lambda: finalize(store, settings, cid, "定稿.txt", "另一份定稿".encode()),
    ]
    for change in refused:
        with pytest.raises(CaseError, match=r"已定稿.*不能再修改.*--reopen"):
            change()
    case = store.get(cid)
    assert case.final_text == "签发的定稿" and case.title != "改过的标题" and case.versions == 1
    assert [o.office for o in store.opinions(cid)] == ["东莞市财政局"]
    # the refused final letter of the same name did not replace or remove the kept one
    assert sorted(p.name for p in (settings.data_dir / "cases" / str(cid)).iterdir()) == kept
    with pytest.raises(CaseError, match="须写明理由"):
        store.reopen(cid, "李四", "  ")
    store.reopen(cid, "李四", "补充最新数据")
    with pytest.raises(CaseError, match="尚未定稿"):
        store.reopen(cid, "李四", "再开一次")
    assert store.get(cid).status == STATUS_DRAFTING
    assert store.add_version(cid, "补充后", "李四", base=1) == 2
    assert store.remove_opinion(cid, "东莞市财政局") is True
    events = store.events(cid)
    assert [(e.kind, e.who, e.reason) for e in events] == [("final", "张三", ""), ("reopen", "李四", "补充最新数据")]
    assert events[1].data["final_text"] == "签发的定稿" and "重新打开" in events[1].line()
    assert ("final", "定稿.txt", "签发的定稿".encode()) in store.files(cid)  # the first final file is kept


# -- an old database ----------------------------------------------------------------------------------------
_OLD_SCHEMA = """
CREATE TABLE IF NOT EXISTS cases (
  id INTEGER PRIMARY KEY AUTOINCREMENT, title TEXT NOT NULL, number TEXT NOT NULL DEFAULT '',
  proposer TEXT NOT NULL DEFAULT '', office TEXT NOT NULL DEFAULT '', role TEXT NOT NULL DEFAULT 'lead',
  lead_office TEXT NOT NULL DEFAULT '', due TEXT NOT NULL DEFAULT '', proposal_json TEXT NOT NULL,
  final_text TEXT, final_at TEXT, created TEXT NOT NULL, updated TEXT NOT NULL);
CREATE TABLE IF NOT EXISTS versions (
  case_id INTEGER NOT NULL REFERENCES cases(id), n INTEGER NOT NULL, text TEXT NOT NULL,
  author TEXT NOT NULL DEFAULT '', note TEXT NOT NULL DEFAULT '', created TEXT NOT NULL,
  payload_json TEXT NOT NULL DEFAULT '{}', PRIMARY KEY (case_id, n));
CREATE TABLE IF NOT EXISTS opinions (
  case_id INTEGER NOT NULL REFERENCES cases(id), office TEXT NOT NULL, date TEXT NOT NULL DEFAULT '',
  opinion_json TEXT NOT NULL, doc_id TEXT NOT NULL DEFAULT '', created TEXT NOT NULL,
  PRIMARY KEY (case_id, office));
CREATE TABLE IF NOT EXISTS files (
  id INTEGER PRIMARY KEY AUTOINCREMENT, case_id INTEGER NOT NULL REFERENCES cases(id), role TEXT NOT NULL,
  name TEXT NOT NULL, data BLOB NOT NULL, created TEXT NOT NULL);
"""


def _old_db(path: Path, duplicate: bool) -> None:
    """A database as the previous store wrote it (its schema, rollback journal, no user_version)."""
    p = _proposal()
    pj = json.dumps(p.to_dict(), ensure_ascii=False)
    db = sqlite3.connect(path)
    db.executescript(_OLD_SCHEMA)
    rows = [(p.title, p.number, OFFICE, pj, None), ("另一件", "DH9999", OFFICE, pj.replace(p.number, "DH9999"), "定稿")]
    if duplicate:
        rows.append((p.title, p.number, OFFICE, pj, None))
    for title, number, office, proposal_json, final in rows:
        db.execute("INSERT INTO cases (title, number, proposer, office, proposal_json, final_text, final_at, created,"
                   " updated) VALUES (?,?,?,?,?,?,?,?,?)", (title, number, "刘芳", office, proposal_json, final,
                                                            "2024-06-01T10:00:00" if final else None,
                                                            "2024-05-01T09:00:00", "2024-05-01T09:00:00"))
    db.execute("INSERT INTO versions VALUES (1, 1, '旧第一稿', '张三', '生成草稿', '2024-05-02T09:00:00', '{}')")
    db.execute("INSERT INTO versions VALUES (1, 2, '旧第二稿', '李四', '修改', '2024-05-03T09:00:00', '{\"title\": \"t\"}')")
    db.execute("INSERT INTO opinions VALUES (1, '东莞市财政局', '2024-05-01', ?, '', '2024-05-01T09:00:00')",
               (json.dumps(parse_opinion_text((DATA / "opinion-czj.txt").read_text(encoding="utf-8"), "czj.txt")
                           .to_dict(), ensure_ascii=False),))
    db.execute("INSERT INTO files (case_id, role, name, data, created) VALUES (1, 'proposal', 'p.txt', x'78', '2024')")
    db.commit()
    db.close()


@pytest.mark.parametrize("duplicate", [False, True])
def test_an_old_database_is_migrated_in_place_with_its_rows(tmp_path: Path, duplicate: bool) -> None:
    path = tmp_path / "cases.sqlite3"
    _old_db(path, duplicate)
    store = CaseStore(path)
    assert store.integrity() == []
    cases = {c.id: c for c in store.all()}
    assert sorted(cases) == ([1, 2, 3] if duplicate else [1, 2])
    assert [(v.n, v.text, v.author) for v in store.versions(1)] == [(1, "旧第一稿", "张三"), (2, "旧第二稿", "李四")]
    assert [o.office for o in store.opinions(1)] == ["东莞市财政局"] and store.files(1) == [("proposal", "p.txt", b"x")]
    assert cases[2].status == STATUS_FINAL and store.events(2) == []
    with store._read() as db:  # noqa: SLF001 - the schema itself is what is tested
        assert db.exec_driver_sql("PRAGMA journal_mode").fetchone()[0] == "wal"
        assert db.exec_driver_sql("PRAGMA foreign_keys").fetchone()[0] == 1
        assert db.exec_driver_sql("PRAGMA user_version").fetchone()[0] == 2
        index = db.exec_driver_sql("SELECT 1 FROM sqlite_master WHERE name='cases_one_per_proposal'").fetchone()
    assert (index is None) == duplicate  # kept all duplicates rather than failing; no index then
    # either way the insert path finds the existing case instead of adding one more
    found, created = store.create_or_find(_proposal(), OFFICE)
    assert not created and found == (3 if duplicate else 1)
    with pytest.raises(CaseError, match="已有该提案的办件"):
        store.create(_proposal(), OFFICE)
    assert len(store.all()) == len(cases)
    # and it works as a new one: a save from the latest base, the final case still read-only
    assert store.add_version(1, "新第三稿", "王五", base=2) == 3
    assert store.version(1, 3).payload == {"title": "t"}  # the sources carried over from the base
    with pytest.raises(VersionConflict):
        store.add_version(1, "过时的修改", base=2)
    with pytest.raises(CaseError, match="已定稿"):
        store.add_version(2, "x")
    CaseStore(path)  # opening it again is a no-op
    assert len(store.versions(1)) == 3 and store.integrity() == []


def test_foreign_keys_are_enforced(case_store: CaseStore) -> None:  # noqa: F811
    store = case_store
    with store._write() as db, pytest.raises(IntegrityError):  # noqa: SLF001 - the driver's, wrapped by SQLAlchemy
        db.exec_driver_sql("INSERT INTO versions VALUES (42, 1, 't', '', '', 'now', '{}')")
    with pytest.raises(CaseError, match="没有编号为 42"):
        store.add_version(42, "t")


# -- the superseded-notes cache under threads -------------------------------------------------------------------
class _FakeArchive:
    """A store of two documents, the later repealing the earlier; its version bumps on every second read."""

    def __init__(self) -> None:
        self.reads = 0
        self._lock = threading.Lock()

    def version(self) -> int:
        with self._lock:
            self.reads += 1
            return self.reads // 2

    def iter_chunks(self) -> Any:
        metas = [{"doc_id": "old", "title": "关于印发《某市专精特新企业培育实施方案》的通知", "date": "2024-04-08",
                  "chunk_index": 0},
                 {"doc_id": "new", "title": "关于印发《某市专精特新企业培育实施方案(2025年修订)》的通知",
                  "date": "2025-05-10", "chunk_index": 0}]
        texts = ["…", "原《某市专精特新企业培育实施方案》同时废止。"]
        yield ["a", "b"], texts, metas


def test_superseded_notes_are_safe_to_read_from_many_threads() -> None:
    from assistant.facts import archive

    store = _FakeArchive()

    def read(_: int) -> list[dict[str, str]]:
        out = []
        for _k in range(30):
            notes = archive.superseded_notes(store)
            notes["mine"] = "a caller's copy"  # mutating what one caller got changes nothing shared
            out.append(notes)
        return out

    got = _together(8, read)
    assert all(isinstance(r, list) for r in got), got
    for notes in (n for r in got for n in r):
        assert set(notes) == {"old", "mine"} and "废止" in notes["old"]
    assert isinstance(archive._NOTES, type(archive.MappingProxyType({})))  # noqa: SLF001
    assert len(archive._NOTES) == 1  # noqa: SLF001

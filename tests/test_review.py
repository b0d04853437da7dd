"""The review and sign-off workflow: 待起草 → 起草中 → 待审核 → (退回修改) → 待签发 → 已签发 → 已答复, each move by
the role allowed to make it, with a comment, shown on the case and in the audit log; the same rules through the
library and the CLI (`--as`)."""

from __future__ import annotations

from pathlib import Path

import pytest
from argon2 import PasswordHasher

from assistant.access import AccessDenied, AuditLog, User, UserStore, open_engine
from assistant.casework.guard import Actor, owed_offices, visible_cases
from assistant.casework.review import history, move, return_comments, waiting
from assistant.casework.store import (
    STATUS_DRAFTING,
    STATUS_FINAL,
    STATUS_NEW,
    STATUS_RETURNED,
    STATUS_REVIEW,
    STATUS_SIGNED,
    STATUS_TO_SIGN,
    CaseError,
    CaseStore,
)
from assistant.casework.workflow import (
    attach_opinion,
    finalize,
    open_case,
    reopen_case,
    save_edit,
    save_fields,
)
from assistant.letters.model import LetterFields
from core.settings import Settings
from tests.pg import case_store, case_url, pg_url, postgres_server  # noqa: F401 - fixtures (both backends)
from tests.test_case_concurrency import _together
from tests.test_cases import DATA, OFFICE, PROPOSAL, _proposal, _run, cli_env  # noqa: F401 - cli_env: fixture

CZJ = "东莞市财政局"  # a co-handling office the proposal names
OTHER = "东莞市交通运输局"
PW = "长安镇的春天来了2026"
wang = User("wang", "drafter", OFFICE, "王承办")
li = User("li", "reviewer", OFFICE, "李审核")
zhang = User("zhang", "signer", OFFICE, "张签发")
chen = User("chen", "drafter", OTHER, "陈承办")  # 承办人 of another office
cai = User("cai", "drafter", CZJ, "蔡会办")  # 承办人 of a co-handling office
root = User("root", "admin", OFFICE, "管理员")
FINAL_LETTER = "刘芳委员：\n您提出的关于破解专精特新中小企业融资难题的提案收悉，现答复如下。\n此复\n东莞市金融工作局\n"


@pytest.fixture
def env(tmp_path: Path) -> tuple[CaseStore, Settings, AuditLog]:
    settings = Settings(data_dir=tmp_path / "data")  # type: ignore[call-arg]
    store = CaseStore.of(settings)
    return store, settings, AuditLog(store.engine)


def _as(user: User, audit: AuditLog) -> Actor:
    return Actor(user, audit)


def _trail(audit: AuditLog, action: str | None = None) -> list[tuple[str, str, str]]:
    return [(e.user, e.action, e.outcome) for e in audit.entries(action=action)]


# ---- the store: states, freeze, races (both backends) -------------------------------------------------------

def test_state_is_stored_and_moves_only_from_the_expected_state(case_store: CaseStore) -> None:  # noqa: F811
    store = case_store
    cid = store.create(_proposal(), OFFICE)
    assert store.get(cid).status == STATUS_NEW and store.get(cid).state == ""
    store.add_version(cid, "第一稿", "王承办")
    assert store.get(cid).status == STATUS_DRAFTING
    store.set_state(cid, STATUS_DRAFTING, STATUS_REVIEW, "wang", "请审核")
    assert store.get(cid).status == STATUS_REVIEW
    with pytest.raises(CaseError, match="已不是“起草中”"):  # someone moved it meanwhile
        store.set_state(cid, STATUS_DRAFTING, STATUS_REVIEW, "wang")
    with pytest.raises(CaseError, match="定稿"):
        store.set_state(cid, STATUS_REVIEW, STATUS_FINAL, "li")
    assert [(e.kind, e.who, e.reason, e.data) for e in store.events(cid)] == [
        ("state", "wang", "请审核", {"from": STATUS_DRAFTING, "to": STATUS_REVIEW})]
    assert store.add_version(cid, "审核人改一处") == 2  # 待审核 stays editable
    assert [c.status for c in store.all()] == [STATUS_REVIEW]


def test_sent_for_signature_or_signed_is_frozen(case_store: CaseStore) -> None:  # noqa: F811
    from assistant.casework.opinions import parse_opinion_text

    store = case_store
    cid = store.create(_proposal(), OFFICE)
    store.add_version(cid, "第一稿")
    store.set_state(cid, STATUS_DRAFTING, STATUS_REVIEW)
    store.set_state(cid, STATUS_REVIEW, STATUS_TO_SIGN, "li")
    opinion = parse_opinion_text((DATA / "opinion-czj.txt").read_text(encoding="utf-8"), "czj.txt")
    for state in (STATUS_TO_SIGN, STATUS_SIGNED):
        for attempt in (lambda: store.add_version(cid, "改"), lambda: store.update(cid, due="2025-07-01"),
                        lambda: store.update(cid, store.get(cid).proposal), lambda: store.add_opinion(cid, opinion),
                        lambda: store.remove_opinion(cid, CZJ)):
            with pytest.raises(CaseError, match=f"办件 #{cid} 已送签发/已签发，不能修改；如需修改，请签发人退回"):
                attempt()
        if state == STATUS_TO_SIGN:
            store.set_state(cid, STATUS_TO_SIGN, STATUS_SIGNED, "zhang")
    assert store.versions(cid)[-1].n == 1 and store.opinions(cid) == []
    store.set_final(cid, FINAL_LETTER, who="wang")  # the signed letter may come in
    assert store.get(cid).status == STATUS_FINAL
    store.reopen(cid, "li", "领导要求补充数据")
    assert store.get(cid).status == STATUS_DRAFTING and store.add_version(cid, "再改") == 2


def test_two_moves_from_one_state_only_one_wins(case_store: CaseStore) -> None:  # noqa: F811
    store = case_store
    cid = store.create(_proposal(), OFFICE)
    store.add_version(cid, "第一稿")
    store.set_state(cid, STATUS_DRAFTING, STATUS_REVIEW)
    targets = [STATUS_TO_SIGN, STATUS_RETURNED]
    out = _together(2, lambda i: CaseStore(store.url).set_state(cid, STATUS_REVIEW, targets[i], f"u{i}", "意见"))
    assert sum(r is None for r in out) == 1
    lost = [r for r in out if isinstance(r, CaseError)]
    assert len(lost) == 1 and "已不是“待审核”" in str(lost[0])
    assert store.get(cid).status in targets and len(store.events(cid)) == 2


# ---- the library: the whole flow as three users -------------------------------------------------------------

def test_the_whole_flow_through_the_library(env: tuple[CaseStore, Settings, AuditLog]) -> None:
    store, settings, audit = env
    W, L, Z = _as(wang, audit), _as(li, audit), _as(zhang, audit)
    cid, _ = open_case(store, settings, PROPOSAL.name, PROPOSAL.read_bytes(), actor=W)
    assert store.get(cid).office == OFFICE  # the user's office
    assert save_edit(store, cid, "第一稿", 0, "王承办", actor=W) == 1
    assert move(store, cid, STATUS_REVIEW, W, "请审核") == STATUS_REVIEW
    assert [c.id for c in waiting(store, li)] == [cid] and waiting(store, wang) == []

    # a 承办人 cannot approve or sign: refused, unchanged, logged
    with pytest.raises(AccessDenied, match="承办人没有此权限"):
        move(store, cid, STATUS_TO_SIGN, W)
    assert store.get(cid).status == STATUS_REVIEW
    assert audit.entries()[-1].user == "wang" and audit.entries()[-1].outcome == "denied"
    assert audit.entries()[-1].action == "approve" and audit.entries()[-1].target == f"case:{cid}"

    # return needs a comment
    with pytest.raises(CaseError, match="须写明修改意见"):
        move(store, cid, STATUS_RETURNED, L)
    assert store.get(cid).status == STATUS_REVIEW and audit.entries()[-1].outcome == "failed"
    assert move(store, cid, STATUS_RETURNED, L, "请补充风险补偿资金池的数据\n并核对担保费率") == STATUS_RETURNED
    assert return_comments(store, cid) == ["请补充风险补偿资金池的数据", "并核对担保费率"]
    assert [c.id for c in waiting(store, wang)] == [cid]

    # revise and submit again; the reviewer approves, the signer signs
    assert save_edit(store, cid, "第二稿（已补充数据）", 1, "王承办", actor=W) == 2
    move(store, cid, STATUS_REVIEW, W)
    assert save_edit(store, cid, "第二稿（审核人改了措辞）", 2, "李审核", actor=L) == 3  # the reviewer may edit
    move(store, cid, STATUS_TO_SIGN, L, "同意")
    with pytest.raises(CaseError, match="已送签发/已签发"):
        save_edit(store, cid, "再改", 3, actor=W)
    with pytest.raises(AccessDenied):
        move(store, cid, STATUS_SIGNED, W)
    with pytest.raises(CaseError, match="须经审核、签发"):  # a signed-in user finalises only a signed letter
        finalize(store, settings, cid, "定稿.txt", FINAL_LETTER.encode(), who="wang", actor=W)
    assert move(store, cid, STATUS_SIGNED, Z, "签发") == STATUS_SIGNED
    with pytest.raises(CaseError, match="已送签发/已签发"):
        save_fields(store, cid, "第二稿", 3, LetterFields(), actor=W)
    finalize(store, settings, cid, "定稿.txt", FINAL_LETTER.encode(), who="wang", actor=W)
    assert store.get(cid).status == STATUS_FINAL

    steps = [(t.frm, t.to, t.who, t.comment) for t in history(store, cid)]
    assert steps == [
        (STATUS_DRAFTING, STATUS_REVIEW, "王承办", "请审核"),  # the case's record names people
        (STATUS_REVIEW, STATUS_RETURNED, "李审核", "请补充风险补偿资金池的数据\n并核对担保费率"),
        (STATUS_RETURNED, STATUS_REVIEW, "王承办", ""),
        (STATUS_REVIEW, STATUS_TO_SIGN, "李审核", "同意"),
        (STATUS_TO_SIGN, STATUS_SIGNED, "张签发", "签发"),
        (STATUS_SIGNED, STATUS_FINAL, "wang", ""),
    ]
    ok = [(e.user, e.action, e.detail.get("from"), e.detail.get("to")) for e in audit.entries() if e.outcome == "ok"]
    assert ok == [
        ("wang", "create_case", None, None), ("wang", "edit_case", None, None),
        ("wang", "transition", STATUS_DRAFTING, STATUS_REVIEW),
        ("li", "transition", STATUS_REVIEW, STATUS_RETURNED),
        ("wang", "edit_case", None, None), ("wang", "transition", STATUS_RETURNED, STATUS_REVIEW),
        ("li", "edit_case", None, None), ("li", "transition", STATUS_REVIEW, STATUS_TO_SIGN),
        ("zhang", "transition", STATUS_TO_SIGN, STATUS_SIGNED), ("wang", "mark_replied", None, None),
    ]
    assert all("第二稿" not in str(e.detail) for e in audit.entries())  # no document text in the log

    # reopening is the 审核人's or 签发人's, with a reason
    with pytest.raises(AccessDenied):
        reopen_case(store, cid, "wang", "再改", actor=W)
    reopen_case(store, cid, "li", "领导要求补充", actor=L)
    assert store.get(cid).status == STATUS_DRAFTING and _trail(audit)[-1] == ("li", "reopen", "ok")


def test_other_offices_and_the_administrator(env: tuple[CaseStore, Settings, AuditLog]) -> None:
    store, settings, audit = env
    cid = store.create(_proposal(), OFFICE)
    store.add_version(cid, "第一稿")
    C, A, CO = _as(chen, audit), _as(root, audit), _as(cai, audit)
    # another office's 承办人: sees nothing, edits nothing
    assert visible_cases(store, C) == [] and waiting(store, chen) == []
    with pytest.raises(AccessDenied, match="不属于本单位"):
        save_edit(store, cid, "改", 1, actor=C)
    with pytest.raises(AccessDenied):
        move(store, cid, STATUS_REVIEW, C)
    # 管理员 does not touch case content
    assert visible_cases(store, A) == []
    with pytest.raises(AccessDenied, match="管理员默认不接触办件内容"):
        A.allow("view_case", store.get(cid), store)
    # a co-handling office still owed: may view and attach its own opinion, not another's, not edit the letter
    assert owed_offices(store, store.get(cid)) == ["东莞市工业和信息化局", CZJ]
    assert [c.id for c in visible_cases(store, CO)] == [cid]
    with pytest.raises(AccessDenied, match="只能提交本单位的会办意见"):
        attach_opinion(store, settings, cid, "工信局.txt", (DATA / "opinion-gxj.txt").read_bytes(), actor=CO)
    with pytest.raises(AccessDenied, match="协办单位只能查看"):
        save_edit(store, cid, "改", 1, actor=CO)
    opinion, _ = attach_opinion(store, settings, cid, "财政局.txt", (DATA / "opinion-czj.txt").read_bytes(), actor=CO)
    assert opinion.office == CZJ and [o.office for o in store.opinions(cid)] == [CZJ]
    assert visible_cases(store, CO) == []  # its opinion is in: no longer its case
    assert store.versions(cid)[-1].text == "第一稿"
    trail = _trail(audit)
    assert ("chen", "edit_case", "denied") in trail and ("chen", "submit_review", "denied") in trail
    assert ("root", "view_case", "denied") in trail and ("cai", "give_opinion", "ok") in trail
    assert ("cai", "give_opinion", "denied") in trail and ("cai", "edit_case", "denied") in trail
    # a move the workflow does not have
    with pytest.raises(CaseError, match="不能直接改为"):
        move(store, cid, STATUS_SIGNED, _as(zhang, audit))
    assert store.get(cid).status == STATUS_DRAFTING and _trail(audit)[-1] == ("zhang", "transition", "failed")


def test_the_desk_has_no_review(env: tuple[CaseStore, Settings, AuditLog]) -> None:
    store, settings, audit = env
    desk = Actor(None, audit, "本机")
    cid = store.create(_proposal(), OFFICE)
    assert save_edit(store, cid, "第一稿", 0, actor=desk) == 1
    finalize(store, settings, cid, "定稿.txt", FINAL_LETTER.encode(), actor=desk)  # no review needed
    assert store.get(cid).status == STATUS_FINAL and [c.id for c in visible_cases(store, desk)] == [cid]
    assert _trail(audit) == [("本机", "edit_case", "ok"), ("本机", "mark_replied", "ok")]


# ---- the CLI: the same flow with --as ---------------------------------------------------------------------

def test_the_whole_flow_through_the_cli(cli_env: Path, tmp_path: Path,  # noqa: F811
                                        capsys: pytest.CaptureFixture[str]) -> None:
    settings = Settings()  # type: ignore[call-arg]
    engine = open_engine(settings)
    users = UserStore(engine, PasswordHasher(time_cost=1, memory_cost=8, parallelism=1))
    for u in (wang, li, zhang, chen, root):
        users.add(u.name, u.role, u.office, password=PW, display=u.display)
    users.add("gone", "drafter", OFFICE, password=PW)
    users.disable("gone")
    cid = CaseStore.of(settings).create(_proposal(), OFFICE)
    capsys.readouterr()
    draft1, draft2 = tmp_path / "d1.txt", tmp_path / "d2.txt"
    draft1.write_text("第一稿", encoding="utf-8")
    draft2.write_text("第二稿（已补充数据）", encoding="utf-8")
    signed = tmp_path / "signed.txt"
    signed.write_text(FINAL_LETTER, encoding="utf-8")
    case = str(cid)

    assert _run(capsys, "--as", "wang", "case", case, "--submit")[0] == 2  # nothing drafted yet
    rc, out, err = _run(capsys, "--as", "wang", "case", case, "--edit", str(draft1))
    assert rc == 0 and "第1版已保存" in out, err
    rc, out, err = _run(capsys, "--as", "wang", "case", case, "--submit", "--comment", "请审核")
    assert rc == 0 and "待审核" in out, err
    rc, _, err = _run(capsys, "--as", "wang", "case", case, "--approve")
    assert rc == 1 and "不能审核通过" in err
    rc, out, _ = _run(capsys, "--as", "li", "todo")
    assert rc == 0 and f"#{cid}" in out
    rc, _, err = _run(capsys, "--as", "li", "case", case, "--return-draft")
    assert rc == 2 and "须写明修改意见" in err
    rc, _, err = _run(capsys, "--as", "li", "case", case, "--return-draft", "--comment", "请补充数据")
    assert rc == 0, err
    rc, out, _ = _run(capsys, "--as", "wang", "case", case)
    assert rc == 0 and "（退回修改）" in out and "退回修改意见：请补充数据" in out and "待审核→退回修改" in out
    rc, out, err = _run(capsys, "--as", "wang", "case", case, "--edit", str(draft2), "--base", "1")
    assert rc == 0 and "第2版已保存" in out, err
    assert _run(capsys, "--as", "wang", "case", case, "--submit")[0] == 0
    assert _run(capsys, "--as", "li", "case", case, "--approve", "--comment", "同意")[0] == 0
    rc, _, err = _run(capsys, "--as", "wang", "case", case, "--edit", str(draft1), "--base", "2")
    assert rc == 2 and "已送签发/已签发" in err
    assert _run(capsys, "--as", "wang", "case", case, "--sign")[0] == 1
    rc, out, _ = _run(capsys, "--as", "zhang", "todo", "--json")
    assert f'"id": {cid}' in out
    assert _run(capsys, "--as", "zhang", "case", case, "--sign")[0] == 0
    rc, out, err = _run(capsys, "--as", "wang", "case", case, "--final", str(signed), "--allow-blanks")
    assert rc == 0 and "已答复" in out, err
    rc, out, _ = _run(capsys, "--as", "wang", "cases", "--json")
    assert '"status": "已答复"' in out

    # other users
    rc, _, err = _run(capsys, "--as", "nobody", "case", case)
    assert rc == 2 and "没有用户 nobody" in err
    rc, _, err = _run(capsys, "--as", "gone", "case", case)
    assert rc == 2 and "已停用" in err
    rc, _, err = _run(capsys, "--as", "chen", "case", case)
    assert rc == 1 and "不属于本单位" in err
    rc, out, _ = _run(capsys, "--as", "chen", "cases", "--json")
    assert rc == 0 and out.strip() == "[]"
    rc, _, err = _run(capsys, "--as", "root", "case", case)
    assert rc == 1 and "管理员默认不接触办件内容" in err
    assert _run(capsys, "todo")[0] == 2  # whose to-do? --as is needed

    audit = AuditLog(engine)
    moves = [(e.user, e.detail.get("from"), e.detail.get("to")) for e in audit.entries(action="transition")
             if e.outcome == "ok"]
    assert moves == [("wang", STATUS_DRAFTING, STATUS_REVIEW), ("li", STATUS_REVIEW, STATUS_RETURNED),
                     ("wang", STATUS_RETURNED, STATUS_REVIEW), ("li", STATUS_REVIEW, STATUS_TO_SIGN),
                     ("zhang", STATUS_TO_SIGN, STATUS_SIGNED)]
    trail = _trail(audit)
    assert ("wang", "approve", "denied") in trail and ("wang", "sign", "denied") in trail
    assert ("wang", "mark_replied", "ok") in trail and ("chen", "view_case", "denied") in trail
    assert ("root", "view_case", "denied") in trail and ("cli:nobody", "sign_in", "denied") in trail
    assert [e.user for e in audit.entries(action="edit_case")] == ["wang", "wang"]
    # without --as: the server's operator, unchecked but audited
    rc, out, _ = _run(capsys, "case", case)
    assert rc == 0 and "已答复" in out and audit.entries()[-1].user.startswith("cli:")

"""The command line of cases: `assistant draft --proposal-file/--case`, `assistant cases`, `assistant case ID …`.

Thin over assistant/casework. Bad input gets one clear line (Chinese, as the drafter reads it) and nothing
already stored is lost: a bad opinion file is refused while the others and the case stay.

Who acts: `--as USER` (checked against the roles, every step in the audit log), else the operating-system user
as `cli:NAME` (the server's operator: not checked, still audited). The review workflow: `assistant case N
--submit | --approve | --return-draft --comment … | --sign`, and `assistant todo` lists what waits for the user.
Exit codes: 0 done, 1 refused by the access rules, 2 bad input or refused by the case, 3 a version conflict.
"""

from __future__ import annotations

import argparse
import json
import sys
from pathlib import Path
from typing import Any

from assistant.access import AccessDenied, AuditLog, UserStore, open_engine
from assistant.casework.diff import render_diff
from assistant.casework.guard import Actor, visible_cases
from assistant.casework.intake import IntakeError, ParsedProposal
from assistant.casework.review import history, move, return_comments, waiting
from assistant.casework.store import (
    STATUS_RETURNED,
    STATUS_REVIEW,
    STATUS_SIGNED,
    STATUS_TO_SIGN,
    CaseError,
    CaseStore,
    VersionConflict,
    final_message,
    when,
)
from assistant.casework.workflow import (
    BlanksLeft,
    attach_opinion,
    draft_case,
    draft_of,
    finalize,
    open_case,
    reopen_case,
    save_edit,
    save_fields,
)
from assistant.cli.common import settings_from
from assistant.cli.users import os_actor
from assistant.letters.draft import with_text
from assistant.letters.model import LetterFields
from core.settings import Settings


def _read(path: str) -> tuple[str, bytes]:
    p = Path(path)
    try:
        return p.name, p.read_bytes()
    except OSError as exc:
        raise IntakeError(f"{p.name}：无法读取（{exc.strerror or exc}）") from exc


class BadUser(Exception):
    """--as names no user, or a disabled one (exit 2)."""


def actor_from(args: argparse.Namespace, settings: Settings) -> Actor:
    """Who runs a case command: the `--as` user (BadUser when unknown or disabled), else the OS user as
    `cli:NAME`, unchecked; both audited."""
    engine = open_engine(settings)
    audit = AuditLog(engine)
    name = getattr(args, "as_user", None)
    if not name:
        return Actor(None, audit, os_actor())
    user = UserStore(engine).get(name)
    if user is None or user.disabled:
        audit.record(f"cli:{name}", "sign_in", "cli", "denied", reason="unknown --as user" if user is None
                     else "disabled")
        raise BadUser(f"没有用户 {name}（--as）" if user is None else f"用户 {name} 已停用，不能以其身份操作")
    return Actor(user, audit)


def _author(args: argparse.Namespace, actor: Actor) -> str:
    """A version's author: --author, else the signed-in user's name ('' at the desk, as before)."""
    return str(args.author or (actor.shown if actor.user is not None else ""))


def proposal_lines(p: ParsedProposal) -> list[str]:
    """The parsed proposal as the drafter checks it."""
    out = [f"标题：{p.title or '（未识别）'}", f"编号：{p.number or '（未识别）'}",
           f"提出人：{'、'.join(p.proposers) or '（未识别）'}（{p.body_kind or '人大/政协未识别'}）",
           f"会议：{p.session or '（未写明）'}", f"主办单位：{p.lead_office or '（未写明）'}",
           f"会办单位：{'、'.join(p.co_offices) or '（未写明）'}"]
    out += [f"诉求{i + 1}：{a}" for i, a in enumerate(p.asks)] or ["诉求：（未识别）"]
    out += [f"问题{i + 1}：{a}" for i, a in enumerate(p.problems)]
    out += [f"请核对：{w}" for w in p.problems_to_check()]
    return out


def draft_from_file(args: argparse.Namespace) -> int:
    from assistant.answers.answer import Assistant
    from assistant.letters.draft import Drafter
    from assistant.letters.export import to_docx, to_markdown, to_review_docx
    from assistant.letters.model import LetterFields
    from assistant.retrieval.services import build_services

    status = 0
    try:
        settings, store, actor = _opened(args)
        case_id = _case_for(args, store, settings, actor)
    except AccessDenied as exc:
        print(f"error: {exc}", file=sys.stderr)
        return 1
    except (IntakeError, CaseError, BadUser) as exc:
        print(f"error: {exc}", file=sys.stderr)
        return 2
    case = store.get(case_id)
    if case.is_final:  # nothing is drafted or attached on a final case
        print(f"error: {final_message(case_id, case.final_at)}", file=sys.stderr)
        return 2
    if not case.office:
        print(f"办件 #{case_id} 已保存；请用 --office 指定答复单位后再起草（assistant draft --case {case_id} --office …）",
              file=sys.stderr)
        return 2
    services = build_services(settings)
    warnings: list[str] = []
    for path in args.opinion:
        try:
            name, data = _read(path)
            opinion, warns = attach_opinion(store, settings, case_id, name, data, services, actor=actor)
            warnings += [f"{name}：{w}" for w in warns]
            print(f"会办意见：{opinion.office}（{opinion.date or '日期未写明'}，{len(opinion.points)} 点）", file=sys.stderr)
        except (IntakeError, CaseError, AccessDenied) as exc:
            print(f"error: {exc}", file=sys.stderr)
            status = 1
    for w in warnings:
        print(f"warning: {w}", file=sys.stderr)
    fields = LetterFields()
    try:
        draft, n = draft_case(store, case_id, Drafter(Assistant(services)), args.generator, _author(args, actor),
                              args.note, args.date or "", fields, actor=actor)
    except AccessDenied as exc:
        print(f"error: {exc}", file=sys.stderr)
        return 1
    except CaseError as exc:  # a final case: reopen it first
        print(f"error: {exc}", file=sys.stderr)
        return 2
    _print_draft(args, store, case_id, n, draft, warnings)
    _export(args, draft, to_docx, to_markdown, to_review_docx)
    return status


def _case_for(args: argparse.Namespace, store: CaseStore, settings: Settings, actor: Actor) -> int:
    """The case to draft for: the one named by --case, else one opened from --proposal-file."""
    if args.case:
        case = store.get(args.case)
        actor.allow("view_case", case, store)
        if args.office and args.office != case.office:
            actor.allow("edit_case", case, store)
            store.update(args.case, office=args.office)
            actor.record("edit_case", case.id, how="office")
        return int(args.case)
    name, data = _read(args.proposal_file)
    case_id, _ = open_case(store, settings, name, data, args.office or "", "co" if args.co else "lead",
                           args.lead_office or "", args.due, actor=actor)
    if args.office and not store.get(case_id).office:
        store.update(case_id, office=args.office)
    return case_id


def _print_draft(args: argparse.Namespace, store: CaseStore, case_id: int, n: int, draft: Any,
                 warnings: list[str]) -> None:
    case = store.get(case_id)
    if args.json:
        print(json.dumps({"case": case_id, "version": n, "status": case.status,
                          "proposal": case.proposal.to_dict(), "opinions": [o.to_dict() for o in store.opinions(case_id)],
                          "warnings": warnings, "draft": draft.to_dict()}, ensure_ascii=False, indent=2))
        return
    print("来文解析（请核对，可用 assistant case … --set 修改）：")
    print("\n".join("  " + ln for ln in proposal_lines(case.proposal)))
    print()
    if draft.notice:
        print(f"提示：{draft.notice}")
    print(draft.title, "\n")
    print(draft.text)
    print("\n建议覆盖：" + "；".join(f"{a.ask[:20]}{'✓' if a.found else '（未找到材料）'}" for a in draft.asks))
    print(f"\n办件 #{case_id} 第{n}版已保存（{case.status}）")


def _export(args: argparse.Namespace, draft: Any, to_docx: Any, to_markdown: Any, to_review_docx: Any) -> None:
    if getattr(args, "docx", None):
        Path(args.docx).write_bytes(to_docx(draft, include_sources=False))
        print(f"wrote {args.docx}", file=sys.stderr)
    if getattr(args, "review_docx", None):
        Path(args.review_docx).write_bytes(to_review_docx(draft))
        print(f"wrote {args.review_docx}", file=sys.stderr)
    if getattr(args, "markdown", None):
        Path(args.markdown).write_text(to_markdown(draft, include_sources=True), encoding="utf-8")
        print(f"wrote {args.markdown}", file=sys.stderr)


def _opened(args: argparse.Namespace) -> tuple[Settings, CaseStore, Actor]:
    """The settings, the case store and who acts (`--as`); BadUser for an unknown or disabled user."""
    settings = settings_from(args)
    return settings, CaseStore.of(settings), actor_from(args, settings)


def cmd_cases(args: argparse.Namespace) -> int:
    try:
        _, store, actor = _opened(args)
    except BadUser as exc:
        print(f"error: {exc}", file=sys.stderr)
        return 2
    rows = [c.row() for c in visible_cases(store, actor)]
    if args.json:
        print(json.dumps(rows, ensure_ascii=False, indent=2))
        return 0
    if not rows:
        print("还没有办件（assistant draft --proposal-file 来文 --office 答复单位）")
    for r in rows:
        print(f"#{r['id']:<4} {r['status']:<4} 版本 {r['versions']:<3} {('办理期限 ' + r['due']) if r['due'] else '':<16} "
              f"{('第' + r['number'] + '号 ') if r['number'] else ''}{r['title']}  {r['proposer']}  {r['office']}")
    return 0


_SETTABLE = {"title", "number", "proposers", "body_kind", "kind", "session", "lead_office", "co_offices", "asks"}


_MOVES = {"submit": STATUS_REVIEW, "approve": STATUS_TO_SIGN, "return_draft": STATUS_RETURNED, "sign": STATUS_SIGNED}


def cmd_case(args: argparse.Namespace) -> int:
    try:
        settings, store, actor = _opened(args)
        return _case_command(args, settings, store, actor)
    except AccessDenied as exc:
        print(f"error: {exc}", file=sys.stderr)
        return 1
    except (IntakeError, CaseError, BadUser) as exc:
        print(f"error: {exc}", file=sys.stderr)
        return 2


def _case_command(args: argparse.Namespace, settings: Settings, store: CaseStore, actor: Actor) -> int:
    case = store.get(args.id)
    actor.allow("view_case", case, store)
    if args.reason and not args.reopen:
        raise CaseError("--reason 只与 --reopen 一起使用")
    to = next((state for flag, state in _MOVES.items() if getattr(args, flag, False)), None)
    if args.comment and to is None:
        raise CaseError("--comment 只与 --submit、--approve、--return-draft、--sign 一起使用")
    services = None
    if args.opinion or args.final or args.reopen:
        from assistant.retrieval.services import build_services

        services = build_services(settings)
    if args.reopen:  # first, so that one command can reopen and then correct
        notes = reopen_case(store, args.id, args.author, args.reason or "",
                            services, actor=actor)
        print(f"办件 #{args.id} 已重新打开（原定稿留存在办件记录中）")
        for n in notes:
            print(f"warning: {n}", file=sys.stderr)
    if args.set:
        actor.allow("edit_case", store.get(args.id), store)
        _correct(store, args)
        actor.record("edit_case", args.id, how="correct", fields=[item.partition("=")[0] for item in args.set])
    status = _opinions(store, settings, args, services, actor)
    if args.edit:
        status = max(status, _edit(store, args, actor))
    if args.diff:
        a, b = (store.version(args.id, int(x)) for x in args.diff)
        print(render_diff(a.text, b.text, f"第{a.n}版", f"第{b.n}版"))
    if args.field:
        status = max(status, _fields(store, args, actor))
    if to is not None:
        before = store.get(args.id).status
        move(store, args.id, to, actor, args.comment or "")
        print(f"办件 #{args.id}：{before} → {to}")
    if args.final:
        name, data = _read(args.final)
        try:  # as on the 办件 page: a letter with blanks is refused unless --allow-blanks
            diff, notes = finalize(store, settings, args.id, name, data, services, args.author, check_blanks=True,
                                   allow_blanks=args.allow_blanks, actor=actor)
        except BlanksLeft as exc:
            print(f"error: {exc}", file=sys.stderr)
            print("填写后再定稿；或确认无需填写后加 --allow-blanks（记入版本说明）", file=sys.stderr)
            return 2
        print(diff)
        print("\n".join(notes))
        print(f"办件 #{args.id} 已定稿（已答复），定稿已存入资料库")
    if args.docx or args.review_docx or args.markdown:
        from assistant.letters.export import to_docx, to_markdown, to_review_docx

        actor.allow("export", store.get(args.id), store)
        v = store.version(args.id, args.version)
        draft = with_text(draft_of(v, settings.support_threshold), v.text, settings.support_threshold)
        _export(args, draft, to_docx, to_markdown, to_review_docx)
        actor.record("export", args.id, version=v.n)
    if not (args.reopen or args.set or args.remove_opinion or args.opinion or args.edit or args.diff or args.final
            or args.field or args.docx or args.review_docx or args.markdown or to):
        _show(store, args.id, args.json)
        actor.record("view_case", args.id)
    return status


def cmd_todo(args: argparse.Namespace) -> int:
    """`assistant --as USER todo`: the cases waiting for this user."""
    try:
        _, store, actor = _opened(args)
    except BadUser as exc:
        print(f"error: {exc}", file=sys.stderr)
        return 2
    if actor.user is None:
        print("error: 请用 --as 用户名 指明是谁的待办（assistant --as wang todo）", file=sys.stderr)
        return 2
    rows = [c.row() for c in waiting(store, actor.user)]
    if args.json:
        print(json.dumps(rows, ensure_ascii=False, indent=2))
        return 0
    if not rows:
        print(f"{actor.user.shown}：没有待办的办件")
    for r in rows:
        print(f"#{r['id']:<4} {r['status']:<4} {('办理期限 ' + r['due']) if r['due'] else '':<16} "
              f"{('第' + r['number'] + '号 ') if r['number'] else ''}{r['title']}  {r['office']}")
    return 0


def _correct(store: CaseStore, args: argparse.Namespace) -> None:
    """Corrections of the parsed proposal: --set title=… --set asks=a|b|c (office and due are the case's)."""
    p = store.get(args.id).proposal
    for item in args.set:
        key, _, value = item.partition("=")
        if key in ("office", "due", "lead_office_case"):
            store.update(args.id, **{"office" if key == "office" else "due": value})
            continue
        if key not in _SETTABLE:
            raise CaseError(f"不能修改的字段：{key}（可改：{'、'.join(sorted(_SETTABLE))}、office、due）")
        setattr(p, key, [v for v in value.split("|") if v] if key in ("proposers", "co_offices", "asks") else value)
    store.update(args.id, p)
    print(f"办件 #{args.id} 已更新")


def _opinions(store: CaseStore, settings: Settings, args: argparse.Namespace, services: Any, actor: Actor) -> int:
    """--remove-opinion and --opinion; 1 when one of them could not be done (the others still are)."""
    status = 0
    if args.remove_opinion:
        actor.allow("edit_case", store.get(args.id), store)
    for office in args.remove_opinion:
        if store.remove_opinion(args.id, office):
            actor.record("edit_case", args.id, how="remove_opinion", opinion_office=office)
            print(f"已删除 {office} 的会办意见")
        else:
            print(f"error: 没有“{office}”的会办意见", file=sys.stderr)
            status = 1
    for path in args.opinion:
        try:
            name, data = _read(path)
            opinion, warns = attach_opinion(store, settings, args.id, name, data, services, actor=actor)
            print(f"已附加 {opinion.office} 的会办意见" + "".join(f"\nwarning: {w}" for w in warns))
        except (IntakeError, CaseError, AccessDenied) as exc:
            print(f"error: {exc}", file=sys.stderr)
            status = 1
    return status


def _edit(store: CaseStore, args: argparse.Namespace, actor: Actor) -> int:
    """`--edit FILE --base N`: the text edited from version N becomes the next version, unless someone saved a
    newer one meanwhile (refused, exit 3: the file is untouched and the diff shows what changed)."""
    try:
        text = Path(args.edit).read_text(encoding="utf-8")
    except (OSError, UnicodeDecodeError) as exc:
        raise CaseError(f"{Path(args.edit).name}：无法读取（{exc}）") from exc
    base = args.base
    if base is None:
        latest = store.get(args.id).versions
        if latest:
            raise CaseError(f"请用 --base 写明修改所依据的版本（当前最新为第{latest}版），以免覆盖他人的修改")
        base = 0
    try:
        n = save_edit(store, args.id, text, base, _author(args, actor), args.note, actor=actor)
    except VersionConflict as exc:
        print(f"error: {exc}", file=sys.stderr)
        print(exc.diff(), file=sys.stderr)
        print(f"你的修改仍在 {args.edit}；合并后请用 --base {exc.newer.n} 再保存。", file=sys.stderr)
        return 3
    if n is None:
        print(f"内容与第{base}版相同，未保存新版本")
    else:
        print(f"办件 #{args.id} 第{n}版已保存")
    return 0


_FIELD_KEYS = {"category", "disclosure", "cc", "signer", "contact", "phone", "date"}


def _fields(store: CaseStore, args: argparse.Namespace, actor: Actor) -> int:
    """`--field KEY=VALUE`: the letter's fields and date, saved with the latest version's text as the next version
    (fields not named keep their saved values)."""
    from assistant.casework.workflow import letter_fields

    versions = store.versions(args.id)
    if not versions:
        raise CaseError("该办件还没有草稿版本；请先起草")
    fields, date = letter_fields(versions)
    values = {**fields.as_dict(), "date": date}
    for item in args.field:
        k, sep, v = item.partition("=")
        if not sep or k not in _FIELD_KEYS:
            raise CaseError(f"不能填写的来函信息：{item}（可填：{'、'.join(sorted(_FIELD_KEYS))}，写成 KEY=VALUE）")
        values[k] = v.strip()
    n = save_fields(store, args.id, versions[-1].text, versions[-1].n, LetterFields.of(values), values["date"],
                    _author(args, actor), args.note, actor=actor)
    print(f"办件 #{args.id} 第{n}版已保存（来函信息）" if n else "来函信息与最新版相同，未保存新版本")
    return 0


def _show(store: CaseStore, case_id: int, as_json: bool) -> None:
    case = store.get(case_id)
    versions = store.versions(case_id)
    opinions = store.opinions(case_id)
    events = store.events(case_id)
    if as_json:
        print(json.dumps({**case.row(), "proposal": case.proposal.to_dict(), "opinions": [o.to_dict() for o in opinions],
                          "history": [{"n": v.n, "author": v.author, "note": v.note, "created": v.created}
                                      for v in versions], "final_text": case.final_text, "final_at": case.final_at,
                          "events": [{"kind": e.kind, "who": e.who, "reason": e.reason, "created": e.created,
                                      **({"from": e.data.get("from"), "to": e.data.get("to")}
                                         if e.kind == "state" else {})} for e in events],
                          "transitions": [{"from": t.frm, "to": t.to, "who": t.who, "at": t.at, "comment": t.comment}
                                          for t in history(store, case_id)],
                          "return_comments": return_comments(store, case_id)},
                         ensure_ascii=False, indent=2))
        return
    print(f"办件 #{case.id}（{case.status}）{case.office}")
    print("\n".join(proposal_lines(case.proposal)))
    for o in opinions:
        print(f"会办意见：{o.office} {o.date} {len(o.points)} 点（{o.source}）")
    for v in versions:
        print(f"第{v.n}版 {when(v.created)} {v.author or '—'} {v.note}")
    for e in events:
        print(e.line())
    comments = return_comments(store, case_id)
    if comments and case.status in (STATUS_RETURNED, "起草中", STATUS_REVIEW):
        print("退回修改意见：" + "；".join(comments))
    if case.final_text is not None:
        print(f"定稿：{when(case.final_at)}（只读；如需修改：assistant case {case.id} --reopen --reason …）")


def add_case_parsers(sub: Any) -> None:
    s = sub.add_parser("cases", help="list the cases you may see: proposal, status (待起草/起草中/待审核/退回修改/"
                       "待签发/已签发/已答复), versions, due date")
    s.add_argument("--json", action="store_true")
    s.set_defaults(func=cmd_cases)

    s = sub.add_parser("todo", help="the cases waiting for the --as user (by role and office)")
    s.add_argument("--json", action="store_true")
    s.set_defaults(func=cmd_todo)

    s = sub.add_parser("case", help="one case: show, correct, opinions, edit, diff, export, final letter")
    s.add_argument("id", type=int)
    s.add_argument("--set", action="append", default=[], metavar="FIELD=VALUE",
                   help="correct the parsed proposal (title, number, proposers=a|b, asks=a|b, …) or office/due")
    s.add_argument("--opinion", action="append", default=[], help="attach a co-handling opinion file (repeatable)")
    s.add_argument("--edit", metavar="FILE", help="save this text file as the next version (with --base)")
    s.add_argument("--base", type=int, metavar="N",
                   help="the version the edited file was made from; refused (exit 3) when a newer one exists")
    s.add_argument("--remove-opinion", action="append", default=[], metavar="OFFICE",
                   help="detach the co-handling opinion of this office (as stored)")
    s.add_argument("--reopen", action="store_true", help="reopen a final case (with --reason; recorded)")
    s.add_argument("--reason", help="why the final case is reopened")
    s.add_argument("--author", default="", help="who edits, finalises or reopens")
    s.add_argument("--note", default="")
    s.add_argument("--diff", nargs=2, metavar=("A", "B"), help="readable diff between versions A and B")
    s.add_argument("--field", action="append", default=[], metavar="KEY=VALUE",
                   help="the letter's fields, saved as the next version: category, disclosure, cc, signer, contact, "
                   "phone, date (e.g. --field signer=张三 --field date=2025年6月30日)")
    s.add_argument("--final", metavar="FILE", help="the signed final letter: diffed, stored, ingested; refused "
                   "while it holds 【待填写】 blanks unless --allow-blanks")
    s.add_argument("--allow-blanks", action="store_true",
                   help="finalise although the letter holds blanks (recorded in the version note)")
    s.add_argument("--version", type=int, help="the version to export (default: the last)")
    s.add_argument("--docx", help="the clean letter for sending (.docx)")
    s.add_argument("--review-docx", help="the review copy: sources as Word comments, unsupported highlighted")
    s.add_argument("--markdown", help="Markdown with [n] and the source list")
    flow = s.add_mutually_exclusive_group()
    flow.add_argument("--submit", action="store_true", help="submit the draft for review (承办人): → 待审核")
    flow.add_argument("--approve", action="store_true", help="approve it for signature (审核人): → 待签发")
    flow.add_argument("--return-draft", action="store_true",
                      help="return it for revision (审核人/签发人, with --comment): → 退回修改")
    flow.add_argument("--sign", action="store_true", help="sign it (签发人): → 已签发; then --final FILE")
    s.add_argument("--comment", help="the comment of the move (required with --return-draft); shown on the case")
    s.add_argument("--json", action="store_true")
    s.set_defaults(func=cmd_case)

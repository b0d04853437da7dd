"""Users from the command line: add, list, disable, enable, passwd. Every change goes into the audit log.

Passwords are read from standard input (one line; twice with getpass at a terminal), never from argv, where
`ps` and the shell history would show them. Who acts: `--as USER` (who must be allowed to manage users), or the
operating-system user as `cli:NAME` (someone with the database in hand; how the first 管理员 is added).
Exit codes: 0 done, 1 refused (weak password, unknown or duplicate user, not allowed), 2 bad input.
"""

from __future__ import annotations

import argparse
import getpass
import json
import os
import sys
from typing import Any

from assistant.access import AccessDenied, AuditLog, User, UserError, UserStore, open_engine, require, role_of
from assistant.cli.common import settings_from


class CliRefusal(Exception):
    """A refusal to print as one line, with its exit code."""

    def __init__(self, message: str, code: int = 1, logged: bool = False) -> None:
        super().__init__(message)
        self.code = code
        self.logged = logged  # already in the audit log (a denial)


def os_actor() -> str:
    try:
        return f"cli:{getpass.getuser()}"
    except (KeyError, OSError):
        return f"cli:uid{os.getuid()}" if hasattr(os, "getuid") else "cli:unknown"


def acting_user(args: argparse.Namespace, store: UserStore, audit: AuditLog, need: str, action: str,
                target: str) -> User | str:
    """Who runs the command: the `--as` user, who must be allowed `need` (a refusal is logged as `action`),
    or the OS user."""
    name = getattr(args, "as_user", None)
    if not name:
        return os_actor()
    user = store.get(name)
    if user is None:
        audit.record(f"cli:{name}", action, target, "denied", reason="unknown --as user")
        raise CliRefusal(f"没有用户 {name}（--as）", logged=True)
    try:
        require(user, need)
    except AccessDenied as exc:
        audit.record(user, action, target, "denied")
        raise CliRefusal(str(exc), logged=True) from None
    return user


def read_password() -> str:
    """The new password: twice with getpass at a terminal, else the first line of standard input."""
    if sys.stdin.isatty():
        first = getpass.getpass("新密码：")
        if getpass.getpass("再输入一次：") != first:
            raise CliRefusal("两次输入的密码不一致")
        return first
    line = sys.stdin.readline()
    if not line:
        raise CliRefusal("没有从标准输入读到密码（例如：printf '%s\\n' \"$PW\" | assistant users add …）", 2)
    return line.rstrip("\r\n")


def _open(args: argparse.Namespace) -> tuple[UserStore, AuditLog]:
    engine = open_engine(settings_from(args))
    return UserStore(engine), AuditLog(engine)


def _change(args: argparse.Namespace, action: str, op: str, **detail: Any) -> int:
    """Run one user change as the acting user, logging it as ok or failed."""
    store, audit = _open(args)
    target = f"user:{args.name}"
    try:
        actor = acting_user(args, store, audit, "manage_users", action, target)
        if op == "add":
            user = store.add(args.name, args.role, args.office, display=args.display or "",
                             oidc_subject=args.oidc_subject,
                             password=None if args.oidc_subject and not args.password_stdin else read_password())
            message = f"已添加用户 {user.name}（{role_of(user.role).label}，{user.office}）"
        elif op == "disable":
            user = store.disable(args.name)
            message = f"已停用用户 {user.name}"
        elif op == "enable":
            user = store.enable(args.name)
            message = f"已启用用户 {user.name}"
        else:
            if store.get(args.name) is None:
                raise UserError(f"没有用户 {args.name}")
            user = store.set_password(args.name, read_password())
            message = f"已更改用户 {user.name} 的密码"
    except (UserError, CliRefusal) as exc:
        if not getattr(exc, "logged", False):
            audit.record(getattr(args, "as_user", None) or os_actor(), action, target, "failed",
                         reason=str(exc)[:200], **detail)
        print(f"错误：{exc}", file=sys.stderr)
        return exc.code if isinstance(exc, CliRefusal) else 1
    audit.record(actor, action, target, "ok", **detail)
    print(message)
    return 0


def cmd_add(args: argparse.Namespace) -> int:
    try:
        role = role_of(args.role)
    except ValueError as exc:
        print(f"错误：{exc}", file=sys.stderr)
        return 2
    args.role = role.code
    return _change(args, "user_add", "add", role=role.code, office=args.office.strip(),
                   oidc=bool(args.oidc_subject))


def cmd_list(args: argparse.Namespace) -> int:
    store, audit = _open(args)
    try:
        acting_user(args, store, audit, "manage_users", "user_list", "users")
    except CliRefusal as exc:
        print(f"错误：{exc}", file=sys.stderr)
        return exc.code
    rows = store.rows()
    if args.json:
        print(json.dumps(rows, ensure_ascii=False, indent=2))
        return 0
    if not rows:
        print("还没有用户（assistant users add NAME --role 管理员 --office …）")
    for r in rows:
        sign_in = "、".join(k for k, on in (("密码", r["password"]), ("OIDC", r["oidc"])) if on)
        state = "已停用" if r["disabled"] else "正常"
        print(f"{r['name']}\t{r['display'] or '—'}\t{r['role_label']}\t{r['office']}\t{sign_in}\t{state}")
    return 0


def add_parsers(sub: Any) -> None:
    s = sub.add_parser("users", help="users: add, list, disable, enable, passwd (password from stdin)")
    usub = s.add_subparsers(dest="users_command", required=True)

    a = usub.add_parser("add", help="add a user; the password is read from standard input")
    a.add_argument("name")
    a.add_argument("--role", required=True, help="承办人/drafter, 审核人/reviewer, 签发人/signer, 管理员/admin")
    a.add_argument("--office", required=True, help="the user's office, e.g. 东莞市工业和信息化局")
    a.add_argument("--display", help="the name people read (default: NAME)")
    a.add_argument("--oidc-subject", help="sign in through OIDC with this subject; no password is read")
    a.add_argument("--password-stdin", action="store_true",
                   help="with --oidc-subject: read a password as well")
    a.set_defaults(func=cmd_add)

    lst = usub.add_parser("list", help="every user with role, office and state (no hashes)")
    lst.add_argument("--json", action="store_true")
    lst.set_defaults(func=cmd_list)

    for op, action, text in (("disable", "user_disable", "refuse this user's sign-in from now on"),
                             ("enable", "user_enable", "let a disabled user sign in again"),
                             ("passwd", "user_passwd", "set a new password (read from standard input)")):
        p = usub.add_parser(op, help=text)
        p.add_argument("name")
        p.set_defaults(func=lambda args, _op=op, _action=action: _change(args, _action, _op))

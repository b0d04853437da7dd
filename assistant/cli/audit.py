"""The audit log from the command line: `assistant audit [--since DATE] [--user U] [--action A] [--json|--csv]`.

Reading the log is itself logged (action view_audit). With `--as USER` that user must be allowed to view the
audit log (管理员); without it the operating-system user reads, as `cli:NAME`.
"""

from __future__ import annotations

import argparse
import json
import sys
from datetime import date, datetime
from typing import Any

from assistant.access import AuditLog, UserStore, open_engine, to_csv
from assistant.cli.common import settings_from
from assistant.cli.users import CliRefusal, acting_user


def _when(text: str) -> date | datetime:
    return datetime.fromisoformat(text) if "T" in text or " " in text.strip() else date.fromisoformat(text)


def cmd_audit(args: argparse.Namespace) -> int:
    since: date | datetime | None = None
    if args.since:
        try:
            since = _when(args.since)
        except ValueError:
            print(f"错误：--since {args.since} 不是日期（例如 2026-01-31 或 2026-01-31T08:00）", file=sys.stderr)
            return 2
    engine = open_engine(settings_from(args))
    log = AuditLog(engine)
    try:
        actor = acting_user(args, UserStore(engine), log, "view_audit", "view_audit", "audit")
    except CliRefusal as exc:
        print(f"错误：{exc}", file=sys.stderr)
        return exc.code
    entries = log.entries(since=since, user=args.user, action=args.action, limit=args.limit)
    if args.json:
        print(json.dumps([e.to_dict() for e in entries], ensure_ascii=False, indent=2))
    elif args.csv:
        sys.stdout.write(to_csv(entries))
    else:
        if not entries:
            print("没有符合条件的审计记录")
        for e in entries:
            detail = json.dumps(e.detail, ensure_ascii=False, sort_keys=True) if e.detail else ""
            print(f"{e.at.isoformat(timespec='seconds')}  {e.user}  {e.action}  {e.target}  {e.outcome}  {detail}")
    asked = {"since": args.since, "of_user": args.user, "of_action": args.action}
    log.record(actor, "view_audit", "audit", "ok", shown=len(entries), **{k: v for k, v in asked.items() if v})
    return 0


def add_parsers(sub: Any) -> None:
    s = sub.add_parser("audit", help="the audit log: who did what, when, with what outcome")
    s.add_argument("--since", help="from this date (UTC), e.g. 2026-01-31 or 2026-01-31T08:00")
    s.add_argument("--user", help="only this user (e.g. wang or cli:root)")
    s.add_argument("--action", help="only this action (e.g. user_add, view_audit)")
    s.add_argument("--limit", type=int, default=1000, help="the newest N entries (default 1000)")
    fmt = s.add_mutually_exclusive_group()
    fmt.add_argument("--json", action="store_true")
    fmt.add_argument("--csv", action="store_true")
    s.set_defaults(func=cmd_audit)

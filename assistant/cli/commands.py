"""The `assistant` command line: one parser, one module per command group (archive, answers, cases,
evaluation, users, audit)."""

from __future__ import annotations

import argparse
import sys

from assistant.cli import answers, archive, audit, cases, evaluation, users


def build_parser() -> argparse.ArgumentParser:
    p = argparse.ArgumentParser(prog="assistant", description="Reply-letter assistant (答复函助手)")
    p.add_argument("--data-dir", help="override ASSISTANT_DATA_DIR")
    p.add_argument("--as", dest="as_user", metavar="USER",
                   help="act as this user (permission checks, audit log); default: the OS user as cli:NAME")
    sub = p.add_subparsers(dest="command", required=True)
    archive.add_parsers(sub)
    answers.add_parsers(sub)
    cases.add_case_parsers(sub)
    evaluation.add_parsers(sub)
    users.add_parsers(sub)
    audit.add_parsers(sub)
    return p


def main(argv: list[str] | None = None) -> int:
    args = build_parser().parse_args(argv)
    from core.store import StoreError

    try:
        if args.as_user and (refused := _hide_documents(args)):
            print(f"error: {refused}", file=sys.stderr)
            return 2
        return int(args.func(args))
    except StoreError as exc:
        print(f"error: {exc}", file=sys.stderr)
        return 2
    except KeyboardInterrupt:
        print("interrupted; run the same command again to finish", file=sys.stderr)
        return 130


def _hide_documents(args: argparse.Namespace) -> str:
    """With --as USER, every search of this command leaves out the documents that user may not read (another
    office's 内部 documents), as the app does for a signed-in user. An unknown or disabled user is refused
    before any command runs (recorded): the refusal's message, else ""."""
    from assistant.access import AuditLog, UserStore, open_engine
    from assistant.access.documents import DocAccess
    from assistant.cli.common import settings_from
    from assistant.retrieval.hybrid import HIDDEN_DOCS

    engine = open_engine(settings_from(args))
    user = UserStore(engine).get(args.as_user)
    if user is None or user.disabled:
        why = f"没有用户 {args.as_user}" if user is None else f"用户 {args.as_user} 已停用"
        AuditLog(engine).record(f"cli:{args.as_user}", "sign_in", "cli", "denied", reason=why)
        return why
    HIDDEN_DOCS.set(DocAccess(engine).hidden_for(user))
    return ""

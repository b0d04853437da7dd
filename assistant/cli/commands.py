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
        return int(args.func(args))
    except StoreError as exc:
        print(f"error: {exc}", file=sys.stderr)
        return 2
    except KeyboardInterrupt:
        print("interrupted; run the same command again to finish", file=sys.stderr)
        return 130

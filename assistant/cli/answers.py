"""Answers, drafts and checks from the command line: ask, draft, check."""

from __future__ import annotations

import argparse
import json
import sys
from pathlib import Path
from typing import Any

from assistant.cli.common import add_filters, filters_from, settings_from


def cmd_ask(args: argparse.Namespace) -> int:
    from assistant.answers.answer import Answer, Assistant
    from assistant.retrieval.services import build_services

    assistant = Assistant(build_services(settings_from(args)))
    final: Answer | None = None
    for item in assistant.stream(args.question, filters_from(args), args.k, generator=args.generator):
        if isinstance(item, Answer):
            final = item
        elif not args.json:
            pass  # the checked text is printed below; raw model deltas may hold invalid markers
    assert final is not None
    if args.json:
        print(json.dumps(final.to_dict(), ensure_ascii=False, indent=2))
        return 0
    if final.notice:
        print(f"提示：{final.notice}")
    print(final.text)
    if final.refused and final.related:
        print("\n相关段落（仅供参考，不作为答案依据）：")
        for h in final.related:
            print(f"  - {h.label} {h.meta.heading_path}: {h.text[:80]}")
    cited = sorted({n for s in final.report.sentences for n in s.cited})
    if cited:
        print("\n出处：")
        for n in cited:
            c = final.citation(n)
            print(f"  [{n}] {c['title']} | {c['office']} | {c['date']} | {c['heading_path']}")
            print(f"      “{c['span_text'][:120]}”")
    if final.report.unsupported:
        print("\n未能核实的句子：")
        for s in final.report.unsupported:
            print(f"  ! {s.text}")
    return 0


def cmd_draft(args: argparse.Namespace) -> int:
    from assistant.answers.answer import Assistant
    from assistant.letters.draft import Drafter, load_request
    from assistant.retrieval.services import build_services

    if args.proposal_file or args.case:
        from assistant.cli.cases import draft_from_file

        return draft_from_file(args)
    if not args.proposal:
        print("give a proposal: --proposal-file PATH (any format), --proposal JSON or --case ID", file=sys.stderr)
        return 2
    try:
        req = load_request(Path(args.proposal), office=args.office or "", date=args.date or "",
                           role="co" if args.co else "lead", lead_office=args.lead_office or "")
    except (OSError, ValueError, TypeError) as exc:
        print(f"{args.proposal}: cannot read the proposal ({exc})", file=sys.stderr)
        return 2
    if not req.office:
        print("the replying office is required: --office 广州市工业和信息化局 (or \"office\" in the JSON)",
              file=sys.stderr)
        return 2
    assistant = Assistant(build_services(settings_from(args)))
    draft = Drafter(assistant).draft(req, args.generator)
    if args.json:
        print(json.dumps(draft.to_dict(), ensure_ascii=False, indent=2))
    else:
        if draft.notice:
            print(f"提示：{draft.notice}")
        print(draft.title, "\n")
        print(draft.text)
        print("\n结构：" + " ".join(f"{k}{'✓' if v else '✗'}" for k, v in draft.structure.items()))
        print("建议覆盖：" + "；".join(f"{a.ask[:20]}{'✓' if a.found else '（未找到材料）'}" for a in draft.asks))
    from assistant.letters.export import to_docx, to_markdown

    if args.docx:
        Path(args.docx).write_bytes(to_docx(draft, include_sources=not args.no_sources))
        print(f"wrote {args.docx}", file=sys.stderr)
    if args.markdown:
        Path(args.markdown).write_text(to_markdown(draft, include_sources=not args.no_sources),
                                       encoding="utf-8")
        print(f"wrote {args.markdown}", file=sys.stderr)
    return 0


def cmd_check(args: argparse.Namespace) -> int:
    """Check a draft against the archive and its wording; exit 0 when nothing is flagged, 1 otherwise."""
    from assistant.facts.check import DraftError, check_store, read_draft
    from assistant.retrieval.services import build_services

    try:
        text = read_draft(Path(args.draft))
    except DraftError as exc:
        print(f"error: {exc}", file=sys.stderr)
        return 2
    report = check_store(text, build_services(settings_from(args)).store)
    print(json.dumps(report.to_dict(), ensure_ascii=False, indent=2) if args.json else report.text())
    return 0 if report.ok else 1


def add_parsers(sub: Any) -> None:
    s = sub.add_parser("ask", help="answer a question with cited sources")
    s.add_argument("question")
    add_filters(s)
    s.add_argument("--generator", choices=["offline", "llm"])
    s.add_argument("--json", action="store_true")
    s.set_defaults(func=cmd_ask)

    s = sub.add_parser("draft", help="draft a reply letter for a proposal file (any format) or a proposal JSON")
    s.add_argument("--proposal", help="JSON: {title, number, proposer, body} (+ office, date, fields)")
    s.add_argument("--proposal-file", help="the incoming 建议/提案 file (.txt .docx .doc .pdf scans …): parsed, "
                                           "opened as a case, drafted and saved as a version")
    s.add_argument("--case", type=int, help="draft again for an existing case (its corrected proposal and opinions)")
    s.add_argument("--opinion", action="append", default=[], help="a co-handling opinion file (repeatable)")
    s.add_argument("--author", default="", help="who drafts (kept with the version)")
    s.add_argument("--note", default="", help="a note kept with the version")
    s.add_argument("--due", default="", help="due date of the case, e.g. 2025-06-30")
    s.add_argument("--review-docx", help="write the review copy (sources as Word comments) here")
    s.add_argument("--office", help="the replying office, e.g. 广州市工业和信息化局")
    s.add_argument("--date", help="letter date, e.g. 2024年4月29日 (left blank when omitted)")
    s.add_argument("--co", action="store_true", help="a co-handling opinion to the lead office")
    s.add_argument("--lead-office", help="the lead office (addressee of a co-handling opinion)")
    s.add_argument("--generator", choices=["offline", "llm"])
    s.add_argument("--docx", help="write the letter as .docx here")
    s.add_argument("--markdown", help="write the letter as Markdown here")
    s.add_argument("--no-sources", action="store_true", help="leave the sources appendix out of the export")
    s.add_argument("--json", action="store_true")
    s.set_defaults(func=cmd_draft)

    s = sub.add_parser("check", help="check a draft against earlier replies and its wording (exit 1 when flagged)")
    s.add_argument("draft", help="the draft letter (.txt .md .docx .pdf …)")
    s.add_argument("--json", action="store_true")
    s.set_defaults(func=cmd_check)

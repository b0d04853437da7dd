"""The case's flow: open a case from a proposal file, attach opinions, draft, keep files, finalise; a
version's provenance."""

from __future__ import annotations

import re
from dataclasses import asdict
from pathlib import Path
from typing import TYPE_CHECKING, Any

from assistant.access import AccessDenied
from assistant.access.documents import INTERNAL, PUBLIC, DocAccess
from assistant.answers.answer import support_texts
from assistant.casework.intake import IntakeError, ParsedProposal
from assistant.casework.opinions import Opinion
from assistant.casework.store import CaseError, CaseStore, Version, VersionConflict, final_message, when
from assistant.evidence import cite
from assistant.letters.frame import check_structure
from assistant.letters.model import Draft, DraftRequest, LetterFields, Proposal, apply_fields
from assistant.retrieval.hybrid import Hit
from core.settings import Settings

if TYPE_CHECKING:
    from assistant.casework.guard import Actor


# -- drafts to and from versions ---------------------------------------------------------------------------
def draft_payload(draft: Draft) -> dict[str, Any]:
    """What a version keeps besides its text: the request, the numbered passages and the provenance."""
    req = draft.request
    return {"title": draft.title, "generator": draft.generator,
            "request": {"proposal": asdict(req.proposal), "office": req.office, "date": req.date, "role": req.role,
                        "lead_office": req.lead_office, "fields": asdict(req.fields),
                        "co_offices": req.co_offices},
            "passages": [{"id": h.id, "label": h.label, "text": h.text, "metadata": h.metadata, "score": h.score}
                         for h in draft.passages],
            "asks": [asdict(a) for a in draft.asks], "provenance": provenance(draft)}


def draft_of(version: Version, threshold: float = 0.35) -> Draft:
    """A stored version as a Draft (its citations checked again against its own passages), for export."""
    p = version.payload
    r = p.get("request", {})
    prop = r.get("proposal", {})
    req = DraftRequest(Proposal(**{k: prop[k] for k in Proposal.__dataclass_fields__ if k in prop}) if prop
                       else Proposal(""), r.get("office", ""), r.get("date", ""), r.get("role", "lead"),
                       r.get("lead_office", ""), "", LetterFields.of(r.get("fields")))
    passages = [Hit(d["id"], d["label"], d["text"], d["metadata"], float(d.get("score", 0.0)))
                for d in p.get("passages", [])]
    report = cite.check(version.text, support_texts(passages), threshold)
    from assistant.letters.model import AskCoverage

    asks = [AskCoverage(**a) for a in p.get("asks", [])]
    return Draft(req, p.get("title", ""), report.text, passages, report, asks, check_structure(report.text, req))


def provenance(draft: Draft) -> list[dict[str, Any]]:
    """Each paragraph of the letter with the passages it came from."""
    out = []
    for line in draft.text.split("\n"):
        if not line.strip():
            continue
        nums = list(dict.fromkeys(int(n) for n in cite.CANON.findall(line)))
        srcs = []
        for n in nums:
            if 1 <= n <= len(draft.passages):
                h = draft.passages[n - 1]
                srcs.append({"n": n, "id": h.id, "title": h.meta.title,
                             "office": h.meta.office, "date": h.meta.date,
                             "opinion": h.meta.opinion})
        out.append({"paragraph": cite.strip_markers(line), "sources": srcs})
    return out


def read_letter(path: Path) -> str:
    """The text of a letter file (the signed final reply) in any format the ingest reads."""
    from ingest.load import LoadError, load_document

    try:
        return load_document(path).text.strip()
    except LoadError as exc:
        raise IntakeError(f"{path.name}：无法读取（{exc.reason}）") from exc


def archive_file(path: Path, services: Any, links: dict[str, str | int]) -> str:
    """Ingest one file into the archive with links to its case (case_id, proposal number and title, role);
    returns its document id."""
    from core.store import pipeline_key
    from ingest.pipeline import parse_file

    parsed = parse_file(path, services.settings)
    rec = parsed.record
    rec.metadata.update(links)
    for c in rec.chunks:
        c.metadata.update(links)
    services.store.write_document(rec, pipeline_key(services.settings))
    services.store.bump_version()
    return rec.doc_id


# -- the flow: file in, opinions, drafts, final letter -------------------------------------------------------
def _safe_name(name: str) -> str:
    base = re.sub(r'[\\/:*?"<>|\x00-\x1f]', "_", Path(name).name).strip(" .") or "file"
    return base[-120:]


_FILE_ROLES = {"opinion": "会办意见", "final": "定稿", "proposal": "来文"}


def keep_file(settings: Settings, case_id: int, role: str, name: str, data: bytes) -> Path:
    """A copy of a received file under data/cases/<id>/ (what the ingest reads); its bytes are also in the db.
    Never overwrites a file kept before (a second file of the same name gets -2, -3…), so removing a refused
    file's copy cannot remove an earlier one."""
    folder = settings.data_dir / "cases" / str(case_id)
    folder.mkdir(parents=True, exist_ok=True)
    stem = f"办件{case_id}-{_FILE_ROLES.get(role, role)}-{_safe_name(name)}"  # the 文档 page lists this name
    base, dot, ext = stem.rpartition(".") if "." in stem else (stem, "", "")
    for i in range(1, 10_000):
        path = folder / (stem if i == 1 else f"{base}-{i}{dot}{ext}")
        try:
            with path.open("xb") as fh:
                fh.write(data)
            return path
        except FileExistsError:
            continue
    raise CaseError(f"{name}：同名文件过多，无法保存")


def open_case(store: CaseStore, settings: Settings, name: str, data: bytes, office: str = "", role: str = "lead",
              lead_office: str = "", due: str = "", actor: Actor | None = None) -> tuple[int, ParsedProposal]:
    """Read an incoming proposal file and open its case (or return the office's case of the same proposal:
    looked up and created in one transaction, so two sessions opening one proposal get one case).
    IntakeError when the file cannot be read or is not a proposal: nothing is stored then. With a signed-in
    `actor`, the case is of the user's office (when none is given) and must be one the user may create."""
    import tempfile

    from assistant.casework.intake import read_proposal

    if actor is not None:
        if actor.user is not None and not office:
            office = actor.user.office
        actor.allow("create_case", None, office=office)
    with tempfile.TemporaryDirectory() as tmp:
        path = Path(tmp) / _safe_name(name)
        path.write_bytes(data)
        parsed = read_proposal(path, settings.max_file_bytes)
        parsed.source = name
    lead = lead_office or parsed.lead_office if role == "co" else lead_office
    case_id, created = store.create_or_find(parsed, office, role, lead, due, (name, data))
    if actor is not None:
        actor.record("create_case", case_id, created=created)
    return case_id, parsed if created else store.get(case_id).proposal


def attach_opinion(store: CaseStore, settings: Settings, case_id: int, name: str, data: bytes,
                   services: Any = None, actor: Actor | None = None) -> tuple[Opinion, list[str]]:
    """Read a co-handling opinion file and attach it to the case; with services, also ingest it into the
    archive linked to the proposal. IntakeError / CaseError leave the case as it was. With `actor`: a user of
    the lead office needs `edit_case`; a user of a co-handling office still owed may attach only its own
    office's opinion (`give_opinion`; AccessDenied otherwise)."""
    from assistant.casework.opinions import read_opinion, same_office

    case = store.get(case_id)
    if case.is_final:
        raise CaseError(final_message(case_id, case.final_at))
    own = actor.user.office if actor is not None and actor.user is not None and actor.user.office != case.office \
        else None
    action = "give_opinion" if own is not None else "edit_case"
    if actor is not None:
        actor.allow(action, case, store)
    path = keep_file(settings, case_id, "opinion", name, data)
    try:
        opinion = read_opinion(path, settings.max_file_bytes, name)
        if actor is not None and own is not None and not same_office(opinion.office, own):
            raise actor.deny(action, case_id, f"{actor.shown}（{own}）只能提交本单位的会办意见，"
                                              f"该文件是“{opinion.office}”的意见", opinion_office=opinion.office)
        warnings = store.add_opinion(case_id, opinion, (name, data))
    except (IntakeError, CaseError, AccessDenied):
        path.unlink(missing_ok=True)
        raise
    if actor is not None:
        actor.record(action, case_id, opinion_office=opinion.office)
    if services is not None:
        try:
            doc_id = archive_file(path, services, {"case_id": case_id, "proposal_number": case.number,
                                                   "proposal_title": case.title, "case_role": "opinion"})
            # an opinion is correspondence between offices: readable by the lead office only
            DocAccess(store.engine).set(doc_id, INTERNAL, case.office, actor.who if actor else "")
            store.set_opinion_doc(case_id, opinion.office, doc_id)
        except Exception as exc:  # the opinion stays attached; the archive copy can be ingested later
            warnings.append(f"意见已附加，但未能存入资料库：{exc}")
    return opinion, warnings


def case_request(store: CaseStore, case_id: int, date: str = "", fields: LetterFields | None = None,
                 instructions: str = "") -> DraftRequest:
    """The drafting request of a case: its (corrected) proposal, office, role and the opinions received."""
    from assistant.casework.opinions import opinion_hits

    case = store.get(case_id)
    if not case.office:
        raise CaseError("请先填写答复单位")
    opinions = [(o.office, opinion_hits(o)) for o in store.opinions(case_id)] if case.role == "lead" else []
    return DraftRequest(case.proposal.to_proposal(), case.office, date, "co" if case.role == "co" else "lead",
                        case.lead_office, instructions, fields or LetterFields(), opinions)


def draft_case(store: CaseStore, case_id: int, drafter: Any, generator: str | None = None, author: str = "",
               note: str = "", date: str = "", fields: LetterFields | None = None,
               actor: Actor | None = None) -> tuple[Draft, int]:
    """Draft the case's letter and save it as its next version (a fresh draft: no base). Refused on a final
    case before anything is drafted (and, with `actor`, unless the actor may edit the case)."""
    case = store.get(case_id)
    if case.is_final:
        raise CaseError(final_message(case_id, case.final_at))
    if actor is not None:
        actor.allow("edit_case", case, store)
    if fields is None or not date:  # a new draft keeps the letter's fields and date as last saved
        kept_fields, kept_date = letter_fields(store.versions(case_id)[-1:])
        fields, date = fields or kept_fields, date or kept_date
    draft = drafter.draft(case_request(store, case_id, date, fields), generator)
    n = store.add_version(case_id, draft.text, author, note or "生成草稿", draft_payload(draft))
    if actor is not None:
        actor.record("edit_case", case_id, version=n, how="draft")
    return draft, n


def save_edit(store: CaseStore, case_id: int, text: str, base: int, author: str = "",
              note: str = "", actor: Actor | None = None) -> int | None:
    """Save a text edited from version `base` as the next version; its number, or None when the text is the
    base's unchanged (nothing saved). `VersionConflict` when someone saved a newer version since `base`: nothing
    is written, the exception carries the newer version and this text (`exc.diff()` compares them), and the
    edit can be saved again from `exc.newer.n` once merged. CaseError on a final case; with `actor`, AccessDenied
    unless the actor may edit the case."""
    case = store.get(case_id)
    if case.is_final:
        raise CaseError(final_message(case_id, case.final_at))
    if actor is not None:
        actor.allow("edit_case", case, store)
    if base > 0 and store.version(case_id, base).text.strip() == text.strip():
        return None
    n = store.add_version(case_id, text, author, note or "修改", base=base)
    if actor is not None:
        actor.record("edit_case", case_id, version=n, base=base, how="edit")
    return n


def letter_fields(versions: list[Version]) -> tuple[LetterFields, str]:
    """The letter's fields and date as saved with the last of `versions` (empty ones when there is none)."""
    if not versions:
        return LetterFields(), ""
    r = versions[-1].payload.get("request", {})
    return LetterFields.of(r.get("fields")), str(r.get("date", "") or "")


def save_fields(store: CaseStore, case_id: int, text: str, base: int, fields: LetterFields, date: str = "",
                author: str = "", note: str = "", actor: Actor | None = None) -> int | None:
    """Save the letter's fields (答复类别, 公开属性, 抄送, 签发人, 联系人, 电话, date) with `text` (the editor's, edited
    from version `base`) as the next version: the date and contact lines of the text say what was entered, and the
    version's request carries the fields for the .docx. None when nothing changed. `VersionConflict` as
    `save_edit` (nothing written); CaseError on a final case; AccessDenied as `save_edit`."""
    case = store.get(case_id)
    if case.is_final:
        raise CaseError(final_message(case_id, case.final_at))
    if actor is not None:
        actor.allow("edit_case", case, store)
    old = store.version(case_id, base)
    payload = dict(old.payload)
    request = dict(payload.get("request", {}))
    kept_fields, kept_date = letter_fields([old])
    new_text = apply_fields(text, date, fields)
    if new_text.strip() == old.text.strip() and kept_fields == fields and (kept_date == date or not date):
        return None
    request["fields"] = fields.as_dict()
    request["date"] = date or kept_date
    payload["request"] = request
    n = store.add_version(case_id, new_text, author, note or "填写来函信息", payload=payload, base=base)
    if actor is not None:
        actor.record("edit_case", case_id, version=n, base=base, how="fields")
    return n


def conflict_view(exc: VersionConflict) -> dict[str, Any]:
    """What the edit page shows for a refused save: the message, who saved the newer version and when, the
    diff (newer → the edit), and both texts, so the drafter can load the newer one or save the merged edit
    with `base=newer`."""
    return {"message": str(exc), "newer": exc.newer.n, "author": exc.newer.author, "created": when(exc.newer.created),
            "newer_text": exc.newer.text, "text": exc.text, "diff": exc.diff()}


def finalize(store: CaseStore, settings: Settings, case_id: int, name: str, data: bytes,
             services: Any = None, who: str = "", check_blanks: bool = False,
             allow_blanks: bool = False, actor: Actor | None = None) -> tuple[str, list[str]]:
    """Store the signed final letter, diff it against the last draft and ingest it into the archive. Refused
    (CaseError, nothing kept) when the case is already final: reopen it first. With `check_blanks`, a letter
    that still holds blanks (【待填写】…) is refused (`BlanksLeft`) unless `allow_blanks`; then it is first saved
    as a version whose note records the override and who made it. With a signed-in `actor` (who must be
    allowed `mark_replied`), the case must have been signed (已签发); the desk finalises as before."""
    from assistant.casework.store import STATUS_SIGNED
    if not who and actor is not None and actor.user is not None:  # the signed-in person, by name
        who = actor.shown
    from assistant.letters.model import blanks as letter_blanks

    case = store.get(case_id)
    if case.is_final:
        raise CaseError(final_message(case_id, case.final_at))
    if actor is not None:
        actor.allow("mark_replied", case, store)
        if actor.user is not None and case.status != STATUS_SIGNED:
            actor.record("mark_replied", case_id, outcome="failed", status=case.status)
            raise CaseError(f"办件 #{case_id} 现为“{case.status}”，须经审核、签发（已签发）后才能上传定稿、标记已答复")
    path = keep_file(settings, case_id, "final", name, data)
    try:
        text = read_letter(path)
        left = letter_blanks(text) if check_blanks else []
        if left and not allow_blanks:
            raise BlanksLeft(left)
        if left:
            last = store.versions(case_id)[-1:]
            diff = render_final_diff(last[0].text if last else "", text)
            store.add_version(case_id, text, who, blanks_note(left, who))
            store.set_final(case_id, text, (name, data), who)
        else:
            diff = store.set_final(case_id, text, (name, data), who)
    except (IntakeError, CaseError):
        path.unlink(missing_ok=True)
        raise
    notes: list[str] = []
    if services is not None:
        try:
            doc_id = archive_file(path, services, {"case_id": case_id, "proposal_number": case.number,
                                                   "proposal_title": case.title, "case_role": "final"})
            DocAccess(store.engine).set(doc_id, *final_visibility(store, case_id), actor.who if actor else "")
        except Exception as exc:
            notes.append(f"定稿已保存，但未能存入资料库：{exc}")
    if actor is not None:
        actor.record("mark_replied", case_id, blanks=len(left))
    return diff, notes


def final_visibility(store: CaseStore, case_id: int) -> tuple[str, str]:
    """A reply is published by default (公开); one whose 公开属性 says 不予公开 or 依申请公开 stays 内部 to its
    office."""
    fields, _ = letter_fields(store.versions(case_id)[-1:])
    case = store.get(case_id)
    return (INTERNAL, case.office) if fields.disclosure in ("不予公开", "依申请公开") else (PUBLIC, "")


def reopen_case(store: CaseStore, case_id: int, who: str, reason: str, services: Any = None,
                actor: Actor | None = None) -> list[str]:
    """Reopen a final case (the reason is required and recorded with who and the final letter set aside); with
    services, the set-aside final letter's archive copy is withdrawn, so it is not cited while the letter is
    being revised (its text stays in the case's events and files). Returns notes for the drafter. With
    `actor`, AccessDenied unless the actor may reopen the case."""
    if not who and actor is not None and actor.user is not None:
        who = actor.shown
    if actor is not None:
        actor.allow("reopen", store.get(case_id), store)
    store.reopen(case_id, who, reason)
    if actor is not None:
        actor.record("reopen", case_id)
    notes: list[str] = []
    if services is not None:
        try:
            gone = [d for d, m in services.store.doc_records().items()
                    if m.get("case_id") == case_id and m.get("case_role") == "final"]
            for doc_id in gone:
                services.store.delete_document(doc_id)
            if gone:
                services.store.bump_version()
        except Exception as exc:  # the case is reopened either way
            notes.append(f"已重新打开，但原定稿未能从资料库撤下：{exc}")
    return notes


# -- finalising with the blanks checked (the 办件 page) --------------------------------------------------------
class BlanksLeft(CaseError):
    """The letter to finalise still holds blanks (【待填写】…): refused unless the drafter overrides."""

    def __init__(self, blanks: list[str]) -> None:
        self.blanks = blanks
        super().__init__(f"定稿中仍有 {len(blanks)} 处待填写：{'、'.join(blanks)}；请填写后再定稿，或确认无需填写后仍然定稿")


def blanks_note(blanks: list[str], who: str = "") -> str:
    """The version note that records a finalisation over blanks, with who confirmed it."""
    return f"定稿（仍有 {len(blanks)} 处待填写：{'、'.join(blanks)}；{who or '经办人'}确认仍然定稿）"


def finalize_checked(store: CaseStore, settings: Settings, case_id: int, name: str, data: bytes,
                     services: Any = None, who: str = "", allow_blanks: bool = False,
                     actor: Actor | None = None) -> tuple[str, list[str]]:
    """`finalize` as the 办件 page does it: a letter with blanks is refused unless explicitly allowed."""
    return finalize(store, settings, case_id, name, data, services, who, check_blanks=True, allow_blanks=allow_blanks,
                    actor=actor)


def render_final_diff(draft_text: str, final_text: str) -> str:
    """The final letter against the last draft, as `CaseStore.set_final` shows it."""
    from assistant.casework.diff import render_diff

    return render_diff(cite.strip_markers(draft_text), cite.strip_markers(final_text), "最后草稿", "定稿")

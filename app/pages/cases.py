"""办件: upload the incoming proposal, check its fields, attach co-handling opinions, draft, edit and save
versions, compare versions, export both .docx forms, upload the signed final letter, reopen a final case.

Widget calls only: what the page computes lives in app/case_view.py and assistant/casework. One case is in
view, the one named last; every key of its state ends in its id (app/case_view.key). After every write the
page reruns, so what it shows is the stored state; the messages of a write follow the rerun (common.flash).
Every text from a file or the user is shown escaped.
"""

from __future__ import annotations

from collections.abc import MutableMapping
from typing import Any, cast

import streamlit as st

from app import common
from app.case_view import (
    CATEGORY_OPTIONS,
    DISCLOSURE_OPTIONS,
    base_caption,
    base_version,
    blanks_message,
    case_error_zh,
    case_heading,
    case_rows,
    choice_index,
    clear_upload,
    conflict_diff,
    conflict_message,
    correct_proposal,
    current_case,
    diff_defaults,
    ensure_text,
    event_lines,
    export_caption,
    export_default,
    field_defaults,
    fields_from_form,
    final_diff,
    finalize_notice,
    is_edited,
    key,
    load_text,
    newer_notice,
    open_case_state,
    opinion_rows,
    redraft_notice,
    remove_opinion_notice,
    reset_case,
    review_changes,
    review_filename,
    save_text,
    upload_key,
    version_diff,
    version_label,
    version_rows,
    versioned_filename,
)
from app.draft_view import check_summary, coverage_lines, official_punctuation
from app.zh import zh_time
from assistant.access import AccessDenied
from assistant.access.roles import TRANSITIONS, can
from assistant.casework.guard import Actor, visible_cases
from assistant.casework.intake import IntakeError
from assistant.casework.review import history, move, return_comments
from assistant.casework.store import FROZEN, STATUS_SIGNED, Case, CaseError, CaseStore
from assistant.casework.workflow import (
    BlanksLeft,
    attach_opinion,
    draft_case,
    draft_of,
    finalize_checked,
    open_case,
    reopen_case,
)
from assistant.facts.check import DraftError, check_store
from assistant.letters.draft import with_text
from assistant.letters.export import md_escape, suggested_filename, to_docx, to_markdown, to_review_docx

DOCX_MIME = "application/vnd.openxmlformats-officedocument.wordprocessingml.document"
state = cast(MutableMapping[str, Any], st.session_state)  # the per-case helpers take any mapping


def _new_case(svc: Any, store: CaseStore, offices: list[str], actor: Actor) -> None:
    if not common.may("create_case"):
        return
    gen = int(state.get("case_new_gen", 0))
    box = f"case_proposal_file_g{gen}" if gen else "case_proposal_file"
    # open while there is no case, and while a file waits in it (a rerun must not fold the button out of sight)
    with st.expander("新建办件：上传来文（建议/提案原件，支持 Word、PDF、扫描件等）",
                     expanded=not store.all() or state.get(box) is not None):
        up = st.file_uploader("来文文件", key=box)
        c1, c2, c3 = st.columns([2, 1, 1])
        if actor.user is not None:  # a signed-in user answers for their own office
            office = c1.text_input("答复单位", actor.user.office, key="case_office", disabled=True)
        else:
            office = c1.text_input("答复单位", key="case_office", placeholder=offices[0] if offices else "某市工业和信息化局")
        role = c2.radio("办理类型", ["主办", "会办"], key="case_role", horizontal=True)
        due = c3.text_input("办理期限", key="case_due", placeholder="2025-06-30（可留空）")
        lead = st.text_input("主办单位（会办时填写，来文写明的会自动读取）", key="case_lead")
        if not st.button("读取来文并建立办件", type="primary", key="case_open", disabled=up is None):
            return
        if not office.strip():
            st.error("请填写“答复单位”。")
            return
        assert up is not None
        known = {c.id for c in visible_cases(store, actor)}
        try:
            with st.spinner("正在读取来文…"):
                cid, parsed = open_case(store, svc.settings, up.name, up.getvalue(), office.strip(),
                                        "co" if role == "会办" else "lead", lead.strip(), due.strip(), actor=actor)
        except (IntakeError, CaseError, AccessDenied) as exc:
            st.error(md_escape(case_error_zh(exc)), icon=":material/error:")
            return
        open_case_state(state, cid)
        state["case_new_gen"] = gen + 1
        title = md_escape(parsed.title or up.name)
        common.flash("success", f"已建立办件 #{cid}：{title}，请核对下方的来文解析。" if cid not in known
                     else f"{md_escape(office.strip())}已有该来文的办件 #{cid}：{title}，已为你打开。")
        st.rerun()


def _pick(store: CaseStore, actor: Actor) -> int | None:
    """The case table and the picker (only the cases this person may see); the case in view, or None."""
    cases = visible_cases(store, actor)
    if not cases:
        st.info("还没有办件。请上传来文建立办件。" if common.may("create_case") else "目前没有你可以查看的办件。")
        return None
    st.dataframe(case_rows(cases), hide_index=True, width="stretch")
    ids = [c.id for c in cases]
    titles = {c.id: c.title for c in cases}
    cid = current_case(state, ids)
    st.selectbox("打开办件", ids, key="case_pick", format_func=lambda i: f"#{i} " + titles[i],
                 on_change=lambda: open_case_state(state, int(state["case_pick"])))
    return cid


def _proposal_form(store: CaseStore, case: Case, actor: Actor) -> None:
    p, cid = case.proposal, case.id
    with st.form(f"case_fields_{cid}"):
        st.markdown("**来文解析**（请核对，可直接修改）")
        f: dict[str, str] = {}
        c1, c2 = st.columns([3, 1])
        f["title"] = c1.text_input("标题", p.title)
        f["number"] = c2.text_input("编号", p.number)
        c1, c2, c3 = st.columns([2, 1, 2])
        f["proposers"] = c1.text_input("提出人（领衔在前，用“、”分隔）", "、".join(p.proposers))
        f["body_kind"] = c2.selectbox("来源", ["人大", "政协", ""], index=["人大", "政协", ""].index(p.body_kind)
                                      if p.body_kind in ("人大", "政协") else 2, format_func=lambda v: v or "（未识别）")
        f["session"] = c3.text_input("会议", p.session)
        c1, c2 = st.columns(2)
        f["lead"] = c1.text_input("主办单位", p.lead_office)
        f["co"] = c2.text_input("会办单位（用“、”分隔）", "、".join(p.co_offices))
        f["asks"] = st.text_area("诉求（每行一项，按来文顺序）", "\n".join(p.asks), height=120)
        if p.problems:
            st.caption("来文所述问题（不作为诉求）：" + md_escape("；".join(p.problems)))
        for w in p.problems_to_check():
            st.warning(md_escape(w), icon=":material/edit_note:")
        if st.form_submit_button("保存更正"):
            try:
                actor.allow("edit_case", case, store)
                store.update(cid, correct_proposal(p, f))
                actor.record("edit_case", cid, how="proposal")
            except (CaseError, AccessDenied) as exc:
                st.error(md_escape(case_error_zh(exc)), icon=":material/error:")
                return
            common.flash("success", "已保存更正")
            st.rerun()


def _attach(svc: Any, store: CaseStore, cid: int, actor: Actor) -> None:
    files = st.file_uploader("上传会办意见（可多选）", accept_multiple_files=True, key=upload_key(state, cid, "opinions"))
    if not (files and st.button("附加会办意见", key=key(cid, "attach"))):
        return
    for f in files:
        try:
            opinion, warns = attach_opinion(store, svc.settings, cid, f.name, f.getvalue(), svc, actor=actor)
            common.flash("success", f"已附加：{md_escape(opinion.office)}（{len(opinion.points)} 点）")
            for w in warns:
                common.flash("warning", md_escape(w))
        except (IntakeError, CaseError, AccessDenied) as exc:
            common.flash("error", f"{md_escape(f.name)}：{md_escape(case_error_zh(exc))}")
    svc.store.bump_version()
    clear_upload(state, cid, "opinions")
    st.rerun()


def _opinions(svc: Any, store: CaseStore, cid: int, actor: Actor) -> None:
    st.markdown("**会办意见**")
    got = store.opinions(cid)
    if not got:
        st.caption("尚未附加会办意见。")
    else:
        st.dataframe(opinion_rows(got), hide_index=True, width="stretch")
        c1, c2 = st.columns([3, 1], vertical_alignment="bottom")
        office = c1.selectbox("删除会办意见", [o.office for o in got], key=key(cid, "rmop_pick"))
        with c2.popover("删除…", icon=":material/delete:", width="stretch"):
            st.markdown(md_escape(remove_opinion_notice(str(office))))
            if st.button("确认删除", key=key(cid, "rmop"), type="primary"):
                try:
                    actor.allow("edit_case", store.get(cid), store)
                    gone = store.remove_opinion(cid, str(office))
                    actor.record("edit_case", cid, how="remove_opinion")
                    common.flash("success" if gone else "info", md_escape(
                        f"已删除“{office}”的会办意见" if gone else f"“{office}”的会办意见已不在本办件中"))
                except (CaseError, AccessDenied) as exc:
                    common.flash("error", md_escape(case_error_zh(exc)))
                st.rerun()
    _attach(svc, store, cid, actor)


def _draft(svc: Any, store: CaseStore, case: Case, gen: dict[str, Any], author: str, actor: Actor) -> None:
    """Draft (the first time) or draft again after saying what it does; the new version goes into the editor."""
    cid, versions = case.id, store.versions(case.id)
    if not versions:
        clicked = st.button("生成草稿", type="primary", key=key(cid, "draft"))
    else:
        with st.popover("重新生成草稿（存为新版本）", icon=":material/refresh:"):
            st.markdown(md_escape(redraft_notice(len(versions), is_edited(state, cid, versions))))
            clicked = st.button("确认重新生成", type="primary", key=key(cid, "draft"))
    if not clicked:
        return
    try:
        with st.spinner("正在检索材料并起草…"):
            _, n = draft_case(store, cid, common.drafter(svc, gen), gen.get("generator"), author.strip(), actor=actor)
    except (CaseError, AccessDenied) as exc:
        st.error(md_escape(case_error_zh(exc)), icon=":material/error:")
        return
    load_text(state, cid, store.version(cid, n).text, n)
    common.flash("success", f"已生成并保存第{n}版")
    st.rerun()


def _editor(store: CaseStore, cid: int, author: str, actor: Actor) -> None:
    versions = store.versions(cid)
    ensure_text(state, cid, versions[-1] if versions else None)
    if not versions:
        return
    st.caption(base_caption(state, cid, base_version(state, cid, versions).text))
    notice = newer_notice(state, cid, versions)
    if notice:
        st.warning(md_escape(notice), icon=":material/sync_problem:")
    st.text_area("草稿（修改后保存为新版本）", key=key(cid, "text"), height=360)
    note = st.text_input("修改说明", key=key(cid, "note"))
    if st.button("保存为新版本", key=key(cid, "save")):
        kind, msg = save_text(store, state, cid, author, note, actor=actor)
        if kind != "conflict":  # a conflict is drawn from the state (below), as long as it stands
            common.flash(kind, md_escape(msg))
        st.rerun()
    _conflict(store, cid, author, note, actor)


def _letter_fields(store: CaseStore, cid: int, author: str, actor: Actor) -> None:
    """答复类别, 公开属性, 抄送, 签发人, 联系人, 电话 and the date, saved with the editor's text as a new version
    (the letter's date and contact lines say what is entered; the .docx carries the rest)."""
    versions = store.versions(cid)
    if not versions:
        return
    shown = base_version(state, cid, versions)
    d = field_defaults([shown])
    with st.form(key(cid, f"fields_v{shown.n}")):
        st.markdown("**来函信息**（随编辑框中的文本一起保存为新版本；未填写的在印发稿中显示为【待填写】）")
        v: dict[str, str] = {}
        c1, c2, c3 = st.columns(3)
        v["category"] = c1.selectbox("答复类别", CATEGORY_OPTIONS, index=choice_index(CATEGORY_OPTIONS, d["category"]),
                                     format_func=lambda x: x or "（请选择）")
        v["disclosure"] = c2.selectbox("公开属性", DISCLOSURE_OPTIONS,
                                       index=choice_index(DISCLOSURE_OPTIONS, d["disclosure"]),
                                       format_func=lambda x: x or "（请选择）")
        v["date"] = c3.text_input("日期", d["date"], placeholder="2025年6月30日")
        c1, c2, c3, c4 = st.columns(4)
        v["signer"] = c1.text_input("签发人", d["signer"])
        v["cc"] = c2.text_input("抄送", d["cc"])
        v["contact"] = c3.text_input("联系人", d["contact"])
        v["phone"] = c4.text_input("联系电话", d["phone"])
        if not st.form_submit_button("保存来函信息（存为新版本）"):
            return
    kind, msg = save_text(store, state, cid, author, "填写来函信息", fields=fields_from_form(v), actor=actor)
    if kind != "conflict":
        common.flash(kind, md_escape(msg))
    st.rerun()


def _checks(svc: Any, store: CaseStore, cid: int) -> None:
    """The editor's text: which asks it answers (the evaluator's reading) and what the wording check covered."""
    versions = store.versions(cid)
    if not versions:
        return
    th = svc.settings.support_threshold
    text = official_punctuation(str(state.get(key(cid, "text"), "")))
    edited = with_text(draft_of(base_version(state, cid, versions), th), text, th)
    with st.expander("诉求覆盖与措辞检查（编辑框中的文本）"):
        st.markdown("**诉求覆盖**（按来文顺序）")
        st.markdown(coverage_lines(edited.asks, text))
        st.markdown("**一致性与措辞检查**（与档案中的前次答复核对）")
        try:
            checked = check_store(text, svc.store)
            (st.success if checked.ok else st.warning)(check_summary(checked, text))
        except DraftError as exc:
            st.info(md_escape(str(exc)))


def _conflict(store: CaseStore, cid: int, author: str, note: str, actor: Actor) -> None:
    """A refused save: who saved the newer version and when, the diff, and the two ways on; the editor's text is
    never replaced without the drafter asking for it."""
    view = state.get(key(cid, "conflict"))
    if not view:
        return
    n = view["newer"]
    with st.container(border=True):
        st.error(md_escape(conflict_message(view)), icon=":material/sync_problem:")
        st.html(conflict_diff(view, str(state.get(key(cid, "text"), ""))))
        c1, c2 = st.columns(2)
        with c1.popover(f"载入第{n}版", width="stretch"):
            st.markdown(f"编辑框中的文本将换成第{n}版，你的修改不会保存。")
            if st.button("确认载入", key=key(cid, "load_newer")):
                load_text(state, cid, view["newer_text"], n)
                common.flash("info", f"已载入第{n}版")
                st.rerun()
        if c2.button(f"我已合并，以第{n}版为基础保存", key=key(cid, "save_merged"), width="stretch"):
            kind, msg = save_text(store, state, cid, author, note, base=n, fields=view.get("fields"), actor=actor)
            if kind != "conflict":
                common.flash(kind, md_escape(msg))
            st.rerun()


def _history(store: CaseStore, cid: int) -> None:
    versions = store.versions(cid)
    if not versions:
        return
    st.markdown("**版本记录**")
    st.dataframe(version_rows(versions), hide_index=True, width="stretch")
    if len(versions) < 2:
        return
    ns = [v.n for v in versions]
    diff_defaults(state, cid, ns)
    c1, c2 = st.columns(2)
    a = c1.selectbox("比较：从", ns, key=key(cid, "diff_a"), format_func=lambda n: f"第{n}版")
    b = c2.selectbox("到", ns, key=key(cid, "diff_b"), format_func=lambda n: f"第{n}版")
    st.html(version_diff(store, cid, int(a), int(b)))


def _exports(svc: Any, store: CaseStore, cid: int, actor: Actor) -> None:
    versions = store.versions(cid)
    if not versions:
        return
    by_n = {v.n: v for v in versions}
    export_default(state, cid, list(by_n))
    n = st.selectbox("导出版本", list(by_n), key=key(cid, "export"), format_func=lambda i: version_label(by_n[i]))
    chosen = by_n[int(n)]
    th = svc.settings.support_threshold
    draft = with_text(draft_of(chosen, th), chosen.text, th)
    st.caption(export_caption(chosen.n, int(state.get(key(cid, "base"), 0)), is_edited(state, cid, versions)))
    c1, c2, c3 = st.columns(3)
    on_export: dict[str, Any] = {"on_click": actor.record, "args": ("export", cid), "kwargs": {"version": chosen.n}}
    c1.download_button("对外印发稿（.docx）", to_docx(draft, include_sources=False),
                       versioned_filename(suggested_filename(draft, "docx"), chosen.n), mime=DOCX_MIME,
                       key=key(cid, "dl_clean"), width="stretch", **on_export)
    changes, against = review_changes(versions, chosen.n)
    review = to_review_docx(draft, changes=changes, against=against)  # with the changes since the version before
    c2.download_button("核对稿（带批注 .docx）", review, versioned_filename(review_filename(draft), chosen.n),
                       mime=DOCX_MIME, key=key(cid, "dl_review"), width="stretch", **on_export)
    c3.download_button("Markdown（含出处）", to_markdown(draft).encode("utf-8"),
                       versioned_filename(suggested_filename(draft, "md"), chosen.n), mime="text/markdown",
                       key=key(cid, "dl_md"), width="stretch", **on_export)


def _finalize(svc: Any, store: CaseStore, cid: int, author: str, actor: Actor) -> None:
    versions = store.versions(cid)
    if not versions:
        return
    st.markdown("**定稿**")
    up = st.file_uploader("上传签发后的定稿（与最后一版草稿比对，并存入资料库）", key=upload_key(state, cid, "final"))
    blanks = state.get(key(cid, "blanks"))
    if blanks:
        st.error(md_escape(blanks_message(blanks)), icon=":material/edit_note:")
        st.checkbox("仍然定稿：我确认这些待填写处无需填写（记入版本说明）", key=key(cid, "blanks_ok"))
    with st.popover("定稿…", icon=":material/verified:", disabled=up is None):
        st.markdown(md_escape(finalize_notice(versions[-1].n)))
        go = st.button("确认定稿", key=key(cid, "finalize"), type="primary", disabled=up is None)
    if not (go and up is not None):
        return
    try:
        _, notes = finalize_checked(store, svc.settings, cid, up.name, up.getvalue(), svc, author.strip(),
                                    bool(state.get(key(cid, "blanks_ok"))), actor=actor)
    except BlanksLeft as exc:
        state[key(cid, "blanks")] = exc.blanks
        st.rerun()
    except (IntakeError, CaseError, AccessDenied) as exc:
        st.error(md_escape(case_error_zh(exc)), icon=":material/error:")
        return
    reset_case(state, cid)
    common.flash("success", "已定稿，定稿已存入资料库")
    for note in notes:
        common.flash("warning", md_escape(note))
    st.rerun()


def _final(svc: Any, store: CaseStore, case: Case, actor: Actor) -> None:
    """A final case: read-only, its record, and the way to reopen it (a reason required)."""
    cid = case.id
    st.success(f"已定稿（{zh_time(case.final_at)}），定稿已存入资料库。本办件只读；如需修改，请在下方写明理由后重新打开。")
    st.markdown("**办理记录**")
    st.text("\n".join(event_lines(store.events(cid))) or "（无）")
    with st.expander("定稿与最后一版草稿的差异", expanded=True):
        st.html(final_diff(store.versions(cid), case.final_text or ""))
    with st.expander("定稿全文"):
        st.text(case.final_text or "")
    if actor.user is not None and not can(actor.user, "reopen", case.office):
        return  # reopening is the 审核人's or the 签发人's (or the single-user desk's)
    with st.form(f"case_reopen_form_{cid}"):
        st.markdown("**重新打开**：定稿撤出资料库（原定稿留在办理记录中），之后可以修改、保存新版本并重新定稿。")
        if actor.user is not None:
            who = actor.shown
            st.caption(md_escape(f"经办人：{who}"))
        else:
            who = st.text_input("经办人", key=key(cid, "reopen_who"))
        reason = st.text_area("重新打开的理由（必填）", key=key(cid, "reopen_reason"), height=68)
        if not st.form_submit_button("重新打开"):
            return
    if not reason.strip():
        st.error("请写明重新打开的理由。", icon=":material/error:")
        return
    try:
        notes = reopen_case(store, cid, who.strip(), reason.strip(), svc, actor=actor)
    except (CaseError, AccessDenied) as exc:
        st.error(md_escape(case_error_zh(exc)), icon=":material/error:")
        return
    reset_case(state, cid)
    common.flash("success", f"办件 #{cid} 已重新打开，原定稿留存在办理记录中")
    for note in notes:
        common.flash("warning", md_escape(note))
    st.rerun()


MOVE_LABELS = {"submit_review": "提交审核", "approve": "审核通过，送签发", "return_draft": "退回修改", "sign": "签发"}


def _review(store: CaseStore, case: Case, actor: Actor) -> None:
    """Review and sign-off (signed-in users only; the single-user desk has no review): the moves so far, the
    reviewer's comments beside the text, and the moves this person may make, each with a comment."""
    if actor.user is None:
        return
    cid = case.id
    moves = history(store, cid)
    if moves:
        with st.expander(f"流转记录（{len(moves)}）"):
            st.text("\n".join(f"{t.frm} → {t.to}  {zh_time(t.at)}  {t.who}" + (f"：{t.comment}" if t.comment else "")
                              for t in moves))
    comments = return_comments(store, cid)
    if comments and case.status == "退回修改":
        st.warning(md_escape("审核意见（退回修改）：" + "；".join(comments)), icon=":material/rate_review:")
    options = [(to, action) for (frm, to), action in TRANSITIONS.items()
               if frm == case.status and action in MOVE_LABELS and can(actor.user, action, case.office)]
    if not options:
        return
    chosen = ""
    with st.form(key(cid, f"review_{case.status}")):
        st.markdown(f"**审核流转**（当前：{case.status}）")
        comment = st.text_area("意见（退回修改时必填；会显示在办件上并记入流转记录）", height=68)
        for col, (to, action) in zip(st.columns(len(options)), options, strict=True):
            if col.form_submit_button(MOVE_LABELS[action], type="primary" if action != "return_draft" else "secondary"):
                chosen = to
    if not chosen:
        return
    try:
        now = move(store, cid, chosen, actor, comment.strip())
    except (CaseError, AccessDenied) as exc:
        st.error(md_escape(case_error_zh(exc)), icon=":material/error:")
        return
    common.flash("success", md_escape(f"办件 #{cid} 已从“{case.status}”转为“{now}”"))
    st.rerun()


def _read_only(svc: Any, store: CaseStore, case: Case, actor: Actor) -> None:
    """A case this person may not edit now (sent for signature, signed, or not theirs to edit): the letter as it
    stands; a co-handling office may still attach the opinion it owes."""
    if case.status in FROZEN:
        st.info(f"本办件{case.status}，文本已冻结；如需修改，请签发人退回。", icon=":material/lock:")
    versions = store.versions(case.id)
    if versions:
        st.text_area("答复函（只读）", versions[-1].text, height=360, disabled=True, key=key(case.id, "readonly"))
    if case.status not in FROZEN and actor.user is not None and can(actor.user, "give_opinion", case.office,
                                                                     [actor.user.office]):
        _attach(svc, store, case.id, actor)


svc = common.services()
gen = common.generator(svc)
st.subheader("办件")
common.show_flash()
store = CaseStore.of(svc.settings)
actor = common.actor(svc.settings)
_new_case(svc, store, svc.retriever.known_values("office"), actor)
cid = _pick(store, actor)
if cid is not None:
    case = store.get(cid)
    if state.get("case_viewed") != cid:  # every opening of a case is in the audit log
        state["case_viewed"] = cid
        actor.record("view_case", cid)
    st.markdown("#### " + md_escape(case_heading(case)))
    _review(store, case, actor)
    editable = actor.user is None or can(actor.user, "edit_case", case.office)
    if case.is_final:
        _final(svc, store, case, actor)
    elif case.status in FROZEN or not editable:
        _read_only(svc, store, case, actor)
    else:
        _proposal_form(store, case, actor)
        if case.role == "lead":
            _opinions(svc, store, cid, actor)
        author = st.text_input("经办人", actor.shown if actor.user is not None else "", key=key(cid, "author"))
        _draft(svc, store, case, gen, author, actor)
        _editor(store, cid, author, actor)
        _letter_fields(store, cid, author, actor)
        _checks(svc, store, cid)
    _history(store, cid)
    if actor.user is None or can(actor.user, "export", case.office):
        _exports(svc, store, cid, actor)
    if not case.is_final and (actor.user is None or (case.status == STATUS_SIGNED
                                                      and can(actor.user, "mark_replied", case.office))):
        _finalize(svc, store, cid, str(state.get(key(cid, "author"), "")), actor)

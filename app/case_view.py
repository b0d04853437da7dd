"""What the 办件 page computes, without Streamlit: its rows, the Chinese texts of times and refusals, and the
page's per-case state (a plain mapping: st.session_state in the app, a dict in the tests).

Every key of a case's state is `case_<name>_<case id>` (the id last), so opening a case can reset exactly its
own keys; `key(cid, name)` builds them.
"""

from __future__ import annotations

import re
from collections.abc import MutableMapping, Sequence
from typing import Any

from app.draft_view import official_punctuation, track_changes_html
from app.zh import zh_time, zh_times_in
from assistant.access import AccessDenied
from assistant.casework.store import CaseError, CaseStore, VersionConflict
from assistant.casework.workflow import conflict_view, letter_fields, save_edit, save_fields
from assistant.evidence.cite import strip_markers
from assistant.letters.model import CATEGORIES, DISCLOSURES, LetterFields

State = MutableMapping[str, Any]


def case_error_zh(exc: BaseException) -> str:
    """A refusal of the case store as the page says it: Chinese times, and the page's own way to reopen a case
    instead of the command line's."""
    msg = zh_times_in(str(exc))
    return re.sub(r"[（(]assistant case \d+ --reopen[^）)]*[）)]", "（在本页“重新打开”处）", msg)


# -- rows ------------------------------------------------------------------------------------------------------
def case_rows(cases: Sequence[Any]) -> list[dict[str, Any]]:
    return [{"编号": c.id, "来文": (f"第{c.number}号 " if c.number else "") + c.title, "状态": c.status,
             "版本数": c.versions, "办理期限": zh_time(c.due) or "—", "答复单位": c.office} for c in cases]


def opinion_rows(opinions: Sequence[Any]) -> list[dict[str, Any]]:
    return [{"会办单位": o.office, "日期": o.date, "要点数": len(o.points), "文件": o.source} for o in opinions]


def version_rows(versions: Sequence[Any]) -> list[dict[str, Any]]:
    return [{"版本": v.n, "时间": zh_time(v.created), "经办人": v.author, "说明": v.note} for v in versions]


def event_lines(events: Sequence[Any]) -> list[str]:
    """A case's 定稿 / 重新打开 steps, oldest first: "重新打开 2026年12月6日 18:58 王五：理由"."""
    out = []
    for e in events:
        who = f" {e.who}" if e.who else ""
        out.append(f"{e.label} {zh_time(e.created)}{who}" + (f"：{e.reason}" if e.reason else ""))
    return out


def case_heading(case: Any) -> str:
    """The line that names the case in view (Markdown source of our own; the title is the caller's to escape)."""
    bits = [case.status, f"{case.versions} 个版本" if case.versions else "尚无草稿"]
    if case.due:
        bits.append(f"办理期限 {zh_time(case.due)}")
    return f"办件 #{case.id}：{case.title}（{'，'.join(bits)}）"


def split_names(text: str, sep: str = "、") -> list[str]:
    return [x.strip() for x in text.split(sep) if x.strip()]


def correct_proposal(p: Any, form: dict[str, str]) -> Any:
    """The parsed proposal with the drafter's corrections from the 办件 form applied (in place, returned)."""
    p.title, p.number = form["title"].strip(), form["number"].strip()
    p.session, p.lead_office = form["session"].strip(), form["lead"].strip()
    p.proposers = split_names(form["proposers"])
    p.body_kind = form["body_kind"]
    p.kind = "提案" if p.body_kind == "政协" else "建议" if p.body_kind == "人大" else p.kind
    p.co_offices = split_names(form["co"])
    p.asks = split_names(form["asks"], "\n")
    return p


def review_filename(draft: Any) -> str:
    from assistant.letters.export import suggested_filename

    return suggested_filename(draft, "docx").replace(".docx", "_核对稿.docx")


def versioned_filename(name: str, n: int) -> str:
    """An export's file name naming its version: 答复函.docx → 答复函_第2版.docx."""
    stem, dot, ext = name.rpartition(".")
    return f"{stem}_第{n}版.{ext}" if dot else f"{name}_第{n}版"


# -- the page's state for one case -------------------------------------------------------------------------------
def key(cid: int, name: str) -> str:
    return f"case_{name}_{cid}"


def reset_case(state: State, cid: int) -> None:
    """Forget everything the page kept for this case (its text, base, conflict, pickers, uploads)."""
    for k in [k for k in state if isinstance(k, str) and k.startswith("case_") and k.count("_") >= 2
              and k.rsplit("_", 1)[-1] == str(cid)]:
        del state[k]


def open_case_state(state: State, cid: int) -> None:
    """The case named becomes the one in view, with a fresh state (the picker shows it too)."""
    reset_case(state, cid)
    state["case_id"] = cid
    state["case_pick"] = cid


def load_text(state: State, cid: int, text: str, n: int) -> None:
    """Put version n's text in the editor on the next run (a widget's value cannot change once it is drawn)."""
    state[key(cid, "load")] = (text, n)


def ensure_text(state: State, cid: int, latest: Any) -> None:
    """Before the editor is drawn: a pending load, else the latest version when the editor has nothing yet."""
    pending = state.pop(key(cid, "load"), None)
    if pending is not None:
        state[key(cid, "text")], state[key(cid, "base")] = pending
        state.pop(key(cid, "conflict"), None)
    elif latest is not None and key(cid, "text") not in state:
        state[key(cid, "text")], state[key(cid, "base")] = latest.text, latest.n


def base_caption(state: State, cid: int, base_text: str) -> str:
    base = int(state.get(key(cid, "base"), 0))
    edited = str(state.get(key(cid, "text"), "")).strip() != base_text.strip()
    return f"编辑框中是第{base}版" + ("（有尚未保存的修改）" if edited else "") + f"；保存时以第{base}版为基础。"


def save_text(store: CaseStore, state: State, cid: int, author: str, note: str,
              base: int | None = None, fields: tuple[LetterFields, str] | None = None,
              actor: Any = None) -> tuple[str, str]:
    """Save the editor's text from its base (or `base`), with the letter's fields and date when given:
    ("success" | "info" | "error" | "conflict", message). A conflict keeps the text as it is and remembers what
    the page shows for it (`conflict_message`)."""
    text = official_punctuation(str(state.get(key(cid, "text"), "")))  # typed text as generated text is
    b = int(state.get(key(cid, "base"), 0)) if base is None else base
    try:
        if fields is None:
            n = save_edit(store, cid, text, b, author.strip(), note.strip(), actor=actor)
        else:
            n = save_fields(store, cid, text, b, fields[0], fields[1].strip(), author.strip(), note.strip(),
                            actor=actor)
            if n is not None:
                text = store.version(cid, n).text
    except VersionConflict as exc:
        state[key(cid, "conflict")] = {**conflict_view(exc), "base": b, "fields": fields}  # kept for the merged save
        return "conflict", conflict_message(state[key(cid, "conflict")])
    except (CaseError, AccessDenied) as exc:
        return "error", case_error_zh(exc)
    state.pop(key(cid, "conflict"), None)
    if n is None:
        return "info", f"内容与第{b}版相同，未保存新版本。"
    state[key(cid, "base")] = n
    load_text(state, cid, text, n)  # the editor shows what was saved (its punctuation made official)
    return "success", f"已保存第{n}版"


def conflict_message(view: dict[str, Any]) -> str:
    who = view.get("author") or "他人（未署名）"
    return (f"未保存：你的修改基于第{view['base']}版，而{who}已于{zh_time(view['created'])}保存了第{view['newer']}版。"
            f"你的修改仍在编辑框中，没有丢失。请对照下方差异，把第{view['newer']}版的改动合并进来后，"
            f"以第{view['newer']}版为基础保存；或者载入第{view['newer']}版（放弃你的修改）。")


def diff_defaults(state: State, cid: int, ns: Sequence[int]) -> None:
    """The version pair compared: the last two whenever the number of versions changed (never a stale pair)."""
    if state.get(key(cid, "diffof")) != len(ns) or state.get(key(cid, "diff_a")) not in ns \
            or state.get(key(cid, "diff_b")) not in ns:
        state[key(cid, "diffof")] = len(ns)
        state[key(cid, "diff_a")], state[key(cid, "diff_b")] = ns[-2], ns[-1]


def export_default(state: State, cid: int, ns: Sequence[int]) -> None:
    """The version exported: the one on screen, whenever that changes."""
    base = int(state.get(key(cid, "base"), ns[-1] if ns else 0))
    if state.get(key(cid, "exportof")) != base or state.get(key(cid, "export")) not in ns:
        state[key(cid, "exportof")] = base
        state[key(cid, "export")] = base if base in ns else ns[-1]


def upload_key(state: State, cid: int, name: str) -> str:
    """An uploader's key; `clear_upload` gives it a new one, which empties it."""
    gen = int(state.get(key(cid, f"{name}_gen"), 0))
    return key(cid, name if not gen else f"{name}_g{gen}")


def clear_upload(state: State, cid: int, name: str) -> None:
    state[key(cid, f"{name}_gen")] = int(state.get(key(cid, f"{name}_gen"), 0)) + 1


def final_diff(versions: Sequence[Any], final_text: str) -> str:
    """The final letter against the last draft that is not itself the final letter."""
    drafts = [v for v in versions if v.text.strip() != final_text.strip()]
    last = drafts[-1].text if drafts else ""
    return track_changes_html(strip_markers(last), strip_markers(final_text), "最后草稿", "定稿")


def version_diff(store: CaseStore, cid: int, a: int, b: int) -> str:
    """Version a against version b as track changes (HTML, the letters' text escaped)."""
    return track_changes_html(store.version(cid, a).text, store.version(cid, b).text, f"第{a}版", f"第{b}版")


def redraft_notice(n_versions: int, edited: bool) -> str:
    msg = (f"将按当前来文和会办意见重新检索材料、起草，存为第{n_versions + 1}版（已有版本都保留）；"
           "编辑框将换成新草稿。")
    return msg + ("编辑框中尚未保存的修改将被替换，请先保存。" if edited else "")


def finalize_notice(last: int) -> str:
    return (f"将以上传的签发稿作为定稿：与第{last}版比对，存入资料库；定稿后本办件只读（不能再改版本、更正来文、"
            "附加或删除会办意见），确需修改时可重新打开并写明理由。")


def blanks_message(blanks: Sequence[str]) -> str:
    return (f"未定稿：签发稿中仍有 {len(blanks)} 处待填写（{'、'.join(blanks)}）。请填写后重新上传；"
            "如确认这些地方无需填写，请勾选下方“仍然定稿”（将记入版本说明）。")



def current_case(state: State, ids: Sequence[int]) -> int | None:
    """The case in view before the picker is drawn: the one named last (created, opened, picked), else the first
    of the list (opened fresh); the picker is set to show it."""
    if not ids:
        return None
    if state.get("case_id") not in ids:
        open_case_state(state, ids[0])
    elif state.get("case_pick") != state["case_id"]:
        state["case_pick"] = state["case_id"]
    return int(state["case_id"])


def base_version(state: State, cid: int, versions: Sequence[Any]) -> Any:
    """The version the editor's text was made from (the latest when unknown)."""
    base = state.get(key(cid, "base"))
    return next((v for v in versions if v.n == base), versions[-1] if versions else None)


def is_edited(state: State, cid: int, versions: Sequence[Any]) -> bool:
    """Whether the editor holds changes not saved as a version."""
    v = base_version(state, cid, versions)
    text = state.get(key(cid, "text"))
    return v is not None and text is not None and str(text).strip() != v.text.strip()


def newer_notice(state: State, cid: int, versions: Sequence[Any]) -> str:
    """"" unless someone saved a version after the one in the editor (said before a save is refused)."""
    base = int(state.get(key(cid, "base"), 0))
    top = versions[-1] if versions else None
    if top is None or top.n <= base or state.get(key(cid, "conflict")):
        return ""
    return (f"第{top.n}版已由{top.author or '他人（未署名）'}于{zh_time(top.created)}保存，比编辑框中的第{base}版新；"
            "保存时将请你先合并。")


def conflict_diff(view: dict[str, Any], text: str) -> str:
    """The newer version against the editor's text as it is now (so a merge in progress is seen)."""
    return track_changes_html(view["newer_text"], text, f"第{view['newer']}版（{view.get('author') or '未署名'}）",
                              "编辑框中的文本")


def remove_opinion_notice(office: str) -> str:
    return (f"将从本办件删除“{office}”的会办意见；已保存的版本不变，重新生成草稿时不再使用它。"
            "资料库中的存档副本不受影响。")


def version_label(v: Any) -> str:
    who = f"，{v.author}" if v.author else ""
    return f"第{v.n}版（{zh_time(v.created)}{who}）"


def export_caption(n: int, base: int, edited: bool) -> str:
    msg = f"导出第{n}版：对外印发稿不含标注；核对稿中每句引用的出处以 Word 批注列出，未能核实的句子以黄色标出。"
    if edited and n == base:
        msg += "编辑框中尚未保存的修改不在导出文件中，请先保存为新版本。"
    return msg


def review_changes(versions: Sequence[Any], n: int) -> tuple[list[tuple[str, list[tuple[str, str]]]] | None, str]:
    """The review copy's comparison table for version n: its changed paragraphs against the version before
    it, with that version's name; (None, "") for the first version."""
    from assistant.casework.diff import diff_paragraphs

    earlier = [v for v in versions if v.n < n]
    chosen = next((v for v in versions if v.n == n), None)
    if not earlier or chosen is None:
        return None, ""
    before = earlier[-1]
    rows = [(f"原第{c.before}段 删除" if c.kind == "删除" else f"第{c.after}段 {c.kind}", c.pieces)
            for c in diff_paragraphs(strip_markers(before.text), strip_markers(chosen.text))]
    return rows, f"第{before.n}版"


FIELD_LABELS = {"category": "答复类别", "disclosure": "公开属性", "cc": "抄送", "signer": "签发人", "contact": "联系人",
                "phone": "联系电话", "date": "日期"}


def field_defaults(versions: Sequence[Any]) -> dict[str, str]:
    """The letter-field form's values: what the version on screen was saved with."""
    fields, date = letter_fields(list(versions))
    return {**fields.as_dict(), "date": date}


def fields_from_form(values: dict[str, str]) -> tuple[LetterFields, str]:
    """The form's values as the letter's fields and date (a choice outside the lists is kept as typed)."""
    return LetterFields.of(values), str(values.get("date", "")).strip()


def choice_index(options: Sequence[str], value: str) -> int:
    """Where a stored choice sits among a select box's options ("" first: not chosen)."""
    return list(options).index(value) if value in options else 0


CATEGORY_OPTIONS = ("", *CATEGORIES)
DISCLOSURE_OPTIONS = ("", *DISCLOSURES)

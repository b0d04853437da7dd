"""The review and sign-off workflow: 待起草 → 起草中 → 待审核 → (退回修改) → 待签发 → 已签发 → 已答复.

Every move is checked here, for the CLI and the app alike: the edge must exist (`roles.TRANSITIONS`, from the
case's current status), the actor's role and office must allow its action, 退回修改 needs a comment, and the
store moves the case only from the state that was checked (`CaseStore.set_state`). Each move and each refusal
goes into the audit log; the moves, with who, when and the comment, are kept on the case (events).
The final letter (已签发 → 已答复) comes in through `workflow.finalize`; reopening (已答复 → 起草中) may go
through `move` with a reason, or `workflow.reopen_case`.
"""

from __future__ import annotations

from dataclasses import dataclass

from assistant.access import User, waiting_for
from assistant.access.roles import transition_action
from assistant.casework.guard import Actor
from assistant.casework.store import (
    EVENT_FINAL,
    EVENT_REOPEN,
    EVENT_STATE,
    STATUS_DRAFTING,
    STATUS_FINAL,
    STATUS_RETURNED,
    STATUS_REVIEW,
    Case,
    CaseError,
    CaseStore,
    when,
)

__all__ = ["Transition", "history", "move", "return_comments", "waiting"]


@dataclass(frozen=True)
class Transition:
    """One move of a case, for display."""

    frm: str
    to: str
    who: str
    at: str  # as stored (ISO); `when` shows it
    comment: str

    def line(self) -> str:
        who = f" {self.who}" if self.who else ""
        return f"{self.frm}→{self.to} {when(self.at)}{who}" + (f"：{self.comment}" if self.comment else "")


def _refuse(actor: Actor, case_id: int, frm: str, to: str, message: str) -> CaseError:
    actor.record("transition", case_id, outcome="failed", reason=message[:200], **{"from": frm, "to": to})
    return CaseError(message)


def move(store: CaseStore, case_id: int, to: str, actor: Actor, comment: str = "") -> str:
    """Move the case to `to`; returns the new status. Refused (CaseError, or AccessDenied when the actor may
    not) with a Chinese message, nothing changed and the refusal in the audit log."""
    case = store.get(case_id)
    frm = case.status
    action = transition_action(frm, to)
    if action is None:
        raise _refuse(actor, case_id, frm, to, f"办件 #{case_id} 现为“{frm}”，不能直接改为“{to}”")
    actor.allow(action, case, store, **{"from": frm, "to": to})
    if to == STATUS_FINAL:
        raise _refuse(actor, case_id, frm, to, f"办件 #{case_id} 已签发：请上传签发后的答复函定稿，即标记为已答复")
    if action == "return_draft" and not comment.strip():
        raise _refuse(actor, case_id, frm, to, "退回修改须写明修改意见")
    if to == STATUS_REVIEW and not case.versions:
        raise _refuse(actor, case_id, frm, to, f"办件 #{case_id} 还没有草稿版本，不能提交审核")
    try:
        if frm == STATUS_FINAL:  # reopening: the store sets the final letter aside, with the reason
            store.reopen(case_id, actor.shown, comment)  # the case's record names people; the audit log, logins
        else:
            store.set_state(case_id, frm, to, actor.shown, comment)
    except CaseError as exc:
        raise _refuse(actor, case_id, frm, to, str(exc)) from None
    actor.record("transition", case_id, step=action, commented=bool(comment.strip()), **{"from": frm, "to": to})
    return to


def history(store: CaseStore, case_id: int) -> list[Transition]:
    """The case's moves, oldest first: the review workflow's, the final letter (→ 已答复) and reopenings."""
    out: list[Transition] = []
    last = ""
    for e in store.events(case_id):
        if e.kind == EVENT_STATE:
            t = Transition(str(e.data.get("from", "")), str(e.data.get("to", "")), e.who, e.created, e.reason)
        elif e.kind == EVENT_FINAL:
            t = Transition(last or "起草中", STATUS_FINAL, e.who, e.created, e.reason)
        elif e.kind == EVENT_REOPEN:
            t = Transition(STATUS_FINAL, STATUS_DRAFTING, e.who, e.created, e.reason)
        else:
            continue
        out.append(t)
        last = t.to
    return out


def return_comments(store: CaseStore, case_id: int) -> list[str]:
    """The comments of the latest 退回修改 (its comment's lines), to show beside the text; [] when the case
    was never returned (`history` says who returned it and when)."""
    for t in reversed(history(store, case_id)):
        if t.to == STATUS_RETURNED:
            return [ln.strip() for ln in t.comment.splitlines() if ln.strip()]
    return []


def waiting(store: CaseStore, user: User) -> list[Case]:
    """The cases that wait for this user (`roles.waiting_for`: the role's states at the user's office)."""
    cases = store.all()
    ids = waiting_for(user, [(c.id, c.status, c.office) for c in cases])
    by_id = {c.id: c for c in cases}
    return [by_id[i] for i in ids]


"""Who may do what: roles, actions, office rules and the case workflow, as data and pure functions.

The CLI and the app both ask `can`/`require` here, so one rule holds everywhere.

Office rule (kept simple on purpose): a case has one lead office (主办单位) and a list of co-handling offices
that still owe an opinion (`co_offices`). Users of the lead office act on it as their role allows. Users of an
office in `co_offices` may only `view_case` and `give_opinion` (attach their own 会办意见); once their opinion
is in, the caller drops their office from `co_offices` and the case is no longer theirs to see. Anyone else
sees nothing. 管理员 has no case action at all by default: it manages users, the archive and the settings.
"""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass


@dataclass(frozen=True)
class Role:
    code: str  # stored in the users table
    label: str  # what people read
    actions: frozenset[str]


@dataclass(frozen=True)
class User:
    name: str
    role: str  # a Role.code
    office: str
    display: str = ""
    disabled: bool = False

    @property
    def shown(self) -> str:
        return self.display or self.name


class AccessDenied(PermissionError):
    """Refused by the rules; the message (Chinese) names the user, the action and why."""


# action -> Chinese words, as they appear in a refusal
ACTIONS: dict[str, str] = {
    "view_case": "查看办件",
    "create_case": "新建办件",
    "edit_case": "起草和修改答复（保存版本、附会办意见）",
    "give_opinion": "提交本单位的会办意见",
    "submit_review": "提交审核",
    "approve": "审核通过",
    "return_draft": "退回修改",
    "sign": "签发",
    "mark_replied": "标记已答复",
    "reopen": "重新打开已答复的办件",
    "export": "导出答复函",
    "upload_archive": "上传档案",
    "delete_archive": "删除档案",
    "manage_users": "管理用户",
    "change_settings": "修改模型和系统设置",
    "view_audit": "查看审计日志",
}

CASE_ACTIONS = frozenset({
    "view_case", "create_case", "edit_case", "give_opinion", "submit_review", "approve", "return_draft",
    "sign", "mark_replied", "reopen", "export",
})
CO_OFFICE_ACTIONS = frozenset({"view_case", "give_opinion"})

_ROLES = (
    Role("drafter", "承办人", frozenset({
        "view_case", "create_case", "edit_case", "give_opinion", "submit_review", "mark_replied", "export",
    })),
    Role("reviewer", "审核人", frozenset({
        "view_case", "edit_case", "give_opinion", "approve", "return_draft", "reopen", "export",
    })),
    Role("signer", "签发人", frozenset({"view_case", "return_draft", "sign", "reopen", "export"})),
    Role("admin", "管理员", frozenset({
        "upload_archive", "delete_archive", "manage_users", "change_settings", "view_audit",
    })),
)
ROLES: dict[str, Role] = {r.code: r for r in _ROLES}


def role_of(name: str) -> Role:
    """The role named by its code or its Chinese label (承办人 or drafter); ValueError lists the valid ones."""
    key = name.strip()
    for r in _ROLES:
        if key in (r.code, r.label):
            return r
    valid = "、".join(f"{r.label}（{r.code}）" for r in _ROLES)
    raise ValueError(f"未知角色“{name}”；可选角色：{valid}")


def _label(role: str) -> str:
    r = ROLES.get(role)
    return r.label if r else role


def why_not(user: User, action: str, case_office: str | None = None, co_offices: Iterable[str] = ()) -> str | None:
    """The reason `user` may not do `action` (on a case of `case_office`), or None when allowed."""
    if action not in ACTIONS:
        return f"未知操作 {action}"
    if user.disabled:
        return "账号已停用"
    role = ROLES.get(user.role)
    if role is None:
        return f"角色“{user.role}”无效"
    if user.role == "admin" and action in CASE_ACTIONS:
        return "管理员默认不接触办件内容"
    if action not in role.actions:
        return f"{role.label}没有此权限"
    if action in CASE_ACTIONS and case_office is not None and user.office != case_office:
        if user.office in set(co_offices):
            if action not in CO_OFFICE_ACTIONS:
                return f"该件由{case_office}主办，协办单位只能查看并提交本单位的会办意见"
        else:
            return f"该件由{case_office}主办，不属于本单位（{user.office}）"
    return None


def can(user: User, action: str, case_office: str | None = None, co_offices: Iterable[str] = ()) -> bool:
    return why_not(user, action, case_office, co_offices) is None


def denial(user: User, action: str, reason: str) -> str:
    return f"{user.shown}（{_label(user.role)}，{user.office}）不能{ACTIONS.get(action, action)}：{reason}"


def require(user: User, action: str, case_office: str | None = None, co_offices: Iterable[str] = ()) -> None:
    """Raise AccessDenied (Chinese message: who, what, why) unless `can`."""
    reason = why_not(user, action, case_office, co_offices)
    if reason is not None:
        raise AccessDenied(denial(user, action, reason))


# ---- the case workflow ------------------------------------------------------------------------------------

STATES = ("待起草", "起草中", "待审核", "退回修改", "待签发", "已签发", "已答复")

# (from, to) -> the action that makes the move; who may take it follows from the roles above
TRANSITIONS: dict[tuple[str, str], str] = {
    ("待起草", "起草中"): "edit_case",
    ("起草中", "待审核"): "submit_review",
    ("待审核", "退回修改"): "return_draft",
    ("待审核", "待签发"): "approve",
    ("退回修改", "起草中"): "edit_case",
    ("退回修改", "待审核"): "submit_review",
    ("待签发", "已签发"): "sign",
    ("待签发", "退回修改"): "return_draft",
    ("已签发", "已答复"): "mark_replied",
    ("已答复", "起草中"): "reopen",
}

# what each role should pick up next (the 承办人 also sends a signed letter off and marks it 已答复)
WAITING: dict[str, frozenset[str]] = {
    "drafter": frozenset({"待起草", "起草中", "退回修改", "已签发"}),
    "reviewer": frozenset({"待审核"}),
    "signer": frozenset({"待签发"}),
    "admin": frozenset(),
}


def transition_action(from_state: str, to_state: str) -> str | None:
    return TRANSITIONS.get((from_state, to_state))


def transition_allowed(user: User, from_state: str, to_state: str, case_office: str | None = None) -> bool:
    """Whether the workflow has this edge and the user's role (and office, if given) may take it.

    A 承办人 may not push his own draft past review: only 审核人 approves, only 签发人 signs.
    """
    action = transition_action(from_state, to_state)
    return action is not None and can(user, action, case_office)


def waiting_for(user: User, cases: Iterable[tuple[int, str, str]]) -> list[int]:
    """The ids, among (case_id, state, lead office), of the cases that wait for this user, in the given order."""
    if user.disabled:
        return []
    states = WAITING.get(user.role, frozenset())
    return [case_id for case_id, state, office in cases if state in states and office == user.office]

"""What the case store hands out besides a case: its statuses, versions, recorded events, and the refusals
(CaseError, VersionConflict) with their Chinese messages. Re-exported by `assistant.casework.store`."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

from assistant.casework.diff import render_diff

STATUS_NEW, STATUS_DRAFTING, STATUS_FINAL = "待起草", "起草中", "已答复"
STATUS_REVIEW, STATUS_RETURNED, STATUS_TO_SIGN, STATUS_SIGNED = "待审核", "退回修改", "待签发", "已签发"
FROZEN = frozenset({STATUS_TO_SIGN, STATUS_SIGNED})  # sent for signature or signed: the letter stands as it is
EVENT_FINAL, EVENT_REOPEN, EVENT_STATE = "final", "reopen", "state"
EVENT_LABELS = {EVENT_FINAL: "定稿", EVENT_REOPEN: "重新打开", EVENT_STATE: "流转"}


class CaseError(Exception):
    """A request the case store refuses, with a message for the drafter (nothing is changed)."""


def when(stamp: str | None) -> str:
    """A stored time as the drafter reads it (2025-06-01 14:03:05)."""
    return (stamp or "").replace("T", " ")


def final_message(case_id: int, final_at: str | None) -> str:
    return (f"办件 #{case_id} 已定稿（{when(final_at)}），不能再修改（保存版本、更正字段、附加或删除会办意见、更换定稿）；"
            f"如确需修改，请先重新打开并写明理由（assistant case {case_id} --reopen --reason …）")


def frozen_message(case_id: int) -> str:
    return f"办件 #{case_id} 已送签发/已签发，不能修改；如需修改，请签发人退回"


@dataclass
class Version:
    case_id: int
    n: int
    text: str
    author: str
    note: str
    created: str
    payload: dict[str, Any]


@dataclass
class Event:
    """A recorded step of a case's life besides its versions: 定稿 (final), 重新打开 (reopen, with the reason
    and the final letter it set aside in `data`), 流转 (state: a move of the review workflow, `data` holds
    from and to, the comment is the reason)."""

    case_id: int
    kind: str
    who: str
    reason: str
    created: str
    data: dict[str, Any]

    @property
    def label(self) -> str:
        if self.kind == EVENT_STATE:
            return f"{self.data.get('from', '')}→{self.data.get('to', '')}"
        return EVENT_LABELS.get(self.kind, self.kind)

    def line(self) -> str:
        who = f" {self.who}" if self.who else ""
        return f"{self.label} {when(self.created)}{who}" + (f"：{self.reason}" if self.reason else "")


class VersionConflict(CaseError):
    """An edit made from version `base` while a newer version (`newer`) was saved meanwhile: refused, and the
    edited text (`text`) is carried here so it can be compared with `newer` and saved again — nothing lost."""

    def __init__(self, case_id: int, base: int, newer: Version, text: str, author: str = "", note: str = "") -> None:
        self.case_id, self.base, self.newer, self.text, self.author, self.note = case_id, base, newer, text, author, note
        span = "" if newer.n == base + 1 else f"第{base + 1}–{newer.n}版，最新的"
        super().__init__(
            f"办件 #{case_id} 的第{base}版之后已有新版本：{span}第{newer.n}版由"
            f"{newer.author or '（未署名）'}于{when(newer.created)}保存。你的修改没有保存，也没有丢失："
            f"请先与第{newer.n}版比较、合并后，以第{newer.n}版为基础再保存。")

    def __reduce__(self) -> tuple[Any, ...]:  # picklable across processes despite the extra arguments
        return (type(self), (self.case_id, self.base, self.newer, self.text, self.author, self.note))

    def diff(self) -> str:
        """The saved newer version against the refused edit (paragraph and character level)."""
        return render_diff(self.newer.text, self.text, f"第{self.newer.n}版（{self.newer.author or '未署名'}）", "你的修改")

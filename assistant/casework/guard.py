"""Who acts on a case, checked and recorded: the one place the casework asks the access rules.

An `Actor` is a signed-in user (checked against `assistant.access.roles`) or, with `user=None`, the single-user
desk (no sign-in configured) or the server's operator on the CLI without `--as`: no permission check, still
audited under `name` ("本机", "cli:root"). Refusals are recorded as "denied" before they are raised; what is
recorded are short facts (action, case id, version numbers, states), never a document's text.
"""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass
from typing import Any

from assistant.access import AccessDenied, AuditLog, User, can, require
from assistant.casework.opinions import same_office
from assistant.casework.store import Case, CaseStore

DESK = "本机"


def owed_offices(store: CaseStore, case: Case) -> list[str]:
    """The proposal's co-handling offices whose opinion is not yet attached: a user of one of them may view the
    case and attach its own opinion, nothing else."""
    named = case.proposal.co_offices
    if not named:
        return []
    given = [o.office for o in store.opinions(case.id)]
    return [o for o in named if not any(same_office(o, g) for g in given)]


@dataclass
class Actor:
    user: User | None
    audit: AuditLog | None = None
    name: str = ""

    @property
    def who(self) -> str:
        """The name recorded in the audit log and on the case's events."""
        return self.user.name if self.user is not None else (self.name or DESK)

    @property
    def shown(self) -> str:
        """The name people read (a version's author)."""
        return self.user.shown if self.user is not None else (self.name or DESK)

    @property
    def checked(self) -> bool:
        """Whether permissions are checked (a signed-in user) or not (the desk, the server's operator)."""
        return self.user is not None

    def _log(self, action: str, target: str, outcome: str, detail: dict[str, Any]) -> None:
        if self.audit is not None:
            self.audit.record(self.user if self.user is not None else self.who, action, target, outcome, **detail)

    def allow(self, action: str, case: Case | None, store: CaseStore | None = None, office: str | None = None,
              **detail: Any) -> None:
        """Raise AccessDenied (recorded as "denied") unless the user may do `action` on the case (with `store`,
        the co-handling offices still owed an opinion count too), or — for a case not yet made — at `office`."""
        if self.user is None:
            return
        owed: Iterable[str] = owed_offices(store, case) if store is not None and case is not None else ()
        where = case.office if case is not None else (office if office is not None else self.user.office)
        try:
            require(self.user, action, where, owed)
        except AccessDenied as exc:
            self._log(action, f"case:{case.id}" if case is not None else f"office:{where}", "denied",
                      {**detail, "reason": str(exc)[:200]})
            raise

    def deny(self, action: str, case_id: int, message: str, **detail: Any) -> AccessDenied:
        """A refusal decided by the caller (e.g. an opinion of another office), recorded; raise what it returns."""
        self._log(action, f"case:{case_id}", "denied", {**detail, "reason": message[:200]})
        return AccessDenied(message)

    def record(self, action: str, case_id: int, *, outcome: str = "ok", **detail: Any) -> None:
        """One audit entry about the case (outcome ok unless told)."""
        self._log(action, f"case:{case_id}", outcome, detail)


def may_view(store: CaseStore, actor: Actor, case: Case) -> bool:
    return actor.user is None or can(actor.user, "view_case", case.office, owed_offices(store, case))


def visible_cases(store: CaseStore, actor: Actor) -> list[Case]:
    """The cases this actor may see (all of them at the desk), newest first."""
    return [c for c in store.all() if may_view(store, actor, c)]

"""Users in the database: Argon2 passwords, OIDC subjects, disable/enable, sign-in.

Roles and offices come only from this table (an identity provider's claims are never trusted for them), so
an administrator decides who may do what.
"""

from __future__ import annotations

import builtins
import re
from collections.abc import Mapping
from contextlib import suppress
from datetime import UTC, datetime
from typing import Any

from argon2 import PasswordHasher
from argon2.exceptions import InvalidHashError, VerificationError
from sqlalchemy import Engine, insert, select, update
from sqlalchemy.engine import Row
from sqlalchemy.exc import IntegrityError

from assistant.access.roles import User, role_of
from assistant.access.tables import users
from core.db import read, write

MIN_PASSWORD = 10
GENERIC_AUTH_FAILURE = "用户名或密码错误"
_NAME = re.compile(r"^[^\s:/]{1,64}$")
_COMMON = frozenset({
    "password", "password1", "password123", "passw0rd", "1234567890", "0123456789", "qwertyuiop",
    "1q2w3e4r5t", "iloveyou12", "admin12345", "administrator", "abcdefghij", "abc1234567", "qwerty1234",
    "a123456789", "woaini1314", "1qaz2wsx3edc", "1234567890a", "letmein123",
})


class UserError(ValueError):
    """A request about users that cannot be done (Chinese message for the person at the keyboard)."""


class AuthError(PermissionError):
    """Sign-in refused. Wrong password and unknown user read the same, so names cannot be guessed."""


def password_problem(password: str, name: str = "") -> str | None:
    """Why a password is too weak, or None."""
    if not password or not password.strip():
        return "密码不能为空"
    if len(password) < MIN_PASSWORD:
        return f"密码太短：至少 {MIN_PASSWORD} 个字符"
    low = password.lower()
    if len(set(password)) < 4 or low in _COMMON or (name and name.lower() in low):
        return "密码过于简单（常见密码、重复字符或包含用户名），请换一个更难猜的密码"
    return None


def _now() -> datetime:
    return datetime.now(UTC)


def _user(row: Row[Any]) -> User:
    return User(name=row.name, role=row.role, office=row.office, display=row.display or "",
                disabled=bool(row.disabled))


class UserStore:
    """The users table; the hasher may be given (tests use cheap parameters)."""

    def __init__(self, engine: Engine, hasher: PasswordHasher | None = None) -> None:
        self.engine = engine
        self.hasher = hasher or PasswordHasher()
        self._dummy_hash: str | None = None

    def add(self, name: str, role: str, office: str, *, password: str | None = None,
            oidc_subject: str | None = None, display: str = "") -> User:
        name, office = name.strip(), office.strip()
        if not _NAME.match(name):
            raise UserError(f"用户名“{name}”无效：1–64 个字符，不含空格、冒号或斜杠")
        try:
            code = role_of(role).code
        except ValueError as exc:
            raise UserError(str(exc)) from None
        if not office:
            raise UserError("必须指定所属单位（例如：东莞市工业和信息化局）")
        subject = (oidc_subject or "").strip() or None
        if password is None and subject is None:
            raise UserError("需要密码或 OIDC 身份标识（--oidc-subject）之一")
        if password is not None and (problem := password_problem(password, name)):
            raise UserError(problem)
        if self.get(name) is not None:
            raise UserError(f"用户 {name} 已存在")
        if subject is not None and self._by_subject(subject) is not None:
            raise UserError("该 OIDC 身份标识已绑定到其他用户")
        now = _now()
        try:
            with write(self.engine) as conn:
                conn.execute(insert(users).values(
                    name=name, display=display.strip(), role=code, office=office,
                    password_hash=self.hasher.hash(password) if password is not None else None,
                    oidc_subject=subject, disabled=False, created=now, updated=now,
                ))
        except IntegrityError:
            raise UserError(f"用户 {name} 或其 OIDC 身份标识已存在") from None
        return User(name=name, role=code, office=office, display=display.strip())

    def list(self) -> list[User]:
        with read(self.engine) as conn:
            return [_user(r) for r in conn.execute(select(users).order_by(users.c.office, users.c.name))]

    def rows(self) -> builtins.list[dict[str, Any]]:
        """Every user for listing, without the password hash (only whether there is one)."""
        with read(self.engine) as conn:
            rows = conn.execute(select(users).order_by(users.c.office, users.c.name)).all()
        return [{"name": r.name, "display": r.display or "", "role": r.role, "role_label": role_of(r.role).label,
                 "office": r.office, "disabled": bool(r.disabled), "password": r.password_hash is not None,
                 "oidc": r.oidc_subject is not None, "created": _iso(r.created), "updated": _iso(r.updated)}
                for r in rows]

    def get(self, name: str) -> User | None:
        row = self._row(name)
        return _user(row) if row is not None else None

    def disable(self, name: str) -> User:
        return self._set(name, disabled=True)

    def enable(self, name: str) -> User:
        return self._set(name, disabled=False)

    def set_password(self, name: str, password: str) -> User:
        if problem := password_problem(password, name):
            raise UserError(problem)
        return self._set(name, password_hash=self.hasher.hash(password))

    def authenticate(self, name: str, password: str) -> User:
        """The user with this name and password; AuthError otherwise. Rehashes when Argon2 asks for it."""
        row = self._row(name.strip())
        if row is None or row.password_hash is None:
            self._burn(password)  # about the same time as a real check: no timing hint either
            raise AuthError(GENERIC_AUTH_FAILURE)
        try:
            self.hasher.verify(row.password_hash, password)
        except (VerificationError, InvalidHashError):
            raise AuthError(GENERIC_AUTH_FAILURE) from None
        if row.disabled:  # told only to someone who knows the password
            raise AuthError("账号已停用，请联系管理员")
        if self.hasher.check_needs_rehash(row.password_hash):
            self._set(row.name, password_hash=self.hasher.hash(password))
        return _user(row)

    def from_oidc(self, subject: str, claims: Mapping[str, Any] | None = None) -> User:
        """The user an administrator added for this OIDC subject. Role or office claims are ignored."""
        claims = claims or {}
        if not subject or ("sub" in claims and str(claims["sub"]) != subject):
            raise AuthError("OIDC 身份无效")
        row = self._by_subject(subject)
        if row is None:
            raise AuthError("该身份尚未由管理员添加为用户，无法登录")
        if row.disabled:
            raise AuthError("账号已停用，请联系管理员")
        return _user(row)

    # ---- internals ----

    def _row(self, name: str) -> Row[Any] | None:
        with read(self.engine) as conn:
            return conn.execute(select(users).where(users.c.name == name)).first()

    def _by_subject(self, subject: str) -> Row[Any] | None:
        with read(self.engine) as conn:
            return conn.execute(select(users).where(users.c.oidc_subject == subject)).first()

    def _set(self, name: str, **values: Any) -> User:
        with write(self.engine) as conn:
            done = conn.execute(update(users).where(users.c.name == name).values(updated=_now(), **values))
        if done.rowcount == 0:
            raise UserError(f"没有用户 {name}")
        user = self.get(name)
        assert user is not None
        return user

    def _burn(self, password: str) -> None:
        if self._dummy_hash is None:
            self._dummy_hash = self.hasher.hash("not-a-password-of-anyone")
        with suppress(VerificationError, InvalidHashError):
            self.hasher.verify(self._dummy_hash, password)


def _iso(value: datetime | None) -> str:
    if value is None:
        return ""
    return (value if value.tzinfo else value.replace(tzinfo=UTC)).isoformat(timespec="seconds")

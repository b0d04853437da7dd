"""The access layer: roles and offices, the workflow, Argon2 users, OIDC mapping, the append-only audit log."""

from __future__ import annotations

import csv
import importlib.util
import io
from datetime import UTC, date, datetime, timedelta
from pathlib import Path

import pytest
from alembic.autogenerate import compare_metadata
from alembic.runtime.migration import MigrationContext
from argon2 import PasswordHasher
from sqlalchemy import Engine, create_engine, inspect, select, text
from sqlalchemy.exc import DBAPIError

from assistant.access import (
    AccessDenied,
    AuditLog,
    AuthError,
    User,
    UserError,
    UserStore,
    can,
    create_tables,
    require,
    role_of,
    to_csv,
    transition_allowed,
    waiting_for,
)
from assistant.access.audit import clean_detail
from assistant.access.roles import ACTIONS, ROLES, TRANSITIONS
from assistant.access.tables import metadata
from assistant.access.tables import users as users_table
from core.db import engine_for, migrate
from tests.pg import case_url, pg_url, postgres_server  # noqa: F401 - fixtures

REPO = Path(__file__).resolve().parent.parent
GONG = "东莞市工业和信息化局"
ZHU = "东莞市住房和城乡建设局"
JIAO = "东莞市交通运输局"
PW = "长安镇的春天来了2026"

drafter = User("wang", "drafter", GONG, "王承办")
reviewer = User("li", "reviewer", GONG)
signer = User("zhao", "signer", GONG)
admin = User("root", "admin", GONG)
other_drafter = User("chen", "drafter", ZHU)


@pytest.fixture
def engine(tmp_path: Path) -> Engine:
    eng = create_engine(f"sqlite:///{tmp_path / 'access.sqlite3'}")
    create_tables(eng)
    return eng


@pytest.fixture
def cheap() -> PasswordHasher:
    return PasswordHasher(time_cost=1, memory_cost=8, parallelism=1)


@pytest.fixture
def store(engine: Engine, cheap: PasswordHasher) -> UserStore:
    return UserStore(engine, cheap)


# ---- roles and offices ------------------------------------------------------------------------------------

def test_roles_are_data_with_chinese_labels() -> None:
    assert {r.label for r in ROLES.values()} == {"承办人", "审核人", "签发人", "管理员"}
    assert role_of("承办人").code == "drafter" and role_of("signer").label == "签发人"
    with pytest.raises(ValueError, match="承办人.*审核人.*签发人.*管理员"):
        role_of("局长")
    assert all(a in ACTIONS for r in ROLES.values() for a in r.actions)


@pytest.mark.parametrize("action", ["sign", "approve", "change_settings", "manage_users", "view_audit"])
def test_drafter_cannot(action: str) -> None:
    assert not can(drafter, action, GONG)


def test_role_table() -> None:
    assert can(drafter, "edit_case", GONG) and can(drafter, "submit_review", GONG)
    assert can(reviewer, "approve", GONG) and can(reviewer, "return_draft", GONG)
    assert not can(reviewer, "sign", GONG)
    assert can(signer, "sign", GONG) and not can(signer, "approve", GONG)
    assert can(admin, "manage_users") and can(admin, "change_settings") and can(admin, "view_audit")


def test_admin_sees_no_case_content() -> None:
    for action in ("view_case", "edit_case", "export"):
        assert not can(admin, action, GONG)
    with pytest.raises(AccessDenied, match="管理员默认不接触办件内容"):
        require(admin, "view_case", GONG)


def test_other_office_cannot_see_case() -> None:
    assert can(drafter, "view_case", GONG)
    assert not can(other_drafter, "view_case", GONG)
    with pytest.raises(AccessDenied) as exc:
        require(other_drafter, "view_case", GONG)
    message = str(exc.value)
    assert "chen" in message and "查看办件" in message and GONG in message and ZHU in message


def test_co_handling_office_only_sees_and_gives_its_opinion() -> None:
    owing = [ZHU]
    assert can(other_drafter, "view_case", GONG, owing)
    assert can(other_drafter, "give_opinion", GONG, owing)
    for action in ("edit_case", "submit_review", "export"):
        assert not can(other_drafter, action, GONG, owing)
    with pytest.raises(AccessDenied, match="协办单位只能查看并提交本单位的会办意见"):
        require(other_drafter, "edit_case", GONG, owing)
    # opinion given: the office is no longer in co_offices and the case is out of its sight
    assert not can(other_drafter, "view_case", GONG, [JIAO])


def test_disabled_user_can_do_nothing() -> None:
    off = User("wang", "drafter", GONG, disabled=True)
    assert not any(can(off, a, GONG) for a in ACTIONS)
    with pytest.raises(AccessDenied, match="账号已停用"):
        require(off, "view_case", GONG)


def test_refusal_names_user_action_and_reason() -> None:
    with pytest.raises(AccessDenied) as exc:
        require(drafter, "sign", GONG)
    assert str(exc.value) == f"王承办（承办人，{GONG}）不能签发：承办人没有此权限"


def test_transitions() -> None:
    assert transition_allowed(drafter, "待起草", "起草中")
    assert transition_allowed(drafter, "起草中", "待审核")
    assert transition_allowed(reviewer, "待审核", "待签发")
    assert transition_allowed(reviewer, "待审核", "退回修改")
    assert transition_allowed(drafter, "退回修改", "起草中") and transition_allowed(drafter, "退回修改", "待审核")
    assert transition_allowed(signer, "待签发", "已签发")
    assert transition_allowed(drafter, "已签发", "已答复")
    # a drafter cannot approve or sign his own draft; nobody skips review
    assert not transition_allowed(drafter, "待审核", "待签发")
    assert not transition_allowed(drafter, "待签发", "已签发")
    assert not transition_allowed(reviewer, "待签发", "已签发")
    assert not any(transition_allowed(u, "起草中", "待签发") for u in (drafter, reviewer, signer, admin))
    assert not transition_allowed(admin, "待起草", "起草中")
    assert not transition_allowed(other_drafter, "待起草", "起草中", case_office=GONG)
    assert all(a in ACTIONS for a in TRANSITIONS.values())


def test_waiting_for() -> None:
    cases = [(1, "待起草", GONG), (2, "待审核", GONG), (3, "待签发", GONG), (4, "退回修改", GONG),
             (5, "待审核", ZHU), (6, "已答复", GONG), (7, "起草中", GONG)]
    assert waiting_for(drafter, cases) == [1, 4, 7]
    assert waiting_for(reviewer, cases) == [2]
    assert waiting_for(signer, cases) == [3]
    assert waiting_for(admin, cases) == []
    assert waiting_for(User("sun", "reviewer", ZHU), cases) == [5]


# ---- users ------------------------------------------------------------------------------------------------

def test_password_is_stored_as_argon2_hash(store: UserStore, engine: Engine) -> None:
    store.add("wang", "承办人", GONG, password=PW, display="王承办")
    with engine.connect() as conn:
        stored = conn.execute(select(users_table.c.password_hash)).scalar_one()
    assert stored.startswith("$argon2id$") and PW not in stored
    user = store.authenticate("wang", PW)
    assert user == User("wang", "drafter", GONG, "王承办")


@pytest.mark.parametrize("weak", ["", "   ", "short", "password123", "aaaaaaaaaaaa", "wang2026wang"])
def test_weak_passwords_refused(store: UserStore, weak: str) -> None:
    with pytest.raises(UserError, match="密码"):
        store.add("wang", "drafter", GONG, password=weak)
    assert store.get("wang") is None


def test_unknown_role_lists_the_valid_ones(store: UserStore) -> None:
    with pytest.raises(UserError, match="可选角色：承办人（drafter）"):
        store.add("wang", "boss", GONG, password=PW)


def test_duplicate_and_missing_credentials(store: UserStore) -> None:
    store.add("wang", "drafter", GONG, password=PW)
    with pytest.raises(UserError, match="已存在"):
        store.add("wang", "reviewer", GONG, password=PW)
    with pytest.raises(UserError, match="密码或 OIDC"):
        store.add("li", "reviewer", GONG)


def test_wrong_password_and_unknown_user_read_the_same(store: UserStore) -> None:
    store.add("wang", "drafter", GONG, password=PW)
    with pytest.raises(AuthError) as wrong:
        store.authenticate("wang", "not the password")
    with pytest.raises(AuthError) as unknown:
        store.authenticate("nobody", PW)
    assert str(wrong.value) == str(unknown.value) == "用户名或密码错误"


def test_disabled_user_refused_then_enabled(store: UserStore) -> None:
    store.add("wang", "drafter", GONG, password=PW)
    assert store.disable("wang").disabled
    with pytest.raises(AuthError, match="停用"):
        store.authenticate("wang", PW)
    with pytest.raises(AuthError, match="用户名或密码错误"):  # a wrong guess learns nothing about the state
        store.authenticate("wang", "wrong password!")
    store.enable("wang")
    assert store.authenticate("wang", PW).name == "wang"
    with pytest.raises(UserError, match="没有用户"):
        store.disable("nobody")


def test_set_password(store: UserStore) -> None:
    store.add("wang", "drafter", GONG, password=PW)
    store.set_password("wang", "另一个足够长的密码xyz")
    with pytest.raises(AuthError):
        store.authenticate("wang", PW)
    assert store.authenticate("wang", "另一个足够长的密码xyz").name == "wang"
    with pytest.raises(UserError):
        store.set_password("wang", "short")


def test_rehash_when_parameters_change(engine: Engine, cheap: PasswordHasher) -> None:
    UserStore(engine, cheap).add("wang", "drafter", GONG, password=PW)
    with engine.connect() as conn:
        old = conn.execute(select(users_table.c.password_hash)).scalar_one()
    stronger = PasswordHasher(time_cost=2, memory_cost=16, parallelism=1)
    assert stronger.check_needs_rehash(old)
    UserStore(engine, stronger).authenticate("wang", PW)
    with engine.connect() as conn:
        new = conn.execute(select(users_table.c.password_hash)).scalar_one()
    assert new != old and not stronger.check_needs_rehash(new)
    assert UserStore(engine, stronger).authenticate("wang", PW).name == "wang"


def test_oidc_role_claim_is_not_trusted(store: UserStore) -> None:
    store.add("wang", "drafter", GONG, oidc_subject="sub-123")
    forged = {"sub": "sub-123", "role": "admin", "roles": ["管理员"], "office": ZHU, "groups": ["admin"]}
    user = store.from_oidc("sub-123", forged)
    assert (user.role, user.office) == ("drafter", GONG)
    with pytest.raises(AuthError, match="尚未由管理员添加"):
        store.from_oidc("sub-unknown", {"sub": "sub-unknown", "role": "admin"})
    with pytest.raises(AuthError):
        store.from_oidc("sub-123", {"sub": "someone-else"})
    with pytest.raises(AuthError):  # an OIDC-only user has no password to guess
        store.authenticate("wang", "")
    store.disable("wang")
    with pytest.raises(AuthError, match="停用"):
        store.from_oidc("sub-123", {"sub": "sub-123"})


def test_rows_never_show_the_hash(store: UserStore) -> None:
    store.add("wang", "drafter", GONG, password=PW)
    (row,) = store.rows()
    assert row["role_label"] == "承办人" and row["password"] is True and row["oidc"] is False
    assert not any("argon2" in str(v) for v in row.values())


# ---- audit ------------------------------------------------------------------------------------------------

def test_audit_record_entries_filter_csv(engine: Engine) -> None:
    log = AuditLog(engine)
    log.record(drafter, "edit_case", "case:12", version=3)
    log.record("cli:root", "user_add", "user:wang", role="drafter")
    log.record(other_drafter, "view_case", "case:12", "denied")
    every = log.entries()
    assert [e.action for e in every] == ["edit_case", "user_add", "view_case"]
    assert every[0].detail == {"version": 3} and every[0].at.tzinfo is not None
    assert [e.target for e in log.entries(user="wang")] == ["case:12"]
    assert [e.user for e in log.entries(action="user_add")] == ["cli:root"]
    assert len(log.entries(limit=2)) == 2 and log.entries(limit=2)[0].action == "user_add"
    assert log.entries(since=date.today() + timedelta(days=2)) == []
    assert len(log.entries(since=datetime.now(UTC) - timedelta(hours=1))) == 3
    rows = list(csv.DictReader(io.StringIO(to_csv(every))))
    assert rows[2]["outcome"] == "denied" and rows[1]["user"] == "cli:root"
    with pytest.raises(ValueError):
        log.record(drafter, "edit_case", "case:1", "maybe")


def test_audit_drops_text_and_secrets(engine: Engine) -> None:
    log = AuditLog(engine)
    letter = "关于加快推进我市智能制造产业发展的建议答复。" * 20
    log.record(drafter, "edit_case", "case:12", version=2, draft=letter, password=PW, api_key="sk-abc",
               text="短", auth_token="t", note="一行说明")
    (entry,) = log.entries()
    assert entry.detail["version"] == 2 and entry.detail["note"] == "一行说明"
    assert sorted(entry.detail["dropped"]) == ["api_key", "auth_token", "draft", "password", "text"]
    with engine.connect() as conn:
        raw = conn.execute(text("SELECT detail FROM audit")).scalar_one()
    assert "智能制造" not in raw and PW not in raw and "sk-abc" not in raw
    assert clean_detail({"nested": {"a": 1}, "ids": [1, 2]}) == {"ids": [1, 2], "dropped": ["nested"]}


def test_audit_has_no_update_or_delete_api() -> None:
    assert not any(hasattr(AuditLog, n) for n in ("update", "delete", "remove", "clear", "purge"))


def test_audit_csv_cells_are_not_formulas(engine: Engine) -> None:
    log = AuditLog(engine)
    log.record("=cmd|' /C calc'!A0", "view_case", "case:1")
    assert "'=cmd" in to_csv(log.entries())


@pytest.mark.parametrize("sql", ["UPDATE audit SET outcome='ok'", "DELETE FROM audit"])
def test_audit_append_only_in_the_database(engine: Engine, sql: str) -> None:
    AuditLog(engine).record(drafter, "view_case", "case:1", "denied")
    with pytest.raises(DBAPIError, match="append-only"), engine.begin() as conn:
        conn.execute(text(sql))
    assert AuditLog(engine).entries()[0].outcome == "denied"


# ---- the migration ----------------------------------------------------------------------------------------

def test_migrate_creates_the_access_tables(tmp_path: Path) -> None:
    engine = engine_for(f"sqlite:///{tmp_path / 'cases.sqlite3'}")
    migrate(engine)
    with engine.connect() as conn:
        names = set(inspect(conn).get_table_names())
        assert {"users", "audit", "cases", "documents"} <= names
        assert conn.execute(text("SELECT version_num FROM alembic_version")).scalar_one() == "0004"
    cols = {c["name"] for c in inspect(engine).get_columns("users")}
    assert cols == {c.name for c in users_table.c}
    UserStore(engine, PasswordHasher(time_cost=1, memory_cost=8, parallelism=1)).add(
        "wang", "drafter", GONG, password=PW)
    AuditLog(engine).record("cli:root", "user_add", "user:wang")
    with pytest.raises(DBAPIError, match="append-only"), engine.begin() as conn:
        conn.execute(text("DELETE FROM audit"))
    assert len(AuditLog(engine).entries()) == 1


def _ours(name: str | None, type_: str, _parent: object) -> bool:
    return type_ != "table" or name in metadata.tables


def test_migration_matches_the_tables_on_both_backends(case_url: str) -> None:  # noqa: F811
    engine = engine_for(case_url)
    migrate(engine)
    with engine.connect() as conn:
        ctx = MigrationContext.configure(conn, opts={"include_name": _ours})
        assert compare_metadata(ctx, metadata) == []
    store = UserStore(engine, PasswordHasher(time_cost=1, memory_cost=8, parallelism=1))
    store.add("wang", "drafter", GONG, password=PW)
    assert store.authenticate("wang", PW).office == GONG
    log = AuditLog(engine)
    log.record("cli:root", "user_add", "user:wang", role="drafter")
    assert len(log.entries(since=date.today())) == 1
    statements = ["UPDATE audit SET outcome='ok'", "DELETE FROM audit"]
    if engine.dialect.name == "postgresql":
        statements.append("TRUNCATE audit")
    for sql in statements:
        with pytest.raises(DBAPIError, match="append-only"), engine.begin() as conn:
            conn.execute(text(sql))
    assert [e.action for e in log.entries()] == ["user_add"]


def test_migration_0002_is_revision_0002_after_0001() -> None:
    spec = importlib.util.spec_from_file_location("m0002", REPO / "core/migrations/versions/0002_access.py")
    assert spec and spec.loader
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    assert (module.revision, module.down_revision) == ("0002", "0001")

"""`assistant users …` and `assistant audit`: passwords from stdin, JSON listings, every change audited."""

from __future__ import annotations

import csv
import io
import json
from pathlib import Path

import pytest

from assistant.cli import main
from assistant.cli.users import os_actor

GONG = "东莞市工业和信息化局"
PW = "长安镇的春天来了2026"


def run(capsys: pytest.CaptureFixture[str], monkeypatch: pytest.MonkeyPatch, data: Path, *argv: str,
        stdin: str = "") -> tuple[int, str, str]:
    monkeypatch.setattr("sys.stdin", io.StringIO(stdin))
    code = main(["--data-dir", str(data), *argv])
    out, err = capsys.readouterr()
    return code, out, err


@pytest.fixture
def data(tmp_path: Path) -> Path:
    return tmp_path / "data"


def test_add_list_and_audit(capsys: pytest.CaptureFixture[str], monkeypatch: pytest.MonkeyPatch,
                            data: Path) -> None:
    code, out, _ = run(capsys, monkeypatch, data, "users", "add", "root", "--role", "管理员", "--office", GONG,
                       stdin=PW + "\n")
    assert code == 0 and "已添加用户 root" in out
    code, _, _ = run(capsys, monkeypatch, data, "users", "add", "wang", "--role", "drafter", "--office", GONG,
                     "--display", "王承办", stdin=PW + "\n")
    assert code == 0
    code, out, _ = run(capsys, monkeypatch, data, "users", "list", "--json")
    users = {u["name"]: u for u in json.loads(out)}
    assert users["wang"]["role"] == "drafter" and users["wang"]["role_label"] == "承办人"
    assert users["wang"]["display"] == "王承办" and users["root"]["office"] == GONG
    assert PW not in out and "argon2" not in out
    assert (data / "cases.sqlite3").exists()

    code, out, _ = run(capsys, monkeypatch, data, "audit", "--json")
    entries = json.loads(out)
    adds = [e for e in entries if e["action"] == "user_add"]
    assert [e["target"] for e in adds] == ["user:root", "user:wang"]
    assert all(e["user"] == os_actor() and e["outcome"] == "ok" for e in adds)
    assert adds[1]["detail"] == {"role": "drafter", "office": GONG, "oidc": False}
    assert PW not in out


def test_weak_password_and_bad_role(capsys: pytest.CaptureFixture[str], monkeypatch: pytest.MonkeyPatch,
                                    data: Path) -> None:
    code, _, err = run(capsys, monkeypatch, data, "users", "add", "wang", "--role", "drafter", "--office", GONG,
                       stdin="123\n")
    assert code == 1 and "密码太短" in err
    code, _, err = run(capsys, monkeypatch, data, "users", "add", "wang", "--role", "局长", "--office", GONG,
                       stdin=PW + "\n")
    assert code == 2 and "可选角色" in err
    code, _, err = run(capsys, monkeypatch, data, "users", "add", "wang", "--role", "drafter", "--office", GONG)
    assert code == 2 and "标准输入" in err
    code, out, _ = run(capsys, monkeypatch, data, "audit", "--json", "--action", "user_add")
    failed = json.loads(out)  # the weak password and the missing one; the unknown role never got that far
    assert [e["outcome"] for e in failed] == ["failed", "failed"] and '"123' not in out
    assert "密码太短" in failed[0]["detail"]["reason"]


def test_disable_enable_passwd(capsys: pytest.CaptureFixture[str], monkeypatch: pytest.MonkeyPatch,
                               data: Path) -> None:
    run(capsys, monkeypatch, data, "users", "add", "wang", "--role", "drafter", "--office", GONG, stdin=PW + "\n")
    assert run(capsys, monkeypatch, data, "users", "disable", "wang")[0] == 0
    code, out, _ = run(capsys, monkeypatch, data, "users", "list", "--json")
    assert json.loads(out)[0]["disabled"] is True
    assert run(capsys, monkeypatch, data, "users", "enable", "wang")[0] == 0
    assert run(capsys, monkeypatch, data, "users", "passwd", "wang", stdin="一个全新的足够长的口令\n")[0] == 0
    code, _, err = run(capsys, monkeypatch, data, "users", "disable", "nobody")
    assert code == 1 and "没有用户 nobody" in err
    code, out, _ = run(capsys, monkeypatch, data, "audit", "--csv")
    rows = list(csv.DictReader(io.StringIO(out)))
    assert [r["action"] for r in rows] == ["user_add", "user_disable", "user_enable", "user_passwd", "user_disable"]
    assert rows[-1]["outcome"] == "failed" and "一个全新" not in out


def test_as_user_is_checked(capsys: pytest.CaptureFixture[str], monkeypatch: pytest.MonkeyPatch,
                            data: Path) -> None:
    run(capsys, monkeypatch, data, "users", "add", "root", "--role", "admin", "--office", GONG, stdin=PW + "\n")
    run(capsys, monkeypatch, data, "users", "add", "wang", "--role", "drafter", "--office", GONG, stdin=PW + "\n")
    code, _, err = run(capsys, monkeypatch, data, "--as", "wang", "users", "disable", "root")
    assert code == 1 and "不能管理用户" in err
    code, _, err = run(capsys, monkeypatch, data, "--as", "wang", "audit")
    assert code == 1 and "不能查看审计日志" in err
    assert run(capsys, monkeypatch, data, "--as", "root", "users", "disable", "wang")[0] == 0
    code, out, _ = run(capsys, monkeypatch, data, "--as", "root", "audit", "--json", "--since", "2000-01-01")
    entries = json.loads(out)
    assert [(e["user"], e["action"], e["outcome"]) for e in entries[2:]] == [
        ("wang", "user_disable", "denied"), ("wang", "view_audit", "denied"), ("root", "user_disable", "ok")]
    code, _, err = run(capsys, monkeypatch, data, "audit", "--since", "yesterday")
    assert code == 2 and "不是日期" in err


def test_oidc_user_needs_no_password(capsys: pytest.CaptureFixture[str], monkeypatch: pytest.MonkeyPatch,
                                     data: Path) -> None:
    code, _, _ = run(capsys, monkeypatch, data, "users", "add", "li", "--role", "审核人", "--office", GONG,
                     "--oidc-subject", "sub-42")
    assert code == 0
    code, out, _ = run(capsys, monkeypatch, data, "users", "list")
    assert "li" in out and "审核人" in out and "OIDC" in out

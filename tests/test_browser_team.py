"""A bureau's team in a real browser (`streamlit run` + headless Debian chromium, local accounts): three people of
one office, each in their own tab (a Streamlit session is per tab), take a case through draft → submit → return
with a comment (refused first without one) → revise → submit → approve → sign → final letter on the 办件 page.
After every step: the status in the case heading, the moves offered to that role (a 承办人 never sees 审核通过 or
签发, a 审核人 never 签发), the page readable (no English word, ISO time or raw markup); screenshots go to
artifacts/screenshots/team-*.png. At the end the audit log holds the five moves by the right people, and a
承办人 of another office sees no case. The same flow as tests/test_app_team.py, driven by AppTest."""

from __future__ import annotations

import re
import shutil
import time
from pathlib import Path
from typing import Any

from tests.test_app import corpus_store  # noqa: F401  (the shared session fixture)
from tests.test_browser import (
    SHOTS,
    _corpus_words,
    _go,
    _idle,
    _launch,
    _server,
    _stop,
    _visible_text,
    _wait_healthy,
    pytestmark,  # noqa: F401  (integration; skipped without playwright or chromium)
)
from tests.test_browser_case import INTAKE, unreadable

OFFICE = "东莞市金融工作局"
OTHER = "东莞市交通运输局"
PROPOSAL = INTAKE / "proposal-dh0271.txt"
PW = "长安镇的春天来了2026"
PEOPLE = {"wang": ("承办人", OFFICE, "王承办"), "li": ("审核人", OFFICE, "李审核"), "zhang": ("签发人", OFFICE, "张签发"),
          "chen": ("承办人", OTHER, "陈承办")}
REVIEW = "意见（退回修改时必填；会显示在办件上并记入流转记录）"
COMMENT = "第二部分缺少贴息数据，请补充。"
LONG = 240_000  # a busy machine: wait on what the page shows, never on a clock


class Team:
    """What the test has seen so far: the unreadable bits of every screenshot, by step."""

    def __init__(self, own: set[str]) -> None:
        self.own = own
        self.seen: dict[str, list[str]] = {}

    def check(self, page: Any, name: str) -> str:
        """Wait for the run to be over, screenshot the page, record what is unreadable on it, return its text."""
        _settled(page)
        SHOTS.mkdir(parents=True, exist_ok=True)
        page.screenshot(path=str(SHOTS / f"team-{name}.png"), full_page=True)
        assert page.get_by_test_id("stException").count() == 0, name
        text = _visible_text(page)
        self.seen[name] = unreadable(text, self.own)
        return text


def _main(page: Any) -> Any:
    return page.get_by_test_id("stMain")


def _settled(page: Any) -> None:
    """The run is over and nothing of the one before is left: a rerun that puts a message at the top shifts every
    element below it, and until it is over a form may still hold the previous run's parts (marked data-stale)."""
    _idle(page, LONG)
    page.wait_for_function("""() => !document.querySelector('[data-stale="true"]')""", timeout=LONG, polling=200)


def _sign_in(context: Any, url: str, name: str) -> Any:
    """A new tab, signed in as NAME: the 待办 page drawn, the user named in the sidebar."""
    from playwright.sync_api import expect

    page = context.new_page()
    page.set_viewport_size({"width": 1400, "height": 2600})
    page.goto(url)
    main = _main(page)
    expect(main.get_by_role("heading", name="登录", exact=True)).to_be_visible(timeout=LONG)
    _idle(page, LONG)
    main.get_by_label("用户名", exact=True).fill(name)
    main.get_by_label("密码", exact=True).fill(PW)
    main.get_by_role("button", name="登录", exact=True).click()
    expect(main.get_by_role("heading", name="待办", exact=True)).to_be_visible(timeout=LONG)
    _idle(page, LONG)
    role, office, shown = PEOPLE[name]
    expect(page.get_by_test_id("stSidebar").get_by_text(f"当前用户：{shown}（{role}，{office}）", exact=False)
           ).to_be_visible(timeout=LONG)
    return page


def _cases(page: Any) -> None:
    """The 办件 page drawn afresh from the store (by way of 待办 when it is the page already shown)."""
    page.bring_to_front()
    if _main(page).get_by_role("heading", name="办件", exact=True).count():
        _go(page, "待办")
    _go(page, "办件")


def _status(page: Any, status: str) -> str:
    """The case heading, once it names STATUS: 办件 #1：…（STATUS，…）."""
    from playwright.sync_api import expect

    heading = _main(page).locator("h4").first
    expect(heading).to_contain_text(f"（{status}", timeout=LONG)
    _settled(page)
    text = str(heading.inner_text())
    assert text.startswith("办件 #1："), text
    return text


def _review_form(page: Any) -> Any:
    return _main(page).get_by_test_id("stForm").filter(has_text="审核流转")


def _moves(page: Any) -> list[str]:
    """The review moves this person is offered (the form's buttons), none when there is no form."""
    _settled(page)
    form = _review_form(page)
    if not form.count():
        return []
    return [t.strip() for t in form.get_by_test_id("stFormSubmitButton").all_inner_texts()]


def _never(page: Any, *labels: str) -> None:
    """No button with any of these labels anywhere on the main page."""
    _settled(page)
    main = _main(page)
    shown = {label: main.get_by_role("button", name=label, exact=True).count() for label in labels}
    assert not any(shown.values()), shown


def _move(page: Any, label: str, comment: str = "") -> None:
    form = _review_form(page)
    form.get_by_label(REVIEW, exact=True).fill(comment)
    form.get_by_role("button", name=label, exact=True).click()
    _idle(page, LONG)


def _flash(page: Any, text: str) -> None:
    from playwright.sync_api import expect

    expect(_main(page).get_by_text(text, exact=False).first).to_be_visible(timeout=LONG)


def test_three_people_take_a_case_to_the_final_letter(corpus_store: Path, tmp_path: Path) -> None:  # noqa: F811
    from playwright.sync_api import expect, sync_playwright

    from assistant.access import AuditLog, UserStore, open_engine
    from assistant.casework.store import STATUS_FINAL, STATUS_REVIEW, CaseStore
    from core.settings import Settings

    t0 = time.perf_counter()
    data = tmp_path / "data"
    shutil.copytree(corpus_store, data)
    settings = Settings(data_dir=data)  # type: ignore[call-arg]
    users = UserStore(open_engine(settings))
    for name, (role, office, shown) in PEOPLE.items():
        users.add(name, role, office, password=PW, display=shown)
    store = CaseStore.of(settings)
    team = Team(_corpus_words() | {"DH"})  # a proposal number's letters are the document's own
    problems: list[str] = []  # app bugs found on the way, asserted at the end so the rest still runs
    server, url, log = _server(data, tmp_path)
    try:
        _wait_healthy(url, server)
        with sync_playwright() as p:
            context = _launch(p, tmp_path)
            try:
                # 王承办: a new case from the proposal, answered by his own office (the field shown, disabled)
                wang = _sign_in(context, url, "wang")
                team.check(wang, "01-wang-todo")
                _cases(wang)
                main = _main(wang)
                expect(main.get_by_text("还没有办件", exact=False)).to_be_visible(timeout=LONG)
                exp = main.get_by_test_id("stExpander").filter(has_text="新建办件").first
                office = exp.get_by_label("答复单位", exact=True)
                expect(office).to_be_disabled()
                assert office.input_value() == OFFICE
                exp.get_by_test_id("stFileUploaderDropzoneInput").set_input_files(str(PROPOSAL))
                _idle(wang, LONG)
                go = exp.get_by_role("button", name="读取来文并建立办件", exact=True)
                expect(go).to_be_enabled(timeout=LONG)
                go.click()
                _idle(wang, LONG)
                _flash(wang, "已建立办件 #1")
                assert "尚无草稿" in _status(wang, "待起草")
                title = store.get(1).title
                assert title and store.get(1).office == OFFICE
                team.check(wang, "02-wang-created")

                # the draft: version 1; a 承办人 may submit it, never approve or sign
                main.get_by_role("button", name="生成草稿", exact=True).click()
                _idle(wang, LONG)
                _flash(wang, "已生成并保存第1版")
                heading = _status(wang, "起草中")
                assert "1 个版本" in heading, heading
                assert _moves(wang) == ["提交审核"]
                _never(wang, "审核通过，送签发", "签发", "退回修改")
                team.check(wang, "03-wang-draft")
                _move(wang, "提交审核")
                _flash(wang, "已从“起草中”转为“待审核”")
                _status(wang, STATUS_REVIEW)
                assert _moves(wang) == []
                _never(wang, "审核通过，送签发", "签发")
                team.check(wang, "04-wang-submitted")

                # 李审核: the case waits for him; returning it without a comment is refused, nothing changed
                li = _sign_in(context, url, "li")
                expect(_main(li).get_by_text("共 1 件等待你处理", exact=False)).to_be_visible(timeout=LONG)
                team.check(li, "05-li-todo")
                _cases(li)
                _status(li, STATUS_REVIEW)
                assert sorted(_moves(li)) == sorted(["退回修改", "审核通过，送签发"])
                _never(li, "签发", "提交审核")
                team.check(li, "06-li-review")
                _move(li, "退回修改")
                expect(_main(li).get_by_test_id("stAlertContentError").filter(has_text="退回修改须写明修改意见")
                       ).to_be_visible(timeout=LONG)
                _status(li, STATUS_REVIEW)
                assert store.get(1).status == STATUS_REVIEW
                team.check(li, "07-li-refused")
                _move(li, "退回修改", COMMENT)
                _flash(li, "已从“待审核”转为“退回修改”")
                _status(li, "退回修改")
                _never(li, "签发")
                team.check(li, "08-li-returned")

                # 王承办: the comment in a warning beside the text; an edit saved as version 2, submitted again
                _cases(wang)
                _status(wang, "退回修改")
                main = _main(wang)
                expect(main.get_by_test_id("stAlertContentWarning").filter(has_text=COMMENT)).to_be_visible(
                    timeout=LONG)
                editor = main.get_by_label("草稿（修改后保存为新版本）", exact=True)
                expect(editor).to_be_visible()
                team.check(wang, "09-wang-comment")
                letter = editor.input_value()
                edited = letter.replace("此复", "特此答复。") if "此复" in letter else letter + "\n特此答复。"
                editor.fill(edited)
                editor.press("Control+Enter")
                _idle(wang, LONG)
                main.get_by_label("修改说明", exact=True).fill("补充贴息数据")
                main.get_by_role("button", name="保存为新版本", exact=True).click()
                _idle(wang, LONG)
                _flash(wang, "已保存第2版")
                assert "2 个版本" in _status(wang, "退回修改")
                assert store.get(1).versions == 2
                assert _moves(wang) == ["提交审核"]
                _never(wang, "审核通过，送签发", "签发")
                team.check(wang, "10-wang-revised")
                _move(wang, "提交审核")
                _flash(wang, "已从“退回修改”转为“待审核”")
                _status(wang, STATUS_REVIEW)
                team.check(wang, "11-wang-resubmitted")

                # 李审核 approves: the letter frozen, sent for signature; he may still return it, never sign
                _cases(li)
                assert "2 个版本" in _status(li, STATUS_REVIEW)
                assert sorted(_moves(li)) == sorted(["退回修改", "审核通过，送签发"])
                _move(li, "审核通过，送签发", "同意")
                _flash(li, "已从“待审核”转为“待签发”")
                _status(li, "待签发")
                _never(li, "签发", "审核通过，送签发")
                team.check(li, "12-li-approved")

                # 张签发: the letter read only (文本已冻结), then signed
                zhang = _sign_in(context, url, "zhang")
                team.check(zhang, "13-zhang-todo")
                _cases(zhang)
                _status(zhang, "待签发")
                main = _main(zhang)
                expect(main.get_by_test_id("stAlertContentInfo").filter(has_text="文本已冻结")).to_be_visible(
                    timeout=LONG)
                assert main.get_by_label("草稿（修改后保存为新版本）", exact=True).count() == 0
                expect(main.get_by_label("答复函（只读）", exact=True)).to_be_disabled()
                assert sorted(_moves(zhang)) == sorted(["签发", "退回修改"])
                _never(zhang, "审核通过，送签发", "提交审核", "保存为新版本")
                team.check(zhang, "14-zhang-frozen")
                _move(zhang, "签发", "同意签发")
                _flash(zhang, "已从“待签发”转为“已签发”")
                _status(zhang, "已签发")
                assert _moves(zhang) == []
                team.check(zhang, "15-zhang-signed")

                # 王承办: the signed letter uploaded (every blank filled, no [n] marks) and finalised
                _cases(wang)
                _status(wang, "已签发")
                main = _main(wang)
                expect(main.get_by_test_id("stAlertContentInfo").filter(has_text="文本已冻结")).to_be_visible(
                    timeout=LONG)
                assert _moves(wang) == []
                _never(wang, "审核通过，送签发", "签发")
                team.check(wang, "16-wang-signed")
                last = store.versions(1)[-1].text
                final = tmp_path / "签发稿.txt"
                final.write_text(re.sub(r"【[^】]*】", "（略）", re.sub(r"\[\d+\]", "", last)), encoding="utf-8")
                fin = main.get_by_test_id("stFileUploader").filter(has_text="上传签发后的定稿")
                fin.get_by_test_id("stFileUploaderDropzoneInput").set_input_files(str(final))
                _idle(wang, LONG)
                pop = main.get_by_role("button", name=re.compile("定稿…")).first
                expect(pop).to_be_enabled(timeout=LONG)
                pop.click()
                confirm = wang.get_by_role("button", name="确认定稿", exact=True)
                expect(confirm).to_be_enabled(timeout=LONG)
                confirm.click()
                _idle(wang, LONG)
                _flash(wang, "已定稿，定稿已存入资料库")
                _status(wang, STATUS_FINAL)
                assert store.get(1).status == STATUS_FINAL
                _never(wang, "审核通过，送签发", "签发", "提交审核")
                text = team.check(wang, "17-wang-final")
                # the case's record names the people as the rest of the page does (王承办, not an account name),
                # the final letter included; a 承办人 may not reopen (only 审核人 and 签发人 may): no such form
                record = [line for line in text.splitlines() if re.match(r"(\S+→\S+|定稿|重新打开) \d{4}年", line)]
                assert record, text
                named = [line for line in record if not any(shown in line for _, _, shown in PEOPLE.values())]
                if named:
                    problems.append(f"办理记录 names no one by the name shown elsewhere (王承办…): {named}")
                if main.get_by_role("button", name="重新打开", exact=True).count():
                    problems.append("a 承办人 is offered 重新打开 on a final case, a move his role may not make")

                # another office's 承办人 sees no case
                chen = _sign_in(context, url, "chen")
                text = team.check(chen, "18-chen-todo")
                assert title not in text
                _cases(chen)
                main = _main(chen)
                expect(main.get_by_text(re.compile("目前没有你可以查看的办件|还没有办件")).first).to_be_visible(
                    timeout=LONG)
                text = team.check(chen, "19-chen-cases")
                assert title not in text and "办件 #1" not in text
                assert main.locator("h4").count() == 0
            finally:
                context.close()
    finally:
        _stop(server, log)
    shutil.rmtree(tmp_path / "profile", ignore_errors=True)

    # every move in the audit log, by the person who made it; the refused return as well
    audit = AuditLog(open_engine(settings))
    moves = audit.entries(action="transition")
    steps = [(e.user, e.detail.get("from"), e.detail.get("to")) for e in moves if e.outcome == "ok"]
    assert steps == [("wang", "起草中", "待审核"), ("li", "待审核", "退回修改"), ("wang", "退回修改", "待审核"),
                     ("li", "待审核", "待签发"), ("zhang", "待签发", "已签发")], steps
    assert [(e.user, e.outcome) for e in moves if e.outcome != "ok"] == [("li", "failed")]
    assert ("wang", "mark_replied") in {(e.user, e.action) for e in audit.entries() if e.outcome == "ok"}
    print(f"\nthree people, draft → final letter in a browser: {time.perf_counter() - t0:.0f} s")
    unread = {k: v for k, v in team.seen.items() if v}
    assert not unread and not problems, (unread, problems)

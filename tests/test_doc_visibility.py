"""Archive documents' visibility: 公开 (everyone, the default) or 内部 (its owner office only). An internal document
of another office is left out of every search (answers, drafts, example questions), of the 文档 list and of the
CLI's --as searches; co-handling opinions are internal to the lead office; a reply whose 公开属性 says 不予公开
stays internal."""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from assistant.access import User, UserStore, open_engine
from assistant.access.documents import INTERNAL, PUBLIC, DocAccess
from assistant.retrieval.hybrid import HIDDEN_DOCS, Filters
from core.settings import Settings
from tests.test_app_cases import app_env  # noqa: F401  (the fixture: corpus/ ingested with the fake embedder)
from tests.test_app_team import PW, _run, _sign_in

HZ = "hangzhou-2023-zx117-reply"  # 杭州市经济和信息化局's reply
QUESTION = "杭州市经信局在为专精特新企业注入资金流方面采取了哪些措施？"
wang = User("wang", "drafter", "东莞市金融工作局")
hz = User("hz", "drafter", "杭州市经济和信息化局")
root = User("root", "admin", "东莞市金融工作局")


def _access() -> DocAccess:
    return DocAccess(open_engine(Settings()))  # type: ignore[call-arg]


def test_who_may_read_what(app_env: Path) -> None:  # noqa: F811
    access = _access()
    assert access.get(HZ) == (PUBLIC, "") and access.hidden_for(wang) == frozenset()  # the default: 公开
    access.set(HZ, INTERNAL, "杭州市经济和信息化局", "hz")
    assert access.hidden_for(wang) == {HZ} and access.hidden_for(hz) == frozenset()  # the owner office reads it
    assert access.hidden_for(None) == frozenset() and access.hidden_for(root) == frozenset()  # desk, 管理员
    with pytest.raises(ValueError, match="所属单位"):
        access.set(HZ, INTERNAL, "")
    with pytest.raises(ValueError, match="可见范围"):
        access.set(HZ, "保密", "x")
    access.forget(HZ)
    assert access.get(HZ) == (PUBLIC, "")


def test_an_internal_document_is_out_of_every_search(app_env: Path) -> None:  # noqa: F811
    from assistant.answers.answer import Assistant
    from assistant.answers.examples import example_questions
    from assistant.retrieval.services import build_services

    svc = build_services(Settings())  # type: ignore[call-arg]
    before = svc.retriever.search(QUESTION, 8).hits
    assert any(h.meta.doc_id == HZ for h in before)
    token = HIDDEN_DOCS.set(frozenset({HZ}))
    try:
        for mode in ("hybrid", "dense", "bm25"):
            # the question names 杭州, whose one document is hidden: nothing readable from there
            assert svc.retriever.search(QUESTION, 8, mode=mode).hits == [], mode  # type: ignore[arg-type]
            hits = svc.retriever.search("为专精特新企业注入资金流采取了哪些措施", 30, mode=mode).hits  # type: ignore[arg-type]
            assert hits and all(h.meta.doc_id != HZ for h in hits), mode
        assert all(h.meta.doc_id != HZ for h in svc.retriever.search(QUESTION, 8, Filters(city="杭州市")).hits)
        answer = Assistant(svc).ask(QUESTION)
        assert all(h.meta.doc_id != HZ for h in [*answer.passages, *answer.hits, *answer.related])
        lex = svc.retriever.lexical()
        assert all("杭州" not in q for q in example_questions({}, lex.documents, lex.metadatas, limit=20))
    finally:
        HIDDEN_DOCS.reset(token)
    assert any(h.meta.doc_id == HZ for h in svc.retriever.search(QUESTION, 8).hits)  # only for that reader


def test_cli_as_a_user_of_another_office(app_env: Path, capsys: pytest.CaptureFixture[str]) -> None:  # noqa: F811
    from assistant.cli import commands as cli

    users = UserStore(open_engine(Settings()))  # type: ignore[call-arg]
    users.add("wang", "承办人", "东莞市金融工作局", password=PW)
    users.add("hz", "承办人", "杭州市经济和信息化局", password=PW)
    _access().set(HZ, INTERNAL, "杭州市经济和信息化局", "hz")
    capsys.readouterr()
    assert cli.main(["--as", "wang", "search", QUESTION, "--json"]) == 0
    assert HZ not in {h["doc_id"] for h in json.loads(capsys.readouterr().out)}
    HIDDEN_DOCS.set(frozenset())  # the CLI set it for that command (one per process in real use)
    assert cli.main(["--as", "hz", "search", QUESTION, "--json"]) == 0
    assert HZ in {h["doc_id"] for h in json.loads(capsys.readouterr().out)}
    HIDDEN_DOCS.set(frozenset())
    assert cli.main(["--as", "ghost", "search", QUESTION]) == 2
    assert "没有用户 ghost" in capsys.readouterr().err


def test_documents_page_lists_only_what_the_reader_may_read(app_env: Path) -> None:  # noqa: F811
    users = UserStore(open_engine(Settings()))  # type: ignore[call-arg]
    users.add("wang", "承办人", "东莞市金融工作局", password=PW)
    users.add("hz", "承办人", "杭州市经济和信息化局", password=PW)
    _access().set(HZ, INTERNAL, "杭州市经济和信息化局", "hz")
    for name, sees in (("wang", False), ("hz", True)):
        at = _sign_in(name)
        at.switch_page("app/pages/docs.py")
        _run(at)
        listed = " ".join(str(v) for v in at.dataframe[0].value.to_dict("list").values())
        assert ("市经信局关于市政协十二届二次会议第117号提案的答复" in listed) is sees, name
        assert "广州市工业和信息化局" in listed  # a 公开 document: everyone


def test_opinions_are_internal_and_a_reply_follows_its_disclosure(app_env: Path) -> None:  # noqa: F811
    import re

    from assistant.casework.store import CaseStore
    from assistant.casework.workflow import attach_opinion, finalize, open_case, save_fields
    from assistant.letters.model import LetterFields
    from assistant.retrieval.services import build_services
    from tests.test_app_cases import DATA, OFFICE, PROPOSAL

    settings = Settings()  # type: ignore[call-arg]
    svc, store = build_services(settings), CaseStore.of(settings)
    cid, _ = open_case(store, settings, PROPOSAL.name, PROPOSAL.read_bytes(), OFFICE)
    attach_opinion(store, settings, cid, "opinion-czj.txt", (DATA / "opinion-czj.txt").read_bytes(), svc)
    records = svc.store.doc_records()
    opinion_doc = next(d for d, m in records.items() if m.get("case_id") == cid and m.get("case_role") == "opinion")
    assert _access().get(opinion_doc) == (INTERNAL, OFFICE)
    store.add_version(cid, "刘芳委员：\n您的提案收悉。\n此复\n" + OFFICE, "王承办")
    save_fields(store, cid, store.version(cid).text, 1, LetterFields(disclosure="不予公开"), "2025年6月30日")
    letter = re.sub(r"【[^】]*】", "（略）", store.version(cid).text)
    finalize(store, settings, cid, "定稿.txt", letter.encode("utf-8"), svc)
    final_doc = next(d for d, m in svc.store.doc_records().items()
                     if m.get("case_id") == cid and m.get("case_role") == "final")
    assert _access().get(final_doc) == (INTERNAL, OFFICE)
    assert final_doc in _access().hidden_for(hz) and final_doc not in _access().hidden_for(wang)

"""A document that states no place is nobody's: it answers a question naming a place the archive holds letters of
only when the bureau's home place (ASSISTANT_HOME_PLACE / `assistant ingest --place`) says it is that place's. For a
place the archive holds nothing of, it may be that place's letter (a city's web page signed "市经信局" never names the
city): it answers then, saying that the place is not confirmed; not for a place its office's kind rules out."""

from __future__ import annotations

import subprocess
import sys
from pathlib import Path

import pytest

from assistant.answers.answer import Assistant
from assistant.retrieval.hybrid import HybridRetriever
from assistant.retrieval.services import Services
from core.settings import Settings
from core.store import Store
from ingest.pipeline import discover, home_place, ingest_paths
from tests.conftest import REPO_ROOT, FakeEmbedder

PLACELESS = ("关于加快推进5G网络建设的建议的答复\n尊敬的王明代表：\n您提出的关于加快推进5G网络建设的建议收悉，现答复如下：\n"
             "一、工作开展情况\n截至今年9月底，全市已建成5G基站12345个，实现城区连续覆盖。\n"
             "此复。\n某某局\n2024年10月8日\n")
QUESTION = "广州市已建成多少个5G基站？"


def services_with(tmp_path: Path, home: str, **llm: object) -> Services:
    settings = Settings(data_dir=tmp_path / f"data{home}", collection="home-test", home_place=home,
                        **llm)  # type: ignore[arg-type]
    emb = FakeEmbedder()
    store = Store(settings, emb)
    doc = tmp_path / "in" / "5g-reply.txt"
    doc.parent.mkdir(exist_ok=True)
    doc.write_text(PLACELESS, encoding="utf-8")
    report = ingest_paths([doc, *discover(REPO_ROOT / "corpus")], store, settings, progress=False)
    assert report.failed == []
    return Services(settings, emb, store, HybridRetriever(store, emb, settings))


def test_a_placeless_letter_is_not_another_places(tmp_path: Path) -> None:
    svc = services_with(tmp_path, "")
    rec = svc.store.doc_records()["5g-reply"]
    assert not (rec.get("province") or rec.get("city") or rec.get("district"))
    ans = Assistant(svc).ask(QUESTION)
    assert "12345" not in ans.text


def test_the_home_place_takes_in_placeless_letters(tmp_path: Path) -> None:
    svc = services_with(tmp_path, "广州市")
    rec = svc.store.doc_records()["5g-reply"]
    assert (rec["province"], rec["city"], rec["place_source"]) == ("广东省", "广州市", "home")
    stated = svc.store.doc_records()["hangzhou-2023-zx117-reply"]
    assert stated["city"] == "杭州市" and stated["place_source"] == "text"  # a stated place is kept
    ans = Assistant(svc).ask(QUESTION)
    assert "12345" in ans.text and not ans.refused


def test_an_ambiguous_or_unknown_home_place_is_refused(tmp_path: Path) -> None:
    with pytest.raises(ValueError, match="several"):
        home_place("铁西区")
    with pytest.raises(ValueError, match="no such place"):
        home_place("不存在市")


@pytest.mark.integration
def test_ingest_refuses_an_ambiguous_place(tmp_path: Path) -> None:
    proc = subprocess.run([sys.executable, "-m", "assistant", "--data-dir", str(tmp_path / "d"), "ingest",
                           str(tmp_path), "--place", "铁西区"], cwd=REPO_ROOT, capture_output=True, text=True,
                          timeout=120)
    assert proc.returncode == 2 and "铁西区" in proc.stderr and "several" in proc.stderr


def test_a_placeless_letter_answers_for_an_unknown_place_with_a_caveat(tmp_path: Path) -> None:
    ans = Assistant(services_with(tmp_path, "")).ask("嘉兴市已建成多少个5G基站？")  # no letter of 嘉兴 in the archive
    assert not ans.refused and "12345" in ans.text
    assert "没有写明所属地区" in ans.text and "嘉兴" in ans.text.split("\n")[0]


def test_a_models_answer_from_a_placeless_letter_carries_the_caveat(tmp_path: Path) -> None:
    from tests.fake_openai import FakeOpenAI

    question = "嘉兴市已建成多少个5G基站？"
    with FakeOpenAI() as server:
        svc = services_with(tmp_path, "", generator="llm", llm_base_url=server.base_url, llm_api_key="sk-test-1",
                            llm_model="fake-model", llm_timeout_s=2, llm_max_retries=0)
        assistant = Assistant(svc)
        n = next(i + 1 for i, h in enumerate(assistant.prepare(question).passages) if "12345" in h.text)
        server.script(f"全市已建成5G基站12345个[{n}]。")
        ans = assistant.ask(question)
    assert ans.generator.startswith("llm") and "12345" in ans.text
    assert "没有写明所属地区" in ans.notice and "嘉兴" in ans.notice


def test_an_offices_kind_of_place_rules_places_out() -> None:
    from assistant.answers.question import may_be
    from assistant.retrieval.hybrid import Hit

    def hit(office: str) -> Hit:
        return Hit("x", "X", "全市划分了1.9万个企业微网格。", {"office": office, "title": "对第32号建议的答复"}, 1.0, 1)

    assert may_be("嘉兴", hit("市经信局")) and may_be("嘉兴市", hit("市经信局"))
    assert not may_be("秀洲区", hit("市经信局"))  # a 市's office is no 区's
    assert may_be("秀洲区", hit("区经信局")) and may_be("秀洲区", hit("某某局"))


def test_a_place_inside_a_stored_city_is_answered_from_that_citys_letters_only(tmp_path: Path) -> None:
    """普宁市 has no letter of its own; 揭阳市's letter names it. Another city's letter, however well it scores on
    the rest of the question, does not speak for 普宁市."""
    svc = services_with(tmp_path, "")
    ans = Assistant(svc).ask("普宁市自己对专精特新企业有哪些扶持政策？")
    assert "东莞" not in ans.text
    assert ans.refused or ("普宁" in ans.text and {ans.passages[n - 1].meta.city for n in ans.report.cited} == {"揭阳市"})

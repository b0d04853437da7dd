"""The LLM path end to end against a scripted OpenAI-compatible server on 127.0.0.1."""

from __future__ import annotations

import json
import logging
import socket
from collections.abc import Iterator
from pathlib import Path

import pytest

from assistant.answers.answer import Answer, Assistant, Turn
from assistant.letters.draft import Drafter
from assistant.letters.model import DraftRequest, Proposal
from assistant.retrieval.hybrid import HybridRetriever
from assistant.retrieval.services import Services
from core.settings import Settings
from core.store import Store
from ingest.pipeline import discover, ingest_paths
from tests.conftest import REPO_ROOT, FakeEmbedder
from tests.fake_openai import FakeOpenAI, Reply

KEY = "sk-test-SECRET-0123456789"
Q = "揭阳到2023年6月底认定了多少名高层次人才？"


@pytest.fixture(scope="module")
def server() -> Iterator[FakeOpenAI]:
    with FakeOpenAI() as srv:
        yield srv


@pytest.fixture(scope="module")
def base(tmp_path_factory: pytest.TempPathFactory, server: FakeOpenAI) -> Services:
    settings = Settings(data_dir=tmp_path_factory.mktemp("llm") / "data", collection="llm-test", generator="llm",
                        llm_base_url=server.base_url, llm_api_key=KEY, llm_model="fake-model", llm_timeout_s=2,
                        llm_max_retries=0)
    emb = FakeEmbedder()
    store = Store(settings, emb)
    assert ingest_paths(discover(REPO_ROOT / "corpus"), store, settings, progress=False).failed == []
    return Services(settings, emb, store, HybridRetriever(store, emb, settings))


@pytest.fixture
def assistant(base: Services, server: FakeOpenAI) -> Assistant:
    server.queue.clear()
    server.requests.clear()
    return Assistant(base)


def _answer(assistant: Assistant, question: str = Q, **kw) -> tuple[list[str], Answer]:
    deltas: list[str] = []
    final = None
    for item in assistant.stream(question, **kw):
        if isinstance(item, Answer):
            final = item
        else:
            deltas.append(item)
    assert final is not None
    return deltas, final


def n_of(assistant: Assistant, needle: str, question: str = Q) -> int:
    """The number the generator will see on the passage holding `needle`."""
    passages = assistant.prepare(question).passages
    return next(i + 1 for i, h in enumerate(passages) if needle in h.text)


def _no_secret(ans: Answer) -> None:
    assert KEY not in json.dumps(ans.to_dict(), ensure_ascii=False)


def test_streamed_answer_with_checked_citations(assistant: Assistant, server: FakeOpenAI) -> None:
    n = n_of(assistant, "9361人")
    server.script(f"至2023年6月底，全市共认定高层次人才9361人[{n}]。其中A类人才51人[{n}]。")
    deltas, ans = _answer(assistant)
    assert len(deltas) > 1  # streamed in pieces
    assert ans.generator == "llm:fake-model" and not ans.notice and not ans.refused
    assert f"9361人[{n}]" in ans.text
    assert ans.report.markers_valid == ans.report.markers_total == 2
    assert all(s.supported for s in ans.report.claims)
    req = server.requests[-1]
    assert req["json"]["model"] == "fake-model" and req["json"]["stream"] is True
    assert req["authorization"] == f"Bearer {KEY}"
    user = req["json"]["messages"][-1]["content"]
    assert "<<<资料开始>>>" in user and f"[{n}]" in user and Q in user
    assert "不是指令" in req["json"]["messages"][0]["content"]  # passages are framed as data


def test_malformed_and_out_of_range_citations(assistant: Assistant, server: FakeOpenAI) -> None:
    n = n_of(assistant, "9361人")
    server.script(f"全市共认定高层次人才9361人[编号:{n}]。A类人才51人【{n}】。另有说法[99]。")
    _, ans = _answer(assistant)
    assert "[编号" not in ans.text and "【" not in ans.text and "[99]" not in ans.text
    assert ans.report.markers_total == 3 and ans.report.markers_valid == 2 and ans.report.markers_removed == 1
    assert f"9361人[{n}]" in ans.text


def test_a_wrong_figure_is_not_shown_the_offline_answer_is(assistant: Assistant, server: FakeOpenAI) -> None:
    """A model's key claim that the passages do not hold is replaced, not shown flagged."""
    server.script(f"全市共认定高层次人才9631人[{n_of(assistant, '9361人')}]。")
    _, ans = _answer(assistant)
    assert "9631" not in ans.text and "9361" in ans.text and ans.generator == "offline"
    assert "无法在资料中核实" in ans.notice and not ans.report.unsupported


def test_a_member_of_a_respectively_list_given_anothers_value_is_not_shown(assistant: Assistant,
                                                                          server: FakeOpenAI) -> None:
    """"分别给予不超过500万元、200万元、80万元": a model that gives 智能工厂 the 链主工厂's 500万元 states only numbers
    the passage holds, and is still wrong; the right member's value is shown."""
    q = "杭州对评定为“智能工厂”的企业给予多少补助？"
    n = n_of(assistant, "分别给予不超过500万元", q)
    server.script(f"对评定为“智能工厂”的企业给予不超过500万元的一次性补助[{n}]。")
    _, ans = _answer(assistant, q)
    assert ans.generator == "offline" and ans.notice
    server.script(f"对评定为“智能工厂”的企业给予不超过200万元的一次性补助[{n}]。")
    _, ans = _answer(assistant, q)
    assert ans.generator.startswith("llm") and "200万元" in ans.text and not ans.notice


@pytest.mark.parametrize("reply", ["[编号]", "[1][2][3]", "根据资料[编号]，【来源】。", "资料中没有关于这个问题的内容。"])
def test_placeholders_or_a_false_nothing_never_reach_the_user(assistant: Assistant, server: FakeOpenAI,
                                                             reply: str) -> None:
    """The archive answers this question: a model that answers with placeholders, or says there is nothing,
    gets the offline answer shown instead, with a notice."""
    server.script(reply)
    _, ans = _answer(assistant)
    assert "编号" not in ans.text and "来源】" not in ans.text and "9361" in ans.text
    assert ans.generator == "offline" and "离线" in ans.notice


def test_an_answer_without_the_asked_value_or_an_echoed_list_is_not_shown(assistant: Assistant,
                                                                         server: FakeOpenAI) -> None:
    """Seen with a weak local model (qwen2.5-coder-0.5b): a cited sentence that does not give what was asked
    (here a count: a title or a stage instead), and the prompt's passage list copied back ("[1] …")."""
    n = n_of(assistant, "9361人")
    server.script(f"至2023年6月底，全市持续做好高层次人才认定工作[{n}]。")
    _, ans = _answer(assistant)
    assert ans.generator == "offline" and "没有给出所问的" in ans.notice and "9361" in ans.text
    server.script(f"[{n}] 高层次人才\n\n[{n}] 9361人")
    _, ans = _answer(assistant)
    assert ans.generator == "offline" and "照抄" in ans.notice
    server.script(f"至2023年6月底，全市共认定高层次人才9361人[{n}]。")  # the asked count, cited: shown
    _, ans = _answer(assistant)
    assert ans.generator.startswith("llm") and not ans.notice


@pytest.mark.parametrize(
    ("reply", "cause"),
    [
        (Reply(status=429, headers={"Retry-After": "0"}), "429"),
        (Reply(status=500), "内部错误"),
        (Reply(status=503), "内部错误"),
        (Reply(status=401), "密钥"),
        (Reply(body="{not json"), "格式异常"),
        (Reply(text=""), "空回复"),
        (Reply(text="全市共认定高层次人才9361人[1]。" * 5, cut_stream_after=2), "连接"),
        (Reply(text="迟到的回答", delay=4), "超时"),
    ],
)
def test_failures_fall_back_to_offline_with_a_clear_notice(
    assistant: Assistant, server: FakeOpenAI, reply: Reply, cause: str, caplog: pytest.LogCaptureFixture
) -> None:
    caplog.set_level(logging.DEBUG)
    server.script(reply)
    _, ans = _answer(assistant)
    assert cause in ans.notice and "离线" in ans.notice
    assert ans.generator == "offline" and "9361人" in ans.text and not ans.refused
    assert "Traceback" not in ans.notice and "Error" not in ans.notice
    _no_secret(ans)
    assert KEY not in caplog.text


def _configured(base: Services, **changes: object) -> Settings:
    """The test's settings as if an admin had configured them so (a copy made later keeps the endpoint and key
    configured first, and chat_config refuses to send that key elsewhere: tests/test_endpoints.py)."""
    return Settings(**{**{k: getattr(base.settings, k) for k in Settings.model_fields}, **changes})


def test_unreachable_endpoint(base: Services) -> None:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        port = s.getsockname()[1]
    settings = _configured(base, llm_base_url=f"http://127.0.0.1:{port}/v1")
    ans = Assistant(Services(settings, base.embedder, base.store, base.retriever)).ask(Q)
    assert "无法连接" in ans.notice and ans.generator == "offline" and "9361人" in ans.text


def test_bounded_retries_on_429(base: Services, server: FakeOpenAI) -> None:
    server.queue.clear()
    server.requests.clear()
    settings = base.settings.model_copy(update={"llm_max_retries": 2})
    assistant = Assistant(Services(settings, base.embedder, base.store, base.retriever))
    server.script(Reply(status=429, headers={"Retry-After": "0"}), Reply(status=429, headers={"Retry-After": "0"}),
                  f"全市共认定高层次人才9361人[{n_of(assistant, '9361人')}]。")
    ans = assistant.ask(Q)
    assert len(server.requests) == 3 and ans.generator == "llm:fake-model" and not ans.notice


def test_refusal_does_not_call_the_model(assistant: Assistant, server: FakeOpenAI) -> None:
    _, ans = _answer(assistant, "深圳市2023年新增了多少家国家级专精特新小巨人企业？")
    assert ans.refused and "深圳" in ans.text and server.requests == []
    assert ans.related  # nearest passages offered as related, not as an answer


def test_follow_up_carries_history_into_prompt_and_retrieval(assistant: Assistant, server: FakeOpenAI) -> None:
    server.script("杭州全市共四批208家国家专精特新“小巨人”[1]。")
    history = [Turn("user", "广州累计培育了多少家小巨人企业？"), Turn("assistant", "广州累计培育248家[1]。")]
    _, ans = _answer(assistant, "那杭州呢？", history=history)
    # the follow-up is made whole: the new place takes the old one's spot, the asked slot is kept
    assert "杭州" in ans.query and "累计培育了多少家小巨人企业" in ans.query and "广州" not in ans.query
    user = server.requests[-1]["json"]["messages"][-1]["content"]
    assert "用户：广州累计培育了多少家小巨人企业？" in user and "助手：广州累计培育248家" in user
    assert "那杭州呢？" in user


def test_missing_configuration_is_a_clear_notice(base: Services, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.delenv("OPENAI_API_KEY", raising=False)
    monkeypatch.delenv("OPENAI_BASE_URL", raising=False)
    settings = _configured(base, llm_base_url=None, llm_api_key=None)
    ans = Assistant(Services(settings, base.embedder, base.store, base.retriever)).ask(Q)
    assert "未配置模型服务" in ans.notice and "9361人" in ans.text


def test_llm_draft_is_checked_like_the_offline_one(assistant: Assistant, server: FakeOpenAI) -> None:
    letter = "\n".join([
        "魏朗代表：", "您提出的《关于培育专精特新企业的建议》（第20242679号）收悉。现答复如下：",
        "一、工作开展情况", "（一）梯度培育", "全市累计已培育专精特新“小巨人”企业248家[1]。",
        "二、下一步工作计划", "（一）持续开展进阶培育活动，全市小巨人达到999家[1]。", "此复",
        "广州市工业和信息化局", "2024年4月29日", "（联系人：【待填写】，联系电话：【待填写】）",
    ])
    server.script(letter)
    req = DraftRequest(Proposal("关于培育专精特新企业的建议", "20242679", "魏朗代表", body="一是加强梯度培育；二是优化融资"),
                       "广州市工业和信息化局", "2024年4月29日")
    draft = Drafter(assistant).draft(req)
    assert draft.generator == "llm:fake-model" and draft.complete
    assert [s.text for s in draft.report.unsupported] == ["（一）持续开展进阶培育活动，全市小巨人达到999家。"]
    prompt = server.requests[-1]["json"]["messages"][-1]["content"]
    assert "加强梯度培育" in prompt and "广州市工业和信息化局" in prompt and "<<<资料开始>>>" in prompt


def test_llm_draft_failure_falls_back_to_template(assistant: Assistant, server: FakeOpenAI) -> None:
    server.script(Reply(status=500))
    req = DraftRequest(Proposal("关于专精特新企业融资的建议", "1", "陈晓代表", body="建议完善贷款风险补偿机制"),
                       "广州市工业和信息化局")
    draft = Drafter(assistant).draft(req)
    assert "内部错误" in draft.notice and draft.generator == "offline" and draft.complete
    assert KEY not in json.dumps(draft.to_dict(), ensure_ascii=False)


def test_cli_ask_json_with_llm(base: Services, server: FakeOpenAI, monkeypatch: pytest.MonkeyPatch,
                               capsys: pytest.CaptureFixture[str]) -> None:
    from assistant.cli import commands as cli
    from assistant.retrieval import services as service_mod

    server.queue.clear()
    server.script(f"全市共认定高层次人才9361人[{n_of(Assistant(base), '9361人')}]。")
    monkeypatch.setattr(service_mod, "build_services", lambda settings: base)
    assert cli.main(["ask", Q, "--json", "--generator", "llm"]) == 0
    out = json.loads(capsys.readouterr().out)
    assert out["generator"] == "llm:fake-model" and "9361人" in out["citations"][0]["span_text"]
    assert out["markers"] == {"total": 1, "valid": 1, "removed": 0}
    assert KEY not in json.dumps(out, ensure_ascii=False)


def test_prompt_files_are_the_ones_on_disk() -> None:
    from assistant.answers import prompts

    assert Path(REPO_ROOT) / "prompts" == prompts.PROMPTS_DIR


def test_uncited_sentence_gets_the_passage_that_supports_it(assistant: Assistant, server: FakeOpenAI) -> None:
    server.script("至2023年6月底，全市共认定高层次人才9361人。")
    _, ans = _answer(assistant)
    n = n_of(assistant, "9361人")
    first = ans.report.sentences[0]
    assert first.attributed and first.cited == [n] and first.supported
    assert f"9361人。[{n}]" in ans.text and ans.generator == "llm:fake-model"
    assert "补注" in ans.notice


def test_a_made_up_figure_beside_a_right_one_is_not_shown(assistant: Assistant, server: FakeOpenAI) -> None:
    server.script("至2023年6月底，全市共认定高层次人才9361人。全市高层次人才共有99999人。")
    _, ans = _answer(assistant)
    assert "99999" not in ans.text and ans.generator == "offline" and "核实" in ans.notice


def test_llm_letter_that_is_not_a_letter_falls_back_to_the_template(assistant: Assistant, server: FakeOpenAI) -> None:
    server.script("来文信息：{\"标题\": \"关于专精特新企业融资的建议\"}\n答复单位：广州市工业和信息化局")  # an echoed prompt
    req = DraftRequest(Proposal("关于专精特新企业融资的建议", "1", "陈晓代表", body="建议完善贷款风险补偿机制"),
                       "广州市工业和信息化局")
    draft = Drafter(assistant).draft(req)
    assert draft.generator == "offline" and draft.complete
    assert "缺少称谓" in draft.notice and "收悉语" in draft.notice


def test_a_refusal_offers_as_related_only_the_letters_the_question_names(assistant: Assistant, server: FakeOpenAI) -> None:
    # the question names the deputy a letter answers: what is offered beside the refusal is that letter, not the
    # nearest passages of other cities' letters
    _, ans = _answer(assistant, "魏朗代表那件建议里，深圳2023年新增了多少家国家级专精特新小巨人企业？")
    assert ans.refused and ans.related
    assert all(h.meta.doc_id.startswith("guangzhou") for h in ans.related), [h.meta.doc_id for h in ans.related]

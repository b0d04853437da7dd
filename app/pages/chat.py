"""问答: questions on the stored letters and policies, answered with checked citations; follow-ups welcome."""

from __future__ import annotations

from collections.abc import Iterator
from typing import Any

import streamlit as st

from app import common
from app.view import chat_history, stream_escape, wait_text
from assistant.answers.answer import Answer, Assistant
from assistant.letters.export import md_escape
from assistant.retrieval.hybrid import Filters
from assistant.retrieval.services import Services


def header(svc: Services) -> str:
    """The heading, the new-conversation button and, before the first question, the example questions;
    returns the example clicked, if any."""
    head, button = st.columns([5, 1], vertical_alignment="bottom")
    head.subheader("问答")
    if button.button("新对话", icon=":material/add_comment:", width="stretch"):
        st.session_state.messages = []
    if st.session_state.setdefault("messages", []):
        return ""
    st.caption("就已入库的答复函和政策文件提问，回答逐句标注出处，并核对引用。可以继续追问，例如“那揭阳呢？”。")
    picked = ""
    questions = common.examples(svc)
    if questions:
        st.markdown("**可以这样问（点击即可提问）：**")
        cols = st.columns(2)
        for i, q in enumerate(questions):
            if cols[i % 2].button(q, key=f"example_{i}", icon=":material/help:", width="stretch"):
                picked = q
    return picked


def conversation(messages: list[dict[str, Any]]) -> None:
    for msg in messages:
        with st.chat_message(msg["role"]):
            if msg["role"] == "user":
                st.markdown(md_escape(msg["content"]))
            else:
                common.render_answer(msg["answer"])


def reply(svc: Services, gen: dict[str, Any], question: str, filters: Filters, k: int) -> None:
    """Ask, stream the answer as it comes, then show it checked, with its citations."""
    messages: list[dict[str, Any]] = st.session_state.messages
    history = chat_history(messages)
    messages.append({"role": "user", "content": question})
    with st.chat_message("user"):
        st.markdown(md_escape(question))
    with st.chat_message("assistant"):
        box = st.empty()
        final: list[Answer] = []
        called = common.call_services(svc, gen)
        assistant = Assistant(called)

        def deltas() -> Iterator[str]:
            for item in assistant.stream(question, filters, k, history, gen["generator"]):
                if isinstance(item, Answer):
                    final.append(item)
                else:
                    yield stream_escape(item)

        with box.container(), st.spinner(wait_text(gen["generator"], called.settings.llm_timeout_s), show_time=True):
            st.write_stream(deltas())
        with box.container():
            if final:
                common.render_answer(final[0])
    if final:
        messages.append({"role": "assistant", "answer": final[0]})
    if not history:
        st.rerun()  # the first exchange: the example questions give way to the conversation


svc = common.services()
gen = common.generator(svc)
common.require_documents(svc)
filters, k = common.sidebar_filters(svc)
picked = header(svc)
conversation(st.session_state.messages)
typed = st.chat_input("输入问题，例如：揭阳到2023年6月底认定了多少名高层次人才？")
question = (typed or picked or "").strip()
if question:
    reply(svc, gen, question, filters, k)

"""What the app's pages share and that needs Streamlit: the cached services, the sidebar, and how an answer
and its citations are drawn. Every text from a document, a model or a user is shown escaped (app/view.py)."""

from __future__ import annotations

from collections.abc import MutableMapping
from typing import Any, cast

import streamlit as st

from app.view import (
    ANY,
    answer_footer,
    answer_markdown,
    citation_label,
    citation_meta,
    endpoint_label,
    endpoint_options,
    escape_block,
    filters_from,
    generator_caption,
    generator_from_state,
    generator_warning,
    highlight,
    related_caption,
    store_label,
    unsupported_markdown,
)
from assistant.answers.answer import Answer, Assistant
from assistant.answers.examples import example_questions
from assistant.answers.llm import EndpointError, llm_settings, server_endpoint
from assistant.evidence.spans import renumbered
from assistant.letters.draft import Drafter
from assistant.letters.export import md_escape
from assistant.retrieval.hybrid import Filters
from assistant.retrieval.services import Services, build_services
from core.profile import profile
from core.settings import Settings


# -- services ------------------------------------------------------------------------------------------------
@st.cache_resource(show_spinner=False)
def _services(_settings: Settings, key: str) -> Services:
    """One embedder, store client and BM25 index per server process and store, shared by all sessions."""
    return build_services(_settings)


def services() -> Services:
    s = Settings()  # type: ignore[call-arg]
    key = "|".join(str(x) for x in (s.data_dir.resolve(), s.chroma_host, s.chroma_port, s.collection, s.embedder))
    return _services(s, key)


def generator(svc: Services) -> dict[str, Any]:
    """The generator the sidebar chose in this session (see sidebar_generator)."""
    return generator_from_state(st.session_state, svc.settings)


def call_services(svc: Services, gen: dict[str, Any]) -> Services:
    """Services for one call: the shared ones, or a copy whose settings carry the model chosen in the UI.
    An endpoint the admin does not allow stops the page with the reason."""
    if gen["generator"] != "llm":
        return svc
    try:
        settings = llm_settings(svc.settings, gen["base_url"], gen["model"], gen["api_key"])
    except EndpointError as exc:
        st.error(md_escape(exc.cause), icon=":material/block:")
        st.stop()
    return Services(settings, svc.embedder, svc.store, svc.retriever)


def drafter(svc: Services, gen: dict[str, Any]) -> Drafter:
    return Drafter(Assistant(call_services(svc, gen)))


def require_documents(svc: Services) -> None:
    """Stop a page that needs documents when the store has none, saying where to add them."""
    if not svc.store.doc_records():
        st.warning("库中还没有文档。请先到“文档”页上传答复函或政策文件。")
        st.stop()


@st.cache_data(show_spinner=False)
def _examples(version: str, _svc: Services, hidden: frozenset[str] = frozenset()) -> list[str]:
    lex = _svc.retriever.lexical()
    return example_questions(_svc.store.doc_records(), lex.documents, lex.metadatas)


def examples(svc: Services) -> list[str]:
    from assistant.retrieval.hybrid import HIDDEN_DOCS

    return _examples(svc.store.version(), svc, HIDDEN_DOCS.get())  # one cache entry per set of hidden documents


# -- messages that outlive the rerun after a write ------------------------------------------------------------------
def flash(kind: str, text: str) -> None:
    """A message (our own Markdown, already escaped) to show after the rerun that follows a write."""
    st.session_state.setdefault("flash", []).append((kind, text))


def show_flash() -> None:
    """The messages kept by `flash`, once, where the page calls this."""
    draw = {"success": st.success, "info": st.info, "warning": st.warning, "error": st.error}
    for kind, text in st.session_state.pop("flash", []):
        draw.get(kind, st.info)(text)


# -- answers and citations --------------------------------------------------------------------------------------
def render_citation(c: dict[str, Any]) -> None:
    with st.expander(citation_label(c)):
        meta = citation_meta(c)
        if meta:
            st.caption(meta)
        st.markdown(highlight(str(c.get("text", "")), c.get("span")))


def render_citations(cits: list[dict[str, Any]], caption: str) -> None:
    if cits:
        st.caption(caption)
        for c in cits:
            render_citation(c)


def render_unsupported(sentences: list[Any]) -> None:
    if sentences:
        st.warning(unsupported_markdown(sentences), icon=":material/warning:")


def render_answer(ans: Answer) -> None:
    if ans.notice:
        st.warning(md_escape(ans.notice))
    if ans.refused:
        text, cits = renumbered(ans.text, [ans.citation(n) for n in ans.report.cited])
        st.info(answer_markdown(text), icon=":material/search_off:")
        render_citations(cits, "所引原文（资料中说到的内容，不是所问的答案）")
        if ans.related:
            with st.expander("相关段落（仅供参考）", expanded=False):
                for h in ans.related:
                    st.caption(related_caption(h.metadata))
                    st.markdown(escape_block(h.text))
        return
    text, cits = renumbered(ans.text, [ans.citation(n) for n in ans.report.cited])
    st.markdown(answer_markdown(text))
    if ans.missing:
        st.caption("没有材料的城市：" + md_escape("、".join(ans.missing)))
    render_unsupported(ans.report.unsupported)
    render_citations(cits, "引用来源（点击展开原文，加粗高亮处为所引内容）")
    st.caption(answer_footer(ans))


# -- sidebar ------------------------------------------------------------------------------------------------------
def sidebar_generator(svc: Services) -> dict[str, Any]:
    """Offline or the chat model. The server's endpoint and model are shown read-only; only where the admin
    allows other endpoints (ASSISTANT_LLM_USER_ENDPOINTS) can one be picked, with the user's own key."""
    s = svc.settings
    st.sidebar.subheader("生成方式")
    st.sidebar.radio("生成方式", ["离线", "大模型"], key="gen_choice", horizontal=True, label_visibility="collapsed",
                     index=1 if s.generator == "llm" else 0,
                     help="离线：从文档中抽取原句并标注出处，无需密钥。大模型：调用单位配置的大模型服务。")
    if st.session_state.get("gen_choice") == "大模型":
        options = endpoint_options(s)
        if options:
            st.sidebar.selectbox("接口地址", options, key="llm_endpoint", format_func=lambda v: endpoint_label(s, v),
                                 help="管理员允许的接口地址；单位配置以外的地址须填写您自己的密钥。")
            st.sidebar.text_input("模型名称", value=s.llm_model, key="llm_model")
        else:
            st.sidebar.text_input("接口地址", value=server_endpoint(s) or "默认地址", disabled=True,
                                  help="由管理员配置，不能在此修改。")
            st.sidebar.text_input("模型名称", value=s.llm_model, disabled=True, help="由管理员配置，不能在此修改。")
        st.sidebar.text_input("API 密钥", type="password", key="llm_api_key",
                              help="只保存在本次浏览器会话的内存中，不写入磁盘或日志。")
    gen = generator(svc)
    warning = generator_warning(s, gen)
    if warning:
        st.sidebar.warning(warning)
    return gen


def sidebar_filters(svc: Services) -> tuple[Filters, int]:
    st.sidebar.subheader("筛选")
    r = svc.retriever
    city = st.sidebar.selectbox("地区", [ANY, *sorted(r.store_places())], key="f_city")
    years = sorted({str(m.get("year")) for m in r.lexical().metadatas if m.get("year")})
    year = st.sidebar.selectbox("年份", [ANY, *years], key="f_year")
    kinds = [ANY, *r.known_values("kind")]
    kind = st.sidebar.selectbox("类型", kinds, key="f_kind", format_func=lambda k: profile().kind_labels.get(k, k))
    office = st.sidebar.text_input("办理单位（可简称，如 工信局）", key="f_office")
    k = st.sidebar.slider("返回段落数", 1, 20, svc.settings.top_k, key="f_k")
    return filters_from(city, year, kind, office), k


def system_info(svc: Services, gen: dict[str, Any]) -> None:
    """Where the data lives and which models answer: one place, in the sidebar, folded."""
    with st.sidebar.expander("系统信息", icon=":material/info:"):
        st.caption(md_escape(f"文档 {len(svc.store.doc_records())} 篇 · 段落 {svc.store.count()} 个"))
        st.caption(md_escape(f"生成方式：{generator_caption(svc.settings, gen)}"))
        st.caption(md_escape(f"存储位置：{store_label(svc.settings)}"))
        st.caption(md_escape(f"向量模型：{svc.embedder.name}"))


def sidebar(svc: Services) -> None:
    """The sidebar every page shares, under the page navigation: who is signed in, the generator, system info."""
    st.sidebar.title("答复函助手")
    who = session()
    if who is not None:
        st.sidebar.caption(md_escape("当前用户：" + who.label))
        if who.user is not None and st.sidebar.button("退出登录", icon=":material/logout:"):
            from app.auth import sign_out

            sign_out(svc.settings, who)
    system_info(svc, sidebar_generator(svc))


# -- who is at the keyboard (app/auth.py signs in; the rules are assistant.access's) ---------------------------
def state() -> MutableMapping[str, Any]:
    """st.session_state as the mapping the pure per-case helpers take."""
    return cast(MutableMapping[str, Any], st.session_state)


def session() -> Any:
    """The signed-in session (app.auth.Session) that streamlit_app.py put in place for this run."""
    return st.session_state.get("_session")


def actor(settings: Settings) -> Any:
    """The casework's Actor for this session: the signed-in user (checked) or the single-user desk (audited)."""
    from app.auth import stores
    from assistant.casework.guard import Actor

    who = session()
    _, audit = stores(settings)
    return Actor(who.user if who is not None else None, audit, "本机")


def audit_record(action: str, target: str, **detail: Any) -> None:
    """One entry in the audit log for what this session's person did (never a document's text)."""
    from app.auth import stores

    who = session()
    _, audit = stores(Settings())  # type: ignore[call-arg]
    audit.record(who.user if who is not None and who.user is not None else "本机", action, target, "ok", **detail)


def may(action: str, case_office: str | None = None) -> bool:
    """Whether the person at the keyboard may do this (the single-user desk may do everything)."""
    from assistant.access import can

    who = session()
    return who is None or who.user is None or can(who.user, action, case_office)

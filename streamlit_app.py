"""Browser UI (minimal until the UI issue lands): search the ingested replies with filters."""

from __future__ import annotations

import streamlit as st

from assistant.retrieve import Filters
from assistant.service import Services, build_services
from assistant.settings import Settings
from ingest.metadata import KIND_LABELS

st.set_page_config(page_title="答复函助手", page_icon="📄", layout="wide")


@st.cache_resource(show_spinner="正在加载检索索引…")
def services() -> Services:
    """One embedder, store client and BM25 index per server process, shared by all sessions."""
    return build_services(Settings())


def main() -> None:
    svc = services()
    st.title("答复函助手 · 检索")
    docs = svc.store.doc_records()
    where = f"Chroma 服务 {svc.settings.chroma_host}:{svc.settings.chroma_port}" if svc.settings.chroma_host \
        else f"本地库 {svc.settings.chroma_dir}"
    st.caption(f"存储：{where} · 向量模型：{svc.embedder.name} · 文档 {len(docs)} 篇 · 段落 {svc.store.count()} 个 · "
               "生成：离线（无需密钥）")
    if not docs:
        st.warning("库中还没有文档。请先运行 `assistant ingest`（`make run` 会自动完成）。")
        return
    with st.sidebar:
        st.header("筛选")
        cities = ["全部", *svc.retriever.known_values("city")]
        city = st.selectbox("城市", cities)
        years = ["全部", *sorted({str(m.get("year")) for m in svc.retriever.lexical().metadatas if m.get("year")})]
        year = st.selectbox("年份", years)
        kinds = ["全部", *svc.retriever.known_values("kind")]
        kind = st.selectbox("类型", kinds, format_func=lambda k: KIND_LABELS.get(k, k))
        office = st.text_input("办理单位（可简称，如 工信局）")
        k = st.slider("返回段落数 top-k", 1, 20, svc.settings.top_k)
    query = st.text_input("问题或关键词", placeholder="例如：广州市累计培育了多少家专精特新“小巨人”企业？")
    if not query.strip():
        return
    filters = Filters(city="" if city == "全部" else city, year=None if year == "全部" else int(year),
                      kind="" if kind == "全部" else kind, office=office.strip())
    result = svc.retriever.search(query.strip(), k, filters)
    if not result.hits:
        st.info("没有找到相关段落。可以放宽筛选条件再试。")
    for h in result.hits:
        m = h.metadata
        with st.container(border=True):
            st.markdown(f"**[{h.rank}]** `{h.label}`")
            st.caption(" · ".join(str(x) for x in (m.get("city"), m.get("office"), KIND_LABELS.get(m.get("kind", ""), ""),
                                                   m.get("date"), m.get("heading_path")) if x))
            st.text(h.text)  # corpus text is shown as text, never as HTML or Markdown


main()

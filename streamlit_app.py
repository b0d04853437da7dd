"""Browser app: 问答 (chat with checked citations), 起草答复函, 办件, 文档 (browse/upload/remove), 评测.

The entry only: page setup, the stylesheet, the shared services and sidebar, then the page chosen in the
navigation (one file each under app/pages/). The logic lives in the library and in app/view.py; corpus text
and model output are always shown as st.text or escaped Markdown, never as HTML. A key typed into the sidebar
lives only in this browser session's st.session_state: it is never written to disk or logged.
"""

from __future__ import annotations

from pathlib import Path

import streamlit as st

st.set_page_config(page_title="答复函助手", page_icon="📄", layout="wide")
_starting = st.empty()
_starting.info("正在启动答复函助手，首次打开需要十几秒…", icon=":material/hourglass_top:")

from app import common  # noqa: E402  (after the first message: these imports take seconds)
from app.theme import APP_CSS  # noqa: E402

PAGES = Path(__file__).resolve().parent / "app" / "pages"

st.markdown(APP_CSS, unsafe_allow_html=True)  # our own stylesheet only: Chinese labels for Streamlit's parts
navigation = st.navigation([
    st.Page(PAGES / "chat.py", title="问答", icon=":material/forum:", default=True),
    st.Page(PAGES / "draft.py", title="起草答复函", icon=":material/edit_document:"),
    st.Page(PAGES / "cases.py", title="办件", icon=":material/folder_open:"),
    st.Page(PAGES / "docs.py", title="文档", icon=":material/library_books:"),
    st.Page(PAGES / "evaluate.py", title="评测", icon=":material/analytics:"),
])
with st.spinner("正在加载向量模型和检索索引…", show_time=True):
    svc = common.services()
_starting.empty()
common.sidebar(svc)
navigation.run()

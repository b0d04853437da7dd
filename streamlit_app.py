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
from app.auth import gate, hide_documents  # noqa: E402
from core.settings import Settings  # noqa: E402

_starting.empty()
session = gate(Settings())  # type: ignore[call-arg]  # the sign-in page and st.stop() until someone is signed in
st.session_state["_session"] = session
hide_documents(Settings(), session)  # type: ignore[call-arg]  # other offices' 内部 documents: out of every search
role = session.user.role if session.user else "desk"
PAGE_SPECS = {  # key: (file, title, icon)
    "todo": ("todo.py", "待办", ":material/inbox:"),
    "chat": ("chat.py", "问答", ":material/forum:"),
    "draft": ("draft.py", "起草答复函", ":material/edit_document:"),
    "cases": ("cases.py", "办件", ":material/folder_open:"),
    "docs": ("docs.py", "文档", ":material/library_books:"),
    "evaluate": ("evaluate.py", "评测", ":material/analytics:"),
    "admin": ("admin.py", "用户与审计", ":material/admin_panel_settings:"),
}
# the first page of each user lists what waits for them; 管理员 sees no case content; the desk has no review
shown = {"desk": ["chat", "draft", "cases", "docs", "evaluate"],
         "admin": ["admin", "chat", "docs", "evaluate"]}.get(role, ["todo", "chat", "draft", "cases", "docs", "evaluate"])
navigation = st.navigation([st.Page(PAGES / PAGE_SPECS[k][0], title=PAGE_SPECS[k][1], icon=PAGE_SPECS[k][2],
                                    default=k == shown[0]) for k in shown])
with st.spinner("正在加载向量模型和检索索引…", show_time=True):
    svc = common.services()
common.sidebar(svc)
navigation.run()

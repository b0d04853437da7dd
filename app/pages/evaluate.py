"""评测: the question set run through the assistant in the app, with metrics against the previous run."""

from __future__ import annotations

import json
import time
from pathlib import Path
from typing import Any

import streamlit as st
import streamlit.components.v1 as components

from app import common
from app.eval_view import (
    eval_caption,
    eval_config,
    eval_groups,
    load_uploaded_questions,
    metric_cells,
    previous_run,
    progress_text,
    question_set_error,
)
from assistant.answers.answer import Assistant
from assistant.evaluation import metrics as evaluate
from assistant.evaluation import report
from assistant.evaluation.metrics import QuestionSetError, load_questions
from assistant.evaluation.report import APP_LABELS, LOWER_IS_BETTER, kind_chart_rows, question_rows
from assistant.letters.draft import Drafter
from assistant.retrieval.services import Services

REPO = Path(__file__).resolve().parents[2]
QUESTIONS = REPO / "eval" / "questions.jsonl"


def question_set() -> tuple[str, list[dict[str, Any]]]:
    source = st.radio("题集", ["项目自带题集", "上传题集（每行一题的 JSON 文件）"], horizontal=True)
    name, items = "eval/questions.jsonl", []
    try:
        if source.startswith("项目"):
            items = load_questions(QUESTIONS)
        else:
            up = st.file_uploader("题集文件", key="eval_upload")
            if up is not None:
                name, items = up.name, load_uploaded_questions(up.getvalue())
    except QuestionSetError as exc:
        st.error(question_set_error(exc))
    return name, items


def run_eval(svc: Services, gen: dict[str, Any], name: str, items: list[dict[str, Any]], k: int) -> None:
    assistant = Assistant(common.call_services(svc, gen))
    drafter = Drafter(assistant)
    bar = st.progress(0.0, text="开始评测…")
    rows = []
    t0 = time.perf_counter()
    for i, item in enumerate(items):
        bar.progress(i / len(items), text=progress_text(i, len(items), item.get("question", "")))
        rows.append(evaluate.eval_item(item, assistant, drafter, k, gen["generator"]))
    bar.progress(1.0, text="评测完成")
    if st.session_state.get("eval_run"):
        st.session_state.eval_prev = st.session_state.eval_run
    config = eval_config(name, gen, svc, k, time.perf_counter() - t0)
    st.session_state.eval_run = {"config": config, **evaluate.build_run(rows, k)}


def overview(run: dict[str, Any], prev: dict[str, Any] | None) -> None:
    """The figures a newcomer reads: four groups, each figure with what it means, its goal and a mark."""
    for group in eval_groups(run["summary"], (prev or {}).get("summary")):
        st.markdown(f"##### {group['title']}")
        st.caption(group["meaning"])
        for col, f in zip(st.columns(len(group["figures"])), group["figures"], strict=True):
            with col, st.container(border=True):
                st.metric(f["label"], f["value"], delta=f["delta"], delta_color=f["delta_color"],
                          delta_arrow=f["delta_arrow"])
                st.markdown(f"{f['goal']} · {f['mark']}")
                st.caption(f["meaning"])
    if prev:
        st.caption("增减相对于上一次评测")


def metrics(run: dict[str, Any], prev: dict[str, Any] | None) -> None:
    cells = metric_cells(run["summary"], (prev or {}).get("summary", {}), APP_LABELS, LOWER_IS_BETTER)
    for start in range(0, len(cells), 5):
        for col, cell in zip(st.columns(5), cells[start:start + 5], strict=False):
            col.metric(cell["label"], cell["value"], delta=cell["delta"], delta_color=cell["delta_color"],
                       delta_arrow=cell["delta_arrow"])
    if prev:
        st.caption("增减相对于上一次评测")


def results(run: dict[str, Any]) -> None:
    st.markdown("**各题结果**")
    st.dataframe(question_rows(run), hide_index=True, width="stretch")
    chart = kind_chart_rows(run)
    if any(chart.values()):
        st.markdown("**按题型的指标**")
        import pandas as pd

        st.bar_chart(pd.DataFrame(chart), stack=False, horizontal=True, x_label="得分（0–1）", y_label="题型")


def downloads(run: dict[str, Any], prev: dict[str, Any] | None) -> None:
    c1, c2, c3 = st.columns(3)
    c1.download_button("下载评测数据（JSON）", json.dumps(run, ensure_ascii=False, indent=2).encode("utf-8"), "run.json",
                       mime="application/json", width="stretch")
    page = report.render_html(run, prev)
    c2.download_button("下载评测报告（网页）", page.encode("utf-8"), "report.html", mime="text/html", width="stretch")
    c3.download_button("下载评测报告（Markdown）", report.render_markdown(run, prev).encode("utf-8"), "report.md",
                       mime="text/markdown", width="stretch")
    with st.expander("完整报告（与下载的网页报告相同）"):
        # our own renderer's page, every string in it escaped; shown in Streamlit's sandboxed iframe
        components.html(page, height=900, scrolling=True)


svc = common.services()
gen = common.generator(svc)
st.subheader("评测")
name, items = question_set()
k = st.slider("每题检索段落数", 1, 20, svc.settings.top_k, key="eval_k")
st.caption(eval_caption(len(items), gen))
if items and st.button("开始评测", type="primary"):
    run_eval(svc, gen, name, items, k)
run = st.session_state.get("eval_run")
if run:
    prev = previous_run(st.session_state.get("eval_prev"), REPO / "eval" / "out" / "run.json")
    overview(run, prev)
    with st.expander("详细数据：全部指标、各题结果、按题型图表、下载"):
        metrics(run, prev)
        results(run)
    downloads(run, prev)

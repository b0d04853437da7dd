"""The 评测 page without Streamlit: question sets, run config, figures in groups a newcomer reads."""

from __future__ import annotations

from typing import Any

from assistant.letters.export import md_escape


# -- evaluation page -----------------------------------------------------------------------------------------------
def load_uploaded_questions(data: bytes) -> list[dict[str, Any]]:
    """An uploaded question set (one JSON object a line); QuestionSetError when it is malformed."""
    import tempfile
    from pathlib import Path

    from assistant.evaluation.metrics import load_questions

    with tempfile.TemporaryDirectory() as tmp:
        path = Path(tmp) / "questions.jsonl"
        path.write_bytes(data)
        return load_questions(path)


def question_set_error(exc: BaseException) -> str:
    return "题集格式有误：" + md_escape(str(exc).split("/")[-1])


def eval_caption(n: int, gen: dict[str, Any]) -> str:
    mode = "大模型（见侧栏“系统信息”）" if gen["generator"] == "llm" else "离线（抽取式，无需密钥）"
    return f"共 {n} 题 · 生成方式：{mode}"


def eval_config(name: str, gen: dict[str, Any], svc: Any, k: int, seconds: float) -> dict[str, Any]:
    """What a run in the app was made with, kept beside its results."""
    return {"question_set": name, "generator": gen["generator"], "embedder": svc.embedder.name, "k": k,
            "store_version": svc.store.version(), "collection": svc.settings.collection,
            "model": (gen["model"] or svc.settings.llm_model) if gen["generator"] == "llm" else None,
            "seconds": round(seconds, 1)}


def previous_run(kept: Any, path: Any) -> dict[str, Any] | None:
    """The run to compare with: the previous one of this session, else the last one saved on disk."""
    import json
    from pathlib import Path

    if kept:
        return dict(kept)
    try:
        return dict(json.loads(Path(path).read_text(encoding="utf-8")))
    except (OSError, ValueError):
        return None


def delta_view(d: float | None, digits: int, lower_is_better: bool) -> dict[str, Any]:
    """A figure's change since the previous run as st.metric shows it: a change too small to show at the figure's
    precision is "持平", grey and without an arrow (never a red "↑ +0.00"); otherwise its sign, coloured by
    whether it is good."""
    if d is None:
        return {"delta": None, "delta_color": "normal", "delta_arrow": "auto"}
    if round(d, digits) == 0:
        return {"delta": "持平", "delta_color": "off", "delta_arrow": "off"}
    return {"delta": f"{d:+.{digits}f}", "delta_color": "inverse" if lower_is_better else "normal",
            "delta_arrow": "auto"}


def metric_cells(summary: dict[str, Any], prev: dict[str, Any], labels: dict[str, str],
                 lower_is_better: Any) -> list[dict[str, Any]]:
    """The metric tiles: label, shown value, delta against the previous run and its colour."""
    from assistant.evaluation.report import metric_delta

    out = []
    for key in (k for k in labels if k in summary):
        v = summary.get(key)
        d = metric_delta(key, v, prev.get(key))
        out.append({"label": labels[key], "value": "—" if v is None else f"{v:.3f}" if v <= 1 else f"{v:.0f}",
                    **delta_view(d, 3, key in lower_is_better)})
    return out


def progress_text(i: int, n: int, question: str) -> str:
    return md_escape(f"（{i + 1}/{n}）{question[:40]}")


# -- the 评测 page's overview: figures in groups a newcomer reads --------------------------------------------------
def _mark(ok: bool | None) -> str:
    return {True: ":green[✓ 达标]", False: ":red[✗ 未达标]", None: "—"}[ok]


def eval_groups(summary: dict[str, Any], prev: dict[str, Any] | None = None) -> list[dict[str, Any]]:
    """The figures grouped 找得到 / 答得对 / 不乱答 / 起草: each with its label, value, meaning, goal and mark
    (report.py holds the meanings and goals); a figure the run did not measure shows "—"."""
    from assistant.evaluation.report import (
        APP_LABELS,
        GROUPS,
        LOWER_IS_BETTER,
        MEANINGS,
        goal_text,
        meets_goal,
        metric_delta,
    )

    out = []
    for title, meaning, keys in GROUPS:
        figures = []
        for k in keys:
            v = summary.get(k)
            d = metric_delta(k, v, (prev or {}).get(k))
            figures.append({"key": k, "label": APP_LABELS.get(k, k), "value": "—" if v is None else f"{float(v):.2f}",
                            "meaning": MEANINGS.get(k, ""), "goal": goal_text(k), "mark": _mark(meets_goal(k, v)),
                            **delta_view(d, 2, k in LOWER_IS_BETTER)})
        out.append({"title": title, "meaning": meaning, "figures": figures})
    return out

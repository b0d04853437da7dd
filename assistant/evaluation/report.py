"""Evaluation reports: run-to-run comparison, Markdown, and a self-contained HTML page with SVG charts."""

from __future__ import annotations

import html
import statistics
from typing import Any

# The figures that guard quality: a drop of more than the tolerance against the baseline fails CI.
PRIMARY = ("evidence_recall_at_k", "citation_validity", "citation_support_recall", "must_include",
           "refusal_accuracy", "draft_structure")
RATES = ("evidence_recall_at_k", "source_hit_at_k", "mrr", "must_include", "citation_validity",
         "citation_support_recall", "citation_support_precision", "judge_support_recall", "refusal_accuracy",
         "false_refusal_rate", "draft_structure", "draft_complete", "draft_ask_coverage", "draft_ask_coverage_material",
         "draft_honest_blanks")
LABELS = {
    "evidence_recall_at_k": "证据召回@k", "source_hit_at_k": "来源命中@k", "mrr": "MRR", "must_include": "必含要点",
    "citation_validity": "引用有效率", "citation_support_recall": "引用支持召回", "citation_support_precision":
    "引用支持精确", "judge_support_recall": "评审模型判定支持", "refusal_accuracy": "拒答准确率",
    "false_refusal_rate": "误拒率", "draft_structure": "函件结构完整度", "draft_complete": "结构完整函件占比",
    "draft_ask_coverage": "建议逐条覆盖", "draft_ask_coverage_material": "有材料的建议覆盖",
    "draft_honest_blanks": "无材料建议留空率", "retrieval_ms_p50": "检索耗时 p50 (ms)",
    "generation_ms_p50": "生成耗时 p50 (ms)",
}
LOWER_IS_BETTER = {"false_refusal_rate", "retrieval_ms_p50", "generation_ms_p50"}


def question_score(row: dict[str, Any]) -> float | None:
    """One number per question to rank changes by: the mean of its applicable primary figures."""
    m = row.get("metrics", {})
    vals = [float(m[k]) for k in PRIMARY if m.get(k) is not None]
    if m.get("false_refusal_rate") is not None:
        vals.append(1.0 - float(m["false_refusal_rate"]))
    return sum(vals) / len(vals) if vals else None


def compare_runs(run: dict[str, Any], previous: dict[str, Any]) -> dict[str, Any]:
    """Per-metric deltas (overall and per kind) and the questions that got worse, worst first."""
    def deltas(a: dict[str, Any], b: dict[str, Any]) -> dict[str, float | None]:
        return {k: (a[k] - b[k]) if isinstance(a.get(k), int | float) and isinstance(b.get(k), int | float) else None
                for k in (*RATES, "retrieval_ms_p50", "generation_ms_p50")}

    prev_q = {q["id"]: q for q in previous.get("questions", [])}
    changes = []
    for q in run.get("questions", []):
        p = prev_q.get(q["id"])
        if p is None:
            continue
        now, before = question_score(q), question_score(p)
        if now is not None and before is not None and abs(now - before) > 1e-9:
            changes.append({"id": q["id"], "kind": q.get("kind"), "question": q.get("question"), "delta": now - before,
                            "now": now, "before": before, "answer": q.get("answer"), "previous_answer": p.get("answer")})
    changes.sort(key=lambda c: c["delta"])
    return {
        "summary": deltas(run.get("summary", {}), previous.get("summary", {})),
        "by_kind": {k: deltas(v, previous.get("by_kind", {}).get(k, {})) for k, v in run.get("by_kind", {}).items()},
        "worse": [c for c in changes if c["delta"] < 0],
        "better": [c for c in changes if c["delta"] > 0],
        "same_question_set": run.get("config", {}).get("question_set_sha256")
        == previous.get("config", {}).get("question_set_sha256"),
    }


def regressions(summary: dict[str, Any], baseline: dict[str, Any], tolerance: float = 0.02) -> list[str]:
    """Primary figures more than `tolerance` below the baseline (a figure the baseline lacks is skipped)."""
    out = []
    for k in PRIMARY:
        b, v = baseline.get(k), summary.get(k)
        if isinstance(b, int | float) and (not isinstance(v, int | float) or v < b - tolerance):
            out.append(f"{k}: {v if v is not None else 'n/a'} < baseline {b:.3f} - {tolerance}")
    return out


def _fmt(v: Any, key: str = "") -> str:
    if v is None:
        return "—"
    if key.endswith("_ms_p50") or key.endswith("_ms_p95"):
        return f"{v:.1f}"
    return f"{v:.3f}" if isinstance(v, float) else str(v)


def _delta(v: float | None, key: str) -> str:
    if v is None or abs(v) < 1e-9 or (key.endswith("_ms_p50") and abs(v) < 5):
        return ""  # latency moves by a few ms between runs on a shared machine
    good = (v < 0) if key in LOWER_IS_BETTER else (v > 0)
    return f"{'▲' if v > 0 else '▼'} {v:+.3f}{'' if good else ' ⚠'}"


# -- Markdown ---------------------------------------------------------------------------------------------
def _md(text: Any) -> str:
    return str(text).replace("|", "\\|").replace("\n", " ").replace("<", "&lt;").replace(">", "&gt;")


def render_markdown(run: dict[str, Any], previous: dict[str, Any] | None = None) -> str:
    cmp = compare_runs(run, previous) if previous else None
    cfg, s = run.get("config", {}), run.get("summary", {})
    lines = ["# 评测报告", "",
             f"- 题集：`{cfg.get('question_set', '')}`（sha256 `{str(cfg.get('question_set_sha256', ''))[:12]}`，{s.get('n')} 题，k = {s.get('k')}）",
             f"- 生成：{cfg.get('generator') or '仅检索'} {cfg.get('model') or ''}；向量模型：{cfg.get('embedder', '')}；"
             f"库版本 `{str(cfg.get('store_version', ''))[:12]}`；版本 {cfg.get('version', '')}",
             f"- 提示词：{', '.join(f'{k} `{v[:8]}`' for k, v in (cfg.get('prompts') or {}).items()) or '—'}", ""]
    if cmp is not None and not cmp["same_question_set"]:
        lines += ["> 注意：对比的两次运行使用了不同的题集。", ""]
    lines += ["## 总体", "", "| 指标 | 数值 |" + (" 对比上次 |" if cmp else ""), "|---|---|" + ("---|" if cmp else "")]
    for k in (*RATES, "retrieval_ms_p50", "generation_ms_p50"):
        if k in s:
            lines.append(f"| {LABELS.get(k, k)} | {_fmt(s.get(k), k)} |" + (f" {_delta(cmp['summary'].get(k), k)} |" if cmp else ""))
    kinds = run.get("by_kind", {})
    if kinds:
        keys = [k for k in RATES if any(v.get(k) is not None for v in kinds.values())]
        lines += ["", "## 按题型", "", "| 题型 | n | " + " | ".join(LABELS.get(k, k) for k in keys) + " |",
                  "|---|---|" + "---|" * len(keys)]
        for kind, v in kinds.items():
            lines.append(f"| {kind} | {v.get('n')} | " + " | ".join(_fmt(v.get(k), k) for k in keys) + " |")
    if cmp and cmp["worse"]:
        lines += ["", f"## 变差的题目（{len(cmp['worse'])}）", ""]
        for c in cmp["worse"]:
            lines += [f"### {c['id']}（{c['kind']}，{c['before']:.2f} → {c['now']:.2f}）", "", f"问题：{_md(c['question'])}", "",
                      "| 上次 | 本次 |", "|---|---|", f"| {_md(c['previous_answer'] or '')} | {_md(c['answer'] or '')} |", ""]
    lines += ["", "## 逐题", "", "| id | 题型 | 证据召回 | 必含 | 引用有效 | 引用支持 | 拒答 | 检索 ms | 生成 ms |",
              "|---|---|---|---|---|---|---|---|---|"]
    for q in run.get("questions", []):
        m = q.get("metrics", {})
        lines.append(f"| {_md(q['id'])} | {q.get('kind')} | {_fmt(m.get('evidence_recall_at_k'))} | {_fmt(m.get('must_include'))} | "
                     f"{_fmt(m.get('citation_validity'))} | {_fmt(m.get('citation_support_recall'))} | "
                     f"{'是' if q.get('refused') else '否'} | {_fmt(q.get('retrieval_ms'), 'x_ms_p50')} | {_fmt(q.get('generation_ms'), 'x_ms_p50')} |")
    return "\n".join(lines) + "\n"


# -- HTML with inline SVG ------------------------------------------------------------------------------
_CSS = """body{font-family:"Noto Sans CJK SC","Microsoft YaHei",sans-serif;margin:24px;color:#222;max-width:1100px}
table{border-collapse:collapse;margin:8px 0 20px}td,th{border:1px solid #ccc;padding:4px 8px;font-size:13px;vertical-align:top}
th{background:#f3f3f3}.worse{color:#b00020}.better{color:#1b7f3b}.pair td{width:50%;white-space:pre-wrap}
h1{font-size:22px}h2{font-size:18px;margin-top:28px}.muted{color:#666;font-size:12px}svg text{font-size:11px}"""


def _bars(series: dict[str, dict[str, float | None]], keys: list[str]) -> str:
    """Grouped horizontal bars: one group per kind, one bar per metric, values in [0, 1]."""
    colors = ["#4e79a7", "#f28e2b", "#59a14f", "#e15759", "#76b7b2", "#edc948", "#b07aa1", "#9c755f"]
    row_h, width, left = 14, 640, 150
    groups = [(kind, [(k, vals.get(k)) for k in keys if vals.get(k) is not None]) for kind, vals in series.items()]
    height = sum(len(g) * row_h + 18 for _, g in groups) + 30
    out = [f'<svg xmlns="http://www.w3.org/2000/svg" width="{width + left + 60}" height="{height}" role="img">']
    y = 10
    for kind, items in groups:
        out.append(f'<text x="0" y="{y + 10}" font-weight="bold">{html.escape(kind)}</text>')
        y += 14
        for i, (k, v) in enumerate(items):
            w = max(0.0, min(1.0, float(v or 0))) * width
            out.append(f'<text x="10" y="{y + 10}">{html.escape(LABELS.get(k, k))}</text>'
                       f'<rect x="{left}" y="{y}" width="{w:.1f}" height="{row_h - 3}" fill="{colors[i % len(colors)]}"/>'
                       f'<text x="{left + w + 4:.1f}" y="{y + 10}">{float(v or 0):.3f}</text>')
            y += row_h
        y += 4
    out.append("</svg>")
    return "".join(out)


def _histogram(values: list[float], title: str) -> str:
    if not values:
        return ""
    lo, hi = min(values), max(values)
    n_bins = 12
    step = (hi - lo) / n_bins or 1.0
    counts = [0] * n_bins
    for v in values:
        counts[min(n_bins - 1, int((v - lo) / step))] += 1
    top = max(counts) or 1
    w, h, bw = 480, 140, 480 / n_bins
    out = [f'<svg xmlns="http://www.w3.org/2000/svg" width="{w + 20}" height="{h + 40}" role="img">',
           f'<text x="0" y="12">{html.escape(title)}（p50 {statistics.median(values):.1f} ms）</text>']
    for i, c in enumerate(counts):
        bh = c / top * h
        out.append(f'<rect x="{i * bw:.1f}" y="{20 + h - bh:.1f}" width="{bw - 2:.1f}" height="{bh:.1f}" fill="#4e79a7"/>')
    out.append(f'<text x="0" y="{h + 35}">{lo:.1f} ms</text><text x="{w - 60}" y="{h + 35}">{hi:.1f} ms</text></svg>')
    return "".join(out)


def _delta_chart(deltas: dict[str, float | None]) -> str:
    items = [(k, v) for k, v in deltas.items() if v is not None and k in RATES]
    if not items:
        return ""
    w, left, row = 300, 150, 16
    out = [f'<svg xmlns="http://www.w3.org/2000/svg" width="{left + 2 * w + 60}" height="{len(items) * row + 10}" role="img">']
    for i, (k, v) in enumerate(items):
        y = i * row + 4
        bw = min(1.0, abs(v)) * w * 4  # ±0.25 spans the half-width
        bw = min(bw, w)
        good = (v < 0) if k in LOWER_IS_BETTER else (v > 0)
        x = left + w if v >= 0 else left + w - bw
        out.append(f'<text x="0" y="{y + 10}">{html.escape(LABELS.get(k, k))}</text>'
                   f'<rect x="{x:.1f}" y="{y}" width="{bw:.1f}" height="{row - 4}" fill="{"#1b7f3b" if good else "#b00020"}"/>'
                   f'<text x="{left + 2 * w + 4}" y="{y + 10}">{v:+.3f}</text>')
    out.append(f'<line x1="{left + w}" x2="{left + w}" y1="0" y2="{len(items) * row + 10}" stroke="#333"/></svg>')
    return "".join(out)


def render_html(run: dict[str, Any], previous: dict[str, Any] | None = None) -> str:
    """One self-contained page (inline CSS and SVG, no scripts, nothing fetched)."""
    e = html.escape
    cmp = compare_runs(run, previous) if previous else None
    cfg, s = run.get("config", {}), run.get("summary", {})
    parts = [f"<!doctype html><html lang=\"zh-CN\"><head><meta charset=\"utf-8\"><title>评测报告</title><style>{_CSS}</style></head><body>",
             "<h1>评测报告</h1>",
             f"<p class=\"muted\">题集 {e(str(cfg.get('question_set', '')))}（{e(str(cfg.get('question_set_sha256', ''))[:12])}），"
             f"{s.get('n')} 题，k = {s.get('k')}；生成 {e(str(cfg.get('generator') or '仅检索'))} {e(str(cfg.get('model') or ''))}；"
             f"向量模型 {e(str(cfg.get('embedder', '')))}；库版本 {e(str(cfg.get('store_version', ''))[:12])}；版本 {e(str(cfg.get('version', '')))}</p>"]
    if cmp is not None and not cmp["same_question_set"]:
        parts.append("<p class=\"worse\">注意：对比的两次运行使用了不同的题集。</p>")
    parts.append("<h2>总体</h2><table><tr><th>指标</th><th>数值</th>" + ("<th>对比上次</th>" if cmp else "") + "</tr>")
    for k in (*RATES, "retrieval_ms_p50", "generation_ms_p50"):
        if k in s:
            d = _delta(cmp["summary"].get(k), k) if cmp else ""
            cls = "worse" if "⚠" in d else "better"
            parts.append(f"<tr><td>{e(LABELS.get(k, k))}</td><td>{_fmt(s.get(k), k)}</td>" + (f"<td class=\"{cls}\">{e(d)}</td>" if cmp else "") + "</tr>")
    parts.append("</table>")
    kinds = run.get("by_kind", {})
    if kinds:
        keys = [k for k in RATES if any(v.get(k) is not None for v in kinds.values())]
        parts += ["<h2>按题型</h2>", _bars(kinds, keys)]
    ret = [float(q["retrieval_ms"]) for q in run.get("questions", []) if q.get("retrieval_ms") is not None]
    gen = [float(q["generation_ms"]) for q in run.get("questions", []) if q.get("generation_ms") is not None]
    parts += ["<h2>耗时分布</h2>", _histogram(ret, "检索耗时"), _histogram(gen, "生成耗时")]
    if cmp:
        parts += ["<h2>与上次相比</h2>", _delta_chart(cmp["summary"])]
        if cmp["worse"]:
            parts.append(f"<h2 class=\"worse\">变差的题目（{len(cmp['worse'])}）</h2>")
            for c in cmp["worse"]:
                parts.append(f"<h3>{e(c['id'])}（{e(str(c['kind']))}，{c['before']:.2f} → {c['now']:.2f}）</h3><p>{e(str(c['question']))}</p>"
                             f"<table class=\"pair\"><tr><th>上次</th><th>本次</th></tr><tr><td>{e(str(c['previous_answer'] or ''))}</td>"
                             f"<td>{e(str(c['answer'] or ''))}</td></tr></table>")
    parts.append("<h2>逐题</h2><table><tr><th>id</th><th>题型</th><th>问题</th><th>证据召回</th><th>必含</th><th>引用有效</th>"
                 "<th>引用支持</th><th>拒答</th><th>回答</th></tr>")
    for q in run.get("questions", []):
        m = q.get("metrics", {})
        parts.append(f"<tr><td>{e(q['id'])}</td><td>{e(str(q.get('kind')))}</td><td>{e(str(q.get('question')))}</td>"
                     f"<td>{_fmt(m.get('evidence_recall_at_k'))}</td><td>{_fmt(m.get('must_include'))}</td>"
                     f"<td>{_fmt(m.get('citation_validity'))}</td><td>{_fmt(m.get('citation_support_recall'))}</td>"
                     f"<td>{'是' if q.get('refused') else '否'}</td><td style=\"white-space:pre-wrap\">{e(str(q.get('answer') or ''))}</td></tr>")
    parts.append("</table></body></html>")
    return "".join(parts)




# -- settings, drafts, evaluation --------------------------------------------------------------------------
KIND_LABELS = {"fact": "事实", "list": "列举", "compare": "比较", "other": "其他", "draft": "起草", "refusal": "应拒答",
               "refuse": "应拒答", "negative": "应拒答", "followup": "追问", "follow_up": "追问"}


# the evaluation's figures as the app shows them: Chinese names, no abbreviations
APP_LABELS = {**LABELS, "mrr": "首个相关段落排名倒数均值", "retrieval_ms_p50": "检索耗时中位数（毫秒）",
              "generation_ms_p50": "生成耗时中位数（毫秒）", "evidence_recall_at_k": "证据召回率",
              "source_hit_at_k": "来源命中率"}


def question_rows(run: dict[str, Any]) -> list[dict[str, Any]]:
    keys = ("evidence_recall_at_k", "must_include", "citation_validity", "citation_support_recall",
            "draft_structure", "draft_ask_coverage")
    out = []
    for q in run.get("questions", []):
        m = q.get("metrics", {})
        kind = str(q.get("kind") or "")
        row: dict[str, Any] = {"类型": KIND_LABELS.get(kind, "其他"), "问题": q.get("question")}
        row.update({APP_LABELS[k]: m.get(k) for k in keys})
        row["拒答"] = bool(q.get("refused"))
        row["未核实句数"] = m.get("unsupported_sentences")
        out.append(row)
    return out


def kind_chart_rows(run: dict[str, Any]) -> dict[str, dict[str, float]]:
    """{metric label: {kind: value}} for the quality metrics (0–1) by question kind."""
    keys = ("evidence_recall_at_k", "must_include", "citation_validity", "citation_support_recall",
            "refusal_accuracy", "draft_structure")
    return {APP_LABELS[k]: {KIND_LABELS.get(kd, "其他"): float(s[k]) for kd, s in run.get("by_kind", {}).items()
                            if s.get(k) is not None} for k in keys}


def metric_delta(key: str, now: float | None, before: float | None) -> float | None:
    if now is None or before is None:
        return None
    return round(float(now) - float(before), 4)


# -- what the figures mean (the app's 评测 page reads these; a newcomer reads the page) -------------------------
# (group title, what the group asks, its figures)
GROUPS: tuple[tuple[str, str, tuple[str, ...]], ...] = (
    ("找得到", "资料里有答案时，能不能把它检索出来", ("evidence_recall_at_k", "mrr")),
    ("答得对", "回答里该有的要点有没有，引用是否真实、能否支撑所说的话",
     ("must_include", "citation_validity", "citation_support_recall")),
    ("不乱答", "资料里没有答案时会不会老实说没有，有答案时会不会错拒",
     ("refusal_accuracy", "false_refusal_rate")),
    ("起草", "起草的答复函格式是否齐全，来文的每条建议是否都有回应",
     ("draft_structure", "draft_ask_coverage")),
)

MEANINGS = {
    "evidence_recall_at_k": "应当找到的资料段落中，排在前 k 条里的比例",
    "mrr": "第一条相关段落排得有多靠前：排第 1 得 1 分，排第 2 得 0.5 分，依此类推",
    "must_include": "标准答案要求必须出现的要点（数字、名称等），回答里出现了多少",
    "citation_validity": "回答中的引用编号，指向真实展示过的段落的比例",
    "citation_support_recall": "回答中的每句话，能在它引用的段落里找到依据的比例",
    "refusal_accuracy": "资料中没有答案的问题，助手如实说“没有”的比例",
    "false_refusal_rate": "资料中有答案的问题，助手却说“没有”的比例（越低越好）",
    "draft_structure": "答复函应有的部分（称呼、收悉、正文、此复、落款等）齐全的程度",
    "draft_ask_coverage": "来文每条建议，函中按评测自己的判读确有回答的比例",
}

# goal per figure: (threshold, "≥" | "≤")
GOALS: dict[str, tuple[float, str]] = {
    "evidence_recall_at_k": (0.90, "≥"), "mrr": (0.70, "≥"), "must_include": (0.80, "≥"),
    "citation_validity": (0.95, "≥"), "citation_support_recall": (0.90, "≥"), "refusal_accuracy": (0.90, "≥"),
    "false_refusal_rate": (0.05, "≤"), "draft_structure": (0.95, "≥"), "draft_ask_coverage": (0.80, "≥"),
}


def meets_goal(key: str, value: float | None) -> bool | None:
    """Whether a figure meets its goal; None when it has no goal or no value."""
    if value is None or key not in GOALS:
        return None
    goal, sense = GOALS[key]
    return float(value) >= goal if sense == "≥" else float(value) <= goal


def goal_text(key: str) -> str:
    """The goal as the page says it: "目标 ≥ 0.90"; "" when the figure has none."""
    if key not in GOALS:
        return ""
    goal, sense = GOALS[key]
    return f"目标 {sense} {goal:.2f}"

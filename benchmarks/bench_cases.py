"""Letters drafted with co-handling opinions, measured on eval/cases/ (one folder a case: proposal, opinion
files, truth.json; eval/cases/README.md).

    .venv/bin/python benchmarks/bench_cases.py [--cases eval/cases] [--data-dir DIR] [--json]
        [--show CASE]     # print a tuned case's letter (a held-out case's letter is not shown)

By default the letters are drafted over an empty archive (a temporary store, a hashed-bigram embedder): what
is measured is what the opinions alone give. `--data-dir` drafts over an ingested store instead.

Figures, tuned and held-out apart:
- point coverage: opinion points (their key phrase, NFKC, punctuation ignored) found in the letter;
- figure coverage: the points' figures found in the letter;
- misattributions: a point found under the wrong ask (or, for a next step, outside 二、; for a point on no ask,
  under an ask's sub-point), or on a line naming another co-handling office and not its own;
- frame lifted: the truth's frame strings (contact lines, addresses, 以上意见供…, other proposals) found in
  the letter;
- blank asks: asks an opinion addresses that the letter leaves with a blank (or with nothing);
- the real case (truth "real_figures"): how many of the opinion figures the real reply used.
"""

from __future__ import annotations

import argparse
import json
import os
import re
import sys
import tempfile
import time
from pathlib import Path
from typing import Any

import numpy as np

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

from core.text import normalize_text  # noqa: E402

CN = "一二三四五六七八九十"


class HashEmbedder:
    """Hashed character bigrams, L2-normalised: no model, deterministic (the archive is empty anyway)."""

    name = "bench/hash-64"
    dim = 64

    def _vector(self, text: str) -> Any:
        vec = np.zeros(self.dim, dtype=np.float32)
        for a, b in zip(text, text[1:], strict=False):
            vec[hash(a + b) % self.dim] += 1.0
        n = float(np.linalg.norm(vec))
        return vec / n if n else vec

    def embed_passages(self, texts: list[str]) -> Any:
        return np.stack([self._vector(t) for t in texts]) if texts else np.zeros((0, self.dim), np.float32)

    def embed_query(self, text: str) -> Any:
        return self._vector(text)


def norm(s: str) -> str:
    return re.sub(r"[^\w%.]", "", normalize_text(s)).replace("_", "")


def sections(text: str, n_asks: int) -> list[tuple[str, str]]:
    """(section, line) for each line of the letter: head, overall (一、, and a part heading that is not the next
    steps'), ask1…askN (its sub-points), other (a sub-point beyond the asks), next, tail."""
    out: list[tuple[str, str]] = []
    where = "head"
    for raw in text.split("\n"):
        ln = raw.strip()
        if not ln:
            continue
        if re.match(r"^一、", ln):
            where = "overall"
        elif re.match(r"^[二三四五六七八九]、", ln) and where != "head":  # 二、下一步…, or 二、意见建议的办理情况
            where = "next" if re.search(r"下一步|下阶段|下步|今后|计划|打算|安排", ln) else "overall"
        elif where in ("overall", "other") or where.startswith("ask"):
            m = re.match(r"^[（(]([一二三四五六七八九十]+)[)）]", ln)
            if m:
                k = CN.index(m.group(1)[-1]) + 1 if len(m.group(1)) == 1 else 10
                where = f"ask{k}" if k <= n_asks else "other"
        if ln.startswith(("此复", "感谢", "特此")) and where != "head":
            where = "tail"
        out.append((where, ln))
    return out


def short_forms(office: str) -> list[str]:
    """Names a letter may use for an office: full, 市…, without the bracketed second name."""
    base = re.sub(r"[（(][^（）()]*[)）]$", "", office)
    out = {office, base}
    k = base.find("市")
    if 0 < k < len(base) - 2:
        out.add(base[k:])
    return sorted(out, key=len, reverse=True)


def draft_case(folder: Path, truth: dict[str, Any], drafter: Any) -> dict[str, Any]:
    from assistant.casework.intake import IntakeError, read_proposal
    from assistant.casework.opinions import opinion_hits, read_opinion
    from assistant.letters.model import DraftRequest
    from core.places import gazetteer

    proposal = read_proposal(folder / "proposal.txt")
    scans = truth.get("scans", {})
    files = sorted(p for p in folder.iterdir() if p.name.startswith("opinion-") and p.suffix == ".txt")
    files = [folder / scans[p.name] if p.name in scans else p for p in files]
    opinions, refused = [], []
    for f in files:
        try:
            opinions.append(read_opinion(f))
        except IntakeError as exc:
            refused.append(f"{f.name}: {exc}")
    office = truth["office"]
    home = gazetteer().place_of(office)
    city = (home.city or home.province) if home else ""
    req = DraftRequest(proposal.to_proposal(), office, opinions=[(o.office, opinion_hits(o, city)) for o in opinions])
    t0 = time.perf_counter()
    draft = drafter.draft(req, "offline")
    return {"text": draft.text, "asks": len(req.proposal.asks), "refused": refused,
            "offices": [o.office for o in opinions], "ms": (time.perf_counter() - t0) * 1000,
            "structure": draft.structure}


def score(truth: dict[str, Any], got: dict[str, Any]) -> dict[str, Any]:
    text = got["text"]
    lines = sections(text, got["asks"])
    offices = {p["office"] for p in truth["points"]}
    out: dict[str, Any] = {"points": 0, "points_found": 0, "figures": 0, "figures_found": 0, "misattributed": [],
                           "frame": [], "blank_asks": [], "missing_points": [], "missing_figures": [],
                           "refused": got["refused"], "asks": got["asks"], "asks_expected": truth.get("asks")}
    for p in truth["points"]:
        out["points"] += 1
        key = norm(p["key"])
        hits = [(w, ln) for w, ln in lines if key in norm(ln)]
        if hits:
            out["points_found"] += 1
            w, ln = hits[0]
            want = "next" if p["ask"] == "next" else "overall" if p["ask"] == 0 else f"ask{p['ask']}"
            ok = w == want or (want == "overall" and w in ("overall", "other"))
            others = [o for o in offices - {p["office"]} if any(s in ln for s in short_forms(o)[-1:])]
            own = any(s in ln for s in short_forms(p["office"]))
            if not ok:
                out["misattributed"].append(f"{p['key']}: {w}, not {want}")
            elif others and not own:
                out["misattributed"].append(f"{p['key']}: named {others[0]}")
        else:
            out["missing_points"].append(p["key"])
        for fig in p.get("figures", []):
            out["figures"] += 1
            if norm(fig) in norm(text):
                out["figures_found"] += 1
            else:
                out["missing_figures"].append(fig)
    body = norm(text)
    out["frame"] = [f for f in truth.get("frame", []) if norm(f) in body]
    spoken = {p["ask"] for p in truth["points"] if isinstance(p["ask"], int) and p["ask"] > 0}
    for k in sorted(spoken):
        mine = [ln for w, ln in lines if w == f"ask{k}"][1:]  # its sub-heading is the first line
        if not mine or any("【" in ln and ("补充" in ln or "待填写" in ln) for ln in mine):
            out["blank_asks"].append(k)
    if "real_figures" in truth:
        out["real_figures"] = sum(norm(f) in body for f in truth["real_figures"])
        out["real_figures_of"] = len(truth["real_figures"])
    names = truth.get("co_offices", [])
    ack = next((ln for _, ln in lines if "收悉" in ln), "")
    out["co_named"] = sum(any(s in ack for s in short_forms(n)) for n in names)
    out["co_expected"] = len(names)
    first = text.split("\n", 1)[0]
    out["salutation_ok"] = any(first.startswith(s) for s in truth.get("salutation", []))
    return out


def summary(rows: list[dict[str, Any]]) -> dict[str, Any]:
    def total(k: str) -> int:
        return sum(int(r[k]) for r in rows)

    pts, figs = total("points"), total("figures")
    return {"cases": len(rows),
            "point_coverage": round(total("points_found") / pts, 3) if pts else None,
            "figure_coverage": round(total("figures_found") / figs, 3) if figs else None,
            "points": f"{total('points_found')}/{pts}", "figures": f"{total('figures_found')}/{figs}",
            "misattributions": sum(len(r["misattributed"]) for r in rows),
            "frame_lifted": sum(len(r["frame"]) for r in rows),
            "blank_asks": sum(len(r["blank_asks"]) for r in rows),
            "opinions_refused": sum(len(r["refused"]) for r in rows),
            "co_offices_named": f"{total('co_named')}/{total('co_expected')}",
            "salutation_ok": f"{sum(bool(r['salutation_ok']) for r in rows)}/{len(rows)}",
            "asks_as_expected": f"{sum(r['asks'] == r['asks_expected'] for r in rows)}/{len(rows)}"}


def build_drafter(data_dir: Path | None) -> Any:
    from assistant.answers.answer import Assistant
    from assistant.letters.draft import Drafter
    from assistant.retrieval import services
    from core.settings import Settings

    if data_dir is None:
        data_dir = Path(tempfile.mkdtemp(prefix="bench-cases-"))
        services.make_embedder = lambda settings: HashEmbedder()  # type: ignore[assignment,return-value]
    os.environ["ASSISTANT_DATA_DIR"] = str(data_dir)
    return Drafter(Assistant(services.build_services(Settings(data_dir=data_dir))))


def main(argv: list[str] | None = None) -> int:
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("--cases", type=Path, default=ROOT / "eval" / "cases")
    ap.add_argument("--data-dir", type=Path, default=None, help="draft over this ingested store (default: empty)")
    ap.add_argument("--json", action="store_true")
    ap.add_argument("--show", default="", help="print this tuned case's letter and its misses")
    args = ap.parse_args(argv)
    drafter = build_drafter(args.data_dir)
    rows: dict[str, list[dict[str, Any]]] = {"tuned": [], "held_out": []}
    per_case: dict[str, Any] = {}
    for truth_path in sorted(args.cases.glob("*/truth.json")):
        truth = json.loads(truth_path.read_text(encoding="utf-8"))
        name = truth_path.parent.name
        got = draft_case(truth_path.parent, truth, drafter)
        s = score(truth, got)
        split = truth.get("split", "tuned")
        rows[split].append(s)
        per_case[name] = {"split": split, **s}
        if args.show == name:
            if split != "tuned":
                print(f"{name} is held out: its letter is not shown", file=sys.stderr)
            else:
                print(got["text"], "\n")
                print(json.dumps(s, ensure_ascii=False, indent=1))
    result = {"tuned": summary(rows["tuned"]), "held_out": summary(rows["held_out"]), "cases": per_case}
    real = [(n, c) for n, c in per_case.items() if "real_figures" in c]
    if args.json:
        print(json.dumps(result, ensure_ascii=False, indent=1))
        return 0
    print(f"{'':22}{'tuned':>12}{'held-out':>12}")
    for k in result["tuned"]:
        print(f"{k:22}{str(result['tuned'][k]):>12}{str(result['held_out'][k]):>12}")
    for n, c in real:
        print(f"real case {n}: {c['real_figures']} of the {c['real_figures_of']} opinion figures the real reply "
              f"used; co-offices named {c['co_named']}/{c['co_expected']}; asks {c['asks']}; "
              f"salutation {'ok' if c['salutation_ok'] else 'WRONG'}; blank asks {c['blank_asks'] or 'none'}")
    for n, c in per_case.items():
        print(f"  {n:20} {c['split']:8} points {c['points_found']}/{c['points']} figures "
              f"{c['figures_found']}/{c['figures']} misattr {len(c['misattributed'])} frame {len(c['frame'])} "
              f"blank {len(c['blank_asks'])} refused {len(c['refused'])}")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())

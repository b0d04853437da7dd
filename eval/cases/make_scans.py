"""Render the case set's scanned opinions: each case's truth.json "scans" maps a text file to the PNG made
from it (200 dpi A4, Noto CJK, as the OCR fixtures: tests/fixtures/make_formats.py).

    .venv/bin/python eval/cases/make_scans.py
"""

from __future__ import annotations

import json
import sys
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent.parent
sys.path.insert(0, str(ROOT))


def main() -> int:
    from tests.fixtures.make_formats import render_page

    for truth in sorted(Path(__file__).parent.glob("*/truth.json")):
        for src, png in json.loads(truth.read_text(encoding="utf-8")).get("scans", {}).items():
            lines = [ln.strip() for ln in (truth.parent / src).read_text(encoding="utf-8").splitlines() if ln.strip()]
            render_page(lines, dpi=200).save(str(truth.parent / png), format="PNG")
            print(f"wrote {truth.parent / png}")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())

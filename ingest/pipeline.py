"""Run the ingest: files → text → sections → chunks → store, idempotently, with progress and a summary."""

from __future__ import annotations

import hashlib
import sys
import time
from collections import Counter
from dataclasses import dataclass, field
from pathlib import Path

from core.settings import Settings
from core.store import ChunkRecord, DocRecord, Store, context_header, pipeline_key
from core.tokens import count_tokens
from ingest.chunk import plan_chunks
from ingest.clean import clean_text
from ingest.load import SUPPORTED_SUFFIXES, LoadError, load_file
from ingest.metadata import DocMeta, extract_doc_meta, part_meta
from ingest.sections import Section, split_parts, split_sections


@dataclass
class ParsedDoc:
    record: DocRecord
    meta: DocMeta
    sections: list[Section]


@dataclass
class IngestReport:
    documents: int = 0
    added: int = 0
    updated: int = 0
    unchanged: int = 0
    pruned: int = 0
    sections: int = 0
    chunks: int = 0
    embedded: int = 0
    characters: int = 0
    failed: list[tuple[str, str]] = field(default_factory=list)
    seconds: float = 0.0

    def summary(self) -> str:
        return (
            f"documents {self.documents} (added {self.added}, updated {self.updated}, unchanged "
            f"{self.unchanged}, pruned {self.pruned}), sections {self.sections}, chunks {self.chunks} "
            f"(embedded {self.embedded}), failed {len(self.failed)}, {self.seconds:.1f} s"
        )


def doc_id_for(path: Path) -> str:
    """A document's id is its file name without the extension."""
    return path.stem


def discover(root: Path) -> list[Path]:
    """Supported files under a folder (or the file itself), sorted, hidden files skipped."""
    if root.is_file():
        return [root]
    return sorted(
        p for p in root.rglob("*")
        if p.is_file() and p.suffix.lower() in SUPPORTED_SUFFIXES and not any(x.startswith(".") for x in p.parts)
    )


def parse_text(doc_id: str, raw: str, file_sha: str, max_tokens: int, file_name: str = "") -> ParsedDoc:
    """Everything but embedding: pure and fast, so re-ingest can compare before spending time."""
    text = clean_text(raw)
    if not text.strip():
        raise ValueError("no text left after removing page chrome")
    lines = text.split("\n")
    parts = split_parts(lines)
    meta = extract_doc_meta(doc_id, raw, lines, parts)
    sections = split_sections(text, parts)
    part_metas = {p.index: part_meta(meta, p) for p in parts}
    chunks: list[ChunkRecord] = []
    seen: Counter[str] = Counter()
    for pc in plan_chunks(text, sections, max_tokens, count_tokens):
        path = " > ".join(pc.path)
        key = f"{doc_id}\x1f{path}\x1f{pc.role}\x1f{pc.text}"
        seen[key] += 1
        cid = hashlib.sha256(f"{key}\x1f{seen[key]}".encode()).hexdigest()[:32]
        md = {**part_metas[pc.part], "heading_path": path, "role": pc.role, "start": pc.start, "end": pc.end,
              "chunk_index": len(chunks), "label": f"{doc_id}:{len(chunks)}", "file_sha": file_sha,
              "file_name": file_name}
        chunks.append(ChunkRecord(cid, pc.text, f"{context_header(md)}\n{pc.text}", md))
    doc_md = {k: v for k, v in vars(meta).items() if k != "doc_id"}
    doc_md.update(file_name=file_name, n_sections=len(sections), n_parts=len(parts),
                  parts=" | ".join(f"{p.index}:{part_metas[p.index]['sub_doc_label']}" for p in parts))
    return ParsedDoc(DocRecord(doc_id, file_sha, text, doc_md, chunks), meta, sections)


def parse_file(path: Path, settings: Settings, file_sha: str | None = None) -> ParsedDoc:
    """Load and parse one file; `file_sha` when the caller has already hashed its bytes."""
    data_sha = file_sha or hashlib.sha256(path.read_bytes()).hexdigest()
    raw = load_file(path, max_bytes=settings.max_file_bytes)
    try:
        return parse_text(doc_id_for(path), raw, data_sha, settings.chunk_tokens, path.name)
    except ValueError as exc:
        raise LoadError(path, str(exc)) from exc


def ingest_paths(
    paths: list[Path], store: Store, settings: Settings, prune: bool = False, progress: bool = True
) -> IngestReport:
    """Ingest files into the store; a bad file is reported and skipped, the others still go through."""
    from tqdm import tqdm

    t0 = time.perf_counter()
    report = IngestReport()
    stored = store.doc_records()
    key = pipeline_key(settings)
    pending: list[ParsedDoc] = []
    ids_seen: dict[str, Path] = {}
    shas_seen: dict[str, Path] = {}
    for path in paths:
        doc_id = doc_id_for(path)
        if doc_id in ids_seen:
            report.failed.append((str(path), f"same document id {doc_id!r} as {ids_seen[doc_id].name}; rename one"))
            continue
        ids_seen[doc_id] = path
        try:
            sha = hashlib.sha256(path.read_bytes()).hexdigest()
            if sha in shas_seen:  # the same bytes under two names would be retrieved and cited twice
                report.failed.append((str(path), f"same content as {shas_seen[sha].name}; not ingested twice"))
                continue
            shas_seen[sha] = path
            if store.is_current(doc_id, sha, key, stored):
                report.unchanged += 1
                report.sections += int(stored[doc_id].get("n_sections", 0))
                report.chunks += int(stored[doc_id].get("n_chunks", 0))
                continue
            parsed = parse_file(path, settings, sha)
        except LoadError as exc:
            report.failed.append((str(path), exc.reason))
            continue
        except OSError as exc:
            report.failed.append((str(path), f"cannot read: {exc.strerror or exc}"))
            continue
        pending.append(parsed)
    existing_chunks = {p.record.doc_id: store.chunk_ids(p.record.doc_id) for p in pending}
    to_embed = sum(
        sum(1 for c in p.record.chunks if c.id not in existing_chunks[p.record.doc_id]) for p in pending
    )
    changed = False
    with tqdm(total=to_embed, unit="chunk", desc="embedding", disable=not progress or not to_embed,
              file=sys.stderr, dynamic_ncols=True) as bar:
        for parsed in pending:
            rec = parsed.record
            bar.set_postfix_str(rec.doc_id[:40])
            try:
                report.embedded += store.write_document(rec, key, on_embedded=bar.update)
            except Exception as exc:  # the store refused it; the record stays absent so a re-run retries
                report.failed.append((str(ids_seen[rec.doc_id]), f"store error: {type(exc).__name__}: {exc}"))
                continue
            changed = True
            report.added += rec.doc_id not in stored
            report.updated += rec.doc_id in stored
            report.sections += len(parsed.sections)
            report.chunks += len(rec.chunks)
            report.characters += len(rec.text)
    if prune:
        for doc_id in sorted((set(stored) | store.chunk_doc_ids()) - set(ids_seen)):
            store.delete_document(doc_id)
            report.pruned += 1
            changed = True
    if changed or store.version_is_stale(stored):
        store.bump_version()
    report.documents = report.added + report.updated + report.unchanged
    report.seconds = time.perf_counter() - t0
    return report

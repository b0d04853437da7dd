"""Run the ingest: files → text → sections → chunks → store, idempotently, with progress and a summary."""

from __future__ import annotations

import hashlib
import sys
import time
from collections import Counter
from dataclasses import dataclass, field, replace
from pathlib import Path
from typing import Any

from core.places import Place, gazetteer
from core.profile import profile
from core.settings import Settings
from core.store import ChunkRecord, DocRecord, Store, context_header, pipeline_key
from core.text import collapse_ws, normalize_text
from core.tokens import count_tokens
from ingest.chunk import plan_chunks
from ingest.clean import clean_text
from ingest.load import Document, LoadError, load_document
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
    # (path, note): read but not stored again, e.g. 答复.pdf whose text is that of 答复.doc
    duplicates: list[tuple[str, str]] = field(default_factory=list)
    ocr_pages: int = 0
    low_confidence: list[tuple[str, str]] = field(default_factory=list)  # (path, "pages 2, 3")
    renamed: list[tuple[str, str]] = field(default_factory=list)  # (path, id): its name was another file's
    notes: list[tuple[str, str]] = field(default_factory=list)  # (path, what the loader could not do as usual)
    rekeyed: int = 0  # documents of an older store found under their file-name id, moved to their path's id
    seconds: float = 0.0

    def summary(self) -> str:
        return (
            f"documents {self.documents} (added {self.added}, updated {self.updated}, unchanged "
            f"{self.unchanged}, pruned {self.pruned}), sections {self.sections}, chunks {self.chunks} "
            f"(embedded {self.embedded}), failed {len(self.failed)}"
            + (f", same text in another file {len(self.duplicates)}" if self.duplicates else "")
            + (f", stored under another id {len(self.renamed)}" if self.renamed else "")
            + (f", moved to path ids {self.rekeyed}" if self.rekeyed else "")
            + (f", OCR pages {self.ocr_pages}" if self.ocr_pages else "")
            + f", {self.seconds:.1f} s"
        )


@dataclass(frozen=True)
class Source:
    """A file to ingest and its path relative to the ingest root (what identifies it: 2023/答复.docx)."""

    path: Path
    rel: str

    @classmethod
    def of(cls, item: Path | Source) -> Source:
        """A bare path is its own root's file: identified by its name (the ids of a flat folder)."""
        return item if isinstance(item, Source) else cls(item, item.name)


def doc_id_for(path: Path, rel: str = "") -> str:
    """A document's id is its path relative to the ingest root without the extension: 答复 for a file at the
    root (the id a flat archive always had), 2023/答复 and 2024/答复 for two letters of the same name."""
    return str(Path(rel).with_suffix("")) if rel else path.stem


def id_candidates(src: Source, beside: bool = False) -> list[str]:
    """The ids a file may take, in order, when an earlier one belongs to another file: its relative path
    without its extension, then under its parent folders (2024/答复 when another root's 答复 holds the name),
    then with a hash of its absolute path. `beside`: the holder is in the same folder (答复.doc and 答复.pdf of
    different text), so the name with its extension comes first."""
    rel = Path(src.rel)
    stem = rel.with_suffix("").as_posix()
    parents = src.path.resolve().parent.parts[::-1]
    folders = [f"{'/'.join(parents[:n][::-1])}/{stem}" for n in range(1, min(3, len(parents)) + 1)]
    digest = hashlib.sha256(str(src.path.resolve()).encode()).hexdigest()[:8]
    out = [stem, *([rel.as_posix()] if beside else []), *folders, rel.as_posix(), f"{stem}~{digest}"]
    return list(dict.fromkeys(out))


def discover_sources(root: Path) -> list[Source]:
    """The files under a folder with their paths relative to it (a file given alone is its own root)."""
    if root.is_file():
        return [Source(root, root.name)]
    return [Source(p, p.relative_to(root).as_posix()) for p in discover(root)]


def discover(root: Path) -> list[Path]:
    """Every file under a folder (or the file itself), sorted, hidden files skipped.

    Files of unsupported types are included so that the ingest names them with their reason instead of
    skipping them silently; the format of each is read from its content when it is loaded.
    """
    if root.is_file():
        return [root]
    return sorted(
        p for p in root.rglob("*")
        if p.is_file() and not any(x.startswith(".") for x in p.relative_to(root).parts)
    )


def text_key(text: str) -> str:
    """The same document in two formats (答复.doc, 答复.pdf) has the same key: cleaned text, no whitespace."""
    return hashlib.sha256("".join(text.split()).replace("|", "").encode()).hexdigest()[:32]


def _format_meta(document: Document, floor: float) -> tuple[dict[str, str | int | float], set[str]]:
    """Document metadata about its format and OCR, and the lines of pages whose OCR is under the floor."""
    ocr = document.ocr_pages
    low = document.low_confidence_pages(floor)
    meta: dict[str, str | int | float] = {"source_format": document.kind, "n_pages": len(document.pages)}
    if ocr:
        meta.update(
            ocr_pages=",".join(str(p.number) for p in ocr),
            ocr_confidence=" ".join(f"{p.number}:{p.confidence:.3f}" for p in ocr if p.confidence is not None),
            ocr_low_pages=",".join(str(n) for n in low),
        )
    if document.notes:
        meta["load_notes"] = "; ".join(document.notes)
    low_lines = {
        collapse_ws(normalize_text(line))
        for page in document.pages if page.number in low
        for line in page.text.split("\n") if len(line.strip()) >= 4
    }
    # a line read under the line floor flags its chunk even on a page whose mean is fine
    low_lines |= {collapse_ws(normalize_text(t)) for t in document.low_confidence_lines() if len(t.strip()) >= 4}
    return meta, low_lines


def parse_text(doc_id: str, raw: str, file_sha: str, max_tokens: int, file_name: str = "",
               extra_meta: dict[str, str | int | float] | None = None,
               low_lines: set[str] | None = None, home: Place | None = None) -> ParsedDoc:
    """Everything but embedding: pure and fast, so re-ingest can compare before spending time.

    `extra_meta` goes into the document's metadata (format, OCR pages and confidences); a chunk holding one
    of `low_lines` (from OCR pages under the confidence floor) is flagged `ocr_low_confidence`.
    """
    text = clean_text(raw)
    if not text.strip():
        raise ValueError("no text left after removing page chrome")
    lines = text.split("\n")
    parts = split_parts(lines)
    meta = extract_doc_meta(doc_id, raw, lines, parts)
    at_home = home is not None and not meta.place  # a document that states no place is the bureau's own
    if at_home and home is not None:
        meta = replace(meta, province=home.province, city=home.city, district=home.district)
    sections = split_sections(text, parts)
    part_metas = {p.index: part_meta(meta, p) for p in parts}
    chunks: list[ChunkRecord] = []
    seen: Counter[str] = Counter()
    for pc in plan_chunks(text, sections, max_tokens, count_tokens):
        path = " > ".join(pc.path)
        md = {**part_metas[pc.part], "heading_path": path, "role": pc.role, "start": pc.start, "end": pc.end,
              "chunk_index": len(chunks), "label": f"{doc_id}:{len(chunks)}", "file_sha": file_sha,
              "file_name": file_name}
        # the id hashes what is embedded (header and text): a new header means a new vector, the same a reuse
        key = f"{doc_id}\x1f{context_header(md)}\x1f{pc.role}\x1f{pc.text}"
        seen[key] += 1
        cid = hashlib.sha256(f"{key}\x1f{seen[key]}".encode()).hexdigest()[:32]
        if low_lines:
            md["ocr_low_confidence"] = any(line in collapse_ws(pc.text) for line in low_lines)
        md["planted"] = int(bool(profile().planted_instruction.search(normalize_text(pc.text))))  # 0/1: scalar metadata
        chunks.append(ChunkRecord(cid, pc.text, f"{context_header(md)}\n{pc.text}", md))
    doc_md = {k: v for k, v in vars(meta).items() if k != "doc_id"}
    doc_md.update(extra_meta or {})
    doc_md.update(file_name=file_name, n_sections=len(sections), n_parts=len(parts), text_key=text_key(text),
                  planted=sum(1 for c in chunks if c.metadata["planted"]), place_source="home" if at_home else "text",
                  parts=" | ".join(f"{p.index}:{part_metas[p.index]['sub_doc_label']}" for p in parts))
    return ParsedDoc(DocRecord(doc_id, file_sha, text, doc_md, chunks), meta, sections)


def home_place(name: str) -> Place | None:
    """The one place a home-place setting names (广州市, 天河区); ValueError when it names none or several."""
    if not name.strip():
        return None
    found = {p.code: p for p in gazetteer().lookup(name.strip())}
    if len(found) != 1:
        options = "、".join(sorted("".join(dict.fromkeys(x for x in p.chain() if x)) for p in found.values()))
        raise ValueError(f"{name}: " + (f"names several places ({options}); give the full name with its city"
                                        if found else "no such place in the gazetteer"))
    return next(iter(found.values()))


def parse_file(path: Path, settings: Settings, file_sha: str | None = None, doc_id: str = "",
               source: str = "") -> ParsedDoc:
    """Load and parse one file; `file_sha` when the caller has already hashed its bytes; `source`, its path
    relative to the ingest root, is kept with the document (with its absolute path, to tell files apart)."""
    data_sha = file_sha or hashlib.sha256(path.read_bytes()).hexdigest()
    document = load_document(path, max_bytes=settings.max_file_bytes)
    extra, low_lines = _format_meta(document, settings.ocr_min_confidence)
    extra.update(source=source or path.name, source_abs=str(path.resolve()))
    try:
        return parse_text(doc_id or doc_id_for(path), document.text, data_sha, settings.chunk_tokens, path.name,
                          extra, low_lines, home_place(settings.home_place))
    except ValueError as exc:
        raise LoadError(path, str(exc)) from exc


def ingest_paths(
    paths: list[Path] | list[Source] | list[Path | Source], store: Store, settings: Settings, prune: bool = False,
    progress: bool = True,
) -> IngestReport:
    """Ingest files into the store; a bad file is reported and skipped, the others still go through.

    A file is identified by its path relative to the ingest root (`Source`; a bare path by its name): the same
    name in two folders is two documents, and a file never replaces another file's document — a name taken by
    a file that still exists elsewhere gives the newcomer the next free id (`id_candidates`, reported)."""
    t0 = time.perf_counter()
    report = IngestReport()
    stored = store.doc_records()
    key = pipeline_key(settings)
    batch = _Batch(store, stored, key, settings, report)
    for item in paths:
        batch.read(Source.of(item))
    changed = _write(batch, progress)
    if prune:
        for doc_id in sorted((set(stored) | store.chunk_doc_ids()) - batch.present):
            store.delete_document(doc_id)
            report.pruned += 1
            changed = True
    if changed or store.version_is_stale(stored):
        store.bump_version()
    report.documents = report.added + report.updated + report.unchanged + report.rekeyed
    report.seconds = time.perf_counter() - t0
    return report


@dataclass
class _Batch:
    """The files of one ingest run: which are unchanged, which are read and waiting to be written."""

    store: Store
    stored: dict[str, dict[str, Any]]
    key: str
    settings: Settings
    report: IngestReport
    pending: list[ParsedDoc] = field(default_factory=list)
    ids_seen: dict[str, Path] = field(default_factory=dict)
    shas_seen: dict[str, Path] = field(default_factory=dict)
    keys_seen: dict[str, str] = field(default_factory=dict)  # doc_id -> text key of the file taken for it
    present: set[str] = field(default_factory=set)  # every doc id found, read or not: a failed file keeps its copy
    rekey: dict[str, str] = field(default_factory=dict)  # new id -> the id an older store kept it under

    def read(self, src: Source) -> None:
        report, path = self.report, src.path
        try:
            sha = hashlib.sha256(path.read_bytes()).hexdigest()
        except OSError as exc:
            report.failed.append((str(path), f"cannot read: {exc.strerror or exc}"))
            self.present.add(doc_id_for(path, src.rel))
            return
        if sha in self.shas_seen:  # the same bytes under two names would be retrieved and cited twice
            report.duplicates.append((str(path), f"same content as {self.shas_seen[sha]}; stored once"))
            return
        doc_id = self._free_id(src)
        self.present.add(doc_id)
        first = self.ids_seen.get(doc_id)
        try:
            if first is None and self.store.is_current(doc_id, sha, self.key, self.stored):
                self.shas_seen[sha] = path
                self.ids_seen[doc_id] = path
                self.keys_seen[doc_id] = str(self.stored[doc_id].get("text_key", ""))
                report.unchanged += 1
                report.sections += int(self.stored[doc_id].get("n_sections", 0))
                report.chunks += int(self.stored[doc_id].get("n_chunks", 0))
                return
            parsed = parse_file(path, self.settings, sha, doc_id, src.rel)
        except LoadError as exc:
            report.failed.append((str(path), exc.reason))
            return
        old = self.stored.get(path.stem, {})
        if doc_id not in self.stored and doc_id != path.stem and not old.get("source") \
                and old.get("file_name") == path.name and old.get("file_sha") == sha:
            self.rekey[doc_id] = path.stem  # a store from before ids were paths: move it, vectors and all
            self.present.add(path.stem)
        if first is not None:  # 答复.doc and 答复.pdf: one document when their text is the same
            if self.keys_seen.get(doc_id) == str(parsed.record.metadata.get("text_key", "")):
                report.duplicates.append((str(path), f"same text as {first.name}; stored once"))
                return
            doc_id = self._free_id(src, taken=doc_id)
            self.present.add(doc_id)
            parsed = parse_file(path, self.settings, sha, doc_id, src.rel)
        if doc_id != doc_id_for(path, src.rel):
            report.renamed.append((str(path), doc_id))
        self.shas_seen[sha] = path  # only a file read whole stands for its bytes
        self._take(path, doc_id, parsed)

    def _owner(self, doc_id: str) -> str:
        """The file (absolute path) a stored document came from, when it still exists; "" otherwise."""
        rec = self.stored.get(doc_id) or {}
        owner = str(rec.get("source_abs", ""))
        return owner if owner and Path(owner).is_file() else ""

    def _free_id(self, src: Source, taken: str = "") -> str:
        """The first of the file's candidate ids that no other file of this run or of the store holds. On the
        first call a name held in this run is returned (the caller compares texts: 答复.doc and 答复.pdf of one
        letter are stored once); `taken`: that name is another text's, find the next."""
        here = src.path.resolve()
        holder = self.ids_seen.get(taken) if taken else None
        beside = holder is not None and holder.resolve().parent == here.parent
        for cand in id_candidates(src, beside):
            if cand == taken:
                continue
            seen = self.ids_seen.get(cand)
            if seen is not None:
                if taken or seen.resolve() == here:
                    continue
                return cand
            owner = self._owner(cand)
            if owner and Path(owner) != here:
                continue
            return cand
        raise AssertionError("the last candidate is unique to the file's absolute path")

    def _take(self, path: Path, doc_id: str, parsed: ParsedDoc) -> None:
        report, meta = self.report, parsed.record.metadata
        self.ids_seen[doc_id] = path
        self.keys_seen[doc_id] = str(meta.get("text_key", ""))
        report.ocr_pages += len([p for p in str(meta.get("ocr_pages", "")).split(",") if p])
        if meta.get("ocr_low_pages"):
            report.low_confidence.append((str(path), f"pages {meta['ocr_low_pages']}"))
        if meta.get("load_notes"):
            report.notes.append((str(path), str(meta["load_notes"])))
        self.pending.append(parsed)


def _write(batch: _Batch, progress: bool) -> bool:
    """Embed and store what was read, with a progress bar; whether the store changed."""
    from tqdm import tqdm

    store, report = batch.store, batch.report
    existing = {p.record.doc_id: store.chunk_ids(p.record.doc_id) for p in batch.pending}
    to_embed = sum(sum(1 for c in p.record.chunks if c.id not in existing[p.record.doc_id]) for p in batch.pending)
    changed = False
    with tqdm(total=to_embed, unit="chunk", desc="embedding", disable=not progress or not to_embed,
              file=sys.stderr, dynamic_ncols=True) as bar:
        for parsed in batch.pending:
            rec = parsed.record
            bar.set_postfix_str(rec.doc_id[:40])
            old = batch.rekey.get(rec.doc_id)
            try:
                reuse = store.vectors(old) if old else None
                report.embedded += store.write_document(rec, batch.key, on_embedded=bar.update, reuse=reuse)
                if old:
                    store.delete_document(old)
                    report.rekeyed += 1
            except Exception as exc:  # the store refused it; the record stays absent so a re-run retries
                report.failed.append((str(batch.ids_seen[rec.doc_id]), f"store error: {type(exc).__name__}: {exc}"))
                continue
            changed = True
            report.added += rec.doc_id not in batch.stored and not old
            report.updated += rec.doc_id in batch.stored
            report.sections += len(parsed.sections)
            report.chunks += len(rec.chunks)
            report.characters += len(rec.text)
    return changed

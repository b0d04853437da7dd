"""The archive as documents: which are superseded by a later one (废止, 修订), read from the store's chunks."""

from __future__ import annotations

import re
import threading
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass, field
from types import MappingProxyType
from typing import Any

from assistant.facts.dates import _alt
from core.profile import profile
from core.text import doc_label, normalize_text


# -- superseded policies ----------------------------------------------------------------------------------------
@dataclass(frozen=True)
class Supersession:
    doc_id: str  # the document replaced
    by_doc: str
    by_title: str
    by_date: str
    how: str  # 废止 / 修订


def _bare_title(title: str) -> str:
    t = normalize_text(title)
    t = re.sub(r"^.*?关于(?:印发|修订|发布|转发)?", "", t)
    t = re.sub(r"的通知$|的决定$", "", t)
    for w in profile().words("supersede", "revised_marks"):
        t = t.replace(w, "")
    t = re.sub(r"\((?:19|20)\d{2}[^)]*\)", "", t)
    return re.sub(r"[《》\s\"“”]", "", t)


def superseded(docs: Sequence[dict[str, Any]]) -> dict[str, Supersession]:
    """Documents replaced by a later one in the archive. `docs`: {doc_id, title, date, doc_number, text}.

    A later document replaces an earlier one when it names it (by 《title》 or 文号) next to a repeal word
    (同时废止, 停止执行), or when its title revises a document of the same name (…(修订), 关于修订《…》)."""
    verbs = _alt(profile().words("supersede", "verbs"))
    marks = profile().words("supersede", "revised_marks")
    out: dict[str, Supersession] = {}
    for new in docs:
        text = normalize_text(str(new.get("text", "")))
        title = normalize_text(str(new.get("title", "")))
        for old in docs:
            if old is new or old.get("doc_id") == new.get("doc_id"):
                continue
            if str(old.get("date", "")) and str(new.get("date", "")) and str(old["date"]) > str(new["date"]):
                continue
            otitle = _bare_title(str(old.get("title", "")))
            names = [n for n in (otitle, normalize_text(str(old.get("doc_number", "")))) if len(n) >= 6]
            how = ""
            for n in names:
                for m in re.finditer(re.escape(n), re.sub(r"[《》\"“”\s]", "", text)):
                    window = re.sub(r"[《》\"“”\s]", "", text)[m.end():m.end() + 40]
                    if re.search(verbs, window.split("。")[0]):
                        how = "废止"
                        break
                if how:
                    break
            if not how and otitle and _bare_title(title) == otitle and (
                    any(w in title for w in marks) or "修订" in title) and title != normalize_text(str(old.get("title"))):
                how = "修订"
            if how:
                prev = out.get(str(old["doc_id"]))
                if prev is None or str(new.get("date", "")) > prev.by_date:
                    out[str(old["doc_id"])] = Supersession(str(old["doc_id"]), str(new.get("doc_id", "")),
                                                           str(new.get("title", "")), str(new.get("date", "")), how)
    return out


def supersession_note(s: Supersession) -> str:
    when = doc_label(s.by_date)
    return f"已被《{s.by_title}》{'（' + when + '）' if when else ''}{'废止' if s.how == '废止' else '修订替代'}"


# -- the archive as documents (from the store or from parsed files) ----------------------------------------------
@dataclass
class ArchiveDoc:
    """One stored document: its metadata (of its reply part when it has one) and its passages."""

    doc_id: str
    meta: dict[str, Any]
    passages: list[tuple[str, dict[str, Any]]] = field(default_factory=list)  # (text, chunk metadata)

    @property
    def date(self) -> str:
        return str(self.meta.get("date") or "")

    @property
    def text(self) -> str:
        return "\n".join(t for t, _ in self.passages)

    def record(self) -> dict[str, Any]:
        return {"doc_id": self.doc_id, "title": self.meta.get("title", ""), "date": self.date,
                "doc_number": self.meta.get("doc_number", ""), "text": self.text}


def archive_docs(chunks: Iterable[tuple[str, dict[str, Any]]]) -> dict[str, ArchiveDoc]:
    """Group chunks (text, metadata) by document, outline passages left out (they repeat headings)."""
    docs: dict[str, ArchiveDoc] = {}
    for text, meta in chunks:
        if meta.get("role") == "outline":
            continue
        doc_id = str(meta.get("doc_id", ""))
        d = docs.setdefault(doc_id, ArchiveDoc(doc_id, dict(meta)))
        d.passages.append((text, meta))
        # the document is described by its reply part (dated, signed) rather than by the proposal it quotes
        if meta.get("kind") in ("reply", "co_handling", "implementation_plan", "notice") and meta.get("date") and (
                not d.meta.get("date") or d.meta.get("kind") not in ("reply", "co_handling")):
            d.meta = dict(meta)
    for d in docs.values():
        d.passages.sort(key=lambda p: int(p[1].get("chunk_index", 0)))
        if not d.meta.get("date"):
            dates = sorted(str(m.get("date")) for _, m in d.passages if m.get("date"))
            if dates:
                d.meta["date"] = dates[-1]
            elif d.meta.get("year"):
                d.meta["date"] = str(d.meta["year"])
    return docs


def store_chunks(store: Any) -> list[tuple[str, dict[str, Any]]]:
    out: list[tuple[str, dict[str, Any]]] = []
    for _ids, texts, metas in store.iter_chunks():
        out += list(zip(texts, metas, strict=True))
    return out


# The cache is read by every Streamlit session's thread: one immutable mapping {(store, version): notes}, swapped
# whole under a lock (never cleared or filled in place), and callers get their own copy of the notes.
_NOTES: Mapping[tuple[int, str], Mapping[str, str]] = MappingProxyType({})
_NOTES_LOCK = threading.Lock()


def superseded_notes(store: Any) -> dict[str, str]:
    """doc_id → "已被《…》废止/修订替代" for the store's superseded documents (cached per store version;
    safe to call from several threads)."""
    global _NOTES
    try:
        key = (id(store), str(store.version()))
    except Exception:  # a store that cannot say its version is read every time
        key = (id(store), "")
    if not key[1]:
        return _notes_of(store)
    cached = _NOTES.get(key)  # one read of the current mapping: it is never changed, only replaced
    if cached is None:
        with _NOTES_LOCK:  # one thread computes; the others wait for it and find it cached
            cached = _NOTES.get(key)
            if cached is None:
                cached = MappingProxyType(_notes_of(store))
                _NOTES = MappingProxyType({key: cached})
    return dict(cached)


def _notes_of(store: Any) -> dict[str, str]:
    docs = archive_docs(store_chunks(store))
    return {k: supersession_note(v) for k, v in superseded([d.record() for d in docs.values()]).items()}

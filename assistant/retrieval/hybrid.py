"""Hybrid retrieval: dense (Chroma) + BM25 (jieba/bm25s), fused by reciprocal rank, with metadata filters."""

from __future__ import annotations

import math
import re
import threading
import time
from contextvars import ContextVar
from dataclasses import dataclass, field, replace
from typing import Any, Literal

import numpy as np

from assistant.retrieval.lexical import LexicalIndex, TokenCache, init_jieba, tokenize
from core.chunks import ChunkMeta
from core.embed import Embedder
from core.places import gazetteer, named_places
from core.profile import profile
from core.settings import Settings
from core.store import Store, context_header
from core.text import normalize_text

Mode = Literal["hybrid", "dense", "bm25"]

# the documents the person now asking may not read (other offices' 内部 documents, assistant.access.documents):
# set once per request at the edge (the app's script run, the CLI's --as); every search below leaves them out
HIDDEN_DOCS: ContextVar[frozenset[str]] = ContextVar("hidden_docs", default=frozenset())

@dataclass(frozen=True)
class Filters:
    """Metadata filters; empty fields do not filter."""

    city: str = ""  # a place of any level, full name as stored (广州市, 巴南区, 云南省); see places_in
    year: int | None = None
    kind: str = ""
    office: str = ""
    # an office inferred from the question: passages of that place whose office is not recorded stay in
    office_or_unknown: bool = False
    exclude_docs: frozenset[str] = frozenset()  # documents this reader may not read (HIDDEN_DOCS)

    def is_empty(self) -> bool:
        return not (self.city or self.year or self.kind or self.office or self.exclude_docs)


@dataclass
class Hit:
    id: str
    label: str
    text: str
    metadata: dict[str, Any]
    score: float
    rank: int = 0
    dense_rank: int | None = None
    bm25_rank: int | None = None
    dense_score: float | None = None
    bm25_score: float | None = None

    @property
    def meta(self) -> ChunkMeta:
        """The metadata as typed fields (the raw dict stays in `metadata` for what is passed on whole)."""
        return ChunkMeta.of(self.metadata)


@dataclass
class SearchResult:
    query: str
    hits: list[Hit]
    filters: Filters
    sub_queries: list[tuple[str, Filters]] = field(default_factory=list)  # when decomposed by city


def office_words(name: str) -> list[str]:
    """The forms an office name may take: itself and, for a short name (工信局), its full names."""
    out = [name]
    for short, fulls in profile().agency_aliases.items():
        if short in name:
            out += [name.replace(short, f) for f in fulls]
    return out


def office_mentions(query: str) -> list[str]:
    """Agency names in a question, short or full (国资委, 工业和信息化局), longest first, not overlapping."""
    prof = profile()
    names = sorted({*prof.agency_aliases, *(f for fs in prof.agency_aliases.values() for f in fs)}, key=len, reverse=True)
    found, rest = [], query
    for n in names:
        if n in rest:
            found.append(n)
            rest = rest.replace(n, " ")
    return found


def convex_scores(hits: list[Hit], w_bm25: float) -> None:
    """Score fusion instead of rank fusion (for comparison): each retriever's scores min-max normalised
    over the candidates, then w·bm25 + (1−w)·dense; a passage one retriever did not return scores 0 there."""
    def norm(values: list[float | None]) -> list[float]:
        present = [v for v in values if v is not None]
        lo, hi = (min(present), max(present)) if present else (0.0, 1.0)
        return [0.0 if v is None else (v - lo) / (hi - lo) if hi > lo else 1.0 for v in values]

    dense = norm([h.dense_score for h in hits])
    bm25 = norm([h.bm25_score for h in hits])
    for h, d, b in zip(hits, dense, bm25, strict=True):
        h.score = w_bm25 * b + (1 - w_bm25) * d


def keep_firsts(ranked: list[Hit], k: int) -> list[Hit]:
    """What one retriever ranks first is not lost to passages that are mediocre in both lists: it takes
    the last places of the top k if fusion pushed it below them (the order above it is kept)."""
    firsts = [h for h in ranked[k:] if h.dense_rank == 1 or h.bm25_rank == 1]
    if not firsts or k <= len(firsts):
        return ranked
    head = ranked[: k - len(firsts)]
    return head + firsts + [h for h in ranked[k - len(firsts):] if h not in firsts]


def frame_not_first(ranked: list[Hit]) -> list[Hit]:
    """A passage that is only the letter's frame (salutation, acknowledgement restating the proposal, lead-in)
    does not take the first place from a passage with content: it goes right after the first such passage."""
    first = next((i for i, h in enumerate(ranked) if not profile().frame_only(normalize_text(h.text))), 0)
    return [ranked[first], *ranked[:first], *ranked[first + 1:]] if first else ranked


class HybridRetriever:
    """Thread-safe: the lexical index is rebuilt off to the side and swapped in when the store changes."""

    def __init__(self, store: Store, embedder: Embedder, settings: Settings, version_check_s: float = 1.0) -> None:
        self.store, self.embedder, self.settings = store, embedder, settings
        self._lex: LexicalIndex | None = None
        self._lock = threading.Lock()
        self._checked = 0.0
        self._by_doc: tuple[str, dict[tuple[str, str], list[int]]] | None = None
        self._version_check_s = version_check_s
        init_jieba(settings.cache_dir / "jieba")

    # -- lexical index lifecycle -------------------------------------------------------------------
    def lexical(self) -> LexicalIndex:
        now = time.monotonic()
        lex = self._lex
        if lex is not None and now - self._checked < self._version_check_s:
            return lex
        version = self.store.version()
        self._checked = now
        if lex is not None and lex.version == version:
            return lex
        with self._lock:
            if self._lex is None or self._lex.version != version:
                self._lex = self._build_lexical(version)
            return self._lex

    def _build_lexical(self, version: str) -> LexicalIndex:
        ids: list[str] = []
        docs: list[str] = []
        metas: list[dict[str, Any]] = []
        for i, d, m in self.store.iter_chunks():
            ids += i
            docs += d
            metas += m
        cache = TokenCache(self.settings.cache_dir / f"bm25-tokens-{self.settings.collection}.pkl")
        known = cache.load()
        texts = [f"{context_header(m)}\n{d}" for d, m in zip(docs, metas, strict=True)]
        tokens = [known.get(cid) or tokenize(t) or ["∅"] for cid, t in zip(ids, texts, strict=True)]
        lex = LexicalIndex(ids, texts, docs, metas, version, k1=self.settings.bm25_k1, b=self.settings.bm25_b,
                           tokens=tokens)
        if len(known) != len(ids) or any(cid not in known for cid in ids):
            cache.save(dict(zip(ids, tokens, strict=True)))
        return lex

    def known_values(self, key: str) -> list[str]:
        lex = self.lexical()
        if key in lex.values:
            return lex.values[key]
        return sorted({str(m.get(key, "")) for m in lex.metadatas if m.get(key)})

    def section(self, hit: Hit, path: str) -> list[Hit]:
        """Every passage of the hit's document (its part, for a file of several letters) under a heading path,
        in the document's order: the items of a section the question asks about, though retrieval found only
        some of them. A planted passage is never one."""
        lex = self.lexical()
        key = (hit.meta.doc_id, hit.meta.sub_doc)
        out = []
        for pos in self._doc_positions(lex).get(key, []):
            meta = lex.metadatas[pos]
            hp = str(meta.get("heading_path", ""))
            if (hp == path or hp.startswith(path + " > ")) and not meta.get("planted"):
                out.append(Hit(lex.ids[pos], str(meta.get("label", lex.ids[pos])), lex.documents[pos], meta, 0.0))
        return out

    def _doc_positions(self, lex: LexicalIndex) -> dict[tuple[str, str], list[int]]:
        """Chunk positions by (document, part) in chunk order, built once per index version."""
        cached = self._by_doc
        if cached is not None and cached[0] == lex.version:
            return cached[1]
        by_doc: dict[tuple[str, str], list[int]] = {}
        for pos, meta in enumerate(lex.metadatas):
            by_doc.setdefault((str(meta.get("doc_id", "")), str(meta.get("sub_doc", ""))), []).append(pos)
        for positions in by_doc.values():
            positions.sort(key=lambda p: int(lex.metadatas[p].get("chunk_index", 0)))
        self._by_doc = (lex.version, by_doc)
        return by_doc

    # -- filters ---------------------------------------------------------------------------------------
    def _offices_matching(self, office: str) -> list[str]:
        """Stored offices a filter value means: the name or, for a short name, any of its full forms."""
        forms = [f.removeprefix("市") for f in office_words(office.strip())]
        return [o for o in self.known_values("office") if any(f and f in o for f in forms)]

    def where(self, f: Filters) -> dict[str, Any] | None:
        conds: list[dict[str, Any]] = []
        if f.city:
            conds.append({"$or": [{"province": f.city}, {"city": f.city}, {"district": f.city}]})
        if f.year:
            conds.append({"year": int(f.year)})
        if f.kind:
            conds.append({"kind": f.kind})
        if f.office:
            offices = self._offices_matching(f.office) or [f.office]
            if f.office_or_unknown:  # a letter whose office was not recorded (not the proposal, which has none)
                conds.append({"$or": [{"office": {"$in": offices}},
                                      {"$and": [{"office": ""}, {"kind": {"$ne": "proposal"}}]}]})
            else:
                conds.append({"office": {"$in": offices}})
        if f.exclude_docs:
            conds.append({"doc_id": {"$nin": sorted(f.exclude_docs)}})
        if not conds:
            return None
        return conds[0] if len(conds) == 1 else {"$and": conds}

    def _mask(self, lex: LexicalIndex, f: Filters) -> np.ndarray | None:
        if f.is_empty():
            return None
        keep = np.ones(len(lex), dtype=bool)
        if f.city:
            keep &= (lex.fields["province"] == f.city) | (lex.fields["city"] == f.city) | (lex.fields["district"] == f.city)
        if f.year:
            keep &= lex.fields["year"] == str(int(f.year))
        if f.kind:
            keep &= lex.fields["kind"] == f.kind
        if f.office:
            offices = self._offices_matching(f.office) or [f.office]
            ok = np.isin(lex.fields["office"], offices)
            if f.office_or_unknown:
                ok |= (lex.fields["office"] == "") & (lex.fields["kind"] != "proposal")
            keep &= ok
        if f.exclude_docs:
            keep &= ~np.isin(lex.fields["doc_id"], sorted(f.exclude_docs))
        return keep.astype(np.float32)

    # -- search ----------------------------------------------------------------------------------------
    def store_places(self) -> set[str]:
        """Full names of every place the store's documents come from, at every level."""
        return {v for key in ("province", "city", "district") for v in self.known_values(key)}

    def resolve_place(self, name: str) -> str:
        """The stored full name a user's place means (广州 → 广州市, 巴南 → 巴南区), or "" when none."""
        name = name.strip()
        stored = self.store_places()
        if not name or name in stored:
            return name if name in stored else ""
        for p in gazetteer().lookup(name) or gazetteer().lookup(name + "市"):
            for form in (p.name, *gazetteer().official_forms(p)):
                if form in stored:
                    return form
        return ""

    def places_in(self, query: str) -> tuple[list[str], list[str]]:
        """(stored places the question names, in order; places it names that the store does not hold).

        A place named with its parent (重庆市巴南区) counts once, as the most specific one."""
        return named_places(normalize_text(query), frozenset(self.store_places()))

    def cities_in(self, query: str) -> list[str]:
        """Stored places the question names (kept under its old name for callers)."""
        return self.places_in(query)[0]

    def search(self, query: str, k: int | None = None, filters: Filters | None = None, mode: Mode = "hybrid",
               decompose: bool = True) -> SearchResult:
        """Top-k passages. A question naming several stored places is searched once per place and
        interleaved; a question naming one is kept to it, so its figures are never another place's. A named
        office narrows only within a named place that holds it; otherwise its passages are boosted."""
        k = k or self.settings.top_k
        filters = filters or Filters()
        if hidden := HIDDEN_DOCS.get():
            filters = replace(filters, exclude_docs=filters.exclude_docs | hidden)
        if filters.city:
            filters = replace(filters, city=self.resolve_place(filters.city) or filters.city)
        cities = self.cities_in(query) if decompose and not filters.city else []
        if len(cities) >= 2:
            subs = [(query, replace(filters, city=c)) for c in cities]
            per = max(1, math.ceil(k / len(cities)))
            vector = self.embedder.embed_query(query) if mode != "bm25" else None  # embedded once for all places
            lists = [self._search_one(query, per + k, f, mode, vector) for _, f in subs]
            merged: list[Hit] = []
            seen: set[str] = set()
            for i in range(max(len(x) for x in lists) if lists else 0):
                for lst in lists:
                    if i < len(lst) and lst[i].id not in seen:
                        seen.add(lst[i].id)
                        merged.append(lst[i])
            hits = merged[:k]
            for r, h in enumerate(hits, 1):
                h.rank = r
            return SearchResult(query, hits, filters, subs)
        if len(cities) == 1:
            filters = replace(filters, city=cities[0])
        # a named office (人社局, 国资委) narrows only within a named place where the store holds it (passages
        # of that place with no recorded office stay in); without a place it ranks its passages first
        boost: list[str] = []
        if decompose and not filters.office and (offices := self.offices_named(query, filters.city)):
            if filters.city and len(set(offices)) == 1:
                filters = replace(filters, office=offices[0], office_or_unknown=True)
            else:
                boost = offices
        return SearchResult(query, self._search_one(query, k, filters, mode, boost_offices=boost), filters)

    def offices_named(self, query: str, place: str = "") -> list[str]:
        """Stored offices of the kind the question names (its 国资委, 工信局…), within the named place if any."""
        q = normalize_text(query)
        wanted = office_mentions(q)
        if not wanted:
            return []
        out = []
        for office in self.known_values("office"):
            if place and place not in office and self.resolve_place(place) not in self._office_places(office):
                continue
            if any(w in office for name in wanted for w in office_words(name)):
                out.append(office)
        return out

    def _office_places(self, office: str) -> set[str]:
        lex = self.lexical()
        rows = np.flatnonzero(lex.fields["office"] == office)[:1]
        if not len(rows):
            return set()
        m = lex.metadatas[int(rows[0])]
        return {str(m.get(key, "")) for key in ("province", "city", "district")} - {""}

    def office_in(self, query: str, city: str = "") -> str:
        """The one stored office a question names within a place; "" otherwise."""
        offices = self.offices_named(query, city)
        return offices[0] if city and len(set(offices)) == 1 else ""

    def _dense(self, vector: np.ndarray, n: int, f: Filters, lex: LexicalIndex) -> list[tuple[int, float]]:
        """(position in the lexical snapshot, cosine similarity) of the n nearest chunks passing the filters.

        Chroma returns ids and distances only; texts and metadata come from the in-memory snapshot. A
        filter is applied by over-fetching unfiltered neighbours and keeping those that pass (fast
        at any size); when that leaves too few, Chroma's own filtered search is asked instead.
        """
        total = len(lex)
        if total == 0:
            return []
        mask = self._mask(lex, f)
        passing = int(mask.sum()) if mask is not None else total
        if passing == 0:
            return []
        want = min(n, passing)
        fetch = want if mask is None else min(total, math.ceil(want * total / passing * 1.5) + 10)
        res = None
        if fetch <= self.settings.dense_overfetch_max or mask is None:
            res = self.store.query_ids(vector, fetch)
            out = self._positions(res, lex, mask)
            if len(out) >= want or fetch >= total:
                return out[:want]
        res = self.store.query_ids(vector, want, self.where(f))
        return self._positions(res, lex, None)[:want]

    @staticmethod
    def _positions(res: dict[str, Any], lex: LexicalIndex, mask: np.ndarray | None) -> list[tuple[int, float]]:
        out = []
        for cid, dist in zip(res["ids"][0], res["distances"][0], strict=True):
            pos = lex.position.get(cid)
            if pos is not None and (mask is None or mask[pos]):  # an id newer than the snapshot waits for it
                out.append((pos, 1.0 - float(dist)))
        return out

    def _search_one(self, query: str, k: int, f: Filters, mode: Mode, vector: np.ndarray | None = None,
                    boost_offices: list[str] | None = None) -> list[Hit]:
        n = max(self.settings.candidates, k)
        hits: dict[str, Hit] = {}
        rrf = self.settings.rrf_k
        lex = self.lexical()

        def hit_at(pos: int) -> Hit:
            cid = lex.ids[pos]
            if cid not in hits:
                meta = lex.metadatas[pos]
                hits[cid] = Hit(cid, str(meta.get("label", cid)), lex.documents[pos], meta, 0.0)
            return hits[cid]

        if mode in ("hybrid", "dense"):
            vec = vector if vector is not None else self.embedder.embed_query(query)
            for r, (pos, sim) in enumerate(self._dense(vec, n, f, lex), 1):
                h = hit_at(pos)
                h.score += 1.0 / (rrf + r)
                h.dense_rank, h.dense_score = r, sim
        if mode in ("hybrid", "bm25"):
            for r, (pos, score) in enumerate(lex.search(query, n, self._mask(lex, f)), 1):
                h = hit_at(pos)
                h.score += self.settings.bm25_weight / (rrf + r)
                h.bm25_rank, h.bm25_score = r, score
        if mode == "hybrid" and self.settings.fusion == "convex":
            convex_scores(list(hits.values()), self.settings.bm25_weight / (1 + self.settings.bm25_weight))
        for cid in [cid for cid, h in hits.items() if h.meta.planted]:
            del hits[cid]  # a passage that addresses the assistant is no source: never shown, quoted or lifted
        top = 1.0 / (rrf + 1)
        for h in hits.values():
            if boost_offices and h.meta.office in boost_offices:
                h.score += 2 * top  # as if both retrievers ranked it first
        needle = re.sub(r"[\s\W]+", "", normalize_text(query))
        needle_hit = None
        if len(needle) >= 8:  # the user quotes a passage: it comes first
            for h in hits.values():
                if needle in re.sub(r"[\s\W]+", "", h.text):
                    h.score += 1.0
                    needle_hit = h
        ranked = sorted(hits.values(), key=lambda h: (-h.score, h.label))
        if self.settings.fusion == "rrf_keep":
            ranked = keep_firsts(ranked, k)
        if needle_hit is None:  # a quoted passage stays first whatever it is
            ranked = frame_not_first(ranked)
        ranked = ranked[:k]
        for r, h in enumerate(ranked, 1):
            h.rank = r
        return ranked

"""Hybrid retrieval: dense (Chroma) + BM25 (jieba/bm25s), fused by reciprocal rank, with metadata filters."""

from __future__ import annotations

import math
import threading
import time
from dataclasses import dataclass, field, replace
from typing import Any, Literal

import numpy as np

from assistant.lexical import LexicalIndex, TokenCache, init_jieba, tokenize
from core.embed import Embedder
from core.settings import Settings
from core.store import Store, context_header
from ingest.metadata import city_of as city_of_office

Mode = Literal["hybrid", "dense", "bm25"]

# Everyday short names of bureaus → the words in their full names, so "工信局" finds 工业和信息化局.
OFFICE_ALIASES = {
    "工信局": "工业和信息化局", "经信局": "经济和信息化局", "发改局": "发展和改革局", "发改委": "发展和改革委员会",
    "人社局": "人力资源和社会保障局", "市场监管局": "市场监督管理局", "科技局": "科学技术局",
    "金融局": "金融工作局", "财政局": "财政局", "税务局": "税务局",
}


@dataclass(frozen=True)
class Filters:
    """Metadata filters; empty fields do not filter."""

    city: str = ""
    year: int | None = None
    kind: str = ""
    office: str = ""

    def is_empty(self) -> bool:
        return not (self.city or self.year or self.kind or self.office)


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


@dataclass
class SearchResult:
    query: str
    hits: list[Hit]
    filters: Filters
    sub_queries: list[tuple[str, Filters]] = field(default_factory=list)  # when decomposed by city


def normalize_office(name: str) -> str:
    for short, full in OFFICE_ALIASES.items():
        name = name.replace(short, full)
    return name.removeprefix("市")


class HybridRetriever:
    """Thread-safe: the lexical index is rebuilt off to the side and swapped in when the store changes."""

    def __init__(self, store: Store, embedder: Embedder, settings: Settings, version_check_s: float = 1.0) -> None:
        self.store, self.embedder, self.settings = store, embedder, settings
        self._lex: LexicalIndex | None = None
        self._lock = threading.Lock()
        self._checked = 0.0
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

    # -- filters ---------------------------------------------------------------------------------------
    def _offices_matching(self, office: str) -> list[str]:
        want = normalize_office(office)
        return [o for o in self.known_values("office") if want and want in normalize_office(o)]

    def where(self, f: Filters) -> dict[str, Any] | None:
        conds: list[dict[str, Any]] = []
        if f.city:
            conds.append({"city": f.city.removesuffix("市")})
        if f.year:
            conds.append({"year": int(f.year)})
        if f.kind:
            conds.append({"kind": f.kind})
        if f.office:
            conds.append({"office": {"$in": self._offices_matching(f.office) or [f.office]}})
        if not conds:
            return None
        return conds[0] if len(conds) == 1 else {"$and": conds}

    def _mask(self, lex: LexicalIndex, f: Filters) -> np.ndarray | None:
        if f.is_empty():
            return None
        keep = np.ones(len(lex), dtype=bool)
        if f.city:
            keep &= lex.fields["city"] == f.city.removesuffix("市")
        if f.year:
            keep &= lex.fields["year"] == str(int(f.year))
        if f.kind:
            keep &= lex.fields["kind"] == f.kind
        if f.office:
            keep &= np.isin(lex.fields["office"], self._offices_matching(f.office) or [f.office])
        return keep.astype(np.float32)

    # -- search ----------------------------------------------------------------------------------------
    def cities_in(self, query: str) -> list[str]:
        """Cities of the store that the question names, in the order it names them."""
        found = [(query.find(c), c) for c in self.known_values("city") if c and c in query]
        return [c for _, c in sorted(found)]

    def search(self, query: str, k: int | None = None, filters: Filters | None = None, mode: Mode = "hybrid",
               decompose: bool = True) -> SearchResult:
        """Top-k passages. A question naming several cities is searched once per city and interleaved;
        a question naming one city is kept to that city, so its figures are never another city's."""
        k = k or self.settings.top_k
        filters = filters or Filters()
        cities = self.cities_in(query) if decompose and not filters.city else []
        if len(cities) >= 2:
            subs = [(query, replace(filters, city=c)) for c in cities]
            per = max(1, math.ceil(k / len(cities)))
            vector = self.embedder.embed_query(query) if mode != "bm25" else None  # embedded once for all cities
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
        if decompose and not filters.office and (office := self.office_in(query, filters.city)):
            filters = replace(filters, office=office)
        return SearchResult(query, self._search_one(query, k, filters, mode), filters)

    def office_in(self, query: str, city: str = "") -> str:
        """The one stored office a question names ("东莞人社局"), when it names exactly one kind of office
        that exists in the city asked about; "" otherwise, so a wrong guess never empties the results."""
        q = normalize_office(query)
        matches = []
        for office in self.known_values("office"):
            c = city_of_office(office)
            short = office.removeprefix(f"{c}市") if c else office
            if short and normalize_office(short) in q and (not city or c == city.removesuffix("市")):
                matches.append(short)
        kinds = set(matches)
        return matches[0] if len(kinds) == 1 else ""

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

    def _search_one(self, query: str, k: int, f: Filters, mode: Mode, vector: np.ndarray | None = None) -> list[Hit]:
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
        ranked = sorted(hits.values(), key=lambda h: (-h.score, h.label))[:k]
        for r, h in enumerate(ranked, 1):
            h.rank = r
        return ranked

"""The typed record of a stored passage's metadata: what ingest writes and retrieval, answers and letters read.

Chroma stores flat scalar dicts; `ChunkMeta.of` reads one into named, typed fields (missing → empty), so a
stage names the field it needs instead of a string key (`hit.meta.office`, not `hit.metadata.get("office")`).
"""

from __future__ import annotations

from dataclasses import dataclass, fields
from functools import cache
from typing import Any


@dataclass(frozen=True)
class ChunkMeta:
    doc_id: str = ""
    chunk_index: int = 0
    title: str = ""
    kind: str = ""  # the part's kind: reply, proposal, co_handling, notice, implementation_plan…
    doc_kind: str = ""
    role: str = ""  # "outline" for a heading-tree passage
    sub_doc: str = ""  # doc_id#part
    province: str = ""
    city: str = ""
    district: str = ""
    place: str = ""  # the most specific of the three
    office: str = ""
    date: str = ""  # ISO, or a year
    year: int | None = None
    heading_path: str = ""
    number: str = ""
    doc_number: str = ""
    proposer: str = ""
    opinion: bool = False  # a co-handling opinion attached to a case (not a stored document)
    planted: bool = False  # holds text addressing the assistant (a planted instruction): never quoted
    case_role: str = ""
    start: int | None = None
    end: int | None = None

    @classmethod
    def of(cls, metadata: dict[str, Any] | None) -> ChunkMeta:
        m = metadata or {}
        kw: dict[str, Any] = {}
        for name, kind in _field_kinds().items():
            v = m.get(name)
            if v is None:
                continue
            kw[name] = bool(v) if kind == "bool" else int(v) if kind in ("int", "int | None") else str(v)
        return cls(**kw)


@cache
def _field_kinds() -> dict[str, str]:
    return {f.name: str(f.type) for f in fields(ChunkMeta)}

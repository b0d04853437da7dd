"""Load documents of any supported format into plain text (kept for callers; see `ingest.loaders`)."""

from __future__ import annotations

from ingest.loaders import SUPPORTED_SUFFIXES, Document, LoadError, load_document, load_file
from ingest.loaders.text import decode_bytes

__all__ = ["SUPPORTED_SUFFIXES", "Document", "LoadError", "decode_bytes", "load_document", "load_file"]

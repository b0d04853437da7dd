"""The hybrid retriever as a LangChain BaseRetriever, so it composes with other people's chains."""

from __future__ import annotations

from typing import Any

from langchain_core.callbacks import CallbackManagerForRetrieverRun
from langchain_core.documents import Document
from langchain_core.retrievers import BaseRetriever
from pydantic import ConfigDict

from assistant.retrieval.hybrid import Filters, HybridRetriever, Mode


class HybridLangChainRetriever(BaseRetriever):
    """Returns `Document`s whose metadata carries label, score, ranks and the chunk's store metadata."""

    model_config = ConfigDict(arbitrary_types_allowed=True)

    retriever: HybridRetriever
    k: int = 8
    filters: Filters = Filters()
    mode: Mode = "hybrid"

    def _get_relevant_documents(
        self, query: str, *, run_manager: CallbackManagerForRetrieverRun, **kwargs: Any
    ) -> list[Document]:
        result = self.retriever.search(query, kwargs.get("k", self.k), kwargs.get("filters", self.filters), self.mode)
        return [
            Document(
                page_content=h.text,
                id=h.id,
                metadata={**h.metadata, "label": h.label, "score": h.score, "rank": h.rank,
                          "dense_rank": h.dense_rank, "bm25_rank": h.bm25_rank},
            )
            for h in result.hits
        ]

"""PaperRAG inside llama-index: a retriever and a query engine over the same library `ask()` reads.

    from rag.integrations.llama_index import PaperRAGRetriever, PaperRAGQueryEngine

    retriever = PaperRAGRetriever(top_k=5)                 # hybrid retrieval -> NodeWithScore, one per paper
    nodes = retriever.retrieve("Which papers prune sparse networks?")
    engine = PaperRAGQueryEngine()                         # PaperRAG's cited answer -> a llama-index Response
    response = engine.query("What does ARISE improve?")
    response.response, response.source_nodes, response.metadata["citations"]

A node is one paper: its text is the abstract without the sentences PaperRAG withholds (those that address a
model, rag/instructions.py), so a downstream LLM never reads them; its metadata carries the paper (id, title,
authors, year, url, arXiv id, DOI) and the evidence sentences retrieval picked for the question. Its id is the
paper id, so llama-index's fusion and de-duplication see the same paper as the same node. The retriever fits
anywhere llama-index takes one (RetrieverQueryEngine, QueryFusionRetriever, RouterRetriever); the query engine
returns PaperRAG's own answer, whose every sentence was checked against the abstracts, with the cited papers as
`source_nodes`.

This module imports llama-index at import time (its classes are subclassed here); `import rag` does not import it.
"""

from __future__ import annotations

import asyncio
from typing import Any

from llama_index.core.base.base_retriever import BaseRetriever
from llama_index.core.base.base_query_engine import BaseQueryEngine
from llama_index.core.base.response.schema import Response
from llama_index.core.callbacks.base import CallbackManager
from llama_index.core.schema import NodeWithScore, QueryBundle, TextNode

from rag.answer import Answer, Source
from rag.engine import Engine
from rag.filters import Filters
from rag.instructions import readable_abstract

# Metadata a downstream LLM prompt shows beside the abstract; the rest (scores, ids, evidence) is for code.
_LLM_KEYS = ("title", "authors", "year", "url")


def _engine(engine: Engine | None, settings: Any) -> Engine:
    if engine is not None:
        return engine
    from rag import get_engine

    return get_engine(settings)


def paper_node(source: Source, *, score: float | None = None, citation: int | None = None,
               evidence: list[str] | None = None) -> NodeWithScore:
    """One retrieved paper as a llama-index node: its readable abstract as text, the paper as metadata."""
    text = readable_abstract(source.abstract)
    metadata: dict[str, Any] = {
        "paper_id": source.paper_id,
        "title": source.title,
        "authors": "; ".join(source.authors),
        "year": source.year,
        "date": source.date,
        "url": source.url,
        "arxiv_id": source.arxiv_id,
        "doi": source.doi,
        "evidence": evidence if evidence is not None else [e.text for e in source.evidence[:3]],
        "dense_score": source.dense,
        "bm25_score": source.bm25,
    }
    if citation is not None:
        metadata["citation"] = citation
    hidden = [k for k in metadata if k not in _LLM_KEYS]
    node = TextNode(id_=source.paper_id, text=text, metadata=metadata, excluded_llm_metadata_keys=hidden,
                    excluded_embed_metadata_keys=hidden)
    return NodeWithScore(node=node, score=source.score if score is None else score)


class PaperRAGRetriever(BaseRetriever):
    """PaperRAG's hybrid retrieval (dense + BM25, question filters understood) as a llama-index retriever."""

    def __init__(self, engine: Engine | None = None, *, top_k: int | None = None, mode: str | None = None,
                 filters: Filters | dict | None = None, settings: Any = None,
                 callback_manager: CallbackManager | None = None, verbose: bool = False):
        super().__init__(callback_manager=callback_manager, verbose=verbose)
        self._paperrag = engine
        self._settings = settings
        self.top_k = top_k
        self.mode = mode
        self.filters = filters

    @property
    def engine(self) -> Engine:
        self._paperrag = _engine(self._paperrag, self._settings)
        return self._paperrag

    def _retrieve(self, query_bundle: QueryBundle) -> list[NodeWithScore]:
        found = self.engine.retrieve(query_bundle.query_str, filters=self.filters, top_k=self.top_k, mode=self.mode)
        return [paper_node(s) for s in found.sources]

    async def _aretrieve(self, query_bundle: QueryBundle) -> list[NodeWithScore]:
        return await asyncio.to_thread(self._retrieve, query_bundle)


class PaperRAGQueryEngine(BaseQueryEngine):
    """PaperRAG's cited answer as a llama-index `Response`.

    `response.response` is the answer text with [n] markers; `source_nodes` are the cited papers in citation order
    (metadata "citation" = n, "evidence" = the sentences that support the claims); `metadata` holds the whole
    structured answer (`Answer.to_dict()`: kind, verdict, blocks, citations, sources, abstained and why).
    """

    def __init__(self, engine: Engine | None = None, *, top_k: int | None = None, mode: str | None = None,
                 filters: Filters | dict | None = None, generator: str | None = None, settings: Any = None,
                 callback_manager: CallbackManager | None = None):
        super().__init__(callback_manager=callback_manager)
        self._paperrag = engine
        self._settings = settings
        self.top_k = top_k
        self.mode = mode
        self.filters = filters
        self.generator = generator

    @property
    def engine(self) -> Engine:
        self._paperrag = _engine(self._paperrag, self._settings)
        return self._paperrag

    def _get_prompt_modules(self) -> dict[str, Any]:
        return {}

    def _query(self, query_bundle: QueryBundle) -> Response:
        answer = self.engine.ask(query_bundle.query_str, filters=self.filters, top_k=self.top_k, mode=self.mode,
                                 generator=self.generator)
        return as_response(answer)

    async def _aquery(self, query_bundle: QueryBundle) -> Response:
        return await asyncio.to_thread(self._query, query_bundle)


def as_response(answer: Answer) -> Response:
    """An `Answer` as a llama-index `Response`: the cited papers as source nodes, the structure as metadata."""
    by_id = {s.paper_id: s for s in answer.sources}
    nodes = []
    for c in answer.citations:
        source = by_id.get(c.paper_id)
        if source is not None:
            nodes.append(paper_node(source, citation=c.n, evidence=list(c.evidence), score=c.score))
    return Response(response=answer.answer, source_nodes=nodes, metadata=answer.to_dict())

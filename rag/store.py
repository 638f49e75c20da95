"""The one place that talks to Chroma: opening the collection, its manifest, writing and reading papers.

A paper is stored as its chunks; every chunk carries the paper's metadata, so any hit can be shown and cited
without a second lookup. The collection's metadata holds the manifest (embedding model, dimension, chunking,
schema version) and a write generation that derived indexes (BM25) use to know when they are stale.
"""

from __future__ import annotations

import json
from dataclasses import dataclass
from datetime import datetime, timezone
from typing import Any, Callable, Iterable, Iterator, Sequence

from rag.errors import EmptyIndexError, ModelMismatchError, StoreError
from rag.settings import Settings
from rag.types import SCHEMA_VERSION, Chunk, Paper

PAGE = 1000


@dataclass
class StoredPaper:
    paper: Paper
    paper_id: str
    content_hash: str
    n_chunks: int


@dataclass
class ChunkHit:
    chunk_id: str
    paper_id: str
    text: str
    metadata: dict[str, Any]
    score: float


def _rebuild_hint(settings: Settings) -> str:
    return "Run `paperrag ingest --rebuild PATH...` to rebuild the index with the configured settings."


def paper_metadata(paper: Paper, chunk: Chunk, n_chunks: int) -> dict[str, Any]:
    meta: dict[str, Any] = {
        "paper_id": paper.paper_id,
        "chunk_index": chunk.index,
        "n_chunks": n_chunks,
        "content_hash": paper.content_hash,
        "title": paper.title,
        "title_key": paper.title_key,
        "start": chunk.start,
        "end": chunk.end,
        "sentences": json.dumps(chunk.sentences),
        "n_tokens": chunk.n_tokens,
        "source": paper.source,
        "source_format": paper.source_format,
        "links": json.dumps(paper.links),
        "authors_json": json.dumps(paper.authors, ensure_ascii=False),
        "authors": "; ".join(paper.authors),
    }
    optional = {
        "arxiv_id": paper.arxiv_id,
        "arxiv_version": paper.arxiv_version,
        "doi": paper.doi,
        "date": paper.date,
        "year": paper.year,
        "updated": paper.updated,
        "url": paper.url,
        "n_authors": paper.author_count,
        "categories": list(paper.categories) or None,
    }
    meta.update({k: v for k, v in optional.items() if v is not None})
    return meta


def paper_from_metadata(meta: dict[str, Any], abstract: str) -> Paper:
    return Paper(
        title=meta["title"],
        abstract=abstract,
        authors=json.loads(meta.get("authors_json", "[]")),
        n_authors=None if meta.get("authors_json", "[]") != "[]" else meta.get("n_authors"),
        date=meta.get("date"),
        year=meta.get("year"),
        updated=meta.get("updated"),
        categories=list(meta.get("categories") or []),
        url=meta.get("url"),
        links=json.loads(meta.get("links", "[]")),
        arxiv_id=meta.get("arxiv_id"),
        arxiv_version=meta.get("arxiv_version"),
        doi=meta.get("doi"),
        source=meta.get("source", ""),
        source_format=meta.get("source_format", ""),
    )


def join_chunks(chunks: Sequence[tuple[dict[str, Any], str]]) -> str:
    """Rebuild an abstract from its chunks' offsets (cleaned text: gaps are single spaces)."""
    length = max(int(m["end"]) for m, _ in chunks)
    buf = [" "] * length
    for meta, text in chunks:
        buf[int(meta["start"]) : int(meta["end"])] = text
    return "".join(buf)


class PaperStore:
    """A Chroma collection of paper chunks. `open()` checks the manifest against the configured model."""

    def __init__(self, settings: Settings, client: Any = None):
        self.settings = settings
        self._client = client
        self._collection = None

    # ----- connection -------------------------------------------------------------------------------------
    @property
    def location(self) -> str:
        s = self.settings.store
        if s.backend == "chroma-http":
            return f"{'https' if s.ssl else 'http'}://{s.host}:{s.port} (collection '{s.collection}')"
        return f"{s.persist_dir} (collection '{s.collection}')"

    @property
    def client(self) -> Any:
        if self._client is None:
            import chromadb
            from chromadb.config import Settings as ChromaSettings

            s = self.settings.store
            chroma_settings = ChromaSettings(anonymized_telemetry=False, allow_reset=True)
            if s.backend == "chroma-http":
                try:
                    self._client = chromadb.HttpClient(
                        host=s.host, port=s.port, ssl=s.ssl, settings=chroma_settings
                    )
                    self._client.heartbeat()
                except Exception as e:  # connection refused, DNS, TLS: all mean "not reachable"
                    raise StoreError(
                        f"cannot reach the Chroma server at {'https' if s.ssl else 'http'}://{s.host}:{s.port} "
                        f"({type(e).__name__}). Start it with `chroma run --path DIR --host {s.host} "
                        f"--port {s.port}`, or set store.backend: chroma-persistent."
                    ) from None
            else:
                try:
                    s.persist_dir.mkdir(parents=True, exist_ok=True)
                    self._client = chromadb.PersistentClient(path=str(s.persist_dir), settings=chroma_settings)
                except Exception as e:
                    raise StoreError(f"cannot open the Chroma store at {s.persist_dir}: {e}") from None
        return self._client

    def _get_collection(self) -> Any | None:
        from chromadb.errors import NotFoundError

        s = self.settings.store
        if s.backend == "chroma-persistent" and self._client is None and not s.persist_dir.exists():
            return None  # nothing ingested yet; do not create an empty store just by looking
        try:
            return self.client.get_collection(self.settings.store.collection, embedding_function=None)
        except (NotFoundError, ValueError):
            return None

    def reload(self) -> None:
        """Forget the cached collection handle, so its manifest and generation are read afresh."""
        self._collection = self._get_collection()

    @property
    def collection(self) -> Any:
        if self._collection is None:
            self._collection = self._get_collection()
            if self._collection is None:
                raise EmptyIndexError(
                    f"no index at {self.location}: run `paperrag ingest` first "
                    "(with no path it ingests the bundled corpus)."
                )
        return self._collection

    # ----- manifest ---------------------------------------------------------------------------------------
    def wanted_manifest(self, model_id: str, dimension: int) -> dict[str, Any]:
        c = self.settings.chunking
        return {
            "paperrag_schema": SCHEMA_VERSION,
            "embedding_model": model_id,
            "embedding_dim": dimension,
            "chunk_max_tokens": c.max_tokens,
            "chunk_overlap_tokens": c.overlap_tokens,
        }

    @property
    def manifest(self) -> dict[str, Any]:
        return dict(self.collection.metadata or {})

    def check_model(self, model_id: str, dimension: int | Callable[[], int], *, for_writing: bool = False) -> None:
        """Refuse an index built with another model (or, when writing, other chunking).

        `dimension` may be a callable: it is called only when the manifest names another model, so checking an
        index built with the configured model never loads the model.
        """
        have = self.manifest
        if callable(dimension):
            same = have.get("embedding_model") == model_id and "embedding_dim" in have
            dimension = int(have["embedding_dim"]) if same else dimension()
        if "embedding_model" not in have:
            if self.collection.count() == 0:
                return
            raise ModelMismatchError(
                f"the collection at {self.location} was not built by PaperRAG (no manifest). "
                + _rebuild_hint(self.settings)
            )
        if have.get("paperrag_schema") != SCHEMA_VERSION:
            raise ModelMismatchError(
                f"the index at {self.location} has schema version {have.get('paperrag_schema')}, this "
                f"PaperRAG uses {SCHEMA_VERSION}. " + _rebuild_hint(self.settings)
            )
        if have["embedding_model"] != model_id or int(have["embedding_dim"]) != dimension:
            raise ModelMismatchError(
                f"the index at {self.location} was built with embedding model {have['embedding_model']} "
                f"(dim {have['embedding_dim']}); the config asks for {model_id} (dim {dimension}). "
                + _rebuild_hint(self.settings)
            )
        want = self.wanted_manifest(model_id, dimension)
        if for_writing and any(have.get(k) != want[k] for k in ("chunk_max_tokens", "chunk_overlap_tokens")):
            raise ModelMismatchError(
                f"the index at {self.location} was chunked with max_tokens={have.get('chunk_max_tokens')}, "
                f"overlap_tokens={have.get('chunk_overlap_tokens')}; the config asks for "
                f"{want['chunk_max_tokens']}/{want['chunk_overlap_tokens']}. " + _rebuild_hint(self.settings)
            )

    def open_for_writing(self, model_id: str, dimension: Callable[[], int], *, rebuild: bool = False) -> None:
        """Open (creating if needed) the collection for writing; refuse one built with other settings.

        `dimension` is called only when needed, so a re-run with nothing to embed never loads the model.
        """
        name = self.settings.store.collection
        if rebuild and self._get_collection() is not None:
            self.client.delete_collection(name)
        self._collection = self._get_collection()
        if self._collection is not None:
            self.check_model(model_id, dimension, for_writing=True)
            return
        manifest = {
            **self.wanted_manifest(model_id, dimension()),
            "generation": 0,
            "created": datetime.now(timezone.utc).isoformat(timespec="seconds"),
        }
        self._collection = self.client.create_collection(
            name,
            embedding_function=None,  # we always pass our own vectors; never Chroma's ONNX default
            configuration={"hnsw": {"space": "cosine"}},
            metadata=manifest,
        )

    @property
    def generation(self) -> int:
        return int(self.manifest.get("generation", 0))

    def _bump_generation(self) -> None:
        meta = self.manifest
        meta["generation"] = int(meta.get("generation", 0)) + 1
        meta["updated_at"] = datetime.now(timezone.utc).isoformat(timespec="seconds")
        self.collection.modify(metadata=meta)

    # ----- reading ----------------------------------------------------------------------------------------
    def count_chunks(self) -> int:
        return self.collection.count()

    def _get_all(self, where: dict | None, include: list[str]) -> Iterator[tuple[str, dict, str | None]]:
        offset = 0
        while True:
            res = self.collection.get(where=where, include=include, limit=PAGE, offset=offset)
            docs = res.get("documents") or [None] * len(res["ids"])
            for cid, meta, doc in zip(res["ids"], res["metadatas"], docs):
                yield cid, meta, doc
            if len(res["ids"]) < PAGE:
                return
            offset += PAGE

    def iter_paper_metadata(self) -> Iterator[dict[str, Any]]:
        """Metadata of every paper (its first chunk)."""
        for _, meta, _ in self._get_all({"chunk_index": 0}, ["metadatas"]):
            yield meta

    def iter_chunks(self) -> Iterator[tuple[str, dict[str, Any], str]]:
        for cid, meta, doc in self._get_all(None, ["metadatas", "documents"]):
            yield cid, meta, doc or ""

    def get_papers(self, paper_ids: Iterable[str]) -> dict[str, StoredPaper]:
        ids = sorted(set(paper_ids))
        if not ids:
            return {}
        res = self.collection.get(where={"paper_id": {"$in": ids}}, include=["metadatas", "documents"])
        by_paper: dict[str, list[tuple[dict, str]]] = {}
        for meta, doc in zip(res["metadatas"], res["documents"]):
            by_paper.setdefault(meta["paper_id"], []).append((meta, doc))
        out: dict[str, StoredPaper] = {}
        for pid, chunks in by_paper.items():
            chunks.sort(key=lambda md: md[0]["chunk_index"])
            first = chunks[0][0]
            complete = (
                first["chunk_index"] == 0
                and len(chunks) == first["n_chunks"]
                and all(m["content_hash"] == first["content_hash"] for m, _ in chunks)
            )
            paper = paper_from_metadata(first, join_chunks(chunks))
            # An incomplete paper (never expected: writes are whole papers) gets an empty hash so it is rewritten.
            out[pid] = StoredPaper(paper, pid, first["content_hash"] if complete else "", len(chunks))
        return out

    def find_papers(self, arxiv_ids: set[str], dois: set[str], title_keys: set[str]) -> dict[str, StoredPaper]:
        """Stored papers matching any of the keys (the same paper from another source)."""
        clauses = [
            {field: {"$in": sorted(values)}}
            for field, values in (("arxiv_id", arxiv_ids), ("doi", dois), ("title_key", title_keys))
            if values
        ]
        if not clauses or self.collection.count() == 0:
            return {}
        cond = clauses[0] if len(clauses) == 1 else {"$or": clauses}
        res = self.collection.get(where={"$and": [{"chunk_index": 0}, cond]}, include=["metadatas"])
        return self.get_papers(m["paper_id"] for m in res["metadatas"])

    def query(self, embedding: Sequence[float], n: int, where: dict | None = None) -> list[ChunkHit]:
        total = self.collection.count()
        if total == 0:
            return []
        res = self.collection.query(
            query_embeddings=[list(map(float, embedding))],
            n_results=min(n, total),
            where=where,
            include=["metadatas", "documents", "distances"],
        )
        return [
            ChunkHit(cid, meta["paper_id"], doc, meta, 1.0 - float(dist))
            for cid, meta, doc, dist in zip(
                res["ids"][0], res["metadatas"][0], res["documents"][0], res["distances"][0]
            )
        ]

    def stats(self) -> dict[str, Any]:
        coll = self._get_collection()
        manifest = dict(coll.metadata or {}) if coll is not None else {}
        dates, years, papers, chunks = [], [], 0, 0
        if coll is not None:
            self._collection = coll
            chunks = coll.count()
            for meta in self.iter_paper_metadata():
                papers += 1
                if meta.get("date"):
                    dates.append(meta["date"])
                elif meta.get("year"):
                    years.append(meta["year"])
        lo = min(dates + [f"{y}" for y in years], default=None)
        hi = max(dates + [f"{y}" for y in years], default=None)
        return {
            "papers": papers,
            "chunks": chunks,
            "date_range": [lo, hi] if lo else None,
            "undated_papers": papers - len(dates) - len(years),
            "embedding_model": manifest.get("embedding_model"),
            "embedding_dim": manifest.get("embedding_dim"),
            "chunking": {
                "max_tokens": manifest.get("chunk_max_tokens"),
                "overlap_tokens": manifest.get("chunk_overlap_tokens"),
            },
            "schema_version": manifest.get("paperrag_schema"),
            "generation": manifest.get("generation"),
            "store": {
                "backend": self.settings.store.backend,
                "location": self.location,
            },
        }

    # ----- writing ----------------------------------------------------------------------------------------
    def replace_papers(
        self,
        remove: dict[str, int],
        papers: Sequence[tuple[Paper, list[Chunk]]],
        embeddings: Sequence[Sequence[float]],
    ) -> None:
        """Delete the chunks of `remove` (paper_id -> chunk count), then add `papers`' chunks in one write.

        Deleting first means a run killed in between leaves the paper absent, never half old and half new;
        the next run adds it again.
        """
        self._bump_generation()  # before writing: a crash can only make derived indexes look stale
        if remove:
            self.collection.delete(ids=[f"{pid}#{i}" for pid, n in remove.items() for i in range(n)])
        ids, metas, docs = [], [], []
        for paper, chunks in papers:
            for chunk in chunks:
                ids.append(chunk.chunk_id)
                metas.append(paper_metadata(paper, chunk, len(chunks)))
                docs.append(chunk.text)
        if len(ids) != len(embeddings):
            raise StoreError(f"internal: {len(ids)} chunks but {len(embeddings)} embeddings")
        if ids:
            import numpy as np

            vectors = np.asarray(embeddings, dtype=np.float32)
            self.collection.upsert(ids=ids, embeddings=vectors, metadatas=metas, documents=docs)

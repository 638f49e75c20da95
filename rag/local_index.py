"""Indexes derived from the store and kept beside it: BM25 over chunks and vectors of every sentence.

Chroma holds the source of truth (chunks and their vectors). Lexical search and sentence-level evidence need
two more structures; they are built from the store, saved under `store.cache_dir`, and tagged with the store's
write generation. Ingest refreshes them after writing; a reader that finds them missing or stale (another
process wrote to the store) rebuilds them once, reusing the vectors of sentences whose paper did not change.
"""

from __future__ import annotations

import json
import os
import shutil
import time
from dataclasses import dataclass, field
from pathlib import Path
from typing import TYPE_CHECKING, Any

from rag.lexical import idf_table, term_set, terms
from rag.text import short_hash

if TYPE_CHECKING:
    import numpy as np

    from rag.embeddings import Embedder
    from rag.settings import Settings
    from rag.store import PaperStore

FORMAT_VERSION = 1


@dataclass
class ChunkRecord:
    chunk_id: str
    paper_id: str
    text: str
    meta: dict[str, Any]


@dataclass
class SentenceRecord:
    paper_id: str
    start: int  # offset in the abstract
    text: str


@dataclass
class LocalIndex:
    generation: int
    model_id: str
    chunks: list[ChunkRecord]
    sentences: list[SentenceRecord]
    vectors: "np.ndarray"  # one unit vector per sentence
    bm25: Any = None  # bm25s.BM25, None when the store is empty
    papers: dict[str, dict[str, Any]] = field(default_factory=dict)  # paper_id -> metadata of chunk 0
    paper_sentences: dict[str, list[int]] = field(default_factory=dict)
    sentence_terms: list[set[str]] = field(default_factory=list)
    idf: dict[str, float] = field(default_factory=dict)
    vocab: set[str] = field(default_factory=set)
    paper_terms: dict[str, set[str]] = field(default_factory=dict)  # every term of a paper's title and abstract
    chunk_pos: dict[str, int] = field(default_factory=dict)

    def __post_init__(self) -> None:
        self.chunk_pos = {c.chunk_id: i for i, c in enumerate(self.chunks)}
        self.papers, self.paper_sentences = {}, {}
        for c in self.chunks:
            if c.meta.get("chunk_index") == 0:
                self.papers[c.paper_id] = c.meta
        for i, s in enumerate(self.sentences):
            self.paper_sentences.setdefault(s.paper_id, []).append(i)
        self.sentence_terms = [term_set(s.text) for s in self.sentences]
        self.paper_terms = {}
        for c in self.chunks:
            self.paper_terms.setdefault(c.paper_id, set()).update(term_set(c.meta.get("title", "") + " " + c.text))
        self.idf = idf_table(self.paper_terms.values())
        self.vocab = set(self.idf)

    # ----- search -----------------------------------------------------------------------------------------
    def bm25_search(self, query: str, n: int, allowed: "np.ndarray | None" = None) -> list[tuple[int, float]]:
        """(chunk position, BM25 score) of the best chunks; `allowed` is a 0/1 mask over chunks."""
        q = [t for t in terms(query) if t in self.vocab]
        if not q or self.bm25 is None or not self.chunks:
            return []
        k = min(n, len(self.chunks))
        docs, scores = self.bm25.retrieve([q], k=k, show_progress=False, weight_mask=allowed)
        return [(int(d), float(s)) for d, s in zip(docs[0], scores[0]) if s > 0]

    # ----- persistence ------------------------------------------------------------------------------------
    def save(self, folder: Path) -> None:
        import numpy as np

        tmp = folder.with_name(f"{folder.name}.tmp-{os.getpid()}")
        shutil.rmtree(tmp, ignore_errors=True)
        tmp.mkdir(parents=True)
        with open(tmp / "chunks.jsonl", "w", encoding="utf-8") as f:
            for c in self.chunks:
                f.write(json.dumps([c.chunk_id, c.paper_id, c.text, c.meta], ensure_ascii=False) + "\n")
        with open(tmp / "sentences.jsonl", "w", encoding="utf-8") as f:
            for s in self.sentences:
                f.write(json.dumps([s.paper_id, s.start, s.text], ensure_ascii=False) + "\n")
        np.save(tmp / "vectors.npy", self.vectors)
        if self.bm25 is not None:
            self.bm25.save(str(tmp / "bm25"), show_progress=False)
        (tmp / "meta.json").write_text(
            json.dumps(
                {
                    "format": FORMAT_VERSION,
                    "generation": self.generation,
                    "model_id": self.model_id,
                    "chunks": len(self.chunks),
                    "sentences": len(self.sentences),
                    "built": time.strftime("%Y-%m-%dT%H:%M:%S"),
                }
            )
        )
        old = folder.with_name(f"{folder.name}.old-{os.getpid()}")
        if folder.exists():
            folder.rename(old)
        tmp.rename(folder)
        shutil.rmtree(old, ignore_errors=True)

    @classmethod
    def load(cls, folder: Path) -> "LocalIndex | None":
        import numpy as np

        try:
            meta = json.loads((folder / "meta.json").read_text())
            if meta.get("format") != FORMAT_VERSION:
                return None
            with open(folder / "chunks.jsonl", encoding="utf-8") as f:
                chunks = [ChunkRecord(*json.loads(line)) for line in f]
            with open(folder / "sentences.jsonl", encoding="utf-8") as f:
                sentences = [SentenceRecord(*json.loads(line)) for line in f]
            vectors = np.load(folder / "vectors.npy")
            bm25 = None
            if chunks:
                import bm25s

                bm25 = bm25s.BM25.load(str(folder / "bm25"), show_progress=False)
        except (OSError, ValueError, KeyError, TypeError):
            return None  # missing or damaged: the caller rebuilds
        return cls(meta["generation"], meta["model_id"], chunks, sentences, vectors, bm25)


def cache_folder(settings: "Settings", store: "PaperStore") -> Path:
    return Path(settings.store.cache_dir) / f"{settings.store.collection}-{short_hash(store.location, length=10)}"


def _sentences_of(chunks: list[ChunkRecord]) -> list[SentenceRecord]:
    seen: set[tuple[str, int]] = set()
    out: list[SentenceRecord] = []
    for c in sorted(chunks, key=lambda c: (c.paper_id, c.meta["chunk_index"])):
        for a, b in json.loads(c.meta["sentences"]):
            key = (c.paper_id, c.meta["start"] + a)
            if key not in seen:
                seen.add(key)
                out.append(SentenceRecord(c.paper_id, key[1], c.text[a:b]))
    return out


def build(store: "PaperStore", embedder: "Embedder", previous: LocalIndex | None = None) -> LocalIndex:
    """Build from the store's chunks, re-embedding only sentences of papers that changed since `previous`."""
    import numpy as np

    generation = store.generation
    chunks = sorted(
        (ChunkRecord(cid, meta["paper_id"], doc, meta) for cid, meta, doc in store.iter_chunks()),
        key=lambda c: c.chunk_id,
    )
    sentences = _sentences_of(chunks)
    hashes = {c.paper_id: c.meta["content_hash"] for c in chunks}

    reuse: dict[tuple[str, int, str], int] = {}
    if previous is not None and previous.model_id == embedder.model_id:
        prev_hash = {pid: m["content_hash"] for pid, m in previous.papers.items()}
        for i, s in enumerate(previous.sentences):
            if prev_hash.get(s.paper_id) == hashes.get(s.paper_id):
                reuse[(s.paper_id, s.start, s.text)] = i
    missing = [i for i, s in enumerate(sentences) if (s.paper_id, s.start, s.text) not in reuse]
    dim = previous.vectors.shape[1] if previous is not None and len(previous.vectors) else None
    new_vectors = embedder.embed([sentences[i].text for i in missing]) if missing else None
    if dim is None:
        dim = new_vectors.shape[1] if new_vectors is not None else embedder.dimension
    vectors = np.zeros((len(sentences), dim), dtype=np.float32)
    for i, s in enumerate(sentences):
        j = reuse.get((s.paper_id, s.start, s.text))
        if j is not None:
            vectors[i] = previous.vectors[j]
    if new_vectors is not None:
        vectors[missing] = new_vectors

    bm25 = None
    if chunks:
        import bm25s

        bm25 = bm25s.BM25()
        bm25.index([terms(c.meta.get("title", "") + " " + c.text) or ["_"] for c in chunks], show_progress=False)
    return LocalIndex(generation, embedder.model_id, chunks, sentences, vectors, bm25)


def refresh(
    settings: "Settings", store: "PaperStore", embedder: "Embedder", current: LocalIndex | None = None
) -> LocalIndex:
    """The up-to-date index: `current` or the saved one if fresh, else rebuilt and saved."""
    folder = cache_folder(settings, store)
    generation = store.generation

    def fresh(idx: LocalIndex | None) -> bool:
        return idx is not None and idx.generation == generation and idx.model_id == embedder.model_id

    if fresh(current):
        return current  # type: ignore[return-value]
    saved = LocalIndex.load(folder)
    if fresh(saved):
        return saved  # type: ignore[return-value]
    idx = build(store, embedder, previous=current or saved)
    idx.save(folder)
    return idx

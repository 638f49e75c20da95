"""Plain retrievers over whole abstracts, the yardsticks every report shows beside PaperRAG's own modes.

  plain-bm25   bm25s with its own English tokenizer (stopwords, Snowball stemmer) over "title abstract", one
               document per paper: the standard BM25 baseline, sharing nothing with PaperRAG's lexical index.
  plain-dense  cosine between the question and "title. abstract" embedded by the same model (the paper vectors
               Chroma stores, compared exhaustively): the standard dense baseline.
  plain-rrf    reciprocal rank fusion (k=60) of the two lists above, 100 deep: the standard hybrid baseline.
Both see the raw question only: no follow-up resolution, no date filters, no fusion, no re-ranking.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import TYPE_CHECKING, Any

if TYPE_CHECKING:
    import numpy as np

PLAIN = ("plain-bm25", "plain-dense", "plain-rrf")
RRF_DEPTH = 100
RRF_K = 60


@dataclass
class PlainRetrievers:
    ids: list[str]
    bm25: Any
    stemmer: Any
    vectors: "np.ndarray"
    embed_query: Any

    @classmethod
    def build(cls, engine: Any) -> "PlainRetrievers":
        """Over every paper of the engine's library (its stored texts and paper vectors)."""
        import bm25s
        import numpy as np
        import Stemmer

        got = engine.library.chroma.papers.get(include=["metadatas", "embeddings"])
        ids = list(got["ids"])
        stored = engine.library.get_papers(ids)  # abstracts live in the sentence records (rag/library/chroma.py)
        texts = [f"{m['title']} {stored[pid].paper.abstract if pid in stored else ''}"
                 for pid, m in zip(ids, got["metadatas"])]
        stemmer = Stemmer.Stemmer("english")
        model = bm25s.BM25()
        model.index(bm25s.tokenize(texts, stopwords="en", stemmer=stemmer, show_progress=False), show_progress=False)
        vectors = np.asarray(got["embeddings"], dtype=np.float32)
        return cls(ids, model, stemmer, vectors, engine.embedder.embed_query)

    def rank(self, name: str, question: str, k: int) -> list[str]:
        import bm25s
        import numpy as np

        k = min(k, len(self.ids))
        if name == "plain-bm25":
            tokens = bm25s.tokenize([question], stopwords="en", stemmer=self.stemmer, show_progress=False)
            if not tokens.vocab:
                return []
            docs, scores = self.bm25.retrieve(tokens, k=k, show_progress=False)
            return [self.ids[int(d)] for d, s in zip(docs[0], scores[0]) if s > 0]
        if name == "plain-dense":
            sims = self.vectors @ self.embed_query(question)
            return [self.ids[int(i)] for i in np.argsort(-sims)[:k]]
        if name == "plain-rrf":
            fused: dict[str, float] = {}
            for ranking in (self.rank("plain-bm25", question, RRF_DEPTH), self.rank("plain-dense", question, RRF_DEPTH)):
                for r, pid in enumerate(ranking, start=1):
                    fused[pid] = fused.get(pid, 0.0) + 1.0 / (RRF_K + r)
            return sorted(fused, key=lambda pid: -fused[pid])[:k]
        raise ValueError(name)

"""What of a paper gets a vector, and encoding a batch of papers in one pass over the encoder.

Two kinds of text, each encoded once:
  - the paper: "title. abstract", as far as the encoder reads (256 word pieces for all-MiniLM-L6-v2). Dense search
    runs on these vectors, one per paper.
  - every sentence of the abstract, on its own. Evidence, citation checks and the dense re-ranking use these.

Chosen by measurement (scripts and numbers in the README, "What gets a vector"): on pubmedqa-dev, dense hit@1 is
0.974 with paper vectors, 0.970 with the overlapping 200-token chunks used before, and 0.896-0.948 with paper
vectors derived from sentence vectors (mean, token-weighted, position-decayed); sentence vectors pooled from one
pass over the whole abstract ("late chunking") lost 0.06 token F1 in picking the concluding sentences. So the
paper's opening is read twice, once in context and once as sentences; nothing else is.

All texts of a batch go to the encoder together, longest first, so batches hold texts of similar length.

Pooling only the sentences that lie inside the paper pass's 256-token window and encoding the rest on their own
("hybrid late chunking", issue 18) would read 37% fewer tokens, and keeps dense hit@1 (pubmedqa-dev 0.976 both;
scifact-train 0.564 -> 0.555), but the pooled vectors carry the paper's topic (cosine with the question 0.61 against
0.47 for the same sentences alone), crowd out the independently encoded ones, and token F1 of the two best
sentences against the conclusion fell 0.493 -> 0.449 on pubmedqa-dev; even abstracts that fit the window wholly
lost (0.522 -> 0.408). Not used.

What makes the second pass affordable is cheaper arithmetic, not less reading (issue 18): ingest encodes with
`embedding.ingest_backend`, bf16 on a CPU with AMX, 2.3x the papers/s of onnx with the same vectors; int8, which
moves evidence and hit@1 by more than 0.01, stays an opt-in (rag/embeddings.py, README "ingest speed").
"""

from __future__ import annotations

from typing import TYPE_CHECKING, Callable, Sequence

from rag.library import VectorizedPaper
from rag.text import sentence_spans
from rag.types import Paper

if TYPE_CHECKING:
    from rag.embeddings import Embedder


def paper_text(paper: Paper) -> str:
    """What the encoder reads for the paper vector: the title gives the abstract its topic."""
    return f"{paper.title}. {paper.abstract}"


def spans_of(paper: Paper) -> list[tuple[int, int]]:
    return sentence_spans(paper.abstract) or [(0, len(paper.abstract))]


def vectorize(
    papers: Sequence[Paper], embedder: "Embedder", progress: Callable[[float], None] | None = None
) -> list[VectorizedPaper]:
    """Encode each paper and each of its sentences once; `progress` receives papers done (fractions included)."""
    spans = [spans_of(p) for p in papers]
    texts: list[str] = []
    for p, sp in zip(papers, spans):
        texts.append(paper_text(p))
        texts.extend(p.abstract[a:b] for a, b in sp)
    per_text = len(papers) / len(texts) if texts else 0.0
    vectors = embedder.embed(texts, progress=(lambda n: progress(n * per_text)) if progress else None)
    out, i = [], 0
    for p, sp in zip(papers, spans):
        out.append(VectorizedPaper(p, vectors[i], sp, vectors[i + 1 : i + 1 + len(sp)]))
        i += 1 + len(sp)
    return out

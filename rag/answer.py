"""The Answer that `ask()` returns: text with [n] markers, the cited papers with their evidence, all sources.

Everything here is plain data; `to_dict()` is JSON-ready and is what `paperrag ask --json`, the UI's API
endpoint and the eval harness read.
"""

from __future__ import annotations

from dataclasses import asdict, dataclass, field
from typing import Any


@dataclass
class Evidence:
    """A sentence of a retrieved abstract, scored against the question."""

    paper_id: str
    text: str
    start: int  # offset in the abstract
    score: float  # combined relevance used for ranking
    similarity: float  # cosine(question, sentence)
    overlap: float  # share of the question's terms in the sentence (IDF-weighted)
    asked: float = 0.0  # share of what the question asks for ("what [Dice score] does ...") in the sentence


@dataclass
class Source:
    """A retrieved paper."""

    paper_id: str
    title: str
    score: float
    date: str | None = None
    year: int | None = None
    url: str | None = None
    authors: list[str] = field(default_factory=list)
    links: list[str] = field(default_factory=list)
    dense: float | None = None  # dense score (paper and best-sentence cosine), when dense search found it
    bm25: float | None = None  # BM25 score, when lexical search found it
    dense_rank: int | None = None  # 1-based rank in the dense list, when there
    bm25_rank: int | None = None  # 1-based rank in the BM25 list, when there
    matched_terms: list[str] = field(default_factory=list)  # question words (as written) found in the paper
    arxiv_id: str | None = None
    doi: str | None = None
    evidence: list[Evidence] = field(default_factory=list)
    cited: bool = False
    named: bool = False  # the question names it by its title's name ("What is ARISE?")


@dataclass
class Citation:
    n: int
    paper_id: str
    title: str
    date: str | None
    year: int | None
    url: str | None
    evidence: list[str]
    score: float
    authors: list[str] = field(default_factory=list)
    arxiv_id: str | None = None
    doi: str | None = None


@dataclass
class AnswerSentence:
    text: str
    citations: list[int]  # citation numbers n
    unsupported: bool
    support: float  # best support score found for the sentence (0..1)
    missing: list[str] = field(default_factory=list)  # numbers / identifiers no retrieved abstract holds


@dataclass
class Answer:
    question: str
    answer: str
    abstained: bool
    citations: list[Citation] = field(default_factory=list)
    sources: list[Source] = field(default_factory=list)
    sentences: list[AnswerSentence] = field(default_factory=list)
    reason: str | None = None
    suggestions: list[dict[str, Any]] = field(default_factory=list)  # nearest papers when abstaining
    filters: dict[str, Any] = field(default_factory=dict)
    search_query: str | None = None  # what was searched after follow-up resolution and filter extraction
    evidence_strength: float = 0.0  # best evidence score; below retrieval.abstain_threshold the answer abstains
    notes: list[str] = field(default_factory=list)  # what the engine did that the reader should know
    mode: str = "hybrid"
    generator: str = "extractive"
    timings_ms: dict[str, float] = field(default_factory=dict)
    # The answer's shape (rag/shape.py): "fact", "list", "comparison", "yes-no", "not-found", or "clarify" (a
    # question back: the question refers to an earlier answer there is none of). A comparison has
    # `table` = {"columns": [...], "rows": [[{"text", "citations"}, ...], ...]}; a yes/no answer has `verdict`
    # ("Yes", "No" or "Mixed"); a list has `items` = [{"paper_id", "title", "year", "text", "citations"}].
    kind: str = "fact"
    table: dict[str, Any] | None = None
    verdict: str | None = None
    items: list[dict[str, Any]] = field(default_factory=list)

    def to_dict(self) -> dict[str, Any]:
        return {
            "question": self.question,
            "answer": self.answer,
            "abstained": self.abstained,
            "reason": self.reason,
            "citations": [asdict(c) for c in self.citations],
            "sources": [
                {
                    "paper_id": s.paper_id,
                    "title": s.title,
                    "score": round(s.score, 6),
                    "cited": s.cited,
                    "named": s.named,
                    "date": s.date,
                    "year": s.year,
                    "url": s.url,
                    "authors": s.authors,
                    "arxiv_id": s.arxiv_id,
                    "doi": s.doi,
                    "dense": None if s.dense is None else round(s.dense, 4),
                    "bm25": None if s.bm25 is None else round(s.bm25, 4),
                    "dense_rank": s.dense_rank,
                    "bm25_rank": s.bm25_rank,
                    "matched_terms": s.matched_terms,
                    "evidence": [
                        {"text": e.text, "score": round(e.score, 4), "similarity": round(e.similarity, 4)}
                        for e in s.evidence[:3]
                    ],
                }
                for s in self.sources
            ],
            "sentences": [asdict(s) for s in self.sentences],
            "suggestions": self.suggestions,
            "filters": self.filters,
            "search_query": self.search_query,
            "evidence_strength": round(self.evidence_strength, 4),
            "notes": self.notes,
            "mode": self.mode,
            "generator": self.generator,
            "timings_ms": {k: round(v, 2) for k, v in self.timings_ms.items()},
            "kind": self.kind,
            "table": self.table,
            "verdict": self.verdict,
            "items": self.items,
        }

    def to_text(self) -> str:
        """The terminal rendering: answer, then the numbered cited papers with their evidence."""
        lines = [self.answer]
        if self.filters.get("phrase") or self.filters:
            desc = ", ".join(f"{k}={v}" for k, v in self.filters.items() if k not in ("phrase", "paper_ids"))
            if desc:
                lines.append(f"\n(filter applied: {desc})")
        if self.abstained and self.suggestions:
            lines.append("\nNearest papers in the collection:")
            for s in self.suggestions:
                lines.append(f"  - {s['title']} ({s.get('date') or s.get('year') or 'n.d.'})")
        if self.citations:
            lines.append("\nSources:")
            for c in self.citations:
                when = c.date or (str(c.year) if c.year else "n.d.")
                lines.append(f"[{c.n}] {c.title} ({when})" + (f" {c.url}" if c.url else ""))
                for ev in c.evidence:
                    lines.append(f'    > "{ev}"')
        return "\n".join(lines)

"""The Answer that `ask()` returns: typed blocks (a verdict, sentences, a list of papers, a comparison table, a
notice), each sentence with its checked citations, the cited papers with their evidence, and every source.

Everything here is plain data; `to_dict()` is JSON-ready and is what `paperrag ask --json`, the UI's API endpoint
and the eval harness read. The blocks are drawn once per medium by rag/render/ (text, Markdown) and ui/render.py
(HTML); nothing recognises an answer by its wording.
"""

from __future__ import annotations

from dataclasses import asdict, dataclass, field
from typing import Any, Union


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
    categories: list[str] = field(default_factory=list)  # arXiv categories, the primary first
    evidence: list[Evidence] = field(default_factory=list)
    cited: bool = False
    named: bool = False  # the question names it ("What is ARISE?", "Compare GraNet and Global MP")
    abstract: str = ""  # the whole abstract, for "show the abstract" and for naming the paper
    name: str = ""  # what a sentence calls it (rag/names.py display_name)


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
    categories: list[str] = field(default_factory=list)


@dataclass
class AnswerSentence:
    text: str
    citations: list[int]  # citation numbers n
    unsupported: bool
    support: float  # best support score found for the sentence (0..1)
    missing: list[str] = field(default_factory=list)  # numbers / identifiers no retrieved abstract holds
    role: str = ""  # what it is in the answer: lead, context, deciding, approach, finding, item, summary, quote
    paper_ids: list[str] = field(default_factory=list)  # the papers it quotes or describes
    quote: str = ""  # the abstract's sentence it quotes, as written ("" for the engine's own words)


# ----- the blocks of an answer -------------------------------------------------------------------------------------
@dataclass
class PaperVerdict:
    """One paper's stance on the claim of a yes/no question."""

    n: int | None  # its citation number (None when nothing of it is quoted)
    paper_id: str
    title: str
    label: str  # Yes | No | Possibly | Not stated


@dataclass
class VerdictBlock:
    """The verdict of a yes/no question, with how many papers support it, contradict it or do not say."""

    label: str  # Yes | No | Possibly | Mixed | Not stated
    papers: list[PaperVerdict] = field(default_factory=list)
    type: str = "verdict"

    @property
    def counts(self) -> dict[str, int]:
        out = {"Yes": 0, "No": 0, "Possibly": 0, "Not stated": 0}
        for p in self.papers:
            out[p.label] = out.get(p.label, 0) + 1
        return out


@dataclass
class SentencesBlock:
    """Sentences of the answer, each with its checked citations. `role`: answer (leads with what was asked),
    context, summary (a comparison's), quote (a false premise's correction)."""

    sentences: list[AnswerSentence]
    role: str = "answer"
    type: str = "sentences"


@dataclass
class Item:
    paper_id: str
    title: str
    year: int | None
    sentence: AnswerSentence


@dataclass
class ItemsBlock:
    """Papers that match, one cited sentence each. `total` is how many match; `items` may hold only the first
    page of them (the renderers say how many more there are)."""

    items: list[Item]
    total: int
    type: str = "items"


@dataclass
class Cell:
    text: str
    citations: list[int] = field(default_factory=list)
    paper_ids: list[str] = field(default_factory=list)  # the paper a quoted cell comes from
    quote: str = ""  # the abstract's sentence it quotes, as written


@dataclass
class TableBlock:
    """A comparison: one row per paper, cells from its own sentences, each cell cited."""

    columns: list[str]
    rows: list[list[Cell]]
    type: str = "table"


@dataclass
class NoticeBlock:
    """Something the engine says itself rather than quotes: not found, not stated, a premise the papers do not
    support, a question back, how many more papers match."""

    kind: str  # not-found | not-stated | premise | clarify | more
    text: str
    paper_ids: list[str] = field(default_factory=list)  # the papers it is about
    citations: list[int] = field(default_factory=list)  # their citation numbers
    type: str = "notice"


Block = Union[VerdictBlock, SentencesBlock, ItemsBlock, TableBlock, NoticeBlock]


@dataclass
class Answer:
    question: str
    answer: str  # the answer as plain text with [n] markers (rag/render/text.py over `blocks`)
    abstained: bool
    citations: list[Citation] = field(default_factory=list)
    sources: list[Source] = field(default_factory=list)
    sentences: list[AnswerSentence] = field(default_factory=list)  # every sentence of every block, in order
    reason: str | None = None
    suggestions: list[dict[str, Any]] = field(default_factory=list)  # nearest papers when abstaining
    filters: dict[str, Any] = field(default_factory=dict)
    search_query: str | None = None  # what was searched after follow-up resolution and filter extraction
    evidence_strength: float = 0.0  # below retrieval.abstain_threshold the answer abstains
    notes: list[str] = field(default_factory=list)  # what the engine did that the reader should know
    mode: str = "hybrid"
    generator: str = "extractive"
    timings_ms: dict[str, float] = field(default_factory=dict)
    usage: dict[str, Any] = field(default_factory=dict)  # a language model's token counts, when one wrote
    # fact | list | comparison | yes-no | papers | not-found | not-stated | clarify (rag/question KINDS, by shape)
    kind: str = "fact"
    blocks: list[Block] = field(default_factory=list)

    # ----- the blocks, as the fields earlier versions had ----------------------------------------------------
    @property
    def verdict(self) -> str | None:
        return next((b.label for b in self.blocks if isinstance(b, VerdictBlock)), None)

    @property
    def items(self) -> list[dict[str, Any]]:
        block = next((b for b in self.blocks if isinstance(b, ItemsBlock)), None)
        return [{"paper_id": i.paper_id, "title": i.title, "year": i.year, "text": i.sentence.text,
                 "citations": i.sentence.citations} for i in block.items] if block else []

    @property
    def table(self) -> dict[str, Any] | None:
        block = next((b for b in self.blocks if isinstance(b, TableBlock)), None)
        if block is None:
            return None
        return {"columns": block.columns, "rows": [[asdict(c) for c in row] for row in block.rows]}

    def to_dict(self) -> dict[str, Any]:
        return {
            "question": self.question,
            "answer": self.answer,
            "abstained": self.abstained,
            "reason": self.reason,
            "kind": self.kind,
            "verdict": self.verdict,
            "blocks": [asdict(b) for b in self.blocks],
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
                    "categories": s.categories,
                    "dense": None if s.dense is None else round(s.dense, 4),
                    "bm25": None if s.bm25 is None else round(s.bm25, 4),
                    "dense_rank": s.dense_rank,
                    "bm25_rank": s.bm25_rank,
                    "matched_terms": s.matched_terms,
                    "abstract": s.abstract,
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
            "usage": self.usage,
            "table": self.table,
            "items": self.items,
        }

    def to_text(self) -> str:
        """The terminal rendering: the answer, the filter, then the numbered cited papers with their evidence."""
        from rag.render.text import terminal

        return terminal(self.to_dict())

"""Finding the papers for a question: dense (Chroma), lexical (tantivy BM25), or both fused by reciprocal rank fusion.

Every retriever ranks papers (one Chroma record and one tantivy document per paper), with the filters applied
inside the engines before their top-k. Hybrid fuses three rankings of the papers the two retrievers found with
RRF (score = sum of 1 / (k + rank), Cormack et al. 2009; the method Open WebUI and llama-index's
QueryFusionRetriever use): dense, BM25, and question coverage (the IDF-weighted share of the question's terms a
paper contains, the measure rag/evidence.py also uses to decide "not found"). Coverage is the third list because
RRF of dense and BM25 alone lost to BM25 alone on the gold set (hit@1 0.971 against 0.986); with it, 1.000.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import TYPE_CHECKING, Callable, Sequence

from rag.answer import Source
from rag.filters import Filters
from rag.names import display_name
from rag.names import identifier_term, identifiers
from rag.terms import TermIDF, terms

if TYPE_CHECKING:
    import numpy as np

    from rag.library import Library, Passage
    from rag.question import Query
    from rag.settings import RetrievalSettings, Settings

MODES = ("hybrid", "dense", "bm25")


def rrf(rankings: Sequence[list[tuple[str, float]]], k: int) -> list[tuple[str, float]]:
    scores: dict[str, float] = {}
    for ranking in rankings:
        for rank, (pid, _) in enumerate(ranking, start=1):
            scores[pid] = scores.get(pid, 0.0) + 1.0 / (k + rank)
    return sorted(scores.items(), key=lambda x: -x[1])


def coverage_scores(
    question_terms: set[str], paper_terms: dict[str, frozenset[str]], idf: dict[str, float]
) -> dict[str, float]:  # question_terms: TermIDF.question_terms(question)
    """IDF-weighted share of the question's terms each paper contains (a term no paper has weighs the most)."""
    weight = {t: idf[t] for t in question_terms}
    total = sum(weight.values())
    if not total:
        return {pid: 0.0 for pid in paper_terms}
    return {pid: sum(w for t, w in weight.items() if t in pt) / total for pid, pt in paper_terms.items()}


@dataclass
class Found:
    """What a search found for a question: the papers (best first, evidence attached), their passages and terms,
    the question's term statistics, and how strongly the best of them answer it."""

    sources: list[Source]
    passages: dict[str, "Passage"]
    idf: TermIDF
    paper_terms: dict[str, frozenset[str]]
    strength: float
    weigh: Callable[[list[str]], TermIDF]  # IDF of any terms in this collection
    vector: "np.ndarray | None" = None


def rank(
    library: "Library", settings: "RetrievalSettings", text: str, vector: "np.ndarray", *, mode: str, n: int,
    filters: Filters,
) -> tuple[list[tuple[str, float]], dict[str, float], dict[str, float]]:
    """Papers for `text`, best first, within the filters: (fused ranking, dense scores, BM25 scores)."""
    depth = max(settings.candidates, n * 4)
    q_terms = terms(text)
    dense = library.dense(vector, depth, filters) if mode in ("dense", "hybrid") else []
    lexical = library.lexical_search(q_terms, depth, filters) if mode in ("bm25", "hybrid") else []
    if mode == "dense":
        fused = dense
    elif mode == "bm25":
        fused = lexical
    else:
        candidates = list(dict.fromkeys([pid for pid, _ in dense] + [pid for pid, _ in lexical]))
        idf = library.idf(q_terms)
        cov = coverage_scores(idf.question_terms(text), library.paper_terms(candidates), idf)
        by_coverage = sorted(((pid, cov.get(pid, 0.0)) for pid in candidates), key=lambda x: -x[1])
        fused = rrf([dense, lexical, by_coverage], settings.rrf_k)
    return fused, dict(dense), dict(lexical)


def search(
    library: "Library", settings: "Settings", embed_query: Callable[[str], "np.ndarray"], query: "Query", *,
    mode: str, top_k: int,
) -> Found:
    """The papers for `query`, with their evidence scored against what it asks now.

    Papers the question names come first (and a comparison's sides, each resolved to its paper); a follow-up
    searches inside the papers it refers to; a list considers `tuning.list_depth` papers, not only top_k; a
    question that lists papers by a filter alone ("Which papers did Kaiming He write?") takes them newest first."""
    from rag.evidence import score_evidence, strength

    t = settings.tuning
    filters = query.filters
    depth = max(top_k, t.list_depth) if query.kind in ("list", "papers") else top_k
    vector = embed_query(query.search)
    if query.listing:
        ids, _ = library.lexical.matching_ids(filters, depth)
        fused, dense, lexical = [(pid, 0.0) for pid in ids], {}, {}
    else:
        fused, dense, lexical = rank(library, settings.retrieval, query.search, vector, mode=mode, n=depth,
                                     filters=filters)
        first = list(query.named) + [p for p in compared(library, settings, embed_query, query, mode) if
                                     p not in query.named]
        fused = names_first(library, query, fused, max(settings.retrieval.candidates, depth * 4), filters, first)
    dense_rank = {pid: i for i, pid in enumerate(sorted(dense, key=lambda p: -dense[p]), start=1)}
    bm25_rank = {pid: i for i, pid in enumerate(sorted(lexical, key=lambda p: -lexical[p]), start=1)}
    top = fused[:depth]
    passages = library.passages([pid for pid, _ in top])
    named = set(query.named)
    sources = []
    for pid, score in top:
        passage = passages.get(pid)
        if passage is None:  # deleted between the search and now
            continue
        src = source_of(passage, score)
        src.dense, src.bm25 = dense.get(pid), lexical.get(pid)
        src.dense_rank, src.bm25_rank = dense_rank.get(pid), bm25_rank.get(pid)
        src.matched_terms = matched_words(query.search, passage)
        src.named = pid in named
        sources.append(src)
    focus_vector = vector if query.focus == query.search else embed_query(query.focus)
    claim = query.claim.text if query.claim else ""
    idf = library.idf(sorted(terms(query.search) + terms(query.focus) + terms(claim)))
    score_evidence(query, focus_vector, sources, passages, idf, t)
    paper_terms = library.paper_terms([s.paper_id for s in sources])
    return Found(sources, passages, idf, paper_terms, strength(query, sources, passages, idf, t), library.idf,
                 vector)


def compared(
    library: "Library", settings: "Settings", embed_query: Callable[[str], "np.ndarray"], query: "Query", mode: str,
) -> list[str]:
    """A comparison's sides, each as the paper it names or describes: "Compare NoProp and equilibrium propagation"
    -> NoProp's paper, then the best paper for "equilibrium propagation" (never one already chosen)."""
    if query.kind != "comparison" or not query.parts or not query.named:
        return []  # sides that name nothing ("X vs self-reported data") are left to the search of the whole
    from rag.names import key

    chosen: list[str] = []
    for part in query.parts:
        by_name = [p for n in query.names if key(n.text) == key(part) or n.text in part for p in n.papers]
        if by_name:
            chosen += [p for p in by_name if p not in chosen][:1]
            continue
        fused, _, _ = rank(library, settings.retrieval, part, embed_query(part), mode=mode, n=5,
                           filters=query.filters)
        chosen += [pid for pid, _ in fused if pid not in chosen][:1]
    return chosen


def names_first(
    library: "Library", query: "Query", ranked: list[tuple[str, float]], n: int, filters: Filters,
    first: Sequence[str] = (),
) -> list[tuple[str, float]]:
    """Papers the question names come first, whatever their other scores (`first`: the papers its names resolve
    to, a comparison's sides), then papers containing more of its identifiers ("Mamba-2", "A010", "GPT-4V"). A
    researcher naming a model means that model, and near-identical abstracts about other models (or a sentence
    where "barriers arise") must not outrank it. Names no paper has change nothing. Papers that contain them but
    neither retriever ranked are fetched."""
    # identifiers only: an acronym ("MRI", "UK") is a topic, and many papers write it
    present = [t for t in dict.fromkeys(identifier_term(i) for n in query.names for i in identifiers(n.text))
               if library.doc_freq(t)]
    if not present and not first:
        return ranked
    seen = {pid for pid, _ in ranked}
    extra = library.lexical_search(present, n, filters) if present else []
    pool = ranked + [(pid, 0.0) for pid in dict.fromkeys([*first, *(p for p, _ in extra)]) if pid not in seen]
    have = library.paper_terms([pid for pid, _ in pool])
    count = {pid: sum(t in have.get(pid, ()) for t in present) for pid, _ in pool}
    order = {pid: i for i, pid in enumerate(first)}
    return sorted(pool, key=lambda x: (order.get(x[0], len(order)), -count[x[0]]))  # stable within equal keys


def matched_words(query: str, passage: "Passage") -> list[str]:
    """The question's words (as the user wrote them) whose stemmed term occurs in the paper's title or abstract."""
    from rag.terms import has_word, keywords

    paper = passage.record.paper
    have = set(terms(f"{paper.title} {paper.abstract}"))
    return [w for w in keywords(query) if has_word(w, have)]


def source_of(passage: "Passage", score: float) -> Source:
    p = passage.record.paper
    return Source(
        paper_id=passage.record.paper_id,
        title=p.title,
        score=score,
        date=p.date,
        year=p.year,
        url=p.url,
        authors=list(p.authors),
        links=list(p.links),
        arxiv_id=p.arxiv_id,
        doi=p.doi,
        categories=list(p.categories),
        abstract=p.abstract,
        name=display_name(p.title, p.abstract),
    )

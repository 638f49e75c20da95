"""Finding the papers for a question: dense (Chroma), lexical (tantivy BM25), or both fused by reciprocal rank fusion.

Every retriever ranks papers (one Chroma record and one tantivy document per paper), with the filters applied
inside the engines before their top-k. Hybrid fuses three rankings of the papers the two retrievers found with
RRF (score = sum of 1 / (k + rank), Cormack et al. 2009; the method Open WebUI and llama-index's
QueryFusionRetriever use): dense, BM25, and question coverage (the IDF-weighted share of the question's terms a
paper contains, the measure rag/evidence.py also uses to decide "not found"). Coverage is the third list because
RRF of dense and BM25 alone lost to BM25 alone on the gold set (hit@1 0.971 against 0.986); with it, 1.000.
"""

from __future__ import annotations

from typing import TYPE_CHECKING, Sequence

from rag.answer import Source
from rag.filters import Filters
from rag.terms import identifier_term, identifiers, terms, title_names

if TYPE_CHECKING:
    import numpy as np

    from rag.library import Library, Passage
    from rag.settings import RetrievalSettings

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


def retrieve(
    library: "Library",
    settings: "RetrievalSettings",
    query: str,
    query_vector: "np.ndarray",
    *,
    mode: str,
    top_k: int,
    filters: Filters,
) -> tuple[list[Source], dict[str, "Passage"]]:
    """The top_k papers for `query`, best first, with their dense and BM25 scores, and their passages."""
    n = max(settings.candidates, top_k * 4)
    q_terms = terms(query)
    dense = library.dense(query_vector, n, filters) if mode in ("dense", "hybrid") else []
    lexical = library.lexical_search(q_terms, n, filters) if mode in ("bm25", "hybrid") else []
    if mode == "dense":
        fused = dense
    elif mode == "bm25":
        fused = lexical
    else:
        candidates = list(dict.fromkeys([pid for pid, _ in dense] + [pid for pid, _ in lexical]))
        idf = library.idf(q_terms)
        cov = coverage_scores(idf.question_terms(query), library.paper_terms(candidates), idf)
        by_coverage = sorted(((pid, cov.get(pid, 0.0)) for pid in candidates), key=lambda x: -x[1])
        fused = rrf([dense, lexical, by_coverage], settings.rrf_k)
    titled = library.titled(title_names(query), filters)
    fused = identifiers_first(library, query, fused, n, filters, titled)
    dense_score, bm25_score = dict(dense), dict(lexical)
    dense_rank = {pid: i for i, (pid, _) in enumerate(dense, start=1)}
    bm25_rank = {pid: i for i, (pid, _) in enumerate(lexical, start=1)}
    top = fused[:top_k]
    passages = library.passages([pid for pid, _ in top])
    sources = []
    for pid, score in top:
        passage = passages.get(pid)
        if passage is None:  # deleted between the search and now
            continue
        src = source_of(passage, score)
        src.dense, src.bm25 = dense_score.get(pid), bm25_score.get(pid)
        src.dense_rank, src.bm25_rank = dense_rank.get(pid), bm25_rank.get(pid)
        src.matched_terms = matched_words(query, passage)
        src.named = pid in titled
        sources.append(src)
    return sources, passages


def identifiers_first(
    library: "Library", query: str, ranked: list[tuple[str, float]], n: int, filters: Filters,
    titled: Sequence[str] = (),
) -> list[tuple[str, float]]:
    """Papers the question names come first, whatever their other scores: `titled` (papers whose title is headed
    by a name in the question: "What is ARISE?" -> "ARISE: An Adaptive ..."), then papers containing more of the
    question's identifiers ("Mamba-2", "A010", "GPT-4V"). A researcher naming a model means that model, and
    near-identical abstracts about other models (or a sentence where "barriers arise") must not outrank it.
    Names no paper has (a typo, a model the collection lacks) change nothing. Papers that contain them but
    neither retriever ranked are fetched."""
    present = [t for t in dict.fromkeys(identifier_term(i) for i in identifiers(query)) if library.doc_freq(t)]
    if not present and not titled:
        return ranked
    seen = {pid for pid, _ in ranked}
    extra = library.lexical_search(present, n, filters) if present else []
    pool = ranked + [(pid, 0.0) for pid in dict.fromkeys([*titled, *(p for p, _ in extra)]) if pid not in seen]
    have = library.paper_terms([pid for pid, _ in pool])
    count = {pid: sum(t in have.get(pid, ()) for t in present) for pid, _ in pool}
    first = set(titled)
    return sorted(pool, key=lambda x: (x[0] not in first, -count[x[0]]))  # stable within equal keys


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
    )

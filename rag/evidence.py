"""Evidence: which sentences of the retrieved abstracts answer the question, and how strongly.

A sentence's relevance mixes meaning and wording: cosine similarity of question and sentence vectors
(computed at ingest and stored in Chroma, so no encoding at question time) and the IDF-weighted share of the question's
terms that the sentence contains.

The evidence strength that decides "not found" is the mean of two things: the best sentence relevance, and how
much of the question the best paper covers (IDF-weighted share of the question's terms found anywhere in its
title and abstract, a term the collection has never seen weighing the most). Measured on the gold set, coverage
alone separates the unanswerable questions (at most 0.32: "FlashAttention-2 on LongBench" finds papers about
attention, but nothing with those names) from the answerable ones (at least 0.41) better than similarity does.
"""

from __future__ import annotations

import re
from typing import TYPE_CHECKING

from rag.answer import Evidence, Source
from rag.names import ordinary
from rag.terms import TermIDF, term_set, terms, weighted_overlap

if TYPE_CHECKING:
    import numpy as np

    from rag.library import Passage
    from rag.question import Query
    from rag.tuning import Tuning

# The weights of these signals are in rag/tuning.py (`Settings.tuning`), with the data they were chosen on.

# What kind of answer the question wants, and how a sentence that can give it looks. A matching sentence gets
# `cue_bonus` on top of its relevance when ranking evidence (not when deciding "not found"): a question that
# describes a paper at length otherwise prefers the sentences that restate the description over the one
# holding the asked-for number or dataset. Measured on key-fact recall (rag/tuning.py).
_NUMBER_CUE = re.compile(r"\d")
_DATASET_CUE = re.compile(r"\b(datasets?|benchmarks?|corpus|corpora)\b|\b[A-Z][A-Za-z]*[A-Z0-9][A-Za-z0-9-]*\b")
_FINDING_CUE = re.compile(r"\b(results?|show|shows|demonstrat\w*|reveal\w*|find|found|outperform\w*|achiev\w*)\b", re.I)
_ASKS_DATASET = re.compile(r"\b(datasets?|benchmarks?|corpora|corpus|evaluat\w*|tested|experiments?|workloads?|"
                           r"environments?|tasks?)\b", re.I)
_ASKS_FINDING = re.compile(r"\b(find|found|findings?|show|shows|results?|conclude|reveal|demonstrate|observe)\w*\b",
                           re.I)


def _cues(query: "Query") -> list[re.Pattern[str]]:
    """What a sentence that gives the asked kind of answer looks like: a number, a dataset, a finding."""
    out = []
    if query.wants_number:
        out.append(_NUMBER_CUE)
    if _ASKS_DATASET.search(query.attribute or "") or (query.kind == "attribute" and _ASKS_DATASET.search(query.focus)):
        out.append(_DATASET_CUE)
    if _ASKS_FINDING.search(query.focus):
        out.append(_FINDING_CUE)
    return out


# Within one abstract, question terms that occur in few of its sentences say what is asked (the "datasets" of
# "which datasets evaluate X"); terms in most of them only name the paper's topic. FOCUS_WEIGHT scales that
# within-paper share (`focus_weight`), added to the ranking score like the cues.


def _focus(q_terms: set[str], sentence_terms: list[set[str]], idf: dict[str, float]) -> list[float]:
    import math

    n = len(sentence_terms)
    df = {t: sum(1 for st in sentence_terms if t in st) for t in q_terms}
    weight = {t: idf.get(t, 1.0) * math.log(1 + n / df[t]) for t in q_terms if df[t]}
    total = sum(weight.values())
    if not total:
        return [0.0] * n
    return [sum(w for t, w in weight.items() if t in st) / total for st in sentence_terms]


def asked_share(phrase: set[str], sentence_terms: frozenset[str] | set[str], idf: dict[str, float]) -> float:
    total = sum(idf.get(t, 1.0) for t in phrase)
    return sum(idf.get(t, 1.0) for t in phrase if t in sentence_terms) / total if total else 0.0


# "Code is available at https://...": a sentence about where the code or data is, not about the research. It is
# never quoted as evidence unless the question asks about code, data or availability.
_AVAILABLE_CLAIM = re.compile(
    r"\b(code|codes|source code|implementation|models?|data|datasets?|package|weights)"
    r"\b[^.]{0,80}\b(is|are|will be|has been|have been)\s+(publicly |freely |openly |now |made )?"
    r"(available|released|open[- ]sourced)",
    re.I,
)
_URL = re.compile(r"https?://|www\.|github\.com", re.I)
_AVAILABILITY_WORDS = re.compile(
    r"\b(code|codes|source|implementation|available|release[ds]?|repository|project page|website|download|"
    r"found at|accessible)\b",
    re.I,
)


def about_availability(text: str) -> bool:
    """Whether a sentence says where code or data is ("Code is available at https://...", "We release our models"),
    rather than something about the research (a URL alone, e.g. a leaderboard's, does not make it so)."""
    return bool(_AVAILABLE_CLAIM.search(text) or (_URL.search(text) and _AVAILABILITY_WORDS.search(text)))


_ASKS_AVAILABILITY = re.compile(
    r"\b(code|github|implementation|available|availability|release[ds]?|open[- ]source[d]?|repository|url|link|"
    r"website|download)\b",
    re.I,
)


def score_evidence(
    query: "Query", query_vector: "np.ndarray", sources: list[Source], passages: dict[str, "Passage"],
    idf: TermIDF, t: "Tuning",
) -> None:
    """Attach every sentence of each source's abstract, scored against what the question asks now
    (`query.focus`, `query.asked`) and sorted best first, as `source.evidence`. `idf` weighs the terms."""
    import numpy as np

    q_terms = idf.question_terms(query.focus)
    quote_availability = bool(_ASKS_AVAILABILITY.search(query.focus))
    cues = _cues(query)
    asked = list(query.asked)
    for src in sources:
        passage = passages.get(src.paper_id)
        sentences = passage.sentences if passage else []
        if not sentences:
            src.evidence = []
            continue
        sims = np.stack([s.vector for s in sentences]) @ query_vector
        focus = _focus(q_terms, [s.terms for s in sentences], idf)
        evidence = []
        for sent, sim, foc in zip(sentences, sims, focus):
            if not quote_availability and about_availability(sent.text):
                continue
            overlap = weighted_overlap(q_terms, sent.terms, idf)
            share = max((asked_share(a, sent.terms, idf) for a in asked), default=0.0)
            bonus = t.cue_bonus * sum(1 for cue in cues if cue.search(sent.text)) + t.focus_weight * foc
            score = relevance(float(sim), overlap, t) + bonus + t.asked_weight * share
            evidence.append(Evidence(src.paper_id, sent.text, sent.start, score, float(sim), overlap, share))
        evidence.sort(key=lambda e: -e.score)
        src.evidence = evidence


def relevance(similarity: float, overlap: float, t: "Tuning") -> float:
    return t.similarity_weight * similarity + t.overlap_weight * overlap




_WORD_SPLIT = re.compile(r"[A-Za-z][A-Za-z'’-]*")


def coverage(query: "Query", sources: list[Source], passages: dict[str, "Passage"], idf: TermIDF, t: "Tuning"
             ) -> float:
    """Largest IDF-weighted share of the terms of `text` that one of the top sources contains. Words that only ask
    ("tell me more about", "the second paper") are not what the question is about and are left out."""
    from rag.question.followup import topicless

    text = query.search
    q = idf.question_terms(text) - topicless()
    if not q or not sources:
        return 0.0
    weight = {term: idf[term] for term in q}
    # An everyday word no paper uses ("saw", "people") is how the asker put it, not a name the collection lacks: it
    # weighs like a typical word of the question, not like the rarest (names no paper has still weigh the most).
    seen = sorted(w for term, w in weight.items() if term not in idf.unseen)
    typical = seen[len(seen) // 2] if seen else None
    # ...unless the question uses it as a name ("the Shampoo optimizer").
    names = {w.lower() for n in query.names for w in _WORD_SPLIT.findall(n.text)}
    for word in _WORD_SPLIT.findall(text):
        if word.lower() in names:
            continue
        for term in terms(word)[-1:]:
            if term in weight and term in idf.unseen and typical is not None and ordinary(word.lower()):
                weight[term] = typical
    total = sum(weight.values())
    best = 0.0
    for s in sources[: t.coverage_papers]:
        passage = passages.get(s.paper_id)
        if passage is None:
            continue
        paper = passage.record.paper
        have = term_set(f"{paper.title} {paper.abstract}")
        best = max(best, sum(w for term, w in weight.items() if term in have) / total)
    return best


def strength(query: "Query", sources: list[Source], passages: dict[str, "Passage"], idf: TermIDF, t: "Tuning"
             ) -> float:
    """How well the collection answers the question: mean of best sentence relevance and question coverage."""
    best = max((relevance(e.similarity, e.overlap, t) for s in sources for e in s.evidence), default=0.0)
    return (best + coverage(query, sources, passages, idf, t)) / 2

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
from typing import TYPE_CHECKING, Callable

from rag import tuning
from rag.answer import Evidence, Source
from rag.terms import TermIDF, term_set, weighted_overlap

if TYPE_CHECKING:
    import numpy as np

    from rag.library import Passage

# The weights of these signals are in rag/tuning.py, with the data they were chosen on.

# What kind of answer the question wants, and how a sentence that can give it looks. A matching sentence gets
# tuning.CUE_BONUS on top of its relevance when ranking evidence (not when deciding "not found"): a question that
# describes a paper at length otherwise prefers the sentences that restate the description over the one
# holding the asked-for number or dataset. Measured on key-fact recall (rag/tuning.py).
_CUES: list[tuple[re.Pattern[str], re.Pattern[str]]] = [
    (  # numbers
        re.compile(
            r"\bhow (many|much|large|long|fast|big|small|high|low|often)\b|\bby how much\b|\bup to what\b|"
            r"\bwhat (percentage|fraction|share|proportion|accuracy|score|correlation|speed-?up|resolution|size|"
            r"number|rate|error|gain|improvement|reduction)\b",
            re.I,
        ),
        re.compile(r"\d"),
    ),
    (  # datasets and benchmarks
        re.compile(r"\b(datasets?|benchmarks?|corpora|corpus|evaluated on|tested on|experiments? on)\b", re.I),
        re.compile(r"\b(datasets?|benchmarks?|corpus|corpora)\b|\b[A-Z][A-Za-z]*[A-Z0-9][A-Za-z0-9-]*\b"),
    ),
    (  # findings and results
        re.compile(r"\b(find|found|findings?|show|shows|results?|conclude|reveal|demonstrate|observe)\w*\b", re.I),
        re.compile(r"\b(results?|show|shows|demonstrat\w*|reveal\w*|find|found|outperform\w*|achiev\w*)\b", re.I),
    ),
]


# Within one abstract, question terms that occur in few of its sentences say what is asked (the "datasets" of
# "which datasets evaluate X"); terms in most of them only name the paper's topic. FOCUS_WEIGHT scales that
# within-paper share (tuning.FOCUS_WEIGHT), added to the ranking score like the cues.


def _focus(q_terms: set[str], sentence_terms: list[set[str]], idf: dict[str, float]) -> list[float]:
    import math

    n = len(sentence_terms)
    df = {t: sum(1 for st in sentence_terms if t in st) for t in q_terms}
    weight = {t: idf.get(t, 1.0) * math.log(1 + n / df[t]) for t in q_terms if df[t]}
    total = sum(weight.values())
    if not total:
        return [0.0] * n
    return [sum(w for t, w in weight.items() if t in st) / total for st in sentence_terms]


# What a question asks for is named between its question word and its verb: "What [Dice score] does X reach",
# "How much [runtime improvement over baseline gradient coding] is reported", "on how many [large-scale problems]
# is it evaluated". A sentence holding those words holds the answer more often than one restating the rest of the
# question (the setting it describes at length). tuning.ASKED_WEIGHT scales the IDF-weighted share of the asked
# words a sentence contains.
_ASKED = re.compile(
    r"\b(?:what|which|how many|how much|how|who|whose|whom)\s+(.{2,90}?)\s+"
    r"(?:does|do|did|is|are|was|were|has|have|had|can|could|should|will|would|may|might|lets|allows?)\b",
    re.I,
)


def asked_phrases(question: str) -> list[set[str]]:
    """The term sets of what the question asks for, one per question clause ("what X ... and how many Y ...")."""
    out = []
    for m in _ASKED.finditer(question):
        phrase = re.split(r"\s+(?:of|for|in|on|by|with|from|that|which)\s+the\b", m.group(1))[0]
        found = term_set(phrase)
        if found:
            out.append(found)
    return out


def asked_share(phrase: set[str], sentence_terms: frozenset[str] | set[str], idf: dict[str, float]) -> float:
    total = sum(idf.get(t, 1.0) for t in phrase)
    return sum(idf.get(t, 1.0) for t in phrase if t in sentence_terms) / total if total else 0.0


def _cues(question: str) -> list[re.Pattern[str]]:
    return [sentence_cue for question_cue, sentence_cue in _CUES if question_cue.search(question)]


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
    question: str, query_vector: "np.ndarray", sources: list[Source], passages: dict[str, "Passage"],
    idf: TermIDF,
) -> None:
    """Attach every sentence of each source's abstract, scored and sorted best first, as `source.evidence`.
    `idf` weighs the question's terms (Library.idf)."""
    import numpy as np

    q_terms = idf.question_terms(question)
    quote_availability = bool(_ASKS_AVAILABILITY.search(question))
    cues = _cues(question)
    asked = asked_phrases(question)
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
            bonus = tuning.CUE_BONUS * sum(1 for cue in cues if cue.search(sent.text)) + tuning.FOCUS_WEIGHT * foc
            score = relevance(float(sim), overlap) + bonus + tuning.ASKED_WEIGHT * share
            evidence.append(Evidence(src.paper_id, sent.text, sent.start, score, float(sim), overlap, share))
        evidence.sort(key=lambda e: -e.score)
        src.evidence = evidence


def relevance(similarity: float, overlap: float) -> float:
    return tuning.SIMILARITY_WEIGHT * similarity + tuning.OVERLAP_WEIGHT * overlap




def coverage(question: str, sources: list[Source], passages: dict[str, "Passage"], idf: TermIDF) -> float:
    """Largest IDF-weighted share of the question's terms that one of the top sources contains."""
    q = idf.question_terms(question)
    if not q or not sources:
        return 0.0
    weight = {t: idf[t] for t in q}
    total = sum(weight.values())
    best = 0.0
    for s in sources[: tuning.COVERAGE_PAPERS]:
        passage = passages.get(s.paper_id)
        if passage is None:
            continue
        paper = passage.record.paper
        have = term_set(f"{paper.title} {paper.abstract}")
        best = max(best, sum(w for t, w in weight.items() if t in have) / total)
    return best


def unknown_names(question: str, idf: TermIDF, doc_freq: Callable[[str], int]) -> list[str]:
    """The names (identifiers) the question is about when no paper mentions any of them: "What does ZebraFormer
    forecast?" in a collection without ZebraFormer. Empty when one of its names is known, or when they are a
    detail of a question whose other words carry most of it (tuning.UNKNOWN_NAME_SHARE)."""
    from rag.terms import identifier_term, identifiers

    named = identifiers(question)
    if not named or any(doc_freq(identifier_term(n)) for n in named):
        return []
    weight = {t: idf.get(t, 0.0) for t in idf.question_terms(question)}
    total = sum(weight.values())
    theirs = {t for n in named for t in term_set(n)}
    share = sum(w for t, w in weight.items() if t in theirs) / total if total else 0.0
    return named if share >= tuning.UNKNOWN_NAME_SHARE else []


def strength(question: str, sources: list[Source], passages: dict[str, "Passage"], idf: TermIDF) -> float:
    """How well the collection answers the question: mean of best sentence relevance and question coverage."""
    best = max((relevance(e.similarity, e.overlap) for s in sources for e in s.evidence), default=0.0)
    return (best + coverage(question, sources, passages, idf)) / 2

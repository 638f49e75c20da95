"""Which papers an answer is about: exactly the ones the question names; for a list, every paper above a relevance
bar (not the top k); for a comparison, the papers it names or describes, and no others.
"""

from __future__ import annotations

import re
from typing import TYPE_CHECKING

from rag.evidence import relevance
from rag.terms import lexicon, term_set

if TYPE_CHECKING:
    from rag.answer import Source
    from rag.question import Query
    from rag.terms import TermIDF
    from rag.tuning import Tuning

# Words that ask for papers rather than say what they are about ("Which papers study ...", "Is there work on").
_ASKING_WORDS = (
    "paper papers work works study studies studied article articles research list any anything there which what "
    "propose proposes proposed present presents investigate investigates explore explores about looking find "
    "deal deals address addresses use uses using compare contrast each way ways method methods approach approaches "
    "technique techniques"
)
# What a list or comparison asks about each of its papers, after saying which papers it means: "Compare the works
# that analyse X: what do they conclude?", "Which papers study X and how they mitigate Y?". The topic is X.
_ASKS_OF_EACH = re.compile(
    r"(:|;|,?\s+and\s+(?=(what|how|which|why|whether)\b)|,\s*(?=(what|how|which|why|whether)\b)).*$", re.I | re.S
)


def best_relevance(src: "Source", t: "Tuning") -> float:
    return max((relevance(e.similarity, e.overlap, t) for e in src.evidence), default=0.0)


def named(query: "Query", sources: list["Source"]) -> list[int]:
    """Indices of the sources the question names, or a follow-up refers to, in that order."""
    wanted = list(query.paper_ids)
    at = {s.paper_id: i for i, s in enumerate(sources)}
    return [at[p] for p in wanted if p in at]


def topic_terms(query: "Query", idf: "TermIDF") -> set[str]:
    """What a list question is about: its terms without the words that ask for papers, and without what it then
    asks of each paper ("...: what do they conclude?"), when what is left still says something."""
    asking = lexicon(_ASKING_WORDS)
    whole = {t for t in idf.question_terms(query.search) if t not in asking}
    head = {t for t in idf.question_terms(_ASKS_OF_EACH.sub("", query.search)) if t not in asking}
    return head if len(head) >= 2 else whole


def topic_cover(src: "Source", topic: set[str], idf: "TermIDF", paper_terms: frozenset[str]) -> float:
    """IDF-weighted share of the topic's terms the paper's title and abstract hold."""
    total = sum(idf.get(x, 1.0) for x in topic)
    return sum(idf.get(x, 1.0) for x in topic if x in paper_terms) / total if total else 0.0


def aboutness(src: "Source", t: "Tuning", dense: bool) -> float:
    """How much a paper as a whole is about the question: its dense score (paper and best-sentence cosine) when
    dense search ran, else its best sentence's relevance."""
    return (src.dense or 0.0) if dense else best_relevance(src, t)


def list_members(query: "Query", sources: list["Source"], idf: "TermIDF", paper_terms: dict[str, frozenset[str]],
                 t: "Tuning") -> list[int]:
    """Every source that is about the list's topic, however many: one that holds at least `list_cover` of the
    topic's words (IDF-weighted) and is within `list_floor` of the best paper's aboutness, or one that holds all
    of them (`list_sure_cover`) and is within `list_sure_floor`. A paper that mentions the topic in passing
    ("getting feedback through back-propagation") is not about it."""
    usable = [i for i, s in enumerate(sources) if s.evidence]
    if not usable:
        return []
    topic = topic_terms(query, idf)
    dense = any(sources[i].dense is not None for i in usable)
    best = max(aboutness(sources[i], t, dense) for i in usable) or 1.0
    if query.followup is not None and query.followup.paper_ids and not query.named:
        # "Which of them prunes whole layers?": the papers of the previous answer that match best, however little
        covers = {i: topic_cover(sources[i], topic, idf, paper_terms.get(sources[i].paper_id, frozenset()))
                  for i in usable}
        top = max(covers.values(), default=0.0)
        return [i for i in usable if top and covers[i] >= t.list_floor * top
                and aboutness(sources[i], t, dense) >= t.list_floor * best]
    out = []
    for i in usable:
        src = sources[i]
        cover = topic_cover(src, topic, idf, paper_terms.get(src.paper_id, frozenset())) if topic else 1.0
        share = aboutness(src, t, dense) / best
        if (cover >= t.list_cover and share >= t.list_floor) or (cover >= t.list_sure_cover and
                                                                 share >= t.list_sure_floor):
            out.append(i)
    return out


def fact_papers(query: "Query", sources: list["Source"], t: "Tuning") -> list[int]:
    """The papers a fact answer may quote: those the question names (or a follow-up refers to), else the best
    paper and any other whose best sentence is nearly as relevant."""
    chosen = named(query, sources)
    if chosen:
        return chosen
    usable = [i for i, s in enumerate(sources) if s.evidence]
    if not usable:
        return []
    top = max(best_relevance(sources[i], t) for i in usable)
    return [i for i in usable if best_relevance(sources[i], t) >= t.relative_floor * top]

"""Judging what the retrieved papers say about the question: whether they answer it at all, which papers the answer
is about, and, for a yes/no question, the verdict from the sentence that decides it.

  answerable   not found / not stated, on evidence               rag/judge/answerable.py
  select       the papers an answer is about (named, listed)     rag/judge/select.py
  verdict      deciding sentences and the consensus              rag/judge/verdict.py
  polarity     a sentence's stance on a claim                    rag/judge/polarity.py
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import TYPE_CHECKING

from rag.judge import answerable, select
from rag.judge.verdict import NO, NOT_STATED, PaperStance, consensus, paper_stance

if TYPE_CHECKING:
    from rag.question import Query
    from rag.retrieval import Found
    from rag.tuning import Tuning

# How many other papers may join a yes/no verdict beside the one the question is about (a priori: the answer's
# first screen).
CONSENSUS_PAPERS = 3


@dataclass
class Judgement:
    decision: str  # answer | not-found | not-stated
    shape: str  # fact | list | comparison | yes-no | papers | not-found | not-stated
    papers: list[int] = field(default_factory=list)  # indices into the sources, in the order the answer uses them
    reason: str = ""  # not found / not stated, in plain words
    verdict: str | None = None
    stances: list[PaperStance] = field(default_factory=list)
    premise: PaperStance | None = None  # a why-question whose premise the paper contradicts
    missing: str = ""  # not stated: what the paper does not report


def judge(query: "Query", found: "Found", threshold: float, t: "Tuning") -> Judgement:
    sources = found.sources
    reason = answerable.not_found(query, sources, found.strength, found.idf, threshold, t)
    if reason:
        return Judgement("not-found", "not-found", reason=reason)
    if query.listing:
        return Judgement("answer", "papers", [i for i, s in enumerate(sources) if s.evidence])
    if query.kind == "list":
        members = select.list_members(query, sources, found.idf, found.paper_terms, t)
        if members:
            return Judgement("answer", "list", members)
        if query.several and not (query.followup is not None and query.followup.paper_ids):
            return Judgement("not-found", "not-found", reason=answerable.no_member(query))
    if query.kind == "comparison":
        papers = select.named(query, sources)
        if len(papers) < 2:
            papers = select.list_members(query, sources, found.idf, found.paper_terms, t)[:4]
        if len(papers) >= 2:
            return Judgement("answer", "comparison", papers)
    if query.kind == "yes-no" and query.claim is not None:
        return _yes_no(query, found, t)
    papers = select.fact_papers(query, sources, t)
    named = select.named(query, sources)
    if named and query.kind in ("number", "attribute", "fact", "mechanism", "explanation"):
        src = sources[named[0]]
        what = answerable.missing(query, src, found.paper_terms.get(src.paper_id, frozenset()), found.idf, t)
        if what:
            return Judgement("not-stated", "not-stated", named[:1], missing=what)
    if query.kind == "explanation" and query.claim is not None and papers:
        st = paper_stance(query, sources[papers[0]], papers[0], found.idf, t)
        if st.label == NO:
            return Judgement("answer", "fact", papers, premise=st)
    return Judgement("answer", "fact", papers)


def _yes_no(query: "Query", found: "Found", t: "Tuning") -> Judgement:
    """The verdict of the paper the question is about (or the best paper), joined by other papers whose deciding
    sentence is nearly as close to the claim."""
    sources = found.sources
    primary = select.named(query, sources) or [i for i, s in enumerate(sources) if s.evidence][:1]
    if not primary:
        return Judgement("answer", "yes-no", [], verdict=NOT_STATED)
    stances = [paper_stance(query, sources[i], i, found.idf, t) for i in primary]
    if not query.paper_ids:  # a general question: other papers as close to it, that speak to the claim as closely
        lead = max((s.covered for s in stances if s.label != NOT_STATED), default=0.0)
        top = max(select.best_relevance(sources[i], t) for i in primary)
        for i, src in enumerate(sources):
            if i in primary or len(stances) >= len(primary) + CONSENSUS_PAPERS or not src.evidence:
                continue
            if select.best_relevance(src, t) < t.consensus_floor * top:
                continue
            st = paper_stance(query, src, i, found.idf, t)
            if st.label != NOT_STATED and st.covered >= max(t.consensus_floor * lead, t.consensus_cover):
                stances.append(st)
    label = consensus(stances)
    papers = [s.source for s in stances if s.label != NOT_STATED] or primary[:1]
    return Judgement("answer", "yes-no", papers, verdict=label, stances=stances)

"""The extractive generator: no language model. The answer is made of the abstracts' own best sentences.

Deterministic and fast: it picks the highest-scoring evidence sentences, drops near-duplicates, and writes one
to `max_sentences` sentences, each followed by the marker of its source. Questions that ask for several papers
("which papers...", "compare...") take at most one sentence per paper so more papers are covered.
"""

from __future__ import annotations

import re
from typing import Iterator

from rag.evidence import relevance
from rag.generators.base import GenerationRequest, Turn
from rag.terms import term_set

_LIST_QUESTION = re.compile(
    r"\b(which|what)\s+(papers|works|studies|methods|approaches|of them)\b|\bcompare\b|\bcomparison\b|"
    r"\bdifference between\b|\blist\b|\bany papers\b|\bpapers (that|which|on|about)\b|\bvs\.?\b|\bversus\b",
    re.I,
)
# A sentence joins the answer when its relevance is within a share of the best sentence's: a looser share for
# the paper holding that best sentence (its other sentences often carry the asked-for number or name), a
# stricter one for other papers, looser again for list questions whose answers span papers. Set on the gold set.
TOP_PAPER_FLOOR = 0.5
RELATIVE_FLOOR = 0.9
RELATIVE_FLOOR_LIST = 0.6
TOP_PAPER_CAP = 3
NEAR_DUPLICATE_JACCARD = 0.6


def is_list_question(question: str) -> bool:
    return bool(_LIST_QUESTION.search(question))


def _jaccard(a: set[str], b: set[str]) -> float:
    return len(a & b) / len(a | b) if a and b else 0.0


def pick_sentences(request: GenerationRequest) -> list[tuple[int, str]]:
    """(source number, sentence) pairs for the answer, best first."""
    listy = is_list_question(request.question)
    # Ranked by score (relevance plus the answer-type cue); admitted by relevance alone, so a cue never pulls
    # in a sentence from a paper that does not match the question.
    pool = [
        (ev.score, relevance(ev.similarity, ev.overlap), no, ev.text)
        for no, src in enumerate(request.sources, start=1)
        for ev in src.evidence[:TOP_PAPER_CAP]
    ]
    pool.sort(key=lambda x: -x[0])
    if not pool:
        return []
    best_rel, top = max((p[1], p[2]) for p in pool)
    other_floor = best_rel * (RELATIVE_FLOOR_LIST if listy else RELATIVE_FLOOR)
    picked: list[tuple[int, str]] = []
    picked_terms: list[set[str]] = []
    per_source: dict[int, int] = {}
    for _, rel, no, text in pool:
        if len(picked) >= request.max_sentences:
            break
        is_top = no == top and not listy
        if rel < (best_rel * TOP_PAPER_FLOOR if is_top else other_floor):
            continue
        if per_source.get(no, 0) >= (TOP_PAPER_CAP if is_top else 1):
            continue
        terms = term_set(text)
        if any(_jaccard(terms, t) > NEAR_DUPLICATE_JACCARD for t in picked_terms):
            continue
        picked.append((no, text))
        picked_terms.append(terms)
        per_source[no] = per_source.get(no, 0) + 1
    return picked


class ExtractiveGenerator:
    name = "extractive"
    uses_llm = False

    def stream(self, request: GenerationRequest) -> Iterator[str]:
        for i, (no, text) in enumerate(pick_sentences(request)):
            yield ("" if i == 0 else " ") + f"{text} [{no}]"

    def condense(self, question: str, history: list[Turn]) -> str | None:
        return None

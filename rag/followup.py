"""Follow-up questions: resolving "it", "the second paper", "them" against the previous turn.

Rules, so they work without a language model: an ordinal or numbered reference picks that paper of the previous
answer's citations; a singular reference ("it", "this paper") picks its first citation; a plural one ("them",
"these papers") keeps all its citations. The search then runs inside those papers, and a question that names no
topic of its own carries over the previous turn's search focus. A generator with a language model may also
condense the question into a standalone one (the engine uses that text for the search).
"""

from __future__ import annotations

import re
from functools import lru_cache
from dataclasses import dataclass, field
from typing import Any, Sequence

from rag.generators.base import Turn
from rag.terms import term_set

_ORDINALS = {
    "first": 1, "1st": 1, "second": 2, "2nd": 2, "third": 3, "3rd": 3, "fourth": 4, "4th": 4,
    "fifth": 5, "5th": 5, "last": -1, "latter": -1, "former": 1,
}
_ORDINAL_REF = re.compile(
    r"\b(?:the\s+)?(first|1st|second|2nd|third|3rd|fourth|4th|fifth|5th|last|latter|former)"
    r"(?:\s+(?:one|paper|article|study|work|source|citation|result|reference))?\b",
    re.I,
)
_NUMBER_REF = re.compile(r"(?:\b(?:paper|source|citation|reference|number)\s*#?\s*|\[)(\d{1,2})\]?", re.I)
_SINGULAR = re.compile(
    r"\b(it|its|it's|this|that|the)\s*(paper|work|study|article|method|approach|model|framework)\b|"
    r"\b(it|its|itself)\b|\b(the authors|they propose|their method|their results)\b",
    re.I,
)
_PLURAL = re.compile(
    r"\b(them|these|those|they|their|each|both|all of them|which of them|any of them|the papers|these papers|"
    r"those papers|the others|the rest)\b",
    re.I,
)
# "the papers on X", "studies that Y": the question describes its own set of papers, so its "they" refers to them,
# not to an earlier answer ("which of the papers in that list" and "these papers on X" still refer back).
_NEW_SET = re.compile(
    r"(?<!these )(?<!those )(?<!of the )\b(papers|works|studies|articles)\s+(on|about|that|which|regarding|"
    r"studying|proposing|using|addressing|dealing with)\b",
    re.I,
)
_CONTINUATION = re.compile(r"^\s*(and|also|what about|how about|and what about|what else|more)\b", re.I)



@dataclass
class Resolution:
    search_query: str  # what to search
    paper_ids: list[str] = field(default_factory=list)  # restrict the search to these papers
    reference: str | None = None  # which rule fired, for the answer's record


HISTORY_HELP = "history is a list of earlier answers, each the dict of Answer.to_dict() (question, answer, citations)"


def as_turns(history: Sequence[Any] | None) -> list[Turn]:
    """Accept Turns, Answers, or Answer dicts (`to_dict()` output, e.g. from JSON) as history; anything else is a
    UsageError saying which item is wrong."""
    from rag.errors import UsageError

    if history is None:
        return []
    if isinstance(history, (str, bytes, dict)) or not isinstance(history, Sequence):
        raise UsageError(f"{HISTORY_HELP}; got {type(history).__name__}.")
    turns: list[Turn] = []
    for i, h in enumerate(history, start=1):
        if isinstance(h, Turn):
            turns.append(h)
            continue
        d = h.to_dict() if hasattr(h, "to_dict") else h
        if not isinstance(d, dict) or not isinstance(d.get("question", ""), str):
            raise UsageError(f"{HISTORY_HELP}; item {i} is {type(d).__name__}.")
        citations = d.get("citations") or []
        if not isinstance(citations, list) or not all(
            isinstance(c, dict) and isinstance(c.get("paper_id"), str) for c in citations
        ):
            raise UsageError(f"{HISTORY_HELP}; item {i} has malformed citations (each needs a paper_id).")
        cited = [{"n": c.get("n"), "paper_id": c["paper_id"], "title": str(c.get("title", ""))} for c in citations]
        answer, search = d.get("answer", ""), d.get("search_query")
        turns.append(Turn(d.get("question", ""), answer if isinstance(answer, str) else "", cited,
                          search if isinstance(search, str) else None))
    return turns


def _strip_reference(question: str, pattern: re.Pattern[str]) -> str:
    return re.sub(r"\s{2,}", " ", pattern.sub(" ", question)).strip()


def resolve(question: str, history: Sequence[Turn]) -> Resolution:
    """Turn a follow-up into a search over the right papers; a first question passes through unchanged."""
    if not history:
        return Resolution(question)
    last = history[-1]
    cited = [c["paper_id"] for c in last.cited if c.get("paper_id")]
    focus = last.search_query or last.question
    own_topic = term_set(question) - _topicless()  # a follow-up of these words only carries the focus over
    carried = question if own_topic else f"{question} {focus}"

    if cited:
        m = _NUMBER_REF.search(question)
        if m and 1 <= int(m.group(1)) <= len(cited):
            return Resolution(f"{question} {focus}", [cited[int(m.group(1)) - 1]], f"paper [{m.group(1)}]")
        m = _ORDINAL_REF.search(question)
        if m:
            k = _ORDINALS[m.group(1).lower()]
            pick = cited[-1] if k == -1 else (cited[k - 1] if k <= len(cited) else None)
            if pick:
                return Resolution(f"{question} {focus}", [pick], f"{m.group(1).lower()} paper")
        if own_topic and _NEW_SET.search(question):
            return Resolution(question)
        if _PLURAL.search(question) and len(cited) > 1:
            return Resolution(carried, cited, "the cited papers")
        if _SINGULAR.search(question):
            return Resolution(f"{question} {focus}", cited[:1], "the first cited paper")
    if not own_topic or _CONTINUATION.search(question):
        return Resolution(carried, [], "previous topic")
    return Resolution(question)


# Words that point back at an earlier answer ("its results", "the second paper", "[2]"), and words that say
# nothing about a topic. A question made only of these has nothing to search for unless there is an earlier
# answer to refer to.
_REFERS = re.compile(
    r"\b(?:it|its|itself|this|that|these|those|they|them|their|theirs|the authors?|first|second|third|fourth|"
    r"fifth|last|latter|former|1st|2nd|3rd|4th|5th|ones?)\b|"
    r"\b(?:paper|source|citation|reference|number)\s*#?\s*\d{1,2}\b|\[\d{1,2}\]",
    re.I,
)
_TOPICLESS_WORDS = (
    "what were are is the result results finding findings find found tell me more about explain detail details "
    "method methods approach approaches how does do did work works main contribution contributions performance "
    "evaluation evaluate evaluated dataset datasets limitation limitations compare comparison show shows use uses "
    "used paper papers study studies article articles summary summarize summarise key idea ideas second first one "
    "last which of them they"
)


@lru_cache(maxsize=1)
def _topicless() -> frozenset[str]:
    return frozenset(term_set(_TOPICLESS_WORDS))


def has_topic(question: str) -> bool:
    """Whether the question names something to search for beyond references to an earlier answer."""
    return bool(term_set(_REFERS.sub(" ", question)) - _topicless())


def clarification(question: str, history: Sequence[Any] | None, example_title: str | None = None) -> str | None:
    """A question back to the user when theirs refers to an earlier answer that does not exist ("What were its
    results?" in a new conversation); None when the question can be searched."""
    if history or has_topic(question):
        return None
    example = f"“What are the results of {example_title or '<title>'}?”"
    return ("Which paper do you mean? This conversation has no earlier answer to refer to. Name the paper or its "
            f"topic in the question, for example {example}")

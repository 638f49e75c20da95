"""Follow-up questions: what "it", "the second paper", "them" or "they" refer to in the previous answer.

Rules, so they work without a language model, read on the question with its names masked (a name is never an
anaphor: "D-Former" holds no "former", "NoProp" no "it"):
  - a number or an ordinal ("paper [2]", "the second one") picks that paper of the previous answer's citations;
  - a plural reference ("them", "which of them", "these papers", "they" with several cited papers) keeps them all;
  - a singular reference ("it", "its", "this paper", "they"/"the authors" with one cited paper) picks the first;
  - a question with no topic of its own ("What were its results?") or a continuation ("And what about ...?")
    carries the previous focus over.
A question that names papers, or describes its own set of papers ("the papers on X ... how do they differ?"), is a
new question, whatever came before.
"""

from __future__ import annotations

import re
from functools import lru_cache
from typing import Any, Sequence

from rag.generators.base import Turn
from rag.question.query import FollowUp
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
    r"\b(it|its|it's|this|that)\s*(paper|work|study|article|method|approach|model|framework|system|dataset)\b|"
    r"\b(it|its|itself)\b",
    re.I,
)
# "the method", "the authors": a reference only in a question with no topic of its own ("What is the method?").
_THE = re.compile(r"\bthe\s+(paper|work|study|article|method|approach|model|framework|system|dataset)\b", re.I)
_PLURAL = re.compile(
    r"\b(them|these|those|their|each|both|all of them|which of them|any of them|the papers|these papers|"
    r"those papers|the others|the rest)\b",
    re.I,
)
_THEY = re.compile(r"\b(they|the authors?|their (method|results?|approach|model|findings?))\b", re.I)
# "the papers on X", "studies that Y": the question describes its own set of papers, so its "they" refers to them,
# not to an earlier answer ("which of the papers in that list" and "these papers on X" still refer back).
_NEW_SET = re.compile(
    r"(?<!these )(?<!those )(?<!of the )\b(papers|works|studies|articles)\s+(on|about|that|which|regarding|"
    r"studying|proposing|using|addressing|dealing with)\b",
    re.I,
)
_CONTINUATION = re.compile(r"^\s*(and|also|what about|how about|and what about|what else|more)\b", re.I)

# Words that point back at an earlier answer, and words that say nothing about a topic. A question made only of
# these has nothing to search for unless there is an earlier answer to refer to.
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
def topicless() -> frozenset[str]:
    """The terms of words that ask without saying what about ("tell me more about", "the results", "paper")."""
    return frozenset(term_set(_TOPICLESS_WORDS))


def mask(text: str, spans: Sequence[tuple[int, int]]) -> str:
    """`text` with each span (a name) replaced by a placeholder word that no rule below matches."""
    out, at = [], 0
    for a, b in sorted(spans):
        out.append(text[at:a] + " NAME ")
        at = b
    return "".join(out) + text[at:]


def has_topic(masked: str) -> bool:
    """Whether the (name-masked) question names something to search for beyond references to an earlier answer."""
    return "NAME" in masked or bool(term_set(_REFERS.sub(" ", masked)) - topicless())


def refers(masked: str, history: Sequence[Turn], *, names_papers: bool, filtered: bool = False) -> FollowUp | None:
    """What the question refers to in the last turn, or None for a new question. `masked` is the question with its
    names masked; `names_papers` says whether its names resolve to papers (then it is a new question); `filtered`
    whether it states a filter (then, with no reference and no continuation, it lists papers afresh: "Which papers
    were published before 2020?")."""
    if not history or names_papers:
        return None
    last = history[-1]
    cited = [c["paper_id"] for c in last.cited if c.get("paper_id")]
    focus = last.search_query or last.question
    own_topic = bool(term_set(_REFERS.sub(" ", masked)) - topicless())
    carried = "" if own_topic else focus
    if cited:
        m = _NUMBER_REF.search(masked)
        if m and 1 <= int(m.group(1)) <= len(cited):
            return FollowUp((cited[int(m.group(1)) - 1],), f"paper [{m.group(1)}]", focus)
        m = _ORDINAL_REF.search(masked)
        if m:
            k = _ORDINALS[m.group(1).lower()]
            pick = cited[-1] if k == -1 else (cited[k - 1] if k <= len(cited) else None)
            if pick:
                return FollowUp((pick,), f"{m.group(1).lower()} paper", focus)
        if own_topic and _NEW_SET.search(masked):
            return None
        if _PLURAL.search(masked) and len(cited) > 1:
            return FollowUp(tuple(cited), "the cited papers", carried)
        if _SINGULAR.search(masked) or (_THE.search(masked) and not own_topic):
            return FollowUp((cited[0],), "the first cited paper", focus)
        if _THEY.search(masked):  # "Which model did they find scales best?": the authors of what was cited
            return FollowUp(tuple(cited) if len(cited) > 1 else (cited[0],), "they", carried or focus)
    if _CONTINUATION.search(masked) or (not own_topic and not filtered):
        return FollowUp((), "previous topic", focus)
    return None


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


def clarification(example_title: str | None = None) -> str:
    """The question back to the user when theirs refers to an earlier answer that does not exist."""
    example = f"“What are the results of {example_title or '<title>'}?”"
    return ("Which paper do you mean? This conversation has no earlier answer to refer to. Name the paper or its "
            f"topic in the question, for example {example}")

"""Which sentences a fact answer quotes, the one that answers first.

  definition  "What is X?": the sentence where the paper introduces X ("We present Continuum, a serving system
              ...", "we introduce a new learning method named NoProp, which ...", "X is a ..."), else the first
              sentence that names X.
  mechanism   "How does X work?": the most relevant sentence that says how (by, using, via, replaces, consists of).
  number      the most relevant sentence holding a number and what is asked.
  otherwise   the most relevant sentence (evidence ranking already weighs what is asked).
Then more of the same paper's sentences within a share of the best one, and one sentence of another paper the
answer may quote when it is nearly as relevant.
"""

from __future__ import annotations

import re
from typing import TYPE_CHECKING

from rag.evidence import relevance
from rag.names import key
from rag.terms import term_set

if TYPE_CHECKING:
    from rag.answer import Evidence, Source
    from rag.question import Query
    from rag.tuning import Tuning

_DEFINES = re.compile(
    r"\b(we|this (paper|work|study|article))\b[^.]{0,80}\b(propos|introduc|present|develop|design|call|term|dub|"
    r"name|coin|refer)\w*|\b(called|named|dubbed|termed|refers? to|is defined as|denotes?)\b|"
    r"\b(is|are) an? \w+|,\s*an? \w+[^,]{0,60}(that|which|for|to)\b|\bor\b[^,]{0,40},",
    re.I,
)
# How something works is said with verbs of operation ("replaces the local gradients with ...", "checks the
# integrity ... using a chained hash", "unifies the diverse attention patterns into ...").
_HOW = re.compile(
    r"\b(by \w+ing|using|uses|via|replac\w*|consist\w*|employ\w*|leverag\w*|combin\w*|appl(y|ies|ied)|"
    r"comput\w*|learns?|detects?|selects?|checks?|pins?|tracks?|reorder\w*|regenerat\w*|unif(y|ies|ied)|"
    r"decompos\w*|partition\w*|maps?|projects?|merg(es|ed|ing)|switch\w*|inject\w*|dynamically|mechanism)\b",
    re.I,
)
_OWN_METHOD = re.compile(r"\b(we|our|this (paper|work))\b[^.]{0,60}\b(propos|introduc|present|develop|design|build)\w*|"
                         r"\b(called|named|dubbed|termed)\b|\bour (method|approach|framework|model|system)\b", re.I)


def _mentions(text: str, name: str) -> bool:
    k = key(name)
    return bool(k) and k in re.sub(r"[^a-z0-9]", "", text.lower())


def how(e: "Evidence", general: bool = True) -> float:
    """A sentence's score for a how-question: its relevance, more when it says how, and, for "How does X work?"
    (`general`: nothing asked but how), when it is about the paper's own method rather than background; a question
    that says what it asks about ("How does X detect manipulated fragments?") is answered by relevance (a priori
    bonuses, in units of relevance)."""
    return e.score + 0.1 * bool(_HOW.search(e.text)) + (0.25 if general else 0.05) * bool(_OWN_METHOD.search(e.text))


def _general(query: "Query") -> bool:
    """Whether a how-question asks about nothing but how its subject works ("How does RelP work?")."""
    from rag.question.followup import topicless

    own = {x for n in query.names for x in term_set(n.text)}
    return not (term_set(query.focus) - own - topicless() - term_set("work works operate function"))


def lead(query: "Query", src: "Source", t: "Tuning") -> "Evidence | None":
    """The sentence of `src` that answers the question first."""
    if not src.evidence:
        return None
    if query.kind == "definition" and query.attribute:
        ordered = sorted(src.evidence, key=lambda e: e.start)
        naming = [e for e in ordered if _mentions(e.text, query.attribute)]
        defining = [e for e in naming if _DEFINES.search(e.text)]
        if defining or naming:
            return (defining or naming)[0]
        return src.evidence[0]
    if query.kind in ("mechanism", "explanation"):
        general = _general(query)
        return max(src.evidence, key=lambda e: how(e, general))
    candidates = [e for e in src.evidence if re.search(r"\d", e.text)] if query.wants_number else src.evidence
    if query.asked and candidates:
        # the sentence that holds what is asked ("what [Dice score]", "how much [runtime improvement]") answers it,
        # however much more of the question another sentence restates
        return max(candidates, key=lambda e: (round(asked_share(query.asked[0], e), 1), e.score))
    return (candidates or src.evidence)[0]


def asked_share(asked: frozenset[str], e: "Evidence") -> float:
    """Share of what a question asks for ("Dice score") that a sentence holds."""
    return len(asked & term_set(e.text)) / len(asked) if asked else 0.0


def _jaccard(a: set[str], b: set[str]) -> float:
    return len(a & b) / len(a | b) if a and b else 0.0


def _best(src: "Source", t: "Tuning") -> float:
    return max((relevance(e.similarity, e.overlap, t) for e in src.evidence), default=0.0)


def pick(query: "Query", sources: list["Source"], papers: list[int], max_sentences: int, t: "Tuning"
         ) -> list[tuple[int, "Evidence", str]]:
    """(source index, sentence, role) for a fact answer: the lead of the first paper, then context: more of its
    sentences within `top_paper_floor` of its best, up to `top_paper_cap`, and one sentence of each other paper."""
    if not papers:
        return []
    first = papers[0]
    out: list[tuple[int, "Evidence", str]] = []
    seen: list[set[str]] = []

    def add(i: int, e: "Evidence", role: str) -> None:
        terms = term_set(e.text)
        if any(x.text == e.text for _, x, _ in out) or any(
            _jaccard(terms, other) > t.near_duplicate_jaccard for other in seen
        ):
            return
        out.append((i, e, role))
        seen.append(terms)

    top = lead(query, sources[first], t)
    if top is not None:
        add(first, top, "lead")
    for asked in query.asked[1:]:  # "what X ... and how many Y ...": each part's sentence follows the lead
        holding = max(sources[first].evidence, key=lambda e: (asked_share(asked, e), e.score), default=None)
        if holding is not None and asked_share(asked, holding) >= 0.5:
            add(first, holding, "lead")
    best = _best(sources[first], t)
    general = _general(query)
    ranked = sorted(sources[first].evidence, key=lambda e: how(e, general), reverse=True) \
        if query.kind in ("mechanism", "explanation") else sources[first].evidence
    for e in ranked[: t.top_paper_cap]:
        if len(out) >= min(max_sentences, t.top_paper_cap):
            break
        if relevance(e.similarity, e.overlap, t) >= t.top_paper_floor * best:
            add(first, e, "context")
    for i in papers[1:]:
        if len(out) >= max_sentences:
            break
        if sources[i].evidence:
            add(i, lead(query, sources[i], t) or sources[i].evidence[0], "context")
    return out[:max_sentences]

"""A comparison of papers: a table with each paper's approach and finding, quoted from its own abstract, and a
summary of what they share and where they differ, in words taken from the abstracts (never made up).

  approach  the sentence where the paper says what it proposes or does ("We propose ...", "called ...",
            "This paper examines ..."), never a background sentence ("Network pruning is widely used ...")
  finding   the sentence where it reports what it found or achieved ("outperforms", "achieves", "we find", a number)
  summary   "Both concern <the words both abstracts use most, rarest first>." and "Where they differ: <each paper's
            words the other lacks>", each cited to the papers whose abstracts hold those words
"""

from __future__ import annotations

import re
from collections import Counter
from typing import TYPE_CHECKING, Callable, Sequence

from rag.judge.verdict import BACKGROUND
from rag.names import TOKEN, name_shaped
from rag.terms import lexicon, terms

if TYPE_CHECKING:
    from rag.answer import Evidence, Source

_APPROACH = [
    re.compile(r"\b(we|this (paper|work|study|article))\b[^.]{0,60}\b(propos|introduc|present|develop|design|build|"
               r"construct)\w*|\b(called|named|dubbed|termed)\b|\bour (method|approach|framework|model|algorithm|system)\b",
               re.I),
    re.compile(r"\b(we|this (paper|work|study|article))\b[^.]{0,60}\b(describ|formulat|examin|stud(y|ies)|investigat|"
               r"analy[sz]|explor|establish|prove)\w*", re.I),
    re.compile(r"\b(propos\w*|introduc\w*|method|approach|framework|algorithm|architecture|technique|strategy|"
               r"scheme|procedure)\b", re.I),
]
_VERBS_OF_FINDING = (r"outperform(s|ed|ing)?|achiev(es|ed|ing)|improv(es|ed|ing)|reduc(es|ed|ing)|surpass(es|ed)?|"
                     r"beat(s)?|match(es|ed)|results? (show|demonstrate|indicate|suggest|confirm|reveal)s?|"
                     r"experiments? (show|demonstrate|confirm)s?|(we|our \w+) (find|found|show|shows|showed|prove|"
                     r"demonstrate|observe|observed|reveal|uncover)|(shows|demonstrates|reveals|confirms) that")
_FINDING = [
    re.compile(rf"\b({_VERBS_OF_FINDING})\b.*\d|\d.*\b({_VERBS_OF_FINDING}|faster|speedup)\b", re.I),
    re.compile(rf"\b({_VERBS_OF_FINDING}|we conclude|in conclusion|overall)\b", re.I),
]
# Words too general to say what a paper is about.
_GENERAL_WORDS = (
    "paper work study method methods approach approaches model models propose proposed result results show shows "
    "new novel use using based perform performance data also however achieve improve well different various "
    "provide first two three several existing effective efficient significant significantly large small recent "
    "problem problems task tasks learning neural network networks deep training train framework analysis"
)


def _first(evidence: Sequence["Evidence"], patterns: list[re.Pattern[str]], skip: str | None = None
           ) -> "Evidence | None":
    """The abstract's first sentence (in reading order) matching the strongest cue any sentence matches, never a
    background sentence."""
    ordered = sorted(evidence, key=lambda e: e.start)
    for pattern in patterns:
        for e in ordered:
            if e.text != skip and not BACKGROUND.search(e.text) and pattern.search(e.text):
                return e
    return None


def cells(src: "Source") -> tuple["Evidence | None", "Evidence | None"]:
    """(approach, finding) sentences of a paper."""
    approach = _first(src.evidence, _APPROACH) or (src.evidence[0] if src.evidence else None)
    finding = _first(src.evidence, _FINDING, skip=approach.text if approach else None)
    return approach, finding


def _words(text: str) -> list[str]:
    """The terms of a text's whole words ("back-propagation" is one word, not "back" and "propagation")."""
    return [t for m in TOKEN.finditer(text) for t in terms(m.group(0))[-1:]]


def _surface(texts: Sequence[str]) -> dict[str, str]:
    """Each term's first written form in `texts` (lowercased unless it is a name)."""
    out: dict[str, str] = {}
    for text in texts:
        for m in TOKEN.finditer(text):
            word = m.group(0)
            for term in terms(word)[-1:]:
                out.setdefault(term, word if name_shaped(word) else word.lower())
    return out


def keywords(sources: Sequence["Source"], weigh: Callable[[list[str]], dict[str, float]], limit: int = 3
             ) -> tuple[list[str], list[list[str]]]:
    """(the words all the papers share, each paper's own words), the most telling first: rarest in the collection
    (IDF from `weigh`), then most used."""
    texts = [f"{s.title}. {s.abstract}" for s in sources]
    counts = [Counter(t for t in _words(x) if t not in lexicon(_GENERAL_WORDS) and len(t) > 2 and not t.isdigit()) for x in texts]
    vocab = sorted(set().union(*counts))
    idf = weigh(vocab) if vocab else {}
    surface = _surface(texts)

    def rank(ts: set[str], count: Counter[str]) -> list[str]:
        # a word the abstract keeps coming back to, and that few papers use, says most about it
        ordered = sorted(ts, key=lambda t: (-min(count[t], 4) * idf.get(t, 0.0), t))
        words: list[str] = []
        for t in ordered:
            w = surface.get(t, t)
            if w.lower() not in {x.lower() for x in words}:
                words.append(w)
            if len(words) >= limit:
                break
        return words

    shared_terms = set.intersection(*(set(c) for c in counts)) if counts else set()
    both = Counter()
    for c in counts:
        both.update({t: c[t] for t in shared_terms})
    shared = rank({t for t in shared_terms if all(c[t] >= 1 for c in counts)}, both)
    own = [rank(set(c) - set().union(*(set(o) for j, o in enumerate(counts) if j != i)), c)
           for i, c in enumerate(counts)]
    return shared, own

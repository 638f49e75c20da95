"""Word-level text analysis shared by BM25, evidence scoring and citation checks: one tokenizer everywhere.

Lowercase word tokens, English stopwords removed (bm25s's list), Snowball-stemmed (PyStemmer), so
"transformers" in a question meets "Transformer" in an abstract.
"""

from __future__ import annotations

import math
import re
from functools import lru_cache
from typing import Iterable

_WORD = re.compile(r"[a-z0-9]+(?:[.\-][a-z0-9]+)*")


@lru_cache(maxsize=1)
def _stopwords() -> frozenset[str]:
    from bm25s.stopwords import STOPWORDS_EN

    question_words = {"which", "what", "who", "whom", "whose", "where", "when", "why", "how", "does", "did", "do"}
    return frozenset(STOPWORDS_EN) | question_words | {"paper", "papers", "work", "propose", "proposed", "using"}


@lru_cache(maxsize=1)
def _stemmer():
    import Stemmer

    return Stemmer.Stemmer("english")


@lru_cache(maxsize=65536)
def _stem(word: str) -> str:
    return _stemmer().stemWord(word)


def words(text: str) -> list[str]:
    """Lowercase word tokens, hyphenated and dotted compounds split into their parts too ("4k-hd" -> 4k, hd)."""
    out: list[str] = []
    for w in _WORD.findall(text.lower()):
        if "-" in w or "." in w:
            parts = [p for p in re.split(r"[.\-]", w) if p]
            out.extend(parts)
            if not re.fullmatch(r"[\d.]+", w):
                out.append(w.replace("-", "").replace(".", ""))
        else:
            out.append(w)
    return out


_KEYWORD = re.compile(r"[A-Za-z0-9][\w\-.]*[A-Za-z0-9]|[A-Za-z0-9]")


def keywords(text: str) -> list[str]:
    """The words of `text` that search uses, as written and once each: "back-propagation" is one key word (not
    "back", "propagation" and "backpropagation"); stopwords and question words are left out."""
    out: list[str] = []
    for w in _KEYWORD.findall(text):
        if terms(w) and w.lower() not in {o.lower() for o in out}:
            out.append(w)
    return out


def has_word(word: str, have: set[str]) -> bool:
    """Whether a key word is in a text whose terms are `have`: a compound when its joined form or all its
    parts are."""
    t = terms(word)
    return bool(t) and (t[-1] in have or all(x in have for x in t))


def joined_compounds(text: str) -> set[str]:
    """The index terms that are only the joined form of a hyphenated or dotted compound ("non-communicable" ->
    "noncommunic"). A paper writing "non communicable" lacks them, so statistics over a question's terms drop
    such a term when the collection does not have it (its parts carry the meaning)."""
    stop = _stopwords()
    out = set()
    for w in _WORD.findall(text.lower()):
        if ("-" in w or "." in w) and not re.fullmatch(r"[\d.]+", w):
            joined = w.replace("-", "").replace(".", "")
            if joined not in stop:
                out.add(_stem(joined))
    return out


class TermIDF(dict):
    """IDF of some terms in the collection (term -> idf), knowing which of them no paper contains."""

    def __init__(self, values: dict[str, float], unseen: Iterable[str] = ()):
        super().__init__(values)
        self.unseen = frozenset(unseen)

    def question_terms(self, text: str) -> set[str]:
        """The terms of `text` that statistics should weigh: all, except joined compounds no paper has."""
        joined = joined_compounds(text)
        return {t for t in term_set(text) if t not in joined or t not in self.unseen}


def terms(text: str) -> list[str]:
    """Index terms: stemmed words without stopwords (keeps duplicates, for BM25 term frequency)."""
    stop = _stopwords()
    return [_stem(w) for w in words(text) if w not in stop and (len(w) > 1 or w.isdigit())]


def term_set(text: str) -> set[str]:
    return set(terms(text))


@lru_cache(maxsize=None)
def lexicon(words: str) -> frozenset[str]:
    """The terms of a fixed list of words, computed on first use (a module that keeps such a list costs nothing to
    import: the stemmer and the stopword list load with the first question)."""
    return frozenset(terms(words))


def weighted_overlap(query_terms: Iterable[str], text_terms: set[str], idf: dict[str, float] | None = None) -> float:
    """Share of the query's terms (IDF-weighted when given) that occur in the text: 0..1."""
    q = set(query_terms)
    if not q:
        return 0.0
    weight = (lambda t: idf.get(t, 1.0)) if idf else (lambda t: 1.0)
    total = sum(weight(t) for t in q)
    return sum(weight(t) for t in q if t in text_terms) / total if total else 0.0


def idf_table(documents: Iterable[set[str]]) -> dict[str, float]:
    """Smoothed inverse document frequency of every term in `documents` (sets of terms)."""
    df: dict[str, int] = {}
    n = 0
    for doc in documents:
        n += 1
        for t in doc:
            df[t] = df.get(t, 0) + 1
    return {t: math.log(1 + (n - d + 0.5) / (d + 0.5)) for t, d in df.items()}


_NUMBER = re.compile(r"(?<![\w.])\d+(?:[.,]\d+)*(?![\w])")


def numbers(text: str) -> set[str]:
    """The numbers in `text` that carry a fact (not single digits), normalised: "1,024" -> "1024"."""
    out = set()
    for m in _NUMBER.findall(text):
        n = m.replace(",", "")
        if len(n) > 1:
            out.add(n)
    return out

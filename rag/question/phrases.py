"""Filters a question states in words: a date phrase ("published in 2023", "before 2020", "papers from 2022") and an
author phrase ("Which papers did Kaiming He write?"). The words that made a filter are removed from what is searched,
so "published" or "write" never become a topic.
"""

from __future__ import annotations

import re
from typing import Callable

from rag.filters import Filters

_YEAR = r"((?:19|20)\d{2})"
# Verbs of publishing that belong to the date phrase: "published in 2023", "that appeared before 2020".
_VERB = r"(?:(?:that|which)\s+)?(?:(?:were|was|are|is|have been|has been)\s+)?(?:published|released|appeared|written|posted)\s+"
_PATTERNS: list[tuple[re.Pattern[str], Callable[..., tuple[int | None, int | None]]]] = [
    (re.compile(rf"(?:{_VERB})?\bbetween\s+{_YEAR}\s+and\s+{_YEAR}\b", re.I), lambda a, b: (int(a), int(b))),
    (re.compile(rf"(?:{_VERB})?\bfrom\s+{_YEAR}\s*(?:to|until|through|-|–)\s*{_YEAR}\b", re.I),
     lambda a, b: (int(a), int(b))),
    (re.compile(rf"(?:{_VERB})?\b{_YEAR}\s*(?:-|–|to)\s*{_YEAR}\b", re.I), lambda a, b: (int(a), int(b))),
    (re.compile(rf"(?:{_VERB})?\b(?:since|starting(?:\s+in)?|from)\s+{_YEAR}\s+(?:on|onwards?)\b", re.I),
     lambda a: (int(a), None)),
    (re.compile(rf"(?:{_VERB})?\b(?:since|starting(?:\s+in)?)\s+{_YEAR}\b", re.I), lambda a: (int(a), None)),
    (re.compile(rf"(?:{_VERB})?\b(?:after)\s+{_YEAR}\b", re.I), lambda a: (int(a) + 1, None)),
    (re.compile(rf"(?:{_VERB})?\b{_YEAR}\s+(?:or|and)\s+(?:later|after|newer|onwards?)\b", re.I),
     lambda a: (int(a), None)),
    (re.compile(rf"(?:{_VERB})?\b(?:before|prior\s+to)\s+{_YEAR}\b", re.I), lambda a: (None, int(a) - 1)),
    (re.compile(rf"(?:{_VERB})?\b(?:until|up\s+to|through|by)\s+{_YEAR}\b", re.I), lambda a: (None, int(a))),
    (re.compile(rf"(?:{_VERB})?\b{_YEAR}\s+(?:or|and)\s+(?:earlier|before|older)\b", re.I), lambda a: (None, int(a))),
    # "published in 2023", "papers from 2022" (one year: "from 2022" alone is that year, not "since 2022")
    (re.compile(rf"(?:{_VERB})?\b(?:in|during|of|from)\s+{_YEAR}\b", re.I), lambda a: (int(a), int(a))),
    (re.compile(rf"\b{_YEAR}\s+(?=(?:papers?|works?|studies|articles|publications)\b)", re.I),
     lambda a: (int(a), int(a))),
]
# A year range is about publication only when the question talks about publications: "papers since 2024",
# "published before 2022", "2023 works". Without such a word the years describe the research itself ("has
# survival improved from 1974 to 2000?", "coverage in Kenya in 2015") and stay in the question: three of the 502
# pubmedqa-dev questions are like that, and filtering on them hid the paper that answers them.
_PUBLICATION = re.compile(
    r"\b(papers?|works|articles?|publications?|preprints?|published|appeared|released|literature|"
    r"(?:research|studies|work)\s+(?:from|since|in|before|after|between|published))\b",
    re.I,
)
# A leftover publishing verb with nothing after it: "Which papers were published?" once the year is gone.
_LEFTOVER_VERB = re.compile(r"\b(?:(?:were|was|are|is|have been|has been)\s+)?(?:published|released|appeared)\s*([?.!]?)$",
                            re.I)


def date_phrase(question: str) -> tuple[Filters, str]:
    """The year filter a question states and the question without it ("Which papers published in 2023 are about
    pruning?" -> 2023-2023, "Which papers are about pruning?")."""
    if not _PUBLICATION.search(question):
        return Filters(), question
    for pattern, make in _PATTERNS:
        m = pattern.search(question)
        if not m:
            continue
        year_from, year_to = make(*m.groups())
        rest = _tidy(question[: m.start()] + " " + question[m.end():])
        rest = _tidy(_LEFTOVER_VERB.sub(r"\1", rest))
        return Filters(year_from=year_from, year_to=year_to, phrase=m.group(0).strip()), rest
    return Filters(), question


# A person's name as written: capitalised words and initials, with the particles of surnames ("Kaiming He",
# "A. B", "Jan van Leeuwen"). Only after words about writing, so "caused by Inflammation" or "What did MRI show"
# are left alone.
_NAME = r"[A-Z][\w'’\-]*\.?(?:\s+(?:[A-Z][\w'’\-]*\.?|van|von|de|der|da|di|le|la)){0,3}"
_AUTHOR_PATTERNS = [
    re.compile(rf"\b(?P<cut>(?:written|authored|co-authored|published)\s+by\s+(?P<name>{_NAME}))"),
    re.compile(rf"\b(?:papers?|works?|articles?|studies|research|publications?)\s+(?P<cut>by\s+(?P<name>{_NAME}))"),
    re.compile(rf"\b(?P<cut>(?:did|has|have|does)\s+(?P<name>{_NAME})\s+(?:write|written|author|authored|publish|"
               r"published|co-author|co-authored))\b"),
]


def author_phrase(question: str) -> tuple[Filters, str]:
    """An author filter a question states ("Which papers did Kaiming He write?", "papers by Jacob Devlin on
    pre-training", "written by A. B") and the question without it."""
    for pattern in _AUTHOR_PATTERNS:
        m = pattern.search(question)
        if not m:
            continue
        name = m.group("name").strip()
        rest = _tidy(question[: m.start("cut")] + question[m.end("cut"):])
        return Filters(author=name, phrase=m.group("cut")), rest
    return Filters(), question


def _tidy(text: str) -> str:
    return re.sub(r"\s+([?.!,])", r"\1", re.sub(r"\s{2,}", " ", text)).strip().lstrip(",;: ")


def stated(question: str) -> tuple[Filters, Filters, str]:
    """(date filter, author filter, the question without their phrases)."""
    dated, rest = date_phrase(question)
    by, rest = author_phrase(rest)
    return dated, by, rest



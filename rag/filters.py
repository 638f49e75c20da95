"""Metadata filters (years, title/author substrings, categories, paper ids) and date phrases read from a question.

The filters are applied inside the search engines, before their top-k (rag/library): years, categories and paper
ids as Chroma `where` clauses and tantivy queries; title and author substrings by the lexical index.
"""

from __future__ import annotations

import re
from dataclasses import asdict, dataclass, field, replace
from typing import Any


@dataclass
class Filters:
    year_from: int | None = None
    year_to: int | None = None
    title: str | None = None  # case-insensitive substring of the title
    author: str | None = None  # case-insensitive substring of any author name
    categories: list[str] = field(default_factory=list)  # any of these arXiv categories
    paper_ids: list[str] = field(default_factory=list)  # restrict to these papers (follow-up questions)
    exclude_ids: list[str] = field(default_factory=list)  # never these papers (abstention calibration)
    phrase: str | None = None  # the words of the question a year filter came from

    @classmethod
    def coerce(cls, value: "Filters | dict[str, Any] | None") -> "Filters":
        """Filters from a dict (the Python, CLI and Gradio edges), each value checked (rag/validate.py)."""
        from rag import validate
        from rag.errors import UsageError

        if value is None:
            return cls()
        if isinstance(value, Filters):
            return value
        if not isinstance(value, dict):
            raise UsageError("filters must be a mapping like {'year_from': 2024, 'author': 'smith'}.")
        unknown = set(value) - set(cls.__dataclass_fields__)
        if unknown:
            raise UsageError(
                f"unknown filter(s) {', '.join(sorted(map(str, unknown)))}; valid: "
                + ", ".join(k for k in cls.__dataclass_fields__ if k != "phrase")
            )
        out = cls(
            year_from=validate.year("year_from", value.get("year_from")),
            year_to=validate.year("year_to", value.get("year_to")),
            title=validate.text_filter("title", value.get("title")),
            author=validate.text_filter("author", value.get("author")),
            categories=validate.string_list("categories", value.get("categories")),
            paper_ids=validate.string_list("paper_ids", value.get("paper_ids")),
            exclude_ids=validate.string_list("exclude_ids", value.get("exclude_ids")),
            phrase=value.get("phrase") if isinstance(value.get("phrase"), str) else None,
        )
        validate.year_range(out.year_from, out.year_to)
        return out

    @property
    def empty(self) -> bool:
        return not (self.year_from or self.year_to or self.title or self.author or self.categories or self.paper_ids
                    or self.exclude_ids)

    def merged(self, other: "Filters") -> "Filters":
        """These filters, with gaps filled from `other` (explicit filters beat ones read from the question)."""
        out = replace(self)
        for k in ("year_from", "year_to", "title", "author", "phrase"):
            if getattr(out, k) in (None, "") and getattr(other, k) not in (None, ""):
                setattr(out, k, getattr(other, k))
        out.categories = self.categories or other.categories
        out.paper_ids = self.paper_ids or other.paper_ids
        out.exclude_ids = self.exclude_ids or other.exclude_ids
        return out

    def to_dict(self) -> dict[str, Any]:
        return {k: v for k, v in asdict(self).items() if v not in (None, "", [])}

    def describe(self) -> str:
        parts = []
        if self.year_from and self.year_to:
            parts.append(f"{self.year_from}" if self.year_from == self.year_to else f"{self.year_from}-{self.year_to}")
        elif self.year_from:
            parts.append(f"from {self.year_from}")
        elif self.year_to:
            parts.append(f"up to {self.year_to}")
        if self.title:
            parts.append(f"title contains '{self.title}'")
        if self.author:
            parts.append(f"author contains '{self.author}'")
        if self.categories:
            parts.append("categories " + ", ".join(self.categories))
        if self.paper_ids:
            parts.append(f"{len(self.paper_ids)} paper(s) from the previous answer")
        return "; ".join(parts)


_YEAR = r"((?:19|20)\d{2})"
_PREP = r"(?:published|released|appeared|from|written|papers?|work)?\s*"
_PATTERNS: list[tuple[re.Pattern[str], Any]] = [
    (re.compile(rf"\bbetween\s+{_YEAR}\s+and\s+{_YEAR}\b", re.I), lambda a, b: (int(a), int(b))),
    (re.compile(rf"\bfrom\s+{_YEAR}\s*(?:to|until|through|-|–)\s*{_YEAR}\b", re.I), lambda a, b: (int(a), int(b))),
    (re.compile(rf"\b{_YEAR}\s*(?:-|–|to)\s*{_YEAR}\b", re.I), lambda a, b: (int(a), int(b))),
    (re.compile(rf"\b(?:since|from|starting(?:\s+in)?)\s+{_YEAR}\b", re.I), lambda a: (int(a), None)),
    (re.compile(rf"\b(?:after)\s+{_YEAR}\b", re.I), lambda a: (int(a) + 1, None)),
    (re.compile(rf"\b{_YEAR}\s+(?:or|and)\s+(?:later|after|newer|onwards?)\b", re.I), lambda a: (int(a), None)),
    (re.compile(rf"\b(?:before|prior\s+to)\s+{_YEAR}\b", re.I), lambda a: (None, int(a) - 1)),
    (re.compile(rf"\b(?:until|up\s+to|through|by)\s+{_YEAR}\b", re.I), lambda a: (None, int(a))),
    (re.compile(rf"\b{_YEAR}\s+(?:or|and)\s+(?:earlier|before|older)\b", re.I), lambda a: (None, int(a))),
    (re.compile(rf"\b(?:in|during|of|from)\s+{_PREP}{_YEAR}\b", re.I), lambda a: (int(a), int(a))),
    (re.compile(rf"\b{_YEAR}\s+(?:papers?|work|studies|articles)\b", re.I), lambda a: (int(a), int(a))),
]


# A year range is about publication only when the question talks about publications: "papers since 2024",
# "published before 2022", "2023 works". Without such a word the years describe the research itself ("has
# survival improved from 1974 to 2000?", "coverage in Kenya in 2015") and must stay in the question: three of
# the 502 pubmedqa-dev questions are like that, and filtering on them hid the paper that answers them.
_PUBLICATION = re.compile(
    r"\b(papers?|works|articles?|publications?|preprints?|published|appeared|released|literature|"
    r"(?:research|studies|work)\s+(?:from|since|in|before|after|between|published))\b",
    re.I,
)


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


def parse_author_phrase(question: str) -> tuple[Filters, str]:
    """An author filter stated in the question ("Which papers did Kaiming He write?", "papers by Jacob Devlin on
    pre-training", "written by A. B") and the question without it. The filter is the name as written (a substring
    of the author names; the engine falls back to the surname when no paper has the whole name)."""
    for pattern in _AUTHOR_PATTERNS:
        m = pattern.search(question)
        if not m:
            continue
        name = m.group("name").strip()
        rest = question[: m.start("cut")] + question[m.end("cut"):]
        rest = re.sub(r"\s+([?.!,])", r"\1", re.sub(r"\s{2,}", " ", rest)).strip()
        return Filters(author=name, phrase=m.group("cut")), rest
    return Filters(), question


def parse_date_phrase(question: str) -> tuple[Filters, str]:
    """Year filter stated in the question ("papers since 2024", "published in 2023", "before 2022, which papers")
    and the question without it. Years in a question that does not talk about publications are left alone."""
    if not _PUBLICATION.search(question):
        return Filters(), question
    for pattern, make in _PATTERNS:
        m = pattern.search(question)
        if not m:
            continue
        year_from, year_to = make(*m.groups())
        rest = (question[: m.start()] + question[m.end() :]).strip()
        rest = re.sub(r"\b(?:published|released|appeared)\s*([?.!]?)$", r"\1", rest)
        rest = re.sub(r"\s{2,}", " ", rest)
        rest = re.sub(r"\s+([?.!,])", r"\1", rest).strip()
        return Filters(year_from=year_from, year_to=year_to, phrase=m.group(0)), rest
    return Filters(), question

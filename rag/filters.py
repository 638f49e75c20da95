"""Metadata filters: years, title and author substrings, categories, paper ids. (The filters a question states in
words, "published in 2023" or "papers by Kaiming He", are read by rag/question/phrases.py.)

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

"""The record that flows through PaperRAG: Paper, one abstract with its metadata."""

from __future__ import annotations

import json
import re
from dataclasses import asdict, dataclass, field

from rag.text import normalize_title, short_hash

# 4: the abstract is metadata of the paper record (rag/library/chroma.py; 2 and 3 are still read).
# 3: the abstract lives in the sentence record, not as a Chroma document.
# 2: one Chroma record per paper (paper vector) plus packed sentence vectors and a change log; 1 had chunks.
SCHEMA_VERSION = 4

_ARXIV_NEW = re.compile(r"^(\d{4}\.\d{4,5})(v\d+)?$")
_ARXIV_OLD = re.compile(r"^([a-z\-]+(?:\.[A-Z]{2})?/\d{7})(v\d+)?$")


def parse_arxiv_id(raw: str | None) -> tuple[str | None, str | None]:
    """'arXiv:2401.01234v2' or 'http://arxiv.org/abs/hep-th/9901001v1' -> (id, version)."""
    if not raw:
        return None, None
    s = raw.strip().rstrip("/")
    s = re.sub(r"^(https?://)?(www\.|export\.)?arxiv\.org/(abs|pdf|html)/", "", s, flags=re.I)
    s = re.sub(r"^arxiv:\s*", "", s, flags=re.I).removesuffix(".pdf")
    for pattern in (_ARXIV_NEW, _ARXIV_OLD):
        m = pattern.match(s)
        if m:
            return m.group(1), m.group(2)
    return None, None


def normalize_doi(raw: str | None) -> str | None:
    if not raw:
        return None
    s = re.sub(r"^(https?://)?(dx\.)?doi\.org/", "", raw.strip(), flags=re.I)
    s = re.sub(r"^doi:?\s*", "", s, flags=re.I).rstrip(".,;")
    return s.lower() if s.startswith("10.") else None


@dataclass
class Paper:
    """One paper as read from a source, cleaned. `paper_id` is stable across sources and runs."""

    title: str
    abstract: str
    authors: list[str] = field(default_factory=list)
    n_authors: int | None = None
    date: str | None = None  # ISO yyyy-mm-dd of first publication
    year: int | None = None
    updated: str | None = None
    categories: list[str] = field(default_factory=list)
    url: str | None = None  # landing page: arXiv abs, DOI, or the first link in the abstract
    links: list[str] = field(default_factory=list)  # code / project URLs
    arxiv_id: str | None = None
    arxiv_version: str | None = None
    doi: str | None = None
    source: str = ""  # file the record came from
    source_format: str = ""
    line: int | None = None  # where in the source file, for messages

    @property
    def title_key(self) -> str:
        return normalize_title(self.title)

    @property
    def paper_id(self) -> str:
        if self.arxiv_id:
            return f"arxiv:{self.arxiv_id}"
        if self.doi:
            return f"doi:{self.doi}"
        return f"title:{short_hash(self.title_key)}"

    @property
    def author_count(self) -> int | None:
        return len(self.authors) if self.authors else self.n_authors

    def content_fields(self) -> dict:
        """What is stored about the paper; where it was read from (source, line) is not part of it."""
        d = asdict(self)
        for k in ("source", "source_format", "line"):
            d.pop(k)
        return d

    @property
    def content_hash(self) -> str:
        return short_hash(json.dumps(self.content_fields(), sort_keys=True, ensure_ascii=False))

    def to_dict(self) -> dict:
        return {"paper_id": self.paper_id, **asdict(self)}

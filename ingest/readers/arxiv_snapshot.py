"""Reader for the arXiv metadata snapshot on Kaggle (arxiv-metadata-oai-snapshot.json): one JSON object a line.

The full snapshot is several GB, so it is streamed line by line and a bad line is rejected, not fatal.
"""

from __future__ import annotations

import json
from collections.abc import Iterator
from pathlib import Path

from ingest.readers.base import (
    MAX_LINE_BYTES,
    Oversize,
    Record,
    Rejected,
    find_links,
    iter_lines,
    oversize,
    parse_date,
    split_authors,
)
from rag.text import clean_text
from rag.types import Paper, normalize_doi, parse_arxiv_id

FORMAT = "arxiv-snapshot"


def _name(parts: list) -> str:
    """["Last", "First", "Suffix"] -> "First Last Suffix"."""
    last, first, suffix = ([str(p) for p in parts] + ["", "", ""])[:3]
    return clean_text(f"{first} {last} {suffix}")


def _authors(obj: dict) -> list[str]:
    parsed = obj.get("authors_parsed")
    if isinstance(parsed, list) and parsed:
        return [n for n in (_name(p) for p in parsed if isinstance(p, list)) if n]
    return split_authors(obj.get("authors"))


def _paper(obj: dict, path: str, line: int) -> Paper:
    arxiv_id, _ = parse_arxiv_id(str(obj.get("id") or ""))
    versions = [v for v in obj.get("versions") or [] if isinstance(v, dict)]
    date, year = parse_date(versions[0].get("created")) if versions else (None, None)
    updated, _ = parse_date(obj.get("update_date"))
    abstract = clean_text(obj.get("abstract"))
    return Paper(
        title=clean_text(obj.get("title")),
        abstract=abstract,
        authors=_authors(obj),
        date=date,
        year=year,
        updated=updated,
        categories=str(obj.get("categories") or "").split(),
        url=f"https://arxiv.org/abs/{arxiv_id}" if arxiv_id else None,
        links=find_links(abstract),
        arxiv_id=arxiv_id,
        arxiv_version=versions[-1].get("version") if versions else None,
        doi=normalize_doi(obj.get("doi")),
        source=path,
        source_format=FORMAT,
        line=line,
    )


def read_arxiv_snapshot(path: str | Path, *, max_record_bytes: int = MAX_LINE_BYTES) -> Iterator[Record]:
    for number, line in iter_lines(path, max_record_bytes):
        if isinstance(line, Oversize):
            yield oversize(path, number, line, max_record_bytes)
            continue
        if not line.strip():
            continue
        try:
            obj = json.loads(line)
        except json.JSONDecodeError as e:
            yield Rejected(str(path), number, f"malformed JSON: {e.msg} (column {e.colno})")
            continue
        if not isinstance(obj, dict):
            yield Rejected(str(path), number, f"expected a JSON object, found {type(obj).__name__}")
            continue
        yield _paper(obj, str(path), number)

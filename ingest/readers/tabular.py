"""Readers for generic tables of papers: JSON Lines (or a JSON array) and CSV with a header row.

Exports from reference managers and spreadsheets name their columns differently ("Abstract Note", "Summary",
"Publication Year"), so column names are matched case-insensitively through a small alias table. A CSV export is
small and is read whole, so a file in the wrong encoding is refused before any of its rows is used; JSON Lines
may be a large dump and is streamed.
"""

from __future__ import annotations

import csv
import io
import json
import re
from collections.abc import Iterator
from pathlib import Path

from ingest.readers.base import (
    MAX_LINE_BYTES,
    Oversize,
    Record,
    Rejected,
    find_links,
    iter_lines,
    landing_url,
    oversize,
    parse_date,
    read_text,
    split_authors,
)
from rag.errors import SourceError
from rag.text import clean_text
from rag.types import Paper, normalize_doi, parse_arxiv_id

# Field -> accepted column names, after lowercasing and dropping spaces, '_' and '-'; the first filled one wins.
ALIASES: dict[str, tuple[str, ...]] = {
    "title": ("title",),
    "abstract": ("abstract", "summary", "abstractnote"),
    "authors": ("authors", "author"),
    "date": ("date", "published", "publicationdate", "year", "publicationyear"),
    "updated": ("updated", "updatedate"),
    "url": ("url", "link"),
    "doi": ("doi",),
    "id": ("id", "arxivid", "arxiv", "eprint"),
    "categories": ("categories", "category", "keywords"),
}


def _key(name: object) -> str:
    return re.sub(r"[\s_\-]+", "", str(name)).lower()


def _get(row: dict, name: str) -> object:
    for alias in ALIASES[name]:
        value = row.get(alias)
        if value not in (None, "", []):
            return value
    return None


def _categories(value: object) -> list[str]:
    if isinstance(value, list):
        items = [str(v) for v in value]
    else:  # 'cs.CL cs.LG' (arXiv style) or 'nlp; transformers' / 'nlp, transformers'
        text = str(value or "")
        items = re.split(r"\s*[;,]\s*", text) if re.search(r"[;,]", text) else text.split()
    return [c for c in map(clean_text, items) if c]


def paper_from_row(row: dict, path: str, line: int | None, fmt: str) -> Paper:
    """One table row (column names already normalised with `_key`) as a Paper."""
    raw_id = str(_get(row, "id") or "")
    url = str(_get(row, "url") or "") or None
    arxiv_id, version = parse_arxiv_id(raw_id)
    if not arxiv_id and url:
        arxiv_id, version = parse_arxiv_id(url)
    doi = normalize_doi(str(_get(row, "doi") or "")) or normalize_doi(raw_id)
    date, year = parse_date(_get(row, "date"))
    updated, _ = parse_date(_get(row, "updated"))
    abstract = clean_text(str(_get(row, "abstract") or ""))
    links = find_links(abstract)
    return Paper(
        title=clean_text(str(_get(row, "title") or "")),
        abstract=abstract,
        authors=split_authors(_get(row, "authors")),
        date=date,
        year=year,
        updated=updated,
        categories=_categories(_get(row, "categories")),
        url=landing_url(url, arxiv_id, doi, links),
        links=links,
        arxiv_id=arxiv_id,
        arxiv_version=version,
        doi=doi,
        source=path,
        source_format=fmt,
        line=line,
    )


# What each field of a JSON record may hold; anything else is a malformed record, never text made of its repr.
_JSON_TYPES: dict[str, tuple[type, ...]] = {
    "title": (str,), "abstract": (str,), "url": (str,), "doi": (str,), "id": (str, int),
    "date": (str, int), "updated": (str, int), "authors": (str, list), "categories": (str, list),
}
_TYPE_NAMES = {dict: "an object", list: "a list", int: "a whole number", float: "a decimal number", bool: "true/false"}


def _type_problem(row: dict) -> str | None:
    for name, allowed in _JSON_TYPES.items():
        value = _get(row, name)
        if value is None:
            continue
        if isinstance(value, bool) or not isinstance(value, allowed):
            what = _TYPE_NAMES.get(type(value), type(value).__name__)
            return f"malformed record: '{name}' is {what}, expected {' or '.join(_KINDS[t] for t in allowed)}"
        if isinstance(value, list) and not all(isinstance(v, str) for v in value):
            return f"malformed record: '{name}' must be a list of strings"
    return None


_KINDS = {str: "text", int: "a whole number", list: "a list of strings"}


def _from_object(obj: object, path: str, line: int | None) -> Record:
    if not isinstance(obj, dict):
        return Rejected(path, line, f"malformed record: expected a JSON object, found {type(obj).__name__}")
    row = {_key(k): v for k, v in obj.items()}
    problem = _type_problem(row)
    if problem:
        return Rejected(path, line, problem)
    return paper_from_row(row, path, line, "jsonl")


_SPACE = re.compile(r"\s*")


def _json_array(path: str | Path) -> Iterator[tuple[int, object]]:
    """(line, item) for each item of a JSON array, decoded one by one so each keeps its line number."""
    text = read_text(path)
    decoder = json.JSONDecoder()
    pos = text.index("[") + 1
    line, counted = 1, 0
    try:
        while True:
            pos = _SPACE.match(text, pos).end()
            if text.startswith("]", pos):
                return
            item, end = decoder.raw_decode(text, pos)
            line, counted = line + text.count("\n", counted, pos), pos
            yield line, item
            pos = _SPACE.match(text, end).end()
            if text.startswith(",", pos):
                pos += 1
            elif not text.startswith("]", pos):
                raise json.JSONDecodeError("expected ',' or ']'", text, pos)
    except json.JSONDecodeError as e:
        raise SourceError(path, f"malformed JSON: {e.msg} (column {e.colno})", e.lineno) from None


def read_jsonl(path: str | Path, *, max_record_bytes: int = MAX_LINE_BYTES) -> Iterator[Record]:
    """One JSON object a line; a file whose text starts with '[' is read as a JSON array of objects. A line over
    `max_record_bytes` is skipped unread."""
    lines = iter_lines(path, max_record_bytes)
    first = True
    for number, line in lines:
        if isinstance(line, Oversize):
            first = False
            yield oversize(path, number, line, max_record_bytes)
            continue
        if not line.strip():
            continue
        if first and line.lstrip().startswith("["):
            lines.close()
            for item_line, item in _json_array(path):
                yield _from_object(item, str(path), item_line)
            return
        first = False
        try:
            obj = json.loads(line)
        except json.JSONDecodeError as e:
            yield Rejected(str(path), number, f"malformed JSON: {e.msg} (column {e.colno})")
            continue
        yield _from_object(obj, str(path), number)


def read_csv(path: str | Path) -> Iterator[Record]:
    reader = csv.reader(io.StringIO(read_text(path), newline=""))
    try:
        header = next((row for row in reader if any(c.strip() for c in row)), [])
        names = [_key(h) for h in header]
        missing = [f for f in ("title", "abstract") if not set(ALIASES[f]) & set(names)]
        if missing:
            raise SourceError(
                path,
                f"no {' or '.join(missing)} column in the header row (found: {', '.join(header)}); "
                "a CSV needs a header row naming at least title and abstract",
                reader.line_num,
            )
        end = reader.line_num
        for row in reader:
            start, end = end + 1, reader.line_num
            if not any(c.strip() for c in row):
                continue
            if len(row) > len(names):
                reason = f"{len(row)} fields but {len(names)} columns (an abstract with an unquoted comma?)"
                yield Rejected(str(path), start, reason)
                continue
            # A short row (trailing empty cells left out) just lacks those fields.
            yield paper_from_row(dict(zip(names, row, strict=False)), str(path), start, "csv")
    except csv.Error as e:
        raise SourceError(path, f"malformed CSV: {e}", reader.line_num) from None

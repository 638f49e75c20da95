"""One reader per source format, each yielding Paper records (or Rejected ones), and the choice between them.

Readers only parse and clean: whether a record has a title and an abstract, and whether it duplicates another,
is decided by the pipeline, so every reader reports every record it finds, with its line.
"""

from __future__ import annotations

import csv
import json
import re
from collections.abc import Callable, Iterator
from pathlib import Path

from ingest.readers.arxiv_atom import read_arxiv_atom
from ingest.readers.arxiv_snapshot import read_arxiv_snapshot
from ingest.readers.base import MAX_LINE_BYTES, Record, Rejected, read_head
from ingest.readers.bibtex import read_bibtex
from ingest.readers.hf_daily import read_hf_daily
from ingest.readers.tabular import ALIASES, read_csv, read_jsonl
from rag.errors import SourceError, UsageError

__all__ = ["FORMATS", "SUPPORTED_EXTENSIONS", "Record", "Rejected", "detect_format", "read_records"]

_READERS: dict[str, Callable[[str | Path], Iterator[Record]]] = {
    "hf-daily": read_hf_daily,
    "arxiv-atom": read_arxiv_atom,
    "arxiv-snapshot": read_arxiv_snapshot,
    "jsonl": read_jsonl,
    "csv": read_csv,
    "bibtex": read_bibtex,
}
FORMATS: tuple[str, ...] = tuple(_READERS)
_BY_EXTENSION = {".bib": "bibtex", ".xml": "arxiv-atom", ".atom": "arxiv-atom", ".csv": "csv"}
_JSON_EXTENSIONS = {".jsonl", ".ndjson", ".json"}
SUPPORTED_EXTENSIONS: frozenset[str] = frozenset({*_BY_EXTENSION, *_JSON_EXTENSIONS, ".txt", ".md"})

_BIBTEX_HEAD = re.compile(r"^\s*@[A-Za-z]+\s*[{(]", re.M)
_DAILY_MARKS = re.compile(r"^(?:\s*•\s*\d+ authors?|·|Daily Papers)\s*$", re.M)


def _json_kind(head: str) -> str:
    first = next((ln for ln in head.splitlines() if ln.strip()), "")
    try:
        obj = json.loads(first)
    except ValueError:
        return "jsonl"  # a JSON array, or a first line the reader will reject with its line number
    if isinstance(obj, dict) and {"id", "abstract"} <= obj.keys() and obj.keys() & {"versions", "update_date"}:
        return "arxiv-snapshot"
    return "jsonl"


def _is_csv_header(line: str) -> bool:
    names = {re.sub(r"[\s_\-]+", "", n).lower() for n in next(csv.reader([line]), [])}
    return len(names) > 1 and bool(names & set(ALIASES["title"])) and bool(names & set(ALIASES["abstract"]))


def _sniff(head: str) -> str | None:
    text = head.lstrip()
    if _BIBTEX_HEAD.search(head):
        return "bibtex"
    if text.startswith("<"):
        return "arxiv-atom"
    if text.startswith(("{", "[")):
        return _json_kind(text)
    if _is_csv_header(text.split("\n", 1)[0]):
        return "csv"
    if _DAILY_MARKS.search(head):
        return "hf-daily"
    return None


def detect_format(path: str | Path) -> str:
    """The format name for `path`, from its extension and, where that is not enough, its first 64 KB."""
    ext = Path(path).suffix.lower()
    if ext in _BY_EXTENSION:
        return _BY_EXTENSION[ext]
    head = read_head(path)
    fmt = _json_kind(head) if ext in _JSON_EXTENSIONS else _sniff(head)
    if fmt is None:
        raise SourceError(
            path,
            f"cannot tell which format this file is in; supported formats: {', '.join(FORMATS)}. "
            "Name one with --format",
        )
    return fmt


def read_records(path: str | Path, fmt: str | None = None, *, listing_year: int | None = None,
                 max_record_bytes: int = MAX_LINE_BYTES) -> Iterator[Record]:
    """The records of one file. Format and usage errors are raised here; file errors when iteration starts. In the
    line-per-record formats a line over `max_record_bytes` is skipped unread."""
    if fmt is None:
        fmt = detect_format(path)
    elif fmt not in _READERS:
        raise UsageError(f"unknown format '{fmt}'; choose one of: {', '.join(FORMATS)}")
    if fmt == "hf-daily":
        return read_hf_daily(path, listing_year=listing_year)
    if fmt in ("jsonl", "arxiv-snapshot"):
        return _READERS[fmt](path, max_record_bytes=max_record_bytes)
    return _READERS[fmt](path)

"""Reader for a saved arXiv API response (export.arxiv.org/api/query), an Atom feed.

The feed is small (the API pages results), so it is parsed as one document with the standard library. The API
reports bad queries as a feed whose single entry is an error; that is raised, not read as a paper.
"""

from __future__ import annotations

import re
import xml.etree.ElementTree as ET
from collections.abc import Iterator
from pathlib import Path

from ingest.readers.base import Record, find_links, landing_url, line_numbers, parse_date, read_text
from rag.errors import SourceError
from rag.text import clean_text
from rag.types import Paper, normalize_doi, parse_arxiv_id

FORMAT = "arxiv-atom"
ATOM = "http://www.w3.org/2005/Atom"
NS = {"atom": ATOM, "arxiv": "http://arxiv.org/schemas/atom", "opensearch": "http://a9.com/-/spec/opensearch/1.1/"}
_ERROR_ID = "http://arxiv.org/api/errors"
# ElementTree keeps no line numbers; the n-th <entry> tag in the text is the n-th entry element.
_ENTRY_TAG = re.compile(r"<(?:[\w.-]+:)?entry[\s>]")


def _parse(path: str | Path, text: str) -> ET.Element:
    try:
        root = ET.fromstring(text)
    except ET.ParseError as e:
        line, column = e.position
        reason = re.sub(r": line \d+, column \d+$", "", str(e))
        raise SourceError(path, f"malformed XML: {reason} at line {line}, column {column}", line) from None
    if root.tag != f"{{{ATOM}}}feed":
        raise SourceError(path, f"not an arXiv Atom feed (the root element is <{root.tag.split('}')[-1]}>)")
    return root


def _paper(entry: ET.Element, path: str, line: int | None) -> Paper:
    arxiv_id, version = parse_arxiv_id(entry.findtext("atom:id", "", NS))
    abstract = clean_text(entry.findtext("atom:summary", "", NS))
    links = find_links(abstract)
    date, year = parse_date(entry.findtext("atom:published", "", NS))
    updated, _ = parse_date(entry.findtext("atom:updated", "", NS))
    primary = entry.find("arxiv:primary_category", NS)
    terms = [primary.get("term") if primary is not None else None]
    terms += [c.get("term") for c in entry.findall("atom:category", NS)]
    abs_link = next((a.get("href") for a in entry.findall("atom:link", NS) if a.get("rel") == "alternate"), None)
    doi = normalize_doi(entry.findtext("arxiv:doi", None, NS))
    return Paper(
        title=clean_text(entry.findtext("atom:title", "", NS)),
        abstract=abstract,
        authors=[n for a in entry.findall("atom:author", NS) if (n := clean_text(a.findtext("atom:name", "", NS)))],
        date=date,
        year=year,
        updated=updated,
        categories=list(dict.fromkeys(t for t in terms if t)),
        url=landing_url(abs_link, arxiv_id, doi, links),
        links=links,
        arxiv_id=arxiv_id,
        arxiv_version=version,
        doi=doi,
        source=path,
        source_format=FORMAT,
        line=line,
    )


def read_arxiv_atom(path: str | Path) -> Iterator[Record]:
    text = read_text(path)
    entries = _parse(path, text).findall("atom:entry", NS)
    lines: list[int | None] = list(line_numbers(text, (m.start() for m in _ENTRY_TAG.finditer(text))))
    if len(lines) != len(entries):
        lines = [None] * len(entries)
    for entry, line in zip(entries, lines, strict=True):
        if entry.findtext("atom:id", "", NS).strip().startswith(_ERROR_ID):
            summary = clean_text(entry.findtext("atom:summary", "", NS)) or "no details given"
            raise SourceError(path, f"this is an arXiv API error response, not results: {summary}", line)
        yield _paper(entry, str(path), line)

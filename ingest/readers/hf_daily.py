"""Reader for the text of the Hugging Face Daily Papers page (https://huggingface.co/papers), copied and saved.

The page is not structured data: papers are blocks separated by blank lines (title, abstract, then a metadata
block of author count, '·' and date), and some papers have no metadata block. The site leaves the year off
dates in the current year, so the listing year is a parameter, inferred from the file when not given.
"""

from __future__ import annotations

import re
from collections.abc import Iterator
from pathlib import Path

from ingest.readers.base import Record, Rejected, find_links, parse_date, read_text
from rag.text import clean_text
from rag.types import Paper

FORMAT = "hf-daily"

_HEADER = {
    "new", "Get trending papers in your email inbox!", "Subscribe", "Daily Papers", "byAK and the research community",
}  # fmt: skip
# 'Apr 9, 2024 1': month, day, optional year, optional upvote count.
_DATE = re.compile(r"^(Jan|Feb|Mar|Apr|May|Jun|Jul|Aug|Sep|Oct|Nov|Dec) (\d{1,2})(?:, (\d{4}))?(?: (\d+))?$")
_AUTHORS = re.compile(r"^(?:•\s*)?(\d+) authors?$")
_SEPARATOR = "·"
# In the bundled listing titles are at most 157 characters long and abstracts at least 1385.
_MAX_TITLE_CHARS = 300

Block = tuple[int, list[str]]  # line number of the first line, stripped lines


def _blocks(text: str) -> list[Block]:
    blocks: list[Block] = []
    current: list[str] = []
    for number, line in enumerate(text.split("\n"), 1):
        if line.strip():
            if not current:
                blocks.append((number, current))
            current.append(line.strip())
        else:
            current = []
    return blocks


def _is_metadata(lines: list[str]) -> bool:
    return any(ln == _SEPARATOR or _AUTHORS.match(ln) for ln in lines) or (
        len(lines) == 1 and bool(_DATE.match(lines[0]))
    )


def _looks_like_title(lines: list[str]) -> bool:
    return len(lines) == 1 and len(lines[0]) <= _MAX_TITLE_CHARS and not lines[0].endswith(".")


def infer_listing_year(text: str) -> int | None:
    """The site omits the year only for dates in the current year: one more than the latest explicit year."""
    years = [int(m[3]) for ln in text.split("\n") if (m := _DATE.match(ln.strip())) and m[3]]
    return max(years) + 1 if years else None


def _paper(path: str, title: Block, abstract: list[str], meta: list[str], listing_year: int | None) -> Paper:
    n_authors = date = year = None
    for ln in meta:
        if m := _AUTHORS.match(ln):
            n_authors = int(m[1])
        elif m := _DATE.match(ln):
            date, year = parse_date(f"{m[1]} {m[2]}", default_year=int(m[3]) if m[3] else listing_year)
    text = clean_text(" ".join(abstract))
    links = find_links(text)
    return Paper(
        title=clean_text(" ".join(title[1])),
        abstract=text,
        n_authors=n_authors,
        date=date,
        year=year,
        url=links[0] if links else None,
        links=links,
        source=path,
        source_format=FORMAT,
        line=title[0],
    )


def read_hf_daily(path: str | Path, *, listing_year: int | None = None) -> Iterator[Record]:
    text = read_text(path)
    if listing_year is None:
        listing_year = infer_listing_year(text)
    blocks = _blocks(text)
    start = 0
    while start < len(blocks) and all(ln in _HEADER or _DATE.match(ln) for ln in blocks[start][1]):
        start += 1

    title: Block | None = None
    abstract: list[str] = []
    for i in range(start, len(blocks)):
        number, lines = blocks[i]
        if _is_metadata(lines):
            if title is None:
                yield Rejected(str(path), number, "author/date block with no paper title before it")
            else:
                yield _paper(str(path), title, abstract, lines, listing_year)
            title, abstract = None, []
        elif title is None:
            title = (number, lines)
        elif not abstract:
            abstract = list(lines)
        elif _looks_like_title(lines) and i + 1 < len(blocks) and not _is_metadata(blocks[i + 1][1]):
            # The previous paper had no metadata block: this short line, followed by text, is the next title.
            yield _paper(str(path), title, abstract, [], listing_year)
            title, abstract = (number, lines), []
        else:
            abstract.extend(lines)
    if title is not None:
        yield _paper(str(path), title, abstract, [], listing_year)

"""Reader for BibTeX files (reference-manager exports, Google Scholar, arXiv's "Export BibTeX").

Parsing is left to bibtexparser 1.x. It drops entries it cannot parse without a word, so the entry heads are
also found in the text: that gives each entry its line number and turns a silently dropped one into a Rejected.
"""

from __future__ import annotations

import re
from collections import defaultdict, deque
from collections.abc import Iterator
from pathlib import Path

from ingest.readers.base import Record, Rejected, find_links, landing_url, line_numbers, month_number, read_text
from rag.errors import SourceError
from rag.text import clean_text
from rag.types import Paper, normalize_doi, parse_arxiv_id

FORMAT = "bibtex"
_HEAD = re.compile(r"^[ \t]*@[ \t]*(\w+)[ \t]*[{(]\s*([^,\s{}()]+)\s*,", re.M)
_NOT_ENTRIES = {"comment", "string", "preamble"}
_ARXIV_IN_TEXT = re.compile(r"arxiv:\s*([\w./-]+)", re.I)  # journal = {arXiv preprint arXiv:1706.03762}


def _authors(field: str) -> list[str]:
    from bibtexparser.latexenc import latex_to_unicode  # accents in names: M{\"u}ller -> Müller

    names = []
    for name in re.split(r"\s+and\s+", field.strip(), flags=re.I):
        parts = [p.strip() for p in latex_to_unicode(name).split(",")]
        if len(parts) == 2:  # Last, First
            parts = [parts[1], parts[0]]
        elif len(parts) == 3:  # Last, Jr, First
            parts = [parts[2], parts[0], parts[1]]
        name = clean_text(" ".join(parts))
        if name and name.lower() != "others":
            names.append(name)
    return names


def _arxiv(entry: dict) -> tuple[str | None, str | None]:
    eprint = entry.get("eprint", "")
    prefix = (entry.get("archiveprefix") or entry.get("eprinttype") or "").lower()
    for candidate in (eprint if prefix == "arxiv" else "", eprint, entry.get("url", "")):
        found = parse_arxiv_id(candidate)
        if found[0]:
            return found
    m = _ARXIV_IN_TEXT.search(entry.get("journal", ""))
    return parse_arxiv_id(m.group(1)) if m else (None, None)


def _paper(entry: dict, path: str, line: int | None) -> Paper:
    year_match = re.search(r"\d{4}", entry.get("year", ""))
    year = int(year_match.group()) if year_match else None
    month = month_number(entry.get("month"))
    arxiv_id, version = _arxiv(entry)
    doi = normalize_doi(entry.get("doi"))
    abstract = clean_text(entry.get("abstract"))
    links = find_links(abstract)
    keywords = re.split(r"\s*[;,]\s*", entry.get("keywords", ""))
    return Paper(
        title=clean_text(entry.get("title")),
        abstract=abstract,
        authors=_authors(entry.get("author", "")),
        date=f"{year:04d}-{month:02d}-01" if year and month else None,
        year=year,
        categories=list(dict.fromkeys(c for c in map(clean_text, [entry.get("primaryclass", ""), *keywords]) if c)),
        url=landing_url(entry.get("url"), arxiv_id, doi, links),
        links=links,
        arxiv_id=arxiv_id,
        arxiv_version=version,
        doi=doi,
        source=path,
        source_format=FORMAT,
        line=line,
    )


def read_bibtex(path: str | Path) -> Iterator[Record]:
    import bibtexparser
    from bibtexparser.bibdatabase import UndefinedString
    from bibtexparser.bparser import BibTexParser

    text = read_text(path)
    parser = BibTexParser(common_strings=True)  # month macros (jun -> June) and the usual journal strings
    parser.ignore_nonstandard_types = False  # keep @online, @software, ...
    try:
        entries = bibtexparser.loads(text, parser).entries
    except UndefinedString as e:  # the whole parse stops at the first unknown macro
        name = e.args[0]
        use = re.search(rf"[=#]\s*{re.escape(name)}\b", text, re.I)
        line = next(line_numbers(text, [use.start()])) if use else None
        hint = f'define it with @string{{{name} = "..."}} or write the value in braces'
        raise SourceError(path, f"undefined @string macro '{name}'; {hint}", line) from None
    if not entries:
        raise SourceError(path, "no BibTeX entries could be parsed; check that entries look like @article{key, ...}")

    parsed: dict[str, deque[dict]] = defaultdict(deque)
    for entry in entries:
        parsed[entry["ID"]].append(entry)
    heads = [m for m in _HEAD.finditer(text) if m.group(1).lower() not in _NOT_ENTRIES]
    for m, line in zip(heads, line_numbers(text, (m.start() for m in heads)), strict=True):
        key = m.group(2)
        if parsed[key]:
            yield _paper(parsed[key].popleft(), str(path), line)
        else:
            yield Rejected(str(path), line, f"BibTeX entry '{key}' could not be parsed (check its braces and commas)")
    for rest in parsed.values():  # entries whose head the pattern above did not find
        for entry in rest:
            yield _paper(entry, str(path), None)

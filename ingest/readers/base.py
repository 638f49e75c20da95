"""What every reader shares: the Rejected record, safe file reading, links, dates, author lists.

File checks live here so that an empty, binary or non-UTF-8 file gets the same message whichever format it
was meant to be, and so that big files are read line by line instead of into memory.
"""

from __future__ import annotations

import io
import re
from collections.abc import Iterable, Iterator
from dataclasses import dataclass
from datetime import date as _date
from pathlib import Path
from typing import BinaryIO

from rag.errors import SourceError
from rag.text import clean_text
from rag.types import Paper

EMPTY = "file is empty"
BINARY = "binary file, not a paper listing"
_SNIFF_BYTES = 8192  # enough to see a NUL in any binary format's header
_PIECE_BYTES = 1 << 20  # read long lines in 1 MB pieces


@dataclass
class Rejected:
    """A record that was skipped, with a reason the user can act on."""

    path: str
    line: int | None
    reason: str

    def __str__(self) -> str:
        where = f"{self.path}:{self.line}" if self.line else self.path
        return f"{where}: {self.reason}"


Record = Paper | Rejected


def _open(path: str | Path) -> io.BufferedReader:
    try:
        return open(path, "rb")
    except FileNotFoundError:
        raise SourceError(path, "file not found") from None
    except IsADirectoryError:
        raise SourceError(path, "is a directory, not a file") from None
    except OSError as e:
        raise SourceError(path, f"cannot read file ({e.strerror})") from None


def _not_utf8(path: str | Path, data: bytes, err: UnicodeDecodeError, line: int, offset: int) -> SourceError:
    byte = data[err.start]
    return SourceError(
        path,
        f"not UTF-8 text (invalid byte 0x{byte:02x} at line {line}, byte offset {offset + err.start}); "
        "re-save the file as UTF-8",
        line,
    )


def _decode(path: str | Path, data: bytes) -> str:
    if b"\x00" in data:
        raise SourceError(path, BINARY, data.count(b"\n", 0, data.index(b"\x00")) + 1)
    try:
        text = data.decode("utf-8")
    except UnicodeDecodeError as e:
        raise _not_utf8(path, data, e, data.count(b"\n", 0, e.start) + 1, 0) from None
    return text.removeprefix("\ufeff").replace("\r\n", "\n").replace("\r", "\n")


def read_text(path: str | Path) -> str:
    """The whole file as text, for formats that must be parsed as one document."""
    with _open(path) as f:
        data = f.read()
    text = _decode(path, data)
    if not text.strip():
        raise SourceError(path, EMPTY)
    return text


def read_head(path: str | Path, size: int = 65536) -> str:
    """The first `size` bytes as text, for guessing a file's format without reading all of it."""
    with _open(path) as f:
        data = f.read(size)
    if len(data) == size:  # do not blame a multi-byte character cut in half at the end
        try:
            data.decode("utf-8")
        except UnicodeDecodeError as e:
            if e.start >= size - 3:
                data = data[: e.start]
    text = _decode(path, data)
    if not text.strip():
        raise SourceError(path, EMPTY)
    return text


MAX_LINE_BYTES = 1_000_000  # the default of ingest.max_record_bytes


@dataclass
class Oversize:
    """A line longer than the bound: skipped without being held (its size in bytes)."""

    size: int


def _raw_lines(f: BinaryIO, limit: int) -> Iterator[bytes | Oversize]:
    """Lines as bytes, read in bounded pieces so a binary region without newlines fails before it is held, and a
    line over `limit` bytes is passed over piece by piece (never more than one piece in memory)."""
    while raw := f.readline(_PIECE_BYTES):
        while not raw.endswith(b"\n") and b"\x00" not in raw and len(raw) <= limit and (
                more := f.readline(_PIECE_BYTES)):
            raw += more
        if len(raw) > limit and b"\x00" not in raw:
            size = len(raw)
            while not raw.endswith(b"\n") and (raw := f.readline(_PIECE_BYTES)):
                size += len(raw)
            yield Oversize(size)
            continue
        yield raw


def iter_lines(path: str | Path, max_bytes: int = MAX_LINE_BYTES) -> Iterator[tuple[int, str | Oversize]]:
    """(line number, text) for each line, read lazily; the same checks as read_text, per line. A line over
    `max_bytes` comes as an Oversize, unread."""
    with _open(path) as f:
        if b"\x00" in f.peek(_SNIFF_BYTES)[:_SNIFF_BYTES]:
            raise SourceError(path, BINARY)
        offset, seen_text = 0, False
        for number, raw in enumerate(_raw_lines(f, max_bytes), 1):
            if isinstance(raw, Oversize):
                offset += raw.size
                seen_text = True
                yield number, raw
                continue
            if b"\x00" in raw:
                raise SourceError(path, BINARY, number)
            try:
                line = raw.decode("utf-8")
            except UnicodeDecodeError as e:
                raise _not_utf8(path, raw, e, number, offset) from None
            if number == 1:
                line = line.removeprefix("\ufeff")
            offset += len(raw)
            seen_text = seen_text or bool(line.strip())
            yield number, line.rstrip("\r\n")
        if not seen_text:
            raise SourceError(path, EMPTY)


def oversize(path: str | Path, line: int, record: Oversize, limit: int) -> Rejected:
    return Rejected(str(path), line,
                    f"record is {record.size:,} bytes; the limit is {limit:,} (ingest.max_record_bytes)")


def line_numbers(text: str, offsets: Iterable[int]) -> Iterator[int]:
    """The 1-based line of each of the increasing character `offsets` into `text`, counted in one pass."""
    line, last = 1, 0
    for pos in offsets:
        line += text.count("\n", last, pos)
        last = pos
        yield line


_URL = re.compile(r"https?://[^\s<>\"`{}|\\^]+")
_TRAILING = ".,;:!?'\"*"
_PAIRS = {")": "(", "]": "["}


def find_links(text: str) -> list[str]:
    """http(s) URLs in `text`, without the sentence punctuation around them, first occurrence first."""
    links: list[str] = []
    for m in _URL.finditer(text or ""):
        url = m.group()
        while url:
            last = url[-1]
            if last in _TRAILING or (last in _PAIRS and url.count(last) > url.count(_PAIRS[last])):
                url = url[:-1]
            else:
                break
        if "." in url.split("//", 1)[1] and url not in links:
            links.append(url)
    return links


def landing_url(url: str | None, arxiv_id: str | None, doi: str | None, links: list[str]) -> str | None:
    """The page a citation should open: the given URL, else arXiv, else the DOI, else the first link."""
    if url:
        return url
    if arxiv_id:
        return f"https://arxiv.org/abs/{arxiv_id}"
    if doi:
        return f"https://doi.org/{doi}"
    return links[0] if links else None


_MONTHS = ("jan", "feb", "mar", "apr", "may", "jun", "jul", "aug", "sep", "oct", "nov", "dec")
_FULL_MONTHS = (
    "january", "february", "march", "april", "may", "june",
    "july", "august", "september", "october", "november", "december",
)  # fmt: skip
_WEEKDAY = r"(?:(?:mon|tue|wed|thu|fri|sat|sun)[a-z]*\.?,?\s+)?"
_ISO = re.compile(r"^(\d{4})[-/.](\d{1,2})(?:[-/.](\d{1,2}))?(?:$|[T\s])")
_YEAR = re.compile(r"^(\d{4})$")
_MDY = re.compile(rf"^{_WEEKDAY}([a-z]+)\.?\s+(\d{{1,2}})(?:st|nd|rd|th)?,?\s+(\d{{4}})\b", re.I)
_DMY = re.compile(rf"^{_WEEKDAY}(\d{{1,2}})\s+([a-z]+)\.?,?\s+(\d{{4}})\b", re.I)
_MY = re.compile(r"^([a-z]+)\.?,?\s+(\d{4})$", re.I)
_MD = re.compile(r"^([a-z]+)\.?\s+(\d{1,2})$", re.I)


def month_number(name: str | None) -> int | None:
    """'Apr', 'april', 'Sept.', '4' or '04' -> 4."""
    s = (name or "").strip().lower().rstrip(".")
    if s.isdigit():
        return int(s) if 1 <= int(s) <= 12 else None
    if s == "sept":
        return 9
    if s in _MONTHS:
        return _MONTHS.index(s) + 1
    return _FULL_MONTHS.index(s) + 1 if s in _FULL_MONTHS else None


def _iso(year: int, month: int | None, day: int | None) -> tuple[str | None, int]:
    try:
        return _date(year, month or 0, day or 0).isoformat(), year
    except ValueError:
        return None, year


def parse_date(raw: object, default_year: int | None = None) -> tuple[str | None, int | None]:
    """A date string in a common format -> (ISO yyyy-mm-dd or None, year or None).

    A month without a day gives the 1st of the month; a year alone gives (None, year); a month and day without
    a year ('Aug 28') use `default_year`.
    """
    s = str(raw).strip() if raw is not None else ""
    if m := _ISO.match(s):
        return _iso(int(m[1]), int(m[2]), int(m[3] or 1))
    if m := _YEAR.match(s):
        return None, int(m[1])
    if m := _MDY.match(s):
        return _iso(int(m[3]), month_number(m[1]), int(m[2]))
    if m := _DMY.match(s):
        return _iso(int(m[3]), month_number(m[2]), int(m[1]))
    if m := _MY.match(s):
        return _iso(int(m[2]), month_number(m[1]), 1)
    if (m := _MD.match(s)) and default_year:
        return _iso(default_year, month_number(m[1]), int(m[2]))
    return None, None


_AUTHOR_SEP = re.compile(r"\s*;\s*")
_AUTHOR_LIST_SEP = re.compile(r"\s*,\s*(?:and\s+)?|\s+and\s+")


def split_authors(value: object) -> list[str]:
    """Cleaned names from a list, or from one string separated by ';', ',' or ' and '."""
    if isinstance(value, list):
        names = [v.get("name", "") if isinstance(v, dict) else str(v) for v in value]
    elif isinstance(value, str):
        names = (_AUTHOR_SEP if ";" in value else _AUTHOR_LIST_SEP).split(value)
    else:
        names = []
    return [n for n in map(clean_text, names) if n]

"""Sources: what the papers in the library came from, kept in the store itself so every process sees them.

A source is a file ingested from the shell, a file uploaded in the browser, or the bundled corpus. It goes by its
file's name (an upload keeps the name it was uploaded with): ingesting or uploading a file of the same name again
adds to the same source, whose kind and path become those of that latest ingest. Two things record it, both in
Chroma (rag/library/chroma.py):

  - each paper's record names the sources holding it (metadata `sources`, a list), so the papers of a source are
    one filtered read of the store, and a paper that several sources hold knows all of them;
  - the collection {name}-sources holds one small record per source: its kind (file, upload, bundled), how many
    papers it holds, when it was first and last ingested, and the path it was last read from (files only).
    Listing the sources reads these records only, never the papers, whatever the size of the library.

Every write keeps both in step under the library's writer locks (Library._write): the names a paper gains or
loses are counted into its sources' records; a record whose count reaches 0 goes. An ingest counts its sources
again exactly at its end, so a run killed between two writes leaves a count right at the next ingest of that
source. Removing a source takes its name off each of its papers and removes the papers no other source holds:
a paper in two sources stays until both are removed (what the removed source contributed to its fields stays).

A store written before sources were kept gets them on its first write or listing: each paper is assigned to the
file it was read from (its `source` field), in one pass over the papers' metadata, page by page.
"""

from __future__ import annotations

import re
import time
from collections import Counter
from dataclasses import dataclass, field
from datetime import datetime
from pathlib import Path
from typing import Any, Iterable, Mapping, Sequence

from rag.errors import PaperRAGError
from rag.library.chroma import placeholder, source_name, sources_of

__all__ = ["Origin", "Removal", "Source", "SourceRecords", "UnknownInIndex", "guess_kind", "source_name"]

KINDS = ("file", "upload", "bundled")


class UnknownInIndex(PaperRAGError):
    """A source name or paper id the library does not hold (nothing was changed)."""


@dataclass(frozen=True)
class Origin:
    """Where an ingest read a source from: its kind and, for files, the path."""

    kind: str = "file"
    path: str | None = None


@dataclass
class Source:
    name: str
    kind: str
    papers: int
    first: float  # when it was first ingested (epoch seconds; 0 when not known)
    last: float  # when it was last ingested
    path: str | None = None  # the file it was last read from (not for uploads)

    def to_dict(self) -> dict[str, Any]:
        return {
            "name": self.name,
            "kind": self.kind,
            "papers": self.papers,
            "first_ingested": _iso(self.first),
            "last_ingested": _iso(self.last),
            "path": self.path,
        }


@dataclass
class Removal:
    """What a removal did: the papers taken out of the library, and (removing a source) the papers that stay
    because another source holds them too."""

    source: str | None
    removed: list[str] = field(default_factory=list)
    kept: list[str] = field(default_factory=list)
    papers_in_store: int = 0

    def to_dict(self) -> dict[str, Any]:
        return {"source": self.source, "removed": self.removed, "kept": self.kept,
                "papers_in_store": self.papers_in_store}

    def summary(self) -> str:
        n = len(self.removed)
        text = f"removed {n} paper{'s' if n != 1 else ''}"
        if self.source is not None:
            text += f" of source {self.source!r}"
        if self.kept:
            k = len(self.kept)
            text += f"; {k} stay{'s' if k == 1 else ''} (another source holds {'it' if k == 1 else 'them'} too)"
        return text + f"; {self.papers_in_store} paper{'s' if self.papers_in_store != 1 else ''} in the index"


class SourceRecords:
    """The {name}-sources collection: one record per source, its id the source's name."""

    def __init__(self, handle: Any):
        self.handle = handle

    def all(self) -> list[Source]:
        res = self.handle.get(include=["metadatas"])
        found = [_source(i, m) for i, m in zip(res["ids"], res["metadatas"])]
        return sorted(found, key=lambda s: (-s.last, s.name))

    def get(self, names: Iterable[str]) -> dict[str, Source]:
        names = list(dict.fromkeys(names))
        if not names:
            return {}
        res = self.handle.get(ids=names, include=["metadatas"])
        return {i: _source(i, m) for i, m in zip(res["ids"], res["metadatas"])}

    def apply(self, delta: Mapping[str, int], origins: Mapping[str, Origin], now: float | None = None) -> None:
        """Add `delta` to the papers counted for each source; the sources in `origins` were ingested now (from
        there). A source left with no papers goes."""
        now = time.time() if now is None else now
        names = [n for n in dict.fromkeys([*delta, *origins]) if delta.get(n) or n in origins]
        have = self.get(names)
        put: list[Source] = []
        gone: list[str] = []
        for name in names:
            src = have.get(name)
            if src is None:
                if delta.get(name, 0) <= 0:
                    continue
                origin = origins.get(name, Origin())
                src = Source(name, origin.kind, 0, now, now, origin.path)
            src.papers += delta.get(name, 0)
            _ingested(src, origins.get(name), now)
            if src.papers > 0:
                put.append(src)
            else:
                gone.append(name)
        self._put(put)
        self.delete(gone)

    def settle(self, counts: Mapping[str, int], origins: Mapping[str, Origin], now: float | None = None) -> None:
        """Set the papers of these sources to `counts` (counted in the store), marking those in `origins` as
        ingested now."""
        now = time.time() if now is None else now
        have = self.get(counts)
        put: list[Source] = []
        gone: list[str] = []
        for name, n in counts.items():
            origin = origins.get(name, Origin())
            src = have.get(name) or Source(name, origin.kind, 0, now, now, origin.path)
            src.papers = n
            _ingested(src, origins.get(name), now)
            if n > 0:
                put.append(src)
            else:
                gone.append(name)
        self._put(put)
        self.delete(gone)

    def delete(self, names: Sequence[str]) -> None:
        if names:
            self.handle.delete(ids=list(names))

    def _put(self, sources: Sequence[Source]) -> None:
        if sources:
            self.handle.upsert(
                ids=[s.name for s in sources],
                embeddings=[placeholder(s.name) for s in sources],
                metadatas=[_meta(s) for s in sources],
            )


def backfill(chroma: Any, records: SourceRecords, *, created: float, default_paths: Sequence[Path] = (),
             progress: bool = False) -> None:
    """Give every paper that names no source its file's name, and count every source again: for a store written
    before sources were kept (or whose sources collection was lost). One pass over the papers' metadata, a page
    at a time; memory holds one page and one counter per source."""
    from tqdm import tqdm

    total = chroma.count()
    counts: Counter[str] = Counter()
    paths: dict[str, str] = {}
    with tqdm(total=total, unit="paper", desc="sources", disable=not progress or total < 2000) as bar:
        for page in chroma.iter_metadata():
            untagged: dict[str, list[str]] = {}
            for pid, meta in page:
                names = sources_of(meta)
                if not meta.get("sources"):
                    untagged[pid] = names
                counts.update(names)
                path = str(meta.get("source", ""))
                if source_name(path) in names:
                    paths.setdefault(source_name(path), path)
            if untagged:
                chroma.set_sources(untagged)
            bar.update(len(page))
    # Sources found only now: their kind guessed from the path their papers were read from, dated when the store
    # was made (when they were ingested is not known).
    have = records.get(counts)
    origins = {n: Origin(guess_kind(paths.get(n), default_paths), paths.get(n)) for n in counts if n not in have}
    records.settle(dict(counts), origins, now=created)
    stale = [s.name for s in records.all() if s.name not in counts]
    records.delete(stale)


def guess_kind(path: str | None, default_paths: Sequence[Path] = ()) -> str:
    """The kind of a source known only by a path: the bundled corpus, a browser upload (Gradio's upload folder), or
    a file."""
    if not path:
        return "file"
    if is_default(Path(path), default_paths):
        return "bundled"
    if any(re.match(r"(paperrag-)?gradio", part) for part in Path(path).parts[:-1]):
        return "upload"
    return "file"


def is_default(path: Path, default_paths: Sequence[Path]) -> bool:
    """Whether `path` is (inside) one of ingest.default_paths, the bundled corpus."""
    try:
        resolved = path.resolve()
    except OSError:
        return False
    for d in default_paths:
        try:
            d = Path(d).resolve()
        except OSError:
            continue
        if resolved == d or d in resolved.parents:
            return True
    return False


def unknown_source(name: str, location: str) -> UnknownInIndex:
    return UnknownInIndex(f"no source named {name!r} in the index at {location}; nothing was removed. "
                          "`paperrag sources` lists the sources.")


def unknown_papers(ids: Sequence[str], location: str) -> UnknownInIndex:
    shown = ", ".join(repr(i) for i in ids[:3]) + (f" and {len(ids) - 3} more" if len(ids) > 3 else "")
    which = "paper with id" if len(ids) == 1 else "papers with ids"
    return UnknownInIndex(f"no {which} {shown} in the index at {location}; nothing was removed. "
                          "`paperrag sources` lists the sources (remove one with --source NAME); a paper's id is "
                          "the paper_id of `paperrag ask --json`.")


def _ingested(src: Source, origin: Origin | None, now: float) -> None:
    if origin is not None:
        src.kind, src.last = origin.kind, now
        src.path = origin.path if origin.kind != "upload" else None


def _meta(s: Source) -> dict[str, Any]:
    meta: dict[str, Any] = {"kind": s.kind, "papers": int(s.papers), "first": float(s.first), "last": float(s.last)}
    if s.path:
        meta["path"] = s.path
    return meta


def _source(name: str, meta: dict[str, Any] | None) -> Source:
    meta = meta or {}
    return Source(name, str(meta.get("kind", "file")), int(meta.get("papers", 0)), float(meta.get("first", 0.0)),
                  float(meta.get("last", 0.0)), meta.get("path") or None)


def _iso(ts: float) -> str | None:
    return datetime.fromtimestamp(ts).astimezone().isoformat(timespec="seconds") if ts else None

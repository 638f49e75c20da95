"""Ingest: listing files -> Paper records -> vectors (paper and sentences) -> the library.

Two passes over the inputs. The first parses and validates everything (cheap next to embedding), so `--strict`
can refuse bad input before anything is written and the progress bar knows its total. The second encodes and
writes in batches of whole papers, with one progress bar that moves as the encoder works: a run killed at any
moment leaves only complete papers, and the next run completes the rest without duplicates because records are
keyed by `paper_id` and each paper carries a content hash.

Every file read is recorded as a source of the library (rag/library/sources.py), by its name: each paper names
the sources it was read from (a paper already stored gains the new source's name without being encoded again),
and `paperrag sources` / `paperrag remove --source` see them. `kind` says what the files are: files from the shell,
an upload from the browser, the bundled corpus (ingest.default_paths, recognised by path).
"""

from __future__ import annotations

import sys
import time
from collections import Counter
from dataclasses import dataclass, field
from pathlib import Path
from typing import Callable, Iterable, Iterator

from ingest.dedup import combine, group_duplicates, keys
from ingest.readers import SUPPORTED_EXTENSIONS, Rejected, read_records
from ingest.vectorize import vectorize
from rag.embeddings import Embedder
from rag.errors import PaperRAGError, SourceError, UsageError
from rag.instructions import addresses_a_model
from rag.library import Library, Origin, StoredPaper
from rag.library.sources import is_default, source_name
from rag.settings import IngestSettings, Settings
from rag.types import Paper

Record = Paper | Rejected | SourceError  # what pass 1 yields for each record or unreadable file
READ_BAR_DELAY = 0.5  # seconds of reading before pass 1 shows its bar (a listing of hundreds of papers: never)


class InputRejected(PaperRAGError):
    """--strict found bad input; nothing was written."""


@dataclass
class IngestReport:
    files: list[str] = field(default_factory=list)
    new: int = 0
    updated: int = 0
    unchanged: int = 0
    merged: int = 0  # records that were the same paper as another record of this run
    skipped: list[Rejected] = field(default_factory=list)
    file_errors: list[SourceError] = field(default_factory=list)
    texts_encoded: int = 0
    withheld: list[str] = field(default_factory=list)  # "path:line: sentence" of sentences addressed to a model
    added_ids: list[str] = field(default_factory=list)  # papers this run added to the library
    updated_ids: list[str] = field(default_factory=list)  # papers it changed (current ids; may differ from before)
    sources: list[str] = field(default_factory=list)  # the names of the sources this run read (`paperrag sources`)
    papers_in_store: int = 0
    seconds: float = 0.0
    cancelled: bool = False  # stopped between batches: what was written is complete, the rest was not read

    @property
    def ok(self) -> bool:
        return not self.file_errors

    def skip_reasons(self) -> Counter:
        return Counter(_reason_kind(r.reason) for r in self.skipped)

    def summary(self) -> str:
        parts = [f"{self.new} new", f"{self.updated} updated", f"{self.unchanged} unchanged"]
        if self.merged:
            parts.append(f"{self.merged} merged (same paper in several sources)")
        skipped = f"{len(self.skipped)} skipped"
        if self.skipped:
            skipped += " (" + ", ".join(f"{n} {k}" for k, n in self.skip_reasons().most_common()) + ")"
        parts.append(skipped)
        if self.file_errors:
            parts.append(f"{len(self.file_errors)} file(s) unreadable")
        if self.withheld:
            n = len(self.withheld)
            parts.append(f"{n} sentence{'s' if n != 1 else ''} addressed to a model withheld from evidence")
        if self.cancelled:
            parts.insert(0, "cancelled (the papers written before are complete)")
        return ", ".join(parts) + f"; {self.papers_in_store} paper{'s' if self.papers_in_store != 1 else ''} in the index ({self.seconds:.1f} s)"

    def to_dict(self) -> dict:
        return {
            "files": self.files,
            "new": self.new,
            "updated": self.updated,
            "unchanged": self.unchanged,
            "merged": self.merged,
            "skipped": [{"path": r.path, "line": r.line, "reason": r.reason} for r in self.skipped],
            "file_errors": [str(e) for e in self.file_errors],
            "texts_encoded": self.texts_encoded,
            "withheld_sentences": self.withheld,
            "added_ids": self.added_ids,
            "updated_ids": self.updated_ids,
            "sources": self.sources,
            "papers_in_store": self.papers_in_store,
            "seconds": round(self.seconds, 3),
            "cancelled": self.cancelled,
        }


def _reason_kind(reason: str) -> str:
    if "the limit is" in reason:
        return "over a size limit"
    for kind in ("no title", "no abstract", "duplicate", "malformed"):
        if kind in reason:
            return kind
    return "other"


# A folder holding one of these is an index (Chroma's store, a tantivy index), not listings: never read as papers.
_INDEX_MARKERS = ("chroma.sqlite3", ".managed.json", "meta.json.lock", "sync.json")


def _listing_files(folder: Path) -> list[Path]:
    """The supported files under `folder`, skipping hidden files and folders (".paperrag") and index folders."""
    import os

    found = []
    for root, dirs, files in os.walk(folder):
        if any(m in files for m in _INDEX_MARKERS):
            dirs[:] = []
            continue
        dirs[:] = [d for d in dirs if not d.startswith(".")]
        found += [Path(root) / f for f in files
                  if not f.startswith(".") and Path(f).suffix.lower() in SUPPORTED_EXTENSIONS]
    return sorted(found)


def expand_paths(paths: Iterable[str | Path]) -> list[Path]:
    """Files to read: each path as given, directories expanded to their supported files (recursively; hidden
    files and folders, and PaperRAG's own index folders, are left out)."""
    files: list[Path] = []
    for raw in paths:
        p = Path(raw)
        if not p.exists():
            raise SourceError(str(p), "no such file or directory")
        if p.is_dir():
            found = _listing_files(p)
            if not found:
                raise SourceError(
                    str(p), f"no supported files in this directory ({', '.join(sorted(SUPPORTED_EXTENSIONS))})"
                )
            files.extend(found)
        else:
            files.append(p)
    return list(dict.fromkeys(files))


def iter_valid(
    files: list[Path], fmt: str | None, listing_year: int | None, limits: IngestSettings | None = None
) -> Iterator[Record]:
    """Every record of every file: valid Papers, Rejected records with the reason (over a bound of `limits`
    included), unreadable files."""
    limits = limits or IngestSettings()
    for path in files:
        seen: dict[str, int | None] = {}
        try:
            for rec in read_records(path, fmt, listing_year=listing_year, max_record_bytes=limits.max_record_bytes):
                if isinstance(rec, Rejected):
                    yield rec
                elif not rec.title:
                    yield Rejected(str(path), rec.line, "record has no title")
                elif len(rec.title) > limits.max_title_chars:
                    yield Rejected(str(path), rec.line, f"title is {len(rec.title):,} characters long; the limit "
                                   f"is {limits.max_title_chars:,} (ingest.max_title_chars)")
                elif not rec.abstract:
                    yield Rejected(str(path), rec.line, f"'{rec.title[:60]}' has no abstract")
                elif len(rec.abstract) > limits.max_abstract_chars:
                    yield Rejected(str(path), rec.line, f"'{rec.title[:60]}': abstract is {len(rec.abstract):,} "
                                   f"characters long; the limit is {limits.max_abstract_chars:,} "
                                   "(ingest.max_abstract_chars)")
                elif rec.paper_id in seen:
                    where = f"line {seen[rec.paper_id]}" if seen[rec.paper_id] else "an earlier record"
                    yield Rejected(str(path), rec.line, f"duplicate of {where} (same id {rec.paper_id})")
                else:
                    seen[rec.paper_id] = rec.line
                    yield rec
        except SourceError as e:
            yield e


class Ingestor:
    """Writes papers into the library. Pass collaborators in (tests, UI); by default they come from settings."""

    def __init__(self, settings: Settings, embedder: Embedder | None = None, library: Library | None = None):
        self.settings = settings
        self.embedder = embedder or Embedder.for_ingest(settings.embedding)
        self.library = library or Library(settings)

    def run(
        self,
        paths: Iterable[str | Path] | None = None,
        *,
        fmt: str | None = None,
        rebuild: bool = False,
        strict: bool = False,
        progress: bool = True,
        listing_year: int | None = None,
        max_papers: int | None = None,
        should_stop: Callable[[], bool] | None = None,
        kind: str = "file",
    ) -> IngestReport:
        """Ingest `paths` (or ingest.default_paths). `max_papers` refuses input holding more valid records, found
        while validating, before anything is written (an upload's bound: ui.max_upload_papers); `should_stop` is
        asked between batches, and a run it stops keeps the papers written so far (`report.cancelled`). Each file
        is recorded as a source of kind `kind` ("file", or "upload" from the browser; files of the bundled corpus
        are "bundled" whatever it says)."""
        started = time.perf_counter()
        paths = list(paths or [])
        if not paths:
            paths = list(self.settings.ingest.default_paths)
            if not paths:
                raise UsageError("no input: give one or more PATHs (files or directories) to ingest (with no PATH it "
                                 "reads ingest.default_paths, which no config.yaml sets here: run it in the project "
                                 "folder, or set PAPERRAG_CONFIG).")
        files = expand_paths(paths)
        self._written: set[str] = set()  # paper ids written by this run (to tell merges from updates)
        year = listing_year or self.settings.ingest.listing_year
        report = IngestReport(files=[str(f) for f in files])
        self._origins = self._origins_of(files, kind)

        n_valid = 0
        limits = self.settings.ingest
        read_from: set[str] = set()  # the sources with at least one valid record
        for item in _reading(iter_valid(files, fmt, year, limits), progress):  # pass 1: validate, write nothing
            if isinstance(item, Paper):
                n_valid += 1
                read_from.add(source_name(item.source))
                if max_papers is not None and n_valid > max_papers:
                    raise UsageError(
                        f"this input holds more than {max_papers:,} papers, the most one upload may add "
                        "(ui.max_upload_papers); nothing was written. Ingest it from the shell with "
                        "`paperrag ingest PATH`, or split it."
                    )
            elif isinstance(item, Rejected):
                report.skipped.append(item)
            else:
                report.file_errors.append(item)
        problems = [str(e) for e in report.file_errors] + [
            f"{r.path}:{r.line}: {r.reason}" if r.line else f"{r.path}: {r.reason}" for r in report.skipped
        ]
        if strict and problems:
            raise InputRejected(
                f"{len(problems)} problem(s) in the input, first: {problems[0]}. Nothing was written; "
                "fix the input or drop --strict to skip bad records."
            )

        self._origins = {name: o for name, o in self._origins.items() if name in read_from}
        report.sources = sorted(self._origins)
        self.library.open_for_writing(self.embedder, rebuild=rebuild)
        try:
            self._write_all(files, fmt, year, n_valid, report, progress, should_stop)
            if not (rebuild and report.cancelled):
                self.library.settle_sources(self._origins)
        except BaseException:
            self.library.abort_rebuild()  # a failed rebuild leaves the index in use as it was
            raise
        if report.cancelled:
            self.library.abort_rebuild()
        elif rebuild:
            if progress:
                print("switching to the rebuilt index ...", file=sys.stderr, flush=True)
            self.library.finish_rebuild()
        report.papers_in_store = self.library.count()
        report.seconds = time.perf_counter() - started
        return report

    def _origins_of(self, files: list[Path], kind: str) -> dict[str, Origin]:
        """Each file's source: its name, its kind, and (not for uploads: their path is a temporary copy) its path."""
        defaults = list(self.settings.ingest.default_paths)
        origins: dict[str, Origin] = {}
        for f in files:
            k = "bundled" if is_default(f, defaults) else kind
            origins[source_name(str(f))] = Origin(k, None if k == "upload" else str(f.resolve()))
        return origins

    def _write_all(self, files: list[Path], fmt: str | None, year: int | None, n_valid: int, report: IngestReport,
                   progress: bool, should_stop: Callable[[], bool] | None) -> None:
        """Pass 2: encode and write, in batches of whole papers, with one progress bar."""
        from tqdm import tqdm

        limits = self.settings.ingest
        batch_size = self.settings.ingest.batch_papers
        with tqdm(
            total=n_valid, unit="paper", desc="ingest", disable=not progress, file=sys.stderr, dynamic_ncols=True,
            bar_format="{l_bar}{bar}| {n:.0f}/{total_fmt} [{elapsed}<{remaining}, {rate_fmt}]",
        ) as bar:
            batch: list[Paper] = []
            for item in iter_valid(files, fmt, year, limits):  # pass 2: encode and write
                if not isinstance(item, Paper):
                    continue
                batch.append(item)
                if len(batch) >= batch_size:
                    if should_stop is not None and should_stop():
                        report.cancelled = True
                        break
                    self._write_batch(batch, report, bar)
                    batch = []
            if batch and not report.cancelled and not (should_stop is not None and should_stop()):
                self._write_batch(batch, report, bar)
            elif batch:
                report.cancelled = True
            if not report.cancelled:
                bar.n = n_valid  # exact, whatever fractions the encoder reported
            bar.refresh()

    def _write_batch(self, batch: list[Paper], report: IngestReport, bar) -> None:
        start = bar.n
        candidates: list[tuple[Paper, list[str]]] = []  # each paper, and the sources it was read from
        for group in group_duplicates(batch):
            cand = batch[group[0]]
            for i in group[1:]:
                cand = combine(batch[i], cand)
            report.merged += len(group) - 1
            candidates.append((cand, sorted({source_name(batch[i].source) for i in group})))

        by_key: dict[str, StoredPaper] = {}
        for sp in self.library.find([c for c, _ in candidates]):
            for k in keys(sp.paper):
                by_key.setdefault(k, sp)

        remove: list[str] = []
        to_write: list[Paper] = []
        sources: dict[str, list[str]] = {}  # paper id -> the sources it is read from (and was, under another id)
        tag: dict[str, list[str]] = {}  # unchanged papers read from a source they did not name yet
        for cand, names in candidates:
            match = next((by_key[k] for k in keys(cand) if k in by_key), None)
            if match is None:
                report.new += 1
                report.added_ids.append(cand.paper_id)
                paper = cand
            else:
                paper = combine(cand, match.paper)
                earlier_this_run = match.paper_id in self._written
                if paper.paper_id == match.paper_id and paper.content_hash == match.content_hash:
                    if earlier_this_run:
                        report.merged += 1
                    else:
                        report.unchanged += 1
                    if not set(names) <= set(match.sources):
                        tag[match.paper_id] = sorted({*tag.get(match.paper_id, []), *names})
                    continue
                names = [*match.sources, *names]  # a paper that changes id keeps the sources it had
                if earlier_this_run:
                    report.merged += 1
                    if match.paper_id in report.added_ids and match.paper_id != paper.paper_id:
                        report.added_ids[report.added_ids.index(match.paper_id)] = paper.paper_id
                else:
                    report.updated += 1
                    report.updated_ids.append(paper.paper_id)
                if match.paper_id != paper.paper_id:
                    remove.append(match.paper_id)
            self._written.add(paper.paper_id)
            to_write.append(paper)
            sources[paper.paper_id] = list(dict.fromkeys([*sources.get(paper.paper_id, []), *names]))

        vectorized = []
        if to_write:
            vectorized = vectorize(to_write, self.embedder, progress=lambda n: bar.update(n * len(batch) / len(to_write)))
            report.texts_encoded += sum(1 + len(v.spans) for v in vectorized)
            report.withheld += [
                f"{v.paper.source}:{v.paper.line}: {v.paper.abstract[a:b]}" if v.paper.line else
                f"{v.paper.source}: {v.paper.abstract[a:b]}"
                for v in vectorized for a, b in v.spans if addresses_a_model(v.paper.abstract[a:b])
            ]
            for v in vectorized:
                v.sources = sources[v.paper.paper_id]
        if to_write or tag:
            self.library.write(vectorized, remove=remove, tag=tag, origins=self._origins)
        bar.n = start + len(batch)
        bar.refresh()


def _reading(items: Iterator[Record], progress: bool) -> Iterator[Record]:
    """Pass 1's records, counted on a progress bar of their own once reading takes longer than READ_BAR_DELAY
    seconds (an arXiv snapshot of a field: minutes), so a large input never sits silent before the ingest bar."""
    from tqdm import tqdm

    with tqdm(unit=" records", desc="read", disable=not progress, file=sys.stderr, dynamic_ncols=True,
              delay=READ_BAR_DELAY) as bar:
        for item in items:
            bar.update()
            yield item


def ingest(paths: Iterable[str | Path] | None, settings: Settings, **kwargs) -> IngestReport:
    """Convenience wrapper: `Ingestor(settings).run(paths, **kwargs)`."""
    return Ingestor(settings).run(paths, **kwargs)

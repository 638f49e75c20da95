"""The library: every paper PaperRAG knows, behind one object. Retrieval, evidence, citations, ingest, the UI and
the evals ask it questions; nothing else touches Chroma or the lexical index.

What lives where (see rag/library/chroma.py):
  - Chroma is the single source of truth: paper vectors and metadata; abstracts with their sentence spans and
    vectors (the sentence records: Chroma would full-text index them as documents); the change log. A process
    holds nothing proportional to the collection beyond what Chroma itself loads (the HNSW index of the paper
    vectors, about 1.5 KB per paper).
  - Sources (rag/library/sources.py): each paper's record names the files or uploads holding it, and a small
    record per source says its kind, how many papers it holds and when it was ingested. Writes keep them in step;
    removing a source removes the papers no other source holds.
  - The lexical index (tantivy, rag/library/lexical.py) is derived from Chroma and kept on local disk under
    `store.cache_dir`. Every write updates it at once; other processes and other clients of a shared Chroma
    server bring theirs up to date from the change log before each question (rag/library/changes.py). A client
    with an empty cache rebuilds it from the texts stored in Chroma, with a progress bar and no model.

Concurrency: writers take a file lock (per embedded store, and per lexical index) for the few moments of a
write, so two ingests interleave batch by batch; readers never wait for a whole ingest. Embedded Chroma keeps
the paper-vector index in memory and does not see another process's writes, so a process reopens its client when
the change log shows that someone else wrote.
"""

from __future__ import annotations

import contextlib
import json
import sys
import threading
import time
from collections import Counter, OrderedDict
from dataclasses import dataclass, field
from pathlib import Path
from typing import TYPE_CHECKING, Any, Mapping, Sequence

from rag.errors import EmptyIndexError, ModelMismatchError, PaperRAGError, StoreError, UsageError
from rag.filters import Filters
from rag.instructions import addresses_a_model
from rag.library.changes import HORIZON_SECONDS, Change, ChangeLog, new_writer_id
from rag.library.chroma import (
    CLIENTS,
    READABLE_LAYOUTS,
    ChromaCollections,
    PaperRecord,
    SentenceRecord,
    paper_from_metadata,
    read_only,
    read_only_store,
    source_name,
    sources_of,
    stored_abstract,
    unreachable,
)
from rag.library.codec import pack, unpack
from rag.library.lexical import FORMAT as LEXICAL_FORMAT
from rag.library.lexical import LexicalDoc, LexicalIndex, analyzed_all
from rag.library.sources import (
    Origin,
    Removal,
    Source,
    SourceRecords,
    UnknownInIndex,
    backfill,
    unknown_papers,
    unknown_source,
)
from rag.locks import FileLock
from rag.settings import Settings
from rag.terms import TermIDF, term_set
from rag.text import short_hash
from rag.types import SCHEMA_VERSION, Paper

if TYPE_CHECKING:
    import numpy as np

    from rag.embeddings import Embedder

__all__ = ["Library", "Origin", "Passage", "Removal", "Sentence", "Source", "StoredPaper", "UnknownInIndex",
           "VectorizedPaper", "unknown_papers", "unknown_source"]

# Filters the lexical index resolves to paper ids go to Chroma as those ids when there are at most this many.
MAX_FILTER_IDS = 20_000
BROAD_FILTER = 0.02  # a filter matching at least this share of the collection is applied after the search
SENTENCE_CACHE = 1024  # papers whose unpacked sentence vectors are kept between questions
REBUILD_GRACE = 3.0  # seconds questions already running on a replaced index get before it is dropped
LOW_DISK_BYTES = 64 * 2**20  # a write that failed with this little space left failed for want of space
SOURCE_PAGE = 500  # papers per write when a source is removed


@dataclass
class Sentence:
    """A sentence of a stored abstract, with its vector and terms."""

    paper_id: str
    start: int  # character offsets in the abstract
    end: int
    text: str
    vector: "np.ndarray"
    terms: frozenset[str]


@dataclass
class Passage:
    """A retrieved paper as evidence needs it: its record and its sentences (empty if the paper is incomplete).
    Sentences that address a model instead of reporting research (rag/instructions.py) are not among them: they
    are `withheld`, so nothing after retrieval can quote them, follow them or count them as support."""

    record: PaperRecord
    sentences: list[Sentence] = field(default_factory=list)
    withheld: list[str] = field(default_factory=list)


@dataclass
class StoredPaper:
    paper_id: str
    content_hash: str  # "" when the stored paper is incomplete (a write was interrupted): it is written again
    paper: Paper
    sources: list[str] = field(default_factory=list)  # names of the sources holding it


@dataclass
class VectorizedPaper:
    """A paper ready to store: its vector, its sentence spans and one vector per sentence, and the sources it is
    (also) read from (by name; none given: its file's name)."""

    paper: Paper
    vector: "np.ndarray"
    spans: list[tuple[int, int]]
    sentence_vectors: "np.ndarray"
    sources: list[str] = field(default_factory=list)


_SYNC_FILE = "sync.json"


def _guarded(method):
    """Whatever Chroma or the network raise inside a library call reaches the caller as one StoreError line."""
    import functools

    @functools.wraps(method)
    def wrapper(self: "Library", *args: Any, **kwargs: Any) -> Any:
        try:
            with CLIENTS.shared():  # no other thread's reopen clears Chroma's client cache under this call
                return method(self, *args, **kwargs)
        except PaperRAGError:
            raise
        except Exception as e:
            raise self._translate(e) from None

    return wrapper


class Library:
    def __init__(self, settings: Settings, *, writer_id: str | None = None, progress: bool = True):
        self.settings = settings
        self.chroma = ChromaCollections(settings)
        self.writer_id = writer_id or new_writer_id()
        self.log = ChangeLog(self.chroma, self.writer_id)
        self.progress = progress
        self._lexical: LexicalIndex | None = None
        self._lexical_for: str | None = None  # the Chroma collection id the lexical index mirrors
        self._verified: Path | None = None  # the lexical index whose paper count was checked against Chroma
        self._rebuilding: tuple[str, str] | None = None  # (generation in use, generation being built)
        self._lock = threading.RLock()  # one refresh or write at a time in this process
        self._lexical_guard = threading.RLock()  # opening (or rebuilding) the lexical index
        self._observed: set[tuple[str, str]] = set()  # (change id, state) this process's Chroma client has seen
        self._opened_at = 0.0  # when the Chroma client was (re)opened
        self._checked: str | None = None  # vector space already checked against the manifest
        self._dim: int | None = None
        # (paper id, content hash) -> spans, vectors and the abstract of a layout-3 sentence record (else None)
        self._sentence_cache: OrderedDict[tuple[str, str], tuple[list[tuple[int, int]], "np.ndarray", str | None]] \
            = OrderedDict()
        self._cache_lock = threading.Lock()
        self._sources_ready: str | None = None  # the sources collection known to name every paper's sources
        self._layout_for: str | None = None  # the papers collection whose manifest says layout SCHEMA_VERSION

    # ----- where things are -------------------------------------------------------------------------------
    @property
    def location(self) -> str:
        return self.chroma.location

    def _lexical_root(self) -> Path:
        s = self.settings.store
        return Path(s.cache_dir) / f"lexical-{s.collection}-{short_hash(self.location, length=10)}"

    def _store_lock(self) -> FileLock | None:
        if not self.chroma.embedded:
            return None  # a Chroma server orders its own writes
        return FileLock.for_path(Path(self.settings.store.persist_dir) / ".paperrag-write.lock", what="the index")

    def _lexical_lock(self) -> FileLock:
        return FileLock.for_path(self._lexical_root() / ".lock", what="the lexical index")

    # ----- manifest -----------------------------------------------------------------------------------------
    @_guarded
    def exists(self) -> bool:
        return self.chroma.exists()

    @_guarded
    def manifest(self) -> dict[str, Any]:
        return self.chroma.manifest() if self.exists() else {}

    @staticmethod
    def wanted_manifest(embedder: "Embedder") -> dict[str, Any]:
        return {
            "paperrag_schema": SCHEMA_VERSION,
            "embedding_model": embedder.model_id,
            "embedding_dim": embedder.dimension,
            "embedding_backend": embedder.backend,
            "embedding_quantization": embedder.quantization,
            "vector_space": embedder.vector_space,
        }

    @_guarded
    def check(self, embedder: "Embedder") -> None:
        """Refuse a store built with other vectors (another model, or int8 against float) or by another schema."""
        if self._checked == embedder.vector_space:
            return
        if not self.exists():
            raise EmptyIndexError.at(self.location)
        have = self.chroma.manifest()
        rebuild = "Run `paperrag ingest --rebuild PATH...` to rebuild the index with the configured settings."
        if have.get("paperrag_schema") not in READABLE_LAYOUTS:
            raise ModelMismatchError(
                f"the index at {self.location} has schema version {have.get('paperrag_schema', 'unknown')}, this "
                f"PaperRAG uses {SCHEMA_VERSION}. " + rebuild
            )
        if have.get("vector_space") != embedder.vector_space:
            built = f"{have.get('embedding_model')} (backend {have.get('embedding_backend')}, quantization " \
                    f"{have.get('embedding_quantization')})"
            want = f"{embedder.model_id} (backend {embedder.backend}, quantization {embedder.quantization})"
            hint = ""
            if have.get("embedding_model") == embedder.model_id:
                same = "onnx-int8" if have.get("embedding_quantization") != "none" else "torch, onnx or torch-bf16"
                hint = f"Set embedding.backend to {same} to use this index, or rebuild it: "
            raise ModelMismatchError(
                f"the index at {self.location} was built with {built} vectors; the config asks for {want}. "
                + (hint + rebuild[0].lower() + rebuild[1:] if hint else rebuild)
            )
        self._checked = embedder.vector_space

    @_guarded
    def open_for_writing(self, embedder: "Embedder", *, rebuild: bool = False) -> None:
        """Create the collections (or check the existing ones against `embedder`). `rebuild` builds a new index
        beside the one in use, which keeps answering until `finish_rebuild` switches to the new one."""
        with self._write_locks():
            self._clear_interrupted_rebuilds()
            if rebuild and self.exists():
                self._begin_rebuild()
            elif self.exists():
                self._checked = None
                self.check(embedder)
                return
            from datetime import datetime, timezone

            self.chroma.create(
                {**self.wanted_manifest(embedder), "created": datetime.now(timezone.utc).isoformat(timespec="seconds")}
            )
            self._checked = embedder.vector_space

    # ----- rebuilding beside the index in use -------------------------------------------------------------------
    def _rebuild_lock(self) -> FileLock:
        s = self.settings.store
        where = Path(s.persist_dir) if self.chroma.embedded else self._lexical_root()
        return FileLock.for_path(where / f".paperrag-rebuild-{s.collection}.lock", timeout=1.0, what="a rebuild")

    def _begin_rebuild(self) -> None:
        lock = self._rebuild_lock()
        try:
            lock.acquire()
        except StoreError:
            raise UsageError(
                f"another `paperrag ingest --rebuild` of the index at {self.location} is running: wait for it to "
                "finish (the index in use keeps answering meanwhile)."
            ) from None
        self._rebuilding = (self.chroma.generation, self.chroma.new_generation())
        self.chroma.pinned = self._rebuilding[1]
        self._lexical, self._lexical_for, self._verified = None, None, None

    def finish_rebuild(self) -> None:
        """Make the rebuilt index the one in use (one write), give questions already running on the old one a
        moment (REBUILD_GRACE) to finish, then drop it. Nothing to do when no rebuild is under way."""
        if self._rebuilding is None:
            return
        old, new = self._rebuilding
        with self._lock, self._write_locks(), CLIENTS.shared():
            self.chroma.make_current(new)
            old_log = self.chroma.handle(self.chroma.names_of(old)[2])
            if old_log is not None:
                self.log.supersede(old_log)
        time.sleep(REBUILD_GRACE)
        self._end_rebuild(drop=old)

    def abort_rebuild(self) -> None:
        """A rebuild that failed: its partial collections go, the index in use stays as it was."""
        if self._rebuilding is not None:
            self._end_rebuild(drop=self._rebuilding[1])

    def _end_rebuild(self, drop: str) -> None:
        import shutil

        with self._lock:
            with CLIENTS.shared():
                self.chroma.pinned = None  # back to the pointer: the new index after a finish, the old after an abort
                self.chroma.drop_generation(drop)
                keep = self.chroma.collection_id
            for folder in self._lexical_root().glob("index-*"):
                if not folder.name.startswith(f"index-{keep}-"):
                    shutil.rmtree(folder, ignore_errors=True)
            self._lexical, self._lexical_for, self._verified = None, None, None
            self._rebuilding = None
            self._rebuild_lock().release()

    def _clear_interrupted_rebuilds(self) -> None:
        """Generations that are not in use, left by a rebuild that was killed: dropped, and said, unless a rebuild
        is running now (it holds the rebuild lock)."""
        if not self.chroma.exists():
            return
        current = self.chroma.generation
        orphans = sorted(g for g in self.chroma.generations() if g != current)
        if not orphans:
            return
        lock = self._rebuild_lock()
        try:
            lock.acquire()
        except StoreError:
            return  # a rebuild is running: its collections are not orphans
        try:
            for gen in orphans:
                n = self.chroma.count_of(gen)
                self.chroma.drop_generation(gen)
                self._say(f"a rebuild of the index at {self.location} was interrupted ({n:,} papers of the new "
                          "index had been written): removed what it left; the index in use was not touched")
        finally:
            lock.release()

    def _drop_lexical(self) -> None:
        import shutil

        root = self._lexical_root()
        for folder in root.glob("index-*"):
            shutil.rmtree(folder, ignore_errors=True)
        self._lexical, self._lexical_for = None, None

    # ----- keeping up with other writers ------------------------------------------------------------------
    def _write_locks(self) -> "_Locks":
        return _Locks([lock for lock in (self._store_lock(), self._lexical_lock()) if lock is not None])

    def refresh(self) -> None:
        """Make this process see every write made so far, by any process or client: reopen embedded Chroma if
        someone else wrote, and apply what the lexical index has not seen yet. One small query when nothing
        changed.

        Lock order, everywhere: this library's `_lock` (one refresh or write at a time), then CLIENTS shared (every
        Chroma call), then `_lexical_guard`, then the file locks. A thread that shares CLIENTS never waits for
        `_lock`, so a reopen (which waits until no other thread shares CLIENTS) cannot wait on a thread that waits
        on it."""
        with self._lock:
            self._refresh_shared()

    @_guarded
    def _refresh_shared(self) -> None:
        try:
            self._refresh()
        except (StoreError, ModelMismatchError):
            raise
        except Exception as e:
            if _is_not_found(e) and self._reopen():  # the collection was rebuilt elsewhere: start over with it
                self._refresh()
            else:
                raise

    def _refresh(self) -> None:
        if not self.exists():
            raise EmptyIndexError.at(self.location)
        if not self._opened_at:
            self._opened_at = time.time()
        self._check_companions()
        cid = self.chroma.collection_id
        lexical = self._lexical_index()
        state = _read_state(lexical.folder)
        # Only the entries this process has not seen settled are read in full: after a large ingest the recent
        # window holds thousands of entries, and a question must not decode them all again.
        settled = {i for i, st in self._observed if st == "done"}
        wanted = [i for i in self.log.ids_since(state["watermark"] - HORIZON_SECONDS) if i not in settled]
        wanted += [i for i in state["pending"] if i not in settled]
        wanted += [i for i, st in self._observed if st == "pending"]
        entries = self.log.get(list(dict.fromkeys(wanted)))
        self._reopen_if_others_wrote(entries)
        if self.chroma.collection_id != cid:  # a rebuild made another index current: start over on that one
            return self._refresh()
        todo = [e for e in entries if e.id not in state["applied"]]
        if todo:
            with self._lexical_lock():
                state = _read_state(lexical.folder)  # another process may have applied them meanwhile
                todo = [e for e in todo if e.id not in state["applied"]]
                if todo:
                    self._apply_to_lexical(lexical, sorted({pid for e in todo for pid in e.paper_ids}))
                    _record_applied(lexical.folder, state, todo)
        lexical.reload()
        if self._verified != lexical.folder:
            self._verify_count(lexical, entries)

    def _verify_count(self, lexical: LexicalIndex, entries: Sequence[Change]) -> None:
        """Once per process: the lexical index holds as many papers as Chroma. A cache emptied by hand, or one that
        outlived a restore of the Chroma store from an older backup (phantom papers taking BM25 slots), is rebuilt.
        Writers of an embedded store hold the lexical lock while they write, so under it the counts must agree; a
        write still in flight elsewhere (another client of a server) postpones the check to the next question."""
        if lexical.count() == self.chroma.count():
            self._verified = lexical.folder
            return
        if any(not e.settled(time.time()) for e in entries):
            return
        with self._lexical_lock():
            lexical.reload()
            have, want = lexical.count(), self.chroma.count()
            if have != want:
                self._say(f"the lexical index at {lexical.folder} holds {have:,} papers where the Chroma store "
                          f"holds {want:,} (a cache emptied, or a store restored from a backup): rebuilding it")
                self._rebuild_lexical(lexical, self.chroma.collection_id)
        self._verified = lexical.folder

    def _check_companions(self) -> None:
        """The sentence and change-log collections beside the papers: a missing change log is made again (with the
        lexical index rebuilt, since what it recorded is gone); missing sentences are named with the fix."""
        _, sentences, changes = self.chroma.names()
        if self.chroma.handle(sentences) is None:
            raise StoreError(
                f"the index at {self.location} has lost its sentence collection '{sentences}' (the papers are "
                "there, their sentence vectors are not): run `paperrag ingest --rebuild PATH...` to rebuild it."
            )
        if self.chroma.handle(changes) is None:
            self._say(f"the change log '{changes}' of the index at {self.location} was missing: made it again "
                      "and rebuilding the lexical index")
            self.chroma.ensure_changes()
            self._drop_lexical()

    def _say(self, line: str) -> None:
        """A repair the library makes on its own, told on stderr (the command's output stays clean)."""
        print(f"paperrag: {line}", file=sys.stderr, flush=True)

    def _reopen_if_others_wrote(self, entries: Sequence[Change]) -> None:
        fresh = [e for e in entries if (e.id, e.state) not in self._observed]
        others = any(e.writer != self.writer_id and (not e.done or e.done_ts > self._opened_at) for e in fresh)
        switched = any(e.superseded and e.writer != self.writer_id for e in fresh)
        if (others and self.chroma.embedded) or switched:  # a Chroma server sees every client's writes; embedded
            # Chroma does not; a rebuild's switch is read from the pointer, which only a reopen reads again
            with self._store_lock() or contextlib.nullcontext():  # never while another process writes the files
                if not self._reopen():
                    return  # other threads kept the client busy: the next question tries again
        self._observed.update((e.id, e.state) for e in entries)
        self._observed -= {(e.id, "pending") for e in entries if e.done}
        if len(self._observed) > 50_000:  # bounded: entries older than the horizon are never fetched again
            self._observed = {(e.id, e.state) for e in entries}

    def _reopen(self) -> bool:
        if not self.chroma.reopen():
            return False
        self._opened_at = time.time()
        self._observed.clear()
        self._checked = None  # the collection may have been rebuilt with other vectors: check the manifest again
        self._dim = None
        with self._cache_lock:
            self._sentence_cache.clear()
        return True

    def _lexical_index(self) -> LexicalIndex:
        """The lexical index mirroring the current collection, rebuilt from Chroma when missing or stale."""
        cid = self.chroma.collection_id
        lexical = self._lexical
        if lexical is not None and self._lexical_for == cid:
            return lexical  # the common case takes no lock
        with self._lexical_guard:
            return self._open_lexical(cid)

    def _open_lexical(self, cid: str) -> LexicalIndex:
        if self._lexical is not None and self._lexical_for == cid:
            return self._lexical
        folder = self._lexical_root() / f"index-{cid}-f{LEXICAL_FORMAT}"
        lexical = LexicalIndex(folder)
        if _read_state(folder).get("collection_id") != cid:
            with self._lexical_lock():
                if _read_state(folder).get("collection_id") != cid:
                    self._rebuild_lexical(lexical, cid)
        elif lexical.damage():
            with self._lexical_lock():
                lexical = LexicalIndex(folder)
                damage = lexical.damage()
                if damage:
                    self._say(f"the lexical index at {folder} is damaged ({damage}): rebuilding it from the Chroma "
                              "store")
                    self._rebuild_lexical(lexical, cid)
        self._lexical, self._lexical_for = lexical, cid
        return lexical

    def _rebuild_lexical(self, lexical: LexicalIndex, cid: str) -> None:
        """Index every paper Chroma holds (texts only, no model). Changes written meanwhile are newer than the
        log entries read first, so the next refresh applies them. Most of the time is analysing the texts (terms
        and names, pure Python): past REBUILD_PARALLEL papers worker processes analyse a page each while this one
        reads the next page from Chroma and writes the analysed ones."""
        from collections import deque

        from tqdm import tqdm

        lexical.destroy()
        entries = self.log.since(0.0)
        ids = list(self.chroma.iter_ids())
        pages = [ids[i : i + REBUILD_PAGE] for i in range(0, len(ids), REBUILD_PAGE)]
        workers = rebuild_workers(len(ids))
        with tqdm(total=len(ids), unit="paper", desc="lexical index", file=sys.stderr, dynamic_ncols=True,
                  disable=not self.progress or len(ids) < REBUILD_PAGE) as bar, _analysis_pool(workers) as pool:
            pending: deque[tuple[list[str], dict[str, tuple[str, Paper]], Any]] = deque()

            def write_oldest() -> None:
                part, records, future = pending.popleft()
                _apply_texts(lexical, part, records, _analysed(future, records))
                bar.update(len(part))

            for part in pages:
                records = self.chroma.paper_texts(part)
                future = _submit(pool, [paper for _, paper in records.values()])
                pending.append((part, records, future))
                if len(pending) > workers:
                    write_oldest()
            while pending:
                write_oldest()
        if not ids:
            lexical.clear()
        state = {"collection_id": cid, "applied": {}, "pending": {}, "watermark": 0.0}
        _record_applied(lexical.folder, state, entries)

    def _apply_to_lexical(self, lexical: LexicalIndex, paper_ids: Sequence[str]) -> None:
        """Make the lexical index hold what Chroma holds now for these papers."""
        _apply_texts(lexical, paper_ids, self.chroma.paper_texts(paper_ids))

    # ----- writing --------------------------------------------------------------------------------------------
    @_guarded
    def find(self, papers: Sequence[Paper]) -> list[StoredPaper]:
        """Stored papers that share an arXiv id, DOI or normalised title with any of `papers`."""
        ids = self.chroma.find(
            {p.arxiv_id for p in papers if p.arxiv_id}, {p.doi for p in papers if p.doi}, {p.title_key for p in papers}
        )
        records = self.chroma.get_papers(ids)  # an incomplete paper's abstract is "" when not known: the
        # candidate's fills it (ingest/dedup.py merge), never another version's text
        return [StoredPaper(pid, r.content_hash if r.complete else "", r.paper, r.sources)
                for pid, r in records.items()]

    def write(
        self,
        papers: Sequence[VectorizedPaper],
        remove: Sequence[str] = (),
        *,
        tag: Mapping[str, Sequence[str]] | None = None,
        untag: Mapping[str, Sequence[str]] | None = None,
        origins: Mapping[str, Origin] | None = None,
    ) -> list[str]:
        """Store `papers` (replacing earlier versions) and delete `remove`, logged so every reader sees it. A paper
        keeps the sources it had and gains its `sources`; `tag` adds source names to stored papers and `untag`
        takes them off (a paper left with no source is removed), changing nothing else of them. The sources'
        records count what changed; `origins` are the sources being ingested now (kind, path). Returns the ids of
        the papers this write removed from the library."""
        with self._lock:
            return self._write(papers, remove, tag or {}, untag or {}, origins or {})

    @_guarded
    def _write(self, papers: Sequence[VectorizedPaper], remove: Sequence[str], tag: Mapping[str, Sequence[str]],
               untag: Mapping[str, Sequence[str]], origins: Mapping[str, Origin]) -> list[str]:
        self._lexical_index()  # opened (or rebuilt) before this thread holds the file locks a rebuild takes
        with self._write_locks():
            try:
                self._refresh()  # our view of the vector index must include every earlier write before we add
                records = self._source_records()
                ids = [v.paper.paper_id for v in papers]
                deletes = [r for r in dict.fromkeys(remove) if r not in ids]
                touched = [p for p in dict.fromkeys([*tag, *untag]) if p not in ids and p not in deletes]
                before = self.chroma.get_sources([*ids, *deletes, *touched])
                after: dict[str, list[str]] = {}
                for v in papers:
                    have = before[v.paper.paper_id][0] if v.paper.paper_id in before else []
                    after[v.paper.paper_id] = _union(have, v.sources) or [source_name(v.paper.source)]
                after.update({pid: [] for pid in deletes})
                retag: dict[str, list[str]] = {}
                for pid in touched:
                    if pid not in before:
                        continue  # removed meanwhile
                    have = before[pid][0]
                    names = [n for n in _union(have, tag.get(pid, ())) if n not in set(untag.get(pid, ()))]
                    if not names:
                        deletes.append(pid)
                        after[pid] = []
                    elif names != have:
                        retag[pid] = after[pid] = names
                # A paper whose file is no longer among its sources is said to come from one that is.
                moved = {pid: names for pid, names in retag.items() if source_name(before[pid][1]) not in names}
                known = records.get({names[0] for names in moved.values()})
                paths = {pid: (known[n[0]].path if n[0] in known and known[n[0]].path else n[0])
                         for pid, n in moved.items()}
                delta: Counter[str] = Counter()
                for pid, names in after.items():
                    had = set(before[pid][0]) if pid in before else set()
                    delta.update({n: 1 for n in set(names) - had})
                    delta.subtract({n: 1 for n in had - set(names)})
                if papers and self._layout_for != self.chroma.collection_id:
                    if self.chroma.upgrade_layout():  # before the first record of the new layout is written
                        self._say(f"the index at {self.location} now stores abstracts with their papers "
                                  f"(schema {SCHEMA_VERSION}); papers written before keep theirs where they are")
                    self._layout_for = self.chroma.collection_id
                change = self.log.begin(ids + deletes + list(retag))
                self.chroma.delete(deletes)
                self.chroma.write([(v.paper, v.vector, v.spans, pack(v.sentence_vectors)) for v in papers], after)
                self.chroma.set_sources(retag, paths)
                records.apply(delta, origins)
                self.log.finish(change)
            except (StoreError, ModelMismatchError):
                raise
            except Exception as e:
                raise self._translate(e) from None
            lexical = self._lexical_index()
            lexical.apply(
                [LexicalDoc(v.paper.paper_id, v.paper.content_hash, v.paper) for v in papers],
                deletes=deletes,
            )
            if paths:
                self._apply_to_lexical(lexical, list(paths))  # their `source` changed
            state = _read_state(lexical.folder)
            _record_applied(lexical.folder, state, [change])
            self._observed.add((change.id, change.state))
        return [pid for pid in deletes if pid in before]

    def remove(self, paper_ids: Sequence[str]) -> Removal:
        """Take these papers out of the library, whichever sources hold them (ids it does not hold are ignored)."""
        removal = Removal(None, self.write([], remove=list(paper_ids)) if paper_ids else [])
        removal.papers_in_store = self.count()
        return removal

    def remove_source(self, name: str) -> Removal:
        """Take the source `name` out of the library: its name comes off each of its papers, and the papers no
        other source holds are removed (a page of papers per write, so a large source never waits on one long
        write, and a reader sees each page gone at once). UnknownInIndex when there is no such source."""
        if self.source(name) is None:
            raise unknown_source(name, self.location)
        removal = Removal(name)
        seen: set[str] = set()
        while True:
            ids = self._source_ids(name, SOURCE_PAGE)
            if not ids or seen.issuperset(ids):
                break
            seen.update(ids)
            gone = set(self.write([], untag={pid: [name] for pid in ids}))
            removal.removed += [pid for pid in ids if pid in gone]
            removal.kept += [pid for pid in ids if pid not in gone]
        with self._lock:
            self._settle({name: Origin()}, mark=False)
        removal.papers_in_store = self.count()
        return removal

    def settle_sources(self, origins: Mapping[str, Origin]) -> None:
        """Count the papers of these sources again in the store and mark them ingested now: an ingest's last step,
        so the counts are exact whatever happened to the writes before (a run killed between two of them)."""
        if origins:
            with self._lock:
                self._settle(origins, mark=True)

    @_guarded
    def _settle(self, origins: Mapping[str, Origin], *, mark: bool) -> None:
        with self._write_locks():
            counts = {name: self.chroma.count_in_source(name) for name in origins}
            self._source_records().settle(counts, origins if mark else {})

    @_guarded
    def _source_ids(self, name: str, limit: int) -> list[str]:
        return self.chroma.ids_in_source(name, limit)

    def _source_records(self) -> SourceRecords:
        """The sources' records of the collection being written (the caller holds the write locks). A store written
        before sources were kept, or whose sources collection was lost, gets them here, once."""
        name = self.chroma.sources_name_of(self.chroma.generation)
        handle = self.chroma.sources_handle()
        if self._sources_ready == name and handle is not None:
            return SourceRecords(handle)
        handle = self.chroma.fresh_handle(name)  # another process may have completed it meanwhile
        if handle is None or not (handle.metadata or {}).get("complete"):
            handle = handle or self.chroma.create_sources(complete=False)
            records = SourceRecords(handle)
            n = self.chroma.count()
            backfill(self.chroma, records, created=self._created(), default_paths=self.settings.ingest.default_paths,
                     progress=self.progress)
            handle.modify(metadata={"complete": True})
            self._say(f"recorded the sources of the {n:,} papers in the index at {self.location} (the files they "
                      "were read from; once, for an index made before sources were kept)")
        self._sources_ready = name
        return SourceRecords(handle)

    def _created(self) -> float:
        from datetime import datetime

        try:
            return datetime.fromisoformat(str(self.chroma.manifest().get("created"))).timestamp()
        except (TypeError, ValueError):
            return time.time()

    # ----- sources --------------------------------------------------------------------------------------------
    def sources(self) -> list[Source]:
        """Every source in the library, most recently ingested first. Reads the sources' records, never the papers."""
        if not self.exists():
            return []
        self.refresh()  # a rebuild elsewhere may have made another index current
        with self._lock:
            return self._ready_records().all()

    def source(self, name: str) -> Source | None:
        if not self.exists():
            return None
        self.refresh()
        with self._lock:
            return self._ready_records().get([name]).get(name)

    @_guarded
    def _ready_records(self) -> SourceRecords:
        handle = self.chroma.sources_handle()
        if handle is not None and self._sources_ready == self.chroma.sources_name_of(self.chroma.generation):
            return SourceRecords(handle)
        if handle is not None and (handle.metadata or {}).get("complete"):
            self._sources_ready = self.chroma.sources_name_of(self.chroma.generation)
            return SourceRecords(handle)
        with self._write_locks():
            return self._source_records()

    @_guarded
    def get_papers(self, paper_ids: Sequence[str]) -> dict[str, PaperRecord]:
        """The stored records of these papers (those the library holds)."""
        return self.chroma.get_papers(paper_ids)

    # ----- reading --------------------------------------------------------------------------------------------
    @_guarded
    def count(self) -> int:
        return self.chroma.count() if self.exists() else 0

    @property
    def lexical(self) -> LexicalIndex:  # noqa: D401 (used inside guarded calls)
        return self._lexical_index()

    @_guarded
    def dense(
        self, vector: "np.ndarray", n: int, filters: Filters, *, sentence_weight: float | None = None
    ) -> list[tuple[str, float]]:
        """Papers nearest to `vector` within the filters, best first: (paper id, score). The score mixes the
        paper vector's cosine with the best sentence's (`sentence_weight`), so a paper whose matching statement
        sits late in a long abstract is not judged by its opening alone. Unset: `tuning.dense_sentence_weight`."""
        import numpy as np

        if sentence_weight is None:
            sentence_weight = self.settings.tuning.dense_sentence_weight
        hits = self._nearest(vector, n, filters)
        if not hits or sentence_weight <= 0:
            return hits
        # Which version of each paper: the lexical index mirrors Chroma once refreshed, and reads it locally
        vectors = self._sentence_vectors(self.lexical.hashes([pid for pid, _ in hits]))
        scored = []
        for pid, score in hits:
            v = vectors.get(pid)
            best = float(np.max(v @ vector)) if v is not None and len(v) else score
            scored.append((pid, (1 - sentence_weight) * score + sentence_weight * best))
        return sorted(scored, key=lambda x: -x[1])

    def _nearest(self, vector: "np.ndarray", n: int, filters: Filters) -> list[tuple[str, float]]:
        """The n papers nearest to `vector` among those within the filters. A narrow filter goes into Chroma's
        search (its `where`, or the matching ids the lexical index lists); a broad one (at least BROAD_FILTER of
        the collection) lets Chroma search everything for proportionally more neighbours and keeps the matching
        ones: both are exact, but Chroma's filtered search costs time proportional to the papers that match
        (measured at 100,000 papers: a year range over a quarter of them took 348 ms at p50 inside Chroma, and
        well under 100 ms this way). When the over-fetch finds fewer than n matches, the filtered search runs."""
        if filters.empty:
            return self.chroma.query(vector, n)
        total = self.lexical.count()  # the lexical index mirrors Chroma once refreshed, and counts locally
        matching = self.lexical.matching_count(filters)
        if not matching:
            return []
        lexical_only = bool(filters.title or filters.author)  # what Chroma's `where` cannot express
        if matching >= BROAD_FILTER * total and not filters.paper_ids:
            k = min(total, int(n * total / matching * 1.5) + n)
            while True:
                hits = self.chroma.query(vector, k)
                inside = set(self.lexical.matching_ids(Filters(paper_ids=[h[0] for h in hits]).merged(filters), k)[0])
                kept = [h for h in hits if h[0] in inside]
                if len(kept) >= min(n, matching) or k >= total:
                    return kept[:n]
                if not lexical_only or matching <= MAX_FILTER_IDS:
                    break  # the filtered search below is exact
                k = min(total, k * 4)
        if lexical_only or filters.exclude_ids:
            return self.chroma.query(vector, n, ids=self.lexical.matching_ids(filters, MAX_FILTER_IDS)[0])
        return self.chroma.query(vector, n, where=_where(filters))

    @_guarded
    def lexical_search(self, question_terms: Sequence[str], n: int, filters: Filters) -> list[tuple[str, float]]:
        return self.lexical.search(question_terms, n, filters)

    def _sentence_vectors(self, hashes: dict[str, str]) -> dict[str, "np.ndarray"]:
        out: dict[str, np.ndarray] = {}
        missing = []
        for pid, h in hashes.items():
            hit = self._cached((pid, h))
            if hit is not None:
                out[pid] = hit[1]
            else:
                missing.append(pid)
        if missing:
            for pid, rec in self._fetch_sentences(missing).items():
                if rec.content_hash == hashes.get(pid):
                    out[pid] = self._cache(pid, rec)[1]
        return out

    def _fetch_sentences(self, ids: Sequence[str]) -> dict[str, SentenceRecord]:
        return self.chroma.get_sentences(ids)

    def _cached(self, key: tuple[str, str]) -> tuple[list[tuple[int, int]], "np.ndarray", str | None] | None:
        with self._cache_lock:
            hit = self._sentence_cache.get(key)
            if hit is not None:
                self._sentence_cache.move_to_end(key)
            return hit

    def _cache(self, pid: str, rec: SentenceRecord) -> tuple[list[tuple[int, int]], "np.ndarray", str | None]:
        if self._dim is None:
            self._dim = int(self.chroma.manifest()["embedding_dim"])
        dim = self._dim
        value = (rec.spans, unpack(rec.payload, dim) if rec.spans else _empty(dim), rec.abstract)
        with self._cache_lock:
            self._sentence_cache[(pid, rec.content_hash)] = value
            while len(self._sentence_cache) > SENTENCE_CACHE:
                self._sentence_cache.popitem(last=False)
        return value

    @_guarded
    def passages(self, paper_ids: Sequence[str]) -> dict[str, Passage]:
        """Records and sentences (with vectors and terms) of these papers, as stored now. A paper whose write was
        interrupted has no sentences, and no abstract unless its record still holds its own (chroma.py)."""
        rows = self.chroma.paper_rows(paper_ids)
        found: dict[str, tuple[list[tuple[int, int]], np.ndarray, str | None]] = {}
        missing = []
        for pid, (meta, _) in rows.items():
            hit = self._cached((pid, meta.get("content_hash", "")))
            if hit is not None:
                found[pid] = hit
            else:
                missing.append(pid)
        for pid, rec in self._fetch_sentences(missing).items() if missing else []:
            if rec.content_hash == rows[pid][0].get("content_hash", ""):
                found[pid] = self._cache(pid, rec)
        out = {}
        for pid, (meta, doc) in rows.items():
            hit = found.get(pid)
            abstract = stored_abstract(meta, doc, None)  # the record's own (layout 4) or a layout-2 document
            if abstract is None and hit is not None:
                abstract = hit[2]  # a layout-3 sentence record's, cached with its content hash
            complete = hit is not None and abstract is not None
            r = PaperRecord(pid, meta.get("content_hash", ""), paper_from_metadata(meta, abstract or ""),
                            sources_of(meta), complete=complete)
            sentences, withheld = [], []
            if complete:
                spans, vecs, _ = hit
                for (a, b), v in zip(spans, vecs):
                    text = r.paper.abstract[a:b]
                    if addresses_a_model(text):
                        withheld.append(text)
                    else:
                        sentences.append(Sentence(pid, a, b, text, v, frozenset(term_set(text))))
            out[pid] = Passage(r, sentences, withheld)
        return out

    @_guarded
    def paper_terms(self, paper_ids: Sequence[str]) -> dict[str, frozenset[str]]:
        return self.lexical.term_sets(paper_ids)

    @_guarded
    def name_freq(self, key: str) -> tuple[int, int, int]:
        """How many papers are titled by, introduce, and mention the name with this key (rag/names.py)."""
        return self.lexical.name_freq(key)

    @_guarded
    def named(self, keys: Sequence[str], filters: Filters, *, field: str = "names", limit: int = 20) -> list[str]:
        """The papers that introduce (or mention) one of these names."""
        return self.lexical.named(keys, filters, field=field, limit=limit)

    @_guarded
    def doc_freq(self, term: str) -> int:
        """How many papers contain this (analyzed) term."""
        return self.lexical.doc_freq(term)

    @_guarded
    def idf(self, question_terms: Sequence[str]) -> TermIDF:
        return self.lexical.idf(question_terms)

    @_guarded
    def unseen_idf(self) -> float:
        return self.lexical.unseen_idf()

    def stats(self) -> dict[str, Any]:
        """What is in the library: counts, date range, years and sources, the manifest, where it lives."""
        manifest = self.manifest()
        papers = self.count() if manifest else 0
        agg: dict[str, Any] = {"years": {}, "sources": {}, "first": None, "last": None}
        if papers:
            self.refresh()
            agg = self._aggregate()
        first, last = (_date_text(agg["first"]), _date_text(agg["last"]))
        years = {y: c for y, c in sorted(agg["years"].items()) if y}
        return {
            "papers": papers,
            "date_range": [first, last] if first else None,
            "undated_papers": agg["years"].get(0, 0),
            "years": years,
            "sources": agg["sources"],
            "embedding_model": manifest.get("embedding_model"),
            "embedding_dim": manifest.get("embedding_dim"),
            "embedding_backend": manifest.get("embedding_backend"),
            "embedding_quantization": manifest.get("embedding_quantization"),
            "schema_version": manifest.get("paperrag_schema"),
            "store": {"backend": self.settings.store.backend, "location": self.location},
        }

    @_guarded
    def _aggregate(self) -> dict[str, Any]:
        return self.lexical.aggregate()

    def browse(self, text: str = "", filters: Filters | None = None, limit: int = 50, offset: int = 0
               ) -> tuple[list[dict[str, Any]], int]:
        """Papers in the collection for a list view: matching `text`, or newest first; (rows, total)."""
        if not self.count():
            return [], 0
        self.refresh()
        docs, total = self._browse(text, filters or Filters(), limit, offset)
        rows = [
            {
                "paper_id": d["paper_id"][0],
                "title": d.get("title", [""])[0],
                "authors": d.get("authors", []),
                "year": (d.get("year") or [0])[0] or None,
                "date": _date_text((d.get("date") or [0])[0]),
                "source": (d.get("source") or [""])[0],
            }
            for d in docs
        ]
        return rows, total

    @_guarded
    def _browse(self, text: str, filters: Filters, limit: int, offset: int) -> tuple[list[dict[str, Any]], int]:
        return self.lexical.browse(text, filters, limit, offset)

    def recent(self, limit: int = 50) -> list[dict[str, Any]]:
        return self.browse(limit=limit)[0]

    # ----- errors -------------------------------------------------------------------------------------------
    def _translate(self, err: BaseException) -> StoreError:
        """Chroma's exceptions, in one line that says what to do."""
        if not self.chroma.embedded and _is_connection_error(err):
            return unreachable(self.settings, err)
        full = self._full_disk(err)
        if full:
            return StoreError(
                f"the disk holding {full} is full ({_free_text(full)} free): free some space and run the command "
                "again (papers written so far are complete)."
            )
        if self.chroma.embedded and read_only(err):
            return read_only_store(self.settings.store.persist_dir)
        return StoreError(f"the Chroma store at {self.location} failed: {type(err).__name__}: {str(err)[:200]}")


    def _full_disk(self, err: BaseException) -> Path | None:
        """The folder (the Chroma store or the lexical cache) whose disk is full, when that is why `err` happened:
        Chroma reports a full disk as "Error in compaction" or "database or disk is full", never by name."""
        import errno
        import shutil

        said = f"{type(err).__name__}: {err}".lower()
        if not (getattr(err, "errno", None) == errno.ENOSPC
                or any(m in said for m in ("no space left", "disk is full", "compaction", "disk full"))):
            return None
        folders = [Path(self.settings.store.cache_dir)]
        if self.chroma.embedded:
            folders.insert(0, Path(self.settings.store.persist_dir))
        for folder in folders:
            probe = next((p for p in (folder, *folder.parents) if p.exists()), None)
            if probe is not None and shutil.disk_usage(probe).free < LOW_DISK_BYTES:
                return folder
        return None


class _Locks:
    def __init__(self, locks: list[FileLock]):
        self.locks = locks

    def __enter__(self) -> "_Locks":
        for lock in self.locks:
            lock.acquire()
        return self

    def __exit__(self, *exc: object) -> None:
        for lock in reversed(self.locks):
            lock.release()


def _union(first: Sequence[str], more: Sequence[str]) -> list[str]:
    return list(dict.fromkeys([*first, *more]))


def _where(filters: Filters) -> dict[str, Any] | None:
    """The part of the filters Chroma applies itself, before its nearest-neighbour search."""
    clauses: list[dict[str, Any]] = []
    if filters.year_from:
        clauses.append({"year": {"$gte": int(filters.year_from)}})
    if filters.year_to:
        clauses.append({"year": {"$lte": int(filters.year_to)}})
    if filters.paper_ids:
        clauses.append({"paper_id": {"$in": list(filters.paper_ids)}})
    if filters.exclude_ids:
        clauses.append({"paper_id": {"$nin": list(filters.exclude_ids)}})
    if len(filters.categories) == 1:
        clauses.append({"categories": {"$contains": filters.categories[0]}})
    elif filters.categories:
        clauses.append({"$or": [{"categories": {"$contains": c}} for c in filters.categories]})
    if not clauses:
        return None
    return clauses[0] if len(clauses) == 1 else {"$and": clauses}


def _free_text(folder: Path) -> str:
    import shutil

    probe = next((p for p in (folder, *folder.parents) if p.exists()), folder)
    return f"{shutil.disk_usage(probe).free / 2**20:.1f} MB"


def _empty(dim: int) -> "np.ndarray":
    import numpy as np

    return np.zeros((0, dim), dtype=np.float32)


def _date_text(value: Any) -> str | None:
    if not value:
        return None
    v = int(value)
    y, m, d = v // 10000, v // 100 % 100, v % 100
    return f"{y:04d}-{m:02d}-{d:02d}" if m else f"{y:04d}"


def _read_state(folder: Path) -> dict[str, Any]:
    try:
        state = json.loads((folder / _SYNC_FILE).read_text())
        state.setdefault("applied", {})
        state.setdefault("pending", {})
        state.setdefault("watermark", 0.0)
        return state
    except (OSError, ValueError):
        return {"collection_id": None, "applied": {}, "pending": {}, "watermark": 0.0}


def _record_applied(folder: Path, state: dict[str, Any], entries: Sequence[Change]) -> None:
    """Remember which log entries the lexical index now reflects (pending ones are applied again later)."""
    import os

    now = time.time()
    for e in entries:
        if e.settled(now):
            state["applied"][e.id] = e.ts
            state["pending"].pop(e.id, None)
        else:
            state["pending"][e.id] = e.ts
    if state["applied"]:
        state["watermark"] = max(state["watermark"], max(state["applied"].values()))
    floor = state["watermark"] - 2 * HORIZON_SECONDS
    state["applied"] = {i: ts for i, ts in state["applied"].items() if ts >= floor}
    folder.mkdir(parents=True, exist_ok=True)
    tmp = folder / f"{_SYNC_FILE}.{os.getpid()}.{threading.get_ident()}.tmp"
    tmp.write_text(json.dumps(state))
    os.replace(tmp, folder / _SYNC_FILE)


def _is_not_found(err: BaseException) -> bool:
    name = type(err).__name__
    return name in ("NotFoundError", "InvalidCollectionException") or "does not exist" in str(err).lower()


def _is_connection_error(err: BaseException) -> bool:
    import httpx

    return isinstance(err, (httpx.TransportError, ConnectionError, OSError)) or "connect" in str(err).lower()


# ----- rebuilding the lexical index in worker processes -----------------------------------------------------------
REBUILD_PAGE = 2000  # papers read from Chroma, analysed and committed to the lexical index at a time
REBUILD_PARALLEL = 20_000  # rebuilds of at least this many papers analyse in worker processes (below, starting them
# costs more than it saves)


def rebuild_workers(n_papers: int) -> int:
    """Worker processes for rebuilding a lexical index of `n_papers`: one per core this process may use, 0 (analyse
    here) for a small rebuild or a single core."""
    import os

    cores = len(os.sched_getaffinity(0)) if hasattr(os, "sched_getaffinity") else (os.cpu_count() or 1)
    return cores if n_papers >= REBUILD_PARALLEL and cores > 1 else 0


def _apply_texts(lexical: LexicalIndex, paper_ids: Sequence[str], records: Mapping[str, tuple[str, Paper]],
                 fields: Sequence[Any] | None = None) -> None:
    """Make the lexical index hold `records` (what Chroma holds now for these papers: content hash and paper),
    analysed here unless `fields` are given; the papers Chroma no longer holds are deleted."""
    docs = [LexicalDoc(pid, content_hash, paper, fields[i] if fields is not None else None)
            for i, (pid, (content_hash, paper)) in enumerate(records.items())]
    lexical.apply(docs, deletes=[pid for pid in paper_ids if pid not in records])


def _analysis_pool(workers: int) -> Any:
    """A pool of `workers` fresh processes (spawned, not forked: the serving process has threads), or none."""
    if workers <= 0:
        return contextlib.nullcontext(None)
    import multiprocessing
    from concurrent.futures import ProcessPoolExecutor

    return ProcessPoolExecutor(max_workers=workers, mp_context=multiprocessing.get_context("spawn"))


def _submit(pool: Any, papers: list[Paper]) -> Any:
    """The page's analysis handed to a worker; None when there is no pool, or it broke (analysed here then)."""
    from concurrent.futures.process import BrokenProcessPool

    if pool is None:
        return None
    try:
        return pool.submit(analyzed_all, papers)
    except (BrokenProcessPool, RuntimeError):
        return None


def _analysed(future: Any, records: Mapping[str, tuple[str, Paper]]) -> list[Any]:
    """The analysed fields of a page: from its worker, or computed here when there is no pool or it broke (a
    worker killed: the rebuild goes on in this process)."""
    from concurrent.futures.process import BrokenProcessPool

    if future is not None:
        try:
            return list(future.result())
        except BrokenProcessPool:
            pass
    return analyzed_all([paper for _, paper in records.values()])


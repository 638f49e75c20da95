"""The Chroma side of the library: three collections that hold everything a question needs.

  {name}            one record per paper: the paper vector (title + abstract, as far as the encoder reads) and
                    the paper's metadata, its abstract included, no document. This is what dense search queries.
  {name}-sentences  one record per paper: its sentence spans (offsets into the abstract) and their vectors,
                    packed (rag/library/codec.py), with the content hash of the version they were computed from.
                    Read by id for the few papers a question retrieved, never searched.
  {name}-changes    the change log: one record per write, so every process (and every client of a shared Chroma
                    server) learns what changed since it last looked (rag/library/changes.py).
  {name}-sources    one record per source (a file ingested, an upload, the bundled corpus): its kind, how many
                    papers it holds and when it was ingested (rag/library/sources.py). Each paper's own record
                    names its sources (metadata `sources`), so the papers of a source are one filtered read.

Why sentence vectors are metadata and not Chroma vectors: Chroma keeps a collection's whole HNSW index in memory
as soon as any of its vectors is read (measured: `get(include=["embeddings"])` of 30 records from a 200,000-vector
collection took the process from 92 MB to 475 MB). Sentences are ten times as many as papers, so their vectors
live as a packed string in the metadata of a record whose own vector is a 1-dimensional placeholder; reading them
costs only the rows asked for.

Why the abstract is metadata of the paper record, not a Chroma document nor part of the sentence record:
  - Chroma keeps a trigram full-text index (SQLite FTS5) of every document, and PaperRAG never searches it
    (lexical search is tantivy, rag/library/lexical.py). Writing it cost a third of the write time and a fifth of
    the disk, more as the store grows (issue 18); Chroma's Schema API accepts switching that index off, but
    embedded Chroma (1.5.9) writes it all the same.
  - Chroma's `get` cannot leave a metadata key out, and the sentence record carries the packed vectors (about
    3.9 KB a paper): with the abstract there (layout 3), a client rebuilding its lexical index from a Chroma server
    read every vector over HTTP: 599 s at 300,000 papers. Beside the paper's other fields it is read with them,
    written in the same upsert, and so always the paper record's own version.

Layouts (the manifest's `paperrag_schema`, rag/types.py SCHEMA_VERSION; each paper record's `layout`):
  2  the abstract is the paper record's document; sentence records hold content_hash, spans, vectors.
  3  the abstract is the sentence record's `abstract`; paper records carry `layout: 3` and no document.
  4  the abstract is the paper record's `abstract` (`layout: 4`); sentence records hold no text.
A store of an older layout is read as it is and its manifest says 4 at its first write (so PaperRAG that reads
only older layouts refuses it from then on, instead of reading empty abstracts); its old records keep their layout
until they are written again (`paperrag ingest --rebuild` writes them all anew).
A paper's abstract is the paper record's own (layout 4); else its sentence record's when that carries the paper's
content hash (layout 3); else, for a record written in layout 2 (no `layout`), its document, written with it; else
it is not known (a layout-3 write interrupted between the two records). A paper whose sentence record carries
another content hash is incomplete (shown with no sentences; the next ingest writes it again). Never another
version's text.

The collection metadata of {name} is the manifest: embedding model, dimension, backend, quantization and schema.
"""

from __future__ import annotations

import hashlib
import json
import threading
from dataclasses import dataclass, field
from typing import Any, Iterable, Iterator, Sequence

from rag.errors import StoreError
from rag.locks import SharedExclusive
from rag.settings import Settings
from rag.types import SCHEMA_VERSION, Paper

# Every library call holds CLIENTS shared; a reopen holds it alone (rag/locks.py SharedExclusive).
CLIENTS = SharedExclusive()
REOPEN_WAIT = 10.0
_CONNECTING = threading.Lock()  # one Chroma client made at a time in this process

SENTENCES_SUFFIX = "-sentences"
CHANGES_SUFFIX = "-changes"
SOURCES_SUFFIX = "-sources"
POINTER_SUFFIX = "-current"
PAGE = 500
# Ids per page when listing ids alone. Chroma pages by offset, and each page costs time in proportion to its offset
# (at 673,280 papers: 0.07 s at offset 0, 1.0 s at offset 600,000), so listing every id takes quadratic time in the
# number of pages: 216 s in pages of 2,000 and 10.5 s in pages of 50,000 (about 2 MB of ids a page).
ID_PAGE = 50_000
LAYOUT = SCHEMA_VERSION  # 4, what `write` writes (module docstring), as the manifest's paperrag_schema says
READABLE_LAYOUTS = (2, 3, 4)  # the layouts this code reads


def placeholder(key: str) -> list[float]:
    """A 1-d vector for records that are never searched by vector: distinct per record, so the HNSW graph Chroma
    builds for them stays well formed."""
    return [int(hashlib.blake2b(key.encode(), digest_size=4).hexdigest(), 16) / 2**32]


def paper_metadata(paper: Paper, n_sentences: int, sources: Sequence[str] = ()) -> dict[str, Any]:
    meta: dict[str, Any] = {
        "paper_id": paper.paper_id,
        "content_hash": paper.content_hash,
        "n_sentences": n_sentences,
        "title": paper.title,
        "title_key": paper.title_key,
        "source": paper.source,
        "source_format": paper.source_format,
        "links": json.dumps(paper.links),
        "authors_json": json.dumps(paper.authors, ensure_ascii=False),
    }
    optional = {
        "arxiv_id": paper.arxiv_id,
        "arxiv_version": paper.arxiv_version,
        "doi": paper.doi,
        "date": paper.date,
        "year": paper.year,
        "updated": paper.updated,
        "url": paper.url,
        "n_authors": paper.author_count,
        "categories": list(paper.categories) or None,
        "sources": list(sources) or None,  # the names of the sources holding this paper (rag/library/sources.py)
    }
    meta.update({k: v for k, v in optional.items() if v is not None})
    return meta


def paper_from_metadata(meta: dict[str, Any], abstract: str) -> Paper:
    authors = json.loads(meta.get("authors_json", "[]"))
    return Paper(
        title=meta["title"],
        abstract=abstract,
        authors=authors,
        n_authors=None if authors else meta.get("n_authors"),
        date=meta.get("date"),
        year=meta.get("year"),
        updated=meta.get("updated"),
        categories=list(meta.get("categories") or []),
        url=meta.get("url"),
        links=json.loads(meta.get("links", "[]")),
        arxiv_id=meta.get("arxiv_id"),
        arxiv_version=meta.get("arxiv_version"),
        doi=meta.get("doi"),
        source=meta.get("source", ""),
        source_format=meta.get("source_format", ""),
    )


@dataclass
class SentenceRecord:
    content_hash: str
    spans: list[tuple[int, int]]
    payload: str  # packed vectors, one per span
    abstract: str | None = None  # the text the spans index into, in layout 3 only (module docstring)


@dataclass
class PaperRecord:
    """A paper as stored: its id, content hash and fields (abstract included)."""

    paper_id: str
    content_hash: str
    paper: Paper  # its abstract is "" when not known (`complete` False)
    sources: list[str] = field(default_factory=list)  # names of the sources holding it
    complete: bool = True  # False: a write of it was interrupted (sentences of another version, abstract unknown)


def stored_abstract(meta: dict[str, Any], document: str | None, sentences: SentenceRecord | None) -> str | None:
    """The abstract of the paper record `meta`: its own (layout 4); else its sentence record's when that carries the
    same content hash (layout 3); else, for a record written in layout 2, its document (written in the same upsert,
    so the same version); else None (unknown: never another version's text)."""
    if "abstract" in meta:
        return str(meta["abstract"])
    if sentences is not None and sentences.content_hash == meta.get("content_hash") and sentences.abstract is not None:
        return sentences.abstract
    if not meta.get("layout") and document is not None:
        return document
    return None


def paper_record(pid: str, meta: dict[str, Any], document: str | None, sentences: SentenceRecord | None) -> PaperRecord:
    """A paper record from its metadata, its document (layout 2) and its sentence record."""
    same = sentences if sentences is not None and sentences.content_hash == meta.get("content_hash") else None
    abstract = stored_abstract(meta, document, same)
    return PaperRecord(pid, meta.get("content_hash", ""), paper_from_metadata(meta, abstract or ""), sources_of(meta),
                       complete=abstract is not None and same is not None)


class ChromaCollections:
    """Opens the Chroma client (embedded or a server) and the three collections; reads and writes records."""

    def __init__(self, settings: Settings):
        self.settings = settings
        self._client: Any = None
        self._generation: str | None = None  # the current generation, read from the pointer (None: not read yet)
        self.pinned: str | None = None  # a generation this object writes whatever the pointer says (a rebuild)
        self._handles: dict[str, Any] = {}

    # ----- connection -------------------------------------------------------------------------------------
    @property
    def embedded(self) -> bool:
        return self.settings.store.backend == "chroma-persistent"

    @property
    def location(self) -> str:
        s = self.settings.store
        if s.backend == "chroma-http":
            return f"{'https' if s.ssl else 'http'}://{s.host}:{s.port} (collection '{s.collection}')"
        return f"{s.persist_dir} (collection '{s.collection}')"

    @property
    def client(self) -> Any:
        client = self._client
        if client is None:
            # Chroma registers a new client's system in its process-wide cache before starting it: a second thread
            # connecting meanwhile got the unstarted one ("'RustBindingsAPI' object has no attribute 'bindings'").
            with _CONNECTING:
                if self._client is None:
                    self._client = self._connect()
                client = self._client
        return client

    def _connect(self) -> Any:
        import chromadb
        from chromadb.config import Settings as ChromaSettings

        s = self.settings.store
        chroma_settings = ChromaSettings(anonymized_telemetry=False, allow_reset=True)
        if s.backend == "chroma-http":
            try:
                client = chromadb.HttpClient(host=s.host, port=s.port, ssl=s.ssl, settings=chroma_settings)
                client.heartbeat()
                return client
            except Exception as e:  # connection refused, DNS, TLS: all mean "not reachable"
                raise unreachable(self.settings, e) from None
        try:
            s.persist_dir.mkdir(parents=True, exist_ok=True)
            return chromadb.PersistentClient(path=str(s.persist_dir), settings=chroma_settings)
        except Exception as e:
            if read_only(e):
                raise read_only_store(s.persist_dir) from None
            raise StoreError(f"cannot open the Chroma store at {s.persist_dir}: {e}") from None

    def reopen(self) -> bool:
        """Drop the client and open it again. Embedded Chroma keeps a vector index in memory that never sees another
        process's writes; a fresh client reads the files (and Chroma's write-ahead log) again. Chroma's client cache
        is process-wide and clearing it stops every client, so this waits until no other thread is inside a library
        call (CLIENTS); False when that did not happen within REOPEN_WAIT seconds (nothing was changed)."""
        with CLIENTS.exclusive(REOPEN_WAIT) as alone:
            if not alone:
                return False
            self._handles.clear()
            self._generation = None  # a rebuild elsewhere may have made another generation current
            if self._client is not None and self.embedded:
                from chromadb.api.client import SharedSystemClient

                SharedSystemClient.clear_system_cache()
            self._client = None
        return True

    # ----- collections ------------------------------------------------------------------------------------
    # ----- generations: `--rebuild` builds beside the index in use, then switches ----------------------------
    # Generation "" is the collections named after store.collection itself; a rebuild writes generation "g<hex>"
    # ({collection}.g<hex>, {collection}.g<hex>-sentences, ...) and, when complete, names it in the pointer
    # collection {collection}-current (its metadata, one atomic write). Readers resolve the pointer when they
    # (re)open the client.
    @property
    def generation(self) -> str:
        if self.pinned is not None:
            return self.pinned
        if self._generation is None:
            self._generation = self._read_pointer()
        return self._generation

    def _read_pointer(self) -> str:
        from chromadb.errors import NotFoundError

        try:
            pointer = self.client.get_collection(self.settings.store.collection + POINTER_SUFFIX,
                                                 embedding_function=None)
        except (NotFoundError, ValueError):
            return ""
        return str((pointer.metadata or {}).get("generation", ""))

    def names_of(self, generation: str) -> tuple[str, str, str]:
        base = self.settings.store.collection + (f".{generation}" if generation else "")
        return base, base + SENTENCES_SUFFIX, base + CHANGES_SUFFIX

    def names(self) -> tuple[str, str, str]:
        return self.names_of(self.generation)

    def sources_name_of(self, generation: str) -> str:
        return self.names_of(generation)[0] + SOURCES_SUFFIX

    def generations(self) -> set[str]:
        """Every generation with a papers collection in the store (the current one included)."""
        base = self.settings.store.collection
        found = set()
        for c in self.client.list_collections():
            name = getattr(c, "name", c)
            if name == base:
                found.add("")
            elif name.startswith(base + ".g") and not name.endswith((SENTENCES_SUFFIX, CHANGES_SUFFIX, SOURCES_SUFFIX)):
                found.add(name[len(base) + 1:])
        return found

    def new_generation(self) -> str:
        import uuid

        return "g" + uuid.uuid4().hex[:10]

    def make_current(self, generation: str) -> None:
        """Point readers at `generation` (one metadata write)."""
        name = self.settings.store.collection + POINTER_SUFFIX
        pointer = self.client.get_or_create_collection(name, embedding_function=None)
        pointer.modify(metadata={"generation": generation})
        self._generation = generation

    def count_of(self, generation: str) -> int:
        from chromadb.errors import NotFoundError

        try:
            return int(self.client.get_collection(self.names_of(generation)[0], embedding_function=None).count())
        except (NotFoundError, ValueError):
            return 0

    def drop_generation(self, generation: str) -> None:
        for name in (*self.names_of(generation), self.sources_name_of(generation)):
            try:
                self.client.delete_collection(name)
            except Exception:  # absent: nothing to drop
                pass
            self._handles.pop(name, None)

    def exists(self) -> bool:
        s = self.settings.store
        if self.embedded and self._client is None and not (s.persist_dir / "chroma.sqlite3").exists():
            return False  # nothing ingested here; do not create an empty store just by looking
        return self.handle(self.names()[0]) is not None

    def fresh_handle(self, name: str) -> Any | None:
        """The collection `name` as the store has it now (its metadata read again), or None."""
        self._handles.pop(name, None)
        return self.handle(name)

    def handle(self, name: str) -> Any | None:
        if name not in self._handles:
            from chromadb.errors import NotFoundError

            try:
                self._handles[name] = self.client.get_collection(name, embedding_function=None)
            except (NotFoundError, ValueError):
                return None
        return self._handles[name]

    def _require(self, name: str) -> Any:
        h = self.handle(name)
        if h is None:
            from rag.errors import EmptyIndexError

            raise EmptyIndexError.at(self.location)
        return h

    @property
    def papers(self) -> Any:
        return self._require(self.names()[0])

    @property
    def sentences(self) -> Any:
        return self._require(self.names()[1])

    @property
    def changes(self) -> Any:
        return self._require(self.names()[2])

    @property
    def collection_id(self) -> str:
        return str(self.papers.id)

    def manifest(self) -> dict[str, Any]:
        return dict(self.papers.metadata or {})

    def create(self, manifest: dict[str, Any]) -> None:
        papers, sentences, changes = self.names()
        self._handles[papers] = self.client.create_collection(
            papers, embedding_function=None, configuration={"hnsw": {"space": "cosine"}}, metadata=manifest
        )
        for name in (sentences, changes):
            self._handles[name] = self.client.get_or_create_collection(
                name, embedding_function=None, configuration={"hnsw": {"space": "l2"}}
            )
        self.create_sources(complete=True)

    def sources_handle(self) -> Any | None:
        """The sources collection of the current generation; None in a store written before sources were kept."""
        return self.handle(self.sources_name_of(self.generation))

    def create_sources(self, *, complete: bool) -> Any:
        """Make the sources collection (`complete`: every paper already names its sources, nothing to backfill)."""
        name = self.sources_name_of(self.generation)
        handle = self.client.get_or_create_collection(
            name, embedding_function=None, configuration={"hnsw": {"space": "l2"}},
            metadata={"complete": True} if complete else None,
        )
        self._handles[name] = handle
        return handle

    def ensure_changes(self) -> None:
        name = self.names()[2]
        self._handles[name] = self.client.get_or_create_collection(
            name, embedding_function=None, configuration={"hnsw": {"space": "l2"}}
        )

    # ----- reading ----------------------------------------------------------------------------------------
    def count(self) -> int:
        return int(self.papers.count())

    def get_papers(self, ids: Sequence[str]) -> dict[str, PaperRecord]:
        """The stored records of these papers, abstracts included (read from their sentence records)."""
        rows = self.paper_rows(ids)
        sentences = self.get_sentences(list(rows))
        return {pid: paper_record(pid, meta, doc, sentences.get(pid)) for pid, (meta, doc) in rows.items()}

    def paper_texts(self, ids: Sequence[str]) -> dict[str, tuple[str, Paper]]:
        """(content hash, paper) of each of these papers that is stored, for the lexical index: what it indexes
        is in the paper records; sentence records are read only for papers written in layout 3 (module
        docstring), whose abstract is there. A paper whose abstract is not known has "" (it is incomplete)."""
        rows = self.paper_rows(ids)
        older = [pid for pid, (meta, _) in rows.items() if "abstract" not in meta and meta.get("layout") == 3]
        sentences = self.get_sentences(older) if older else {}
        return {pid: (meta.get("content_hash", ""),
                      paper_from_metadata(meta, stored_abstract(meta, doc, sentences.get(pid)) or ""))
                for pid, (meta, doc) in rows.items()}

    def paper_rows(self, ids: Sequence[str]) -> dict[str, tuple[dict[str, Any], str | None]]:
        """(metadata, document) of each of these papers that is stored; the document is None for papers written
        in layout 3 or 4 (module docstring; `get_papers`, `paper_record`)."""
        out: dict[str, tuple[dict[str, Any], str | None]] = {}
        for part in _parts(list(dict.fromkeys(ids))):
            res = self.papers.get(ids=part, include=["metadatas", "documents"])
            for pid, meta, doc in zip(res["ids"], res["metadatas"], res["documents"] or [None] * len(res["ids"])):
                out[pid] = (meta, doc)
        return out

    def get_sources(self, ids: Sequence[str]) -> dict[str, tuple[list[str], str]]:
        """(source names, `source` path) of each of these papers that is stored."""
        out: dict[str, tuple[list[str], str]] = {}
        for part in _parts(list(dict.fromkeys(ids))):
            res = self.papers.get(ids=part, include=["metadatas"])
            for pid, meta in zip(res["ids"], res["metadatas"]):
                out[pid] = (sources_of(meta), str(meta.get("source", "")))
        return out

    def ids_in_source(self, name: str, limit: int | None = None) -> list[str]:
        """Ids of the papers this source holds (all of them, or the first `limit`), read page by page."""
        out: list[str] = []
        where = {"sources": {"$contains": name}}
        while limit is None or len(out) < limit:
            size = ID_PAGE if limit is None else min(ID_PAGE, limit - len(out))
            got = list(self.papers.get(where=where, include=[], limit=size, offset=len(out))["ids"])
            out += got
            if len(got) < size:
                break
        return out

    def count_in_source(self, name: str) -> int:
        """How many papers this source holds, counted page by page (nothing kept)."""
        n, where = 0, {"sources": {"$contains": name}}
        while True:
            got = len(self.papers.get(where=where, include=[], limit=ID_PAGE, offset=n)["ids"])
            n += got
            if got < ID_PAGE:
                return n

    def iter_metadata(self) -> Iterator[list[tuple[str, dict[str, Any]]]]:
        """Every paper's (id, metadata), a page at a time (no vectors)."""
        offset = 0
        while True:
            res = self.papers.get(include=["metadatas"], limit=PAGE * 4, offset=offset)
            yield list(zip(res["ids"], res["metadatas"]))
            if len(res["ids"]) < PAGE * 4:
                return
            offset += PAGE * 4

    def get_sentences(self, ids: Sequence[str]) -> dict[str, SentenceRecord]:
        out: dict[str, SentenceRecord] = {}
        for part in _parts(list(dict.fromkeys(ids))):
            res = self.sentences.get(ids=part, include=["metadatas"])
            for pid, meta in zip(res["ids"], res["metadatas"]):
                spans = [tuple(x) for x in json.loads(meta["spans"])]
                out[pid] = SentenceRecord(meta["content_hash"], spans, meta["vectors"],  # type: ignore[arg-type]
                                          meta.get("abstract"))
        return out

    def find(self, arxiv_ids: set[str], dois: set[str], title_keys: set[str]) -> list[str]:
        """Ids of stored papers with any of these keys (the same paper, possibly from another source)."""
        clauses = [
            {field: {"$in": sorted(values)}}
            for field, values in (("arxiv_id", arxiv_ids), ("doi", dois), ("title_key", title_keys))
            if values
        ]
        if not clauses:
            return []
        where = clauses[0] if len(clauses) == 1 else {"$or": clauses}
        return list(self.papers.get(where=where, include=[])["ids"])

    def query(
        self, vector: Sequence[float], n: int, where: dict | None = None, ids: list[str] | None = None
    ) -> list[tuple[str, float]]:
        """(paper id, cosine similarity) of the n nearest papers, filtered inside Chroma. No metadata: Chroma
        reads it row by row from SQLite, which cost more than the search itself (300,000 papers: 6.3 ms for 50
        neighbours with metadata, 1.5 ms without; 94 ms and 15 ms for 700)."""
        import numpy as np

        res = self.papers.query(
            query_embeddings=[np.asarray(vector, dtype=np.float32)],
            n_results=max(1, n),
            where=where,
            ids=ids,
            include=["distances"],
        )
        return [(pid, 1.0 - float(dist)) for pid, dist in zip(res["ids"][0], res["distances"][0])]

    def iter_ids(self) -> Iterator[str]:
        offset = 0
        while True:
            res = self.papers.get(include=[], limit=ID_PAGE, offset=offset)
            yield from res["ids"]
            if len(res["ids"]) < ID_PAGE:
                return
            offset += ID_PAGE

    # ----- writing ----------------------------------------------------------------------------------------
    def write(self, papers: Sequence[tuple[Paper, Any, list[tuple[int, int]], str]],
              sources: dict[str, Sequence[str]] | None = None) -> None:
        """Add or replace papers: (paper, paper vector, sentence spans, packed sentence vectors) each, with the
        names of the sources holding each (`sources`, by paper id).

        Sentences are written first: a paper becomes visible when its paper record is written, and a reader that
        finds a paper record whose sentence record carries another content hash treats the paper as incomplete.
        The abstract is paper-record metadata, not a document (layout 4, module docstring); `abstract: None`
        takes the text off a sentence record written in layout 3 (an upsert keeps the keys it is not given)."""
        import numpy as np

        if not papers:
            return
        ids = [p.paper_id for p, _, _, _ in papers]
        self.sentences.upsert(
            ids=ids,
            embeddings=np.asarray([placeholder(i) for i in ids], dtype=np.float32),
            metadatas=[
                {"content_hash": p.content_hash, "spans": json.dumps(spans), "vectors": payload, "abstract": None}
                for p, _, spans, payload in papers
            ],
        )
        self.papers.upsert(
            ids=ids,
            embeddings=np.asarray([v for _, v, _, _ in papers], dtype=np.float32),
            metadatas=[{**paper_metadata(p, len(spans), (sources or {}).get(p.paper_id, ())), "abstract": p.abstract,
                        "layout": LAYOUT} for p, _, spans, _ in papers],
        )

    def upgrade_layout(self) -> bool:
        """Say in the manifest that this store holds records of LAYOUT (before the first is written into a store of
        an older layout), so PaperRAG that reads only older layouts refuses it. True when the manifest was changed."""
        handle = self.fresh_handle(self.names()[0])
        manifest = dict(handle.metadata or {}) if handle is not None else {}
        if handle is None or manifest.get("paperrag_schema") == LAYOUT:
            return False
        handle.modify(metadata={**manifest, "paperrag_schema": LAYOUT})
        self._handles.pop(self.names()[0], None)
        return True

    def set_sources(self, sources: dict[str, Sequence[str]], paths: dict[str, str] | None = None) -> None:
        """Change which sources hold these papers (and, for those in `paths`, the file they are said to come
        from), nothing else: no vector is read or written."""
        ids = list(sources)
        for part in _parts(ids):
            self.papers.update(ids=part, metadatas=[
                {"sources": list(sources[pid]), **({"source": paths[pid]} if paths and pid in paths else {})}
                for pid in part
            ])

    def delete(self, ids: Iterable[str]) -> None:
        ids = list(ids)
        if ids:
            self.papers.delete(ids=ids)  # the paper record first: the paper is gone as soon as it is
            self.sentences.delete(ids=ids)


def sources_of(meta: dict[str, Any]) -> list[str]:
    """The source names a paper's metadata carries; a paper written before sources were kept: its file's name."""
    names = meta.get("sources")
    if names:
        return [str(n) for n in names]
    return [source_name(str(meta.get("source", "")))]


def source_name(path: str) -> str:
    """The name a source goes by: its file's name (an upload keeps the name it was uploaded with)."""
    return str(path).rsplit("/", 1)[-1] or "unknown"  # as the lexical index names it (rag/library/lexical.py)


def _parts(ids: list[str], size: int = PAGE) -> Iterator[list[str]]:
    for i in range(0, len(ids), size):
        yield ids[i : i + size]


def read_only(err: BaseException) -> bool:
    """Whether `err` says the store's files cannot be written (permissions, a read-only file system)."""
    import errno

    said = str(err).lower()
    return (isinstance(err, PermissionError) or getattr(err, "errno", None) in (errno.EACCES, errno.EROFS)
            or "readonly database" in said or "read-only file system" in said or "permission denied" in said)


def read_only_store(folder: Any) -> StoreError:
    return StoreError(
        f"the Chroma store at {folder} is not writable by this user (Chroma opens its files for writing even to "
        f"answer): give this user write access (e.g. `chmod -R u+w {folder}`), or copy the folder somewhere "
        "writable and point store.persist_dir at the copy."
    )


def unreachable(settings: Settings, err: BaseException) -> StoreError:
    s = settings.store
    return StoreError(
        f"cannot reach the Chroma server at {'https' if s.ssl else 'http'}://{s.host}:{s.port}: is it running? "
        f"Start it with `chroma run --path DIR --host {s.host} --port {s.port}`, or set store.backend: "
        "chroma-persistent."
    )

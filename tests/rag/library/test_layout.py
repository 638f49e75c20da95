"""The store layout (rag/library/chroma.py): abstracts are metadata of the paper records, never Chroma documents,
so Chroma keeps no full-text index of them, and never beside the packed sentence vectors, so a client rebuilding
its lexical index reads no vector (issue 18); a store written before (layout 2, the abstract as the paper record's
document; layout 3, the abstract in the sentence record) answers as it is, and a paper whose write was interrupted
never shows another version's text."""

from __future__ import annotations

import json
import shutil
import sqlite3

import numpy as np
import pytest

from conftest import BUNDLED, FIXTURES, QUOKKA, QUOKKA_QUESTION, assert_consistent
from ingest.pipeline import Ingestor
from rag.engine import Engine
from rag.library import Library

RELP = "What Pearson correlation does RelP reach on MLP outputs in GPT-2 Large?"


def ingest(settings, embedder, *paths):
    return Ingestor(settings, embedder=embedder).run(list(paths), progress=False)


def corpus(tmp_path):
    quokka = tmp_path / "quokka.jsonl"
    quokka.write_text(json.dumps(QUOKKA) + "\n")
    return [FIXTURES / "daily_small.txt", quokka]


def quotes_its_abstract(answer) -> None:
    """The answer cites the Quokka paper and every sentence it quotes is in its source's abstract."""
    assert not answer.abstained
    assert answer.citations[0].title == QUOKKA["title"]
    abstracts = {s.paper_id: s.abstract for s in answer.sources}
    assert abstracts[answer.citations[0].paper_id] == QUOKKA["abstract"]
    quoted = [(s.quote, pid) for s in answer.sentences if s.quote for pid in s.paper_ids]
    assert quoted and all(q in abstracts[pid] for q, pid in quoted)


def fulltext_rows(settings) -> int:
    db = sqlite3.connect(f"file:{settings.store.persist_dir / 'chroma.sqlite3'}?mode=ro", uri=True)
    try:
        return db.execute("select count(*) from embedding_fulltext_search").fetchone()[0]
    finally:
        db.close()


def to_layout(settings, layout: int) -> None:
    """Rewrite the store as PaperRAG wrote it before: layout 2 (schema 2), each abstract as its paper record's
    document, no `layout` on paper records; layout 3, each abstract in its sentence record, `layout: 3` on paper
    records. Sentence records of both carry no other text; the manifest says the layout."""
    library = Library(settings)
    papers, sentences = library.chroma.papers, library.chroma.sentences
    p = papers.get(include=["metadatas", "embeddings"])
    s = sentences.get(include=["metadatas", "embeddings"])
    abstract = {pid: r.paper.abstract for pid, r in library.get_papers(p["ids"]).items()}
    s["metadatas"] = [{k: v for k, v in m.items() if k != "abstract"} for m in s["metadatas"]]
    papers.delete(ids=p["ids"])
    sentences.delete(ids=s["ids"])
    sentences.add(ids=s["ids"], embeddings=np.asarray(s["embeddings"], dtype=np.float32),
                  metadatas=[{**m, **({"abstract": abstract[pid]} if layout == 3 else {})}
                             for pid, m in zip(s["ids"], s["metadatas"])])
    metas = [{k: v for k, v in m.items() if k not in ("layout", "abstract")} | ({"layout": 3} if layout == 3 else {})
             for m in p["metadatas"]]
    papers.add(ids=p["ids"], embeddings=np.asarray(p["embeddings"], dtype=np.float32), metadatas=metas,
               documents=[abstract[pid] for pid in p["ids"]] if layout == 2 else None)
    papers.modify(metadata={**(papers.metadata or {}), "paperrag_schema": layout})


def to_layout_2(settings) -> None:
    to_layout(settings, 2)


def test_abstracts_are_paper_metadata_and_answers_still_quote_them(settings, embedder, tmp_path):
    ingest(settings, embedder, *corpus(tmp_path))
    library = Library(settings)
    n = library.count()
    assert library.manifest()["paperrag_schema"] == 4
    got = library.chroma.papers.get(include=["documents", "metadatas"])
    assert len(got["ids"]) == n and got["documents"] == [None] * n
    assert all(m["layout"] == 4 and m["abstract"] for m in got["metadatas"])
    sentences = library.chroma.sentences.get(include=["metadatas"])["metadatas"]
    assert len(sentences) == n and not any("abstract" in m for m in sentences)  # no text beside the vectors
    assert fulltext_rows(settings) == 0  # Chroma's FTS5 trigram index holds nothing
    db = sqlite3.connect(f"file:{settings.store.persist_dir / 'chroma.sqlite3'}?mode=ro", uri=True)
    try:  # ... while the abstracts did reach Chroma's tables, as paper-record metadata
        assert db.execute("select count(*) from embedding_metadata where key = 'abstract'").fetchone()[0] == n
    finally:
        db.close()
    assert_consistent(settings)
    quotes_its_abstract(Engine(settings, embedder=embedder).ask(QUOKKA_QUESTION))


def test_a_client_with_an_empty_cache_builds_its_lexical_index_without_reading_sentence_vectors(
        settings, embedder, tmp_path, monkeypatch):
    """The regression of layout 3 at scale: the abstract beside the packed vectors made a second client's lexical
    rebuild read every vector (599 s at 300,000 papers over HTTP). Now it reads the paper records only."""
    from rag.library.chroma import ChromaCollections

    ingest(settings, embedder, *corpus(tmp_path))
    shutil.rmtree(settings.store.cache_dir)
    read: list[str] = []
    real = ChromaCollections.get_sentences

    def counted(self, ids):  # the real read, counted
        read.extend(ids)
        return real(self, ids)

    monkeypatch.setattr(ChromaCollections, "get_sentences", counted)
    library = Library(settings)
    n = library.count()  # opens (rebuilds) the lexical index from Chroma
    assert library.lexical.count() == n == 4
    assert read == []
    quotes_its_abstract(Engine(settings, embedder=embedder, library=library).ask(QUOKKA_QUESTION))
    assert read  # answering reads the sentences of the papers it retrieved: the count sees real reads


@pytest.mark.parametrize("layout", [2, 3])
def test_a_store_written_before_answers_without_a_rebuild(settings, embedder, tmp_path, layout):
    files = corpus(tmp_path)
    ingest(settings, embedder, *files)
    before = Library(settings).get_papers(list(Library(settings).chroma.iter_ids()))
    to_layout(settings, layout)
    shutil.rmtree(settings.store.cache_dir)  # a client with an empty cache rebuilds the lexical index from Chroma
    library = Library(settings)
    if layout == 2:  # the old layout, for real
        assert library.chroma.papers.get(include=["documents"])["documents"][0]
    else:
        assert all(m.get("abstract") for m in library.chroma.sentences.get(include=["metadatas"])["metadatas"])
    assert not any("abstract" in m for m in library.chroma.papers.get(include=["metadatas"])["metadatas"])
    assert {pid: r.paper.abstract for pid, r in library.get_papers(list(before)).items()} == {
        pid: r.paper.abstract for pid, r in before.items()}
    engine = Engine(settings, embedder=embedder)
    quotes_its_abstract(engine.ask(QUOKKA_QUESTION))
    relp = engine.ask(RELP)  # a paper the lexical index rebuilt from the old records finds and quotes
    assert relp.citations[0].title.startswith("RelP") and any("0.956" in s.quote for s in relp.sentences)
    assert library.manifest()["paperrag_schema"] == layout  # reading changed nothing

    # Every stored paper is complete: ingesting the same files again rewrites nothing.
    again = ingest(settings, embedder, *files)
    assert (again.new, again.updated, again.unchanged) == (0, 0, len(before))

    # A changed paper is written in the new layout; the manifest says so, the other papers stay as they were.
    changed = dict(QUOKKA, abstract=QUOKKA["abstract"] + " It also halves the lattice drift on Numbat-3.")
    files[1].write_text(json.dumps(changed) + "\n")
    report = ingest(settings, embedder, *files)
    assert (report.new, report.updated) == (0, 1)
    library = Library(settings)
    assert library.manifest()["paperrag_schema"] == 4
    pid = "arxiv:" + QUOKKA["id"]
    got = library.chroma.papers.get(include=["documents", "metadatas"])
    layouts = {i: m.get("layout") for i, m in zip(got["ids"], got["metadatas"])}
    assert layouts.pop(pid) == 4 and set(layouts.values()) == {None if layout == 2 else 3}
    assert "abstract" not in library.chroma.sentences.get(ids=[pid], include=["metadatas"])["metadatas"][0]
    assert library.get_papers([pid])[pid].paper.abstract == changed["abstract"]  # not the stale text
    assert_consistent(settings)
    answer = Engine(settings, embedder=embedder).ask("What does Quokka-Drift halve on Numbat-3?")
    assert answer.citations[0].title == QUOKKA["title"]
    assert any("Numbat-3" in s.quote for s in answer.sentences)


def test_an_interrupted_write_never_shows_another_versions_text(settings, embedder, tmp_path):
    """The sentence record (written first) carries a newer version than the paper record: the paper is incomplete
    (written again by the next ingest); its abstract is the paper record's own (layout 4) or its own document
    (layout 2), and unknown in layout 3, where it was in the sentence record."""
    files = corpus(tmp_path)
    ingest(settings, embedder, *files)
    pid = "arxiv:" + QUOKKA["id"]
    newer = "A later version of the abstract that was never completely written."

    def interrupt(library) -> None:
        s = library.chroma.sentences
        rec = s.get(ids=[pid], include=["metadatas"])["metadatas"][0]
        s.update(ids=[pid], metadatas=[{**rec, "content_hash": "0123456789abcdef", "abstract": newer}])

    for layout, shown in ((4, QUOKKA["abstract"]), (3, ""), (2, QUOKKA["abstract"])):
        if layout != 4:
            to_layout(settings, layout)
        library = Library(settings)
        interrupt(library)
        for r in (library.get_papers([pid])[pid], library.passages([pid])[pid].record):
            assert not r.complete and r.paper.abstract == shown, layout  # never `newer`
        assert library.passages([pid])[pid].sentences == []
        assert [p.content_hash for p in library.find([library.get_papers([pid])[pid].paper])] == [""]
        assert ingest(settings, embedder, *files).updated == 1
        assert_consistent(settings)


def test_a_large_rebuild_analyses_in_worker_processes_and_builds_the_same_index(settings, embedder, tmp_path,
                                                                                monkeypatch):
    """Past REBUILD_PARALLEL papers the lexical rebuild hands each page's analysis (terms and names, the slow part)
    to spawned worker processes: the index it builds answers every term and name lookup as the one built here."""
    import rag.library as library_module
    from rag.filters import Filters
    from rag.library.lexical import analyzed

    if library_module.rebuild_workers(library_module.REBUILD_PARALLEL) < 2:
        pytest.skip("one core: the rebuild analyses in this process")
    ingest(settings, embedder, FIXTURES / "daily_small.txt", BUNDLED)
    ids = list(Library(settings).chroma.iter_ids())
    papers = Library(settings).get_papers(ids)

    def built() -> tuple[dict, dict]:
        shutil.rmtree(settings.store.cache_dir)
        library = Library(settings)
        library.refresh()
        lexical = library.lexical
        stored = lexical.stored(ids)
        found = {}
        for pid, r in papers.items():
            _, heads, names, mentions = analyzed(r.paper)
            for field, keys in (("heads", heads), ("names", names), ("mentions", mentions)):
                for k in keys.split()[:5]:
                    found[(pid, field, k)] = pid in lexical.named([k], Filters(), field=field, limit=200)
        return stored, found

    serial = built()
    submitted = []
    real_submit = library_module._submit

    def counted(pool, papers):  # the real hand-over, counted
        future = real_submit(pool, papers)
        submitted.append(future is not None)
        return future

    monkeypatch.setattr(library_module, "REBUILD_PARALLEL", 10)
    monkeypatch.setattr(library_module, "REBUILD_PAGE", 16)
    monkeypatch.setattr(library_module, "_submit", counted)
    parallel = built()
    assert len(submitted) == -(-len(ids) // 16) and all(submitted)  # every page went to a worker
    assert parallel[0] == serial[0] and len(parallel[0]) == len(ids) > 80
    assert parallel[1] == serial[1] and all(serial[1].values())
    assert_consistent(settings)

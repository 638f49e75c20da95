"""Sources as first-class records of the library, with the real model and real Chroma: every ingest records its
files, a source's papers come out with it (vectors, sentences, lexical index, change log), a paper two sources
hold stays until both are gone, a rebuild keeps them in step, and a store made before sources were kept gets them."""

from __future__ import annotations

import shutil

import pytest

from conftest import BUNDLED, FIXTURES, assert_consistent
from ingest.pipeline import Ingestor
from rag.filters import Filters
from rag.library import Library, UnknownInIndex
from rag.terms import terms

BERT = "arxiv:1810.04805"


def ingest(settings, embedder, *paths, **kw):
    return Ingestor(settings, embedder=embedder).run(list(paths), progress=False, **kw)


def listed(settings) -> dict[str, tuple[str, int]]:
    return {s.name: (s.kind, s.papers) for s in Library(settings).sources()}


def lexical_ids(settings, text: str) -> list[str]:
    library = Library(settings)
    library.refresh()
    return [pid for pid, _ in library.lexical_search(terms(text), 5, Filters())]


def test_each_file_is_a_source_and_removing_one_takes_out_only_its_own_papers(settings, embedder, tmp_path):
    listing = tmp_path / "new_papers.jsonl"
    shutil.copy(FIXTURES / "papers.jsonl", listing)  # BERT and ResNet are new; RelP and EntroPE are bundled too
    ingest(settings, embedder, BUNDLED)
    report = ingest(settings, embedder, listing)
    assert (report.new, report.updated, report.sources) == (2, 2, ["new_papers.jsonl"])
    assert listed(settings) == {"daily_papers_2025-11-10.txt": ("bundled", 87), "new_papers.jsonl": ("file", 4)}
    sources = {s.name: s for s in Library(settings).sources()}
    assert sources["new_papers.jsonl"].path == str(listing.resolve())
    assert sources["new_papers.jsonl"].first <= sources["new_papers.jsonl"].last
    assert Library(settings).sources()[0].name == "new_papers.jsonl"  # the latest first
    assert BERT in lexical_ids(settings, "deep bidirectional transformers language understanding")

    removal = Library(settings).remove_source("new_papers.jsonl")
    assert sorted(removal.removed) == sorted(report.added_ids) and BERT in removal.removed
    assert sorted(removal.kept) == sorted(report.updated_ids)  # RelP and EntroPE: the bundled listing holds them
    assert removal.papers_in_store == 87 == Library(settings).count()
    assert listed(settings) == {"daily_papers_2025-11-10.txt": ("bundled", 87)}
    assert BERT not in lexical_ids(settings, "deep bidirectional transformers language understanding")
    relp = report.updated_ids[0]
    kept = Library(settings).get_papers([relp])[relp]
    assert kept.sources == ["daily_papers_2025-11-10.txt"]
    assert kept.paper.source.endswith("daily_papers_2025-11-10.txt")  # said to come from a source that holds it
    assert Library(settings).stats()["sources"] == {"daily_papers_2025-11-10.txt": 87}
    assert_consistent(settings, vectors=True)


def test_removed_papers_are_no_longer_answered(settings, embedder, tmp_path):
    from rag.engine import Engine

    listing = tmp_path / "bert.jsonl"
    shutil.copy(FIXTURES / "papers.jsonl", listing)
    ingest(settings, embedder, FIXTURES / "daily_small.txt", listing)
    engine = Engine(settings, embedder=embedder)
    question = "What does BERT pre-train, and on what?"
    assert BERT in [c.paper_id for c in engine.ask(question).citations]
    engine.library.remove_source("bert.jsonl")
    answer = engine.ask(question)
    assert BERT not in [c.paper_id for c in answer.citations] + [s.paper_id for s in answer.sources]
    assert list(listed(settings)) == ["daily_small.txt"]


def test_a_paper_two_sources_hold_stays_until_both_are_removed(settings, embedder, tmp_path):
    a, b = tmp_path / "a.txt", tmp_path / "b.txt"
    shutil.copy(FIXTURES / "daily_small.txt", a)
    shutil.copy(FIXTURES / "daily_small.txt", b)
    first = ingest(settings, embedder, a)
    second = ingest(settings, embedder, b)
    n = first.new
    assert n >= 2 and (second.new, second.unchanged, second.texts_encoded) == (0, n, 0)  # only named, not encoded
    assert listed(settings) == {"a.txt": ("file", n), "b.txt": ("file", n)}

    removal = Library(settings).remove_source("a.txt")
    assert (len(removal.removed), len(removal.kept), removal.papers_in_store) == (0, n, n)
    assert listed(settings) == {"b.txt": ("file", n)}
    removal = Library(settings).remove_source("b.txt")
    assert (len(removal.removed), removal.papers_in_store) == (n, 0)
    assert listed(settings) == {}
    assert_consistent(settings)

    again = ingest(settings, embedder, a)  # a removed source comes back whole
    assert again.new == n and listed(settings) == {"a.txt": ("file", n)}
    assert_consistent(settings)


def test_removing_papers_by_id_counts_them_out_of_their_sources(settings, embedder, tmp_path):
    listing = tmp_path / "two.jsonl"
    listing.write_text("".join((FIXTURES / "papers.jsonl").read_text().splitlines(keepends=True)[:2]))
    ingest(settings, embedder, FIXTURES / "daily_small.txt", listing)
    library = Library(settings)
    before = library.count()
    removal = library.remove([BERT, "no:such-paper"])
    assert removal.removed == [BERT] and removal.papers_in_store == before - 1
    assert listed(settings)["two.jsonl"] == ("file", 1)
    library.remove([pid for pid in library.chroma.ids_in_source("two.jsonl")])
    assert "two.jsonl" not in listed(settings)  # a source left with no papers goes
    assert_consistent(settings)


def test_an_unknown_source_is_refused_and_nothing_changes(settings, embedder):
    ingest(settings, embedder, FIXTURES / "daily_small.txt")
    library = Library(settings)
    n = library.count()
    with pytest.raises(UnknownInIndex, match="no source named 'nope.txt'.*`paperrag sources` lists the sources"):
        library.remove_source("nope.txt")
    assert library.count() == n


def test_a_rebuild_keeps_the_sources_of_what_it_built(settings, embedder, tmp_path):
    listing = tmp_path / "new_papers.jsonl"
    shutil.copy(FIXTURES / "papers.jsonl", listing)
    ingest(settings, embedder, FIXTURES / "daily_small.txt", listing)
    ingest(settings, embedder, listing, rebuild=True)
    assert listed(settings) == {"new_papers.jsonl": ("file", 4)}
    assert Library(settings).count() == 4


def test_an_upload_is_recorded_as_an_upload_without_its_temporary_path(settings, embedder, tmp_path):
    folder = tmp_path / "gradio" / "0a1b2c"
    folder.mkdir(parents=True)
    shutil.copy(FIXTURES / "papers.jsonl", folder / "mine.jsonl")
    ingest(settings, embedder, folder / "mine.jsonl", kind="upload")
    (src,) = Library(settings).sources()
    assert (src.name, src.kind, src.papers, src.path) == ("mine.jsonl", "upload", 4, None)


def test_a_store_made_before_sources_were_kept_gets_them_once(settings, embedder, tmp_path, capsys):
    listing = tmp_path / "new_papers.jsonl"
    shutil.copy(FIXTURES / "papers.jsonl", listing)
    ingest(settings, embedder, BUNDLED, listing)
    library = Library(settings)
    # What an older PaperRAG left: no sources collection, papers that name no source.
    library.chroma.client.delete_collection(library.chroma.sources_name_of(""))
    ids = list(library.chroma.iter_ids())
    library.chroma.papers.update(ids=ids, metadatas=[{"sources": None} for _ in ids])
    assert "sources" not in library.chroma.papers.get(ids=ids[:1], include=["metadatas"])["metadatas"][0]

    fresh = Library(settings)
    sources = {s.name: (s.kind, s.papers) for s in fresh.sources()}
    # Each paper goes to the file its record was last read from (RelP and EntroPE: the jsonl, which outranks it).
    assert sources == {"daily_papers_2025-11-10.txt": ("bundled", 85), "new_papers.jsonl": ("file", 4)}
    assert "recorded the sources of the 89 papers" in capsys.readouterr().err
    assert Library(settings).sources() and "recorded" not in capsys.readouterr().err  # once
    again = ingest(settings, embedder, BUNDLED)
    assert again.unchanged == 87 and listed(settings)["daily_papers_2025-11-10.txt"] == ("bundled", 87)
    assert_consistent(settings)


@pytest.mark.slow
def test_sources_on_a_shared_chroma_server_are_the_same_for_every_client(chroma_server, embedder, tmp_path):
    from conftest import make_settings

    port, _ = chroma_server
    first, second = (make_settings(tmp_path / name, store={"backend": "chroma-http", "port": port})
                     for name in ("first", "second"))
    listing = tmp_path / "new_papers.jsonl"
    shutil.copy(FIXTURES / "papers.jsonl", listing)
    ingest(first, embedder, FIXTURES / "daily_small.txt", listing)
    assert listed(second) == {"daily_small.txt": ("file", 3), "new_papers.jsonl": ("file", 4)}
    removal = Library(second).remove_source("new_papers.jsonl")
    assert (len(removal.removed), len(removal.kept)) == (2, 2)  # RelP and EntroPE are in daily_small.txt too
    assert listed(first) == {"daily_small.txt": ("file", 3)}
    library = Library(first)
    assert BERT not in lexical_ids(first, "deep bidirectional transformers language understanding")
    assert library.count() == 3

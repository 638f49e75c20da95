"""Ingest end to end with the real model and real Chroma: idempotence, updates, dedup, manifest, bad input."""

from __future__ import annotations

import shutil
from pathlib import Path

import pytest

from conftest import BUNDLED, FIXTURES, assert_consistent, make_settings
from ingest.pipeline import Ingestor, InputRejected
from rag.filters import Filters
from rag.errors import ModelMismatchError, SourceError, UsageError
from rag.library import Library


def ingestor(settings, embedder):
    return Ingestor(settings, embedder=embedder)


def stored(settings) -> dict[str, tuple[dict, str]]:
    """paper id -> (metadata, abstract) of every paper record, read from Chroma directly (the abstract from the
    paper's sentence record)."""
    chroma = Library(settings).chroma
    rows = chroma.paper_rows(list(chroma.iter_ids()))
    records = chroma.get_papers(list(rows))
    return {pid: (meta, records[pid].paper.abstract) for pid, (meta, _) in rows.items()}


def papers_by_title(settings) -> dict[str, list[dict]]:
    out: dict[str, list[dict]] = {}
    for meta, _ in stored(settings).values():
        out.setdefault(meta["title"], []).append(meta)
    return out


def test_bundled_listing_ingests_once_then_is_unchanged(settings, embedder):
    first = ingestor(settings, embedder).run([BUNDLED], progress=False)
    assert (first.new, first.updated, first.unchanged, len(first.skipped)) == (87, 0, 0, 0)
    assert first.papers_in_store == 87
    stats = Library(settings).stats()
    assert stats["papers"] == 87
    assert stats["embedding_model"] == "sentence-transformers/all-MiniLM-L6-v2"
    assert stats["embedding_dim"] == 384
    assert stats["date_range"][0] < stats["date_range"][1] <= "2025-12-31"
    assert sum(stats["years"].values()) + stats["undated_papers"] == 87
    assert stats["sources"] == {"daily_papers_2025-11-10.txt": 87}
    # One pass: the paper text and each sentence once.
    assert first.texts_encoded == 87 + sum(m["n_sentences"] for m, _ in stored(settings).values())

    again = ingestor(settings, embedder).run([BUNDLED], progress=False)
    assert (again.new, again.updated, again.unchanged, again.texts_encoded) == (0, 0, 87, 0)
    assert again.summary().startswith("0 new, 0 updated, 87 unchanged")
    assert_consistent(settings)


def test_changed_abstract_is_reembedded_and_replaces_the_old_version(settings, embedder, tmp_path):
    listing = tmp_path / "daily.txt"
    shutil.copy(FIXTURES / "daily_small.txt", listing)
    ingestor(settings, embedder).run([listing], progress=False)
    before = stored(settings)

    text = listing.read_text()
    first_abstract = text.split("\n\n")[[i for i, b in enumerate(text.split("\n\n")) if len(b) > 300][0]]
    marker = "We additionally report a replication on 12 new benchmarks."
    listing.write_text(text.replace(first_abstract, first_abstract + " " + marker))

    report = ingestor(settings, embedder).run([listing], progress=False)
    assert (report.new, report.updated, report.unchanged) == (0, 1, len(before) - 1)
    after = stored(settings)
    docs = [doc for _, doc in after.values()]
    assert any(marker in d for d in docs)
    assert not any(first_abstract == d for d in docs), "the old version is gone"
    assert_consistent(settings)
    assert after.keys() == before.keys()
    # The lexical index found the new words at once.
    library = Library(settings)
    library.refresh()
    assert [pid for pid, _ in library.lexical_search(["replic", "benchmark"], 1, Filters())] == [
        pid for pid, (_, d) in after.items() if marker in d
    ]


def test_same_paper_from_two_sources_is_one_paper(settings, embedder):
    ingestor(settings, embedder).run([BUNDLED], progress=False)
    report = ingestor(settings, embedder).run([FIXTURES / "arxiv_query.xml"], progress=False)
    assert report.updated >= 1  # RelP: the arXiv record upgrades the listing's record
    relp = papers_by_title(settings)["RelP: Faithful and Efficient Circuit Discovery via Relevance Patching"]
    assert len(relp) == 1
    assert relp[0]["paper_id"] == "arxiv:2508.21258"
    assert relp[0]["source_format"] == "arxiv-atom"
    # Reading either source again changes nothing.
    for path in (BUNDLED, FIXTURES / "arxiv_query.xml"):
        again = ingestor(settings, embedder).run([path], progress=False)
        assert (again.new, again.updated) == (0, 0), path
    assert len(papers_by_title(settings)["RelP: Faithful and Efficient Circuit Discovery via Relevance Patching"]) == 1
    assert_consistent(settings)


def test_same_paper_twice_in_one_run_is_merged(settings, embedder):
    report = ingestor(settings, embedder).run([BUNDLED, FIXTURES / "arxiv_query.xml"], progress=False)
    assert report.merged >= 1
    assert report.papers_in_store == report.new
    titles = papers_by_title(settings)
    assert all(len(v) == 1 for v in titles.values())


def test_every_fixture_format_ingests(settings, embedder):
    paths = [FIXTURES / n for n in ("arxiv_query.xml", "arxiv_snapshot.jsonl", "papers.jsonl", "papers.csv",
                                    "papers.bib", "daily_small.txt")]
    report = ingestor(settings, embedder).run(paths, progress=False)
    assert report.ok and report.new >= 10
    assert_consistent(settings)


def test_index_built_with_another_model_is_refused(settings, embedder, tmp_path):
    ingestor(settings, embedder).run([FIXTURES / "daily_small.txt"], progress=False)
    other = tmp_path / "other-minilm"
    shutil.copytree(embedder.path, other)  # a real, different local model folder
    s2 = make_settings(tmp_path, embedding={"model": str(other)})
    with pytest.raises(ModelMismatchError) as err:
        Ingestor(s2).run([FIXTURES / "daily_small.txt"], progress=False)
    msg = str(err.value)
    assert "sentence-transformers/all-MiniLM-L6-v2" in msg and "local:other-minilm" in msg
    assert "paperrag ingest --rebuild" in msg
    assert Library(settings).stats()["papers"] == 3, "the refused run changed nothing"

    rebuilt = Ingestor(s2).run([FIXTURES / "daily_small.txt"], rebuild=True, progress=False)
    assert rebuilt.new == 3
    assert Library(s2).stats()["embedding_model"] == "local:other-minilm"
    assert_consistent(s2)


def test_rebuild_starts_afresh(settings, embedder):
    ingestor(settings, embedder).run([BUNDLED], progress=False)
    report = ingestor(settings, embedder).run([FIXTURES / "daily_small.txt"], rebuild=True, progress=False)
    assert report.new == 3 and report.papers_in_store == 3
    assert_consistent(settings)


def test_directory_ingests_its_supported_files(settings, embedder, tmp_path):
    folder = tmp_path / "listings"
    folder.mkdir()
    shutil.copy(FIXTURES / "papers.jsonl", folder)
    shutil.copy(FIXTURES / "papers.bib", folder / "refs.bib")
    (folder / "notes.png").write_bytes(b"\x89PNG not a listing")
    # A store and a cache kept inside the folder are not listings (their JSON files read as 135 bad records).
    (folder / ".paperrag").mkdir()
    (folder / ".paperrag" / "manifest.json").write_text('{"title": "not a paper"}')
    index = folder / "cache" / "lexical-papers-1" / "index-1"
    index.mkdir(parents=True)
    (index / "meta.json").write_text('{"segments": []}')
    (index / ".managed.json").write_text("[]")
    report = ingestor(settings, embedder).run([folder], progress=False)
    assert sorted(Path(f).name for f in report.files) == ["papers.jsonl", "refs.bib"]
    assert report.new >= 4


def test_bad_records_are_skipped_with_reasons_and_strict_writes_nothing(settings, embedder):
    bad = FIXTURES / "snapshot_bad_line.jsonl"
    with pytest.raises(InputRejected, match="Nothing was written"):
        ingestor(settings, embedder).run([FIXTURES / "daily_small.txt", bad], strict=True, progress=False)
    assert Library(settings).stats()["papers"] == 0

    report = ingestor(settings, embedder).run([bad], progress=False)
    reasons = " | ".join(f"{r.line}: {r.reason}" for r in report.skipped)
    assert report.skip_reasons().keys() >= {"malformed", "no title", "no abstract", "duplicate"}, reasons
    assert all(r.path == str(bad) and r.line for r in report.skipped), reasons
    assert report.new == report.papers_in_store >= 1
    assert_consistent(settings)


@pytest.mark.parametrize(
    "name, expected",
    [
        ("empty.txt", "empty"),
        ("malformed.xml", "line"),
        ("latin1.csv", "UTF-8"),
    ],
)
def test_unreadable_file_is_reported_and_other_files_still_ingest(settings, embedder, name, expected):
    report = ingestor(settings, embedder).run([FIXTURES / name, FIXTURES / "daily_small.txt"], progress=False)
    assert not report.ok
    [err] = report.file_errors
    assert name in str(err) and expected in str(err)
    assert report.new == 3


def test_binary_file_is_reported(settings, embedder, tmp_path):
    blob = tmp_path / "weights.txt"
    blob.write_bytes(bytes(range(256)) * 4)
    report = ingestor(settings, embedder).run([blob], progress=False)
    assert "binary" in str(report.file_errors[0]) and "weights.txt" in str(report.file_errors[0])


def test_missing_path_and_no_input(settings, embedder, tmp_path):
    with pytest.raises(SourceError, match="no such file"):
        ingestor(settings, embedder).run([tmp_path / "nope.txt"], progress=False)
    settings.ingest.default_paths = []
    with pytest.raises(UsageError):
        ingestor(settings, embedder).run([], progress=False)


def test_no_path_ingests_the_bundled_corpus(settings, embedder):
    report = ingestor(settings, embedder).run(None, progress=False)
    assert report.files == [str(BUNDLED)] and report.new == 87

"""A damaged or stale lexical cache is never trusted: deleted segment files, an emptied cache, and a Chroma store
restored from an older backup (phantom papers) are each found when a process opens the library, said in one line
on stderr, and repaired from Chroma; a missing companion collection is named with the command that repairs it.
Each step is a real `paperrag` process over a real store."""

from __future__ import annotations

import json
import shutil
import subprocess

import pytest

from conftest import BUNDLED, env_for, make_settings, paperrag_cmd
from ingest.pipeline import Ingestor
from ingest.readers import read_records
from rag.types import Paper

pytestmark = pytest.mark.slow
QUESTION = "What is D-Former?"


def papers_jsonl(path, papers) -> None:
    path.write_text("".join(json.dumps({"title": p.title, "abstract": p.abstract, "authors": p.authors,
                                        "date": p.date}) + "\n" for p in papers))


@pytest.fixture
def store(tmp_path, embedder):
    """The bundled listing in a store of this test's own; returns (folder, the lexical index folder)."""
    Ingestor(make_settings(tmp_path), embedder=embedder).run([BUNDLED], progress=False)
    (index,) = (tmp_path / "cache").glob("lexical-papers-*/index-*")
    return tmp_path, index


def paperrag(folder, *args):
    return subprocess.run([*paperrag_cmd(), *args], env=env_for(folder), capture_output=True, text=True,
                          cwd=folder, timeout=300)


def asks_well(folder) -> str:
    """Ask the question that needs the lexical index; return what the process said on stderr."""
    out = paperrag(folder, "ask", "--json", QUESTION)
    assert out.returncode == 0, out.stderr
    answer = json.loads(out.stdout)
    assert not answer["abstained"] and "D-Former" in answer["citations"][0]["title"] + answer["answer"]
    return out.stderr


def test_deleted_segment_files_are_found_and_rebuilt(store):
    folder, index = store
    removed = [f.unlink() or f for f in index.glob("*.term")]
    assert removed
    said = asks_well(folder)
    assert f"the lexical index at {index} is damaged" in said and "rebuilding it" in said
    assert "damaged" not in asks_well(folder)  # repaired for good


def test_an_emptied_cache_is_rebuilt_not_reported_as_an_empty_index(store):
    folder, index = store
    for f in index.iterdir():
        if f.name != "sync.json":
            shutil.rmtree(f) if f.is_dir() else f.unlink()
    said = asks_well(folder)
    assert "holds 0 papers where the Chroma store holds 87" in said
    stats = json.loads(paperrag(folder, "stats", "--json").stdout)
    assert stats["papers"] == 87 and sum(stats["years"].values()) + stats["undated_papers"] == 87


def test_a_store_restored_from_an_older_backup_leaves_no_phantoms(tmp_path, embedder):
    papers = [p for p in read_records(BUNDLED, None) if isinstance(p, Paper)]
    early, late = tmp_path / "early.jsonl", tmp_path / "late.jsonl"
    papers_jsonl(early, papers[:40])
    papers_jsonl(late, papers[40:])
    settings = make_settings(tmp_path)
    Ingestor(settings, embedder=embedder).run([early], progress=False)
    shutil.copytree(tmp_path / "chroma", tmp_path / "backup")
    Ingestor(settings, embedder=embedder).run([late], progress=False)
    shutil.rmtree(tmp_path / "chroma")
    shutil.copytree(tmp_path / "backup", tmp_path / "chroma")  # the operator restores last week's store

    late_title = papers[60].title
    out = paperrag(tmp_path, "ask", "--json", "--title", late_title[:40], "What does this paper propose?")
    assert "holds 87 papers where the Chroma store holds 40" in out.stderr
    answer = json.loads(out.stdout)
    assert all(c["title"] != late_title for c in answer["citations"])  # the phantom is gone, not cited
    stats = json.loads(paperrag(tmp_path, "stats", "--json").stdout)
    assert stats["papers"] == 40 and sum(stats["sources"].values()) == 40


def _drop_collection(folder, name: str) -> None:
    import chromadb
    from chromadb.api.client import SharedSystemClient
    from chromadb.config import Settings

    SharedSystemClient.clear_system_cache()  # this test process opened the store to ingest
    client = chromadb.PersistentClient(path=str(folder / "chroma"),
                                       settings=Settings(anonymized_telemetry=False, allow_reset=True))
    client.delete_collection(name)
    SharedSystemClient.clear_system_cache()


def test_a_lost_sentence_collection_is_named_with_the_fix(store):
    folder, _ = store
    _drop_collection(folder, "papers-sentences")
    out = paperrag(folder, "ask", QUESTION)
    lines = out.stderr.strip().splitlines()
    assert out.returncode != 0 and len(lines) == 1, out.stderr
    assert "has lost its sentence collection 'papers-sentences'" in lines[0]
    assert "paperrag ingest --rebuild" in lines[0]


def test_a_lost_change_log_is_made_again(store):
    folder, _ = store
    _drop_collection(folder, "papers-changes")
    said = asks_well(folder)
    assert "the change log 'papers-changes'" in said and "made it again" in said
    assert "change log" not in asks_well(folder)

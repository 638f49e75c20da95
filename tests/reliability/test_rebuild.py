"""`paperrag ingest --rebuild` builds beside the index in use and switches when complete: questions asked meanwhile
are all answered (it once failed 176 of 609 with "index is empty" / "Missing metadata segment"), a rebuild killed
midway leaves the old index answering and the next run says so, and a second rebuild at once is refused in one
line (it was a raw NotFoundError). Real processes over a real store."""

from __future__ import annotations

import os
import signal
import subprocess
import threading
import time

import pytest

from conftest import BUNDLED, ROOT, env_for, make_settings, paperrag_cmd
from ingest.pipeline import Ingestor
from rag.engine import Engine

pytestmark = pytest.mark.slow
PUBMED = ROOT / "evals/datasets/pubmedqa-dev/corpus.jsonl"


def pubmed_listing(folder, n: int):
    path = folder / f"pubmed-{n}.jsonl"
    with PUBMED.open() as src:
        path.write_text("".join(next(src) for _ in range(n)))
    return path


@pytest.fixture
def bundled(tmp_path, embedder):
    settings = make_settings(tmp_path)
    Ingestor(settings, embedder=embedder).run([BUNDLED], progress=False)
    return tmp_path, settings


def paperrag(folder, *args, **env):
    return subprocess.run([*paperrag_cmd(), *args], env=env_for(folder, **env), capture_output=True, text=True,
                          cwd=folder, timeout=600)


def generations(folder) -> set[str]:
    out = paperrag(folder, "stats", "--json")
    assert out.returncode == 0, out.stderr
    import chromadb
    from chromadb.api.client import SharedSystemClient
    from chromadb.config import Settings

    SharedSystemClient.clear_system_cache()
    client = chromadb.PersistentClient(path=str(folder / "chroma"),
                                       settings=Settings(anonymized_telemetry=False, allow_reset=True))
    names = {c.name for c in client.list_collections()}
    SharedSystemClient.clear_system_cache()
    return {n for n in names if not n.endswith(("-sentences", "-changes", "-sources", "-current"))}


def test_questions_are_answered_all_through_a_rebuild(bundled, embedder):
    folder, settings = bundled
    engine = Engine(settings, embedder=embedder)
    engine.warm_up()
    more = pubmed_listing(folder, 48)
    rebuild = subprocess.Popen([*paperrag_cmd(), "ingest", "--quiet", "--rebuild", str(BUNDLED), str(more)],
                               env=env_for(folder, PAPERRAG_INGEST__BATCH_PAPERS="16"), stdout=subprocess.PIPE,
                               stderr=subprocess.PIPE, text=True, cwd=folder)
    errors: list[str] = []
    asked = [0]

    def client() -> None:
        while rebuild.poll() is None:
            try:
                answer = engine.ask("What is D-Former?")
                if answer.abstained or "D-Former" not in answer.answer:
                    errors.append(f"not answered: {answer.reason or answer.answer[:80]}")
            except Exception as e:  # noqa: BLE001 (every failure is what this test counts)
                errors.append(f"{type(e).__name__}: {e}")
            asked[0] += 1

    threads = [threading.Thread(target=client) for _ in range(3)]
    for t in threads:
        t.start()
    out, err = rebuild.communicate(timeout=600)
    for t in threads:
        t.join(timeout=120)
    assert rebuild.returncode == 0, err
    assert "87 new" in out or "135 new" in out
    assert errors == [], f"{len(errors)} of {asked[0]} questions failed, first: {errors[:3]}"
    assert asked[0] > 10
    assert engine.library.count() == 87 + 48  # the server follows the switch
    assert engine.ask("What is D-Former?").citations
    assert len(generations(folder)) == 1  # the old index is gone
    assert len(list((folder / "cache").glob("lexical-papers-*/index-*"))) == 1


def test_a_killed_rebuild_leaves_the_old_index_and_the_next_run_says_so(bundled):
    folder, _ = bundled
    more = pubmed_listing(folder, 600)
    rebuild = subprocess.Popen([*paperrag_cmd(), "ingest", "--quiet", "--rebuild", str(more)],
                               env=env_for(folder, PAPERRAG_INGEST__BATCH_PAPERS="8"), stdout=subprocess.DEVNULL,
                               stderr=subprocess.DEVNULL, cwd=folder)
    time.sleep(15)  # the model is loaded and batches are being written
    assert rebuild.poll() is None, "the rebuild ended before it could be killed"
    os.kill(rebuild.pid, signal.SIGKILL)
    rebuild.wait()

    out = paperrag(folder, "ask", "What is D-Former?")
    assert out.returncode == 0 and "D-Former" in out.stdout, out.stderr
    assert len(generations(folder)) == 2  # the old index, and what the killed rebuild left beside it

    out = paperrag(folder, "ingest", "--quiet", str(BUNDLED))
    assert out.returncode == 0, out.stderr
    assert "a rebuild of the index at" in out.stderr and "was interrupted" in out.stderr
    assert "the index in use was not touched" in out.stderr
    assert "87 unchanged" in out.stdout and "87 papers in the index" in out.stdout
    assert len(generations(folder)) == 1


def test_a_second_rebuild_at_once_is_refused_in_one_line(bundled):
    folder, _ = bundled
    more = pubmed_listing(folder, 400)
    first = subprocess.Popen([*paperrag_cmd(), "ingest", "--quiet", "--rebuild", str(more)],
                             env=env_for(folder, PAPERRAG_INGEST__BATCH_PAPERS="8"), stdout=subprocess.PIPE,
                             stderr=subprocess.PIPE, text=True, cwd=folder)
    time.sleep(12)
    assert first.poll() is None, "the first rebuild ended before the second started"
    second = paperrag(folder, "ingest", "--quiet", "--rebuild", str(BUNDLED))
    lines = second.stderr.strip().splitlines()
    assert second.returncode == 2 and len(lines) == 1, second.stderr
    assert "another `paperrag ingest --rebuild` of the index at" in lines[0] and "is running" in lines[0]
    out, err = first.communicate(timeout=600)
    assert first.returncode == 0, err
    assert "400 new" in out and "400 papers in the index" in out

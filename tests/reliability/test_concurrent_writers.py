"""Two ingests at once, and writers killed with SIGKILL at random points: nothing lost, nothing duplicated, every
paper answerable."""

from __future__ import annotations

import json
import random
import re
import signal
import subprocess
import threading
import time
from pathlib import Path

import pytest

from conftest import ROOT, assert_consistent, env_for, make_settings, paperrag_cmd

pytestmark = pytest.mark.slow
# Real abstracts, vendored with the evaluation suite (evals/suite.yaml).
PUBMEDQA_CORPUS = ROOT / "evals" / "datasets" / "pubmedqa-dev" / "corpus.jsonl"


def real_papers(n: int, skip: int = 0) -> list[dict]:
    """Real abstracts: pubmedqa-dev's, `n` of them from `skip` on."""
    rows = [json.loads(line) for line in open(PUBMEDQA_CORPUS, encoding="utf-8")]
    assert len(rows) >= skip + n, f"{PUBMEDQA_CORPUS} has {len(rows)} abstracts, the test needs {skip + n}"
    return rows[skip : skip + n]


def write_listing(path: Path, rows: list[dict]) -> Path:
    path.write_text("".join(json.dumps(r) + "\n" for r in rows), encoding="utf-8")
    return path


def start_ingest(tmp_path: Path, listing: Path, **env: str) -> subprocess.Popen:
    return subprocess.Popen([*paperrag_cmd(), "ingest", str(listing)], env=env_for(tmp_path, **env),
                            stdout=subprocess.PIPE, stderr=subprocess.PIPE, cwd=tmp_path)


def wait_for_progress(proc: subprocess.Popen, pattern: bytes, timeout: float) -> bytes:
    seen = bytearray()
    found = threading.Event()

    def reader():
        while chunk := proc.stderr.read1(256):
            seen.extend(chunk)
            if re.search(pattern, bytes(seen)):
                found.set()
        found.set()

    threading.Thread(target=reader, daemon=True).start()
    assert found.wait(timeout), bytes(seen).decode(errors="replace")
    return bytes(seen)


def ask_about(engine, row: dict, rows: list[dict]):
    """Ask about the sentence of `row` that only it could hold: the one whose words are rarest among `rows` (the
    longest sentence was sometimes a generic "no significant difference in survival" that many abstracts share)."""
    from rag.terms import idf_table, term_set

    idf = idf_table(term_set(r["abstract"]) for r in rows)
    sentences = [x for x in re.split(r"(?<=\.)\s+", row["abstract"]) if len(term_set(x)) >= 6]
    sentence = max(sentences, key=lambda x: sum(idf.get(t, 0.0) for t in term_set(x)) / len(term_set(x)))
    return engine.ask(f"Which study reports that {sentence[:200]}")


def test_an_ingest_during_another_leaves_every_paper_answerable(tmp_path, embedder):
    """Issue 12, failure 1: a 300-paper ingest in batches of 150; when the bar reaches 150/300 a second process
    ingests one other paper; then the papers of the first file's second half are answered."""
    rows = real_papers(300)
    big = write_listing(tmp_path / "big.jsonl", rows)
    other = write_listing(tmp_path / "other.jsonl", real_papers(1, skip=900))
    first = start_ingest(tmp_path, big, PAPERRAG_INGEST__BATCH_PAPERS="150")
    wait_for_progress(first, rb"\b1[5-9]\d/300\b", 300)
    second = subprocess.run([*paperrag_cmd(), "ingest", "--quiet", str(other)], env=env_for(tmp_path),
                            capture_output=True, text=True, cwd=tmp_path, timeout=300)
    assert second.returncode == 0, second.stderr
    assert first.wait(300) == 0

    settings = make_settings(tmp_path)
    assert_consistent(settings, vectors=True)
    from rag.engine import Engine

    engine = Engine(settings, embedder=embedder)
    assert engine.library.count() == 301
    for row in rows[150:300:10]:
        answer = ask_about(engine, row, rows)
        assert not answer.abstained and answer.citations[0].title == row["title"], row["title"]


def test_two_writers_killed_at_random_points_then_rerun(tmp_path, embedder):
    """Two ingests of different files interleave in batches of 10; both are killed with SIGKILL at random
    moments; both are run again. Every paper ends up stored once, complete, findable and answerable."""
    a = real_papers(120, skip=300)
    b = real_papers(120, skip=420)
    files = [write_listing(tmp_path / "a.jsonl", a), write_listing(tmp_path / "b.jsonl", b)]
    rng = random.Random(int(time.time()))
    procs = [start_ingest(tmp_path, f, PAPERRAG_INGEST__BATCH_PAPERS="10") for f in files]
    for proc in procs:
        wait_for_progress(proc, rb"\b\d+/120\b", 120)
    deadline = {p.pid: time.time() + rng.uniform(1.0, 6.0) for p in procs}
    while any(p.poll() is None for p in procs):
        for p in procs:
            if p.poll() is None and time.time() > deadline[p.pid]:
                p.send_signal(signal.SIGKILL)
        time.sleep(0.05)
    reruns = [start_ingest(tmp_path, f, PAPERRAG_INGEST__BATCH_PAPERS="10") for f in files]
    assert [p.wait(600) for p in reruns] == [0, 0], [p.stderr.read().decode()[-2000:] for p in reruns]

    settings = make_settings(tmp_path)
    assert_consistent(settings, vectors=True)
    from rag.engine import Engine

    engine = Engine(settings, embedder=embedder)
    titles = [m["title"] for m in engine.library.chroma.papers.get(include=["metadatas"])["metadatas"]]
    assert sorted(titles) == sorted(r["title"] for r in a + b), "every paper once"
    for row in rng.sample(a, 5) + rng.sample(b, 5):
        answer = ask_about(engine, row, a + b)
        assert not answer.abstained and answer.citations[0].title == row["title"], row["title"]

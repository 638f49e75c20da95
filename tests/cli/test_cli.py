"""The `paperrag` command as a user runs it: real subprocesses, real exit codes, one-line errors."""

from __future__ import annotations

import json
import re
import signal
import subprocess
import sys
import threading
from pathlib import Path

import pytest

from conftest import BUNDLED, FIXTURES, ROOT, env_for, paperrag_cmd


def run(tmp_path: Path, *args: str, timeout: float = 300, **extra: str) -> subprocess.CompletedProcess:
    return subprocess.run(
        [*paperrag_cmd(), *args], env=env_for(tmp_path, **extra), capture_output=True, text=True,
        timeout=timeout, cwd=tmp_path,
    )


def test_help_is_instant_and_imports_nothing_heavy():
    code = (
        "import sys, cli.main, rag, ingest, rag.settings, rag.library, rag.engine, rag.embeddings, ingest.pipeline\n"
        "heavy = [m for m in ('torch', 'chromadb', 'sentence_transformers', 'gradio', 'llama_index.core',"
        " 'llama_cpp', 'transformers', 'onnxruntime', 'tantivy', 'numpy') if m in sys.modules]\n"
        "print(heavy)"
    )
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, cwd=ROOT, check=True)
    assert out.stdout.strip() == "[]"
    helped = subprocess.run([*paperrag_cmd(), "ingest", "--help"], capture_output=True, text=True, cwd=ROOT)
    assert helped.returncode == 0
    for flag in ("--rebuild", "--strict", "--format", "--config"):
        assert flag in helped.stdout


@pytest.mark.slow
def test_ingest_stats_and_rerun(tmp_path):
    first = run(tmp_path, "ingest", str(BUNDLED))
    assert first.returncode == 0, first.stderr
    assert "87 new, 0 updated, 0 unchanged" in first.stdout
    stats = run(tmp_path, "stats", "--json")
    data = json.loads(stats.stdout)
    assert data["papers"] == 87 and data["embedding_model"].endswith("all-MiniLM-L6-v2")
    assert str(tmp_path / "chroma") in data["store"]["location"]
    again = run(tmp_path, "ingest", str(BUNDLED))
    assert "0 new, 0 updated, 87 unchanged" in again.stdout
    human = run(tmp_path, "stats")
    assert re.search(r"^papers\s+87$", human.stdout, re.M)


@pytest.mark.parametrize(
    "args, code, message",
    [
        (["ingest", "--format", "pdf", "x"], 2, "invalid choice"),
        (["ingest", "does/not/exist.txt"], 1, "does/not/exist.txt: no such file or directory"),
        (["ingest", str(FIXTURES / "empty.txt")], 1, "empty.txt: file is empty"),
        (["ingest", "--strict", str(FIXTURES / "snapshot_bad_line.jsonl")], 1, "Nothing was written"),
        (["stats", "--bogus"], 2, "unrecognized arguments"),
    ],
)
def test_errors_are_one_line_with_exit_codes(tmp_path, args, code, message):
    out = run(tmp_path, *args)
    assert out.returncode == code, out.stderr
    assert message in out.stderr
    assert "Traceback" not in out.stderr
    errors = [line for line in out.stderr.splitlines() if line.startswith("error:") or ": error:" in line]
    assert len(errors) == 1, out.stderr


def test_unknown_config_key_is_a_usage_error(tmp_path):
    cfg = tmp_path / "config.yaml"
    cfg.write_text("store:\n  persist_dri: x\n")
    out = run(tmp_path, "--config", str(cfg), "stats")
    assert out.returncode == 2
    assert "unknown key 'store.persist_dri'" in out.stderr


@pytest.mark.slow
def test_killed_ingest_resumes_without_duplicates(tmp_path):
    """Kill -9 an ingest after its first batches; the rerun completes it with one copy of every paper."""
    proc = subprocess.Popen(
        [*paperrag_cmd(), "ingest", str(BUNDLED)],
        env=env_for(tmp_path, PAPERRAG_INGEST__BATCH_PAPERS="8"),
        stderr=subprocess.PIPE, stdout=subprocess.PIPE, cwd=tmp_path,
    )
    seen = bytearray()
    done = threading.Event()

    def reader():
        while chunk := proc.stderr.read1(256):
            seen.extend(chunk)
            # 24/87: the third batch is being encoded, so the first two were written (16 would race the second write)
            if re.search(rb"\b(2[4-9]|[3-5]\d)/87\b", bytes(seen)):
                done.set()
        done.set()

    threading.Thread(target=reader, daemon=True).start()
    assert done.wait(240), seen.decode(errors="replace")
    proc.send_signal(signal.SIGKILL)
    proc.wait(30)
    assert proc.returncode == -signal.SIGKILL, "the ingest finished before it could be killed"

    out = run(tmp_path, "ingest", "--json", str(BUNDLED))
    assert out.returncode == 0, out.stderr
    report = json.loads(out.stdout)
    assert report["unchanged"] >= 16 and report["new"] >= 1
    assert report["new"] + report["unchanged"] + report["updated"] == 87
    assert report["papers_in_store"] == 87

    check = (
        "import json, sys\n"
        "from rag.settings import load_settings\n"
        "from rag.library import Library\n"
        "lib = Library(load_settings())\n"
        "res = lib.chroma.papers.get(include=['metadatas'])\n"
        "sent = lib.chroma.get_sentences(res['ids'])\n"
        "lib.refresh()\n"
        "rows = [(pid, m['title'], m['content_hash'], sent[pid].content_hash if pid in sent else None)\n"
        "        for pid, m in zip(res['ids'], res['metadatas'])]\n"
        "print(json.dumps({'rows': rows, 'lexical': lib.lexical.count()}))\n"
    )
    found = json.loads(
        subprocess.run([sys.executable, "-c", check], env=env_for(tmp_path), capture_output=True, text=True,
                       check=True, cwd=tmp_path).stdout
    )
    rows = found["rows"]
    assert len(rows) == 87 and found["lexical"] == 87
    assert len({title for _, title, _, _ in rows}) == 87, "one copy of every title"
    assert all(h == sh for _, _, h, sh in rows), "every paper's sentences belong to its stored version"


def test_reading_a_large_input_shows_progress(tmp_path):
    """Reading and checking every record comes before anything is encoded; on a large input that takes seconds,
    so it has a progress bar of its own (here 30,000 papers, refused by --strict for their last line: nothing is
    encoded or written, the reading is all there is)."""
    listing = tmp_path / "big.jsonl"
    with open(listing, "w", encoding="utf-8") as f:
        for i in range(30_000):
            f.write(json.dumps({"id": f"big-{i}", "title": f"Study {i} of sparse lattices",
                                "abstract": "We measure tapestry collapse in sparse lattice models. " * 4}) + "\n")
        f.write("{not json\n")
    out = run(tmp_path, "ingest", "--strict", str(listing))
    assert out.returncode == 1, out.stderr
    assert "Nothing was written" in out.stderr
    reading = [line for line in out.stderr.replace("\r", "\n").splitlines() if line.startswith("read")]
    assert reading and "30001 records" in reading[-1].replace(",", ""), out.stderr[-2000:]  # the bad line too

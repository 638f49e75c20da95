"""Shared test setup: no network, state in temp dirs, one real embedding model per session."""

from __future__ import annotations

import os
import socket
import subprocess
import sys
import tempfile
from pathlib import Path

import pytest

os.environ["HF_HUB_OFFLINE"] = "1"
os.environ["TRANSFORMERS_OFFLINE"] = "1"
os.environ["GRADIO_ANALYTICS_ENABLED"] = "False"
os.environ["ANONYMIZED_TELEMETRY"] = "False"
for _name in [n for n in os.environ if n.startswith("PAPERRAG_")]:
    del os.environ[_name]

ROOT = Path(__file__).resolve().parents[1]
# One ONNX export of the packaged model for the whole run (subprocesses inherit it through the environment).
MODEL_CACHE = Path(tempfile.mkdtemp(prefix="paperrag-models-"))
os.environ["PAPERRAG_EMBEDDING__CACHE_DIR"] = str(MODEL_CACHE)
BUNDLED = ROOT / "data" / "daily_papers_2025-11-10.txt"
FIXTURES = Path(__file__).resolve().parent / "fixtures"


# A made-up paper no listing contains, for tests that add a paper and ask about it.
QUOKKA = {
    "id": "2601.00001",
    "title": "Quokka-Drift: Tapestry Collapse in Sparse Lattice Models",
    "abstract": "We introduce Quokka-Drift, a procedure for sparse lattice models. Quokka-Drift reduces tapestry "
    "collapse by 37% on the Wombat-9 benchmark. The method needs no extra memory.",
    "authors": "Ada Lovelace; Alan Turing",
    "date": "2026-01-02",
}
QUOKKA_QUESTION = "What does Quokka-Drift reduce on the Wombat-9 benchmark?"


def paperrag_cmd() -> list[str]:
    import sys

    script = Path(sys.executable).parent / "paperrag"
    return [str(script)] if script.exists() else [sys.executable, "-m", "cli.main"]


def env_for(tmp_path: Path, **extra: str) -> dict[str, str]:
    """The environment of a `paperrag` subprocess whose store lives in `tmp_path`."""
    env = {k: v for k, v in os.environ.items() if not k.startswith("PAPERRAG_")}
    env.update(
        PAPERRAG_CONFIG=str(ROOT / "config.yaml"),
        PAPERRAG_STORE__PERSIST_DIR=str(tmp_path / "chroma"),
        PAPERRAG_STORE__CACHE_DIR=str(tmp_path / "cache"),
        PAPERRAG_EMBEDDING__CACHE_DIR=str(MODEL_CACHE),
        HF_HUB_OFFLINE="1",
        PYTHONPATH=str(ROOT),
        **extra,
    )
    return env


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


@pytest.fixture(scope="session")
def embedder():
    """The real packaged all-MiniLM-L6-v2 with the shipped backend, loaded once for the whole session."""
    from rag.embeddings import Embedder
    from rag.settings import load_settings

    e = Embedder(load_settings(ROOT / "config.yaml").embedding)
    e.embed_query("load now, not inside the first test's timing")
    return e


def make_settings(tmp: Path, **sections):
    from rag.settings import load_settings

    store = {"persist_dir": tmp / "chroma", "cache_dir": tmp / "cache", **sections.pop("store", {})}
    return load_settings(ROOT / "config.yaml", store=store, **sections)


@pytest.fixture
def settings(tmp_path):
    """The shipped config with the store in this test's temp dir."""
    return make_settings(tmp_path)


@pytest.fixture(scope="session")
def bundled_settings(tmp_path_factory, embedder):
    """A store holding the bundled corpus, ingested once per session (read-only for the tests using it)."""
    from ingest.pipeline import Ingestor

    settings = make_settings(tmp_path_factory.mktemp("bundled"))
    report = Ingestor(settings, embedder=embedder).run([BUNDLED], progress=False)
    assert report.new == 87
    return settings


@pytest.fixture(scope="session")
def engine(bundled_settings, embedder):
    """One warm Engine over the bundled corpus, shared by the tests that only read."""
    from rag.engine import Engine

    return Engine(bundled_settings, embedder=embedder).warm_up()


def wait_for_server(proc, ready, timeout: float, name: str) -> None:
    """Poll `ready()` until it stops raising; fail the test if `proc` exits or `timeout` seconds pass."""
    import time

    deadline = time.time() + timeout
    while True:
        try:
            ready()
            return
        except Exception:
            if time.time() > deadline or proc.poll() is not None:
                proc.kill()
                pytest.fail(f"{name} did not start")
            time.sleep(0.3)


def stop_server(proc) -> None:
    import subprocess

    proc.terminate()
    try:
        proc.wait(10)
    except subprocess.TimeoutExpired:
        proc.kill()


def assert_consistent(settings, *, vectors: bool = False) -> None:
    """Every stored paper is complete and findable: its sentence record carries the same content hash and one
    vector per sentence, the lexical index holds exactly the same papers and versions, every write is logged as
    finished (or by a writer that is gone), and (with `vectors`) each paper's vector finds itself in Chroma."""
    from rag.library import Library
    from rag.library.codec import unpack

    library = Library(settings)
    rows = library.chroma.paper_rows(list(library.chroma.iter_ids()))
    records = library.chroma.get_papers(list(rows))
    papers = {pid: (meta, records[pid].paper.abstract) for pid, (meta, _) in rows.items()}
    sentences = library.chroma.get_sentences(list(papers))
    assert sentences.keys() == papers.keys()
    for pid, (meta, abstract) in papers.items():
        rec = sentences[pid]
        assert records[pid].complete and abstract, pid
        assert rec.content_hash == meta["content_hash"], pid
        assert len(rec.spans) == meta["n_sentences"] == len(unpack(rec.payload, 384)), pid
        assert all(0 <= a < b <= len(abstract) for a, b in rec.spans), pid
    library.refresh()
    assert library.lexical.hashes(list(papers)) == {pid: m["content_hash"] for pid, (m, _) in papers.items()}
    assert library.lexical.count() == len(papers)
    import time

    now = time.time()
    changes = library.log.since(0.0)
    assert all(c.settled(now) for c in changes), "a write is still pending although its writer is gone"
    if vectors:
        got = library.chroma.papers.get(include=["embeddings"])
        for pid, vec in zip(got["ids"], got["embeddings"]):
            hit = library.chroma.query(vec, 1)
            assert hit and hit[0][0] == pid, f"{pid} is not found by its own vector"


def chroma_cli() -> str:
    import shutil
    import sys

    exe = Path(sys.executable).parent / "chroma"
    return str(exe) if exe.exists() else shutil.which("chroma")


def start_chroma(path: Path, port: int):
    """A real `chroma run` server on 127.0.0.1:port over `path`, ready to answer."""
    import subprocess

    import chromadb
    from chromadb.config import Settings

    proc = subprocess.Popen(
        [chroma_cli(), "run", "--path", str(path), "--host", "127.0.0.1", "--port", str(port)],
        stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL,
    )
    wait_for_server(
        proc,
        lambda: chromadb.HttpClient(host="127.0.0.1", port=port, settings=Settings(anonymized_telemetry=False)).heartbeat(),
        60,
        "chroma server",
    )
    return proc


@pytest.fixture
def chroma_server(tmp_path):
    """(port, process) of a real Chroma server storing its data in this test's temp dir."""
    port = free_port()
    proc = start_chroma(tmp_path / "server-data", port)
    yield port, proc
    stop_server(proc)


@pytest.fixture(scope="module")
def gguf_path():
    pytest.importorskip("llama_cpp", reason="the llm extra is not installed")
    from rag.generators.llama_cpp import packaged_model_path

    return packaged_model_path()


@pytest.fixture(scope="module")
def llm_server(gguf_path):
    """(base URL, process) of a real llama_cpp.server serving the packaged Gemma model on loopback."""
    port = free_port()
    proc = subprocess.Popen(
        [sys.executable, "-m", "llama_cpp.server", "--model", str(gguf_path), "--host", "127.0.0.1",
         "--port", str(port), "--n_ctx", "2048", "--model_alias", "gemma-3-270m"],
        stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL,
    )
    import urllib.request

    wait_for_server(
        proc, lambda: urllib.request.urlopen(f"http://127.0.0.1:{port}/v1/models", timeout=2).read(), 120,
        "llama_cpp.server",
    )
    yield f"http://127.0.0.1:{port}/v1", proc
    stop_server(proc)

"""The store through a real `chroma run` server, as a team sharing one index would use it."""

from __future__ import annotations

import shutil
import subprocess
import sys
from pathlib import Path

import pytest

from conftest import FIXTURES, free_port, make_settings, stop_server, wait_for_server
from ingest.pipeline import Ingestor
from rag.errors import StoreError
from rag.store import PaperStore

pytestmark = pytest.mark.slow


def chroma_cli() -> str:
    exe = Path(sys.executable).parent / "chroma"
    return str(exe) if exe.exists() else shutil.which("chroma")


@pytest.fixture
def chroma_server(tmp_path):
    port = free_port()
    proc = subprocess.Popen(
        [chroma_cli(), "run", "--path", str(tmp_path / "server-data"), "--host", "127.0.0.1", "--port", str(port)],
        stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL,
    )
    import chromadb
    from chromadb.config import Settings

    wait_for_server(
        proc,
        lambda: chromadb.HttpClient(host="127.0.0.1", port=port, settings=Settings(anonymized_telemetry=False)).heartbeat(),
        60,
        "chroma server",
    )
    yield port, proc
    stop_server(proc)


def test_ingest_and_read_through_a_chroma_server(chroma_server, embedder, tmp_path):
    port, proc = chroma_server
    settings = make_settings(tmp_path, store={"backend": "chroma-http", "port": port})
    report = Ingestor(settings, embedder=embedder).run([FIXTURES / "daily_small.txt"], progress=False)
    assert report.new == 3
    store = PaperStore(settings)
    stats = store.stats()
    assert stats["papers"] == 3 and stats["store"]["location"].startswith(f"http://127.0.0.1:{port}")
    hits = store.query(embedder.embed_query("circuit discovery with relevance patching"), n=3)
    assert hits and hits[0].metadata["title"].startswith("RelP")

    again = Ingestor(settings, embedder=embedder).run([FIXTURES / "daily_small.txt"], progress=False)
    assert (again.new, again.unchanged) == (0, 3)

    proc.terminate()
    proc.wait(10)
    with pytest.raises(StoreError, match=f"cannot reach the Chroma server at http://127.0.0.1:{port}"):
        PaperStore(settings).stats()

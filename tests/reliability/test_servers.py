"""A Chroma server that stops and comes back mid-conversation, and proxies that must never see loopback traffic."""

from __future__ import annotations

import subprocess

import pytest

from conftest import BUNDLED, env_for, make_settings, paperrag_cmd, start_chroma, stop_server
from ingest.pipeline import Ingestor
from rag.engine import Engine
from rag.errors import StoreError

pytestmark = pytest.mark.slow
QUESTION = "What makes hypernetworks hard to train?"
DEAD_PROXY = "http://127.0.0.1:9"  # nothing listens there: any request sent through it fails


def http_env(folder, port, **extra):
    return env_for(folder, PAPERRAG_STORE__BACKEND="chroma-http", PAPERRAG_STORE__PORT=str(port), **extra)


def test_a_chroma_server_stopped_and_restarted_mid_conversation(chroma_server, embedder, tmp_path):
    port, proc = chroma_server
    settings = make_settings(tmp_path, store={"backend": "chroma-http", "port": port})
    Ingestor(settings, embedder=embedder).run([BUNDLED], progress=False)
    engine = Engine(settings, embedder=embedder).warm_up()
    first = engine.ask(QUESTION)
    assert first.citations

    stop_server(proc)
    with pytest.raises(StoreError) as err:
        engine.ask("What were its results?", history=[first])
    assert str(err.value).startswith(f"cannot reach the Chroma server at http://127.0.0.1:{port}")
    out = subprocess.run([*paperrag_cmd(), "ask", QUESTION], env=http_env(tmp_path, port), capture_output=True,
                         text=True, cwd=tmp_path, timeout=120)
    assert out.returncode == 1 and "Traceback" not in out.stderr
    assert out.stderr.strip().splitlines() == [f"error: {err.value}"]

    restarted = start_chroma(tmp_path / "server-data", port)
    try:
        again = engine.ask("What were its results?", history=[first])  # the same engine, the same conversation
        assert again.citations and again.citations[0].paper_id == first.citations[0].paper_id
    finally:
        stop_server(restarted)


def test_proxies_in_the_environment_never_see_loopback_traffic(chroma_server, embedder, tmp_path):
    port, _ = chroma_server
    settings = make_settings(tmp_path, store={"backend": "chroma-http", "port": port})
    Ingestor(settings, embedder=embedder).run([BUNDLED], progress=False)
    proxies = {name: DEAD_PROXY for name in ("HTTP_PROXY", "HTTPS_PROXY", "ALL_PROXY", "http_proxy", "https_proxy")}
    out = subprocess.run([*paperrag_cmd(), "ask", "--json", QUESTION], env=http_env(tmp_path, port, **proxies),
                         capture_output=True, text=True, cwd=tmp_path, timeout=120)
    assert out.returncode == 0, out.stderr
    assert '"citations"' in out.stdout

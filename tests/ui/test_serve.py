"""`paperrag serve` as a user meets it: a port in use is one line, every phase says what it does, and a proxy in
the environment does not stop the app from reaching itself."""

from __future__ import annotations

import os
import socket
import subprocess
import sys
import time
import urllib.request

import pytest

from conftest import FIXTURES, ROOT, env_for, free_port, make_settings, paperrag_cmd, stop_server
from rag.errors import UsageError


def listening(port: int) -> socket.socket:
    s = socket.socket()
    s.bind(("127.0.0.1", port))
    s.listen()
    return s


def test_port_in_use_is_detected_before_anything_is_loaded(tmp_path):
    from ui.app import port_in_use, serve

    port = free_port()
    assert not port_in_use("127.0.0.1", port)
    with listening(port):
        assert port_in_use("127.0.0.1", port)
        settings = make_settings(tmp_path, ui={"port": port})
        started = time.perf_counter()
        with pytest.raises(UsageError) as err:
            serve(settings)
        assert time.perf_counter() - started < 5  # no model, no index, no app was built
    message = str(err.value)
    assert f"port {port} on 127.0.0.1 is already in use" in message
    assert "`paperrag serve --port N`" in message and "`make run PORT=N`" in message
    assert "\n" not in message and "GRADIO_SERVER_PORT" not in message
    assert not (tmp_path / "chroma").exists()


def test_loopback_bypasses_the_proxy(monkeypatch):
    from ui.app import bypass_proxy_for_loopback

    monkeypatch.setenv("NO_PROXY", "intranet.example")
    monkeypatch.delenv("no_proxy", raising=False)
    bypass_proxy_for_loopback()
    bypass_proxy_for_loopback()  # idempotent
    assert os.environ["NO_PROXY"] == "intranet.example,127.0.0.1,localhost,::1"
    assert os.environ["no_proxy"] == "127.0.0.1,localhost,::1"


def test_make_run_passes_the_port_through():
    # A clean environment: under `make test` the parent make's MAKEFLAGS/MAKELEVEL would add "Entering directory".
    env = {k: v for k, v in os.environ.items() if not k.startswith("MAKE")}

    def serve_line(*args):
        out = subprocess.run(["make", "--no-print-directory", "-n", "run", *args], cwd=ROOT, env=env,
                             capture_output=True, text=True, timeout=30)
        return [line for line in out.stdout.splitlines() if "paperrag serve" in line][-1]

    assert serve_line("PORT=8123").endswith("paperrag serve --open --port 8123")
    assert serve_line().endswith("paperrag serve --open")


@pytest.mark.slow
def test_cli_port_in_use_is_one_line_without_a_traceback(tmp_path):
    port = free_port()
    with listening(port):
        out = subprocess.run(paperrag_cmd() + ["serve", "--port", str(port), "--no-ingest"], env=env_for(tmp_path),
                             capture_output=True, text=True, timeout=120)
    assert out.returncode == 2
    lines = out.stderr.strip().splitlines()
    assert lines == [f"error: port {port} on 127.0.0.1 is already in use (another PaperRAG, or another program): "
                     "stop it, or pick another port with `paperrag serve --port N` (or `make run PORT=N`)."]
    assert "serving on" not in out.stdout


@pytest.mark.slow
def test_serve_says_what_it_does_and_starts_behind_a_dead_proxy(tmp_path, embedder):
    from ingest.pipeline import Ingestor

    Ingestor(make_settings(tmp_path), embedder=embedder).run([FIXTURES / "papers.jsonl"], progress=False)
    port = free_port()
    env = env_for(tmp_path, PYTHONUNBUFFERED="1")
    for var in ("NO_PROXY", "no_proxy"):
        env.pop(var, None)
    dead = f"http://127.0.0.1:{free_port()}"  # a proxy that is not there: nothing may need it
    env.update(HTTP_PROXY=dead, HTTPS_PROXY=dead, http_proxy=dead, https_proxy=dead)
    # serve() itself, not through the CLI (which clears loopback of proxies on its own): the UI must not depend on it.
    code = ("from rag.settings import load_settings; from ui.app import serve; "
            f"s = load_settings(); s.ui.port = {port}; serve(s, ingest_if_empty=False)")
    proc = subprocess.Popen([sys.executable, "-c", code], env=env, cwd=ROOT,
                            stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True)
    lines: list[str] = []
    try:
        deadline = time.time() + 180
        while time.time() < deadline:
            line = proc.stdout.readline()
            if not line:
                break
            lines.append(line.rstrip())
            if "is serving on" in line:
                break
        assert lines and lines[-1] == f"PaperRAG is serving on http://127.0.0.1:{port}/ (Ctrl-C stops it)", (
            lines, proc.poll() is not None and proc.stderr.read())
        opener = urllib.request.build_opener(urllib.request.ProxyHandler({}))
        assert opener.open(f"http://127.0.0.1:{port}/", timeout=10).status == 200
    finally:
        stop_server(proc)
    phases = ["Opening the index", "Loading the embedding model", "Building the chat page", "Starting the web server",
              "PaperRAG is serving on"]
    at = [next(i for i, line in enumerate(lines) if line.startswith(p)) for p in phases]
    assert at == sorted(at), lines
    assert "Loading the embedding model …" in lines, "the export is already made: no word of one"
    assert "Traceback" not in proc.stderr.read()


def test_open_without_a_browser_says_so(tmp_path, embedder):
    """`serve --open` on a machine without a browser said nothing (Gradio's webbrowser call fails silently)."""
    from ingest.pipeline import Ingestor

    Ingestor(make_settings(tmp_path), embedder=embedder).run([FIXTURES / "papers.jsonl"], progress=False)
    port = free_port()
    env = env_for(tmp_path, PYTHONUNBUFFERED="1", PATH=str(tmp_path / "no-browsers-here"))
    env.pop("BROWSER", None)
    proc = subprocess.Popen([sys.executable, "-m", "cli.main", "serve", "--no-ingest", "--open", "--port", str(port)],
                            env=env, cwd=ROOT, stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True)
    lines: list[str] = []
    try:
        deadline = time.time() + 180
        while time.time() < deadline and (line := proc.stdout.readline()):
            lines.append(line.rstrip())
            if "is serving on" in line:
                break
    finally:
        stop_server(proc)
    assert f"--open: no web browser found on this machine; open http://127.0.0.1:{port}/ in one yourself." in lines, \
        lines
    assert lines[-1].startswith("PaperRAG is serving on"), lines

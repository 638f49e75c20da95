"""Which answer writers can run here: extractive always, llama-cpp with its library and a model file,
openai-compatible only when a server answers at generator.base_url within about a second."""

from __future__ import annotations

import http.server
import importlib.util
import socket
import sys
import subprocess
import threading
import time
import urllib.request

import pytest

from conftest import free_port, stop_server, wait_for_server
from rag.generators.availability import PROBE_SECONDS, available_backends, llama_cpp_ready, server_answers

HAS_LLAMA = importlib.util.find_spec("llama_cpp") is not None


class _Api(http.server.BaseHTTPRequestHandler):
    status = 200

    def do_GET(self):
        code = self.status if self.path == "/v1/models" else 404
        body = b'{"object": "list", "data": []}'
        self.send_response(code)
        self.send_header("Content-Length", str(len(body)))
        self.end_headers()
        self.wfile.write(body)

    def log_message(self, *args):
        pass


def serving(status: int):
    """A real HTTP server on loopback whose /v1/models answers `status`."""
    handler = type("Handler", (_Api,), {"status": status})
    server = http.server.ThreadingHTTPServer(("127.0.0.1", 0), handler)
    threading.Thread(target=server.serve_forever, daemon=True).start()
    return server, f"http://127.0.0.1:{server.server_address[1]}/v1"


def test_extractive_is_always_there_and_order_follows_backends(settings):
    settings.generator.base_url = f"http://127.0.0.1:{free_port()}/v1"
    settings.generator.model_path = None
    got = available_backends(settings)
    assert got[0] == "extractive" and "openai-compatible" not in got
    assert available_backends(settings.generator) == got  # the section alone works too


def test_llama_cpp_needs_the_library_and_a_model_file(settings, tmp_path):
    settings.generator.model_path = tmp_path / "missing.gguf"
    assert not llama_cpp_ready(settings.generator)
    model = tmp_path / "model.gguf"
    model.write_bytes(b"GGUF")
    settings.generator.model_path = model
    assert llama_cpp_ready(settings.generator) == HAS_LLAMA  # checks the file is there, loads nothing
    assert ("llama-cpp" in available_backends(settings)) == HAS_LLAMA


@pytest.mark.parametrize("status,ok", [(200, True), (401, True), (403, True), (404, False), (500, False)])
def test_openai_compatible_needs_a_server_that_answers(settings, status, ok):
    server, url = serving(status)
    try:
        settings.generator.base_url = url
        assert server_answers(url) is ok
        assert ("openai-compatible" in available_backends(settings)) is ok
    finally:
        server.shutdown()
        server.server_close()


def test_a_stopped_server_is_left_out_at_once():
    started = time.perf_counter()
    assert not server_answers(f"http://127.0.0.1:{free_port()}/v1")
    assert time.perf_counter() - started < 0.5
    assert not server_answers("not a url") and not server_answers("file:///etc/passwd")


def test_a_server_that_never_answers_costs_about_a_second():
    with socket.socket() as silent:  # accepts connections, never replies
        silent.bind(("127.0.0.1", 0))
        silent.listen()
        started = time.perf_counter()
        assert not server_answers(f"http://127.0.0.1:{silent.getsockname()[1]}/v1")
        assert time.perf_counter() - started < PROBE_SECONDS + 0.5


def test_loopback_is_probed_directly_even_with_a_proxy_set(monkeypatch):
    server, url = serving(200)
    dead = f"http://127.0.0.1:{free_port()}"
    for var in ("HTTP_PROXY", "http_proxy", "HTTPS_PROXY", "https_proxy"):
        monkeypatch.setenv(var, dead)
    for var in ("NO_PROXY", "no_proxy"):
        monkeypatch.delenv(var, raising=False)
    try:
        assert server_answers(url)
    finally:
        server.shutdown()
        server.server_close()


@pytest.mark.llm
@pytest.mark.slow
def test_a_real_llama_cpp_server_is_offered(settings):
    pytest.importorskip("llama_cpp", reason="the llm extra is not installed")
    from rag.generators.llama_cpp import packaged_model_path

    port = free_port()
    proc = subprocess.Popen(
        [sys.executable, "-m", "llama_cpp.server", "--model", str(packaged_model_path()), "--host", "127.0.0.1",
         "--port", str(port), "--n_ctx", "512"], stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL,
    )
    try:
        wait_for_server(proc, lambda: urllib.request.urlopen(f"http://127.0.0.1:{port}/v1/models", timeout=2).read(),
                        120, "llama_cpp.server")
        settings.generator.base_url = f"http://127.0.0.1:{port}/v1"
        assert "openai-compatible" in available_backends(settings)
    finally:
        stop_server(proc)
    assert "openai-compatible" not in available_backends(settings)

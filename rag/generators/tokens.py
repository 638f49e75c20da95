"""Counting a prompt in the model's tokens with tiktoken, offline, so the OpenAI-compatible writer can fit its prompt
into the model's context window (`generator.n_ctx`) before sending it.

tiktoken downloads its BPE files on first use; llama-index ships cl100k_base and o200k_base in its package data,
so TIKTOKEN_CACHE_DIR points there and nothing is fetched. OpenAI models get their own encoding (o200k_base for
gpt-4o, gpt-4.1, o1...; cl100k_base for gpt-4 and gpt-3.5). Any other model (a Gemma, Llama or Qwen behind
llama.cpp, vLLM or Ollama) has a tokenizer tiktoken does not know: cl100k_base stands in, and the budget keeps
a margin for the difference (`ESTIMATE_MARGIN`).
"""

from __future__ import annotations

import hashlib
import os
from dataclasses import dataclass
from functools import lru_cache
from importlib.util import find_spec
from pathlib import Path

# Another model's tokenizer may count more tokens than cl100k_base: the budget leaves this much room for it.
# Measured with the packaged Gemma 3 270M's own tokenizer (llama_cpp, vocab only) against cl100k_base on the 1,000
# pubmedqa-dev abstracts: Gemma/cl100k median 1.01, p95 1.09, max 1.18; on the 87 bundled papers max 1.07. A prompt
# holds several abstracts' sentences, so its ratio stays nearer the median than one abstract's does.
ESTIMATE_MARGIN = 1.15
_SHIPPED = ("cl100k_base", "o200k_base")


@dataclass(frozen=True)
class Tokenizer:
    """An encoding, and whether it is the model's own (exact counts) or a stand-in (estimates)."""

    name: str
    exact: bool

    def count(self, text: str) -> int:
        return len(_encoding(self.name).encode(text, disallowed_special=()))

    def budget(self, n_ctx: int, max_tokens: int) -> int:
        """Prompt tokens (as this encoding counts them) that leave room for the answer in a window of n_ctx."""
        room = n_ctx - max_tokens
        return room if self.exact else int(room / ESTIMATE_MARGIN)


def tokenizer_for(model: str) -> Tokenizer:
    """The model's own encoding when tiktoken knows the model and the file ships offline, else cl100k_base."""
    import tiktoken.model

    try:
        name = tiktoken.model.encoding_name_for_model(model)
    except KeyError:
        return Tokenizer("cl100k_base", exact=False)
    if name not in _SHIPPED:  # p50k / r50k (2020-era models): not shipped offline; cl100k is near enough
        return Tokenizer("cl100k_base", exact=False)
    return Tokenizer(name, exact=True)


def _cache_dir() -> str | None:
    spec = find_spec("llama_index.core")
    if spec is None or not spec.origin:
        return None
    return str(Path(spec.origin).parent / "_static" / "tiktoken_cache")


@lru_cache(maxsize=4)
def _encoding(name: str):
    """tiktoken's encoding, read from llama-index's shipped files; never downloaded."""
    import tiktoken

    if not shipped(name):
        raise RuntimeError(f"tiktoken's {name} file is not on disk (it ships with llama-index-core); "
                           "reinstall the project: `pip install -e .`.")
    os.environ.setdefault("TIKTOKEN_CACHE_DIR", _cache_dir() or "")
    return tiktoken.get_encoding(name)


def shipped(name: str) -> bool:
    """Whether the BPE file of this encoding is on disk (tiktoken names cache files by the URL's SHA-1)."""
    cache = os.environ.get("TIKTOKEN_CACHE_DIR") or _cache_dir()
    url = f"https://openaipublic.blob.core.windows.net/encodings/{name}.tiktoken"
    return cache is not None and (Path(cache) / hashlib.sha1(url.encode()).hexdigest()).exists()

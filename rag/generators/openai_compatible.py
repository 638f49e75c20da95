"""Any server that speaks the OpenAI API (Ollama, vLLM, a llama.cpp server, OpenAI), via llama-index's OpenAILike.

Completion endpoint, not chat: small base models have no usable chat template, and every server in the list
serves /v1/completions. A server that is stopped or unreachable is a GeneratorError naming the URL.
"""

from __future__ import annotations

import os
from typing import Iterator

from rag.errors import GeneratorError
from rag.generators.prompt import CompletionGenerator
from rag.settings import GeneratorSettings


class OpenAICompatibleGenerator(CompletionGenerator):
    name = "openai-compatible"
    uses_llm = True

    def __init__(self, settings: GeneratorSettings):
        self.settings = settings
        self._llm = None

    @property
    def llm(self):
        if self._llm is None:
            from llama_index.llms.openai_like import OpenAILike

            s = self.settings
            self._llm = OpenAILike(
                model=s.model,
                api_base=s.base_url,
                api_key=os.environ.get(s.api_key_env) or "not-needed",
                timeout=s.timeout,
                max_retries=0,
                temperature=s.temperature,
                max_tokens=s.max_tokens,
                is_chat_model=False,
                is_function_calling_model=False,
            )
        return self._llm

    def _complete(self, prompt: str, stop: list[str], max_tokens: int) -> Iterator[str]:
        import openai

        url = self.settings.base_url
        try:
            for part in self.llm.stream_complete(prompt, stop=stop, max_tokens=max_tokens):
                if part.delta:
                    yield part.delta
        except openai.APITimeoutError:
            raise GeneratorError(
                f"the openai-compatible server at {url} did not answer within {self.settings.timeout:g} s; "
                "raise generator.timeout or check the server."
            ) from None
        except openai.APIConnectionError:
            raise GeneratorError(
                f"cannot reach the openai-compatible server at {url}: is it running? Start it, fix "
                "generator.base_url, or use generator.backend: extractive."
            ) from None
        except openai.APIStatusError as e:
            raise GeneratorError(
                f"the openai-compatible server at {url} refused the request (HTTP {e.status_code}): "
                f"{str(e.message)[:200]}"
            ) from None

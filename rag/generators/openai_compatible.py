"""Any server that speaks the OpenAI API (Ollama, vLLM, a llama.cpp server, OpenAI), via llama-index's OpenAILike.

Completion endpoint, not chat: small base models have no usable chat template, and every server in the list
serves /v1/completions. A server that is stopped or unreachable is a GeneratorError naming the URL.

The prompt is counted in the model's tokens (tiktoken, rag/generators/tokens.py) and trimmed to fit
`generator.n_ctx` with room for `generator.max_tokens` of answer: fewer sources first, then one evidence sentence
each; when not even one source fits, a ContextOverflowError lets the engine quote the abstracts instead. The counts
go into the answer's `usage`.
"""

from __future__ import annotations

import os
from typing import Iterator

from rag.errors import ContextOverflowError, GeneratorError
from rag.generators.base import GenerationRequest
from rag.generators.prompt import EVIDENCE_PER_SOURCE, MAX_SOURCES, STOP, CompletionGenerator, answer_prompt
from rag.generators.tokens import Tokenizer, tokenizer_for
from rag.settings import GeneratorSettings


class OpenAICompatibleGenerator(CompletionGenerator):
    name = "openai-compatible"
    uses_llm = True

    def __init__(self, settings: GeneratorSettings):
        self.settings = settings
        self._llm = None
        self.tokenizer: Tokenizer = tokenizer_for(settings.model)

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

    def fit(self, request: GenerationRequest) -> tuple[str, dict]:
        """The fullest answer prompt that fits the context window, and its token counts."""
        s, tok = self.settings, self.tokenizer
        budget = tok.budget(s.n_ctx, s.max_tokens)
        n = min(MAX_SOURCES, len(request.sources))
        smallest = None
        for n_sources, per_source in [(k, EVIDENCE_PER_SOURCE) for k in range(n, 0, -1)] + [(1, 1)]:
            prompt = answer_prompt(request, n_sources, per_source)
            count = tok.count(prompt)
            smallest = count
            if count <= budget:
                return prompt, {"prompt_tokens": count, "sources_in_prompt": n_sources,
                                "sources_trimmed": n - n_sources, "tokenizer": tok.name,
                                "exact": tok.exact, "context_window": s.n_ctx}
        raise ContextOverflowError(
            f"the prompt does not fit the model's context window (generator.n_ctx={s.n_ctx}, "
            f"generator.max_tokens={s.max_tokens}): one source alone takes ~{smallest} tokens"
        )

    def stream(self, request: GenerationRequest) -> Iterator[str]:
        prompt, usage = self.fit(request)
        request.usage.update(usage)
        pieces: list[str] = []
        for piece in self._complete(prompt, STOP, self.settings.max_tokens):
            pieces.append(piece)
            yield piece
        request.usage["completion_tokens"] = self.tokenizer.count("".join(pieces))

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
            if e.status_code == 400 and "context" in str(e.message).lower():
                raise ContextOverflowError(
                    f"the server at {url} says the prompt exceeds the model's context window; lower "
                    f"generator.n_ctx to the model's ({self.settings.n_ctx} now): {str(e.message)[:160]}"
                ) from None
            raise GeneratorError(
                f"the openai-compatible server at {url} refused the request (HTTP {e.status_code}): "
                f"{str(e.message)[:200]}"
            ) from None

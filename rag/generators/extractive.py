"""The extractive generator: no language model. The answer is made of the abstracts' own best sentences.

Deterministic and fast. The engine shapes extractive answers by the question (rag/write: a fact, a list of papers,
a comparison table, a yes/no verdict); `stream` gives the best sentence of each source with its marker, for callers
that use a generator on its own.
"""

from __future__ import annotations

from typing import Iterator

from rag.generators.base import GenerationRequest, Turn


class ExtractiveGenerator:
    name = "extractive"
    uses_llm = False

    def stream(self, request: GenerationRequest) -> Iterator[str]:
        """The best sentence of each source, with its marker (the engine writes shaped answers with rag/write)."""
        picked = [(i, s.evidence[0].text) for i, s in enumerate(request.sources) if s.evidence]
        for k, (i, text) in enumerate(picked[: request.max_sentences]):
            yield ("" if k == 0 else " ") + f"{text} [{i + 1}]"

    def condense(self, question: str, history: list[Turn]) -> str | None:
        return None

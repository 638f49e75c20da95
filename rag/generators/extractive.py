"""The extractive generator: no language model. The answer is made of the abstracts' own best sentences.

Deterministic and fast. The engine shapes extractive answers by the question (rag/shape.py: a fact, a list of
papers, a comparison table, a yes/no verdict); `stream` gives the same sentences as plain text with their markers,
for callers that use a generator on its own.
"""

from __future__ import annotations

from typing import Iterator

from rag import shape
from rag.generators.base import GenerationRequest, Turn


class ExtractiveGenerator:
    name = "extractive"
    uses_llm = False

    def stream(self, request: GenerationRequest) -> Iterator[str]:
        plan = shape.plan(request.question, request.sources, request.max_sentences)
        for i, claim in enumerate(plan.claims):
            yield ("" if i == 0 else " ") + f"{claim.text} [{claim.source + 1}]"

    def condense(self, question: str, history: list[Turn]) -> str | None:
        return None

"""The one interface every answer generator implements, and the request it receives."""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Iterator, Protocol

from rag.answer import Source


@dataclass
class Turn:
    """An earlier exchange of the conversation: what was asked and which papers the answer cited."""

    question: str
    answer: str = ""
    cited: list[dict] = field(default_factory=list)  # [{"n", "paper_id", "title"}] in citation order
    search_query: str | None = None


@dataclass
class GenerationRequest:
    question: str  # the question as it should be answered (follow-ups already resolved)
    sources: list[Source]  # numbered 1..len in prompts and markers, best first, evidence attached
    history: list[Turn] = field(default_factory=list)
    max_sentences: int = 4
    usage: dict = field(default_factory=dict)  # what the generator reports back: token counts, sources it kept


class Generator(Protocol):
    """Writes answer text from the sources. Citation markers [n] are optional: they are checked afterwards."""

    name: str
    uses_llm: bool

    def stream(self, request: GenerationRequest) -> Iterator[str]:
        """Yield the answer text piece by piece as it is produced."""
        ...

    def condense(self, question: str, history: list[Turn]) -> str | None:
        """A standalone version of a follow-up question, or None when this generator cannot rewrite."""
        ...

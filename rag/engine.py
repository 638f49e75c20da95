"""The Engine: the model and the library opened once, and `ask` built from five named steps.

    understand  the question (and the conversation) -> Query              rag/question/
    search      Query -> the papers, their evidence, the strength          rag/retrieval.py, rag/evidence.py
    judge       not found / not stated / which papers / the verdict        rag/judge/
    write       the answer's blocks, from the abstracts' own sentences     rag/write/  (or a language model)
    check       every sentence's citations                                 rag/citations.py
"""

from __future__ import annotations

import threading
import time
from dataclasses import dataclass, field
from typing import Any, Iterator, Sequence

from rag import validate
from rag.answer import Answer, NoticeBlock, SentencesBlock
from rag.citations import align, check
from rag.embeddings import Embedder
from rag.errors import ContextOverflowError, EmptyIndexError, UsageError
from rag.filters import Filters
from rag.generators import BACKENDS, GenerationRequest, Generator, create_generator
from rag.judge import Judgement, judge
from rag.library import Library
from rag.names import short_title
from rag.question import Query, understand
from rag.question.followup import as_turns, clarification
from rag.render.text import answer_text
from rag.retrieval import MODES, Found, search
from rag.settings import Settings, load_settings
from rag.write import write


@dataclass
class Request:
    """One call of `ask`, its arguments checked at the edge."""

    question: str
    history: list[Any] = field(default_factory=list)  # Turns
    filters: Filters = field(default_factory=Filters)
    top_k: int = 5
    mode: str = "hybrid"
    generator: Generator | None = None


class Engine:
    """Answers questions over one library. Build it once per process; it is safe to share between threads."""

    def __init__(
        self,
        settings: Settings | None = None,
        *,
        embedder: Embedder | None = None,
        library: Library | None = None,
        generator: Generator | None = None,
    ):
        self.settings = settings or load_settings()
        self.embedder = embedder or Embedder(self.settings.embedding)
        self.library = library or Library(self.settings)
        self._generators: dict[str, Generator] = {}
        if generator is not None:
            self._generators[generator.name] = generator
        self._lock = threading.Lock()

    # ----- shared state -----------------------------------------------------------------------------------
    def generator(self, name: str | None = None) -> Generator:
        name = name or self.settings.generator.backend
        with self._lock:
            if name not in self._generators:
                self._generators[name] = create_generator(name, self.settings.generator)
            return self._generators[name]

    def prepare(self) -> None:
        """Check the library against the model (no model load when it matches) and catch up with other writers."""
        self.library.check(self.embedder)  # raises EmptyIndexError at once when nothing was ingested
        self.library.refresh()
        self.library.check(self.embedder)  # again, in case the refresh found the store rebuilt (cached otherwise)
        if self.library.lexical.count() == 0:  # mirrors Chroma after the refresh, and counts without a round trip
            raise EmptyIndexError(f"the index at {self.library.location} is empty: run `paperrag ingest` first.")

    def warm_up(self) -> "Engine":
        """Do now what a first question would do for the first time: load the model, open the library and each
        collection a question reads (Chroma loads a collection's index on its first read: 0.6 s for the sentences
        at 300,000 papers), and import what understanding a question needs (word lists, stemmer). A server calls
        it before it listens, so its first visitor waits no longer than the next."""
        from rag.names import ordinary

        self.prepare()
        self.retrieve("What do these papers find?")
        ordinary("paper")  # the everyday-word list, which a question naming something unknown consults
        return self

    # ----- asking -----------------------------------------------------------------------------------------
    def ask(self, question: str, **kwargs: Any) -> Answer:
        answer = None
        for item in self.ask_stream(question, **kwargs):
            if isinstance(item, Answer):
                answer = item
        assert answer is not None
        return answer

    def ask_stream(
        self,
        question: str,
        *,
        history: Sequence[Any] | None = None,
        filters: Filters | dict | None = None,
        top_k: int | None = None,
        mode: str | None = None,
        generator: str | Generator | None = None,
    ) -> Iterator[str | Answer]:
        """Yield the answer text as it is produced, then the final, citation-checked `Answer`."""
        t0 = time.perf_counter()
        request = self.request(question, history=history, filters=filters, top_k=top_k, mode=mode,
                               generator=generator)
        self.prepare()
        query = self.understand(request)
        if query.kind == "clarify":
            answer = self._clarify(request, query)
            answer.timings_ms = _timings(t0, time.perf_counter(), time.perf_counter())
            yield answer.answer
            yield answer
            return
        found = self.search(query, request)
        t_found = time.perf_counter()
        judgement = self.judge(query, found)
        answer = Answer(question=request.question, answer="", abstained=False, sources=found.sources,
                        filters=query.filters.to_dict(), search_query=query.search, mode=request.mode,
                        generator=request.generator.name, evidence_strength=found.strength, kind=judgement.shape)
        for piece in self.write(query, found, judgement, request, answer):
            yield piece
        t_written = time.perf_counter()
        self.check(answer, found)
        answer.timings_ms = _timings(t0, t_found, t_written)
        yield answer

    def retrieve(self, question: str, *, filters: Filters | dict | None = None, top_k: int | None = None,
                 mode: str | None = None) -> Found:
        """Only the first two steps: the papers a question retrieves, best first, with their evidence sentences
        (for tools that write their own answer: the llama-index retriever, the MCP `search` tool)."""
        request = self.request(question, filters=filters, top_k=top_k, mode=mode, generator="extractive")
        self.prepare()
        return self.search(self.understand(request), request)

    # ----- the steps ------------------------------------------------------------------------------------------
    def request(self, question: str, *, history: Sequence[Any] | None = None, filters: Filters | dict | None = None,
                top_k: int | None = None, mode: str | None = None, generator: str | Generator | None = None
                ) -> Request:
        """The call's arguments, checked, with the bound in each message."""
        question = validate.question(question, self.settings.retrieval.max_question_chars)
        mode = mode or self.settings.retrieval.mode
        if mode not in MODES:
            raise UsageError(f"unknown retrieval mode '{mode}'; valid: {', '.join(MODES)}.")
        if isinstance(generator, str) and generator not in BACKENDS:
            raise UsageError(f"unknown generator '{generator}'; valid: {', '.join(BACKENDS)}.")
        gen = generator if generator is not None and not isinstance(generator, str) else self.generator(generator)
        return Request(question, as_turns(history), Filters.coerce(filters),
                       validate.top_k(top_k, self.settings.retrieval.top_k), mode, gen)

    def understand(self, request: Request) -> Query:
        gen = request.generator
        condense = gen.condense if gen is not None and gen.uses_llm else None
        return understand(request.question, self.library, history=request.history, filters=request.filters,
                          condense=condense)

    def search(self, query: Query, request: Request) -> Found:
        return search(self.library, self.settings, self.embedder.embed_query, query, mode=request.mode,
                      top_k=request.top_k)

    def judge(self, query: Query, found: Found) -> Judgement:
        return judge(query, found, self.settings.retrieval.abstain_threshold, self.settings.tuning)

    def write(self, query: Query, found: Found, judgement: Judgement, request: Request, answer: Answer
              ) -> Iterator[str]:
        """Fill `answer.blocks` (the abstracts' own sentences, or a language model's text for a fact question) and
        yield the text as it comes."""
        gen = request.generator
        t = self.settings.tuning
        if gen.uses_llm and judgement.decision == "answer" and judgement.shape == "fact" and judgement.premise is None:
            pieces: list[str] = []
            # the model sees every retrieved source (numbered as in the answer's sources); the check keeps only what
            # the sources support
            gen_request = GenerationRequest(question=query.search, sources=found.sources, history=request.history,
                                            max_sentences=self.settings.generator.max_sentences)
            try:
                for piece in gen.stream(gen_request):
                    pieces.append(piece)
                    yield piece
            except ContextOverflowError as e:
                answer.notes.append(f"{e}; the answer quotes the abstracts instead.")
            else:
                answer.usage = gen_request.usage
                aligned = align("".join(pieces), found.sources, found.passages, self.embedder.embed,
                                t.support_threshold)
                if aligned.citations:
                    answer.blocks = [SentencesBlock(aligned.sentences)]
                    answer.citations = aligned.citations
                    for si in aligned.cited_sources:
                        found.sources[si].cited = True
                    return
                # The model wrote nothing the sources support, yet the evidence is there: quote the abstracts.
                answer.notes.append(
                    f"{gen.name}'s answer was not supported by the retrieved abstracts "
                    f"({' '.join(''.join(pieces).split())[:160]!r}); the answer quotes the abstracts instead."
                )
            answer.generator = "extractive"
        elif gen.uses_llm:
            answer.generator = "extractive"  # verdicts, lists, tables and notices are built from the abstracts
        answer.blocks = write(query, judgement, found.sources, max_sentences=self.settings.generator.max_sentences,
                              t=t, weigh=found.weigh)
        yield answer_text(_draft_dict(answer))

    def check(self, answer: Answer, found: Found) -> None:
        """Number and check the citations, then finish the answer's record."""
        if not answer.citations:
            answer.citations, answer.sentences = check(answer.blocks, found.sources, found.passages)
        else:
            answer.sentences = [s for b in answer.blocks if isinstance(b, SentencesBlock) for s in b.sentences]
        if answer.kind in ("not-found",):
            answer.abstained = True
            notice = next(b for b in answer.blocks if isinstance(b, NoticeBlock))
            answer.reason = notice.text
            answer.suggestions = _suggestions(found.sources)
        elif answer.kind == "not-stated":
            answer.abstained = True
            answer.reason = next(b.text for b in answer.blocks if isinstance(b, NoticeBlock))
        elif not answer.citations:
            answer.abstained, answer.kind = True, "not-found"
            answer.reason = "No sentence of the retrieved abstracts supports an answer."
            answer.blocks = [NoticeBlock("not-found", answer.reason)]
            answer.suggestions = _suggestions(found.sources)
        answer.answer = answer_text(answer.to_dict())

    # ----- a question back ------------------------------------------------------------------------------------
    def _clarify(self, request: Request, query: Query) -> Answer:
        recent = self.library.recent(limit=1)
        text = clarification(short_title(recent[0]["title"]) if recent else None)
        answer = Answer(question=request.question, answer=text, abstained=True, reason=text, kind="clarify",
                        mode=request.mode, generator=request.generator.name, blocks=[NoticeBlock("clarify", text)],
                        filters=query.filters.to_dict())
        return answer


def _draft_dict(answer: Answer) -> dict[str, Any]:
    """The answer's blocks before the check, for the text streamed while it is checked."""
    from dataclasses import asdict

    return {"kind": answer.kind, "blocks": [asdict(b) for b in answer.blocks]}


def _suggestions(sources: list) -> list[dict[str, Any]]:
    """The nearest papers, offered when the answer is "not found"."""
    return [
        {"paper_id": s.paper_id, "title": s.title, "date": s.date, "year": s.year, "url": s.url} for s in sources[:3]
    ]


def _timings(t0: float, t_retrieved: float, t_generated: float) -> dict[str, float]:
    end = time.perf_counter()
    return {
        "retrieve": (t_retrieved - t0) * 1000,
        "generate": (t_generated - t_retrieved) * 1000,
        "total": (end - t0) * 1000,
    }

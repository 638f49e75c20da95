"""The Engine: the model and the library opened once, and `ask` / `ask_stream` built from the parts in rag/.

question -> follow-up resolution -> date phrase -> retrieval -> evidence -> (abstain | generate) -> citations
"""

from __future__ import annotations

import threading
import time
from typing import Any, Iterator, Sequence

from rag import shape, validate
from rag.answer import Answer
from rag.citations import align
from rag.embeddings import Embedder
from rag.errors import ContextOverflowError, EmptyIndexError, UsageError
from rag.evidence import score_evidence, strength, unknown_names
from rag.filters import Filters, parse_author_phrase, parse_date_phrase
from rag.followup import as_turns, clarification, has_topic, resolve
from rag.generators import BACKENDS, GenerationRequest, Generator, create_generator
from rag.library import Library
from rag.retrieval import MODES, retrieve
from rag.settings import Settings, load_settings
from rag.shape import Shaped
from rag.terms import term_set


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
        """Load the model and open the library now rather than on the first question."""
        self.prepare()
        self.embedder.embed_query("warm up")
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
        question = validate.question(question, self.settings.retrieval.max_question_chars)
        mode = mode or self.settings.retrieval.mode
        if mode not in MODES:
            raise UsageError(f"unknown retrieval mode '{mode}'; valid: {', '.join(MODES)}.")
        top_k = validate.top_k(top_k, self.settings.retrieval.top_k)
        explicit = Filters.coerce(filters)
        turns = as_turns(history)
        if isinstance(generator, str) and generator not in BACKENDS:
            raise UsageError(f"unknown generator '{generator}'; valid: {', '.join(BACKENDS)}.")
        gen = generator if generator is not None and not isinstance(generator, str) else self.generator(generator)
        self.prepare()

        # Nothing to search for and nothing to narrow to ("What were its results?" in a new conversation).
        narrowed = explicit.title or explicit.author or explicit.paper_ids
        ask_back = None if narrowed or turns or has_topic(question) else clarification(
            question, turns, self._example_title()
        )
        if ask_back:  # "What were its results?" with nothing before it: ask which paper, do not guess one
            answer = Answer(question=question, answer=ask_back, abstained=True, reason=ask_back, kind="clarify",
                            mode=mode, generator=gen.name)
            answer.timings_ms = _timings(t0, time.perf_counter(), time.perf_counter())
            yield ask_back
            yield answer
            return

        # Follow-ups, then a date phrase; explicit filters win over what the question implies.
        resolution = resolve(question, turns)
        search_query = resolution.search_query
        if turns and gen.uses_llm and not resolution.paper_ids:
            condensed = gen.condense(question, turns)
            if condensed and len(condensed.split()) <= 40:
                search_query = condensed
        asked, search_query = parse_date_phrase(search_query)
        by, search_query = parse_author_phrase(search_query)
        if by.author and " " in by.author and not self.library.lexical.matching_count(Filters(author=by.author)):
            surname = by.author.split()[-1].rstrip(".")  # "Geoffrey Hinton" for "Geoffrey E. Hinton"
            by.author = surname if len(surname) >= 3 else by.author
        applied = explicit.merged(asked).merged(by)
        # "Which papers did Kaiming He write?": nothing to search for but the author, so list their papers.
        listing = bool(by.author) and not has_topic(search_query) and not resolution.paper_ids
        if resolution.paper_ids and not applied.paper_ids:
            applied.paper_ids = resolution.paper_ids

        query_vector = self.embedder.embed_query(search_query)
        sources, passages = retrieve(
            self.library, self.settings.retrieval, search_query, query_vector,
            mode=mode, top_k=top_k, filters=applied,
        )
        # Within papers picked by a follow-up, rank sentences by what is asked now ("its results").
        evidence_question = parse_date_phrase(question)[1] if resolution.paper_ids else search_query
        evidence_vector = (
            query_vector if evidence_question == search_query else self.embedder.embed_query(evidence_question)
        )
        idf = self.library.idf(sorted(term_set(search_query) | term_set(evidence_question)))
        score_evidence(evidence_question, evidence_vector, sources, passages, idf)
        t_retrieved = time.perf_counter()

        answer = Answer(
            question=question,
            answer="",
            abstained=False,
            sources=sources,
            filters=applied.to_dict(),
            search_query=search_query,
            mode=mode,
            generator=gen.name,
        )
        best = strength(search_query, sources, passages, idf)
        answer.evidence_strength = best
        threshold = self.settings.retrieval.abstain_threshold
        unknown = [] if resolution.paper_ids else unknown_names(search_query, idf, self.library.doc_freq)
        if (best < threshold or unknown) and not resolution.paper_ids and not (listing and sources):
            self._not_found(answer, not_covered(search_query, idf, applied, searched=len(sources)))
            answer.timings_ms = _timings(t0, t_retrieved, time.perf_counter())
            yield answer.answer
            yield answer
            return

        request = GenerationRequest(
            question=search_query if gen.uses_llm else evidence_question,
            sources=sources,
            history=turns,
            max_sentences=self.settings.generator.max_sentences,
        )
        shaped: Shaped | None = None
        if listing:  # a list of the author's papers, each by its opening sentence; no model needed
            aligned, shaped = self._extractive(request, passages, shape.opening_list(sources))
            answer.generator = "extractive"
            yield shaped.text
        elif gen.uses_llm:
            pieces: list[str] = []
            try:
                for piece in gen.stream(request):
                    pieces.append(piece)
                    yield piece
                aligned = align("".join(pieces), sources, passages, self.embedder.embed)
                if not aligned.citations:
                    # The model wrote nothing the sources support, yet the evidence is there: answer from the
                    # abstracts' own sentences rather than show an unsupported answer or none.
                    answer.notes.append(
                        f"{gen.name}'s answer was not supported by the retrieved abstracts "
                        f"({' '.join(''.join(pieces).split())[:160]!r}); the answer quotes the abstracts instead."
                    )
                    aligned, shaped = self._extractive(request, passages)
            except ContextOverflowError as e:
                answer.notes.append(f"{e}; the answer quotes the abstracts instead.")
                answer.generator = "extractive"
                aligned, shaped = self._extractive(request, passages)
        else:
            aligned, shaped = self._extractive(request, passages)
            yield shaped.text
        t_generated = time.perf_counter()

        answer.answer = shaped.text if shaped else aligned.text
        answer.sentences = aligned.sentences
        answer.citations = aligned.citations
        if shaped:
            answer.kind, answer.table, answer.items, answer.verdict = shaped.kind, shaped.table, shaped.items, \
                shaped.verdict
        for si in aligned.cited_sources:
            sources[si].cited = True
        if not aligned.citations:
            self._not_found(answer, "no sentence of the retrieved abstracts supports an answer.")
        answer.timings_ms = _timings(t0, t_retrieved, t_generated)
        yield answer

    def _example_title(self) -> str | None:
        recent = self.library.recent(limit=1)
        return shape.short_title(recent[0]["title"]) if recent else None

    def _extractive(self, request: GenerationRequest, passages: dict, plan: shape.Plan | None = None
                    ) -> tuple[Any, Shaped]:
        """The answer made of the abstracts' own sentences, shaped by the question (or as `plan` says), citations
        checked."""
        plan = plan or shape.plan(request.question, request.sources, request.max_sentences)
        aligned = align(shape.claims_text(plan), request.sources, passages, self.embedder.embed,
                        aliases=shape.aliases(plan))
        return aligned, shape.render(plan, aligned, request.sources)

    @staticmethod
    def _not_found(answer: Answer, why: str) -> None:
        answer.abstained = True
        answer.kind = "not-found"
        answer.reason = why[:1].upper() + why[1:]
        answer.answer = "Not found in the collection. " + answer.reason
        answer.suggestions = _suggestions(answer.sources)
        answer.sentences, answer.citations, answer.table, answer.items, answer.verdict = [], [], None, [], None


def not_covered(question: str, idf: Any, applied: Filters, searched: int = 1) -> str:
    """Why a question is not covered, in the reader's words: no paper within the filter, or the words of the
    question no paper contains; `searched` is how many papers the search found."""
    from rag.terms import keywords, terms

    if not searched and not applied.empty:
        return f"no paper in the collection matches the filter ({applied.describe()}): widen or clear it."

    within = f" within the filter ({applied.describe()})" if not applied.empty else ""
    missing: list[str] = []
    for w in keywords(question):
        t = terms(w)
        parts = t[:-1] if len(t) > 1 else t  # a compound's own parts; its joined form may be a spelling artefact
        if any(x in idf.unseen for x in parts) and w.lower() not in {m.lower() for m in missing}:
            missing.append(w)
    if missing:
        shown = ", ".join(f"'{m}'" for m in missing[:4])
        return f"the papers in the collection{within} do not cover this question: none of them mentions {shown}."
    return (f"the papers in the collection{within} do not cover this question: the closest ones share too little "
            "of it.")


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

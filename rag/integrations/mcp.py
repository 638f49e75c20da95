"""PaperRAG as tools for agents: an MCP server with `ask` (the cited answer) and `search` (the papers and their
evidence, no answer written), over the same library `ask()` reads.

    paperrag mcp                 stdio, what Claude Desktop, Cursor and most agent configs launch
    paperrag serve --mcp         the chat UI plus http://HOST:PORT/mcp (streamable HTTP) on the same server

Both tools take typed arguments (the question, top_k, and the filters of `paperrag ask`: year_from, year_to,
author, title, categories) and return structured output with a published schema (`AskResult`, `SearchResult`),
built from `Answer.to_dict()` and the engine's own retrieval (`Engine.retrieve`). A problem the caller can fix (an
empty question, a bad filter, an empty index) comes back as a tool error whose text is PaperRAG's one-line
message; the server keeps serving.

Abstracts are served without the sentences PaperRAG withholds as evidence (those addressed to a model,
rag/instructions.py), so an agent never reads an instruction planted in a listing.

The `mcp` package (the official SDK, 2.x: `MCPServer`) is imported when a server is built, not by `import rag`.
"""

from __future__ import annotations

import base64
import contextlib
import hmac
import sys
from typing import TYPE_CHECKING, Annotated, Any, Callable

from pydantic import BaseModel, Field

from rag.errors import PaperRAGError, UsageError
from rag.instructions import readable_abstract

if TYPE_CHECKING:
    from mcp.server.mcpserver import MCPServer

    from rag.engine import Engine

PATH = "/mcp"  # where `paperrag serve --mcp` answers MCP
INSTRUCTIONS = (
    "PaperRAG answers questions from a local collection of research-paper abstracts. `ask` returns an answer "
    "whose every sentence is checked against the abstracts, with numbered citations [n] (paper id, title, url, "
    "year, authors, the supporting sentences); it says so when the papers do not answer (abstained). `search` "
    "returns the best-matching papers with scores and evidence sentences, without writing an answer. Both take "
    "filters: year_from, year_to, author and title (substrings), categories (arXiv categories)."
)


# ----- the output schemas -------------------------------------------------------------------------------------------
class CitedPaper(BaseModel):
    n: int = Field(description="the citation number, as [n] in the answer text")
    paper_id: str
    title: str
    year: int | None = None
    date: str | None = None
    url: str | None = None
    authors: list[str] = Field(default_factory=list)
    arxiv_id: str | None = None
    doi: str | None = None
    evidence: list[str] = Field(description="the abstract's sentences that support the answer's claims")
    score: float = Field(description="retrieval score of the paper")


class AnswerSentence(BaseModel):
    text: str
    citations: list[int] = Field(description="citation numbers n supporting this sentence")
    unsupported: bool = Field(description="no retrieved abstract supports it")


class NearPaper(BaseModel):
    paper_id: str
    title: str
    year: int | None = None
    date: str | None = None
    url: str | None = None


class AskResult(BaseModel):
    """PaperRAG's cited answer (a subset of `paperrag ask --json`)."""

    question: str
    answer: str = Field(description="the answer as plain text with [n] citation markers")
    kind: str = Field(description="fact | list | comparison | yes-no | papers | not-found | not-stated | clarify")
    verdict: str | None = Field(None, description="for a yes/no question: Yes | No | Possibly | Mixed | Not stated")
    abstained: bool = Field(description="true when the papers do not answer the question")
    reason: str | None = Field(None, description="why it abstained")
    citations: list[CitedPaper] = Field(default_factory=list)
    sentences: list[AnswerSentence] = Field(default_factory=list)
    suggestions: list[NearPaper] = Field(default_factory=list, description="the nearest papers when abstaining")
    filters: dict[str, Any] = Field(default_factory=dict, description="the filters applied (given or read from "
                                    "the question)")
    search_query: str | None = None
    notes: list[str] = Field(default_factory=list)


class EvidenceSentence(BaseModel):
    text: str
    score: float = Field(description="relevance of the sentence to the query")
    similarity: float = Field(description="cosine similarity of the sentence and the query")


class FoundPaper(BaseModel):
    rank: int
    paper_id: str
    title: str
    score: float = Field(description="fused retrieval score (higher is better)")
    dense: float | None = Field(None, description="dense (embedding) score, when dense search found it")
    bm25: float | None = Field(None, description="BM25 score, when lexical search found it")
    year: int | None = None
    date: str | None = None
    url: str | None = None
    authors: list[str] = Field(default_factory=list)
    arxiv_id: str | None = None
    doi: str | None = None
    matched_terms: list[str] = Field(default_factory=list, description="query words found in the paper")
    evidence: list[EvidenceSentence] = Field(default_factory=list, description="best sentences, best first")
    abstract: str = Field(description="the abstract (sentences addressed to a model left out)")


class SearchResult(BaseModel):
    query: str
    filters: dict[str, Any] = Field(default_factory=dict, description="the filters given")
    evidence_strength: float = Field(description="how strongly the best papers answer the query (0..1)")
    papers: list[FoundPaper] = Field(default_factory=list)


# ----- the tools ----------------------------------------------------------------------------------------------------
Question = Annotated[str, Field(description="the question, in plain words")]
Query = Annotated[str, Field(description="a question or a topic, in plain words")]
TopK = Annotated[int | None, Field(description="papers to retrieve (default: the server's config)")]
YearFrom = Annotated[int | None, Field(description="only papers from this year on")]
YearTo = Annotated[int | None, Field(description="only papers up to this year")]
Author = Annotated[str | None, Field(description="only papers with an author name containing this text")]
Title = Annotated[str | None, Field(description="only papers whose title contains this text")]
Categories = Annotated[list[str] | None, Field(description="only papers in any of these arXiv categories")]


def filters_of(year_from=None, year_to=None, author=None, title=None, categories=None) -> dict[str, Any]:
    """The filters dict `ask()` takes (checked there, by `Filters.coerce`), as `paperrag ask` builds it."""
    given = {"year_from": year_from, "year_to": year_to, "title": title, "author": author, "categories": categories}
    return {k: v for k, v in given.items() if v not in (None, "", [])}


def search_result(query: str, filters: dict[str, Any], found: Any) -> SearchResult:
    papers = [
        FoundPaper(
            rank=i, paper_id=s.paper_id, title=s.title, score=round(s.score, 6),
            dense=None if s.dense is None else round(s.dense, 4), bm25=None if s.bm25 is None else round(s.bm25, 4),
            year=s.year, date=s.date, url=s.url, authors=list(s.authors), arxiv_id=s.arxiv_id, doi=s.doi,
            matched_terms=list(s.matched_terms),
            evidence=[EvidenceSentence(text=e.text, score=round(e.score, 4), similarity=round(e.similarity, 4))
                      for e in s.evidence[:3]],
            abstract=readable_abstract(s.abstract),
        )
        for i, s in enumerate(found.sources, start=1)
    ]
    return SearchResult(query=query, filters=filters, evidence_strength=round(found.strength, 4), papers=papers)


def _mcp():
    """The MCP SDK, or one line saying how to install it."""
    try:
        import mcp.server.mcpserver as server
    except ImportError:
        raise UsageError("the MCP server needs the `mcp` package (2.x): pip install 'mcp>=2.3,<3'.") from None
    return server


def build_server(engine: "Engine") -> "MCPServer":
    """An MCP server with the `ask` and `search` tools over `engine`."""
    server_mod = _mcp()
    from mcp.types import ToolAnnotations

    # log_level: the SDK configures the root logger; at INFO every library's chatter would reach the terminal.
    server = server_mod.MCPServer("paperrag", title="PaperRAG", instructions=INSTRUCTIONS, log_level="WARNING")
    read_only = ToolAnnotations(read_only_hint=True, open_world_hint=False)

    def ask(question: Question, top_k: TopK = None, year_from: YearFrom = None, year_to: YearTo = None,
            author: Author = None, title: Title = None, categories: Categories = None) -> AskResult:
        """Answer a question from the indexed paper abstracts. Every sentence of the answer is checked against the
        abstracts and carries numbered citations [n]; `citations` lists each cited paper (id, title, url, year,
        authors) with the sentences that support it. When the papers do not answer, `abstained` is true and
        `reason` says why. Filters (years, author, title, categories) narrow the papers considered."""
        with _tool_errors():
            filters = filters_of(year_from, year_to, author, title, categories)
            return AskResult.model_validate(engine.ask(question, filters=filters, top_k=top_k).to_dict())

    def search(query: Query, top_k: TopK = None, year_from: YearFrom = None, year_to: YearTo = None,
               author: Author = None, title: Title = None, categories: Categories = None) -> SearchResult:
        """Find the papers that best match a question or topic, best first, with their scores, abstracts and the
        sentences that match best; no answer is written. Filters (years, author, title, categories) narrow the
        papers considered."""
        with _tool_errors():
            filters = filters_of(year_from, year_to, author, title, categories)
            return search_result(query, filters, engine.retrieve(query, filters=filters, top_k=top_k))

    server.add_tool(ask, title="Ask the papers", annotations=read_only)
    server.add_tool(search, title="Search the papers", annotations=read_only)
    return server


@contextlib.contextmanager
def _tool_errors():
    """PaperRAG's errors as tool errors: the caller (an agent) reads the one-line message and can fix the call."""
    from mcp.server.mcpserver.exceptions import ToolError

    try:
        yield
    except PaperRAGError as e:
        raise ToolError(str(e)) from None


# ----- stdio: `paperrag mcp` ------------------------------------------------------------------------------------------
def run_stdio(settings: Any) -> None:
    """Serve the tools over stdin/stdout until the client closes them. Nothing but MCP goes to stdout."""
    from rag.engine import Engine

    _mcp()
    engine = Engine(settings)
    with contextlib.redirect_stdout(sys.stderr):  # model loading must not write to the protocol's stream
        try:
            engine.warm_up()
        except PaperRAGError as e:  # each call will say it too, to the agent, which is where it can be seen
            print(f"warning: {e}", file=sys.stderr)
    print(f"PaperRAG MCP server on stdio (tools: ask, search), index at {engine.library.location}",
          file=sys.stderr, flush=True)
    build_server(engine).run("stdio")


# ----- streamable HTTP beside the Gradio app: `paperrag serve --mcp` -------------------------------------------------
def gradio_lifespan(engine: "Engine", settings: Any) -> Callable[[Any], Any]:
    """A lifespan for the Gradio app (`Blocks.launch(app_kwargs={"lifespan": ...})`) that adds the MCP endpoint at
    `PATH` to it and runs the MCP session manager while the server runs. Off loopback, where the UI requires
    ui.auth, the endpoint requires the same user and password (HTTP Basic)."""
    server = build_server(engine)
    mcp_app = server.streamable_http_app(streamable_http_path=PATH, host=settings.ui.host)
    routes = list(mcp_app.routes)
    if settings.ui.auth:
        for route in routes:
            route.app = BasicAuth(route.app, settings.ui.auth)

    @contextlib.asynccontextmanager
    async def lifespan(app: Any):
        app.router.routes[0:0] = routes  # before Gradio's own routes, so none of its catch-alls takes /mcp
        async with server.session_manager.run():
            yield

    return lifespan


class BasicAuth:
    """An ASGI wrapper answering 401 unless the request carries `user:password` as HTTP Basic credentials."""

    def __init__(self, app: Any, credentials: str):
        self.app = app
        self.expected = b"Basic " + base64.b64encode(credentials.encode())

    async def __call__(self, scope: Any, receive: Any, send: Any) -> None:
        given = dict(scope.get("headers") or []).get(b"authorization", b"")
        if scope["type"] == "http" and not hmac.compare_digest(given, self.expected):
            body = b"sign in: HTTP Basic with the user and password of ui.auth\n"
            await send({"type": "http.response.start", "status": 401, "headers": [
                (b"www-authenticate", b'Basic realm="PaperRAG"'), (b"content-type", b"text/plain; charset=utf-8"),
                (b"content-length", str(len(body)).encode())]})
            await send({"type": "http.response.body", "body": body})
            return
        await self.app(scope, receive, send)

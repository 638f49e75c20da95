"""PaperRAG as MCP tools, with real parts only: `paperrag serve --mcp` and `paperrag mcp` started as subprocesses
over a real store (the four papers of tests/fixtures/papers.jsonl) and driven by the official MCP client, over
loopback HTTP (the handshake today's agents use) and over stdio."""

from __future__ import annotations

import subprocess
import sys
import time

import anyio
import pytest

from conftest import FIXTURES, ROOT, env_for, free_port, make_settings, paperrag_cmd, stop_server

pytest.importorskip("mcp")

from mcp import ClientSession, StdioServerParameters  # noqa: E402
from mcp.client.stdio import stdio_client  # noqa: E402
from mcp.client.streamable_http import streamable_http_client  # noqa: E402

BERT = "BERT: Pre-training of Deep Bidirectional Transformers for Language Understanding"
RESNET = "Deep Residual Learning for Image Recognition"


@pytest.fixture(scope="module")
def store(tmp_path_factory, embedder):
    """A store with the four fixture papers (BERT 2018, ResNet 2016, RelP and EntroPE 2025)."""
    from ingest.pipeline import Ingestor

    tmp = tmp_path_factory.mktemp("mcp-store")
    report = Ingestor(make_settings(tmp), embedder=embedder).run([FIXTURES / "papers.jsonl"], progress=False)
    assert report.new == 4
    return tmp


@pytest.fixture(scope="module")
def served(store):
    """`paperrag serve --mcp` on a free loopback port: (MCP URL, the lines it printed up to serving)."""
    port = free_port()
    proc = subprocess.Popen(paperrag_cmd() + ["serve", "--mcp", "--no-ingest", "--port", str(port)],
                            env=env_for(store, PYTHONUNBUFFERED="1"), cwd=ROOT, stdout=subprocess.PIPE,
                            stderr=subprocess.PIPE, text=True)
    lines: list[str] = []
    try:
        deadline = time.time() + 120
        while time.time() < deadline and (line := proc.stdout.readline()):
            lines.append(line.rstrip())
            if "is serving on" in line:
                break
        assert lines and lines[-1].startswith("PaperRAG is serving on"), (lines, proc.poll() is not None
                                                                           and proc.stderr.read())
        yield f"http://127.0.0.1:{port}/mcp", lines
    finally:
        stop_server(proc)


def over_http(url: str, work):
    """Run `work(session)` in a real MCP client session over streamable HTTP (initialize handshake)."""
    async def main():
        async with streamable_http_client(url) as (read, write), ClientSession(read, write) as session:
            await session.initialize()
            return await work(session)

    return anyio.run(main)


@pytest.mark.slow
def test_serve_prints_the_mcp_url_and_still_serves_the_ui(served):
    import urllib.request

    url, lines = served
    assert f"MCP tools (ask, search) at {url}" in lines
    opener = urllib.request.build_opener(urllib.request.ProxyHandler({}))
    assert opener.open(url.removesuffix("mcp"), timeout=10).status == 200  # the chat page, on the same server


@pytest.mark.slow
def test_the_tools_are_listed_with_typed_arguments_and_output(served):
    tools = {t.name: t for t in over_http(served[0], lambda s: s.list_tools()).tools}
    assert set(tools) == {"ask", "search"}
    for name, first in (("ask", "question"), ("search", "query")):
        schema = tools[name].input_schema
        props = schema["properties"]
        assert schema["required"] == [first] and props[first]["type"] == "string"
        assert {"type": "integer"} in props["top_k"]["anyOf"] and {"type": "integer"} in props["year_from"]["anyOf"]
        assert {"type": "string"} in props["author"]["anyOf"] and {"type": "string"} in props["title"]["anyOf"]
        assert {"type": "array", "items": {"type": "string"}} in props["categories"]["anyOf"]
        assert tools[name].annotations.read_only_hint
    ask_out = tools["ask"].output_schema
    assert {"answer", "abstained", "verdict", "kind", "citations", "sentences"} <= set(ask_out["properties"])
    cited = ask_out["$defs"]["CitedPaper"]["properties"]
    assert {"paper_id", "title", "url", "year", "authors", "evidence"} <= set(cited)
    found = tools["search"].output_schema["$defs"]["FoundPaper"]["properties"]
    assert {"paper_id", "title", "score", "evidence", "abstract"} <= set(found)


@pytest.mark.slow
def test_ask_returns_the_cited_answer_as_structured_output(served):
    result = over_http(served[0], lambda s: s.call_tool("ask", {"question": "What GLUE score does BERT obtain?"}))
    assert not result.is_error
    out = result.structured_content
    assert not out["abstained"] and "80.5" in out["answer"] and "[1]" in out["answer"]
    first = out["citations"][0]
    assert first["n"] == 1 and first["title"] == BERT and first["year"] == 2018
    assert first["authors"][0] == "Jacob Devlin"
    assert any("80.5" in e for e in first["evidence"])
    assert all(c["title"] == BERT for c in out["citations"])
    assert out["sentences"] and 1 in out["sentences"][0]["citations"]


@pytest.mark.slow
def test_search_ranks_papers_and_a_filter_excludes_them(served):
    async def work(session):
        everything = await session.call_tool("search", {"query": "deep neural networks pre-training", "top_k": 4})
        recent = await session.call_tool("search", {"query": "deep neural networks pre-training", "top_k": 4,
                                                    "year_from": 2020})
        by_author = await session.call_tool("search", {"query": "image recognition", "author": "kaiming"})
        return everything, recent, by_author

    everything, recent, by_author = over_http(served[0], work)
    titles = [p["title"] for p in everything.structured_content["papers"]]
    assert BERT in titles and RESNET in titles
    papers = recent.structured_content["papers"]
    assert papers and all(p["year"] >= 2020 for p in papers)
    assert BERT not in [p["title"] for p in papers] and RESNET not in [p["title"] for p in papers]
    assert recent.structured_content["filters"] == {"year_from": 2020}
    found = by_author.structured_content["papers"]
    assert [p["title"] for p in found] == [RESNET]
    assert found[0]["rank"] == 1 and found[0]["evidence"] and found[0]["abstract"].startswith("Deeper neural networks")
    assert "answer" not in by_author.structured_content  # search writes no answer


@pytest.mark.slow
def test_errors_are_tool_errors_with_the_one_line_message(served):
    async def work(session):
        empty = await session.call_tool("ask", {"question": "  "})
        years = await session.call_tool("search", {"query": "transformers", "year_from": 2025, "year_to": 2020})
        top_k = await session.call_tool("ask", {"question": "What is BERT?", "top_k": 0})
        after = await session.call_tool("search", {"query": "BERT", "top_k": 1})  # the server still answers
        return empty, years, top_k, after

    empty, years, top_k, after = over_http(served[0], work)
    assert empty.content[0].text == "Error executing tool ask: the question is empty: ask something about the papers."
    for result, message in ((empty, "the question is empty"), (years, "the year range is reversed"),
                            (top_k, "top_k must be from")):
        assert result.is_error and result.structured_content is None
        text = result.content[0].text
        assert message in text and "\n" not in text and "Traceback" not in text, text
    assert not after.is_error and after.structured_content["papers"][0]["title"] == BERT


@pytest.mark.slow
def test_paperrag_mcp_speaks_stdio(store):
    cmd = paperrag_cmd()
    params = StdioServerParameters(command=cmd[0], args=[*cmd[1:], "mcp"], env=env_for(store), cwd=str(ROOT))

    async def main(errlog):
        async with stdio_client(params, errlog=errlog) as (read, write), ClientSession(read, write) as session:
            await session.initialize()
            tools = await session.list_tools()
            found = await session.call_tool("search", {"query": "time series forecasting", "top_k": 2})
            answer = await session.call_tool("ask", {"question": "What does RelP replace local gradients with?"})
            return tools, found, answer

    with open(store / "stdio-server.log", "w+") as errlog:  # the server's stderr (anything on stdout breaks MCP)
        tools, found, answer = anyio.run(main, errlog)
        errlog.seek(0)
        log = errlog.read()
    assert "PaperRAG MCP server on stdio" in log and "Traceback" not in log, log
    assert {t.name for t in tools.tools} == {"ask", "search"}
    assert found.structured_content["papers"][0]["title"].startswith("EntroPE")
    out = answer.structured_content
    assert not out["abstained"] and out["citations"][0]["title"].startswith("RelP"), out
    assert "propagation coefficients" in out["answer"]


def test_importing_rag_and_the_cli_does_not_import_mcp():
    code = "import sys, rag, cli.main; cli.main.build_parser(); assert 'mcp' not in sys.modules, 'mcp imported'"
    out = subprocess.run([sys.executable, "-c", code], cwd=ROOT, capture_output=True, text=True, timeout=60)
    assert out.returncode == 0, out.stderr


def test_basic_auth_guards_the_endpoint_off_loopback():
    import base64

    from rag.integrations.mcp import BasicAuth

    reached = []

    async def app(scope, receive, send):
        reached.append(scope["path"])

    async def call(headers):
        sent = []

        async def send(message):
            sent.append(message)

        await BasicAuth(app, "ada:s3cret")({"type": "http", "path": "/mcp", "headers": headers}, None, send)
        return sent

    good = b"Basic " + base64.b64encode(b"ada:s3cret")
    bad = b"Basic " + base64.b64encode(b"ada:wrong")
    for headers in ([], [(b"authorization", bad)]):
        sent = anyio.run(call, headers)
        assert sent[0]["status"] == 401 and (b"www-authenticate", b'Basic realm="PaperRAG"') in sent[0]["headers"]
    assert reached == []
    assert anyio.run(call, [(b"authorization", good)]) == [] and reached == ["/mcp"]

"""`paperrag ask`, `chat` and `eval --help` as a user runs them: real subprocesses over a store the module
builds once with `paperrag ingest`, real exit codes, one-line errors."""

from __future__ import annotations

import json
import re
import subprocess
from pathlib import Path

import pytest

from conftest import BUNDLED, make_settings
from test_cli import env_for, paperrag_cmd, run

HYPERNET = "Magnitude Invariant Parametrizations Improve Hypernetwork Learning"
HYPERNET_Q = "What makes hypernetworks hard to train?"


@pytest.fixture(scope="module")
def store(tmp_path_factory) -> Path:
    """A folder whose env (see env_for) points at an index of the bundled corpus, built by `paperrag ingest`."""
    folder = tmp_path_factory.mktemp("cli-ask")
    out = run(folder, "ingest", "--quiet", str(BUNDLED))
    assert out.returncode == 0, out.stderr
    assert "87 new" in out.stdout
    return folder


def ask(store: Path, *args: str) -> subprocess.CompletedProcess:
    out = run(store, "ask", *args, timeout=180)
    assert "Traceback" not in out.stderr, out.stderr
    return out


def ask_json(store: Path, *args: str) -> dict:
    out = ask(store, "--json", *args)
    assert out.returncode == 0, out.stderr
    return json.loads(out.stdout)


def test_ask_json_schema_and_the_cited_paper(store):
    d = ask_json(store, HYPERNET_Q)
    assert set(d) >= {"question", "answer", "abstained", "reason", "citations", "sources", "filters", "generator",
                      "timings_ms"}
    assert d["question"] == HYPERNET_Q and d["abstained"] is False and d["reason"] is None
    assert d["generator"] == "extractive" and d["filters"] == {}
    assert d["citations"], d["answer"]
    for c in d["citations"]:
        assert set(c) >= {"n", "paper_id", "title", "date", "year", "url", "evidence", "score"}
    first = d["citations"][0]
    assert first["n"] == 1 and first["title"] == HYPERNET
    assert any("magnitude proportionality" in ev for ev in first["evidence"]), first["evidence"]
    assert "[1]" in d["answer"]
    for s in d["sources"]:
        assert set(s) >= {"paper_id", "title", "score", "cited"}
    cited = {s["paper_id"] for s in d["sources"] if s["cited"]}
    assert cited == {c["paper_id"] for c in d["citations"]}
    assert set(d["timings_ms"]) == {"retrieve", "generate", "total"}
    assert d["timings_ms"]["total"] >= d["timings_ms"]["retrieve"] > 0


def test_ask_human_output_shows_answer_sources_and_evidence(store):
    out = ask(store, HYPERNET_Q)
    assert out.returncode == 0, out.stderr
    answer, sep, sources = out.stdout.partition("\nSources:\n")
    assert sep, out.stdout
    assert "[1]" in answer and "magnitude proportionality" in answer
    lines = sources.splitlines()
    assert re.match(rf"^\[1\] {re.escape(HYPERNET)} \((\d{{4}}-\d{{2}}-\d{{2}}|\d{{4}})\)", lines[0]), lines[0]
    evidence = [line for line in lines if line.startswith('    > "')]
    assert evidence and any("magnitude proportionality" in line for line in evidence)


def test_ask_outside_the_collection_says_not_found(store):
    out = ask(store, "Who won the 2018 World Cup?")
    assert out.returncode == 0, out.stderr
    assert out.stdout.startswith("Not found in the collection.")
    assert "Sources:" not in out.stdout
    assert "Nearest papers in the collection:" in out.stdout


def test_year_flag_filters_and_is_reported(store):
    out = ask(store, "--year-from", "2024", "Which papers work with satellite imagery?")
    assert out.returncode == 0, out.stderr
    assert "(filter applied: year_from=2024)" in out.stdout
    years = [int(y) for y in re.findall(r"^\[\d+\] .* \((\d{4})", out.stdout, re.M)]
    assert years and all(y >= 2024 for y in years), out.stdout


def test_date_phrase_in_the_question_becomes_the_filter(store):
    d = ask_json(store, "Which papers since 2024 work with satellite or orbital imagery?")
    assert d["filters"] == {"year_from": 2024, "phrase": "since 2024"}
    assert "2024" not in d["search_query"]
    assert d["sources"] and all(s["year"] >= 2024 for s in d["sources"])
    assert not d["abstained"] and all(c["year"] >= 2024 for c in d["citations"])


@pytest.mark.parametrize("words", [[""], ["   "], []])
def test_empty_question_is_a_usage_error(tmp_path, words):
    out = run(tmp_path, "ask", *words)
    assert out.returncode == 2
    assert "Traceback" not in out.stderr
    errors = [line for line in out.stderr.splitlines() if line.startswith("error:")]
    assert len(errors) == 1 and "the question is empty" in errors[0], out.stderr
    assert out.stdout == ""


def test_asking_without_an_index_says_ingest_first(tmp_path):
    out = ask(tmp_path, HYPERNET_Q)
    assert out.returncode == 1
    errors = [line for line in out.stderr.splitlines() if line.startswith("error:")]
    assert len(errors) == 1 and "run `paperrag ingest` first" in errors[0], out.stderr


def test_asking_an_empty_index_says_ingest_first(tmp_path, embedder):
    from rag.store import PaperStore

    # a collection with a manifest and no papers: what an ingest whose every record was rejected leaves
    PaperStore(make_settings(tmp_path)).open_for_writing(embedder.model_id, lambda: embedder.dimension)
    out = ask(tmp_path, HYPERNET_Q)
    assert out.returncode == 1
    errors = [line for line in out.stderr.splitlines() if line.startswith("error:")]
    assert len(errors) == 1 and "is empty: run `paperrag ingest` first" in errors[0], out.stderr


def test_chat_follow_up_cites_the_same_paper(store):
    out = subprocess.run(
        [*paperrag_cmd(), "chat"], input=f"{HYPERNET_Q}\nWhat were its results?\n", env=env_for(store),
        capture_output=True, text=True, timeout=180, cwd=store,
    )
    assert out.returncode == 0, out.stderr
    assert "Traceback" not in out.stderr and "PaperRAG chat" in out.stderr
    assert out.stdout.count("\nSources:\n") == 2, out.stdout
    firsts = re.findall(r"^\[1\] (.+?) \(", out.stdout, re.M)
    assert firsts == [HYPERNET, HYPERNET], out.stdout
    first_answer, second_answer = [part.split("\nSources:\n")[0] for part in out.stdout.split("> ")[1:3]]
    assert first_answer.strip() != second_answer.strip()


def test_eval_help_lists_its_options():
    out = subprocess.run([*paperrag_cmd(), "eval", "--help"], capture_output=True, text=True, timeout=60)
    assert out.returncode == 0, out.stderr
    for flag in ("--variants", "--dataset", "--corpus", "--out", "--gate"):
        assert flag in out.stdout

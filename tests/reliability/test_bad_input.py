"""Hostile and malformed input through the command line and the Python API: one line that says what is wrong and
the bound, exit code 2, no traceback, nothing written."""

from __future__ import annotations

import json
import subprocess

import pytest

from conftest import BUNDLED, env_for, make_settings, paperrag_cmd
from ingest.pipeline import Ingestor
from rag.errors import UsageError

QUESTION = "What makes hypernetworks hard to train?"


@pytest.fixture(scope="module")
def cli_store(tmp_path_factory):
    folder = tmp_path_factory.mktemp("bad-input")
    out = subprocess.run([*paperrag_cmd(), "ingest", "--quiet", str(BUNDLED)], env=env_for(folder),
                         capture_output=True, text=True, cwd=folder, timeout=300)
    assert out.returncode == 0, out.stderr
    return folder


def one_line_error(out: subprocess.CompletedProcess) -> str:
    lines = out.stderr.strip().splitlines()
    assert len(lines) == 1 and lines[0].startswith("error: "), out.stderr
    assert "Traceback" not in out.stderr and out.stdout == ""
    return lines[0]


@pytest.mark.slow
@pytest.mark.parametrize(
    "args, expected",
    [
        (["--top-k", "0", QUESTION], "top_k must be from 1 to 100 (got 0)"),
        (["--top-k", "-1", QUESTION], "top_k must be from 1 to 100 (got -1)"),
        (["--top-k", "1000000", QUESTION], "top_k must be from 1 to 100 (got 1000000)"),
        (["--top-k", "abc", QUESTION], "invalid int value: 'abc'"),
        (["--year-from", "abc", QUESTION], "invalid int value: 'abc'"),
        (["--year-from", "99", QUESTION], "year_from must be a year from 1000 to 2999 (got 99)"),
        (["--year-from", "2025", "--year-to", "2020", QUESTION], "the year range is reversed: from 2025 to 2020"),
        (["   "], "the question is empty"),
        (["x" * 100_000], "the question is 100,000 characters long; the limit is 2,000"),
        (["--title", "t" * 500, QUESTION], "the title filter is 500 characters long; the limit is 200"),
        (["--mode", "fuzzy", QUESTION], "invalid choice: 'fuzzy'"),
    ],
    ids=["top-k-0", "top-k-negative", "top-k-huge", "top-k-text", "year-text", "year-99", "years-reversed",
         "empty", "too-long", "title-too-long", "mode"],
)
def test_the_cli_refuses_bad_input_in_one_line(cli_store, args, expected):
    out = subprocess.run([*paperrag_cmd(), "ask", *args], env=env_for(cli_store), capture_output=True, text=True,
                         cwd=cli_store, timeout=120)
    assert out.returncode == 2
    assert expected in one_line_error(out)


@pytest.mark.slow
def test_debug_shows_the_traceback(cli_store):
    for extra_args, extra_env in ((["--debug"], {}), ([], {"PAPERRAG_DEBUG": "1"})):
        debug = subprocess.run([*paperrag_cmd(), "ask", *extra_args, "--top-k", "0", QUESTION],
                               env=env_for(cli_store, **extra_env), capture_output=True, text=True, cwd=cli_store,
                               timeout=120)
        assert debug.returncode != 0 and "Traceback" in debug.stderr
        assert "top_k must be from 1 to 100" in debug.stderr


@pytest.mark.parametrize(
    "kwargs, expected",
    [
        ({"top_k": 0}, "top_k must be from 1 to 100 (got 0)"),
        ({"top_k": 1_000_000}, "top_k must be from 1 to 100"),
        ({"top_k": "five"}, "top_k must be a whole number from 1 to 100 (got 'five')"),
        ({"top_k": True}, "top_k must be a whole number"),
        ({"filters": {"year_from": "abc"}}, "year_from must be a year from 1000 to 2999 (got 'abc')"),
        ({"filters": {"year_from": 2025, "year_to": 2020}}, "the year range is reversed"),
        ({"filters": {"author": ["not", "text"]}}, "the author filter must be text"),
        ({"filters": {"categories": [1, 2]}}, "categories must be a list of strings"),
        ({"filters": "2024"}, "filters must be a mapping"),
        ({"history": "not a list"}, "history is a list of earlier answers"),
        ({"history": [["a", 1]]}, "item 1 is list"),
        ({"history": [{"question": "q", "citations": [{"n": 1}]}]}, "item 1 has malformed citations"),
        ({"mode": "fuzzy"}, "unknown retrieval mode 'fuzzy'"),
        ({"generator": "gpt-9"}, "unknown generator 'gpt-9'"),
    ],
)
def test_the_python_api_refuses_bad_input_with_the_bound(engine, kwargs, expected):
    with pytest.raises(UsageError) as err:
        engine.ask(QUESTION, **kwargs)
    assert expected in str(err.value) and "\n" not in str(err.value)


@pytest.mark.parametrize("question", [None, "", "   ", 42, "x" * 5000])
def test_the_python_api_refuses_bad_questions(engine, question):
    with pytest.raises(UsageError, match="question"):
        engine.ask(question)


def test_a_record_of_the_wrong_shape_is_skipped_not_stored_as_text(tmp_path, embedder):
    listing = tmp_path / "odd.jsonl"
    rows = [
        {"title": {"nested": 1}, "abstract": 123},
        {"title": "Fine paper", "abstract": "A real abstract about sparse attention. It has two sentences."},
        {"title": "Listy", "abstract": "Text here.", "authors": [{"name": "Ada"}]},
        [1, 2, 3],
    ]
    listing.write_text("".join(json.dumps(r) + "\n" for r in rows))
    settings = make_settings(tmp_path)
    report = Ingestor(settings, embedder=embedder).run([listing], progress=False)
    assert report.new == 1
    reasons = {r.line: r.reason for r in report.skipped}
    assert reasons == {
        1: "malformed record: 'title' is an object, expected text",
        3: "malformed record: 'authors' must be a list of strings",
        4: "malformed record: expected a JSON object, found list",
    }


def test_a_lone_surrogate_or_a_direction_override_is_cleaned_and_the_rest_of_the_file_kept(tmp_path, embedder):
    """A broken "\\ud800" escape once aborted the whole file (the tokenizer cannot encode it); a U+202E override
    made a title display reversed. Both are cleaned, every good record is stored, --strict included."""
    listing = tmp_path / "odd-text.jsonl"
    listing.write_text(
        '{"title": "Broken \\ud800 escape in a title", "abstract": "Sparse attention with a broken escape \\udfff."}\n'
        + json.dumps({"title": "A fine paper on pruning", "abstract": "We prune networks. It works well."}) + "\n"
        + json.dumps({"title": "Safe \u202eevil.exe title", "abstract": "An abstract with a \u2066hidden\u2069 run."})
        + "\n"
    )
    settings = make_settings(tmp_path)
    report = Ingestor(settings, embedder=embedder).run([listing], progress=False, strict=True)
    assert report.new == 3 and not report.skipped
    from rag.library import Library

    rows, total = Library(settings, progress=False).browse(limit=10)
    titles = {r["title"] for r in rows}
    assert total == 3
    assert titles == {"Broken \ufffd escape in a title", "A fine paper on pruning", "Safe evil.exe title"}


@pytest.mark.parametrize(
    "args, env, expected",
    [
        (["stats"], {"PAPERRAG_STORE__PERSIST_DIR": ""}, "'store.persist_dir': Value error, is empty: give a folder"),
        (["stats"], {"PAPERRAG_STORE__CACHE_DIR": "  "}, "'store.cache_dir': Value error, is empty"),
        (["stats"], {"PAPERRAG_INGEST__DEFAULT_PATHS": "x"},
         "PAPERRAG_INGEST__DEFAULT_PATHS: not a valid value. A list is written as JSON"),
        (["serve", "--port", "99999"], {}, "port must be from 1 to 65535 (got 99999)"),
        (["serve", "--port", "http"], {}, "invalid port: 'http'"),
    ],
    ids=["empty-persist-dir", "blank-cache-dir", "list-not-json", "port-out-of-range", "port-not-a-number"],
)
def test_bad_settings_are_one_line_with_the_fix_and_create_nothing(tmp_path, args, env, expected):
    """These printed "unexpected ... please report it", or made a Chroma store in the working directory."""
    out = subprocess.run([*paperrag_cmd(), *args], env={**env_for(tmp_path), **env}, capture_output=True, text=True,
                         cwd=tmp_path, timeout=120)
    assert out.returncode == 2
    assert expected in one_line_error(out)
    assert not (tmp_path / "chroma.sqlite3").exists() and not (tmp_path / "chroma").exists()


def test_stats_on_a_folder_without_an_index_creates_nothing(tmp_path):
    empty = tmp_path / "not-a-store"
    empty.mkdir()
    out = subprocess.run([*paperrag_cmd(), "stats", "--json"], env={**env_for(tmp_path), "PAPERRAG_STORE__PERSIST_DIR": str(empty)},
                         capture_output=True, text=True, cwd=tmp_path, timeout=120)
    assert out.returncode == 0, out.stderr
    assert json.loads(out.stdout)["papers"] == 0
    assert list(empty.iterdir()) == []


@pytest.mark.parametrize("error", [
    __import__("sqlite3").OperationalError("attempt to write a readonly database"),
    PermissionError(13, "Permission denied", "chroma.sqlite3"),
    OSError(30, "Read-only file system"),
])
def test_a_store_that_cannot_be_written_is_named_with_the_fix(tmp_path, error):
    """Chroma's "attempt to write a readonly database" said what failed, not what to do. (The suite runs as root,
    for whom permissions do not stop writes, so the errors Chroma and the OS raise are handed to the translation.)"""
    from rag.library import Library

    settings = make_settings(tmp_path)
    message = str(Library(settings, progress=False)._translate(error))
    assert f"the Chroma store at {settings.store.persist_dir} is not writable by this user" in message
    assert f"chmod -R u+w {settings.store.persist_dir}" in message and "store.persist_dir" in message

"""`paperrag ask`, `chat` and `eval --help` as a user runs them: real subprocesses over a store the module
builds once with `paperrag ingest`, real exit codes, one-line errors."""

from __future__ import annotations

import json
import re
import subprocess

import pytest

from conftest import BUNDLED, make_settings
from test_cli import env_for, paperrag_cmd, run

HYPERNET = "Magnitude Invariant Parametrizations Improve Hypernetwork Learning"
HYPERNET_Q = "What makes hypernetworks hard to train?"

# Every command whose output the tests below read: (folder, arguments, stdin). "store" holds the bundled corpus,
# "missing" no index at all, "empty" a collection with no papers in it.
COMMANDS = {
    "json": ("store", ["ask", "--json", HYPERNET_Q], None),
    "human": ("store", ["ask", HYPERNET_Q], None),
    "outside": ("store", ["ask", "Who won the 2018 World Cup?"], None),
    "year_flag": ("store", ["ask", "--year-from", "2024", "Which papers work with satellite imagery?"], None),
    "since": ("store", ["ask", "--json", "Which papers since 2024 work with satellite or orbital imagery?"], None),
    "chat": ("store", ["chat", "--export", "session"], f"{HYPERNET_Q}\nWhat were its results?\n"),  # then EOF
    "explain": ("store", ["ask", "--explain", HYPERNET_Q], None),
    "clarify": ("store", ["ask", "What were its results?"], None),
    "missing": ("missing", ["ask", HYPERNET_Q], None),
    "empty": ("empty", ["ask", HYPERNET_Q], None),
}


FOLDERS: dict = {}  # where each kind of store lives (filled by `outputs`)


@pytest.fixture(scope="module")
def outputs(tmp_path_factory, embedder) -> dict[str, subprocess.CompletedProcess]:
    """Build the store with `paperrag ingest` once, then run every command in COMMANDS, side by side.

    Each `paperrag ask` spends ~8 s of CPU importing torch and sentence-transformers before it answers; starting
    them together instead of one after another roughly halves this module's wall time on two cores.
    """
    from rag.library import Library

    folders = {name: tmp_path_factory.mktemp(f"cli-{name}") for name in ("store", "missing", "empty")}
    FOLDERS.update(folders)
    ingested = run(folders["store"], "ingest", "--quiet", str(BUNDLED))
    assert ingested.returncode == 0, ingested.stderr
    assert "87 new, 0 updated, 0 unchanged" in ingested.stdout
    # a collection with a manifest and no papers: what an ingest whose every record was rejected leaves behind
    Library(make_settings(folders["empty"])).open_for_writing(embedder)

    procs = {}
    for name, (where, args, stdin) in COMMANDS.items():
        folder = folders[where]
        stdin_file = folder / f"{name}.stdin"
        stdin_file.write_text(stdin or "", encoding="utf-8")
        with open(stdin_file, encoding="utf-8") as f:
            procs[name] = subprocess.Popen(
                [*paperrag_cmd(), *args], env=env_for(folder), stdin=f, stdout=subprocess.PIPE,
                stderr=subprocess.PIPE, text=True, cwd=folder,
            )
    done = {}
    for name, proc in procs.items():
        out, err = proc.communicate(timeout=300)
        done[name] = subprocess.CompletedProcess(proc.args, proc.returncode, out, err)
    return done


def result(outputs: dict, name: str, code: int = 0) -> subprocess.CompletedProcess:
    out = outputs[name]
    assert "Traceback" not in out.stderr, out.stderr
    assert out.returncode == code, out.stderr
    return out


def one_error_line(stderr: str) -> str:
    errors = [line for line in stderr.splitlines() if line.startswith("error:")]
    assert len(errors) == 1, stderr
    return errors[0]


def test_ask_json_schema_and_the_cited_paper(outputs):
    d = json.loads(result(outputs, "json").stdout)
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


def test_ask_human_output_shows_answer_sources_and_evidence(outputs):
    stdout = result(outputs, "human").stdout
    answer, sep, sources = stdout.partition("\nSources:\n")
    assert sep, stdout
    assert "[1]" in answer and "magnitude proportionality" in answer
    lines = sources.splitlines()
    assert re.match(rf"^\[1\] {re.escape(HYPERNET)} \((\d{{4}}-\d{{2}}-\d{{2}}|\d{{4}})\)", lines[0]), lines[0]
    evidence = [line for line in lines if line.startswith('    > "')]
    assert evidence and any("magnitude proportionality" in line for line in evidence)


def test_ask_outside_the_collection_says_not_found(outputs):
    stdout = result(outputs, "outside").stdout
    assert stdout.startswith("Not found in the collection.")
    assert "Sources:" not in stdout
    assert "Nearest papers in the collection:" in stdout


def test_year_flag_filters_and_is_reported(outputs):
    stdout = result(outputs, "year_flag").stdout
    assert "(filter applied: year_from=2024)" in stdout
    years = [int(y) for y in re.findall(r"^\[\d+\] .* \((\d{4})", stdout, re.M)]
    assert years and all(y >= 2024 for y in years), stdout


def test_date_phrase_in_the_question_becomes_the_filter(outputs):
    d = json.loads(result(outputs, "since").stdout)
    assert d["filters"] == {"year_from": 2024, "phrase": "since 2024"}
    assert "2024" not in d["search_query"]
    assert d["sources"] and all(s["year"] >= 2024 for s in d["sources"])
    assert not d["abstained"] and all(c["year"] >= 2024 for c in d["citations"])


def test_asking_without_an_index_says_ingest_first(outputs):
    assert "run `paperrag ingest PATH...` first" in one_error_line(result(outputs, "missing", code=1).stderr)


def test_asking_an_empty_index_says_ingest_first(outputs):
    assert "is empty: run `paperrag ingest` first" in one_error_line(result(outputs, "empty", code=1).stderr)


def test_ask_explain_says_why_each_paper_was_retrieved(outputs):
    out = result(outputs, "explain")
    why = out.stdout.split("\nWhy these papers:\n")[1]
    assert HYPERNET in why and "hypernetworks" in why.lower()
    assert re.search(r"\b(1st|first)\b", why), why


def test_a_follow_up_with_nothing_to_follow_asks_back(outputs):
    out = result(outputs, "clarify")
    assert out.stdout.startswith("Which paper do you mean?")


def test_chat_export_and_export_from_saved_answers(outputs, tmp_path):
    folder, chat_dir = tmp_path, FOLDERS["store"]  # the chat ran in the store folder and wrote its files there
    md = (chat_dir / "session.md").read_text(encoding="utf-8")
    assert HYPERNET_Q in md and "What were its results?" in md and "## References" in md
    assert "@" in (chat_dir / "session.bib").read_text(encoding="utf-8")

    saved = folder / "answers.json"
    saved.write_text(outputs["json"].stdout + "\n" + outputs["since"].stdout, encoding="utf-8")  # two objects
    out = subprocess.run([*paperrag_cmd(), "export", str(saved), "--markdown", str(folder / "n.md"), "--bibtex",
                          str(folder / "r.bib")], capture_output=True, text=True, timeout=120, env=env_for(folder))
    assert out.returncode == 0, out.stderr
    notes = (folder / "n.md").read_text(encoding="utf-8")
    assert HYPERNET in notes and "satellite" in notes.lower()
    assert (folder / "r.bib").read_text(encoding="utf-8").count("@") >= 2
    bad = subprocess.run([*paperrag_cmd(), "export", str(saved)], capture_output=True, text=True, timeout=60,
                         env=env_for(folder))
    assert bad.returncode == 2 and "--markdown" in one_error_line(bad.stderr)


def test_chat_follow_up_cites_the_same_paper(outputs):
    out = result(outputs, "chat")
    assert "PaperRAG chat" in out.stderr
    assert out.stdout.count("\nSources:\n") == 2, out.stdout
    firsts = re.findall(r"^\[1\] (.+?) \(", out.stdout, re.M)
    assert firsts == [HYPERNET, HYPERNET], out.stdout
    first_answer, second_answer = [part.split("\nSources:\n")[0] for part in out.stdout.split("> ")[1:3]]
    assert first_answer.strip() != second_answer.strip()


@pytest.mark.parametrize("words", [[""], ["   "], []])
def test_empty_question_is_a_usage_error(tmp_path, words):
    out = run(tmp_path, "ask", *words)
    assert out.returncode == 2 and "Traceback" not in out.stderr
    assert "the question is empty" in one_error_line(out.stderr)
    assert out.stdout == ""


def test_eval_help_lists_its_options():
    out = subprocess.run([*paperrag_cmd(), "eval", "--help"], capture_output=True, text=True, timeout=60)
    assert out.returncode == 0, out.stderr
    for flag in ("--variants", "--dataset", "--corpus", "--out", "--gate"):
        assert flag in out.stdout

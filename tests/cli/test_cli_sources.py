"""`paperrag sources` and `paperrag remove` as a user runs them: real subprocesses over a real store, and a
long-running process that answers questions seeing a removal made by another."""

from __future__ import annotations

import json
import re
import subprocess
import sys

import pytest

from conftest import BUNDLED, FIXTURES, QUOKKA, QUOKKA_QUESTION, ROOT, env_for, paperrag_cmd

pytestmark = pytest.mark.slow

BERT = "BERT: Pre-training of Deep Bidirectional Transformers for Language Understanding"


def run(tmp_path, *args: str, stdin: str | None = None) -> subprocess.CompletedProcess:
    return subprocess.run([*paperrag_cmd(), *args], env=env_for(tmp_path), capture_output=True, text=True,
                          timeout=300, cwd=tmp_path, input=stdin)


def sources(tmp_path) -> dict[str, dict]:
    out = run(tmp_path, "sources", "--json")
    assert out.returncode == 0, out.stderr
    return {s["name"]: s for s in json.loads(out.stdout)}


def one_error_line(out: subprocess.CompletedProcess) -> str:
    lines = out.stderr.strip().splitlines()
    assert len(lines) == 1 and lines[0].startswith("error: ") and "Traceback" not in out.stderr, out.stderr
    return lines[0]


def test_sources_list_what_was_ingested_and_remove_takes_one_out(tmp_path):
    listing = tmp_path / "new_papers.jsonl"
    listing.write_text((FIXTURES / "papers.jsonl").read_text())  # BERT and ResNet new; RelP, EntroPE bundled too
    assert run(tmp_path, "ingest", "--quiet", str(BUNDLED)).returncode == 0
    out = run(tmp_path, "ingest", "--quiet", "--json", str(listing))
    assert out.returncode == 0 and json.loads(out.stdout)["sources"] == ["new_papers.jsonl"], out.stderr

    listed = sources(tmp_path)
    assert {n: (s["kind"], s["papers"]) for n, s in listed.items()} == {
        "daily_papers_2025-11-10.txt": ("bundled", 87), "new_papers.jsonl": ("file", 4)}
    assert listed["new_papers.jsonl"]["path"] == str(listing.resolve())
    assert re.match(r"\d{4}-\d\d-\d\dT\d\d:\d\d:\d\d", listed["new_papers.jsonl"]["last_ingested"])
    table = run(tmp_path, "sources").stdout.splitlines()
    assert table[0].split() == ["SOURCE", "KIND", "PAPERS", "FIRST", "INGESTED", "LAST", "INGESTED"]
    assert table[1].split()[:3] == ["new_papers.jsonl", "file", "4"]  # the latest first
    assert table[2].split()[:3] == ["daily_papers_2025-11-10.txt", "bundled", "87"]
    assert "BERT" in run(tmp_path, "ask", "What does BERT pre-train, and on what?").stdout

    out = run(tmp_path, "remove", "--source", "new_papers.jsonl")  # not a terminal: no question asked
    assert out.returncode == 0, out.stderr
    assert out.stdout.strip() == ("removed 2 papers of source 'new_papers.jsonl'; 2 stay (another source holds them "
                                  "too); 87 papers in the index")
    assert json.loads(run(tmp_path, "stats", "--json").stdout)["papers"] == 87
    assert {n: s["papers"] for n, s in sources(tmp_path).items()} == {"daily_papers_2025-11-10.txt": 87}
    answer = json.loads(run(tmp_path, "ask", "--json", "What does BERT pre-train, and on what?").stdout)
    assert BERT not in [c["title"] for c in answer["citations"]] + [s["title"] for s in answer["sources"]]
    # The bundled papers the removed file also held are still answered.
    assert "RelP" in run(tmp_path, "ask", "What is RelP and how does it find circuits?").stdout

    out = run(tmp_path, "ingest", "--quiet", str(listing))  # a removed source comes back when ingested again
    assert "2 new" in out.stdout and sources(tmp_path)["new_papers.jsonl"]["papers"] == 4


def test_remove_by_id_and_unknown_names_or_ids(tmp_path):
    listing = tmp_path / "quokka.jsonl"
    listing.write_text(json.dumps(QUOKKA) + "\n")
    assert run(tmp_path, "ingest", "--quiet", str(FIXTURES / "daily_small.txt"), str(listing)).returncode == 0
    n = json.loads(run(tmp_path, "stats", "--json").stdout)["papers"]

    out = run(tmp_path, "remove", "--source", "nope.jsonl")
    line = one_error_line(out)
    assert out.returncode == 1 and "no source named 'nope.jsonl'" in line and "`paperrag sources`" in line
    out = run(tmp_path, "remove", "--id", "arxiv:2601.00001", "arxiv:0000.00000")
    line = one_error_line(out)
    assert out.returncode == 1 and "'arxiv:0000.00000'" in line and "nothing was removed" in line
    assert "`paperrag sources`" in line
    assert json.loads(run(tmp_path, "stats", "--json").stdout)["papers"] == n  # nothing was removed

    out = run(tmp_path, "remove", "--json", "--id", "arxiv:2601.00001")
    assert out.returncode == 0, out.stderr
    assert json.loads(out.stdout) == {"source": None, "removed": ["arxiv:2601.00001"], "kept": [],
                                      "papers_in_store": n - 1}
    assert "quokka.jsonl" not in sources(tmp_path)  # its only paper is gone, and so is the source

    out = run(tmp_path, "remove")
    assert out.returncode == 2 and "one of the arguments --source --id is required" in out.stderr
    out = run(tmp_path, "remove", "--source", "a", "--id", "b")
    assert out.returncode == 2 and "not allowed with argument" in out.stderr


def test_remove_asks_first_in_a_terminal(tmp_path):
    """The question is asked when stdin is a terminal; a pty stands in for one."""
    import os
    import pty

    assert run(tmp_path, "ingest", "--quiet", str(FIXTURES / "daily_small.txt")).returncode == 0
    env = env_for(tmp_path)

    def answered(reply: bytes, *extra: str) -> tuple[int, str]:
        leader, follower = pty.openpty()
        proc = subprocess.Popen([*paperrag_cmd(), "remove", "--source", "daily_small.txt", *extra], env=env,
                                stdin=follower, stdout=subprocess.PIPE, stderr=subprocess.PIPE, cwd=tmp_path)
        os.close(follower)
        os.write(leader, reply)
        out, err = proc.communicate(timeout=300)
        os.close(leader)
        return proc.returncode, out.decode() + err.decode()

    code, said = answered(b"n\n")
    assert code == 1 and "nothing removed" in said and "daily_small.txt" in sources(tmp_path)
    code, said = answered(b"y\n")
    assert code == 0 and "removed 3 papers of source 'daily_small.txt'" in said
    assert sources(tmp_path) == {}


ASKER = """
import json, sys
from rag.engine import Engine
from rag.settings import load_settings
engine = Engine(load_settings()).warm_up()
print(json.dumps({"ready": True}), flush=True)
for line in sys.stdin:
    a = engine.ask(line.strip())
    print(json.dumps({"abstained": a.abstained, "cited": [c.title for c in a.citations]}), flush=True)
"""


def test_a_process_answering_questions_stops_citing_a_source_another_process_removed(tmp_path):
    listing = tmp_path / "quokka.jsonl"
    listing.write_text(json.dumps(QUOKKA) + "\n")
    assert run(tmp_path, "ingest", "--quiet", str(BUNDLED), str(listing)).returncode == 0
    asker = subprocess.Popen([sys.executable, "-c", ASKER], env=env_for(tmp_path), stdin=subprocess.PIPE,
                             stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True, cwd=ROOT)
    try:
        assert json.loads(asker.stdout.readline()) == {"ready": True}

        def ask(question: str) -> dict:
            asker.stdin.write(question + "\n")
            asker.stdin.flush()
            return json.loads(asker.stdout.readline())

        assert ask(QUOKKA_QUESTION)["cited"][:1] == [QUOKKA["title"]]
        assert run(tmp_path, "remove", "--source", "quokka.jsonl", "--yes").returncode == 0
        assert QUOKKA["title"] not in ask(QUOKKA_QUESTION)["cited"]
        assert ask("What makes hypernetworks hard to train?")["cited"][0].startswith("Magnitude Invariant")
    finally:
        asker.stdin.close()
        asker.wait(30)

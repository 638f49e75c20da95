"""Two real processes on one embedded store: a paper another process writes is answerable on the next question,
and a `--rebuild` elsewhere can never leave an old lexical index looking fresh."""

from __future__ import annotations

import json
import subprocess
import sys

import pytest

from conftest import BUNDLED, FIXTURES, QUOKKA, QUOKKA_QUESTION, ROOT, env_for, paperrag_cmd

pytestmark = pytest.mark.slow

# A long-running process answering questions read from stdin: what `paperrag serve` does, without the UI.
ASKER = """
import json, sys
from rag.engine import Engine
from rag.settings import load_settings
engine = Engine(load_settings()).warm_up()
print(json.dumps({"ready": True}), flush=True)
for line in sys.stdin:
    a = engine.ask(line.strip())
    print(json.dumps({"abstained": a.abstained, "cited": [c.title for c in a.citations],
                      "sources": [s.title for s in a.sources]}), flush=True)
"""

QUESTION = QUOKKA_QUESTION


class Asker:
    def __init__(self, tmp_path):
        self.proc = subprocess.Popen(
            [sys.executable, "-c", ASKER], env=env_for(tmp_path), stdin=subprocess.PIPE, stdout=subprocess.PIPE,
            stderr=subprocess.PIPE, text=True, cwd=ROOT,
        )
        assert json.loads(self.proc.stdout.readline()) == {"ready": True}, self.proc.stderr.read()

    def ask(self, question: str) -> dict:
        self.proc.stdin.write(question + "\n")
        self.proc.stdin.flush()
        line = self.proc.stdout.readline()
        assert line, self.proc.stderr.read()
        return json.loads(line)

    def close(self) -> None:
        self.proc.stdin.close()
        self.proc.wait(30)


def ingest(tmp_path, *args: str) -> None:
    out = subprocess.run([*paperrag_cmd(), "ingest", "--quiet", *args], env=env_for(tmp_path), capture_output=True,
                         text=True, timeout=300, cwd=tmp_path)
    assert out.returncode == 0, out.stderr


def test_a_paper_another_process_ingests_is_answered_on_the_next_question(tmp_path):
    ingest(tmp_path, str(BUNDLED))
    asker = Asker(tmp_path)
    try:
        assert asker.ask(QUESTION)["abstained"]
        listing = tmp_path / "new.jsonl"
        listing.write_text(json.dumps(QUOKKA) + "\n")
        ingest(tmp_path, str(listing))
        after = asker.ask(QUESTION)
        assert not after["abstained"] and after["cited"][0] == QUOKKA["title"]
        # The rest of the collection is still answered (the reopened store lost nothing).
        assert asker.ask("What makes hypernetworks hard to train?")["cited"][0].startswith("Magnitude Invariant")
    finally:
        asker.close()


def test_a_rebuild_by_another_process_is_never_mistaken_for_the_old_index(tmp_path):
    ingest(tmp_path, str(BUNDLED))
    asker = Asker(tmp_path)
    try:
        assert asker.ask("What makes hypernetworks hard to train?")["cited"][0].startswith("Magnitude Invariant")
        listing = tmp_path / "new.jsonl"
        listing.write_text(json.dumps(QUOKKA) + "\n")
        ingest(tmp_path, "--rebuild", str(listing), str(FIXTURES / "daily_small.txt"))
        assert asker.ask(QUESTION)["cited"][0] == QUOKKA["title"]
        gone = asker.ask("What makes hypernetworks hard to train?")
        assert not any(t.startswith("Magnitude Invariant") for t in gone["sources"]), "the old papers are gone"
    finally:
        asker.close()

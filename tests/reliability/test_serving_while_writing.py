"""Serving while the store changes: many threads of one process answer questions while another process ingests in
small batches, so this process reopens its Chroma client again and again. A reopen once cleared Chroma's
process-wide client cache under a running query ("'RustBindingsAPI' object has no attribute 'bindings'", 4 of 607
requests from 20 clients); now every question is answered."""

from __future__ import annotations

import json
import subprocess
import threading

import pytest

from conftest import BUNDLED, ROOT, env_for, make_settings, paperrag_cmd
from ingest.pipeline import Ingestor
from rag.engine import Engine

pytestmark = pytest.mark.slow
QUESTIONS = [
    "What is D-Former?",
    "What makes hypernetworks hard to train?",
    "Which papers study pruning?",
    "How can neural networks be trained without back-propagation?",
]
CLIENTS = 4


def test_threads_answer_while_another_process_ingests(tmp_path, embedder):
    settings = make_settings(tmp_path)
    Ingestor(settings, embedder=embedder).run([BUNDLED], progress=False)
    engine = Engine(settings, embedder=embedder)
    engine.warm_up()
    more = tmp_path / "more.jsonl"
    with (ROOT / "evals/datasets/pubmedqa-dev/corpus.jsonl").open() as src:
        more.write_text("".join(next(src) for _ in range(96)))
    writer = subprocess.Popen([*paperrag_cmd(), "ingest", "--quiet", str(more)],
                              env=env_for(tmp_path, PAPERRAG_INGEST__BATCH_PAPERS="8"),
                              stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True, cwd=tmp_path)
    errors: list[str] = []
    answered = [0] * CLIENTS

    def client(n: int) -> None:
        i = n
        while writer.poll() is None:
            question = QUESTIONS[i % len(QUESTIONS)]
            i += 1
            try:
                answer = engine.ask(question)
                if answer.abstained:
                    errors.append(f"{question}: not found ({answer.reason})")
            except Exception as e:  # noqa: BLE001 (every failure is what this test counts)
                errors.append(f"{question}: {type(e).__name__}: {e}")
            answered[n] += 1

    threads = [threading.Thread(target=client, args=(n,)) for n in range(CLIENTS)]
    for t in threads:
        t.start()
    out, err = writer.communicate(timeout=600)
    for t in threads:
        t.join(timeout=120)
    assert writer.returncode == 0, err
    assert "96 new" in out
    assert sum(answered) >= 2 * CLIENTS
    assert errors == [], f"{len(errors)} of {sum(answered)} questions failed, first: {errors[:3]}"
    assert engine.library.count() == 87 + 96
    assert json.loads(json.dumps(engine.ask("What is D-Former?").to_dict()))["citations"]

"""Confident wrong answers: identifiers outrank everything else, and a sentence whose numbers or identifiers its
cited abstract lacks is flagged, not cited."""

from __future__ import annotations

import json
import random

import pytest

from conftest import make_settings
from ingest.pipeline import Ingestor
from rag.citations import align
from rag.tuning import DEFAULT
from rag.engine import Engine

TEMPLATE = (
    "We present {m}, a sparse attention model for long scientific documents. On the {b} benchmark, {m} converges "
    "in {k} iterations and reaches {acc}% accuracy. Compared with dense attention, {m} needs no extra memory and "
    "trains on a single accelerator."
)


@pytest.fixture(scope="module")
def twins(tmp_path_factory, embedder):
    """40 abstracts that differ only in their model name, benchmark name and numbers."""
    rng = random.Random(7)
    tmp = tmp_path_factory.mktemp("twins")
    rows = []
    for i in range(40):
        m = f"Mornington-{'ABCD'[i % 4]}{rng.randint(0, 999):03d}"
        b = f"Tarn-{rng.randint(10, 99)}"
        k, acc = rng.randint(20, 90), rng.randint(50, 99)
        rows.append({"id": f"twin-{i}", "title": f"{m}: Sparse Attention for Long Documents",
                     "abstract": TEMPLATE.format(m=m, b=b, k=k, acc=acc), "date": "2025-01-01",
                     "model": m, "bench": b, "k": k})
    listing = tmp / "twins.jsonl"
    listing.write_text("".join(json.dumps({k: r[k] for k in ("id", "title", "abstract", "date")}) + "\n" for r in rows))
    settings = make_settings(tmp)
    Ingestor(settings, embedder=embedder).run([listing], progress=False)
    return Engine(settings, embedder=embedder).warm_up(), rows


@pytest.mark.parametrize("mode", ["hybrid", "dense", "bm25"])
def test_the_paper_named_by_its_identifier_is_the_one_cited(twins, mode):
    engine, rows = twins
    right = 0
    for r in rows:
        answer = engine.ask(f"How many iterations does {r['model']} need to converge?", mode=mode)
        if answer.citations and answer.citations[0].title.startswith(r["model"] + ":") and str(r["k"]) in answer.answer:
            right += 1
    assert right == len(rows)


def test_an_identifier_no_paper_has_changes_nothing(twins):
    from rag.question import understand
    from rag.retrieval import names_first

    engine, rows = twins
    ranked = [(f"twin-{i}", 1.0 / (i + 1)) for i in range(10)]
    unknown = understand("Does Zzyzx-9 beat the sparse model?", engine.library)
    assert names_first(engine.library, unknown, ranked, 40, unknown.filters) == ranked
    known = understand(f"Does Zzyzx-9 beat {rows[5]['model']}?", engine.library)
    named = names_first(engine.library, known, ranked, 40, known.filters, known.named)
    assert engine.library.passages([named[0][0]])[named[0][0]].record.paper.title.startswith(rows[5]["model"])


def test_a_sentence_with_a_number_its_source_lacks_is_flagged_not_cited(twins):
    engine, rows = twins
    r = rows[0]
    answer = engine.ask(f"How many iterations does {r['model']} need to converge?")
    passages = engine.library.passages([s.paper_id for s in answer.sources])
    wrong_k = r["k"] + 7
    aligned = align(f"{r['model']} converges in {wrong_k} iterations. [1]", answer.sources, passages,
                    engine.embedder.embed, DEFAULT.support_threshold)
    [sentence] = aligned.sentences
    assert sentence.unsupported and sentence.citations == [] and str(wrong_k) in sentence.missing
    right = align(f"{r['model']} converges in {r['k']} iterations. [1]", answer.sources, passages,
                  engine.embedder.embed, DEFAULT.support_threshold)
    assert not right.sentences[0].unsupported
    assert right.citations[0].title.startswith(r["model"] + ":")
    # Another model's name is a claim about another paper: flagged too.
    other = rows[1]["model"]
    swapped = align(f"{other} converges in {r['k']} iterations. [1]", answer.sources[:1], passages,
                    engine.embedder.embed, DEFAULT.support_threshold)
    assert swapped.sentences[0].unsupported

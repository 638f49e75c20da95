"""Filters apply inside the engines, before their top-k: a filtered question finds the papers that match however
many better-matching papers there are outside the filter."""

from __future__ import annotations

import json
import random

import pytest

from conftest import BUNDLED, FIXTURES, make_settings
from ingest.pipeline import Ingestor
from rag.engine import Engine

QUESTION = "What makes hypernetworks hard to train?"
ATTENTION = "Attention Is All You Need"


@pytest.fixture(scope="module")
def crowded(tmp_path_factory, embedder):
    """The bundled listing, the arXiv fixture, and 200 near-copies of the hypernetwork paper that outrank
    everything else for QUESTION."""
    from ingest.readers import read_records
    from rag.text import split_sentences

    tmp = tmp_path_factory.mktemp("crowded")
    hyper = next(p for p in read_records(BUNDLED) if getattr(p, "title", "").startswith("Magnitude Invariant"))
    sentences = split_sentences(hyper.abstract)
    rng = random.Random(0)
    listing = tmp / "crowd.jsonl"
    with open(listing, "w") as f:
        for i in range(200):
            rng.shuffle(sentences)
            f.write(json.dumps({"id": f"crowd-{i}", "title": f"Hypernetwork training study {i}",
                                "abstract": " ".join(sentences[:6]), "date": "2024-05-01",
                                "authors": "Jane Doe; Max Mustermann", "categories": ["cs.LG"]}) + "\n")
    settings = make_settings(tmp)
    Ingestor(settings, embedder=embedder).run([BUNDLED, FIXTURES / "arxiv_query.xml", listing], progress=False)
    return Engine(settings, embedder=embedder).warm_up()


def matching(engine, filters) -> set[str]:
    """Titles of the stored papers within `filters`, worked out from Chroma's records directly."""
    res = engine.library.chroma.papers.get(include=["metadatas"])
    out = set()
    for meta in res["metadatas"]:
        authors = [a.lower() for a in json.loads(meta.get("authors_json", "[]"))]
        if "author" in filters and not any(filters["author"].strip().lower() in a for a in authors):
            continue
        if "title" in filters and filters["title"].lower() not in meta["title"].lower():
            continue
        if "categories" in filters and not set(filters["categories"]) & set(meta.get("categories") or []):
            continue
        if "year_to" in filters and not (meta.get("year") and meta["year"] <= filters["year_to"]):
            continue
        out.add(meta["title"])
    return out


@pytest.mark.parametrize("mode", ["dense", "hybrid", "bm25"])
@pytest.mark.parametrize(
    "filters",
    [
        {"author": "vaswani"},
        {"author": "  AIDAN N. GO"},  # case and surrounding spaces; the dot is literal, not a regex wildcard
        {"title": "all you need"},
        {"title": "All You Need", "year_to": 2017},
        {"categories": ["cs.CL"]},
    ],
    ids=["author", "author-case", "title", "title+year", "category"],
)
def test_a_filter_finds_the_matching_papers_below_hundreds_of_better_ones(crowded, mode, filters):
    expected = matching(crowded, filters)
    assert ATTENTION in expected and len(expected) <= 5
    answer = crowded.ask(QUESTION, filters=filters, mode=mode)
    found = {s.title for s in answer.sources}
    if mode == "bm25":  # lexical search needs a shared term; every match it returns is within the filter
        assert found <= expected and ATTENTION in found
    else:
        assert found == expected


def test_unfiltered_the_crowd_comes_first(crowded):
    answer = crowded.ask(QUESTION, top_k=20)
    assert ATTENTION not in [s.title for s in answer.sources]
    assert sum(s.title.startswith("Hypernetwork training study") for s in answer.sources) >= 15


def test_a_year_range_keeps_only_papers_in_it(crowded):
    answer = crowded.ask(QUESTION, filters={"year_from": 2017, "year_to": 2018}, top_k=20, mode="dense")
    assert answer.sources and all(2017 <= s.year <= 2018 for s in answer.sources)
    assert ATTENTION in [s.title for s in answer.sources]


def test_a_filter_nothing_matches_finds_nothing(crowded):
    for mode in ("dense", "bm25", "hybrid"):
        answer = crowded.ask(QUESTION, filters={"author": "nobody-by-this-name"}, mode=mode)
        assert answer.sources == [] and answer.abstained


def test_regex_characters_in_a_filter_are_literal(crowded):
    answer = crowded.ask(QUESTION, filters={"title": ".*"}, mode="dense")
    assert answer.sources == []
    answer = crowded.ask("relevance patching circuits", filters={"title": "RelP: Faithful"}, mode="dense")
    assert [s.title for s in answer.sources][:1] == ["RelP: Faithful and Efficient Circuit Discovery via Relevance Patching"]

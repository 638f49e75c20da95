"""`ask()` over the bundled corpus with the real model, real Chroma and real BM25 (extractive generator)."""

from __future__ import annotations

import json

import pytest

from conftest import make_settings
from rag.answer import Answer
from rag.errors import EmptyIndexError, UsageError

HYPERNET = "Magnitude Invariant Parametrizations Improve Hypernetwork Learning"


def cited_titles(answer: Answer) -> list[str]:
    return [c.title for c in answer.citations]


def test_hypernetwork_question_cites_the_magnitude_paper(engine):
    answer = engine.ask("What makes hypernetworks hard to train?")
    assert not answer.abstained
    assert cited_titles(answer)[0] == HYPERNET
    evidence = " ".join(answer.citations[0].evidence)
    assert "magnitude proportionality" in evidence
    assert "[1]" in answer.answer
    assert answer.sources[0].title == HYPERNET and answer.sources[0].cited


def test_module_level_ask_returns_json_ready_dict(bundled_settings):
    import rag

    rag.reset_engine()
    try:
        d = rag.ask("What makes hypernetworks hard to train?", settings=bundled_settings).to_dict()
    finally:
        rag.reset_engine()
    assert json.loads(json.dumps(d)) == d
    for key in ("question", "answer", "abstained", "reason", "citations", "sources", "filters", "generator",
                "timings_ms"):
        assert key in d
    c = d["citations"][0]
    assert set(c) >= {"n", "paper_id", "title", "date", "year", "url", "evidence", "score"}
    assert c["n"] == 1 and c["title"] == HYPERNET and c["year"] == 2023
    assert set(d["timings_ms"]) == {"retrieve", "generate", "total"}
    assert all(set(s) >= {"paper_id", "title", "score", "cited"} for s in d["sources"])
    assert [s["cited"] for s in d["sources"]].count(True) == len(d["citations"])
    assert d["generator"] == "extractive"


def test_every_sentence_is_cited_and_only_cited_papers_are_citations(engine):
    answer = engine.ask("How does dynamic resolution with automatic patch configuration help vision-language models?")
    assert answer.sentences and all(s.citations and not s.unsupported for s in answer.sentences)
    cited_ids = {c.paper_id for c in answer.citations}
    assert cited_ids == {s.paper_id for s in answer.sources if s.cited}
    assert [c.n for c in answer.citations] == list(range(1, len(answer.citations) + 1))


@pytest.mark.parametrize(
    "question",
    [
        "Who won the 2018 World Cup?",
        "What is a good recipe for banana bread?",
        "How tall is the Eiffel Tower?",
    ],
)
def test_far_off_questions_abstain(engine, question):
    answer = engine.ask(question)
    assert answer.abstained, answer.answer
    assert answer.reason and "do not cover" in answer.reason
    assert answer.citations == [] and answer.answer.startswith("Not found")
    assert 1 <= len(answer.suggestions) <= 3


def test_where_the_code_is_is_not_evidence_unless_asked(engine):
    # A yes/no answer quoted "Preview code is available at: https://github.com/..." as its concluding sentence.
    answer = engine.ask("Does Continuum improve job completion time?")
    assert answer.citations and "github" not in answer.answer.lower() and "available at" not in answer.answer
    asked = engine.ask("Where is the code of Continuum available?")
    assert "github.com" in asked.answer


@pytest.mark.parametrize("sentence, expected", [
    ("Preview code is available at: https://github.com/Hanchenli/vllm-continuum", True),
    ("The authors release all codes in https://github.com/x/GraNet.", True),
    ("Our code and models will be publicly released.", True),
    ("The tokenizer sets a record on the leaderboard at http://lb.example report.", False),  # a claim with a link
    ("Code generation improves with the size of the model.", False),
])
def test_what_counts_as_a_sentence_about_availability(sentence, expected):
    from rag.evidence import about_availability

    assert about_availability(sentence) is expected


def test_a_filter_nothing_matches_says_so(engine):
    # It said "the closest ones, listed below, share too little of it" and listed nothing.
    from rag.filters import Filters

    answer = engine.ask("Which papers study pruning?", filters=Filters(author="Hinton"))
    assert answer.abstained and answer.suggestions == []
    assert answer.reason == "No paper in the collection matches the filter (author contains 'Hinton'): widen or clear it."


@pytest.mark.parametrize("question", ["What does ZebraFormer forecast?", "How does MegaPruner-3 prune networks?"])
def test_a_question_about_a_name_no_paper_mentions_is_not_found(engine, question):
    # Answered before from an unrelated paper on forecasting: the question names a thing the collection lacks.
    answer = engine.ask(question)
    assert answer.abstained and answer.citations == [], answer.answer
    name = question.split()[2]
    assert f"No paper in the collection mentions '{name}'." == answer.reason


@pytest.mark.parametrize("question", ["Which papers study quantum error correction?",
                                      "Are there any papers on speech recognition?"])
def test_papers_asked_for_by_a_topic_no_paper_is_about_are_not_found(engine, question):
    # Answered before with the nearest papers' sentences, as if they were about it: a debiasing paper's "correction
    # methods" and a pruning paper's "quantum-amenable" step; an associative-memory paper's "pattern recognition".
    answer = engine.ask(question)
    assert answer.abstained and answer.citations == [], answer.answer
    assert answer.reason.startswith("No paper in the collection is about what the question asks for")
    assert 1 <= len(answer.suggestions) <= 3  # the nearest papers are still offered


@pytest.mark.parametrize("question, title_start", [
    ("Is there a paper that treats classic sorting algorithms as a model of how organisms develop?", "Classical Sorting"),
    ("Which paper shows that trained networks give almost every training input its own activation pattern?",
     "Neural networks behave as hash encoders"),
])
def test_one_paper_asked_for_in_other_words_is_still_found(engine, question, title_start):
    # A question for one paper, in words of its own, is answered from the paper that fits best even when no
    # paper holds the list's words: only a question for papers in the plural says "not found" when none is about it.
    answer = engine.ask(question)
    assert not answer.abstained, answer.reason
    assert cited_titles(answer)[0].startswith(title_start), cited_titles(answer)


@pytest.mark.parametrize("question, several", [
    ("Which papers study pruning?", True),
    ("Any papers on federated learning?", True),
    ("Are there studies of scaling laws?", True),
    ("Which federated learning papers have been published since 2023?", True),
    ("Which paper studies pruning?", False),
    ("Is there a paper that uses sorting algorithms?", False),
    ("Is there work on power grids?", False),
    ("Which of them prunes whole layers?", False),
])
def test_a_question_asks_for_one_paper_or_several(question, several):
    from rag.question.kinds import asks_for_several

    assert asks_for_several(question) is several


@pytest.mark.parametrize("mode", ["hybrid", "bm25", "dense"])
def test_a_paper_named_by_its_title_name_comes_first(engine, mode):
    # "ARISE" heads a title; another paper's "barriers arise" outranked it in hybrid.
    answer = engine.ask("What is ARISE and what does it improve?", mode=mode)
    assert cited_titles(answer)[0].startswith("ARISE:"), cited_titles(answer)


def test_a_name_no_paper_mentions_beside_a_covered_question_does_not_stop_it(engine):
    # The name is a detail; the rest of the question is what the papers cover (as "V30M" in a pubmedqa-dev question).
    answer = engine.ask("How can neural networks be trained without back-propagation, as in Zorbax-7?")
    assert not answer.abstained and cited_titles(answer)[0].startswith("NoProp")


@pytest.mark.parametrize(
    "question, title_start",
    [
        ("Which method replaces local gradients in attribution patching with LRP coefficients?", "RelP"),
        ("How can a large model be trained by dividing it into modules trained independently?", "Deep Model Assembling"),
        ("What resolution can the InternLM vision-language model handle?", "InternLM-XComposer2-4KHD"),
        ("Does bottom-up hierarchical clustering recover communities better than top-down?", "When Does Bottom-up"),
        ("How can neural networks be trained without back-propagation?", "NoProp"),
    ],
)
def test_answerable_questions_do_not_abstain(engine, question, title_start):
    answer = engine.ask(question)
    assert not answer.abstained, answer.reason
    assert cited_titles(answer)[0].startswith(title_start), cited_titles(answer)


def test_date_phrase_becomes_a_filter_and_is_reported(engine):
    answer = engine.ask("Which papers since 2024 study diffusion models?")
    assert answer.filters["year_from"] == 2024 and answer.filters["phrase"] == "since 2024"
    assert answer.sources and all(s.year and s.year >= 2024 for s in answer.sources)
    assert "since 2024" not in answer.search_query
    before = engine.ask("Which papers before 2022 study network pruning?")
    assert before.filters["year_to"] == 2021
    assert all(s.year <= 2021 for s in before.sources)


@pytest.mark.parametrize(
    "question",
    [
        "Has survival of women with recurrent breast cancer improved from 1974 to 2000?",
        "Did the boycott affect polio vaccination coverage in Kenya in 2015?",
        "Which study reports that hospital stays changed between 2002 and 2007?",
    ],
)
def test_years_about_the_research_itself_are_not_a_publication_filter(question):
    from rag.question.phrases import date_phrase as parse_date_phrase

    filters, rest = parse_date_phrase(question)
    assert filters.empty and rest == question


def test_explicit_filters(engine):
    answer = engine.ask("pruning neural networks", filters={"year_from": 2023, "year_to": 2023})
    assert answer.sources and all(s.year == 2023 for s in answer.sources)
    titled = engine.ask("What does the paper find?", filters={"title": "lottery"})
    assert titled.sources and all("lottery" in s.title.lower() for s in titled.sources)
    with pytest.raises(UsageError, match="unknown filter"):
        engine.ask("pruning", filters={"yearfrom": 2020})


@pytest.mark.parametrize("mode", ["dense", "bm25", "hybrid"])
def test_each_retrieval_mode_finds_the_paper(engine, mode):
    answer = engine.ask("What makes hypernetworks hard to train?", mode=mode)
    assert answer.mode == mode
    assert answer.sources[0].title == HYPERNET


def test_one_paper_is_one_source(engine):
    answer = engine.ask("magnitude proportionality hypernetwork inputs outputs", top_k=8)
    ids = [s.paper_id for s in answer.sources]
    assert len(ids) == len(set(ids)) == 8


def test_follow_up_with_it_stays_on_the_cited_paper(engine):
    first = engine.ask("What makes hypernetworks hard to train?")
    second = engine.ask("What were its results?", history=[first])
    assert [s.title for s in second.sources] == [HYPERNET]
    assert cited_titles(second) == [HYPERNET]
    assert second.filters.get("paper_ids") == [first.citations[0].paper_id]
    assert not second.abstained


def test_follow_up_ordinal_reference_picks_that_paper(engine):
    first = engine.ask("Which papers study neural network pruning?")
    assert len(first.citations) >= 2, first.answer
    second = engine.ask("Tell me more about the second paper", history=[first.to_dict()])
    assert [s.paper_id for s in second.sources] == [first.citations[1].paper_id]


def test_follow_up_plural_reference_searches_within_the_cited_papers(engine):
    first = engine.ask("Which papers study neural network pruning?")
    cited = {c.paper_id for c in first.citations}
    second = engine.ask("And which of them use transformers?", history=[first])
    assert {s.paper_id for s in second.sources} <= cited


def test_a_new_set_of_papers_in_the_question_is_not_a_follow_up(engine):
    # "the papers on network pruning ... they" describes its own papers; after a list about neural networks it
    # was searched only inside that list, and compared papers on maths collaboration networks.
    first = engine.ask("Which papers since 2025 study neural networks?")
    second = engine.ask("Compare the papers on network pruning: how do they differ?", history=[first])
    assert second.filters.get("paper_ids") in (None, [])
    assert any("Pruning" in c.title for c in second.citations), [c.title for c in second.citations]
    third = engine.ask("Which of these papers use transformers?", history=[first])  # a real reference
    assert {s.paper_id for s in third.sources} <= {c.paper_id for c in first.citations}


def test_follow_up_without_reference_carries_the_topic(engine):
    first = engine.ask("What makes hypernetworks hard to train?")
    second = engine.ask("and what about the results?", history=[first])
    assert "hypernetworks" in second.search_query


def test_stream_yields_text_then_the_answer(engine):
    items = list(engine.ask_stream("What makes hypernetworks hard to train?"))
    assert isinstance(items[-1], Answer)
    text = "".join(i for i in items[:-1])
    assert text and "hypernetworks" in text


def test_empty_question_is_a_usage_error(engine):
    for q in ("", "   ", None):
        with pytest.raises(UsageError, match="empty"):
            engine.ask(q)
    with pytest.raises(UsageError, match="unknown retrieval mode"):
        engine.ask("pruning", mode="sparse")
    with pytest.raises(UsageError, match="unknown generator"):
        engine.ask("pruning", generator="gpt-9")


def test_missing_index_says_run_ingest_first(tmp_path, embedder):
    from rag.engine import Engine

    with pytest.raises(EmptyIndexError, match=r"run `paperrag ingest PATH\.\.\.` first"):
        Engine(make_settings(tmp_path), embedder=embedder).ask("anything?")


def test_ask_with_an_equal_settings_object_reuses_the_engine_and_its_model(bundled_settings):
    import rag

    rag.reset_engine()
    try:
        rag.ask("What makes hypernetworks hard to train?", settings=bundled_settings)
        first = rag.get_engine()
        same = bundled_settings.model_copy(deep=True)
        assert same is not bundled_settings
        rag.ask("What makes hypernetworks hard to train?", settings=same)
        assert rag.get_engine() is first and rag.get_engine().embedder is first.embedder
        other = bundled_settings.model_copy(deep=True)
        other.retrieval.top_k = 3
        assert len(rag.ask("What makes hypernetworks hard to train?", settings=other).sources) == 3
        assert rag.get_engine() is not first
    finally:
        rag.reset_engine()


@pytest.mark.parametrize("question", ["What were its results?", "Tell me more about the second paper.",
                                      "How does it work?"])
def test_a_follow_up_with_nothing_to_follow_asks_which_paper(engine, question):
    answer = engine.ask(question)
    assert answer.kind == "clarify" and answer.abstained
    assert answer.answer.startswith("Which paper do you mean?") and answer.sources == [] and answer.citations == []
    # with an earlier answer to refer to, the same question is answered about that paper
    first = engine.ask("What makes hypernetworks hard to train?")
    again = engine.ask(question, history=[first])
    assert again.kind != "clarify" and again.citations[0].paper_id == first.citations[0].paper_id


WARM_THEN_ASK = """
import json, sys
from rag.engine import Engine
from rag.settings import load_settings
engine = Engine(load_settings()).warm_up()
before = set(sys.modules)
answer = engine.ask(sys.argv[1])
print(json.dumps({"imported": sorted(set(sys.modules) - before), "cited": [c.title for c in answer.citations]}))
"""


@pytest.mark.slow
def test_after_warm_up_the_first_question_loads_nothing_for_the_first_time(bundled_settings):
    """What a server does before it listens: after `warm_up`, a first question that names things (the everyday-word
    list, the stemmer, the stopwords, the writers) imports no module, in a fresh process."""
    import subprocess
    import sys

    from conftest import ROOT, env_for

    store = bundled_settings.store.persist_dir.parent
    out = subprocess.run([sys.executable, "-c", WARM_THEN_ASK, "How does RelP compare with Attribution Patching?"],
                         env=env_for(store), capture_output=True, text=True, cwd=ROOT, timeout=300)
    assert out.returncode == 0, out.stderr[-2000:]
    found = json.loads(out.stdout.strip().splitlines()[-1])
    assert found["cited"], found
    assert found["imported"] == [], found["imported"]

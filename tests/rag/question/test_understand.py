"""Understanding a question once (rag/question): its kind, the papers it names, the filters it states, the claim it
makes and what a follow-up refers to, against the real name index of the bundled listing."""

from __future__ import annotations

import pytest

from rag.generators.base import Turn
from rag.question import understand
from rag.question.kinds import claim_text, kind_of
from rag.question.phrases import stated

D_FORMER = "D-Former: A U-shaped Dilated Transformer for 3D Medical Image Segmentation"


@pytest.fixture(scope="module")
def library(engine):
    engine.prepare()
    return engine.library


def titles(library, ids) -> list[str]:
    return [p.record.paper.title for p in library.passages(list(ids)).values()]


@pytest.mark.parametrize(
    "question, kind",
    [
        ("What is D-Former?", "definition"),
        ("Tell me about NoProp.", "definition"),
        ("What does AGLFOP stand for?", "definition"),
        ("How does RelP work?", "mechanism"),
        ("What FID does DiMR reach on ImageNet 256x256?", "number"),
        ("How many samples does the MCTED dataset contain?", "number"),
        ("Which datasets was D-Former evaluated on?", "attribute"),
        ("Why does Peri-LN suffer from vanishing gradients?", "explanation"),
        ("Does NoProp need back-propagation?", "yes-no"),
        ("According to Rethinking the Value of Network Pruning, is fine-tuning better than training from scratch?",
         "yes-no"),
        ("Inhibin: a new circulating marker of hydatidiform mole?", "yes-no"),
        ("Is it true that aspirin lowers fever?", "yes-no"),
        ("Which papers study network pruning?", "list"),
        ("Which federated learning papers are from 2022?", "list"),
        ("Anything on brain decoding from fMRI across different people?", "list"),
        ("Is there a paper that uses sorting algorithms as a model of morphogenesis?", "list"),
        ("Compare GraNet and Global MP.", "comparison"),
        ("What is the difference between AFL and FedLD?", "comparison"),
        ("How do DIMAT and EControl differ?", "comparison"),
    ],
)
def test_kind(question, kind):
    assert kind_of(question) == kind


@pytest.mark.parametrize(
    "question, title",
    [
        ("What is D-Former?", D_FORMER),  # "former" is part of a name, never "the former"
        ("What is G2GNet?", "Neuro-inspired Ensemble-to-Ensemble Communication Primitives for Sparse and Efficient ANNs"),
        ("Does EControl need a bounded-gradient assumption to converge?", "EControl: Fast Distributed Optimization "
         "with Compression and Error Control"),
        ("What is Continuum?", "Continuum: Efficient and Robust Multi-Turn LLM Agent Scheduling with KV Cache "
         "Time-to-Live"),
    ],
)
def test_a_name_resolves_to_the_paper_that_introduces_it(library, question, title):
    q = understand(question, library)
    assert titles(library, q.named) == [title]


def test_a_comparison_names_each_side(library):
    q = understand("Compare GraNet and Global MP.", library)
    assert q.kind == "comparison" and q.parts == ("GraNet", "Global MP")
    assert [t.split(":")[0] for t in titles(library, q.named)] == [
        "Sparse Training via Boosting Pruning Plasticity with Neuroregeneration",
        "Is Complexity Required for Neural Network Pruning? A Case Study on Global Magnitude Pruning"]


def test_unknown_names_and_everyday_words(library):
    assert understand("What BLEU score does T5 reach on WMT14?", library).unknown == ("BLEU", "T5", "WMT14")
    assert understand("Tell me about NoProp.", library).unknown == ()  # "Tell" is an everyday word, not a name
    assert understand("How does LoRA reduce trainable parameters?", library).unknown == ("LoRA",)
    # a name only mentioned by papers does not name them beside one a paper introduces
    assert len(understand("What FID does NoProp reach?", library).named) == 1


@pytest.mark.parametrize(
    "question, year_from, year_to, rest",
    [
        ("Which papers published in 2023 are about pruning?", 2023, 2023, "Which papers are about pruning?"),
        ("Which papers were published before 2020?", None, 2019, "Which papers?"),
        ("Which federated learning papers are from 2022?", 2022, 2022, "Which federated learning papers are?"),
        ("Which papers since 2025 study large language models?", 2025, None, "Which papers study large language models?"),
        ("Which papers from 2023 on are about pruning?", 2023, None, "Which papers are about pruning?"),
    ],
)
def test_date_phrases_are_filters_and_leave_the_search(question, year_from, year_to, rest):
    dated, _, left = stated(question)
    assert (dated.year_from, dated.year_to, left) == (year_from, year_to, rest)


def test_a_filter_alone_lists_papers(library):
    q = understand("Which papers were published before 2020?", library)
    assert q.kind == "papers" and q.listing and q.filters.year_to == 2019


@pytest.mark.parametrize(
    "question, claim",
    [
        ("Does NoProp need back-propagation?", "NoProp need back-propagation"),
        ("Is it true that aspirin lowers fever?", "aspirin lowers fever"),
        ("Measurement of head and neck paragangliomas: is volumetric analysis worth the effort?",
         "volumetric analysis worth the effort"),
        ("Why does Peri-LN suffer from vanishing gradients?", "Peri-LN suffer from vanishing gradients"),
    ],
)
def test_claim(question, claim):
    assert claim_text(question) == claim


def _turn(library, title_start: str) -> Turn:
    """An earlier answer that cited the paper whose title starts with `title_start`."""
    rows, _ = library.browse(title_start)
    pid = next(r["paper_id"] for r in rows if r["title"].startswith(title_start))
    return Turn("What is it?", "", [{"n": 1, "paper_id": pid, "title": title_start}], "what is it")


def test_follow_ups(library):
    relp = _turn(library, "RelP")
    # a new name is a new question, even after another answer
    q = understand("What is D-Former?", library, history=[relp])
    assert q.followup is None and titles(library, q.named) == [D_FORMER]
    # "they" with its own topic words still refers back ("Which model did they find scales best?")
    q = understand("Which model did they find scales best?", library, history=[relp])
    assert q.followup is not None and q.followup.paper_ids == tuple(c["paper_id"] for c in relp.cited)
    # nothing to search and nothing before: asked back
    assert understand("What were its results?", library).kind == "clarify"


@pytest.mark.parametrize("question", [
    "What were its results?", "Tell me more about the second paper", "What did they find?", "What is it?",
    "Explain this", "And the third one?", "What is the main contribution of paper 2?", "What about [2]?",
    "What are the limitations?", "How does it compare?",
])
def test_a_follow_up_with_nothing_to_follow_is_asked_back(library, question):
    assert understand(question, library).kind == "clarify"


@pytest.mark.parametrize("question", [
    "What makes hypernetworks hard to train?", "How does it compare to transformers?", "Which of them use GPUs?",
    "hello", "What were the results of RelP?", "What is D-Former?",
])
def test_a_question_with_a_topic_is_searched(library, question):
    assert understand(question, library).kind != "clarify"

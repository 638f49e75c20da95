"""Answers shaped by the question: a list of papers, a comparison table, a yes/no verdict, a fact led by the sentence
that holds it; quoted sentences read on their own. With the real engine over the bundled listing."""

from __future__ import annotations

import re

import pytest

from rag.shape import _CONNECTIVE, clean, paper_name, question_kind, verdict


@pytest.mark.parametrize(
    "question, kind",
    [
        ("Compare the papers on network pruning: how do their approaches differ?", "comparison"),
        ("How do D-Former and Hybrid guiding differ?", "comparison"),
        ("What is the difference between RelP and attribution patching?", "comparison"),
        ("Peri-LN vs Pre-LN: which is more stable?", "comparison"),
        ("How much faster inference does EScAIP achieve compared with existing potentials?", "fact"),
        ("Which papers since 2025 study neural networks?", "list"),
        ("Is there work that fine-tunes a language model for power grids?", "list"),
        ("What does each of those two say about data augmentation?", "list"),
        ("Does layer pruning reduce carbon emissions?", "yes-no"),
        ("Inhibin: a new circulating marker of hydatidiform mole?", "yes-no"),
        ("What Dice score does H2G-Net reach?", "fact"),
        ("How many topics were analysed?", "fact"),
    ],
)
def test_question_kind(question, kind):
    assert question_kind(question) == kind


@pytest.mark.parametrize(
    "sentence, expected",
    [
        ("Moreover, the method is fast.", "The method is fast."),
        ("In comparison, during-training pruning has been less explored.", "During-training pruning has been less explored."),
        ("However, moreover, it works.", "It works."),
        ("We propose a new loss.", "The authors of RelP propose a new loss."),
        ("In this work, we introduce RelP.", "The authors introduce RelP."),
        ("In this work, we study circuits.", "The authors study circuits."),
        ("Our results show that RelP is fast.", "The authors' results show that RelP is fast."),
        ("This paper presents a dataset called RelP.", "This paper presents a dataset called RelP."),
        ("We introduce RelP, a patching method.", "The authors introduce RelP, a patching method."),
        ("Our approach uses two passes.", "RelP's approach uses two passes."),
        ("This paper studies circuits, and our results hold.", "RelP studies circuits, and RelP's results hold."),
        ("Training converges slowly.", "Training converges slowly."),
    ],
)
def test_clean_makes_a_sentence_read_on_its_own(sentence, expected):
    assert clean(sentence, "RelP") == expected


def test_short_title_never_cuts_a_word():
    from rag.shape import short_title

    assert short_title("Continuum: Efficient and Robust Multi-Turn LLM Agent Scheduling") == "Continuum"
    assert short_title("Deep Residual Learning for Image Recognition") == "Deep Residual Learning for Image Recognition"
    long = "Scalable iterative pruning of large language and vision models using block coordinate descent"
    assert short_title(long) == "Scalable iterative pruning of large language and vision models using…"


def test_clean_never_inlines_a_long_title():
    long = "Neuro-inspired Ensemble-to-Ensemble Communication…"
    assert clean("We introduce a primitive.", long) == "The authors introduce a primitive."
    assert clean("Our tests pass.", long) == "The authors' tests pass."
    assert clean("This paper studies sparse codes.", long) == "This paper studies sparse codes."


def test_paper_name():
    assert paper_name("RelP: Faithful and Efficient Circuit Discovery via Relevance Patching") == "RelP"
    assert paper_name("In defense of parameter sharing for model-compression",
                      "Memory is scarce. We propose random parameter sharing (RPS) for compression.") == "RPS"
    assert paper_name("Rethinking the Value of Network Pruning and Other Long Titles") == "Rethinking the Value of Network…"
    # The name a sentence gives ("named ... (GraNet)") wins over an acronym for a part of the method.
    assert paper_name("Sparse Training via Boosting Pruning Plasticity with Neuroregeneration",
                      "We design a gradual magnitude pruning (GMP) method, named gradual pruning with zero-cost "
                      "neuroregeneration (GraNet), that advances state of the art.") == "GraNet"
    # an acronym the abstract only mentions (not one the paper introduces) is not the paper's name
    assert paper_name("Sequential coding", "Gradient Coding (GC), introduced by Tandon, is fast.") == "Sequential coding"


@pytest.mark.parametrize(
    "conclusion, expected",
    [
        ("Inhibin is a useful marker of persistent trophoblastic disease.", "Yes"),
        ("Epinephrine did not alter uterine blood flow.", "No"),
        ("There was no significant difference between the groups.", "No"),
        ("The evidence is inconclusive and further studies are needed.", "Mixed"),
        ("The drug not only lowers pressure but also improves sleep.", "Yes"),
    ],
)
def test_verdict(conclusion, expected):
    assert verdict(conclusion) == expected


@pytest.mark.parametrize(
    "question, expected",
    [
        ("Does NoProp need back-propagation?", "No"),  # the paper is "without back-propagation"
        ("Does NoProp use backpropagation?", "No"),
        ("Is NoProp back-propagation-free?", "Yes"),  # the question asks about the absence itself
        ("Does NoProp achieve superior accuracy?", "Yes"),
    ],
)
def test_verdict_reads_the_asked_thing_negated_in_the_paper(question, expected):
    conclusion = ("Our results show that NoProp is a viable learning algorithm which achieves superior accuracy, "
                  "compared to other existing back-propagation-free methods.")
    title = "NoProp: Training Neural Networks without Back-propagation or Forward-propagation"
    assert verdict(conclusion, question, title) == expected


def no_dangling_connectives(answer) -> None:
    for s in answer.sentences:
        assert not _CONNECTIVE.match(s.text), s.text
        assert not re.match(r"^(We|Our)\b", s.text), s.text


def test_a_comparison_question_gets_a_table_with_every_cell_cited(engine):
    answer = engine.ask("Compare the papers on network pruning: how do their approaches differ?")
    assert answer.kind == "comparison" and answer.table is not None
    assert answer.table["columns"] == ["Paper", "Year", "Approach", "Finding"]
    rows = answer.table["rows"]
    assert len(rows) >= 2
    for paper, year, approach, finding in rows:
        assert paper["citations"] and approach["text"] and approach["citations"]
        assert not finding["text"] or finding["citations"]
    assert answer.answer.startswith("In short, they differ in approach: ")
    summary = answer.answer.splitlines()[0]
    for row in rows:  # each paper once, by the name its row uses; a title is never repeated after itself
        name = row[0]["text"]
        assert summary.lower().count(name.rstrip("…").lower()) == 1, summary
    assert answer.to_dict()["table"] == answer.table
    no_dangling_connectives(answer)


def test_a_list_question_gets_a_list_of_papers(engine):
    answer = engine.ask("Which papers propose segmentation methods for medical images?")
    assert answer.kind == "list" and len(answer.items) >= 2
    titles = [i["title"] for i in answer.items]
    assert any(t.startswith("D-Former") for t in titles)
    assert all(i["citations"] and i["text"] for i in answer.items)
    lines = answer.answer.splitlines()
    assert lines[0] == f"The {len(answer.items)} papers that match best:"
    assert all(line.startswith("- ") and re.search(r"\[\d+\]$", line) for line in lines[1:])
    no_dangling_connectives(answer)


def test_a_yes_no_question_gets_a_verdict_and_the_conclusion(engine):
    answer = engine.ask("Does magnitude invariant parametrization make hypernetwork training more stable?")
    assert answer.kind == "yes-no" and answer.verdict in ("Yes", "No", "Mixed")
    assert re.match(rf"^{answer.verdict}, according to \[1\]\. ", answer.answer)
    assert answer.citations[0].title.startswith("Magnitude Invariant")
    assert answer.sentences and all(s.citations for s in answer.sentences)


def test_a_yes_no_question_about_something_the_paper_does_without_is_no(engine):
    answer = engine.ask("Does NoProp need back-propagation?")
    assert answer.kind == "yes-no" and answer.verdict == "No", answer.answer
    assert answer.citations[0].title.startswith("NoProp")


def test_a_fact_question_leads_with_the_sentence_holding_the_fact(engine):
    answer = engine.ask("What Dice score does the cascaded CNN with patch-wise detection and autoencoder-based "
                        "refinement reach for breast cancer tumour segmentation in whole slide images?")
    assert answer.kind == "fact"
    assert "0.933" in answer.sentences[0].text
    no_dangling_connectives(answer)


@pytest.mark.parametrize(
    "question",
    [
        "Compare the papers on network pruning: how do their approaches differ?",
        "Which papers study reinforcement learning?",
        "What makes hypernetworks hard to train?",
        "How do the federated learning papers handle heterogeneous data?",
    ],
)
def test_no_answer_sentence_starts_with_a_dangling_connective(engine, question):
    no_dangling_connectives(engine.ask(question))

"""Why a paper was retrieved, and why an answer is "not found", in plain words: a table of cases, then the real
engine on the bundled corpus."""

from __future__ import annotations

import re

import pytest

from rag.explain import (
    STRONG_SIMILARITY,
    WEAK_SIMILARITY,
    describe_filters,
    evidence_level,
    explain_answer,
    explain_source,
    not_found_reason,
    ordinal,
    question_keywords,
)

SOURCE = {"paper_id": "p", "title": "MIP", "dense_rank": 1, "bm25_rank": 3,
          "matched_terms": ["hypernetworks", "train"], "evidence": [{"text": "x", "similarity": 0.72}]}
QUESTION = "What makes hypernetworks hard to train?"


def test_question_keywords_drop_stopwords_and_question_words():
    assert question_keywords(QUESTION) == ["makes", "hypernetworks", "hard", "train"]
    assert question_keywords("") == []


@pytest.mark.parametrize("n,text", [(1, "1st"), (2, "2nd"), (3, "3rd"), (4, "4th"), (11, "11th"), (12, "12th"),
                                    (13, "13th"), (21, "21st"), (22, "22nd"), (101, "101st"), (111, "111th")])
def test_ordinal(n, text):
    assert ordinal(n) == text


@pytest.mark.parametrize("similarity,level", [
    (None, None), (0.9, "strong"), (STRONG_SIMILARITY, "strong"), (0.5, "moderate"), (WEAK_SIMILARITY, "moderate"),
    (0.2, "weak"),
])
def test_evidence_levels(similarity, level):
    assert evidence_level(similarity) == level


def test_explain_source_in_words():
    why = explain_source(SOURCE, QUESTION)
    assert why == ("It contains 2 of your 4 key words: hypernetworks, train. Search ranked it 1st by meaning and "
                   "3rd by keywords. Strong evidence: one of its sentences closely matches your question "
                   "(similarity 0.72).")


@pytest.mark.parametrize("change,mode,expected", [
    ({"bm25_rank": None}, "hybrid", "Search ranked it 1st by meaning; keyword search did not find it."),
    ({"dense_rank": None}, "hybrid", "Search ranked it 3rd by keywords; it was not among the closest by meaning."),
    ({}, "bm25", "Search ranked it 3rd by keywords (keyword search only)."),
    ({}, "dense", "Search ranked it 1st by meaning (meaning search only)."),
    ({"matched_terms": []}, "hybrid", "It contains none of your key words (found by meaning alone)."),
    ({"evidence": [{"similarity": 0.5}]}, "hybrid", "Moderate evidence: one of its sentences is on your question's "
                                                    "topic but does not state it directly (similarity 0.50)."),
    ({"evidence": [{"similarity": 0.3}]}, "hybrid", "Weak evidence: none of its sentences addresses your question "
                                                    "(similarity 0.30)."),
])
def test_explain_source_cases(change, mode, expected):
    assert expected in explain_source({**SOURCE, **change}, QUESTION, mode)


def test_key_words_count_a_compound_once_and_agree_in_number():
    from rag.explain import question_keywords

    assert question_keywords("Does NoProp need back-propagation?") == ["NoProp", "need", "back-propagation"]
    why = explain_source({"title": "T", "matched_terms": ["back-propagation"], "evidence": []},
                         "Does NoProp need back-propagation?")
    assert why.startswith("It contains 1 of your 3 key words: back-propagation.")


def test_explain_source_without_scores_says_what_it_knows():
    assert explain_source({"title": "T", "matched_terms": ["x"], "evidence": []}) == \
        "It contains 1 key word: x."


def test_describe_filters():
    assert describe_filters({}) == "" and describe_filters(None) == ""
    assert describe_filters({"year_from": 2020, "year_to": 2023}) == "years 2020–2023"
    assert describe_filters({"year_from": 2023, "year_to": 2023, "author": "Hinton"}) == \
        "year 2023; author contains “Hinton”"
    assert describe_filters({"year_to": 2019, "categories": ["cs.LG"], "paper_ids": ["a", "b"]}) == \
        "up to 2019; categories cs.LG; within 2 papers of the previous answer"


def test_not_found_reason_is_plain_words():
    jargon = {"question": "Who won the 2018 World Cup?", "abstained": True, "filters": {},
              "reason": "The papers do not cover this question: the best evidence scores 0.16, below the threshold 0.38.",
              "sources": [{"title": "Predictive-CSM", "year": 2025, "matched_terms": ["world"],
                           "evidence": [{"similarity": 0.21}]}]}
    why = not_found_reason(jargon)
    assert "0.16" not in why and "threshold" not in why and "score" not in why
    assert why == ("No paper in the collection answers this question. The closest, “Predictive-CSM” (2025), shares "
                   "only 1 of your 4 key words (world), and none of its sentences addresses your question. Try other "
                   "words for the same idea, or add papers on this topic to the collection.")
    plain = {**jargon, "reason": "None of them mentions 'Cup'."}
    assert not_found_reason(plain).startswith("None of them mentions 'Cup'. Try other words")
    filtered = {**jargon, "filters": {"year_from": 2020, "year_to": 2021, "phrase": "in 2020-2021"}}
    assert "No paper matching the filter (years 2020–2021) answers this question." in not_found_reason(filtered)
    assert not_found_reason(filtered).endswith("widen or clear it to search more.")
    assert "No paper contains any of your key words." in not_found_reason({**jargon, "sources": []})


def test_explain_a_real_answer(engine):
    answer = engine.ask(QUESTION)
    lines = explain_answer(answer)
    assert lines[0].startswith("[1] Magnitude Invariant Parametrizations Improve Hypernetwork Learning: ")
    assert "hypernetworks" in lines[0] and "1st by meaning" in lines[0] and "Strong evidence" in lines[0]
    assert len(lines) == len(answer.sources) and all(line.startswith("- ") for line in lines[1:])
    assert explain_answer(answer.to_dict()) == lines  # the JSON form explains the same


def test_explain_a_real_not_found(engine):
    answer = engine.ask("Who won the 2018 World Cup?")
    assert answer.abstained
    why = not_found_reason(answer)
    assert "threshold" not in why and not re.search(r"\d\.\d\d", why)  # no scores


def test_a_paper_the_question_names_says_so(engine):
    from rag.explain import explain_answer

    lines = explain_answer(engine.ask("What is ARISE and what does it improve?"))
    assert lines[0].startswith("[1] ARISE:") and "Your question names it" in lines[0]

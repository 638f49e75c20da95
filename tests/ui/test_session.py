"""A session's conversation as plain data: follow-ups with nothing to follow, search settings, retry."""

from __future__ import annotations

import pytest

from rag.followup import has_topic
from ui.session import answered, clarification, drop_last, message_text, search_filters

ANSWER = {"question": "What makes hypernetworks hard to train?", "citations": [{"n": 1, "paper_id": "p"}]}


@pytest.mark.parametrize("question", [
    "What were its results?", "Tell me more about the second paper", "What did they find?", "What is it?",
    "Explain this", "And the third one?", "What is the main contribution of paper 2?", "What about [2]?",
    "What are the limitations?", "How does it compare?",
])
def test_a_follow_up_with_nothing_to_follow_is_asked_back(question):
    assert not has_topic(question)
    ask_back = clarification(question, [], "Magnitude Invariant Parametrizations")
    assert ask_back.startswith("Which paper do you mean?")
    assert "“What are the results of Magnitude Invariant Parametrizations?”" in ask_back


@pytest.mark.parametrize("question", [
    "What makes hypernetworks hard to train?", "How does it compare to transformers?", "Which of them use GPUs?",
    "hello", "What were the results of RelP?",
])
def test_a_question_with_a_topic_is_searched(question):
    assert clarification(question, []) is None


def test_a_follow_up_after_an_answer_goes_to_the_engine():
    exchanges = [{"question": ANSWER["question"], "answer": ANSWER}]
    assert clarification("What were its results?", exchanges) is None
    # a failed or stopped exchange is not something to refer to
    assert clarification("What were its results?", [{"question": "q", "answer": None}]) is not None
    assert answered(exchanges + [{"question": "q", "answer": None}]) == [ANSWER]


def test_search_filters_from_the_settings_boxes():
    assert search_filters("any", "any") == ({}, [])
    assert search_filters(None, "", "  ", None) == ({}, [])
    assert search_filters("2020", 2023, " Hinton ", "graph") == (
        {"year_from": 2020, "year_to": 2023, "author": "Hinton", "title": "graph"}, [])
    filters, notes = search_filters("2025", "2020")
    assert filters == {"year_from": 2020, "year_to": 2025}
    assert notes == ["“Year from” (2025) was after “Year to” (2020): searched 2020–2025 instead."]
    filters, notes = search_filters("20x5", "0")
    assert filters == {} and notes == ["“Year from” (20x5) is not a year: searched without it."]


def test_retry_drops_the_last_exchange_and_returns_its_question():
    chat = [{"role": "user", "content": "q1"}, {"role": "assistant", "content": "a1"},
            {"role": "user", "content": "q2"}, {"role": "assistant", "content": "partial … Stopped."}]
    exchanges = [{"question": "q1", "answer": ANSWER}, {"question": "raw <q2>", "answer": None}]
    new_chat, new_exchanges, question = drop_last(chat, exchanges)
    assert new_chat == chat[:2] and new_exchanges == exchanges[:1] and question == "raw <q2>"
    assert drop_last([], []) == ([], [], None)


def test_message_text_reads_both_forms_of_a_chat_message():
    assert message_text("partial …") == "partial …"
    assert message_text([{"type": "text", "text": "partial"}, {"type": "text", "text": " …"}]) == "partial …"
    assert message_text({"text": "x"}) == "x" and message_text(None) == ""

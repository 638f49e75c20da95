"""A session's conversation as plain data: search settings, retry, the history a follow-up refers to. (A follow-up
with nothing to follow is asked back by the engine: tests/rag/question/test_understand.py, tests/ui/test_app.py.)"""

from __future__ import annotations

from ui.session import Stops, drop_last, message_text, search_filters

ANSWER = {"question": "What makes hypernetworks hard to train?", "citations": [{"n": 1, "paper_id": "p"}]}


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


def test_a_stop_marks_only_the_sessions_current_run():
    stops = Stops()
    first = stops.start("a")
    other = stops.start("b")
    stops.mark("a", "stop")
    assert first["mark"] == "stop" and other["mark"] is None
    second = stops.start("a")  # the next question starts unmarked
    assert second["mark"] is None
    stops.end("a", first)  # a finished earlier run does not drop the current one
    stops.mark("a", "clear")
    assert second["mark"] == "clear"
    stops.end("a", second)
    stops.mark("a", "stop")  # nothing running: nothing to mark, no error

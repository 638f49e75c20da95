"""The pure functions that turn an Answer dict into chat text and source cards."""

from __future__ import annotations

from ui.app import conversation_cards
from ui.render import answer_markdown, example_questions, filter_note, source_cards_html, stats_markdown

ANSWER = {
    "question": "What makes hypernetworks hard to train?",
    "answer": "Hypernetworks are hard to train. [1] Bananas <b>are</b> yellow. [unsupported]",
    "abstained": False,
    "reason": None,
    "citations": [
        {
            "n": 1, "paper_id": "title:abc", "title": "Magnitude <Invariant> Parametrizations", "date": "2023-04-15",
            "year": 2023, "url": "https://github.com/example/magnitude", "evidence": ["Hypernetworks are hard to train."],
            "score": 0.03,
        }
    ],
    "sources": [
        {"paper_id": "title:abc", "title": "Magnitude <Invariant> Parametrizations", "score": 0.03, "cited": True},
        {"paper_id": "title:def", "title": "Other paper", "score": 0.01, "cited": False, "date": "2022-01-01"},
    ],
    "sentences": [
        {"text": "Hypernetworks are hard to train.", "citations": [1], "unsupported": False, "support": 1.0},
        {"text": "Bananas <b>are</b> yellow.", "citations": [], "unsupported": True, "support": 0.1},
    ],
    "filters": {"year_from": 2023, "phrase": "since 2023"},
    "notes": [],
}


def test_markers_link_to_their_card_and_unsupported_is_flagged():
    md = answer_markdown(ANSWER, turn=2)
    assert '<a class="cite" href="#cite-2-1">[1]</a>' in md
    assert "⚠ unsupported" in md
    assert "<b>" not in md and "&lt;b&gt;are&lt;/b&gt;" in md  # model text is escaped, never rendered as HTML
    assert "Filter applied: from 2023" in md and "since 2023" in md


def test_cards_show_number_title_date_link_and_highlighted_evidence():
    html = source_cards_html(ANSWER, turn=2)
    assert 'id="cite-2-1"' in html
    assert "Magnitude &lt;Invariant&gt; Parametrizations" in html
    assert "2023-04-15" in html
    assert 'href="https://github.com/example/magnitude"' in html
    assert "<mark>Hypernetworks are hard to train.</mark>" in html
    assert "Also retrieved (1)" in html and "Other paper" in html


def test_abstained_answer_says_not_found_and_lists_nearest_papers():
    abstained = {
        "question": "Who won the 2018 World Cup?", "abstained": True, "reason": "The papers do not cover this.",
        "suggestions": [{"title": "Predictive-CSM", "date": "2025-06-02"}], "citations": [], "sources": [],
    }
    md = answer_markdown(abstained, turn=0)
    assert md.startswith("**Not found in the collection.**")
    assert "Predictive-CSM (2025-06-02)" in md
    assert "Not found" in source_cards_html(abstained, 0)


def test_conversation_cards_keep_every_turn_newest_first():
    second = {**ANSWER, "question": "What were its results?"}
    html = conversation_cards([ANSWER, second])
    assert html.index("Answer 2") < html.index("Answer 1")
    assert 'id="cite-0-1"' in html and 'id="cite-1-1"' in html
    assert "appear here" in conversation_cards([])


def test_filter_note_variants():
    assert filter_note({"filters": {}}) == ""
    assert "year 2023" in filter_note({"filters": {"year_from": 2023, "year_to": 2023}})
    assert "within 1 paper(s)" in filter_note({"filters": {"paper_ids": ["x"]}})


def test_examples_and_stats_come_from_the_collection():
    papers = [
        {"title": "RelP: Faithful Circuit Discovery", "date": "2025-08-28", "year": 2025},
        {"title": "Deep Model Assembling", "date": "2022-12-08", "year": 2022},
    ]
    qs = example_questions(papers)
    assert qs[0] == "What is RelP and what does it improve?"
    assert any("Deep Model Assembling" in q for q in qs)
    assert qs[-1] == "Which papers since 2025 study neural networks?"
    md = stats_markdown({"papers": 87, "date_range": ["2017-06-14", "2025-11-03"],
                         "embedding_model": "m"})
    assert "87 papers" in md and "2017-06-14" in md

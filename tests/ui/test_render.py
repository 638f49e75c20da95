"""The pure functions that turn answers, sources and collection facts into chat text, cards and panels.

The rendered strings are checked with a real CommonMark renderer (markdown-it, which Gradio ships) standing in for
the browser's Markdown: quoted text must come out as the same text, with no element made from it.
"""

from __future__ import annotations

import html
import re

import pytest
from markdown_it import MarkdownIt

from ui.render import (
    answer_markdown,
    clip,
    collection_overview_html,
    conversation_cards,
    example_questions,
    filter_note,
    ingest_summary_markdown,
    link,
    notice_message,
    papers_table_html,
    partial_message,
    quote,
    removal_markdown,
    removal_question,
    source_cards_html,
    source_choices,
    sources_table_html,
    stats_markdown,
    text_with_markers,
    upload_problem,
    user_message,
    with_note,
)

MD = MarkdownIt("commonmark").enable("table").enable("strikethrough")

CITATION = {
    "n": 1, "paper_id": "arxiv:2304.07645", "title": "Magnitude <Invariant> Parametrizations", "date": "2023-04-15",
    "year": 2023, "url": "https://github.com/example/magnitude", "evidence": ["Hypernetworks are hard to train."],
    "score": 0.03, "authors": ["Jose Ortiz", "John Guttag", "Adrian Dalca", "Fourth Author"],
    "arxiv_id": "2304.07645", "doi": "10.1000/xyz",
}
ANSWER = {
    "question": "What makes hypernetworks hard to train?",
    "answer": "Hypernetworks are hard to train. [1] Bananas <b>are</b> yellow. [unsupported]",
    "abstained": False,
    "reason": None,
    "kind": "fact",
    "citations": [CITATION],
    "sources": [
        {"paper_id": "arxiv:2304.07645", "title": "Magnitude <Invariant> Parametrizations", "score": 0.03,
         "cited": True, "dense_rank": 1, "bm25_rank": 2, "matched_terms": ["hypernetworks", "train"],
         "evidence": [{"text": "Hypernetworks are hard to train.", "similarity": 0.81, "score": 0.8}]},
        {"paper_id": "title:def", "title": "Other paper", "score": 0.01, "cited": False, "date": "2022-01-01",
         "url": "javascript:alert(1)", "dense_rank": 7, "bm25_rank": None, "matched_terms": [],
         "evidence": [{"text": "x", "similarity": 0.3, "score": 0.3}]},
    ],
    "sentences": [
        {"text": "Hypernetworks are hard to train.", "citations": [1], "unsupported": False, "support": 1.0},
        {"text": "Bananas <b>are</b> yellow.", "citations": [], "unsupported": True, "support": 0.1},
    ],
    "filters": {"year_from": 2023, "phrase": "since 2023"},
    "notes": [],
    "search_query": "What makes hypernetworks hard to train?",
    "mode": "hybrid",
}
ANSWER["blocks"] = [{"type": "sentences", "role": "answer", "sentences": ANSWER["sentences"]}]
HOSTILE = [
    '<img src=x onerror="alert(1)">',
    "**bold** _em_ `code` ~~gone~~ $$x^2$$",
    "![beacon](http://127.0.0.1:9911/beacon.png) and [the leaderboard](http://198.51.100.7/phish)",
    "[1]: http://198.51.100.7/ref",
    "# heading",
    "- bullet",
    "1. ordered",
    "> quote",
    "a | b | c",
    "visit www.evil.example or http://evil.example/x or mail me@evil.example",
    "<b>unclosed",
    "</div><script>alert(1)</script>",
    "tab\tand\nnewline & &amp; entity",
    "\\*escaped\\* backslash",
]


def text_of(rendered: str) -> str:
    """What a reader sees: the rendered HTML's text."""
    return " ".join(html.unescape(re.sub(r"<[^>]+>", " ", rendered)).split())


@pytest.mark.parametrize("raw", HOSTILE)
def test_quoted_text_renders_as_itself_in_markdown_and_in_html(raw):
    q = quote(raw)
    assert not re.search(r"[<>]", q)
    rendered = MD.render(q)
    assert re.findall(r"<(\w+)", rendered) == ["p"], rendered  # no element but the paragraph around it
    assert text_of(rendered) == " ".join(raw.split())
    assert html.unescape(q) == " ".join(raw.split())  # and as HTML (cards), the same text


def test_quote_keeps_ordinary_text_readable():
    assert quote("RelP: Faithful Circuit Discovery (2025). It works, mostly.") == \
        "RelP: Faithful Circuit Discovery (2025). It works, mostly."
    assert quote(None) == "" and quote(2023) == "2023"
    assert quote("a\nb", newlines=True) == "a&#10;b" and quote("a\nb") == "a b"
    assert quote("x\u202ey\x00z") == "xyz"  # bidi overrides and control characters go


def test_clip_cuts_raw_text_before_quoting_so_no_tag_stays_open():
    question = "x" * 74 + "<b>bold question</b>"
    head = quote(clip(question, 80))
    assert "<" not in head and head.endswith("…") and len(clip(question, 80)) == 80


@pytest.mark.parametrize("url", [
    "javascript:alert(1)", "JAVASCRIPT:alert(1)", " javascript:alert(1)", "data:text/html,<script>", "vbscript:x",
    "//evil.example/x", "/relative", "http://", 'https://x.org/"onmouseover="alert(1)', "https://x.org/a b",
    "https://x.org/<script>", "ftp://x.org/f", None, 42,
])
def test_links_are_http_only(url):
    out = link(url, "label <b>")
    assert "<a" not in out and out == "label &#60;b&#62;"


def test_http_links_open_in_a_new_tab_without_referrer():
    out = link("https://arxiv.org/abs/2304.07645?x=1&y=2", "arXiv:2304.07645")
    assert out == ('<a href="https://arxiv.org/abs/2304.07645?x=1&amp;y=2" target="_blank" '
                   'rel="noopener noreferrer nofollow">arXiv&#58;2304.07645</a>'.replace("&#58;", ":"))


def test_markers_link_to_their_card_and_unsupported_is_flagged():
    md = answer_markdown(ANSWER, turn=2)
    assert '<a class="cite" href="#cite-2-1">[1]</a>' in md
    assert "⚠ unsupported" in md
    assert "<b>" not in md and "&#60;b&#62;are&#60;/b&#62;" in md  # answer text is escaped, never rendered as HTML
    assert "Filter applied: from 2023" in md and "since 2023" in md


def test_answer_carries_its_plain_text_for_copy():
    md = answer_markdown(ANSWER, turn=0)
    copy = html.unescape(re.search(r'<span class="copy-text">(.*?)</span>', md).group(1))
    assert copy.startswith("Hypernetworks are hard to train. [1] Bananas <b>are</b> yellow. [unsupported]")
    assert "References\n[1] Jose Ortiz, John Guttag, Adrian Dalca, Fourth Author (2023). Magnitude <Invariant> " \
           "Parametrizations. arXiv:2304.07645. doi:10.1000/xyz. https://arxiv.org/abs/2304.07645" in copy
    assert 'class="copy-answer"' in md


def test_every_answer_shape():
    one = [ANSWER["sentences"][0]]
    base = {**ANSWER, "sentences": one}

    def shaped(kind: str, *blocks: dict) -> dict:
        return {**base, "kind": kind, "blocks": list(blocks)}

    deciding = {"type": "sentences", "role": "deciding", "sentences": one}
    verdict = {"type": "verdict", "label": "Yes", "papers": [{"n": 1, "paper_id": "p", "title": "T", "label": "Yes"}]}
    yes = answer_markdown(shaped("yes-no", verdict, deciding), 0)
    assert yes.startswith('<strong class="verdict verdict-yes">Yes</strong>, according to') and "#cite-0-1" in yes
    odd = answer_markdown(shaped("yes-no", {**verdict, "label": "<img src=x>"}, deciding), 0)
    assert "verdict-other" in odd and "<img" not in odd
    mixed = answer_markdown(shaped("yes-no", {"type": "verdict", "label": "Mixed", "papers": [
        {"n": 1, "paper_id": "p", "title": "T", "label": "Yes"}, {"n": 2, "paper_id": "q", "title": "U", "label": "No"},
        {"n": 2, "paper_id": "r", "title": "V", "label": "No"}]}), 0)
    assert "1 paper says yes" in text_of(mixed) and "2 papers say no" in text_of(mixed)  # the consensus, cited
    items = [{"paper_id": "p", "title": "T <i>", "year": 2023,
              "sentence": {"text": "It **works**.", "citations": [1], "unsupported": False}},
             {"paper_id": "q", "title": "U", "year": None,
              "sentence": {"text": "Unsure.", "citations": [], "unsupported": True}}]
    listed = answer_markdown(shaped("list", {"type": "items", "items": items, "total": 12},
                                    {"type": "notice", "kind": "more", "text": "10 more papers match.",
                                     "citations": []}), 3)
    assert listed.count("<li>") == 2 and "#cite-3-1" in listed and "(n.d.)" in listed and "⚠ unsupported" in listed
    assert "<i>" not in listed and "&#42;&#42;works&#42;&#42;" in listed and "12 papers match" in listed
    assert "10 more papers match" in listed
    shown = listed.split('<span class="copy-text">')[0]
    assert shown.count("It &#42;&#42;works") == 1  # each quoted sentence shown once
    table = {"type": "table", "columns": ["Paper", "Year", "<b>Approach</b>"],
             "rows": [[{"text": "MIP", "citations": [1]}, {"text": "2023", "citations": []},
                       {"text": "a|b", "citations": [1]}]]}
    summary = {"type": "sentences", "role": "summary", "sentences": [
        {"text": "Both concern magnitude.", "citations": [1], "unsupported": False}]}
    compared = answer_markdown(shaped("comparison", table, summary), 1)
    assert compared.count("<td>") == 3 and "<th>&#60;b&#62;Approach&#60;/b&#62;</th>" in compared
    assert "a&#124;b" in compared and 'href="#cite-1-1"' in compared
    assert "Both concern magnitude. <a" in compared
    stated = answer_markdown(shaped("not-stated", {"type": "notice", "kind": "not-stated", "text":
                                                   "The abstract of MIP does not mention GPUs.", "citations": [1]}), 0)
    assert "notice-not-stated" in stated and "does not mention GPUs" in stated and "#cite-0-1" in stated


def test_engine_text_with_markers():
    out = text_with_markers("A [1] and B [2]. C [unsupported] <b>x</b>", 4)
    assert out == ('A <a class="cite" href="#cite-4-1">[1]</a> and B <a class="cite" href="#cite-4-2">[2]</a>. C '
                   '<span class="unsupported" title="no retrieved abstract supports this sentence">⚠ unsupported'
                   "</span> &#60;b&#62;x&#60;/b&#62;")


def test_cards_show_number_title_authors_date_links_evidence_and_why():
    out = source_cards_html(ANSWER, turn=2)
    assert 'id="cite-2-1"' in out
    assert "Magnitude &#60;Invariant&#62; Parametrizations" in out
    assert "Jose Ortiz, John Guttag, Adrian Dalca et al." in out and "2023-04-15" in out
    assert 'href="https://arxiv.org/abs/2304.07645"' in out and 'href="https://doi.org/10.1000/xyz"' in out
    assert 'href="https://github.com/example/magnitude"' in out
    assert "<mark>Hypernetworks are hard to train.</mark>" in out
    why = html.unescape(re.search(r'<details class="why">.*?<p>(.*?)</p>', out).group(1))
    assert "hypernetworks, train" in why and "1st by meaning and 2nd by keywords" in why and "Strong evidence" in why
    assert "Also retrieved (1)" in out and "Other paper" in out
    assert "javascript" not in out  # the other paper's javascript: URL is not a link, nor shown


def test_abstained_answer_says_not_found_in_plain_words():
    abstained = {
        "question": "Who won the 2018 World Cup?", "abstained": True, "kind": "not-found",
        "reason": "The papers in the collection do not cover this question: the best evidence scores 0.11, below "
                  "the threshold 0.38.",
        "suggestions": [{"title": "Predictive-CSM", "date": "2025-06-02", "url": "https://arxiv.org/abs/2506.1"}],
        "citations": [], "filters": {}, "search_query": "Who won the 2018 World Cup?",
        "sources": [{"paper_id": "p", "title": "Predictive-CSM", "year": 2025, "matched_terms": ["world"],
                     "evidence": [{"text": "x", "similarity": 0.2}], "cited": False}],
    }
    md = answer_markdown(abstained, turn=0)
    assert md.startswith("<strong>Not found in the collection.</strong>")
    words = text_of(md)
    assert "threshold" not in words and "0.38" not in words and "scores" not in words
    assert "The closest, “Predictive-CSM” (2025), shares only 1 of your 4 key words (world)" in words
    assert '<a href="https://arxiv.org/abs/2506.1"' in md and "(2025-06-02)" in md
    assert "Not found" in source_cards_html(abstained, 0)


def test_conversation_cards_keep_every_answered_turn_newest_first():
    exchanges = [
        {"question": "What makes hypernetworks hard to train?", "answer": ANSWER},
        {"question": "<b>What were its results?</b>" * 10, "answer": {**ANSWER, "question": "x"}},
        {"question": "stopped", "answer": None},
    ]
    out = conversation_cards(exchanges)
    assert out.index("Q2 ·") < out.index("Q1 ·") and "Q3" not in out
    assert 'id="cite-0-1"' in out and 'id="cite-1-1"' in out
    assert "<b>" not in out
    assert "appear here" in conversation_cards([]) and "appear here" in conversation_cards([exchanges[2]])


def test_filter_note_variants():
    assert filter_note({"filters": {}}) == ""
    assert "year 2023" in filter_note({"filters": {"year_from": 2023, "year_to": 2023}})
    assert "years 2020–2023" in filter_note({"filters": {"year_from": 2020, "year_to": 2023}})
    assert "within 1 paper of the previous answer" in filter_note({"filters": {"paper_ids": ["x"]}})
    hostile = filter_note({"filters": {"author": "<img src=x>", "phrase": "*since* 2023"}})
    assert "<img" not in hostile and "&#60;img src=x&#62;" in hostile and "&#42;since&#42;" in hostile


def test_messages_from_the_app_are_quoted():
    assert user_message("<b>hi</b> **x**") == "&#60;b&#62;hi&#60;/b&#62; &#42;&#42;x&#42;&#42;"
    assert partial_message("a <i>b</i>").endswith(" …") and "<i>" not in partial_message("a <i>b</i>")
    assert notice_message("<b>boom</b>", "error") == '<span class="notice-error">⚠ &#60;b&#62;boom&#60;/b&#62;</span>'
    assert with_note("done", "Stopped. [x](y)").endswith('<small class="note">Stopped. &#91;x&#93;(y)</small>')


def test_examples_and_stats_come_from_the_collection():
    papers = [
        {"title": "RelP: Faithful Circuit Discovery", "date": "2025-08-28", "year": 2025},
        {"title": "Deep Model Assembling", "date": "2022-12-08", "year": 2022},
    ]
    qs = example_questions(papers)
    assert qs[0] == "What is RelP and what does it improve?"
    assert any("Deep Model Assembling" in q for q in qs)
    assert qs[-1] == "Which papers since 2025 study neural networks?"
    md = stats_markdown({"papers": 87, "date_range": ["2017-06-14", "2025-11-03"], "embedding_model": "m<b>"})
    assert "87 papers" in md and "2017-06-14" in md and "<b>" not in md


def test_collection_panels_quote_titles_authors_and_file_names():
    stats = {"years": {2024: 3, 2025: 6}, "sources": {"<b>evil</b>.jsonl": 2, "daily.txt": 7}, "undated_papers": 1}
    overview = collection_overview_html(stats)
    assert "<b>" not in overview and "&#60;b&#62;evil&#60;/b&#62;.jsonl" in overview
    assert 'style="width:100%"' in overview and 'style="width:50%"' in overview and "n.d." in overview
    assert overview.index("daily.txt") < overview.index("evil")  # biggest source first
    rows = [{"title": "T <script>", "authors": ["A <i>", "B", "C"], "date": "2024-01-01", "source": "s.csv"}]
    table = papers_table_html(rows, 40, 25, "query <b>")
    assert "Papers 26–26 of 40 matching “query &#60;b&#62;”" in table and "<script>" not in table
    assert "A &#60;i&#62;, B et al." in table and "<th>Authors</th>" in table
    assert "<th>Authors</th>" not in papers_table_html([{**rows[0], "authors": []}], 1, 0)
    assert "No papers match" in papers_table_html([], 0, 0, "zzz") and "are in the collection" in papers_table_html([], 0, 0)


def test_upload_messages_name_files_not_temp_paths_and_give_browser_advice():
    problem = upload_problem(
        "/tmp/gradio/3f2a/sub/notes.txt: cannot tell which format this file is in; supported formats: jsonl, csv. "
        "Name one with --format", ["/tmp/gradio"])
    assert problem.startswith("notes.txt: cannot tell") and "--format" not in problem
    assert "Give the file the extension of its format" in problem
    report = {"new": 1, "updated": 0, "unchanged": 2, "papers_in_store": 90, "file_errors": [],
              "skipped": [{"path": "/tmp/gradio/ab/x<b>.jsonl", "line": 3, "reason": "'<i>t</i>' has no abstract"}]}
    md = ingest_summary_markdown(report, ["bad.csv: no title column"], ["/tmp/gradio"])
    assert "1 new" in md and "90 papers" in md and "x&#60;b&#62;.jsonl, line 3" in md
    assert "/tmp" not in md and "<i>" not in md and "bad.csv: no title column" in md


def test_sources_panel_quotes_file_names_and_says_what_a_removal_did():
    evil = {"name": "<img src=x onerror=alert(1)>**b**.jsonl", "kind": "upload", "papers": 1,
            "first_ingested": "2025-11-10T09:15:02+00:00", "last_ingested": "2025-11-12T14:02:59+00:00", "path": None}
    daily = {"name": "daily.txt", "kind": "bundled", "papers": 87, "first_ingested": None, "last_ingested": None}
    table = sources_table_html([evil, daily])
    assert "<img" not in table and "**" not in table and "&#60;img src=x onerror=alert(1)&#62;" in table
    assert "2 sources" in table and "<td class=\"n\">87</td>" in table
    assert "2025-11-10 09:15" in table and "2025-11-12 14:02" in table and "?" in table  # not known: "?"
    assert "No sources yet" in sources_table_html([])
    # The dropdown shows plain text (Gradio renders it as text) and hands back the exact name.
    assert source_choices([evil, daily]) == [
        ("<img src=x onerror=alert(1)>**b**.jsonl — upload, 1 paper, added 2025-11-12 14:02", evil["name"]),
        ("daily.txt — bundled, 87 papers, added ?", "daily.txt"),
    ]
    for md in (removal_question(evil),
               removal_markdown({"source": evil["name"], "removed": ["a"], "kept": ["b", "c"], "papers_in_store": 9})):
        rendered = MD.render(md)
        assert "<img" not in rendered and "<strong>b</strong>" not in rendered, rendered
    assert MD.render(removal_question(evil)).count("<strong>") == 1  # only the name is bold
    said = html.unescape(removal_markdown({"source": "a.csv", "removed": ["x"], "kept": ["y"], "papers_in_store": 9}))
    assert said == "Removed a.csv: 1 paper left the collection; 1 paper stays (another source holds it) — 9 papers in " \
                   "the collection."
    assert html.unescape(removal_markdown({"source": None, "removed": ["x", "y"], "kept": [], "papers_in_store": 3})) \
        == "Removed 2 papers — 3 papers in the collection."


@pytest.mark.parametrize("evidence,expected", [
    (["We study <X>."], "<mark>We study &#60;X&#62;&#46;</mark> It *works*. Done."),
    (["It *works*."], "We study &#60;X&#62;&#46; <mark>It &#42;works&#42;&#46;</mark> Done."),
    (["Done.", "Not in it."], "We study &#60;X&#62;&#46; It &#42;works&#42;&#46; <mark>Done&#46;</mark>"),
    ([], "We study &#60;X&#62;&#46; It &#42;works&#42;&#46; Done&#46;"),
])
def test_whole_abstract_marks_the_evidence_where_it_stands(evidence, expected):
    from ui.render import abstract_html

    out = abstract_html("We study <X>. It *works*. Done.", evidence)
    assert html.unescape(out.replace("<mark>", "[").replace("</mark>", "]")) == html.unescape(
        expected.replace("<mark>", "[").replace("</mark>", "]"))
    assert out.count("<mark>") == sum(1 for e in evidence if e != "Not in it.")


def test_cards_open_to_the_whole_abstract():
    answer = {**ANSWER, "sources": [{**s, "abstract": "Intro sentence. Hypernetworks are hard to train. <img src=x>"}
                                    for s in ANSWER["sources"]]}
    out = source_cards_html(answer, turn=0)
    whole = re.search(r'<details class="abstract"><summary>Whole abstract</summary><p>(.*?)</p></details>', out)
    assert whole and "<mark>Hypernetworks are hard to train.</mark>" in whole.group(1)
    assert "<img" not in whole.group(1) and "&#60;img src=x&#62;" in whole.group(1)


def test_a_collection_row_opens_to_the_paper_with_a_scoped_question_button():
    row = {"paper_id": 'arxiv:2511.01234"><b>', "title": "A <i>title</i>", "abstract": "Body [link](http://x).",
           "arxiv_id": "2511.01234", "authors": [], "date": "2025-11-10", "source": "s.txt"}
    out = papers_table_html([row], 1, 0)
    assert '<details class="paper"><summary>A &#60;i&#62;title&#60;/i&#62;</summary>' in out
    button = re.search(r'<button type="button" class="ask-paper" data-paper-id="([^"]*)">', out)
    assert button and html.unescape(button.group(1)) == row["paper_id"]  # the id comes back whole, as data
    assert 'href="https://arxiv.org/abs/2511.01234"' in out and "<b>" not in out
    assert "<details" not in papers_table_html([{**row, "abstract": ""}], 1, 0)  # nothing to open: a plain title

"""Exports: a conversation as Markdown with numbered references, its cited papers as BibTeX, one answer as the plain
text "Copy" puts on the clipboard. Checked with real parsers (markdown-it for Markdown, bibtexparser for BibTeX)."""

from __future__ import annotations

import re

import bibtexparser
import pytest
from markdown_it import MarkdownIt

from rag.export import (
    answer_text,
    bib_escape,
    bibtex,
    bibtex_key,
    cited_papers,
    conversation_markdown,
    http_url,
    md_escape,
    paper_links,
)

MIP = {"n": 1, "paper_id": "arxiv:2304.07645", "title": "Magnitude Invariant Parametrizations Improve Hypernetwork "
       "Learning", "date": "2023-04-15", "year": 2023, "url": "https://arxiv.org/abs/2304.07645",
       "authors": ["Jose Javier Gonzalez Ortiz", "John Guttag", "Adrian Dalca"], "arxiv_id": "2304.07645",
       "doi": None, "evidence": ["Hypernetworks are hard to train."]}
RESNET = {"n": 1, "paper_id": "doi:10.1109/cvpr.2016.90", "title": "Deep Residual Learning for Image Recognition",
          "date": None, "year": 2016, "url": None, "authors": ["Kaiming He", "Xiangyu Zhang"], "arxiv_id": None,
          "doi": "10.1109/cvpr.2016.90", "evidence": ["Deeper networks are harder to train."]}
HOSTILE = {"n": 3, "paper_id": "title:x", "title": "Evil {title} with 100% $x_1$ & #tags ![i](http://198.51.100.7/i.png)",
           "date": "2024-01-01", "year": 2024, "url": "javascript:alert(1)", "authors": ["Ana } and {Bob"],
           "arxiv_id": None, "doi": None, "evidence": []}


def answer(question, citations, sentences, *, blocks=None, **extra):
    """An Answer dict as `Answer.to_dict()` makes it: its sentences in one block unless `blocks` are given."""
    blocks = blocks if blocks is not None else [{"type": "sentences", "role": "answer", "sentences": sentences}]
    return {"question": question, "answer": " ".join(s["text"] for s in sentences), "abstained": False,
            "citations": citations, "sentences": sentences, "sources": [], "kind": "fact", "blocks": blocks, **extra}


FIRST = answer("What makes hypernetworks hard to train?", [MIP], [
    {"text": "Hypernetworks are hard to train.", "citations": [1], "unsupported": False},
    {"text": "Bananas are *yellow*.", "citations": [], "unsupported": True},
])
SECOND = answer("And residual networks?", [RESNET, {**MIP, "n": 2}, HOSTILE], [
    {"text": "Deeper networks are harder to train.", "citations": [1, 2], "unsupported": False},
    {"text": "![beacon](http://127.0.0.1:9911/b.png) [click](http://198.51.100.7/) <img src=x> # not a heading",
     "citations": [3], "unsupported": False},
])


def test_references_are_numbered_across_the_conversation():
    papers, maps = cited_papers([FIRST, SECOND])
    assert [p["paper_id"] for p in papers] == ["arxiv:2304.07645", "doi:10.1109/cvpr.2016.90", "title:x"]
    assert maps == [{1: 1}, {1: 2, 2: 1, 3: 3}]


def test_conversation_markdown_has_questions_answers_and_references():
    md = conversation_markdown([FIRST, SECOND], created="2025-11-10 09:00")
    assert md.startswith("# PaperRAG conversation\n\n_Exported 2025-11-10 09:00.")
    assert "## 1. What makes hypernetworks hard to train?" in md and "## 2. And residual networks?" in md
    assert "Hypernetworks are hard to train. [1] Bananas are \\*yellow\\*. [unsupported]" in md
    assert "Deeper networks are harder to train. [2][1]" in md  # the second answer's [1] is the conversation's [2]
    refs = md.split("## References", 1)[1]
    assert "**[1]** Jose Javier Gonzalez Ortiz, John Guttag, Adrian Dalca (2023). Magnitude Invariant " \
           "Parametrizations Improve Hypernetwork Learning. arXiv:2304.07645. <https://arxiv.org/abs/2304.07645>" in refs
    assert "**[2]** Kaiming He, Xiangyu Zhang (2016). Deep Residual Learning for Image Recognition. " \
           "doi:10.1109/cvpr.2016.90. <https://doi.org/10.1109/cvpr.2016.90>" in refs
    assert "javascript" not in md


def test_quoted_text_cannot_add_images_links_html_or_headings_to_the_file():
    md = conversation_markdown([FIRST, SECOND])
    rendered = MarkdownIt("commonmark").render(md)
    links = re.findall(r'<a href="([^"]+)"', rendered)
    assert links == ["https://arxiv.org/abs/2304.07645", "https://doi.org/10.1109/cvpr.2016.90"]  # the references'
    assert "<img" not in rendered and "<em>" not in rendered
    assert rendered.count("<h2>") == 3  # two questions and References
    assert "![beacon](http://127.0.0.1:9911/b.png)" in rendered.replace("&amp;", "&")


@pytest.mark.parametrize("raw", ["**b**", "[l](u)", "![i](u)", "<b>", "# h", "- item", "1. item", "a|b", "`c`",
                                 "http://x.org", "www.x.org", "a@b.org", "$$x$$", "\\*"])
def test_md_escape_shows_text_as_itself(raw):
    rendered = MarkdownIt("commonmark").render(md_escape(raw))
    assert rendered == f"<p>{raw.replace('&', '&amp;').replace('<', '&lt;').replace('>', '&gt;')}</p>\n"


def test_shaped_answers_export_in_their_shape():
    items = [{"paper_id": "arxiv:2304.07645", "title": "MIP", "year": 2023,
              "sentence": {"text": "It scales.", "citations": [1], "unsupported": False}}]
    listed = conversation_markdown([answer("Which papers scale?", [MIP], [], kind="list",
                                           blocks=[{"type": "items", "items": items, "total": 1}])])
    assert "1 paper matches:\n- MIP (2023): It scales. [1]" in listed
    table = {"type": "table", "columns": ["Paper", "Finding"], "rows": [[{"text": "MIP", "citations": [1]},
                                                                          {"text": "a | b", "citations": [1]}]]}
    summary = {"type": "sentences", "role": "summary", "sentences": [
        {"text": "Both concern magnitude.", "citations": [1], "unsupported": False}]}
    compared = conversation_markdown([answer("Compare them", [MIP], [], kind="comparison", blocks=[table, summary])])
    assert "| Paper | Finding |\n|---|---|\n| MIP [1] | a \\| b [1] |" in compared
    assert "Both concern magnitude. [1]" in compared
    verdict = {"type": "verdict", "label": "Yes", "papers": [{"n": 1, "paper_id": "arxiv:2304.07645", "title": "MIP",
                                                              "label": "Yes"}]}
    deciding = {"type": "sentences", "role": "deciding", "sentences": FIRST["sentences"][:1]}
    said = conversation_markdown([answer("Does it?", [MIP], FIRST["sentences"][:1], kind="yes-no",
                                         blocks=[verdict, deciding])])
    assert "**Yes, according to [1].**\n\nHypernetworks are hard to train. [1]" in said
    gone = conversation_markdown([{"question": "World Cup?", "abstained": True, "kind": "not-found", "citations": [],
                                   "reason": "None of them mentions 'Cup'.", "filters": {},
                                   "suggestions": [{"title": "P", "year": 2025}]}])
    assert "Not found in the collection. None of them mentions 'Cup'." in gone and "Nearest papers: P (2025)" in gone


def test_bibtex_entries_parse_and_keep_the_text():
    bib = bibtex([FIRST, SECOND])
    entries = bibtexparser.loads(bib).entries
    assert [e["ID"] for e in entries] == ["ortiz2023magnitude", "he2016deep", "bob2024evil"]
    mip, resnet, evil = entries
    assert mip["ENTRYTYPE"] == "misc" and mip["eprint"] == "2304.07645" and mip["archiveprefix"] == "arXiv"
    assert mip["author"] == "Jose Javier Gonzalez Ortiz and John Guttag and Adrian Dalca" and mip["year"] == "2023"
    assert resnet["ENTRYTYPE"] == "article" and resnet["doi"] == "10.1109/cvpr.2016.90"
    assert resnet["url"] == "https://doi.org/10.1109/cvpr.2016.90"
    assert evil["title"] == (r"Evil \textbraceleft{}title\textbraceright{} with 100\% \$x\_1\$ \& \#tags "
                             "![i](http://198.51.100.7/i.png)")
    assert evil["author"] == r"{Ana \textbraceright{} and \textbraceleft{}Bob}"  # one person, not two
    assert "url" not in evil  # javascript: is no link


def test_bibtex_keys_are_unique_and_ascii():
    twin = {**MIP, "paper_id": "arxiv:2304.99999", "arxiv_id": "2304.99999"}
    bib = bibtex([answer("q", [MIP, {**twin, "n": 2}], [])])
    assert re.findall(r"@misc\{(\w+),", bib) == ["ortiz2023magnitude", "ortiz2023magnitudea"]
    assert bibtex_key({"title": "Über Ähnlichkeit", "authors": ["Jürgen Müller"], "year": 2020}) == "muller2020uber"
    assert bibtex_key({"title": "", "authors": []}) == "paper"
    assert bibtex([]) == ""
    assert bib_escape("a\\b~c^d") == r"a\textbackslash{}b\~{}c\^{}d"


def test_answer_text_is_plain_with_numbered_references():
    text = answer_text(FIRST)
    assert text == ("Hypernetworks are hard to train. [1] Bananas are *yellow*. [unsupported]\n\nReferences\n"
                    "[1] Jose Javier Gonzalez Ortiz, John Guttag, Adrian Dalca (2023). Magnitude Invariant "
                    "Parametrizations Improve Hypernetwork Learning. arXiv:2304.07645. https://arxiv.org/abs/2304.07645")
    assert "<" not in answer_text(SECOND).split("References")[1]


def test_answer_objects_work_as_well_as_dicts(engine):
    first = engine.ask("What makes hypernetworks hard to train?")
    md = conversation_markdown([first])
    assert "## 1. What makes hypernetworks hard to train?" in md and "**[1]**" in md
    assert "Magnitude Invariant Parametrizations Improve Hypernetwork Learning" in bibtex([first])
    assert answer_text(first).startswith(first.to_dict()["sentences"][0]["text"])


@pytest.mark.parametrize("url,ok", [
    ("https://arxiv.org/abs/1", True), ("http://x.org/a?b=1&c=%20#f", True), ("HTTPS://X.ORG", True),
    ("javascript:alert(1)", False), ("data:text/html,x", False), ("ftp://x.org", False), ("//x.org", False),
    ("https://x.org/a b", False), ('https://x.org/"><img', False), ("https://x.org/{x}", False), ("https://", False),
    (None, False), ("", False),
])
def test_http_url(url, ok):
    assert (http_url(url) is not None) == ok


def test_paper_links_prefer_arxiv_then_doi_then_landing_page():
    assert paper_links(MIP) == [("arXiv:2304.07645", "https://arxiv.org/abs/2304.07645")]  # landing = arXiv: once
    assert paper_links({**RESNET, "url": "https://github.com/x/y/"}) == [
        ("doi:10.1109/cvpr.2016.90", "https://doi.org/10.1109/cvpr.2016.90"), ("github.com/x/y", "https://github.com/x/y/")]
    hostile_doi = paper_links({"doi": '10.1/x"><img src=x>'})
    assert hostile_doi == [('doi:10.1/x"><img src=x>', "https://doi.org/10.1/x%22%3E%3Cimg%20src%3Dx%3E")]

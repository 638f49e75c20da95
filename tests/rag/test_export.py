"""Exports: a conversation as Markdown with numbered references, its cited papers as BibTeX, one answer as the plain
text "Copy" puts on the clipboard. Checked with real parsers (markdown-it for Markdown, bibtexparser for BibTeX)."""

from __future__ import annotations

import re

import bibtexparser
import pytest
from markdown_it import MarkdownIt

from rag.export import (
    answer_text,
    bib_author,
    bib_escape,
    bib_title,
    bibtex,
    bibtex_entries,
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


# ----- BibTeX ---------------------------------------------------------------------------------------------------
# What LaTeX shows for a field bib_escape / bib_title wrote: written here from LaTeX's side, not from rag.export.
_SHOWN = {r"\textbackslash{}": "\\", r"\textbraceleft{}": "{", r"\textbraceright{}": "}", r"\%": "%", r"\&": "&",
          r"\$": "$", r"\#": "#", r"\_": "_", r"\^{}": "^", r"\~{}": "~"}
_SHOWN_RE = re.compile("|".join(map(re.escape, _SHOWN)) + r"|[{}]")  # other braces only protect case


def shown(value: str) -> str:
    return _SHOWN_RE.sub(lambda m: _SHOWN.get(m.group(), ""), value)


BERT = {"paper_id": "arxiv:1810.04805", "title": "BERT: Pre-training of Deep Bidirectional Transformers for Language "
        "Understanding", "year": 2018, "authors": ["Jacob Devlin", "Ming-Wei Chang", "Kenton Lee"],
        "arxiv_id": "1810.04805v2", "categories": ["cs.CL", "cs.LG"], "url": None, "doi": None}
OLD_STYLE = {"title": "Large N Field Theories, String Theory and Gravity", "year": 1999, "date": "1999-05-25",
             "authors": ["Ofer Aharony", "Steven S. Gubser", "Juan Maldacena"], "arxiv_id": "hep-th/9905111v3",
             "categories": ["hep-th", "gr-qc"], "url": "https://arxiv.org/abs/hep-th/9905111"}
NATURE = {"title": "Highly accurate protein structure prediction with AlphaFold", "year": 2021,
          "authors": ["John Jumper", "Richard Evans"], "doi": "10.1038/s41586-021-03819-2", "journal": "Nature",
          "url": "https://www.nature.com/articles/s41586-021-03819-2"}

BIB_CASES = {
    "arXiv paper with categories: eprint without version, archivePrefix, primaryClass, arXiv url": (BERT, """\
@misc{devlin2018bert,
  title = {{BERT}: Pre-training of Deep Bidirectional Transformers for Language Understanding},
  author = {Devlin, Jacob and Chang, Ming-Wei and Lee, Kenton},
  year = {2018},
  eprint = {1810.04805},
  archivePrefix = {arXiv},
  primaryClass = {cs.CL},
  url = {https://arxiv.org/abs/1810.04805}
}
"""),
    "old-style arXiv id; a surname that is not certain stays as written": (
        {**OLD_STYLE, "authors": ["Ofer Aharony", "Steven S. Gubser", "Juan Martin Maldacena"]}, """\
@misc{aharony1999large,
  title = {Large {N} Field Theories, String Theory and Gravity},
  author = {Aharony, Ofer and Gubser, Steven S. and Juan Martin Maldacena},
  year = {1999},
  eprint = {hep-th/9905111},
  archivePrefix = {arXiv},
  primaryClass = {hep-th},
  url = {https://arxiv.org/abs/hep-th/9905111}
}
"""),
    "DOI paper: doi in its own field, the doi.org landing page not repeated as url": (RESNET, """\
@misc{he2016deep,
  title = {Deep Residual Learning for Image Recognition},
  author = {He, Kaiming and Zhang, Xiangyu},
  year = {2016},
  doi = {10.1109/cvpr.2016.90}
}
"""),
    "a journal makes an @article": (NATURE, """\
@article{jumper2021highly,
  title = {Highly accurate protein structure prediction with {AlphaFold}},
  author = {Jumper, John and Evans, Richard},
  journal = {Nature},
  year = {2021},
  doi = {10.1038/s41586-021-03819-2},
  url = {https://www.nature.com/articles/s41586-021-03819-2}
}
"""),
    "only arXiv categories become primaryClass; the id may come from paper_id": (
        {"paper_id": "arxiv:2511.01234", "title": "Towards GPT-4 Scale T5", "year": 2025, "authors": ["Ana Ruiz"],
         "categories": ["Deep Learning", "physics.comp-ph"], "url": "https://arxiv.org/abs/2511.01234v2"}, """\
@misc{ruiz2025gpt4,
  title = {Towards {GPT-4} Scale {T5}},
  author = {Ruiz, Ana},
  year = {2025},
  eprint = {2511.01234},
  archivePrefix = {arXiv},
  primaryClass = {physics.comp-ph},
  url = {https://arxiv.org/abs/2511.01234v2}
}
"""),
    "hostile text is data; a javascript: url, a malformed DOI and arXiv id are left out": (
        {**HOSTILE, "doi": "10.1/x}{", "arxiv_id": "2401.x}", "journal": "J. {of} 50% & $"}, r"""@article{bob2024evil,
  title = {Evil \textbraceleft{}title\textbraceright{} with 100\% \$x\_1\$ \& \#tags ![i](http://198.51.100.7/i.png)},
  author = {{Ana \textbraceright{} and \textbraceleft{}Bob}},
  journal = {J. \textbraceleft{}of\textbraceright{} 50\% \& \$},
  year = {2024}
}
"""),
    "nothing but a title": ({"title": "the"}, "@misc{paper,\n  title = {the}\n}\n"),
}


@pytest.mark.parametrize("paper,expected", BIB_CASES.values(), ids=BIB_CASES.keys())
def test_bibtex_entry_is_written_exactly(paper, expected):
    assert bibtex_entries([paper]) == expected


@pytest.mark.parametrize("name,expected", [
    ("Kaiming He", "He, Kaiming"),
    ("Steven S. Gubser", "Gubser, Steven S."),
    ("J. R. R. Tolkien", "Tolkien, J. R. R."),
    ("Jürgen Müller", "Müller, Jürgen"),
    ("Jose Javier Gonzalez Ortiz", "Jose Javier Gonzalez Ortiz"),  # "Gonzalez Ortiz" may be the surname
    ("Ludwig van Beethoven", "Ludwig van Beethoven"),  # BibTeX reads von parts itself
    ("Martin Luther King Jr.", "Martin Luther King Jr."),
    ("Gonzalez Ortiz, Jose Javier", "Gonzalez Ortiz, Jose Javier"),  # already surname first
    ("DeepMind", "DeepMind"),
    ("Ana } and {Bob", r"{Ana \textbraceright{} and \textbraceleft{}Bob}"),  # one person, not two
    ("Tom & Jerry_1", r"Tom \& Jerry\_1"),
])
def test_bib_author(name, expected):
    assert bib_author(name) == expected


@pytest.mark.parametrize("title,expected", [
    ("BERT: Pre-training of Deep Transformers", "{BERT}: Pre-training of Deep Transformers"),
    ("ResNet and LLaMA on 3D data with GPT-4", "{ResNet} and {LLaMA} on {3D} data with {GPT-4}"),
    ("Q-Learning as I see it", "{Q-Learning} as {I} see it"),
    ("A Simple Framework", "A Simple Framework"),  # ordinary capitals follow the style
    ("50% of {NLP}", r"50\% of \textbraceleft{}{NLP}\textbraceright{}"),
    ("line\nbreak  and   spaces", "line break and spaces"),
])
def test_bib_title_braces_acronyms_and_escapes_specials(title, expected):
    assert bib_title(title) == expected


@pytest.mark.parametrize("paper,key", [
    (MIP, "ortiz2023magnitude"),
    ({"title": "Über Ähnlichkeit", "authors": ["Jürgen Müller"], "year": 2020}, "muller2020uber"),
    ({"title": "On the Origin of Species", "authors": ["Søren Ørsted"], "date": "2025-01-02"}, "orsted2025origin"),
    ({"title": "Towards a Theory of Everything", "authors": ["Ana Ruiz"], "year": 2025}, "ruiz2025theory"),
    ({"title": "What Makes It Hard?", "authors": ["Martin Luther King Jr."], "year": 2019}, "king2019makes"),
    ({"title": "Self-Supervised Learning", "authors": ["Gonzalez Ortiz, Jose"], "year": 2021},
     "gonzalezortiz2021selfsupervised"),
    ({"title": "GPT-4 Technical Report", "authors": ["OpenAI"], "year": "20x4"}, "openaigpt4"),
    ({"title": "", "authors": []}, "paper"),
])
def test_bibtex_key(paper, key):
    assert bibtex_key(paper) == key


def test_bibtex_keys_are_unique_within_a_file():
    same = [{"title": "Deep Nets", "authors": ["Ann Smith"], "year": 2020, "arxiv_id": f"2001.0000{i}"}
            for i in range(3)]
    other = {"title": "Deep Trees", "authors": ["Bo Smith"], "year": 2020}
    bib = bibtex_entries([same[0], other, same[1], same[2]])
    assert re.findall(r"^@misc\{(\w+),", bib, re.M) == ["smith2020deep", "smith2020deepb", "smith2020deepc",
                                                         "smith2020deepd"]
    twin = {**MIP, "paper_id": "arxiv:2304.99999", "arxiv_id": "2304.99999"}
    assert re.findall(r"@misc\{(\w+),", bibtex([answer("q", [MIP, {**twin, "n": 2}], [])])) == [
        "ortiz2023magnitude", "ortiz2023magnitudeb"]
    assert bibtex([]) == ""


def test_bibtex_round_trips_through_bibtexparser():
    papers = [BERT, OLD_STYLE, RESNET, NATURE, HOSTILE, MIP]
    entries = bibtexparser.loads(bibtex_entries(papers)).entries
    got = [{k: (v if k in ("ID", "ENTRYTYPE", "doi", "url", "eprint") else shown(v)) for k, v in e.items()}
           for e in entries]
    assert got == [
        {"ENTRYTYPE": "misc", "ID": "devlin2018bert", "title": BERT["title"],
         "author": "Devlin, Jacob and Chang, Ming-Wei and Lee, Kenton", "year": "2018", "eprint": "1810.04805",
         "archiveprefix": "arXiv", "primaryclass": "cs.CL", "url": "https://arxiv.org/abs/1810.04805"},
        {"ENTRYTYPE": "misc", "ID": "aharony1999large", "title": OLD_STYLE["title"],
         "author": "Aharony, Ofer and Gubser, Steven S. and Maldacena, Juan", "year": "1999",
         "eprint": "hep-th/9905111", "archiveprefix": "arXiv", "primaryclass": "hep-th", "url": OLD_STYLE["url"]},
        {"ENTRYTYPE": "misc", "ID": "he2016deep", "title": RESNET["title"], "author": "He, Kaiming and Zhang, Xiangyu",
         "year": "2016", "doi": "10.1109/cvpr.2016.90"},
        {"ENTRYTYPE": "article", "ID": "jumper2021highly", "title": NATURE["title"],
         "author": "Jumper, John and Evans, Richard", "journal": "Nature", "year": "2021", "doi": NATURE["doi"],
         "url": NATURE["url"]},
        {"ENTRYTYPE": "misc", "ID": "bob2024evil", "title": HOSTILE["title"], "author": "Ana } and {Bob",
         "year": "2024"},
        {"ENTRYTYPE": "misc", "ID": "ortiz2023magnitude", "title": MIP["title"],
         "author": "Jose Javier Gonzalez Ortiz and Guttag, John and Dalca, Adrian", "year": "2023",
         "eprint": "2304.07645", "archiveprefix": "arXiv", "url": MIP["url"]},
    ]


@pytest.mark.parametrize("title", [
    "Evil {title} with 100% $x_1$ & #tags",
    "}}} unbalanced {{ and \\ backslash",
    "} @misc{x, title = {y}} %",
    "^~_#$&%{}\\ {BERT} \\textbf{x}",
])
def test_hostile_titles_parse_back_to_their_own_text(title):
    paper = {"title": title, "authors": ["Ann Smith"], "year": 2020}
    bib = bibtex_entries([paper, {"title": "After", "authors": ["Bo Li"], "year": 2021}])
    entries = bibtexparser.loads(bib).entries
    assert [e["ID"] for e in entries] == [bibtex_key(paper), "li2021after"]  # both entries, nothing swallowed
    assert shown(entries[0]["title"]) == title
    assert entries[1]["title"] == "After"
    depth = 0
    for c in bib:  # BibTeX's own count: every brace balances, whatever backslashes precede it
        depth += {"{": 1, "}": -1}.get(c, 0)
        assert depth >= 0
    assert depth == 0


def test_bibtex_of_a_conversation_in_reference_order():
    entries = bibtexparser.loads(bibtex([FIRST, SECOND])).entries
    assert [e["ID"] for e in entries] == ["ortiz2023magnitude", "he2016deep", "bob2024evil"]
    assert "url" not in entries[2]  # javascript: is no link
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


def test_an_answer_over_an_arxiv_snapshot_exports_eprint_and_primary_class(tmp_path, embedder):
    """From ingest to file: the arXiv ids, DOIs and categories a snapshot carries reach the BibTeX of an answer."""
    from conftest import FIXTURES, make_settings
    from ingest.pipeline import Ingestor
    from rag.engine import Engine

    settings = make_settings(tmp_path)
    Ingestor(settings, embedder=embedder).run([FIXTURES / "arxiv_snapshot.jsonl"], progress=False)
    answer = Engine(settings, embedder=embedder).ask("How are prompt diphoton production cross sections calculated?")
    assert answer.citations and answer.citations[0].categories == ["hep-ph"]
    [entry] = bibtexparser.loads(bibtex([answer.to_dict()])).entries[:1]
    assert entry["eprint"] == "0704.0001" and entry["archiveprefix"] == "arXiv" and entry["primaryclass"] == "hep-ph"
    assert entry["doi"].lower() == "10.1103/physrevd.76.013009" and "doi" not in entry.get("url", "")
    assert entry["ID"] == "balazs2007calculation", entry["ID"]

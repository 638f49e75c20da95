"""Questions that name an author ("Which papers did Kaiming He write?") search within that author's papers."""

from __future__ import annotations

import pytest

from conftest import BUNDLED, FIXTURES, make_settings
from rag.question.phrases import author_phrase as parse_author_phrase


@pytest.mark.parametrize(
    "question, author, rest",
    [
        ("Which papers did Kaiming He write?", "Kaiming He", "Which papers?"),
        ("What has Devlin written about language models?", "Devlin", "What about language models?"),
        ("List the papers by Jacob Devlin on pre-training", "Jacob Devlin", "List the papers on pre-training"),
        ("Which work written by A. B uses graphs?", "A. B", "Which work uses graphs?"),
        ("Show me papers authored by van der Berg", None, None),  # a name must start with a capital
    ],
)
def test_an_author_phrase_becomes_an_author_filter(question, author, rest):
    filters, left = parse_author_phrase(question)
    if author is None:
        assert filters.author is None and left == question
        return
    assert filters.author == author and left == rest and filters.phrase


@pytest.mark.parametrize("question", [
    "Is the pain caused by Inflammation?",  # "by" without a word about papers or writing
    "Which papers study models trained by DeepMind-style curricula?",
    "What did MRI show in these patients?",
])
def test_by_and_did_in_other_senses_are_left_alone(question):
    filters, left = parse_author_phrase(question)
    assert filters.author is None and left == question


@pytest.fixture(scope="module")
def engine(tmp_path_factory, embedder):
    from ingest.pipeline import Ingestor
    from rag.engine import Engine

    settings = make_settings(tmp_path_factory.mktemp("authors"))
    Ingestor(settings, embedder=embedder).run([BUNDLED, FIXTURES / "papers.jsonl"], progress=False)
    return Engine(settings, embedder=embedder).warm_up()


def test_which_papers_did_an_author_write_lists_them(engine):
    # It answered "not found ... none of them mentions 'write'".
    answer = engine.ask("Which papers did Kaiming He write?")
    assert not answer.abstained, answer.answer
    assert answer.kind == "papers" and [i["title"] for i in answer.items] == [
        "Deep Residual Learning for Image Recognition"]
    assert answer.filters["author"] == "Kaiming He"
    assert answer.answer.startswith("1 paper matches:\n- Deep Residual Learning for Image Recognition")


def test_the_whole_name_first_then_the_surname(engine):
    answer = engine.ask("Which papers did Xiangyu Zhang write?")  # not every Zhang
    assert answer.filters["author"] == "Xiangyu Zhang" and len(answer.items) == 1
    answer = engine.ask("Which papers did Jacob M. Devlin write?")  # no paper has that whole name
    assert answer.filters["author"] == "Devlin" and answer.items[0]["title"].startswith("BERT")


def test_an_author_and_a_topic_search_that_authors_papers_for_the_topic(engine):
    answer = engine.ask("Which papers by Devlin pre-train language representations?")
    assert answer.filters.get("author") == "Devlin"
    assert answer.citations and answer.citations[0].title.startswith("BERT")


def test_an_author_no_paper_has_is_said_plainly(engine):
    answer = engine.ask("Which papers did Zebediah Quuxley write?")
    assert answer.abstained
    assert answer.reason == ("No paper in the collection matches the filter (author contains 'Quuxley'): widen or "
                             "clear it.")

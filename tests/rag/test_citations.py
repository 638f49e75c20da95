"""Citations: a language model's text aligned to the sources (a table of cases), and the extractive writer's
structured claims checked and numbered (`check`), on real retrieved sources and the real model."""

from __future__ import annotations

import pytest

from rag.answer import AnswerSentence, NoticeBlock, PaperVerdict, SentencesBlock, VerdictBlock
from rag.citations import UNSUPPORTED_MARK, align, check, split_with_markers
from rag.tuning import DEFAULT

SUPPORT_THRESHOLD = DEFAULT.support_threshold

HYPER = "Unfortunately, existing hypernetworks are often challenging to train."
MAGNITUDE = (
    "In this work, we identify a fundamental and previously unidentified problem that contributes to the challenge "
    "of training hypernetworks: a magnitude proportionality between the inputs and outputs of the hypernetwork."
)


@pytest.mark.parametrize(
    "text, expected",
    [
        ("One claim. [1] Two claims. [2]", [("One claim.", [1]), ("Two claims.", [2])]),
        ("One claim [1]. Two claims [2, 3].", [("One claim.", [1]), ("Two claims.", [2, 3])]),
        ("One claim.[1][2] Two.", [("One claim.", [1, 2]), ("Two.", [])]),
        ("No markers at all. Still two sentences.", [("No markers at all.", []), ("Still two sentences.", [])]),
        ("Trailing marker only [4]", [("Trailing marker only", [4])]),
        ("", []),
    ],
)
def test_split_with_markers(text, expected):
    assert split_with_markers(text) == expected


@pytest.fixture(scope="module")
def retrieved(engine):
    """Sources for a question whose answer lives in the hypernetwork paper (source 1), plus others."""
    answer = engine.ask("What makes hypernetworks hard to train?", top_k=5)
    assert answer.sources[0].title.startswith("Magnitude Invariant")
    return answer.sources, engine.library.passages([s.paper_id for s in answer.sources]), engine.embedder


CASES = [
    # (answer text, expected cited source index per sentence, None = unsupported)
    pytest.param(f"{HYPER} [1]", [0], id="copied-with-right-marker"),
    pytest.param(f"{HYPER} [3]", [0], id="copied-with-wrong-marker-is-reattributed"),
    pytest.param(f"{HYPER} [9]", [0], id="marker-outside-retrieved-set-dropped"),
    pytest.param(f"{HYPER} {MAGNITUDE}", [0, 0], id="small-model-wrote-no-markers"),
    pytest.param(
        "Hypernetworks are hard to train because their outputs scale in proportion to their inputs. [1]",
        [0],
        id="faithful-paraphrase",
    ),
    pytest.param("The Eiffel Tower is 330 metres tall. [1]", [None], id="unrelated-claim-unsupported"),
    pytest.param(f"{HYPER} [1] Bananas are rich in potassium.", [0, None], id="one-of-two-unsupported"),
]


@pytest.mark.parametrize("text, expected", CASES)
def test_alignment_table(retrieved, text, expected):
    sources, index, embedder = retrieved
    aligned = align(text, sources, index, embedder.embed, SUPPORT_THRESHOLD)
    assert len(aligned.sentences) == len(expected)
    by_n = {c.n: c for c in aligned.citations}
    for sent, want in zip(aligned.sentences, expected):
        if want is None:
            assert sent.unsupported and sent.citations == [] and sent.support < SUPPORT_THRESHOLD
            assert f"{sent.text} {UNSUPPORTED_MARK}" in aligned.text
        else:
            assert not sent.unsupported
            assert [by_n[n].paper_id for n in sent.citations] == [sources[want].paper_id]
    # Only cited papers are citations, numbered 1..n in order of first use; markers match.
    assert [c.n for c in aligned.citations] == list(range(1, len(aligned.citations) + 1))
    assert "[9]" not in aligned.text and "[3]" not in aligned.text


def test_copied_sentence_supports_itself_fully(retrieved):
    sources, index, embedder = retrieved
    aligned = align(f"{MAGNITUDE} [1]", sources, index, embedder.embed, SUPPORT_THRESHOLD)
    assert aligned.sentences[0].support == pytest.approx(1.0, abs=1e-3)
    assert aligned.citations[0].evidence == [MAGNITUDE]


def test_two_supported_markers_are_both_kept(engine):
    answer = engine.ask("Which papers study neural network pruning?", top_k=5)
    s1 = answer.sources[0].evidence[0].text
    s2 = answer.sources[1].evidence[0].text
    passages = engine.library.passages([s.paper_id for s in answer.sources])
    aligned = align(f"{s1} [1] {s2} [2]", answer.sources, passages, engine.embedder.embed, SUPPORT_THRESHOLD)
    assert [c.paper_id for c in aligned.citations] == [answer.sources[0].paper_id, answer.sources[1].paper_id]
    assert aligned.text.endswith("[2]")


# ----- structured claims ------------------------------------------------------------------------------------------
def test_check_numbers_papers_by_first_use_and_confirms_each_quote(retrieved):
    sources, passages, _ = retrieved
    first, other = sources[0], sources[2]
    quote = first.evidence[0].text
    verdict = VerdictBlock("Yes", [PaperVerdict(None, other.paper_id, other.title, "Not stated"),
                                   PaperVerdict(None, first.paper_id, first.title, "Yes")])
    blocks = [
        verdict,
        NoticeBlock("not-stated", "The abstract does not say.", [other.paper_id]),
        SentencesBlock([
            AnswerSentence("Rewritten: " + quote, [], False, 0.0, paper_ids=[first.paper_id], quote=quote),
            AnswerSentence("A sentence no abstract has.", [], False, 0.0, paper_ids=[first.paper_id],
                           quote="A sentence no abstract has."),
        ]),
    ]
    citations, sentences = check(blocks, sources, passages)
    assert [c.paper_id for c in citations] == [other.paper_id, first.paper_id]  # the notice came first
    assert blocks[1].citations == [1]
    good, bad = sentences
    assert good.citations == [2] and not good.unsupported and good.support == 1.0
    assert bad.citations == [] and bad.unsupported  # a quote its paper does not hold is never cited
    assert citations[1].evidence == [quote] and citations[0].evidence == []
    assert [p.n for p in verdict.papers] == [1, 2]  # each paper by its number where the answer names it
    assert first.cited and other.cited

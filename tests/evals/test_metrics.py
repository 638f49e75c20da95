"""evals/metrics.py: exact values for small hand-worked cases, one table per metric. No model, no store."""

from __future__ import annotations

import math

import pytest

from evals.metrics import (
    SUPPORT_COSINE,
    SUPPORT_RECALL,
    citation_precision,
    citation_recall,
    hit_at,
    key_fact_recall,
    mean,
    mrr_at,
    ndcg_at,
    percentile,
    recall_at,
    rouge_l,
    supported,
    term_set,
    token_f1,
)

RANKED = ["a", "b", "c", "d"]


# ----- retrieval ------------------------------------------------------------------------------------------------
@pytest.mark.parametrize(
    "ranked, gold, k, want",
    [
        (RANKED, {"a"}, 1, 1.0),
        (RANKED, {"c"}, 2, 0.0),  # gold at rank 3, outside k=2
        (RANKED, {"c"}, 3, 1.0),
        (RANKED, {"x", "d"}, 4, 1.0),  # any gold paper counts
        (RANKED, {"x"}, 10, 0.0),
        ([], {"a"}, 5, 0.0),
    ],
)
def test_hit_at(ranked, gold, k, want):
    assert hit_at(ranked, gold, k) == want


@pytest.mark.parametrize(
    "ranked, gold, k, want",
    [
        (RANKED, {"b", "d", "x"}, 2, 1 / 3),  # b of {b, d, x}
        (RANKED, {"b", "d", "x"}, 4, 2 / 3),  # b and d
        (RANKED, {"a", "b"}, 10, 1.0),  # k beyond the list
        (["a", "a", "b"], {"a"}, 2, 1.0),  # a paper listed twice is found once
        (RANKED, set(), 5, 0.0),  # no gold: defined as 0, not a division by zero
    ],
)
def test_recall_at(ranked, gold, k, want):
    assert recall_at(ranked, gold, k) == pytest.approx(want)


@pytest.mark.parametrize(
    "ranked, gold, k, want",
    [
        (RANKED, {"a"}, 10, 1.0),
        (RANKED, {"c"}, 10, 1 / 3),
        (RANKED, {"d", "b"}, 10, 1 / 2),  # the first gold hit decides
        (RANKED, {"c"}, 2, 0.0),  # outside k
        (RANKED, {"x"}, 10, 0.0),
    ],
)
def test_mrr_at(ranked, gold, k, want):
    assert mrr_at(ranked, gold, k) == pytest.approx(want)


def test_mrr_default_depth_is_ten():
    ranked = [f"p{i}" for i in range(1, 12)]
    assert mrr_at(ranked, {"p10"}) == pytest.approx(0.1)
    assert mrr_at(ranked, {"p11"}) == 0.0


@pytest.mark.parametrize(
    "ranked, gold, k, want",
    [
        # gold at ranks 2 and 4: (1/log2 3 + 1/log2 5) / (1 + 1/log2 3) = (0.63093 + 0.43068) / 1.63093
        (["a", "g1", "b", "g2"], {"g1", "g2"}, 10, 0.650921),
        # ideal ordering of the same two papers
        (["g1", "g2", "a"], {"g1", "g2"}, 10, 1.0),
        # one gold at rank 1, but three gold papers and k=2: the ideal counts only 2 ranks -> 1 / 1.63093
        (["g1", "x"], {"g1", "g2", "g3"}, 2, 0.613147),
        # single gold at rank 3: 1/log2 4 = 0.5
        (["a", "b", "g"], {"g"}, 10, 0.5),
        (["a", "b"], {"g"}, 10, 0.0),
        (["a"], set(), 10, 0.0),  # no gold: ideal is 0, result 0
    ],
)
def test_ndcg_at(ranked, gold, k, want):
    assert ndcg_at(ranked, gold, k) == pytest.approx(want, abs=1e-6)


# ----- citations ------------------------------------------------------------------------------------------------
@pytest.mark.parametrize(
    "cited, gold, want",
    [
        (["a", "b"], {"a"}, 0.5),
        (["a", "a", "b"], {"a"}, 0.5),  # duplicates do not count twice
        (["a"], {"a", "b"}, 1.0),
        (["x", "y"], {"a"}, 0.0),
        ([], {"a"}, None),  # nothing cited: undefined, left out of means
    ],
)
def test_citation_precision(cited, gold, want):
    assert citation_precision(cited, gold) == want


@pytest.mark.parametrize(
    "cited, gold, want",
    [
        (["a"], {"a", "b"}, 0.5),
        (["a", "b", "x"], {"a", "b"}, 1.0),
        ([], {"a"}, 0.0),  # nothing cited: a miss, unlike precision
        (["a"], set(), 0.0),
    ],
)
def test_citation_recall(cited, gold, want):
    assert citation_recall(cited, gold) == want


# ----- answers --------------------------------------------------------------------------------------------------
@pytest.mark.parametrize(
    "answer, key_facts, want",
    [
        ("It handles 4K HD resolution [1].", [["4K HD", "3840 x 1600"], ["10 of the 16"]], 0.5),
        ("It scales to 3840 x 1600 pixels [1].", [["4K HD", "3840 x 1600"]], 1.0),  # the second alternative
        ("It scales to 4k hd and wins 10 OF THE 16 [1].", [["4K HD"], ["10 of the 16"]], 1.0),  # case-insensitive
        ("RELP reaches 0.956.", [["RelP", "Relevance Patching"], ["0.956"], ["Integrated Gradients"]], 2 / 3),
        ("Nothing relevant.", [["lottery ticket"]], 0.0),
        ("Any answer.", [], None),  # no key facts: undefined
    ],
)
def test_key_fact_recall(answer, key_facts, want):
    got = key_fact_recall(answer, key_facts)
    if want is None:
        assert got is None
    else:
        assert got == pytest.approx(want)


@pytest.mark.parametrize(
    "answer, reference, want",
    [
        ("The cat sat [1].", "the cat ran", 2 / 3),  # overlap {the, cat}: P = R = 2/3
        ("The model reaches 0.956 [1].", "0.956", 0.4),  # "0.956" is one token: P = 1/4, R = 1 -> 0.4
        ("a a a b", "a a", 2 / 3),  # overlap counts multiplicity: 2 -> P = 2/4, R = 1
        ("b a", "a b", 1.0),  # bag of words: order does not matter
        ("[1] [unsupported] x", "x", 1.0),  # markers are not tokens
        ("completely different", "nothing shared", 0.0),
        ("", "reference", 0.0),
    ],
)
def test_token_f1(answer, reference, want):
    assert token_f1(answer, reference) == pytest.approx(want)


@pytest.mark.parametrize(
    "answer, reference, want",
    [
        # LCS(the quick brown fox jumps | the brown dog jumps high) = the brown jumps = 3; P = R = 3/5
        ("the quick brown fox jumps", "the brown dog jumps high", 0.6),
        # LCS(a b c d e | a c e f) = a c e = 3; P = 3/5, R = 3/4 -> 2 * .6 * .75 / 1.35
        ("a b c d e [2]", "A C E F", 2 * 0.6 * 0.75 / 1.35),
        # order matters, unlike token F1: LCS(b a | a b) = 1 -> 0.5
        ("b a", "a b", 0.5),
        ("same words here", "same words here", 1.0),
        ("x y", "z", 0.0),
        ("", "z", 0.0),
    ],
)
def test_rouge_l(answer, reference, want):
    assert rouge_l(answer, reference) == pytest.approx(want)


# ----- sentence support -----------------------------------------------------------------------------------------
@pytest.mark.parametrize(
    "sentence, passage, cosine, want",
    [
        (set(), {"a"}, 0.0, True),  # nothing to support (a sentence of stopwords)
        ({"a", "b", "c", "d", "e"}, {"a", "b", "c"}, 0.5, True),  # recall exactly 0.6, cosine exactly 0.5
        ({"a", "b", "c", "d", "e"}, {"a", "b", "c"}, 0.49, False),  # cosine just below
        ({"a", "b"}, {"a"}, 0.9, False),  # recall 0.5 < 0.6, however similar
        ({"a", "b"}, {"a", "b", "z"}, 0.9, True),
        ({"a"}, set(), 1.0, False),
    ],
)
def test_supported(sentence, passage, cosine, want):
    assert supported(sentence, passage, cosine) is want


def test_support_bounds_are_the_documented_ones():
    assert (SUPPORT_RECALL, SUPPORT_COSINE) == (0.6, 0.5)


def test_term_set_stems_and_drops_stopwords():
    assert term_set("The hypernetworks are trained with training data") == {"hypernetwork", "train", "data"}
    assert term_set("") == set()


# ----- aggregation ----------------------------------------------------------------------------------------------
@pytest.mark.parametrize(
    "values, q, want",
    [
        ([], 50, 0.0),
        ([10.0], 95, 10.0),
        ([4.0, 1.0, 3.0, 2.0], 50, 2.5),  # unsorted input; position 1.5 between 2 and 3
        ([1.0, 2.0, 3.0, 4.0], 95, 3.85),  # position 2.85: 3 + 0.85 * (4 - 3)
        ([1.0, 2.0, 3.0, 4.0], 0, 1.0),
        ([1.0, 2.0, 3.0, 4.0], 100, 4.0),
        ([0.0, 10.0], 25, 2.5),
    ],
)
def test_percentile(values, q, want):
    assert percentile(values, q) == pytest.approx(want)


@pytest.mark.parametrize(
    "values, want",
    [
        ([1.0, None, 3.0], 2.0),  # None (undefined) is left out, not counted as 0
        ([0.0, 0.0, 1.0], 1 / 3),
        ([None, None], None),
        ([], None),
    ],
)
def test_mean(values, want):
    got = mean(values)
    if want is None:
        assert got is None
    else:
        assert math.isclose(got, want)


# ----- answers graded as a whole --------------------------------------------------------------------------------
def _grade(**kw):
    from evals.metrics import grade

    base = dict(expect="answer", gold=["a"], abstained=False, kind="fact", answered_verdict=None, cited=["a"],
                named="a", text="the answer")
    return grade(**{**base, **kw})


@pytest.mark.parametrize(
    "case, want",
    [
        ({}, (True, False)),
        ({"key_facts": [["4.5%"]]}, (False, False)),  # the right paper, the fact missing: not right, not wrong
        ({"key_facts": [["4.5%"]], "text": "up to 4.5% better"}, (True, False)),
        ({"cited": ["b", "a"]}, (False, False)),  # the right paper, but not the one the answer leads with
        ({"cited": ["b"]}, (False, True)),  # another paper's answer
        ({"abstained": True, "kind": "not-found", "cited": []}, (False, False)),  # a refusal is not confident
        ({"verdict": "no", "answered_verdict": "No", "kind": "yes-no"}, (True, False)),
        ({"verdict": "no", "answered_verdict": "Yes", "kind": "yes-no"}, (False, True)),
        ({"verdict": "no", "answered_verdict": "Mixed", "kind": "yes-no"}, (False, False)),
        ({"verdict": "not stated", "answered_verdict": "Not stated", "kind": "yes-no", "cited": []}, (True, False)),
        ({"verdict": "not stated", "answered_verdict": "Yes", "kind": "yes-no"}, (False, True)),
        ({"expect": "not-found", "abstained": True, "kind": "not-found", "cited": []}, (True, False)),
        ({"expect": "not-found"}, (False, True)),
        ({"expect": "not-stated", "abstained": True, "kind": "not-stated"}, (True, False)),
        ({"expect": "not-stated", "abstained": True, "kind": "not-stated", "named": "b"}, (False, False)),
        ({"expect": "not-stated"}, (False, True)),  # quoted something instead of saying the abstract lacks it
        ({"expect": "correction", "key_facts": [["without"]], "text": "it works without it"}, (True, False)),
        ({"expect": "correction", "answered_verdict": "Yes", "kind": "yes-no"}, (False, True)),
        ({"expect": "correction", "cited": ["b"]}, (False, True)),
        ({"expect": "clarify", "kind": "clarify", "abstained": True, "cited": []}, (True, False)),
        ({"gold": ["a", "b"], "exact": True, "cited": ["a", "b"]}, (True, False)),
        ({"gold": ["a", "b"], "exact": True, "cited": ["a"]}, (False, False)),  # one asked-for paper missing
        ({"gold": ["a", "b"], "exact": True, "cited": ["a", "b", "c"]}, (False, False)),  # an outsider
        ({"gold": ["a", "b"], "acceptable": ["c"], "exact": True, "cited": ["c", "a", "b"]}, (True, False)),
    ],
)
def test_grade(case, want):
    assert _grade(**case) == want


def test_verdict_labels_and_macro_f1():
    from evals.metrics import macro_f1, verdict_label

    assert [verdict_label(v) for v in ("Yes", "No", "Possibly", "Mixed", "Not stated", None)] == [
        "yes", "no", "maybe", "maybe", "not stated", None]
    pairs = [("yes", "yes"), ("yes", "no"), ("no", "no"), ("maybe", None)]
    # yes: P 1, R 1/2 -> 2/3; no: P 1/2, R 1 -> 2/3; maybe: 0
    assert macro_f1(pairs, ["yes", "no", "maybe"]) == pytest.approx((2 / 3 + 2 / 3 + 0) / 3)
    assert macro_f1([], ["yes"]) is None

"""The only rewrites made to quoted sentences (rag/write/rewrite.py), each case measured here, and the ones that
must stay as written: a rewrite that changes what a sentence says is worse than none."""

from __future__ import annotations

import pytest

from rag.write.rewrite import clean


@pytest.mark.parametrize(
    "sentence, expected",
    [
        ("Moreover, the method is fast.", "The method is fast."),
        ("In comparison, during-training pruning has been less explored.", "During-training pruning has been less explored."),
        ("However, moreover, it works.", "It works."),
        ("We propose a new loss.", "The authors propose a new loss."),
        ("In this work, we introduce RelP.", "The authors introduce RelP."),
        ("Here, we study circuits.", "The authors study circuits."),
        ("Our results show that RelP is fast.", "The authors' results show that RelP is fast."),
        ("We find that our method converges.", "The authors find that their method converges."),
        ("This paper studies circuits.", "RelP studies circuits."),
        ("This paper presents a dataset called RelP.", "This paper presents a dataset called RelP."),
        ("Training converges slowly.", "Training converges slowly."),
        ("iCBS achieves higher performance", "iCBS achieves higher performance."),  # a name keeps its case
        # cases that broke sentences before, left as written (issue 15, "Rewriting breaks sentences")
        ("In contrast to this, we introduce a new learning method named NoProp.",
         "In contrast to this, the authors introduce a new learning method named NoProp."),
        ("Two mask patches indicate values that were originally missing or were altered by us.",
         "Two mask patches indicate values that were originally missing or were altered by us."),
        ("In our experiments, we study a practical setting.", "In their experiments, the authors study a practical "
         "setting."),
        ("In that way, it offers a step forward for securing fragmented communication in real world IoT systems",
         "In that way, it offers a step forward for securing fragmented communication in real world IoT systems."),
    ],
)
def test_clean(sentence, expected):
    assert clean(sentence, "RelP") == expected


def test_a_long_title_is_never_inlined():
    long = "Neuro-inspired Ensemble-to-Ensemble Communication…"
    assert clean("This paper studies sparse codes.", long) == "This paper studies sparse codes."

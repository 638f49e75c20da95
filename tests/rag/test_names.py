"""rag/names.py: the names a paper introduces and mentions, what a sentence calls it, the abbreviations an abstract
defines. Pure functions; exact expectations on real abstracts' sentences."""

from __future__ import annotations

import pytest

from rag.names import abbreviations, display_name, introduced, key, mentioned, name_shaped, short_title


@pytest.mark.parametrize("name, expected", [("D-Former", "dformer"), ("Peri-LN", "periln"), ("Global MP", "globalmp"),
                                            ("Dale's", "dale"), ("G2GNet", "g2gnet")])
def test_key(name, expected):
    assert key(name) == expected


@pytest.mark.parametrize("token, shaped", [
    ("D-Former", True), ("RelP", True), ("iCBS", True), ("GPT-2", True), ("MCTED", True), ("NNIPs", True),
    ("Former", False), ("Continuum", False), ("3rd", False), ("10x", False), ("former", False),
])
def test_name_shaped_words_are_names_wherever_they_stand(token, shaped):
    assert name_shaped(token) is shaped


@pytest.mark.parametrize("title, abstract, names", [
    ("D-Former: A U-shaped Dilated Transformer for 3D Medical Image Segmentation",
     "Based on this design, we construct a U-shaped encoder-decoder hierarchical architecture called D-Former for "
     "3D medical image segmentation.", ["D-Former"]),
    ("Neuro-inspired Ensemble-to-Ensemble Communication Primitives for Sparse and Efficient ANNs",
     "We introduce G2GNet, a novel architecture that imposes sparse, modular connectivity.", ["G2GNet"]),
    ("Tackling Data Heterogeneity in Federated Learning via Loss Decomposition",
     "To fill this gap, we propose a novel FL method based on global loss decomposition, called FedLD, to jointly "
     "reduce these three loss terms.", ["FedLD"]),  # not "FL": "a novel FL method" only modifies a noun
    ("Data-independent Module-aware Pruning for Hierarchical Vision Transformers",
     "To solve the aforementioned issues, we have developed a Data-independent Module-Aware Pruning method (DIMAP) "
     "to compress hierarchical ViTs.", ["DIMAP"]),
    ("PI-RADS v2 Compliant Automated Segmentation of Prostate Zones",
     "This motivated us to design a dual-branch convolutional neural network (CNN), where each branch captures the "
     "representations.", []),  # a generic acronym it defines is not its name
    ("Anarchic Federated Learning", 'We consider a new FL paradigm called "Anarchic Federated Learning" (AFL) in '
     "this paper.", ["AFL"]),
])
def test_introduced_names(title, abstract, names):
    found = [n for n in introduced(title, abstract) if n != title]
    assert [n for n in found if n in names or n == title.partition(":")[0]] == found
    for n in names:
        assert n in found


def test_mentions_hold_identifiers_and_capitalised_runs():
    m = mentioned("ARISE: An Adaptive Metric", "Notably, our evaluation identifies Claude Opus as exhibiting superior "
                  "scaling characteristics compared to GPT-4.")
    assert {"ARISE", "Claude Opus", "GPT-4"} <= set(m)


@pytest.mark.parametrize("title, abstract, name", [
    ("RelP: Faithful and Efficient Circuit Discovery via Relevance Patching", "", "RelP"),
    ("Sparse Training via Boosting Pruning Plasticity with Neuroregeneration",
     "We design a novel gradual magnitude pruning (GMP) method, named gradual pruning with zero-cost "
     "neuroregeneration (GraNet), that advances state of the art.", "GraNet"),
    ("Demystifying Local and Global Fairness Trade-offs in Federated Learning",
     "This work presents an information-theoretic perspective to group fairness trade-offs in federated learning "
     "(FL) with respect to sensitive attributes.", "Demystifying Local and Global Fairness…"),
])
def test_display_name(title, abstract, name):
    assert display_name(title, abstract) == name


def test_short_title_never_cuts_a_word():
    assert short_title("Continuum: Efficient and Robust Multi-Turn LLM Agent Scheduling") == "Continuum"
    assert short_title("Deep Residual Learning for Image Recognition") == "Deep Residual Learning for Image Recognition"
    long = "Scalable iterative pruning of large language and vision models using block coordinate descent"
    assert short_title(long) == "Scalable iterative pruning of large language and vision models using…"


def test_abbreviations_an_abstract_defines():
    text = ("To evaluate the impact of patient-prosthesis mismatch (PPM) on survival and quality of life (QoL) after "
            "aortic valve replacement (AVR). We used Layer-wise Relevance Propagation (LRP). Results (n = 40) hold.")
    assert abbreviations(text) == {"PPM": "patient-prosthesis mismatch", "QoL": "quality of life",
                                   "AVR": "aortic valve replacement", "LRP": "Layer-wise Relevance Propagation"}

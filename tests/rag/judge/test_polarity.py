"""A sentence's stance on a claim (rag/judge/polarity.py), case by case: the negations issue 15 found read as Yes,
and the sentences that must stay Yes."""

from __future__ import annotations

import pytest

from rag.judge.polarity import AFFIRMS, DENIES, HEDGES, stance
from rag.question.kinds import claim_text
from rag.terms import terms


def read(question: str, sentence: str, subject: str = "", abbreviations: dict | None = None) -> str | None:
    claim = claim_text(question)
    predicate = set(terms(claim)) - set(terms(subject))
    return stance(sentence, predicate, {}, claim_text=claim, abbreviations=abbreviations).stance


@pytest.mark.parametrize(
    "question, sentence, subject",
    [
        ("Does NoProp need back-propagation?", "In contrast to this, we introduce a new learning method named NoProp, "
         "which does not rely on either forward or backwards propagation.", "NoProp"),
        ("Does EControl need a bounded-gradient assumption to converge?", "We prove fast convergence for EControl in "
         "standard strongly convex, general convex, and nonconvex settings without any additional assumptions on the "
         "problem or data heterogeneity.", "EControl"),
        ("Does Global MP require algorithm-specific hyper-parameters?", "Lastly, unlike many other SOTA techniques, "
         "Global MP does not require any additional algorithm specific hyper-parameters.", "Global MP"),
        ("Does Predictive-CSM rely on heavyweight cryptography?", "Rather than relying on heavyweight cryptography or "
         "rigid filters, this approach allows constrained devices to adapt their defenses.", "Predictive-CSM"),
        ("Is Peri-LN prone to vanishing gradients like Pre-LN and Post-LN?", "Our in-depth analysis shows that Peri-LN "
         "strikes an ideal balance in variance growth -- unlike Pre-LN and Post-LN, which are prone to vanishing "
         "gradients and massive activations.", "Peri-LN"),
        ("Can supervised-learning-based RL methods perform stitching?", "Based on this analysis, we construct new "
         "datasets, revealing that SL-based methods lack this stitching property.", ""),
        ("Does NoProp use backpropagation?", "NoProp is more efficient than other back-propagation-free methods.",
         "NoProp"),
        ("Does obesity impact the outcome of trauma in children?", "Obesity does not seem to impact the severity of "
         "injury and procedure outcomes in children.", ""),
        ("Are current guidelines sufficient?", "Current guidelines appear insufficient to ensure prompt diagnosis.", ""),
        ("Is fine-tuning a pruned model better than training it from scratch?", "Fine-tuning a pruned model only gives "
         "comparable or worse performance than training that model with randomly initialized weights.", ""),
        ("Does MindBridge need a separate model for each subject?", "We present MindBridge, that achieves "
         "cross-subject brain decoding by employing only one model.", "MindBridge"),
        ("Does PPM affect survival after AVR?", "PPM after AVR does not affect survival in patients aged 75 or more.",
         ""),
        ("Is preferential transmission of AVPR1A related to hypersexuality?", "Preferential transmission of AVPR1A to "
         "hypersexual probands was not supported.", ""),
        ("Did the trial find a difference between the arms?", "There was no significant difference between the arms.",
         ""),
        ("Can MRI stage gastric cancer?", "Our study did not prove, at present, the value of the clinical use of MRI "
         "in staging gastric cancer.", ""),
        ("Is warm-up essential for stable training?", "We find that: (1) warm-up is not essential for stable "
         "training; (2) the optimizer state drives the instability of training.", ""),
    ],
)
def test_denials(question, sentence, subject):
    assert read(question, sentence, subject) == DENIES


@pytest.mark.parametrize(
    "question, sentence, subject",
    [
        ("Does RelP need only one backward pass?", "Like attribution patching, RelP requires only two forward passes "
         "and one backward pass, maintaining computational efficiency.", "RelP"),
        ("Is NoProp back-propagation-free?", "NoProp is more efficient than other back-propagation-free methods.",
         "NoProp"),  # the question asks about the absence itself
        ("Does the drug lower pressure?", "The drug not only lowers pressure but also improves sleep.", ""),
        ("Is the gluten-free diet deficient in some nutrient?", "The gluten-free diet has minimal deficiencies, similar "
         "to those present in the diet with gluten.", ""),
        ("Do bottom-up algorithms beat top-down ones?", "Numerical experiments confirm the superiority of bottom-up "
         "algorithms over top-down algorithms.", ""),
        ("Is aneurysm repair justified for the elderly?", "We should not hesitate to offer the definitive surgery for "
         "the elderly, since aneurysm repair gave a better prognosis.", ""),
        # A list of findings: the one that holds the claim decides, not a negation in another finding that shares
        # a word with it.
        ("Is warm-up essential for stable training of transformers?", "We find that: (1) warm-up is essential for "
         "stable training; (2) the optimizer state drives the instability; (3) without an early intervention to "
         "restore stable training, the loss diverges.", ""),
    ],
)
def test_affirmations(question, sentence, subject):
    assert read(question, sentence, subject) == AFFIRMS


def test_hedges_and_silence():
    assert read("Does X improve survival?", "Whether X improves survival remains unclear.") == HEDGES
    assert read("Does X improve survival?", "The weather was fine.") is None


def test_an_abbreviation_stands_for_its_words():
    abbr = {"PPM": "patient-prosthesis mismatch"}
    assert read("Does patient-prosthesis mismatch affect survival?", "PPM does not affect survival.",
                abbreviations=abbr) == DENIES

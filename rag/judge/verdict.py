"""Verdicts from the sentence that decides them: for each paper, the sentence that best matches the claim, read for
its stance on the claim (rag/judge/polarity.py); across papers, how many support and how many contradict it.

The deciding sentence is the one that holds most of the claim's own words (its subject left out, since every
sentence of a paper is about the paper), closest in meaning, and that reports the paper's own work: a finding or
conclusion ("We prove ...", "Our results show ...", "These results suggest ...", the closing sentences) rather
than background ("Existing analyses typically rely on ...", "Previous work ...").
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from typing import TYPE_CHECKING

from rag.judge.polarity import AFFIRMS, DENIES, HEDGES, stance
from rag.names import abbreviations
from rag.terms import lexicon, terms

if TYPE_CHECKING:
    from rag.answer import Evidence, Source
    from rag.question import Query
    from rag.terms import TermIDF
    from rag.tuning import Tuning

YES, NO, POSSIBLY, MIXED, NOT_STATED = "Yes", "No", "Possibly", "Mixed", "Not stated"
# How a paper's sentences compete to decide a claim: share of the claim's words + half the cosine, then these (a
# priori, in units of that share): background is someone else's claim, the paper's own findings and its closing
# sentences are its own, a sentence naming the paper is about it.
BACKGROUND_PENALTY = 0.4
OWN_BONUS = 0.1
# An abstract's closing sentences state its conclusion: the last, second and third from the end get these.
CLOSING = (0.4, 0.25, 0.1)
SUBJECT_BONUS = 0.3
DENIAL_BONUS = 0.15
# What a study set out to do restates the question; it never decides it ("To evaluate whether ...", "We examined
# whether ...", "The aim was to ...", a question).
OBJECTIVE = re.compile(
    r"\b(whether|to (evaluate|assess|determine|investigate|examine|explore|compare|describe|test|identify|"
    r"establish|clarify|analy[sz]e|measure|study|review)|(the|our) (aim|objective|purpose|goal)s?\b|(we|this study|the "
    r"authors) (aimed|sought|set out)|was (designed|undertaken|conducted) to|\bhypothesi[sz]ed)\b|\?\s*$",
    re.I,
)
_LABEL = {AFFIRMS: YES, DENIES: NO, HEDGES: POSSIBLY}

BACKGROUND = re.compile(
    r"^(existing|previous|prior|conventional|traditional|typical|standard|classical|current|currently|recent|recently|"
    r"historically|most|many|several|some|despite|although|while)\b|\b(existing|previous|prior|conventional|traditional) (works?|methods?|approaches|studies|"
    r"analys[ie]s|literature|techniques)\b|\b(has|have) been (widely|extensively|commonly)\b|\bit is (widely|"
    r"commonly|often) (believed|assumed|thought)\b|\b(typically|usually|commonly|often) (rely|relies|assume|"
    r"require|use)\b",
    re.I,
)
_OWN = re.compile(
    r"\b(we|our|this (paper|work|study)|the (proposed|present) (method|approach|framework|model|study)|"
    r"results? (show|shows|demonstrate|suggest|indicate|confirm|reveal)|these (results|findings|data)|"
    r"(we|our) (find|found|show|prove|demonstrate|observe|conclude)|in conclusion|in summary|overall|"
    r"suggest|conclude|indicat|demonstrat|found|showed|revealed)\w*",
    re.I,
)


@dataclass
class PaperStance:
    source: int  # index into the sources
    label: str  # Yes | No | Possibly | Not stated
    sentence: "Evidence | None" = None  # the deciding sentence
    covered: float = 0.0  # share of the claim's words it holds
    why: str = ""


# Verbs that carry little of a claim ("Does X need Y?": Y says what is claimed): a quarter of their IDF weight.
_LIGHT_WORDS = (
    "need needs require requires use uses rely relies depend depends have has make makes perform performs get help "
    "helps allow allows enable enables involve involves include includes lead leads work works play plays take "
    "takes give gives able can could"
)


def predicate(query: "Query", idf: "TermIDF") -> set[str]:
    """The claim's own words: its terms (joined compounds no paper has left out) without those of the papers it
    names."""
    claim = query.claim
    if claim is None:
        return set()
    words = idf.question_terms(claim.text)
    rest = words - set(claim.subject)
    return rest or words


def weights(words: set[str], idf: "TermIDF") -> dict[str, float]:
    return {w: idf.get(w, 1.0) * (0.25 if w in lexicon(_LIGHT_WORDS) else 1.0) for w in words}


def paper_stance(query: "Query", src: "Source", index: int, idf: "TermIDF", t: "Tuning") -> PaperStance:
    """The paper's stance on the question's claim, from its deciding sentence."""
    claim = query.claim
    words = predicate(query, idf)
    if claim is None or not words or not src.evidence:
        return PaperStance(index, NOT_STATED)
    weighted = weights(words, idf)
    subject = set(claim.subject)
    ordered = [e for e in sorted(src.evidence, key=lambda e: e.start) if not OBJECTIVE.search(e.text)]
    closing = {id(e): CLOSING[k] for k, e in enumerate(reversed(ordered)) if k < len(CLOSING)}
    best: tuple[float, PaperStance] | None = None
    for e in src.evidence:
        st = stance(e.text, words, weighted, claim_text=claim.text, abbreviations=abbreviations(src.abstract))
        if st.stance is None:
            continue
        score = st.covered + 0.5 * e.similarity + closing.get(id(e), 0.0)
        if BACKGROUND.search(e.text) or OBJECTIVE.search(e.text):
            score -= BACKGROUND_PENALTY
        elif _OWN.search(e.text):
            score += OWN_BONUS
        if subject and subject & set(terms(e.text)):  # "We prove fast convergence for EControl ...": about it
            score += SUBJECT_BONUS
        if st.stance == DENIES:  # a sentence that contradicts the claim says more about it than one that echoes it
            score += DENIAL_BONUS
        if best is None or score > best[0]:
            best = (score, PaperStance(index, _LABEL[st.stance], e, st.covered, st.why))
    if best is None or best[1].covered < t.stated_cover:
        return PaperStance(index, NOT_STATED, best[1].sentence if best else src.evidence[0],
                           best[1].covered if best else 0.0)
    result = best[1]
    if claim.negated and result.label in (YES, NO):  # "Is X not Y?" answered by "X is Y" is No
        result.label = NO if result.label == YES else YES
    return result


def consensus(stances: list[PaperStance]) -> str:
    """The verdict over the papers that speak to the claim: theirs when they agree, Mixed when some say Yes and
    others No, Not stated when none speaks to it."""
    said = [s.label for s in stances if s.label != NOT_STATED]
    if not said:
        return NOT_STATED
    if YES in said and NO in said:
        return MIXED
    return said[0]

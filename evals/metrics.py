"""Offline, deterministic metrics. Each function's docstring is its definition.

Retrieval metrics compare the ranked source paper ids with the gold ids. Citation metrics compare the cited
paper ids with the gold ids, plus a sentence-level support check in the spirit of ALCE (see `supported`).
Answer metrics compare the answer text with the key facts and the reference answer.
"""

from __future__ import annotations

import math
import re
from collections import Counter
from typing import Sequence

from rag.terms import terms


def hit_at(ranked: Sequence[str], gold: set[str], k: int) -> float:
    """1 if any gold paper is among the first k ranked papers, else 0."""
    return float(any(p in gold for p in ranked[:k]))


def recall_at(ranked: Sequence[str], gold: set[str], k: int) -> float:
    """Share of the gold papers found among the first k ranked papers."""
    return len(set(ranked[:k]) & gold) / len(gold) if gold else 0.0


def mrr_at(ranked: Sequence[str], gold: set[str], k: int = 10) -> float:
    """1 / rank of the first gold paper within the first k (0 when none)."""
    for i, p in enumerate(ranked[:k], start=1):
        if p in gold:
            return 1.0 / i
    return 0.0


def ndcg_at(ranked: Sequence[str], gold: set[str], k: int = 10) -> float:
    """Binary-relevance nDCG: sum over gold hits of 1/log2(rank+1), divided by the ideal ordering's sum.
    A paper listed twice counts once, at its first rank."""
    ranked = list(dict.fromkeys(ranked))
    dcg = sum(1.0 / math.log2(i + 1) for i, p in enumerate(ranked[:k], start=1) if p in gold)
    ideal = sum(1.0 / math.log2(i + 1) for i in range(1, min(len(gold), k) + 1))
    return dcg / ideal if ideal else 0.0


def citation_precision(cited: Sequence[str], gold: set[str]) -> float | None:
    """Share of cited papers that are gold (None when nothing is cited)."""
    return len(set(cited) & gold) / len(set(cited)) if cited else None


def citation_recall(cited: Sequence[str], gold: set[str]) -> float:
    """Share of gold papers that are cited."""
    return len(set(cited) & gold) / len(gold) if gold else 0.0


def key_fact_recall(answer: str, key_facts: Sequence[Sequence[str]]) -> float | None:
    """Share of key facts with at least one acceptable form in the answer (case-insensitive substring)."""
    if not key_facts:
        return None
    low = answer.lower()
    return sum(any(alt.lower() in low for alt in alts) for alts in key_facts) / len(key_facts)


_TOKEN = re.compile(r"[a-z0-9]+(?:\.[0-9]+)?")


def _tokens(text: str) -> list[str]:
    return _TOKEN.findall(re.sub(r"\[\d+\]|\[unsupported\]", " ", text.lower()))


def token_f1(answer: str, reference: str) -> float:
    """SQuAD-style F1 over lowercase word tokens (citation markers removed)."""
    a, r = _tokens(answer), _tokens(reference)
    overlap = sum((Counter(a) & Counter(r)).values())
    if overlap == 0:
        return 0.0
    p, rec = overlap / len(a), overlap / len(r)
    return 2 * p * rec / (p + rec)


def rouge_l(answer: str, reference: str) -> float:
    """ROUGE-L F1: longest common subsequence of word tokens (markers removed), F-measure with beta = 1."""
    a, r = _tokens(answer), _tokens(reference)
    if not a or not r:
        return 0.0
    prev = [0] * (len(r) + 1)
    for x in a:
        cur = [0]
        for j, y in enumerate(r, start=1):
            cur.append(prev[j - 1] + 1 if x == y else max(prev[j], cur[j - 1]))
        prev = cur
    lcs = prev[-1]
    if lcs == 0:
        return 0.0
    p, rec = lcs / len(a), lcs / len(r)
    return 2 * p * rec / (p + rec)


# Sentence support, the offline stand-in for ALCE's NLI judge. A sentence is supported by a set of passages when
# BOTH hold: at least SUPPORT_RECALL of its content terms (stemmed, stopwords removed) occur in the passages, and
# its embedding cosine with the closest passage sentence is at least SUPPORT_COSINE. This is stricter than the
# system's own alignment (which averages the two signals), so the check is not the system grading itself.
SUPPORT_RECALL = 0.6
SUPPORT_COSINE = 0.5


def supported(sentence_terms: set[str], passage_terms: set[str], best_cosine: float) -> bool:
    if not sentence_terms:
        return True
    recall = len(sentence_terms & passage_terms) / len(sentence_terms)
    return recall >= SUPPORT_RECALL and best_cosine >= SUPPORT_COSINE


def term_set(text: str) -> set[str]:
    return set(terms(text))


def percentile(values: Sequence[float], q: float) -> float:
    """Linear-interpolated percentile, q in 0..100."""
    if not values:
        return 0.0
    xs = sorted(values)
    pos = (len(xs) - 1) * q / 100
    lo, hi = math.floor(pos), math.ceil(pos)
    return xs[lo] + (xs[hi] - xs[lo]) * (pos - lo)


def mean(values: Sequence[float | None]) -> float | None:
    xs = [v for v in values if v is not None]
    return sum(xs) / len(xs) if xs else None


# ----- answers graded as a whole ----------------------------------------------------------------------------------
# A researcher reads an answer as right or wrong, not as a set of overlaps. `grade` says whether an answer is fully
# right and whether it is confidently wrong (an answer given with citations that a reader would believe and that is
# false: a wrong yes/no verdict, a fact from papers other than the one that answers, a "not found"-worthy question
# answered anyway, a false premise confirmed). A refusal or a hedge is neither right nor confidently wrong.
VERDICT_CLASSES = {"yes": "yes", "no": "no", "possibly": "maybe", "mixed": "maybe", "maybe": "maybe",
                   "not stated": "not stated"}


def verdict_label(verdict: str | None) -> str | None:
    """An answer's verdict as a data set's label: Yes, No, Possibly / Mixed (maybe), Not stated."""
    return VERDICT_CLASSES.get((verdict or "").strip().lower()) if verdict else None


def grade(
    *,
    expect: str,
    gold: Sequence[str],
    acceptable: Sequence[str] = (),
    exact: bool = False,
    verdict: str | None = None,
    key_facts: Sequence[Sequence[str]] = (),
    abstained: bool,
    kind: str,
    answered_verdict: str | None,
    cited: Sequence[str],
    named: str | None,
    text: str,
) -> tuple[bool, bool]:
    """(fully right, confidently wrong) of one answer.

    expect answer: not abstained; the first cited paper is gold; every key fact present; the verdict (if the item
      has one) equal to the gold verdict; with `exact`, every gold paper cited and none outside gold + acceptable.
      Confidently wrong: a yes/no verdict opposite to the gold one (or Yes/No where the gold says "not stated"),
      or an answer that cites none of the gold papers.
    expect not-found: right when abstained; confidently wrong when answered.
    expect not-stated: right when the answer says the paper does not report it (kind "not-stated" or verdict "Not
      stated") about the paper named (`named`: the first cited or first retrieved paper) being gold; confidently
      wrong when it answers anyway.
    expect correction: right when the gold paper is cited, the correcting key facts are present and the verdict is
      not Yes; confidently wrong when it says Yes or answers from other papers.
    expect clarify: right when the question is asked back.
    """
    gold_set, ok = set(gold), set(gold) | set(acceptable)
    got = verdict_label(answered_verdict)
    facts = key_fact_recall(text, key_facts)
    facts_ok = facts is None or facts >= 1.0
    says_not_stated = kind == "not-stated" or got == "not stated"
    cites_gold = bool(gold_set & set(cited))
    if expect == "clarify":
        return kind == "clarify", False
    if expect == "not-found":
        return abstained and kind == "not-found", not abstained and kind not in ("clarify",)
    if expect == "not-stated":
        right = says_not_stated and named in gold_set
        return right, not abstained and not says_not_stated and kind != "clarify"
    if expect == "correction":
        right = cites_gold and facts_ok and got not in ("yes",)
        return right, got == "yes" or (not abstained and bool(cited) and not cites_gold)
    # expect == "answer"
    if abstained or kind == "clarify":
        return False, False
    if verdict == "not stated":  # nothing supports a verdict, so nothing need be cited: the paper looked at counts
        return got == "not stated" and (cited[0] if cited else named) in gold_set, got in ("yes", "no")
    right = bool(cited) and cited[0] in (ok if exact else gold_set) and facts_ok
    if verdict:
        right = right and got == verdict
    if exact:
        right = right and gold_set <= set(cited) and set(cited) <= ok
    wrong_verdict = bool(verdict) and got in ("yes", "no") and got != verdict
    return right, wrong_verdict or (bool(cited) and not cites_gold)


def macro_f1(pairs: Sequence[tuple[str, str | None]], classes: Sequence[str]) -> float | None:
    """Mean over `classes` of the F1 of predicting that class, from (gold, predicted) pairs."""
    if not pairs:
        return None
    scores = []
    for c in classes:
        tp = sum(g == c and p == c for g, p in pairs)
        fp = sum(g != c and p == c for g, p in pairs)
        fn = sum(g == c and p != c for g, p in pairs)
        scores.append(2 * tp / (2 * tp + fp + fn) if tp else 0.0)
    return sum(scores) / len(scores)

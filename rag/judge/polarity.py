"""A sentence's stance on a claim: does it affirm it, deny it, hedge it, or not speak to it?

The claim is a set of terms ("NoProp needs back-propagation": {noprop, need, back, propag, backpropag}). The
sentence denies it when a negation's scope covers the claim's own words: "does not rely on either forward or
backwards propagation", "converges ... without any additional assumptions", "rather than relying on heavyweight
cryptography", "back-propagation-free", "unlike Pre-LN and Post-LN, which are prone to vanishing gradients" (the
subject is not prone), "lack this stitching property", "fails to", "no significant difference". It also denies it
when it states the opposite direction of a change the claim asserts ("decreases" for "increases"), or a different
value for a number the claim gives. A negation over words of the claim's subject only ("not only", "without
training the dense network" in a claim about pruning speed) does not count. Hedges ("unclear", "inconclusive",
"may or may not") make it Possibly.

A negation's scope runs from its cue to the end of its clause (a comma, a semicolon, "but", "while", "whereas",
"although"), the way scope is read in clinical negation detection (NegEx, Chapman et al. 2001: a window after the
trigger, cut at conjunctions that end it). A sentence of several statements joined by semicolons is read in the one
statement that holds all it shares with the claim, when exactly one does.
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from functools import lru_cache

from rag.terms import lexicon, terms

AFFIRMS, DENIES, HEDGES = "affirms", "denies", "hedges"
NEAR = 4  # words after a negation cue that it surely governs ("does not seem to impact")
KEY_COVER = 0.5  # without the claim's rarest word a sentence must hold this share of it (a priori: half)
KEY_RATIO = 1.5  # a word is the claim's most telling when its IDF is this many times the median word's (a priori)
SCOPE_SHARE = 0.34  # share of the claim's shared words a negation over its subject must cover (a priori: a third)


def _predicate_side(claim_text: str, predicate: set[str]) -> set[str]:
    """The claim's later content words: in "obesity impact the pattern and outcome of trauma", what is claimed of
    the subject ("impact", "pattern", "outcome", "trauma") rather than the subject ("obesity")."""
    ordered = [t for t in terms(claim_text) if t in predicate]
    ordered = list(dict.fromkeys(ordered))
    return set(ordered[len(ordered) // 3:]) if len(ordered) >= 3 else set(ordered)

_TOKEN = re.compile(r"[A-Za-z0-9]+(?:[-'’][A-Za-z0-9]+)*|[,;:()]")
# Cues that negate what follows them in their clause.
_NEGATORS = {
    "not", "no", "never", "neither", "nor", "without", "cannot", "lack", "lacks", "lacked", "lacking", "absence",
    "absent", "fail", "fails", "failed", "failing", "unable", "none", "instead", "rather", "free",
    "eliminating", "eliminates", "eliminate", "avoiding", "avoids", "avoid", "removing", "removes", "nothing",
    "don't", "doesn't", "didn't", "isn't", "aren't", "wasn't", "weren't", "won't", "can't", "couldn't", "hardly",
    "insignificant", "nonsignificant", "non-significant", "unnecessary", "irrelevant", "dispensable", "inconsistent",
    "unaffected", "unchanged", "unrelated", "ineffective", "little", "rarely",
    "seldom", "unlikely", "doubt", "insufficient", "inadequate", "inadequately", "unsuccessful", "impossible",
    "inappropriate", "inability", "neither", "regardless", "irrespective", "ruling", "rule", "ruled", "refute", "refuted",
    "refutes", "contradict", "contradicts", "contradicted",
}
# Negators that stand after what they negate: "back-propagation-free", "X is unnecessary" (read leftward in clause).
_POSTFIX = {"unnecessary", "irrelevant", "dispensable", "unaffected", "unchanged", "unrelated",
            "ineffective", "insignificant", "nonsignificant", "absent"}
# "X was not supported": a negation after the clause it denies.
_NOT_AFTER = re.compile(r"\b(is|are|was|were|be|been)\s+not\s+(supported|confirmed|observed|found|detected|seen|"
                        r"demonstrated|established|significant|associated|related|correlated|different|affected|"
                        r"improved|reduced|increased|changed|altered)\b", re.I)
# "not only X but also Y", "no longer" (still a negation), "not necessarily" (a hedge).
_NOT_NEGATION = re.compile(r"\bnot only\b|\bno doubt\b|\bnot just\b|\bnone the less\b|\bnonetheless\b|"
                           r"\bnot necessarily\b|\bpresence or absence\b|\bwith or without\b|\bnot hesitate\b|"
                           r"\bnot always\b|\bno less\b|\bnot least\b", re.I)
_CLAUSE_END = {",", ";", ":", "(", ")", "but", "while", "whereas", "although", "though", "however", "yet"}
# "unlike A and B, which are prone to X": the cue covers the "which" clause that follows.
_UNLIKE = re.compile(r"\bunlike\b[^.;]*?,\s*(which|that|who)\b([^.;]*)", re.I)
_HEDGES = re.compile(
    r"\b(unclear|inconclusive|controversial|conflicting|uncertain|remains? (to be|unknown|unclear|an open)|"
    r"not (clear|known|yet known|established|certain)|may or may not|is debated|open question|mixed (results|evidence)|"
    r"not necessarily|insufficient evidence|limited evidence)\b",
    re.I,
)
# Directions of change: a claim of one direction is denied by a sentence stating the other. (Written as words;
# compared as the analyzer's stems, below.)
_UP_WORDS = frozenset({"increas", "rise", "rais", "elev", "higher", "more", "greater", "improv", "enhanc", "promot", "upregul",
       "activ", "induc", "boost", "accelar", "acceler", "gain", "better", "exceed", "outperform", "benefit", "faster",
       "larger", "stronger", "longer", "posit", "stimul", "augment", "amplifi", "strengthen"})
_DOWN_WORDS = frozenset({"decreas", "reduc", "lower", "less", "fewer", "declin", "impair", "worsen", "inhibit", "suppress",
         "downregul", "deactiv", "attenu", "diminish", "drop", "worse", "slower", "smaller", "weaker", "shorter",
         "negat", "block", "prevent", "abolish", "loss", "lose", "limit", "hinder", "underperform", "degrad", "imped",
         "repress", "antagon"})
_SAME_WORDS = frozenset({"similar", "compar", "equival", "ident", "same", "match", "agre", "consist", "equal"})
_DIFF_WORDS = frozenset({"differ", "distinct", "disagre", "discord", "inconsist", "vari", "diverg", "unequ"})
# One thing for all, or one for each: "by employing only one model" denies "a separate model for each subject".
_ONE_WORDS = frozenset({"single", "singl", "one", "unifi", "unified", "shared", "common", "joint", "universal", "cross"})
_MANY_WORDS = frozenset({"separate", "separ", "individual", "each", "per", "dedicated", "specific", "respective"})


@lru_cache(maxsize=None)
def _stems(words: frozenset[str]) -> frozenset[str]:
    """The analyzer's stems of a lexicon's words (and the words as written, for words it splits or drops)."""
    return frozenset(x for x in words | lexicon(" ".join(sorted(words))) if x)


@dataclass(frozen=True)
class Stance:
    stance: str | None  # affirms | denies | hedges | None (the sentence does not speak to the claim)
    covered: float  # IDF-weighted share of the claim's predicate the sentence holds (0..1)
    why: str = ""  # the words that decided it ("not", "without", "decreases" against "increases")


@lru_cache(maxsize=65536)
def _stem(word: str) -> str:
    t = terms(word)
    return t[-1] if t else ""


def _tokens(text: str) -> list[str]:
    return [m.group(0) for m in _TOKEN.finditer(text)]


def _parts(text: str) -> list[str]:
    """Its words, hyphenated ones as their parts."""
    return [p for w in _tokens(text) for p in w.split("-") if p]


def negated_terms(text: str, window: int = 12) -> set[str]:
    """The terms of `text` that lie within the scope of a negation (at most `window` words after its cue)."""
    clean = _NOT_NEGATION.sub(" ", text)
    toks = _tokens(clean)
    low = [t.lower() for t in toks]
    out: set[str] = set()
    for i, t in enumerate(low):
        if t.endswith("-free") and len(t) > 5 and window:  # "back-propagation-free": what it is free of
            out.update(terms(toks[i][:-5]))
            continue
        if t in _POSTFIX:  # "pre-training is unnecessary": the clause before it
            j = i - 1
            while j >= 0 and low[j] not in _CLAUSE_END and i - j <= window:
                out.update(terms(toks[j]))
                j -= 1
            continue
        if t not in _NEGATORS:
            continue
        if t in ("rather", "instead") and (i + 1 >= len(low) or low[i + 1] not in ("than", "of")):
            continue
        j, limit = i + 1, window
        while j < len(low) and j - i <= limit:
            if low[j] == "," and j - i <= 2:  # an aside right after the cue: "did not prove, at present, the value"
                close = next((k for k in range(j + 1, min(len(low), j + 7)) if low[k] == ","), None)
                if close is not None:
                    limit += close - j + 1
                    j = close + 1
                    continue
            if low[j] in _CLAUSE_END:
                break
            out.update(terms(toks[j]))
            j += 1
    if window >= 12:
        for m in _UNLIKE.finditer(clean):  # "unlike A and B, which are prone to X": X is denied of the subject
            out.update(terms(m.group(2)))
        for m in _NOT_AFTER.finditer(clean):  # "Preferential transmission of X to Y was not supported."
            out.update(terms(re.split(r"[,;:]", clean[: m.start()])[-1]))
    return out


def directions(words: list[str]) -> tuple[bool, bool, bool, bool, bool, bool]:
    """Whether words speak of going up, going down, being the same, being different, one for all, one for each."""
    low = [w.lower() for w in words]
    stems = {t for w in low for t in terms(w)} | set(low)

    def has(group: frozenset[str]) -> bool:
        return any(t in group or any(t.startswith(g) for g in group if len(g) >= 4) for t in stems)

    return (has(_stems(_UP_WORDS)), has(_stems(_DOWN_WORDS)), has(_stems(_SAME_WORDS)), has(_stems(_DIFF_WORDS)),
            has(_stems(_ONE_WORDS)), has(_stems(_MANY_WORDS)))


_NEG_PREFIXES = ("in", "un", "non", "im", "ir", "il", "dis")


def _prefixed(sentence_terms: set[str], claim_terms: set[str]) -> set[str]:
    """Claim words the sentence holds only with a negating prefix ("insufficient" for "sufficient", "nonequivalent"
    for "equivalent", "unsafe" for "safe")."""
    out = set()
    for t in sentence_terms:
        for p in _NEG_PREFIXES:
            if t.startswith(p) and len(t) - len(p) >= 4 and t[len(p):].lstrip("-") in claim_terms:
                out.add(t)
    return out


def expand(sentence: str, abbreviations: dict[str, str]) -> str:
    """The sentence with each abbreviation its abstract defines written out beside it ("PPM after AVR does not
    affect survival" -> "PPM patient-prosthesis mismatch after AVR aortic valve replacement does not ..."), and the
    short form beside a long form, so a claim in either words meets it."""
    out = sentence
    for short, long in abbreviations.items():
        if re.search(rf"(?<![\w-]){re.escape(short)}(?![\w-])", out):
            out = re.sub(rf"(?<![\w-]){re.escape(short)}(?![\w-])", f"{short} {long}", out)
        elif long.lower() in out.lower():
            at = out.lower().index(long.lower()) + len(long)
            out = f"{out[:at]} {short}{out[at:]}"
    return out


def _terms_held(text: str) -> set[str]:
    """The terms of `text`, with what a "-free" word is free of ("back-propagation-free" holds back-propagation)."""
    held = set(terms(text))
    for m in re.finditer(r"([A-Za-z][\w-]*?)-free\b", text):
        held.update(terms(m.group(1)))
    return held


def stance(sentence: str, predicate: set[str], weights: dict[str, float], *, claim_text: str = "",
           abbreviations: dict[str, str] | None = None) -> Stance:
    """The sentence's stance on a claim whose predicate terms (subject left out) are `predicate`, weighted by
    `weights` (IDF). `claim_text` lets a change of direction be compared; `abbreviations` (short -> long, from the
    sentence's abstract) let "PPM" stand for "patient-prosthesis mismatch"."""
    if abbreviations:
        sentence = expand(sentence, abbreviations)
    sent_terms = _terms_held(sentence)
    total = sum(weights.get(t, 1.0) for t in predicate) or 1.0
    held = {t for t in predicate if t in sent_terms}
    covered = sum(weights.get(t, 1.0) for t in held) / total
    if not held:
        return Stance(None, 0.0)
    # A sentence of several statements ("we find: (1) X is essential for Y; (2) ...; (3) without Z, Y fails") is
    # read in the one statement that holds all it shares with the claim, so a negation in another statement that
    # repeats one of its words does not deny it. Where no one statement, or more than one, holds it all, the whole
    # sentence is read.
    statements = [part for part in sentence.split(";") if part.strip()]
    if len(statements) > 1:
        holding = [part for part in statements if held <= _terms_held(part)]
        if len(holding) == 1:
            return stance(holding[0], predicate, weights, claim_text=claim_text)
    # The claim's most telling word (rarest in the collection) is what it is about: a sentence without it speaks
    # to the claim only if it holds most of the rest ("Federated Learning is a privacy-preserving approach" does not
    # say whether FedLD uses differential privacy).
    # A negation right before one of the claim's words ("does not seem to impact", "without any additional
    # assumptions") denies it; one further away must cover a third of what the sentence shares with the claim.
    # (The claim's own negation is the caller's: Claim.negated.)
    opposite = _prefixed(sent_terms, predicate - held)
    if opposite:  # "Current guidelines appear insufficient" against "are current guidelines sufficient?"
        return Stance(DENIES, covered, "negated word " + ", ".join(sorted(opposite)))
    # The claim's own negations ("gluten-free diet") are not denials: only words negated in the sentence and not in
    # the claim count. A negation that covers the claim's predicate (its later words: what is claimed of the
    # subject) denies it; one over its subject alone must cover a share of what the sentence shares with it.
    own = negated_terms(claim_text) if claim_text else set()
    negated = (negated_terms(sentence) - own) & held
    predicate_side = _predicate_side(claim_text, predicate) if claim_text else predicate
    neg_weight = sum(weights.get(t, 1.0) for t in negated)
    held_weight = sum(weights.get(t, 1.0) for t in held)
    if negated and (negated & predicate_side or neg_weight >= SCOPE_SHARE * held_weight):
        return Stance(DENIES, covered, "negation of " + ", ".join(sorted(negated)))
    if claim_text:
        # Words the two share are what both speak of ("BAT activity", "cell death"), not a direction either takes:
        # only the words each has alone are compared ("decreases" against "increased").
        # ("cross-subject" keeps "cross" where "subject" is shared.)
        claim_toks = _parts(claim_text)
        shared = {t for w in claim_toks for t in terms(w)} & sent_terms
        own_words = [w for w in claim_toks if not set(terms(w)) & shared]
        c_up, c_down, c_same, c_diff, c_one, c_many = directions(own_words)
        negated_words = negated_terms(sentence)
        plain = [w for w in _parts(sentence) if not set(terms(w)) & (negated_words | shared)]
        s_up, s_down, s_same, s_diff, s_one, s_many = directions(plain)
        if (c_up and not c_down and s_down and not s_up) or (c_down and not c_up and s_up and not s_down):
            return Stance(DENIES, covered, "opposite direction")
        if (c_diff and not c_same and s_same and not s_diff) or (c_same and not c_diff and s_diff and not s_same):
            return Stance(DENIES, covered, "same / different")
        if (c_many and not c_one and s_one and not s_many) or (c_one and not c_many and s_many and not s_one):
            return Stance(DENIES, covered, "one / each")
    # The claim's most telling word (rarest in the collection) is what it is about: a sentence without it affirms
    # the claim only if it holds most of the rest ("Federated Learning is a privacy-preserving approach" does not
    # say whether FedLD uses differential privacy). A denial needs no such word ("without any assumptions").
    ranked = sorted((weights.get(t, 1.0) for t in predicate), reverse=True)
    key_term = max(predicate, key=lambda t: (weights.get(t, 1.0), t))
    telling = len(ranked) > 1 and ranked[0] >= KEY_RATIO * ranked[len(ranked) // 2]
    if telling and key_term not in held and covered < KEY_COVER:
        return Stance(None, covered)
    if _HEDGES.search(sentence):
        return Stance(HEDGES, covered, "hedged")
    return Stance(AFFIRMS, covered)

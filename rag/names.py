"""Names: what a paper calls itself and the things it introduces, what it mentions, and what a sentence calls it.

A paper is known by the names it *introduces*: the head of its title before a colon ("RelP", "D-Former",
"Continuum"), its whole title, an acronym it defines in brackets ("Relevance Patching (RelP)"), and a name after a
naming cue ("a new learning method named NoProp", "Our system, called Predictive-CSM", "we introduce G2GNet").
Every other name-shaped word it writes is a *mention*: an identifier ("GPT-2", "Mamba-2"), an acronym ("LRP",
"SMAC"), a capitalised word inside a sentence ("Hopfield", "Mars"), a run of capitalised words ("Claude Opus",
"Free Discontinuity Regression"). The library indexes both by key (lowercase letters and digits: "D-Former" ->
"dformer"), so resolving a question's names costs one term lookup each, whatever the size of the collection.

The same rules read a question (rag/question/words.py), so "D-Former" in a question and "D-Former" in an abstract
meet as one name, never as the word "former".
"""

from __future__ import annotations

import re
from functools import lru_cache

from rag.terms import terms
from rag.text import sentence_spans

# Zipf frequency at or above which a word is everyday English (wordfreq, "en"): "continuum" 3.4 and "pruning" 3.1
# are everyday; "bleu" 2.9, "lora" 2.6, "chinchilla" 2.6 are not. A priori: the scale's "once per million words".
ORDINARY_ZIPF = 3.0


@lru_cache(maxsize=65536)
def ordinary(word: str) -> bool:
    """Whether `word` is an everyday English word (wordfreq's English list, loaded on first use)."""
    from wordfreq import zipf_frequency

    return zipf_frequency(word, "en") >= ORDINARY_ZIPF


TOKEN = re.compile(r"[A-Za-z0-9]+(?:['’][sS](?![A-Za-z]))?(?:[-.][A-Za-z0-9]+)*")
# Lowercase words that may sit inside a run of capitalised words ("Rethinking the Value of Network Pruning").
_JOINERS = frozenset("of the for and in on a an to with via from by at as".split())
# Cues after which comes the name of what a paper contributes: strong ones ("called", "named", "dubbed") and the
# verbs of proposing ("we introduce G2GNet", "We present Continuum, a serving system").
_DETERMINERS = (r"(?:(?:a|an|the|this|our|new|novel|model|method|framework|system|approach|algorithm|architecture|"
                r"metric|dataset|technique|network|paradigm)\s+){0,3}")
_CALLED_CUE = re.compile(
    r"\b(?:call(?:ed|s)?|name[ds]?|dub(?:bed|s)?|term(?:ed|s)?|coin(?:ed|s)?|refer to (?:\w+ ){0,3}as)\s+"
    + _DETERMINERS, re.I)
_PROPOSE_CUE = re.compile(
    r"\b(?:we|this (?:paper|work|study|article)|the authors)\s+(?:propose|introduce|present|develop|design|build|"
    r"describe)s?d?\s+" + _DETERMINERS, re.I)
_BRACKETED = re.compile(r"\(([^()]{1,40})\)")


def key(name: str) -> str:
    """How a name is indexed and looked up: lowercase letters and digits only ("D-Former" -> "dformer"); a
    possessive is dropped ("Dale's" -> "dale")."""
    return re.sub(r"[^a-z0-9]", "", re.sub(r"['’]s$", "", name.strip().lower()))


def is_identifier(token: str) -> bool:
    """Mixes letters and digits ("GPT-2", "A010"; not "3rd" or "10x"), is a hyphenated compound of capitalised
    parts ("D-Former", "Peri-LN"), or has a capital after a lowercase letter ("RelP", "NoProp", "iCBS")."""
    letters = any(c.isalpha() for c in token)
    digits = any(c.isdigit() for c in token)
    if letters and digits:
        return not re.fullmatch(r"\d+(?:\.\d+)*[a-z]{1,2}", token)
    parts = [p for p in re.split(r"[-.]", token) if p]
    if len(parts) > 1 and all(p[:1].isupper() for p in parts):
        return True
    return bool(re.search(r"[a-z][A-Z]", token))


def _is_acronym(token: str) -> bool:
    """Two or more capitals and no lowercase letter but a plural s: "LRP", "NNIPs", "MCTED"."""
    core = token[:-1] if token.endswith("s") and len(token) > 2 else token
    return sum(c.isupper() for c in core) >= 2 and not any(c.islower() for c in core)


@lru_cache(maxsize=1 << 17)
def name_shaped(token: str) -> bool:
    """Whether a word is written like a name wherever it stands (an identifier or an acronym), so that it is read
    as a name and never as an ordinary word ("Former", "Continuum" capitalised only at a sentence start are not).
    Asked of every word the lexical index reads (about 340 a paper), so a lowercase word answers at once and the
    rest are remembered: a client building its lexical index spent most of its time here (issue 18)."""
    if token.isalpha() and token.islower():
        return False
    return is_identifier(token) or _is_acronym(token)


def plural_of_acronym(token: str) -> bool:
    return _is_acronym(token) and token.endswith("s") and token[-2].isupper()


def _capitalised(token: str) -> bool:
    return token[:1].isupper() or name_shaped(token)


def capitalised_runs(text: str, *, skip_first: bool = True) -> list[tuple[int, int, str]]:
    """(start, end, text) of runs of capitalised words in each sentence of `text`, joined only by spaces and
    lowercase joiners ("Network Pruning", "Claude Opus", "Rethinking the Value of Network Pruning"). A sentence's
    first word starts a run only when it is name-shaped (with `skip_first`): "The" or "Continuum" at a sentence
    start says nothing."""
    out = []
    for a, b in sentence_spans(text) or [(0, len(text))]:
        tokens = [(m.start() + a, m.end() + a, m.group(0)) for m in TOKEN.finditer(text[a:b])]
        i = 0
        while i < len(tokens):
            s, e, t = tokens[i]
            first = i == 0
            if not _capitalised(t) or (first and skip_first and not name_shaped(t)):
                i += 1
                continue
            j, end = i, e
            k = i + 1
            while k < len(tokens):
                gap = text[tokens[k - 1][1] : tokens[k][0]]
                if gap.strip():
                    break
                if _capitalised(tokens[k][2]):
                    j, end = k, tokens[k][1]
                    k += 1
                    continue
                if tokens[k][2] in _JOINERS and k + 1 < len(tokens) and _capitalised(tokens[k + 1][2]) \
                        and not text[tokens[k][1] : tokens[k + 1][0]].strip():
                    k += 1
                    continue
                break
            out.append((s, end, text[s:end]))
            i = j + 1
    return out


def title_head(title: str) -> str | None:
    """The name before a title's colon ("RelP" in "RelP: Faithful and Efficient ..."), when it is short."""
    head, sep, _ = title.partition(":")
    return head.strip() if sep and 1 <= len(head.split()) <= 4 else None


def _bracketed_name(inner: str) -> bool:
    """A bracket that defines a name ("RelP", "Global MP"), not a list, an example or an aside ("OC20 and OC22",
    "e.g., U-Net", "LLMs")."""
    words = inner.split()
    return (1 <= len(words) <= 3 and "," not in inner and all(not w.islower() for w in words)
            and any(name_shaped(w) for w in words) and not plural_of_acronym(words[-1]))


def _named_after(sentence: str, at: int, *, strong: bool = True) -> str | None:
    """The name right after a naming cue: a run of capitalised words ("Relevance Patching", a quoted "Anarchic
    Federated Learning"), or one name-shaped word ("NoProp", "G2GNet"). After a verb of proposing (`strong` False)
    a word that modifies a noun is not a name: "a novel FL method", "a Unified optimization paradigm"."""
    rest = sentence[at:]
    lead = len(rest) - len(rest.lstrip("\"“'‘`"))
    rest = rest[lead:]
    runs = capitalised_runs(rest, skip_first=False)
    name = None
    if runs and runs[0][0] == 0:
        first = re.split(r"\s+(?:" + "|".join(_JOINERS) + r")\s+", runs[0][2])[0]
        name = first if name_shaped(first) else runs[0][2]  # "D-Former" of "D-Former for 3D"
    else:
        t = TOKEN.match(rest)
        name = t.group(0) if t and name_shaped(t.group(0)) else None
    if name and not strong:
        after = rest[len(name):]
        if re.match(r"\s+[a-z]", after) and not re.match(r"\s+(?:and|or|which|that|to|for|as|is|was)\b", after):
            return None
    return name


_INTRO_VERB = re.compile(r"\b(?:we|us|our|this (?:paper|work|study|article)|the authors)\b[^.]*?(?<!previously )"
                         r"\b(?:propos|introduc|present|develop|design|formulat|construct|build|call)\w*", re.I)
_PREPOSITION = re.compile(r"\b(?:in|of|to|from|for|on|with|by|at)\b", re.I)


def introduced(title: str, abstract: str, *, own: bool = False) -> list[str]:
    """The names a paper gives what it contributes, as written: its title head and title, the name after a naming
    cue ("named NoProp", "called FedLD", "we introduce Relevance Patching"), and (unless `own`) a name it defines in
    brackets after saying it proposes something ("we have developed a ... method (DIMAP)"). An acronym it merely
    defines ("federated learning (FL)", "a convolutional neural network (CNN)") is a mention: many papers define
    those. With `own`, only the names that are the paper's own: its title's and those after a naming cue."""
    own_names, all_names = introductions(title, abstract)
    return own_names if own else all_names


def introductions(title: str, abstract: str) -> tuple[list[str], list[str]]:
    """`introduced(own=True)` and `introduced()` of one paper from one reading of its abstract (the lexical index
    stores both, and reading the sentences is most of the work)."""
    found: list[tuple[str, bool]] = []  # (name, the paper's own)
    head = title_head(title)
    if head:
        found.append((head, True))
    found.append((title.strip(), True))
    for sentence in (abstract[a:b] for a, b in sentence_spans(abstract)):
        cues: list[int] = []
        for cue, strong in ((_CALLED_CUE, True), (_PROPOSE_CUE, False)):
            for m in cue.finditer(sentence):
                name = _named_after(sentence, m.end(), strong=strong)
                if name:
                    found.append((name, True))
                cues.append(m.end())
        cues += [m.end() for m in _INTRO_VERB.finditer(sentence)]
        for b in _BRACKETED.finditer(sentence):
            inner = b.group(1).strip()
            before = [c for c in cues if c <= b.start()]
            if not before or not _bracketed_name(inner):
                continue
            coined = any(is_identifier(w) for w in inner.split())  # "EScAIP", "TD-LN", "iCBS": a coinage
            between = sentence[max(before) : b.start()]
            proper = any(w[:1].isupper() for w in TOKEN.findall(between)[-5:])  # "Module-Aware Pruning (DIMAP)"
            if coined or (proper and not _PREPOSITION.search(between)):
                found.append((inner, False))
    named = [(n, own) for n, own in found if key(n)]
    return list(dict.fromkeys(n for n, own in named if own)), list(dict.fromkeys(n for n, _ in named))


def mentioned(title: str, abstract: str) -> list[str]:
    """The name-shaped words and runs of capitalised words a paper writes (stopwords alone are not names)."""
    out: list[str] = []
    for text in (title, abstract):
        for t in TOKEN.finditer(text):
            if name_shaped(t.group(0)):
                out.append(t.group(0))
        for _, _, run in capitalised_runs(text, skip_first=text is abstract):
            if " " in run or terms(run):
                out.append(run)
    return list(dict.fromkeys(n for n in out if key(n)))


def keys(names: list[str]) -> list[str]:
    """Index keys of `names`; an acronym's plural is also indexed as its singular ("NNIPs" -> "nnips", "nnip")."""
    out = []
    for n in names:
        k = key(n)
        out.append(k)
        if plural_of_acronym(n.split()[-1]):
            out.append(k[:-1])
    return list(dict.fromkeys(k for k in out if k))


# ----- what a sentence calls a paper ------------------------------------------------------------------------------


@lru_cache(maxsize=4096)
def display_name(title: str, abstract: str = "") -> str:
    """What to call a paper in a sentence: its title head ("RelP", "D-Former"); else the first name its abstract
    gives what it contributes ("called FedLD", "We introduce G2GNet", "(DIMAP)"); else its title's first words."""
    head = title_head(title)
    if head:
        return head
    own = [n for n in introduced(title, abstract)[1:] if is_short(n)]
    if own:
        return own[0]
    words = title.split()
    return " ".join(words[:5]) + ("…" if len(words) > 5 else "")


def short_title(title: str, limit: int = 70) -> str:
    """A title to quote in a sentence: its name before the colon ("RelP"), the whole title when it is short
    enough, else its first words (never cut inside a word)."""
    head = title_head(title)
    if head:
        return head
    if len(title) <= limit:
        return title
    cut = title[:limit].rsplit(" ", 1)[0].rstrip(",;:-")
    return cut + "…"


def is_short(name: str) -> bool:
    """A name short enough to put inside a sentence ("RelP", "Global MP"), not a cut title."""
    return len(name.split()) <= 3 and not name.endswith("…")


# ----- abbreviations an abstract defines ----------------------------------------------------------------------------
_SHORT_FORM = re.compile(r"\(\s*([A-Za-z][A-Za-z0-9\-/&]{1,11})\s*\)")


def _long_form(words: list[str], short: str) -> str | None:
    """Schwartz & Hearst (2003): the shortest run of words just before "(SHORT)" whose letters hold the short
    form's characters in order, its first character starting a word."""
    chars = [c.lower() for c in short if c.isalnum()]
    if not chars or not words:
        return None
    text = " ".join(words)
    s, l = len(chars) - 1, len(text) - 1
    while s >= 0:
        c = chars[s]
        while l >= 0 and (text[l].lower() != c or (s == 0 and l > 0 and text[l - 1].isalnum())):
            l -= 1
        if l < 0:
            return None
        l -= 1
        s -= 1
    start = text.rfind(" ", 0, l + 1) + 1
    long = text[start:].strip()
    return long if len(long.split()) <= len(chars) + 5 and long.lower() != short.lower() else None


@lru_cache(maxsize=4096)
def abbreviations(text: str) -> dict[str, str]:
    """The abbreviations a text defines, short form -> long form: "patient-prosthesis mismatch (PPM)" gives
    {"PPM": "patient-prosthesis mismatch"}. A conclusion that writes "PPM" then says as much as one that writes
    the words (rag/judge reads claims against both)."""
    out: dict[str, str] = {}
    for m in _SHORT_FORM.finditer(text):
        short = m.group(1)
        if not any(c.isupper() for c in short) or len(short) > 10:
            continue
        before = re.split(r"[.;:(),]", text[: m.start()])[-1].split()
        long = _long_form(before[-(min(len(short) + 5, 2 * len(short))):], short)
        if long and short not in out:
            out[short] = long
    return out


def identifiers(text: str) -> list[str]:
    """The identifiers written in `text` ("Mamba-2", "GPT-4V", "A010", "RelP"), in order, without
    repeats; a compound's naming part only ("T1" of "T1-weighted")."""
    found = (_core(m.group(0)) for m in TOKEN.finditer(text))
    return list(dict.fromkeys(t for t in found if t and is_identifier(t)))


def _core(token: str) -> str:
    """A compound's naming part: "T1-weighted" names T1 (a weighting of it), "Mamba-2" is a name as a whole."""
    parts = re.split(r"[-.]", token)
    if len(parts) > 1 and any(p.isalpha() and p.islower() and len(p) >= 4 for p in parts):
        return "-".join(p for p in parts if not (p.isalpha() and p.islower() and len(p) >= 4))
    return token


def identifier_term(identifier: str) -> str:
    """The index term an identifier is found under: the analyzer's joined form ("Mamba-2" -> "mamba2")."""
    found = terms(identifier)
    return found[-1] if found else re.sub(r"[-.]", "", identifier.lower())

"""A question's words, read once: where each is, whether it starts a sentence, whether it is written like a name,
and whether it is an everyday English word.

Everyday words come from wordfreq's English frequency list (its Zipf scale: 3 is a word seen about once per
million words): "Tell", "Anything", "Moon" are everyday words and never make a question "unknown"; "LoRA",
"Chinchilla", "BLEU" are not. Which words are names is decided here once, so later steps never mistake
"D-Former" for the word "former".
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from rag import names as naming
from rag.names import ordinary

@dataclass(frozen=True)
class Word:
    text: str  # as written
    start: int
    end: int
    first: bool  # the first word of a sentence (its capital says nothing)
    name_shaped: bool  # an identifier or an acronym wherever it stands ("D-Former", "RelP", "MCTED")

    @property
    def capital(self) -> bool:
        return self.text[:1].isupper()


def words(text: str) -> list[Word]:
    out: list[Word] = []
    previous_end = 0
    for m in naming.TOKEN.finditer(text):
        gap = text[previous_end : m.start()]
        first = not out or bool(re.search(r"[.!?:;]\s*$", gap)) or bool(re.search(r"[\"“(]\s*$", gap))
        out.append(Word(m.group(0), m.start(), m.end(), first, naming.name_shaped(m.group(0))))
        previous_end = m.end()
    return out


def name_candidates(text: str, ws: list[Word]) -> list[tuple[int, int, str]]:
    """(start, end, text) of what may be a name, longest first: runs of capitalised words ("Global MP", "Free
    Discontinuity Regression"), name-shaped words, and capitalised words that do not start a sentence. A question
    written in title case ("Is Attention Necessary For ...?") has no runs: its capitals say nothing."""
    out: list[tuple[int, int, str]] = []
    content = [w for w in ws if w.text.lower() not in _SMALL]
    plain_capitals = [w for w in content if w.capital and not w.name_shaped]
    title_case = len(plain_capitals) >= 4 and sum(w.capital for w in content) >= 0.8 * len(content)
    if not title_case:
        for s, e, run in naming.capitalised_runs(text):
            if " " in run:
                out.append((s, e, run))
    for w in ws:
        if len(w.text) < 2:  # "A", "I": a letter is not a name
            continue
        if w.name_shaped or (w.capital and not w.first and not title_case):
            out.append((w.start, w.end, w.text))
    return out


_SMALL = frozenset("a an the of for and in on to with via from by at as or is are does do did what which how why".split())

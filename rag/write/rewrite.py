"""Quoted sentences made to read on their own, with only the rewrites measured to be safe.

A quotation that reads a little worse is better than one that says something else, so a sentence is changed in
these cases only (tests/rag/test_rewrite.py holds each case, and the ones that must stay untouched):
  1. a leading connective followed by a comma, which leans on a sentence the reader does not see, is dropped:
     "Moreover, X" -> "X". A connective that is part of a longer phrase stays ("In contrast to this, we introduce").
  2. the first person becomes the authors: "We propose" / "In this paper, we propose" / "Here, we propose" ->
     "The authors propose"; "we" -> "the authors"; "our" -> "their" once the authors are named in the sentence,
     else "the authors'". "us" is left alone ("altered by us" would become ambiguous).
  3. "This paper" / "This work" at the start becomes the paper's short name when it has one ("RelP"); otherwise it
     stays, since the citation says which paper it is.
  4. a sentence that does not end in a full stop gets one (the last sentence of some abstracts), so two quoted
     sentences never run together.
"""

from __future__ import annotations

import re

from rag.names import is_short, name_shaped

_CONNECTIVES = (
    "moreover", "furthermore", "in addition", "additionally", "however", "in comparison", "in contrast",
    "by contrast", "also", "thus", "therefore", "hence", "consequently", "besides", "nevertheless", "nonetheless",
    "on the other hand", "meanwhile", "then", "instead", "similarly", "likewise", "as a result", "to this end",
    "further", "conversely", "accordingly", "still", "finally", "lastly", "first", "second", "third", "firstly",
    "secondly", "thirdly", "next", "notably", "specifically", "importantly", "interestingly", "surprisingly",
    "concretely", "indeed", "in particular", "in practice", "to that end", "as such", "for this reason", "in turn",
    "beyond this", "beyond that", "on top of that", "at the same time", "technically", "intuitively",
)
_CONNECTIVE = re.compile(r"^(?:" + "|".join(re.escape(c) for c in _CONNECTIVES) + r")\s*,\s+", re.I)
_FIRST_PERSON_START = re.compile(r"^(?:(?:in this (?:paper|work|study|article|letter)|here|herein|in this context|"
                                 r"to (?:this|that) end|to address (?:this|these|it)[^,]{0,40}),\s*)?we\b", re.I)
_THIS_PAPER = re.compile(r"^(?:this|the present|the current) (?:paper|work|study|article)\b", re.I)


def clean(sentence: str, name: str = "") -> str:
    """`sentence` as it reads on its own (see the module docstring for the only changes made)."""
    text = sentence.strip()
    for _ in range(3):  # "However, moreover, ..." in one go
        stripped = _CONNECTIVE.sub("", text, count=1)
        if stripped == text:
            break
        text = stripped
    text = _FIRST_PERSON_START.sub("The authors", text, count=1)
    text = re.sub(r"\bwe\b", "the authors", text)
    text = re.sub(r"\bWe\b", "The authors", text)
    if name and is_short(name) and not re.search(rf"(?<!\w){re.escape(name)}(?!\w)", text):
        text = _THIS_PAPER.sub(name, text, count=1)
    named = re.search(r"\b[Tt]he authors\b", text) is not None

    def our(m: re.Match[str]) -> str:
        capital = m.group(0)[0].isupper()
        word = "their" if named else "the authors'"
        return word[0].upper() + word[1:] if capital else word

    text = re.sub(r"\b[Oo]ur\b", our, text)
    text = re.sub(r"\b[Oo]urs\b", "theirs", text)
    first = text.split(" ", 1)[0]
    if not name_shaped(first.strip(",.;:")):  # "iCBS achieves ..." keeps its name as written
        text = text[:1].upper() + text[1:]
    if text and text[-1] not in ".!?\"'”’)":
        text += "."
    return text

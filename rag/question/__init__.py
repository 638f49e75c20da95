"""Understanding a question once: `understand(...)` turns the question and the conversation into a typed `Query`.

  words      the question's words, read once (names, sentence starts, everyday words)     rag/question/words.py
  phrases    filters stated in words ("published in 2023", "papers by Kaiming He")       rag/question/phrases.py
  names      names resolved against the collection's name index                           rag/question/names.py
  kinds      what kind of answer it asks for, what it asks about, the claim it makes      rag/question/kinds.py
  followup   what it refers to in the previous answer                                     rag/question/followup.py
"""

from __future__ import annotations

import re
from dataclasses import replace
from typing import TYPE_CHECKING, Callable, Sequence

from rag.filters import Filters
from rag.question import followup as follow
from rag.question import kinds, names, phrases
from rag.question.query import KINDS, Claim, FollowUp, Name, Query
from rag.question.words import words
from rag.terms import term_set

if TYPE_CHECKING:
    from rag.generators.base import Turn
    from rag.library import Library

__all__ = ["KINDS", "Claim", "FollowUp", "Name", "Query", "understand"]

_COMPARE_SCAFFOLD = re.compile(
    r"^\s*(compare|contrast)\s+(the\s+)?|\b(what is|what are|what's)\s+the\s+differences?\s+between\s+|"
    r"\bhow\s+(do|does|did)\s+|\s+(differ|compare)\b.*$|\bdifferences?\s+between\s+|[?.!:]",
    re.I,
)
_SIDES = re.compile(r"\s*(?:,\s*(?:and\s+)?|\s+and\s+|\s+vs\.?\s+|\s+versus\s+|\s+with\s+|\s+to\s+)", re.I)


def understand(
    question: str,
    library: "Library",
    *,
    history: Sequence["Turn"] = (),
    filters: Filters | None = None,
    condense: Callable[[str, Sequence["Turn"]], str | None] | None = None,
) -> Query:
    """The question as one `Query`: its kind, the papers it names, what it asks for, the claim it makes, the filters
    it states (explicit `filters` win), and what it refers to in `history`. `condense` (a language model's rewrite of
    a follow-up into a standalone question) is used only for a follow-up that names nothing."""
    explicit = filters or Filters()
    dated, by, rest = phrases.stated(question)
    if by.author and " " in by.author and not library.lexical.matching_count(Filters(author=by.author)):
        surname = by.author.split()[-1].rstrip(".")  # "Geoffrey Hinton" for "Geoffrey E. Hinton"
        by.author = surname if len(surname) >= 3 else by.author
    applied = explicit.merged(dated).merged(by)

    ws = words(rest)
    found = names.resolve(rest, ws, library, applied)
    kind = kinds.kind_of(rest)
    named = names.named_papers(found, comparison=kind == "comparison")
    masked = follow.mask(rest, [(m.start(), m.end()) for n in found for m in _where(rest, n.text)])
    ref = follow.refers(masked, history, names_papers=bool(named), filtered=not (dated.empty and by.empty))
    topic = follow.has_topic(masked)

    if ref is not None and ref.paper_ids and not applied.paper_ids:  # a follow-up searches inside its papers
        applied = replace(applied, paper_ids=list(ref.paper_ids))
    search, focus = rest, rest
    if ref is not None and ref.carried:
        search = f"{rest} {ref.carried}"
        if not ref.paper_ids:  # "and what about the results?": the carried topic is what is asked about now
            focus = search
    if ref is not None and not ref.paper_ids and condense is not None:
        rewritten = condense(question, list(history))
        if rewritten and len(rewritten.split()) <= 40:
            search = rewritten

    narrowed = bool(explicit.title or explicit.author or explicit.paper_ids)
    stated = not (dated.empty and by.empty)
    listing = not topic and ref is None and (stated or narrowed)
    if listing:
        kind = "papers"
    elif not topic and ref is None and not history:
        kind = "clarify"
    elif ref is not None and ref.paper_ids and len(ref.paper_ids) > 1 and kind in ("fact", "attribute") and \
            re.search(r"\b(which|what) of (them|these|those)\b", masked, re.I):
        kind = "list"

    asked = kinds.asked_phrases(rest)
    claim = None
    if kind in ("yes-no", "explanation"):
        text = kinds.claim_text(rest)
        subject = {t for n in found if n.papers for t in term_set(n.text)}
        claim = Claim(text, frozenset(term_set(text)), frozenset(subject & term_set(text)), kinds.negated(text))
    parts: tuple[str, ...] = ()
    if kind == "comparison":
        sides = [p.strip(" ,") for p in _SIDES.split(_COMPARE_SCAFFOLD.sub(" ", rest).strip()) if p.strip(" ,")]
        parts = tuple(sides) if 2 <= len(sides) <= 4 else ()
    number = kind == "number"
    return Query(
        text=question,
        kind=kind,
        search=search,
        focus=focus,
        filters=applied,
        asked=tuple(frozenset(term_set(a)) for a in asked if term_set(a)),
        attribute=(kinds.defined(rest) or "") if kind == "definition" else (asked[0] if asked else ""),
        wants_number=number,
        names=tuple(found),
        named=tuple(named),
        unknown=tuple(names.unknown_names(found)),
        unknown_subject=_unknown_subject(rest, ws, found, kind),
        claim=claim,
        followup=ref,
        parts=parts,
        has_topic=topic,
        listing=listing,
        several=kind == "list" and kinds.asks_for_several(rest),
    )


def _unknown_subject(text: str, ws: list, found: list[Name], kind: str) -> bool:
    """Whether the thing a what/how question asks about is a name no paper has: the first name, standing right
    after the question word and its verb ("How does LoRA reduce ...", "What BLEU score does T5 reach ...", "What is
    Chinchilla ..."), not a detail at its end ("... as in Zorbax-7?"). A yes/no title may misspell a name its paper
    has ("The HELPP syndrome: ...?"), and a list's name is one of several things it looks for."""
    if kind in ("yes-no", "list", "papers") or not found or found[0].known or found[0].ordinary:
        return False
    at = text.find(found[0].text)
    position = sum(1 for w in ws if w.end <= at)
    return position <= 3


def _where(text: str, name: str):
    return re.finditer(re.escape(name), text)


"""Whether the papers answer the question, decided on evidence rather than vocabulary.

  not found   nothing in the collection answers it: no paper within the filters; names no paper has carrying most
              of the question ("What does ZebraFormer forecast?"); or evidence too weak (strength below
              retrieval.abstain_threshold). Everyday words the collection lacks never make a question unknown.
              A question for papers in the plural none of which is about its topic ("Which papers study
              quantum error correction?") is not found either (`no_member`).
  not stated  the question names a paper that is found, but its abstract does not report what is asked ("How many
              GPUs trained Peri-LN?": no word about GPUs) or does not mention something the question takes for
              granted ("How does MCTED handle images of the Moon?"). The answer says so about that paper instead
              of quoting another paper's number.
"""

from __future__ import annotations

from typing import TYPE_CHECKING

from rag.terms import lexicon, term_set, terms

if TYPE_CHECKING:
    from rag.answer import Source
    from rag.question import Query
    from rag.terms import TermIDF
    from rag.tuning import Tuning

# Words that say a quantity is asked, not what it is of: "the share of improper outputs", "the number of samples".
_QUANTITY_WORDS = (
    "number amount share percentage proportion fraction size count value level degree much many large small high "
    "low long fast big ratio"
)


def unknown_share(query: "Query", idf: "TermIDF") -> float:
    """The IDF-weighted share of the question that its unknown names carry."""
    if not query.unknown:
        return 0.0
    weight = {x: idf.get(x, 0.0) for x in idf.question_terms(query.search)}
    total = sum(weight.values())
    theirs = {x for n in query.unknown for x in term_set(n)}
    return sum(w for x, w in weight.items() if x in theirs) / total if total else 0.0


def not_found(query: "Query", sources: list["Source"], strength: float, idf: "TermIDF", threshold: float,
              t: "Tuning") -> str | None:
    """Why nothing answers the question, in the reader's words; None when something may."""
    where = query.filters.describe()
    if not sources:
        if where:
            return f"no paper in the collection matches the filter ({where}): widen or clear it."
        return "no paper in the collection shares anything with this question."
    if query.paper_ids or query.listing:
        return None
    within = f" within the filter ({where})" if where else ""
    # Names no paper has: the question is about something the collection lacks when they carry most of it, or when
    # what it asks about is one of them ("How does LoRA reduce ...?": rag/question `unknown_subject`).
    if query.unknown and (query.unknown_subject or unknown_share(query, idf) >= t.unknown_name_share):
        shown = ", ".join(f"'{n}'" for n in query.unknown[:4])
        return f"no paper in the collection{within} mentions {shown}."
    if strength < threshold:
        return (f"the papers in the collection{within} do not cover this question: the closest ones share too "
                "little of it.")
    return None


def no_member(query: "Query") -> str:
    """Why a question for papers in the plural is not found when no retrieved paper is about its topic
    (rag/judge/select.py `list_members`): the nearest papers share only some of its words ("quantum" or
    "correction", not quantum error correction), and a list of them would pass them off as being about it. A
    question for one paper ("Is there a paper that ...") is answered from the best one instead."""
    where = query.filters.describe()
    within = f" within the filter ({where})" if where else ""
    return (f"no paper in the collection{within} is about what the question asks for: the closest ones share only "
            "part of it.")


def _holds(paper_terms: frozenset[str], name: str) -> bool:
    """Whether a paper has a name: its term, or a word sharing its first five letters ("Indian" for "India")."""
    term = (terms(name) or [""])[-1]
    if not term:
        return True
    if term in paper_terms:
        return True
    return len(term) >= 5 and any(x[:5] == term[:5] for x in paper_terms if len(x) >= 5)


def _quantity(text: str) -> bool:
    """"256x256", "3.2B", "10x": a value, not a thing a paper must mention by that spelling."""
    import re

    return bool(re.fullmatch(r"[\d.,]+(?:[x×][\d.,]+)*[a-zA-Z]{0,2}", text))


def asked_terms(query: "Query", src: "Source") -> set[str]:
    """What the question asks about the paper, without the paper's own name and words that only ask for a
    quantity: {gpu} for "How many GPUs were used to train Peri-LN?"."""
    own = {x for n in query.names if src.paper_id in n.papers for x in term_set(n.text)}
    return {x for a in query.asked for x in a} - own - lexicon(_QUANTITY_WORDS)


def missing(query: "Query", src: "Source", paper_terms: frozenset[str], idf: "TermIDF", t: "Tuning") -> str | None:
    """What the question asks of a paper it names that the paper's abstract does not report, as words for the
    answer ("GPUs", "the Moon"); None when the abstract has it."""
    own_names = {n.key for n in query.names if src.paper_id in n.papers}
    absent = [n.text for n in query.names if n.key not in own_names and src.paper_id not in n.papers
              and not _quantity(n.text) and not _holds(paper_terms, n.text)]
    if absent:
        return " or ".join(absent[:2])
    asked = asked_terms(query, src)
    if not asked:
        return None
    total = sum(idf.get(x, 1.0) for x in asked)
    held = sum(idf.get(x, 1.0) for x in asked if x in paper_terms)
    if total and held / total < t.asked_cover:
        return query.attribute or " ".join(sorted(asked))
    return None

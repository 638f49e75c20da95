"""The question as PaperRAG understands it: one typed object, made once, read by every later step.

Nothing after rag/question/ looks at the raw question again: retrieval searches `Query.search`, evidence ranks
sentences against `Query.focus` and `Query.asked`, the judge reads `kind`, `named`, `claim` and `followup`, the
writer reads `kind` and `attribute`.
"""

from __future__ import annotations

from dataclasses import dataclass, field

from rag.filters import Filters

# What the question asks for, which decides the answer's shape (rag/judge, rag/write):
KINDS = (
    "definition",   # "What is D-Former?", "Tell me about NoProp.", "What does AGLFOP stand for?"
    "mechanism",    # "How does RelP work?", "How does EntroPE decide where patch boundaries go?"
    "number",       # "What FID does DiMR reach?", "How many samples ...?", "By how much ...?"
    "attribute",    # "Which datasets was D-Former evaluated on?", "Which model does ARISE find scales best?"
    "explanation",  # "Why does Peri-LN ...?" (its premise is checked like a claim)
    "fact",         # any other question about something in the papers
    "yes-no",       # "Does NoProp need back-propagation?", "Is it true that ...?"
    "list",         # "Which papers study pruning?", "Any papers on ...?", "Which of them ...?"
    "comparison",   # "Compare GraNet and Global MP.", "How do X and Y differ?"
    "papers",       # only filters to list by: "Which papers did Kaiming He write?", "papers published before 2020"
    "clarify",      # refers to an earlier answer there is none of: "What were its results?" in a new conversation
)


@dataclass(frozen=True)
class Name:
    """A name written in the question and what the collection knows of it (rag/question/names.py)."""

    text: str  # as written: "D-Former", "Global MP", "Claude Opus"
    key: str  # rag/names.py `key`: "dformer"
    papers: tuple[str, ...] = ()  # the papers it names: those introducing it, else those mentioning it (a few)
    introduced: bool = False  # some paper introduces it (title head, bracketed name, "called X")
    head: bool = False  # it is some paper's own name: its title's head or title, or what it says it introduces
    known: bool = False  # some paper has it at all (introduced, mentioned, or as a word)
    ordinary: bool = False  # an everyday English word ("Moon"): never an unknown name


@dataclass(frozen=True)
class Claim:
    """What a yes/no question asserts ("NoProp needs back-propagation"), or what a why-question presupposes."""

    text: str
    terms: frozenset[str]  # its content terms (rag/terms.py)
    subject: frozenset[str] = frozenset()  # terms of the papers it names: every sentence of theirs is about them
    negated: bool = False  # the question negates it ("Is X not ...?", "Doesn't X ...?")


@dataclass(frozen=True)
class FollowUp:
    """What a follow-up refers to in the previous answer."""

    paper_ids: tuple[str, ...]  # the papers it is about ("it": the first cited, "them": all, "the second": that one)
    reference: str  # which words made it a follow-up, for the answer's record ("it", "paper [2]", "previous topic")
    carried: str = ""  # the previous turn's search focus, when the question has no topic of its own


@dataclass(frozen=True)
class Query:
    text: str  # the question as asked (validated)
    kind: str  # one of KINDS
    search: str  # what retrieval searches: the question without its date / author phrase, plus a carried focus
    focus: str  # what the evidence is ranked against: the question without its date / author phrase
    filters: Filters = field(default_factory=Filters)  # explicit filters, then those the question states
    asked: tuple[frozenset[str], ...] = ()  # term sets of what it asks for ("what [Dice score] does ..."), per clause
    attribute: str = ""  # the asked-for phrase as written ("Dice score", "GPUs"), "" when none
    wants_number: bool = False
    names: tuple[Name, ...] = ()
    named: tuple[str, ...] = ()  # the papers the question names, in the order it names them
    unknown: tuple[str, ...] = ()  # names in the question no paper has ("ZebraFormer", "LoRA")
    unknown_subject: bool = False  # what it asks about is one of them ("How does LoRA reduce ...?")
    claim: Claim | None = None
    followup: FollowUp | None = None
    parts: tuple[str, ...] = ()  # a comparison's sides as written ("GraNet", "Global MP"; "equilibrium propagation")
    has_topic: bool = True  # something to search for beyond references to an earlier answer and filters
    listing: bool = False  # the question asks for papers by filter alone: list them all, newest first
    several: bool = False  # a list question asks for papers in the plural ("Which papers ...", "Any studies of")

    @property
    def paper_ids(self) -> tuple[str, ...]:
        """The papers the answer must come from: those the question names, else those a follow-up refers to."""
        if self.named:
            return self.named
        return self.followup.paper_ids if self.followup else ()

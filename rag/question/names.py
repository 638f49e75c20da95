"""The names a question writes, resolved against the collection's name index (rag/names.py, kept in the lexical
index): which papers it names, and which names no paper has.

A name resolves to the papers that introduce it ("RelP", "Global MP", "Continuum", a whole title). When nothing
the question names is introduced anywhere, a name a few papers mention ("Hopfield", "Claude Opus") names those
papers. A name many papers write ("Transformer", "ImageNet") is a topic, not a paper. A name-shaped word or a run of
capitalised words that no paper has at all ("ZebraFormer", "Segment Anything Model") is unknown, unless it is an
everyday word ("Moon").
"""

from __future__ import annotations

import re
from typing import TYPE_CHECKING

from rag import names as naming
from rag.question.query import Name
from rag.question.words import Word, name_candidates, ordinary
from rag.terms import terms

if TYPE_CHECKING:
    from rag.filters import Filters
    from rag.library import Library

# A name written by at most this many papers names them; written by more, it is a topic ("MNIST", "Transformer").
# A priori: a comparison names two or three papers; a topic spans more.
NAME_PAPERS = 3
_SPLIT = re.compile(r"\s+(?:and|or|vs\.?|versus|with)\s+")


def resolve(text: str, ws: list[Word], library: "Library", filters: "Filters") -> list[Name]:
    """Every name in the question, in order of appearance, each resolved once."""
    found: list[tuple[int, Name]] = []
    taken: list[tuple[int, int]] = []
    for start, end, written in sorted(name_candidates(text, ws), key=lambda c: (c[0] - c[1], c[0])):
        if any(a <= start and end <= b for a, b in taken):
            continue
        name = _lookup(written, library, filters)
        if not name.known and " " in written:
            parts = _SPLIT.split(written)
            if len(parts) > 1:  # "GraNet and Global MP": two names, looked up one by one
                at = start
                for part in parts:
                    pos = text.find(part, at)
                    if pos >= 0:
                        found.append((pos, _lookup(part, library, filters)))
                        taken.append((pos, pos + len(part)))
                        at = pos + len(part)
                taken.append((start, end))
                continue
            continue  # a run no paper has ("ImageNet 256x256", "Global Longitudinal Pathway"): its words one by one
        found.append((start, name))
        taken.append((start, end))
    found.sort(key=lambda f: f[0])
    return [n for _, n in found]


def _lookup(written: str, library: "Library", filters: "Filters") -> Name:
    k = naming.key(written)
    keys = [k] + ([k[:-1]] if naming.plural_of_acronym(written.split()[-1]) else [])
    freqs = [library.name_freq(x) for x in keys]
    head = max(f[0] for f in freqs)
    introduced = max(f[1] for f in freqs)
    mentioned = max(f[2] for f in freqs)
    word = written[:-1] if naming.plural_of_acronym(written) else written  # "GPUs" is as everyday as "GPU"
    is_ordinary = " " not in written and ordinary(word.lower())
    if mentioned > NAME_PAPERS:  # written by many papers ("DNA", "ImageNet"): a topic, whoever introduced it
        return Name(written, k, known=True, ordinary=is_ordinary)
    if 0 < introduced <= NAME_PAPERS:
        return Name(written, k, tuple(library.named(keys, filters, field="names")), introduced=True, known=True,
                    ordinary=is_ordinary, head=0 < head <= NAME_PAPERS)
    if 0 < mentioned <= NAME_PAPERS and not is_ordinary:
        return Name(written, k, tuple(library.named(keys, filters, field="mentions")), known=True,
                    ordinary=is_ordinary)
    # A single word is known when some paper writes it at all ("Moon" in "a moon shape"); a run only as a name.
    known = bool(introduced or mentioned) or (" " not in written and any(library.doc_freq(t) for t in terms(written)[-1:]))
    return Name(written, k, known=known, ordinary=is_ordinary)


def names_a_paper(name: Name) -> bool:
    """Whether a name is a paper's own: the head of its title ("RelP", "MCTED", "Continuum"), its title, or what it
    says it introduces ("We introduce G2GNet", "called FedLD", "named NoProp"). A name it only defines in
    brackets ("ataxia telangiectasia mutated (ATM)", "(DIMAP)") may be an existing thing many abstracts define: the
    search still finds its papers by the word itself, but the question is not taken to be about them."""
    return bool(name.papers) and name.introduced and name.head


def named_papers(names: list[Name], *, comparison: bool = False) -> list[str]:
    """The papers the question names, in the order it names them. A name a paper only mentions ("FID" in DiMR's
    abstract) or only defines ("ATM") does not name it, except as a side of a comparison ("Compare GraNet and
    Global MP"), where each side is a paper."""
    return list(dict.fromkeys(p for n in names if (names_a_paper(n) or (comparison and n.papers)) for p in n.papers))


def unknown_names(names: list[Name]) -> list[str]:
    """Names no paper has, everyday words aside."""
    return [n.text for n in names if not n.known and not n.ordinary]

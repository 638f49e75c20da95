"""Citations that are always right: every answer sentence is checked against the retrieved evidence.

An extractive answer hands over structured claims (rag/write): each quoted sentence knows the paper and the
abstract sentence it quotes, so `check` numbers the papers in order of first use and confirms that each quoted
sentence is in its paper's abstract; nothing is split or matched back from text. A language model's free text
goes through `align`, the only place the sentence splitter runs on an answer: it is split into sentences and each
sentence is aligned to the abstract sentences of the retrieved papers. Support of an answer sentence by an evidence sentence is the mean of
  - their cosine similarity (same embedding model as retrieval), and
  - the share of the answer sentence's terms found in the evidence sentence (stemmed, stopwords removed).
A sentence copied from an abstract scores 1.0. A marker the generator wrote is kept when that source supports
the sentence; otherwise the best-supporting retrieved source is cited; markers pointing outside the retrieved
set are dropped; a sentence nothing supports is marked unsupported. Citations are renumbered 1..n in order of
first use, and only cited papers become citations.
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from typing import TYPE_CHECKING, Callable, Sequence

from rag.answer import (
    AnswerSentence,
    Citation,
    ItemsBlock,
    NoticeBlock,
    SentencesBlock,
    Source,
    TableBlock,
    VerdictBlock,
)
from rag.names import identifier_term, identifiers
from rag.terms import numbers, term_set
from rag.text import sentence_spans

if TYPE_CHECKING:
    import numpy as np

    from rag.library import Passage, Sentence

# Support at or above `Tuning.support_threshold` cites; below it the sentence is unsupported (set from the alignment
# table in tests/rag/test_citations.py: faithful paraphrases 0.62-0.9, sentences about something else < 0.45).
UNSUPPORTED_MARK = "[unsupported]"

_MARKER = re.compile(r"\s*\[(\d+(?:\s*[,;]\s*\d+)*)\]")
_LEFTOVER = re.compile(r"\s*\[(?:\d+(?:\s*[,;]\s*\d+)*|unsupported)\]")


@dataclass
class Aligned:
    text: str
    sentences: list[AnswerSentence]
    citations: list[Citation]
    cited_sources: list[int]  # indices into the sources list, in citation order


def _missing(specifics: tuple[set[str], list[str]], have_numbers: set[str], have_terms: set[str]) -> list[str]:
    nums, idents = specifics
    return sorted(n for n in nums if n not in have_numbers) + [t for t in idents if t not in have_terms]


def _missing_everywhere(specifics, best, missing: dict[int, list[str]]) -> list[str]:
    """The specifics no supporting source holds (shown with an unsupported sentence), for the best-matching one."""
    if not best:
        return []
    top = max(best, key=lambda b: b[0])
    return missing.get(top[1], [])


def split_with_markers(text: str) -> list[tuple[str, list[int]]]:
    """Answer sentences without markers, each with the marker numbers that followed it."""
    clean_parts: list[str] = []
    markers: list[tuple[int, list[int]]] = []  # (position in clean text, numbers)
    pos = 0
    length = 0
    for m in _MARKER.finditer(text):
        piece = text[pos : m.start()]
        clean_parts.append(piece)
        length += len(piece)
        markers.append((length, [int(x) for x in re.split(r"\s*[,;]\s*", m.group(1))]))
        pos = m.end()
    clean_parts.append(text[pos:])
    clean = "".join(clean_parts)
    spans = sentence_spans(clean)
    out: list[tuple[str, list[int]]] = [(clean[a:b].strip(), []) for a, b in spans]
    for p, marks in markers:
        owner = max((i for i, (a, _) in enumerate(spans) if a < p), default=0)
        if out:
            out[owner][1].extend(marks)
    # A marker left alone at the very end ("... [2]") may have produced an empty trailing sentence.
    return [(s, list(dict.fromkeys(n))) for s, n in out if s and _LEFTOVER.sub("", s).strip()]


def support_scores(sentence_vec: "np.ndarray", sentence_terms: set[str], candidates: Sequence["Sentence"]) -> list[float]:
    import numpy as np

    if not candidates:
        return []
    sims = np.stack([c.vector for c in candidates]) @ sentence_vec
    scores = []
    for c, sim in zip(candidates, sims):
        contained = len(sentence_terms & c.terms) / len(sentence_terms) if sentence_terms else 0.0
        scores.append(0.5 * max(float(sim), 0.0) + 0.5 * contained)
    return scores


def align(
    text: str,
    sources: list[Source],
    passages: dict[str, "Passage"],
    embed: Callable[[list[str]], "np.ndarray"],
    threshold: float,
) -> Aligned:
    """A language model's text, split into sentences, each cited to the retrieved sources that support it."""
    pieces = split_with_markers(text)
    if not pieces:
        return Aligned("", [], [], [])
    cand = [passages[s.paper_id].sentences if s.paper_id in passages else [] for s in sources]

    # Vectors: a sentence copied from an abstract reuses the stored vector; the rest are encoded in one batch.
    by_text = {c.text: c for sents in cand for c in sents}
    source_terms = [
        set().union(*(c.terms for c in sents), term_set(sources[i].title)) if sents else set()
        for i, sents in enumerate(cand)
    ]
    source_numbers = [set().union(*(numbers(c.text) for c in sents), numbers(sources[i].title)) if sents else set()
                      for i, sents in enumerate(cand)]
    to_encode = [s for s, _ in pieces if s not in by_text]
    encoded = dict(zip(to_encode, embed(to_encode))) if to_encode else {}

    numbering: dict[int, int] = {}  # source index -> citation number
    used_evidence: dict[int, list[str]] = {}
    sentences: list[AnswerSentence] = []
    rendered: list[str] = []
    for sent, marked in pieces:
        vec = by_text[sent].vector if sent in by_text else encoded[sent]
        terms = term_set(sent)
        best: list[tuple[float, int, str]] = []  # (support, source index, evidence sentence text)
        for si, sents in enumerate(cand):
            scores = support_scores(vec, terms, sents)
            if scores:
                j = max(range(len(scores)), key=scores.__getitem__)
                best.append((scores[j], si, sents[j].text))
        # A source supports a sentence only if it also holds the sentence's numbers and identifiers: "41%" or
        # "Mamba-2" that the cited abstract does not contain is a claim no source made, however similar the rest.
        specifics = (numbers(sent), [identifier_term(i) for i in identifiers(sent)])
        missing = {si: _missing(specifics, source_numbers[si], source_terms[si]) for _, si, _ in best}
        holds = [b for b in best if not missing[b[1]]]
        valid_marks = {m - 1 for m in marked if 1 <= m <= len(sources)}
        supported_marks = sorted(
            (b for b in holds if b[1] in valid_marks and b[0] >= threshold), key=lambda b: -b[0]
        )
        overall = max(holds, default=(0.0, -1, ""))
        chosen = supported_marks or ([overall] if overall[0] >= threshold else [])
        absent = [] if chosen else _missing_everywhere(specifics, best, missing)
        cited = []
        for score, si, ev_text in chosen:
            if si not in numbering:
                numbering[si] = len(numbering) + 1
            cited.append(numbering[si])
            if ev_text not in used_evidence.setdefault(si, []):
                used_evidence[si].append(ev_text)
        support = max((c[0] for c in chosen), default=max((b[0] for b in best), default=0.0))
        sentences.append(AnswerSentence(sent, cited, not cited, round(support, 4), absent))
        rendered.append(sent + (" " + "".join(f"[{n}]" for n in cited) if cited else f" {UNSUPPORTED_MARK}"))

    order = sorted(numbering, key=numbering.get)
    citations = [
        Citation(
            n=numbering[si],
            paper_id=sources[si].paper_id,
            title=sources[si].title,
            date=sources[si].date,
            year=sources[si].year,
            url=sources[si].url or (sources[si].links[0] if sources[si].links else None),
            evidence=used_evidence.get(si, []),
            score=round(sources[si].score, 6),
            authors=list(sources[si].authors),
            arxiv_id=sources[si].arxiv_id,
            doi=sources[si].doi,
            categories=list(sources[si].categories),
        )
        for si in order
    ]
    return Aligned(" ".join(rendered), sentences, citations, order)


# ----- structured claims (the extractive writer) ---------------------------------------------------------------
def check(blocks: list, sources: list[Source], passages: dict[str, "Passage"]) -> tuple[list[Citation], list[AnswerSentence]]:
    """Number the papers the blocks quote or name, in order of first use, fill in every citation, and confirm each
    quoted sentence is a sentence of its paper's abstract (one that is not is marked unsupported). Returns the
    citations and every sentence of the answer in reading order."""
    index = {s.paper_id: i for i, s in enumerate(sources)}
    numbering: dict[str, int] = {}
    evidence: dict[str, list[str]] = {}

    def number(pid: str) -> int | None:
        if pid not in index:
            return None
        if pid not in numbering:
            numbering[pid] = len(numbering) + 1
        return numbering[pid]

    def held(pid: str, quote: str) -> bool:
        passage = passages.get(pid)
        return passage is not None and any(x.text == quote for x in passage.sentences)

    def cite(s: AnswerSentence) -> AnswerSentence:
        numbers = [n for n in (number(p) for p in s.paper_ids) if n is not None]
        if s.quote:
            ok = bool(numbers) and held(s.paper_ids[0], s.quote)
            if ok:
                evidence.setdefault(s.paper_ids[0], [])
                if s.quote not in evidence[s.paper_ids[0]]:
                    evidence[s.paper_ids[0]].append(s.quote)
            s.citations, s.unsupported, s.support = (numbers if ok else []), not ok, 1.0 if ok else 0.0
        else:  # the engine's own words about these papers (a comparison's summary): cited to them
            s.citations, s.unsupported, s.support = numbers, not numbers, 1.0 if numbers else 0.0
        return s

    flat: list[AnswerSentence] = []
    for block in blocks:
        if isinstance(block, NoticeBlock):
            block.citations = [n for n in (number(p) for p in block.paper_ids) if n is not None]
        elif isinstance(block, SentencesBlock):
            flat += [cite(s) for s in block.sentences]
        elif isinstance(block, ItemsBlock):
            flat += [cite(item.sentence) for item in block.items]
        elif isinstance(block, TableBlock):
            for row in block.rows:
                for cell in row:
                    if not cell.paper_ids:
                        continue
                    if cell.quote:
                        s = cite(AnswerSentence(cell.text, [], False, 0.0, role="cell", paper_ids=list(cell.paper_ids),
                                                quote=cell.quote))
                        cell.citations = s.citations
                        flat.append(s)
                    else:
                        cell.citations = [n for n in (number(p) for p in cell.paper_ids) if n is not None]
    for block in blocks:  # a verdict names each paper by the number it got where it is quoted
        if isinstance(block, VerdictBlock):
            for p in block.papers:
                p.n = numbering.get(p.paper_id)
    citations = []
    for pid, n in sorted(numbering.items(), key=lambda kv: kv[1]):
        src = sources[index[pid]]
        src.cited = True
        citations.append(Citation(
            n=n, paper_id=pid, title=src.title, date=src.date, year=src.year,
            url=src.url or (src.links[0] if src.links else None), evidence=evidence.get(pid, []),
            score=round(src.score, 6), authors=list(src.authors), arxiv_id=src.arxiv_id, doi=src.doi,
            categories=list(src.categories),
        ))
    return citations, flat

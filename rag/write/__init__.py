"""Writing the answer from the abstracts' own sentences (no model): typed blocks shaped by the judgement.

  fact         the sentence that answers first (rag/write/lead.py), then context
  yes-no       the verdict, then each paper's deciding sentence; "Not stated" says so about the paper
  list         every matching paper with one sentence (a page of them, then how many more)
  papers       the papers a filter names ("Which papers did Kaiming He write?"), each by its opening sentence
  comparison   a table of approach and finding per paper and a summary (rag/write/compare.py)
  not stated   what the named paper's abstract does not report, then what it does say nearest to the question
  not found    why, in plain words
Quoted sentences carry the paper they come from and the sentence as written (`AnswerSentence.quote`), so the
citation check aligns them directly; only a language model's free text goes through the sentence splitter.
"""

from __future__ import annotations

from typing import TYPE_CHECKING, Callable

from rag.answer import (
    AnswerSentence,
    Cell,
    Item,
    ItemsBlock,
    NoticeBlock,
    PaperVerdict,
    SentencesBlock,
    TableBlock,
    VerdictBlock,
)
from rag.names import short_title
from rag.write import compare
from rag.write.lead import lead, pick
from rag.write.rewrite import clean

if TYPE_CHECKING:
    from rag.answer import Block, Evidence, Source
    from rag.judge import Judgement
    from rag.question import Query
    from rag.tuning import Tuning


def quote(src: "Source", e: "Evidence", role: str) -> AnswerSentence:
    """An abstract sentence as the answer says it, tied to its paper and to the sentence as written."""
    return AnswerSentence(clean(e.text, src.name), [], False, 0.0, role=role, paper_ids=[src.paper_id], quote=e.text)


def name_of(src: "Source") -> str:
    return src.name or short_title(src.title)


def write(query: "Query", judgement: "Judgement", sources: list["Source"], *, max_sentences: int, t: "Tuning",
          weigh: Callable[[list[str]], dict[str, float]]) -> list["Block"]:
    """The answer's blocks for `judgement` (citations are numbered by rag/citations.py `check`)."""
    shape = judgement.shape
    if shape == "not-found":
        return [NoticeBlock("not-found", judgement.reason[:1].upper() + judgement.reason[1:])]
    if shape == "not-stated":
        src = sources[judgement.papers[0]]
        blocks: list["Block"] = [NoticeBlock(
            "not-stated", f"The abstract of {name_of(src)} does not mention {judgement.missing}.", [src.paper_id])]
        closest = lead(query, src, t)
        if closest is not None:
            blocks.append(SentencesBlock([quote(src, closest, "context")], role="context"))
        return blocks
    if shape in ("list", "papers"):
        return _items(query, judgement, sources, t)
    if shape == "comparison":
        return _comparison(judgement, sources, weigh)
    if shape == "yes-no":
        return _yes_no(judgement, sources)
    return _fact(query, judgement, sources, max_sentences, t)


def _fact(query: "Query", judgement: "Judgement", sources: list["Source"], max_sentences: int, t: "Tuning"
          ) -> list["Block"]:
    blocks: list["Block"] = []
    if judgement.premise is not None and judgement.premise.sentence is not None:
        src = sources[judgement.premise.source]
        blocks.append(NoticeBlock(
            "premise", f"The abstract of {name_of(src)} does not support the question's premise; it says:",
            [src.paper_id]))
        blocks.append(SentencesBlock([quote(src, judgement.premise.sentence, "quote")], role="quote"))
        return blocks
    picked = pick(query, sources, judgement.papers, max_sentences, t)
    if picked:
        blocks.append(SentencesBlock([quote(sources[i], e, role) for i, e, role in picked]))
    return blocks


def _yes_no(judgement: "Judgement", sources: list["Source"]) -> list["Block"]:
    verdicts = [PaperVerdict(None, sources[s.source].paper_id, sources[s.source].title, s.label)
                for s in judgement.stances]
    blocks: list["Block"] = [VerdictBlock(judgement.verdict or "Not stated", verdicts)]
    deciding = [quote(sources[s.source], s.sentence, "deciding") for s in judgement.stances
                if s.label != "Not stated" and s.sentence is not None]
    if deciding:
        blocks.append(SentencesBlock(deciding, role="deciding"))
    silent = [s for s in judgement.stances if s.label == "Not stated"]
    if silent and not deciding:
        src = sources[silent[0].source]
        blocks.append(NoticeBlock(
            "not-stated", f"The abstract of {name_of(src)} neither states nor contradicts this.", [src.paper_id]))
        if silent[0].sentence is not None:
            blocks.append(SentencesBlock([quote(src, silent[0].sentence, "context")], role="context"))
    return blocks


def _items(query: "Query", judgement: "Judgement", sources: list["Source"], t: "Tuning") -> list["Block"]:
    items = []
    for i in judgement.papers:
        src = sources[i]
        if not src.evidence:
            continue
        # a paper listed by a filter is shown by what it is about (its opening sentence); one listed for a topic by
        # its sentence closest to the topic
        e = min(src.evidence, key=lambda x: x.start) if judgement.shape == "papers" else src.evidence[0]
        items.append(Item(src.paper_id, src.title, src.year, quote(src, e, "item")))
    total = len(items)
    blocks: list["Block"] = [ItemsBlock(items[: t.list_page], total)]
    if total > t.list_page:
        blocks.append(NoticeBlock("more", f"{total - t.list_page} more papers match; narrow the question to see "
                                          "them, or read the full list in the JSON answer's sources."))
    return blocks


def _comparison(judgement: "Judgement", sources: list["Source"], weigh: Callable[[list[str]], dict[str, float]]
                ) -> list["Block"]:
    chosen = [sources[i] for i in judgement.papers]
    rows: list[list[Cell]] = []
    for src in chosen:
        approach, finding = compare.cells(src)
        row = [Cell(name_of(src), [], [src.paper_id]), Cell(str(src.year or ""))]
        for e in (approach, finding):
            row.append(Cell(clean(e.text, src.name), [], [src.paper_id], e.text) if e is not None else Cell(""))
        rows.append(row)
    shared, own = compare.keywords(chosen, weigh)
    ids = [s.paper_id for s in chosen]
    summary: list[AnswerSentence] = []
    if shared:
        summary.append(AnswerSentence(f"Both concern {_join(shared)}.", [], False, 0.0, role="summary",
                                      paper_ids=list(ids)))
    differ = [f"{name_of(s)}: {_join(words)}" for s, words in zip(chosen, own) if words]
    if differ:
        summary.append(AnswerSentence("Where they differ: " + "; ".join(differ) + ".", [], False, 0.0,
                                      role="summary", paper_ids=list(ids)))
    table = TableBlock(["Paper", "Year", "Approach", "Finding"], rows)
    blocks: list["Block"] = [table]
    if summary:
        blocks.append(SentencesBlock(summary, role="summary"))
    return blocks


def _join(words: list[str]) -> str:
    return words[0] if len(words) == 1 else ", ".join(words[:-1]) + " and " + words[-1]

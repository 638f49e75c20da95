"""Every constant of PaperRAG chosen by looking at data, in one frozen object, with the data it was chosen on.

`Settings.tuning` holds a `Tuning`; every step of the engine reads its constants from there, so a sweep
(`python -m evals.tune`) builds engines with other values instead of patching module globals.

Data sets (see evals/suite.yaml):
  gold-tune / researcher-tune   the halves of evals/datasets/gold.jsonl and researcher.jsonl whose item ids hash
                                even (evals/dataset.py `split`); the other halves are never used to choose anything
  pubmedqa-dev                  502 PubMedQA questions (the other half is a hidden test set)
  scifact-train                 809 SciFact claims, read from ../shared (the 300 test claims are hidden)
Constants marked "a priori" or "literature" were set before looking at any result.

`paperrag eval` prints `table()` in its report, so a number in a report can always be traced to how the knobs were
set. The user-facing knobs `retrieval.abstain_threshold`, `retrieval.rrf_k` and `retrieval.candidates` take their
defaults from here.
"""

from __future__ import annotations

from dataclasses import dataclass, fields


@dataclass(frozen=True)
class Tuning:
    # ----- retrieval ---------------------------------------------------------------------------------------------
    rrf_k: int = 60
    candidates: int = 40
    dense_sentence_weight: float = 0.5
    # ----- evidence (rag/evidence.py) -----------------------------------------------------------------------------
    similarity_weight: float = 0.6
    overlap_weight: float = 0.4
    cue_bonus: float = 0.08
    focus_weight: float = 0.2
    coverage_papers: int = 3
    asked_weight: float = 0.3
    # ----- not found, not stated (rag/judge/answerable.py) --------------------------------------------------------
    abstain_threshold: float = 0.34
    unknown_name_share: float = 0.5
    asked_cover: float = 0.25
    # ----- which papers an answer is about (rag/judge/select.py) --------------------------------------------------
    relative_floor: float = 0.9
    list_cover: float = 0.5
    list_floor: float = 0.7
    list_sure_cover: float = 0.9
    list_sure_floor: float = 0.5
    list_depth: int = 30
    list_page: int = 10
    # ----- verdicts (rag/judge/verdict.py) ------------------------------------------------------------------------
    stated_cover: float = 0.34
    consensus_floor: float = 0.9
    consensus_cover: float = 0.5
    # ----- extractive answers (rag/write) -------------------------------------------------------------------------
    top_paper_floor: float = 0.4
    top_paper_cap: int = 3
    near_duplicate_jaccard: float = 0.6
    conclusion_sentences: int = 2
    # ----- citations (rag/citations.py) ---------------------------------------------------------------------------
    support_threshold: float = 0.55

    def replace(self, **changes: object) -> "Tuning":
        from dataclasses import replace

        return replace(self, **changes)


PROVENANCE: dict[str, tuple[str, str]] = {
    "rrf_k": ("literature", "Cormack, Clarke and Buettcher 2009"),
    "candidates": ("a priori", "checked: recall@40 is 1.000 on gold-tune and pubmedqa-dev"),
    "dense_sentence_weight": ("a priori", "equal weights; 0.25/0.75 were worse on both gold and pubmedqa-dev"),
    "similarity_weight": ("gold-tune", "key-fact recall; unchanged on pubmedqa-dev token F1"),
    "overlap_weight": ("gold-tune", "1 - similarity_weight"),
    "cue_bonus": ("gold-tune", "key-fact recall of number, dataset and finding questions"),
    "focus_weight": ("gold-tune", "key-fact recall"),
    "coverage_papers": ("a priori", "the sources a reader looks at first"),
    "asked_weight": ("gold-tune", "key-fact recall 0.849 (0, 0.15) -> 0.884 (0.3, 0.5); pubmedqa-dev unchanged"),
    "abstain_threshold": ("gold-tune", "unanswerable max 0.33 < answerable min 0.42; 0.33-0.40 all equal elsewhere"),
    "unknown_name_share": ("a priori", "most of what is asked is unknown; gold: catches 2 unanswerable, pubmedqa-dev: "
                           "spares the one answerable question whose only name is absent (V30M)"),
    "asked_cover": ("gold-tune, researcher-tune", "a named paper reports what is asked unless it holds under a quarter "
                    "of the asked words (IDF-weighted): papers asked what they lack hold 0.0, answered ones 0.26-1.0"),
    "relative_floor": ("gold-tune", "citation precision"),
    "list_cover": ("gold-tune, researcher-tune", "every gold member of a list holds at least half the topic's words "
                   "(IDF-weighted); most outsiders under 0.45"),
    "list_floor": ("gold-tune, researcher-tune", "gold members' dense score at least 0.70 of the best paper's "
                   "(0.70-1.00); outsiders that hold the words 0.58-0.69 (one 0.71)"),
    "list_sure_cover": ("gold-tune, researcher-tune", "a paper holding all of the topic's words is about it unless "
                        "far from the best (a priori: all but rounding)"),
    "list_sure_floor": ("gold-tune, researcher-tune", "keeps the federated-learning paper at 0.697 of the best"),
    "list_depth": ("a priori", "papers a list question considers: enough for a field's worth in one collection"),
    "list_page": ("a priori", "items shown before 'N more'"),
    "stated_cover": ("a priori", "a sentence speaks to a claim when it holds a third of the claim's words"),
    "consensus_floor": ("a priori", "another paper joins a verdict when its deciding sentence is nearly as close"),
    "consensus_cover": ("scifact-train", "...and holds at least half of the claim's words: at 0 (no bar), 5% of "
                        "SciFact answers were Mixed, every one wrong"),
    "top_paper_floor": ("gold-tune", "key-fact recall 0.849 / 0.884 / 0.895 at 0.6 / 0.5 / 0.4 (token F1 -0.007)"),
    "top_paper_cap": ("gold-tune", "key-fact recall against token F1"),
    "near_duplicate_jaccard": ("a priori", "more than half the terms shared"),
    "conclusion_sentences": ("pubmedqa-dev", "token F1 against the conclusions 0.660 / 0.679 / 0.678 at 1 / 2 / 3"),
    "support_threshold": ("tests/rag/test_citations.py", "faithful paraphrases 0.62-0.9, other claims < 0.45"),
}

DEFAULT = Tuning()


def table(tuning: Tuning = DEFAULT) -> list[tuple[str, object, str, str]]:
    """(name, value, chosen on, why) of every constant, for reports."""
    assert {f.name for f in fields(Tuning)} == set(PROVENANCE), "every constant needs its provenance"
    return [(name, getattr(tuning, name), on, why) for name, (on, why) in PROVENANCE.items()]

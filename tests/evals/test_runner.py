"""The eval runner and harness on a five-item gold set, with the real engine over the bundled corpus.

`run_variant` uses the session's warm engine; `harness.run` is the whole `paperrag eval` path (its own store,
the baselines added, report.json / report.md / PNGs written) minus the command line.
"""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from conftest import BUNDLED, make_settings
from evals.dataset import load_dataset
from evals.metrics import hit_at, key_fact_recall, mrr_at, token_f1
from evals.runner import TurnResult, Variant, aggregate, calibrate_threshold, run_variant

HYPERNET = "title:e86d264760d7b943"  # Magnitude Invariant Parametrizations Improve Hypernetwork Learning
FEDLD = "title:10c8228a925d4405"  # Tackling Data Heterogeneity in Federated Learning via Loss Decomposition
FAIR_FL = "title:d606f8127a934ede"  # Demystifying Local and Global Fairness Trade-offs in Federated Learning ...
RELP = "title:020f77193d164964"  # RelP: Faithful and Efficient Circuit Discovery via Relevance Patching

RELP_Q = (
    "Which method replaces the local gradients of attribution patching with propagation coefficients "
    "from Layer-wise Relevance Propagation?"
)
TINY = [
    {
        "id": "s1", "type": "single", "question": "What makes hypernetworks hard to train?",
        "gold_paper_ids": [HYPERNET],
        "reference_answer": "A magnitude proportionality between the inputs and outputs of the hypernetwork makes "
        "training slow and unstable.",
        "key_facts": [["magnitude proportionality"]],
    },
    {
        "id": "s2", "type": "single", "question": "Into which three terms does FedLD decompose the global loss?",
        "gold_paper_ids": [FEDLD],
        "reference_answer": "FedLD decomposes the global loss into local loss, distribution shift loss and "
        "aggregation loss.",
        "key_facts": [["local loss"], ["distribution shift loss"], ["aggregation loss"]],
    },
    {
        "id": "u1", "type": "unanswerable", "question": "Who won the 2018 World Cup?",
        "reference_answer": "The collection does not cover this.",
    },
    {
        "id": "f1", "type": "followup", "question": RELP_Q, "gold_paper_ids": [RELP],
        "turns": [
            {"question": RELP_Q, "gold_paper_ids": [RELP], "reference_answer": "Relevance Patching (RelP).",
             "key_facts": [["Relevance Patching", "RelP"]]},
            {"question": "What Pearson correlation does it reach for MLP outputs in GPT-2 Large?",
             "gold_paper_ids": [RELP],
             "reference_answer": "RelP reaches a Pearson correlation of 0.956 for MLP outputs in GPT-2 Large.",
             "key_facts": [["0.956"]]},
        ],
    },
    {
        "id": "d1", "type": "date", "question": "Which federated learning papers have been published since 2023?",
        "gold_paper_ids": [FAIR_FL, FEDLD],
        "reference_answer": "FedLD, and a study of local and global fairness trade-offs in federated learning.",
        "key_facts": [["federated learning"]],
        "expected_filters": {"year_from": 2023, "year_to": None},
    },
]


def write_tiny(folder: Path) -> Path:
    path = folder / "tiny.jsonl"
    path.write_text("\n".join(json.dumps(item) for item in TINY) + "\n", encoding="utf-8")
    return path


@pytest.fixture(scope="module")
def tiny_path(tmp_path_factory) -> Path:
    return write_tiny(tmp_path_factory.mktemp("tiny"))


@pytest.fixture(scope="module")
def hybrid(engine, tiny_path) -> list[TurnResult]:
    """The tiny set through the default variant (hybrid retrieval, extractive answers), once for the module."""
    return run_variant(engine, load_dataset(tiny_path), Variant.parse("hybrid"))


def by_key(results: list[TurnResult]) -> dict[tuple[str, int], TurnResult]:
    return {(r.item_id, r.turn): r for r in results}


# ----- per turn -------------------------------------------------------------------------------------------------
def test_every_turn_is_played_in_order(hybrid):
    assert [(r.item_id, r.turn) for r in hybrid] == [("s1", 0), ("s2", 0), ("u1", 0), ("f1", 0), ("f1", 1), ("d1", 0)]
    assert all(r.variant == "hybrid" and r.latency_ms > 0 for r in hybrid)
    assert [r.type for r in hybrid] == ["single", "single", "unanswerable", "followup", "followup", "date"]


@pytest.mark.parametrize("key, gold", [(("s1", 0), HYPERNET), (("s2", 0), FEDLD), (("f1", 0), RELP)])
def test_answerable_turns_find_cite_and_state_the_facts(hybrid, key, gold):
    r = by_key(hybrid)[key]
    assert not r.abstained
    assert r.ranked_ids[0] == gold and r.cited_ids[0] == gold
    assert len(r.ranked_ids) == 10  # retrieval metrics look ten papers deep
    m = r.metrics
    assert (m["hit@1"], m["hit@5"], m["recall@5"], m["mrr@10"], m["ndcg@10"]) == (1.0, 1.0, 1.0, 1.0, 1.0)
    assert m["citation_precision"] == 1.0 and m["citation_recall"] == 1.0
    assert m["key_fact_recall"] == 1.0 and m["false_abstention"] == 0.0
    assert m["sentence_support"] == 1.0
    assert 0 < m["token_f1"] < 1 and 0 < m["rouge_l"] < 1
    assert "date_filter_correct" not in m


def test_metrics_are_the_metric_functions_applied_to_the_turn(hybrid):
    for r in hybrid:
        if not r.answerable:
            continue
        gold = set(r.gold_ids)
        assert r.metrics["hit@1"] == hit_at(r.ranked_ids, gold, 1)
        assert r.metrics["mrr@10"] == mrr_at(r.ranked_ids, gold, 10)
        assert r.metrics["token_f1"] == token_f1(r.answer, r.reference_answer)
    s2 = by_key(hybrid)[("s2", 0)]
    assert "local loss" in s2.answer.lower() and "aggregation loss" in s2.answer.lower()
    assert s2.metrics["key_fact_recall"] == key_fact_recall(s2.answer, TINY[1]["key_facts"])


def test_unanswerable_turn_abstains_and_has_no_answer_metrics(hybrid):
    r = by_key(hybrid)[("u1", 0)]
    assert r.abstained and not r.answerable
    assert r.cited_ids == [] and r.answer.startswith("Not found in the collection.")
    # retrieval/answer metrics need gold papers; abstention is scored in aggregate(), the answer graded as a whole
    assert r.metrics == {"correct": 1.0, "confidently_wrong": 0.0}


def test_followup_turn_is_narrowed_to_the_first_answer(hybrid):
    second = by_key(hybrid)[("f1", 1)]
    assert second.filters["paper_ids"] == [RELP]
    assert second.ranked_ids == [RELP] and second.cited_ids == [RELP]
    assert "0.956" in second.answer and second.metrics["key_fact_recall"] == 1.0


def test_date_turn_applies_and_scores_the_filter(hybrid):
    r = by_key(hybrid)[("d1", 0)]
    assert r.filters["year_from"] == 2023 and "year_to" not in r.filters
    assert r.expected_filters == {"year_from": 2023, "year_to": None}
    assert r.metrics["date_filter_correct"] == 1.0
    assert set(r.cited_ids) == {FEDLD, FAIR_FL}
    assert all(x.expected_filters is None for x in hybrid if x.type != "date")


# ----- aggregate and calibration on the engine's results ---------------------------------------------------------
def test_aggregate_of_the_tiny_run(hybrid):
    agg = aggregate(hybrid)
    assert agg["turns"] == 6.0
    assert agg["abstain_recall"] == 1.0 and agg["abstain_precision"] == 1.0
    assert agg["false_abstention"] == 0.0
    assert agg["hit@1"] == 1.0 and agg["citation_recall"] == 1.0 and agg["date_filter_correct"] == 1.0
    answerable = [r for r in hybrid if r.answerable]
    assert len(answerable) == 5
    assert agg["token_f1"] == pytest.approx(sum(r.metrics["token_f1"] for r in answerable) / 5)
    assert 0 < agg["latency_p50_ms"] <= agg["latency_p95_ms"] <= max(r.latency_ms for r in hybrid)


def test_calibrated_threshold_separates_the_tiny_run(hybrid, engine):
    cal = calibrate_threshold(hybrid)
    u1 = by_key(hybrid)[("u1", 0)]
    first_turns = [r for r in hybrid if r.answerable and not r.filters.get("paper_ids")]
    assert cal["balanced_accuracy"] == 1.0
    assert cal["unanswerable_max"] == u1.evidence_strength
    assert cal["answerable_min"] == min(r.evidence_strength for r in first_turns)
    assert cal["threshold"] == pytest.approx((cal["unanswerable_max"] + cal["answerable_min"]) / 2)
    # the shipped threshold also separates these turns, or the answers above would have been abstentions
    assert cal["unanswerable_max"] < engine.settings.retrieval.abstain_threshold <= cal["answerable_min"]


# ----- aggregate and calibration on made-up turns (exact numbers) -----------------------------------------------
def turn(gold: list[str], abstained: bool, strength: float, narrowed: bool = False, **metrics) -> TurnResult:
    return TurnResult(
        variant="v", item_id="x", turn=0, type="single" if gold else "unanswerable", split="tune", question="q?",
        gold_ids=gold, gold_titles=[], reference_answer="", answer="", abstained=abstained,
        evidence_strength=strength, ranked_ids=[], ranked_titles=[], cited_ids=[], cited_titles=[],
        filters={"paper_ids": gold} if narrowed else {}, expected_filters=None, latency_ms=strength * 100,
        metrics=metrics,
    )


def test_aggregate_counts_abstentions_both_ways():
    results = [
        turn(["p"], False, 0.9, **{"hit@1": 1.0, "false_abstention": 0.0, "citation_precision": 1.0}),
        turn(["p"], True, 0.2, **{"hit@1": 0.0, "false_abstention": 1.0, "citation_precision": None}),
        turn([], True, 0.1),
        turn([], False, 0.5),  # answered a question the collection does not cover
        turn([], True, 0.3),
    ]
    agg = aggregate(results)
    assert agg["abstain_recall"] == pytest.approx(2 / 3)  # 2 of 3 unanswerable turns abstained
    assert agg["abstain_precision"] == pytest.approx(2 / 3)  # 2 of 3 abstentions were on unanswerable turns
    assert agg["false_abstention"] == 0.5 and agg["hit@1"] == 0.5
    assert agg["citation_precision"] == 1.0  # the None (nothing cited) is left out, not averaged as 0
    assert agg["turns"] == 5.0
    # latencies 90 20 10 50 30 ms, sorted 10 20 30 50 90: p50 = 30, p95 at position 3.8 = 50 + 0.8 * 40
    assert agg["latency_p50_ms"] == pytest.approx(30.0) and agg["latency_p95_ms"] == pytest.approx(82.0)


def test_aggregate_without_unanswerables_or_abstentions_leaves_them_undefined():
    agg = aggregate([turn(["p"], False, 0.9, **{"hit@1": 1.0})])
    assert agg["abstain_recall"] is None and agg["abstain_precision"] is None
    assert agg["hit@1"] == 1.0


def test_calibration_separable_ignores_narrowed_followups():
    results = [turn(["p"], False, 0.5), turn(["p"], False, 0.7), turn([], True, 0.1), turn([], True, 0.3),
               turn(["p"], False, 0.05, narrowed=True)]  # a narrowed follow-up never abstains: not counted
    cal = calibrate_threshold(results)
    assert cal == pytest.approx(
        {"threshold": 0.4, "balanced_accuracy": 1.0, "answerable_min": 0.5, "unanswerable_max": 0.3}
    )


def test_calibration_overlapping_picks_best_balanced_accuracy():
    # cuts 0.15 / 0.3 / 0.5 / 0.7 give balanced accuracy 0.75 / 0.583 / 0.833 / 0.667
    results = [turn(["p"], False, s) for s in (0.2, 0.6, 0.8)] + [turn([], True, s) for s in (0.1, 0.4)]
    cal = calibrate_threshold(results)
    assert cal["threshold"] == pytest.approx(0.5)
    assert cal["balanced_accuracy"] == pytest.approx(5 / 6)


def test_calibration_tie_goes_to_the_widest_gap():
    # cuts 0.2 and 0.7 both score 0.75; 0.7 sits in the wider gap (0.5 .. 0.9)
    results = [turn(["p"], False, s) for s in (0.3, 0.9)] + [turn([], True, s) for s in (0.1, 0.5)]
    assert calibrate_threshold(results)["threshold"] == pytest.approx(0.7)


def test_calibration_needs_both_kinds():
    assert calibrate_threshold([turn(["p"], False, 0.9)]) is None
    assert calibrate_threshold([turn([], True, 0.1)]) is None


# ----- the harness end to end -----------------------------------------------------------------------------------
@pytest.fixture(scope="module")
def eval_base(tmp_path_factory):
    """Settings over one session temp folder, shared with test_quality_gate: the harness indexes the corpus
    into its own store under store.cache_dir once, and later runs find it unchanged (ingest is idempotent)."""
    return make_settings(tmp_path_factory.getbasetemp() / "eval-store")


def test_harness_writes_the_report_with_baselines(eval_base, tiny_path, tmp_path, embedder):
    from evals.harness import run

    out = tmp_path / "report"
    result = run(eval_base, dataset=tiny_path, corpus=[BUNDLED], variants=["hybrid"], out=out, progress=False,
                 embedder=embedder)

    assert result.default == "hybrid"
    assert sorted(p.name for p in result.files) == ["latency.png", "metrics.png", "report.json", "report.md"]
    data = json.loads((out / "report.json").read_text(encoding="utf-8"))
    # PaperRAG's single modes and the plain whole-abstract baselines are always added
    assert sorted(data["variants"]) == ["bm25", "dense", "hybrid", "plain-bm25", "plain-dense", "plain-rrf"]
    assert data["items"] == 5 and data["turns"] == 6 and data["corpus"] == [str(BUNDLED)]
    assert data["embedding_model"] == embedder.model_id
    for name in ("bm25", "dense", "hybrid"):
        assert len(data["results"][name]) == 6
        assert data["variants"][name]["abstain_recall"] == 1.0
        assert data["variants"][name]["turns"] == 6.0
    for name in ("plain-bm25", "plain-dense", "plain-rrf"):  # retrieval only: no answers, no abstention
        assert data["variants"][name]["hit@1"] is not None and data["variants"][name]["abstain_recall"] is None
        assert data["variants"][name].get("key_fact_recall") is None
    assert data["variants"]["hybrid"]["hit@1"] == 1.0
    assert data["calibration"]["balanced_accuracy"] == 1.0

    md = (out / "report.md").read_text(encoding="utf-8")
    assert "| variant | correct | confidently_wrong_count | verdict_accuracy | verdict_macro_f1 |" in md
    assert "| hit@1 | hit@5 | recall@5 | mrr@10 | ndcg@10 |" in md
    assert "| **hybrid** |" in md and "| bm25 |" in md and "| dense |" in md and "| plain-bm25 |" in md
    assert "## Failing questions (hybrid): " in md and "## Abstention threshold" in md

    for png in ("metrics.png", "latency.png"):
        raw = (out / png).read_bytes()
        assert raw[:8] == b"\x89PNG\r\n\x1a\n", png
        assert len(raw) > 10_000, f"{png} is only {len(raw)} bytes"

    # the eval indexed the corpus in a store of its own under the temp cache folder; the main store was not made
    assert list((eval_base.store.cache_dir / "eval").glob("*/chroma"))
    assert not Path(eval_base.store.persist_dir).exists()

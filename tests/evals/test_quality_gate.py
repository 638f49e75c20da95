"""The CI quality gate: the default configuration, evaluated offline on every data set of the suite (the gold set
over the bundled listing, pubmedqa-dev over its abstracts), must meet evals/thresholds.yaml. A failure lists every
metric outside its bound and by how much."""

from __future__ import annotations

import pytest

from conftest import ROOT, make_settings
from evals.gate import check, load_thresholds


@pytest.fixture(scope="module")
def eval_base(tmp_path_factory):
    """Settings over the session temp folder test_runner also uses, so the eval store is indexed once."""
    return make_settings(tmp_path_factory.getbasetemp() / "eval-store")


@pytest.mark.slow
def test_default_configuration_meets_the_thresholds_on_every_data_set(eval_base, tmp_path, embedder):
    """The gold and researcher sets (held-out halves) and pubmedqa-dev, the default variant and the baseline dominance rule."""
    from evals.gate import check_suite
    from evals.harness import run_suite

    thresholds = load_thresholds()
    result = run_suite(eval_base, names=sorted(thresholds["datasets"]), variants=["hybrid"], out=tmp_path / "report",
                       embedder=embedder, progress=False)
    default = eval_base.retrieval.mode + (
        "" if eval_base.generator.backend == "extractive" else f"+{eval_base.generator.backend}"
    )
    assert set(result.runs) >= set(thresholds["datasets"]) == {"gold", "researcher", "pubmedqa-dev"}
    for name, run in result.runs.items():
        assert run.default == default == thresholds["datasets"][name]["variant"]
    assert result.runs["gold"].summary["items"] >= 80 and result.runs["pubmedqa-dev"].summary["items"] == 502
    assert "held-out" in result.runs["gold"].summary["splits"]
    assert result.runs["researcher"].summary["items"] >= 80 and "held-out" in result.runs["researcher"].summary["splits"]

    problems = check_suite({n: r.summary for n, r in result.runs.items()}, thresholds)
    assert problems == [], "quality gate failed (see the report's failing questions):\n  " + "\n  ".join(problems)


# ----- gate.check on made-up numbers ----------------------------------------------------------------------------
THRESHOLDS = {"variant": "hybrid", "min": {"hit@1": 0.9, "key_fact_recall": 0.6}, "max": {"false_abstention": 0.05}}


def test_check_passes_when_every_bound_holds():
    ok = {"hybrid": {"hit@1": 0.9, "key_fact_recall": 0.75, "false_abstention": 0.05}}  # bounds are inclusive
    assert check(ok, THRESHOLDS) == []


def test_check_names_each_metric_and_the_shortfall():
    bad = {"hybrid": {"hit@1": 0.85, "key_fact_recall": 0.75, "false_abstention": 0.125}, "bm25": {"hit@1": 1.0}}
    assert check(bad, THRESHOLDS) == [
        "hit@1: 0.850 < 0.900, short by 0.050",
        "false_abstention: 0.125 > 0.050, over by 0.075",
    ]


def test_check_reports_missing_metrics_and_variants():
    assert check({"hybrid": {"hit@1": 0.95, "false_abstention": None}}, THRESHOLDS) == [
        "key_fact_recall: missing",
        "false_abstention: missing",
    ]
    assert check({"bm25": {"hit@1": 1.0}}, THRESHOLDS) == ["variant hybrid was not evaluated"]


def test_shipped_thresholds_name_the_default_variant_and_known_metrics():
    from evals.harness import load_suite
    from evals.report import TABLE_METRICS
    from rag.settings import load_settings

    shipped = load_settings(ROOT / "config.yaml")
    t = load_thresholds()
    assert set(t["datasets"]) <= {s.name for s in load_suite()}, "a threshold names a data set the suite lacks"
    for bounds in t["datasets"].values():
        assert shipped.generator.backend == "extractive" and bounds["variant"] == shipped.retrieval.mode
        assert bounds["min"] and all(0 < v <= 1 for v in bounds["min"].values())
        assert all(0 <= v < 1 for k, v in bounds["max"].items() if not k.endswith("_count"))  # shares
        assert all(isinstance(v, int) and v >= 0 for k, v in bounds["max"].items() if k.endswith("_count"))
        assert set(bounds["min"]) | set(bounds["max"]) <= set(TABLE_METRICS), "a threshold names an unknown metric"
    assert t["dominance"]["pairs"] and set(t["dominance"]["metrics"]) <= set(TABLE_METRICS)


def test_dominance_names_each_mode_below_its_baseline():
    from evals.gate import check_dominance

    rule = {"metrics": ["hit@1", "mrr@10"], "pairs": [["bm25", "plain-bm25"], ["dense", "plain-dense"]]}
    variants = {"bm25": {"hit@1": 0.97, "mrr@10": 0.98}, "plain-bm25": {"hit@1": 0.97, "mrr@10": 0.99},
                "dense": {"hit@1": 0.9, "mrr@10": 0.95}}
    assert check_dominance(variants, rule) == ["bm25 mrr@10 0.980 < plain-bm25 0.990",
                                               "dense vs plain-dense: not both evaluated"]

"""The CI quality gate: the default configuration, evaluated offline on the bundled corpus and the shipped gold
set, must meet evals/thresholds.yaml. A failure lists every metric outside its bound and by how much."""

from __future__ import annotations

import pytest

from conftest import ROOT, make_settings
from evals.gate import check, load_thresholds


@pytest.fixture(scope="module")
def eval_base(tmp_path_factory):
    """Settings over the session temp folder test_runner also uses, so the eval store is indexed once."""
    return make_settings(tmp_path_factory.getbasetemp() / "eval-store")


@pytest.mark.slow
def test_default_configuration_meets_the_thresholds(eval_base, tmp_path, embedder):
    from evals.harness import run

    thresholds = load_thresholds()
    result = run(eval_base, variants=["hybrid"], out=tmp_path / "report", embedder=embedder, progress=False)
    # the gate is about the default configuration: make sure that is what ran and what the thresholds name
    default = eval_base.retrieval.mode + (
        "" if eval_base.generator.backend == "extractive" else f"+{eval_base.generator.backend}"
    )
    assert result.default == default == thresholds["variant"]
    assert result.summary["items"] >= 80 and result.summary["turns"] >= 90

    problems = check(result.summary["variants"], thresholds)
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
    from evals.report import TABLE_METRICS
    from rag.settings import load_settings

    shipped = load_settings(ROOT / "config.yaml")
    t = load_thresholds()
    assert shipped.generator.backend == "extractive" and t["variant"] == shipped.retrieval.mode
    assert t["min"] and all(0 < v <= 1 for v in t["min"].values())
    assert all(0 <= v < 1 for v in t["max"].values())
    assert set(t["min"]) | set(t["max"]) <= set(TABLE_METRICS), "a threshold names a metric the report lacks"

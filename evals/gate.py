"""The quality gate, kept in evals/thresholds.yaml: per data set, minimum (and maximum) scores for the default
configuration (on the held-out half where a set is split), and on every data set each retrieval mode at least as
good as its plain whole-abstract baseline."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import yaml

THRESHOLDS = Path(__file__).resolve().parent / "thresholds.yaml"


def load_thresholds(path: Path = THRESHOLDS) -> dict[str, Any]:
    data = yaml.safe_load(path.read_text(encoding="utf-8"))
    datasets = {
        name: {"variant": d["variant"], "split": d.get("split"), "min": d.get("min", {}), "max": d.get("max", {})}
        for name, d in data["datasets"].items()
    }
    return {"datasets": datasets, "dominance": data.get("dominance", {"metrics": [], "pairs": []})}


def check(variants: dict[str, dict[str, float | None]], bounds: dict[str, Any]) -> list[str]:
    """One line per metric outside its bound, saying by how much; empty when the gate passes."""
    agg = variants.get(bounds["variant"])
    if agg is None:
        return [f"variant {bounds['variant']} was not evaluated"]
    problems = []
    for metric, bound in bounds["min"].items():
        got = agg.get(metric)
        if got is None or got < bound:
            short = "missing" if got is None else f"{got:.3f} < {bound:.3f}, short by {bound - got:.3f}"
            problems.append(f"{metric}: {short}")
    for metric, bound in bounds["max"].items():
        got = agg.get(metric)
        if got is None or got > bound:
            over = "missing" if got is None else f"{got:.3f} > {bound:.3f}, over by {got - bound:.3f}"
            problems.append(f"{metric}: {over}")
    return problems


def check_dominance(variants: dict[str, dict[str, float | None]], rule: dict[str, Any]) -> list[str]:
    """Each (mode, baseline) pair: the mode scores at least the baseline on every listed metric."""
    problems = []
    for mode, baseline in rule.get("pairs", []):
        if mode not in variants or baseline not in variants:
            problems.append(f"{mode} vs {baseline}: not both evaluated")
            continue
        for metric in rule.get("metrics", []):
            a, b = variants[mode].get(metric), variants[baseline].get(metric)
            if a is None or b is None or a < b:
                problems.append(f"{mode} {metric} {_f(a)} < {baseline} {_f(b)}")
    return problems


def check_suite(summaries: dict[str, dict[str, Any]], thresholds: dict[str, Any]) -> list[str]:
    """Every problem of every data set the thresholds name, each prefixed with the set (and half) it is on."""
    problems = []
    for name, bounds in thresholds["datasets"].items():
        summary = summaries.get(name)
        if summary is None:
            problems.append(f"{name}: not evaluated")
            continue
        part = bounds.get("split")
        variants = summary["splits"][part] if part else summary["variants"]
        where = f"{name} ({part} half)" if part else name
        problems += [f"{where}: {p}" for p in check(variants, bounds)]
        problems += [f"{name}: {p}" for p in check_dominance(summary["variants"], thresholds["dominance"])]
    return problems


def _f(v: float | None) -> str:
    return "missing" if v is None else f"{v:.3f}"

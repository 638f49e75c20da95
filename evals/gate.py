"""The quality gate: minimum scores for the default configuration, kept in evals/thresholds.yaml."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import yaml

THRESHOLDS = Path(__file__).resolve().parent / "thresholds.yaml"


def load_thresholds(path: Path = THRESHOLDS) -> dict[str, Any]:
    data = yaml.safe_load(path.read_text(encoding="utf-8"))
    return {"variant": data["variant"], "min": data.get("min", {}), "max": data.get("max", {})}


def check(variants: dict[str, dict[str, float | None]], thresholds: dict[str, Any]) -> list[str]:
    """One line per metric outside its bound, saying by how much; empty when the gate passes."""
    agg = variants.get(thresholds["variant"])
    if agg is None:
        return [f"variant {thresholds['variant']} was not evaluated"]
    problems = []
    for metric, bound in thresholds["min"].items():
        got = agg.get(metric)
        if got is None or got < bound:
            short = "missing" if got is None else f"{got:.3f} < {bound:.3f}, short by {bound - got:.3f}"
            problems.append(f"{metric}: {short}")
    for metric, bound in thresholds["max"].items():
        got = agg.get(metric)
        if got is None or got > bound:
            over = "missing" if got is None else f"{got:.3f} > {bound:.3f}, over by {got - bound:.3f}"
            problems.append(f"{metric}: {over}")
    return problems

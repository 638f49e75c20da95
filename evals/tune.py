"""Choosing the constants of rag/tuning.py (`Settings.tuning`) on data that may be tuned on, and only that data.

    .venv/bin/python -m evals.tune [--grid NAME=v1,v2,... ...]

Runs the default variant (hybrid, extractive) over the "tune" half of every split data set of the suite (the gold
set) and over the whole of every unsplit one (pubmedqa-dev), once per value of each constant in the grid (the
others at their current value), and prints the metrics each value gives. Held-out halves are never loaded.
Pick values here, write them into rag/tuning.py with what they were chosen on, then read the held-out numbers
in `paperrag eval`.
"""

from __future__ import annotations

import argparse
import sys
from typing import Any

DEFAULT_GRID = {
    "asked_weight": [0.0, 0.15, 0.3, 0.5],
    "list_floor": [0.6, 0.7, 0.8],
    "stated_cover": [0.25, 0.34, 0.45],
    "consensus_floor": [0.8, 0.9, 1.0],
}
SHOWN = ["correct", "confidently_wrong_count", "verdict_accuracy", "hit@1", "citation_precision", "citation_recall",
         "multi_citation_recall", "key_fact_recall", "false_abstention", "abstain_recall"]


def main(argv: list[str] | None = None) -> None:
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("--grid", nargs="*", metavar="NAME=V1,V2", help="constants and values (default: a small grid)")
    args = ap.parse_args(argv)
    grid = DEFAULT_GRID if not args.grid else {
        name: [float(v) if "." in v else int(v) for v in values.split(",")]
        for name, values in (g.split("=", 1) for g in args.grid)
    }

    from evals.dataset import load_dataset
    from evals.harness import eval_settings, load_suite
    from evals.runner import Variant, aggregate, run_variant
    from ingest.pipeline import Ingestor
    from rag.embeddings import Embedder
    from rag.engine import Engine
    from rag.settings import load_settings

    settings = load_settings()
    embedder = Embedder(settings.embedding)
    sets: list[tuple[str, Any, list]] = []
    for spec in load_suite():
        if spec.optional and not spec.present:
            continue
        items = [i for i in load_dataset(spec.questions, verdicts=spec.verdicts, ask=spec.ask)
                 if not spec.split or i.split == "tune"]
        s = eval_settings(settings, spec.corpus)
        Ingestor(s, embedder=embedder).run(spec.corpus, progress=True)
        sets.append((spec.name + (" (tune half)" if spec.split else ""), s, items))

    variant = Variant.parse("hybrid")
    for name, values in grid.items():
        print(f"\n{name} (now {getattr(settings.tuning, name)})", flush=True)
        print(f"{'value':>8} {'data set':<24}" + "".join(f"{m[:14]:>15}" for m in SHOWN))
        for value in values:
            for label, s, items in sets:
                # a sweep builds an engine with the other value; nothing global is patched
                swept = s.model_copy(update={"tuning": s.tuning.replace(**{name: value})})
                engine = Engine(swept, embedder=embedder)
                agg = aggregate(run_variant(engine, items, variant))
                cells = "".join(f"{'-' if agg.get(m) is None else format(agg[m], '.3f'):>15}" for m in SHOWN)
                print(f"{value!s:>8} {label:<24}{cells}", flush=True)
    print("\nheld-out halves were not run.", file=sys.stderr)


if __name__ == "__main__":
    main()

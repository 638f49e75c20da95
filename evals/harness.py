"""`paperrag eval`: index the corpus (idempotently, in a store of its own), run the variants, write the report."""

from __future__ import annotations

import sys
from dataclasses import dataclass
from pathlib import Path
from typing import Any, Sequence

from evals.dataset import DEFAULT_DATASET, load_dataset
from evals.runner import Variant, aggregate, available_variants, calibrate_threshold, run_variant, with_baselines
from rag.text import short_hash


@dataclass
class EvalRun:
    summary: dict[str, Any]
    by_variant: dict[str, list]
    default: str
    files: list[Path]


def eval_settings(settings: Any, corpus: Sequence[Path]) -> Any:
    """The user's settings with the store moved to a cache folder of its own, keyed by the corpus files, the
    embedding model and its quantization (so changing either gets a fresh store, never a manifest mismatch)."""
    from rag.embeddings import quantization_of
    from rag.types import SCHEMA_VERSION

    key = short_hash(
        *sorted(str(Path(c).resolve()) for c in corpus),
        settings.embedding.model,
        quantization_of(settings.embedding.backend),
        f"schema{SCHEMA_VERSION}",
        length=10,
    )
    folder = Path(settings.store.cache_dir) / "eval" / key
    s = settings.model_copy(deep=True)
    s.store.backend = "chroma-persistent"
    s.store.persist_dir = folder / "chroma"
    s.store.cache_dir = folder / "cache"
    return s


def run(
    settings: Any,
    *,
    dataset: str | Path | None = None,
    corpus: Sequence[str | Path] | None = None,
    variants: Sequence[str] | None = None,
    out: str | Path = "reports/eval",
    progress: bool = True,
    embedder: Any = None,
) -> EvalRun:
    from tqdm import tqdm

    from ingest.pipeline import Ingestor
    from rag.embeddings import Embedder
    from rag.engine import Engine

    items = load_dataset(dataset or DEFAULT_DATASET)
    corpus_paths = [Path(c) for c in (corpus or settings.ingest.default_paths)]
    s = eval_settings(settings, corpus_paths)
    embedder = embedder or Embedder(s.embedding)
    Ingestor(s, embedder=embedder).run(corpus_paths, progress=progress)
    engine = Engine(s, embedder=embedder).warm_up()

    chosen = with_baselines(variants or available_variants(s))
    default = f"{s.retrieval.mode}" + ("" if s.generator.backend == "extractive" else f"+{s.generator.backend}")
    if default not in [v.name for v in chosen]:
        chosen.append(Variant.parse(default))
    turns = sum(len(i.as_turns()) for i in items)
    by_variant: dict[str, list] = {}
    with tqdm(total=turns * len(chosen), unit="q", desc="eval", disable=not progress, file=sys.stderr) as bar:
        for v in chosen:
            bar.set_postfix_str(v.name)
            by_variant[v.name] = run_variant(engine, items, v, tick=lambda: bar.update(1))

    summary = {
        "dataset": str(dataset or DEFAULT_DATASET),
        "corpus": [str(c) for c in corpus_paths],
        "items": len(items),
        "turns": turns,
        "abstain_threshold": s.retrieval.abstain_threshold,
        "embedding_model": embedder.model_id,
        "variants": {name: aggregate(rs) for name, rs in by_variant.items()},
        "calibration": calibrate_threshold(by_variant[default]),
    }
    from evals.report import write_report

    files = write_report(Path(out), summary, by_variant, default)
    return EvalRun(summary, by_variant, default, files)

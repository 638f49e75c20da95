"""`paperrag eval`: for each data set of the suite (evals/suite.yaml) or one given on the command line, index its
corpus (idempotently, in a store of its own), run the variants, and write one report with a section per set."""

from __future__ import annotations

import sys
from dataclasses import dataclass
from pathlib import Path
from typing import Any, Sequence

from evals.dataset import DEFAULT_DATASET, load_dataset
from evals.runner import (
    Variant,
    aggregate,
    available_variants,
    calibrate_threshold,
    run_plain,
    run_variant,
    with_baselines,
)
from rag.text import short_hash


SUITE = Path(__file__).resolve().parent / "suite.yaml"


@dataclass
class EvalRun:
    summary: dict[str, Any]
    by_variant: dict[str, list]
    default: str
    files: list[Path]


@dataclass
class DatasetSpec:
    name: str
    questions: Path
    corpus: list[Path]
    split: bool = False
    llm: bool = True
    verdicts: Path | None = None  # each item's yes / no / maybe / not stated label, in a file of its own
    ask: str | None = None  # how to ask each item ("Is it true that {claim}?")
    optional: bool = False  # data kept outside the repository: skipped, with a line saying so, when absent

    @property
    def present(self) -> bool:
        return self.questions.is_file() and all(c.exists() for c in self.corpus)


def load_suite(path: Path = SUITE) -> list[DatasetSpec]:
    import yaml

    data = yaml.safe_load(path.read_text(encoding="utf-8"))
    base = path.parent
    return [
        DatasetSpec(
            name, (base / d["questions"]).resolve(), [(base / c).resolve() for c in d["corpus"]],
            bool(d.get("split", False)), bool(d.get("llm", True)),
            (base / d["verdicts"]).resolve() if d.get("verdicts") else None, d.get("ask"), bool(d.get("optional")),
        )
        for name, d in data["datasets"].items()
    ]


@dataclass
class SuiteRun:
    runs: dict[str, EvalRun]
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
    split: bool = False,
    name: str | None = None,
    llm: bool = True,
    verdicts: str | Path | None = None,
    ask: str | None = None,
) -> EvalRun:
    """One data set: its questions over its corpus, every variant, a report in `out`."""
    from tqdm import tqdm

    from evals.baselines import PlainRetrievers
    from ingest.pipeline import Ingestor
    from rag.embeddings import Embedder, ingest_backend
    from rag.engine import Engine

    items = load_dataset(dataset or DEFAULT_DATASET, verdicts=verdicts, ask=ask)
    corpus_paths = [Path(c) for c in (corpus or settings.ingest.default_paths)]
    s = eval_settings(settings, corpus_paths)
    embedder = embedder or Embedder(s.embedding)
    ingest_with = embedder if ingest_backend(s.embedding) == embedder.backend else Embedder.for_ingest(s.embedding)
    Ingestor(s, embedder=ingest_with).run(corpus_paths, progress=progress)  # as `paperrag ingest` encodes
    engine = Engine(s, embedder=embedder).warm_up()

    chosen = with_baselines(variants or available_variants(s))
    if not llm and not variants:
        chosen = [v for v in chosen if v.plain or v.generator == "extractive"]
    default = f"{s.retrieval.mode}" + ("" if s.generator.backend == "extractive" else f"+{s.generator.backend}")
    if default not in [v.name for v in chosen]:
        chosen.append(Variant.parse(default))
    turns = sum(len(i.as_turns()) for i in items)
    plain = PlainRetrievers.build(engine) if any(v.plain for v in chosen) else None
    by_variant: dict[str, list] = {}
    label = f"eval {name}" if name else "eval"
    with tqdm(total=turns * len(chosen), unit="q", desc=label, disable=not progress, file=sys.stderr) as bar:
        for v in chosen:
            bar.set_postfix_str(v.name)
            if v.plain:
                by_variant[v.name] = run_plain(plain, items, v, tick=lambda: bar.update(1))
            else:
                by_variant[v.name] = run_variant(engine, items, v, tick=lambda: bar.update(1))

    summary = {
        "name": name or Path(dataset or DEFAULT_DATASET).stem,
        "dataset": str(dataset or DEFAULT_DATASET),
        "corpus": [str(c) for c in corpus_paths],
        "items": len(items),
        "turns": turns,
        "abstain_threshold": s.retrieval.abstain_threshold,
        "embedding_model": embedder.model_id,
        "embedding_backend": s.embedding.backend,
        "variants": {vname: aggregate(rs) for vname, rs in by_variant.items()},
        "calibration": calibrate_threshold(by_variant[default]),
    }
    if split:
        summary["splits"] = {
            part: {vname: aggregate([r for r in rs if r.split == part]) for vname, rs in by_variant.items()}
            for part in ("tune", "held-out")
        }
    from evals.report import write_report

    files = write_report(Path(out), summary, by_variant, default)
    return EvalRun(summary, by_variant, default, files)


def run_suite(
    settings: Any,
    *,
    names: Sequence[str] | None = None,
    variants: Sequence[str] | None = None,
    out: str | Path = "reports/eval",
    progress: bool = True,
    embedder: Any = None,
    suite: Path = SUITE,
) -> SuiteRun:
    """Every data set of the suite (or those named), each in its own folder of `out`, and a report over all."""
    from rag.errors import UsageError

    specs = load_suite(suite)
    if names:
        unknown = [n for n in names if n not in {s.name for s in specs}]
        if unknown:
            raise UsageError(f"unknown data set(s) {', '.join(unknown)}; the suite has {', '.join(s.name for s in specs)}.")
        specs = [s for s in specs if s.name in names]
    runs = {}
    for spec in specs:
        if spec.optional and not spec.present:
            print(f"eval: skipping {spec.name}: its data is not at {spec.questions.parent}", file=sys.stderr)
            continue
        runs[spec.name] = run(
            settings, dataset=spec.questions, corpus=spec.corpus, variants=variants, out=Path(out) / spec.name,
            progress=progress, embedder=embedder, split=spec.split, name=spec.name, llm=spec.llm,
            verdicts=spec.verdicts, ask=spec.ask,
        )
    from evals.report import write_suite_report

    files = write_suite_report(Path(out), {n: r.summary for n, r in runs.items()}, {n: r.default for n, r in runs.items()})
    return SuiteRun(runs, files)

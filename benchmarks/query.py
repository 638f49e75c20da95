"""Warm query latency: `Engine.ask` (extractive answers) next to a bare Chroma query on the same questions.

    .venv/bin/python benchmarks/query.py [--repeat 5] [--store DIR] [--no-llm]

Both sides share one loaded Embedder and one store holding the bundled corpus (ingested into a temp folder
first, or the folder given by --store, which is ingested idempotently and reused). The bare side is the least a
question can cost: encode it, then a Chroma nearest-neighbour query for retrieval.candidates papers. The ask side is the whole
path: follow-up and date parsing, the change-log check, dense + BM25 retrieval fused by RRF, evidence scoring, the extractive answer
and citation alignment. The questions are the gold set's (evals/datasets/gold.jsonl), mixed across its types;
after a warm-up pass the two sides alternate question by question, so machine noise hits both.
Targets: ask p50 <= 3 x bare p50, and ask p50 < 150 ms.

Unless --no-llm, it also times the llama-cpp generator (the packaged Gemma 3 270M) on a few questions.
"""

from __future__ import annotations

import argparse
import os
import sys
import tempfile
import time
from pathlib import Path

os.environ.setdefault("HF_HUB_OFFLINE", "1")
os.environ.setdefault("ANONYMIZED_TELEMETRY", "False")
ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))

RATIO_TARGET = 3.0
ASK_P50_TARGET_MS = 150.0


def varied_questions(n: int) -> list[str]:
    """Up to n first-turn questions of the gold set, taken round-robin over its types (single, multi, ...)."""
    from evals.dataset import load_dataset

    by_type: dict[str, list[str]] = {}
    for item in load_dataset():
        by_type.setdefault(item.type, []).append(item.question)
    out: list[str] = []
    while len(out) < n and any(by_type.values()):
        for qs in by_type.values():
            if qs and len(out) < n:
                out.append(qs.pop(0))
    return out


def timed_ms(fn, *args, **kwargs) -> float:
    t = time.perf_counter()
    fn(*args, **kwargs)
    return (time.perf_counter() - t) * 1000


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("--corpus", default=str(ROOT / "data" / "daily_papers_2025-11-10.txt"))
    ap.add_argument("--store", metavar="DIR", help="store folder to reuse (chroma/ and cache/ inside it)")
    ap.add_argument("--repeat", type=int, default=5, help="passes over the questions (default 5)")
    ap.add_argument("--questions", type=int, default=30, help="questions from the gold set (default 30)")
    ap.add_argument("--llm-questions", type=int, default=10, help="questions for the llama-cpp timing (default 10)")
    ap.add_argument("--no-llm", action="store_true", help="skip the llama-cpp generator timing")
    args = ap.parse_args()

    with tempfile.TemporaryDirectory() as tmp:
        folder = Path(args.store) if args.store else Path(tmp)
        run(args, folder)


def run(args: argparse.Namespace, folder: Path) -> None:
    from evals.metrics import percentile
    from ingest.pipeline import Ingestor
    from rag.embeddings import Embedder
    from rag.engine import Engine
    from rag.errors import PaperRAGError
    from rag.settings import load_settings

    settings = load_settings(
        ROOT / "config.yaml", store={"persist_dir": folder / "chroma", "cache_dir": folder / "cache"}
    )
    embedder = Embedder(settings.embedding)
    report = Ingestor(settings, embedder=embedder).run([args.corpus], progress=False)
    print(f"store: {folder}: {report.summary()}")

    engine = Engine(settings, embedder=embedder).warm_up()
    chroma = engine.library.chroma
    n = settings.retrieval.candidates
    questions = varied_questions(args.questions)

    def bare(q: str) -> None:
        chroma.query(embedder.embed_query(q), n=n)

    def ask(q: str) -> None:
        engine.ask(q, generator="extractive")

    answered: list[str] = []
    for q in questions:  # warm-up: first-call costs (caches, lazy imports, BM25 tokenizer) stay out of the numbers
        bare(q)
        if not engine.ask(q, generator="extractive").abstained:
            answered.append(q)
    asked: list[float] = []
    raw: list[float] = []
    for _ in range(args.repeat):
        for q in questions:
            raw.append(timed_ms(bare, q))
            asked.append(timed_ms(ask, q))

    a50, a95 = percentile(asked, 50), percentile(asked, 95)
    b50, b95 = percentile(raw, 50), percentile(raw, 95)
    ratio = a50 / b50
    print(f"questions: {len(questions)} from the gold set x {args.repeat} passes (after one warm-up pass), "
          f"bare query n={n} papers; {len(questions) - len(answered)} of the questions get 'not found' "
          "(no generation step)")
    print(f"bare Chroma query (encode + query) : p50 {b50:7.1f} ms   p95 {b95:7.1f} ms")
    print(f"Engine.ask, extractive             : p50 {a50:7.1f} ms   p95 {a95:7.1f} ms")
    print(f"ratio p50 ask / bare               : {ratio:7.2f}")
    ok_ratio, ok_abs = ratio <= RATIO_TARGET, a50 < ASK_P50_TARGET_MS
    print(f"{f'target: ask p50 <= {RATIO_TARGET:g} x bare p50':<35}: {'PASS' if ok_ratio else 'FAIL'} ({ratio:.2f}x)")
    print(f"{f'target: ask p50 < {ASK_P50_TARGET_MS:g} ms':<35}: {'PASS' if ok_abs else 'FAIL'} ({a50:.1f} ms)")

    if args.no_llm:
        return
    try:
        import llama_cpp  # noqa: F401
    except ImportError as e:
        print(f"llama-cpp: skipped (llama_cpp is not importable: {e}; install the `llm` extra)")
        return
    # questions the extractive side answered, so every timing includes a generation (a "not found" skips the model)
    llm_questions = answered[: args.llm_questions]
    try:
        engine.ask(llm_questions[0], generator="llama-cpp")  # loads the model
    except PaperRAGError as e:
        print(f"llama-cpp: skipped ({e})")
        return
    llm = [timed_ms(engine.ask, q, generator="llama-cpp") for q in llm_questions]
    print(f"Engine.ask, llama-cpp              : p50 {percentile(llm, 50):7.1f} ms   "
          f"p95 {percentile(llm, 95):7.1f} ms   ({len(llm)} answerable questions, after one warm-up)")


if __name__ == "__main__":
    main()

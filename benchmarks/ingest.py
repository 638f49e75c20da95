"""Ingest speed against the bare encoder, for every embedding backend, on the same papers in one run.

    .venv/bin/python benchmarks/ingest.py [--corpus PATH] [--limit N] [--repeat R]
    .venv/bin/python benchmarks/ingest.py --batch-sweep     # papers/s per backend and batch size (the defaults)

Default corpus: the 1,000 pubmedqa-dev abstracts. Printed, in papers/s:
  bare torch      SentenceTransformer.encode of "title. abstract" (batch 32, the packaged all-MiniLM-L6-v2 on torch):
                  the yardstick of issue 9, reading each paper once and only its first 256 word pieces.
  bare onnx-int8  the same texts through PaperRAG's int8 ONNX export (batch 32).
  ingest BACKEND  `Ingestor.run` end to end into a fresh store, model already loaded: parse, dedup lookup, encode
                  the paper text and every sentence, write Chroma (papers, sentences, change log) and the
                  lexical index. One row per backend, with its ratio to bare torch. `paperrag ingest` encodes with
                  embedding.ingest_backend (auto: torch-bf16 on a CPU with AMX, else the question backend).
  query p50       one question's embedding, per backend (200 questions).
  first run       a new process ingesting the bundled 87 papers into an empty store with an empty model cache (what
                  the first `make run` does, ONNX export included), wall time.
The sides alternate within each repetition so machine noise hits all of them; the median is reported.
"""

from __future__ import annotations

import argparse
import os
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path

os.environ.setdefault("HF_HUB_OFFLINE", "1")
os.environ.setdefault("ANONYMIZED_TELEMETRY", "False")
ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))
PUBMEDQA = ROOT.parent / "shared" / "datasets" / "pubmedqa-dev" / "corpus.jsonl"
from rag.embeddings import BACKENDS  # noqa: E402  (torch, onnx, onnx-int8, torch-bf16)


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("--corpus", default=str(PUBMEDQA if PUBMEDQA.exists() else ROOT / "data" / "daily_papers_2025-11-10.txt"))
    ap.add_argument("--limit", type=int, default=0, help="use only the first N papers")
    ap.add_argument("--repeat", type=int, default=1, help="repetitions (median reported)")
    ap.add_argument("--batch-sweep", action="store_true",
                    help="time each backend at batch sizes 1-32 on a paper's texts (200 papers) and stop")
    args = ap.parse_args()
    if args.batch_sweep:
        batch_sweep(args)
        return

    from evals.metrics import percentile
    from ingest.pipeline import Ingestor
    from ingest.readers import read_records
    from rag.embeddings import Embedder, ingest_backend
    from rag.settings import load_settings
    from rag.types import Paper

    papers = [p for p in read_records(args.corpus) if isinstance(p, Paper)]
    if args.limit:
        papers = papers[: args.limit]
    texts = [f"{p.title}. {p.abstract}" for p in papers]
    listing = Path(tempfile.mkdtemp(prefix="paperrag-bench-")) / "papers.jsonl"
    import json

    with open(listing, "w", encoding="utf-8") as f:
        for p in papers:
            f.write(json.dumps({"id": p.paper_id, "title": p.title, "abstract": p.abstract, "date": p.date}) + "\n")
    models = Path(tempfile.mkdtemp(prefix="paperrag-models-"))

    def settings(backend: str, folder: Path | None = None):
        store = {"persist_dir": folder / "chroma", "cache_dir": folder / "cache"} if folder else {}
        return load_settings(ROOT / "config.yaml", embedding={"backend": backend, "cache_dir": models}, store=store)

    embedders = {b: Embedder(settings(b).embedding) for b in BACKENDS}
    for e in embedders.values():
        e.embed_query("warm up")
    st_model = embedders["torch"].model
    results: dict[str, list[float]] = {}

    def record(name: str, value: float) -> None:
        results.setdefault(name, []).append(value)

    n = len(papers)
    for r in range(args.repeat):
        t = time.perf_counter()
        st_model.encode(texts, batch_size=32, normalize_embeddings=True, show_progress_bar=False)
        record("bare torch", n / (time.perf_counter() - t))
        t = time.perf_counter()
        embedders["onnx-int8"].embed(texts, batch_size=32)
        record("bare onnx-int8", n / (time.perf_counter() - t))
        for b in BACKENDS:
            with tempfile.TemporaryDirectory() as tmp:
                t = time.perf_counter()
                report = Ingestor(settings(b, Path(tmp)), embedder=embedders[b]).run([listing], progress=False)
                assert report.new == n, report.summary()
                record(f"ingest {b}", n / (time.perf_counter() - t))
        print(f"repetition {r + 1}/{args.repeat} done", file=sys.stderr, flush=True)

    questions = [f"What does paper {i} find about {p.title[:40]}?" for i, p in enumerate(papers[:200])]
    query_p50 = {}
    for b, e in embedders.items():
        times = []
        for q in questions:
            t = time.perf_counter()
            e.embed_query(q)
            times.append((time.perf_counter() - t) * 1000)
        query_p50[b] = percentile(times, 50)

    with tempfile.TemporaryDirectory() as tmp:
        env = {**os.environ, "PAPERRAG_STORE__PERSIST_DIR": f"{tmp}/chroma", "PAPERRAG_STORE__CACHE_DIR": f"{tmp}/cache",
               "PAPERRAG_EMBEDDING__CACHE_DIR": f"{tmp}/models", "PAPERRAG_CONFIG": str(ROOT / "config.yaml"),
               "PYTHONPATH": str(ROOT)}
        t = time.perf_counter()
        out = subprocess.run([sys.executable, "-m", "cli.main", "ingest", "--quiet"], env=env, cwd=ROOT,
                             capture_output=True, text=True)
        first_run = time.perf_counter() - t
        first_ok = out.returncode == 0 and "87 new" in out.stdout

    med = {k: statistics.median(v) for k, v in results.items()}
    base = med["bare torch"]
    default = load_settings(ROOT / "config.yaml").embedding
    print(f"\ncorpus: {args.corpus} ({n} papers), {args.repeat} repetition(s), median papers/s; "
          f"questions: {default.backend}, ingest: {ingest_backend(default)} (ingest_backend {default.ingest_backend})")
    print(f"{'':26} {'papers/s':>9} {'x bare torch':>13}")
    for k in ("bare torch", "bare onnx-int8", *(f"ingest {b}" for b in BACKENDS)):
        print(f"{k:26} {med[k]:9.1f} {med[k] / base:13.2f}")
    print("query embedding p50        " + "   ".join(f"{b} {v:.1f} ms" for b, v in query_p50.items()))
    print(f"first run (bundled 87, empty store and model cache, new process): {first_run:.1f} s"
          + ("" if first_ok else f"  FAILED: {out.stderr[-300:]}"))


def batch_sweep(args: argparse.Namespace) -> None:
    """What rag/embeddings.py DEFAULT_BATCH comes from: the texts ingest encodes for 200 papers (each paper's
    "title. abstract" and its sentences), per backend and batch size, median of 3 interleaved rounds."""
    from ingest.readers import read_records
    from ingest.vectorize import paper_text, spans_of
    from rag.embeddings import Embedder
    from rag.settings import load_settings
    from rag.types import Paper

    papers = [p for p in read_records(args.corpus) if isinstance(p, Paper)][: args.limit or 200]
    texts = [t for p in papers for t in [paper_text(p)] + [p.abstract[a:b] for a, b in spans_of(p)]]
    models = Path(tempfile.mkdtemp(prefix="paperrag-models-"))
    embedders = {}
    for b in BACKENDS:
        s = load_settings(ROOT / "config.yaml", embedding={"backend": b, "cache_dir": models})
        embedders[b] = Embedder(s.embedding)
        embedders[b].embed(texts[:50])
    sizes = (1, 2, 4, 8, 16, 32)
    rates: dict[tuple[str, int], list[float]] = {}
    for _ in range(3):
        for b, e in embedders.items():
            for size in sizes:
                t = time.perf_counter()
                e.embed(texts, batch_size=size)
                rates.setdefault((b, size), []).append(len(papers) / (time.perf_counter() - t))
    print(f"{len(papers)} papers, {len(texts)} texts; papers/s, median of 3")
    print(f"{'backend':<10}" + "".join(f"{f'batch {n}':>10}" for n in sizes))
    for b in BACKENDS:
        print(f"{b:<10}" + "".join(f"{statistics.median(rates[(b, n)]):>10.1f}" for n in sizes))


if __name__ == "__main__":
    main()

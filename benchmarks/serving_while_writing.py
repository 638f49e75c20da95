"""Questions from many clients while the store changes: errors and latency while another process ingests 1,000
papers, then while another process runs `paperrag ingest --rebuild`.

    .venv/bin/python benchmarks/serving_while_writing.py [--clients 20] [--papers 1000]

One process holds an Engine over the bundled corpus (in a temp folder) and answers with `--clients` threads, the
way `paperrag serve` answers concurrent requests; a second `paperrag` process writes. Phase 1 ingests the first
`--papers` abstracts of pubmedqa-dev; phase 2 rebuilds the index from the bundled listing plus those abstracts.
Target (issue 16): 0 errors in both phases; p50/p95 are reported.
"""

from __future__ import annotations

import argparse
import os
import statistics
import subprocess
import sys
import tempfile
import threading
import time
from pathlib import Path

os.environ.setdefault("HF_HUB_OFFLINE", "1")
ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))
BUNDLED = ROOT / "data/daily_papers_2025-11-10.txt"
PUBMED = ROOT / "evals/datasets/pubmedqa-dev/corpus.jsonl"
QUESTIONS = [
    "What is D-Former?",
    "What makes hypernetworks hard to train?",
    "Which papers study pruning?",
    "How can neural networks be trained without back-propagation?",
    "Does Peri-LN stabilise training?",
]


def env_for(folder: Path) -> dict[str, str]:
    env = {k: v for k, v in os.environ.items() if not k.startswith("PAPERRAG_")}
    env.update(PAPERRAG_CONFIG=str(ROOT / "config.yaml"), PAPERRAG_STORE__PERSIST_DIR=str(folder / "chroma"),
               PAPERRAG_STORE__CACHE_DIR=str(folder / "cache"), PYTHONPATH=str(ROOT))
    return env


def phase(name: str, engine, clients: int, command: list[str], env: dict[str, str], cwd: Path) -> None:
    writer = subprocess.Popen(command, env=env, cwd=cwd, stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True)
    latencies: list[float] = []
    errors: list[str] = []
    lock = threading.Lock()

    def client(n: int) -> None:
        i = n
        while writer.poll() is None:
            q = QUESTIONS[i % len(QUESTIONS)]
            i += 1
            t = time.perf_counter()
            try:
                engine.ask(q)
                ok = None
            except Exception as e:  # noqa: BLE001 (counted)
                ok = f"{type(e).__name__}: {e}"
            with lock:
                latencies.append((time.perf_counter() - t) * 1000)
                if ok:
                    errors.append(ok)

    threads = [threading.Thread(target=client, args=(n,)) for n in range(clients)]
    started = time.perf_counter()
    for t in threads:
        t.start()
    out, err = writer.communicate()
    for t in threads:
        t.join()
    latencies.sort()
    p = lambda q: latencies[min(len(latencies) - 1, int(q * len(latencies)))] if latencies else float("nan")  # noqa: E731
    print(f"{name}: writer exit {writer.returncode} ({out.strip().splitlines()[-1] if out.strip() else err[-200:]}); "
          f"{len(latencies)} questions in {time.perf_counter() - started:.0f} s from {clients} clients, "
          f"{len(errors)} errors; p50 {statistics.median(latencies):.0f} ms, p95 {p(0.95):.0f} ms")
    for e in errors[:3]:
        print("   ", e[:200])


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("--clients", type=int, default=20)
    ap.add_argument("--papers", type=int, default=1000)
    args = ap.parse_args()

    from ingest.pipeline import Ingestor
    from rag.engine import Engine
    from rag.settings import load_settings

    folder = Path(tempfile.mkdtemp(prefix="paperrag-serving-"))
    settings = load_settings(ROOT / "config.yaml", store={"persist_dir": folder / "chroma",
                                                         "cache_dir": folder / "cache"})
    engine = Engine(settings)
    Ingestor(settings, embedder=engine.embedder, library=engine.library).run([BUNDLED], progress=False)
    engine.warm_up()
    more = folder / "more.jsonl"
    with PUBMED.open() as src:
        more.write_text("".join(next(src) for _ in range(args.papers)))
    cmd = [sys.executable, "-m", "cli.main", "ingest", "--quiet"]
    phase(f"ingest of {args.papers} papers", engine, args.clients, [*cmd, str(more)], env_for(folder), folder)
    phase("ingest --rebuild", engine, args.clients, [*cmd, "--rebuild", str(BUNDLED), str(more)], env_for(folder),
          folder)
    print(f"papers now: {engine.library.count()}")


if __name__ == "__main__":
    main()

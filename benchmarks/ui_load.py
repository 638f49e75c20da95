"""Load on the chat UI: concurrent gradio_client sessions against a live `paperrag serve`, next to direct ask().

    .venv/bin/python benchmarks/ui_load.py [--sessions 16] [--questions 5]

Ingests the bundled corpus into a temp store, starts `paperrag serve` on a free loopback port (a separate
process, as users run it), then runs N client sessions at once, each asking Q questions through the `/ask`
endpoint. Reports errors (target 0) and p50/p95 latency per request, and in the same run the latency of calling
`Engine.ask` directly in this process on the same questions.
"""

from __future__ import annotations

import argparse
import json
import os
import socket
import statistics
import subprocess
import sys
import tempfile
import threading
import time
from pathlib import Path

os.environ.setdefault("HF_HUB_OFFLINE", "1")
os.environ.setdefault("GRADIO_ANALYTICS_ENABLED", "False")
ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))


def pct(xs: list[float], q: float) -> float:
    xs = sorted(xs)
    return xs[min(len(xs) - 1, int(round((len(xs) - 1) * q / 100)))] if xs else float("nan")


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("--sessions", type=int, default=16)
    ap.add_argument("--questions", type=int, default=5)
    args = ap.parse_args()

    from gradio_client import Client

    from ingest.pipeline import Ingestor
    from rag.engine import Engine
    from rag.settings import load_settings

    gold = [json.loads(line)["question"] for line in open(ROOT / "evals" / "datasets" / "gold.jsonl")]
    tmp = Path(tempfile.mkdtemp(prefix="paperrag-load-"))
    env = {**os.environ, "PAPERRAG_CONFIG": str(ROOT / "config.yaml"),
           "PAPERRAG_STORE__PERSIST_DIR": str(tmp / "chroma"), "PAPERRAG_STORE__CACHE_DIR": str(tmp / "cache")}
    settings = load_settings(ROOT / "config.yaml", store={"persist_dir": tmp / "chroma", "cache_dir": tmp / "cache"})
    Ingestor(settings).run(None, progress=False)

    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        port = s.getsockname()[1]
    cmd = [sys.executable, "-m", "cli.main", "serve", "--port", str(port), "--no-ingest"]
    server = subprocess.Popen(cmd, env={**env, "PYTHONPATH": str(ROOT)}, cwd=ROOT,
                              stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
    url = f"http://127.0.0.1:{port}/"
    try:
        deadline = time.time() + 180
        while True:
            try:
                Client(url, verbose=False)
                break
            except Exception:
                if time.time() > deadline or server.poll() is not None:
                    raise SystemExit("the server did not start")
                time.sleep(1)

        latencies: list[float] = []
        errors: list[str] = []
        lock = threading.Lock()

        def session(i: int) -> None:
            try:
                client = Client(url, verbose=False)
            except Exception as e:  # a session that cannot even connect counts as errors for all its questions
                with lock:
                    errors.extend([f"connect: {e}"] * args.questions)
                return
            for j in range(args.questions):
                q = gold[(i * args.questions + j) % len(gold)]
                t = time.perf_counter()
                try:
                    d = client.predict(q, api_name="/ask")
                    assert "answer" in d
                    with lock:
                        latencies.append((time.perf_counter() - t) * 1000)
                except Exception as e:
                    with lock:
                        errors.append(f"{type(e).__name__}: {e}")

        started = time.perf_counter()
        threads = [threading.Thread(target=session, args=(i,)) for i in range(args.sessions)]
        for th in threads:
            th.start()
        for th in threads:
            th.join()
        wall = time.perf_counter() - started
    finally:
        server.terminate()
        server.wait(20)

    engine = Engine(settings).warm_up()
    direct = []
    for k in range(args.sessions * args.questions):
        q = gold[k % len(gold)]
        t = time.perf_counter()
        engine.ask(q)
        direct.append((time.perf_counter() - t) * 1000)

    n = args.sessions * args.questions
    print(f"{args.sessions} concurrent gradio_client sessions x {args.questions} questions = {n} requests "
          f"(server concurrency_limit {settings.ui.concurrency_limit})")
    print(f"  errors            : {len(errors)} (target 0)" + (f"  first: {errors[0]}" if errors else ""))
    print(f"  latency via UI    : p50 {statistics.median(latencies):7.1f} ms   p95 {pct(latencies, 95):7.1f} ms")
    print(f"  throughput via UI : {len(latencies) / wall:7.1f} requests/s over {wall:.1f} s")
    print(f"  direct Engine.ask : p50 {statistics.median(direct):7.1f} ms   p95 {pct(direct, 95):7.1f} ms "
          "(sequential, same questions, same machine)")


if __name__ == "__main__":
    main()

"""Bounded work per input: time and peak-RSS growth of reading past a 54 MB JSON line, and of refusing a
100,000-paper upload (ui.max_upload_papers), in this process.

    .venv/bin/python benchmarks/bounded_input.py

Target (issue 16): each bounded in under 5 s of work with under 200 MB of RSS growth. No model is loaded: both
are decided while the input is validated, before anything is encoded or written.
"""

from __future__ import annotations

import json
import shutil
import sys
import tempfile
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))


def peak_mb() -> int:
    with open("/proc/self/status") as f:
        return int(next(line for line in f if line.startswith("VmHWM")).split()[1]) // 1024


def main() -> None:
    from ingest.pipeline import Ingestor, iter_valid
    from rag.errors import UsageError
    from rag.settings import load_settings

    folder = Path(tempfile.mkdtemp(prefix="paperrag-bounds-"))
    big, many = folder / "big.jsonl", folder / "many.jsonl"
    with big.open("w") as f:
        f.write(json.dumps({"title": "A fine paper", "abstract": "It is fine. It has two sentences."}) + "\n")
        f.write('{"title": "Huge", "abstract": "' + "word " * (54 * 200_000) + '"}\n')
    with many.open("w") as f:
        for i in range(100_000):
            f.write(json.dumps({"title": f"Study number {i} of graph sparsity",
                                "abstract": f"We measure sparsity pattern {i}. It helps."}) + "\n")
    settings = load_settings(ROOT / "config.yaml", store={"persist_dir": folder / "chroma", "cache_dir": folder / "c"})

    before, t = peak_mb(), time.perf_counter()
    items = list(iter_valid([big], None, None, settings.ingest))
    print(f"54 MB line: {time.perf_counter() - t:.2f} s, peak RSS growth {peak_mb() - before} MB, "
          f"{len(items)} records ({items[1]})")

    before, t = peak_mb(), time.perf_counter()
    try:
        Ingestor(settings, embedder=object()).run([many], progress=False,  # refused before any encoding
                                                   max_papers=settings.ui.max_upload_papers)
    except UsageError as e:
        print(f"100,000-paper upload: refused in {time.perf_counter() - t:.2f} s, peak RSS growth "
              f"{peak_mb() - before} MB: {e}")
    shutil.rmtree(folder, ignore_errors=True)


if __name__ == "__main__":
    main()

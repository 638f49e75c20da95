"""Ingest throughput of the bundled corpus next to raw `SentenceTransformer.encode` on the same texts.

    .venv/bin/python benchmarks/ingest.py [--repeat 3] [--corpus PATH]

Both sides start with the model loaded (warm). The pipeline side is a full `Ingestor.run` into a fresh temp
store: parse, validate, chunk, embed chunks, write Chroma, then build the BM25 index and the sentence vectors.
The raw side encodes exactly the texts the pipeline embeds (chunk texts and abstract sentences) with the same
batch size. Target: pipeline papers/s >= 0.9 x raw.
"""

from __future__ import annotations

import argparse
import os
import statistics
import sys
import tempfile
import time
from pathlib import Path

os.environ.setdefault("HF_HUB_OFFLINE", "1")
os.environ.setdefault("ANONYMIZED_TELEMETRY", "False")
ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("--corpus", default=str(ROOT / "data" / "daily_papers_2025-11-10.txt"))
    ap.add_argument("--repeat", type=int, default=5)
    args = ap.parse_args()

    from ingest.chunking import chunk_paper, embedding_text
    from ingest.pipeline import Ingestor
    from ingest.readers import read_records
    from rag.embeddings import Embedder
    from rag.settings import load_settings
    from rag.text import sentence_spans
    from rag.types import Paper

    embedder = Embedder()
    embedder.embed(["warm up"])
    settings = load_settings(ROOT / "config.yaml")
    papers = [p for p in read_records(args.corpus) if isinstance(p, Paper)]
    c = settings.chunking
    chunk_texts = [embedding_text(p, ch) for p in papers for ch in chunk_paper(p, c.max_tokens, c.overlap_tokens)]
    sentence_texts = [p.abstract[a:b] for p in papers for a, b in sentence_spans(p.abstract)]
    texts = chunk_texts + sentence_texts

    raw, pipe = [], []  # papers/s per repetition; the two sides alternate so machine noise hits both
    for _ in range(args.repeat):
        t = time.perf_counter()
        embedder.model.encode(chunk_texts, batch_size=settings.embedding.batch_size, normalize_embeddings=True)
        embedder.model.encode(sentence_texts, batch_size=settings.embedding.batch_size, normalize_embeddings=True)
        raw.append(len(papers) / (time.perf_counter() - t))

        with tempfile.TemporaryDirectory() as tmp:
            s = load_settings(
                ROOT / "config.yaml",
                store={"persist_dir": Path(tmp) / "chroma", "cache_dir": Path(tmp) / "cache"},
            )
            t = time.perf_counter()
            report = Ingestor(s, embedder=embedder).run([args.corpus], progress=False)
            pipe.append(report.new / (time.perf_counter() - t))

    r, p = statistics.median(raw), statistics.median(pipe)
    print(f"corpus: {args.corpus} ({len(papers)} papers, {len(chunk_texts)} chunks, {len(sentence_texts)} sentences)")
    print(f"raw encode of the same {len(texts)} texts : median {r:6.2f}  best {max(raw):6.2f} papers/s")
    print(f"ingest pipeline (full run)        : median {p:6.2f}  best {max(pipe):6.2f} papers/s")
    print(f"ratio pipeline / raw              : median {p / r:6.3f}  best {max(pipe) / max(raw):6.3f}  (target >= 0.9)")


if __name__ == "__main__":
    main()

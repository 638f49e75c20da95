"""Which engine for lexical search: tantivy, SQLite FTS5 or the in-memory bm25s index PaperRAG used before.

    .venv/bin/python benchmarks/lexical_engines.py [--papers 100000]

All three index the same pre-tokenised terms (rag/terms.py) of title + abstract, one document per paper, and rank
by BM25. Printed:
  quality   hit@1 and MRR@10 on the gold set (bundled listing) and on pubmedqa-dev, first-turn answerable questions
  scale     on a synthetic collection of --papers papers made of real sentences (benchmarks/scale.py):
            build time, query p50/p95 over 200 questions (top 40), and adding one paper and seeing it in a search
            (insert + commit), p50 over 20 additions. bm25s has no incremental add: the figure is a full re-index.
"""

from __future__ import annotations

import argparse
import json
import math
import shutil
import sqlite3
import statistics
import sys
import tempfile
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))


class Tantivy:
    name = "tantivy"

    def __init__(self, folder: Path):
        from rag.library.lexical import LexicalIndex

        self.index = LexicalIndex(folder)

    def build(self, docs: list[tuple[str, str, str]]) -> None:
        from rag.library.lexical import LexicalDoc
        from rag.types import Paper

        for i in range(0, len(docs), 5000):
            self.index.apply([LexicalDoc(pid, "", Paper(title=t, abstract=a)) for pid, t, a in docs[i : i + 5000]])

    def add(self, doc: tuple[str, str, str]) -> None:
        from rag.library.lexical import LexicalDoc
        from rag.types import Paper

        self.index.apply([LexicalDoc(doc[0], "", Paper(title=doc[1], abstract=doc[2]))])

    def search(self, terms: list[str], n: int) -> list[str]:
        from rag.filters import Filters

        return [pid for pid, _ in self.index.search(terms, n, Filters())]


class Fts5:
    name = "sqlite-fts5"

    def __init__(self, folder: Path):
        folder.mkdir(parents=True, exist_ok=True)
        self.db = sqlite3.connect(folder / "fts.sqlite3")
        self.db.execute("CREATE VIRTUAL TABLE IF NOT EXISTS fts USING fts5(paper_id UNINDEXED, terms)")

    def build(self, docs: list[tuple[str, str, str]]) -> None:
        from rag.terms import terms

        with self.db:
            self.db.executemany("INSERT INTO fts VALUES (?, ?)", ((p, " ".join(terms(f"{t} {a}"))) for p, t, a in docs))

    def add(self, doc: tuple[str, str, str]) -> None:
        from rag.terms import terms

        with self.db:
            self.db.execute("DELETE FROM fts WHERE paper_id = ?", (doc[0],))
            self.db.execute("INSERT INTO fts VALUES (?, ?)", (doc[0], " ".join(terms(f"{doc[1]} {doc[2]}"))))

    def search(self, terms: list[str], n: int) -> list[str]:
        if not terms:
            return []
        match = " OR ".join(f'"{t}"' for t in dict.fromkeys(terms))
        rows = self.db.execute(
            "SELECT paper_id FROM fts WHERE fts MATCH ? ORDER BY bm25(fts) LIMIT ?", (match, n)
        ).fetchall()
        return [r[0] for r in rows]


class Bm25s:
    name = "bm25s (before)"

    def __init__(self, folder: Path):
        self.docs: list[tuple[str, list[str]]] = []
        self.model = None

    def build(self, docs: list[tuple[str, str, str]]) -> None:
        from rag.terms import terms

        self.docs = [(p, terms(f"{t} {a}") or ["_"]) for p, t, a in docs]
        self._index()

    def _index(self) -> None:
        import bm25s

        self.model = bm25s.BM25()
        self.model.index([d for _, d in self.docs], show_progress=False)
        self.vocab = {t for _, d in self.docs for t in d}

    def add(self, doc: tuple[str, str, str]) -> None:
        from rag.terms import terms

        self.docs.append((doc[0], terms(f"{doc[1]} {doc[2]}")))
        self._index()

    def search(self, terms: list[str], n: int) -> list[str]:
        q = [t for t in terms if t in self.vocab]
        if not q:
            return []
        idx, scores = self.model.retrieve([q], k=min(n, len(self.docs)), show_progress=False)
        return [self.docs[i][0] for i, s in zip(idx[0], scores[0]) if s > 0]


ENGINES = (Tantivy, Fts5, Bm25s)


def quality(corpus: Path, dataset: Path) -> dict[str, tuple[float, float]]:
    from evals.dataset import load_dataset
    from ingest.readers import read_records
    from rag.terms import terms
    from rag.types import Paper

    docs = [(p.paper_id, p.title, p.abstract) for p in read_records(corpus) if isinstance(p, Paper)]
    items = [i for i in load_dataset(dataset) if i.type in ("single", "multi")]
    out = {}
    for cls in ENGINES:
        with tempfile.TemporaryDirectory() as tmp:
            engine = cls(Path(tmp))
            engine.build(docs)
            hits, rr = 0.0, 0.0
            for it in items:
                ranked = engine.search(terms(it.question), 10)
                gold = set(it.gold_paper_ids)
                hits += bool(ranked) and ranked[0] in gold
                rr += next((1 / r for r, pid in enumerate(ranked, 1) if pid in gold), 0.0)
            out[cls.name] = (hits / len(items), rr / len(items))
    return out


def scale(n: int) -> dict[str, dict[str, float]]:
    import random

    import importlib.util

    from rag.terms import terms

    spec = importlib.util.spec_from_file_location("scale", ROOT / "benchmarks" / "scale.py")
    scale_module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(scale_module)
    synthetic_listing = scale_module.synthetic_listing

    folder = Path(tempfile.mkdtemp(prefix="paperrag-lexical-"))
    listing = folder / "synthetic.jsonl"
    synthetic_listing(n, listing)
    rows = [json.loads(line) for line in open(listing, encoding="utf-8")]
    docs = [(r["id"], r["title"], r["abstract"]) for r in rows]
    rng = random.Random(2)
    questions = [terms(rng.choice(rows)["abstract"].split(". ")[1]) for _ in range(200)]
    out = {}
    for cls in ENGINES:
        engine = cls(folder / cls.__name__)
        t = time.perf_counter()
        engine.build(docs)
        build = time.perf_counter() - t
        for q in questions[:20]:
            engine.search(q, 40)
        times = []
        for q in questions:
            t = time.perf_counter()
            engine.search(q, 40)
            times.append((time.perf_counter() - t) * 1000)
        times.sort()
        adds = []
        for i in range(20 if cls is not Bm25s else 3):
            doc = (f"new-{i}", f"Quokka-Drift {i}", f"Quokka-Drift variant {i} reduces tapestry collapse.")
            t = time.perf_counter()
            engine.add(doc)
            assert doc[0] in engine.search(terms(doc[2]), 5)
            adds.append((time.perf_counter() - t) * 1000)
        out[cls.name] = {
            "build_s": build,
            "p50": times[len(times) // 2],
            "p95": times[math.ceil(len(times) * 0.95) - 1],
            "add_ms": statistics.median(adds),
        }
    shutil.rmtree(folder, ignore_errors=True)
    return out


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("--papers", type=int, default=100_000)
    args = ap.parse_args()
    gold = quality(ROOT / "data" / "daily_papers_2025-11-10.txt", ROOT / "evals" / "datasets" / "gold.jsonl")
    pubmed_dir = ROOT.parent / "shared" / "datasets" / "pubmedqa-dev"
    pubmed = quality(pubmed_dir / "corpus.jsonl", pubmed_dir / "questions.jsonl") if pubmed_dir.exists() else {}
    big = scale(args.papers)
    print(f"\n| engine | gold hit@1 / MRR@10 | pubmedqa-dev hit@1 / MRR@10 | build {args.papers:,} | query p50 / p95 "
          f"| add one paper |")
    print("|---|---|---|---|---|---|")
    for cls in ENGINES:
        g, p, b = gold[cls.name], pubmed.get(cls.name, (float("nan"),) * 2), big[cls.name]
        print(f"| {cls.name} | {g[0]:.3f} / {g[1]:.3f} | {p[0]:.3f} / {p[1]:.3f} | {b['build_s']:.1f} s "
              f"| {b['p50']:.1f} / {b['p95']:.1f} ms | {b['add_ms']:.0f} ms |")


if __name__ == "__main__":
    main()

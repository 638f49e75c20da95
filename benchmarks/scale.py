"""How PaperRAG behaves as the collection grows: one table per collection size.

    .venv/bin/python benchmarks/scale.py --papers 10000            # the real model end to end (about 10 min)
    .venv/bin/python benchmarks/scale.py --papers 100000 --pooled  # sentence vectors from a pool (about 30 min)
    .venv/bin/python benchmarks/scale.py --papers 1000000 --pooled --grow --workdir DIR  # grow DIR's store

--grow keeps the store in --workdir and ingests only the papers of the larger listing it lacks (the listing is made
with the same seed, so its first papers are the ones already stored; the tail from about the stored count on goes
to grow.jsonl): a 100,000-paper run's store grows to a million without starting over, and a grow that is stopped
resumes where it stopped when run again. The ingest row is then the rate of the papers added, into a store that
already held the rest.

The collection is synthetic but made of real text: every paper is 5-10 sentences drawn from the bundled listing
and the 1,000 pubmedqa-dev abstracts, with a title, authors, year and categories drawn from small pools. It is
written as a JSONL listing and ingested into a fresh store in --workdir.

--pooled (for 100,000 papers in about half an hour on 2 cores): the distinct sentences are embedded once by the
real model, and every text the ingest asks to encode is looked up in that pool (a paper's own vector is the
normalised mean of its sentences' vectors); everything else (Chroma, the lexical index, the change
log) does its real work. Without --pooled the real model encodes every text.

Rows of the table:
  ingest                    papers/s of `Ingestor.run` over the whole listing (pooled or real vectors)
  disk                      Chroma folder + lexical index
  fresh process             a new Python process: imports, model, store, one answer (wall time)
  RSS after warm-up         that process's resident memory after 60 questions (VmRSS; VmHWM is the peak)
  question latency          p50/p95 over 40 questions each: unfiltered, with a year range, with an author filter
  add one paper (same proc) ingest one new paper in the serving process (what UI upload does) and answer about it
  add one paper (other proc) `paperrag ingest` of one paper in another process, then the server's next answer
  second client             a client of a `chroma run` server over this store, with an empty cache: its first answer
                            (the lexical index is rebuilt from the server's texts) and how many texts it embedded
"""

from __future__ import annotations

import argparse
import json
import os
import random
import shutil
import socket
import subprocess
import sys
import time
from pathlib import Path

os.environ.setdefault("HF_HUB_OFFLINE", "1")
os.environ.setdefault("ANONYMIZED_TELEMETRY", "False")
ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))

FIRST = ["Ada", "Alan", "Grace", "Claude", "Edsger", "Barbara", "Donald", "Frances", "John", "Radia", "Leslie",
         "Shafi", "Silvio", "Judea", "Yoshua", "Geoffrey", "Fei-Fei", "Daphne", "Michael", "Jennifer"]
LAST = ["Lovelace", "Turing", "Hopper", "Shannon", "Dijkstra", "Liskov", "Knuth", "Allen", "McCarthy", "Perlman",
        "Lamport", "Goldwasser", "Micali", "Pearl", "Bengio", "Hinton", "Li", "Koller", "Jordan", "Doudna",
        "Okafor", "Nakamura", "Rossi", "Kowalski", "Haddad", "Moreau", "Silva", "Novak", "Ivanova", "Chen"]
CATEGORIES = ["cs.LG", "cs.CL", "cs.CV", "cs.AI", "stat.ML", "q-bio.QM", "physics.med-ph", "cs.IR"]


def real_sentences() -> list[str]:
    from ingest.readers import read_records
    from rag.text import split_sentences
    from rag.types import Paper

    out: list[str] = []
    for path in (ROOT / "data" / "daily_papers_2025-11-10.txt",
                 ROOT.parent / "shared" / "datasets" / "pubmedqa-dev" / "corpus.jsonl"):
        if path.exists():
            for p in read_records(path):
                if isinstance(p, Paper):
                    out.extend(s for s in split_sentences(p.abstract) if 40 <= len(s) <= 400)
    return list(dict.fromkeys(out))


def synthetic_listing(n: int, path: Path, seed: int = 0) -> list[dict]:
    rng = random.Random(seed)
    pool = real_sentences()
    rows = []
    with open(path, "w", encoding="utf-8") as f:
        for i in range(n):
            sentences = rng.sample(pool, rng.randint(5, 10))
            words = sentences[0].rstrip(".").split()
            title = " ".join(words[: rng.randint(6, 12)]).strip(",;:") + f" (study {i})"
            year = rng.randint(2000, 2025)
            row = {
                "id": f"synthetic-{i:07d}",
                "title": title,
                "abstract": " ".join(sentences),
                "authors": "; ".join(f"{rng.choice(FIRST)} {rng.choice(LAST)}" for _ in range(rng.randint(1, 6))),
                "date": f"{year}-{rng.randint(1, 12):02d}-{rng.randint(1, 28):02d}",
                "categories": rng.sample(CATEGORIES, rng.randint(1, 2)),
            }
            f.write(json.dumps(row) + "\n")
            if i < 2000:
                rows.append(row)
    return rows


def pooled_embedder(settings, listing: Path):
    """The real model, embedding each distinct sentence and title of the listing once; other texts are composed."""
    import numpy as np

    from rag.embeddings import Embedder
    from rag.text import sentence_spans

    class Pooled(Embedder):
        def __init__(self, s):
            super().__init__(s)
            self.pool: dict[str, np.ndarray] = {}

        def fill(self, texts: list[str]) -> None:
            todo = [t for t in dict.fromkeys(texts) if t not in self.pool]
            for t, v in zip(todo, super().embed(todo, batch_size=16)):
                self.pool[t] = v

        def embed(self, texts, *, batch_size=None, progress=None):
            out = []
            for t in texts:
                v = self.pool.get(t)
                if v is None:  # a paper text, "title. abstract": the mean of its pooled sentences
                    parts = [self.pool[t[a:b]] for a, b in sentence_spans(t) if t[a:b] in self.pool]
                    if not parts:
                        self.fill([t])
                        parts = [self.pool[t]]
                    v = np.mean(parts, axis=0)
                    v = v / np.linalg.norm(v)
                out.append(v)
            if progress:
                progress(len(out))
            return np.asarray(out, dtype=np.float32)

    emb = Pooled(settings.embedding)
    sentences = real_sentences()
    t = time.perf_counter()
    emb.fill(sentences)
    print(f"  pool: {len(emb.pool)} texts embedded once in {time.perf_counter() - t:.0f} s", flush=True)
    return emb


def listed(path: Path) -> int:
    """Papers in a listing (one per line)."""
    with open(path, "rb") as f:
        return sum(chunk.count(b"\n") for chunk in iter(lambda: f.read(1 << 24), b""))


def grow_tail(settings, listing: Path, work: Path) -> Path:
    """The part of the listing a grown store may lack: ingest writes whole batches in listing order, so the first
    papers it holds are the listing's first ones; from a batch before that count on, the rest goes to grow.jsonl
    (the overlap is found unchanged). Resuming a grow of 673,280 papers re-checked them all at 300-1,100 a second."""
    from rag.library import Library

    stored = Library(settings).count() if (work / "chroma").exists() else 0
    skip = max(0, stored - 10 * settings.ingest.batch_papers)
    tail = work / "grow.jsonl"
    with open(listing, encoding="utf-8") as src, open(tail, "w", encoding="utf-8") as out:
        for i, line in enumerate(src):
            if i >= skip:
                out.write(line)
    print(f"  grow: {stored:,} papers stored; ingesting the listing from paper {skip + 1:,}", flush=True)
    return tail


def settings_for(work: Path, **store):
    from rag.settings import load_settings

    return load_settings(ROOT / "config.yaml", store={"persist_dir": work / "chroma", "cache_dir": work / "cache",
                                                      **store})


def du(path: Path) -> int:
    return sum(f.stat().st_size for f in path.rglob("*") if f.is_file()) if path.exists() else 0


# ----- the serving process (a child) ---------------------------------------------------------------------------
def child(args: argparse.Namespace) -> None:
    """Runs in a fresh process: answers, measures, adds a paper; prints one JSON line per measurement."""
    t0 = float(os.environ["SCALE_T0"])
    from evals.metrics import percentile
    from rag.engine import Engine

    work = Path(args.workdir)
    store = json.loads(os.environ.get("SCALE_STORE", "{}"))
    settings = settings_for(work, **store)
    engine = Engine(settings)
    questions = json.loads((work / "questions.json").read_text())
    first = engine.ask(questions["plain"][0])
    emit({"first_answer_s": time.time() - t0, "first_cited": [c.title for c in first.citations][:1],
          "embedded": getattr(engine.embedder, "count", None)})
    if args.child == "client":
        return
    for q in questions["plain"][:20]:  # warm-up
        engine.ask(q)
    lat = {}
    for kind, filters in (("unfiltered", None), ("year", {"year_from": 2010, "year_to": 2015}),
                          ("author", "author")):
        times = []
        for i, q in enumerate(questions["plain"][20:60]):
            f = {"author": questions["authors"][i % len(questions["authors"])]} if filters == "author" else filters
            t = time.perf_counter()
            engine.ask(q, filters=f)
            times.append((time.perf_counter() - t) * 1000)
        lat[kind] = (percentile(times, 50), percentile(times, 95))
    status = open("/proc/self/status").read()
    rss = int(status.split("VmRSS:")[1].split()[0]) / 1024
    hwm = int(status.split("VmHWM:")[1].split()[0]) / 1024
    emit({"latency_ms": lat, "rss_mb": rss, "hwm_mb": hwm})

    from ingest.pipeline import Ingestor

    # Names new on every run, so a reused store (--keep) really gets two new papers and the answers must cite them.
    tag = "".join(random.choice("BCDFGHJKLMNPQRSTVWXZ") for _ in range(5))
    first = {"id": f"synthetic-new-{tag}-1", "title": f"Quokka{tag}-Drift: Tapestry Collapse in Sparse Lattice Models",
             "abstract": f"We introduce Quokka{tag}-Drift, a procedure for sparse lattice models. Quokka{tag}-Drift "
             "reduces tapestry collapse by 37% on the Wombat-9 benchmark. The method needs no extra memory.",
             "authors": "Ada Lovelace", "date": "2026-01-02"}
    listing = work / "one.jsonl"
    listing.write_text(json.dumps(first) + "\n")
    t = time.perf_counter()
    Ingestor(settings, embedder=engine.embedder, library=engine.library).run([listing], progress=False)
    answer = engine.ask(f"What does Quokka{tag}-Drift reduce on the Wombat-9 benchmark?")
    emit({"add_same_s": time.perf_counter() - t, "add_same_ok": answer.citations[:1] != []
          and answer.citations[0].title == first["title"]})

    # Another process adds a paper; time from its exit to this process's answer.
    other = dict(first, id=f"synthetic-new-{tag}-2", title=f"Kelpie{tag}-Sort: Ordering Wet Seaweed Streams",
                 abstract=f"We introduce Kelpie{tag}-Sort for ordering seaweed streams. Kelpie{tag}-Sort halves brine "
                 "spillage on the Selkie-4 benchmark. It runs on one core.")
    (work / "two.jsonl").write_text(json.dumps(other) + "\n")
    out = subprocess.run([sys.executable, "-m", "cli.main", "ingest", "--quiet", str(work / "two.jsonl")],
                         env={**os.environ, **env_vars(work, store)}, capture_output=True, text=True, cwd=ROOT)
    t = time.perf_counter()
    answer = engine.ask(f"What does Kelpie{tag}-Sort halve on the Selkie-4 benchmark?")
    emit({"add_other_s": time.perf_counter() - t, "add_other_ok": bool(answer.citations)
          and answer.citations[0].title == other["title"], "ingest_rc": out.returncode})


def emit(obj: dict) -> None:
    print("SCALE " + json.dumps(obj), flush=True)


def env_vars(work: Path, store: dict) -> dict[str, str]:
    env = {"PAPERRAG_STORE__PERSIST_DIR": str(work / "chroma"), "PAPERRAG_STORE__CACHE_DIR": str(work / "cache"),
           "PAPERRAG_CONFIG": str(ROOT / "config.yaml"), "PYTHONPATH": str(ROOT)}
    for k, v in store.items():
        env[f"PAPERRAG_STORE__{k.upper()}"] = str(v)
    return env


def run_child(args: argparse.Namespace, kind: str, store: dict | None = None) -> dict:
    work = Path(args.workdir)
    env = {**os.environ, **env_vars(work, store or {}), "SCALE_T0": str(time.time()),
           "SCALE_STORE": json.dumps(store or {})}
    cmd = [sys.executable, str(Path(__file__).resolve()), "--child", kind, "--workdir", str(work)]
    out = subprocess.run(cmd, env=env, capture_output=True, text=True, cwd=ROOT)
    if out.returncode:
        raise SystemExit(f"child {kind} failed:\n{out.stderr[-3000:]}")
    found: dict = {}
    for line in out.stdout.splitlines():
        if line.startswith("SCALE "):
            found.update(json.loads(line[6:]))
    return found


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def second_client(args: argparse.Namespace) -> dict:
    """Serve the store with `chroma run`, then a client process with an empty cache asks its first question."""
    work = Path(args.workdir)
    port = free_port()
    chroma = shutil.which("chroma", path=str(Path(sys.executable).parent)) or "chroma"
    server = subprocess.Popen([chroma, "run", "--path", str(work / "chroma"), "--host", "127.0.0.1", "--port",
                               str(port)], stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
    try:
        import chromadb
        from chromadb.config import Settings

        deadline = time.time() + 120
        while True:
            try:
                chromadb.HttpClient(host="127.0.0.1", port=port, settings=Settings(anonymized_telemetry=False)).heartbeat()
                break
            except Exception:
                if time.time() > deadline:
                    raise SystemExit("chroma server did not start")
                time.sleep(0.5)
        cache = work / "client-cache"  # empty: the client builds its lexical index from the server's texts
        shutil.rmtree(cache, ignore_errors=True)
        os.environ["SCALE_COUNT_EMBEDS"] = "1"
        found = run_child(args, "client", {"backend": "chroma-http", "port": port, "cache_dir": str(cache)})
        os.environ.pop("SCALE_COUNT_EMBEDS")
        return found
    finally:
        shutil.rmtree(work / "client-cache", ignore_errors=True)
        server.terminate()
        server.wait(30)


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("--papers", type=int, default=10_000, help="collection size (default 10,000)")
    ap.add_argument("--pooled", action="store_true", help="take sentence vectors from a pool embedded once")
    ap.add_argument("--workdir", default=None, help="folder for the listing and the store (default: a temp folder)")
    ap.add_argument("--keep", action="store_true", help="reuse an existing store in --workdir (skip the ingest)")
    ap.add_argument("--grow", action="store_true",
                    help="keep the store in --workdir and ingest only the papers of the --papers listing it lacks "
                         "(resumable: stop it and run it again)")
    ap.add_argument("--ingest-only", action="store_true", help="stop after the ingest (with --grow: grow in steps)")
    ap.add_argument("--child", help=argparse.SUPPRESS)
    args = ap.parse_args()
    if args.child:
        if os.environ.get("SCALE_COUNT_EMBEDS"):
            _count_embeds()
        child(args)
        return

    import tempfile

    work = Path(args.workdir or tempfile.mkdtemp(prefix=f"paperrag-scale-{args.papers}-"))
    args.workdir = str(work)
    work.mkdir(parents=True, exist_ok=True)
    listing = work / "synthetic.jsonl"
    print(f"work folder: {work}", flush=True)
    reuse = listing.exists() and (args.keep or (args.grow and listed(listing) == args.papers))
    rows = synthetic_listing(args.papers, listing) if not reuse else \
        [json.loads(line) for _, line in zip(range(2000), open(listing, encoding="utf-8"))]
    rng = random.Random(1)
    sample = rng.sample(rows, 60)
    questions = {
        "plain": [f"Which study reports that {r['abstract'].split('. ')[1][:160]}?" for r in sample],
        "authors": [r["authors"].split("; ")[0].split()[-1].lower()[:5] for r in sample],
    }
    (work / "questions.json").write_text(json.dumps(questions))

    from ingest.pipeline import Ingestor

    settings = settings_for(work)
    ingest_rate = None
    if not (args.keep and (work / "chroma").exists()):
        if not args.grow:
            shutil.rmtree(work / "chroma", ignore_errors=True)
            shutil.rmtree(work / "cache", ignore_errors=True)
        if args.pooled:
            embedder = pooled_embedder(settings, listing)
        else:
            from rag.embeddings import Embedder

            embedder = Embedder(settings.embedding)
            embedder.embed_query("warm up")
        source = grow_tail(settings, listing, work) if args.grow else listing
        t = time.perf_counter()
        report = Ingestor(settings, embedder=embedder).run([source], progress=True)
        ingest_rate = report.new / (time.perf_counter() - t)
        print(f"  {report.summary()}", flush=True)
        del embedder
    if args.ingest_only:
        return

    disk = du(work / "chroma") + du(work / "cache")
    serving = run_child(args, "serve")
    client = second_client(args)

    lat = serving["latency_ms"]
    rows_out = [
        ("papers", f"{args.papers:,}"),
        ("vectors", "pooled (real model, each distinct text once)" if args.pooled else "real model, end to end"),
        ("ingest", (f"{ingest_rate:.1f} papers/s" + (" (the papers added)" if args.grow else ""))
         if ingest_rate else "(reused store)"),
        ("disk (Chroma + lexical)", f"{disk / 1e6:,.0f} MB"),
        ("fresh process to first answer", f"{serving['first_answer_s']:.1f} s"),
        ("RSS after warm-up (peak)", f"{serving['rss_mb']:,.0f} MB ({serving['hwm_mb']:,.0f} MB)"),
        ("question p50 / p95, unfiltered", f"{lat['unfiltered'][0]:.0f} / {lat['unfiltered'][1]:.0f} ms"),
        ("question p50 / p95, year filter", f"{lat['year'][0]:.0f} / {lat['year'][1]:.0f} ms"),
        ("question p50 / p95, author filter", f"{lat['author'][0]:.0f} / {lat['author'][1]:.0f} ms"),
        ("add one paper, same process", f"{serving['add_same_s']:.2f} s" + ("" if serving["add_same_ok"] else " (NOT answered)")),
        ("add one paper, other process", f"{serving['add_other_s']:.2f} s to the next answer"
         + ("" if serving["add_other_ok"] else " (NOT answered)")),
        ("second client, empty cache", f"{client['first_answer_s']:.1f} s to first answer, "
         f"{client['embedded']} text(s) embedded"),
    ]
    width = max(len(k) for k, _ in rows_out)
    print(f"\n| {'measure':<{width}} | value |\n|{'-' * (width + 2)}|-------|")
    for k, v in rows_out:
        print(f"| {k:<{width}} | {v} |")
    print(f"\nmachine: {os.cpu_count()} cores, Python {sys.version.split()[0]}, backend "
          f"{settings.embedding.backend}; {time.strftime('%Y-%m-%d')}")


def _count_embeds() -> None:
    """In the second-client child: count the texts the embedder encodes (must be the question only)."""
    from rag import embeddings

    original = embeddings.Embedder.embed

    def counting(self, texts, **kwargs):
        texts = list(texts)
        self.count = getattr(self, "count", 0) + len(texts)
        return original(self, texts, **kwargs)

    embeddings.Embedder.embed = counting


if __name__ == "__main__":
    main()

"""Bounded work per input: one oversize record is skipped with its file and line (never held whole in memory), an
upload with too many papers is refused before anything is written, and a running upload stops between batches
when cancelled, keeping the papers written so far. Bounds are settings (`ingest.max_*`, `ui.max_upload_papers`)
and each message names its bound."""

from __future__ import annotations

import json
import subprocess
import sys

import pytest

from conftest import ROOT, make_settings
from ingest.pipeline import InputRejected, Ingestor
from rag.errors import UsageError
from rag.library import Library

GOOD = {"title": "Sparse Attention for Long Documents", "abstract": "We make attention sparse. It is fast."}
OTHER = {"title": "Pruning Without Retraining", "abstract": "We prune networks in one shot. Accuracy holds."}
HUGE_LINE_MB = 54


@pytest.fixture(scope="module")
def oversize_listing(tmp_path_factory):
    """Good records around a 54 MB line, an abstract over the character bound and a title over its bound."""
    path = tmp_path_factory.mktemp("oversize") / "listing.jsonl"
    with path.open("w") as f:
        f.write(json.dumps(GOOD) + "\n")
        f.write('{"title": "Huge", "abstract": "' + "word " * (HUGE_LINE_MB * 200_000) + '"}\n')
        f.write(json.dumps({"title": "Long abstract", "abstract": "A sentence of an abstract. " * 1_000}) + "\n")
        f.write(json.dumps({"title": "T" * 2_000, "abstract": "Short."}) + "\n")
        f.write(json.dumps(OTHER) + "\n")
    return path


def test_oversize_records_are_skipped_with_file_line_and_bound(oversize_listing, tmp_path, embedder):
    report = Ingestor(make_settings(tmp_path), embedder=embedder).run([oversize_listing], progress=False)
    assert report.new == 2
    reasons = {r.line: r.reason for r in report.skipped}
    assert reasons[2] == f"record is {HUGE_LINE_MB * 1_000_000 + 34:,} bytes; the limit is 1,000,000 " \
                         "(ingest.max_record_bytes)"
    assert reasons[3] == "'Long abstract': abstract is 26,999 characters long; the limit is 20,000 " \
                         "(ingest.max_abstract_chars)"
    assert reasons[4] == "title is 2,000 characters long; the limit is 1,000 (ingest.max_title_chars)"
    assert "3 skipped (3 over a size limit)" in report.summary()


def test_strict_refuses_an_oversize_record_and_writes_nothing(oversize_listing, tmp_path, embedder):
    settings = make_settings(tmp_path)
    with pytest.raises(InputRejected, match=r"listing.jsonl:2: record is .* bytes; the limit is 1,000,000"):
        Ingestor(settings, embedder=embedder).run([oversize_listing], progress=False, strict=True)
    assert not Library(settings, progress=False).exists()


def test_the_bounds_are_settings(oversize_listing, tmp_path, embedder):
    settings = make_settings(tmp_path, ingest={"max_abstract_chars": 30_000, "max_record_bytes": 60_000_000})
    report = Ingestor(settings, embedder=embedder).run([oversize_listing], progress=False)
    reasons = {r.line: r.reason for r in report.skipped}
    assert report.new == 3 and set(reasons) == {2, 4}  # the long abstract fits now; the huge line is read ...
    assert reasons[2] == "'Huge': abstract is 53,999,999 characters long; the limit is 30,000 " \
                         "(ingest.max_abstract_chars)"  # ... and refused by its length, before any encoding


def test_reading_past_a_54_mb_line_holds_one_piece_not_the_line(oversize_listing):
    """The issue's 54 MB line took the process from 246 MB to 3.9 GB. Reading it now: peak RSS growth in a fresh
    process stays under 200 MB (one 1 MB piece at a time)."""
    script = (
        "import sys, time; sys.path.insert(0, sys.argv[2])\n"
        "from ingest.readers import read_records\n"
        "def hwm():\n"
        "    return int(next(l for l in open('/proc/self/status') if l.startswith('VmHWM')).split()[1]) // 1024\n"
        "before = hwm(); t = time.perf_counter()\n"
        "records = list(read_records(sys.argv[1], None))\n"
        "print(before, hwm(), len(records), round(time.perf_counter() - t, 2))\n"
    )
    out = subprocess.run([sys.executable, "-c", script, str(oversize_listing), str(ROOT)], capture_output=True,
                         text=True, timeout=120)
    assert out.returncode == 0, out.stderr
    before, after, n, _seconds = out.stdout.split()
    assert int(n) == 5 and int(after) - int(before) < 200, out.stdout


@pytest.fixture(scope="module")
def many_papers(tmp_path_factory):
    """100,000 distinct small papers in one JSONL file (the issue's upload that ran 2 h inside the server)."""
    path = tmp_path_factory.mktemp("many") / "many.jsonl"
    with path.open("w") as f:
        for i in range(100_000):
            f.write(json.dumps({"title": f"Study number {i} of graph sparsity",
                                "abstract": f"We measure sparsity pattern {i}. It helps."}) + "\n")
    return path


def test_an_upload_with_too_many_papers_is_refused_before_anything_is_written(many_papers, tmp_path, embedder):
    settings = make_settings(tmp_path)
    with pytest.raises(UsageError) as err:
        Ingestor(settings, embedder=embedder).run([many_papers], progress=False,
                                                  max_papers=settings.ui.max_upload_papers)
    assert "holds more than 5,000 papers, the most one upload may add (ui.max_upload_papers)" in str(err.value)
    assert "nothing was written" in str(err.value)
    assert not Library(settings, progress=False).exists()


def test_a_cancelled_ingest_stops_between_batches_and_keeps_what_it_wrote(many_papers, tmp_path, embedder):
    settings = make_settings(tmp_path, ingest={"batch_papers": 16})
    asked = []

    def should_stop() -> bool:
        asked.append(1)
        return len(asked) > 2  # two batches go through, then the user cancels

    report = Ingestor(settings, embedder=embedder).run([many_papers], progress=False, should_stop=should_stop)
    assert report.cancelled and report.new == 32 and report.papers_in_store == 32
    assert report.summary().startswith("cancelled (the papers written before are complete)")
    assert Library(settings, progress=False).count() == 32

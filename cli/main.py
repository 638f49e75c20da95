"""`paperrag`: the command line. Parses arguments, calls the library, and translates errors once, here.

Each subcommand imports what it needs inside its handler, so `paperrag --help` stays instant.
Exit codes: 0 success, 1 errors, 2 usage.
"""

from __future__ import annotations

import argparse
import json
import os
import sys
from typing import Callable, Sequence

from rag.errors import PaperRAGError

os.environ.setdefault("GRADIO_ANALYTICS_ENABLED", "False")
os.environ.setdefault("ANONYMIZED_TELEMETRY", "False")


def _settings(args: argparse.Namespace):
    from rag.settings import load_settings

    return load_settings(args.config)


# ----- ingest / stats -------------------------------------------------------------------------------------------
def cmd_ingest(args: argparse.Namespace) -> int:
    from ingest.pipeline import Ingestor

    settings = _settings(args)
    report = Ingestor(settings).run(
        args.paths,
        fmt=args.format,
        rebuild=args.rebuild,
        strict=args.strict,
        progress=not args.quiet and not args.json,
        listing_year=args.listing_year,
    )
    if args.json:
        print(json.dumps(report.to_dict(), indent=2))
    else:
        for r in report.skipped[: args.show_skipped]:
            where = f"{r.path}:{r.line}" if r.line else r.path
            print(f"skipped {where}: {r.reason}", file=sys.stderr)
        if len(report.skipped) > args.show_skipped:
            print(f"... and {len(report.skipped) - args.show_skipped} more skipped records", file=sys.stderr)
        for e in report.file_errors:
            print(f"error: {e}", file=sys.stderr)
        print(report.summary())
    return 0 if report.ok else 1


def _format_stats(s: dict) -> str:
    rng = s["date_range"]
    dates = f"{rng[0]} .. {rng[1]}" if rng else "-"
    if s["undated_papers"]:
        dates += f" ({s['undated_papers']} undated)"
    model = f"{s['embedding_model']} (dim {s['embedding_dim']})" if s["embedding_model"] else "-"
    c = s["chunking"]
    chunking = f"{c['max_tokens']} tokens, overlap {c['overlap_tokens']}" if c["max_tokens"] else "-"
    rows = [
        ("papers", s["papers"]),
        ("chunks", s["chunks"]),
        ("dates", dates),
        ("embedding", model),
        ("chunking", chunking),
        ("store", f"{s['store']['backend']} at {s['store']['location']}"),
    ]
    return "\n".join(f"{k:<10} {v}" for k, v in rows)


def cmd_stats(args: argparse.Namespace) -> int:
    from rag.store import PaperStore

    stats = PaperStore(_settings(args)).stats()
    print(json.dumps(stats, indent=2) if args.json else _format_stats(stats))
    return 0


# ----- parser ---------------------------------------------------------------------------------------------------
def build_parser() -> argparse.ArgumentParser:
    common = argparse.ArgumentParser(add_help=False)
    common.add_argument(
        "--config",
        metavar="PATH",
        default=argparse.SUPPRESS,
        help="settings file (default: $PAPERRAG_CONFIG, else ./config.yaml, else built-in defaults)",
    )
    parser = argparse.ArgumentParser(
        prog="paperrag",
        description="Ask questions over research-paper abstracts; every claim cited, fully offline.",
        parents=[common],
        epilog="Settings: config.yaml, overridable per key with PAPERRAG_<SECTION>__<KEY> env vars.",
    )
    sub = parser.add_subparsers(dest="command", metavar="COMMAND", required=True)

    p = sub.add_parser(
        "ingest",
        parents=[common],
        help="add paper listings to the index",
        description=(
            "Read paper listings (Daily Papers page text, arXiv API Atom XML, arXiv metadata snapshot JSON lines, "
            "JSONL/CSV with title and abstract, BibTeX with abstracts) and index them. Idempotent: unchanged "
            "papers are not re-embedded. With no PATH, ingests the bundled corpus (ingest.default_paths)."
        ),
    )
    p.add_argument("paths", nargs="*", metavar="PATH", help="files or directories (supported files inside)")
    p.add_argument(
        "--format",
        choices=["hf-daily", "arxiv-atom", "arxiv-snapshot", "jsonl", "csv", "bibtex"],
        help="force a reader instead of detecting it from extension and content",
    )
    p.add_argument("--rebuild", action="store_true", help="drop the collection and index from scratch")
    p.add_argument("--strict", action="store_true", help="fail on any bad record, before writing anything")
    p.add_argument("--listing-year", type=int, metavar="YEAR", help="year of a Daily Papers listing's yearless dates")
    p.add_argument("--json", action="store_true", help="print the report as JSON")
    p.add_argument("--quiet", "-q", action="store_true", help="no progress bar")
    p.add_argument("--show-skipped", type=int, default=20, metavar="N", help="list at most N skipped records")
    p.set_defaults(func=cmd_ingest)

    p = sub.add_parser("stats", parents=[common], help="what is in the index")
    p.add_argument("--json", action="store_true", help="print as JSON")
    p.set_defaults(func=cmd_stats)
    return parser


def main(argv: Sequence[str] | None = None) -> int:
    parser = build_parser()
    args = parser.parse_args(argv)
    if not hasattr(args, "config"):
        args.config = None
    func: Callable[[argparse.Namespace], int] = args.func
    try:
        return func(args)
    except PaperRAGError as e:
        print(f"error: {e}", file=sys.stderr)
        return e.exit_code
    except KeyboardInterrupt:
        print("interrupted: papers written so far are complete; run the command again to finish.", file=sys.stderr)
        return 130


if __name__ == "__main__":
    sys.exit(main())

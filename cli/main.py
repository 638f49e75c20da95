"""`paperrag`: the command line. Parses arguments, calls the library, and translates errors once, here.

Each subcommand imports what it needs inside its handler, so `paperrag --help` stays instant.
Exit codes: 0 success, 1 errors, 2 usage.
"""

from __future__ import annotations

import argparse
import json
import os
import sys
import time
from pathlib import Path
from typing import Callable, Sequence

from rag.errors import PaperRAGError

os.environ.setdefault("GRADIO_ANALYTICS_ENABLED", "False")
os.environ.setdefault("ANONYMIZED_TELEMETRY", "False")


def _bypass_proxies_for_loopback() -> None:
    """Requests to this machine never go through an HTTP(S)_PROXY: the UI's own start-up check and a local Chroma
    server live on 127.0.0.1, and a proxy there either fails or sees the traffic."""
    loopback = ["127.0.0.1", "localhost", "::1"]
    for name in ("NO_PROXY", "no_proxy"):
        have = [h.strip() for h in os.environ.get(name, "").split(",") if h.strip()]
        os.environ[name] = ",".join(have + [h for h in loopback if h not in have])


class _Parser(argparse.ArgumentParser):
    """argparse with usage errors as one line (and the command's --help named) instead of usage + error."""

    def error(self, message: str) -> None:  # type: ignore[override]
        self.exit(2, f"error: {message} (see `{self.prog} --help`)\n")


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
        for w in report.withheld[: args.show_skipped]:
            print(f"withheld from evidence (addressed to a model): {w[:200]}", file=sys.stderr)
        for e in report.file_errors:
            print(f"error: {e}", file=sys.stderr)
        print(report.summary())
    return 0 if report.ok else 1


def _format_stats(s: dict) -> str:
    rng = s["date_range"]
    dates = f"{rng[0]} .. {rng[1]}" if rng else "-"
    if s["undated_papers"]:
        dates += f" ({s['undated_papers']} undated)"
    model = "-"
    if s["embedding_model"]:
        quant = "" if s.get("embedding_quantization") in (None, "none") else f", {s['embedding_quantization']}"
        model = f"{s['embedding_model']} (dim {s['embedding_dim']}, {s.get('embedding_backend')}{quant})"
    years = ", ".join(f"{y}: {n}" for y, n in s.get("years", {}).items()) or "-"
    sources = ", ".join(f"{k}: {n}" for k, n in s.get("sources", {}).items()) or "-"
    rows = [
        ("papers", s["papers"]),
        ("dates", dates),
        ("years", years),
        ("sources", sources),
        ("embedding", model),
        ("store", f"{s['store']['backend']} at {s['store']['location']}"),
    ]
    return "\n".join(f"{k:<10} {v}" for k, v in rows)


def cmd_stats(args: argparse.Namespace) -> int:
    from rag.library import Library

    stats = Library(_settings(args)).stats()
    print(json.dumps(stats, indent=2) if args.json else _format_stats(stats))
    return 0


# ----- sources / remove ---------------------------------------------------------------------------------------
def _shown(text: str) -> str:
    """A name from a file as a terminal shows it safely: control characters escaped, nothing else changed."""
    return "".join(c if c.isprintable() else f"\\x{ord(c):02x}" for c in text)


def _format_sources(sources: list) -> str:
    when = lambda ts: time.strftime("%Y-%m-%d %H:%M", time.localtime(ts)) if ts else "-"  # noqa: E731
    rows = [("SOURCE", "KIND", "PAPERS", "FIRST INGESTED", "LAST INGESTED")] + [
        (_shown(s.name), s.kind, str(s.papers), when(s.first), when(s.last)) for s in sources
    ]
    width = [max(len(r[i]) for r in rows) for i in range(5)]
    return "\n".join(
        f"{r[0]:<{width[0]}}  {r[1]:<{width[1]}}  {r[2]:>{width[2]}}  {r[3]:<{width[3]}}  {r[4]}" for r in rows
    )


def cmd_sources(args: argparse.Namespace) -> int:
    from rag.library import Library

    sources = Library(_settings(args)).sources()
    if args.json:
        print(json.dumps([s.to_dict() for s in sources], indent=2, ensure_ascii=False))
    elif not sources:
        print("no sources: the index is empty (add papers with `paperrag ingest PATH`)", file=sys.stderr)
    else:
        print(_format_sources(sources))
    return 0


def cmd_remove(args: argparse.Namespace) -> int:
    from rag.library import Library, unknown_papers, unknown_source

    library = Library(_settings(args))
    if args.source is not None:
        source = library.source(args.source)
        if source is None:
            raise unknown_source(args.source, library.location)
        what = (f"source '{_shown(source.name)}' ({source.kind}, {source.papers} paper"
                f"{'s' if source.papers != 1 else ''}; those another source also holds stay)")
    else:
        ids = list(dict.fromkeys(args.ids))
        found = library.get_papers(ids)
        missing = [i for i in ids if i not in found]
        if missing:
            raise unknown_papers(missing, library.location)
        titles = "; ".join(_shown(found[i].paper.title[:70]) for i in ids[:3]) + (" ..." if len(ids) > 3 else "")
        what = f"{len(ids)} paper{'s' if len(ids) != 1 else ''} ({titles})"
    if not args.yes and sys.stdin.isatty():
        try:
            answer = input(f"Remove {what} from the index? [y/N] ")
        except EOFError:
            answer = ""
        if answer.strip().lower() not in ("y", "yes"):
            print("nothing removed", file=sys.stderr)
            return 1
    removal = library.remove_source(args.source) if args.source is not None else library.remove(ids)
    print(json.dumps(removal.to_dict(), indent=2) if args.json else removal.summary())
    return 0


# ----- ask / chat ---------------------------------------------------------------------------------------------
def _ask_options(args: argparse.Namespace) -> dict:
    filters = {
        "year_from": args.year_from,
        "year_to": args.year_to,
        "title": args.title,
        "author": args.author,
        "categories": args.category or [],
    }
    return {
        "filters": {k: v for k, v in filters.items() if v},
        "top_k": args.top_k,
        "mode": args.mode,
        "generator": args.generator,
    }


def _print_streamed(stream, as_json: bool):
    """Show text as it arrives (terminal only), then the checked answer; returns the Answer."""
    from rag.answer import Answer

    live = sys.stdout.isatty() and not as_json
    answer = None
    for item in stream:
        if isinstance(item, Answer):
            answer = item
        elif live:
            print(item, end="", flush=True)
    if live:
        print("\r\033[K", end="")  # replace the raw text with the citation-checked rendering
    print(json.dumps(answer.to_dict(), indent=2, ensure_ascii=False) if as_json else answer.to_text())
    return answer


def cmd_ask(args: argparse.Namespace) -> int:
    from rag.engine import Engine
    from rag.errors import UsageError

    question = " ".join(args.question).strip()
    if not question:
        raise UsageError("the question is empty: paperrag ask \"What makes hypernetworks hard to train?\"")
    engine = Engine(_settings(args))
    answer = _print_streamed(engine.ask_stream(question, **_ask_options(args)), args.json)
    if args.explain and not args.json:
        _print_explanation(answer)
    return 0


def _print_explanation(answer) -> None:
    from rag.explain import explain_answer, not_found_reason

    if answer.kind == "clarify":
        return
    print("\nWhy these papers:")
    lines = [not_found_reason(answer)] if answer.abstained else explain_answer(answer)
    for line in lines:
        print(f"  {line}")


def _write_export(answers: list, markdown: str | None, bib: str | None) -> list[str]:
    """Write the conversation as Markdown and its cited papers as BibTeX; the paths written."""
    from datetime import datetime

    from rag.export import bibtex, conversation_markdown

    written = []
    if markdown:
        Path(markdown).write_text(
            conversation_markdown(answers, created=datetime.now().strftime("%Y-%m-%d %H:%M")), encoding="utf-8"
        )
        written.append(markdown)
    if bib:
        Path(bib).write_text(bibtex(answers), encoding="utf-8")
        written.append(bib)
    return written


def cmd_export(args: argparse.Namespace) -> int:
    from rag.errors import SourceError, UsageError

    path = Path(args.answers)
    if not path.is_file():
        raise SourceError(str(path), "no such file")
    text = path.read_text(encoding="utf-8")
    decoder, pos, answers = json.JSONDecoder(), 0, []
    try:  # one object, a list, or objects one after another (`paperrag ask --json ... >> answers.json`)
        while True:
            while pos < len(text) and text[pos].isspace():
                pos += 1
            if pos >= len(text):
                break
            value, pos = decoder.raw_decode(text, pos)
            answers.extend(value if isinstance(value, list) else [value])
    except json.JSONDecodeError as e:
        raise SourceError(str(path), f"not JSON ({e.msg})", e.lineno) from None
    if not all(isinstance(a, dict) and "question" in a and "answer" in a for a in answers):
        raise SourceError(str(path), "expected answers as written by `paperrag ask --json` (objects with question and answer)")
    if not args.markdown and not args.bibtex:
        raise UsageError("say what to write: --markdown OUT.md and/or --bibtex OUT.bib.")
    for written in _write_export(answers, args.markdown, args.bibtex):
        print(f"wrote {written}")
    return 0


def cmd_chat(args: argparse.Namespace) -> int:
    from rag.engine import Engine

    engine = Engine(_settings(args))
    history = []
    options = _ask_options(args)
    print("PaperRAG chat. Ask about the papers; 'new' starts over, 'quit' or Ctrl-D leaves.", file=sys.stderr)
    asked: list = []  # every answer of the session, for --export
    while True:
        try:
            question = input("\n> ").strip()
        except EOFError:
            print(file=sys.stderr)
            break
        if question.lower() in ("quit", "exit", ":q"):
            break
        if question.lower() in ("new", "clear", "reset"):
            history = []
            print("(new conversation)", file=sys.stderr)
            continue
        if not question:
            continue
        try:
            answer = _print_streamed(engine.ask_stream(question, history=history, **options), args.json)
        except PaperRAGError as e:
            if e.exit_code != 2:
                raise
            print(f"error: {e}", file=sys.stderr)
            continue
        history.append(answer)
        asked.append(answer)
    if args.export and asked:
        base = Path(args.export)
        for written in _write_export(asked, str(base.with_suffix(".md")), str(base.with_suffix(".bib"))):
            print(f"wrote {written}", file=sys.stderr)
    return 0


def _add_ask_arguments(p: argparse.ArgumentParser) -> None:
    p.add_argument("--json", action="store_true", help="print the answer as JSON (the Answer.to_dict() schema)")
    p.add_argument("--mode", choices=["hybrid", "dense", "bm25"], help="retrieval mode (default: config)")
    p.add_argument(
        "--generator", choices=["extractive", "llama-cpp", "openai-compatible"], help="answer writer (default: config)"
    )
    p.add_argument("--top-k", type=int, metavar="K", help="papers to retrieve (default: config)")
    p.add_argument("--year-from", type=int, metavar="YEAR", help="only papers from this year on")
    p.add_argument("--year-to", type=int, metavar="YEAR", help="only papers up to this year")
    p.add_argument("--title", metavar="TEXT", help="only papers whose title contains TEXT")
    p.add_argument("--author", metavar="TEXT", help="only papers with an author name containing TEXT")
    p.add_argument("--category", action="append", metavar="CAT", help="only papers in this arXiv category (repeatable)")


# ----- serve ----------------------------------------------------------------------------------------------------
def cmd_serve(args: argparse.Namespace) -> int:
    from ui.app import serve

    settings = _settings(args)
    if args.host:
        settings.ui.host = args.host
    if args.port:
        settings.ui.port = args.port
    serve(settings, ingest_if_empty=not args.no_ingest, open_browser=args.open, mcp=args.mcp)
    return 0


def cmd_mcp(args: argparse.Namespace) -> int:
    from rag.integrations.mcp import run_stdio

    run_stdio(_settings(args))
    return 0


# ----- eval -----------------------------------------------------------------------------------------------------
def cmd_eval(args: argparse.Namespace) -> int:
    from evals.gate import check_suite, load_thresholds
    from evals.harness import run, run_suite
    from evals.report import SUITE_METRICS

    variants = [v.strip() for v in args.variants.split(",") if v.strip()] if args.variants else None
    settings = _settings(args)
    if args.dataset:  # one data set of the user's own
        result = run(settings, dataset=args.dataset, corpus=args.corpus, variants=variants, out=args.out,
                     progress=not args.quiet)
        summaries, defaults, files = {result.summary["name"]: result.summary}, {result.summary["name"]: result.default}, result.files
    else:
        names = [n.strip() for n in args.datasets.split(",")] if args.datasets else None
        suite = run_suite(settings, names=names, variants=variants, out=args.out, progress=not args.quiet)
        summaries = {n: r.summary for n, r in suite.runs.items()}
        defaults = {n: r.default for n, r in suite.runs.items()}
        files = suite.files
    for name, summary in summaries.items():
        print(f"\n{name} ({summary['items']} items, {summary['turns']} turns)")
        print(f"{'variant':<24}" + "".join(f"{c[:15]:>16}" for c in SUITE_METRICS))
        for vname, agg in summary["variants"].items():
            mark = "*" if vname == defaults[name] else " "
            cells = "".join(
                f"{'-' if agg.get(c) is None else (format(agg[c], '.0f') if c.endswith(('_ms', '_count')) else format(agg[c], '.3f')):>16}"
                for c in SUITE_METRICS
            )
            print(f"{mark}{vname:<23}{cells}")
    print("\nwrote " + ", ".join(str(f) for f in files))
    if args.gate:
        problems = check_suite(summaries, load_thresholds())
        for p in problems:
            print(f"quality gate: {p}", file=sys.stderr)
        if problems:
            return 1
        print("quality gate: passed")
    return 0


# ----- parser ---------------------------------------------------------------------------------------------------
def build_parser() -> argparse.ArgumentParser:
    common = _Parser(add_help=False)
    common.add_argument(
        "--debug",
        action="store_true",
        default=argparse.SUPPRESS,
        help="show the full traceback of an error (also PAPERRAG_DEBUG=1)",
    )
    common.add_argument(
        "--config",
        metavar="PATH",
        default=argparse.SUPPRESS,
        help="settings file (default: $PAPERRAG_CONFIG, else ./config.yaml, else built-in defaults)",
    )
    parser = _Parser(
        prog="paperrag",
        description="Ask questions over research-paper abstracts; every claim cited, fully offline.",
        parents=[common],
        epilog="Settings: config.yaml, overridable per key with PAPERRAG_<SECTION>__<KEY> env vars.",
    )
    sub = parser.add_subparsers(dest="command", metavar="COMMAND", required=True, parser_class=_Parser)

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
    p.add_argument("--rebuild", action="store_true",
                   help="build a new index from these files beside the one in use, then switch to it (the old one "
                   "answers until then; a killed rebuild leaves it untouched)")
    p.add_argument("--strict", action="store_true", help="fail on any bad record, before writing anything")
    p.add_argument("--listing-year", type=int, metavar="YEAR", help="year of a Daily Papers listing's yearless dates")
    p.add_argument("--json", action="store_true", help="print the report as JSON")
    p.add_argument("--quiet", "-q", action="store_true", help="no progress bar")
    p.add_argument("--show-skipped", type=int, default=20, metavar="N", help="list at most N skipped records")
    p.set_defaults(func=cmd_ingest)

    p = sub.add_parser(
        "ask",
        parents=[common],
        help="answer one question, with citations",
        description="Answer a question from the indexed abstracts. Prints the answer with [n] markers, then the "
        "cited papers (title, date, url) and the evidence sentences. A date phrase in the question "
        "('since 2024') becomes a filter.",
    )
    p.add_argument("question", nargs="*", help="the question (quote it)")
    _add_ask_arguments(p)
    p.add_argument("--explain", action="store_true",
                   help="after the answer, say why each paper was retrieved (matched words, ranks, evidence)")
    p.set_defaults(func=cmd_ask)

    p = sub.add_parser("chat", parents=[common], help="a conversation in the terminal (follow-ups use history)")
    _add_ask_arguments(p)
    p.add_argument("--export", metavar="PATH", help="on leaving, write the conversation to PATH.md and PATH.bib")
    p.set_defaults(func=cmd_chat)

    p = sub.add_parser(
        "export",
        parents=[common],
        help="write answers as Markdown with references, and their cited papers as BibTeX",
        description="Read answers saved by `paperrag ask --json` (one JSON object, a JSON list, or JSON lines, in the "
        "order asked) and write the conversation as Markdown with numbered references and/or the cited papers as "
        "BibTeX. Example: paperrag ask --json \"...\" >> answers.jsonl; paperrag export answers.jsonl --markdown "
        "notes.md --bibtex refs.bib",
    )
    p.add_argument("answers", metavar="ANSWERS", help="a .json or .jsonl file of Answer objects")
    p.add_argument("--markdown", metavar="OUT.md", help="write the conversation here")
    p.add_argument("--bibtex", metavar="OUT.bib", help="write the cited papers here")
    p.set_defaults(func=cmd_export)

    p = sub.add_parser(
        "serve",
        parents=[common],
        help="open the chat UI (Gradio) in the browser",
        description="Serve the chat UI. Binds 127.0.0.1 unless --host says otherwise; a non-loopback host "
        "requires ui.auth (env PAPERRAG_UI__AUTH='user:password'). Ingests the bundled corpus first if the index "
        "is empty.",
    )
    p.add_argument("--host", help="address to bind (default: ui.host, 127.0.0.1)")
    p.add_argument("--port", type=_port, help="port, 1 to 65535 (default: ui.port, 7860)")
    p.add_argument("--open", action="store_true", help="open a browser tab")
    p.add_argument("--no-ingest", action="store_true", help="do not ingest the bundled corpus into an empty index")
    p.add_argument("--mcp", action="store_true",
                   help="also serve the MCP tools ask and search at http://HOST:PORT/mcp (streamable HTTP), for agents")
    p.set_defaults(func=cmd_serve)

    p = sub.add_parser(
        "mcp",
        parents=[common],
        help="serve the MCP tools ask and search over stdio, for agents (Claude Desktop, Cursor, ...)",
        description="Speak MCP over stdin/stdout: the tools `ask` (the cited answer, structured) and `search` (the "
        "papers and their evidence), with the filters of `paperrag ask`. An agent's config launches it as "
        "command `paperrag`, args [\"mcp\"]. For MCP over HTTP beside the chat UI, use `paperrag serve --mcp`.",
    )
    p.set_defaults(func=cmd_mcp)

    p = sub.add_parser(
        "eval",
        parents=[common],
        help="score retrieval, citations and answers on the gold set and pubmedqa-dev",
        description="Run the data sets of evals/suite.yaml (the gold set over the bundled listing, pubmedqa-dev over "
        "its 1,000 abstracts) through ask() for several variants (retrieval mode + generator, and the plain "
        "whole-abstract baselines) and write one report: report.md / report.json over all sets, and a folder per "
        "set with its details and plots. Each corpus is indexed in a store of its own under store.cache_dir, so "
        "your main index is untouched.",
    )
    p.add_argument("--datasets", metavar="NAMES", help="comma-separated names from evals/suite.yaml (default: all)")
    p.add_argument("--dataset", metavar="PATH", help="your own gold set JSONL instead of the suite (with --corpus)")
    p.add_argument("--corpus", nargs="+", metavar="PATH", help="listing files for --dataset (default: bundled)")
    p.add_argument(
        "--variants",
        metavar="NAMES",
        help="comma-separated MODE or MODE+GENERATOR (e.g. hybrid,hybrid+llama-cpp); bm25, dense and the plain "
        "baselines always run. Default: bm25, dense, hybrid and each generator available here",
    )
    p.add_argument("--out", default="reports/eval", metavar="DIR", help="report folder (default: reports/eval)")
    p.add_argument("--gate", action="store_true", help="exit 1 when a data set misses evals/thresholds.yaml")
    p.add_argument("--quiet", "-q", action="store_true", help="no progress bars")
    p.set_defaults(func=cmd_eval)

    p = sub.add_parser("stats", parents=[common], help="what is in the index")
    p.add_argument("--json", action="store_true", help="print as JSON")
    p.set_defaults(func=cmd_stats)

    p = sub.add_parser(
        "sources",
        parents=[common],
        help="list the files and uploads the index holds papers from",
        description="List every source of the index: each file ingested (by its name; a file of the same name "
        "ingested again is the same source), each file uploaded in the browser, and the bundled corpus, with how "
        "many papers it holds and when it was first and last ingested. A paper that several sources hold counts "
        "in each. Remove one with `paperrag remove --source NAME`.",
    )
    p.add_argument("--json", action="store_true",
                   help="print as JSON: name, kind, papers, first_ingested, last_ingested, path")
    p.set_defaults(func=cmd_sources)

    p = sub.add_parser(
        "remove",
        parents=[common],
        help="remove a source's papers, or papers by id, from the index",
        description="Remove papers from the index: those of one source (as `paperrag sources` names it), or papers "
        "by id. A paper that another source also holds stays (only the removed source's name comes off it); "
        "papers removed by id go whichever sources hold them. Every process using the index sees the removal "
        "on its next question. Asks before removing when run in a terminal, unless --yes.",
        epilog="Examples: paperrag remove --source my_listing.jsonl; paperrag remove --id arxiv:2508.21258 "
        "doi:10.1109/cvpr.2016.90 --yes (a paper's id is the paper_id of `paperrag ask --json`).",
    )
    which = p.add_mutually_exclusive_group(required=True)
    which.add_argument("--source", metavar="NAME", help="the source to remove (see `paperrag sources`)")
    which.add_argument("--id", nargs="+", dest="ids", metavar="ID", help="ids of the papers to remove")
    p.add_argument("--yes", "-y", action="store_true", help="do not ask for confirmation")
    p.add_argument("--json", action="store_true", help="print what was removed as JSON")
    p.set_defaults(func=cmd_remove)
    return parser


def _port(value: str) -> int:
    """A TCP port, refused with its range by the parser (one line, exit 2) rather than deep in the settings."""
    try:
        port = int(value)
    except ValueError:
        raise argparse.ArgumentTypeError(f"invalid port: {value!r} (a whole number from 1 to 65535)") from None
    if not 1 <= port <= 65535:
        raise argparse.ArgumentTypeError(f"port must be from 1 to 65535 (got {port})")
    return port


def main(argv: Sequence[str] | None = None) -> int:
    _bypass_proxies_for_loopback()
    parser = build_parser()
    args = parser.parse_args(argv)
    if not hasattr(args, "config"):
        args.config = None
    debug = getattr(args, "debug", False) or os.environ.get("PAPERRAG_DEBUG", "") not in ("", "0", "false")
    func: Callable[[argparse.Namespace], int] = args.func
    try:
        return func(args)
    except PaperRAGError as e:
        if debug:
            raise
        print(f"error: {e}", file=sys.stderr)
        return e.exit_code
    except BrokenPipeError:  # `paperrag ask ... | head`
        os.dup2(os.open(os.devnull, os.O_WRONLY), sys.stdout.fileno())
        return 0
    except KeyboardInterrupt:
        print("interrupted: papers written so far are complete; run the command again to finish.", file=sys.stderr)
        return 130
    except Exception as e:  # a bug, or something PaperRAG did not foresee: one line, the traceback on request
        if debug:
            raise
        print(
            f"error: unexpected {type(e).__name__}: {' '.join(str(e).split())[:300]} "
            "(run again with --debug for the traceback, and please report it)",
            file=sys.stderr,
        )
        return 1


if __name__ == "__main__":
    sys.exit(main())

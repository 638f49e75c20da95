"""Pure functions that turn answers, sources and collection facts into what the page shows.

No Gradio here, so these are unit-tested directly. The page renders two kinds of text: HTML (the cards and the
collection view, in gr.HTML) and Markdown with inline HTML (chat messages, gr.Markdown). Every string that comes
from a user or from the collection (question, title, author, abstract sentence, filter value, file name, error
text) goes through `quote()`, which makes it literal text in both: HTML specials, and the punctuation Markdown
would act on where it would act, become numeric character references, which Markdown treats as plain characters
and the browser shows as themselves. So a title cannot open a tag, an abstract cannot add an image, a link,
emphasis or an autolink, and a question cut at 80 characters cannot leave anything open. Links are built only by
`link()`, and only for http(s) URLs (`rag.export.http_url`). The chat's LaTeX rendering is off (ui/app.py), so
"$$" in an abstract is text too.
"""

from __future__ import annotations

import html
import re
from typing import Any, Iterable, Sequence

from rag.explain import describe_filters, explain_source, not_found_reason
from rag.export import answer_text, authors_short, http_url, paper_links
from rag.render.text import verdict_line

# Characters that mean something in HTML, or in Markdown wherever they stand (GFM: emphasis, code, links and
# images via "[", tables, strike-through, e-mail autolinks via "@", LaTeX via "$"), are always replaced; others only
# where they act: ":" before "//" and "." after "www" (autolinks), and "#", "-", "+", "=", "1." / "1)" at the start
# of the text (headings, lists). Whitespace is collapsed, so the start of the text is the only start of a line.
_ALWAYS = "&<>\"'`*_{}[]|~@$\\^"
_REF = {c: f"&#{ord(c)};" for c in _ALWAYS + ":.#-+=)"}
_CONTROL = re.compile(r"[\x00-\x08\x0b\x0c\x0e-\x1f\x7f\u202a-\u202e\u2066-\u2069]")
_UNSUPPORTED = ('<span class="unsupported" title="no retrieved abstract supports this sentence">'
                "⚠ unsupported</span>")
_MARKER = re.compile(r"\[(\d{1,3}|unsupported)\]")


def _acts(s: str, i: int) -> bool:
    ch = s[i]
    if ch in _ALWAYS:
        return True
    if ch == ":":
        return s.startswith("//", i + 1)
    if ch == ".":
        return s[max(0, i - 3) : i].lower() == "www" or (i > 0 and s[:i].isdigit())
    if ch == ")":
        return i > 0 and s[:i].isdigit()
    return i == 0 and ch in "#-+="


def quote(text: Any, *, newlines: bool = False) -> str:
    """`text` as literal text for HTML and Markdown alike; whitespace collapsed (line breaks kept as characters
    when `newlines`, for text that is copied rather than shown: the Markdown source then still has one line)."""
    if text is None:
        return ""
    s = _CONTROL.sub("", str(text))
    if newlines:
        s = "\n".join(" ".join(line.split()) for line in s.split("\n")).strip("\n")
    else:
        s = " ".join(s.split())
    return "".join(_REF[ch] if _acts(s, i) else ("&#10;" if ch == "\n" else ch) for i, ch in enumerate(s))


def clip(text: Any, limit: int) -> str:
    """Shorten raw text before it is quoted, so a cut can never fall inside markup."""
    s = " ".join(str(text or "").split())
    return s if len(s) <= limit else s[: limit - 1].rstrip() + "…"


def link(url: Any, label: Any, *, cls: str = "") -> str:
    """An anchor opening `url` in a new tab, or the quoted label alone when `url` is not plain http(s)."""
    safe = http_url(url)
    if not safe:
        return quote(label)
    href = html.escape(safe, quote=True)
    klass = f' class="{cls}"' if cls else ""
    return f'<a{klass} href="{href}" target="_blank" rel="noopener noreferrer nofollow">{quote(label)}</a>'


def _card_id(turn: int, n: int) -> str:
    return f"cite-{int(turn)}-{int(n)}"


def _markers(turn: int, numbers: Iterable[int]) -> str:
    return "".join(f'<a class="cite" href="#{_card_id(turn, n)}">[{int(n)}]</a>' for n in numbers)


def text_with_markers(text: str, turn: int) -> str:
    """Text written by the engine with [n] and [unsupported] markers: the text quoted, each [n] a link to card n."""
    def piece(raw: str) -> str:
        q = quote(raw)
        return (" " if raw[:1].isspace() and q else "") + q + (" " if raw[-1:].isspace() and q else "")

    out, at = [], 0
    for m in _MARKER.finditer(text or ""):
        out.append(piece(text[at : m.start()]))
        out.append(_UNSUPPORTED if m.group(1) == "unsupported" else _markers(turn, [int(m.group(1))]))
        at = m.end()
    out.append(piece((text or "")[at:]))
    return "".join(out).strip()


def _when(p: dict[str, Any]) -> str:
    return str(p.get("date") or p.get("year") or "n.d.")


# ----- chat messages ----------------------------------------------------------------------------------------------
def user_message(question: str) -> str:
    """The user's bubble: exactly what they typed."""
    return quote(question)


def partial_message(text: str) -> str:
    """The answer while it streams, before citations are checked."""
    return quote(text) + " …"


_BADGE = '<span class="badge" aria-hidden="true">{}</span>'


def notice_message(text: str, kind: str = "info") -> str:
    """A message from the app itself (an error, a question back to the user), never an answer."""
    # Letters in a styled badge, not emoji: a system without an emoji font shows ❓ and ⓘ as empty boxes.
    icon = {"error": "⚠", "clarify": _BADGE.format("?"), "info": _BADGE.format("i")}.get(kind, _BADGE.format("i"))
    return f'<span class="notice-{kind}">{icon} {quote(text)}</span>'


def with_note(content: str, note: str) -> str:
    """`content` (already rendered) with a short note from the app after it (e.g. "Stopped.")."""
    return f'{content}\n\n<small class="note">{quote(note)}</small>'


def answer_markdown(answer: dict[str, Any], turn: int, notes: Sequence[str] = ()) -> str:
    """The assistant message: the answer's blocks (verdict, sentences, list of papers, comparison table, notices)
    with [n] markers linking to card n of this turn, unsupported sentences flagged, the filter and notes, and a Copy
    button whose text (answer and numbered references) rides along hidden in the message."""
    blocks: list[str] = []
    if answer.get("kind") == "clarify":  # a question back: the question refers to an answer there is none of
        return notice_message(answer.get("reason") or answer.get("answer") or "", "clarify")
    if answer.get("abstained") and answer.get("kind") == "not-found":
        blocks.append(f"<strong>Not found in the collection.</strong> {quote(not_found_reason(answer))}")
        if answer.get("suggestions"):
            items = "".join(
                f"<li>{link(_paper_url(s), s['title'])} ({quote(_when(s))})</li>" for s in answer["suggestions"]
            )
            blocks.append(f'<div class="nearest">Nearest papers:<ul>{items}</ul></div>')
    else:
        for b in answer.get("blocks") or []:
            html = _block_html(b, turn)
            if html:
                blocks.append(html)
        if not blocks:
            blocks.append(text_with_markers(answer.get("answer", ""), turn))
    note = filter_note(answer)
    if note:
        blocks.append(note)
    for n in [*(answer.get("notes") or []), *notes]:
        blocks.append(f'<small class="note">{_BADGE.format("i")} {quote(n)}</small>')
    blocks.append(
        f'<span class="copy-text">{quote(answer_text(answer), newlines=True)}</span>'
        '<button class="copy-answer" type="button" title="Copy the answer with its references">Copy</button>'
    )
    return "\n\n".join(blocks)


def _sentence_html(s: dict[str, Any], turn: int) -> str:
    if s.get("unsupported"):
        return f"{quote(s.get('text', ''))} {_UNSUPPORTED}"
    return f"{quote(s.get('text', ''))} {_markers(turn, s.get('citations') or [])}".rstrip()


def _block_html(b: dict[str, Any], turn: int) -> str:
    """One block of an answer as HTML (every text quoted, every marker a link to its card)."""
    kind = b.get("type")
    if kind == "verdict":
        label = str(b.get("label") or "")
        cls = {"Yes": "yes", "No": "no", "Mixed": "mixed", "Possibly": "mixed"}.get(label, "other")
        line = text_with_markers(verdict_line(b), turn)
        rest = line[len(quote(label)):] if line.startswith(quote(label)) else " " + line
        return f'<strong class="verdict verdict-{cls}">{quote(label)}</strong>{rest}'
    if kind == "sentences":
        parts = [_sentence_html(s, turn) for s in b.get("sentences") or []]
        if not parts:
            return ""
        role = str(b.get("role") or "answer")
        return f'<p class="sentences sentences-{quote(role)}">' + " ".join(parts) + "</p>"
    if kind == "items":
        total = int(b.get("total") or 0)
        head = "1 paper matches:" if total == 1 else f"{total} papers match:"
        return f'<p class="items-head">{quote(head)}</p>' + _items_html(b.get("items") or [], turn)
    if kind == "table":
        return _table_html(b, turn)
    if kind == "notice":
        marks = _markers(turn, b.get("citations") or [])
        return f'<p class="notice notice-{quote(b.get("kind") or "info")}">{quote(b.get("text", ""))} {marks}</p>'
    return ""


def _items_html(items: list[dict[str, Any]], turn: int) -> str:
    rows = "".join(
        f"<li><strong>{quote(it.get('title', ''))}</strong> ({quote(it.get('year') or 'n.d.')}): "
        f"{_sentence_html(it.get('sentence') or {}, turn) or _UNSUPPORTED}</li>"
        for it in items
    )
    return f'<ol class="items">{rows}</ol>'


def _table_html(table: dict[str, Any], turn: int) -> str:
    head = "".join(f"<th>{quote(c)}</th>" for c in table.get("columns") or [])

    def cell(c: Any) -> str:
        if isinstance(c, dict):
            marks = _markers(turn, c.get("citations") or [])
            return f"<td>{quote(c.get('text', ''))}{' ' + marks if marks else ''}</td>"
        return f"<td>{quote(c)}</td>"

    rows = "".join("<tr>" + "".join(cell(c) for c in row) + "</tr>" for row in table.get("rows") or [])
    return (f'<div class="compare-wrap"><table class="compare"><thead><tr>{head}</tr></thead>'
            f"<tbody>{rows}</tbody></table></div>")


def filter_note(answer: dict[str, Any]) -> str:
    f = {k: v for k, v in (answer.get("filters") or {}).items() if k != "phrase"}
    words = describe_filters(f)
    if not words:
        return ""
    phrase = answer.get("filters", {}).get("phrase")
    said = f" (from “{quote(phrase)}”)" if phrase else ""
    return f'<small class="filter">Filter applied: {quote(words)}{said}</small>'


# ----- cards ------------------------------------------------------------------------------------------------------
def _paper_url(p: dict[str, Any]) -> str | None:
    links = paper_links(p)
    return links[0][1] if links else None


def _links_html(p: dict[str, Any]) -> str:
    return " · ".join(link(url, label) for label, url in paper_links(p))


def _why_html(source: dict[str, Any] | None, answer: dict[str, Any]) -> str:
    if not source:
        return ""
    asked = answer.get("search_query") or answer.get("question") or ""
    why = explain_source(source, asked, answer.get("mode", "hybrid"))
    return f'<details class="why"><summary>Why this paper?</summary><p>{quote(why)}</p></details>' if why else ""


def abstract_html(abstract: Any, evidence: Iterable[Any] = ()) -> str:
    """The whole abstract as text, with the evidence sentences highlighted where they stand in it."""
    abstract = str(abstract or "")
    spans: list[tuple[int, int]] = []
    for sentence in map(str, evidence or ()):
        at = abstract.find(sentence) if sentence else -1
        if at >= 0 and all(at >= b or at + len(sentence) <= a for a, b in spans):
            spans.append((at, at + len(sentence)))
    def text(piece: str) -> str:  # quote() trims; the space between a sentence and its mark stays
        q = quote(piece)
        return (" " if piece[:1].isspace() and out else "") + q + (" " if piece[-1:].isspace() and q else "")

    out: list[str] = []
    done = 0
    for a, b in sorted(spans):
        out.append(f"{text(abstract[done:a])}<mark>{quote(abstract[a:b])}</mark>")
        done = b
    return ("".join(out) + text(abstract[done:])).strip()


def _abstract_details(abstract: Any, evidence: Iterable[Any] = ()) -> str:
    if not abstract:
        return ""
    return (f'<details class="abstract"><summary>Whole abstract</summary>'
            f"<p>{abstract_html(abstract, evidence)}</p></details>")


def source_cards_html(answer: dict[str, Any] | None, turn: int) -> str:
    """Cards of the cited papers (number, title, authors, date, arXiv/DOI links, highlighted evidence, the whole
    abstract with the evidence marked in it, why it was retrieved), then the other retrieved papers."""
    if not answer:
        return '<div class="cards empty">Cited papers appear here, with the sentences that support each claim.</div>'
    by_id = {s["paper_id"]: s for s in answer.get("sources") or []}
    cards = []
    if answer.get("abstained"):
        cards.append('<div class="notice">Not found: the nearest papers are listed in the answer.</div>')
    for c in answer.get("citations") or []:
        source = by_id.get(c["paper_id"], {})
        meta = [quote(authors_short(c.get("authors") or source.get("authors"))), quote(_when(c)), _links_html(c)]
        evidence = "".join(f"<mark>{quote(s)}</mark> " for s in c.get("evidence") or []).strip()
        cards.append(
            f'<div class="card" id="{_card_id(turn, c["n"])}">'
            f'<div class="card-head"><span class="num">{int(c["n"])}</span>'
            f'<span class="title">{quote(c["title"])}</span></div>'
            f'<div class="meta">{" · ".join(m for m in meta if m)}</div>'
            f'<div class="evidence">{evidence}</div>'
            f"{_abstract_details(source.get('abstract'), c.get('evidence') or [])}"
            f"{_why_html(source, answer)}</div>"
        )
    others = [s for s in answer.get("sources") or [] if not s.get("cited")]
    if others:
        items = "".join(
            f'<li><span class="title">{quote(s["title"])}</span> <span class="when">{quote(_when(s))}</span> '
            f"{_links_html(s)}{_why_html(s, answer)}</li>"
            for s in others
        )
        cards.append(f'<details class="others"><summary>Also retrieved ({len(others)})</summary>'
                     f"<ul>{items}</ul></details>")
    return f'<div class="cards">{"".join(cards)}</div>'


def conversation_cards(exchanges: Sequence[dict[str, Any]]) -> str:
    """Cards of every answered question so far, newest first, so markers of earlier answers still find their
    card. `exchanges` is the session's list of {"question", "answer"} (answer None when there was none)."""
    answered = [(i, e) for i, e in enumerate(exchanges) if e.get("answer")]
    if not answered:
        return source_cards_html(None, 0)
    blocks = []
    for i, e in reversed(answered):
        head = f'<div class="turn-head">Q{i + 1} · {quote(clip(e["question"], 80))}</div>'
        blocks.append(head + source_cards_html(e["answer"], i))
    return "".join(blocks)


# ----- the collection -----------------------------------------------------------------------------------------
def stats_markdown(stats: dict[str, Any]) -> str:
    rng = stats.get("date_range") or ["?", "?"]
    return (
        f"**{int(stats.get('papers') or 0)} papers** · {quote(rng[0])} – {quote(rng[1])} · "
        f"embeddings: {quote(stats.get('embedding_model') or '-')}"
    )


def collection_overview_html(stats: dict[str, Any]) -> str:
    """Counts by year (as bars) and by source file."""
    years = {int(y): int(c) for y, c in (stats.get("years") or {}).items()}
    top = max(years.values(), default=1)
    bars = "".join(
        f'<div class="bar-row"><span class="bar-label">{y}</span>'
        f'<span class="bar-track"><span class="bar" style="width:{max(2, round(100 * c / top))}%"></span></span>'
        f'<span class="bar-count">{c}</span></div>'
        for y, c in sorted(years.items())
    )
    undated = int(stats.get("undated_papers") or 0)
    if undated:
        bars += (f'<div class="bar-row"><span class="bar-label">n.d.</span>'
                 f'<span class="bar-count">{undated}</span></div>')
    sources = "".join(
        f"<li><span class=\"src\">{quote(name)}</span> <span class=\"count\">{int(n)}</span></li>"
        for name, n in sorted((stats.get("sources") or {}).items(), key=lambda kv: -kv[1])
    )
    return (
        f'<div class="collection"><div class="col-years"><h4>Papers by year</h4>{bars or "<p>none</p>"}</div>'
        f'<div class="col-sources"><h4>By source file</h4><ul>{sources or "<li>none</li>"}</ul></div></div>'
    )


def _paper_row(r: dict[str, Any]) -> str:
    """A title that opens to the paper: its abstract, its links, and a button that scopes a question to it (the
    button's paper id is read by the collection's click handler, ui/app.py)."""
    if not r.get("abstract"):
        return quote(r.get("title"))
    links = _links_html(r)
    return (
        f'<details class="paper"><summary>{quote(r.get("title"))}</summary>'
        f'<p class="abstract">{quote(r.get("abstract"))}</p>'
        + (f'<p class="links">{links}</p>' if links else "")
        + f'<button type="button" class="ask-paper" data-paper-id="{quote(r.get("paper_id"))}">'
        "Ask about this paper</button></details>"
    )


def papers_table_html(rows: Sequence[dict[str, Any]], total: int, offset: int, text: str = "") -> str:
    """One page of the collection's papers (from Library.browse) with where the page is in the whole."""
    if not rows:
        what = f" match “{quote(text)}”" if text.strip() else " are in the collection"
        return f'<div class="papers empty">No papers{what}.</div>'
    authors = any(r.get("authors") for r in rows)  # listings without author names leave the column out
    body = "".join(
        f"<tr><td class=\"t\">{_paper_row(r)}</td>"
        + (f"<td>{quote(authors_short(r.get('authors'), 2))}</td>" if authors else "")
        + f"<td class=\"d\">{quote(r.get('date') or r.get('year') or 'n.d.')}</td>"
        + f"<td class=\"s\">{quote(r.get('source'))}</td></tr>"
        for r in rows
    )
    which = f" matching “{quote(text)}”" if text.strip() else ", newest first"
    head = "<th>Title</th>" + ("<th>Authors</th>" if authors else "") + "<th>Date</th><th>Source</th>"
    return (
        f'<div class="papers"><p class="count">Papers {offset + 1}–{offset + len(rows)} of {int(total)}{which}</p>'
        f"<table><thead><tr>{head}</tr></thead><tbody>{body}</tbody></table></div>"
    )


def example_questions(papers: list[dict[str, Any]], limit: int = 4) -> list[str]:
    """Questions a newcomer can click, made from the collection's own papers (newest first). Plain text: they go
    into the question box, and from there through `user_message`."""
    dated = sorted(papers, key=lambda p: p.get("date") or "", reverse=True)
    out: list[str] = []
    for p in dated:
        title = clip(p.get("title", ""), 120)
        name = title.split(":", 1)[0].strip() if ":" in title else None
        if name and len(name.split()) <= 4:
            q = f"What is {name} and what does it improve?"
        else:
            q = f"What does the paper “{title}” find?"
        if q not in out:
            out.append(q)
        if len(out) >= limit - 1:
            break
    years = sorted({p["year"] for p in papers if p.get("year")})
    if years:
        out.append(f"Which papers since {years[-1]} study neural networks?")
    return out


# ----- uploads ----------------------------------------------------------------------------------------------------
# Advice written for the command line, and what to do instead in the browser.
_CLI_ADVICE = [
    (re.compile(r"\.?\s*Name one with --format\.?"), ". Give the file the extension of its format "
     "(.jsonl, .csv, .bib, .xml, or .txt for a Daily Papers listing)."),
    (re.compile(r";?\s*fix the input or drop --strict to skip bad records\.?"), "."),
    (re.compile(r"Run `paperrag ingest --rebuild PATH\.\.\.` to rebuild the index with the configured settings\."),
     "The collection was built with other settings; ask whoever runs PaperRAG to rebuild it."),
]


def upload_problem(text: str, upload_dirs: Sequence[str] = ()) -> str:
    """An ingest message as the browser should say it: upload folders dropped from paths, CLI advice replaced."""
    s = str(text)
    for d in sorted({str(d).rstrip("/") for d in upload_dirs if d}, key=len, reverse=True):
        s = re.sub(re.escape(d) + r"/(?:[^/\s:]+/)*", "", s)
    for pattern, repl in _CLI_ADVICE:
        s = pattern.sub(repl, s)
    return s.replace("..", ".")


def ingest_summary_markdown(report: dict[str, Any], problems: Sequence[str] | None = None,
                            upload_dirs: Sequence[str] = ()) -> str:
    """What an upload did, with the records it skipped and the files it could not read (`problems`, one line
    each; the report's own file errors when not given)."""
    head = "**Cancelled** (the papers written before the cancel are kept): " if report.get("cancelled") else \
        "**Added:** "
    lines = [
        f"{head}{int(report['new'])} new, {int(report['updated'])} updated, {int(report['unchanged'])} "
        f"unchanged, {len(report['skipped'])} skipped — {int(report['papers_in_store'])} papers in the collection."
    ]
    for s in report["skipped"][:10]:
        name = str(s["path"]).rsplit("/", 1)[-1]
        where = f"{name}, line {s['line']}" if s.get("line") else name
        lines.append(f"- skipped {quote(where)}: {quote(upload_problem(s['reason'], upload_dirs))}")
    if len(report["skipped"]) > 10:
        lines.append(f"- … and {len(report['skipped']) - 10} more skipped")
    for e in report.get("file_errors", []) if problems is None else problems:
        lines.append(f"- ⚠ {quote(upload_problem(e, upload_dirs))}")
    return "\n".join(lines)


def _ingested(iso: Any) -> str:
    """An ingest time (ISO, from Source.to_dict) as "yyyy-mm-dd hh:mm", or "?" when not known."""
    s = str(iso or "")
    return s[:16].replace("T", " ") if re.match(r"\d{4}-\d{2}-\d{2}T\d{2}:\d{2}", s) else "?"


def _papers(n: Any) -> str:
    return f"{int(n or 0)} paper{'s' if int(n or 0) != 1 else ''}"


def source_label(source: dict[str, Any]) -> str:
    """The name a source goes by in the "remove" list (plain text for a dropdown: Gradio shows it as text)."""
    return (f"{clip(source.get('name'), 60)} — {source.get('kind')}, {_papers(source.get('papers'))}, "
            f"added {_ingested(source.get('last_ingested'))}")


def source_choices(sources: Sequence[dict[str, Any]]) -> list[tuple[str, str]]:
    """(label, name) of every source, for the dropdown that picks one to remove."""
    return [(source_label(s), str(s.get("name"))) for s in sources]


def sources_table_html(sources: Sequence[dict[str, Any]]) -> str:
    """Every source of the collection (Library.sources, as dicts): name, kind, papers, first and last added."""
    if not sources:
        return '<div class="papers empty">No sources yet: add a listing file above.</div>'
    body = "".join(
        f"<tr><td class=\"t\">{quote(s.get('name'))}</td><td>{quote(s.get('kind'))}</td>"
        f"<td class=\"n\">{int(s.get('papers') or 0)}</td>"
        f"<td class=\"d\">{quote(_ingested(s.get('first_ingested')))}</td>"
        f"<td class=\"d\">{quote(_ingested(s.get('last_ingested')))}</td></tr>"
        for s in sources
    )
    total = len(sources)
    return (
        f'<div class="papers sources"><p class="count">{total} source{"s" if total != 1 else ""}; a paper that '
        "several sources hold counts in each, and stays until all of them are removed</p>"
        "<table><thead><tr><th>Source</th><th>Kind</th><th>Papers</th><th>First added</th><th>Last added</th>"
        f"</tr></thead><tbody>{body}</tbody></table></div>"
    )


def removal_question(source: dict[str, Any]) -> str:
    """The confirmation asked before a source is removed (Markdown)."""
    return (f"Remove **{quote(source.get('name'))}** ({quote(source.get('kind'))}, "
            f"{_papers(source.get('papers'))}, last added {quote(_ingested(source.get('last_ingested')))})? Its papers "
            "leave the collection, except those another source also holds.")


def removal_markdown(removal: dict[str, Any]) -> str:
    """What a removal did (Removal.to_dict), for the status line under the list."""
    gone = _papers(len(removal.get("removed") or []))
    if removal.get("source") is not None:
        text = f"Removed {quote(removal['source'])}: {gone} left the collection"
    else:
        text = f"Removed {gone}"
    kept = len(removal.get("kept") or [])
    if kept:
        them = "it" if kept == 1 else "them"
        text += f"; {_papers(kept)} stay{'s' if kept == 1 else ''} (another source holds {them})"
    return text + f" — {int(removal.get('papers_in_store') or 0)} papers in the collection."

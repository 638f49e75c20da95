"""Pure functions that turn an Answer (as its dict) into what the chat shows: message text and source cards.

No Gradio here, so these are unit-tested directly. HTML is built with escaping everywhere: titles and abstract
sentences are data.
"""

from __future__ import annotations

import html
import re
from typing import Any

_MARKER = re.compile(r"\[(\d+)\]")
_UNSUPPORTED = "[unsupported]"


def _card_id(turn: int, n: int) -> str:
    return f"cite-{turn}-{n}"


def answer_markdown(answer: dict[str, Any], turn: int) -> str:
    """The assistant message: answer text whose [n] markers link to card n; unsupported sentences flagged."""
    if answer.get("abstained"):
        lines = [f"**Not found in the collection.** {html.escape(answer.get('reason') or '')}"]
        if answer.get("suggestions"):
            lines.append("\nNearest papers:")
            for s in answer["suggestions"]:
                when = s.get("date") or s.get("year") or "n.d."
                lines.append(f"- {html.escape(s['title'])} ({when})")
        return "\n".join(lines)
    parts = []
    for sent in answer.get("sentences") or []:
        text = html.escape(sent["text"])
        if sent.get("unsupported"):
            parts.append(f'{text} <span class="unsupported" title="no retrieved abstract supports this">'
                         "⚠ unsupported</span>")
        else:
            links = "".join(
                f'<a class="cite" href="#{_card_id(turn, n)}">[{n}]</a>' for n in sent.get("citations", [])
            )
            parts.append(f"{text} {links}")
    body = " ".join(parts) if parts else html.escape(answer.get("answer", ""))
    notes = "".join(f"\n\n<small>ⓘ {html.escape(n)}</small>" for n in answer.get("notes") or [])
    return body + filter_note(answer) + notes


def filter_note(answer: dict[str, Any]) -> str:
    f = answer.get("filters") or {}
    bits = []
    if f.get("year_from") and f.get("year_to") and f["year_from"] == f["year_to"]:
        bits.append(f"year {f['year_from']}")
    else:
        if f.get("year_from"):
            bits.append(f"from {f['year_from']}")
        if f.get("year_to"):
            bits.append(f"up to {f['year_to']}")
    for key in ("title", "author"):
        if f.get(key):
            bits.append(f"{key} contains “{html.escape(str(f[key]))}”")
    if f.get("categories"):
        bits.append("categories " + ", ".join(html.escape(c) for c in f["categories"]))
    if f.get("paper_ids"):
        bits.append(f"within {len(f['paper_ids'])} paper(s) of the previous answer")
    if not bits:
        return ""
    phrase = f" (from “{html.escape(f['phrase'])}”)" if f.get("phrase") else ""
    return f'\n\n<small class="filter">Filter applied: {"; ".join(bits)}{phrase}</small>'


def _highlight(sentences: list[str]) -> str:
    return "".join(f"<mark>{html.escape(s)}</mark> " for s in sentences).strip()


def source_cards_html(answer: dict[str, Any] | None, turn: int) -> str:
    """Cards of the cited papers (number, title, date, link, evidence highlighted), then the other sources."""
    if not answer:
        return '<div class="cards empty">Cited papers appear here, with the sentences that support each claim.</div>'
    cards = []
    if answer.get("abstained"):
        cards.append('<div class="notice">Not found: the nearest papers are listed in the answer.</div>')
    for c in answer.get("citations", []):
        when = c.get("date") or (str(c["year"]) if c.get("year") else "n.d.")
        link = (
            f'<a href="{html.escape(c["url"], quote=True)}" target="_blank" rel="noopener">{html.escape(_short(c["url"]))}</a>'
            if c.get("url") else ""
        )
        cards.append(
            f'<div class="card" id="{_card_id(turn, c["n"])}">'
            f'<div class="card-head"><span class="num">{c["n"]}</span>'
            f'<span class="title">{html.escape(c["title"])}</span></div>'
            f'<div class="meta">{html.escape(when)} {link}</div>'
            f'<div class="evidence">{_highlight(c.get("evidence", []))}</div>'
            "</div>"
        )
    others = [s for s in answer.get("sources", []) if not s.get("cited")]
    if others:
        items = "".join(
            f"<li>{html.escape(s['title'])} <span class='score'>{s.get('date') or s.get('year') or ''}</span></li>"
            for s in others
        )
        cards.append(f'<details class="others"><summary>Also retrieved ({len(others)})</summary><ul>{items}</ul></details>')
    return f'<div class="cards">{"".join(cards)}</div>'


def _short(url: str) -> str:
    u = re.sub(r"^https?://(www\.)?", "", url).rstrip("/")
    return u if len(u) <= 48 else u[:45] + "…"


def stats_markdown(stats: dict[str, Any]) -> str:
    rng = stats.get("date_range") or ["?", "?"]
    return (
        f"**{stats.get('papers', 0)} papers** · {rng[0]} – {rng[1]} · "
        f"embeddings: {stats.get('embedding_model') or '-'}"
    )


def example_questions(papers: list[dict[str, Any]], limit: int = 4) -> list[str]:
    """Questions a newcomer can click, made from the collection's own papers (newest first)."""
    dated = sorted(papers, key=lambda p: p.get("date") or "", reverse=True)
    out: list[str] = []
    for p in dated:
        title = p.get("title", "")
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


def ingest_summary_markdown(report: dict[str, Any]) -> str:
    lines = [
        f"**Added:** {report['new']} new, {report['updated']} updated, {report['unchanged']} unchanged, "
        f"{len(report['skipped'])} skipped — {report['papers_in_store']} papers in the collection."
    ]
    for s in report["skipped"][:10]:
        where = f"{s['path'].rsplit('/', 1)[-1]}:{s['line']}" if s.get("line") else s["path"].rsplit("/", 1)[-1]
        lines.append(f"- skipped {html.escape(where)}: {html.escape(s['reason'])}")
    for e in report.get("file_errors", []):
        lines.append(f"- ⚠ {html.escape(e)}")
    return "\n".join(lines)

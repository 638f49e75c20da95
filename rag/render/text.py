"""An answer as plain text with [n] markers: the `answer` field of every Answer, what Copy puts on the clipboard
(rag/export.py adds the references), and what the terminal shows (`terminal`)."""

from __future__ import annotations

from typing import Any, Callable, Iterable

UNSUPPORTED = "[unsupported]"


def marks(numbers: Iterable[int], renumber: dict[int, int] | None = None) -> str:
    return "".join(f"[{renumber.get(n, n) if renumber else n}]" for n in numbers)


def sentence(s: dict[str, Any], renumber: dict[int, int] | None = None,
             esc: Callable[[str], str] = lambda x: x) -> str:
    mark = UNSUPPORTED if s.get("unsupported") else marks(s.get("citations") or [], renumber)
    return f"{esc(s.get('text', ''))} {mark}".rstrip()


def verdict_line(block: dict[str, Any], renumber: dict[int, int] | None = None) -> str:
    """"Yes, according to [1]." / "No, according to [1]; 1 paper does not say." / "Mixed: 2 papers say yes
    ([1][2]), 1 says no ([3])." / "Not stated." The numbers are the papers' citations."""
    label = block.get("label") or "Not stated"
    papers = block.get("papers") or []
    by: dict[str, list[int]] = {}
    for p in papers:
        by.setdefault(p.get("label"), []).append(p.get("n"))
    if label == "Mixed":
        parts = []
        for lab, word in (("Yes", "yes"), ("No", "no"), ("Possibly", "possibly")):
            ns = [n for n in by.get(lab, []) if n]
            if ns:
                count = len(by[lab])
                parts.append(f"{count} paper{'s' if count != 1 else ''} say{'s' if count == 1 else ''} {word} "
                             f"({marks(ns, renumber)})")
        return "Mixed: " + ", ".join(parts) + "."
    cited = [n for n in by.get(label, []) if n]
    line = f"{label}, according to {marks(cited, renumber)}." if cited else f"{label}."
    silent = len(by.get("Not stated", []))
    if silent and label != "Not stated" and len(papers) > 1:
        line += f" ({silent} other paper{'s' if silent != 1 else ''} retrieved do{'es' if silent == 1 else ''} " \
                "not say.)"
    return line


def blocks_text(d: dict[str, Any], renumber: dict[int, int] | None = None,
                esc: Callable[[str], str] = lambda x: x, table: Callable[[dict[str, Any]], str] | None = None
                ) -> list[str]:
    """The answer's paragraphs, one per block."""
    out: list[str] = []
    for b in d.get("blocks") or []:
        kind = b.get("type")
        if kind == "verdict":
            out.append(verdict_line(b, renumber))
        elif kind == "sentences":
            text = " ".join(sentence(s, renumber, esc) for s in b.get("sentences") or [])
            if text:
                out.append(text)
        elif kind == "items":
            total, items = int(b.get("total") or 0), b.get("items") or []
            head = "1 paper matches:" if total == 1 else f"{total} papers match:"
            lines = [f"- {esc(it.get('title', ''))} ({it.get('year') or 'n.d.'}): "
                     f"{sentence(it.get('sentence') or {}, renumber, esc)}" for it in items]
            out.append("\n".join([head, *lines]))
        elif kind == "table":
            out.append(table(b) if table else plain_table(b, renumber, esc))
        elif kind == "notice":
            text = esc(b.get("text", ""))
            cited = marks(b.get("citations") or [], renumber)
            out.append(f"{text} {cited}".rstrip() if b.get("kind") != "not-found" else "Not found in the collection. "
                       + text)
    return out


def plain_table(b: dict[str, Any], renumber: dict[int, int] | None = None,
                esc: Callable[[str], str] = lambda x: x) -> str:
    def cell(c: dict[str, Any]) -> str:
        return f"{esc(str(c.get('text', '')))} {marks(c.get('citations') or [], renumber)}".strip()

    rows = [[esc(str(c)) for c in b.get("columns") or []]] + [[cell(c) for c in row] for row in b.get("rows") or []]
    return "\n".join(" | ".join(r) for r in rows)


def answer_text(d: dict[str, Any]) -> str:
    """The answer field: every block as text with its [n] markers."""
    return "\n".join(blocks_text(d))


def terminal(d: dict[str, Any]) -> str:
    """The terminal rendering: the answer, the filter, the nearest papers when nothing was found, then the
    numbered cited papers with their evidence."""
    lines = ["\n".join(blocks_text(d)) or d.get("answer", "")]
    desc = ", ".join(f"{k}={v}" for k, v in (d.get("filters") or {}).items() if k not in ("phrase", "paper_ids"))
    if desc:
        lines.append(f"\n(filter applied: {desc})")
    if d.get("abstained") and d.get("suggestions"):
        lines.append("\nNearest papers in the collection:")
        for s in d["suggestions"]:
            lines.append(f"  - {s['title']} ({s.get('date') or s.get('year') or 'n.d.'})")
    if d.get("citations"):
        lines.append("\nSources:")
        for c in d["citations"]:
            when = c.get("date") or (str(c["year"]) if c.get("year") else "n.d.")
            lines.append(f"[{c['n']}] {c['title']} ({when})" + (f" {c['url']}" if c.get("url") else ""))
            for ev in c.get("evidence") or []:
                lines.append(f'    > "{ev}"')
    return "\n".join(lines)

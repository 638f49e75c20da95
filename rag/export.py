"""A conversation as files a researcher keeps: Markdown with numbered references, BibTeX of the cited papers,
and the plain text of one answer with its references (what "Copy" puts on the clipboard).

Pure functions over Answers or their `to_dict()`; the chat UI, the CLI and scripts call the same ones. Text from
questions and abstracts is data: Markdown punctuation in it is escaped so that a title or an abstract cannot add
an image, a link or emphasis to the exported file, and BibTeX specials are escaped so that it cannot break an
entry. Links are http(s) only (`http_url`).
"""

from __future__ import annotations

import re
import unicodedata
import urllib.parse
from typing import Any, Callable, Iterable, Sequence

from rag.explain import as_dict, not_found_reason
from rag.render.text import blocks_text, marks

# A URL that is safe to put in an href or a BibTeX field: http(s), a host, and only characters of RFC 3986
# (no spaces, quotes, angle brackets, braces or backslashes).
_URL_OK = re.compile(r"^https?://[A-Za-z0-9\-._~:/?#\[\]@!$&()*+,;=%]+$", re.I)


def http_url(url: Any) -> str | None:
    """`url` if it is an http(s) URL with a host and nothing that could escape an attribute, else None."""
    if not isinstance(url, str):
        return None
    url = url.strip()
    if not _URL_OK.match(url):
        return None
    parts = urllib.parse.urlsplit(url)
    if parts.scheme.lower() not in ("http", "https") or not parts.hostname:
        return None
    return url


def paper_links(paper: dict[str, Any]) -> list[tuple[str, str]]:
    """(label, url) links for a cited paper or source: its arXiv page, its DOI, its landing page (if another)."""
    out: list[tuple[str, str]] = []
    if paper.get("arxiv_id"):
        aid = str(paper["arxiv_id"])
        url = http_url("https://arxiv.org/abs/" + urllib.parse.quote(aid, safe="./-"))
        if url:
            out.append((f"arXiv:{aid}", url))
    if paper.get("doi"):
        doi = str(paper["doi"])
        url = http_url("https://doi.org/" + urllib.parse.quote(doi, safe="./-_;()"))
        if url:
            out.append((f"doi:{doi}", url))
    landing = http_url(paper.get("url"))
    if landing and all(landing.rstrip("/") != u.rstrip("/") for _, u in out):
        out.append((re.sub(r"^https?://(www\.)?", "", landing).rstrip("/"), landing))
    return out


def authors_short(authors: Sequence[str] | None, limit: int = 3) -> str:
    names = [a for a in (authors or []) if a]
    if len(names) > limit:
        return ", ".join(names[:limit]) + " et al."
    return ", ".join(names)


def _when(p: dict[str, Any]) -> str:
    return str(p.get("year") or (p.get("date") or "")[:4] or "n.d.")


def reference_text(p: dict[str, Any]) -> str:
    """"Authors (year). Title. arXiv:ID. URL" in plain text."""
    head = authors_short(p.get("authors"), limit=6)
    bits = [f"{head} ({_when(p)})." if head else f"({_when(p)}).", f"{p['title']}."]
    links = paper_links(p)
    ids = [label for label, _ in links if label.startswith(("arXiv:", "doi:"))]
    bits += [f"{i}." for i in ids]
    if links:
        bits.append(links[0][1] if ids else links[-1][1])
    return " ".join(bits)


# ----- numbering across a conversation ------------------------------------------------------------------------
def cited_papers(answers: Iterable[Any]) -> tuple[list[dict[str, Any]], list[dict[int, int]]]:
    """The papers cited anywhere in the conversation, numbered 1.. in order of first citation, and for each
    answer the map from its own marker numbers to those conversation-wide numbers."""
    papers: list[dict[str, Any]] = []
    index: dict[str, int] = {}
    maps: list[dict[int, int]] = []
    for a in answers:
        d = as_dict(a)
        local: dict[int, int] = {}
        for c in d.get("citations") or []:
            if c["paper_id"] not in index:
                papers.append(c)
                index[c["paper_id"]] = len(papers)
            local[int(c["n"])] = index[c["paper_id"]]
        maps.append(local)
    return papers, maps


# ----- the body of one answer -----------------------------------------------------------------------------------
def _body(d: dict[str, Any], renumber: dict[int, int] | None, esc: Callable[[str], str], md: bool) -> list[str]:
    """Paragraphs of the answer, one per block (rag/render/text.py), with its [n] markers renumbered; a "not found"
    says why, in plain words, and names the nearest papers."""
    if d.get("abstained") and d.get("kind") == "not-found":
        lines = ["Not found in the collection. " + esc(not_found_reason(d))]
        if d.get("suggestions"):
            lines.append("Nearest papers: " + "; ".join(f"{esc(s['title'])} ({_when(s)})" for s in d["suggestions"]))
        return lines
    out = blocks_text(d, renumber, esc, table=(lambda b: _table(b, renumber, esc)) if md else None)
    if md and out and any(b.get("type") == "verdict" for b in d.get("blocks") or []):
        out[0] = f"**{out[0]}**"
    return out or [esc(d.get("answer") or "")]


def _table(table: dict[str, Any], renumber: dict[int, int] | None, esc: Callable[[str], str]) -> str:
    def cell(c: Any) -> str:
        if isinstance(c, dict):
            return f"{esc(str(c.get('text', '')))} {marks(c.get('citations') or [], renumber)}".strip()
        return esc(str(c))

    cols = [esc(str(c)) for c in table.get("columns") or []]
    rows = [[cell(c) for c in row] for row in table.get("rows") or []]
    # (md_escape has escaped the cells' own "|", so they cannot split a cell)
    lines = ["| " + " | ".join(cols) + " |", "|" + "---|" * len(cols)]
    lines += ["| " + " | ".join(r) + " |" for r in rows]
    return "\n".join(lines)


# ----- plain text: what Copy puts on the clipboard ---------------------------------------------------------------
def answer_text(answer: Any) -> str:
    """The answer as plain text with its [n] markers, then its numbered references."""
    d = as_dict(answer)
    lines = _body(d, None, lambda s: s, md=False)
    if d.get("citations"):
        lines.append("References\n" + "\n".join(f"[{c['n']}] {reference_text(c)}" for c in d["citations"]))
    return "\n\n".join(lines)


# ----- Markdown -----------------------------------------------------------------------------------------------
_MD_SPECIAL = re.compile(r"([\\`*_{}\[\]<>#+!|~$&@])")  # "(" only matters after "]", which is escaped
# GFM turns bare URLs ("https://...", "www.x.org") into links: break the pattern, the text stays the same.
_AUTOLINK = re.compile(r"(?<=[A-Za-z])(:)(?=//)|(?<=\bwww)(\.)", re.I)
_LINE_START = re.compile(r"^(\s*)([-=]|\d+[.)])", re.M)


def md_escape(text: str) -> str:
    """Text that shows as itself in Markdown: no emphasis, links, images, HTML, headings or list markers."""
    text = " ".join(str(text).split())
    text = _MD_SPECIAL.sub(r"\\\1", text)
    text = _AUTOLINK.sub(lambda m: "\\" + m.group(), text)
    return _LINE_START.sub(lambda m: m.group(1) + re.sub(r"([-=.)])", r"\\\1", m.group(2)), text)


def conversation_markdown(answers: Sequence[Any], *, title: str = "PaperRAG conversation",
                          created: str | None = None) -> str:
    """Every question and answer, with conversation-wide reference numbers, then the references."""
    papers, maps = cited_papers(answers)
    out = [f"# {md_escape(title)}"]
    if created:
        out.append(f"_Exported {md_escape(created)}. Answers quote or paraphrase the abstracts of the papers "
                   "listed under References._")
    for i, (a, renumber) in enumerate(zip(answers, maps), start=1):
        d = as_dict(a)
        out.append(f"## {i}. {md_escape(d.get('question', ''))}")
        out.extend(_body(d, renumber, md_escape, md=True))
    if papers:
        out.append("## References")
        for n, p in enumerate(papers, start=1):
            links = paper_links(p)
            head = authors_short(p.get("authors"), limit=6)
            ref = f"**[{n}]** " + (f"{md_escape(head)} " if head else "") + f"({_when(p)}). {md_escape(p['title'])}."
            ids = [label for label, _ in links if label.startswith(("arXiv:", "doi:"))]
            ref += "".join(f" {md_escape(i)}." for i in ids)
            if links:
                ref += f" <{links[0][1]}>"
            out.append(ref)
    return "\n\n".join(out) + "\n"


# ----- BibTeX -------------------------------------------------------------------------------------------------
# BibTeX counts braces without regard to backslashes, so "{" and "}" from the text become commands whose own
# braces balance; the others are LaTeX's specials.
_BIB_SPECIAL = {
    "\\": r"\textbackslash{}", "{": r"\textbraceleft{}", "}": r"\textbraceright{}", "%": r"\%", "&": r"\&",
    "$": r"\$", "#": r"\#", "_": r"\_", "^": r"\^{}", "~": r"\~{}",
}
_BIB_RE = re.compile("|".join(re.escape(k) for k in _BIB_SPECIAL))


def bib_escape(text: str) -> str:
    return _BIB_RE.sub(lambda m: _BIB_SPECIAL[m.group()], " ".join(str(text).split()))


def _ascii_word(text: str) -> str:
    return re.sub(r"[^a-z0-9]", "", unicodedata.normalize("NFKD", text).encode("ascii", "ignore").decode().lower())


_TITLE_SKIP = {"a", "an", "the", "on", "of", "for", "and", "to", "in", "towards", "toward", "with", "is", "are"}


def bibtex_key(p: dict[str, Any]) -> str:
    """lastname + year + first title word, ASCII ("ortiz2023magnitude")."""
    authors = [a for a in p.get("authors") or [] if a.strip()]
    last = _ascii_word(authors[0].split(",")[0].split()[-1] if "," in authors[0] else authors[0].split()[-1]) \
        if authors else ""
    words = (_ascii_word(t) for t in str(p.get("title", "")).split())
    word = next((w for w in words if w and w not in _TITLE_SKIP), "")
    year = str(p.get("year") or (p.get("date") or "")[:4] or "")
    return (last + year + word) or "paper"


def bibtex(answers: Sequence[Any]) -> str:
    """One entry per paper cited in the conversation (@misc with eprint for arXiv papers, @article with a DOI
    otherwise), in the order of the conversation's reference numbers."""
    papers, _ = cited_papers(answers)
    entries, used = [], set()
    for p in papers:
        key = base = bibtex_key(p)
        suffix = ord("a")
        while key in used:
            key, suffix = base + chr(suffix), suffix + 1
        used.add(key)
        fields = [("title", bib_escape(p["title"]))]
        if p.get("authors"):
            # a name that itself contains " and " is braced, or BibTeX would read two people
            names = [bib_escape(a) for a in p["authors"] if a.strip()]
            fields.append(("author", " and ".join(f"{{{n}}}" if re.search(r"\sand\s", n, re.I) else n for n in names)))
        year = p.get("year") or (p.get("date") or "")[:4]
        if year:
            fields.append(("year", str(year)))
        kind = "misc"
        if p.get("arxiv_id"):
            fields += [("eprint", bib_escape(p["arxiv_id"])), ("archivePrefix", "arXiv")]
        elif p.get("doi"):
            kind = "article"
        doi = str(p.get("doi") or "")
        if doi and re.fullmatch(r"10\.[^\s{}\\]+", doi):
            fields.append(("doi", doi))
        links = paper_links(p)
        if links:
            fields.append(("url", links[0][1] if not p.get("url") else (http_url(p["url"]) or links[0][1])))
        body = ",\n".join(f"  {name} = {{{value}}}" for name, value in fields)
        entries.append(f"@{kind}{{{key},\n{body}\n}}")
    return "\n\n".join(entries) + ("\n" if entries else "")

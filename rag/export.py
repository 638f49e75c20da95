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
from rag.types import parse_arxiv_id

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
# Entries as arXiv's "Export BibTeX" and Google Scholar write them, through bibtexparser's writer: @article when the
# paper names its journal, @misc otherwise; author as "Surname, Given" where that is certain; the title's acronyms
# and inner capitals braced ({BERT}, {ResNet}) so that a style that lower-cases titles keeps them; doi in its own
# field; eprint, archivePrefix and primaryClass for arXiv papers; keys "surname2025word", unique within the file.
#
# BibTeX counts braces without regard to backslashes, so "{" and "}" from the text become commands whose own
# braces balance; the others are LaTeX's specials. doi, eprint and url are identifiers that styles print verbatim:
# they are written only when they are well formed (no braces, backslashes or spaces), never escaped.
_BIB_SPECIAL = {
    "\\": r"\textbackslash{}", "{": r"\textbraceleft{}", "}": r"\textbraceright{}", "%": r"\%", "&": r"\&",
    "$": r"\$", "#": r"\#", "_": r"\_", "^": r"\^{}", "~": r"\~{}",
}
_BIB_RE = re.compile("|".join(re.escape(k) for k in _BIB_SPECIAL))


def _escape(text: str) -> str:
    return _BIB_RE.sub(lambda m: _BIB_SPECIAL[m.group()], text)


def bib_escape(text: str) -> str:
    """Text that BibTeX and LaTeX show as itself: its specials escaped, whitespace (newlines too) as single spaces."""
    return _escape(" ".join(str(text).split()))


# A word of a title (letters and digits, hyphenated parts joined); the rest of the text is escaped around it.
_WORD = re.compile(r"[^\W_]+(?:-[^\W_]+)*")


def _keeps_case(word: str) -> bool:
    """Whether a title word must keep its capitals when a style lower-cases the title: an acronym or a name with an
    inner capital (BERT, ResNet, LLaMA, iPhone, GPT-4, T5, 3D), or a capital letter standing alone (Q-Learning, I)."""
    for part in word.split("-"):
        if any(c.isupper() for c in part[1:]):
            return True
        if part[:1].isupper() and (any(c.isdigit() for c in part) or (len(part) == 1 and part != "A")):
            return True
    return False


def bib_title(text: str) -> str:
    """A title for a BibTeX field: escaped, with the words that must keep their capitals in braces ("{BERT}")."""
    text = " ".join(str(text).split())
    out, at = [], 0
    for m in _WORD.finditer(text):
        out.append(_escape(text[at:m.start()]))
        out.append(f"{{{m.group()}}}" if _keeps_case(m.group()) else m.group())
        at = m.end()
    out.append(_escape(text[at:]))
    return "".join(out)


_PARTICLES = {"van", "von", "der", "den", "de", "del", "della", "di", "da", "dos", "du", "la", "le", "ter", "ten",
              "bin", "ibn", "al", "el"}
_SUFFIXES = {"jr", "jr.", "sr", "sr.", "ii", "iii", "iv", "v"}
_INITIAL = re.compile(r"^[^\W\d_](?:\.|\.?-[^\W\d_]\.?)?$|^(?:[^\W\d_]\.){2,}$")  # "J.", "J", "J.-P.", "J.R."


def _split_name(name: str) -> tuple[str, str] | None:
    """(surname, given names) of a "Given Surname" name when that reading is certain: two words ("Kaiming He"), or
    given names and initials before one surname ("John R. Smith", "J. R. R. Tolkien"). None when the surname could
    be more than the last word ("Jose Javier Gonzalez Ortiz", "Ludwig van Beethoven", "Martin Luther King Jr.")."""
    words = name.split()
    if "," in name or len(words) < 2:
        return None
    if any(w.lower() in _PARTICLES or w.lower() in _SUFFIXES or not w[:1].isalpha() or not w[:1].isupper()
           for w in words):
        return None
    if len(words) > 2 and not all(_INITIAL.match(w) for w in words[1:-1]):
        return None
    return words[-1], " ".join(words[:-1])


def bib_author(name: str) -> str:
    """One author for the `author` field: "Surname, Given" when certain, else as written (BibTeX then reads the
    last word as the surname). A name BibTeX would misread (one with " and ", too many commas, "others") is braced
    whole so that it stays one person."""
    name = " ".join(str(name).split())
    split = _split_name(name)
    text = bib_escape(f"{split[0]}, {split[1]}" if split else name)
    if re.search(r"(^|\s)and(\s|$)", name, re.I) or name.count(",") > 2 or name.lower() == "others":
        return f"{{{text}}}"
    return text


_TRANSLIT = str.maketrans({"ø": "o", "Ø": "o", "ß": "ss", "æ": "ae", "Æ": "ae", "œ": "oe", "Œ": "oe", "ł": "l",
                           "Ł": "l", "đ": "d", "Đ": "d", "ð": "d", "Ð": "d", "þ": "th", "Þ": "th", "ı": "i"})


def _ascii_word(text: str) -> str:
    text = unicodedata.normalize("NFKD", str(text).translate(_TRANSLIT))
    return re.sub(r"[^a-z0-9]", "", text.encode("ascii", "ignore").decode().lower())


_TITLE_SKIP = {"a", "an", "the", "on", "of", "for", "and", "or", "to", "in", "into", "at", "by", "from", "as", "via",
               "towards", "toward", "with", "is", "are", "be", "do", "does", "can", "how", "what", "why", "when",
               "which", "where", "who", "we", "our", "your"}


def _surname(name: str) -> str:
    """The surname BibTeX would read: before the comma of "Surname, Given", else the last word that is no suffix."""
    name = " ".join(str(name).split())
    if "," in name:
        return name.split(",")[0]
    words = name.split()
    while len(words) > 1 and words[-1].lower() in _SUFFIXES:
        words.pop()
    return words[-1] if words else ""


def _year(p: dict[str, Any]) -> str:
    year = str(p.get("year") or (p.get("date") or "")[:4] or "").strip()
    return year if re.fullmatch(r"\d{4}", year) else ""


def bibtex_key(p: dict[str, Any]) -> str:
    """First author's surname + year + first significant title word, lowercase ASCII ("ortiz2023magnitude")."""
    authors = [a for a in p.get("authors") or [] if str(a).strip()]
    last = _ascii_word(_surname(authors[0])) if authors else ""
    words = (_ascii_word(t) for t in str(p.get("title") or "").split())
    word = next((w for w in words if w and w not in _TITLE_SKIP), "")
    return (last + _year(p) + word) or "paper"


def _suffix(i: int) -> str:
    """The i-th duplicate's letters: 1 -> "b", 2 -> "c", ..., 25 -> "z", 26 -> "ba", ... (the first keeps the key,
    its "a" unwritten, as Google Scholar and BibDesk do)."""
    out = ""
    while i:
        i, r = divmod(i, 26)
        out = chr(ord("a") + r) + out
    return out


_DOI = re.compile(r"^10\.\d{4,9}/[^\s{}\\\"]+$")
# An arXiv category: an archive of arXiv's taxonomy, then its subject class ("cs.LG", "hep-th", "physics.comp-ph").
_ARXIV_ARCHIVES = {"astro-ph", "cond-mat", "cs", "econ", "eess", "gr-qc", "hep-ex", "hep-lat", "hep-ph", "hep-th",
                   "math", "math-ph", "nlin", "nucl-ex", "nucl-th", "physics", "q-bio", "q-fin", "quant-ph", "stat"}
_CATEGORY = re.compile(r"^([a-z]+(?:-[a-z]+)?)(?:\.[A-Za-z]+(?:-[a-z]+)?)?$")


def _arxiv_id(p: dict[str, Any]) -> str | None:
    """The paper's arXiv identifier without its version ("2511.01234", "hep-th/9901001"), if it has a valid one."""
    raw = p.get("arxiv_id") or (str(p.get("paper_id") or "").removeprefix("arxiv:")
                                if str(p.get("paper_id") or "").startswith("arxiv:") else None)
    return parse_arxiv_id(str(raw))[0] if raw else None


def _primary_class(p: dict[str, Any]) -> str | None:
    for c in p.get("categories") or []:
        m = _CATEGORY.match(str(c).strip())
        if m and m.group(1) in _ARXIV_ARCHIVES:
            return m.group()
    return None


def bibtex_fields(p: dict[str, Any]) -> tuple[str, dict[str, str]]:
    """(entry type, fields) of one paper: a Citation, a Source or a Paper as a dict."""
    fields: dict[str, str] = {}
    if str(p.get("title") or "").strip():
        fields["title"] = bib_title(p["title"])
    names = [bib_author(a) for a in p.get("authors") or [] if str(a).strip()]
    if names:
        fields["author"] = " and ".join(names)
    journal = next((str(p[k]) for k in ("journal", "venue") if str(p.get(k) or "").strip()), "")
    if journal:
        fields["journal"] = bib_escape(journal)
    if _year(p):
        fields["year"] = _year(p)
    doi = str(p.get("doi") or "").strip()
    if _DOI.match(doi):
        fields["doi"] = doi
    aid = _arxiv_id(p)
    if aid:
        fields["eprint"] = aid
        fields["archivePrefix"] = "arXiv"
        primary = _primary_class(p)
        if primary:
            fields["primaryClass"] = primary
    url = http_url(p.get("url"))
    if url and doi and re.sub(r"^https?://(dx\.)?doi\.org/", "", url, flags=re.I).lower() == doi.lower():
        url = None  # the doi field says it: no DOI link in url
    if not url and aid:
        url = f"https://arxiv.org/abs/{aid}"
    if url:
        fields["url"] = url
    return ("article" if journal else "misc"), fields


_FIELD_ORDER = ["title", "author", "journal", "year", "doi", "eprint", "archivePrefix", "primaryClass", "url"]


def bibtex_entries(papers: Iterable[dict[str, Any]]) -> str:
    """A BibTeX file of `papers`, in their order, with keys unique within it (duplicates get b, c, ...)."""
    from bibtexparser.bibdatabase import BibDatabase
    from bibtexparser.bwriter import BibTexWriter, SortingStrategy

    db = BibDatabase()
    used: set[str] = set()
    for p in papers:
        key = base = bibtex_key(p)
        n = 0
        while key in used:
            n += 1
            key = base + _suffix(n)
        used.add(key)
        kind, fields = bibtex_fields(p)
        db.entries.append({"ENTRYTYPE": kind, "ID": key, **fields})
    writer = BibTexWriter()
    writer.indent = "  "
    writer.order_entries_by = None  # the conversation's order
    writer.display_order = _FIELD_ORDER
    writer.display_order_sorting = SortingStrategy.PRESERVE
    return writer.write(db)


def bibtex(answers: Sequence[Any]) -> str:
    """One entry per paper cited in the conversation, in the order of the conversation's reference numbers."""
    papers, _ = cited_papers(answers)
    return bibtex_entries(papers)

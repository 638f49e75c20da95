"""Plain-text helpers shared by ingest and answering: cleaning and sentence spans.

Sentence splitting is our own small rule set rather than NLTK's punkt (which llama-index's splitters use):
measured here, `import nltk` costs 4.4 s per process, and punkt's English model still splits after "e.g.",
"i.e." and "Fig." in abstracts unless taught those abbreviations. The rules below handle those cases and keep
character offsets, which citations need.
"""

from __future__ import annotations

import hashlib
import re
import unicodedata

_WS = re.compile(r"\s+")

# LaTeX-isms seen in arXiv and Daily Papers listings, turned into plain text.
_LATEX_RULES: list[tuple[re.Pattern[str], str]] = [
    (re.compile(r"\{\\(?:it|bf|em|sc|tt|rm|sf|sl)\s+([^{}]*)\}"), r"\1"),  # {\it x}
    (re.compile(r"\\(?:emph|textbf|textit|texttt|textrm|textsc|mathrm|mathbf|text)\{([^{}]*)\}"), r"\1"),
    (re.compile(r"``(.*?)''", re.S), r'"\1"'),  # ``x''
    (re.compile(r"(?<![\w*])\*\*(?=\S)(.+?)(?<=\S)\*\*(?![\w*])"), r"\1"),  # **x**
    (re.compile(r"(?<![\w*])\*(?=[^\s*])([^*]+?)(?<=[^\s*])\*(?![\w*])"), r"\1"),  # *x*
    (re.compile(r"\\([%&_#$])"), r"\1"),  # \% \& \_ \# \$
    (re.compile(r"(?<=\w)~(?=\w)"), " "),  # non-breaking space
    (re.compile(r"---"), "\u2014"),
    (re.compile(r"(?<=\w)--(?=\w)"), "\u2013"),
    (re.compile(r"\{([^{}\\]*)\}"), r"\1"),  # bare {Braces} kept for capitalisation in BibTeX
]


_URL = re.compile(r"https?://[^\s<>\"'{}]+")
# Code points that are not text. A lone surrogate (a broken "\ud800" escape in JSON) cannot be encoded at all:
# it becomes U+FFFD. Bidirectional controls (U+202E makes "txt.exe" display as "exe.txt") and other invisible
# control characters are dropped, so a title reads the same everywhere it is shown.
_LONE_SURROGATE = re.compile("[\ud800-\udfff]")
_INVISIBLE = re.compile("[\x00-\x08\x0b\x0c\x0e-\x1f\x7f\u061c\u200e\u200f\u202a-\u202e\u2066-\u2069]")


def clean_text(text: str | None) -> str:
    """Unwrap lines, collapse whitespace and turn LaTeX-isms into plain text (URLs are left as they are)."""
    if not text:
        return ""
    text = _INVISIBLE.sub("", _LONE_SURROGATE.sub("\ufffd", text))
    text = unicodedata.normalize("NFC", text).replace("\u00a0", " ")
    urls: list[str] = []

    def park(m: re.Match[str]) -> str:
        urls.append(m.group(0))
        return f"\x00{len(urls) - 1}\x00"

    text = _URL.sub(park, text)
    for _ in range(4):  # nested markup ({\it a {B}}) unwinds one level per pass
        before = text
        for pattern, repl in _LATEX_RULES:
            text = pattern.sub(repl, text)
        if text == before:
            break
    text = re.sub(r"\x00(\d+)\x00", lambda m: urls[int(m.group(1))], text)
    return _WS.sub(" ", text).strip()


def normalize_title(title: str) -> str:
    """Key for matching the same paper across sources: lowercase letters and digits only."""
    decomposed = unicodedata.normalize("NFKD", clean_text(title).lower())
    return "".join(ch for ch in decomposed if ch.isalnum())


def short_hash(*parts: str, length: int = 16) -> str:
    h = hashlib.sha256()
    for p in parts:
        h.update(p.encode("utf-8"))
        h.update(b"\x1f")
    return h.hexdigest()[:length]


# Words after which a period does not end a sentence.
_ABBREVIATIONS = {
    "e.g", "i.e", "cf", "vs", "etc", "al", "fig", "figs", "eq", "eqs", "sec", "secs", "tab", "ref", "refs",
    "approx", "resp", "no", "nos", "vol", "pp", "dr", "prof", "mr", "mrs", "ms", "st", "jr", "sr", "inc",
    "ltd", "co", "corp", "dept", "univ", "viz", "ca", "incl", "max", "min", "avg", "est", "var",
}
# A candidate boundary: terminal punctuation, optional closing quotes/brackets, whitespace, then something that
# can start a sentence (capital, digit, opening quote/bracket).
_BOUNDARY = re.compile(r"([.!?])([\"'\u201d\u2019)\]]*)(\s+)(?=[\"'\u201c\u2018(\[]?[A-Z0-9])")


def sentence_spans(text: str) -> list[tuple[int, int]]:
    """Character spans of the sentences of `text` (whitespace between sentences excluded)."""
    spans: list[tuple[int, int]] = []
    start = 0
    for m in _BOUNDARY.finditer(text):
        end = m.end(2)
        if m.group(1) == ".":
            word = re.search(r"(\S+)$", text[start : m.start(1)])
            token = word.group(1).lower().lstrip("([\"'") if word else ""
            if token in _ABBREVIATIONS or token.rstrip(".") in _ABBREVIATIONS:
                continue
            if len(token) == 1 and token.isalpha():  # an initial: "J. Smith"
                continue
            if re.fullmatch(r"[a-z](\.[a-z])+", token):  # "u.s", "a.k.a"
                continue
        piece = text[start:end]
        if piece.strip():
            lead = len(piece) - len(piece.lstrip())
            spans.append((start + lead, end))
        start = m.end(3)
    tail = text[start:]
    if tail.strip():
        lead = len(tail) - len(tail.lstrip())
        spans.append((start + lead, start + len(tail.rstrip())))
    return spans


def split_sentences(text: str) -> list[str]:
    return [text[a:b] for a, b in sentence_spans(text)]

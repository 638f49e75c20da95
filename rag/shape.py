"""Answers shaped by the question, written from the abstracts' own sentences (no model, deterministic).

  fact        "What ...?", "How many ...?": the sentences that hold the asked-for fact, the best first.
  list        "Which papers ...?", "Any papers on ...?": one line per matching paper (title, year, one cited sentence).
  comparison  "Compare ...", "How do they differ?", "X vs Y": a table (paper, year, approach, finding; every cell
              cited) and a one-line summary of what sets each paper apart.
  yes-no      "Does X improve Y?": what the best paper concludes (Yes / No / Mixed, according to [n]), then its
              concluding sentence.
Every quoted sentence reads on its own: a leading connective that points at a sentence the reader cannot see
("Moreover,", "In comparison,") is dropped, and "we", "our method", "this paper" name the paper. The sentences
are then cited and checked by rag/citations.py like any generated text.
"""

from __future__ import annotations

import re
from dataclasses import dataclass, field
from typing import TYPE_CHECKING, Any

from rag import tuning
from rag.evidence import asked_phrases, asked_share, relevance

if TYPE_CHECKING:
    from rag.answer import AnswerSentence, Evidence, Source
    from rag.citations import Aligned

KINDS = ("fact", "list", "comparison", "yes-no", "not-found")

# A comparison of papers, not a fact phrased with "compared with" ("how much faster than X?" is a fact).
_COMPARE = re.compile(
    r"^\s*(compare|contrast)\b|\bhow (do|does|did) .{1,80} (differ|compare)\b|\bdiffer(ence|ences)? between\b|"
    r"\bwhat (distinguishes|sets .{1,40} apart)\b|\b(vs\.?|versus)\s|\bcompare (the|these|those|their|them)\b|"
    r"\b(similarities|differences) (of|among|between|in)\b",
    re.I,
)
_LIST = re.compile(
    r"\b(which|what)\s+(papers|works|studies|articles|methods|approaches|of (them|these|those))\b|\blist\b|"
    r"\bany (papers|work|studies)\b|\bpapers (that|which|on|about|in|since|from|before)\b|\bname (the )?papers\b|"
    r"^\s*(is|are) there (any )?(work|works|papers?|stud(y|ies)|research|articles?)\b|^\s*has anyone\b|"
    r"\beach of (them|those|these)\b|\beach (paper|work|study)\b",
    re.I,
)
_WH = re.compile(r"\b(what|which|who|whom|whose|where|when|why|how)\b", re.I)
_YES_NO = re.compile(r"^\s*(is|are|does|do|did|can|could|should|would|will|has|have|had|was|were|may|might)\b", re.I)

# Connectives that lean on a sentence the reader of the answer does not see.
_CONNECTIVE = re.compile(
    r"^(?:moreover|furthermore|in addition|additionally|however|in comparison|in contrast|by contrast|also|thus|"
    r"therefore|hence|consequently|besides|nevertheless|nonetheless|on the other hand|meanwhile|then|instead|"
    r"similarly|likewise|as a result|to this end|further|conversely|accordingly|still|yet|finally|lastly|"
    r"first|second|third|firstly|secondly|thirdly|next|and|but|so|in turn|as such|for this reason)\s*,?\s+",
    re.I,
)
# What a sentence that states a paper's approach, or its finding, looks like: strong cues first.
_METHOD = [
    re.compile(r"\b(we|this (paper|work|study))\s+(propose|introduce|present|develop|design|describe|build)\w*\b|"
               r"\b(called|named|dubbed|termed)\b|\bour (method|approach|framework|model|algorithm)\b", re.I),
    re.compile(r"\b(propos\w*|introduc\w*|method|approach|framework|algorithm|architecture|technique|strategy|"
               r"scheme|procedure)\b", re.I),
]
_RESULT = [
    re.compile(r"\b(outperform\w*|achiev\w*|improv\w*|reduc\w*|results? (show|demonstrate|indicate)\w*|"
               r"experiments? (show|demonstrate)\w*)\b.*\d|\d.*\b(outperform\w*|achiev\w*|improv\w*|reduc\w*)\b",
               re.I),
    re.compile(r"\b(results?|show\w*|demonstrat\w*|find|found|outperform\w*|achiev\w*|improv\w*|reduc\w*|"
               r"increas\w*|reveal\w*|suggest\w*|conclud\w*|effective|significant\w*|accuracy)\b", re.I),
]
_CONCLUSION = re.compile(
    r"\b(conclu\w*|suggest\w*|indicat\w*|these (results|findings|data)|our (results|findings|data)|"
    r"this study (shows|demonstrates|suggests)|in summary|overall|taken together|we found|were found|"
    r"may be|should be|can be|is associated|are associated|appears? to)\b",
    re.I,
)
_NEGATION = re.compile(
    r"\b(no|not|neither|nor|never|none|cannot|without|failed to|fail to|does not|did not|do not|was not|were not|"
    r"is not|are not|unlikely|no significant|not significant|lack of|absence of)\b",
    re.I,
)
_UNCERTAIN = re.compile(
    r"\b(unclear|inconclusive|controversial|conflicting|mixed|remains? to be|further (studies|research|trials)|"
    r"not clear|uncertain|may or may not|limited evidence)\b",
    re.I,
)


def question_kind(question: str) -> str:
    """Which shape the question asks for (fact, list, comparison or yes-no)."""
    if _COMPARE.search(question):
        return "comparison"
    if _LIST.search(question):
        return "list"
    if _YES_NO.search(question) or (question.rstrip().endswith("?") and not _WH.search(question)):
        return "yes-no"
    return "fact"


_ACRONYM = re.compile(r"\(([A-Za-z][A-Za-z0-9\-]{1,28})\)")
_NAMING = re.compile(
    r"\b(we|our|this (paper|work|study))\b[^.]*\b((propos|introduc|present|develop|design)\w*|(call|dub|name|term)(ed)?\b)|"
    r"\b(called|named|dubbed|termed)\b",
    re.I,
)
_NAME_WORD = re.compile(r"\b(call|called|name|named|dub|dubbed|term|termed)\b", re.I)


def _acronym(token: str) -> bool:
    """A name in brackets ("RPS", "D-Former", "GraNet", "iCBS", "Mamba-2"), not a plural ("LLMs", "ViTs")."""
    uppers = sum(c.isupper() for c in token)
    plural = token.endswith("s") and token[-2].isupper()
    return not plural and (uppers >= 2 or (uppers == 1 and any(c.isdigit() for c in token)))


def _title_head(title: str) -> str | None:
    """The name before a title's colon ("RelP" in "RelP: Faithful and Efficient ..."), when it is short."""
    head, sep, _ = title.partition(":")
    return head.strip() if sep and 1 <= len(head.split()) <= 4 else None


def paper_name(title: str, abstract: str = "") -> str:
    """What to call a paper in a sentence: the name before its title's colon ("RelP", "D-Former"), else the
    name its abstract gives what it proposes ("we propose random parameter sharing (RPS)"; "a method, named ...
    (GraNet)" wins over an earlier acronym of a part), else its first words."""
    if _title_head(title):
        return _title_head(title)
    for sentence in re.split(r"(?<=[.!?])\s+", abstract):
        m = _NAMING.search(sentence)
        if not m:
            continue
        found = [(a.start(), a.group(1)) for a in _ACRONYM.finditer(sentence)
                 if a.start() >= m.start() and _acronym(a.group(1))]
        named = [(at, a) for at, a in found if any(w.end() <= at for w in _NAME_WORD.finditer(sentence))]
        if found:
            return (named or found)[0][1]
    words = title.split()
    return " ".join(words[:5]) + ("…" if len(words) > 5 else "")


def short_title(title: str, limit: int = 70) -> str:
    """A title to quote in a sentence: its name before the colon ("RelP"), the whole title when it is short
    enough, else its first words (never cut inside a word)."""
    if _title_head(title):
        return _title_head(title)
    if len(title) <= limit:
        return title
    cut = title[:limit].rsplit(" ", 1)[0].rstrip(",;:-")
    return cut + "…"


def _short(name: str) -> bool:
    return len(name.split()) <= 3 and not name.endswith("…")


def clean(sentence: str, name: str) -> str:
    """The sentence as it reads on its own: no dangling connective, "we" / "our" / "this paper" name the paper."""
    text = sentence.strip()
    for _ in range(3):  # "However, moreover, ..." in one go
        stripped = _CONNECTIVE.sub("", text, count=1)
        if stripped == text:
            break
        text = stripped
    # How the sentence may name its paper: by a short name, unless the sentence already says it ("We introduce
    # X" -> "The authors introduce X", not "The authors of X introduce X"); a long title is never inlined.
    named = re.search(rf"(?<!\w){re.escape(name)}(?!\w)", text) is not None
    ref = name if _short(name) and not named else None
    text = re.sub(r"^In this (paper|work|study|article|letter)\s*,\s*we\b", "The authors", text, flags=re.I)
    text = re.sub(r"^We\b", f"The authors of {ref}" if ref else "The authors", text)
    text = re.sub(r"\b[Ww]e\b", "the authors", text)
    text = re.sub(r"\bus\b", "them", text)
    if ref:
        text = re.sub(r"^(This|The present|The current) (paper|work|study|article)\b", ref, text)
        text = re.sub(r"\b[Tt]his (paper|work|article)\b", ref, text)
    first = True

    def our(m: re.Match[str]) -> str:
        nonlocal first
        if first:
            first = False
            return f"{ref}'s" if ref else "the authors'"
        return "their"

    text = re.sub(r"\b[Oo]ur\b", our, text)
    return text[:1].upper() + text[1:]  # ("iCBS's" becomes "ICBS's": the sentence splitter needs a capital)


@dataclass
class Claim:
    text: str
    source: int  # index into the sources
    role: str = "fact"  # fact | item | approach | finding | conclusion
    original: str = ""  # the abstract's sentence it was cleaned from


@dataclass
class Plan:
    kind: str
    claims: list[Claim] = field(default_factory=list)
    verdict: str | None = None


def name_of(src: "Source") -> str:
    abstract = " ".join(e.text for e in sorted(src.evidence, key=lambda e: e.start))
    return paper_name(src.title, abstract)


def plan(question: str, sources: list["Source"], max_sentences: int) -> Plan:
    """Which sentences the answer quotes, and in what shape."""
    kind = question_kind(question)
    usable = [i for i, s in enumerate(sources) if s.evidence]
    if not usable:
        return Plan("fact")
    if kind in ("list", "comparison"):
        chosen = _matching_papers(sources, usable, limit=4 if kind == "comparison" else len(usable))
        if len(chosen) >= 2:
            return _table_plan(sources, chosen) if kind == "comparison" else _list_plan(sources, chosen)
        kind = "fact"
    if kind == "yes-no":
        return _yes_no_plan(sources, usable[0], question)
    named = {i for i in usable if sources[i].named} or None  # "What is ARISE?": the answer is about ARISE
    return Plan("fact", [Claim(clean(text, name_of(sources[i])), i, "fact", text) for i, text in
                         pick_sentences(question, sources, max_sentences, only=named)])


def pick_sentences(
    question: str, sources: list["Source"], max_sentences: int, only: set[int] | None = None
) -> list[tuple[int, str]]:
    """(source index, sentence) for a fact answer, best first: for each thing the question asks for ("what X
    ... and how many Y"), the best paper's sentence that holds it; then the best paper's sentences within a share
    of the best relevance, and other papers' sentences when nearly as relevant."""
    from rag.terms import term_set as terms_of

    picked: list[tuple[int, str]] = []
    picked_terms: list[set[str]] = []
    per_source: dict[int, int] = {}
    parts = len(asked_phrases(question))
    ranked = [i for i, s in enumerate(sources) if s.evidence and (only is None or i in only)]
    if parts and ranked:
        top = max(ranked, key=lambda i: _best_relevance(sources[i]))
        for part in range(parts):
            holding = [e for e in sources[top].evidence if _asked_part(e, question, part) >= ASKED_MIN]
            if holding and holding[0].text not in {t for _, t in picked}:
                picked.append((top, holding[0].text))
                picked_terms.append(terms_of(holding[0].text))
                per_source[top] = per_source.get(top, 0) + 1

    pool = [
        (ev.score, relevance(ev.similarity, ev.overlap), i, ev.text)
        for i, src in enumerate(sources)
        if only is None or i in only
        for ev in src.evidence[: tuning.TOP_PAPER_CAP]
    ]
    pool.sort(key=lambda x: -x[0])
    if not pool:
        return picked
    best_rel, top = max((p[1], p[2]) for p in pool)
    for _, rel, i, text in pool:
        if len(picked) >= max_sentences:
            break
        is_top = i == top
        if rel < best_rel * (tuning.TOP_PAPER_FLOOR if is_top else tuning.RELATIVE_FLOOR):
            continue
        if per_source.get(i, 0) >= (tuning.TOP_PAPER_CAP if is_top else 1):
            continue
        t = terms_of(text)
        if text in {x for _, x in picked} or any(
            _jaccard(t, other) > tuning.NEAR_DUPLICATE_JACCARD for other in picked_terms
        ):
            continue
        picked.append((i, text))
        picked_terms.append(t)
        per_source[i] = per_source.get(i, 0) + 1
    return picked


ASKED_MIN = 0.5  # a sentence answers a part of the question if it holds at least half of what that part asks for


def _asked_part(e: "Evidence", question: str, part: int) -> float:
    from rag.terms import term_set as terms_of

    phrases = asked_phrases(question)
    return asked_share(phrases[part], terms_of(e.text), {}) if part < len(phrases) else 0.0


def _jaccard(a: set[str], b: set[str]) -> float:
    return len(a & b) / len(a | b) if a and b else 0.0


def _best_relevance(src: "Source") -> float:
    return max((relevance(e.similarity, e.overlap) for e in src.evidence), default=0.0)


def _matching_papers(sources: list["Source"], usable: list[int], limit: int) -> list[int]:
    """The sources whose best sentence is within RELATIVE_FLOOR_LIST of the best source's, in rank order."""
    best = max(_best_relevance(sources[i]) for i in usable)
    return [i for i in usable if _best_relevance(sources[i]) >= best * tuning.RELATIVE_FLOOR_LIST][:limit]


def opening_list(sources: list["Source"]) -> Plan:
    """Every source as a list item with its abstract's opening sentence: what a paper is about, when the question
    asks for papers (by an author) rather than about something in them."""
    claims = []
    for i, src in enumerate(sources):
        if src.evidence:
            first = min(src.evidence, key=lambda e: e.start).text
            claims.append(Claim(clean(first, name_of(src)), i, "item", first))
    return Plan("list", claims)


def _list_plan(sources: list["Source"], chosen: list[int]) -> Plan:
    return Plan("list", [
        Claim(clean(sources[i].evidence[0].text, name_of(sources[i])), i, "item", sources[i].evidence[0].text)
        for i in chosen
    ])


def _first_matching(evidence: list["Evidence"], patterns: list[re.Pattern[str]], skip: str | None = None) -> str | None:
    """The most relevant of the best six sentences matching the strongest cue that any of them matches."""
    for pattern in patterns:
        for e in evidence[:6]:
            if e.text != skip and pattern.search(e.text):
                return e.text
    return None


def _table_plan(sources: list["Source"], chosen: list[int]) -> Plan:
    claims: list[Claim] = []
    for i in chosen:
        ev = sources[i].evidence
        name = name_of(sources[i])
        approach = _first_matching(ev, _METHOD) or ev[0].text
        finding = _first_matching(ev, _RESULT, skip=approach)
        claims.append(Claim(clean(approach, name), i, "approach", approach))
        if finding:
            claims.append(Claim(clean(finding, name), i, "finding", finding))
    return Plan("comparison", claims)


def _yes_no_plan(sources: list["Source"], top: int, question: str = "") -> Plan:
    """What the best paper concludes: its last sentences that read as conclusions (else its last sentence)."""
    ev = sorted(sources[top].evidence, key=lambda e: e.start)
    tail = ev[-3:]
    concluding = [e for e in tail if _CONCLUSION.search(e.text)] or ev[-1:]
    concluding = concluding[-tuning.CONCLUSION_SENTENCES:]
    name = name_of(sources[top])
    text = " ".join(e.text for e in concluding)
    return Plan("yes-no", [Claim(clean(e.text, name), top, "conclusion", e.text) for e in concluding],
                verdict=verdict(text, question, sources[top].title))


_ASKS_NEED = re.compile(r"\b(need|needs|require|requires|use|uses|rely|relies|depend|depends|involve|involves)\b", re.I)


def _does_without(question: str, text: str) -> bool:
    """Whether a question asking if something needs / uses X meets a paper that says it does without X
    ("Training ... without Back-propagation", "back-propagation-free methods")."""
    if not _ASKS_NEED.search(question) or re.search(r"\b(without|free|instead)\b", question, re.I):
        return False
    flat = text.lower().replace("-", "")  # "Back-propagation" and "backpropagation" read the same
    for word in {w.replace("-", "") for w in re.findall(r"[a-z][a-z\-]{4,}", question.lower())}:
        if _ASKS_NEED.fullmatch(word):
            continue
        stem = re.escape(word[: max(5, len(word) - 3)])
        if re.search(rf"\b(without|free of)\s+(\w+\s+){{0,2}}{stem}\w*|\b{stem}\w*free\b", flat):
            return True
    return False


def verdict(conclusion: str, question: str = "", title: str = "") -> str:
    """Yes, No or Mixed, read from a conclusion: uncertainty words make it Mixed, a negated claim No, and so does
    a paper doing without what the question asks it to need."""
    if _UNCERTAIN.search(conclusion):
        return "Mixed"
    if question and _does_without(question, f"{title}. {conclusion}"):
        return "No"
    negations = len(_NEGATION.findall(conclusion))
    if negations and re.search(r"\bnot only\b", conclusion, re.I):
        negations -= 1
    return "No" if negations else "Yes"


@dataclass
class Shaped:
    text: str
    kind: str
    table: dict[str, Any] | None = None
    items: list[dict[str, Any]] = field(default_factory=list)
    verdict: str | None = None


def claims_text(p: Plan) -> str:
    """The claims as one text with a marker each, for citation checking."""
    return " ".join(f"{c.text} [{c.source + 1}]" for c in p.claims)


def aliases(p: Plan) -> dict[str, str]:
    """Cleaned claim -> the abstract sentence it came from (whose stored vector stands for it)."""
    return {c.text: c.original for c in p.claims if c.original}


def render(p: Plan, aligned: "Aligned", sources: list["Source"]) -> Shaped:
    """The final answer text and structure, with the citation numbers the check assigned."""
    sentences = aligned.sentences
    if len(sentences) != len(p.claims):  # the check split or merged a claim: fall back to plain sentences
        return Shaped(aligned.text, "fact")
    number = {si: n for n, si in enumerate(aligned.cited_sources, start=1)}

    def cite(s: "AnswerSentence") -> str:
        return "".join(f"[{n}]" for n in s.citations) if s.citations else "[unsupported]"

    if p.kind == "fact":
        return Shaped(aligned.text, "fact")
    if p.kind == "yes-no":
        src = p.claims[0].source
        head = f"{p.verdict}, according to [{number[src]}]." if src in number else f"{p.verdict}."
        body = " ".join(f"{s.text} {cite(s)}" for s in sentences)
        return Shaped(f"{head} {body}", "yes-no", verdict=p.verdict)
    if p.kind == "list":
        items, lines = [], []
        for claim, s in zip(p.claims, sentences):
            src = sources[claim.source]
            year = f" ({src.year})" if src.year else ""
            lines.append(f"- {src.title}{year}: {s.text} {cite(s)}")
            items.append({"paper_id": src.paper_id, "title": src.title, "year": src.year, "text": s.text,
                          "citations": s.citations})
        # Not "N papers match": the list holds the best of the papers searched (top_k), not every match.
        head = "The paper that matches best:" if len(items) == 1 else f"The {len(items)} papers that match best:"
        return Shaped(head + "\n" + "\n".join(lines), "list", items=items)
    # comparison
    rows: dict[int, dict[str, Any]] = {}
    for claim, s in zip(p.claims, sentences):
        rows.setdefault(claim.source, {})[claim.role] = {"text": s.text, "citations": s.citations}
    table_rows, lines, gists = [], [], []
    for si, cells in rows.items():
        src = sources[si]
        name = name_of(src)
        n = [number[si]] if si in number else []
        empty = {"text": "", "citations": []}
        table_rows.append([{"text": name, "citations": n}, {"text": str(src.year or ""), "citations": []},
                           cells.get("approach", empty), cells.get("finding", empty)])
        parts = [f"approach: {cells['approach']['text']} {_marks(cells['approach'])}"] if "approach" in cells else []
        if "finding" in cells:
            parts.append(f"finding: {cells['finding']['text']} {_marks(cells['finding'])}")
        lines.append(f"- {name}{f' ({src.year})' if src.year else ''}: " + "; ".join(parts))
        gists.append((name, n, _gist(src.title, name)))
    def said(name: str, n: list[int], gist: str) -> str:
        marks = "".join(f"[{x}]" for x in n)
        if name.endswith("…") or gist.startswith(name):  # named by its title: the title says it once
            return f"{gist} {marks}".strip()
        return f"{name} {marks}: {gist}".replace("  ", " ")

    summary = "In short, they differ in approach: " + "; ".join(said(*g) for g in gists) + "."
    table = {"columns": ["Paper", "Year", "Approach", "Finding"], "rows": table_rows}
    return Shaped(summary + "\n" + "\n".join(lines), "comparison", table=table)


def _marks(cell: dict[str, Any]) -> str:
    return "".join(f"[{n}]" for n in cell["citations"]) if cell["citations"] else "[unsupported]"


def _gist(title: str, name: str) -> str:
    """What a paper does, in its title's words: the part after the colon, else the whole title (as written)."""
    head, sep, rest = title.partition(":")
    return rest.strip() if sep and head.strip() == name else title.strip()

"""Why a paper was retrieved, and why an answer is "not found", in words a researcher reads at a glance.

Everything comes from what the Answer already records for each source: the question words it contains
(`matched_terms`), its rank in the dense (meaning) list and in the BM25 (keyword) list, and how close its best
sentence is to the question (`evidence[0].similarity`, the cosine of the packaged MiniLM sentence vectors).
Pure functions over `Answer` / `Answer.to_dict()`, shared by the chat UI, `paperrag ask --explain` and exports.
"""

from __future__ import annotations

import re
from typing import Any, Mapping

from rag.terms import keywords

# Cut points for the best sentence's cosine similarity, measured on the gold set (evals/datasets/gold.jsonl, the
# bundled corpus, hybrid retrieval, top 5): the best sentence of a gold paper has median 0.61 and 10th percentile
# 0.46; that of a retrieved paper that is not gold has median 0.39, 75th percentile 0.44, 90th percentile 0.50.
# So >= 0.55 is rarely reached by a paper that is only on the topic, and < 0.45 rarely by one that answers.
STRONG_SIMILARITY = 0.55
WEAK_SIMILARITY = 0.45

_LEVEL_WORDS = {
    "strong": "Strong evidence: one of its sentences closely matches your question",
    "moderate": "Moderate evidence: one of its sentences is on your question's topic but does not state it directly",
    "weak": "Weak evidence: none of its sentences addresses your question",
}


def as_dict(answer: Any) -> dict[str, Any]:
    """An Answer, or its `to_dict()` (e.g. read back from JSON), as the dict."""
    return answer.to_dict() if hasattr(answer, "to_dict") else dict(answer)


def question_keywords(question: str) -> list[str]:
    """The words of the question that search uses (stopwords and question words dropped), as written."""
    return keywords(question or "")


def ordinal(n: int) -> str:
    suffix = "th" if 10 <= n % 100 <= 20 else {1: "st", 2: "nd", 3: "rd"}.get(n % 10, "th")
    return f"{n}{suffix}"


def evidence_level(similarity: float | None) -> str | None:
    """"strong", "moderate" or "weak" for a best-sentence similarity; None when nothing was scored."""
    if similarity is None:
        return None
    if similarity >= STRONG_SIMILARITY:
        return "strong"
    return "moderate" if similarity >= WEAK_SIMILARITY else "weak"


def _source_dict(source: Any) -> dict[str, Any]:
    if isinstance(source, Mapping):
        return dict(source)
    return {  # an rag.answer.Source
        "title": source.title, "dense_rank": source.dense_rank, "bm25_rank": source.bm25_rank,
        "matched_terms": list(source.matched_terms), "named": source.named,
        "evidence": [{"text": e.text, "similarity": e.similarity} for e in source.evidence[:3]],
    }


def best_similarity(source: Any) -> float | None:
    ev = _source_dict(source).get("evidence") or []
    sims = [e.get("similarity") for e in ev if e.get("similarity") is not None]
    return max(sims) if sims else None


def explain_source(source: Any, question: str = "", mode: str = "hybrid") -> str:
    """One or three short sentences: which of the question's words the paper has, where dense and keyword search
    ranked it, and how strong its best sentence is. `question` is what was searched (`answer["search_query"]`)."""
    s = _source_dict(source)
    parts = ["Your question names it (its title starts with that name)."] if s.get("named") else []
    matched = list(s.get("matched_terms") or [])
    asked = question_keywords(question)
    if matched:
        of = f" of your {len(asked)}" if asked and len(asked) >= len(matched) else ""
        shown = ", ".join(matched[:8]) + (", …" if len(matched) > 8 else "")
        plural = "s" if (len(asked) if of else len(matched)) != 1 else ""  # "1 of your 5 key words"
        parts.append(f"It contains {len(matched)}{of} key word{plural}: {shown}.")
    elif asked:
        parts.append("It contains none of your key words (found by meaning alone).")
    parts.append(_ranks(s.get("dense_rank"), s.get("bm25_rank"), mode))
    level = evidence_level(best_similarity(s))
    if level:
        parts.append(f"{_LEVEL_WORDS[level]} (similarity {best_similarity(s):.2f}).")
    return " ".join(p for p in parts if p)


def _ranks(dense_rank: int | None, bm25_rank: int | None, mode: str) -> str:
    meaning = f"{ordinal(dense_rank)} by meaning" if dense_rank else None
    keywords = f"{ordinal(bm25_rank)} by keywords" if bm25_rank else None
    if mode == "dense":
        return f"Search ranked it {meaning} (meaning search only)." if meaning else ""
    if mode == "bm25":
        return f"Search ranked it {keywords} (keyword search only)." if keywords else ""
    if meaning and keywords:
        return f"Search ranked it {meaning} and {keywords}."
    if meaning:
        return f"Search ranked it {meaning}; keyword search did not find it."
    if keywords:
        return f"Search ranked it {keywords}; it was not among the closest by meaning."
    return ""


def explain_answer(answer: Any) -> list[str]:
    """One line per retrieved paper, cited ones first as "[n] Title: why", then the others as "- Title: why"."""
    d = as_dict(answer)
    question = d.get("search_query") or d.get("question") or ""
    number = {c["paper_id"]: c["n"] for c in d.get("citations") or []}
    cited = sorted((s for s in d.get("sources") or [] if s["paper_id"] in number), key=lambda s: number[s["paper_id"]])
    others = [s for s in d.get("sources") or [] if s["paper_id"] not in number]
    lines = [f"[{number[s['paper_id']]}] {s['title']}: {explain_source(s, question, d.get('mode', 'hybrid'))}"
             for s in cited]
    lines += [f"- {s['title']}: {explain_source(s, question, d.get('mode', 'hybrid'))}" for s in others]
    return lines


def describe_filters(filters: Mapping[str, Any] | None) -> str:
    """The filters of an answer in words ("2020-2023; author contains 'Hinton'"), "" when there are none."""
    f = dict(filters or {})
    bits = []
    y0, y1 = f.get("year_from"), f.get("year_to")
    if y0 and y1:
        bits.append(f"year {y0}" if y0 == y1 else f"years {y0}–{y1}")
    elif y0:
        bits.append(f"from {y0}")
    elif y1:
        bits.append(f"up to {y1}")
    for key in ("title", "author"):
        if f.get(key):
            bits.append(f"{key} contains “{f[key]}”")
    if f.get("categories"):
        bits.append("categories " + ", ".join(map(str, f["categories"])))
    if f.get("paper_ids"):
        n = len(f["paper_ids"])
        bits.append(f"within {n} paper{'s' if n != 1 else ''} of the previous answer")
    return "; ".join(bits)


def not_found_reason(answer: Any) -> str:
    """Why the answer is "not found", without scores or thresholds: the engine's own reason when it is in plain
    words, else what the closest paper shares with the question; then what to try."""
    d = as_dict(answer)
    question = d.get("search_query") or d.get("question") or ""
    asked = question_keywords(question)
    where = describe_filters({k: v for k, v in (d.get("filters") or {}).items() if k != "phrase"})
    reason = (d.get("reason") or "").strip()
    if reason and not re.search(r"\d\.\d\d|threshold|score", reason, re.I):
        lines = [reason if reason.endswith(".") else reason + "."]
    else:
        lines = [f"No paper {'matching the filter (' + where + ')' if where else 'in the collection'} answers this "
                 "question."]
        sources = d.get("sources") or []
        if sources:
            lines.append(_closest(sources[0], asked))
        elif asked:
            lines.append("No paper contains any of your key words.")
    if where:
        lines.append(f"Only papers matching the filter ({where}) were searched: widen or clear it to search more.")
    else:
        lines.append("Try other words for the same idea, or add papers on this topic to the collection.")
    return " ".join(lines)


def _closest(top: dict[str, Any], asked: list[str]) -> str:
    when = top.get("year") or (top.get("date") or "")[:4] or "n.d."
    matched = list(top.get("matched_terms") or [])
    if matched:
        share = (f"shares only {len(matched)} of your {len(asked)} key words ({', '.join(matched[:6])})"
                 if asked and len(asked) > len(matched) else f"has your key words ({', '.join(matched[:6])})")
    else:
        share = "shares none of your key words"
    level = evidence_level(best_similarity(top))
    tail = {"strong": "", None: "", "moderate": ", and none of its sentences states what you asked"}.get(
        level, ", and none of its sentences addresses your question")
    return f"The closest, “{top['title']}” ({when}), {share}{tail}."

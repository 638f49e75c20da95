"""Checking what a caller hands `ask()`: the question, top_k, filters, history. Every edge (the Python API, the
CLI, the Gradio API) goes through here, so a bad value gets the same one-line message everywhere, with the bound.

The bounds are the config's own (rag/settings.py): top_k 1..100, the question's length limit, years 1000..2999.
"""

from __future__ import annotations

from typing import Any

from rag.errors import UsageError

YEAR_RANGE = (1000, 2999)
TEXT_FILTER_LIMIT = 200  # characters of a title or author filter


def top_k_bounds() -> tuple[int, int]:
    from rag.settings import RetrievalSettings

    meta = RetrievalSettings.model_fields["top_k"].metadata
    lo = next(m.ge for m in meta if hasattr(m, "ge"))
    hi = next(m.le for m in meta if hasattr(m, "le"))
    return int(lo), int(hi)


def question(value: Any, limit: int) -> str:
    if value is None or (isinstance(value, str) and not value.strip()):
        raise UsageError("the question is empty: ask something about the papers.")
    if not isinstance(value, str):
        raise UsageError(f"the question must be text, not {type(value).__name__}.")
    text = value.strip()
    if len(text) > limit:
        raise UsageError(
            f"the question is {len(text):,} characters long; the limit is {limit:,} "
            "(retrieval.max_question_chars). Ask about one thing at a time."
        )
    return text


def top_k(value: Any, default: int) -> int:
    lo, hi = top_k_bounds()
    if value is None:
        return default
    try:
        if isinstance(value, bool) or (isinstance(value, float) and not value.is_integer()):
            raise ValueError
        k = int(value)
    except (TypeError, ValueError):
        raise UsageError(f"top_k must be a whole number from {lo} to {hi} (got {value!r}).") from None
    if not lo <= k <= hi:
        raise UsageError(f"top_k must be from {lo} to {hi} (got {k}).")
    return k


def year(name: str, value: Any) -> int | None:
    if value in (None, ""):
        return None
    lo, hi = YEAR_RANGE
    try:
        if isinstance(value, bool) or (isinstance(value, float) and not value.is_integer()):
            raise ValueError
        y = int(str(value).strip()) if isinstance(value, str) else int(value)
    except (TypeError, ValueError):
        raise UsageError(f"{name} must be a year from {lo} to {hi} (got {value!r}).") from None
    if not lo <= y <= hi:
        raise UsageError(f"{name} must be a year from {lo} to {hi} (got {y}).")
    return y


def text_filter(name: str, value: Any) -> str | None:
    if value is None:
        return None
    if not isinstance(value, str):
        raise UsageError(f"the {name} filter must be text (got {type(value).__name__}).")
    text = value.strip()
    if len(text) > TEXT_FILTER_LIMIT:
        raise UsageError(f"the {name} filter is {len(text)} characters long; the limit is {TEXT_FILTER_LIMIT}.")
    return text or None


def string_list(name: str, value: Any) -> list[str]:
    if value in (None, "", []):
        return []
    if isinstance(value, str):
        value = [value]
    if not isinstance(value, (list, tuple)) or not all(isinstance(v, str) for v in value):
        raise UsageError(f"{name} must be a list of strings.")
    return [v.strip() for v in value if v.strip()]


def year_range(year_from: int | None, year_to: int | None) -> None:
    if year_from and year_to and year_from > year_to:
        raise UsageError(f"the year range is reversed: from {year_from} to {year_to}; swap them.")

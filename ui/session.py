"""One browser session's conversation, as plain data: what was asked, what was answered, what the search
settings mean. Pure functions, unit-tested; ui/app.py keeps the data in gr.State and calls these.

A session holds `exchanges`: one {"question": str, "answer": dict | None} per question asked, in order, and the
chat shows two messages per exchange (the question, then the answer or a notice). An exchange has no answer when
it failed, was stopped, or was a question back to the user; only answered exchanges are history for follow-ups.
"""

from __future__ import annotations

import re
from typing import Any, Sequence


def answered(exchanges: Sequence[dict[str, Any]]) -> list[dict[str, Any]]:
    """The answers so far, oldest first: the history a follow-up question refers to."""
    return [e["answer"] for e in exchanges if e.get("answer")]


def _year(value: Any, label: str, notes: list[str]) -> int | None:
    text = str(value).strip() if value is not None else ""
    if text.lower() in ("", "any", "none", "0"):
        return None
    if re.fullmatch(r"\d{4}", text):
        return int(text)
    notes.append(f"“{label}” ({text}) is not a year: searched without it.")
    return None


def search_filters(
    year_from: Any, year_to: Any, author: Any = None, title: Any = None
) -> tuple[dict[str, Any], list[str]]:
    """The filters the search settings describe ("any" or empty: no limit), and notes on what was adjusted: a
    reversed year range is swapped rather than searched as an empty range, a value that is not a year is dropped."""
    notes: list[str] = []
    y0, y1 = _year(year_from, "Year from", notes), _year(year_to, "Year to", notes)
    if y0 and y1 and y0 > y1:
        notes.append(f"“Year from” ({y0}) was after “Year to” ({y1}): searched {y1}–{y0} instead.")
        y0, y1 = y1, y0
    out: dict[str, Any] = {}
    if y0:
        out["year_from"] = y0
    if y1:
        out["year_to"] = y1
    for key, value in (("author", author), ("title", title)):
        if isinstance(value, str) and value.strip():
            out[key] = value.strip()
    return out, notes


def message_text(content: Any) -> str:
    """A chat message's content as its text: the browser sends messages back with the content as a list of
    parts ({"type": "text", "text": ...}), the app writes it as a string."""
    if isinstance(content, str):
        return content
    if isinstance(content, dict):
        return str(content.get("text") or "")
    if isinstance(content, (list, tuple)):
        return "".join(message_text(part) for part in content)
    return ""


def drop_last(chat: list[dict[str, Any]], exchanges: list[dict[str, Any]]) -> tuple[list, list, str | None]:
    """The conversation without its last exchange, and that exchange's question (to ask it again)."""
    if not exchanges:
        return chat, exchanges, None
    return chat[: 2 * (len(exchanges) - 1)], exchanges[:-1], exchanges[-1]["question"]


class Stops:
    """Stop and New chat, as the running answer sees them. Each answer in progress holds a run of its browser
    session; Stop or New chat marks the session's current run, and the answer, between two streamed pieces, sees
    the mark and ends on its own (a stopped answer shows what it had, a cleared one shows nothing). Gradio's
    `cancels=` closes the answer's generator from another thread, which under load raced with a piece being made
    and put red "Error" panels over the chat (tests/ui/test_browser.py::test_stop_keeps_the_partial_answer_...)."""

    def __init__(self) -> None:
        import threading

        self._lock = threading.Lock()
        self._runs: dict[str, dict[str, str | None]] = {}

    def start(self, session: str) -> dict[str, str | None]:
        """A new run for `session`; earlier marks do not carry over to it."""
        run: dict[str, str | None] = {"mark": None}
        with self._lock:
            self._runs[session] = run
        return run

    def mark(self, session: str, why: str) -> None:
        """`why` is "stop" or "clear"; the session's current run sees it."""
        with self._lock:
            run = self._runs.get(session)
            if run is not None:
                run["mark"] = why

    def end(self, session: str, run: dict[str, str | None]) -> None:
        with self._lock:
            if self._runs.get(session) is run:
                del self._runs[session]

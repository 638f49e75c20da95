"""PaperRAG's core: `from rag import ask; ask("...").to_dict()`.

Importing `rag` is cheap: the model and the library open on the first question, in an Engine that is created
once per process and reused (`get_engine`). Tests and the UI build their own `Engine` and pass it around.
"""

from __future__ import annotations

import threading
from typing import TYPE_CHECKING, Any, Iterator

if TYPE_CHECKING:
    from rag.answer import Answer
    from rag.engine import Engine

__all__ = ["ask", "ask_stream", "get_engine", "reset_engine", "Engine"]

_engine: "Engine | None" = None
_engine_lock = threading.Lock()


def get_engine(settings: Any = None) -> "Engine":
    """The process-wide engine, created on first use (from `settings`, or config.yaml / env)."""
    global _engine
    with _engine_lock:
        # An equal settings object (not only the same one) reuses the engine: no second model load.
        if _engine is None or (settings is not None and _engine.settings != settings):
            from rag.engine import Engine

            _engine = Engine(settings)
        return _engine


def reset_engine() -> None:
    """Drop the process-wide engine (tests; after changing settings)."""
    global _engine
    with _engine_lock:
        _engine = None


def ask(question: str, *, history=None, filters=None, top_k=None, generator=None, settings=None, mode=None) -> "Answer":
    """Answer `question` from the indexed abstracts; see `rag.answer.Answer` for the result."""
    return get_engine(settings).ask(
        question, history=history, filters=filters, top_k=top_k, generator=generator, mode=mode
    )


def ask_stream(
    question: str, *, history=None, filters=None, top_k=None, generator=None, settings=None, mode=None
) -> Iterator["str | Answer"]:
    """Like `ask`, but yields the answer text as it is produced, then the final `Answer`."""
    return get_engine(settings).ask_stream(
        question, history=history, filters=filters, top_k=top_k, generator=generator, mode=mode
    )


def __getattr__(name: str) -> Any:
    if name == "Engine":
        from rag.engine import Engine

        return Engine
    raise AttributeError(name)

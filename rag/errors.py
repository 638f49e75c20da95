"""Errors a user can act on.

Every error raised on purpose by PaperRAG is a `PaperRAGError` whose message says what is wrong and how to fix
it. The edges translate them once: the CLI prints one line and exits with `exit_code`, the UI shows `gr.Error`.
"""

from __future__ import annotations


class PaperRAGError(Exception):
    """Base class: a problem the user can fix. `str(err)` is the one line shown to them."""

    exit_code = 1


class UsageError(PaperRAGError):
    """The command was called wrongly (empty question, bad flag combination)."""

    exit_code = 2


class ConfigError(PaperRAGError):
    """The configuration file or an environment override is invalid."""

    exit_code = 2


class SourceError(PaperRAGError):
    """An input file cannot be read at all (missing, empty, binary, malformed document)."""

    def __init__(self, path: str, message: str, line: int | None = None):
        self.path = str(path)
        self.line = line
        self.reason = message
        where = f"{self.path}:{line}" if line else self.path
        super().__init__(f"{where}: {message}")


class StoreError(PaperRAGError):
    """The vector store cannot be opened or used."""


class ModelMismatchError(StoreError):
    """The collection was built with another embedding model or chunking than the config asks for."""


class EmptyIndexError(StoreError):
    """There is nothing to search yet."""

    @classmethod
    def at(cls, location: str) -> "EmptyIndexError":
        return cls(f"no index at {location}: run `paperrag ingest PATH...` first (in the project folder, "
                   "`paperrag ingest` with no PATH ingests the bundled corpus).")


class GeneratorError(PaperRAGError):
    """The answer generator (local model or server) failed or cannot be reached."""


class ContextOverflowError(GeneratorError):
    """The prompt does not fit the language model's context window; the engine answers extractively instead."""

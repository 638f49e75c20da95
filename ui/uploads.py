"""Papers added from the browser: which uploaded files are accepted, and ingesting them. Each uploaded file is
recorded in the store as a source of kind "upload", by the name it was uploaded with (rag/library/sources.py), so
every page and every process lists it, and removing it takes out the papers no other source holds. Uploaded files
are deleted from Gradio's upload folder once ingested, so they do not pile up there.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from pathlib import Path
from typing import Any, Callable, Sequence

from rag.errors import UsageError


@dataclass
class UploadResult:
    report: dict[str, Any]
    added_ids: list[str] = field(default_factory=list)
    problems: list[str] = field(default_factory=list)  # files that could not be read, one line each
    sources: list[str] = field(default_factory=list)  # the names the uploaded files are recorded under


def check_uploads(
    names: Sequence[str | Path], upload_root: str | Path, max_mb: float, extensions: Sequence[str]
) -> list[Path]:
    """The uploaded files as paths, refusing anything Gradio did not receive itself, of the wrong type or too big."""
    root = Path(upload_root).resolve()
    paths = []
    for name in names:
        path = Path(name).resolve()
        if root not in path.parents:  # only files Gradio itself received, never a path a client names
            raise UsageError(f"{path.name}: not an uploaded file.")
        if path.suffix.lower() not in extensions:
            raise UsageError(f"{path.name}: unsupported file type; use one of {', '.join(sorted(extensions))}.")
        size_mb = path.stat().st_size / 1e6
        if size_mb > max_mb:
            raise UsageError(f"{path.name}: {size_mb:.1f} MB is over the {max_mb:g} MB upload limit.")
        paths.append(path)
    if not paths:
        raise UsageError("Choose one or more listing files first.")
    return paths


def ingest_files(engine: Any, paths: Sequence[Path], *, max_papers: int | None = None,
                 should_stop: Callable[[], bool] | None = None) -> UploadResult:
    """Ingest `paths` (checked by `check_uploads`) into the engine's library as uploads, then delete them; the
    report, the ids of the papers this upload added, the files that could not be read, and the sources recorded.
    More than `max_papers` papers are refused before anything is written; `should_stop` ends the upload between
    two batches."""
    from ingest.pipeline import Ingestor

    try:
        report = Ingestor(engine.settings, embedder=engine.embedder, library=engine.library).run(
            list(paths), progress=True, max_papers=max_papers, should_stop=should_stop, kind="upload")
    finally:
        for path in paths:
            Path(path).unlink(missing_ok=True)
    problems = [f"{Path(e.path).name}{':' + str(e.line) if e.line else ''}: {e.reason}" for e in report.file_errors]
    return UploadResult(report.to_dict(), sorted(report.added_ids), problems, list(report.sources))

"""Helpers for the UI tests that serve the app for real: a temp store with the bundled corpus (plus any extra
listing), a warm engine, the Gradio app on a free loopback port, and Chromium's flags."""

from __future__ import annotations

import shutil
from contextlib import contextmanager
from dataclasses import dataclass
from pathlib import Path
from typing import Any, Iterator

import pytest

from conftest import BUNDLED, free_port, make_settings

CHROMIUM_ARGS = [
    "--headless", "--no-sandbox", "--disable-gpu", "--disable-quic", "--no-first-run",
    "--disable-background-networking", "--disable-component-update", "--disable-sync",
]


@dataclass
class Live:
    url: str
    engine: Any
    settings: Any
    writer_port: int  # generator.base_url points here; nothing listens unless a test starts a server


def launch(app, settings) -> str:
    """Serve `app` in this process with the same options as `paperrag serve`; its URL."""
    from ui.app import launch_options

    app.launch(prevent_thread_lock=True, quiet=True, **launch_options(settings))
    return f"http://127.0.0.1:{settings.ui.port}/"


@contextmanager
def served(tmp: Path, embedder, extra: list[Path] = (), generator=None) -> Iterator[Live]:
    """The bundled corpus and `extra` listings in a store under `tmp`, served by the real app until exit."""
    from ingest.pipeline import Ingestor
    from rag.engine import Engine
    from ui.app import create_app

    writer_port = free_port()
    settings = make_settings(tmp, ui={"port": free_port()},
                             generator={"base_url": f"http://127.0.0.1:{writer_port}/v1", "timeout": 5})
    Ingestor(settings, embedder=embedder).run([BUNDLED, *extra], progress=False)
    engine = Engine(settings, embedder=embedder, generator=generator).warm_up()
    app = create_app(engine)
    url = launch(app, settings)
    try:
        yield Live(url, engine, settings, writer_port)
    finally:
        app.close()


def chromium_path() -> str:
    chromium = shutil.which("chromium") or "/usr/bin/chromium"
    if not Path(chromium).exists():
        pytest.fail("chromium is not installed: `apt-get install -y chromium` (.ci/run does this)")
    return chromium

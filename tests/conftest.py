"""Shared test setup: no network, state in temp dirs, one real embedding model per session."""

from __future__ import annotations

import os
import socket
from pathlib import Path

import pytest

os.environ["HF_HUB_OFFLINE"] = "1"
os.environ["TRANSFORMERS_OFFLINE"] = "1"
os.environ["GRADIO_ANALYTICS_ENABLED"] = "False"
os.environ["ANONYMIZED_TELEMETRY"] = "False"
for _name in [n for n in os.environ if n.startswith("PAPERRAG_")]:
    del os.environ[_name]

ROOT = Path(__file__).resolve().parents[1]
BUNDLED = ROOT / "data" / "daily_papers_2025-11-10.txt"
FIXTURES = Path(__file__).resolve().parent / "fixtures"


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


@pytest.fixture(scope="session")
def embedder():
    """The real packaged all-MiniLM-L6-v2, loaded once for the whole session."""
    from rag.embeddings import Embedder

    e = Embedder()
    e.model  # load now, not inside the first test's timing
    return e


def make_settings(tmp: Path, **sections):
    from rag.settings import load_settings

    store = {"persist_dir": tmp / "chroma", "cache_dir": tmp / "cache", **sections.pop("store", {})}
    return load_settings(ROOT / "config.yaml", store=store, **sections)


@pytest.fixture
def settings(tmp_path):
    """The shipped config with the store in this test's temp dir."""
    return make_settings(tmp_path)

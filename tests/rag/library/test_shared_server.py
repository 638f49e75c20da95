"""Many clients on one real `chroma run` server, as a team shares an index.

A second client with an empty cache answers its first question embedding nothing but the question (its lexical
index is rebuilt from the texts stored on the server); a paper written by one client is answered by the other on
its next question; a stopped server is one clear error.
"""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from conftest import BUNDLED, QUOKKA, make_settings
from ingest.pipeline import Ingestor
from rag.embeddings import Embedder
from rag.engine import Engine
from rag.errors import StoreError
from rag.library import Library

pytestmark = pytest.mark.slow



class CountingEmbedder(Embedder):
    """The real embedder, counting every text it encodes."""

    def __init__(self, settings):
        super().__init__(settings)
        self.texts: list[str] = []

    def embed(self, texts, **kwargs):
        texts = list(texts)
        self.texts.extend(texts)
        return super().embed(texts, **kwargs)


def client_settings(tmp_path: Path, name: str, port: int):
    """A client of the server with its own, initially empty, local cache."""
    return make_settings(tmp_path / name, store={"backend": "chroma-http", "port": port})


def test_second_client_with_an_empty_cache_answers_embedding_only_the_question(chroma_server, embedder, tmp_path):
    port, _ = chroma_server
    first = client_settings(tmp_path, "first", port)
    report = Ingestor(first, embedder=embedder).run([BUNDLED], progress=False)
    assert report.new == 87

    second = client_settings(tmp_path, "second", port)
    assert not (tmp_path / "second" / "cache").exists()
    counting = CountingEmbedder(second.embedding)
    answer = Engine(second, embedder=counting).ask("What makes hypernetworks hard to train?")
    assert answer.citations[0].title == "Magnitude Invariant Parametrizations Improve Hypernetwork Learning"
    assert "magnitude proportionality" in " ".join(answer.citations[0].evidence)
    assert counting.texts == ["What makes hypernetworks hard to train?"], "no sentence was embedded"
    library = Library(second)
    library.refresh()
    assert library.lexical.count() == 87, "the lexical index was rebuilt from the server's texts"
    assert library.stats()["store"]["location"].startswith(f"http://127.0.0.1:{port}")


def test_a_paper_written_by_one_client_is_answered_by_another_on_its_next_question(chroma_server, embedder, tmp_path):
    port, _ = chroma_server
    writer = client_settings(tmp_path, "writer", port)
    Ingestor(writer, embedder=embedder).run([BUNDLED], progress=False)
    reader = Engine(client_settings(tmp_path, "reader", port), embedder=embedder).warm_up()
    before = reader.ask("What does Quokka-Drift reduce on the Wombat-9 benchmark?")
    assert before.abstained

    listing = tmp_path / "new.jsonl"
    listing.write_text(json.dumps(QUOKKA) + "\n")
    assert Ingestor(writer, embedder=embedder).run([listing], progress=False).new == 1
    after = reader.ask("What does Quokka-Drift reduce on the Wombat-9 benchmark?")
    assert not after.abstained
    assert after.citations[0].title.startswith("Quokka-Drift")
    assert "37%" in after.answer
    # Found by keyword and by author filter in the reader's own lexical index, which it brought up to date.
    assert reader.ask("tapestry collapse Wombat-9", mode="bm25").sources[0].title.startswith("Quokka-Drift")
    by_author = reader.ask("sparse lattice models", filters={"author": "lovelace"})
    assert [s.title for s in by_author.sources] == [QUOKKA["title"]]

    Library(writer).remove(["arxiv:2601.00001"])
    gone = reader.ask("What does Quokka-Drift reduce on the Wombat-9 benchmark?")
    assert all(not s.title.startswith("Quokka") for s in gone.sources)


def test_a_stopped_server_is_one_clear_error(chroma_server, embedder, tmp_path):
    port, proc = chroma_server
    settings = client_settings(tmp_path, "c", port)
    Ingestor(settings, embedder=embedder).run([BUNDLED], progress=False)
    engine = Engine(settings, embedder=embedder).warm_up()
    proc.terminate()
    proc.wait(10)
    for call in (lambda: engine.ask("What makes hypernetworks hard to train?"), lambda: Library(settings).stats()):
        with pytest.raises(StoreError, match=f"cannot reach the Chroma server at http://127.0.0.1:{port}") as err:
            call()
        assert "\n" not in str(err.value) and "chroma run" in str(err.value)

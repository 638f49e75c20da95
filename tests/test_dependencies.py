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


def _imports(folders: tuple[str, ...]) -> dict[str, set[str]]:
    """Distribution name -> the files of these folders that import it."""
    distributions = importlib.metadata.packages_distributions()
    found: dict[str, set[str]] = {}
    for folder in folders:
        for path in sorted((ROOT / folder).rglob("*.py")):
            for node in ast.walk(ast.parse(path.read_text())):
                names = [a.name for a in node.names] if isinstance(node, ast.Import) else \
                    [node.module] if isinstance(node, ast.ImportFrom) and node.module and not node.level else []
                for name in names:
                    for dist in distributions.get(name.split(".")[0], []):
                        found.setdefault(dist.lower().replace("_", "-"), set()).add(path.relative_to(ROOT).as_posix())
    return found


def test_every_declared_dependency_is_used_where_it_is_declared():
    """deptry's other half: a core dependency is imported by the shipped code (rag, ingest, ui, cli, evals), a dev
    dependency by the tests; nothing is declared and left unused."""
    project = tomllib.loads((ROOT / "pyproject.toml").read_text())["project"]
    shipped = _imports(("rag", "ingest", "ui", "cli", "evals"))
    unused = sorted(d for d in _declared(project["dependencies"]) if d not in shipped)
    assert unused == [], f"declared in [project.dependencies] but never imported by the code: {unused}"
    tested = _imports(("tests", "benchmarks"))
    # pytest-timeout is a pytest plugin: it is used through the timeout marker, never imported.
    dev_unused = sorted(d for d in _declared(project["optional-dependencies"]["dev"])
                        if d not in tested and d not in shipped and d != "pytest-timeout")
    assert dev_unused == [], f"declared in the dev extra but never imported: {dev_unused}"

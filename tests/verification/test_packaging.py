"""pyproject.toml declares only what the package uses: each dependency is imported, each data glob matches."""

from __future__ import annotations

import ast
import importlib.metadata
import re
import tomllib
from pathlib import Path

ROOT = Path(__file__).resolve().parents[2]
PACKAGE = ROOT / "src" / "reelhouse"


def _project() -> dict:  # type: ignore[type-arg]
    return tomllib.loads((ROOT / "pyproject.toml").read_text())


def _imported_top_levels() -> set[str]:
    names: set[str] = set()
    for source in PACKAGE.rglob("*.py"):
        for node in ast.walk(ast.parse(source.read_text(), str(source))):
            if isinstance(node, ast.Import):
                names.update(alias.name.split(".")[0] for alias in node.names)
            elif isinstance(node, ast.ImportFrom) and node.module and node.level == 0:
                names.add(node.module.split(".")[0])
    return names


def test_every_runtime_dependency_is_imported_by_the_package() -> None:
    imported = _imported_top_levels()
    providers: dict[str, set[str]] = {}
    for module, distributions in importlib.metadata.packages_distributions().items():
        for distribution in distributions:
            providers.setdefault(distribution.lower().replace("_", "-"), set()).add(module)
    unused = []
    for requirement in _project()["project"]["dependencies"]:
        name = re.split(r"[<>=!~\[; ]", requirement, maxsplit=1)[0].lower().replace("_", "-")
        modules = providers.get(name, set())
        assert modules, f"{name} is declared but not installed"
        if not modules & imported:
            unused.append(name)
    assert unused == [], f"declared in pyproject.toml but never imported by src/reelhouse: {unused}"


def test_every_package_data_glob_matches_a_file() -> None:
    globs = _project()["tool"]["setuptools"]["package-data"]["reelhouse"]
    empty = [pattern for pattern in globs if not any(p.is_file() for p in PACKAGE.glob(pattern))]
    assert empty == [], f"package-data globs that match no file: {empty}"

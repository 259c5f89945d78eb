"""Each box imports only what its side of the data flow may know (shared/STYLE.md: one boundary per arrow)."""

from __future__ import annotations

import ast
from pathlib import Path

import pytest

PACKAGE = Path(__file__).parents[1] / "capital_pipeline"

# box -> module prefixes it must never import
FORBIDDEN = {
    "simulator": (
        "capital_pipeline.capital",
        "capital_pipeline.warehouse",
        "capital_pipeline.defs",
        "dagster",
    ),
    "capital": (
        "dagster",
        "pandas",
        "sqlalchemy",
        "duckdb",
        "capital_pipeline.simulator",
        "capital_pipeline.warehouse",
    ),
    "warehouse": ("dagster", "httpx", "capital_pipeline.capital", "capital_pipeline.simulator"),
    "snapshot": ("dagster", "httpx", "sqlalchemy", "duckdb", "capital_pipeline.simulator"),
}


def _imports(path: Path) -> set[str]:
    tree = ast.parse(path.read_text(encoding="utf-8"))
    found: set[str] = set()
    for node in ast.walk(tree):
        if isinstance(node, ast.Import):
            found |= {alias.name for alias in node.names}
        elif isinstance(node, ast.ImportFrom) and node.module and node.level == 0:
            found.add(node.module)
    return found


@pytest.mark.parametrize("box", sorted(FORBIDDEN))
def test_box_imports_nothing_across_its_boundary(box: str) -> None:
    crossings = [
        f"{path.relative_to(PACKAGE)} imports {name}"
        for path in sorted((PACKAGE / box).rglob("*.py"))
        for name in _imports(path)
        if name.startswith(FORBIDDEN[box])
    ]
    assert crossings == []

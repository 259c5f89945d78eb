"""The README's promises that tests check: its table catalogue, its settings, its example SQL."""

from __future__ import annotations

import re
from pathlib import Path

README = Path(__file__).parents[1] / "README.md"
CATALOGUE_START, CATALOGUE_END = "<!-- catalogue:start -->\n", "<!-- catalogue:end -->"


def readme_text() -> str:
    return README.read_text(encoding="utf-8")


def catalogue_section() -> str:
    text = readme_text()
    return text[text.index(CATALOGUE_START) + len(CATALOGUE_START) : text.index(CATALOGUE_END)]


def sql_examples() -> list[str]:
    """Every ```sql block of the README."""
    return re.findall(r"```sql\n(.*?)```", readme_text(), flags=re.DOTALL)

"""The README stays true: its catalogue is the declarations', and it names every setting the code reads."""

from __future__ import annotations

import re
from pathlib import Path

from capital_pipeline.warehouse import render_catalogue
from capital_pipeline_tests.readme import catalogue_section, readme_text

PACKAGE = Path(__file__).parents[1] / "capital_pipeline"


def test_readme_catalogue_is_rendered_from_the_table_declarations() -> None:
    assert catalogue_section() == render_catalogue()


def test_readme_documents_every_environment_variable_the_package_reads() -> None:
    read = set()
    for path in PACKAGE.rglob("*.py"):
        read |= set(re.findall(r'"(CAPITAL_[A-Z_]+)"', path.read_text(encoding="utf-8")))
    documented = set(re.findall(r"^\| `(CAPITAL_[A-Z_]+)` \|", readme_text(), flags=re.MULTILINE))
    assert read, "the package reads its settings from CAPITAL_* variables"
    assert read <= documented

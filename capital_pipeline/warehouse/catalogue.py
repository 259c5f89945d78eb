"""Documentation derived from the declarations: Dagster column schemas and the README's table catalogue."""

from __future__ import annotations

from collections.abc import Iterable

from .declarations import Column, Table
from .tables import TABLES
from .views import VIEWS, View

__all__ = ["column_schema", "render_catalogue"]


def column_schema(table: Table) -> list[tuple[str, str, str]]:
    """``(name, type_name, description)`` per column, for the Dagster layer to turn into a ``TableSchema``."""
    return [(column.name, column.type.value, column.description) for column in table.columns]


def _cell(text: str) -> str:
    return text.replace("|", "\\|").replace("\n", " ")


def _null_rule(column: Column) -> str:
    if column.key:
        return "key"
    return "yes" if column.nullable else "no"


def _table_section(table: Table) -> list[str]:
    lines = [
        f"### `{table.name}`",
        "",
        table.description,
        "",
        f"- Grain: {table.grain}",
        f"- Keys: {', '.join(f'`{key}`' for key in table.keys)}",
        f"- Write mode: {table.write_mode.value}",
        "",
        "| column | type | null | description |",
        "|---|---|---|---|",
    ]
    lines += [
        f"| `{c.name}` | {c.type.value} | {_null_rule(c)} | {_cell(c.description)} |" for c in table.columns
    ]
    return [*lines, ""]


def render_catalogue(tables: Iterable[Table] = TABLES, views: Iterable[View] = VIEWS) -> str:
    """The markdown catalogue: per table its grain, keys, write mode and every column; then the views."""
    lines: list[str] = []
    for table in tables:
        lines += _table_section(table)
    lines += ["### Views", "", "| view | shows |", "|---|---|"]
    lines += [f"| `{view.name}` | {_cell(view.description)} |" for view in views]
    return "\n".join([*lines, ""])

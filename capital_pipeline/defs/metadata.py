"""Materialization metadata derived from the warehouse declarations: row count, column schema, a preview."""

from __future__ import annotations

from typing import Any

import pandas as pd
import pyarrow as pa
from dagster import MetadataValue, TableColumn, TableSchema

from capital_pipeline.warehouse import column_schema, table_named

__all__ = ["PREVIEW_ROWS", "table_metadata", "table_schema"]

PREVIEW_ROWS = 5
# Long JSON cells would swamp the preview; the full value is in the table.
_PREVIEW_CELL = 60


def table_schema(table: str) -> TableSchema:
    """The declared columns of ``table`` as Dagster's ``TableSchema``."""
    return TableSchema(
        columns=[
            TableColumn(name, type=type_name, description=description)
            for name, type_name, description in column_schema(table_named(table))
        ]
    )


def _cell(value: Any) -> str:
    text = "" if value is None or (isinstance(value, float) and value != value) else str(value)
    text = text.replace("|", "\\|").replace("\n", " ")
    return text if len(text) <= _PREVIEW_CELL else text[: _PREVIEW_CELL - 1] + "…"


def _preview(frame: pd.DataFrame | pa.Table) -> str:
    # Of an Arrow table only the previewed rows come to pandas.
    head = (
        frame.slice(0, PREVIEW_ROWS).to_pandas() if isinstance(frame, pa.Table) else frame.head(PREVIEW_ROWS)
    )
    columns = [name for name in head.columns if name != "raw"]
    lines = ["| " + " | ".join(columns) + " |", "|" + "---|" * len(columns)]
    lines += ["| " + " | ".join(_cell(row[name]) for name in columns) + " |" for _, row in head.iterrows()]
    return "\n".join(lines)


def table_metadata(
    table: str, frame: pd.DataFrame | pa.Table, *, rows: int | None = None, **extra: Any
) -> dict[str, Any]:
    """``dagster/row_count``, ``dagster/column_schema`` and a markdown preview of the first rows; ``rows``
    when ``frame`` holds only the first rows of a table staged as it was fetched."""
    return {
        "dagster/row_count": len(frame) if rows is None else rows,
        "dagster/column_schema": table_schema(table),
        "preview": MetadataValue.md(_preview(frame)),
        **extra,
    }

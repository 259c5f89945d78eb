"""DDL derived from the declarations: schema, tables with primary keys, comments from descriptions."""

from __future__ import annotations

from collections.abc import Iterable

from .declarations import Column, Table
from .dialects import Namespace

__all__ = ["add_column_sql", "comment_statements", "create_table_sql", "schema_statements"]


def _literal(text: str) -> str:
    return "'" + text.replace("'", "''") + "'"


def _column_definition(column: Column, namespace: Namespace) -> str:
    dialect = namespace.dialect
    not_null = "" if column.nullable else " NOT NULL"
    return f"{dialect.quote(column.name)} {dialect.type_name(column.type)}{not_null}"


def create_table_sql(table: Table, namespace: Namespace) -> str:
    """``CREATE TABLE IF NOT EXISTS`` for ``table``, keyed by ``snapshot_id`` and the table's key columns."""
    quote = namespace.dialect.quote
    lines = [_column_definition(column, namespace) for column in table.columns]
    if namespace.dialect.primary_keys:
        lines.append(f"PRIMARY KEY ({', '.join(quote(key) for key in table.keys)})")
    body = ",\n    ".join(lines)
    return f"CREATE TABLE IF NOT EXISTS {namespace.qualify(table.name)} (\n    {body}\n)"


def add_column_sql(table: Table, column: Column, namespace: Namespace) -> str:
    """Adds a column declared after the table was created; nullable, since older snapshots lack it."""
    dialect = namespace.dialect
    definition = f"{dialect.quote(column.name)} {dialect.type_name(column.type)}"
    return f"ALTER TABLE {namespace.qualify(table.name)} ADD COLUMN {definition}"


def _table_comments(table: Table, namespace: Namespace) -> list[str]:
    qualified = namespace.qualify(table.name)
    quote = namespace.dialect.quote
    statements = [f"COMMENT ON TABLE {qualified} IS {_literal(f'{table.description} Grain: {table.grain}.')}"]
    statements += [
        f"COMMENT ON COLUMN {qualified}.{quote(column.name)} IS {_literal(column.description)}"
        for column in table.columns
    ]
    return statements


def schema_statements(tables: Iterable[Table], namespace: Namespace) -> list[str]:
    """The statements creating the schema and ``tables`` if they do not exist yet."""
    return [
        f"CREATE SCHEMA IF NOT EXISTS {namespace.qualify()}",
        *(create_table_sql(table, namespace) for table in tables),
    ]


def comment_statements(tables: Iterable[Table], namespace: Namespace) -> list[str]:
    """``COMMENT ON`` every table and column: the declaration's descriptions, readable from SQL clients."""
    return [statement for table in tables for statement in _table_comments(table, namespace)]

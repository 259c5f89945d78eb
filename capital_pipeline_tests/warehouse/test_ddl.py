"""DDL follows the declaration: types per dialect, NOT NULL, primary keys, comments, added columns."""

from __future__ import annotations

from dataclasses import replace

from capital_pipeline.warehouse import Column, LogicalType, column_schema, render_catalogue, table_named
from capital_pipeline.warehouse.ddl import (
    add_column_sql,
    comment_statements,
    create_table_sql,
    schema_statements,
)
from capital_pipeline.warehouse.dialects import DUCKDB, POSTGRESQL, Namespace

DUCK = Namespace(DUCKDB, "capital", "capital")
POSTGRES = Namespace(POSTGRESQL, "capital")
WATCHLIST_MARKETS = table_named("watchlist_markets")


def test_duckdb_table_ddl_is_fully_qualified_and_typed_without_a_primary_key() -> None:
    assert create_table_sql(WATCHLIST_MARKETS, DUCK) == (
        'CREATE TABLE IF NOT EXISTS "capital"."capital"."watchlist_markets" (\n'
        '    "snapshot_id" VARCHAR NOT NULL,\n'
        '    "snapshot_at" TIMESTAMPTZ NOT NULL,\n'
        '    "watchlist_id" VARCHAR NOT NULL,\n'
        '    "epic" VARCHAR NOT NULL,\n'
        '    "position" BIGINT NOT NULL\n'
        ")"
    )


def test_postgresql_tables_have_the_declared_primary_key() -> None:
    assert create_table_sql(WATCHLIST_MARKETS, POSTGRES).endswith(
        '"position" BIGINT NOT NULL,\n    PRIMARY KEY ("snapshot_id", "watchlist_id", "epic")\n)'
    )


def test_postgresql_types_come_from_sqlalchemy() -> None:
    ddl = create_table_sql(table_named("markets"), POSTGRES)
    assert ddl.startswith('CREATE TABLE IF NOT EXISTS "capital"."markets" (')
    for line in (
        '"raw" JSON NOT NULL',
        '"bid" DOUBLE PRECISION,',
        '"update_time" TIMESTAMP WITH TIME ZONE,',
        '"delay_time" BIGINT,',
        '"guaranteed_stop_allowed" BOOLEAN,',
        '"epic" TEXT NOT NULL',
    ):
        assert line in ddl


def test_adding_a_column_to_a_declaration_changes_ddl_schema_and_catalogue() -> None:
    spread = Column("spread", LogicalType.FLOAT, "offer minus bid.")
    markets = table_named("markets")
    wider = replace(markets, columns=(*markets.columns, spread))
    assert '"spread" DOUBLE' not in create_table_sql(markets, DUCK)
    assert create_table_sql(wider, DUCK).endswith('"spread" DOUBLE\n)')
    assert '"spread" DOUBLE PRECISION,\n    PRIMARY KEY' in create_table_sql(wider, POSTGRES)
    assert column_schema(wider)[-1] == ("spread", "float", "offer minus bid.")
    assert "| `spread` | float | yes | offer minus bid. |" in render_catalogue([wider])
    assert "`spread`" not in render_catalogue([markets])
    assert (
        add_column_sql(wider, spread, POSTGRES)
        == 'ALTER TABLE "capital"."markets" ADD COLUMN "spread" DOUBLE PRECISION'
    )


def test_schema_statements_create_the_schema_first_and_never_fail_when_it_exists() -> None:
    statements = schema_statements([WATCHLIST_MARKETS], POSTGRES)
    assert statements[0] == 'CREATE SCHEMA IF NOT EXISTS "capital"'
    assert all("IF NOT EXISTS" in statement for statement in statements)


def test_comments_carry_the_descriptions_with_quotes_escaped() -> None:
    statements = comment_statements([table_named("navigation_markets")], POSTGRES)
    assert statements[0].startswith('COMMENT ON TABLE "capital"."navigation_markets" IS \'Which markets')
    assert "Place in the node''s market list" in statements[-1]
    assert len(statements) == 1 + len(table_named("navigation_markets").columns)

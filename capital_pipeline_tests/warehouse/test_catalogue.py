"""The catalogue and the Dagster column schema render every declared column."""

from __future__ import annotations

from pathlib import Path

from capital_pipeline.warehouse import TABLES, VIEWS, column_schema, render_catalogue, table_named

README = Path(__file__).parents[2] / "capital_pipeline" / "warehouse" / "README.md"


def test_the_catalogue_renders_grain_keys_write_mode_and_every_column() -> None:
    catalogue = render_catalogue()
    for table in TABLES:
        assert f"### `{table.name}`" in catalogue
        assert f"- Grain: {table.grain}" in catalogue
        for column in table.columns:
            assert f"| `{column.name}` | {column.type.value} |" in catalogue
    assert "- Keys: `snapshot_id`, `watchlist_id`, `epic`" in catalogue
    assert "- Write mode: replace snapshot" in catalogue
    for view in VIEWS:
        assert f"`{view.name}`" in catalogue


def test_the_catalogue_marks_keys_and_nullability() -> None:
    catalogue = render_catalogue([table_named("navigation_nodes")])
    assert "| `node_id` | text | key |" in catalogue
    assert "| `depth` | integer | no |" in catalogue
    assert "| `parent_id` | text | yes |" in catalogue


def test_column_schema_is_plain_name_type_description_tuples() -> None:
    schema = column_schema(table_named("accounts"))
    assert schema[0] == ("snapshot_id", "text", "The snapshot this row belongs to.")
    assert ("balance", "float", "`balance.balance`, in the account currency.") in schema
    assert len(schema) == len(table_named("accounts").columns)


def test_the_warehouse_readme_holds_the_current_catalogue() -> None:
    assert render_catalogue() in README.read_text(encoding="utf-8")

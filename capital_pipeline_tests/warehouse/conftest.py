"""One test body, two databases: DuckDB in a temporary file and the PostgreSQL test server."""

from __future__ import annotations

import pytest

from capital_pipeline.warehouse import Warehouse


@pytest.fixture(params=["duckdb", pytest.param("postgres", marks=pytest.mark.postgres)])
def warehouse_location(
    request: pytest.FixtureRequest, tmp_path_factory: pytest.TempPathFactory
) -> tuple[str, str]:
    """``(url, schema)``; the DuckDB file is named after the schema, the ambiguous case (FIELD-NOTES)."""
    if request.param == "duckdb":
        return str(tmp_path_factory.mktemp("warehouse") / "capital.duckdb"), "capital"
    return request.getfixturevalue("postgres_url"), request.getfixturevalue("postgres_schema")


@pytest.fixture
def warehouse(warehouse_location: tuple[str, str]) -> Warehouse:
    """A warehouse with its schema, tables and views created."""
    url, schema = warehouse_location
    created = Warehouse(url, schema=schema)
    created.ensure_schema()
    return created


@pytest.fixture
def is_postgres(warehouse_location: tuple[str, str]) -> bool:
    """Whether this run of the test body is the PostgreSQL one."""
    return warehouse_location[0].startswith("postgresql")

"""SQLAlchemy URLs: passwords stay hidden, psycopg 3 is used, PostgreSQL lock timeouts, the non-COPY path."""

from __future__ import annotations

import pytest
import sqlalchemy as sa

from capital_pipeline.warehouse import Warehouse, WarehouseError, WarehouseLocked, table_named
from capital_pipeline.warehouse.frames import snapshot_rows
from capital_pipeline.warehouse.sqlalchemy_backend import insert_rows

from .factory import frames, market, snapshot

SECRET = "s3cret-Pa55"


def test_a_password_in_the_url_never_reaches_repr_or_errors() -> None:
    # Port 1 on loopback refuses at once: the connection error must not quote the URL's password.
    warehouse = Warehouse(f"postgresql://capital:{SECRET}@127.0.0.1:1/test")
    assert SECRET not in repr(warehouse)
    assert "capital:***@127.0.0.1:1" in repr(warehouse)
    with pytest.raises(WarehouseError) as raised:
        warehouse.ensure_schema()
    assert SECRET not in str(raised.value)
    assert "***" in str(raised.value)


def test_an_unparsable_url_is_refused_without_quoting_it() -> None:
    with pytest.raises(WarehouseError, match="cannot parse the warehouse URL") as raised:
        Warehouse(f"postgresql://capital:{SECRET}@127.0.0.1:port/test")
    assert SECRET not in str(raised.value)


@pytest.mark.postgres
@pytest.mark.parametrize(
    "url",
    ["sqlite:///{folder}/w.sqlite", "mysql://user:pw-secret@127.0.0.1/w", "mariadb+pymysql://127.0.0.1/w"],
)
def test_a_database_that_cannot_hold_the_warehouse_is_refused_by_name_before_connecting(
    url: str, tmp_path
) -> None:
    with pytest.raises(
        WarehouseError, match=r"cannot hold the warehouse: .*use DuckDB .* or PostgreSQL"
    ) as error:
        Warehouse(url.format(folder=tmp_path))
    assert "pw-secret" not in str(error.value)
    assert list(tmp_path.iterdir()) == []  # SQLite would have made the file on connecting


def test_a_plain_postgresql_url_uses_psycopg_3(postgres_url: str, postgres_schema: str) -> None:
    plain = sa.make_url(postgres_url).set(drivername="postgresql").render_as_string(hide_password=False)
    warehouse = Warehouse(plain, schema=postgres_schema)
    warehouse.ensure_schema()
    assert "postgresql+psycopg://" in repr(warehouse)


@pytest.mark.postgres
def test_waiting_on_another_transactions_lock_ends_with_warehouse_locked(
    postgres_url: str, postgres_schema: str
) -> None:
    warehouse = Warehouse(postgres_url, schema=postgres_schema, lock_timeout=0.3)
    warehouse.ensure_schema()
    warehouse.publish_snapshot(snapshot(1), frames([market("SILVER")], {}))
    engine = sa.create_engine(postgres_url)
    try:
        with engine.connect() as other:
            other.execute(sa.text(f"DELETE FROM \"{postgres_schema}\".markets WHERE snapshot_id = 's1'"))
            with pytest.raises(WarehouseLocked, match="lock_timeout reached"):
                warehouse.publish_snapshot(snapshot(1), frames([market("GOLD")], {}))
            other.rollback()
    finally:
        engine.dispose()
    assert list(warehouse.query("SELECT epic FROM markets")["epic"]) == ["SILVER"]


@pytest.mark.postgres
def test_multi_row_inserts_store_what_copy_stores(postgres_url: str, postgres_schema: str) -> None:
    warehouse = Warehouse(postgres_url, schema=postgres_schema)
    warehouse.ensure_schema()
    markets = table_named("markets")
    published = frames([market("SILVER"), market("GOLD", name="Gold \"spot\", 'quoted'")], {})
    warehouse.publish_snapshot(snapshot(1), published)
    frame = published["markets"]
    with warehouse._backend.session(postgres_schema, write=True) as session:
        rows = snapshot_rows(markets, frame, "s2", snapshot(2).snapshot_at, warehouse._backend.dialect)
        insert_rows(session._connection, markets, rows, session.namespace)
    stored = warehouse.query("SELECT * FROM markets ORDER BY epic, snapshot_id")
    by_copy, by_insert = stored[stored.snapshot_id == "s1"], stored[stored.snapshot_id == "s2"]
    payload = [c.name for c in markets.frame_columns]
    assert by_copy[payload].reset_index(drop=True).equals(by_insert[payload].reset_index(drop=True))

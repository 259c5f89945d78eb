"""Publishing and reading snapshots, the same test body on DuckDB and PostgreSQL."""

from __future__ import annotations

import json
import subprocess
import sys
from dataclasses import replace
from datetime import timedelta, timezone
from pathlib import Path

import pandas as pd
import pyarrow as pa
import pytest

from capital_pipeline.warehouse import DATA_TABLES, TABLES, Warehouse, WarehouseError, table_named
from capital_pipeline.warehouse import warehouse as warehouse_module

from .factory import as_arrow, as_arrow_frames, frames, market, snapshot

REPOSITORY = Path(__file__).parents[2]
METALS = {"1": ("Metals", ["SILVER", "GOLD"])}


def two_markets() -> dict[str, pd.DataFrame]:
    return frames([market("SILVER"), market("GOLD")], METALS)


def test_ensure_schema_twice_changes_nothing_and_keeps_rows(warehouse: Warehouse) -> None:
    warehouse.publish_snapshot(snapshot(1), two_markets())
    warehouse.ensure_schema()
    assert warehouse.table_counts("s1")["markets"] == 2
    assert warehouse.latest_snapshot() is not None


def test_ensure_schema_adds_columns_declared_after_the_table_was_created(
    warehouse_location: tuple[str, str], monkeypatch: pytest.MonkeyPatch
) -> None:
    url, schema = warehouse_location
    warehouse = Warehouse(url, schema=schema)
    markets = table_named("markets")
    older = replace(markets, columns=tuple(c for c in markets.columns if c.name != "country"))
    with monkeypatch.context() as patch:
        patch.setattr(warehouse_module, "TABLES", tuple(older if t is markets else t for t in TABLES))
        warehouse.ensure_schema()
    warehouse.ensure_schema()
    warehouse.publish_snapshot(snapshot(1), two_markets())
    assert set(warehouse.query("SELECT country FROM latest_markets")["country"]) == {
        "United States of America"
    }


def test_reads_before_the_schema_exists_answer_nothing_yet(warehouse_location: tuple[str, str]) -> None:
    url, schema = warehouse_location
    fresh = Warehouse(url, schema=schema)
    assert not fresh.is_initialized()
    assert fresh.previous_counts("markets") is None
    assert fresh.latest_snapshot() is None
    fresh.ensure_schema()
    assert fresh.is_initialized()
    assert fresh.previous_counts("markets") is None


def test_publish_writes_exactly_the_frames_rows(warehouse: Warehouse) -> None:
    published = two_markets()
    returned = warehouse.publish_snapshot(snapshot(1), published)
    assert returned == {name: len(frame) for name, frame in published.items()}
    assert warehouse.table_counts("s1") == returned
    stored = warehouse.query("SELECT * FROM markets ORDER BY epic")
    expected = published["markets"].sort_values("epic").reset_index(drop=True)
    assert list(stored["epic"]) == list(expected["epic"])
    assert set(stored["snapshot_id"]) == {"s1"}
    assert list(stored["margin_factor"]) == list(expected["margin_factor"])
    assert [json.loads(raw) for raw in stored["raw"]] == list(expected["raw"])
    assert list(stored["update_time"]) == list(expected["update_time"])
    assert list(stored.columns[:2]) == ["snapshot_id", "snapshot_at"]


def test_arrow_tables_publish_the_same_rows_as_frames(warehouse: Warehouse) -> None:
    warehouse.publish_snapshot(snapshot(1), two_markets())
    warehouse.publish_snapshot(snapshot(2), as_arrow_frames(two_markets()))
    mixed = two_markets()
    mixed["markets"] = as_arrow("markets", mixed["markets"])
    mixed["watchlist_markets"] = as_arrow("watchlist_markets", mixed["watchlist_markets"])
    warehouse.publish_snapshot(snapshot(3), mixed)
    for table in DATA_TABLES:
        columns = ", ".join(column.name for column in table.frame_columns)
        stored = [
            warehouse.query(
                f"SELECT {columns} FROM {table.name} WHERE snapshot_id = :s ORDER BY {', '.join(table.keys)}",
                {"s": f"s{day}"},
            )
            for day in (1, 2, 3)
        ]
        assert len(stored[0]) > 0
        pd.testing.assert_frame_equal(stored[1], stored[0])
        pd.testing.assert_frame_equal(stored[2], stored[0])


def test_arrow_large_and_dictionary_strings_publish_as_text(warehouse: Warehouse) -> None:
    published = as_arrow_frames(two_markets())
    markets = published["markets"]
    for name in ("epic", "instrument_name", "raw"):
        column = markets.column(name)
        wide = column.cast(pa.large_string()) if name != "raw" else column.dictionary_encode()
        markets = markets.set_column(markets.column_names.index(name), name, wide)
    published["markets"] = markets.select(markets.column_names[::-1])
    warehouse.publish_snapshot(snapshot(1), published)
    stored = warehouse.query("SELECT epic, instrument_name, raw FROM markets ORDER BY epic")
    assert list(stored["epic"]) == ["GOLD", "SILVER"]
    assert list(stored["instrument_name"]) == ["Gold", "Silver"]
    assert list(stored["raw"]) == sorted(markets.column("raw").to_pylist())


def test_an_arrow_table_breaking_its_declaration_writes_nothing(warehouse: Warehouse) -> None:
    warehouse.publish_snapshot(snapshot(1), two_markets())
    broken = two_markets()
    broken["markets"] = as_arrow("markets", pd.concat([broken["markets"], broken["markets"].iloc[:1]]))
    with pytest.raises(WarehouseError, match=r"^markets: 2 rows share a key \(epic\)"):
        warehouse.publish_snapshot(snapshot(2), broken)
    assert set(warehouse.table_counts("s2").values()) == {0}
    assert warehouse.latest_snapshot().snapshot.snapshot_id == "s1"


def test_republishing_a_snapshot_replaces_its_rows(warehouse: Warehouse) -> None:
    warehouse.publish_snapshot(snapshot(1), two_markets())
    warehouse.publish_snapshot(snapshot(1), frames([market("OIL", name="Crude")], {}))
    stored = warehouse.query("SELECT epic, instrument_name FROM markets")
    assert stored.to_dict("records") == [{"epic": "OIL", "instrument_name": "Crude"}]
    assert warehouse.table_counts("s1")["watchlist_markets"] == 0
    assert len(warehouse.query("SELECT * FROM snapshots")) == 1


def test_a_frame_breaking_its_declaration_writes_nothing(warehouse: Warehouse) -> None:
    warehouse.publish_snapshot(snapshot(1), two_markets())
    broken = two_markets()
    broken["markets"] = pd.concat([broken["markets"], broken["markets"].iloc[:1]])
    with pytest.raises(WarehouseError, match=r"^markets: 2 rows share a key \(epic\)"):
        warehouse.publish_snapshot(snapshot(2), broken)
    assert set(warehouse.table_counts("s2").values()) == {0}
    assert warehouse.table_counts("s1")["markets"] == 2
    assert warehouse.latest_snapshot().snapshot.snapshot_id == "s1"


def test_json_text_that_is_not_json_fails_the_publish_naming_the_table(warehouse: Warehouse) -> None:
    warehouse.publish_snapshot(snapshot(1), two_markets())
    broken = frames([market("SILVER", raw="{not json")], {})
    with pytest.raises(WarehouseError, match=r"^markets: "):
        warehouse.publish_snapshot(snapshot(2), broken)
    assert set(warehouse.table_counts("s2").values()) == {0}
    assert warehouse.latest_snapshot().snapshot.snapshot_id == "s1"


def test_a_failure_between_tables_rolls_the_whole_snapshot_back(
    warehouse: Warehouse, monkeypatch: pytest.MonkeyPatch
) -> None:
    warehouse.publish_snapshot(snapshot(1), two_markets())
    written: list[str] = []
    replace_rows = warehouse_module._replace_snapshot_rows

    def fail_at_watchlists(session, table, snapshot_id, rows):  # type: ignore[no-untyped-def]
        if table.name == "watchlists":
            raise RuntimeError("killed between tables")
        replace_rows(session, table, snapshot_id, rows)
        written.append(table.name)

    monkeypatch.setattr(warehouse_module, "_replace_snapshot_rows", fail_at_watchlists)
    with pytest.raises(RuntimeError, match="killed between tables"):
        warehouse.publish_snapshot(snapshot(1), frames([market("OIL")], {}))
    with pytest.raises(RuntimeError):
        warehouse.publish_snapshot(snapshot(2), frames([market("OIL")], {}))
    assert written[:4] == ["accounts", "account_preferences", "navigation_nodes", "navigation_markets"]
    assert set(warehouse.table_counts("s2").values()) == {0}
    assert warehouse.table_counts("s1")["markets"] == 2
    assert set(warehouse.query("SELECT epic FROM latest_markets")["epic"]) == {"SILVER", "GOLD"}


def test_a_killed_publisher_leaves_nothing_of_its_snapshot(
    warehouse: Warehouse, warehouse_location: tuple[str, str]
) -> None:
    warehouse.publish_snapshot(snapshot(1), two_markets())
    publisher = subprocess.Popen(
        [sys.executable, "-m", "capital_pipeline_tests.warehouse.interrupted_publish", *warehouse_location],
        cwd=REPOSITORY,
        stdout=subprocess.PIPE,
        text=True,
    )
    assert publisher.stdout is not None and publisher.stdout.readline() == "midway\n"
    publisher.kill()
    publisher.communicate()
    assert set(warehouse.table_counts("s2").values()) == {0}
    assert warehouse.table_counts("s1")["markets"] == 2
    warehouse.publish_snapshot(snapshot(2), frames([market("OIL")], {}))
    assert warehouse.table_counts("s2")["markets"] == 1


def test_publish_needs_every_table_and_no_others(warehouse: Warehouse) -> None:
    partial = two_markets()
    del partial["accounts"]
    partial["positions"] = pd.DataFrame()
    with pytest.raises(WarehouseError, match=r"missing \['accounts'\], unknown \['positions'\]"):
        warehouse.publish_snapshot(snapshot(1), partial)


def test_a_failed_snapshot_is_recorded_without_rows_and_hidden_from_latest(warehouse: Warehouse) -> None:
    warehouse.publish_snapshot(snapshot(1), two_markets())
    warehouse.record_failed_snapshot(snapshot(2), "error.too-many.requests on /markets")
    stored = warehouse.query(
        "SELECT snapshot_id, status, error, row_counts FROM snapshots ORDER BY snapshot_id"
    )
    assert stored.to_dict("records") == [
        {"snapshot_id": "s1", "status": "succeeded", "error": None, "row_counts": stored["row_counts"][0]},
        {
            "snapshot_id": "s2",
            "status": "failed",
            "error": "error.too-many.requests on /markets",
            "row_counts": None,
        },
    ]
    assert json.loads(stored["row_counts"][0])["markets"] == 2
    assert set(warehouse.table_counts("s2").values()) == {0}
    assert warehouse.latest_snapshot().snapshot.snapshot_id == "s1"


def test_latest_snapshot_reads_back_what_was_published(warehouse: Warehouse) -> None:
    assert warehouse.latest_snapshot() is None
    taken = snapshot(1)
    warehouse.publish_snapshot(taken, two_markets())
    record = warehouse.latest_snapshot()
    assert record is not None
    assert record.snapshot == taken
    assert (record.status, record.error) == ("succeeded", None)
    assert record.row_counts == warehouse.table_counts("s1")


def test_latest_views_show_the_newest_succeeded_snapshot(warehouse: Warehouse) -> None:
    warehouse.publish_snapshot(snapshot(1), two_markets())
    warehouse.publish_snapshot(snapshot(2), frames([market("OIL")], {}))
    warehouse.record_failed_snapshot(snapshot(3), "late failure")
    for table in DATA_TABLES:
        latest = warehouse.query(f"SELECT DISTINCT snapshot_id FROM latest_{table.name}")
        assert list(latest["snapshot_id"]) in (["s2"], []), table.name
    assert list(warehouse.query("SELECT epic FROM latest_markets")["epic"]) == ["OIL"]
    assert list(warehouse.query("SELECT snapshot_id FROM latest_snapshots")["snapshot_id"]) == ["s2"]


def test_a_failure_recorded_after_a_publish_keeps_the_published_snapshot(warehouse: Warehouse) -> None:
    warehouse.publish_snapshot(snapshot(1), two_markets())
    assert warehouse.record_failed_snapshot(snapshot(1), "a re-run of the tick failed") is False
    record = warehouse.latest_snapshot()
    assert record is not None and (record.snapshot.snapshot_id, record.status) == ("s1", "succeeded")
    assert warehouse.table_counts("s1")["markets"] == 2


def test_previous_counts_skip_the_given_snapshot_and_failed_ones(warehouse: Warehouse) -> None:
    assert warehouse.previous_counts("markets") is None
    warehouse.publish_snapshot(snapshot(1), two_markets())
    warehouse.publish_snapshot(snapshot(2), frames([market("OIL")], {}))
    warehouse.record_failed_snapshot(snapshot(3), "failed")
    assert warehouse.previous_counts("markets") == 1
    assert warehouse.previous_counts("markets", before_snapshot_id="s2") == 2
    assert warehouse.previous_counts("navigation_nodes", before_snapshot_id="s2") == 2
    assert warehouse.previous_counts("watchlist_markets", before_snapshot_id="s2") == 2
    assert warehouse.previous_counts("markets", before_snapshot_id="s9") == 1
    with pytest.raises(KeyError, match="no warehouse table 'positions'"):
        warehouse.previous_counts("positions")


def test_query_binds_named_parameters(warehouse: Warehouse) -> None:
    warehouse.publish_snapshot(snapshot(1), two_markets())
    found = warehouse.query(
        "SELECT epic FROM markets WHERE epic = :epic AND snapshot_id = :sid", {"epic": "GOLD", "sid": "s1"}
    )
    assert list(found["epic"]) == ["GOLD"]


def test_snapshot_timestamps_are_stored_in_utc(warehouse: Warehouse) -> None:
    taken = snapshot(1)
    in_tokyo = taken.snapshot_at.astimezone(timezone(timedelta(hours=9)))
    warehouse.publish_snapshot(replace(taken, snapshot_at=in_tokyo), two_markets())
    stored = warehouse.query("SELECT snapshot_at FROM accounts")["snapshot_at"][0]
    assert stored == pd.Timestamp(taken.snapshot_at)
    assert str(stored.tz) in {"UTC", "Etc/UTC"}

"""Hostile strings in every text and JSON column of every table come back exactly, on DuckDB and PostgreSQL.

The one exception is NUL in PostgreSQL text, which that type cannot hold: it comes back as U+FFFD, while the
JSON columns (``raw`` above all) keep it exactly as ``\\u0000``.
"""

from __future__ import annotations

import json
from typing import Any

import pandas as pd
import pytest
from hypothesis import given
from hypothesis import strategies as st

from capital_pipeline.capital.errors import MalformedResponse
from capital_pipeline.capital.parsing import ParseContext, json_text, parse_record
from capital_pipeline.capital.records import MarketDetails
from capital_pipeline.snapshot import market_frame
from capital_pipeline.warehouse import DATA_TABLES, Warehouse, WarehouseError
from capital_pipeline.warehouse.declarations import LogicalType, Table
from capital_pipeline.warehouse.frames import NUL_REPLACEMENT
from capital_pipeline_tests.capital.hostile_json import fuzz_settings, mutated, storable_json

from .factory import frames, market, snapshot

HOSTILE = [
    "O'Brien",
    "say \"hi\" and 'bye'",
    "'); DROP TABLE markets; --",
    "\"; DELETE FROM snapshots WHERE '1'='1",
    "back\\slash \\\\ \\N \\. \\x00 \\u0000",
    "\\.",
    "nul\x00inside\x00",
    "\x00",
    "emoji 😀 flag 🏳️‍🌈 skin 👍🏽",
    "rtl \u202eevil\u202c \u200f mark \u061c",
    "line\nbreak\r\nand\ttab \u2028 \u2029 \x1b[31m",
    "bom \ufeff nonchar \uffff \U0010ffff",
    ":name $1 ? %s %(x)s {braces} {{}}",
    "",
    " ",
    "x" * 200_000,
    "中文 עברית ελληνικά é" * 5_000,
]
TEXT, JSON = LogicalType.TEXT, LogicalType.JSON


# PostgreSQL indexes a key of at most 2704 bytes after compression (its btree limit): a longer key fails the
# publish (see the last test), so key columns carry the hostile strings' first 1000 characters.
KEY_CHARACTERS = 1000


def _keyed(text: str, index: int) -> str:
    # Keys stay unique (and unique after NUL replacement) with the row's index appended.
    return f"{text[:KEY_CHARACTERS]}#{index}"


def hostile_frame(table: Table, template: dict[str, Any]) -> pd.DataFrame:
    """One row per hostile string: every text column holds it, every JSON column holds it in an object."""
    rows = []
    for index, text in enumerate(HOSTILE):
        row = dict(template)
        for column in table.frame_columns:
            if column.type is TEXT:
                row[column.name] = _keyed(text, index) if column.key else text
            elif column.type is JSON:
                row[column.name] = json_text({"text": text, "index": index, column.name: [text]})
        rows.append(row)
    return pd.DataFrame(rows, columns=[column.name for column in table.frame_columns])


def stored_rows(warehouse: Warehouse, table: Table) -> list[dict[str, Any]]:
    key = next(column.name for column in table.frame_columns if column.key and column.type is TEXT)
    records = warehouse.query(f"SELECT * FROM {table.name}").to_dict("records")
    return sorted(records, key=lambda row: int(row[key].rsplit("#", 1)[1]))


@pytest.mark.parametrize("table", DATA_TABLES, ids=lambda table: table.name)
def test_every_text_and_json_column_stores_hostile_strings_exactly(
    warehouse: Warehouse, is_postgres: bool, table: Table
) -> None:
    base = frames([market("SILVER")], {"1": ("list", ["SILVER"])})
    published = {name: frame for name, frame in base.items()}
    published[table.name] = hostile_frame(table, base[table.name].iloc[0].to_dict())
    warehouse.publish_snapshot(snapshot(1), published)

    stored = stored_rows(warehouse, table)
    assert len(stored) == len(HOSTILE)
    for index, (row, text) in enumerate(zip(stored, HOSTILE, strict=True)):
        in_text = text.replace("\x00", NUL_REPLACEMENT) if is_postgres else text
        for column in table.frame_columns:
            if column.type is TEXT:
                assert row[column.name] == (_keyed(in_text, index) if column.key else in_text), column.name
            elif column.type is JSON:
                sent = published[table.name][column.name].iloc[index]
                assert row[column.name] == sent, column.name  # the JSON text itself, byte for byte
                assert json.loads(row[column.name])["text"] == text


@fuzz_settings(4, fixtures=True)
@pytest.mark.filterwarnings("ignore:Generating overly large repr:hypothesis.errors.HypothesisWarning")
@given(details=st.lists(mutated("Single market details"), min_size=1, max_size=5))
def test_hostile_market_details_publish_and_read_back_as_parsed(
    warehouse_location: tuple[str, str], details: list[Any]
) -> None:
    url, schema = warehouse_location
    records: dict[str, MarketDetails] = {}
    for body in details:
        try:
            record = parse_record(MarketDetails, body, ParseContext(2.0))
        except MalformedResponse:  # the client's business (test_parsing_fuzz)
            continue
        records.setdefault(record.epic, record)
    warehouse = Warehouse(url, schema=schema)
    warehouse.ensure_schema()
    frame = market_frame(records.values())
    published = frames([], {}) | {"markets": frame}
    warehouse.publish_snapshot(snapshot(1), published)

    stored = warehouse.query("SELECT epic, instrument_name, raw FROM markets").to_dict("records")
    is_postgres = url.startswith("postgresql")
    expected = {
        (epic.replace("\x00", NUL_REPLACEMENT) if is_postgres else epic): record
        for epic, record in records.items()
    }
    assert {row["epic"] for row in stored} == set(expected)
    for row in stored:
        record = expected[row["epic"]]
        name = record.instrument.name
        if name is not None and is_postgres:
            name = name.replace("\x00", NUL_REPLACEMENT)
        assert row["instrument_name"] == name
        assert json.loads(row["raw"]) == storable_json(record.raw)


@pytest.mark.postgres
def test_a_key_postgresql_cannot_index_fails_the_publish_and_keeps_the_previous_snapshot(
    postgres_url: str, postgres_schema: str
) -> None:
    warehouse = Warehouse(postgres_url, schema=postgres_schema)
    warehouse.ensure_schema()
    warehouse.publish_snapshot(snapshot(1), frames([market("SILVER")], {}))
    incompressible = "".join(chr(0x4E00 + (i * 7919) % 20_000) for i in range(3_000))  # 9 kB of UTF-8
    with pytest.raises(WarehouseError, match=r"^navigation_markets: index row requires \d+ bytes"):
        warehouse.publish_snapshot(snapshot(2), frames([market(incompressible)], {}))
    latest = warehouse.latest_snapshot()
    assert latest is not None and latest.snapshot.snapshot_id == "s1"
    assert list(warehouse.query("SELECT epic FROM markets")["epic"]) == ["SILVER"]

"""The markets rows built batch by batch in Arrow hold what the DataFrame path holds, in the asked order."""

from __future__ import annotations

import json

import pyarrow as pa
import pytest

from capital_pipeline.capital.parsing import ParseContext, parse_record
from capital_pipeline.capital.records import MarketDetails
from capital_pipeline.snapshot import SnapshotIncomplete, market_frame
from capital_pipeline.snapshot.market_rows import MARKETS_SCHEMA, MarketRows, fetch_market_rows
from capital_pipeline.warehouse import table_named
from capital_pipeline_tests.capital.fake_api import FakeCapital, FakeClock, client_for, error
from capital_pipeline_tests.snapshot.test_frames import BARE, FULL


def _details(epic: str, body: dict | None = None) -> MarketDetails:
    source = json.loads(json.dumps(body or FULL))
    source["instrument"]["epic"] = epic
    return parse_record(MarketDetails, source, ParseContext(timezone_offset=2))


def test_the_schema_is_the_declared_markets_columns_in_order() -> None:
    assert MARKETS_SCHEMA.names == [column.name for column in table_named("markets").frame_columns]
    assert MARKETS_SCHEMA.field("update_time").type == pa.timestamp("us", tz="UTC")


@pytest.mark.parametrize("chunk_rows", [1, 2, 3, 100])
def test_rows_come_back_in_the_asked_order_whatever_the_chunking(chunk_rows: int) -> None:
    records = [_details(f"E{index}", FULL if index % 2 else BARE) for index in range(7)]
    rows = MarketRows(chunk_rows)
    numbers = [rows(record) for record in records]
    assert numbers == list(range(7))
    order = [6, 0, 3, 1, 5, 2, 4]
    table = rows.table(order)
    expected = market_frame([records[index] for index in order])
    assert (
        table.to_pylist() == pa.Table.from_pandas(expected, MARKETS_SCHEMA, preserve_index=False).to_pylist()
    )


def test_rows_not_in_the_order_are_left_out() -> None:
    rows = MarketRows(2)
    for epic in ("A", "B", "A-again", "C"):
        rows(_details(epic))
    table = rows.table([3, 0, 1])
    assert table.column("epic").to_pylist() == ["C", "A", "B"]


def test_arrival_order_is_kept_without_copying_when_it_is_the_asked_order() -> None:
    rows = MarketRows(2)
    for epic in ("A", "B", "C"):
        rows(_details(epic))
    assert rows.table([0, 1, 2]).column("epic").to_pylist() == ["A", "B", "C"]
    assert MarketRows().table([]).num_rows == 0


@pytest.mark.anyio
async def test_fetching_keeps_every_known_epic_once_in_the_asked_order_and_reports_the_missing() -> None:
    api = FakeCapital(FakeClock())
    known = sorted({epic for _, _, epics in api.tree.values() for epic in epics})
    asked = [*reversed(known), "NOT_LISTED", known[0]]
    async with client_for(api) as client:
        part = await fetch_market_rows(client, asked)
    assert part.rows.column("epic").to_pylist() == list(reversed(known))
    assert part.missing == ["NOT_LISTED"]
    assert part.rows.schema == MARKETS_SCHEMA


@pytest.mark.anyio
async def test_a_batch_that_cannot_be_read_makes_the_snapshot_incomplete() -> None:
    api = FakeCapital(FakeClock())
    api.answer_next("GET /markets", *[lambda: error(400, "error.invalid.epics")] * 10)
    async with client_for(api) as client:
        with pytest.raises(SnapshotIncomplete, match="1 market detail batches could not be read"):
            await fetch_market_rows(client, ["SILVER", "GOLD"])

"""The markets rows written to staging as batches arrive hold what the DataFrame path holds, an epic once."""

from __future__ import annotations

import json
from pathlib import Path

import pyarrow as pa
import pyarrow.parquet as pq
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
def test_the_file_holds_every_row_as_the_frame_path_makes_it_whatever_the_chunking(
    tmp_path: Path, chunk_rows: int
) -> None:
    records = [_details(f"E{index}", FULL if index % 2 else BARE) for index in range(7)]
    rows = MarketRows(tmp_path / "markets.parquet", chunk_rows)
    assert [rows(record) for record in records] == [f"E{index}" for index in range(7)]
    staged = rows.close()
    expected = pa.Table.from_pandas(market_frame(records), MARKETS_SCHEMA, preserve_index=False)
    assert pq.read_table(staged.path).to_pylist() == expected.to_pylist()
    assert (staged.rows, staged.epics) == (7, [f"E{index}" for index in range(7)])
    assert staged.head.to_pylist() == expected.slice(0, 5).to_pylist()


def test_an_epic_that_comes_again_keeps_its_first_details(tmp_path: Path) -> None:
    rows = MarketRows(tmp_path / "markets.parquet", 2)
    first, again = _details("A"), _details("A", BARE)
    for record in (first, _details("B"), again, _details("C")):
        rows(record)
    staged = rows.close()
    table = pq.read_table(staged.path)
    assert table.column("epic").to_pylist() == ["A", "B", "C"]
    assert table.column("instrument_name").to_pylist()[0] == first.instrument.name != again.instrument.name


def test_no_rows_make_an_empty_file_with_the_schema(tmp_path: Path) -> None:
    staged = MarketRows(tmp_path / "markets.parquet").close()
    assert pq.read_table(staged.path).schema.names == MARKETS_SCHEMA.names
    assert (staged.rows, staged.epics, staged.head.num_rows) == (0, [], 0)


@pytest.mark.anyio
async def test_fetching_stages_every_known_epic_once_and_reports_the_missing(tmp_path: Path) -> None:
    api = FakeCapital(FakeClock())
    known = sorted({epic for _, _, epics in api.tree.values() for epic in epics})
    async with client_for(api) as client:
        part = await fetch_market_rows(client, [*known, "NOT_LISTED", known[0]], tmp_path / "m.parquet")
    assert sorted(pq.read_table(part.staged.path).column("epic").to_pylist()) == known
    assert part.missing == ["NOT_LISTED"]


@pytest.mark.anyio
async def test_a_batch_that_cannot_be_read_makes_the_snapshot_incomplete_and_leaves_no_file(
    tmp_path: Path,
) -> None:
    api = FakeCapital(FakeClock())
    api.answer_next("GET /markets", *[lambda: error(400, "error.invalid.epics")] * 10)
    path = tmp_path / "m.parquet"
    async with client_for(api) as client:
        with pytest.raises(SnapshotIncomplete, match="1 market detail batches could not be read"):
            await fetch_market_rows(client, ["SILVER", "GOLD"], path)
    assert not path.exists()

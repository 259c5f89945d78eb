"""The `markets` table built as its batches arrive: Arrow record batches, never one Python object per cell.

At x30 (95,000 epics) a row tuple per detail held ~500 MB of Python objects, the DataFrame built from them and
its conversion to Arrow for staging as much again, all at once. Here every 2,048 rows become an Arrow record
batch (the tuples are dropped and their memory reused), so the step holds the table once, in Arrow's compact
form, which staging writes and the warehouse loads without a pandas round trip.
"""

from __future__ import annotations

from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from typing import Any

import pyarrow as pa

from capital_pipeline.capital import CapitalClient, MarketDetails, ProgressCallback
from capital_pipeline.capital.progress import no_progress
from capital_pipeline.snapshot.fetch import SnapshotIncomplete
from capital_pipeline.snapshot.frames import market_row
from capital_pipeline.warehouse import LogicalType, table_named

__all__ = ["MARKETS_SCHEMA", "MarketRows", "MarketRowsPart", "arrow_schema", "fetch_market_rows"]

# The warehouse stores microseconds in UTC; JSON columns travel as their serialized text.
_ARROW_TYPES = {
    LogicalType.TEXT: pa.string(),
    LogicalType.JSON: pa.string(),
    LogicalType.INTEGER: pa.int64(),
    LogicalType.FLOAT: pa.float64(),
    LogicalType.BOOLEAN: pa.bool_(),
    LogicalType.TIMESTAMP: pa.timestamp("us", tz="UTC"),
}
# Large enough that Arrow's per-batch overhead is noise, small enough that the tuples waiting are a few MB.
CHUNK_ROWS = 2048


def arrow_schema(table: str) -> pa.Schema:
    """The Arrow schema of ``table``'s frame columns (publishing stamps snapshot_id and snapshot_at)."""
    columns = table_named(table).frame_columns
    return pa.schema([pa.field(column.name, _ARROW_TYPES[column.type]) for column in columns])


MARKETS_SCHEMA = arrow_schema("markets")


class MarketRows:
    """A ``shape`` for ``client.market_details``: each detail becomes a row, numbered in arrival order."""

    def __init__(self, chunk_rows: int = CHUNK_ROWS) -> None:
        self._chunk_rows = chunk_rows
        self._pending: list[tuple[Any, ...]] = []
        self._batches: list[pa.RecordBatch] = []
        self._count = 0

    def __call__(self, details: MarketDetails) -> int:
        self._pending.append(market_row(details))
        self._count += 1
        if len(self._pending) >= self._chunk_rows:
            self._flush()
        return self._count - 1

    def _flush(self) -> None:
        if not self._pending:
            return
        columns = [
            pa.array([row[index] for row in self._pending], type=field.type)
            for index, field in enumerate(MARKETS_SCHEMA)
        ]
        self._batches.append(pa.RecordBatch.from_arrays(columns, schema=MARKETS_SCHEMA))
        self._pending = []

    def table(self, order: Sequence[int]) -> pa.Table:
        """The rows numbered ``order``, in that order (each at most once; rows not named are left out).

        Rows are taken one column at a time, each column's arrival-order copy released as its ordered copy is
        made, so reordering costs one column's memory rather than the table's.
        """
        self._flush()
        arrived = pa.Table.from_batches(self._batches, schema=MARKETS_SCHEMA)
        self._batches = []
        if list(order) == list(range(arrived.num_rows)):
            return arrived
        indices = pa.array(order, type=pa.int64())
        columns: list[pa.ChunkedArray | None] = list(arrived.columns)
        del arrived
        ordered = []
        for position, column in enumerate(columns):
            assert column is not None
            ordered.append(column.take(indices))
            columns[position] = None
        return pa.Table.from_arrays(ordered, schema=MARKETS_SCHEMA)


@dataclass(frozen=True)
class MarketRowsPart:
    """The `markets` rows of every epic asked for (one per epic) and the epics the API left out."""

    rows: pa.Table
    missing: list[str]


async def fetch_market_rows(
    client: CapitalClient, epics: Iterable[str], on_progress: ProgressCallback = no_progress
) -> MarketRowsPart:
    """Every epic's details as `markets` rows, ⌈E/50⌉ requests; a failed batch makes the snapshot incomplete.

    Epics the API leaves out of an answer are not a failure (REFERENCE.md section 11: unknown epics are
    omitted): they are reported in ``missing`` and by the pipeline's referential checks.
    """
    rows = MarketRows()
    batch = await client.market_details(epics, on_progress=on_progress, shape=rows)
    if batch.failures:
        raise SnapshotIncomplete("market detail batches", batch.failures)
    return MarketRowsPart(rows.table(batch.details), batch.missing)

"""The `markets` table built as its batches arrive: Arrow record batches, never one Python object per cell.

At x30 (95,000 epics) a row tuple per detail held ~500 MB of Python objects, the DataFrame built from them and
its conversion to Arrow for staging as much again, all at once; even the table in Arrow alone is 213 MiB.
Here every 2,048 rows become a row group of the staged Parquet file as they arrive (the tuples are dropped
and their memory reused), so the step never holds more than a chunk of rows.
"""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import pyarrow as pa
import pyarrow.parquet as pq

from capital_pipeline.capital import CapitalClient, MarketDetails, ProgressCallback
from capital_pipeline.capital.progress import no_progress
from capital_pipeline.snapshot.fetch import SnapshotIncomplete
from capital_pipeline.snapshot.frames import market_row
from capital_pipeline.warehouse import arrow_schema, table_named

__all__ = [
    "MARKETS_SCHEMA",
    "MarketRows",
    "MarketRowsPart",
    "StagedMarkets",
    "fetch_market_rows",
]

# Large enough that Arrow's per-batch overhead is noise, small enough that the tuples waiting are a few MB.
CHUNK_ROWS = 2048
PREVIEW_ROWS = 5


MARKETS_SCHEMA = arrow_schema(table_named("markets"))
_EPIC = MARKETS_SCHEMA.get_field_index("epic")


class MarketRows:
    """A ``shape`` for ``client.market_details`` that writes each detail's row to a Parquet file as it comes.

    Rows are written in arrival order, an epic once (its first details, as the markets table keeps them);
    every ``chunk_rows`` rows become a row group. What the step needs besides the file (the epics for its key
    check, the first rows for a preview, the count) is kept; the rows themselves are not.
    """

    def __init__(self, path: Path, chunk_rows: int = CHUNK_ROWS) -> None:
        self.path = path
        self._chunk_rows = chunk_rows
        self._pending: list[tuple[Any, ...]] = []
        self._writer = pq.ParquetWriter(path, MARKETS_SCHEMA)
        self._epics: dict[str, None] = {}
        self._head: pa.Table | None = None

    def __call__(self, details: MarketDetails) -> str:
        row = market_row(details)
        epic = row[_EPIC]
        if epic not in self._epics:
            self._epics[epic] = None
            self._pending.append(row)
            if len(self._pending) >= self._chunk_rows:
                self._flush()
        return epic

    def _flush(self) -> None:
        if not self._pending:
            return
        # zip(*rows) turns the rows into columns in one C pass (a list per column cost twice as much).
        columns = [
            pa.array(values, type=field.type)
            for values, field in zip(zip(*self._pending, strict=True), MARKETS_SCHEMA, strict=True)
        ]
        batch = pa.Table.from_arrays(columns, schema=MARKETS_SCHEMA)
        self._writer.write_table(batch)
        if self._head is None:
            self._head = batch.slice(0, PREVIEW_ROWS)
        elif self._head.num_rows < PREVIEW_ROWS:
            self._head = pa.concat_tables([self._head, batch]).slice(0, PREVIEW_ROWS)
        self._pending = []

    def close(self) -> StagedMarkets:
        """Finish the file; what was written."""
        self._flush()
        self._writer.close()
        head = self._head if self._head is not None else MARKETS_SCHEMA.empty_table()
        return StagedMarkets(self.path, len(self._epics), list(self._epics), head)

    def abort(self) -> None:
        """Close and delete the unfinished file."""
        self._writer.close()
        self.path.unlink(missing_ok=True)


@dataclass(frozen=True)
class StagedMarkets:
    """The `markets` rows written to ``path`` (Parquet): how many, their epics, and the first few rows."""

    path: Path
    rows: int
    epics: list[str]
    head: pa.Table


@dataclass(frozen=True)
class MarketRowsPart:
    """The `markets` rows of every epic asked for (one per epic), staged, and the epics the API left out."""

    staged: StagedMarkets
    missing: list[str]


async def fetch_market_rows(
    client: CapitalClient, epics: Iterable[str], path: Path, on_progress: ProgressCallback = no_progress
) -> MarketRowsPart:
    """Every epic's details as `markets` rows written to ``path``, ⌈E/50⌉ requests; a failed batch makes the
    snapshot incomplete (and leaves no file).

    Epics the API leaves out of an answer are not a failure (REFERENCE.md section 11: unknown epics are
    omitted): they are reported in ``missing`` and by the pipeline's referential checks.
    """
    rows = MarketRows(path)
    try:
        batch = await client.market_details(epics, on_progress=on_progress, shape=rows)
        if batch.failures:
            raise SnapshotIncomplete("market detail batches", batch.failures)
    except BaseException:
        rows.abort()
        raise
    return MarketRowsPart(rows.close(), batch.missing)

"""What a snapshot is made of: which reads it takes through the client, and how records become table rows.

Between the client (`capital_pipeline.capital`, records) and the warehouse (`capital_pipeline.warehouse`,
DataFrames per declared table). Knows neither HTTP nor SQL nor Dagster.
"""

from capital_pipeline.snapshot.fetch import (
    AccountsPart,
    SnapshotIncomplete,
    WatchlistsPart,
    fetch_accounts,
    fetch_navigation,
    fetch_watchlists,
)
from capital_pipeline.snapshot.frames import (
    account_frames,
    market_frame,
    market_frame_of_rows,
    market_row,
    navigation_frames,
    snapshot_epics,
    watchlist_frames,
)

__all__ = [
    "AccountsPart",
    "SnapshotIncomplete",
    "WatchlistsPart",
    "account_frames",
    "fetch_accounts",
    "fetch_navigation",
    "fetch_watchlists",
    "market_frame",
    "market_frame_of_rows",
    "market_row",
    "navigation_frames",
    "snapshot_epics",
    "watchlist_frames",
]

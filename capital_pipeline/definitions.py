"""The code location: one ``Definitions`` object loaded by `dagster dev`, the CLI and the tests."""

from __future__ import annotations

from dagster import Definitions, EnvVar

from capital_pipeline.defs.assets import (
    capital_accounts,
    capital_navigation,
    capital_watchlists,
    markets,
    snapshots,
)
from capital_pipeline.defs.checks import navigation_epics_have_markets, watchlist_epics_have_markets
from capital_pipeline.defs.jobs import capital_snapshot_job, capital_snapshot_schedule
from capital_pipeline.defs.resources import CapitalApiResource, WarehouseResource
from capital_pipeline.defs.staging import RunStagingIOManager

__all__ = ["defs"]

defs = Definitions(
    assets=[capital_accounts, capital_navigation, capital_watchlists, markets, snapshots],
    asset_checks=[navigation_epics_have_markets, watchlist_epics_have_markets],
    jobs=[capital_snapshot_job],
    schedules=[capital_snapshot_schedule],
    resources={
        "capital": CapitalApiResource(
            api_key=EnvVar("CAPITAL_API_KEY"),
            identifier=EnvVar("CAPITAL_IDENTIFIER"),
            password=EnvVar("CAPITAL_PASSWORD"),
        ),
        "warehouse": WarehouseResource(),
        "io_manager": RunStagingIOManager(),
    },
)

"""The code location: one ``Definitions`` object loaded by `dagster dev`, the CLI and the tests.

Every run of it gets the same run-level guarantees, however launched (`capital_snapshot_job`, its schedule,
or "Materialize" on any selection of assets in the UI, which runs Dagster's implicit asset job): the
snapshot executor is the default executor of every job, and the failure hook rides on the assets themselves
rather than on one job. (Not on the two separate checks: Dagster 1.13 re-wraps a check given hooks through a
beta API, a warning at every load; `capital_snapshot_job` hooks them, and the executor ends the session of
any run anyway.)
"""

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
from capital_pipeline.defs.executor import snapshot_executor
from capital_pipeline.defs.hooks import record_failed_snapshot
from capital_pipeline.defs.jobs import capital_snapshot_job, capital_snapshot_schedule
from capital_pipeline.defs.resources import CapitalApiResource, WarehouseResource
from capital_pipeline.defs.staging import RunStagingIOManager

__all__ = ["defs"]

_HOOKS = {record_failed_snapshot}

defs = Definitions(
    assets=[
        assets.with_hooks(_HOOKS)
        for assets in (capital_accounts, capital_navigation, capital_watchlists, markets, snapshots)
    ],
    asset_checks=[navigation_epics_have_markets, watchlist_epics_have_markets],
    executor=snapshot_executor,
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

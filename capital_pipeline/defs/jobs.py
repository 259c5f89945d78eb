"""The snapshot job and its daily schedule (stopped until a user switches it on in the UI)."""

from __future__ import annotations

from dagster import AssetSelection, DefaultScheduleStatus, ScheduleDefinition, define_asset_job

from capital_pipeline.defs.assets import GROUP
from capital_pipeline.defs.executor import snapshot_executor
from capital_pipeline.defs.hooks import record_failed_snapshot

__all__ = ["capital_snapshot_job", "capital_snapshot_schedule"]

capital_snapshot_job = define_asset_job(
    "capital_snapshot_job",
    selection=AssetSelection.groups(GROUP),
    description="Snapshot accounts, preferences, navigation, watchlists and markets; publish them together.",
    # Also the code location's default executor, and the hook also rides on the assets (definitions.py), so
    # that a run of any selection gets both; here it covers the separate checks too.
    executor_def=snapshot_executor,
    hooks={record_failed_snapshot},
)

capital_snapshot_schedule = ScheduleDefinition(
    name="capital_snapshot_schedule",
    job=capital_snapshot_job,
    cron_schedule="0 6 * * *",
    execution_timezone="UTC",
    default_status=DefaultScheduleStatus.STOPPED,
    description="Daily at 06:00 UTC; each tick is one snapshot, and re-running a tick replaces its rows.",
)

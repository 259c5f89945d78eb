"""The code location as the UI and the CLI load it: assets, checks, job, schedule, resources."""

from __future__ import annotations

import subprocess
import sys
from pathlib import Path

import pytest
from dagster import AssetKey, DefaultScheduleStatus
from dagster._core.definitions.dependency import NodeHandle

from capital_pipeline.definitions import defs
from capital_pipeline.defs.executor import snapshot_executor
from capital_pipeline.defs.hooks import record_failed_snapshot
from capital_pipeline.warehouse import TABLES

ROOT = Path(__file__).parents[1]


def _asset_specs():
    return {spec.key: spec for spec in defs.resolve_all_asset_specs()}


def test_one_asset_per_table_in_the_capital_group() -> None:
    specs = _asset_specs()
    assert sorted(key.to_user_string() for key in specs) == sorted(table.name for table in TABLES)
    assert {spec.group_name for spec in specs.values()} == {"capital"}
    assert all(spec.kinds for spec in specs.values())


def test_every_asset_states_its_grain_and_write_mode() -> None:
    for key, spec in _asset_specs().items():
        description = spec.description or ""
        assert "Grain:" in description and "one row per" in description, key
        assert "transaction" in description, key


def test_checks_cover_keys_references_drops_and_truncation() -> None:
    checks = {
        (key.asset_key.to_user_string(), key.name) for key in defs.resolve_asset_graph().asset_check_keys
    }
    for table in ("accounts", "account_preferences", "navigation_nodes", "navigation_markets", "watchlists",
                  "watchlist_markets", "markets"):  # fmt: skip
        assert (table, "unique_keys") in checks
    assert ("navigation_markets", "epics_have_markets") in checks
    assert ("watchlist_markets", "epics_have_markets") in checks
    assert ("navigation_markets", "nodes_known") in checks
    assert ("markets", "no_sudden_drop") in checks
    assert ("navigation_nodes", "no_sudden_drop") in checks
    assert ("navigation_nodes", "no_truncated_nodes") in checks


def test_schedule_is_daily_at_six_utc_and_stopped_until_switched_on() -> None:
    schedule = defs.resolve_schedule_def("capital_snapshot_schedule")
    assert schedule.cron_schedule == "0 6 * * *"
    assert schedule.execution_timezone == "UTC"
    assert schedule.default_status == DefaultScheduleStatus.STOPPED
    assert schedule.job_name == "capital_snapshot_job"


def test_job_materializes_every_table() -> None:
    job = defs.resolve_job_def("capital_snapshot_job")
    assert job.asset_layer.executable_asset_keys >= {AssetKey(table.name) for table in TABLES}


@pytest.mark.parametrize("job_name", ["capital_snapshot_job", "__ASSET_JOB"])
def test_every_job_runs_under_the_snapshot_executor_with_the_failure_hook_on_every_step(
    job_name: str,
) -> None:
    # "__ASSET_JOB" is what the UI's "Materialize" launches, for all assets or any selection of them.
    job = defs.resolve_job_def(job_name)
    assert job.executor_def is snapshot_executor
    for node in ("capital_accounts", "capital_navigation", "capital_watchlists", "markets", "snapshots"):
        assert record_failed_snapshot in job.get_all_hooks_for_handle(NodeHandle(node, None)), node


def test_secrets_are_bound_to_environment_variables_not_values() -> None:
    capital = defs.resources["capital"]
    for field, variable in (("api_key", "CAPITAL_API_KEY"), ("identifier", "CAPITAL_IDENTIFIER"),
                            ("password", "CAPITAL_PASSWORD")):  # fmt: skip
        assert getattr(capital, field) == variable  # an EnvVar is the variable's name until resolved
        assert type(getattr(capital, field)).__name__ == "EnvVar"


@pytest.mark.slow
def test_dagster_validates_the_workspace() -> None:
    dagster = Path(sys.executable).with_name("dagster")
    result = subprocess.run(
        [str(dagster), "definitions", "validate", "-w", "workspace.yaml"],
        cwd=ROOT,
        capture_output=True,
        text=True,
        timeout=180,
    )
    assert result.returncode == 0, result.stdout + result.stderr

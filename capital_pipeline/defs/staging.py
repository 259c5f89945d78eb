"""Where a run's frames wait between steps: Parquet files in a directory of that run alone.

Dagster's default IO manager keeps one pickle per asset for every run, so two overlapping runs would read
each other's frames; here ``snapshots`` publishes exactly what its own run fetched. The run's directory is
deleted when the run succeeds (the warehouse has the data) and kept after a failure, so that "re-execute
from failure" can still load what the failed run had already fetched: a re-execution that succeeds deletes
the staging of every run it re-executed, and each run starts by deleting that of runs finished a week ago.

A step hands on a pandas DataFrame, an Arrow table or a file it staged itself; the reader says what it
wants: an input annotated ``pa.Table`` gets Arrow (``snapshots`` publishes without a pandas round trip), one
annotated ``Path`` gets the staged file itself (the warehouse streams the markets from it, never holding the
table), and an input whose metadata names ``columns`` gets only those (a check of 95,000 epics need not load
every market's details).
"""

from __future__ import annotations

import os
import shutil
import time
from dataclasses import dataclass
from pathlib import Path

import pandas as pd
import pyarrow as pa
import pyarrow.parquet as pq
from dagster import (
    ConfigurableIOManager,
    DagsterInstance,
    DagsterRun,
    DagsterRunStatus,
    InputContext,
    OutputContext,
    RunsFilter,
)
from dagster._core.storage.dagster_run import FINISHED_STATUSES

from capital_pipeline.defs.identity import re_executed_runs

__all__ = [
    "STAGING_KEPT_SECONDS",
    "RunStagingIOManager",
    "StagedFile",
    "remove_run_staging",
    "remove_snapshot_staging",
    "staging_directory",
    "sweep_finished_staging",
]

_STAGING = "capital_staging"
# A failed run's frames wait a week for "re-execute from failure"; past that a new run is the way, and at x30
# one run's markets file alone is hundreds of MB.
STAGING_KEPT_SECONDS = 7 * 24 * 3600.0


def staging_directory(storage_directory: str | Path, run_id: str) -> Path:
    """The run's staging directory under the instance's storage directory."""
    return Path(storage_directory) / _STAGING / run_id


def remove_run_staging(storage_directory: str | Path, run_id: str) -> None:
    """Delete the run's staged frames."""
    shutil.rmtree(staging_directory(storage_directory, run_id), ignore_errors=True)


def _re_executed_chain(instance: DagsterInstance, run: DagsterRun) -> list[DagsterRun]:
    """The runs ``run`` re-executes, parent first up to the root: it may load the frames of any of them."""
    chain: list[DagsterRun] = []
    parent_id = re_executed_runs(run)[1]
    while parent_id is not None and (parent := instance.get_run_by_id(parent_id)) is not None:
        chain.append(parent)
        parent_id = re_executed_runs(parent)[1]
    return chain


def remove_snapshot_staging(instance: DagsterInstance, run_id: str) -> None:
    """After ``run_id`` published: delete its staged frames and those of the finished runs of its
    re-execution chain (it may have loaded any of them)."""
    remove_run_staging(instance.storage_directory(), run_id)
    run = instance.get_run_by_id(run_id)
    for earlier in _re_executed_chain(instance, run) if run else []:
        if earlier.status in FINISHED_STATUSES:
            remove_run_staging(instance.storage_directory(), earlier.run_id)


def sweep_finished_staging(
    instance: DagsterInstance, current_run_id: str, now: float | None = None
) -> list[str]:
    """Delete the staging of runs that finished over ``STAGING_KEPT_SECONDS`` before ``now`` (or that this
    instance no longer knows, by the staging's age), except what an unfinished run may still load; the run
    ids swept."""
    root = Path(instance.storage_directory()) / _STAGING
    if not root.is_dir():
        return []
    unfinished = instance.get_runs(
        RunsFilter(statuses=[s for s in DagsterRunStatus if s not in FINISHED_STATUSES])
    )
    in_use = {current_run_id}
    for run in unfinished:
        in_use |= {run.run_id, *(earlier.run_id for earlier in _re_executed_chain(instance, run))}
    cutoff = (time.time() if now is None else now) - STAGING_KEPT_SECONDS
    swept = []
    for directory in sorted(root.iterdir()):
        if directory.name in in_use:
            continue
        record = instance.get_run_record_by_id(directory.name)
        ended = record.end_time if record is not None and record.end_time else directory.stat().st_mtime
        if ended < cutoff:
            shutil.rmtree(directory, ignore_errors=True)
            swept.append(directory.name)
    return swept


@dataclass(frozen=True)
class StagedFile:
    """An output a step already wrote as Parquet, in its run's staging directory, as it fetched it (the
    `markets` rows at x30 would not fit the memory target as one table): staging moves it into place."""

    path: Path
    rows: int


class RunStagingIOManager(ConfigurableIOManager):
    """Frames as Parquet under ``<instance storage>/capital_staging/<run_id>/<asset>.parquet``."""

    @staticmethod
    def _path(storage: str, run_id: str, asset_path: list[str]) -> Path:
        return staging_directory(storage, run_id) / f"{'__'.join(asset_path)}.parquet"

    def handle_output(self, context: OutputContext, obj: pd.DataFrame | pa.Table | StagedFile | None) -> None:
        if obj is None:  # `snapshots` publishes; it hands nothing on
            return
        storage = context.step_context.instance.storage_directory()
        path = self._path(storage, context.run_id, context.asset_key.path)
        path.parent.mkdir(parents=True, exist_ok=True)
        if isinstance(obj, StagedFile):
            os.replace(obj.path, path)  # the same directory: a rename, never a copy
        elif isinstance(obj, pa.Table):
            pq.write_table(obj, path)
        else:
            obj.to_parquet(path, index=False)

    def load_input(self, context: InputContext) -> pd.DataFrame | pa.Table | Path:
        upstream = context.upstream_output
        if upstream is None:
            raise FileNotFoundError(f"{context.name}: no upstream output to load")
        path = self._path(context.instance.storage_directory(), upstream.run_id, context.asset_key.path)
        if not path.exists():
            raise FileNotFoundError(
                f"{context.name} was not fetched in this run: the snapshot's tables are taken together, "
                "so materialize the whole `capital` group (or run capital_snapshot_job)."
            )
        columns = (context.definition_metadata or {}).get("columns")
        if context.dagster_type.typing_type is Path:
            return path
        if context.dagster_type.typing_type is pa.Table:
            return pq.read_table(path, columns=columns)
        return pd.read_parquet(path, columns=columns)

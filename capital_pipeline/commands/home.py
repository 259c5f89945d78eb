"""The Dagster instance the commands use: ``DAGSTER_HOME``, else ``.dagster_home`` (which `make ui` opens)."""

from __future__ import annotations

import fcntl
import os
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path

from dagster import DagsterInstance

from capital_pipeline.defs.assets import WAREHOUSE_POOL

__all__ = ["DAGSTER_YAML", "POOL_LIMITS", "dagster_home", "prepare_instance"]

# Telemetry off: these machines have no network, and the UI would keep trying (FIELD-NOTES).
DAGSTER_YAML = """\
telemetry:
  enabled: false
concurrency:
  pools:
    granularity: op
"""
# An explicit limit per pool: `default_limit` alone raced under the multiprocess executor. One publisher at a
# time, since DuckDB allows one writing process per file (FIELD-NOTES).
POOL_LIMITS = {WAREHOUSE_POOL: 1}


def dagster_home() -> Path:
    """``$DAGSTER_HOME`` if set, else ``<cwd>/.dagster_home``; always absolute (Dagster requires it)."""
    configured = os.environ.get("DAGSTER_HOME")
    return Path(configured).absolute() if configured else Path.cwd() / ".dagster_home"


@contextmanager
def _home_locked(home: Path) -> Iterator[None]:
    with open(home / ".capital_pipeline.lock", "a") as lock:
        fcntl.flock(lock, fcntl.LOCK_EX)
        try:
            yield
        finally:
            fcntl.flock(lock, fcntl.LOCK_UN)


def _limit_unset_pools(instance: DagsterInstance) -> None:
    storage = instance.event_log_storage
    configured = {pool.name for pool in storage.get_pool_limits() if not pool.from_default}
    for pool, limit in POOL_LIMITS.items():
        # A limit someone set in the UI (e.g. 2 for PostgreSQL) is theirs to keep.
        if pool not in configured:
            storage.set_concurrency_slots(pool, limit)


def prepare_instance() -> DagsterInstance:
    """The instance, with its home, ``dagster.yaml`` and pool limits in place, and every storage created.

    Done under a file lock before any step process opens the instance: two processes creating the sqlite
    storages of a fresh home at once corrupted them. Sets ``DAGSTER_HOME`` for this process and its children.
    """
    home = dagster_home()
    home.mkdir(parents=True, exist_ok=True)
    os.environ["DAGSTER_HOME"] = str(home)
    with _home_locked(home):
        settings = home / "dagster.yaml"
        if not settings.exists():
            settings.write_text(DAGSTER_YAML)
        instance = DagsterInstance.get()
        instance.get_runs_count()
        instance.all_instigator_state()
        _limit_unset_pools(instance)
    return instance

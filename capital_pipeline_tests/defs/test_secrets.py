"""A run leaves the password, the API key and every session token out of Dagster's storage and the tables."""

from __future__ import annotations

from pathlib import Path

import pytest
from dagster import DagsterInstance

from capital_pipeline.simulator import SimulatorHandle
from capital_pipeline.warehouse import TABLES
from capital_pipeline_tests.defs.conftest import MULTIPROCESS, WarehouseTarget, run_snapshot

pytestmark = pytest.mark.slow


def _files_holding(root: Path, secrets: list[str]) -> list[str]:
    hits = []
    for path in root.rglob("*"):
        if path.is_file():
            data = path.read_bytes()
            hits += [
                f"{path} holds secret #{i}" for i, secret in enumerate(secrets) if secret.encode() in data
            ]
    return hits


def test_no_secret_reaches_event_log_storage_or_any_table(
    capital_env: SimulatorHandle,
    instance: DagsterInstance,
    target: WarehouseTarget,
    tmp_path: Path,
    state_directory: Path,
) -> None:
    run_id = run_snapshot(instance, target, execution=MULTIPROCESS)
    credentials = capital_env.credentials
    tokens = capital_env.issued_tokens()
    assert tokens, "the run must have logged in"
    secrets = [credentials.password, credentials.api_key, *tokens]

    events = "\n".join(repr(record) for record in instance.all_logs(run_id))
    assert not [i for i, secret in enumerate(secrets) if secret in events]
    # Everything Dagster keeps: run and event databases, compute logs, staged frames; and the run's state.
    assert _files_holding(tmp_path / "dagster_home", secrets) == []
    assert (state_directory / "pacing").is_dir(), "the run kept its state elsewhere"
    assert _files_holding(state_directory, secrets) == []
    warehouse = target.warehouse()
    for table in TABLES:
        dump = warehouse.query(f"SELECT * FROM {table.name}").to_csv()
        assert not [i for i, secret in enumerate(secrets) if secret in dump], table.name

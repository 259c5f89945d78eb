"""Dagster's own GraphQL client launches the snapshot job on a running `dagster dev` and sees it succeed."""

from __future__ import annotations

import time
import warnings
from collections.abc import Iterator
from contextlib import contextmanager

import duckdb
import pytest
from dagster import DagsterRunStatus
from dagster_graphql import DagsterGraphQLClient

from capital_pipeline_tests.ui.conftest import JOB, DagsterUI

pytestmark = pytest.mark.slow

RUN_SECONDS = 240
FINISHED = {DagsterRunStatus.SUCCESS, DagsterRunStatus.FAILURE, DagsterRunStatus.CANCELED}


@contextmanager
def _gql_deprecation_ignored() -> Iterator[None]:
    # dagster-graphql 1.13 still passes variable_values/operation_name to gql 4, which warns on every call;
    # that warning is Dagster's to fix, so only it is ignored, only around the client's calls.
    with warnings.catch_warnings():
        warnings.filterwarnings(
            "ignore", "Using variable_values and operation_name arguments", DeprecationWarning
        )
        yield


def test_graphql_client_launches_the_snapshot_job_and_polls_it_to_success(dagster_ui: DagsterUI) -> None:
    client = DagsterGraphQLClient("127.0.0.1", port_number=dagster_ui.port)
    with _gql_deprecation_ignored():
        run_id = client.submit_job_execution(JOB)
        deadline = time.monotonic() + RUN_SECONDS
        status = client.get_run_status(run_id)
        while status not in FINISHED and time.monotonic() < deadline:
            time.sleep(1)
            status = client.get_run_status(run_id)
    assert status == DagsterRunStatus.SUCCESS, dagster_ui.step_failures(run_id)
    with duckdb.connect(str(dagster_ui.warehouse_file), read_only=True) as db:
        published = db.execute("SELECT status FROM capital.snapshots WHERE run_id = ?", [run_id]).fetchall()
    assert published == [("succeeded",)]

"""The secret search finds a planted secret in every place it searches, in every form it knows."""

from __future__ import annotations

import json
from datetime import UTC, datetime
from pathlib import Path
from urllib.parse import quote

import pytest
from dagster import JobDefinition, instance_for_test, job, op

from capital_pipeline.warehouse import Snapshot, Warehouse
from capital_pipeline_tests.soak.secret_search import Secrets, hostile_secret

pytestmark = pytest.mark.slow


def _leaky_job(value: str) -> JobDefinition:
    @op  # context unannotated: Dagster cannot read annotations postponed by __future__
    def leak(context) -> None:  # type: ignore[no-untyped-def]
        context.log.info(f"logged {value}")
        print(json.dumps({"printed": value}))
        try:
            raise ValueError(quote(value, safe=""))
        except ValueError as error:
            raise RuntimeError("the step failed") from error

    @job
    def leaky() -> None:
        leak()

    return leaky


def test_the_search_finds_a_planted_secret_in_every_place_it_searches(tmp_path: Path) -> None:
    value = hostile_secret("planted")
    planted = Secrets({"planted secret": value})
    home = tmp_path / "dagster_home"
    home.mkdir()
    with instance_for_test(temp_dir=str(home)) as instance:
        assert not _leaky_job(value).execute_in_process(instance=instance, raise_on_error=False).success
        # Logged as is, printed JSON-escaped, raised URL-encoded in the cause of the step's error.
        assert any("event records of run" in hit for hit in planted.hits_in_event_storage(instance))
        assert any("captured stderr" in hit for hit in planted.hits_in_compute_logs(instance))
        assert any("captured stdout" in hit for hit in planted.hits_in_compute_logs(instance))
    assert planted.hits_in_files(home)
    assert planted.hits_in_text("output", f"say {json.dumps(value)}") == ["output holds the planted secret"]
    try:
        try:
            raise ValueError(repr(value))
        except ValueError:
            raise RuntimeError("nothing to see") from None
    except RuntimeError as error:
        assert planted.hits_in_exception("error", error) == ["error holds the planted secret"]
    warehouse = Warehouse.from_url(f"duckdb:///{tmp_path / 'w.duckdb'}")
    warehouse.ensure_schema()
    moment = datetime.now(UTC)
    warehouse.record_failed_snapshot(Snapshot("planted", moment, "demo", moment), f"failed: {value}")
    assert planted.hits_in_warehouse(warehouse) == ["table snapshots holds the planted secret"]
    clean = Secrets({"other secret": hostile_secret("other")})
    assert clean.hits_in_warehouse(warehouse) == [] and clean.hits_in_files(home) == []

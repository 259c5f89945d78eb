"""Which snapshot a run takes: explicit tag, else the schedule tick (stable across re-runs), else the run."""

from __future__ import annotations

from datetime import UTC, datetime

from capital_pipeline.defs.identity import snapshot_identity

CREATED = datetime(2026, 11, 21, 6, 0, 7, tzinfo=UTC)


def test_a_scheduled_run_is_its_tick_whatever_run_takes_it() -> None:
    tags = {".dagster/scheduled_execution_time": "2026-11-21T06:00:00+00:00"}
    first = snapshot_identity("run-a", tags, CREATED)
    rerun = snapshot_identity("run-b", tags | {"dagster/parent_run_id": "run-a"}, datetime.now(UTC))
    assert first.snapshot_id == rerun.snapshot_id == "scheduled-2026-11-21T06:00Z"
    assert first.snapshot_at == datetime(2026, 11, 21, 6, tzinfo=UTC)


def test_an_explicit_tag_wins_and_its_time_is_utc() -> None:
    tags = {"capital/snapshot_id": "simulator-day-0003", "capital/snapshot_at": "2026-01-04T07:00:00+01:00"}
    identity = snapshot_identity("run-a", tags, CREATED)
    assert identity.snapshot_id == "simulator-day-0003"
    assert identity.snapshot_at == datetime(2026, 1, 4, 6, tzinfo=UTC)


def test_a_manual_run_is_its_own_snapshot_taken_when_it_was_created() -> None:
    identity = snapshot_identity("run-a", {}, CREATED)
    assert (identity.snapshot_id, identity.snapshot_at, identity.started_at) == (
        "run-run-a",
        CREATED,
        CREATED,
    )


def test_a_re_execution_completes_the_snapshot_of_the_run_it_re_executes() -> None:
    tags = {"dagster/root_run_id": "run-a", "dagster/parent_run_id": "run-b"}
    identity = snapshot_identity("run-c", tags, CREATED)
    assert (identity.snapshot_id, identity.snapshot_at) == ("run-run-a", CREATED)


def test_a_re_executed_tick_stays_its_tick() -> None:
    tags = {".dagster/scheduled_execution_time": "2026-11-21T06:00:00+00:00", "dagster/root_run_id": "run-a"}
    assert snapshot_identity("run-b", tags, CREATED).snapshot_id == "scheduled-2026-11-21T06:00Z"

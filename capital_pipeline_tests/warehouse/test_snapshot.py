"""Snapshots refuse naive times and record themselves as one ``snapshots`` row."""

from __future__ import annotations

from dataclasses import replace
from datetime import UTC, datetime

import pytest

from capital_pipeline.warehouse import SnapshotRecord

from .factory import snapshot


def test_naive_times_are_refused() -> None:
    with pytest.raises(ValueError, match="snapshot_at must be timezone-aware"):
        replace(snapshot(1), snapshot_at=datetime(2026, 11, 2))
    with pytest.raises(ValueError, match="snapshot_id must not be empty"):
        replace(snapshot(1), snapshot_id="")


def test_an_unfinished_snapshot_is_recorded_as_finishing_now() -> None:
    before = datetime.now(UTC)
    row = replace(snapshot(1), finished_at=None).row("failed", None, "boom")
    assert row["finished_at"][0] >= before
    assert row[["status", "error"]].to_dict("records") == [{"status": "failed", "error": "boom"}]


def test_an_error_quoting_a_lone_surrogate_is_recorded_with_it_spelled_out() -> None:
    row = snapshot(1).row("failed", None, "node 'a\ud800b' could not be read")
    assert row["error"][0] == "node 'a\\ud800b' could not be read"


def test_a_record_reads_row_counts_from_json_text() -> None:
    taken = snapshot(1)
    row = {**taken.__dict__, "status": "succeeded", "row_counts": '{"markets": 3}', "error": None}
    assert SnapshotRecord.from_row(row) == SnapshotRecord(taken, "succeeded", {"markets": 3}, None)

"""A run killed outright (``dead_runs.py``): the next run marks it failed, ends its session and deletes its
run directory, whichever step it was killed in (API steps hold no pool slot)."""

from __future__ import annotations

import os
import signal
import subprocess
import sys
import time
from pathlib import Path

import pytest
from dagster import DagsterInstance, DagsterRunStatus

from capital_pipeline.simulator import SimulatorHandle
from capital_pipeline_tests.defs.conftest import WarehouseTarget, run_snapshot

pytestmark = pytest.mark.slow

# A snapshot run in a process of its own, in the instance at argv[1], into the warehouse target at argv[2:].
_RUN = """
import sys
from dagster import DagsterInstance
from capital_pipeline.defs.launch import launch_snapshot
from capital_pipeline_tests.defs.conftest import WarehouseTarget

target = WarehouseTarget(sys.argv[2], sys.argv[3])
with DagsterInstance.from_config(sys.argv[1]) as instance:
    launch_snapshot(instance, run_config=target.run_config())
"""


def _wait_for(condition, what: str, seconds: float = 60.0) -> None:  # type: ignore[no-untyped-def]
    deadline = time.monotonic() + seconds
    while not condition():
        assert time.monotonic() < deadline, f"timed out waiting for {what}"
        time.sleep(0.1)


def _run_and_kill_during_navigation(
    capital_env: SimulatorHandle, home: Path, target: WarehouseTarget
) -> None:
    killed = subprocess.Popen([sys.executable, "-c", _RUN, str(home), target.url, target.schema])
    try:
        _wait_for(
            lambda: any(
                route.startswith("GET /api/v1/marketnavigation") for route in capital_env.stats()["requests"]
            ),
            "the navigation crawl",
        )
    finally:
        os.kill(killed.pid, signal.SIGKILL)
        killed.wait()


def test_a_run_killed_during_navigation_is_failed_logged_out_and_cleaned_by_the_next_run(
    capital_env: SimulatorHandle, tmp_path: Path, state_directory: Path
) -> None:
    home = tmp_path / "dagster_home"
    home.mkdir()
    target = WarehouseTarget(f"duckdb:///{tmp_path / 'w.duckdb'}", "capital")
    capital_env.set_config(latency_ms=200)  # navigation takes long enough to be killed in
    try:
        _run_and_kill_during_navigation(capital_env, home, target)
    finally:
        capital_env.set_config(latency_ms=0)
    with DagsterInstance.from_config(str(home)) as instance:
        (dead,) = instance.get_runs()
        assert dead.status == DagsterRunStatus.STARTED
        assert (state_directory / "runs" / dead.run_id / "session.json").exists()

        run_id = run_snapshot(instance, target)

        assert instance.get_run_by_id(dead.run_id).status == DagsterRunStatus.FAILURE  # type: ignore[union-attr]
        messages = [entry.user_message for entry in instance.all_logs(run_id)]
        assert any(f"run {dead.run_id} had been killed" in message for message in messages), messages
    assert not (state_directory / "runs" / dead.run_id).exists()
    assert not (state_directory / "processes" / f"{dead.run_id}.json").exists()
    stats = capital_env.stats()
    # The killed run's session and the new run's: both logged out.
    assert stats["logins"]["successes"] == 2
    assert stats["requests"]["DELETE /api/v1/session"] == 2


def test_a_dead_run_of_another_instance_loses_its_tokens_but_its_session_is_not_sent_here(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setenv("CAPITAL_PIPELINE_STATE_DIR", str(tmp_path / "state"))
    from capital_pipeline.defs import dead_runs
    from capital_pipeline.defs.resources import run_directory

    finished = subprocess.run([sys.executable, "-c", "import os; print(os.getpid())"], capture_output=True)
    gone_pid = int(finished.stdout)  # a process that has ended
    dead_runs.note_run_process("elsewhere")
    note = tmp_path / "state" / "processes" / "elsewhere.json"
    note.write_text(f'{{"pid": {gone_pid}, "start_ticks": 1}}')
    run_directory("elsewhere").mkdir(parents=True)
    (run_directory("elsewhere") / "session.json").write_text("{}")
    ended: list[str] = []
    instance = DagsterInstance.ephemeral()
    released = dead_runs.release_dead_runs(instance, (), "current", ended.append)
    assert released == [] and ended == []
    assert not run_directory("elsewhere").exists() and note.exists()

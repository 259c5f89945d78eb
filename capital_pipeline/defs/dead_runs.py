"""Runs whose process was killed: found by the next run on the same machine, marked failed, their session
ended and their pool slots given back.

A run killed outright (SIGKILL, power loss) records nothing more: it stays STARTED, its token file keeps a
live session, and a pool slot it held (``capital_warehouse`` allows one publisher) stays claimed, so every
later run's `snapshots` step would wait for it forever. Dagster frees slots only for runs that finished, from
its daemon, which ``capital-pipeline`` and ``execute_job`` do not run. So each run notes its process beside
the run directories, and at its start looks at every noted run (an API step holds no slot: ``capital_api``
has no limit) and at the runs holding or queueing for a pool slot: one whose noted process is gone is marked
failed, its session logged out, its slots freed and its run directory (token file included) deleted. A run
of another machine has no note here and is left alone; a dead run of another Dagster instance on this machine
has its token file deleted (not its session logged out: its tokens may be another login's or another API's),
and keeps its note for its own instance to mark. (The note sits beside the run
directories, not in one: `snapshots` deletes its run's directory, tokens and all, before it publishes.)
"""

from __future__ import annotations

import json
import os
import shutil
from collections.abc import Callable
from pathlib import Path

from dagster import DagsterInstance
from dagster._core.storage.dagster_run import FINISHED_STATUSES

from capital_pipeline.capital.private_files import ensure_private_directory
from capital_pipeline.defs.resources import run_directory, state_directory

__all__ = ["forget_run_process", "note_run_process", "release_dead_runs"]


def _notes() -> Path:
    return state_directory() / "processes"


def _note(run_id: str) -> Path:
    return _notes() / f"{run_id}.json"


def _start_ticks(pid: int) -> int | None:
    """When process ``pid`` started (clock ticks since boot), so a reused pid is not taken for the run's."""
    try:
        stat = Path(f"/proc/{pid}/stat").read_text()
    except OSError:
        return None
    # The command name (field 2) may hold spaces; fields after its closing parenthesis are plain.
    return int(stat.rpartition(")")[2].split()[19])


def note_run_process(run_id: str) -> None:
    """Record that this process runs ``run_id`` (read by later runs' ``release_dead_runs``)."""
    note = {"pid": os.getpid(), "start_ticks": _start_ticks(os.getpid())}
    ensure_private_directory(_note(run_id).parent)
    _note(run_id).write_text(json.dumps(note))


def forget_run_process(run_id: str) -> None:
    """The run has ended (however): its note goes."""
    _note(run_id).unlink(missing_ok=True)


def _is_gone(run_id: str) -> bool:
    try:
        note = json.loads(_note(run_id).read_text())
    except (OSError, ValueError):
        return False  # no note: another machine's run, or one that has not started yet
    ticks = _start_ticks(note["pid"])
    return ticks is None or (note["start_ticks"] is not None and ticks != note["start_ticks"])


def _noted_runs() -> set[str]:
    return {note.stem for note in _notes().glob("*.json")}


def _pool_holders(instance: DagsterInstance, pools: tuple[str, ...]) -> set[str]:
    storage = instance.event_log_storage
    if not storage.supports_global_concurrency_limits:
        return set()
    holders: set[str] = set()
    for pool in pools:
        info = storage.get_concurrency_info(pool)
        holders |= {slot.run_id for slot in info.claimed_slots if slot.run_id}
        holders |= {step.run_id for step in info.pending_steps}
    return holders


def release_dead_runs(
    instance: DagsterInstance,
    pools: tuple[str, ...],
    current_run_id: str,
    end_session: Callable[[str], None],
) -> list[str]:
    """Mark failed every noted run (or run in ``pools``) whose process is gone, ``end_session`` it, delete its
    run directory and free its slots (and free those of finished runs, as Dagster's daemon would); their ids.
    """
    released = []
    for run_id in sorted((_noted_runs() | _pool_holders(instance, pools)) - {current_run_id}):
        run = instance.get_run_by_id(run_id)
        finished = run is not None and run.status in FINISHED_STATUSES
        if not finished and not _is_gone(run_id):
            continue
        if run is not None and not finished:
            instance.report_run_failed(run, "The run's process ended without finishing it (killed?).")
        if run is not None:
            # Only this instance's runs: another instance's may have used another login or API (its tokens
            # must not be sent here); deleting its token file is enough, the session expires by itself.
            end_session(run_id)
        shutil.rmtree(run_directory(run_id), ignore_errors=True)
        if run is None:
            continue  # another instance's run: its next run marks it
        if instance.event_log_storage.supports_global_concurrency_limits:
            instance.event_log_storage.free_concurrency_slots_for_run(run_id)
        forget_run_process(run_id)
        released.append(run_id)
    return released

"""One run of ``capital_snapshot_job`` in a fresh process, started the way a user's command starts one.

``pipeline_run`` starts this module (``python -m benchmarks._pipeline_worker '<spec JSON>'``) with the
``CAPITAL_*`` variables already in its environment, samples the memory of its process tree, and reads one
JSON line of timings from its standard output: when the process started, when Dagster and the definitions
had been imported, and the event log's timestamps of the run and of each step. The leading underscore keeps
``python -m benchmarks`` from running it as a benchmark.
"""

from __future__ import annotations

import time

STARTED = time.time()  # before any heavy import: process start to here is the interpreter's own cost

import json  # noqa: E402
import sys  # noqa: E402
from typing import Any  # noqa: E402

# Events whose timestamps say where a run's time goes (multiprocess adds the STEP_WORKER_* pair per step).
_TIMED_EVENTS = {
    "RUN_START",
    "RUN_SUCCESS",
    "RUN_FAILURE",
    "STEP_WORKER_STARTING",
    "STEP_WORKER_STARTED",
    "STEP_START",
    "STEP_SUCCESS",
    "STEP_FAILURE",
}


def _timeline(instance: Any, run_id: str) -> tuple[dict[str, float], dict[str, dict[str, float]], list[str]]:
    """Run-level and per-step event timestamps, and the steps' log lines counting their API requests."""
    run: dict[str, float] = {}
    steps: dict[str, dict[str, float]] = {}
    request_lines: list[str] = []
    for entry in instance.all_logs(run_id):
        event = entry.dagster_event
        if event is None:
            if entry.user_message.endswith("API requests"):
                request_lines.append(f"{entry.step_key}: {entry.user_message}")
            continue
        kind = event.event_type.name
        if kind not in _TIMED_EVENTS:
            continue
        if entry.step_key:
            steps.setdefault(entry.step_key, {}).setdefault(kind, entry.timestamp)
        else:
            run.setdefault(kind, entry.timestamp)
    return run, steps, request_lines


def run_once(spec: dict[str, Any]) -> dict[str, Any]:
    """Import, load the definitions, run the job once; the timings of each phase (epoch seconds)."""
    from dagster import instance_for_test

    imported = time.time()
    from capital_pipeline.defs.launch import launch_snapshot, snapshot_job

    snapshot_job()
    loaded = time.time()
    with instance_for_test(temp_dir=spec["dagster_home"]) as instance:
        launched = time.time()
        with launch_snapshot(instance, run_config=spec["run_config"]) as result:
            success, run_id = result.success, result.run_id
            failures = [event.message for event in result.all_events if event.is_failure]
        returned = time.time()
        run, steps, request_lines = _timeline(instance, run_id)
    return {
        "success": success,
        "failures": failures,
        "started": STARTED,
        "imported": imported,
        "loaded": loaded,
        "launched": launched,
        "returned": returned,
        "run": run,
        "steps": steps,
        "request_lines": request_lines,
    }


if __name__ == "__main__":
    print(json.dumps(run_once(json.loads(sys.argv[1]))), flush=True)

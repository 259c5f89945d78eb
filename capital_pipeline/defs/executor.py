"""The job's executor: Dagster's own (multiprocess or in-process) wrapped by what a run must do at its end.

It is the one place that runs once per run, in the run's own process, whatever the executor and however the
run ends (success, failure, cancellation): there the run's token file is deleted, and on success its staged
frames. At its start it notes the run's process and releases runs whose process was killed (dead_runs.py).
Steps never see the wrapper. (``materialize``/``execute_in_process`` replace the executor; the ``snapshots``
step then still logs out and deletes the tokens on success, and stale run directories are swept by later
runs.)
"""

from __future__ import annotations

import shutil
from collections.abc import Iterator, Mapping
from typing import Any

from dagster import DagsterEventType, Executor, Field, executor, multi_or_in_process_executor

from capital_pipeline.defs.assets import API_POOL, API_SESSION_TAG, WAREHOUSE_POOL
from capital_pipeline.defs.dead_runs import forget_run_process, note_run_process, release_dead_runs
from capital_pipeline.defs.resources import run_directory
from capital_pipeline.defs.staging import remove_run_staging

__all__ = ["DEFAULT_EXECUTION", "snapshot_executor", "with_api_steps_in_turn"]

# In-process by default: every step waits on one API budget, so step processes add no throughput, only their
# start (2.5-5 s each on the critical path: a run took 24.4 s over the API bound multiprocess, 7.9 s
# in-process, benchmarks/README.md), memory (918 vs 495 MiB) and a fork server that keeps a stale environment.
# Run config `execution: {config: {multiprocess: {}}}` still gives Dagster's multiprocess executor.
DEFAULT_EXECUTION = {"in_process": {}}
# Multiprocess: the API steps of a run take turns on its one session (assets.API_SESSION_TAG says why), unless
# the run config sets its own limit for that tag.
ONE_API_STEP_AT_A_TIME = {"key": API_SESSION_TAG, "limit": 1}


def with_api_steps_in_turn(executor_config: Mapping[str, Any]) -> dict[str, Any]:
    """``executor_config`` with the multiprocess executor's limit of one API step at a time added."""
    config = dict(executor_config)
    if "multiprocess" in config:
        multiprocess = dict(config["multiprocess"] or {})
        limits = list(multiprocess.get("tag_concurrency_limits") or [])
        if not any(limit.get("key") == API_SESSION_TAG for limit in limits):
            limits.append(ONE_API_STEP_AT_A_TIME)
        config["multiprocess"] = multiprocess | {"tag_concurrency_limits": limits}
    return config


class _RunScopedExecutor(Executor):
    def __init__(self, inner: Executor) -> None:
        self._inner = inner

    @property
    def retries(self) -> Any:
        return self._inner.retries

    @property
    def step_dependency_config(self) -> Any:
        return self._inner.step_dependency_config

    def execute(self, plan_context: Any, execution_plan: Any) -> Iterator[Any]:
        failed = False
        note_run_process(plan_context.run_id)
        for run_id in release_dead_runs(
            plan_context.instance, (API_POOL, WAREHOUSE_POOL), plan_context.run_id
        ):
            plan_context.log.warning(f"run {run_id} had been killed: marked failed, its pool slots freed")
        try:
            for event in self._inner.execute(plan_context, execution_plan):
                failed = failed or event.event_type == DagsterEventType.STEP_FAILURE
                yield event
        finally:
            # The tokens must not outlive the run; the session itself expires on the API's side.
            shutil.rmtree(run_directory(plan_context.run_id), ignore_errors=True)
            forget_run_process(plan_context.run_id)
            if not failed:
                remove_run_staging(plan_context.instance.storage_directory(), plan_context.run_id)


@executor(
    name="capital_snapshot_executor",
    config_schema=Field(
        multi_or_in_process_executor.config_field.config_type,
        default_value=DEFAULT_EXECUTION,
        is_required=False,
    ),
    requirements=multi_or_in_process_executor.get_requirements,
)
def snapshot_executor(init_context: Any) -> Executor:
    """Dagster's default executor (``multiprocess`` or ``in_process`` in run config), run-scoped."""
    init_context = init_context._replace(executor_config=with_api_steps_in_turn(init_context.executor_config))
    return _RunScopedExecutor(multi_or_in_process_executor.executor_creation_fn(init_context))

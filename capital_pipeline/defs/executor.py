"""The code location's executor: Dagster's own (multiprocess or in-process) wrapped by what a run must do at
its start and end.

It is the one place that runs once per run, in the run's own process, whatever the executor, however the run
was launched (`capital_snapshot_job`, the schedule, "Materialize" on any selection of assets: definitions.py
makes it every job's executor) and however it ends (success, failure, cancellation). At its start it notes the
run's process, releases runs whose process was killed (dead_runs.py), deletes the staging of runs finished a
week ago, warns a run that fetches but will not publish, and gives a re-execution the request tally of the
run it re-executes. At its end it logs the run's session out if a step left it open and deletes the token
file; on success it deletes the staged frames (those of the runs it re-executed too), on failure it keeps
them and its request tally for a re-execution. Steps never see the wrapper. (``materialize`` and
``execute_in_process`` replace the executor; the ``snapshots`` step then still logs out and deletes the
tokens on success, and stale run directories are swept by later runs.)
"""

from __future__ import annotations

import shutil
from collections.abc import Callable, Iterator, Mapping
from typing import Any

from dagster import (
    DagsterEventType,
    Executor,
    Field,
    build_resources,
    executor,
    multi_or_in_process_executor,
)

from capital_pipeline.defs.assets import API_POOL, API_SESSION_TAG, WAREHOUSE_POOL
from capital_pipeline.defs.dead_runs import forget_run_process, note_run_process, release_dead_runs
from capital_pipeline.defs.identity import re_executed_runs
from capital_pipeline.defs.resources import CapitalApiResource, run_directory, run_session_path
from capital_pipeline.defs.run_scope import inherit_request_count, keep_request_count, log_out_if_open
from capital_pipeline.defs.staging import (
    remove_snapshot_staging,
    staging_directory,
    sweep_finished_staging,
)

__all__ = ["DEFAULT_EXECUTION", "snapshot_executor", "with_api_steps_in_turn"]

# In-process by default: every step waits on one API budget, so step processes add no throughput, only their
# start (2.5-5 s each on the critical path: a run took 24.4 s over the API bound multiprocess, 7.9 s
# in-process, benchmarks/README.md), memory (918 vs 495 MiB) and a fork server that keeps a stale environment.
# Run config `execution: {config: {multiprocess: {}}}` still gives Dagster's multiprocess executor.
DEFAULT_EXECUTION = {"in_process": {}}
# Multiprocess: the API steps of a run take turns on its one session (assets.API_SESSION_TAG says why), unless
# the run config sets its own limit for that tag.
ONE_API_STEP_AT_A_TIME = {"key": API_SESSION_TAG, "limit": 1}
# The one step that writes the warehouse (assets.snapshots).
PUBLISH_STEP = "snapshots"


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


def _run_capital(plan_context: Any) -> CapitalApiResource | None:
    """The run's ``capital`` resource as its steps get it (run config over the definitions' defaults); None
    if it cannot be built (a login variable unset: the first API step says so)."""
    job = plan_context.job.get_definition()
    config = (plan_context.run_config.get("resources") or {}).get("capital") or {}
    try:
        with build_resources(
            {"capital": job.resource_defs["capital"]},
            instance=plan_context.instance,
            resource_config={"capital": config},
        ) as resources:
            capital: CapitalApiResource = resources.capital
            return capital
    except Exception:  # the steps report a bad setting with what to fix; cleanup skips
        return None


def _session_ender(plan_context: Any, warn: Callable[[str], None]) -> Callable[[str], None]:
    """Ends a run's session if its token file is still there; the resource (~0.1 s to build) is built the
    first time one is, not at every run's start."""
    built: list[CapitalApiResource | None] = []

    def end(run_id: str) -> None:
        if not run_session_path(run_id).exists():
            return
        if not built:
            built.append(_run_capital(plan_context))
        capital = built[0]
        if capital is None:
            return
        try:
            log_out_if_open(run_id, capital, warn)
        except Exception as error:  # cleanup: the token file is deleted next either way
            warn(f"the API session of run {run_id} could not be ended ({type(error).__name__}); it expires")

    return end


def _warn_if_nothing_published(plan_context: Any, execution_plan: Any) -> None:
    """Say so when the run fetches but will not publish (API assets selected without `snapshots`)."""
    steps = [execution_plan.get_step_by_key(key) for key in execution_plan.step_keys_to_execute]
    fetching = [step.key for step in steps if API_SESSION_TAG in step.tags]
    if fetching and PUBLISH_STEP not in {step.key for step in steps}:
        plan_context.log.warning(
            f"this run fetches ({', '.join(fetching)}) but publishes nothing: the warehouse's tables are "
            f"only written by `{PUBLISH_STEP}`, so no table changes and no snapshot is recorded. Select "
            f"`{PUBLISH_STEP}` too, or Materialize all (or launch capital_snapshot_job)."
        )


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
        run_id, instance, log = plan_context.run_id, plan_context.instance, plan_context.log
        note_run_process(run_id)
        end_session = _session_ender(plan_context, log.warning)
        for dead in release_dead_runs(instance, (API_POOL, WAREHOUSE_POOL), run_id, end_session):
            log.warning(f"run {dead} had been killed: marked failed, its session ended, its pool slots freed")
        for swept in sweep_finished_staging(instance, run_id):
            log.info(f"deleted the staged frames of run {swept}, finished over a week ago")
        _warn_if_nothing_published(plan_context, execution_plan)
        parent = re_executed_runs(plan_context.dagster_run)[1]
        if parent is not None:
            inherit_request_count(run_id, staging_directory(instance.storage_directory(), parent))
        failed = False
        try:
            for event in self._inner.execute(plan_context, execution_plan):
                failed = failed or event.event_type == DagsterEventType.STEP_FAILURE
                yield event
        finally:
            # The session and its tokens must not outlive the run, whichever steps it selected.
            end_session(run_id)
            if failed:
                keep_request_count(run_id, staging_directory(instance.storage_directory(), run_id))
            shutil.rmtree(run_directory(run_id), ignore_errors=True)
            forget_run_process(run_id)
            if not failed:
                remove_snapshot_staging(instance, run_id)


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

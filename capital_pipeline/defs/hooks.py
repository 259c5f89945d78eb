"""What a failed step leaves behind: a `snapshots` row with status failed and the reason, no table rows, and
no open API session.

The step's frames never reached the warehouse (only `snapshots` publishes), so the failure row is all there
is to write. A snapshot that already succeeded keeps its row (the warehouse refuses to overwrite it). The
run's session is logged out here, since `snapshots`, which logs it out after publishing, will not run.
"""

from __future__ import annotations

from dagster import Failure, HookContext, failure_hook

from capital_pipeline.defs.run_scope import (
    EarlierStepFailed,
    end_session_after_failure,
    identity_of_run,
    run_request_count,
)
from capital_pipeline.warehouse import Snapshot, WarehouseError

__all__ = ["record_failed_snapshot"]

_MAX_ERROR = 500


def _reason(context: HookContext) -> str:
    error = context.op_exception
    # An API step's Failure wraps the client's error (run_scope.call_api): record that one, by its own class.
    if isinstance(error, Failure) and error.__cause__ is not None:
        error = error.__cause__
    # The project's errors carry path, status and errorCode, never a secret (capital_pipeline.capital.errors).
    text = f"{context.step_key}: {type(error).__name__}: {error}" if error else f"{context.step_key} failed"
    return text[:_MAX_ERROR]


@failure_hook(required_resource_keys={"warehouse", "capital"})
def record_failed_snapshot(context: HookContext) -> None:
    """Log the run's session out and record the run's snapshot as failed; a warehouse that cannot be written
    is logged, not raised."""
    if isinstance(context.op_exception, Failure) and isinstance(
        context.op_exception.__cause__, EarlierStepFailed
    ):
        return  # the step that failed first has recorded (or will record) the reason
    run_id = context.run_id
    try:
        end_session_after_failure(run_id, context.step_key, context.resources.capital, context.log.warning)
    except Exception as error:  # cleanup: whatever went wrong, the failure must still be recorded below
        context.log.warning(f"the run's API session could not be ended ({type(error).__name__}); it expires")
    identity = identity_of_run(context.instance, run_id)
    snapshot = Snapshot(
        snapshot_id=identity.snapshot_id,
        snapshot_at=identity.snapshot_at,
        environment=context.resources.capital.target(),
        started_at=identity.started_at,
        run_id=run_id,
        # The logout's included, and a re-execution's counts those of the runs it re-executes.
        request_count=run_request_count(run_id),
    )
    try:
        warehouse = context.resources.warehouse.warehouse()
        warehouse.ensure_schema()
        recorded = warehouse.record_failed_snapshot(snapshot, _reason(context))
    except WarehouseError as error:
        context.log.warning(f"could not record the failed snapshot {identity.snapshot_id}: {error}")
        return
    if recorded:
        context.log.info(f"recorded snapshot {identity.snapshot_id} as failed")

"""What the steps of one run share: the snapshot's identity, the API session, the request tally, cleanup.

Steps may run in separate processes (Dagster's multiprocess executor), so what they share lives in a private
run directory next to the session file, never in the event log: the token bundle (through the client's
``SharedSessionStore``) and each step's request count.
"""

from __future__ import annotations

import asyncio
import gc
import json
import shutil
import time
from collections.abc import Awaitable, Callable, Iterator
from contextlib import contextmanager
from datetime import UTC, datetime
from pathlib import Path
from typing import TypeVar

from dagster import AssetExecutionContext, DagsterInstance, Failure, OpExecutionContext

from capital_pipeline.capital import CapitalClient
from capital_pipeline.capital.errors import (
    AuthenticationFailed,
    CapitalError,
    ConfigurationError,
    MalformedResponse,
    RateLimited,
    SessionExpired,
)
from capital_pipeline.capital.private_files import ensure_private_directory
from capital_pipeline.defs.identity import (
    ROOT_RUN_TAG,
    SnapshotIdentity,
    re_executed_runs,
    snapshot_identity,
)
from capital_pipeline.defs.resources import CapitalApiResource, run_directory
from capital_pipeline.snapshot import SnapshotIncomplete

__all__ = [
    "EarlierStepFailed",
    "call_api",
    "close_run_session",
    "end_session_after_failure",
    "failure_message",
    "identity_of_run",
    "inherit_request_count",
    "keep_request_count",
    "log_out_if_open",
    "progress_logger",
    "run_identity",
    "run_request_count",
]

T = TypeVar("T")
StepContext = AssetExecutionContext | OpExecutionContext
# A run's session dies an hour after login at the latest (REFERENCE.md section 3): older run directories
# left behind by a killed process hold dead tokens and are swept.
_STALE_RUN_SECONDS = 3600.0
_PROGRESS_EVERY_SECONDS = 2.0
# A marker in the run directory: this API step failed (named after the marker's prefix).
_FAILED = "failed-"
# Beside a failed run's staged frames: the API requests it made, which its re-execution's snapshot adds.
_KEPT_REQUESTS = "api_requests.json"


def run_identity(context: StepContext) -> SnapshotIdentity:
    """The snapshot this run takes (same answer in every step of the run)."""
    return identity_of_run(context.instance, context.run.run_id)


def identity_of_run(instance: DagsterInstance, run_id: str) -> SnapshotIdentity:
    """The snapshot run ``run_id`` takes, from its tags and the creation time of the run it re-executes (its
    root run), else its own."""
    record = instance.get_run_record_by_id(run_id)
    if record is None:
        return snapshot_identity(run_id, {}, datetime.now(UTC))
    root_id, _ = re_executed_runs(record.dagster_run)
    tags = dict(record.dagster_run.tags) | ({ROOT_RUN_TAG: root_id} if root_id else {})
    root = instance.get_run_record_by_id(root_id) if root_id else None
    return snapshot_identity(run_id, tags, (root or record).create_timestamp.astimezone(UTC))


def progress_logger(context: StepContext) -> Callable[[str, int, int | None], None]:
    """A progress callback for the client that logs a line at most every two seconds, and the last one."""
    last = 0.0

    def report(stage: str, done: int, total: int | None) -> None:
        nonlocal last
        now = time.monotonic()
        if now - last >= _PROGRESS_EVERY_SECONDS or done == total:
            last = now
            of_total = f"/{total}" if total is not None else ""
            context.log.info(f"{stage}: {done}{of_total}")

    return report


def _sweep_stale_runs(current: str) -> None:
    runs = run_directory(current).parent
    if not runs.is_dir():
        return
    cutoff = time.time() - _STALE_RUN_SECONDS
    for directory in runs.iterdir():
        if directory.name != current and directory.stat().st_mtime < cutoff:
            shutil.rmtree(directory, ignore_errors=True)


class EarlierStepFailed(Exception):
    """Another API step of the run failed first; its error, not this one, is the snapshot's reason."""


def call_api(
    context: StepContext,
    capital: CapitalApiResource,
    step: str,
    work: Callable[[CapitalClient], Awaitable[T]],
) -> T:
    """Run ``work`` with a client on the run's shared session; tally the requests of ``step``.

    A snapshot is all or nothing, so once one API step of the run has failed, the others send nothing: they
    fail at once, naming the step that did (its error is the run's first failure)."""
    run_id = context.run.run_id
    _sweep_stale_runs(run_id)
    failed = _failed_steps(run_id)
    if failed:
        earlier = EarlierStepFailed(", ".join(failed))
        raise Failure(
            description=f"Not reading the {step}: the {', '.join(failed)} step of this run already failed, "
            "so this snapshot cannot be published (see that step's error); the previous one stays current.",
            allow_retries=False,
        ) from earlier

    async def go() -> tuple[T, int]:
        async with capital.client(run_id) as client:
            try:
                result = await work(client)
                if _failed_steps(run_id):
                    # Another step failed while this one worked (steps in parallel processes): its failure
                    # hook logged the session out, and this step may have logged in again since. Nothing
                    # of the run will be published, so no session of it stays open.
                    try:
                        await capital.run_session_store(run_id).close(client)
                    except CapitalError as error:
                        context.log.warning(f"the API session could not be logged out ({error}); it expires")
                return result, client.stats.total
            finally:
                _record_requests(run_id, step, client.stats.total)

    try:
        with _collector_spared():
            result, requests = asyncio.run(go())
    except (CapitalError, SnapshotIncomplete) as error:
        (ensure_private_directory(run_directory(run_id)) / f"{_FAILED}{step}").touch()
        raise Failure(description=failure_message(step, error), allow_retries=False) from error
    context.log.info(f"{requests} API requests")
    return result


def _failed_steps(run_id: str) -> list[str]:
    """The steps of the run that failed so far, as their markers name them."""
    return sorted(path.name.removeprefix(_FAILED) for path in run_directory(run_id).glob(f"{_FAILED}*"))


@contextmanager
def _collector_spared() -> Iterator[None]:
    """Everything alive before the API work (Dagster, pandas, the definitions: ~10^5-10^6 objects) is left
    out of garbage collections while the crawl runs, then handed back.

    A full collection walks every tracked object; at x30 the crawl and the markets step each made a dozen or
    more, and a pause of the event loop delays the answers in flight, which the pacer must read as the server
    counting them late (capital/pacing.py) and so slows down. Nothing is leaked: frozen objects are only
    skipped, and freed as usual once unfrozen."""
    gc.freeze()
    try:
        yield
    finally:
        gc.unfreeze()


def failure_message(step: str, error: CapitalError | SnapshotIncomplete) -> str:
    """What failed (the client's error names path, status and errorCode, never a secret) and what to do."""
    return (
        f"Could not read the {step} from Capital.com: {error}\n"
        f"Nothing of this snapshot was published; the previous snapshot stays current. {_fix(error)}"
    )


def _fix(error: CapitalError | SnapshotIncomplete) -> str:
    failures = error.failures if isinstance(error, SnapshotIncomplete) else []
    statuses = {failure.status for failure in failures}
    if isinstance(error, AuthenticationFailed):
        return f"Fix {error.setting} and run again."
    if isinstance(error, ConfigurationError):
        return "Fix the setting named above and run again."
    if isinstance(error, RateLimited) or statuses == {429}:
        return (
            "The API kept answering 429: another program may share this API key's budget; wait a minute "
            "or lower CAPITAL_REQUESTS_PER_SECOND, then run again."
        )
    if isinstance(error, SessionExpired):
        return "Run again; if it repeats, check that nothing else logging in with this API key ends sessions."
    if isinstance(error, MalformedResponse):
        return "Run again; if it repeats, the API's answers changed shape (the error names the request)."
    return (
        "Capital.com or the network to it kept failing: run again in a few minutes (CAPITAL_BASE_URL or "
        "CAPITAL_ENVIRONMENT says where the pipeline connects)."
    )


def _record_requests(run_id: str, step: str, count: int) -> None:
    directory = ensure_private_directory(run_directory(run_id))
    (directory / f"requests-{step}.json").write_text(json.dumps(count))


def run_request_count(run_id: str) -> int:
    """API requests made so far by every step of the run."""
    directory = run_directory(run_id)
    return sum(json.loads(path.read_text()) for path in directory.glob("requests-*.json"))


def _log_out(run_id: str, capital: CapitalApiResource, warn: Callable[[str], None]) -> int:
    """Log the run's shared session out and delete its token file; the logout's request count.

    A logout that fails after its retries is only warned about: the tokens are deleted here either way, and
    the session ends on the API's side after 10 idle minutes (REFERENCE.md §3)."""

    async def go() -> int:
        async with capital.client(run_id) as client:
            try:
                await capital.run_session_store(run_id).close(client)
            except CapitalError as error:
                warn(f"the API session could not be logged out ({error}); it expires by itself")
            return client.stats.total

    return asyncio.run(go())


def log_out_if_open(run_id: str, capital: CapitalApiResource, warn: Callable[[str], None]) -> None:
    """Log the run's session out if its token file is still there; the logout counts in the run's tally.

    Run-level cleanup, whatever the steps did: a run whose selection has no `snapshots` (which logs out after
    publishing), a failure hook that never ran, a run killed outright. No token file: nothing is sent."""
    if capital.run_session_store(run_id).path.exists():
        _record_requests(run_id, "logout", _log_out(run_id, capital, warn))


def keep_request_count(run_id: str, staging: Path) -> None:
    """The run failed: its requests (those of the runs it re-executed included) wait beside its staged frames,
    for a re-execution to count into the snapshot they take together."""
    staging.mkdir(parents=True, exist_ok=True)
    (staging / _KEPT_REQUESTS).write_text(json.dumps(run_request_count(run_id)))


def inherit_request_count(run_id: str, parent_staging: Path) -> None:
    """The run re-executes a failed one: that run's kept requests count in this run's tally."""
    kept = parent_staging / _KEPT_REQUESTS
    if kept.is_file():
        _record_requests(run_id, "earlier-runs", json.loads(kept.read_text()))


def close_run_session(run_id: str, capital: CapitalApiResource, warn: Callable[[str], None]) -> int:
    """Log the run's session out, delete its token file and run directory; the logout's request count."""
    try:
        return _log_out(run_id, capital, warn)
    finally:
        shutil.rmtree(run_directory(run_id), ignore_errors=True)


def end_session_after_failure(
    run_id: str, step: str, capital: CapitalApiResource, warn: Callable[[str], None]
) -> None:
    """After ``step`` failed: the run's other API steps send nothing, and its session is logged out now.

    A failed step means ``snapshots``, which logs the session out after publishing, will not run: without
    this, the session stayed open and its tokens on disk until the next run swept them. The run directory
    stays (its markers stop later steps; a stale one is swept after an hour). No token file (no login yet,
    or ``snapshots`` already logged out): nothing is sent. The logout counts in the run's tally."""
    directory = ensure_private_directory(run_directory(run_id))
    if not _failed_steps(run_id):  # an API step's own marker names it as call_api knows it
        (directory / f"{_FAILED}{step}").touch()
    log_out_if_open(run_id, capital, warn)

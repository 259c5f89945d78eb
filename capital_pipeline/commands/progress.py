"""Progress of a running snapshot, read from its Dagster event log and shown with rich.

The steps run in other processes and report through the event log: ``navigation: done/total`` and
``market_details: done/total`` lines (logged at most every 2 s by ``defs/run_scope.progress_logger``),
step starts, successes, failures, and waits for a pool slot. ``RunTail`` polls that log from a thread of the
command while the run executes; a display turns what it reads into live progress bars or plain lines.
"""

from __future__ import annotations

import logging
import re
import threading
import time
from collections.abc import Callable
from typing import Protocol

from dagster import DagsterEventType, DagsterInstance, EventLogEntry, RunsFilter
from rich.console import Console
from rich.progress import BarColumn, Progress, TaskID, TextColumn, TimeElapsedColumn

__all__ = ["LiveDisplay", "PlainDisplay", "RunDisplay", "RunTail", "display_for", "observe"]

log = logging.getLogger(__name__)

# The client's progress stages (capital/navigation.py, capital/markets.py) as the steps log them.
_PROGRESS_LINE = re.compile(r"(?P<stage>navigation|market_details): (?P<done>\d+)(?:/(?P<total>\d+))?")
_POOL_BLOCKED = re.compile(r"Step blocked by limit for pool (?P<pool>\S+)")
_POLL_SECONDS = 0.5
STEP_LABELS = {
    "capital_accounts": "accounts and preferences",
    "capital_navigation": "navigation nodes crawled",
    "capital_watchlists": "watchlists",
    "markets": "market details fetched",
    "snapshots": "publish snapshot",
}


def _label(step_key: str) -> str:
    return STEP_LABELS.get(step_key, f"check {step_key}")


class RunDisplay(Protocol):
    """What a display is told about the run, from the tailing thread."""

    def started(self, step_key: str) -> None: ...
    def progressed(self, step_key: str, done: int, total: int | None) -> None: ...
    def finished(self, step_key: str, succeeded: bool) -> None: ...
    def waiting(self, step_key: str, pool: str) -> None: ...


class PlainDisplay:
    """One line per event, for logs and pipes: seconds since the start, the step, what happened."""

    def __init__(self, console: Console) -> None:
        self._console = console
        self._start = time.monotonic()

    def __enter__(self) -> PlainDisplay:
        return self

    def __exit__(self, *_exc_info: object) -> None:
        return None

    def _line(self, step_key: str, text: str) -> None:
        elapsed = time.monotonic() - self._start
        self._console.print(f"{elapsed:6.1f}s  {_label(step_key)}: {text}", highlight=False, markup=False)

    def started(self, step_key: str) -> None:
        self._line(step_key, "started")

    def progressed(self, step_key: str, done: int, total: int | None) -> None:
        self._line(step_key, f"{done}/{total}" if total is not None else str(done))

    def finished(self, step_key: str, succeeded: bool) -> None:
        self._line(step_key, "done" if succeeded else "FAILED")

    def waiting(self, step_key: str, pool: str) -> None:
        self._line(step_key, f"waiting for pool {pool} (another run holds it)")


class LiveDisplay:
    """A rich progress bar per step, on a terminal; a context manager that starts and stops the live view."""

    def __init__(self, console: Console) -> None:
        self._progress = Progress(
            TextColumn("{task.fields[mark]}"),
            TextColumn("{task.description:<26}"),
            BarColumn(),
            TextColumn("{task.fields[status]}"),
            TimeElapsedColumn(),
            console=console,
            # Dagster's console log must reach the log file behind fd 2, not the terminal (launching.py).
            redirect_stderr=False,
        )
        self._tasks: dict[str, TaskID] = {}
        self._lock = threading.Lock()

    def __enter__(self) -> LiveDisplay:
        self._progress.start()
        return self

    def __exit__(self, *_exc_info: object) -> None:
        self._progress.stop()

    def _task(self, step_key: str) -> TaskID:
        with self._lock:
            if step_key not in self._tasks:
                self._tasks[step_key] = self._progress.add_task(
                    _label(step_key), total=None, mark="…", status="running"
                )
            return self._tasks[step_key]

    def started(self, step_key: str) -> None:
        self._task(step_key)

    def progressed(self, step_key: str, done: int, total: int | None) -> None:
        status = f"{done}/{total}" if total is not None else str(done)
        self._progress.update(self._task(step_key), completed=done, total=total, status=status)

    def finished(self, step_key: str, succeeded: bool) -> None:
        task = self._task(step_key)
        total = self._progress.tasks[task].total or 1
        mark, status = ("[green]✓", "done") if succeeded else ("[red]✗", "[red]failed")
        self._progress.update(task, total=total, completed=total, mark=mark, status=status)
        self._progress.stop_task(task)

    def waiting(self, step_key: str, pool: str) -> None:
        self._progress.update(self._task(step_key), status=f"waiting for pool {pool}")


def display_for(console: Console) -> PlainDisplay | LiveDisplay:
    """A live view on a terminal, plain lines otherwise (pipes, CI logs, tests)."""
    return LiveDisplay(console) if console.is_terminal else PlainDisplay(console)


def observe(entry: EventLogEntry, display: RunDisplay) -> None:
    """Tell ``display`` what one event-log entry means for the run's progress, if anything."""
    step_key = entry.step_key
    if step_key is None:
        return
    event = entry.dagster_event
    if event is None:
        if found := _PROGRESS_LINE.fullmatch(entry.user_message):
            total = found["total"]
            display.progressed(step_key, int(found["done"]), int(total) if total else None)
    elif event.event_type == DagsterEventType.STEP_START:
        display.started(step_key)
    elif event.event_type in (DagsterEventType.STEP_SUCCESS, DagsterEventType.STEP_FAILURE):
        display.finished(step_key, event.event_type == DagsterEventType.STEP_SUCCESS)
    elif event.event_type == DagsterEventType.ENGINE_EVENT and (
        blocked := _POOL_BLOCKED.fullmatch(event.message or "")
    ):
        display.waiting(step_key, blocked["pool"])


class RunTail(threading.Thread):
    """Follows the event log of the run tagged ``tag`` (found once it exists) until ``finish()``.

    Progress is cosmetic: if reading fails, tailing stops and the run goes on.
    """

    def __init__(
        self, instance: DagsterInstance, tag: tuple[str, str], on_entry: Callable[[EventLogEntry], None]
    ) -> None:
        super().__init__(name="capital-pipeline-run-tail", daemon=True)
        self._instance = instance
        self._tag = tag
        self._on_entry = on_entry
        self._stopping = threading.Event()

    def finish(self) -> None:
        """Read what is left of the log, then stop."""
        self._stopping.set()
        self.join()

    def run(self) -> None:
        try:
            run_id = self._find_run(self._instance)
            if run_id is not None:
                self._follow(self._instance, run_id)
        except Exception:  # progress must never fail the command; the run's own outcome is read afterwards
            log.warning("stopped showing progress", exc_info=True)

    def _find_run(self, instance: DagsterInstance) -> str | None:
        key, value = self._tag
        while True:
            stopping = self._stopping.is_set()
            records = instance.get_run_records(RunsFilter(tags={key: value}), limit=1)
            if records:
                return records[0].dagster_run.run_id
            if stopping:
                return None
            self._stopping.wait(_POLL_SECONDS / 2)

    def _follow(self, instance: DagsterInstance, run_id: str) -> None:
        cursor = None
        while True:
            stopping = self._stopping.is_set()
            page = instance.get_records_for_run(run_id, cursor=cursor)
            for record in page.records:
                self._on_entry(record.event_log_entry)
            cursor = page.cursor
            if page.has_more:
                continue
            if stopping:
                return
            self._stopping.wait(_POLL_SECONDS)

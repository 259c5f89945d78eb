"""Progress read from a run's event log: what the steps report reaches the display, as lines or bars."""

from __future__ import annotations

import io
import time

from dagster import DagsterEvent, DagsterEventType, EventLogEntry
from dagster._core.events import EngineEventData
from dagster._core.execution.plan.objects import StepFailureData, StepSuccessData
from rich.console import Console

from capital_pipeline.commands.progress import LiveDisplay, PlainDisplay, display_for, observe


class RecordingDisplay:
    def __init__(self) -> None:
        self.calls: list[tuple[object, ...]] = []

    def started(self, step_key: str) -> None:
        self.calls.append(("started", step_key))

    def progressed(self, step_key: str, done: int, total: int | None) -> None:
        self.calls.append(("progressed", step_key, done, total))

    def finished(self, step_key: str, succeeded: bool) -> None:
        self.calls.append(("finished", step_key, succeeded))

    def waiting(self, step_key: str, pool: str) -> None:
        self.calls.append(("waiting", step_key, pool))


def log_line(step_key: str | None, message: str) -> EventLogEntry:
    """A ``context.log.info`` line of a step, as the event log stores it."""
    return EventLogEntry(None, 20, message, "run", time.time(), step_key=step_key, job_name="job")


# What Dagster attaches to each kind of event (its constructor checks the type).
EVENT_DATA = {
    DagsterEventType.ENGINE_EVENT: EngineEventData(),
    DagsterEventType.STEP_SUCCESS: StepSuccessData(duration_ms=1.0),
    DagsterEventType.STEP_FAILURE: StepFailureData(error=None, user_failure_data=None),
}


def dagster_event(step_key: str, kind: DagsterEventType, message: str = "") -> EventLogEntry:
    """An event Dagster records for a step."""
    data = EVENT_DATA.get(kind)
    event = DagsterEvent(kind.value, "job", event_specific_data=data, message=message, step_key=step_key)
    return EventLogEntry(None, 10, "", "run", time.time(), step_key, "job", dagster_event=event)


def test_step_progress_lines_become_done_of_total() -> None:
    display = RecordingDisplay()
    for entry in (
        log_line("capital_navigation", "navigation: 12/40"),
        log_line("markets", "market_details: 3160/3160"),
        log_line("markets", "64 API requests"),
        log_line(None, "navigation: 1/2"),
    ):
        observe(entry, display)
    assert display.calls == [
        ("progressed", "capital_navigation", 12, 40),
        ("progressed", "markets", 3160, 3160),
    ]


def test_step_starts_ends_and_pool_waits_reach_the_display() -> None:
    display = RecordingDisplay()
    for entry in (
        dagster_event(
            "snapshots", DagsterEventType.ENGINE_EVENT, "Step blocked by limit for pool capital_warehouse"
        ),
        dagster_event("snapshots", DagsterEventType.ENGINE_EVENT, "Executing steps in process"),
        dagster_event("snapshots", DagsterEventType.STEP_START),
        dagster_event("snapshots", DagsterEventType.STEP_SUCCESS),
        dagster_event("markets", DagsterEventType.STEP_FAILURE),
    ):
        observe(entry, display)
    assert display.calls == [
        ("waiting", "snapshots", "capital_warehouse"),
        ("started", "snapshots"),
        ("finished", "snapshots", True),
        ("finished", "markets", False),
    ]


def test_plain_lines_name_the_step_and_what_happened() -> None:
    out = io.StringIO()
    display = PlainDisplay(Console(file=out, width=200))
    display.started("capital_navigation")
    display.progressed("capital_navigation", 120, 252)
    display.waiting("snapshots", "capital_warehouse")
    display.finished("markets", False)
    lines = [line.split("s  ", 1)[1] for line in out.getvalue().splitlines()]
    assert lines == [
        "navigation nodes crawled: started",
        "navigation nodes crawled: 120/252",
        "publish snapshot: waiting for pool capital_warehouse (another run holds it)",
        "market details fetched: FAILED",
    ]


def test_a_terminal_gets_live_bars_and_a_pipe_gets_lines() -> None:
    assert isinstance(display_for(Console(file=io.StringIO(), force_terminal=True)), LiveDisplay)
    assert isinstance(display_for(Console(file=io.StringIO())), PlainDisplay)


def test_live_bars_show_each_step_and_how_it_ended() -> None:
    out = io.StringIO()
    with LiveDisplay(Console(file=out, force_terminal=True, width=120)) as display:
        display.started("capital_navigation")
        display.progressed("capital_navigation", 252, 252)
        display.finished("capital_navigation", True)
        display.finished("markets", False)
    shown = out.getvalue()
    assert "navigation nodes crawled" in shown and "done" in shown
    assert "market details fetched" in shown and "failed" in shown

"""The path a user walks in Dagster's UI, in Debian's chromium: find the assets, switch the schedule on,
launch the snapshot job, read its row counts and checks, and see no secret in the resource view.

The tests share one `dagster dev` (and its instance) in file order. With CAPITAL_PIPELINE_SCREENSHOTS=docs the
launch test also saves the README's screenshots of the finished run and of the asset graph.
"""

from __future__ import annotations

import re
import time
from pathlib import Path

import duckdb
import pytest
from dagster import AssetKey
from playwright.sync_api import Page, expect

from capital_pipeline.definitions import defs
from capital_pipeline.defs.assets import GROUP
from capital_pipeline.simulator import SimulatorHandle
from capital_pipeline_tests.ui.conftest import JOB, SCHEDULE, DagsterUI, screenshot_directory

pytestmark = [pytest.mark.browser, pytest.mark.slow]

GROUP_ASSETS = sorted(
    spec.key.to_user_string() for spec in defs.resolve_all_asset_specs() if spec.group_name == GROUP
)
# The asset whose page is read: the largest table, with the most checks.
MARKETS = "markets"
TERMINAL = {"SUCCESS", "FAILURE", "CANCELED"}
# The login's settings, bound with EnvVar (definitions.py).
SECRET_SETTINGS = ("CAPITAL_API_KEY", "CAPITAL_IDENTIFIER", "CAPITAL_PASSWORD")
RUN_SECONDS = 240

_SCHEDULE_STATUS = """
query ($selector: ScheduleSelector!) {
  scheduleOrError(scheduleSelector: $selector) { ... on Schedule { scheduleState { status } } }
}"""
_RUN_STATUS = "query ($id: ID!) { runOrError(runId: $id) { ... on Run { status } } }"


def _schedule_status(ui: DagsterUI) -> str:
    selector = {
        "repositoryLocationName": ui.location,
        "repositoryName": ui.repository,
        "scheduleName": SCHEDULE,
    }
    return str(ui.graphql(_SCHEDULE_STATUS, selector=selector)["scheduleOrError"]["scheduleState"]["status"])


def _finished_status(ui: DagsterUI, run_id: str) -> str:
    deadline = time.monotonic() + RUN_SECONDS
    while time.monotonic() < deadline:
        status = str(ui.graphql(_RUN_STATUS, id=run_id)["runOrError"]["status"])
        if status in TERMINAL:
            return status
        time.sleep(1)
    pytest.fail(f"run {run_id} did not finish within {RUN_SECONDS} s")


def _published(ui: DagsterUI, run_id: str, table: str) -> tuple[str, int]:
    """The status of the run's snapshot and its row count in ``table``, read from the DuckDB file."""
    with duckdb.connect(str(ui.warehouse_file), read_only=True) as db:
        snapshot_id, status = db.execute(
            "SELECT snapshot_id, status FROM capital.snapshots WHERE run_id = ?", [run_id]
        ).fetchone() or ("", "missing")
        (rows,) = db.execute(
            f"SELECT count(*) FROM capital.{table} WHERE snapshot_id = ?", [snapshot_id]
        ).fetchone()
    return str(status), int(rows)


def _check_names(asset: str) -> list[str]:
    graph = defs.resolve_asset_graph()
    return sorted(key.name for key in graph.asset_check_keys if key.asset_key == AssetKey(asset))


def _save(page: Page, name: str) -> None:
    directory = screenshot_directory()
    if directory is not None:
        directory.mkdir(parents=True, exist_ok=True)
        # Only for the picture: icons and durations arrive a moment after the text the test waited for.
        page.wait_for_timeout(2000)
        page.screenshot(path=directory / name)


def test_capital_group_lists_every_asset_of_the_definitions(page: Page, dagster_ui: DagsterUI) -> None:
    page.goto(f"{dagster_ui.location_url}/asset-groups/{GROUP}/list")
    links = page.locator("main a[href^='/assets/'], a[href^='/assets/']")
    expect(links.first).to_be_visible()
    expect(links).to_have_count(len(GROUP_ASSETS))
    shown = sorted(
        href.removeprefix("/assets/")
        for href in links.evaluate_all("els => els.map(e => e.getAttribute('href'))")
    )
    assert shown == GROUP_ASSETS


def test_schedule_switched_on_in_the_ui_runs_on_the_instance(page: Page, dagster_ui: DagsterUI) -> None:
    assert _schedule_status(dagster_ui) == "STOPPED"
    page.goto(f"{dagster_ui.location_url}/schedules/{SCHEDULE}")
    # The on/off switch: the page's one checkbox, drawn at zero size inside its label (so click the label).
    switch = page.locator("label").filter(has=page.locator("input[type=checkbox]"))
    expect(switch).to_have_count(1)
    checkbox = switch.locator("input[type=checkbox]")
    expect(checkbox).to_be_enabled()
    expect(checkbox).not_to_be_checked()
    switch.click()
    expect(checkbox).to_be_checked()
    deadline = time.monotonic() + 30
    while _schedule_status(dagster_ui) != "RUNNING" and time.monotonic() < deadline:
        time.sleep(0.5)
    assert _schedule_status(dagster_ui) == "RUNNING"
    page.reload()
    expect(page.locator("label input[type=checkbox]")).to_be_checked()


def test_snapshot_job_launched_from_the_launchpad_materializes_the_group_with_rows_and_checks(
    page: Page, dagster_ui: DagsterUI, simulator: SimulatorHandle
) -> None:
    page.goto(f"{dagster_ui.location_url}/jobs/{JOB}/playground")
    launch = page.get_by_role("button", name="Launch Run")
    expect(launch).to_be_enabled()
    launch.click()
    page.wait_for_url(re.compile(r"/runs/[0-9a-f-]{36}"))
    run_id = page.url.split("/runs/")[1].split("?")[0]

    assert _finished_status(dagster_ui, run_id) == "SUCCESS", dagster_ui.step_failures(run_id)
    expect(page.get_by_text("Success", exact=True).first).to_be_visible()
    expect(page.get_by_text("RUN_SUCCESS", exact=True)).to_be_visible()
    page.set_viewport_size({"width": 1400, "height": 1200})
    _save(page, "ui-run.png")
    tokens = simulator.issued_tokens()
    assert tokens
    run_page = page.content()
    for secret in (*dagster_ui.secrets, *tokens):
        assert secret not in run_page
    status, markets_rows = _published(dagster_ui, run_id, MARKETS)
    assert status == "succeeded"
    assert markets_rows > 0

    # Tall enough that the whole graph fits at a zoom that still shows each asset's status and checks.
    page.set_viewport_size({"width": 1400, "height": 1700})
    page.goto(f"{dagster_ui.location_url}/asset-groups/{GROUP}")
    for asset in GROUP_ASSETS:
        expect(page.get_by_text(asset, exact=True).first).to_be_visible()
    expect(page.get_by_text("Materialized", exact=True)).to_have_count(len(GROUP_ASSETS))
    _save(page, "ui-asset-graph.png")

    page.goto(f"{dagster_ui.url}/assets/{MARKETS}")
    expect(page.get_by_text("Row count", exact=True)).to_be_visible()
    shown = re.search(r"Row count\s+([\d,]+)", page.inner_text("body"))
    assert shown is not None
    assert int(shown.group(1).replace(",", "")) == markets_rows

    page.goto(f"{dagster_ui.url}/assets/{MARKETS}?view=checks")
    checks = _check_names(MARKETS)
    assert checks
    for check in checks:
        # A row of the checks list: the check's name (a title) and its latest result.
        expect(page.locator(f'span:has(> div[title="{check}"])')).to_contain_text("Succeeded")


def test_resource_view_shows_no_secret_value(page: Page, dagster_ui: DagsterUI) -> None:
    page.goto(f"{dagster_ui.location_url}/resources")
    links = page.locator(f"a[href^='/locations/{dagster_ui.location}/resources/']")
    expect(links).to_have_count(len(defs.resources))
    pages = [
        f"{dagster_ui.url}{href}"
        for href in links.evaluate_all("els => els.map(e => e.getAttribute('href'))")
    ]
    # The launchpad shows the same resource config, ready to edit.
    pages.append(f"{dagster_ui.location_url}/jobs/{JOB}/playground")
    for url in pages:
        page.goto(url)
        # Wait until the login's settings are shown, as what they are: environment variables, by name.
        if url.endswith("/resources/capital"):
            expect(page.get_by_text("Env var", exact=True)).to_have_count(len(SECRET_SETTINGS))
        elif url.endswith("/playground"):
            for name in SECRET_SETTINGS:
                expect(page.locator("body")).to_contain_text(re.compile(rf"env:\s*{name}"))
        else:
            expect(page.get_by_text("Configuration", exact=True).first).to_be_visible()
        html, text = page.content(), page.inner_text("body")
        for secret in dagster_ui.secrets:
            assert secret not in html, url
            assert secret not in text, url


def test_screenshots_are_written_only_when_asked(monkeypatch: pytest.MonkeyPatch, tmp_path: Path) -> None:
    monkeypatch.delenv("CAPITAL_PIPELINE_SCREENSHOTS", raising=False)
    assert screenshot_directory() is None
    monkeypatch.setenv("CAPITAL_PIPELINE_SCREENSHOTS", str(tmp_path))
    assert screenshot_directory() == tmp_path

"""One `capital-pipeline ui` (what `make ui` runs) against the simulator, and Debian's chromium to drive it.

The server is shared by the package's tests (it takes 10-20 s to load the code location), the browser by a
module's; a failing browser test leaves a screenshot and the page's text in its pytest tmp dir.
"""

from __future__ import annotations

import contextlib
import os
import signal
import socket
import subprocess
import sys
import time
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import httpx
import pytest
from playwright.sync_api import BrowserContext, Page, expect, sync_playwright
from playwright.sync_api import Error as PlaywrightError

from capital_pipeline.simulator import Credentials, SimulatorConfig, SimulatorHandle, run_simulator

CLI = Path(sys.executable).with_name("capital-pipeline")
CHROMIUM = Path("/usr/bin/chromium")
# As root on a machine with no network: no sandbox, no GPU, and nothing Chromium would fetch on its own
# (without the background-networking flags it keeps opening connections the closed network refuses).
CHROMIUM_FLAGS = [
    "--headless",
    "--no-sandbox",
    "--disable-gpu",
    "--disable-quic",
    "--no-first-run",
    "--disable-background-networking",
    "--disable-component-update",
    "--disable-sync",
]
# Both sides raised together so a run takes seconds; the simulator still counts strictly.
FAST_RATE = 100
JOB = "capital_snapshot_job"
SCHEDULE = "capital_snapshot_schedule"
# Loading the code location took 10-20 s on 2 idle cores; a loaded machine gets room to spare.
SERVER_START_SECONDS = 180
UI_WAIT_MS = 60_000
_REPORTS = pytest.StashKey[dict[str, pytest.TestReport]]()


_STEP_FAILURES = """
query ($id: ID!) {
  logsForRun(runId: $id) {
    ... on EventConnection { events { ... on ExecutionStepFailureEvent { stepKey error { message } } } }
  }
}"""


@dataclass(frozen=True)
class DagsterUI:
    """A running `dagster dev`: where it answers, its code location, and the files it works on."""

    port: int
    location: str
    repository: str
    home: Path
    warehouse_file: Path
    log: Path
    credentials: Credentials

    @property
    def url(self) -> str:
        return f"http://127.0.0.1:{self.port}"

    @property
    def location_url(self) -> str:
        return f"{self.url}/locations/{self.location}"

    @property
    def secrets(self) -> tuple[str, str]:
        return (self.credentials.password, self.credentials.api_key)

    def step_failures(self, run_id: str) -> list[str]:
        """What failed in run ``run_id``: each failed step and its error, for an assertion's message."""
        events = self.graphql(_STEP_FAILURES, id=run_id)["logsForRun"]["events"]
        return [f"{event['stepKey']}: {event['error']['message']}" for event in events if event.get("error")]

    def graphql(self, query: str, **variables: Any) -> dict[str, Any]:
        answer = httpx.post(
            f"{self.url}/graphql", json={"query": query, "variables": variables}, timeout=30
        ).json()
        assert "errors" not in answer, answer
        return dict(answer["data"])


def _free_port() -> int:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return int(probe.getsockname()[1])


_REPOSITORIES = """
{ repositoriesOrError { ... on RepositoryConnection { nodes { name location { name } jobs { name } } } } }"""


def _loaded_repository(url: str) -> tuple[str, str] | None:
    """(location, repository) serving the snapshot job, once the code location has loaded."""
    try:
        answer = httpx.post(f"{url}/graphql", json={"query": _REPOSITORIES}, timeout=10).json()
    except (httpx.HTTPError, ValueError):
        return None
    for repository in (answer.get("data") or {}).get("repositoriesOrError", {}).get("nodes", []):
        if JOB in {job["name"] for job in repository["jobs"]}:
            return repository["location"]["name"], repository["name"]
    return None


def _wait_for_code_location(url: str, process: subprocess.Popen[bytes], log: Path) -> tuple[str, str]:
    deadline = time.monotonic() + SERVER_START_SECONDS
    while time.monotonic() < deadline:
        if process.poll() is not None:
            pytest.fail(f"capital-pipeline ui exited with {process.returncode}; its output: {log}")
        loaded = _loaded_repository(url)
        if loaded:
            return loaded
        time.sleep(1)
    pytest.fail(f"dagster dev did not serve {JOB} within {SERVER_START_SECONDS} s; its output: {log}")


@pytest.fixture(scope="package")
def simulator() -> Iterator[SimulatorHandle]:
    # A subprocess: the simulator must not share the GIL with anything the test runs.
    with run_simulator(SimulatorConfig(rate_limit=FAST_RATE), in_subprocess=True) as sim:
        yield sim
        # Read-only across every suite: the UI's runs called no trading or editing endpoint.
        assert sim.stats()["trading_or_editing_calls"] == 0


@pytest.fixture(scope="package")
def dagster_ui(tmp_path_factory: pytest.TempPathFactory, simulator: SimulatorHandle) -> Iterator[DagsterUI]:
    """`capital-pipeline ui` on a free port: a fresh Dagster home, the simulator, a DuckDB file of its own."""
    root = tmp_path_factory.mktemp("dagster_ui")
    home = root / "dagster_home"
    # The "join the Dagster community" dialog of a fresh home would cover the page: mark it seen.
    (home / ".nux").mkdir(parents=True)
    (home / ".nux" / "nux.yaml").write_text("seen: 1\n")
    warehouse_file = root / "warehouse.duckdb"
    credentials = simulator.credentials
    env = {name: value for name, value in os.environ.items() if not name.startswith(("CAPITAL_", "DAGSTER_"))}
    env |= {
        "DAGSTER_HOME": str(home),
        "CAPITAL_BASE_URL": simulator.base_url,
        "CAPITAL_API_KEY": credentials.api_key,
        "CAPITAL_IDENTIFIER": credentials.identifier,
        "CAPITAL_PASSWORD": credentials.password,
        "CAPITAL_REQUESTS_PER_SECOND": str(FAST_RATE),
        "CAPITAL_PIPELINE_STATE_DIR": str(root / "state"),
        "CAPITAL_PIPELINE_DATABASE_URL": f"duckdb:///{warehouse_file}",
    }
    port = _free_port()
    log = root / "dagster_dev.log"
    with open(log, "wb") as output:
        # A session of its own: SIGTERM to the group stops dagster dev, its daemon and code server together
        # (started with & from a shell, dagster dev ignores SIGTERM and its code server lingers).
        process = subprocess.Popen(
            [str(CLI), "ui", "--port", str(port)],
            cwd=root,
            env=env,
            start_new_session=True,
            stdout=output,
            stderr=subprocess.STDOUT,
        )
    try:
        location, repository = _wait_for_code_location(f"http://127.0.0.1:{port}", process, log)
        yield DagsterUI(port, location, repository, home, warehouse_file, log, credentials)
    finally:
        os.killpg(process.pid, signal.SIGTERM)
        try:
            process.wait(timeout=60)
        except subprocess.TimeoutExpired:
            os.killpg(process.pid, signal.SIGKILL)
            process.wait(timeout=10)


@pytest.fixture(scope="module")
def browser(tmp_path_factory: pytest.TempPathFactory) -> Iterator[BrowserContext]:
    """Debian's chromium, headless, on a fresh profile, driven by playwright (which never downloads one)."""
    if not CHROMIUM.exists():
        message = f"{CHROMIUM} is missing: `make test` installs Debian's chromium (apt-get install chromium)"
        if os.environ.get("CI", "").lower() == "true":
            pytest.fail(message + " (CI=true: the browser tests must run)")
        pytest.skip(message)
    with sync_playwright() as playwright:
        context = playwright.chromium.launch_persistent_context(
            str(tmp_path_factory.mktemp("chromium_profile")),
            executable_path=str(CHROMIUM),
            args=CHROMIUM_FLAGS,
            headless=True,
            viewport={"width": 1400, "height": 1000},
        )
        # Generous, for actions and assertions alike (expect's own default is 5 s): the UI's queries share 2
        # cores with the run, the simulator and other test suites (asset statuses once took longer than 5 s).
        context.set_default_timeout(UI_WAIT_MS)
        expect.set_options(timeout=UI_WAIT_MS)
        try:
            yield context
        finally:
            context.close()


@pytest.hookimpl(wrapper=True, tryfirst=True)
def pytest_runtest_makereport(item: pytest.Item, call: pytest.CallInfo[None]) -> Iterator[None]:
    report = yield
    item.stash.setdefault(_REPORTS, {})[report.when] = report
    return report


@pytest.fixture
def page(browser: BrowserContext, request: pytest.FixtureRequest, tmp_path: Path) -> Iterator[Page]:
    """A new tab; if the test fails, ``failure.png`` and ``failure.txt`` (URL and page text) in tmp_path."""
    tab = browser.new_page()
    yield tab
    call = request.node.stash.get(_REPORTS, {}).get("call")
    if call is not None and call.failed:
        # What the page showed is the best clue to a UI failure; a crashed tab must not hide the test's error.
        with contextlib.suppress(PlaywrightError):
            tab.screenshot(path=tmp_path / "failure.png", full_page=True)
            (tmp_path / "failure.txt").write_text(f"{tab.url}\n\n{tab.inner_text('body')}")
        print(f"browser state saved in {tmp_path}")
    tab.close()


def screenshot_directory() -> Path | None:
    """Where to save the README's screenshots: CAPITAL_PIPELINE_SCREENSHOTS (e.g. `docs`), else nowhere.

    Off by default so that an ordinary test run never rewrites tracked images.
    """
    configured = os.environ.get("CAPITAL_PIPELINE_SCREENSHOTS")
    return Path(configured) if configured else None

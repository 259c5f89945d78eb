"""`capital-pipeline ui` (what `make ui` runs): Dagster's UI on the prepared instance, stopped cleanly."""

from __future__ import annotations

import os
import shutil
import signal
import socket
import subprocess
import sys
import time
from pathlib import Path

import httpx
import pytest
from typer.testing import CliRunner

from capital_pipeline.cli import app
from capital_pipeline.warehouse import Warehouse

COMMAND = str(Path(sys.executable).with_name("capital-pipeline"))
REPOSITORY = Path(__file__).resolve().parents[2]


def _free_port() -> int:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return int(probe.getsockname()[1])


def _answers(url: str, within: float) -> bool:
    deadline = time.monotonic() + within
    while time.monotonic() < deadline:
        try:
            if httpx.get(url, timeout=2).status_code == 200:
                return True
        except httpx.HTTPError:
            pass
        time.sleep(0.5)
    return False


@pytest.mark.slow
def test_ui_serves_the_code_location_on_a_prepared_instance(tmp_path: Path) -> None:
    port = _free_port()
    env = {key: value for key, value in os.environ.items() if key != "DAGSTER_HOME"}
    # A session of its own: SIGTERM to the group stops dagster dev and its code server together.
    process = subprocess.Popen(
        [COMMAND, "ui", "--port", str(port)],
        cwd=tmp_path,
        env=env,
        start_new_session=True,
        stdout=subprocess.DEVNULL,
        stderr=subprocess.DEVNULL,
    )
    try:
        assert _answers(f"http://127.0.0.1:{port}/server_info", within=120)
        query = "{ repositoriesOrError { ... on RepositoryConnection { nodes { jobs { name } } } } }"
        answer = httpx.post(f"http://127.0.0.1:{port}/graphql", json={"query": query}, timeout=30).json()
        jobs = {
            job["name"] for repo in answer["data"]["repositoriesOrError"]["nodes"] for job in repo["jobs"]
        }
        assert "capital_snapshot_job" in jobs
    finally:
        os.killpg(process.pid, signal.SIGTERM)
        process.wait(timeout=60)
    assert "enabled: false" in (tmp_path / ".dagster_home" / "dagster.yaml").read_text()


_LAUNCH = """
mutation($selector: JobOrPipelineSelector!) {
  launchPipelineExecution(executionParams: {selector: $selector}) {
    __typename
    ... on LaunchRunSuccess { run { runId } }
    ... on PythonError { message }
    ... on RunConfigValidationInvalid { errors { message } }
  }
}
"""
_STATUS = "query($runId: ID!) { runOrError(runId: $runId) { ... on Run { status } } }"


def _graphql(port: int, query: str, variables: dict[str, object]) -> dict[str, object]:
    answer = httpx.post(
        f"http://127.0.0.1:{port}/graphql", json={"query": query, "variables": variables}, timeout=30
    )
    return answer.json()["data"]


def _launch_and_wait(port: int) -> str:
    """Launch capital_snapshot_job as the Launchpad does; its final status."""
    selector = {
        "repositoryLocationName": "capital_pipeline.definitions",
        "repositoryName": "__repository__",
        "jobName": "capital_snapshot_job",
    }
    launched = _graphql(port, _LAUNCH, {"selector": selector})["launchPipelineExecution"]
    assert launched["__typename"] == "LaunchRunSuccess", launched
    run_id = launched["run"]["runId"]
    deadline = time.monotonic() + 240
    while time.monotonic() < deadline:
        status = _graphql(port, _STATUS, {"runId": run_id})["runOrError"]["status"]
        if status in ("SUCCESS", "FAILURE", "CANCELED"):
            return str(status)
        time.sleep(1)
    return "TIMEOUT"


@pytest.mark.slow
def test_ui_demo_launches_the_job_on_the_simulator_into_the_demo_database(tmp_path: Path) -> None:
    port = _free_port()
    # No login, and a database setting that demo data must never reach.
    env = {key: value for key, value in os.environ.items() if not key.startswith(("CAPITAL_", "DAGSTER_"))}
    env["CAPITAL_PIPELINE_DATABASE_URL"] = f"duckdb:///{tmp_path / 'real.duckdb'}"
    env["CAPITAL_PIPELINE_STATE_DIR"] = str(tmp_path / "state")
    env["DAGSTER_HOME"] = str(tmp_path / "home")
    process = subprocess.Popen(
        [COMMAND, "ui", "--demo", "--port", str(port), "--rate", "100"],
        cwd=tmp_path,
        env=env,
        start_new_session=True,
        stdout=subprocess.PIPE,
        stderr=subprocess.STDOUT,
        text=True,
    )
    try:
        assert _answers(f"http://127.0.0.1:{port}/server_info", within=120)
        assert _launch_and_wait(port) == "SUCCESS"
    finally:
        os.killpg(process.pid, signal.SIGTERM)
        output, _ = process.communicate(timeout=60)
    assert "Simulator at http://127.0.0.1:" in output and "on day 0" in output
    warehouse = Warehouse.from_url(f"duckdb:///{tmp_path / 'data' / 'capital_pipeline.duckdb'}")
    assert warehouse.latest_snapshot() is not None
    assert not (tmp_path / "real.duckdb").exists()
    assert process.returncode == 0, output
    assert "Unexpected error" not in output
    assert _group_ends(process.pid, within=30)  # dagster dev, its code servers and the simulator


def _group_ends(group: int, within: float) -> bool:
    deadline = time.monotonic() + within
    while time.monotonic() < deadline:
        try:
            os.killpg(group, 0)
        except ProcessLookupError:
            return True
        time.sleep(0.5)
    return False


def test_ui_without_a_login_says_at_start_what_is_missing_and_how_to_set_it(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    for name in ("CAPITAL_API_KEY", "CAPITAL_IDENTIFIER", "CAPITAL_PASSWORD"):
        monkeypatch.delenv(name, raising=False)
    monkeypatch.setenv("DAGSTER_HOME", str(tmp_path / "home"))
    started: list[list[str]] = []
    monkeypatch.setattr(os, "execv", lambda _path, argv: started.append(argv))
    result = CliRunner().invoke(app, ["ui", "--port", "3456"], terminal_width=400)
    assert result.exit_code == 0, result.output
    warning = " ".join(result.output.split())
    assert "CAPITAL_API_KEY, CAPITAL_IDENTIFIER, CAPITAL_PASSWORD are not set" in warning
    assert "capital-pipeline ui --demo" in warning
    assert started and started[0][1:] == ["dev", "-m", "capital_pipeline.definitions", "--port", "3456"]


@pytest.mark.skipif(shutil.which("make") is None, reason="needs make")
@pytest.mark.parametrize(
    ("api_key", "expected"), [("", "capital-pipeline ui --demo"), ("k", "capital-pipeline ui")]
)
def test_make_ui_uses_the_demo_only_without_a_login(api_key: str, expected: str) -> None:
    # Under `make test` the parent make's MAKEFLAGS/MAKELEVEL would make this one print its directory.
    parent_make = {"MAKEFLAGS", "MFLAGS", "MAKELEVEL"}
    env = {name: value for name, value in os.environ.items() if name not in parent_make}
    env["CAPITAL_API_KEY"] = api_key
    planned = subprocess.run(
        ["make", "--no-print-directory", "-n", "ui"],
        cwd=REPOSITORY,
        env=env,
        capture_output=True,
        text=True,
        check=True,
    )
    assert planned.stdout.strip().splitlines()[-1].endswith(expected)

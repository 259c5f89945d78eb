"""`capital-pipeline ui` (what `make ui` runs): Dagster's UI on the prepared instance, stopped cleanly."""

from __future__ import annotations

import os
import signal
import socket
import subprocess
import sys
import time
from pathlib import Path

import httpx
import pytest

pytestmark = pytest.mark.slow
COMMAND = str(Path(sys.executable).with_name("capital-pipeline"))


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

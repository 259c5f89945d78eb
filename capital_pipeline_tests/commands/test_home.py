"""The Dagster instance of the commands: where it lives, its dagster.yaml, and the warehouse pool's limit."""

from __future__ import annotations

import subprocess
import sys
from pathlib import Path

import pytest

from capital_pipeline.commands.home import DAGSTER_YAML, dagster_home, prepare_instance

WAREHOUSE_POOL = "capital_warehouse"


def test_the_home_is_dagster_home_if_set_else_dot_dagster_home_in_the_working_directory(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.chdir(tmp_path)
    monkeypatch.delenv("DAGSTER_HOME", raising=False)
    assert dagster_home() == tmp_path / ".dagster_home"
    monkeypatch.setenv("DAGSTER_HOME", "elsewhere")
    assert dagster_home() == tmp_path / "elsewhere"


def test_a_fresh_home_gets_telemetry_off_and_one_publisher_at_a_time(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setenv("DAGSTER_HOME", str(tmp_path / "home"))
    with prepare_instance() as instance:
        assert (tmp_path / "home" / "dagster.yaml").read_text() == DAGSTER_YAML
        assert instance.telemetry_enabled is False
        assert instance.event_log_storage.get_concurrency_info(WAREHOUSE_POOL).slot_count == 1


def test_an_existing_dagster_yaml_and_a_limit_set_in_the_ui_are_kept(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    home = tmp_path / "home"
    home.mkdir()
    (home / "dagster.yaml").write_text("telemetry:\n  enabled: false\n")
    monkeypatch.setenv("DAGSTER_HOME", str(home))
    with prepare_instance() as instance:
        instance.event_log_storage.set_concurrency_slots(WAREHOUSE_POOL, 2)
    with prepare_instance() as instance:
        assert instance.event_log_storage.get_concurrency_info(WAREHOUSE_POOL).slot_count == 2
    assert (home / "dagster.yaml").read_text() == "telemetry:\n  enabled: false\n"


@pytest.mark.slow
def test_processes_preparing_a_fresh_home_at_once_all_succeed(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    code = "from capital_pipeline.commands.home import prepare_instance; prepare_instance().dispose()"
    env_home = {"DAGSTER_HOME": str(tmp_path / "home"), "PATH": "/usr/bin:/bin"}
    processes = [
        subprocess.Popen([sys.executable, "-c", code], env=env_home, stderr=subprocess.PIPE, text=True)
        for _ in range(3)
    ]
    errors = [process.communicate(timeout=120)[1] for process in processes]
    assert [process.returncode for process in processes] == [0, 0, 0], errors
    monkeypatch.setenv("DAGSTER_HOME", str(tmp_path / "home"))
    with prepare_instance() as instance:
        assert instance.event_log_storage.get_concurrency_info(WAREHOUSE_POOL).slot_count == 1

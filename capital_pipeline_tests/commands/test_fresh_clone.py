"""`make demo` in a fresh clone of the repository: its own virtual environment, then a full snapshot."""

from __future__ import annotations

import os
import subprocess
from pathlib import Path

import pytest

from capital_pipeline.warehouse import DATA_TABLES, Warehouse
from capital_pipeline_tests.commands.conftest import FAST_RATE

REPOSITORY = Path(__file__).resolve().parents[2]


@pytest.mark.slow
@pytest.mark.timeout(900)
def test_make_demo_in_a_fresh_clone_fills_every_table(tmp_path: Path) -> None:
    clone = tmp_path / "clone"
    subprocess.run(["git", "clone", "--quiet", str(REPOSITORY), str(clone)], check=True, timeout=120)
    # Nothing of this environment's virtualenv, Dagster home or Capital.com settings leaks in; UV_CACHE_DIR
    # and the rest stay, so the install reuses the machine's package cache.
    env = {
        name: value
        for name, value in os.environ.items()
        if not name.startswith(("CAPITAL_", "DAGSTER_", "VIRTUAL_ENV", "PYTHONPATH"))
    }
    env["CAPITAL_PIPELINE_STATE_DIR"] = str(tmp_path / "state")
    env["PATH"] = os.pathsep.join(
        part for part in env.get("PATH", "").split(os.pathsep) if not part.startswith(str(REPOSITORY))
    )
    result = subprocess.run(
        ["make", "demo", f"DEMO_ARGS=--rate {FAST_RATE}"],
        cwd=clone,
        env=env,
        capture_output=True,
        text=True,
        timeout=840,
    )
    assert result.returncode == 0, result.stdout[-3000:] + result.stderr[-3000:]
    assert (clone / ".venv" / "bin" / "capital-pipeline").exists()
    assert "Snapshot simulator-day-0000 published" in result.stdout
    warehouse = Warehouse.from_url(f"duckdb:///{clone / 'data' / 'capital_pipeline.duckdb'}")
    counts = warehouse.table_counts("simulator-day-0000")
    assert set(counts) == {table.name for table in DATA_TABLES} and all(counts.values()), counts

"""No secret leaks on any path a run can take: success, server failure, refused login, relogin, and the CLI.

One module-scoped scene runs every path once, against a simulator whose password holds characters that
JSON, URLs and reprs escape; the tests then search, place by place, for the password, the API key, every
token the simulators issued, the wrong password a user typed and the database password: Dagster's event
storage and compute logs (the test's instance and the CLI's), every file under each Dagster home, state
directory and working directory, the CLI's stdout and stderr, the exceptions raised, and every table.
"""

from __future__ import annotations

import asyncio
import json
import secrets
import subprocess
import sys
import tempfile
import uuid
from collections.abc import Awaitable, Callable, Iterator
from dataclasses import asdict, dataclass, field
from pathlib import Path
from typing import Any

import pytest
import sqlalchemy as sa
from dagster import DagsterInstance, instance_for_test

from capital_pipeline.capital import CapitalClient, ClientSettings, Credentials
from capital_pipeline.defs.launch import launch_snapshot
from capital_pipeline.simulator import Fault, SimulatorConfig, SimulatorHandle, run_simulator
from capital_pipeline.simulator.config import DEMO_API_KEY, DEMO_PASSWORD, SimulatorUser
from capital_pipeline.warehouse import Warehouse
from capital_pipeline_tests.commands.conftest import CLI, cli_env
from capital_pipeline_tests.defs.conftest import WarehouseTarget
from capital_pipeline_tests.simulator_env import login_settings, run_settings
from capital_pipeline_tests.soak.conftest import MEMORY_DIRECTORY, SOAK_RATE
from capital_pipeline_tests.soak.recording_cli import FAULTS_VARIABLE, TOKENS_FILE_VARIABLE
from capital_pipeline_tests.soak.secret_search import Secrets, hostile_secret

pytestmark = [pytest.mark.slow, pytest.mark.postgres]

REPOSITORY = Path(__file__).resolve().parents[2]
MARKETS_ROUTE = "GET /api/v1/markets"
# Every answer to GET /markets a server error: the markets step fails after its retries.
SERVER_ERROR = Fault(kind="status", status=500, route=MARKETS_ROUTE)
# The session dies under the markets step once: the client logs in again and the run succeeds.
EXPIRED_ONCE = Fault(kind="expired_session", route=MARKETS_ROUTE, first_n=1)
RECORDING_CLI = "capital_pipeline_tests.soak.recording_cli"
FAST_RETRIES = {"CAPITAL_RETRY_BACKOFF_SECONDS": "0.01"}


@dataclass
class Scene:
    """What every path left behind, and the secrets to look for in it."""

    secrets: Secrets
    instances: dict[str, DagsterInstance] = field(default_factory=dict)
    directories: dict[str, Path] = field(default_factory=dict)
    outputs: dict[str, str] = field(default_factory=dict)
    exceptions: dict[str, BaseException] = field(default_factory=dict)
    warehouses: dict[str, Warehouse] = field(default_factory=dict)
    trading_calls: dict[str, int] = field(default_factory=dict)


@pytest.fixture(scope="module")
def scratch() -> Iterator[Path]:
    """Memory-backed where possible: Dagster's sqlite storage syncs on every event."""
    parent = MEMORY_DIRECTORY if MEMORY_DIRECTORY.is_dir() else None
    with tempfile.TemporaryDirectory(dir=parent, prefix="capital_secrets_") as directory:
        yield Path(directory)


@pytest.fixture(scope="module")
def leak_simulator() -> Iterator[SimulatorHandle]:
    user = SimulatorUser(
        api_key=f"key-{secrets.token_urlsafe(16)}",
        identifier="secrets@capital-pipeline.test",
        password=hostile_secret("password"),
    )
    with run_simulator(SimulatorConfig(rate_limit=SOAK_RATE, users=(user,)), in_subprocess=True) as sim:
        yield sim


@pytest.fixture(scope="module")
def cli_database(postgres_url: str) -> Iterator[str]:
    """A database of its own for the CLI (it always writes schema ``capital``), reached through a URL with a
    password; the test server trusts every local login, so the password is only something to leak."""
    name = f"capital_secrets_{uuid.uuid4().hex[:10]}"
    admin = sa.create_engine(postgres_url, isolation_level="AUTOCOMMIT")
    with admin.connect() as connection:
        connection.execute(sa.text(f'CREATE DATABASE "{name}"'))
    url = sa.make_url(postgres_url).set(database=name, password=hostile_secret("dbpassword"))
    yield url.render_as_string(hide_password=False)
    with admin.connect() as connection:
        connection.execute(sa.text(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)'))
    admin.dispose()


def _raised(
    credentials: Credentials, base_url: str, call: Callable[[CapitalClient], Awaitable[Any]]
) -> BaseException:
    """What the client raises for ``call`` (which must fail), to search the exception itself."""

    async def attempt() -> BaseException:
        settings = ClientSettings(environment=base_url, requests_per_second=SOAK_RATE, backoff_base=0.01)
        try:
            async with CapitalClient(credentials, settings) as client:
                await call(client)
        except Exception as error:
            return error
        raise AssertionError("the call should have failed")

    return asyncio.run(attempt())


def _dagster_paths(
    scene: Scene, instance: DagsterInstance, sim: SimulatorHandle, scratch: Path, postgres: WarehouseTarget
) -> None:
    """Four runs of the job in this process: clean, persistent 500, wrong password, relogin mid-run."""
    duckdb = WarehouseTarget(f"duckdb:///{scratch / 'runs.duckdb'}", "capital")
    credentials = sim.credentials
    env = {
        **run_settings(sim, rate=SOAK_RATE, state_directory=scratch / "state"),
        **FAST_RETRIES,
    }
    wrong_password = scene.secrets.values["wrong password"]
    # The job's default executor (in-process); its steps still share the session through a token file. A
    # multiprocess run costs about 50 s more here on a loaded machine.
    paths = [
        ("clean", duckdb, [], {}, True),
        ("server-error", postgres, [SERVER_ERROR], {}, False),
        ("wrong-password", duckdb, [], {"CAPITAL_PASSWORD": wrong_password}, False),
        ("relogin", postgres, [EXPIRED_ONCE], {}, True),
    ]
    with pytest.MonkeyPatch.context() as patch:
        for name, target, faults, overrides, succeeds in paths:
            for variable, value in {**env, **overrides}.items():
                patch.setenv(variable, value)
            sim.set_faults(faults)
            sim.reset_stats()
            tags = {"capital/snapshot_id": name}
            with launch_snapshot(instance, run_config=target.run_config(), tags=tags) as result:
                assert result.success == succeeds, name
            scene.trading_calls[f"run {name}"] = sim.stats()["trading_or_editing_calls"]
            if name == "relogin":
                assert sim.stats()["logins"]["attempts"] == 2, "the session should have expired mid-run"
        sim.set_faults([SERVER_ERROR])
        scene.exceptions["client under server errors"] = _raised(
            credentials, sim.base_url, lambda client: client.markets_batch(["GOLD"])
        )
        sim.set_faults([])
        wrong = Credentials(credentials.api_key, credentials.identifier, wrong_password)
        scene.exceptions["client with a wrong password"] = _raised(
            wrong, sim.base_url, CapitalClient.accounts
        )
    scene.instances["test instance"] = instance
    scene.directories |= {
        "test Dagster home": Path(instance.root_directory),
        "test state directory": scratch / "state",
    }
    scene.warehouses |= {"test DuckDB": duckdb.warehouse(), "test PostgreSQL": postgres.warehouse()}


def _cli(args: list[str], cwd: Path, env: dict[str, str]) -> subprocess.CompletedProcess[str]:
    return subprocess.run(args, cwd=cwd, env=env, capture_output=True, text=True, timeout=240)


def _cli_paths(scene: Scene, sim: SimulatorHandle, scratch: Path, database_url: str) -> None:
    """``snapshot`` succeeding and refused, ``demo`` succeeding and failing on server errors."""
    work = scratch / "cli"
    work.mkdir()
    settings = {
        **login_settings(sim),
        "CAPITAL_REQUESTS_PER_SECOND": str(SOAK_RATE),
        "PYTHONPATH": str(REPOSITORY),
        **FAST_RETRIES,
    }
    env = cli_env(work, **settings)
    sim.set_faults([])
    snapshot = _cli([str(CLI), "snapshot", "--database-url", database_url], work, env)
    assert snapshot.returncode == 0, snapshot.stdout + snapshot.stderr
    wrong = {**env, "CAPITAL_PASSWORD": scene.secrets.values["wrong password"]}
    refused = _cli([str(CLI), "snapshot"], work, wrong)
    assert refused.returncode != 0
    scene.trading_calls["CLI snapshot"] = sim.stats()["trading_or_editing_calls"]
    demo = [sys.executable, "-m", RECORDING_CLI, "demo", "--rate", str(SOAK_RATE)]
    outputs = {"snapshot": snapshot, "refused snapshot": refused}
    for name, faults, succeeds in (("demo", [], True), ("failing demo", [SERVER_ERROR], False)):
        tokens_file = scratch / f"{name}.tokens.json"
        demo_env = {
            **env,
            TOKENS_FILE_VARIABLE: str(tokens_file),
            FAULTS_VARIABLE: json.dumps([asdict(f) for f in faults]),
        }
        outputs[name] = _cli(demo, work, demo_env)
        assert (outputs[name].returncode == 0) == succeeds, outputs[name].stdout + outputs[name].stderr
        recorded = json.loads(tokens_file.read_text())
        tokens_file.unlink()
        scene.secrets = scene.secrets.with_(
            **{f"{name} token #{i}": t for i, t in enumerate(recorded["tokens"])}
        )
        scene.trading_calls[name] = recorded["stats"]["trading_or_editing_calls"]
    scene.outputs |= {name: result.stdout + result.stderr for name, result in outputs.items()}
    scene.instances["CLI instance"] = DagsterInstance.from_config(str(work / "dagster_home"))
    scene.directories |= {"CLI working directory": work}
    scene.warehouses |= {
        "CLI PostgreSQL": Warehouse.from_url(database_url),
        "CLI demo DuckDB": Warehouse.from_url(f"duckdb:///{work / 'data' / 'capital_pipeline.duckdb'}"),
    }


@pytest.fixture(scope="module")
def test_instance(scratch: Path) -> Iterator[DagsterInstance]:
    home = scratch / "dagster_home"
    home.mkdir()
    with instance_for_test(temp_dir=str(home)) as instance:
        yield instance


@pytest.fixture(scope="module")
def scene(
    leak_simulator: SimulatorHandle,
    test_instance: DagsterInstance,
    scratch: Path,
    cli_database: str,
    postgres_url: str,
) -> Iterator[Scene]:
    schema = f"capital_test_{uuid.uuid4().hex[:10]}"
    known = Secrets.of(leak_simulator).with_(
        wrong_password=hostile_secret("wrong"),
        database_password=sa.make_url(cli_database).password or "",
        demo_password=DEMO_PASSWORD,
        demo_API_key=DEMO_API_KEY,
    )
    found = Scene(known)
    try:
        _dagster_paths(found, test_instance, leak_simulator, scratch, WarehouseTarget(postgres_url, schema))
        _cli_paths(found, leak_simulator, scratch, cli_database)
        found.secrets = found.secrets.with_(
            **{f"token #{i}": token for i, token in enumerate(leak_simulator.issued_tokens())}
        )
        yield found
    finally:
        if "CLI instance" in found.instances:
            found.instances["CLI instance"].dispose()
        engine = sa.create_engine(postgres_url)
        with engine.begin() as connection:
            connection.execute(sa.text(f'DROP SCHEMA IF EXISTS "{schema}" CASCADE'))
        engine.dispose()


def test_every_path_ran_with_secrets_to_find(scene: Scene) -> None:
    assert set(scene.outputs) == {"snapshot", "refused snapshot", "demo", "failing demo"}
    assert len(scene.secrets.tokens()) >= 4, "each simulator login issues tokens"
    assert any(name.startswith("demo token") for name in scene.secrets.values)
    assert len(scene.exceptions) == 2 and len(scene.instances) == 2


def test_no_secret_in_dagster_event_storage(scene: Scene) -> None:
    for instance in scene.instances.values():
        assert scene.secrets.hits_in_event_storage(instance) == []


def test_no_secret_in_compute_logs(scene: Scene) -> None:
    for instance in scene.instances.values():
        assert scene.secrets.hits_in_compute_logs(instance) == []


def test_no_secret_in_any_file_left_behind(scene: Scene) -> None:
    for directory in scene.directories.values():
        assert scene.secrets.hits_in_files(directory) == []


def test_no_secret_in_cli_output(scene: Scene) -> None:
    hits = [hit for name, text in scene.outputs.items() for hit in scene.secrets.hits_in_text(name, text)]
    assert hits == []


def test_no_secret_in_exceptions(scene: Scene) -> None:
    hits = [
        hit
        for name, error in scene.exceptions.items()
        for hit in scene.secrets.hits_in_exception(name, error)
    ]
    assert hits == []


def test_no_secret_in_any_table(scene: Scene) -> None:
    for warehouse in scene.warehouses.values():
        assert scene.secrets.hits_in_warehouse(warehouse) == []


def test_no_trading_or_editing_call_on_any_path(scene: Scene) -> None:
    assert scene.trading_calls and set(scene.trading_calls.values()) == {0}

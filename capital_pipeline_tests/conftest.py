"""Fixtures shared by every test module: the PostgreSQL server the project's machines run."""

from __future__ import annotations

import os
import uuid
from collections.abc import Iterator

import pytest

DEFAULT_POSTGRES_URL = "postgresql+psycopg://postgres@127.0.0.1:5432/test"

# `make test` runs two workers that each take whole files, next file first come: with the longest files first,
# neither worker is left alone with one of them at the end (the soak alone is ~5 minutes). Seconds per file,
# measured on 2026-11-22 (1,107 tests, 16.5 minutes in collection order); files not listed keep their order.
LONGEST_FILES = {
    "soak/test_soak.py": 319,
    "resilience/test_fault_matrix.py": 196,
    "defs/test_snapshot_job.py": 130,
    "commands/test_snapshot.py": 113,
    "ui/test_browser.py": 78,
    "soak/test_secrets.py": 67,
    "commands/test_demo.py": 65,
    "defs/test_checks_and_metadata.py": 62,
    "resilience/test_restart.py": 60,
    "commands/test_ui.py": 58,
    "defs/test_failures.py": 57,
    "concurrency/test_concurrent_runs.py": 55,
    "commands/test_fresh_clone.py": 44,
    "resilience/test_credentials.py": 41,
    "defs/test_executor.py": 41,
    "ui/test_graphql.py": 38,
    "capital/test_end_to_end.py": 37,
}


def pytest_collection_modifyitems(items: list[pytest.Item]) -> None:
    """The longest files first (``LONGEST_FILES``); the order within a file is kept (the sort is stable)."""

    def seconds(item: pytest.Item) -> int:
        path = item.nodeid.split("::", 1)[0].removeprefix("capital_pipeline_tests/")
        return LONGEST_FILES.get(path, 0)

    items.sort(key=lambda item: -seconds(item))


def postgres_url_from_env() -> str:
    return os.environ.get("CAPITAL_PIPELINE_TEST_POSTGRES_URL", DEFAULT_POSTGRES_URL)


@pytest.fixture(scope="session")
def postgres_url() -> str:
    """The test server's URL; skips locally but fails under CI=true when the server cannot be reached."""
    import sqlalchemy as sa

    url = postgres_url_from_env()
    engine = sa.create_engine(url)
    try:
        with engine.connect() as connection:
            connection.execute(sa.text("select 1"))
    except Exception as error:  # any driver or network error means "not reachable"
        message = f"PostgreSQL is not reachable at {url}: {type(error).__name__}"
        if os.environ.get("CI", "").lower() == "true":
            pytest.fail(message + " (CI=true: PostgreSQL tests must run)")
        pytest.skip(message)
    finally:
        engine.dispose()
    return url


@pytest.fixture
def postgres_schema(postgres_url: str) -> Iterator[str]:
    """A schema name of its own for one test, dropped afterwards, so tests never see each other's tables."""
    import sqlalchemy as sa

    schema = f"capital_test_{uuid.uuid4().hex[:10]}"
    yield schema
    engine = sa.create_engine(postgres_url)
    with engine.begin() as connection:
        connection.execute(sa.text(f'drop schema if exists "{schema}" cascade'))
    engine.dispose()


@pytest.fixture
def anyio_backend() -> str:
    """Async tests (``@pytest.mark.anyio``) run on asyncio, the loop the client and the simulator use."""
    return "asyncio"

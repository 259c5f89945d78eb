"""Fixtures shared by every test module: the PostgreSQL server the project's machines run."""

from __future__ import annotations

import os
import uuid
from collections.abc import Iterator

import pytest

DEFAULT_POSTGRES_URL = "postgresql+psycopg://postgres@127.0.0.1:5432/test"


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

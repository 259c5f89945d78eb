"""Dagster resources: the Capital.com login and the warehouse, configured from environment variables.

Secrets are bound with ``EnvVar`` so the UI and the run's stored config show the variable's name, never its
value. Optional settings left unset are read from their environment variable when a step runs (not when the
code location loads), so changing one never needs a reload.
"""

from __future__ import annotations

import os
import tempfile
from collections.abc import AsyncIterator
from contextlib import asynccontextmanager
from pathlib import Path

from dagster import ConfigurableResource
from pydantic import Field

from capital_pipeline.capital import CapitalClient, ClientSettings, Credentials, SharedSessionStore
from capital_pipeline.capital.config import RATE_VARIABLE, seconds_from_env, whole_number_from_env
from capital_pipeline.warehouse import DEFAULT_LOCK_TIMEOUT, DEFAULT_URL, Warehouse

__all__ = [
    "LOCK_TIMEOUT_VARIABLE",
    "CapitalApiResource",
    "WarehouseResource",
    "run_directory",
    "state_directory",
]

LOCK_TIMEOUT_VARIABLE = "CAPITAL_PIPELINE_LOCK_TIMEOUT_SECONDS"

_TRUE = {"1", "true", "yes", "on"}
_FALSE = {"0", "false", "no", "off"}


def _flag(name: str, value: str) -> bool:
    text = value.strip().lower()
    if text not in _TRUE | _FALSE:
        raise ValueError(f"{name} must be true or false, got {value!r}")
    return text in _TRUE


def state_directory() -> Path:
    """Where run sessions and the per-API-key request budget live: private to this user (0700 in the code)."""
    configured = os.environ.get("CAPITAL_PIPELINE_STATE_DIR")
    if configured:
        return Path(configured)
    runtime = os.environ.get("XDG_RUNTIME_DIR")
    base = Path(runtime) if runtime else Path(tempfile.gettempdir())
    return base / f"capital_pipeline-{os.geteuid()}"


def run_directory(run_id: str) -> Path:
    """What the steps of run ``run_id`` share on disk (token file, request tally); gone when it ends."""
    return state_directory() / "runs" / run_id


def run_session_path(run_id: str) -> Path:
    """The token file of run ``run_id``'s session, while the session is open."""
    return run_directory(run_id) / "session.json"


class CapitalApiResource(ConfigurableResource):
    """A Capital.com login (API key, identifier, password) and where to reach the API.

    One session per run: every step of a run shares it through a token file readable by its owner only,
    and every process using the same API key shares one request budget (10 per second, 1 login per second).
    """

    api_key: str = Field(description="The API key (CAPITAL_API_KEY). Every Capital.com key can trade.")
    identifier: str = Field(description="The login e-mail (CAPITAL_IDENTIFIER).")
    password: str = Field(description="The API key's custom password (CAPITAL_PASSWORD).")
    environment: str | None = Field(
        default=None, description="demo or live; unset: CAPITAL_ENVIRONMENT, else demo."
    )
    base_url: str | None = Field(
        default=None, description="Overrides the environment; unset: CAPITAL_BASE_URL if set."
    )
    encrypted_password: bool | None = Field(
        default=None,
        description="Log in with the RSA-encrypted password; unset: CAPITAL_ENCRYPTED_PASSWORD, else true.",
    )
    requests_per_second: int | None = Field(
        default=None,
        description="Requests per second per user; unset: CAPITAL_REQUESTS_PER_SECOND, else 10 (the API's).",
    )

    def target(self) -> str:
        """The base URL if one is set, else the environment name (demo or live)."""
        url = self.base_url or os.environ.get("CAPITAL_BASE_URL")
        return url or self.environment or os.environ.get("CAPITAL_ENVIRONMENT") or "demo"

    def client_settings(self) -> ClientSettings:
        """The client's settings; budgets are shared through files by every process using this API key."""
        encrypted = self.encrypted_password
        if encrypted is None:
            encrypted = _flag(
                "CAPITAL_ENCRYPTED_PASSWORD", os.environ.get("CAPITAL_ENCRYPTED_PASSWORD", "true")
            )
        return ClientSettings(
            environment=self.target(),
            encrypted_login=encrypted,
            requests_per_second=self.requests_per_second
            if self.requests_per_second is not None
            else whole_number_from_env(RATE_VARIABLE, 10, minimum=1),
            pacing_directory=state_directory() / "pacing",
        )

    def run_session_store(self, run_id: str) -> SharedSessionStore:
        """The token file shared by the steps of run ``run_id``."""
        return SharedSessionStore(run_session_path(run_id))

    @asynccontextmanager
    async def client(self, run_id: str) -> AsyncIterator[CapitalClient]:
        """A client on the run's shared session (logging in only if no step of the run has yet)."""
        credentials = Credentials(self.api_key, self.identifier, self.password)
        async with CapitalClient(
            credentials, self.client_settings(), session_store=self.run_session_store(run_id)
        ) as client:
            yield client


class WarehouseResource(ConfigurableResource):
    """Where snapshots land: a DuckDB or PostgreSQL URL, by default a DuckDB file under the working folder."""

    database_url: str | None = Field(
        default=None,
        description=f"SQLAlchemy URL; unset: CAPITAL_PIPELINE_DATABASE_URL, else {DEFAULT_URL}.",
    )
    schema_name: str = Field(default="capital", description="The schema holding the tables and views.")
    lock_timeout_seconds: float | None = Field(
        default=None,
        description=(
            "How long to wait for another DuckDB writer (or PostgreSQL lock) to finish; unset: "
            f"{LOCK_TIMEOUT_VARIABLE}, else {DEFAULT_LOCK_TIMEOUT:g} s."
        ),
    )

    def url(self) -> str:
        return self.database_url or os.environ.get("CAPITAL_PIPELINE_DATABASE_URL") or DEFAULT_URL

    def warehouse(self) -> Warehouse:
        """The warehouse; connections are opened per call and closed straight after."""
        lock_timeout = self.lock_timeout_seconds
        if lock_timeout is None:
            lock_timeout = seconds_from_env(LOCK_TIMEOUT_VARIABLE, DEFAULT_LOCK_TIMEOUT, zero_allowed=True)
        return Warehouse.from_url(self.url(), schema=self.schema_name, lock_timeout=lock_timeout)

"""What a command checks before it starts a run: the Capital.com settings and the database URL.

Checks run in the command's own process, so a mistake costs one clear message instead of a run. The login
itself is the run's: a refused one is recorded for the whole run, so it costs exactly one ``POST /session``.
"""

from __future__ import annotations

import os
from typing import Any

import sqlalchemy as sa

from capital_pipeline.capital.errors import ConfigurationError
from capital_pipeline.commands.failures import EXIT_CONFIGURATION, CommandFailed, advice_for
from capital_pipeline.defs.resources import CapitalApiResource
from capital_pipeline.warehouse import DEFAULT_LOCK_TIMEOUT, Warehouse, WarehouseError

__all__ = [
    "LOCK_TIMEOUT_VARIABLE",
    "REQUIRED_VARIABLES",
    "capital_resource_from_env",
    "open_warehouse",
    "shown_url",
    "use_database_url",
    "warehouse_run_config",
]

REQUIRED_VARIABLES = ("CAPITAL_API_KEY", "CAPITAL_IDENTIFIER", "CAPITAL_PASSWORD")
# How long a step (and this command) waits for a locked database; the warehouse resource's default otherwise.
LOCK_TIMEOUT_VARIABLE = "CAPITAL_PIPELINE_LOCK_TIMEOUT_SECONDS"


def capital_resource_from_env() -> CapitalApiResource:
    """The login the environment configures, its optional settings validated; names every missing variable."""
    missing = [name for name in REQUIRED_VARIABLES if not os.environ.get(name)]
    if missing:
        raise CommandFailed(
            f"Missing environment variable{'s' if len(missing) > 1 else ''}: {', '.join(missing)}.\n"
            "Set CAPITAL_API_KEY, CAPITAL_IDENTIFIER (the login e-mail) and CAPITAL_PASSWORD (the API key's "
            "password) for your Capital.com login; `capital-pipeline demo` needs none of them.",
            EXIT_CONFIGURATION,
        )
    resource = CapitalApiResource(
        api_key=os.environ["CAPITAL_API_KEY"],
        identifier=os.environ["CAPITAL_IDENTIFIER"],
        password=os.environ["CAPITAL_PASSWORD"],
    )
    rate = os.environ.get("CAPITAL_REQUESTS_PER_SECOND", "10")
    if not rate.isdigit() or int(rate) < 1:
        raise CommandFailed(
            f"CAPITAL_REQUESTS_PER_SECOND must be a whole number of at least 1, got {rate!r}.",
            EXIT_CONFIGURATION,
        )
    try:
        resource.client_settings()
    except ConfigurationError as error:
        raise CommandFailed(
            advice_for(ConfigurationError, str(error)) or str(error), EXIT_CONFIGURATION
        ) from None
    except ValueError as error:  # CAPITAL_ENCRYPTED_PASSWORD that is neither true nor false
        raise CommandFailed(str(error), EXIT_CONFIGURATION) from None
    return resource


def use_database_url(url: str) -> None:
    """Make ``url`` the database of this process and of the run's steps (they inherit the environment).

    Through the environment, not run config: run config is stored with the run and shown in the UI, and a
    database URL may hold a password.
    """
    os.environ["CAPITAL_PIPELINE_DATABASE_URL"] = url


def _lock_timeout() -> float:
    text = os.environ.get(LOCK_TIMEOUT_VARIABLE)
    if text is None:
        return DEFAULT_LOCK_TIMEOUT
    try:
        return float(text)
    except ValueError:
        raise CommandFailed(f"{LOCK_TIMEOUT_VARIABLE} must be a number of seconds, got {text!r}.") from None


def warehouse_run_config() -> dict[str, Any]:
    """Run config for the warehouse resource: only the lock timeout, when one is set for this command."""
    if LOCK_TIMEOUT_VARIABLE not in os.environ:
        return {}
    return {"resources": {"warehouse": {"config": {"lock_timeout_seconds": _lock_timeout()}}}}


def shown_url(url: str) -> str:
    """``url`` fit to print: any password masked."""
    try:
        return sa.make_url(url).render_as_string(hide_password=True)
    except (sa.exc.ArgumentError, ValueError):
        return "(a database URL that cannot be parsed)"


def open_warehouse(url: str) -> Warehouse:
    """The warehouse at ``url`` (not yet connected); a malformed URL becomes a ``CommandFailed``."""
    try:
        return Warehouse.from_url(url, lock_timeout=_lock_timeout())
    except (WarehouseError, sa.exc.ArgumentError) as error:
        message = advice_for(WarehouseError, str(error)) or str(error)
        raise CommandFailed(message, EXIT_CONFIGURATION) from None

"""What a command checks before it starts a run: the Capital.com settings and the database URL.

Checks run in the command's own process, so a mistake costs one clear message instead of a run. The login
itself is the run's: a refused one is recorded for the whole run, so it costs exactly one ``POST /session``.
"""

from __future__ import annotations

import contextlib
import os

import sqlalchemy as sa

from capital_pipeline.capital.config import seconds_from_env
from capital_pipeline.capital.errors import ConfigurationError
from capital_pipeline.commands.failures import (
    DATABASE_FORMS,
    DATABASE_VARIABLE,
    EXIT_CONFIGURATION,
    EXIT_FAILED,
    LOCK_TIMEOUT_VARIABLE,
    CommandFailed,
    advice_for,
)
from capital_pipeline.defs.resources import CapitalApiResource
from capital_pipeline.warehouse import DEFAULT_LOCK_TIMEOUT, Warehouse, WarehouseError, WarehouseLocked

__all__ = [
    "LOCK_TIMEOUT_VARIABLE",
    "REQUIRED_VARIABLES",
    "capital_resource_from_env",
    "open_warehouse",
    "prepare_warehouse",
    "shown_url",
    "use_database_url",
]

REQUIRED_VARIABLES = ("CAPITAL_API_KEY", "CAPITAL_IDENTIFIER", "CAPITAL_PASSWORD")


def capital_resource_from_env() -> CapitalApiResource:
    """The login the environment configures, its optional settings validated; names every missing variable."""
    # Blank is missing too: a key of spaces would only be refused by the API, after a run had started.
    missing = [name for name in REQUIRED_VARIABLES if not os.environ.get(name, "").strip()]
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
    try:
        resource.client_settings()  # as a step builds them: CAPITAL_REQUESTS_PER_SECOND and the rest checked
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
    """``CAPITAL_PIPELINE_LOCK_TIMEOUT_SECONDS`` as the warehouse resource reads it when a step runs."""
    try:
        return seconds_from_env(LOCK_TIMEOUT_VARIABLE, DEFAULT_LOCK_TIMEOUT, zero_allowed=True)
    except ConfigurationError as error:
        raise CommandFailed(f"{error.message}.", EXIT_CONFIGURATION) from None


def shown_url(url: str) -> str:
    """``url`` fit to print: any password masked."""
    try:
        return sa.make_url(url).render_as_string(hide_password=True)
    except (sa.exc.ArgumentError, ValueError):
        return "(a database URL that cannot be parsed)"


def _masked(text: str) -> str:
    """Unparseable ``text`` fit to print: whatever may be a password (between ``:`` and ``@``) masked."""
    head, at, tail = text.rpartition("@")
    if at and ":" in head:
        head = head[: head.rindex(":") + 1] + "***"
    return f"{head}{at}{tail}"


def _check_url(url: str) -> None:
    """Refuse, before anything starts, a database URL SQLAlchemy cannot parse.

    Only URLs are accepted (``scheme://...``): a bare file path is not, so that a mistyped URL
    (``postgresql//host/db``) can never be taken for a DuckDB file name and silently create one.
    """
    try:
        sa.make_url(url)
    except (sa.exc.ArgumentError, ValueError):
        pass
    else:
        return
    hint = ""
    if "://" not in url and "@" not in url and url.strip().endswith((".duckdb", ".db")):
        hint = f" For a DuckDB file, write duckdb:///{url.strip()}."
    raise CommandFailed(
        f"The database URL cannot be parsed: {_masked(url)!r}.{hint}\n"
        f"Fix --database-url or {DATABASE_VARIABLE}: {DATABASE_FORMS}.",
        EXIT_CONFIGURATION,
    )


def open_warehouse(url: str) -> Warehouse:
    """The warehouse at ``url`` (not yet connected); a malformed URL becomes a ``CommandFailed`` (exit 2)."""
    _check_url(url)
    lock_timeout = _lock_timeout()
    try:
        return Warehouse.from_url(url, lock_timeout=lock_timeout)
    except (WarehouseError, sa.exc.ArgumentError, ImportError) as error:  # ImportError: a missing driver
        raise _unusable(error, url) from None


def _unusable(error: BaseException, url: str) -> CommandFailed:
    return CommandFailed(
        advice_for(WarehouseError, _first_line(error, url)) or str(error), EXIT_CONFIGURATION
    )


def _first_line(error: BaseException, url: str) -> str:
    text = str(error).strip().splitlines()[0] if str(error).strip() else type(error).__name__
    if isinstance(error, ImportError):  # a dialect whose driver is not installed (mysql:// without MySQLdb)
        text = f"its driver is not installed ({text})"
    password = None
    with contextlib.suppress(sa.exc.ArgumentError, ValueError):
        password = sa.make_url(url).password
    return text.replace(str(password), "***") if password else text


def prepare_warehouse(url: str) -> Warehouse:
    """The warehouse at ``url``, its schema created or brought up to date (as the run would do first).

    Run before the Dagster run, so a database that cannot be used costs one message (exit 2), not a whole
    crawl of the API: unreachable server, unknown database, missing driver, unwritable path.
    """
    warehouse = open_warehouse(url)
    try:
        warehouse.ensure_schema()
    except WarehouseLocked as error:  # not a setting: another process holds it; once closed, run again
        raise CommandFailed.from_error(error, EXIT_FAILED) from None
    except (WarehouseError, sa.exc.SQLAlchemyError, OSError, ImportError) as error:
        raise _unusable(error, url) from None
    return warehouse

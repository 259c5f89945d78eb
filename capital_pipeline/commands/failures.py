"""Expected failures as one clear message and an exit code, whether raised here or inside a Dagster step.

Steps fail in other processes, so their errors reach the command as Dagster's ``SerializableErrorInfo``
(class name, message, cause chain); the project's error classes are recognised by their qualified name,
which leads every serialized message (``capital_pipeline.capital.errors.TransportError: ...``).
"""

from __future__ import annotations

import contextlib
import functools
import os
import re
import traceback
from collections.abc import Callable, Iterator, Sequence
from dataclasses import dataclass
from datetime import UTC, datetime
from pathlib import Path
from typing import ParamSpec

import typer
from dagster_shared.error import SerializableErrorInfo
from rich.console import Console
from rich.markup import escape

from capital_pipeline.capital.errors import (
    AuthenticationFailed,
    CapitalError,
    ConfigurationError,
    RateLimited,
    ServerError,
    SessionExpired,
    TransportError,
)
from capital_pipeline.commands.home import dagster_home
from capital_pipeline.defs.resources import LOCK_TIMEOUT_VARIABLE
from capital_pipeline.snapshot.fetch import SnapshotIncomplete
from capital_pipeline.warehouse import WarehouseError, WarehouseLocked

__all__ = [
    "DATABASE_FORMS",
    "DATABASE_VARIABLE",
    "EXIT_CONFIGURATION",
    "EXIT_FAILED",
    "EXIT_INTERRUPTED",
    "LOCK_TIMEOUT_VARIABLE",
    "CommandFailed",
    "FailedCheck",
    "StepFailure",
    "advice_for",
    "explain_run_failure",
    "reported",
    "scrub_secrets",
]

P = ParamSpec("P")

EXIT_FAILED = 1
EXIT_CONFIGURATION = 2
EXIT_INTERRUPTED = 130  # the shell's convention for a command stopped by Ctrl-C (128 + SIGINT)

DATABASE_VARIABLE = "CAPITAL_PIPELINE_DATABASE_URL"
DATABASE_FORMS = (
    "duckdb:///path/file.duckdb (a DuckDB file, relative to the working directory) or a PostgreSQL URL "
    "such as postgresql+psycopg://user@host/db"
)
# How long a step (and a command) waits for a locked database; the warehouse resource's default otherwise.
_DATABASE_FIX = (
    f"Check --database-url or {DATABASE_VARIABLE}, and that the database is running: {DATABASE_FORMS}."
)
# The warehouse's own lock message names its Python parameter and gives the reader-copy advice; the commands
# name the variable instead and give that advice once, here.
_DUCKDB_LOCK_ADVICE = " DuckDB allows one writing process"
_DUCKDB_LOCK_FIX = (
    "DuckDB allows one writing process per file, and open readers block writers: close other connections to "
    f"it (notebooks, the duckdb CLI, other runs) and run again, or raise {LOCK_TIMEOUT_VARIABLE}. Notebooks "
    "and tools should read the reader copy (capital_pipeline.warehouse.open_reader, or the file "
    "<name>.reader.duckdb next to the warehouse): it never blocks a run."
)
_OTHER_LOCK_FIX = f"Once the other transaction has ended, run again; or raise {LOCK_TIMEOUT_VARIABLE}."
# What Dagster raises in a step when a blocking check fails; its message lists the checks one per line.
_CHECK_FAILED = "DagsterAssetCheckFailedError"
# A Capital.com setting named in a ConfigurationError's message is the one to fix.
_SETTING = re.compile(r"\bCAPITAL_[A-Z_]+\b")
# Most specific first: the first class an error is an instance of gives the headline and the fix.
_ADVICE: tuple[tuple[type[Exception], str, str], ...] = (
    (
        AuthenticationFailed,
        "Login refused",
        "Fix the setting named above and run again.",
    ),
    (
        TransportError,
        "Capital.com could not be reached",
        "Check CAPITAL_BASE_URL or CAPITAL_ENVIRONMENT and the network, then run again.",
    ),
    (
        ConfigurationError,
        "The Capital.com settings cannot work",
        "Fix CAPITAL_BASE_URL or CAPITAL_ENVIRONMENT (demo, live or https://host[:port]) and run again.",
    ),
    (
        RateLimited,
        "Capital.com kept refusing requests as too many",
        "Another program may be using this API key: wait a minute, or lower CAPITAL_REQUESTS_PER_SECOND.",
    ),
    (ServerError, "Capital.com kept failing", "Wait a few minutes and run again."),
    (SessionExpired, "Capital.com kept refusing the session", "Run again; nothing was published."),
    (
        SnapshotIncomplete,
        "Part of the snapshot could not be read, so nothing was published",
        "Run again; the run's logs list the requests that failed.",
    ),
    (WarehouseLocked, "The database is locked by another process", _DUCKDB_LOCK_FIX),
    (WarehouseError, "The database could not be used", _DATABASE_FIX),
    (
        CapitalError,
        "Capital.com answered in a way the pipeline cannot use",
        "Run again; nothing was published.",
    ),
)


def _known_classes() -> dict[str, type[Exception]]:
    known: dict[str, type[Exception]] = {}
    pending: list[type[Exception]] = [error for error, _, _ in _ADVICE]
    while pending:
        error = pending.pop()
        known[f"{error.__module__}.{error.__qualname__}"] = error
        pending.extend(error.__subclasses__())
    return known


class CommandFailed(Exception):
    """What the user reads (already scrubbed of secrets) and the exit code; never shown with a traceback."""

    def __init__(self, message: str, exit_code: int = EXIT_FAILED) -> None:
        super().__init__(message)
        self.message = scrub_secrets(message)
        self.exit_code = exit_code

    @classmethod
    def from_error(cls, error: Exception, exit_code: int = EXIT_FAILED) -> CommandFailed:
        """The advice for an expected error raised in this process (its message alone otherwise)."""
        return cls(advice_for(type(error), str(error)) or str(error), exit_code)


@dataclass(frozen=True)
class StepFailure:
    """A STEP_FAILURE of the run: which step, and the error as Dagster serialized it."""

    step_key: str
    error: SerializableErrorInfo


@dataclass(frozen=True)
class FailedCheck:
    """An asset check of the run that did not pass, as its evaluation recorded it."""

    check_name: str
    asset: str
    severity: str
    blocking: bool
    description: str | None = None
    # The evaluation's plain values (counts, names), in its order, each as text.
    metadata: tuple[tuple[str, str], ...] = ()

    @property
    def name(self) -> str:
        """``check on asset (severity)``."""
        return f"{self.check_name} on {self.asset} ({self.severity})"

    def explained(self) -> str:
        """``asset: check``, then its description and its metadata, as far as it has them."""
        text = f"{self.asset}: {self.check_name}"
        if self.description:
            text += f": {self.description.strip()}"
        if self.metadata:
            text += f" ({', '.join(f'{key} {value}' for key, value in self.metadata)})"
        return text


def scrub_secrets(text: str) -> str:
    """``text`` with the password, API key and any database password replaced by ``***`` (belt and braces:
    the client's and the warehouse's messages never hold them)."""
    from sqlalchemy.engine import make_url

    secrets = [os.environ.get(name, "") for name in ("CAPITAL_PASSWORD", "CAPITAL_API_KEY")]
    # An unparseable URL holds no password we could pick out.
    with contextlib.suppress(Exception):
        secrets.append(make_url(os.environ.get("CAPITAL_PIPELINE_DATABASE_URL", "")).password or "")
    for secret in secrets:
        if len(secret) >= 4:
            text = text.replace(secret, "***")
    return text


def advice_for(error: type[BaseException], detail: str) -> str | None:
    """Headline, detail and fix for an error of one of the project's expected classes, else None."""
    for known, headline, fix in _ADVICE:
        if issubclass(error, known):
            detail, fix = _specific(known, detail, fix)
            return f"{headline}: {detail}\n{fix}"
    return None


def _specific(known: type[Exception], detail: str, fix: str) -> tuple[str, str]:
    """``detail`` and ``fix`` made to name the setting a user changes, not the code's parameter."""
    if known is ConfigurationError and (named := _SETTING.search(detail)):
        return detail, f"Fix {named.group(0)} and run again."
    if known is WarehouseLocked:
        if detail.startswith("DuckDB file"):
            return detail.partition(_DUCKDB_LOCK_ADVICE)[0], _DUCKDB_LOCK_FIX
        return detail.replace("lock_timeout", LOCK_TIMEOUT_VARIABLE), _OTHER_LOCK_FIX
    return detail, fix


def _chain(error: SerializableErrorInfo | None) -> Iterator[SerializableErrorInfo]:
    while error is not None:
        yield error
        error = error.cause or error.context


def _qualified_name(error: SerializableErrorInfo) -> str:
    return error.message.strip().partition(": ")[0]


def _detail(error: SerializableErrorInfo) -> str:
    """The exception's own message: first line, without the ``module.Class: `` prefix Dagster adds."""
    text = error.message.strip()
    prefix = _qualified_name(error)
    if error.cls_name and prefix.endswith(error.cls_name):
        text = text[len(prefix) + 2 :]
    return text.splitlines()[0][:400] if text else (error.cls_name or "unknown error")


def _blocking_checks_failed(
    step_key: str, error: SerializableErrorInfo, checks: Sequence[FailedCheck], where: str
) -> str:
    """Dagster's headline (``1 blocking asset check failed ...:``), then each failed check with its
    description and counts, which say what to do; Dagster's own list (names only) without evaluations."""
    headline, *names = error.message.strip().split("\n")
    if error.cls_name and headline.startswith(f"{_qualified_name(error)}: "):
        headline = headline.partition(": ")[2]
    blocking = [check for check in checks if check.blocking and check.severity == "ERROR"]
    lines = [check.explained() for check in blocking] or [name.strip() for name in names if name.strip()]
    listed = "".join(f"\n  {line}" for line in lines)
    if not any(check.description for check in blocking):
        listed += "\nEach check's result and metadata are on its asset's Checks tab in the Dagster UI."
    return f"Step {step_key} failed: {headline}{listed}\nDetails: {where}."


def explain_run_failure(
    failures: Sequence[StepFailure],
    run_error: SerializableErrorInfo | None,
    where: str,
    checks: Sequence[FailedCheck] = (),
) -> str:
    """One message for a failed run: the first expected error with advice, else the first error plainly.

    ``where`` says where the details are (the run in the Dagster UI, the log file). ``checks``: the run's
    checks that did not pass; a step stopped by a blocking check names each with its description.
    """
    known = _known_classes()
    for failure in failures:
        for error in _chain(failure.error):
            expected = known.get(_qualified_name(error))
            advice = advice_for(expected, _detail(error)) if expected else None
            if advice:
                return f"{advice}\n(Step {failure.step_key} failed; details: {where}.)"
    for failure in failures:
        for error in _chain(failure.error):
            if error.cls_name == _CHECK_FAILED:
                return _blocking_checks_failed(failure.step_key, error, checks, where)
    if failures:
        failure = failures[0]
        root = list(_chain(failure.error))[-1]
        return f"Step {failure.step_key} failed: {root.cls_name}: {_detail(root)}\nDetails: {where}."
    if run_error is not None:
        root = list(_chain(run_error))[-1]
        return f"The run failed: {root.cls_name}: {_detail(root)}\nDetails: {where}."
    return f"The run failed before any step did.\nDetails: {where}."


def _keep_traceback() -> Path:
    """Write the current exception's traceback to a file in the Dagster home's ``logs``; its path."""
    directory = dagster_home() / "logs"
    directory.mkdir(parents=True, exist_ok=True)
    path = directory / f"capital-pipeline-error-{datetime.now(UTC):%Y%m%dT%H%M%S}.log"
    path.write_text(scrub_secrets(traceback.format_exc()))
    return path


def reported(command: Callable[P, None]) -> Callable[P, None]:
    """Run a command so that every failure ends in one message on stderr and a non-zero exit, no traceback."""

    @functools.wraps(command)
    def run(*args: P.args, **kwargs: P.kwargs) -> None:
        console = Console(stderr=True, soft_wrap=True)
        try:
            command(*args, **kwargs)
        except CommandFailed as failure:
            console.print(f"[bold red]Error:[/] {escape(failure.message)}", highlight=False)
            raise typer.Exit(failure.exit_code) from None
        except KeyboardInterrupt:
            console.print("Interrupted.", highlight=False)
            raise typer.Exit(EXIT_INTERRUPTED) from None
        except Exception as error:  # anything unforeseen: one line and where the traceback went
            message = scrub_secrets(f"{type(error).__name__}: {error}".splitlines()[0])
            console.print(f"[bold red]Unexpected error:[/] {escape(message)}", highlight=False)
            console.print(f"The traceback is in {_keep_traceback()}.", highlight=False)
            raise typer.Exit(EXIT_FAILED) from None

    return run

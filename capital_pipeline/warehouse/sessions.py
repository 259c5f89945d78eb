"""What the warehouse asks of a database connection, whichever database it is."""

from __future__ import annotations

from collections.abc import Mapping
from contextlib import AbstractContextManager
from typing import Any, Protocol

import pandas as pd
import pyarrow as pa

from .declarations import Table
from .dialects import Dialect, Namespace

__all__ = ["Backend", "Params", "Session"]

# Parameters are named ``:name`` in every query, on every backend (SQLAlchemy's ``text()`` style).
Params = Mapping[str, Any]


class Session(Protocol):
    """One open connection (inside one transaction when writing)."""

    namespace: Namespace

    def execute(self, sql: str, params: Params | None = None) -> None:
        """Run a statement that returns nothing."""

    def rows(self, sql: str, params: Params | None = None) -> list[tuple[Any, ...]]:
        """Run a query and return its rows."""

    def frame(self, sql: str, params: Params | None = None) -> pd.DataFrame:
        """Run a query and return its result as a DataFrame."""

    def insert(self, table: Table, rows: pa.Table) -> None:
        """Append ``rows`` (every column of ``table``) in one bulk operation."""

    def bound_memory(self) -> None:
        """Rows larger than memory should hold are about to be streamed in: keep the database's own buffers
        small for the rest of the session (a no-op where the database is not in this process)."""


class Backend(Protocol):
    """A database the warehouse lives in."""

    dialect: Dialect

    def session(self, schema: str, *, write: bool) -> AbstractContextManager[Session]:
        """A short-lived connection; with ``write`` everything inside commits together or not at all."""

    def describe(self) -> str:
        """Where the data lives, safe for messages and logs (never a password)."""

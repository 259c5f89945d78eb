"""The warehouse's errors: one base class so callers can catch everything the warehouse raises."""

from __future__ import annotations

__all__ = ["WarehouseError", "WarehouseLocked", "WarehouseMissing"]


class WarehouseError(Exception):
    """A snapshot could not be validated, written or read; nothing of a failed write is visible."""


class WarehouseLocked(WarehouseError):
    """The database stayed locked by another writer (or reader, for DuckDB) for the whole lock timeout."""


class WarehouseMissing(WarehouseError):
    """Nothing has been published here yet: the database file or the schema's tables do not exist."""

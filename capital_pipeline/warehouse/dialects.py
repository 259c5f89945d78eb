"""What differs between the databases: type names, identifier quoting, NUL support, name qualification."""

from __future__ import annotations

from collections.abc import Callable, Mapping
from dataclasses import dataclass, replace

import sqlalchemy as sa
from sqlalchemy.dialects import postgresql

from .declarations import LogicalType

__all__ = ["DUCKDB", "POSTGRESQL", "Dialect", "Namespace", "sqlalchemy_dialect"]


def _double_quote(identifier: str) -> str:
    return '"' + identifier.replace('"', '""') + '"'


@dataclass(frozen=True)
class Dialect:
    """One database's spelling of the declarations."""

    name: str
    type_names: Mapping[LogicalType, str]
    quote: Callable[[str], str] = _double_quote
    # PostgreSQL text cannot hold NUL (measured: COPY fails with "invalid byte sequence for encoding UTF8:
    # 0x00"); DuckDB stores it exactly. JSON spells NUL \u0000, which both store.
    stores_nul: bool = True
    # Serializes concurrent ensure_schema() runs where DDL can race (PostgreSQL: CREATE ... IF NOT EXISTS in
    # two sessions at once can fail on a unique index); ``:schema`` is bound to the schema name.
    ddl_lock_sql: str | None = None
    # Whether tables declare their keys as a PRIMARY KEY. DuckDB does not: with its ART index, deleting a
    # re-published snapshot's 1M rows took 20 s against 0.06 s without (duckdb 2.0, measured). Keys are
    # enforced anyway: frames are checked before every write, and each write replaces a whole snapshot.
    primary_keys: bool = True

    def type_name(self, logical_type: LogicalType) -> str:
        """The database type a logical type is stored as."""
        return self.type_names[logical_type]


@dataclass(frozen=True)
class Namespace:
    """Where the tables live: a schema, and for DuckDB the catalog too (see ``qualify``)."""

    dialect: Dialect
    schema: str
    catalog: str | None = None

    def qualify(self, name: str | None = None) -> str:
        """``catalog.schema.name`` quoted (``name=None``: the schema itself).

        DuckDB names its catalog after the file, so a file ``capital.duckdb`` with schema ``capital`` makes
        ``capital.x`` ambiguous (FIELD-NOTES); a catalog-qualified name never is.
        """
        parts = [part for part in (self.catalog, self.schema, name) if part is not None]
        return ".".join(self.dialect.quote(part) for part in parts)

    def without_catalog(self) -> Namespace:
        """Schema-qualified names, for view bodies: still valid when the file is attached under an alias."""
        return replace(self, catalog=None)


DUCKDB = Dialect(
    "duckdb",
    {
        LogicalType.TEXT: "VARCHAR",
        LogicalType.INTEGER: "BIGINT",
        LogicalType.FLOAT: "DOUBLE",
        LogicalType.BOOLEAN: "BOOLEAN",
        LogicalType.TIMESTAMP: "TIMESTAMPTZ",
        LogicalType.JSON: "JSON",
    },
    primary_keys=False,
)

_SQLALCHEMY_TYPES: Mapping[LogicalType, sa.types.TypeEngine] = {
    LogicalType.TEXT: sa.Text(),
    LogicalType.INTEGER: sa.BigInteger(),
    LogicalType.FLOAT: sa.Double(),
    LogicalType.BOOLEAN: sa.Boolean(),
    LogicalType.TIMESTAMP: sa.DateTime(timezone=True),
    # json, not jsonb, on PostgreSQL: json keeps the text as sent, while jsonb rewrites numbers (measured:
    # 6.905305246410621e+16 came back as 69053052464106210), reorders keys and refuses \u0000.
    LogicalType.JSON: sa.JSON(),
}


def sqlalchemy_dialect(dialect: sa.engine.Dialect) -> Dialect:
    """The spelling SQLAlchemy compiles for ``dialect`` (any database SQLAlchemy supports)."""
    names = {logical: sa_type.compile(dialect=dialect) for logical, sa_type in _SQLALCHEMY_TYPES.items()}
    is_postgresql = dialect.name == "postgresql"
    return Dialect(
        dialect.name,
        names,
        quote=dialect.identifier_preparer.quote_identifier,
        stores_nul=not is_postgresql,
        ddl_lock_sql="SELECT pg_advisory_xact_lock(hashtext(:schema))" if is_postgresql else None,
    )


POSTGRESQL = sqlalchemy_dialect(postgresql.psycopg.dialect())

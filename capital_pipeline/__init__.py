"""capital_pipeline: a Dagster code location that snapshots a Capital.com login's reference data into SQL."""

__version__ = "0.1.0"

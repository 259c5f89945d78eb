"""Dagster glue: resources, assets with their checks, the job and its schedule. Thin on purpose: the work
lives in `capital_pipeline.capital` (HTTP), `capital_pipeline.snapshot` (records → rows) and
`capital_pipeline.warehouse` (SQL)."""

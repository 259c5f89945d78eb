"""Run as a process: start publishing snapshot s2, then hang after the fourth table until killed.

``python -m capital_pipeline_tests.warehouse.interrupted_publish URL SCHEMA``
"""

from __future__ import annotations

import sys
import time

from capital_pipeline.warehouse import Warehouse
from capital_pipeline.warehouse import warehouse as warehouse_module

from .factory import frames, market, snapshot


def main(url: str, schema: str) -> None:
    replace_rows = warehouse_module._replace_snapshot_rows
    written: list[str] = []

    def replace_then_hang(session, table, snapshot_id, rows):  # type: ignore[no-untyped-def]
        replace_rows(session, table, snapshot_id, rows)
        written.append(table.name)
        if len(written) == 4:
            sys.stdout.write("midway\n")
            sys.stdout.flush()
            time.sleep(600)

    warehouse_module._replace_snapshot_rows = replace_then_hang
    Warehouse(url, schema=schema).publish_snapshot(snapshot(2), frames([market("OIL")], {}))


if __name__ == "__main__":
    main(sys.argv[1], sys.argv[2])

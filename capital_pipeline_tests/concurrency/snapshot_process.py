"""One snapshot run in its own process, as `capital-pipeline snapshot` starts it, on DAGSTER_HOME's instance.

``python -m capital_pipeline_tests.concurrency.snapshot_process URL SCHEMA``: imports and opens the instance,
prints ``ready``, waits for a line on stdin (so that several processes start their runs at once), runs
``capital_snapshot_job`` with the job's own executor, and prints the run id and whether it succeeded. The
Capital.com settings come from the environment, as for the CLI.
"""

from __future__ import annotations

import sys

from capital_pipeline.commands.home import prepare_instance
from capital_pipeline.defs.launch import launch_snapshot


def main(url: str, schema: str) -> None:
    instance = prepare_instance()
    run_config = {"resources": {"warehouse": {"config": {"database_url": url, "schema_name": schema}}}}
    print("ready", flush=True)
    sys.stdin.readline()
    with launch_snapshot(instance, run_config=run_config) as result:
        print(result.run_id, "succeeded" if result.success else "failed", flush=True)


if __name__ == "__main__":
    main(sys.argv[1], sys.argv[2])

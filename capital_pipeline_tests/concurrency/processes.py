"""Helper modules of this package started in their own Python processes, and what they print."""

from __future__ import annotations

import json
import os
import subprocess
import sys
from pathlib import Path
from typing import Any

__all__ = ["Process", "start", "stop_reader"]

REPOSITORY = Path(__file__).parents[2]


class Process:
    """A helper module of this package running in its own Python process; stopped at the end of the test."""

    def __init__(self, module: str, *args: str) -> None:
        self.popen = subprocess.Popen(
            [sys.executable, "-m", f"capital_pipeline_tests.concurrency.{module}", *args],
            cwd=REPOSITORY,
            env=dict(os.environ),
            stdin=subprocess.PIPE,
            stdout=subprocess.PIPE,
            stderr=subprocess.PIPE,
            text=True,
        )

    def line(self) -> str:
        """The next line it prints (waiting for it)."""
        assert self.popen.stdout is not None
        return self.popen.stdout.readline().rstrip("\n")

    def send(self, text: str = "go") -> None:
        assert self.popen.stdin is not None
        self.popen.stdin.write(text + "\n")
        self.popen.stdin.flush()

    def finish(self) -> tuple[int, str, str]:
        """Exit code, and the rest of stdout and stderr, once it has ended."""
        out, err = self.popen.communicate(timeout=240)
        return self.popen.returncode, out, err

    def stop(self) -> None:
        if self.popen.poll() is None:
            self.popen.kill()
        self.popen.communicate()


def start(processes: list[Process], module: str, *args: str) -> Process:
    process = Process(module, *args)
    processes.append(process)
    return process


def stop_reader(reader: Process) -> dict[str, Any]:
    """Tell a reader_process to stop; what it saw."""
    reader.send("stop")
    code, out, err = reader.finish()
    assert code == 0, err
    return json.loads(out)

"""Run the simulator for tests and demos: uvicorn in a background thread, or in a subprocess of its own.

``run_simulator`` returns once the port answers and gives a handle (also a context manager) that reads the
introspection endpoints and stops the server cleanly: no thread, process or socket is left behind. The
subprocess variant keeps the simulator's CPU off the caller's GIL (benchmarks, Dagster runs).
"""

from __future__ import annotations

import json
import os
import re
import signal
import socket
import subprocess
import sys
import threading
import time
from dataclasses import dataclass, field
from typing import Any

import httpx
import uvicorn

from capital_pipeline.simulator.app import create_app
from capital_pipeline.simulator.config import Fault, SimulatorConfig

__all__ = ["READY_LINE", "Credentials", "SimulatorHandle", "run_simulator"]

# The first line the command prints; the subprocess runner reads the base URL from it.
READY_LINE = re.compile(r"^Capital\.com simulator: (http://\S+)$")
START_TIMEOUT_SECONDS = 60.0
STOP_TIMEOUT_SECONDS = 15.0


@dataclass(frozen=True)
class Credentials:
    """What a client logs in with (the first configured user)."""

    api_key: str = field(repr=False)
    identifier: str
    password: str = field(repr=False)


class _ThreadServer:
    """uvicorn serving the app from a daemon thread, on a socket bound before it starts."""

    def __init__(self, config: SimulatorConfig) -> None:
        app = create_app(config)
        self._socket = socket.socket(socket.AF_INET, socket.SOCK_STREAM)
        self._socket.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
        self._socket.bind((config.host, config.port))
        host, port = self._socket.getsockname()[:2]
        self.base_url = f"http://{host}:{port}"
        uvicorn_config = uvicorn.Config(
            app,
            log_config=None,
            log_level="warning",
            access_log=False,
            lifespan="off",
            ws="none",
            # A held answer (timeout fault) must not hold up stopping.
            timeout_graceful_shutdown=1,
        )
        self._server = uvicorn.Server(uvicorn_config)
        self._thread = threading.Thread(
            target=self._server.run, kwargs={"sockets": [self._socket]}, name="capital-simulator", daemon=True
        )
        self._thread.start()
        deadline = time.monotonic() + START_TIMEOUT_SECONDS
        while not self._server.started:
            if not self._thread.is_alive() or time.monotonic() > deadline:
                self.stop()
                raise RuntimeError("the simulator did not start (see the uvicorn log above)")
            time.sleep(0.01)

    def stop(self) -> None:
        self._server.should_exit = True
        self._thread.join(STOP_TIMEOUT_SECONDS)
        self._socket.close()


class _ProcessServer:
    """The ``capital-pipeline simulator`` command in a child process, configured through its stdin."""

    def __init__(self, config: SimulatorConfig) -> None:
        command = [sys.executable, "-m", "capital_pipeline.simulator", "--config-from-stdin"]
        self._process = subprocess.Popen(command, stdin=subprocess.PIPE, stdout=subprocess.PIPE, text=True)
        assert self._process.stdin is not None and self._process.stdout is not None
        # Secrets travel through the pipe, never on the command line (visible to `ps`).
        self._process.stdin.write(json.dumps(config.to_dict()))
        self._process.stdin.close()
        first_line = self._process.stdout.readline().strip()
        ready = READY_LINE.match(first_line)
        if ready is None:
            self.stop()
            raise RuntimeError(
                f"the simulator subprocess did not start (exit code {self._process.returncode})"
            )
        self.base_url = ready.group(1)

    def stop(self) -> None:
        if self._process.poll() is None:
            self._process.send_signal(signal.SIGTERM)
            try:
                self._process.wait(STOP_TIMEOUT_SECONDS)
            except subprocess.TimeoutExpired:
                self._process.kill()
                self._process.wait()
        assert self._process.stdout is not None
        self._process.stdout.close()

    @property
    def returncode(self) -> int | None:
        return self._process.returncode

    @property
    def pid(self) -> int:
        return self._process.pid


class SimulatorHandle:
    """A running simulator: where it is, how to log in, and its test-only control endpoints."""

    def __init__(self, config: SimulatorConfig, runner: _ThreadServer | _ProcessServer) -> None:
        self.config = config
        self._runner = runner
        self.base_url = runner.base_url
        self.api_url = self.base_url + "/api/v1"
        user = config.users[0]
        self.credentials = Credentials(user.api_key, user.identifier, user.password)
        self._http = httpx.Client(base_url=self.base_url + "/_simulator", timeout=30.0)
        self._closed = False

    def stats(self) -> dict[str, Any]:
        """``GET /_simulator/stats``."""
        return self._call("GET", "/stats")

    def universe(self) -> dict[str, Any]:
        """``GET /_simulator/universe``: the ground truth of the current state."""
        return self._call("GET", "/universe")

    def issued_tokens(self) -> list[str]:
        """``GET /_simulator/tokens``: every CST and X-SECURITY-TOKEN issued since the simulator started."""
        return list(self._call("GET", "/tokens")["tokens"])

    def reset_stats(self) -> None:
        self._call("POST", "/reset")

    def set_faults(self, faults: list[Fault | dict[str, Any]]) -> list[dict[str, Any]]:
        """Replace the fault list (``Fault`` objects or their fields as dicts)."""
        items = [fault.to_dict() if isinstance(fault, Fault) else fault for fault in faults]
        return self._call("POST", "/faults", items)

    def set_config(self, **changes: Any) -> dict[str, Any]:
        """Change run-time settings (``day=1`` rebuilds the universe); returns the settings now in force."""
        return self._call("POST", "/config", changes)

    def _call(self, method: str, path: str, payload: Any = None) -> Any:
        response = self._http.request(method, path, json=payload)
        if response.status_code != 200:
            raise ValueError(f"{method} /_simulator{path}: {response.status_code} {response.text}")
        return response.json()

    @property
    def returncode(self) -> int | None:
        """The exit code of a stopped subprocess simulator (``None`` for the thread variant)."""
        return self._runner.returncode if isinstance(self._runner, _ProcessServer) else None

    @property
    def pid(self) -> int:
        """The process serving: the child's for the subprocess variant, this one's for the thread variant."""
        return self._runner.pid if isinstance(self._runner, _ProcessServer) else os.getpid()

    def stop(self) -> None:
        """Stop the server and wait for it; calling it twice is harmless."""
        if not self._closed:
            self._closed = True
            self._http.close()
            self._runner.stop()

    def __enter__(self) -> SimulatorHandle:
        return self

    def __exit__(self, *_exc_info: object) -> None:
        self.stop()


def run_simulator(config: SimulatorConfig | None = None, *, in_subprocess: bool = False) -> SimulatorHandle:
    """Start a simulator on a free loopback port (or ``config.port``) and return once it answers."""
    config = config or SimulatorConfig()
    runner = _ProcessServer(config) if in_subprocess else _ThreadServer(config)
    return SimulatorHandle(config, runner)

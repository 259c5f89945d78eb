"""The simulator command (``cli.py``): starts, prints where and how to log in, stops cleanly on SIGTERM.

Run as the installed ``capital-pipeline simulator`` console script, as users and other tools start it.
"""

from __future__ import annotations

import os
import signal
import socket
import subprocess
import sys
from pathlib import Path

import httpx
import pytest

from capital_pipeline.simulator import DEMO_API_KEY, DEMO_IDENTIFIER, DEMO_PASSWORD
from capital_pipeline.simulator.server import READY_LINE

COMMAND = [str(Path(sys.executable).with_name("capital-pipeline")), "simulator"]


@pytest.mark.parametrize("stop_signal", [signal.SIGTERM, signal.SIGINT])
def test_command_prints_its_url_and_credentials_serves_and_exits_0_on_a_signal(stop_signal: int) -> None:
    process = subprocess.Popen(
        [*COMMAND, "--port", "0", "--latency-ms", "0", "--rate-limit", "10"],
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
        text=True,
    )
    try:
        assert process.stdout is not None
        ready = READY_LINE.match(process.stdout.readline().strip())
        assert ready is not None
        banner = [process.stdout.readline() for _ in range(4)]
        answer = httpx.get(ready.group(1) + "/api/v1/time", timeout=10)
        assert answer.status_code == 200 and "serverTime" in answer.json()
        process.send_signal(stop_signal)
        _, errors = process.communicate(timeout=30)
    finally:
        if process.poll() is None:
            process.kill()
            process.communicate()
    assert process.returncode == 0, errors
    assert any(DEMO_API_KEY in line for line in banner)
    assert any(DEMO_IDENTIFIER in line for line in banner)
    assert any(DEMO_PASSWORD in line for line in banner)
    assert "Traceback" not in errors


def test_command_accepts_the_documented_options() -> None:
    options = [
        "--host", "--port", "--seed", "--scale", "--day", "--latency-ms", "--rate-limit",
        "--login-rate-limit", "--session-idle-seconds", "--session-max-seconds", "--api-key", "--identifier",
        "--password", "--navigation-max-limit", "--account-switch-scope",
    ]  # fmt: skip
    wide = os.environ | {"COLUMNS": "300"}  # rich would elide long option names in a narrow terminal
    help_text = subprocess.run(
        [*COMMAND, "--help"], capture_output=True, text=True, timeout=60, check=True, env=wide
    ).stdout
    assert all(option in help_text for option in options)


@pytest.mark.parametrize(
    ("option", "value", "named"),
    [
        ("--latency-distribution", "bogus", "--latency-distribution"),
        ("--rate-limit", "0", "--rate-limit"),
        ("--scale", "0", "--scale"),
        ("--day", "-3", "--day"),
        ("--fault", "notjson", "--fault"),
        ("--fault", '{"kind":"nope"}', "--fault"),
        ("--session-idle-seconds", "0", "session lifetimes"),
        ("--navigation-max-limit", "0", "--navigation-max-limit"),
        ("--account-switch-scope", "account", "--account-switch-scope"),
    ],
)
def test_a_bad_value_is_a_usage_error_not_a_traceback(option: str, value: str, named: str) -> None:
    result = subprocess.run([*COMMAND, option, value], capture_output=True, text=True, timeout=60)
    assert result.returncode == 2, result.stderr
    assert "Traceback" not in result.stderr
    (error,) = [line for line in result.stderr.splitlines() if "Error" in line]
    assert named in error


def test_navigation_limit_and_switch_scope_options_reach_the_served_config() -> None:
    options = ["--navigation-max-limit", "100", "--account-switch-scope", "session"]
    process = subprocess.Popen([*COMMAND, "--port", "0", *options], stdout=subprocess.PIPE, text=True)
    try:
        assert process.stdout is not None
        ready = READY_LINE.match(process.stdout.readline().strip())
        assert ready is not None
        settings = httpx.get(ready.group(1) + "/_simulator/config", timeout=10).json()
    finally:
        process.terminate()
        process.communicate(timeout=30)
    assert (settings["navigation_max_limit"], settings["account_switch_scope"]) == (100, "session")


def test_a_busy_port_is_one_message_naming_it() -> None:
    with socket.socket() as busy:
        busy.bind(("127.0.0.1", 0))
        busy.listen()
        port = busy.getsockname()[1]
        result = subprocess.run([*COMMAND, "--port", str(port)], capture_output=True, text=True, timeout=60)
    assert result.returncode == 1
    assert result.stderr.startswith(f"Error: cannot listen on 127.0.0.1:{port}: ")
    assert "--port" in result.stderr and "Traceback" not in result.stderr
    assert len(result.stderr.splitlines()) == 1

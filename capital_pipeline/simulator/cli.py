"""``capital-pipeline simulator``: serve the offline Capital.com until Ctrl-C or SIGTERM (then exit 0)."""

from __future__ import annotations

import gc
import json
import signal
import sys
import threading
from typing import Annotated, Any

import typer

from capital_pipeline.simulator.config import (
    ACCOUNT_SWITCH_SCOPES,
    DEMO_API_KEY,
    DEMO_IDENTIFIER,
    DEMO_PASSWORD,
    LATENCY_DISTRIBUTIONS,
    Fault,
    SimulatorConfig,
    SimulatorUser,
)
from capital_pipeline.simulator.server import SimulatorHandle, run_simulator

__all__ = ["EXIT_PORT_UNAVAILABLE", "simulator_command"]

# Like the other commands' "expected error stopped it": the options were fine, the address was not free.
EXIT_PORT_UNAVAILABLE = 1


def _distribution(value: str) -> str:
    if value not in LATENCY_DISTRIBUTIONS:
        raise typer.BadParameter(f"{value!r} is not one of {', '.join(LATENCY_DISTRIBUTIONS)}.")
    return value


def _switch_scope(value: str) -> str:
    if value not in ACCOUNT_SWITCH_SCOPES:
        raise typer.BadParameter(f"{value!r} is not one of {', '.join(ACCOUNT_SWITCH_SCOPES)}.")
    return value


def _faults(values: list[str] | None) -> list[str] | None:
    for text in values or []:
        _fault(text)
    return values


def _fault(text: str) -> Fault:
    """One ``--fault``: a JSON object of ``Fault`` fields; anything else is a usage error."""
    try:
        fields: Any = json.loads(text)
    except json.JSONDecodeError as error:
        raise typer.BadParameter(f'{text!r} is not JSON ({error}); e.g. {{"kind":"reset"}}.') from None
    if not isinstance(fields, dict):
        raise typer.BadParameter(f'{text!r} is not a JSON object; e.g. {{"kind":"reset"}}.')
    try:
        return Fault(**fields)
    except (TypeError, ValueError) as error:  # an unknown field, a value Fault refuses
        raise typer.BadParameter(f"{text!r}: {error}.") from None


def simulator_command(
    host: Annotated[str, typer.Option(help="Address to listen on (keep it on loopback).")] = "127.0.0.1",
    port: Annotated[
        int, typer.Option(min=0, max=65535, help="Port to listen on; 0 picks a free one.")
    ] = 8765,
    seed: Annotated[int, typer.Option(help="Universe seed.")] = 1,
    scale: Annotated[int, typer.Option(min=1, help="Universe size multiplier.")] = 1,
    day: Annotated[int, typer.Option(min=0, help="Universe day (each day lists, delists and renames).")] = 0,
    latency_ms: Annotated[float, typer.Option(min=0, help="Mean added latency per API request.")] = 0.0,
    latency_distribution: Annotated[
        str, typer.Option(callback=_distribution, help="fixed, uniform or normal.")
    ] = "fixed",
    latency_spread_ms: Annotated[
        float, typer.Option(min=0, help="Half-width (uniform) or sd (normal).")
    ] = 0.0,
    rate_limit: Annotated[int, typer.Option(min=1, help="Requests per rolling second per user.")] = 10,
    login_rate_limit: Annotated[
        int, typer.Option(min=1, help="POST /session per rolling second per key.")
    ] = 1,
    retry_after: Annotated[
        int | None, typer.Option(min=0, help="Send Retry-After with 429s (seconds).")
    ] = None,
    session_idle_seconds: Annotated[float, typer.Option(help="Session idle lifetime.")] = 600.0,
    session_max_seconds: Annotated[float, typer.Option(help="Session hard cap from login.")] = 3600.0,
    single_session: Annotated[
        bool, typer.Option(help="A new login ends the user's earlier sessions.")
    ] = False,
    api_key_expired: Annotated[bool, typer.Option(help="Refuse the API key as expired.")] = False,
    navigation_max_limit: Annotated[
        int, typer.Option(min=1, help="Largest navigation limit accepted (500 documented).")
    ] = 500,
    account_switch_scope: Annotated[
        str,
        typer.Option(
            callback=_switch_scope,
            help="What PUT /session moves: token (a new token for the new account) or session (all tokens).",
        ),
    ] = "token",
    fault: Annotated[
        list[str] | None, typer.Option(callback=_faults, help='A fault as JSON, e.g. {"kind":"reset"}.')
    ] = None,
    api_key: Annotated[str, typer.Option(help="Accepted X-CAP-API-KEY.")] = DEMO_API_KEY,
    identifier: Annotated[str, typer.Option(help="Accepted login identifier.")] = DEMO_IDENTIFIER,
    password: Annotated[str, typer.Option(help="Accepted password.")] = DEMO_PASSWORD,
    config_from_stdin: Annotated[bool, typer.Option(hidden=True)] = False,
) -> None:
    """Serve the simulator, print its base URL and the credentials it accepts, stop cleanly on a signal.

    A bad value is a usage error (exit 2); a port that cannot be listened on, one message (exit 1).
    """
    try:
        if config_from_stdin:  # the subprocess runner's way: the whole config as JSON
            config = SimulatorConfig.from_dict(json.loads(sys.stdin.read()))
        else:
            config = SimulatorConfig(
                host=host,
                port=port,
                seed=seed,
                scale=scale,
                day=day,
                latency_ms=latency_ms,
                latency_distribution=latency_distribution,
                latency_spread_ms=latency_spread_ms,
                rate_limit=rate_limit,
                login_rate_limit=login_rate_limit,
                retry_after=retry_after,
                session_idle_seconds=session_idle_seconds,
                session_max_seconds=session_max_seconds,
                single_session_per_user=single_session,
                api_key_expired=api_key_expired,
                navigation_max_limit=navigation_max_limit,
                account_switch_scope=account_switch_scope,
                users=(SimulatorUser(api_key, identifier, password),),
                faults=tuple(_fault(text) for text in fault or []),
            )
    except (ValueError, TypeError) as error:  # what the options' own checks leave to SimulatorConfig
        raise typer.BadParameter(str(error)) from None
    stop = threading.Event()
    for signal_number in (signal.SIGINT, signal.SIGTERM):
        signal.signal(signal_number, lambda *_: stop.set())
    try:
        simulator = run_simulator(config)
    except OSError as error:  # the socket is bound here: a busy port, or an address not on this machine
        typer.echo(
            f"Error: cannot listen on {config.host}:{config.port}: {error.strerror or error}. Stop what "
            "listens there (another simulator?) or choose another --port (0 picks a free one) or --host.",
            err=True,
        )
        raise typer.Exit(EXIT_PORT_UNAVAILABLE) from None
    with simulator:
        # A full collection over the universe's objects pauses the server for ~40 ms, enough to bunch
        # arrivals together and make a well-paced client look too fast; this process only serves.
        gc.collect()
        gc.freeze()
        _announce(simulator)
        while not stop.wait(1.0):
            pass


def _announce(simulator: SimulatorHandle) -> None:
    config = simulator.config
    lines = [f"Capital.com simulator: {simulator.base_url}", f"  API base URL:  {simulator.api_url}"]
    for user in config.users:
        lines += [
            f"  X-CAP-API-KEY: {user.api_key}",
            f"  identifier:    {user.identifier}",
            f"  password:      {user.password}",
        ]
    lines += [
        f"  universe:      seed {config.seed}, scale {config.scale}, day {config.day}",
        f"  control:       {simulator.base_url}/_simulator/stats | universe | config | faults | reset",
        "Serving until interrupted (Ctrl-C or SIGTERM).",
    ]
    typer.echo("\n".join(lines))

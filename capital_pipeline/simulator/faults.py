"""Fault injection: which calls a fault hits, and the broken answers it produces.

Kinds (``Fault.kind``):

- ``status``: answer ``status`` at once: 429 in the API's error shape, 500 in the Spring error shape some
  clients handle (REFERENCE §2), 502/503/504 as an HTML gateway page.
- ``timeout``: hold the answer ``seconds``, then answer normally (a client with a shorter timeout gives up).
- ``reset``: reset the TCP connection (SO_LINGER 0, then abort: the client sees ECONNRESET, no answer).
- ``malformed_json``: 200 with the real body cut in half (a strict prefix of a JSON document never parses).
- ``expired_session``: the caller's session really expires: 401 ``error.invalid.session.token`` now and after.
- ``missing_field``: drop ``field`` (default: the first documented-optional field in the body) everywhere.
- ``extra_field``: add ``field`` (default ``"simulatorExtraField"``) to every JSON object of the body.
"""

from __future__ import annotations

import asyncio
import random
import socket
import struct
from collections.abc import Callable, Iterator
from datetime import UTC, datetime
from typing import Any

from capital_pipeline.simulator.config import Fault

__all__ = [
    "OPTIONAL_FIELDS",
    "FaultPlan",
    "gateway_page",
    "reset_connection",
    "server_error_body",
    "truncated",
    "with_extra_field",
    "without_field",
]

# Fields the sources show as sometimes absent (REFERENCE §6: closed markets, GTC orders, deposits, S1 vs S2).
OPTIONAL_FIELDS = (
    "netChange",
    "high",
    "low",
    "percentageChange",
    "goodTillDate",
    "goodTillDateUTC",
    "stopDistance",
    "profitDistance",
    "instrumentName",
    "details",
    "symbol",
    "marketModes",
    "country",
)
_GATEWAY_TITLES = {
    502: "502 Bad Gateway",
    503: "503 Service Temporarily Unavailable",
    504: "504 Gateway Time-out",
}


class FaultPlan:
    """The active faults, in order, with the per-fault call counters and seeded generators."""

    def __init__(self, faults: tuple[Fault, ...], seed: int) -> None:
        self.faults = faults
        self._seen = [0] * len(faults)
        self._random = [random.Random(f"fault:{seed}:{index}") for index in range(len(faults))]

    def draw(self, method: str, template: str) -> Fault | None:
        """The fault hitting this call, if any; every matching fault counts the call."""
        hit: Fault | None = None
        for index, fault in enumerate(self.faults):
            if not _matches(fault.route, method, template):
                continue
            self._seen[index] += 1
            if fault.first_n is not None:
                fires = self._seen[index] <= fault.first_n
            elif fault.fraction is not None:
                fires = self._random[index].random() < fault.fraction
            else:
                fires = True
            if fires and hit is None:
                hit = fault
        return hit


def _matches(route: str, method: str, template: str) -> bool:
    if route == "*":
        return True
    wanted_method, _, wanted_template = route.rpartition(" ")
    return wanted_template == template and wanted_method in ("", method)


def gateway_page(status: int) -> bytes:
    """The HTML a reverse proxy sends when the API behind it fails."""
    title = _GATEWAY_TITLES[status]
    head = f"<head><title>{title}</title></head>"
    return (
        f"<html>\r\n{head}\r\n<body>\r\n<center><h1>{title}</h1></center>\r\n</body>\r\n</html>\r\n".encode()
    )


def server_error_body(path: str) -> dict[str, Any]:
    """The Spring-style body of an unexpected server failure (shape handled by some clients, S13)."""
    stamp = datetime.now(UTC).isoformat(timespec="milliseconds")
    return {"timestamp": stamp, "status": 500, "error": "Internal Server Error", "message": "", "path": path}


async def reset_connection(send: Callable[..., Any]) -> None:
    """Reset the TCP connection behind uvicorn's ``send``: RST instead of FIN, no HTTP answer at all."""
    # uvicorn 0.54 passes its RequestResponseCycle.send; the cycle holds the asyncio transport.
    cycle = getattr(send, "__self__", None)
    transport = getattr(cycle, "transport", None)
    if transport is None:
        raise RuntimeError("connection resets need uvicorn's send callable (no transport found)")
    sock = transport.get_extra_info("socket")
    sock.setsockopt(socket.SOL_SOCKET, socket.SO_LINGER, struct.pack("ii", 1, 0))
    transport.abort()
    # Let asyncio run connection_lost, so uvicorn knows not to answer for us (a few loop turns at most).
    for _ in range(100):
        if getattr(cycle, "disconnected", True):
            break
        await asyncio.sleep(0)


def truncated(body: bytes) -> bytes:
    """The first half of a JSON body: never valid JSON, since a document must close."""
    return body[: max(1, len(body) // 2)]


def without_field(payload: Any, field: str | None) -> Any:
    """``payload`` without ``field`` in any object; ``None`` picks the first optional field present."""
    if field is None:
        present = {key for obj in _objects(payload) for key in obj}
        field = next((name for name in OPTIONAL_FIELDS if name in present), None)
    for obj in _objects(payload):
        obj.pop(field, None)
    return payload


def with_extra_field(payload: Any, field: str | None) -> Any:
    """``payload`` with an unknown field added to every object, as the API grows fields over time."""
    for obj in list(_objects(payload)):
        obj[field or "simulatorExtraField"] = "added by a simulator fault"
    return payload


def _objects(payload: Any) -> Iterator[dict[str, Any]]:
    if isinstance(payload, dict):
        yield payload
        for value in list(payload.values()):
            yield from _objects(value)
    elif isinstance(payload, list):
        for item in payload:
            yield from _objects(item)

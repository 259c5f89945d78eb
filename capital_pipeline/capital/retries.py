"""Retrying transient failures: 429, 5xx, HTML gateway pages, timeouts, dropped connections and success
answers whose body was cut short.

Only idempotent requests go through here: reads, the login on 429/5xx/transport errors (a login is not a
trade, and every attempt still passes the login limiter), and the session's own PUT (switching to the account
already active is success) and DELETE (an ended session counts as logged out). Credential errors are 4xx and
are never transient."""

from __future__ import annotations

import email.utils
import random
import time
from collections.abc import Awaitable, Callable
from dataclasses import dataclass, field

import httpx

from capital_pipeline.capital.errors import TransportError

__all__ = [
    "RETRYABLE_TRANSPORT_ERRORS",
    "RetryPolicy",
    "retry_after_seconds",
    "send_with_retries",
    "transient_reason",
]

# A timeout, a refused or reset connection, a server hanging up mid-answer; not our own protocol mistakes.
RETRYABLE_TRANSPORT_ERRORS = (httpx.TimeoutException, httpx.NetworkError, httpx.RemoteProtocolError)

# Limits count per rolling second (REFERENCE.md section 4): after a 429, waiting less than that cannot help.
_RATE_WINDOW_SECONDS = 1.0


@dataclass(frozen=True)
class RetryPolicy:
    """A bounded number of attempts with capped exponential backoff and jitter."""

    max_attempts: int = 5
    base_delay: float = 0.5
    max_delay: float = 10.0
    max_retry_after: float = 60.0
    rng: random.Random = field(default_factory=random.Random, compare=False, repr=False)

    def delay(self, attempt: int, response: httpx.Response | None = None) -> float:
        """Seconds to wait after failed attempt number ``attempt`` (1-based)."""
        hinted = retry_after_seconds(response) if response is not None else None
        if hinted is not None:
            return min(hinted, self.max_retry_after)
        ceiling = min(self.max_delay, self.base_delay * 2 ** (attempt - 1))
        # "Equal jitter": never less than half the step, so concurrent callers spread out without stampeding.
        backoff = ceiling / 2 + self.rng.uniform(0, ceiling / 2)
        if response is not None and response.status_code == 429:
            return max(backoff, _RATE_WINDOW_SECONDS)
        return backoff


def retry_after_seconds(response: httpx.Response) -> float | None:
    """The ``Retry-After`` hint in seconds; None when absent, unreadable or 0 (0 means no hint)."""
    value = response.headers.get("retry-after", "").strip()
    if not value:
        return None
    try:
        seconds = float(value)
    except ValueError:
        try:
            seconds = email.utils.parsedate_to_datetime(value).timestamp() - time.time()
        except (TypeError, ValueError):
            return None
    return seconds if seconds > 0 else None


def transient_reason(response: httpx.Response) -> str | None:
    """Why this response is worth another attempt, or None when it is final."""
    if response.status_code == 429:
        return "rate limited"
    if response.status_code >= 500:
        return "server error"
    if response.headers.get("content-type", "").startswith("text/html"):
        return "gateway page"
    return None


async def send_with_retries(
    send: Callable[[], Awaitable[httpx.Response]],
    *,
    path: str,
    policy: RetryPolicy,
    sleep: Callable[[float], Awaitable[None]],
    on_retry: Callable[[], None] = lambda: None,
    readable: Callable[[httpx.Response], bool] = lambda response: True,
) -> tuple[httpx.Response, int]:
    """Send until the response is final or attempts run out; return the last response and the attempts made.

    A transport failure on the last attempt (or not worth retrying) raises ``TransportError`` naming ``path``.
    A success that ``readable`` rejects (a body cut short by a proxy or a dropped connection) is sent again:
    the caller sees it only on the last attempt.
    """
    attempt = 0
    while True:
        attempt += 1
        last = attempt >= policy.max_attempts
        try:
            response = await send()
        except httpx.TransportError as error:
            if last or not isinstance(error, RETRYABLE_TRANSPORT_ERRORS):
                raise TransportError(
                    f"{type(error).__name__} after {attempt} attempt(s)", path=path
                ) from error
            delay = policy.delay(attempt)
        else:
            final = transient_reason(response) is None and (not response.is_success or readable(response))
            if last or final:
                return response, attempt
            delay = policy.delay(attempt, response)
        on_retry()
        await sleep(delay)

"""Where the client connects, as whom, and how hard it may push: environments, credentials and settings.

Everything here is validated when it is built, so a bad setting fails before the first request.
"""

from __future__ import annotations

import hashlib
import ipaddress
import math
import os
from collections.abc import Mapping
from dataclasses import dataclass, field
from pathlib import Path

import httpx

from capital_pipeline.capital.errors import ConfigurationError

__all__ = [
    "API_PREFIX",
    "BACKOFF_VARIABLE",
    "DEMO_URL",
    "ENVIRONMENTS",
    "LIVE_URL",
    "RATE_VARIABLE",
    "TIMEOUT_VARIABLE",
    "ClientSettings",
    "Credentials",
    "resolve_base_url",
    "seconds_from_env",
    "whole_number_from_env",
]

DEMO_URL = "https://demo-api-capital.backend-capital.com"
LIVE_URL = "https://api-capital.backend-capital.com"
ENVIRONMENTS = {"demo": DEMO_URL, "live": LIVE_URL}
# Every path sits under /api/v1 (REFERENCE.md section 1).
API_PREFIX = "/api/v1"
TIMEOUT_VARIABLE = "CAPITAL_TIMEOUT_SECONDS"
RATE_VARIABLE = "CAPITAL_REQUESTS_PER_SECOND"
BACKOFF_VARIABLE = "CAPITAL_RETRY_BACKOFF_SECONDS"


def _is_loopback(host: str) -> bool:
    if host == "localhost":
        return True
    try:
        return ipaddress.ip_address(host).is_loopback
    except ValueError:
        return False


def seconds_from_env(name: str, default: float, *, zero_allowed: bool) -> float:
    """``name`` as a number of seconds, else ``default``; read when settings are built, never at import.

    A value the settings would refuse is refused here, in words naming the variable rather than the field.
    """
    text = os.environ.get(name, "").strip()
    if not text:
        return default
    try:
        seconds = float(text)
    except ValueError:
        seconds = math.nan
    if not math.isfinite(seconds) or seconds < 0 or (seconds == 0 and not zero_allowed):
        accepted = "0 or more" if zero_allowed else "greater than 0"
        raise ConfigurationError(
            f"{name} must be a number of seconds, {accepted} (default {default:g}), got {text!r}"
        )
    return seconds


def whole_number_from_env(name: str, default: int, *, minimum: int) -> int:
    """``name`` as a whole number of at least ``minimum``, else ``default``; refused in words naming it."""
    text = os.environ.get(name, "").strip()
    if not text:
        return default
    try:
        number = int(text)
    except ValueError:
        number = minimum - 1
    if number < minimum:
        raise ConfigurationError(
            f"{name} must be a whole number of at least {minimum} (default {default}), got {text!r}"
        )
    return number


def resolve_base_url(environment_or_url: str) -> str:
    """``demo``/``live`` or a ``scheme://host[:port]`` URL (optionally ending in /api/v1) → scheme://host[:port].

    Plain http is allowed only for loopback hosts: a login over it elsewhere would send the password in clear.
    """
    text = ENVIRONMENTS.get(environment_or_url.strip().lower(), environment_or_url.strip())
    try:
        url = httpx.URL(text)
    except httpx.InvalidURL as error:
        raise ConfigurationError(f"not a URL or environment name: {text!r}") from error
    if url.scheme not in ("http", "https") or not url.host:
        raise ConfigurationError(f"expected demo, live or an http(s)://host[:port] URL, got {text!r}")
    if url.scheme == "http" and not _is_loopback(url.host):
        raise ConfigurationError(
            f"plain http is only allowed for loopback hosts, not {url.host!r}: the login (password or "
            "session tokens) would cross the network in clear; use an https:// URL"
        )
    if url.path.rstrip("/") not in ("", API_PREFIX) or url.query or url.userinfo:
        raise ConfigurationError(f"the base URL must be scheme://host[:port], got {text!r}")
    port = f":{url.port}" if url.port is not None else ""
    host = f"[{url.host}]" if ":" in url.host else url.host
    return f"{url.scheme}://{host}{port}"


@dataclass(frozen=True)
class Credentials:
    """An API key, the login identifier (e-mail) and the API key's password; secrets stay out of repr."""

    api_key: str = field(repr=False)
    identifier: str
    password: str = field(repr=False)

    def __post_init__(self) -> None:
        for setting, value in self._settings().items():
            # Blank is empty too: a key of spaces would reach the API as no key (400 error.null.api.key).
            if not value.strip():
                raise ConfigurationError(f"{setting} is empty")

    def _settings(self) -> dict[str, str]:
        return {
            "CAPITAL_API_KEY": self.api_key,
            "CAPITAL_IDENTIFIER": self.identifier,
            "CAPITAL_PASSWORD": self.password,
        }

    @classmethod
    def from_env(cls, environ: Mapping[str, str] | None = None) -> Credentials:
        """Read ``CAPITAL_API_KEY``, ``CAPITAL_IDENTIFIER`` and ``CAPITAL_PASSWORD``."""
        env = os.environ if environ is None else environ
        missing = [
            name
            for name in ("CAPITAL_API_KEY", "CAPITAL_IDENTIFIER", "CAPITAL_PASSWORD")
            if not env.get(name)
        ]
        if missing:
            raise ConfigurationError(f"missing environment variables: {', '.join(missing)}")
        return cls(env["CAPITAL_API_KEY"], env["CAPITAL_IDENTIFIER"], env["CAPITAL_PASSWORD"])

    @property
    def api_key_fingerprint(self) -> str:
        """A short hash naming this API key in file names; the key itself is never written anywhere."""
        return hashlib.sha256(self.api_key.encode()).hexdigest()[:20]


@dataclass(frozen=True)
class ClientSettings:
    """How the client talks to the API. Defaults follow REFERENCE.md sections 3, 4 and 11.

    ``environment`` is ``demo``, ``live`` or a base URL; ``base_url`` is its validated form.
    ``pacing_directory`` switches the rate limiters to files shared by every process using the same API key.
    """

    environment: str = "demo"
    encrypted_login: bool = True
    # 10 requests per second per user and 1 login per second per API key (REFERENCE.md section 4).
    requests_per_second: int = 10
    logins_per_second: int = 1
    # Added to each 1 s window, and the most a request's arrival may be estimated late (pacing.py explains).
    rate_margin: float = 0.01
    # 2 s: two runs sharing one API key on a 2-core machine at load 8-9 drew up to 32 429s at 0.5 s (a process
    # starved of CPU sends, or reads its answer, that much late); a slow answer costs its slot at most this
    # much longer, nothing when answers are uniformly fast.
    arrival_jitter_cap: float = 2.0
    # Sessions die 10 minutes after last use and (observed) an hour after login (REFERENCE.md section 3).
    session_idle_limit: float = 600.0
    session_hard_cap: float = 3600.0
    session_refresh_margin: float = 30.0
    max_attempts: int = 5
    # The first retry waits about this long, doubling after (CAPITAL_RETRY_BACKOFF_SECONDS overrides).
    backoff_base: float = field(
        default_factory=lambda: seconds_from_env(BACKOFF_VARIABLE, 0.5, zero_allowed=True)
    )
    backoff_cap: float = 10.0
    max_retry_after: float = 60.0
    # Per request: connect, each read and write (CAPITAL_TIMEOUT_SECONDS overrides, for slow networks).
    timeout: float = field(
        default_factory=lambda: seconds_from_env(TIMEOUT_VARIABLE, 30.0, zero_allowed=False)
    )
    pacing_directory: Path | None = None
    base_url: str = field(init=False)

    def __post_init__(self) -> None:
        object.__setattr__(self, "base_url", resolve_base_url(self.environment))
        positive = {
            "requests_per_second": self.requests_per_second,
            "logins_per_second": self.logins_per_second,
            "session_idle_limit": self.session_idle_limit,
            "session_hard_cap": self.session_hard_cap,
            "max_attempts": self.max_attempts,
            "backoff_cap": self.backoff_cap,
            "timeout": self.timeout,
        }
        for name, value in positive.items():
            if value <= 0:
                raise ConfigurationError(f"{name} must be positive, got {value!r}")
        for name in (
            "rate_margin",
            "arrival_jitter_cap",
            "session_refresh_margin",
            "backoff_base",
            "max_retry_after",
        ):
            if getattr(self, name) < 0:
                raise ConfigurationError(f"{name} must not be negative")
        if self.session_refresh_margin >= min(self.session_idle_limit, self.session_hard_cap):
            raise ConfigurationError("session_refresh_margin must be shorter than the session limits")

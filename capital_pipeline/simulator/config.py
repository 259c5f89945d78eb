"""The simulator's settings: who may log in, how strict the limits are, how slow and how faulty the server is.

Every number here is a knob a test can turn, at start (``SimulatorConfig``) or at run time
(``POST /_simulator/config``, ``POST /_simulator/faults``). Defaults follow REFERENCE.md sections 3, 4 and 11.
"""

from __future__ import annotations

import dataclasses
from dataclasses import dataclass, field
from typing import Any

__all__ = [
    "ACCOUNT_SWITCH_SCOPES",
    "DEMO_API_KEY",
    "DEMO_IDENTIFIER",
    "DEMO_PASSWORD",
    "FAULT_KINDS",
    "FAULT_STATUSES",
    "LATENCY_DISTRIBUTIONS",
    "RUNTIME_SETTINGS",
    "Fault",
    "SimulatorConfig",
    "SimulatorUser",
]

# Documented demo credentials: the simulator is an offline stand-in, so these are public on purpose.
DEMO_API_KEY = "sim-demo-api-key"
DEMO_IDENTIFIER = "demo@capital-pipeline.test"
DEMO_PASSWORD = "sim-demo-password"

LATENCY_DISTRIBUTIONS = ("fixed", "uniform", "normal")
# What ``PUT /session`` moves (REFERENCE §6, §10: unconfirmed): "token", the default, issues a new account
# token and leaves earlier ones on their accounts; "session" moves the whole session, every token of its CST
# addressing the new account from then on (the tokens' values do not change).
ACCOUNT_SWITCH_SCOPES = ("token", "session")
FAULT_KINDS = (
    "status",
    "timeout",
    "reset",
    "malformed_json",
    "expired_session",
    "missing_field",
    "extra_field",
)
FAULT_STATUSES = (429, 500, 502, 503, 504)

# Settings POST /_simulator/config may change; the rest (address, users) is fixed for a server's life.
RUNTIME_SETTINGS = (
    "seed",
    "scale",
    "day",
    "latency_ms",
    "latency_distribution",
    "latency_spread_ms",
    "rate_limit",
    "login_rate_limit",
    "retry_after",
    "session_idle_seconds",
    "session_max_seconds",
    "single_session_per_user",
    "api_key_expired",
    "encryption_max_age_seconds",
    "navigation_max_limit",
    "account_switch_scope",
)


@dataclass(frozen=True)
class SimulatorUser:
    """One set of credentials the simulator accepts; every user logs into the same simulated login."""

    api_key: str = field(default=DEMO_API_KEY, repr=False)
    identifier: str = DEMO_IDENTIFIER
    password: str = field(default=DEMO_PASSWORD, repr=False)

    def to_dict(self) -> dict[str, str]:
        return {"api_key": self.api_key, "identifier": self.identifier, "password": self.password}


@dataclass(frozen=True)
class Fault:
    """One injected fault: which calls it hits (``route``, ``first_n`` or ``fraction``) and what it does.

    ``route`` is ``"*"`` (every API call), a route template (``"/api/v1/markets/{epic}"``, any method) or
    ``"METHOD template"`` (``"GET /api/v1/markets/{epic}"``). With neither ``first_n`` nor ``fraction`` the
    fault hits every matching call; ``fraction`` draws from a generator seeded by ``seed`` and the fault's
    position in the list, so a run with the same calls hits the same calls.
    """

    kind: str = "status"
    route: str = "*"
    status: int = 500
    seconds: float = 5.0
    first_n: int | None = None
    fraction: float | None = None
    field: str | None = None

    def __post_init__(self) -> None:
        if self.kind not in FAULT_KINDS:
            raise ValueError(f"fault kind must be one of {FAULT_KINDS}, not {self.kind!r}")
        if self.kind == "status" and self.status not in FAULT_STATUSES:
            raise ValueError(f"fault status must be one of {FAULT_STATUSES}, not {self.status}")
        if self.first_n is not None and self.fraction is not None:
            raise ValueError("a fault takes first_n or fraction, not both")
        if self.first_n is not None and self.first_n < 0:
            raise ValueError("first_n must be >= 0")
        if self.fraction is not None and not 0.0 <= self.fraction <= 1.0:
            raise ValueError("fraction must be within [0, 1]")
        if self.seconds < 0:
            raise ValueError("seconds must be >= 0")

    def to_dict(self) -> dict[str, Any]:
        return dataclasses.asdict(self)


@dataclass(frozen=True)
class SimulatorConfig:
    """Everything a simulator is started with. ``port=0`` picks a free port."""

    host: str = "127.0.0.1"
    port: int = 0
    seed: int = 1
    scale: int = 1
    day: int = 0
    latency_ms: float = 0.0
    latency_distribution: str = "fixed"
    latency_spread_ms: float = 0.0
    rate_limit: int = 10
    login_rate_limit: int = 1
    retry_after: int | None = None
    session_idle_seconds: float = 600.0
    session_max_seconds: float = 3600.0
    single_session_per_user: bool = False
    api_key_expired: bool = False
    encryption_max_age_seconds: float = 60.0
    # REFERENCE §6/§11: default and max 500; one client saw 500 refused (error.invalid.limit) and used 100.
    navigation_max_limit: int = 500
    account_switch_scope: str = "token"
    users: tuple[SimulatorUser, ...] = (SimulatorUser(),)
    faults: tuple[Fault, ...] = ()

    def __post_init__(self) -> None:
        object.__setattr__(self, "users", tuple(self.users))
        object.__setattr__(self, "faults", tuple(self.faults))
        self._validate()

    def _validate(self) -> None:
        if self.scale < 1 or self.day < 0:
            raise ValueError("scale must be >= 1 and day >= 0")
        if self.rate_limit < 1 or self.login_rate_limit < 1:
            raise ValueError("rate limits must be >= 1 request per second")
        if self.latency_ms < 0 or self.latency_spread_ms < 0:
            raise ValueError("latency must be >= 0 ms")
        if self.latency_distribution not in LATENCY_DISTRIBUTIONS:
            raise ValueError(f"latency_distribution must be one of {LATENCY_DISTRIBUTIONS}")
        if self.retry_after is not None and self.retry_after < 0:
            raise ValueError("retry_after must be None (no header) or >= 0 seconds")
        if min(self.session_idle_seconds, self.session_max_seconds, self.encryption_max_age_seconds) <= 0:
            raise ValueError("session lifetimes and the encryption key age must be > 0 seconds")
        if self.navigation_max_limit < 1:
            raise ValueError("navigation_max_limit must be >= 1")
        if self.account_switch_scope not in ACCOUNT_SWITCH_SCOPES:
            raise ValueError(f"account_switch_scope must be one of {ACCOUNT_SWITCH_SCOPES}")
        if not self.users:
            raise ValueError("at least one user is needed")
        for attribute in ("api_key", "identifier"):
            values = [getattr(user, attribute) for user in self.users]
            if len(set(values)) != len(values):
                raise ValueError(f"each user needs a distinct {attribute}")

    def with_changes(self, changes: dict[str, Any]) -> SimulatorConfig:
        """A copy with run-time settings changed; unknown or fixed settings raise ``ValueError``."""
        fixed = sorted(set(changes) - set(RUNTIME_SETTINGS))
        if fixed:
            raise ValueError(f"these settings cannot change at run time: {', '.join(fixed)}")
        return dataclasses.replace(self, **changes)

    def with_faults(self, faults: tuple[Fault, ...]) -> SimulatorConfig:
        """A copy with another fault list."""
        return dataclasses.replace(self, faults=faults)

    def public_dict(self) -> dict[str, Any]:
        """The settings without secrets: users are listed by identifier only."""
        settings = {name: getattr(self, name) for name in ("host", "port", *RUNTIME_SETTINGS)}
        settings["users"] = [user.identifier for user in self.users]
        settings["faults"] = [fault.to_dict() for fault in self.faults]
        return settings

    def to_dict(self) -> dict[str, Any]:
        """Every setting, secrets included: only for handing a config to a simulator subprocess."""
        settings = self.public_dict()
        settings["users"] = [user.to_dict() for user in self.users]
        return settings

    @classmethod
    def from_dict(cls, settings: dict[str, Any]) -> SimulatorConfig:
        """The inverse of ``to_dict``."""
        values = dict(settings)
        values["users"] = tuple(SimulatorUser(**user) for user in values.get("users", [{}]))
        values["faults"] = tuple(Fault(**fault) for fault in values.get("faults", []))
        return cls(**values)

"""The session's token bundle and the bookkeeping of its lifetime.

Tokens come back as response headers: ``CST`` and ``X-SECURITY-TOKEN`` (REFERENCE.md section 2). A session
dies 10 minutes after its last use and, observed, about an hour after login (section 3): ``SessionLifetime``
says when a bundle must be replaced before either would end it. Times are wall-clock epoch seconds because
bundles are exported and resumed by other processes."""

from __future__ import annotations

import json
from dataclasses import asdict, dataclass, replace
from typing import Any

from capital_pipeline.capital.errors import MalformedResponse

__all__ = ["SessionLifetime", "TokenBundle"]


@dataclass(frozen=True)
class TokenBundle:
    """What resuming a session elsewhere needs; ``to_json`` holds the tokens: store it like a password."""

    cst: str
    security_token: str
    created_at: float
    last_used_at: float
    account_id: str | None = None
    timezone_offset: float | None = None

    def __repr__(self) -> str:
        return (
            f"TokenBundle(account_id={self.account_id!r}, created_at={self.created_at!r}, "
            f"last_used_at={self.last_used_at!r}, tokens=<redacted>)"
        )

    def same_tokens(self, other: TokenBundle | None) -> bool:
        """Whether ``other`` carries exactly these tokens (a bundle's times change with every use)."""
        return other is not None and (self.cst, self.security_token) == (other.cst, other.security_token)

    def used_at(self, now: float) -> TokenBundle:
        """This bundle, last used at ``now``."""
        return replace(self, last_used_at=now)

    def with_tokens(self, cst: str | None, security_token: str | None) -> TokenBundle:
        """This bundle with whichever tokens a response carried."""
        return replace(self, cst=cst or self.cst, security_token=security_token or self.security_token)

    def to_json(self) -> str:
        """The bundle as a small JSON document, for ``from_json`` in another process."""
        return json.dumps(asdict(self), sort_keys=True)

    @classmethod
    def from_json(cls, text: str | bytes) -> TokenBundle:
        """Read a bundle written by ``to_json``; ``MalformedResponse`` if it is not one."""
        try:
            data: Any = json.loads(text)
            bundle = cls(**data)
        except (ValueError, TypeError) as error:
            raise MalformedResponse("not a token bundle") from error
        tokens_ok = all(isinstance(token, str) and token for token in (bundle.cst, bundle.security_token))
        times_ok = all(isinstance(time, int | float) for time in (bundle.created_at, bundle.last_used_at))
        if not (tokens_ok and times_ok):
            raise MalformedResponse("not a token bundle")
        return bundle


@dataclass(frozen=True)
class SessionLifetime:
    """When a bundle is too close to the idle limit or the hard cap to be used for another request."""

    idle_limit: float = 600.0
    hard_cap: float = 3600.0
    refresh_margin: float = 30.0

    def is_fresh(self, bundle: TokenBundle, now: float) -> bool:
        """True while neither limit is within ``refresh_margin`` of ending the session."""
        idle_ends = bundle.last_used_at + self.idle_limit
        cap_ends = bundle.created_at + self.hard_cap
        return now < min(idle_ends, cap_ends) - self.refresh_margin

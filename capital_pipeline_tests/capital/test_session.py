"""Token bundles export, resume and redact; lifetimes end before the idle limit or the hard cap."""

from __future__ import annotations

import pytest

from capital_pipeline.capital.errors import MalformedResponse
from capital_pipeline.capital.session import SessionLifetime, TokenBundle

BUNDLE = TokenBundle(
    "cst-secret", "xst-secret", created_at=1000.0, last_used_at=1000.0, account_id="1", timezone_offset=2
)


def test_bundle_round_trips_through_json() -> None:
    assert TokenBundle.from_json(BUNDLE.to_json()) == BUNDLE


def test_bundle_repr_hides_tokens() -> None:
    assert "cst-secret" not in repr(BUNDLE) and "xst-secret" not in repr(BUNDLE)


@pytest.mark.parametrize(
    "text",
    ["", "[]", '{"cst": "a"}', '{"cst": 1, "security_token": "b", "created_at": 1, "last_used_at": 1}'],
)
def test_anything_but_a_bundle_is_refused(text: str) -> None:
    with pytest.raises(MalformedResponse):
        TokenBundle.from_json(text)


def test_bundle_takes_whichever_tokens_a_response_carried() -> None:
    assert BUNDLE.with_tokens(None, "xst-new").same_tokens(TokenBundle("cst-secret", "xst-new", 0, 0))


@pytest.mark.parametrize(
    ("now", "last_used", "fresh"),
    [
        (1000 + 569, 1000, True),  # idle 569 s: still 31 s before the 600 s limit minus the 30 s margin
        (1000 + 570, 1000, False),  # within the margin of the idle limit
        (1000 + 3569, 1000 + 3500, True),  # busy, 31 s before the hard cap's margin
        (1000 + 3570, 1000 + 3560, False),  # busy, but the hour since login is nearly up
    ],
)
def test_lifetime_ends_before_idle_limit_or_hard_cap(now: float, last_used: float, fresh: bool) -> None:
    lifetime = SessionLifetime(idle_limit=600, hard_cap=3600, refresh_margin=30)
    assert lifetime.is_fresh(BUNDLE.used_at(last_used), now) is fresh

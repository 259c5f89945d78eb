"""Listings: unique epics and dealing terms in the ranges the reference shows."""

from __future__ import annotations

import random

from capital_pipeline.simulator.universe_listing import MARGIN_CHOICES, EpicRegistry, make_listing


def test_an_epic_is_handed_out_once_ignoring_case() -> None:
    registry = EpicRegistry()
    assert registry.claim("BRKB")
    assert not registry.claim("BRKB")
    assert not registry.claim("BRKb")


def test_generated_tickers_are_unique_and_shaped_per_market() -> None:
    registry, rng = EpicRegistry(), random.Random(0)
    letters = [registry.ticker(rng, numeric=False, lengths=(1, 2)) for _ in range(600)]
    numeric = [registry.ticker(rng, numeric=True, suffix="SG", lengths=(3,)) for _ in range(50)]
    assert len(set(letters)) == 600 and all(t.isalpha() and t.isupper() for t in letters)
    assert all(len(t) == 5 and t[:3].isdigit() and t.endswith("SG") for t in numeric)


def test_a_listing_gets_terms_its_instrument_type_allows() -> None:
    rng = random.Random(1)
    for _ in range(200):
        listing = make_listing(
            rng, epic="X", name="X", symbol="X", kind="CRYPTOCURRENCIES", currency="USD", country=None,
            hours="crypto", price=95000.0,
        )  # fmt: skip
        assert listing.margin_factor in MARGIN_CHOICES["CRYPTOCURRENCIES"]
        assert listing.rules["minDealSize"] * listing.price >= 1  # a deal is worth something
        assert listing.rules["maxDealSize"] > listing.rules["minDealSize"]
        assert listing.spread >= 10**-listing.decimals
        assert listing.fee_long < 0 and listing.fee_short < 0  # both sides pay on crypto

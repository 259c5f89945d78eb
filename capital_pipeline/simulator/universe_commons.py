"""The commons group: cross-category lists whose markets all sit somewhere else in the tree as well.

Children and names exactly as the Postman example of ``GET /marketnavigation/hierarchy_v1.commons_group``
(REFERENCE section 6, S1).
"""

from __future__ import annotations

from capital_pipeline.simulator.universe_catalogue import COMMONS_NEW, Catalogue

__all__ = ["COMMONS_LEAVES", "add_commons_leaves", "fill_commons"]

COMMONS_LEAVES: tuple[tuple[str, str], ...] = (
    ("hierarchy_v1.commons.most_traded", "Most Traded"),
    ("hierarchy_v1.commons.recently_traded", "Recently Traded"),
    (COMMONS_NEW, "New"),
    ("hierarchy_v1.commons.top_gainers", "Top Risers"),
    ("hierarchy_v1.commons.top_losers", "Top Fallers"),
    ("hierarchy_v1.commons.most_volatile", "Most Volatile"),
    ("hierarchy_v1.commons.weekend_trading", "Weekend Trading"),
)
_MOST_TRADED = (
    "AAPL", "TSLA", "NVDA", "AMZN", "MSFT", "META", "GOOGL", "NFLX", "AMD", "COIN", "EURUSD", "GBPUSD",
    "USDJPY",
    "AUDUSD", "BTCUSD", "ETHUSD", "XRPUSD", "SOLUSD", "DOGEUSD", "GOLD", "SILVER", "OIL_CRUDE", "OIL_BRENT",
    "NATURALGAS", "US500", "US100", "US30", "DE40", "UK100", "J225", "SPY", "QQQ",
)  # fmt: skip


def add_commons_leaves(cat: Catalogue) -> None:
    """Create the seven commons leaves, first, so they keep the API's order."""
    for node_id, name in COMMONS_LEAVES:
        cat.tree.add("hierarchy_v1.commons_group", node_id, name)


def fill_commons(cat: Catalogue, crypto_usd_pairs: list[str]) -> None:
    """Day 0 members: the real favourites, weekend crypto, and samples of the generated markets."""
    rng = cat.rng("commons")
    generated = [epic for epic, listing in cat.listings.items() if listing.generated]
    members = {
        "hierarchy_v1.commons.most_traded": [e for e in _MOST_TRADED if e in cat.listings],
        "hierarchy_v1.commons.recently_traded": rng.sample(list(cat.listings)[:2000], 25),
        COMMONS_NEW: generated[-20:],
        "hierarchy_v1.commons.top_gainers": rng.sample(generated, 20),
        "hierarchy_v1.commons.top_losers": rng.sample(generated, 20),
        "hierarchy_v1.commons.most_volatile": rng.sample(generated, 20),
        "hierarchy_v1.commons.weekend_trading": crypto_usd_pairs[:25],
    }
    for node_id, epics in members.items():
        for epic in epics:
            cat.tree.place(node_id, epic)

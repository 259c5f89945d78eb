"""The mutable state a universe is built and evolved in: listings, navigation tree, epic registry."""

from __future__ import annotations

import random
from dataclasses import dataclass, field

from capital_pipeline.simulator.universe_listing import EpicRegistry, Listing
from capital_pipeline.simulator.universe_tree import Tree

__all__ = ["COMMONS_NEW", "Catalogue"]

# New listings also show up here, as on the real platform's "New" list.
COMMONS_NEW = "hierarchy_v1.commons.new"


@dataclass
class Catalogue:
    """Listings by epic (insertion order = listing order) and the tree that places them."""

    seed: int
    scale: int
    tree: Tree = field(default_factory=Tree)
    registry: EpicRegistry = field(default_factory=EpicRegistry)
    listings: dict[str, Listing] = field(default_factory=dict)

    def rng(self, topic: str) -> random.Random:
        """A generator private to ``topic``: string seeds hash with SHA-512, stable across processes."""
        return random.Random(f"{self.seed}:{self.scale}:{topic}")

    def add(self, listing: Listing, leaves: list[str]) -> str:
        """Register a listing and place it under ``leaves``; returns its epic."""
        if listing.epic in self.listings:
            raise ValueError(f"duplicate epic {listing.epic}")
        self.listings[listing.epic] = listing
        for leaf_id in leaves:
            self.tree.place(leaf_id, listing.epic)
        return listing.epic

    def delist(self, epic: str) -> None:
        """Remove a listing from the catalogue and from every navigation leaf."""
        del self.listings[epic]
        self.tree.remove(epic)

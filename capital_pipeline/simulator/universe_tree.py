"""The market navigation tree while it is being built and evolved: mutable nodes, epic placement, removal."""

from __future__ import annotations

import random
import re
from dataclasses import dataclass, field

__all__ = ["TOP_LEVEL", "Tree", "TreeNode", "bucket_count", "bucket_names", "leaf_size", "pick", "slug"]

# GET /marketnavigation, in API order (REFERENCE section 6, from a real response, S9).
TOP_LEVEL: tuple[tuple[str, str], ...] = (
    ("hierarchy_v1.commons_group", "commons_group"),
    ("hierarchy_v1.commodities_group", "commodities_group"),
    ("hierarchy_v1.oil_markets_group", "oil_markets_group"),
    ("hierarchy_v1.indices_group", "indices_group"),
    ("hierarchy_v1.forex", "Forex"),
    ("hierarchy_v1.crypto_currencies_group", "crypto_currencies_group"),
    ("hierarchy_v1.shares", "Shares"),
    ("hierarchy_v1.etf_group", "etf_group"),
)


def leaf_size(scale: int) -> float:
    """Typical markets per category leaf: a bigger catalogue is cut into finer categories.

    35 at scale 1 gives 150-300 nodes for ~3,300 epics (REFERENCE section 12); the exponent makes scale 30
    land near 7,500 nodes (~7,450 measured) for ~95,000 epics.
    """
    return 35.0 * scale**-0.26


def slug(name: str) -> str:
    """``"Aerospace & Defence 2"`` -> ``"aerospace_defence_2"``, the style of the real node ids."""
    return re.sub(r"[^a-z0-9]+", "_", name.lower()).strip("_")


@dataclass
class TreeNode:
    id: str
    name: str
    parent_id: str | None
    children: list[str] = field(default_factory=list)
    epics: dict[str, None] = field(default_factory=dict)  # an ordered set: delisting from big leaves is O(1)


class Tree:
    """Nodes in creation order, plus an index of the leaves each epic sits under (for delisting)."""

    def __init__(self) -> None:
        self.nodes: dict[str, TreeNode] = {}
        self.leaves_of: dict[str, list[str]] = {}
        for node_id, name in TOP_LEVEL:
            self.nodes[node_id] = TreeNode(node_id, name, None)

    def add(self, parent_id: str, node_id: str, name: str) -> str:
        """Add a child node under ``parent_id``; returns its id."""
        if node_id in self.nodes:
            raise ValueError(f"duplicate navigation node id {node_id}")
        self.nodes[node_id] = TreeNode(node_id, name, parent_id)
        self.nodes[parent_id].children.append(node_id)
        return node_id

    def add_buckets(self, parent_id: str, id_prefix: str, names: list[str]) -> list[str]:
        """Add one leaf per name (ids ``id_prefix + slug(name)``); returns their ids."""
        return [self.add(parent_id, id_prefix + slug(name), name) for name in names]

    def place(self, leaf_id: str, epic: str) -> None:
        """Append ``epic`` to a leaf, once."""
        leaves = self.leaves_of.setdefault(epic, [])
        if leaf_id not in leaves:
            leaves.append(leaf_id)
            self.nodes[leaf_id].epics[epic] = None

    def remove(self, epic: str) -> None:
        """Take ``epic`` out of every leaf (a delisting)."""
        for leaf_id in self.leaves_of.pop(epic, ()):
            del self.nodes[leaf_id].epics[epic]


def bucket_names(name: str, alternatives: tuple[str, ...], count: int) -> list[str]:
    """Names for ``count`` leaves of one category: the category itself, else its sub-categories, numbered
    once they run out ("Software", "Semiconductors", ..., "Software 2")."""
    if count <= 1:
        return [name]
    pool = alternatives or (name,)
    return [pool[i % len(pool)] + (f" {i // len(pool) + 1}" if i >= len(pool) else "") for i in range(count)]


def bucket_count(expected_members: float, scale: int) -> int:
    """How many leaves a category of ``expected_members`` markets is split into."""
    return max(1, round(expected_members / leaf_size(scale)))


def pick(rng: random.Random, leaves: list[str]) -> str:
    """The leaf a new member of a bucketed category goes to."""
    return leaves[int(rng.random() * len(leaves))]

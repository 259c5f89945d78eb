"""The whole market universe in one call: a concurrent walk of the navigation tree.

``GET /marketnavigation`` lists the top nodes; ``GET /marketnavigation/{nodeId}`` lists a branch's children or
a leaf's markets (at most ``limit``, REFERENCE.md section 6). The documented maximum limit is 500, but one
client saw 500 refused with 400 ``error.invalid.limit`` and used 100 (section 10: unconfirmed), so a refused
limit is lowered for the rest of the walk and the refused node asked again. Each node is fetched exactly once
(twice if it was in flight when its limit was refused), as soon as it is discovered, so the walk keeps the
pace's budget busy instead of waiting level by level. Parents, depths and paths are then assigned
breadth-first from the top in the API's order, so the result does not depend on which answer happened to
arrive first."""

from __future__ import annotations

import asyncio
from collections import deque
from collections.abc import Mapping
from dataclasses import dataclass, field
from typing import TYPE_CHECKING, Any

from capital_pipeline.capital.concurrency import task_group
from capital_pipeline.capital.errors import LOCAL_ERRORS, BadRequest, RequestFailure
from capital_pipeline.capital.progress import ProgressCallback
from capital_pipeline.capital.records import MarketSummary, NavigationNode, NavigationPage

if TYPE_CHECKING:
    from capital_pipeline.capital.client import CapitalClient

__all__ = ["CrawledNode", "NavigationCrawl", "NodeMembership", "lowered_limit", "walk_navigation"]

INVALID_LIMIT = "error.invalid.limit"
# The limit the one client that saw 500 refused found accepted (REFERENCE.md section 6, S10).
LIMIT_SEEN_ACCEPTED = 100


@dataclass(frozen=True)
class CrawledNode:
    """A node of the tree; ``depth`` is 1 at the top, ``path`` the names from the top down to this node,
    ``raw`` the node's object as its parent's page (or the top list) sent it."""

    node_id: str
    name: str | None
    parent_id: str | None
    depth: int
    path: tuple[str, ...]
    raw: Mapping[str, Any] = field(repr=False)


@dataclass(frozen=True)
class NodeMembership:
    """``epic`` listed by leaf ``node_id`` at ``position`` (0-based, the API's order)."""

    node_id: str
    epic: str
    position: int
    market: MarketSummary


@dataclass(frozen=True)
class NavigationCrawl:
    """Everything the walk found, including what it could not read."""

    nodes: list[CrawledNode]
    memberships: list[NodeMembership]
    # Nodes that returned as many markets as the limit they were asked with: they may hold more.
    truncated_node_ids: list[str]
    failures: list[RequestFailure]
    # The limit the walk ended with, and those the API refused on the way (each once, highest first).
    limit: int
    refused_limits: tuple[int, ...] = ()

    @property
    def markets(self) -> dict[str, MarketSummary]:
        """Each distinct epic's market summary (first seen), in walk order."""
        markets: dict[str, MarketSummary] = {}
        for membership in self.memberships:
            markets.setdefault(membership.epic, membership.market)
        return markets


def lowered_limit(refused: int) -> int:
    """The limit to try after ``refused``: 100 (the value seen accepted), below that half, down to 1."""
    return LIMIT_SEEN_ACCEPTED if refused > LIMIT_SEEN_ACCEPTED else max(1, refused // 2)


class _Walk:
    def __init__(self, client: CapitalClient, limit: int, on_progress: ProgressCallback) -> None:
        self.client, self.limit, self.on_progress = client, limit, on_progress
        self.refused_limits: set[int] = set()
        self.discovered: set[str] = set()
        # The limit each node's answer was fetched with: its truncation is judged against that one.
        self.fetched_with: dict[str, int] = {}
        # Each page's child nodes and markets, not the page (whose raw body would keep a second list of them).
        self.children: dict[str, list[NavigationNode]] = {}
        self.markets: dict[str, list[MarketSummary]] = {}
        self.first_summaries: dict[str, MarketSummary] = {}
        self.failures: list[RequestFailure] = []

    def discover(self, node: NavigationNode, group: asyncio.TaskGroup) -> None:
        if node.node_id in self.discovered:
            return
        self.discovered.add(node.node_id)
        group.create_task(self.visit(node.node_id, group))

    async def visit(self, node_id: str, group: asyncio.TaskGroup) -> None:
        try:
            page = await self.fetch(node_id)
        except LOCAL_ERRORS as error:
            self.failures.append(RequestFailure.of(node_id, error))
        else:
            self.children[node_id] = page.nodes or []
            self.markets[node_id] = self._shared(page.markets or [])
            for child in self.children[node_id]:
                self.discover(child, group)
        self.on_progress("navigation", len(self.children) + len(self.failures), len(self.discovered))

    async def fetch(self, node_id: str) -> NavigationPage:
        """The node's page; a refused limit lowers the walk's, so only requests already in flight repeat."""
        while True:
            limit = self.limit
            try:
                page = await self.client.navigation_node(node_id, limit)
            except BadRequest as error:
                if error.error_code != INVALID_LIMIT or limit == 1:  # 1 refused: the limit is not the problem
                    raise
                self.refused_limits.add(limit)
                self.limit = min(self.limit, lowered_limit(limit))
            else:
                self.fetched_with[node_id] = limit
                return page

    def _shared(self, markets: list[MarketSummary]) -> list[MarketSummary]:
        """``markets`` with each summary equal to one already seen (same epic under another node: about a
        quarter of them) replaced by that one, so a large tree holds each distinct summary once."""
        for position, market in enumerate(markets):
            first = self.first_summaries.setdefault(market.epic, market)
            if first is not market and _equal(first, market):
                markets[position] = first
        return markets

    def assemble(self, top: list[NavigationNode]) -> NavigationCrawl:
        nodes: list[CrawledNode] = []
        placed: set[str] = set()
        # Each node as its placing parent listed it: the shallowest, first in the API's order.
        queue: deque[tuple[NavigationNode, str | None, int, tuple[str, ...]]] = deque(
            (node, None, 1, ()) for node in top
        )
        while queue:
            node, parent_id, depth, parent_path = queue.popleft()
            if node.node_id in placed:
                continue
            placed.add(node.node_id)
            path = (*parent_path, node.name or node.node_id)
            nodes.append(CrawledNode(node.node_id, node.name, parent_id, depth, path, node.raw))
            queue.extend((child, node.node_id, depth + 1, path) for child in self._children(node.node_id))
        memberships = [
            NodeMembership(node.node_id, market.epic, position, market)
            for node in nodes
            for position, market in enumerate(self._markets(node.node_id))
        ]
        truncated = [
            node.node_id
            for node in nodes
            if node.node_id in self.fetched_with
            and len(self._markets(node.node_id)) >= self.fetched_with[node.node_id]
        ]
        failures = sorted(self.failures, key=lambda failure: failure.subject)
        refused = tuple(sorted(self.refused_limits, reverse=True))
        return NavigationCrawl(nodes, memberships, truncated, failures, self.limit, refused)

    def _children(self, node_id: str) -> list[NavigationNode]:
        return self.children.get(node_id, [])

    def _markets(self, node_id: str) -> list[MarketSummary]:
        return self.markets.get(node_id, [])


def _equal(first: MarketSummary, other: MarketSummary) -> bool:
    try:
        return first == other
    except RecursionError:  # raw nested nearly as deep as the decoder allows: keep both
        return False


async def walk_navigation(
    client: CapitalClient, *, limit: int, on_progress: ProgressCallback
) -> NavigationCrawl:
    """Crawl the tree (1 + one request per node); a node that fails is reported, never silently dropped."""
    top = await client.navigation_top()
    walk = _Walk(client, limit, on_progress)
    async with task_group() as group:
        for node in top:
            walk.discover(node, group)
    return walk.assemble(top)

"""The day knob: each simulated day lists, delists, renames, re-margins and re-rules a few markets and edits
the user's watchlists, the way consecutive real snapshots differ (REFERENCE section 12).

Day N is day N-1 plus day N's events, drawn from a generator private to (seed, scale, N). What a day reports
is not the list of events but the exact difference between the two days' data, computed from the state of
every touched market before and after: a market renamed then delisted the same day is only delisted, a
watchlist add of a market delisted later that day is not reported, and a delisting also removes the market
from the watchlists holding it (reported in ``watchlist_removed``, since those rows really disappear).
"""

from __future__ import annotations

import random
from dataclasses import dataclass

from capital_pipeline.simulator.universe_accounts import WatchlistDraft
from capital_pipeline.simulator.universe_catalogue import Catalogue
from capital_pipeline.simulator.universe_listing import CHANGEABLE_RULES, MARGIN_CHOICES, Listing
from capital_pipeline.simulator.universe_markets import json_number
from capital_pipeline.simulator.universe_names import NAME_STEMS, NAME_TAILS

__all__ = ["Evolution"]

_WATCHLIST_MIN, _WATCHLIST_MAX = 5, 60
_LISTING_MIX = {"share": 75, "etf": 12, "crypto": 13}  # new listings per 100, by kind


@dataclass(frozen=True)
class _Before:
    """A touched market as it was when the day began."""

    name: str
    margin_factor: float
    rules: dict


class Evolution:
    """Applies days to a catalogue and its watchlists, in place.

    ``apply`` runs one random day. The event methods (``list_new`` ... ``delist``) between ``begin_day`` and
    ``end_day`` are the same steps, callable one by one to script a day.
    """

    def __init__(self, cat: Catalogue, listers: dict, watchlists: list[WatchlistDraft]) -> None:
        self.cat, self.listers, self.watchlists = cat, listers, watchlists
        self._before: dict[str, _Before | None] = {}
        self._touched_today: list[str] = []
        self._watch_before: dict[str, list[str]] = {}

    def apply(self, day: int) -> dict[str, list]:
        """Apply day ``day``'s events; returns the day's changes as lists keyed like ``UniverseChanges``."""
        rng = self.cat.rng(f"day:{day}")
        self.begin_day()
        epics = list(self.cat.listings)
        scale = self.cat.scale
        for _ in range(rng.randint(1, 5) * scale):
            epics.append(self.list_new(rng, rng.choices(list(_LISTING_MIX), list(_LISTING_MIX.values()))[0]))
        for _ in range(rng.randint(0, 3) * scale):
            self.rename(rng, self._pick(rng, epics, kind="SHARES"))
        for _ in range(rng.randint(1, 6) * scale):
            self.change_margin(rng, self._pick(rng, epics))
        for _ in range(rng.randint(1, 6) * scale):
            self.change_rule(rng, self._pick(rng, epics))
        for _ in range(rng.randint(1, 4)):
            self._edit_watchlist(rng, rng.choice([wl for wl in self.watchlists if wl["editable"]]), epics)
        for _ in range(rng.randint(1, 4) * scale):
            self.delist(self._pick(rng, epics))
        if rng.random() < 0.6:  # delist a market touched today, so the diff has events to cancel
            touched = [
                e for e in self._touched_today if e in self.cat.listings and self.cat.listings[e].generated
            ]
            if touched:
                self.delist(rng.choice(touched))
        return self.end_day()

    def begin_day(self) -> None:
        """Start recording a day: the state of every market touched from now on is kept as it was."""
        self._before, self._touched_today = {}, []
        self._watch_before = {wl["id"]: list(wl["epics"]) for wl in self.watchlists}

    def list_new(self, rng: random.Random, kind: str) -> str:
        """List a new market of ``kind`` (share, etf or crypto); returns its epic."""
        epic = self.listers[kind].new_listing(rng)
        self._before[epic] = None
        self._touched_today.append(epic)
        return epic

    def rename(self, rng: random.Random, epic: str | None) -> None:
        """Give a market a new generated name with the same legal suffix."""
        if epic is None:
            return
        listing = self._touch(epic)
        legal = listing.name.rsplit(" ", 1)[-1]
        while (name := f"{rng.choice(NAME_STEMS)} {rng.choice(NAME_TAILS)} {legal}") == listing.name:
            pass
        listing.name = name

    def change_margin(self, rng: random.Random, epic: str | None) -> None:
        """Move a market's margin factor to another value its instrument type allows."""
        if epic is None:
            return
        listing = self._touch(epic)
        listing.margin_factor = rng.choice(
            [m for m in MARGIN_CHOICES[listing.kind] if m != listing.margin_factor]
        )

    def change_rule(self, rng: random.Random, epic: str | None) -> None:
        """Change one of a market's changeable dealing rules."""
        if epic is None:
            return
        listing = self._touch(epic)
        rule = rng.choice(list(CHANGEABLE_RULES))
        listing.rules[rule] = rng.choice([v for v in CHANGEABLE_RULES[rule] if v != listing.rules[rule]])

    def add_to_watchlist(self, watchlist_id: str, epic: str) -> None:
        """Append a listed market to a watchlist (once)."""
        members = self._watchlist(watchlist_id)["epics"]
        if epic in self.cat.listings and epic not in members:
            members.append(epic)
            self._touched_today.append(epic)

    def remove_from_watchlist(self, watchlist_id: str, epic: str) -> None:
        """Take a market out of a watchlist."""
        members = self._watchlist(watchlist_id)["epics"]
        if epic in members:
            members.remove(epic)

    def delist(self, epic: str | None) -> None:
        """Remove a market from the catalogue, the navigation tree and every watchlist."""
        if epic is None or epic not in self.cat.listings:
            return
        self._touch(epic)
        self.cat.delist(epic)
        for watchlist in self.watchlists:
            if epic in watchlist["epics"]:
                watchlist["epics"].remove(epic)

    def end_day(self) -> dict[str, list]:
        """The exact differences from the start of the day, each list sorted."""
        return self._market_changes() | self._watchlist_changes()

    def _watchlist(self, watchlist_id: str) -> WatchlistDraft:
        return next(wl for wl in self.watchlists if wl["id"] == watchlist_id)

    def _pick(
        self, rng: random.Random, epics: list[str], kind: str | None = None, real: bool = False
    ) -> str | None:
        """A listed market of ``kind``; a generated one unless ``real`` (the real head never changes)."""
        for _ in range(50):
            listing = self.cat.listings.get(epics[rng.randrange(len(epics))])
            if listing and (real or listing.generated) and kind in (None, listing.kind):
                return listing.epic
        return None

    def _touch(self, epic: str) -> Listing:
        listing = self.cat.listings[epic]
        if epic not in self._before:
            self._before[epic] = _Before(listing.name, listing.margin_factor, dict(listing.rules))
        self._touched_today.append(epic)
        return listing

    def _edit_watchlist(self, rng: random.Random, watchlist: WatchlistDraft, epics: list[str]) -> None:
        """Add a market like one already in the list, or remove one; sizes stay within 5-60."""
        members = watchlist["epics"]
        if len(members) <= _WATCHLIST_MIN or (len(members) < _WATCHLIST_MAX and rng.random() < 0.5):
            kind = self.cat.listings[rng.choice(members)].kind if members else None
            candidate = self._pick(rng, epics, kind=kind, real=True)
            if candidate is not None:
                self.add_to_watchlist(watchlist["id"], candidate)
        else:
            self.remove_from_watchlist(watchlist["id"], rng.choice(members))

    def _market_changes(self) -> dict[str, list]:
        listings = self.cat.listings
        changes: dict[str, list] = {
            "listed": sorted(e for e, b in self._before.items() if b is None and e in listings),
            "delisted": sorted(e for e, b in self._before.items() if b is not None and e not in listings),
            "renamed": [],
            "margin_changed": [],
            "dealing_rules_changed": [],
        }
        for epic, before in sorted(self._before.items()):
            if before is None or epic not in listings:
                continue
            now = listings[epic]
            if now.name != before.name:
                changes["renamed"].append({"epic": epic, "old_name": before.name, "new_name": now.name})
            if now.margin_factor != before.margin_factor:
                old, new = json_number(before.margin_factor), json_number(now.margin_factor)
                changes["margin_changed"].append(
                    {"epic": epic, "old_margin_factor": old, "new_margin_factor": new}
                )
            for rule in sorted(CHANGEABLE_RULES):
                if now.rules[rule] != before.rules[rule]:
                    old, new = json_number(before.rules[rule]), json_number(now.rules[rule])
                    changes["dealing_rules_changed"].append(
                        {"epic": epic, "field": rule, "old_value": old, "new_value": new}
                    )
        return changes

    def _watchlist_changes(self) -> dict[str, list]:
        added, removed = [], []
        for watchlist in self.watchlists:
            before, after = set(self._watch_before[watchlist["id"]]), set(watchlist["epics"])
            added += [{"watchlist_id": watchlist["id"], "epic": epic} for epic in sorted(after - before)]
            removed += [{"watchlist_id": watchlist["id"], "epic": epic} for epic in sorted(before - after)]
        return {"watchlist_added": added, "watchlist_removed": removed}

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


@dataclass(frozen=True)
class _Before:
    """A touched market as it was when the day began."""

    name: str
    margin_factor: float
    rules: dict


class Evolution:
    """Applies days one after another to a catalogue and its watchlists, in place."""

    def __init__(self, cat: Catalogue, listers: dict, watchlists: list[WatchlistDraft]) -> None:
        self.cat, self.listers, self.watchlists = cat, listers, watchlists

    def apply(self, day: int) -> dict[str, list]:
        """Apply day ``day``'s events; returns the day's changes as lists keyed like ``UniverseChanges``."""
        rng = self.cat.rng(f"day:{day}")
        self._before: dict[str, _Before | None] = {}
        watch_before = {wl["id"]: list(wl["epics"]) for wl in self.watchlists}
        epics = list(self.cat.listings)
        scale = self.cat.scale
        kinds, weights = list(self.listers), [75, 12, 13]
        for _ in range(rng.randint(1, 5) * scale):
            epic = self.listers[rng.choices(kinds, weights)[0]].new_listing(rng)
            self._before[epic] = None
            epics.append(epic)
        for _ in range(rng.randint(0, 3) * scale):
            self._rename(rng, self._pick(rng, epics, kind="SHARES"))
        for _ in range(rng.randint(1, 6) * scale):
            self._change_margin(rng, self._pick(rng, epics))
        for _ in range(rng.randint(1, 6) * scale):
            self._change_rule(rng, self._pick(rng, epics))
        for _ in range(rng.randint(1, 4)):
            self._edit_watchlist(rng, rng.choice([wl for wl in self.watchlists if wl["editable"]]), epics)
        for _ in range(rng.randint(1, 4) * scale):
            self._delist(self._pick(rng, epics))
        if rng.random() < 0.6:  # sometimes delist a market touched today, so the diff must cancel events
            touched = [e for e in self._before if e in self.cat.listings and self.cat.listings[e].generated]
            if touched:
                self._delist(rng.choice(touched))
        return self._changes(watch_before)

    def _pick(self, rng: random.Random, epics: list[str], kind: str | None = None) -> str | None:
        """A generated, still-listed market (the real head of the universe is never changed)."""
        for _ in range(50):
            listing = self.cat.listings.get(epics[rng.randrange(len(epics))])
            if listing and listing.generated and kind in (None, listing.kind):
                return listing.epic
        return None

    def _touch(self, epic: str) -> Listing:
        listing = self.cat.listings[epic]
        if epic not in self._before:
            self._before[epic] = _Before(listing.name, listing.margin_factor, dict(listing.rules))
        return listing

    def _rename(self, rng: random.Random, epic: str | None) -> None:
        if epic is None:
            return
        listing = self._touch(epic)
        legal = listing.name.rsplit(" ", 1)[-1]
        while (name := f"{rng.choice(NAME_STEMS)} {rng.choice(NAME_TAILS)} {legal}") == listing.name:
            pass
        listing.name = name

    def _change_margin(self, rng: random.Random, epic: str | None) -> None:
        if epic is None:
            return
        listing = self._touch(epic)
        listing.margin_factor = rng.choice(
            [m for m in MARGIN_CHOICES[listing.kind] if m != listing.margin_factor]
        )

    def _change_rule(self, rng: random.Random, epic: str | None) -> None:
        if epic is None:
            return
        listing = self._touch(epic)
        rule = rng.choice(list(CHANGEABLE_RULES))
        listing.rules[rule] = rng.choice([v for v in CHANGEABLE_RULES[rule] if v != listing.rules[rule]])

    def _edit_watchlist(self, rng: random.Random, watchlist: WatchlistDraft, epics: list[str]) -> None:
        """Add a market like one already in the list, or remove one; sizes stay within 5-60."""
        members = watchlist["epics"]
        if len(members) <= _WATCHLIST_MIN or (len(members) < _WATCHLIST_MAX and rng.random() < 0.5):
            kind = self.cat.listings[rng.choice(members)].kind if members else None
            candidate = self._pick(rng, epics, kind=kind)
            if candidate is not None and candidate not in members:
                members.append(candidate)
        else:
            members.pop(rng.randrange(len(members)))

    def _delist(self, epic: str | None) -> None:
        if epic is None or epic not in self.cat.listings:
            return
        if epic not in self._before:
            self._touch(epic)
        self.cat.delist(epic)
        for watchlist in self.watchlists:
            if epic in watchlist["epics"]:
                watchlist["epics"].remove(epic)

    def _changes(self, watch_before: dict[str, list[str]]) -> dict[str, list]:
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
        changes["watchlist_added"], changes["watchlist_removed"] = [], []
        for watchlist in self.watchlists:
            before, after = set(watch_before[watchlist["id"]]), set(watchlist["epics"])
            for epic in sorted(after - before):
                changes["watchlist_added"].append({"watchlist_id": watchlist["id"], "epic": epic})
            for epic in sorted(before - after):
                changes["watchlist_removed"].append({"watchlist_id": watchlist["id"], "epic": epic})
        return changes

"""Shares (by country, then sector or industry) and ETFs: the bulk of the universe and of its daily churn.

Node ids follow the real ones (REFERENCE section 9): ``hierarchy_v1.shares.us.most_traded``,
``hierarchy_v1.shares.popular_shares``. Every US share also sits in ``hierarchy_v1.shares.us.all_shares``,
which holds more than 500 markets: the API's ``limit`` ceiling, so a crawl of that leaf sees only 500.
ETFs are served as instrumentType SHARES: the reference lists no ETF type, and the leverage groups of
``GET /accounts/preferences`` cover only the five types it does list.
"""

from __future__ import annotations

import itertools
import math
import random

from capital_pipeline.simulator.universe_catalogue import COMMONS_NEW, Catalogue
from capital_pipeline.simulator.universe_listing import draw, make_listing
from capital_pipeline.simulator.universe_names import (
    COUNTRIES,
    ETF_THEMES,
    FAMOUS_ETFS,
    FAMOUS_SHARES,
    NAME_STEMS,
    NAME_TAILS,
    SECTORS,
)
from capital_pipeline.simulator.universe_tree import bucket_count, bucket_names, pick

__all__ = ["EtfCategory", "ShareCategory", "company_name"]

_LEGAL = {
    "us": ("Inc", "Corp", "Inc", "Co"), "gb": ("PLC",), "de": ("AG", "SE"), "fr": ("SA", "SE"), "nl": ("NV",),
    "es": ("SA",), "it": ("SpA",), "ch": ("AG", "SA"), "se": ("AB",), "no": ("ASA",), "dk": ("A/S",),
    "jp": ("Co Ltd", "Corp"), "hk": ("Holdings Ltd", "Ltd"), "sg": ("Ltd",), "au": ("Ltd",),
    "ca": ("Inc", "Corp"),
}  # fmt: skip
_TYPICAL_PRICE = {"jp": 2500.0, "hk": 40.0, "se": 150.0, "no": 180.0, "dk": 400.0, "gb": 8.0}
_MOVERS = (("most_traded", "Most Traded"), ("top_gainers", "Top Gainers"), ("top_losers", "Top Losers"))
_MOVERS += (("most_volatile", "Most Volatile"),)
_MIN_SECTOR_MEMBERS = 4  # smaller sectors of a small market get no leaf of their own
_SHARES = "hierarchy_v1.shares"


def company_name(rng: random.Random, country: str) -> str:
    """A generated company name in the style of ``country``'s listings (``"Apex Orion Logistics AG"``)."""
    stem = draw(rng, NAME_STEMS)
    if rng.random() < 0.4:
        stem += " " + draw(rng, NAME_STEMS)
    return f"{stem} {draw(rng, NAME_TAILS)} {draw(rng, _LEGAL[country])}"


class _Country:
    """One country branch: its movers leaves, its all-shares leaf, its sector (or industry) leaves."""

    def __init__(self, cat: Catalogue, spec: tuple, oil_leaf: str) -> None:
        self.code, self.name, self.currency, base_count, self.numeric, self.hours = spec
        self.count = round(base_count * cat.scale)
        tree, prefix = cat.tree, f"{_SHARES}.{self.code}."
        self.branch = tree.add(_SHARES, f"{_SHARES}.{self.code}", self.name)
        movers = _MOVERS if base_count >= 100 else _MOVERS[:1]
        self.movers = [tree.add(self.branch, prefix + key, name) for key, name in movers]
        self.all_shares = (
            tree.add(self.branch, prefix + "all_shares", "All Shares") if self.count >= 100 else None
        )
        famous_sectors = {share[3] for share in FAMOUS_SHARES if share[2] == self.code}
        total_weight = sum(w for w, _ in SECTORS.values())
        self.sectors: dict[str, list[str]] = {}
        for sector, (weight, industries) in SECTORS.items():
            expected = self.count * weight / total_weight
            if expected >= _MIN_SECTOR_MEMBERS or sector in famous_sectors:
                names = bucket_names(sector, industries, bucket_count(expected, cat.scale))
                self.sectors[sector] = tree.add_buckets(self.branch, prefix, names)
        self.sector_names = list(self.sectors)
        self.cum_weights = list(itertools.accumulate(SECTORS[s][0] for s in self.sectors))
        # the first Energy leaf ("Energy" or "Oil & Gas") also feeds the oil group's shares leaf
        self.oil_bucket = self.sectors["Energy"][0] if "Energy" in self.sectors else None
        self.oil_leaf = oil_leaf

    def leaves_for(self, rng: random.Random, sector: str) -> list[str]:
        leaf = pick(rng, self.sectors[sector])
        leaves = [leaf] + ([self.all_shares] if self.all_shares else [])
        if leaf == self.oil_bucket:
            leaves.append(self.oil_leaf)
        return leaves


class ShareCategory:
    """About 2,400 shares per scale unit across 16 countries; a few real names head each country."""

    def __init__(self, cat: Catalogue, oil_leaf: str) -> None:
        self.cat = cat
        self.popular = cat.tree.add(_SHARES, f"{_SHARES}.popular_shares", "Popular Shares")
        self.countries = {spec[0]: _Country(cat, spec, oil_leaf) for spec in COUNTRIES}
        self.country_weights = [c.count for c in self.countries.values()]

    def populate(self) -> None:
        """Day 0: the real names, then generated shares up to each country's size; fills the movers leaves."""
        rng = self.cat.rng("shares")
        for epic, name, code, sector, price in FAMOUS_SHARES:
            self._add(rng, self.countries[code], epic, name, sector, price, generated=False)
        for country in self.countries.values():
            existing = sum(1 for f in FAMOUS_SHARES if f[2] == country.code)
            for _ in range(country.count - existing):
                self._add_generated(rng, country)
        self._fill_curated_leaves(rng)

    def _fill_curated_leaves(self, rng: random.Random) -> None:
        """Popular shares (the real names plus a sample) and each country's movers leaves."""
        famous = [epic for epic, *_ in FAMOUS_SHARES]
        generated = [
            e for e, listing in self.cat.listings.items() if listing.kind == "SHARES" and listing.generated
        ]
        popular = famous + rng.sample(generated, round(400 * self.cat.scale) - len(famous))
        for epic in popular:
            self.cat.tree.place(self.popular, epic)
        for country in self.countries.values():
            members = [e for leaves in country.sectors.values() for leaf in leaves for e in self._epics(leaf)]
            heads = [share[0] for share in FAMOUS_SHARES if share[2] == country.code]
            for leaf in country.movers:
                if leaf.endswith(".most_traded"):
                    chosen = list(dict.fromkeys(heads + members))[:25]
                else:
                    chosen = rng.sample(members, min(20, len(members)))
                for epic in chosen:
                    self.cat.tree.place(leaf, epic)

    def _epics(self, leaf: str) -> list[str]:
        return list(self.cat.tree.nodes[leaf].epics)

    def _add(
        self, rng, country: _Country, epic: str, name: str, sector: str, price: float, generated: bool
    ) -> str:
        # share prices quote in cents (pence, ...), whole yen in Japan, and finer below one unit
        decimals = 0 if country.code == "jp" else 2 if price >= 1 else 4
        listing = make_listing(
            rng, epic=epic, name=name, symbol=epic, kind="SHARES", currency=country.currency,
            country=country.name,
            hours=country.hours, price=price, decimals=decimals, generated=generated,
        )  # fmt: skip
        return self.cat.add(listing, country.leaves_for(rng, sector))

    def _add_generated(self, rng: random.Random, country: _Country) -> str:
        sector = rng.choices(country.sector_names, cum_weights=country.cum_weights)[0]
        suffix = country.code.upper() if country.numeric else ""
        lengths = (
            (3, 4, 4) if country.numeric else (1, 2, 3, 3, 4, 4, 4) if country.code == "us" else (3, 4, 4)
        )
        epic = self.cat.registry.ticker(rng, numeric=country.numeric, suffix=suffix, lengths=lengths)
        price = _TYPICAL_PRICE.get(country.code, 60.0) * math.exp(rng.gauss(0, 1.1))
        return self._add(rng, country, epic, company_name(rng, country.code), sector, price, generated=True)

    def new_listing(self, rng: random.Random) -> str:
        """A new share (an IPO) in a country drawn by size, placed in its leaves and under commons "New"."""
        country = rng.choices(list(self.countries.values()), weights=self.country_weights)[0]
        epic = self._add_generated(rng, country)
        self.cat.tree.place(COMMONS_NEW, epic)
        return epic


_ISSUERS = (
    "iShares",
    "Vanguard",
    "SPDR",
    "Invesco",
    "Xtrackers",
    "Amundi",
    "WisdomTree",
    "Global X",
    "VanEck",
)
_UCITS_ISSUERS = frozenset({"Xtrackers", "Amundi", "WisdomTree"})


class EtfCategory:
    """About 300 ETFs per scale unit, under Most Traded and one (bucketed) leaf per theme."""

    _PARENT, _PREFIX = "hierarchy_v1.etf_group", "hierarchy_v1.etf."

    def __init__(self, cat: Catalogue) -> None:
        self.cat = cat
        self.count = round(300 * cat.scale)
        self.most_traded = cat.tree.add(self._PARENT, self._PREFIX + "most_traded", "Most Traded")
        per_theme = self.count / len(ETF_THEMES)
        self.themes = {
            theme: cat.tree.add_buckets(
                self._PARENT, self._PREFIX, bucket_names(name, (), bucket_count(per_theme, cat.scale))
            )
            for theme, (name, _word) in ETF_THEMES.items()
        }

    def populate(self) -> None:
        """Day 0: the real ETFs (all under Most Traded), then generated ones."""
        rng = self.cat.rng("etfs")
        for epic, name, theme, currency in FAMOUS_ETFS:
            self._add(rng, epic, name, theme, currency, "United States of America", [self.most_traded], False)
        for _ in range(self.count - len(FAMOUS_ETFS)):
            self._add_generated(rng)

    def _add(self, rng, epic, name, theme, currency, country, extra_leaves, generated) -> str:
        hours = "us_shares" if currency == "USD" else "eu_shares"
        listing = make_listing(
            rng, epic=epic, name=name, symbol=epic, kind="SHARES", currency=currency, country=country,
            hours=hours, price=10 ** rng.uniform(1, 2.7), decimals=2, generated=generated,
        )  # fmt: skip
        return self.cat.add(listing, [*extra_leaves, pick(rng, self.themes[theme])])

    def _add_generated(self, rng: random.Random) -> str:
        theme = draw(rng, list(ETF_THEMES))
        issuer = draw(rng, _ISSUERS)
        ucits = issuer in _UCITS_ISSUERS
        name = f"{issuer} {draw(rng, NAME_STEMS)} {ETF_THEMES[theme][1]} {'UCITS ETF' if ucits else 'ETF'}"
        epic = self.cat.registry.ticker(rng, numeric=False, lengths=(3, 4, 4, 4))
        country = "Ireland" if ucits else "United States of America"
        return self._add(rng, epic, name, theme, "EUR" if ucits else "USD", country, [], True)

    def new_listing(self, rng: random.Random) -> str:
        """A newly launched ETF, placed in its theme leaf and under commons "New"."""
        epic = self._add_generated(rng)
        self.cat.tree.place(COMMONS_NEW, epic)
        return epic

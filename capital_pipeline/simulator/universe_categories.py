"""Forex, indices, commodities (with the oil group) and crypto: their listings and navigation leaves.

Depths follow REFERENCE section 9: forex, indices and crypto markets sit at depth 2, commodities at depth 3
(commodities_group -> commodities -> precious_metals ...). Scale adds generated markets of the same kinds.
"""

from __future__ import annotations

import string

from capital_pipeline.simulator.universe_catalogue import COMMONS_NEW, Catalogue
from capital_pipeline.simulator.universe_listing import make_listing
from capital_pipeline.simulator.universe_macro_names import (
    COMMODITIES,
    CRYPTO_TOKENS,
    FOREX_EXOTIC_PAIRS,
    G10_CURRENCIES,
    INDICES,
)
from capital_pipeline.simulator.universe_names import COUNTRIES, NAME_STEMS, SECTORS
from capital_pipeline.simulator.universe_tree import bucket_count, bucket_names, pick

__all__ = ["CryptoCategory", "build_commodities", "build_forex", "build_indices"]

# US dollars per unit, to price every pair consistently.
_USD_VALUE = {
    "EUR": 1.08, "GBP": 1.27, "AUD": 0.65, "NZD": 0.59, "USD": 1.0, "CAD": 0.72, "CHF": 1.13, "NOK": 0.091,
    "SEK": 0.092, "JPY": 0.0066, "CNH": 0.138, "HKD": 0.1285, "SGD": 0.745, "TRY": 0.029, "ZAR": 0.055,
    "MXN": 0.049, "PLN": 0.25, "HUF": 0.0027, "CZK": 0.043, "DKK": 0.145, "ILS": 0.27, "THB": 0.029,
    "INR": 0.0118, "KRW": 0.00072, "TWD": 0.031, "BRL": 0.18, "CLP": 0.00105, "COP": 0.00023,
    "IDR": 0.000063, "PHP": 0.017, "MYR": 0.225, "RON": 0.217, "KZT": 0.002, "AED": 0.2723, "SAR": 0.2666,
    "NGN": 0.00062, "EGP": 0.02, "QAR": 0.2747, "BTC": 95000.0, "ETH": 3400.0,
}  # fmt: skip
_MAJORS = ("EURUSD", "GBPUSD", "USDJPY", "AUDUSD", "NZDUSD", "USDCAD", "USDCHF")
_FX_MOST_TRADED = (*_MAJORS, "EURGBP", "EURJPY", "GBPJPY", "EURCHF", "AUDJPY", "USDTRY", "USDMXN", "USDZAR")
_FOREX = "hierarchy_v1.forex"


def _synthetic_currencies(cat: Catalogue, count: int) -> dict[str, float]:
    """``count`` generated currencies (codes unused by real ones) with their US dollar values."""
    rng = cat.rng("forex:synthetic")
    codes: dict[str, float] = {}
    while len(codes) < count:
        code = "".join(rng.choices(string.ascii_uppercase, k=3))
        if code not in _USD_VALUE and code not in codes:
            codes[code] = 10 ** rng.uniform(-4, 0.5)
    return codes


def _forex_leaves(cat: Catalogue, pairs: list[str], crosses: list[str]) -> dict[str, list[str]]:
    """Leaf ids by role: most_traded, majors, minors, exotics (bucketed) and one per currency."""
    tree, prefix = cat.tree, "hierarchy_v1.currencies."
    exotic_count = len(pairs) - len(crosses)
    leaves = {
        "most_traded": [tree.add(_FOREX, prefix + "most_traded", "Most Traded")],
        "majors": [tree.add(_FOREX, prefix + "majors", "Majors")],
        "minors": [tree.add(_FOREX, prefix + "minors", "Minors")],
        "exotics": tree.add_buckets(
            _FOREX, prefix, bucket_names("Exotics", (), bucket_count(exotic_count, cat.scale))
        ),
    }
    by_currency: dict[str, int] = {}
    for pair in pairs:
        for code in (pair[:3], pair[3:]):
            by_currency[code] = by_currency.get(code, 0) + 1
    for code, count in by_currency.items():
        if (
            count >= 3
        ):  # a currency leaf only for currencies with a few pairs, like the real tree's .usd, .try
            leaves[code] = [tree.add(_FOREX, prefix + code.lower(), code)]
    return leaves


def build_forex(cat: Catalogue) -> None:
    """About 110 pairs per scale unit under Most Traded, Majors, Minors, Exotics and one leaf per currency."""
    rng = cat.rng("forex")
    crosses = [a + b for i, a in enumerate(G10_CURRENCIES) for b in G10_CURRENCIES[i + 1 :]]
    real = crosses + list(FOREX_EXOTIC_PAIRS)
    synthetic = _synthetic_currencies(cat, round(len(real) * (cat.scale - 1) / 4))
    values = _USD_VALUE | synthetic
    pairs = real + [p for code in synthetic for p in (f"USD{code}", f"EUR{code}", f"GBP{code}", f"{code}JPY")]
    leaves = _forex_leaves(cat, pairs, crosses)
    for pair in pairs:
        base, quote = pair[:3], pair[3:]
        if not cat.registry.claim(pair):
            continue
        price = values[base] / values[quote]
        listing = make_listing(
            rng, epic=pair, name=f"{base}/{quote}", symbol=f"{base}/{quote}", kind="CURRENCIES",
            currency=quote,
            country="", hours="fx", price=price, decimals=5 if price < 20 else 3,
            generated=base in synthetic or quote in synthetic,
        )  # fmt: skip
        role = "majors" if pair in _MAJORS else "minors" if pair in crosses else "exotics"
        placed = [*(leaves["most_traded"] if pair in _FX_MOST_TRADED else []), pick(rng, leaves[role])]
        placed += [leaves[code][0] for code in (base, quote) if code in leaves]
        cat.add(listing, placed)


_INDEX_STYLES = {
    "": "", "Equal Weight": "EW", "Total Return": "TR", "Capped": "CAP", "ESG": "ESG", "Momentum": "MOM",
    "Value": "VAL", "Growth": "GRW", "Dividend": "DIV",
}  # fmt: skip
_SECTOR_CODES = dict(
    zip(
        SECTORS,
        ["TECH", "FIN", "HLTH", "INDU", "COND", "CONS", "ENRG", "MATL", "COMM", "UTIL", "REAL"],
        strict=True,
    )
)
_REGION_OF_COUNTRY = {"us": "americas", "ca": "americas", "jp": "asia_pacific", "hk": "asia_pacific"}
_REGION_OF_COUNTRY |= {"sg": "asia_pacific", "au": "asia_pacific"}


def _generated_indices(cat: Catalogue, count: int) -> list[tuple]:
    """``count`` country-sector indices, drawn without repeats from every (country, sector, size, style)."""
    rng = cat.rng("indices:generated")
    combos = [
        (country, sector, size, style)
        for country in COUNTRIES
        for sector in SECTORS
        for size in (20, 30, 50, 100)
        for style in _INDEX_STYLES
    ]
    rng.shuffle(combos)
    specs = []
    for i in range(count):
        (code, country, currency, *_), sector, size, style = combos[i % len(combos)]
        lap = f" {i // len(combos) + 1}" if i >= len(combos) else ""
        epic = f"{code.upper()}{_SECTOR_CODES[sector]}{size}{_INDEX_STYLES[style]}{lap.strip()}"
        name = " ".join(part for part in (country.split(" of ")[0], sector, str(size), style) if part) + lap
        region = _REGION_OF_COUNTRY.get(code, "europe")
        hours = {"americas": "us_index", "europe": "eu_index"}.get(region, "asia_index")
        specs.append((epic, name, currency, country, region, hours, 10 ** rng.uniform(2.5, 4.6)))
    return specs


def build_indices(cat: Catalogue) -> None:
    """The 35 real indices, plus generated country-sector indices at higher scales, by region."""
    rng = cat.rng("indices")
    parent, prefix = "hierarchy_v1.indices_group", "hierarchy_v1.indices."
    total = round(len(INDICES) * cat.scale)
    most_traded = cat.tree.add(parent, prefix + "most_traded", "Most Traded")
    regions = {
        region: cat.tree.add_buckets(
            parent, prefix, bucket_names(name, (), bucket_count(total / 3, cat.scale))
        )
        for region, name in (("americas", "Americas"), ("europe", "Europe"), ("asia_pacific", "Asia Pacific"))
    }
    specs = list(INDICES) + _generated_indices(cat, total - len(INDICES))
    for i, (epic, name, currency, country, region, hours, level) in enumerate(specs):
        cat.registry.claim(epic)
        listing = make_listing(
            rng, epic=epic, name=name, symbol=name, kind="INDICES", currency=currency, country=country,
            hours=hours, price=level, decimals=1 if level >= 1000 else 2, generated=i >= len(INDICES),
        )  # fmt: skip
        leaves = ([most_traded] if i < 10 else []) + [pick(rng, regions[region])]
        cat.add(listing, leaves)


_COMMODITY_GROUPS = {
    "precious_metals": ("Precious Metals", "metals"),
    "energies": ("Energy", "metals"),
    "base_metals": ("Base Metals", "metals"),
    "softs": ("Softs", "softs"),
    "grains": ("Grains", "softs"),
    "livestock": ("Livestock", "softs"),
}
_OIL = ("OIL_CRUDE", "OIL_BRENT", "NATURALGAS", "HEATINGOIL", "GASOLINE")
_MONTHS = tuple(
    zip(
        "FGHJKMNQUVXZ",
        ["Jan", "Feb", "Mar", "Apr", "May", "Jun", "Jul", "Aug", "Sep", "Oct", "Nov", "Dec"],
        strict=True,
    )
)


def _dated_contracts(cat: Catalogue, count: int) -> list[tuple]:
    """``count`` monthly contracts of the real commodities (``GOLD_H27``, "Gold Mar 27"), nearest first."""
    rng = cat.rng("commodities:dated")
    specs = []
    for i in range(count):
        epic, name, group, level = COMMODITIES[i % len(COMMODITIES)]
        code, month = _MONTHS[(i // len(COMMODITIES)) % 12]
        year = 27 + i // (12 * len(COMMODITIES))
        price = level * rng.uniform(0.95, 1.05)
        specs.append((f"{epic}_{code}{year}", epic, f"{name} {month} {year}", group, price, True))
    return specs


def build_commodities(cat: Catalogue) -> None:
    """35 commodities per scale unit (dated contracts beyond the real 35); oil ones also in the oil group."""
    rng = cat.rng("commodities")
    commodities = cat.tree.add("hierarchy_v1.commodities_group", "hierarchy_v1.commodities", "Commodities")
    oil_leaf = cat.tree.add("hierarchy_v1.oil_markets_group", "hierarchy_v1.oil_markets.oil", "Oil & Gas")
    total = round(len(COMMODITIES) * cat.scale)
    names_per_group = {
        key: bucket_names(name, (), bucket_count(total / len(_COMMODITY_GROUPS), cat.scale))
        for key, (name, _hours) in _COMMODITY_GROUPS.items()
    }
    groups = {
        key: cat.tree.add_buckets(commodities, "hierarchy_v1.commodities.", names)
        for key, names in names_per_group.items()
    }
    specs = [(epic, epic, name, group, level, False) for epic, name, group, level in COMMODITIES]
    for epic, root, name, group, level, generated in specs + _dated_contracts(cat, total - len(COMMODITIES)):
        cat.registry.claim(epic)
        listing = make_listing(
            rng, epic=epic, name=name, symbol=name, kind="COMMODITIES", currency="USD",
            country="United States of America", hours=_COMMODITY_GROUPS[group][1], price=level,
            generated=generated,
        )  # fmt: skip
        cat.add(listing, [pick(rng, groups[group])] + ([oil_leaf] if root in _OIL else []))


_CRYPTO_THEMES = (
    "Layer 1", "DeFi", "Meme Coins", "Gaming & Metaverse", "AI & Data", "Infrastructure", "Payments",
    "Exchange Tokens",
)  # fmt: skip
_CRYPTO_TAILS = ("Coin", "Chain", "Protocol", "Network", "Finance", "Swap", "DAO", "Token", "AI", "Verse")
_TOKEN_USD = {
    "BTC": 95000.0, "ETH": 3400.0, "XRP": 1.1, "SOL": 240.0, "BNB": 620.0, "DOGE": 0.38, "ADA": 0.95,
    "TRX": 0.25, "AVAX": 40.0, "LINK": 18.0, "DOT": 8.0, "LTC": 100.0, "SHIB": 2.2e-5, "PEPE": 1.9e-5,
    "BONK": 3.5e-5,
}  # fmt: skip


class CryptoCategory:
    """About 280 pairs per scale unit: every token against USD, the bigger ones also against EUR, GBP, BTC."""

    _PARENT, _PREFIX = "hierarchy_v1.crypto_currencies_group", "hierarchy_v1.cryptocurrencies."

    def __init__(self, cat: Catalogue) -> None:
        self.cat = cat
        tokens = round(140 * cat.scale)
        self.most_traded = cat.tree.add(self._PARENT, self._PREFIX + "most_traded", "Most Traded")
        per_theme = 2 * tokens / len(_CRYPTO_THEMES)
        self.themes = [
            cat.tree.add_buckets(
                self._PARENT, self._PREFIX, bucket_names(t, (), bucket_count(per_theme, cat.scale))
            )
            for t in _CRYPTO_THEMES
        ]
        self.crosses = cat.tree.add(self._PARENT, self._PREFIX + "crypto_crosses", "Crypto Crosses")

    def populate(self) -> list[str]:
        """Day 0: the real tokens first, then generated ones; returns the USD pairs, biggest first."""
        rng = self.cat.rng("crypto")
        total = round(140 * self.cat.scale)
        usd_pairs = []
        for rank in range(total):
            ticker, name = CRYPTO_TOKENS[rank] if rank < len(CRYPTO_TOKENS) else self._new_token(rng)
            if rank < len(CRYPTO_TOKENS):
                self.cat.registry.claim(ticker + "USD")
            quotes = ["USD"] + ["EUR"] * (rank < total / 2) + ["GBP"] * (rank < total * 0.18)
            quotes += ["BTC"] * (0 < rank < total * 0.21) + ["ETH"] * (1 < rank < total * 0.12)
            usd_pairs.append(
                self._add_pairs(rng, ticker, name, quotes, rank, generated=rank >= len(CRYPTO_TOKENS))
            )
        return usd_pairs

    def _new_token(self, rng) -> tuple[str, str]:
        ticker = self.cat.registry.ticker(rng, numeric=False, suffix="USD", lengths=(3, 4, 4, 5))[:-3]
        return ticker, f"{rng.choice(NAME_STEMS)} {rng.choice(_CRYPTO_TAILS)}"

    def _add_pairs(self, rng, ticker: str, name: str, quotes: list[str], rank: int, generated: bool) -> str:
        usd_price = _TOKEN_USD.get(ticker, 10 ** rng.uniform(-3, 2.5))
        theme = self.themes[0 if rank < 6 else rng.randrange(len(self.themes))]
        for quote in quotes:
            epic = ticker + quote
            if quote != "USD" and not self.cat.registry.claim(epic):
                continue
            listing = make_listing(
                rng, epic=epic, name=f"{name}/{quote}", symbol=f"{ticker}/{quote}", kind="CRYPTOCURRENCIES",
                currency=quote, country=None, hours="crypto", price=usd_price / _USD_VALUE[quote],
                generated=generated,
            )  # fmt: skip
            leaves = [self.most_traded] if rank < 20 and quote == "USD" else []
            leaves.append(pick(rng, theme))
            if quote in ("BTC", "ETH"):
                leaves.append(self.crosses)
            self.cat.add(listing, leaves)
        return ticker + "USD"

    def new_listing(self, rng) -> str:
        """A freshly listed token's USD pair, placed in a theme leaf and under commons "New"."""
        ticker, name = self._new_token(rng)
        epic = self._add_pairs(rng, ticker, name, ["USD"], rank=10**9, generated=True)
        self.cat.tree.place(COMMONS_NEW, epic)
        return epic

"""One tradable instrument of the simulated universe, before it is rendered as an API body.

A :class:`Listing` holds only what varies per market (and what the day knob changes: name, margin factor,
dealing rules); :mod:`universe_markets` turns it into the ``GET /markets/{epic}`` body for a given day.
"""

from __future__ import annotations

import math
import random
import string
from dataclasses import dataclass

__all__ = [
    "CHANGEABLE_RULES",
    "MARGIN_CHOICES",
    "EpicRegistry",
    "Listing",
    "draw",
    "make_listing",
]

# Margin factors (percent) a market of each type may have; 20 % on shares is the 5:1 retail leverage that
# matches the highest SHARES leverage in the reference's preferences example (available [1, 2, 3, 5]).
MARGIN_CHOICES: dict[str, tuple[float, ...]] = {
    "SHARES": (20, 25, 33.33, 50, 100),
    "CURRENCIES": (3.33, 5, 10, 20),
    "INDICES": (5, 10, 20),
    "CRYPTOCURRENCIES": (50, 100),
    "COMMODITIES": (5, 10, 20, 50),
}

# Dealing rules the day knob may change, and the values each may take.
CHANGEABLE_RULES: dict[str, tuple[float | str, ...]] = {
    "minGuaranteedStopDistance": (0.5, 1, 2, 3, 5, 10),
    "minStopOrProfitDistance": (0.01, 0.05, 0.1, 0.2, 0.5, 1),
    "maxStopOrProfitDistance": (25, 50, 60, 75, 90),
    "trailingStopsPreference": ("AVAILABLE", "NOT_AVAILABLE"),
    "marketOrderPreference": ("AVAILABLE_DEFAULT_ON", "AVAILABLE_DEFAULT_OFF"),
}

# Overnight funding, percent per day: long pays the benchmark rate plus a markup, short receives it less one.
_BENCHMARK_RATE = {"USD": 4.3, "EUR": 2.9, "GBP": 4.7, "CHF": 0.9, "JPY": 0.5, "SEK": 2.6, "NOK": 4.4}


def draw(rng: random.Random, options):
    """``rng.choice`` in one C call: a market takes about ten draws, so a scale-30 build takes millions."""
    return options[int(rng.random() * len(options))]


@dataclass(slots=True)
class Listing:
    """A market's identity and dealing terms; prices are derived per day from ``price`` and ``price_key``."""

    epic: str
    name: str
    symbol: str
    kind: str  # instrumentType: SHARES, CURRENCIES, INDICES, CRYPTOCURRENCIES, COMMODITIES
    currency: str
    country: str | None  # None: the field is absent from the body
    hours: str  # opening-hours template, see universe_markets.OPENING_HOURS
    price: float
    decimals: int
    volatility: float  # typical relative daily move
    spread: float
    margin_factor: float
    rules: dict[str, float | str]
    fee_long: float
    fee_short: float
    price_key: int
    generated: bool = True  # False for the real head of the universe, which is never renamed or delisted
    sparse_when_closed: bool = False  # closed: no netChange/high/low/percentageChange (REFERENCE section 6)
    mode: str = "REGULAR"  # REGULAR, VIEW_ONLY, NONE (empty marketModes) or SUSPENDED


class EpicRegistry:
    """Hands out epics that are unique across the universe's whole history, ignoring case."""

    def __init__(self) -> None:
        self._taken: set[str] = set()

    def claim(self, epic: str) -> bool:
        """Reserve ``epic``; False when it (or a case variant) was already handed out."""
        key = epic.upper()
        if key in self._taken:
            return False
        self._taken.add(key)
        return True

    def ticker(self, rng: random.Random, *, numeric: bool, suffix: str = "", lengths=(3, 4, 4, 5)) -> str:
        """A fresh generated ticker: letters (US/EU style) or digits plus a country code (``5CPSG``)."""
        while True:
            length = draw(rng, lengths)
            low, high = (10 ** (length - 1), 10**length) if numeric else (0, 26**length)
            number = low + int(rng.random() * (high - low))
            core = str(number) if numeric else _letters(number, length)
            if self.claim(core + suffix):
                return core + suffix


_PAIRS = [a + b for a in string.ascii_uppercase for b in string.ascii_uppercase]


def _letters(number: int, length: int) -> str:
    """``number`` (< 26**length) written with ``length`` capital letters, two at a time."""
    text = ""
    while length >= 2:
        number, pair = divmod(number, 676)
        text += _PAIRS[pair]
        length -= 2
    return text + (string.ascii_uppercase[number % 26] if length else "")


def _decimals_for(price: float) -> int:
    """Quote precision a market of this price level shows (five significant figures, at least two)."""
    return max(2, min(12, 4 - math.floor(math.log10(price))))


def _rules(rng: random.Random, kind: str, price: float, decimals: int) -> dict[str, float | str]:
    tick = round(10.0**-decimals, decimals)
    notional_floor = {
        "SHARES": 1,
        "CURRENCIES": 100,
        "CRYPTOCURRENCIES": 10,
        "INDICES": 0.1,
        "COMMODITIES": 1,
    }
    if kind == "CURRENCIES":
        min_size = 100.0
    elif kind == "CRYPTOCURRENCIES":
        min_size = 10.0 ** math.floor(math.log10(notional_floor[kind] / price))
    else:
        min_size = draw(rng, (0.1, 1.0)) if price < 1000 else 0.01
    return {
        "minStepDistance": tick,
        "minDealSize": min_size,
        "maxDealSize": round(min_size * draw(rng, (1000, 10000, 100000)), 8),
        "minSizeIncrement": min_size,
        "minGuaranteedStopDistance": draw(rng, (1, 2, 5)) if kind != "CURRENCIES" else 0.5,
        "minStopOrProfitDistance": draw(rng, (0.01, 0.1, 0.5)),
        "maxStopOrProfitDistance": draw(rng, (60, 75, 90)),
        "marketOrderPreference": "AVAILABLE_DEFAULT_ON",
        "trailingStopsPreference": "NOT_AVAILABLE" if kind == "CRYPTOCURRENCIES" else "AVAILABLE",
    }


def _fees(rng: random.Random, kind: str, currency: str) -> tuple[float, float]:
    if kind == "CRYPTOCURRENCIES":  # both sides pay on crypto
        return round(-0.0616 - rng.random() * 0.01, 7), round(-0.0132 - rng.random() * 0.005, 7)
    if kind == "CURRENCIES":
        swing = rng.uniform(-0.012, 0.012)
        return round(swing - 0.004, 7), round(-swing - 0.004, 7)
    rate = _BENCHMARK_RATE.get(currency, 3.5)
    markup = 2.5 if kind == "SHARES" else 1.5
    return round(-(rate + markup) / 365, 7), round(max(rate - markup, -1.0) / 365, 7)


# Typical bid-offer spread relative to the price.
_SPREAD = {
    "SHARES": 0.001,
    "CURRENCIES": 0.0001,
    "INDICES": 0.0002,
    "CRYPTOCURRENCIES": 0.002,
    "COMMODITIES": 0.0005,
}
_VOLATILITY = {
    "SHARES": 0.02,
    "CURRENCIES": 0.005,
    "INDICES": 0.01,
    "CRYPTOCURRENCIES": 0.04,
    "COMMODITIES": 0.015,
}


def make_listing(
    rng: random.Random,
    *,
    epic: str,
    name: str,
    symbol: str,
    kind: str,
    currency: str,
    country: str | None,
    hours: str,
    price: float,
    decimals: int | None = None,
    generated: bool = True,
) -> Listing:
    """A listing of ``kind`` with dealing terms drawn from ``rng`` around that type's usual values."""
    decimals = _decimals_for(price) if decimals is None else decimals
    price = round(price, decimals)
    tick = 10.0**-decimals
    fee_long, fee_short = _fees(rng, kind, currency)
    roll = rng.random()  # S2 shows marketModes REGULAR, VIEW_ONLY and []: a few markets are not tradeable
    mode = (
        "VIEW_ONLY" if roll < 0.01 else "NONE" if roll < 0.015 else "SUSPENDED" if roll < 0.018 else "REGULAR"
    )
    return Listing(
        epic=epic,
        name=name,
        symbol=symbol,
        kind=kind,
        currency=currency,
        country=country,
        hours=hours,
        price=price,
        decimals=decimals,
        volatility=_VOLATILITY[kind] * rng.uniform(0.5, 2.0),
        spread=round(max(tick, price * _SPREAD[kind] * rng.uniform(0.3, 2.0)), decimals),
        margin_factor=MARGIN_CHOICES[kind][0] if rng.random() < 0.8 else draw(rng, MARGIN_CHOICES[kind]),
        rules=_rules(rng, kind, price, decimals),
        fee_long=fee_long,
        fee_short=fee_short,
        price_key=rng.getrandbits(64),
        generated=generated,
        sparse_when_closed=kind == "SHARES" and rng.random() < 0.35,
        mode=mode,
    )

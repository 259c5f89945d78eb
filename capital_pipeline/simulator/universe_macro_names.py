"""Real names for the non-equity head of the universe: indices, commodities, forex pairs, crypto tokens.

Epic spellings follow the ones the reference shows (``SILVER``, ``NATURALGAS``, ``OIL_CRUDE``, ``US500``).
Constants only: the universe's determinism rests on these tuples never being reordered between runs.
"""

from __future__ import annotations

__all__ = ["COMMODITIES", "CRYPTO_TOKENS", "FOREX_EXOTIC_PAIRS", "G10_CURRENCIES", "INDICES"]

# (epic, name, currency, country, region, opening-hours template, typical level)
INDICES: tuple[tuple[str, str, str, str, str, str, float], ...] = (
    ("US500", "US 500", "USD", "United States of America", "americas", "us_index", 5900.0),
    ("US30", "US Wall Street 30", "USD", "United States of America", "americas", "us_index", 43000.0),
    ("US100", "US Tech 100", "USD", "United States of America", "americas", "us_index", 20800.0),
    ("RTY", "US Small Cap 2000", "USD", "United States of America", "americas", "us_index", 2300.0),
    ("VIX", "Volatility Index", "USD", "United States of America", "americas", "us_index", 16.5),
    ("CA60", "Canada 60", "CAD", "Canada", "americas", "us_shares", 1500.0),
    ("MX35", "Mexico 35", "MXN", "Mexico", "americas", "us_shares", 51000.0),
    ("BR60", "Brazil 60", "BRL", "Brazil", "americas", "us_shares", 127000.0),
    ("UK100", "UK 100", "GBP", "United Kingdom", "europe", "eu_index", 8200.0),
    ("DE40", "Germany 40", "EUR", "Germany", "europe", "eu_index", 19300.0),
    ("DE50", "Germany Mid-Cap 50", "EUR", "Germany", "europe", "eu_index", 27000.0),
    ("DE_TECH30", "Germany Tech 30", "EUR", "Germany", "europe", "eu_index", 3500.0),
    ("FR40", "France 40", "EUR", "France", "europe", "eu_index", 7300.0),
    ("EU50", "EU Stocks 50", "EUR", "Euro area", "europe", "eu_index", 4800.0),
    ("NL25", "Netherlands 25", "EUR", "Netherlands", "europe", "eu_index", 880.0),
    ("ES35", "Spain 35", "EUR", "Spain", "europe", "eu_index", 11700.0),
    ("IT40", "Italy 40", "EUR", "Italy", "europe", "eu_index", 34000.0),
    ("CH20", "Switzerland 20", "CHF", "Switzerland", "europe", "eu_index", 11900.0),
    ("SE30", "Sweden 30", "SEK", "Sweden", "europe", "eu_index", 2550.0),
    ("NO25", "Norway 25", "NOK", "Norway", "europe", "eu_index", 1400.0),
    ("DK25", "Denmark 25", "DKK", "Denmark", "europe", "eu_index", 1800.0),
    ("PL20", "Poland 20", "PLN", "Poland", "europe", "eu_index", 2300.0),
    ("AT20", "Austria 20", "EUR", "Austria", "europe", "eu_index", 3600.0),
    ("ZA40", "South Africa 40", "ZAR", "South Africa", "europe", "eu_index", 78000.0),
    ("J225", "Japan 225", "JPY", "Japan", "asia_pacific", "asia_index", 38500.0),
    ("HK50", "Hong Kong 50", "HKD", "Hong Kong", "asia_pacific", "asia_index", 19500.0),
    ("CN50", "China A50", "USD", "China", "asia_pacific", "asia_index", 13200.0),
    ("AU200", "Australia 200", "AUD", "Australia", "asia_pacific", "asia_index", 8300.0),
    ("SG25", "Singapore 25", "SGD", "Singapore", "asia_pacific", "asia_index", 3700.0),
    ("IN50", "India 50", "INR", "India", "asia_pacific", "asia_index", 23500.0),
    ("TW50", "Taiwan 50", "TWD", "Taiwan", "asia_pacific", "asia_index", 22800.0),
    ("KR200", "South Korea 200", "KRW", "South Korea", "asia_pacific", "asia_index", 330.0),
    ("NZ50", "New Zealand 50", "NZD", "New Zealand", "asia_pacific", "asia_index", 12700.0),
    ("CN_TECH", "China Tech", "HKD", "China", "asia_pacific", "asia_index", 4500.0),
    ("USDX", "US Dollar Index", "USD", "United States of America", "americas", "us_index", 106.2),
)

# (epic, name, group, typical price)
COMMODITIES: tuple[tuple[str, str, str, float], ...] = (
    ("GOLD", "Gold", "precious_metals", 2650.0),
    ("SILVER", "Silver", "precious_metals", 31.0),
    ("PLATINUM", "Platinum", "precious_metals", 960.0),
    ("PALLADIUM", "Palladium", "precious_metals", 1010.0),
    ("OIL_CRUDE", "Crude Oil", "energies", 69.0),
    ("OIL_BRENT", "Brent Crude Oil", "energies", 73.0),
    ("NATURALGAS", "Natural Gas", "energies", 3.1),
    ("HEATINGOIL", "Heating Oil", "energies", 2.25),
    ("GASOLINE", "Gasoline", "energies", 1.98),
    ("CARBON", "Carbon Emissions", "energies", 67.0),
    ("COPPER", "Copper", "base_metals", 4.2),
    ("ALUMINIUM", "Aluminium", "base_metals", 2580.0),
    ("ZINC", "Zinc", "base_metals", 2950.0),
    ("NICKEL", "Nickel", "base_metals", 16100.0),
    ("LEAD", "Lead", "base_metals", 2040.0),
    ("TIN", "Tin", "base_metals", 29000.0),
    ("IRONORE", "Iron Ore", "base_metals", 102.0),
    ("COCOA", "Cocoa", "softs", 8700.0),
    ("COFFEEARABICA", "Coffee Arabica", "softs", 2.6),
    ("COFFEEROBUSTA", "Coffee Robusta", "softs", 4700.0),
    ("SUGAR", "Sugar", "softs", 0.21),
    ("SUGARWHITE", "White Sugar", "softs", 560.0),
    ("COTTON", "Cotton", "softs", 0.71),
    ("OJ", "Orange Juice", "softs", 4.9),
    ("LUMBER", "Lumber", "softs", 560.0),
    ("WHEAT", "Wheat", "grains", 5.6),
    ("CORN", "Corn", "grains", 4.3),
    ("SOYBEAN", "Soybean", "grains", 10.1),
    ("SOYBEANOIL", "Soybean Oil", "grains", 0.42),
    ("SOYBEANMEAL", "Soybean Meal", "grains", 295.0),
    ("OATS", "Oats", "grains", 3.5),
    ("RICE", "Rough Rice", "grains", 14.8),
    ("LIVECATTLE", "Live Cattle", "livestock", 1.86),
    ("LEANHOGS", "Lean Hogs", "livestock", 0.84),
    ("FEEDERCATTLE", "Feeder Cattle", "livestock", 2.5),
)

# Conventional quote order: a pair is written with the higher-priority currency first (EURUSD, GBPJPY).
G10_CURRENCIES: tuple[str, ...] = ("EUR", "GBP", "AUD", "NZD", "USD", "CAD", "CHF", "NOK", "SEK", "JPY")

FOREX_EXOTIC_PAIRS: tuple[str, ...] = (
    "USDCNH", "USDHKD", "USDSGD", "USDTRY", "USDZAR", "USDMXN", "USDPLN", "USDHUF", "USDCZK", "USDDKK",
    "USDILS", "USDTHB", "USDINR", "USDKRW", "USDTWD", "USDBRL", "USDCLP", "USDCOP", "USDIDR", "USDPHP",
    "USDMYR", "USDRON", "USDKZT", "USDAED", "USDSAR", "EURTRY", "EURZAR", "EURMXN", "EURPLN", "EURHUF",
    "EURCZK", "EURDKK", "EURHKD", "EURSGD", "EURCNH", "EURILS", "EURRON", "GBPTRY", "GBPZAR", "GBPMXN",
    "GBPPLN", "GBPHKD", "GBPSGD", "GBPDKK", "GBPHUF", "CNHJPY", "SGDJPY", "ZARJPY", "TRYJPY", "MXNJPY",
    "HKDJPY", "USDNGN", "USDEGP", "AUDSGD", "AUDCNH", "NZDSGD", "CADSGD", "CHFSGD", "CHFPLN", "CHFHUF",
    "CHFCZK", "USDQAR", "DKKSEK", "DKKNOK", "PLNSEK",
)  # fmt: skip

# (ticker, name); the rest of the crypto universe is generated from NAME_STEMS
CRYPTO_TOKENS: tuple[tuple[str, str], ...] = (
    ("BTC", "Bitcoin"), ("ETH", "Ethereum"), ("XRP", "Ripple"), ("SOL", "Solana"), ("BNB", "Binance Coin"),
    ("DOGE", "Dogecoin"), ("ADA", "Cardano"), ("TRX", "Tron"), ("AVAX", "Avalanche"), ("LINK", "Chainlink"),
    ("DOT", "Polkadot"), ("TON", "Toncoin"), ("SHIB", "Shiba Inu"), ("LTC", "Litecoin"),
    ("BCH", "Bitcoin Cash"), ("NEAR", "NEAR Protocol"), ("UNI", "Uniswap"), ("XLM", "Stellar"),
    ("ATOM", "Cosmos"), ("ETC", "Ethereum Classic"), ("FIL", "Filecoin"), ("APT", "Aptos"),
    ("ARB", "Arbitrum"), ("OP", "Optimism"), ("ICP", "Internet Computer"), ("HBAR", "Hedera"),
    ("VET", "VeChain"), ("MKR", "Maker"), ("AAVE", "Aave"), ("INJ", "Injective"), ("GRT", "The Graph"),
    ("IMX", "Immutable"), ("SAND", "The Sandbox"), ("MANA", "Decentraland"), ("AXS", "Axie Infinity"),
    ("APE", "ApeCoin"), ("CRV", "Curve DAO"), ("SNX", "Synthetix"), ("COMP", "Compound"),
    ("SUSHI", "SushiSwap"), ("YFI", "yearn.finance"), ("1INCH", "1inch"), ("ENJ", "Enjin Coin"),
    ("CHZ", "Chiliz"), ("GALA", "Gala"), ("FLOW", "Flow"), ("EGLD", "MultiversX"), ("XTZ", "Tezos"),
    ("EOS", "EOS"), ("NEO", "Neo"), ("KSM", "Kusama"), ("ZEC", "Zcash"), ("DASH", "Dash"),
    ("XMR", "Monero"), ("ALGO", "Algorand"), ("QNT", "Quant"), ("STX", "Stacks"), ("RUNE", "THORChain"),
    ("KAVA", "Kava"), ("ZIL", "Zilliqa"), ("CELO", "Celo"), ("BAT", "Basic Attention Token"), ("ZRX", "0x"),
    ("LRC", "Loopring"), ("ANKR", "Ankr"), ("STORJ", "Storj"), ("BAND", "Band Protocol"),
    ("FET", "Fetch.ai"), ("WLD", "Worldcoin"), ("SUI", "Sui"), ("SEI", "Sei"), ("TIA", "Celestia"),
    ("PEPE", "Pepe"), ("FLOKI", "Floki"), ("BONK", "Bonk"), ("WIF", "dogwifhat"), ("JUP", "Jupiter"),
    ("PYTH", "Pyth Network"), ("LDO", "Lido DAO"), ("RPL", "Rocket Pool"), ("GMX", "GMX"), ("DYDX", "dYdX"),
    ("BLUR", "Blur"), ("ENS", "Ethereum Name Service"), ("CAKE", "PancakeSwap"), ("CRO", "Cronos"),
)  # fmt: skip

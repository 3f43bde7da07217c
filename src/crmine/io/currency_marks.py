"""The signs, codes and names that say which currency an amount is in.

One table serves both places that need it: reading numbers (``£7.10``, ``100元``,
``12.50 EUR`` are numbers once the mark is removed, and the mark tells the line's
currency) and normalising currency columns into ISO 4217 codes. Pure Python, no pandas:
the number parser runs in SQL and imports this at ingest.
"""

from __future__ import annotations

import re
import unicodedata

# Folded form (NFKC, upper case, no spaces or dots) -> ISO 4217 code. "$" and "¥" are
# ambiguous and resolved by ``code_of``'s ``dollar`` and ``yen``.
KNOWN: dict[str, str] = {
    "£": "GBP", "€": "EUR", "₩": "KRW", "₹": "INR", "₽": "RUB", "₺": "TRY", "฿": "THB",
    "₫": "VND", "₱": "PHP", "₪": "ILS", "₴": "UAH", "₦": "NGN", "R$": "BRL",
    "US$": "USD", "USD$": "USD", "HK$": "HKD", "A$": "AUD", "AU$": "AUD", "C$": "CAD",
    "CA$": "CAD", "NZ$": "NZD", "S$": "SGD", "NT$": "TWD", "MX$": "MXN",
    "RMB": "CNY", "RMB¥": "CNY", "CN¥": "CNY", "JP¥": "JPY",
    "元": "CNY", "块": "CNY", "人民币": "CNY", "人民币元": "CNY", "円": "JPY", "日元": "JPY",
    "美元": "USD", "港币": "HKD", "港元": "HKD", "欧元": "EUR", "英镑": "GBP", "澳元": "AUD",
    "加元": "CAD", "新台币": "TWD", "韩元": "KRW",
    "YUAN": "CNY", "RENMINBI": "CNY", "YEN": "JPY", "EURO": "EUR", "EUROS": "EUR",
    "POUND": "GBP", "POUNDS": "GBP", "STERLING": "GBP",
}
DOLLAR = frozenset({"$", "DOLLAR", "DOLLARS"})
YEN = frozenset({"¥"})  # NFKC folds the full-width ￥ into ¥

CODE = re.compile(r"[A-Z]{3}")  # an ISO 4217 code, as normalised values are written
_SPACES_DOTS = re.compile(r"[\s.]+")
# Raw spellings as they appear next to numbers: the folded keys plus forms NFKC would fold.
_RAW = sorted({*KNOWN, *DOLLAR, *YEN, "￥", "＄", "￡"}, key=lambda s: (-len(s), s))

# Matches one currency mark inside a value: a known sign or name (any case), or an ISO code
# written in capitals as a word of its own ("USD 3.25", "12,50 EUR"). RE2 and Python syntax.
PATTERN = "(?i:" + "|".join(re.escape(m) for m in _RAW) + r")|\b[A-Z]{3}\b"


def fold(text: str) -> str:
    """The lookup key of a mark: NFKC, upper case, without spaces and dots."""
    return _SPACES_DOTS.sub("", unicodedata.normalize("NFKC", text)).upper()


def code_of(mark: str, *, dollar: str = "USD", yen: str = "CNY") -> str | None:
    """ISO code of a mark; unknown marks come back folded (kept, never dropped)."""
    key = fold(mark)
    if not key:
        return None
    if key in DOLLAR:
        return dollar
    if key in YEN:
        return yen
    return KNOWN.get(key, key)

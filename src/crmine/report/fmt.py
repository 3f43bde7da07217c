"""Number formatting shared by the page (Python) and the charts (mirrored in the page script)."""

from __future__ import annotations

from dataclasses import dataclass

_SYMBOLS = {"GBP": "£", "USD": "$", "EUR": "€", "CNY": "¥", "RMB": "¥", "JPY": "¥", "INR": "₹"}


@dataclass(frozen=True)
class Money:
    """How to write an amount: a prefix symbol (``£``) or a suffix code (``CHF``), or neither."""

    prefix: str = ""
    suffix: str = ""

    @classmethod
    def for_currency(cls, code: str | None) -> Money:
        if not code:
            return cls()
        code = code.strip().upper()
        if code in _SYMBOLS:
            return cls(prefix=_SYMBOLS[code])
        return cls(suffix=f" {code}")

    def __call__(self, value: float | None, decimals: int = 0) -> str:
        if is_missing(value):
            return "–"
        sign = "−" if value < 0 else ""
        return f"{sign}{self.prefix}{abs(value):,.{decimals}f}{self.suffix}"


def integer(value: float | None) -> str:
    """Thousands-separated whole number, or a dash when unknown."""
    if is_missing(value):
        return "–"
    return f"{round(value):,}".replace("-", "−")


def percent(share: float | None, decimals: int = 1) -> str:
    """A 0–1 share as a percentage."""
    if is_missing(share):
        return "–"
    return f"{share * 100:.{decimals}f}%".replace("-", "−")


def is_missing(value: object) -> bool:
    """None, NaN, NaT or pd.NA (how an empty cell of a frame reads back), without pandas."""
    if value is None:
        return True
    try:
        return bool(value != value)
    except TypeError:  # pd.NA refuses to be a bool
        return True

"""Which order lines are returns or cancellations: decided from the data, said out loud.

Three signals, each only where the data supports it:

- the line's own sign: a negative quantity (or a negative amount without a quantity);
- a status column whose text says so (cancelled, refunded, returned, 退货, 已取消, …);
- an order-id prefix, but only where the data shows the prefix means it: the lines whose
  ids start with those letters are (nearly) all negative, as Online Retail's ``C`` invoices
  are, while the other lines are not. Superstore-style ids (``CA-2016-152156``,
  ``US-2015-108966``) name a country, not a cancellation: their lines are positive, so the
  prefix is not taken. ``[ingest] return_id_prefix`` names a prefix when the user knows better.

A line marked by its status but carrying a positive value is a sale that was reversed (a
cancelled order): it counts no revenue. A negative line reduces revenue.
"""

from __future__ import annotations

from dataclasses import dataclass

RETURN_STATUS_WORDS = (
    "cancel", "canceled", "cancelled", "cancellation", "refund", "refunded", "return",
    "returned", "reversed", "void", "voided", "chargeback",
    "退货", "已退货", "退款", "已退款", "取消", "已取消", "撤销", "作废",
)  # fmt: skip

#: share of a prefix's lines (with a known sign) that must be negative for it to mark returns
PREFIX_NEGATIVE_SHARE = 0.95
#: fewest lines a prefix needs before the data can say what it means
PREFIX_MIN_LINES = 5


@dataclass(frozen=True)
class PrefixStats:
    """Lines whose order id starts with ``prefix`` (letters), and how many are negative."""

    prefix: str
    lines: int
    negative: int


@dataclass(frozen=True)
class PrefixDecision:
    prefix: str | None  # the letters that mark returns, None for none
    reason: str  # one sentence for the ingest notes ("" when ids carry no letter prefix)


def decide_prefix(stats: list[PrefixStats], user_prefix: str = "") -> PrefixDecision:
    """The id prefix that marks returns, if the data (or the user) says one does."""
    if user_prefix:
        return PrefixDecision(user_prefix.upper(),
                              f"order ids starting with {user_prefix.upper()} mark returns "
                              "([ingest] return_id_prefix)")  # fmt: skip
    lettered = [s for s in stats if s.prefix]
    if not lettered:
        return PrefixDecision(None, "")
    total = sum(s.lines for s in stats)
    best = None
    for s in sorted(lettered, key=lambda s: (-s.negative, s.prefix)):
        rest_lines = total - s.lines
        rest_negative = sum(o.negative for o in stats if o.prefix != s.prefix)
        mostly_negative = s.lines >= PREFIX_MIN_LINES and s.negative >= PREFIX_NEGATIVE_SHARE * s.lines
        rest_positive = rest_lines > 0 and rest_negative <= 0.5 * rest_lines
        if mostly_negative and rest_positive:
            best = s
            break
    if best is not None:
        share = best.negative / best.lines
        return PrefixDecision(best.prefix, (
            f"order ids starting with {best.prefix} mark returns: {share:.0%} of their "
            f"{best.lines:,} lines are negative"))  # fmt: skip
    shown = ", ".join(f"{s.prefix} ({s.negative / s.lines:.0%} of {s.lines:,} negative)"
                      for s in sorted(lettered, key=lambda s: -s.lines)[:3])  # fmt: skip
    return PrefixDecision(None, f"order-id prefixes are not return markers: {shown}")


#: a status with one of these is a partial reversal (``partially_refunded``, 部分退款): the sale
#: stands, and a refund line or negative amount, where the data has one, says how much
PARTIAL_WORDS = ("partial", "部分")


def status_marks_return(text: str | None) -> bool:
    """Whether a status value says the line was cancelled, refunded or returned."""
    if text is None:
        return False
    low = text.strip().lower()
    return any(word in low for word in RETURN_STATUS_WORDS) and not any(
        word in low for word in PARTIAL_WORDS)


def status_sql(expr: str) -> str:
    """SQL: the status text ``expr`` says cancelled / refunded / returned (never null)."""
    words = "|".join(w.replace("'", "''") for w in RETURN_STATUS_WORDS)
    partial = "|".join(PARTIAL_WORDS)
    return (f"coalesce(regexp_matches(lower({expr}), '{words}') AND NOT "
            f"regexp_matches(lower({expr}), '{partial}'), false)")

"""What every customer feature means, in plain words (the columns of customer_features).

Models use this to turn a feature name into a human-readable reason ("orders in the last
90 days"), and the report uses it to label columns. Trailing-window features are named
``<stem>_<N>d`` for any window length N, so they are described by pattern.
"""

from __future__ import annotations

import re

FEATURES: dict[str, str] = {
    "customer_id": "the customer's identifier",
    "first_order_ts": "when the customer first purchased (returns excluded)",
    "last_order_ts": "when the customer last purchased (returns excluded)",
    "recency_days": "days since the last purchase, fractional (as_of minus last_order_ts)",
    "tenure_days": "days since the first purchase, fractional (as_of minus first_order_ts)",
    "orders_count": "number of distinct orders with at least one purchased line",
    "purchase_days": "number of distinct days with a purchase",
    "revenue_total": "net revenue: purchases minus the value of returns",
    "gross_revenue": "value of purchased lines, before returns",
    "return_value": "value of returned lines, as a positive amount",
    "return_ratio": "share of gross revenue that was returned (empty without purchases)",
    "avg_order_value": "net revenue per order (empty without orders)",
    "gap_mean_days": "average number of days between consecutive purchase days",
    "gap_median_days": "median number of days between consecutive purchase days",
    "gap_std_days": "spread (sample standard deviation) of the days between purchase days",
    "gap_ratio": "days since the last purchase divided by the customer's average gap; "
    "above 1 means overdue (empty with fewer than 2 purchase days)",
    "lines_per_order": "purchased order lines per order (basket breadth)",
    "units_per_order": "purchased units per order (basket size)",
    "distinct_products": "number of different products bought (empty when products are unknown)",
    "distinct_categories": "number of different categories bought "
    "(empty when categories are unknown)",
    "distinct_channels": "number of different sales channels used (empty when channels are unknown)",
    "spend_change_ratio": "relative change of net revenue between the two trend periods: "
    "(recent - previous) / previous (empty when the previous period's revenue is not positive)",
}

# Service signals (feedback and interactions before as_of): see crmine.features.service.
SERVICE_FEATURES: dict[str, str] = {
    "contacts_total": "service interactions before as_of",
    "contacts_30d": "service interactions in the 30 days before as_of",
    "contacts_90d": "service interactions in the 90 days before as_of",
    "days_since_last_contact": "days from the last interaction to as_of (NaN: never)",
    "unresolved_tickets": "interactions marked not resolved",
    "complaints_total": "negative feedback plus interactions on a complaint topic",
    "complaints_90d": "the same, in the 90 days before as_of",
    "feedback_count": "feedback answers before as_of",
    "mean_score_01": "mean feedback score mapped onto 0-1 by its scale (NaN: no scored answer)",
    "sentiment_mean": "mean sentiment of the customer's feedback texts, -1..1",
    "sentiment_trend": "mean sentiment in the last 90 days minus before (NaN: not both)",
    "last_nps_score": "the latest NPS answer, 0-10",
    "days_since_last_nps": "days from the latest NPS answer to as_of",
}

# Window features: stem -> meaning with {n} for the number of days.
WINDOW_FEATURES: dict[str, str] = {
    "orders": "orders in the last {n} days (an order dates from its first purchased line)",
    "revenue": "net revenue in the last {n} days",
    "orders_prev": "orders in the {n} days before the last {n} days",
    "revenue_prev": "net revenue in the {n} days before the last {n} days",
    "orders_change": "orders in the last {n} days minus orders in the {n} days before",
}

# Columns that are a count or a sum: zero (not empty) for a customer without purchases.
ZERO_WHEN_NO_PURCHASE: frozenset[str] = frozenset(
    {"orders_count", "purchase_days", "revenue_total", "gross_revenue", "return_value"}
)
ZERO_WHEN_NO_PURCHASE_STEMS: frozenset[str] = frozenset(
    {"orders", "revenue", "orders_prev", "revenue_prev", "orders_change"}
)

_WINDOW = re.compile(r"^(?P<stem>[a-z_]+?)_(?P<n>\d+)d$")


def window_name(stem: str, days: int) -> str:
    """The column name of a trailing-window feature, e.g. ``orders_90d``."""
    return f"{stem}_{days}d"


def _window_parts(name: str) -> tuple[str, int] | None:
    match = _WINDOW.match(name)
    if match is None or match["stem"] not in WINDOW_FEATURES:
        return None
    return match["stem"], int(match["n"])


def describe(name: str) -> str:
    """Plain-words meaning of a feature column; KeyError for an unknown name."""
    if name in FEATURES:
        return FEATURES[name]
    if name in SERVICE_FEATURES:
        return SERVICE_FEATURES[name]
    parts = _window_parts(name)
    if parts is None:
        raise KeyError(f"unknown feature {name!r}")
    stem, days = parts
    return WINDOW_FEATURES[stem].format(n=days)


def zero_when_no_purchase(name: str) -> bool:
    """Whether a customer without purchases has 0 (rather than empty) in this column."""
    if name in ZERO_WHEN_NO_PURCHASE:
        return True
    parts = _window_parts(name)
    return parts is not None and parts[0] in ZERO_WHEN_NO_PURCHASE_STEMS

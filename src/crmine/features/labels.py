"""What a customer did in a horizon after a cutoff: the targets of the propensity models.

Labels read only lines in ``[cutoff, cutoff + horizon)``; features read only lines before
``cutoff``. :func:`training_frame` stacks both for several (rolling) cutoffs.
"""

from __future__ import annotations

from collections.abc import Iterable
from datetime import date, datetime, timedelta
from typing import TYPE_CHECKING, Any

from crmine.features.customer import (
    DEFAULT_TREND_DAYS,
    DEFAULT_WINDOWS,
    as_timestamp,
    check_orders,
    customer_features,
    flag_lines,
)

if TYPE_CHECKING:
    import ibis
    import pandas as pd

LABELS: dict[str, str] = {
    "purchased": "made at least one purchase (a non-return order) in the horizon",
    "orders_in_horizon": "distinct orders with a purchased line in the horizon",
    "purchase_days_in_horizon": "distinct days with a purchase in the horizon",
    "revenue_in_horizon": "net revenue (purchases minus returns) in the horizon",
}


def horizon_labels(
    orders: ibis.Table, cutoff: datetime | date | str, horizon_days: int
) -> ibis.Table:
    """Per customer with a line in ``[cutoff, cutoff + horizon_days)``: the :data:`LABELS`.

    Customers with no line in the horizon have no row; join and fill with zeros / False.
    """
    import ibis

    if horizon_days <= 0:
        raise ValueError(f"horizon_days must be positive, got {horizon_days}")
    check_orders(orders)
    start = as_timestamp(cutoff)
    end = start + timedelta(days=horizon_days)
    lines = orders.filter(
        orders.customer_id.notnull(),
        orders.order_ts >= ibis.literal(start),
        orders.order_ts < ibis.literal(end),
    )
    lines = flag_lines(lines)
    buy = ~lines.is_ret
    agg = lines.group_by("customer_id").aggregate(
        orders_in_horizon=lines.order_id.nunique(where=buy),
        purchase_days_in_horizon=lines.order_ts.date().nunique(where=buy),
        revenue_in_horizon=lines.net.sum().coalesce(0.0),
    )
    return agg.mutate(purchased=agg.orders_in_horizon > 0).select("customer_id", *LABELS)


def _labelled_features(
    orders: ibis.Table,
    cutoff: datetime,
    horizon_days: int,
    customers: ibis.Table | None,
    feature_kwargs: dict[str, Any],
) -> ibis.Table:
    import ibis

    feats = customer_features(orders, cutoff, customers=customers, **feature_kwargs)
    feats = feats.filter(feats.orders_count > 0)
    labels = horizon_labels(orders, cutoff, horizon_days)
    joined = feats.left_join(labels, "customer_id")
    return joined.select(
        *feats.columns,
        purchased=joined.purchased.coalesce(False),
        orders_in_horizon=joined.orders_in_horizon.coalesce(0),
        purchase_days_in_horizon=joined.purchase_days_in_horizon.coalesce(0),
        revenue_in_horizon=joined.revenue_in_horizon.coalesce(0.0),
        cutoff=ibis.literal(cutoff),
    )


def training_frame(
    orders: ibis.Table,
    cutoffs: Iterable[datetime | date | str],
    horizon_days: int,
    customers: ibis.Table | None = None,
    *,
    windows_days: Iterable[int] = DEFAULT_WINDOWS,
    trend_days: int = DEFAULT_TREND_DAYS,
) -> pd.DataFrame:
    """Features as of each cutoff joined with labels from ``[cutoff, cutoff + horizon)``.

    One row per (cutoff, customer with a purchase before the cutoff); customers who did not
    buy in the horizon get zero labels. All cutoffs run as one query.
    """
    import ibis

    stamps = sorted({as_timestamp(c) for c in cutoffs})
    if not stamps:
        raise ValueError("training_frame needs at least one cutoff")
    kwargs = {"windows_days": tuple(windows_days), "trend_days": trend_days}
    parts = [_labelled_features(orders, c, horizon_days, customers, kwargs) for c in stamps]
    expr = parts[0] if len(parts) == 1 else ibis.union(*parts, distinct=False)
    frame = expr.order_by(["cutoff", "customer_id"]).to_pandas()
    return frame.reset_index(drop=True)

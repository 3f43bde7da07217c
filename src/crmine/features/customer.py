"""Point-in-time customer features, expressed once in Ibis for every engine.

Everything here is computed from order lines strictly before ``as_of``; nothing at or after
it is read, so features for a past date are exactly what was knowable on that date.

Rules (the warehouse contract, see DESIGN §3):

* a *purchase* is a line that is not a return; ``is_return`` NULL falls back to
  ``amount < 0``;
* returns reduce revenue by their absolute value and never count as orders or purchase days;
* lines without a customer are left out;
* a customer whose only lines before ``as_of`` are returns still gets a row (their
  purchases predate the data): zero orders, empty dates and recency, negative net revenue.
  RFM scores leave such rows empty.

``recency_days`` and ``tenure_days`` are fractional days (to the second); gaps between
purchases are whole days between distinct purchase days.
"""

from __future__ import annotations

from collections.abc import Iterable
from datetime import date, datetime, timedelta
from typing import TYPE_CHECKING, Any

from crmine.schema.features import window_name, zero_when_no_purchase

if TYPE_CHECKING:
    import ibis
    import ibis.expr.types as ir

PII_COLUMNS: tuple[str, ...] = ("name", "email", "phone")
DEFAULT_WINDOWS: tuple[int, ...] = (30, 90, 180, 365)
DEFAULT_TREND_DAYS = 90
_SECONDS_PER_DAY = 86_400.0

# Optional order columns and their types: a table without them is read as if they were NULL.
_OPTIONAL_ORDER_COLUMNS: dict[str, str] = {
    "product_id": "string",
    "category": "string",
    "channel": "string",
    "quantity": "float64",
}


def as_timestamp(value: datetime | date | str) -> datetime:
    """``as_of`` as a naive datetime; a date means midnight at its start.

    Order timestamps are naive (TIMESTAMP), so an aware datetime is read at its wall-clock time.
    """
    if isinstance(value, str):
        value = datetime.fromisoformat(value)
    if isinstance(value, datetime):
        return value.replace(tzinfo=None)
    return datetime(value.year, value.month, value.day)


def order_lines_before(orders: ibis.Table, as_of: datetime | date | str) -> ibis.Table:
    """Lines with a customer strictly before ``as_of``, with ``is_ret`` and ``net`` added.

    ``net`` is the line's signed contribution to net revenue: the amount for a purchase,
    minus the absolute amount for a return.
    """
    import ibis

    check_orders(orders)
    cut = ibis.literal(as_timestamp(as_of))
    lines = orders.filter(orders.customer_id.notnull(), orders.order_ts < cut)
    return flag_lines(lines)


REQUIRED_ORDER_COLUMNS: tuple[str, ...] = ("order_id", "customer_id", "order_ts", "amount")


def check_orders(orders: ibis.Table) -> None:
    """ValueError naming the required order columns the table lacks."""
    missing = [c for c in REQUIRED_ORDER_COLUMNS if c not in orders.columns]
    if missing:
        raise ValueError(f"orders table lacks required columns {missing}")


def flag_lines(lines: ibis.Table) -> ibis.Table:
    """Add ``is_ret`` (the line is a return) and ``net`` (signed value) to order lines."""
    import ibis

    check_orders(lines)

    missing = {
        name: ibis.null(dtype)
        for name, dtype in _OPTIONAL_ORDER_COLUMNS.items()
        if name not in lines.columns
    }
    if missing:
        lines = lines.mutate(**missing)
    if "is_return" in lines.columns:
        is_ret = ibis.coalesce(lines.is_return, lines.amount < 0, False)
    else:
        is_ret = ibis.coalesce(lines.amount < 0, False)
    amount = lines.amount.cast("float64")
    return lines.mutate(
        is_ret=is_ret,
        net=is_ret.ifelse(-amount.abs(), amount),
    )


def _days_between(later: ir.Value, earlier: ir.Value) -> ir.FloatingValue:
    """Fractional days from ``earlier`` to ``later`` (to the second)."""
    return later.delta(earlier, unit="second") / _SECONDS_PER_DAY


def _rfm_aggregates(lines: ibis.Table) -> dict[str, ir.Value]:
    buy = ~lines.is_ret
    return {
        "first_order_ts": lines.order_ts.min(where=buy),
        "last_order_ts": lines.order_ts.max(where=buy),
        "orders_count": lines.order_id.nunique(where=buy),
        "revenue_total": _money(lines, lines.net.sum()),
    }


def _money(lines: ibis.Table, total: ir.Value) -> ir.Value:
    """A customer's sum of money: 0 when nothing matched, unknown when no line has an amount.

    Basket exports often carry no prices; their customers' spend is unknown, not zero.
    """
    import ibis

    return (lines.net.count() > 0).ifelse(total.coalesce(0.0), ibis.null("float64"))


def rfm_features(orders: ibis.Table, as_of: datetime | date | str) -> ibis.Table:
    """Only the RFM columns, one row per customer with a line before ``as_of``.

    customer_id, first_order_ts, last_order_ts, recency_days, orders_count, revenue_total:
    a single GROUP BY, for when the full feature set is more than needed.
    """
    import ibis

    cut = ibis.literal(as_timestamp(as_of))
    lines = order_lines_before(orders, as_of)
    agg = lines.group_by("customer_id").aggregate(**_rfm_aggregates(lines))
    return agg.mutate(recency_days=_days_between(cut, agg.last_order_ts)).select(
        "customer_id",
        "first_order_ts",
        "last_order_ts",
        "recency_days",
        "orders_count",
        "revenue_total",
    )


def _day_stats(lines: ibis.Table) -> ibis.Table:
    """Per customer: purchase days, and mean / median / std of whole days between them."""
    import ibis

    days = lines.filter(~lines.is_ret).select("customer_id", day=lines.order_ts.date()).distinct()
    previous = days.day.lag().over(ibis.window(group_by="customer_id", order_by="day"))
    gaps = days.mutate(gap=days.day.delta(previous, unit="day").cast("float64"))
    return gaps.group_by("customer_id").aggregate(
        purchase_days=gaps.count(),
        gap_mean_days=gaps.gap.mean(),
        gap_median_days=gaps.gap.median(),
        gap_std_days=gaps.gap.std(how="sample"),
    )


def _periods(as_of: datetime, windows: Iterable[int], trend_days: int) -> dict[str, tuple]:
    """Column stem suffix -> [start, end) of each trailing window and the trend's previous one."""
    out: dict[str, tuple] = {
        f"_{d}d": (as_of - timedelta(days=d), None) for d in sorted({*windows, trend_days})
    }
    out[f"_prev_{trend_days}d"] = (
        as_of - timedelta(days=2 * trend_days),
        as_of - timedelta(days=trend_days),
    )
    return out


def _in_period(ts: ir.TimestampValue, start: datetime, end: datetime | None) -> ir.BooleanValue:
    import ibis

    cond = ts >= ibis.literal(start)
    return cond if end is None else cond & (ts < ibis.literal(end))


def _order_stats(lines: ibis.Table, periods: dict[str, tuple]) -> ibis.Table:
    """Per customer: orders, overall and per period (an order dates from its first purchase line).

    Counting rows of an order-level table is much cheaper than many COUNT(DISTINCT ...).
    """
    buys = lines.filter(~lines.is_ret)
    per_order = buys.group_by(["customer_id", "order_id"]).aggregate(ts=buys.order_ts.min())
    return per_order.group_by("customer_id").aggregate(
        orders_count=per_order.count(),
        **{
            f"orders{suffix}": per_order.count(where=_in_period(per_order.ts, start, end))
            for suffix, (start, end) in periods.items()
        },
    )


def _line_stats(lines: ibis.Table, periods: dict[str, tuple]) -> ibis.Table:
    """Per customer: dates, revenue (overall and per period), basket and variety."""
    buy = ~lines.is_ret
    return lines.group_by("customer_id").aggregate(
        first_order_ts=lines.order_ts.min(where=buy),
        last_order_ts=lines.order_ts.max(where=buy),
        revenue_total=_money(lines, lines.net.sum()),
        gross_revenue=_money(lines, lines.net.sum(where=buy)),
        return_value=_money(lines, (-lines.net).sum(where=lines.is_ret)),
        _purchase_lines=lines.count(where=buy),
        _purchase_units=lines.quantity.cast("float64").sum(where=buy),
        **{
            f"revenue{suffix}": _money(
                lines, lines.net.sum(where=_in_period(lines.order_ts, start, end))
            )
            for suffix, (start, end) in periods.items()
        },
    )


_VARIETY = {
    "distinct_products": "product_id",
    "distinct_categories": "category",
    "distinct_channels": "channel",
}


def _variety_stats(lines: ibis.Table) -> ibis.Table:
    """Per customer: distinct products, categories and channels bought (NULL when none known).

    One DISTINCT over (customer, kind, value) rows is cheaper than three COUNT(DISTINCT).
    """
    import ibis

    buys = lines.filter(~lines.is_ret)
    pairs = ibis.union(
        *(
            buys.select("customer_id", kind=ibis.literal(i), value=buys[col].cast("string"))
            for i, col in enumerate(_VARIETY.values())
        ),
        distinct=False,
    )
    pairs = pairs.filter(pairs.value.notnull()).distinct()
    return pairs.group_by("customer_id").aggregate(
        **{name: pairs.count(where=pairs.kind == i) for i, name in enumerate(_VARIETY)}
    )


def customer_features(
    orders: ibis.Table,
    as_of: datetime | date | str,
    *,
    customers: ibis.Table | None = None,
    windows_days: Iterable[int] = DEFAULT_WINDOWS,
    trend_days: int = DEFAULT_TREND_DAYS,
) -> ibis.Table:
    """One row per customer with at least one order line strictly before ``as_of``.

    Columns are described in :data:`crmine.features.FEATURES` (``describe(name)`` resolves
    window columns such as ``orders_90d``). With ``customers``, its columns other than the
    PII (name, email, phone) are joined by customer_id; a name that clashes with a feature
    gets a ``customer_`` prefix.
    """
    import ibis

    at = as_timestamp(as_of)
    cut = ibis.literal(at)
    windows = tuple(int(d) for d in windows_days)
    if any(d <= 0 for d in (*windows, trend_days)):
        raise ValueError(f"window lengths must be positive days, got {windows}, {trend_days}")
    lines = order_lines_before(orders, at)
    periods = _periods(at, windows, trend_days)
    joined = _line_stats(lines, periods)
    for part in (_order_stats(lines, periods), _day_stats(lines), _variety_stats(lines)):
        joined = joined.left_join(part, "customer_id").drop("customer_id_right")
    zero = {
        c: joined[c].coalesce(0)
        for c in ["orders_count", "purchase_days", *(f"orders{s}" for s in periods)]
    }
    agg = joined.mutate(**zero, **{c: joined[c].nullif(0) for c in _VARIETY})
    orders_n = agg.orders_count.nullif(0)
    recency = _days_between(cut, agg.last_order_ts)
    recent_rev = agg[window_name("revenue", trend_days)]
    prev_rev = agg[window_name("revenue_prev", trend_days)]
    out = agg.mutate(
        recency_days=recency,
        tenure_days=_days_between(cut, agg.first_order_ts),
        return_ratio=(agg.gross_revenue > 0).ifelse(
            agg.return_value / agg.gross_revenue, ibis.null("float64")
        ),
        avg_order_value=agg.revenue_total / orders_n,
        lines_per_order=agg._purchase_lines / orders_n,
        units_per_order=agg._purchase_units / orders_n,
        gap_ratio=(agg.purchase_days >= 2).ifelse(
            recency / agg.gap_mean_days.nullif(0.0), ibis.null("float64")
        ),
        **{
            window_name("orders_change", trend_days): agg[window_name("orders", trend_days)]
            - agg[window_name("orders_prev", trend_days)]
        },
        spend_change_ratio=(prev_rev > 0).ifelse(
            (recent_rev - prev_rev) / prev_rev, ibis.null("float64")
        ),
    )
    out = out.select(_feature_order(windows, trend_days))
    if customers is not None:
        out = attach_customers(out, customers)
    return out


def _feature_order(windows: tuple[int, ...], trend_days: int) -> list[str]:
    cols = [
        "customer_id",
        "first_order_ts",
        "last_order_ts",
        "recency_days",
        "tenure_days",
        "orders_count",
        "purchase_days",
        "revenue_total",
        "gross_revenue",
        "return_value",
        "return_ratio",
        "avg_order_value",
        "gap_mean_days",
        "gap_median_days",
        "gap_std_days",
        "gap_ratio",
    ]
    for days in sorted({*windows, trend_days}):
        cols += [window_name("orders", days), window_name("revenue", days)]
    cols += [
        window_name("orders_prev", trend_days),
        window_name("revenue_prev", trend_days),
        window_name("orders_change", trend_days),
        "spend_change_ratio",
        "lines_per_order",
        "units_per_order",
        "distinct_products",
        "distinct_categories",
        "distinct_channels",
    ]
    return cols


def attach_customers(features: ibis.Table, customers: ibis.Table) -> ibis.Table:
    """Left-join the customers' non-PII attributes onto a per-customer table.

    Expects one row per customer_id in ``customers`` (the clean step merges duplicates).
    Lineage columns (``_source``, ``_source_row``) are not attributes: a model must never
    learn from the row a customer happened to have in a file.
    """
    keep = [c for c in customers.columns if c not in PII_COLUMNS and not c.startswith("_")]
    renames = {f"customer_{c}": c for c in keep if c != "customer_id" and c in features.columns}
    attrs = customers.select(keep).rename(renames)
    joined = features.left_join(attrs, "customer_id")
    return joined.select(*features.columns, *[c for c in attrs.columns if c != "customer_id"])


def known_customers(
    orders: ibis.Table, as_of: datetime | date | str, customers: ibis.Table | None = None
) -> ibis.Table:
    """customer_id of every customer known at ``as_of``.

    The customers table (rows whose signup_date, when present, is before ``as_of``) together
    with every customer that has an order line before ``as_of``.
    """
    import ibis

    at = as_timestamp(as_of)
    ids = order_lines_before(orders, at).select("customer_id").distinct()
    if customers is None:
        return ids
    listed = customers.filter(customers.customer_id.notnull())
    if "signup_date" in customers.columns:
        listed = listed.filter(
            listed.signup_date.isnull() | (listed.signup_date < ibis.literal(at.date()))
        )
    return ibis.union(ids, listed.select(listed.customer_id.cast("string")), distinct=True)


def known_customer_features(
    orders: ibis.Table,
    as_of: datetime | date | str,
    customers: ibis.Table | None = None,
    *,
    windows_days: Iterable[int] = DEFAULT_WINDOWS,
    trend_days: int = DEFAULT_TREND_DAYS,
) -> ibis.Table:
    """Features for every customer known at ``as_of`` (see :func:`known_customers`).

    Customers without any line before ``as_of`` get 0 in the count and sum columns and
    empty values elsewhere (dates, recency, ratios, gaps).
    """
    feats = customer_features(orders, as_of, windows_days=windows_days, trend_days=trend_days)
    ids = known_customers(orders, as_of, customers)
    joined = ids.left_join(feats.mutate(_has_lines=True), "customer_id")
    # only customers without a line get 0: a buyer's unknown spend (no prices) stays unknown
    fills: dict[str, Any] = {
        c: joined._has_lines.isnull().ifelse(0, joined[c])
        for c in feats.columns
        if zero_when_no_purchase(c)
    }
    out = joined.mutate(**fills).select(feats.columns)
    if customers is not None:
        out = attach_customers(out, customers)
    return out


def customer_attributes(customers: ibis.Table) -> ibis.Table:
    """One row per listed customer: its own attributes, without personal data or internals."""
    keep = [c for c in customers.columns if c not in PII_COLUMNS and not c.startswith("_")]
    listed = customers.filter(customers.customer_id.notnull())
    return listed.select(keep).distinct(on="customer_id")

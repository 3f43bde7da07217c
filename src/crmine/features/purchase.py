"""The training frame of the purchase and value models: purchase days, cutoffs, feature rows.

Rolling cutoffs ``as_of − horizon − k·step`` (k = 0 … ``max_cutoffs − 1``, each with at
least ``min_history_days`` of data before it) so every label window ends before as_of; the
newest validates, and the candidates train on the cutoffs whose labels end before it (a
strict time split). Each (cutoff, customer) row holds what was known before the cutoff and
the labels of the horizon after it, from :func:`crmine.features.training_frame`.

Everything here is point-in-time: a row of cutoff C reads only purchase days before C.
"""

from __future__ import annotations

from datetime import datetime, timedelta
from typing import TYPE_CHECKING

import numpy as np

if TYPE_CHECKING:
    import ibis
    import pandas as pd

LABEL_COLUMNS = ("purchased", "orders_in_horizon", "purchase_days_in_horizon", "revenue_in_horizon")
# Never features: keys, labels, raw timestamps (recency/tenure carry them) and the churn label.
NOT_FEATURES = ("customer_id", "cutoff", "first_order_ts", "last_order_ts", "churned",
                *LABEL_COLUMNS)  # fmt: skip


def purchase_occasions(orders: ibis.Table) -> pd.DataFrame:
    """customer_id, day, value: one row per purchase day (returns never count)."""
    from crmine.features.customer import flag_lines

    lines = flag_lines(orders.filter(orders.customer_id.notnull()))
    buys = lines.filter(~lines.is_ret)
    days = buys.group_by(["customer_id", buys.order_ts.date().name("day")]).aggregate(
        value=buys.net.sum()
    )
    frame = days.to_pandas()
    frame["day"] = frame["day"].astype("datetime64[ns]")
    return frame


def customer_margins(orders: ibis.Table) -> pd.DataFrame | None:
    """customer_id, revenue, profit summed over the lines that carry both (``orders`` is
    already cut at as_of); None when the orders have no profit column or no such line."""
    if "profit" not in orders.columns or "amount" not in orders.columns:
        return None
    lines = orders.filter(orders.customer_id.notnull() & orders.profit.notnull()
                          & orders.amount.notnull())  # fmt: skip
    frame = lines.group_by("customer_id").aggregate(
        revenue=lines.amount.sum(), profit=lines.profit.sum()
    ).to_pandas()
    return None if frame.empty else frame


def decayed_activity(
    occasions: pd.DataFrame, cutoffs: list[datetime], half_lives: tuple[int, ...] = (14, 30, 90)
) -> pd.DataFrame:
    """Per (cutoff, customer): purchase days and spend, each weighted by 2^(−age / half-life).

    Recent activity counts more than old: a smoother recency × frequency than fixed windows.
    """
    import pandas as pd

    parts = []
    for cut in cutoffs:  # a handful of cutoffs; the work inside is vectorised
        before = occasions[occasions["day"] < cut]
        age = (cut - before["day"]).dt.total_seconds().to_numpy() / 86_400.0
        cols = {"customer_id": before["customer_id"].to_numpy()}
        for h in half_lives:
            w = np.exp2(-age / h)
            cols[f"decayed_days_{h}d"] = w
            cols[f"decayed_spend_{h}d"] = w * before["value"].to_numpy(float)
        part = pd.DataFrame(cols).groupby("customer_id", sort=False).sum().reset_index()
        parts.append(part.assign(cutoff=pd.Timestamp(cut)))
    out = pd.concat(parts, ignore_index=True)
    out["cutoff"] = out["cutoff"].astype("datetime64[ns]")
    return out


def plan_cutoffs(
    first_day: datetime,
    as_of: datetime,
    horizon_days: int,
    *,
    step_days: int,
    max_cutoffs: int,
    min_history_days: int,
) -> tuple[list[datetime], list[datetime]]:
    """(all training cutoffs, newest first; those whose labels end before the newest).

    The cutoffs are ``step_days`` apart, or wider when the horizon is long: the oldest of
    ``max_cutoffs`` must lie at least one horizon before the newest, or no training cutoff
    would have labels ending before the validation one (with a 180-day horizon, 4 cutoffs
    45 days apart span only 135 days). So the step is at least horizon / (max_cutoffs − 1).
    """
    import math

    if max_cutoffs > 1:
        step_days = max(step_days, math.ceil(horizon_days / (max_cutoffs - 1)))
    latest = as_of - timedelta(days=horizon_days)
    earliest = first_day + timedelta(days=min_history_days)
    every = [latest - timedelta(days=k * step_days) for k in range(max_cutoffs)]
    every = [c for c in every if c >= earliest]
    if not every:
        return [], []
    return every, [c for c in every if c <= every[0] - timedelta(days=horizon_days)]


def order_feature_rows(
    orders: ibis.Table,
    customers: ibis.Table | None,
    cutoffs: list[datetime],
    horizon_days: int,
    as_of: datetime,
    features_now: pd.DataFrame | None = None,
) -> pd.DataFrame:
    """training_frame at the cutoffs and at as_of (reusing ``features_now`` there if it fits).

    At as_of the labels are unknown and set to "no purchase"; the rows are there to be
    scored, never to train on.
    """
    import pandas as pd

    from crmine.features import training_frame

    now = features_now
    frame = training_frame(orders, cutoffs if now is not None else [*cutoffs, as_of],
                           horizon_days, customers)  # fmt: skip
    frame["cutoff"] = frame["cutoff"].astype("datetime64[ns]")
    if now is None:
        return frame
    feats = [c for c in frame.columns if c not in (*LABEL_COLUMNS, "cutoff")]
    if set(feats) - set(now.columns):  # not the same features: compute them here
        rest = training_frame(orders, [as_of], horizon_days, customers)
        rest["cutoff"] = rest["cutoff"].astype("datetime64[ns]")
        return pd.concat([frame, rest], ignore_index=True)
    rows = now.loc[now["orders_count"].fillna(0).to_numpy() > 0, feats]
    rows = rows.assign(purchased=False, orders_in_horizon=0, purchase_days_in_horizon=0,
                       revenue_in_horizon=0.0, cutoff=pd.Timestamp(as_of))  # fmt: skip
    rows = rows.sort_values("customer_id", kind="stable")
    out = pd.concat([frame, rows[frame.columns]], ignore_index=True)
    out["cutoff"] = out["cutoff"].astype("datetime64[ns]")
    return out


def recent_activity(occasions: pd.DataFrame, as_of: datetime, horizon_days: int) -> pd.DataFrame:
    """Per buyer: recency and the last period's purchase days and revenue (the baselines)."""
    import pandas as pd

    last = occasions.groupby("customer_id")["day"].max()
    recent = occasions[occasions["day"] >= as_of - timedelta(days=horizon_days)]
    by = recent.groupby("customer_id")
    base = pd.DataFrame({
        "customer_id": last.index,
        "recency_days": (as_of - last).dt.total_seconds().to_numpy() / 86_400.0,
    })  # fmt: skip
    base["last_period_days"] = base["customer_id"].map(by.size()).fillna(0).to_numpy(float)
    base["last_period_revenue"] = base["customer_id"].map(by["value"].sum()).fillna(0.0)
    return base

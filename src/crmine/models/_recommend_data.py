"""Order lines → the purchase history the recommenders read: non-products, codes, aggregates.

A *purchase* is a line that is not a return, with a customer and a product. One customer
buying one item several times on the same day counts as one purchase day: repeat purchases
are measured in days, not lines, so a basket that lists an item twice is not a repurchase.
"""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass
from typing import TYPE_CHECKING

import numpy as np

from crmine.quality.products import detect_non_products  # noqa: F401 - data.detect_non_products

if TYPE_CHECKING:
    import pandas as pd
    import scipy.sparse as sp

_SECONDS_PER_DAY = 86_400.0
@dataclass
class History:
    """Purchase history before ``as_of`` on integer codes.

    ``users`` / ``items``: the ids behind row / column codes. The sparse matrices share one
    pattern (customer × item pairs ever bought): ``days`` purchase days, ``last_age`` /
    ``first_age`` days from the last / first of them to ``as_of``, ``decayed`` purchase days
    weighted by recency. ``baskets``: basket codes with user, item, age (for rules and recent
    baskets). ``item_age_buyers``: per (item, user) the age of every purchase day, long form.
    """

    users: pd.Index
    items: pd.Index
    days: sp.csr_matrix
    last_age: sp.csr_matrix
    first_age: sp.csr_matrix
    decayed: sp.csr_matrix
    user_orders: np.ndarray
    user_recency: np.ndarray
    day_user: np.ndarray
    day_item: np.ndarray
    day_age: np.ndarray
    basket_user: np.ndarray
    basket_item: np.ndarray
    basket_code: np.ndarray
    basket_age: np.ndarray

    @property
    def n_users(self) -> int:
        return len(self.users)

    @property
    def n_items(self) -> int:
        return len(self.items)


def purchase_mask(lines: pd.DataFrame, as_of, exclude: Iterable[str] = ()) -> pd.Series:
    """Which lines are purchases strictly before ``as_of``: no return, customer and product known."""
    import pandas as pd

    ts = pd.to_datetime(lines["order_ts"])
    keep = (ts < as_of) & lines["customer_id"].notna() & lines["product_id"].notna()
    if "is_return" in lines:
        ret = lines["is_return"].astype("boolean")
        if "amount" in lines:
            ret = ret.fillna(pd.to_numeric(lines["amount"], errors="coerce") < 0)
        keep &= ~ret.fillna(False).astype(bool)
    if "quantity" in lines:
        keep &= ~(pd.to_numeric(lines["quantity"], errors="coerce") <= 0).fillna(False)
    excluded = set(exclude)
    if excluded:
        keep &= ~lines["product_id"].astype("string").isin(excluded)
    return keep


def purchases(
    lines: pd.DataFrame, as_of: pd.Timestamp, exclude: Iterable[str] = ()
) -> pd.DataFrame:
    """Purchase lines strictly before ``as_of`` (no returns, customer and product known)."""
    import pandas as pd

    ts = pd.to_datetime(lines["order_ts"])
    keep = purchase_mask(lines, as_of, map(str, exclude))
    out = pd.DataFrame(
        {
            "customer_id": lines["customer_id"].astype("string"),
            "order_id": lines["order_id"].astype("string")
            if "order_id" in lines
            else lines["customer_id"].astype("string") + "|" + ts.astype("string"),
            "order_ts": ts,
            "product_id": lines["product_id"].astype("string"),
        }
    )[keep.to_numpy()]
    return out.reset_index(drop=True)


def build_history(buys: pd.DataFrame, as_of: pd.Timestamp, half_life_days: float) -> History:
    """Aggregate purchase lines into :class:`History` (vectorised; no loop over customers)."""
    import pandas as pd
    import scipy.sparse as sp

    users = pd.Index(np.sort(buys["customer_id"].unique()), dtype="string")
    items = pd.Index(np.sort(buys["product_id"].unique()), dtype="string")
    u = users.get_indexer(buys["customer_id"])
    i = items.get_indexer(buys["product_id"])
    age = (as_of - buys["order_ts"]).dt.total_seconds().to_numpy() / _SECONDS_PER_DAY
    day = np.floor(age).astype(np.int64)
    frame = pd.DataFrame({"u": u, "i": i, "day": day, "age": age})
    per_day = frame.groupby(["u", "i", "day"], sort=False)["age"].min().reset_index()
    pair = per_day.groupby(["u", "i"], sort=True)["age"].agg(["size", "min", "max"])
    weight = np.exp2(-per_day["age"].to_numpy() / half_life_days)
    decayed = per_day.assign(w=weight).groupby(["u", "i"], sort=True)["w"].sum()
    pu = pair.index.get_level_values(0).to_numpy()
    pi = pair.index.get_level_values(1).to_numpy()
    shape = (len(users), len(items))

    def mat(values: np.ndarray) -> sp.csr_matrix:
        return sp.csr_matrix((values.astype(np.float64), (pu, pi)), shape=shape)

    baskets = pd.DataFrame({"u": u, "i": i, "b": pd.factorize(buys["order_id"])[0], "age": age})
    baskets = baskets.drop_duplicates(["b", "i"])
    orders = baskets.drop_duplicates("b")
    user_orders = np.bincount(orders["u"], minlength=len(users)).astype(np.float64)
    user_recency = np.full(len(users), np.inf)
    np.minimum.at(user_recency, u, age)
    return History(
        users=users,
        items=items,
        days=mat(pair["size"].to_numpy()),
        last_age=mat(pair["min"].to_numpy() + 1e-9),  # +ε keeps a zero age in the pattern
        first_age=mat(pair["max"].to_numpy() + 1e-9),
        decayed=mat(decayed.to_numpy()),
        user_orders=user_orders,
        user_recency=user_recency,
        day_user=per_day["u"].to_numpy(),
        day_item=per_day["i"].to_numpy(),
        day_age=per_day["age"].to_numpy(),
        basket_user=baskets["u"].to_numpy(),
        basket_item=baskets["i"].to_numpy(),
        basket_code=baskets["b"].to_numpy(),
        basket_age=baskets["age"].to_numpy(),
    )

"""Order lines → the purchase history the recommenders read: non-products, codes, aggregates.

A *purchase* is a line that is not a return, with a customer and a product. One customer
buying one item several times on the same day counts as one purchase day: repeat purchases
are measured in days, not lines, so a basket that lists an item twice is not a repurchase.
"""

from __future__ import annotations

import re
from collections.abc import Iterable
from dataclasses import dataclass
from typing import TYPE_CHECKING

import numpy as np

if TYPE_CHECKING:
    import pandas as pd
    import scipy.sparse as sp

_SECONDS_PER_DAY = 86_400.0
# Words that mark a line as a service, fee or book-keeping entry rather than goods.
NON_PRODUCT_WORDS = (
    "postage", "carriage", "shipping", "delivery charge", "fee", "fees", "charge", "charges",
    "manual", "adjust", "adjustment", "discount", "sample", "samples", "voucher", "commission",
    "bank charges", "bad debt", "coupon", "邮费", "运费", "折扣", "手续费",
)
_ALT = "|".join(map(re.escape, NON_PRODUCT_WORDS))
# The word must open or close the name ("POSTAGE", "Next Day Carriage", "Adjust bad debt"), so
# goods named after it ("FRENCH CARRIAGE LANTERN") stay products.
_WORDS = re.compile(rf"^\W*(?:{_ALT})(?![a-z])|(?<![a-z])(?:{_ALT})[\W\d]*$")
_RUN = re.compile(r"(\d+)|([A-Za-z]+)|(.)")


def code_shape(code: str) -> str:
    """The shape of a code's first run: ``85123A`` → ``9x5``, ``POST`` → ``Ax4``."""
    m = _RUN.match(code)
    if m is None:
        return ""
    if m.group(1):
        return f"9x{len(m.group(1))}"
    if m.group(2):
        return f"Ax{len(m.group(2))}"
    return m.group(3)


def detect_non_products(
    product_ids: pd.Series,
    product_names: pd.Series | None = None,
    unit_prices: pd.Series | None = None,
    *,
    dominant_share: float = 0.5,
    rare_share: float = 0.01,
) -> set[str]:
    """Product ids that look like postage, fees, adjustments or samples rather than goods.

    Three signals, any one suffices:

    - the code's shape (first run of digits or letters and its length) is rare (< ``rare_share``
      of distinct codes) while one shape dominates (≥ ``dominant_share``), e.g. ``POST`` or
      ``BANK CHARGES`` among five-digit stock codes; catalogues of free-text ids have no dominant
      shape, so nothing is flagged by shape there;
    - the description contains a word such as postage, fee, charge, manual, adjust, discount,
      sample (:data:`NON_PRODUCT_WORDS`);
    - every priced line of the product has a price of zero or less.
    """
    import pandas as pd

    ids = product_ids.astype("string")
    codes = pd.Series(ids.dropna().unique())
    flagged: set[str] = set()
    if len(codes):
        shapes = codes.map(code_shape)
        share = shapes.map(shapes.value_counts(normalize=True))
        if share.max() >= dominant_share:
            flagged |= set(codes[share < rare_share])
    if product_names is not None:
        names = pd.DataFrame({"id": ids, "name": product_names.astype("string")}).dropna()
        names = names.drop_duplicates()
        hit = names["name"].str.lower().str.contains(_WORDS)
        flagged |= set(names.loc[hit.fillna(False).astype(bool), "id"])
    if unit_prices is not None:
        price = pd.DataFrame({"id": ids, "price": pd.to_numeric(unit_prices, errors="coerce")})
        best = price.dropna().groupby("id")["price"].max()
        flagged |= set(best.index[best <= 0])
    return {str(c) for c in flagged}


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

"""The catalogue: products in categories, consumables with a repurchase cycle, and bundles."""

from __future__ import annotations

import numpy as np
import pandas as pd

from crmine.demo import _vocab as V
from crmine.demo._params import DemoParams

POSTAGE_CODE = "POST"
DISCOUNT_CODE = "DISCOUNT"
NON_PRODUCT_CODES = (POSTAGE_CODE, DISCOUNT_CODE)
CYCLE_PRODUCTS_PER_CATEGORY = 3


def categories_frame() -> pd.DataFrame:
    return pd.DataFrame(
        [(c[0], c[1], c[3]) for c in V.CATEGORIES],
        columns=["category", "category_zh", "cycle_days"],
    )


def make_products(rng: np.random.Generator, params: DemoParams) -> pd.DataFrame:
    """Products spread evenly over the categories, named brand + item (English and Chinese).

    Prices are log-normal around the category median (sd 0.5 in logs), ending in .90 or .00;
    cost is 40-70% of price. Popularity within a category is Zipf-like (1/rank). In each
    consumable category the three most popular products are re-bought on the category cycle.
    """
    n_cat = len(V.CATEGORIES)
    n = max(params.n_products, n_cat)
    per_cat = np.full(n_cat, n // n_cat)
    per_cat[: n % n_cat] += 1
    rows = []
    for ci, (cat, cat_zh, median, cycle, items) in enumerate(V.CATEGORIES):
        k = int(per_cat[ci])
        combos = rng.choice(len(items) * len(V.BRANDS), size=k, replace=False)
        item, brand = combos // len(V.BRANDS), combos % len(V.BRANDS)
        it_en, it_zh = (np.array(x) for x in zip(*items, strict=True))
        br_en, br_zh = (np.array(x) for x in zip(*V.BRANDS, strict=True))
        price = median * np.exp(rng.normal(0, 0.5, k))
        price = np.floor(price) + np.where(rng.random(k) < 0.6, 0.9, 0.0)
        rank = rng.permutation(k)
        rows.append(pd.DataFrame({
            "name": pd.Series(br_en[brand]) + " " + it_en[item],
            "name_zh": pd.Series(br_zh[brand]) + it_zh[item],
            "category": cat,
            "category_zh": cat_zh,
            "brand": br_en[brand],
            "price": np.round(price, 2),
            "cost": np.round(price * rng.uniform(0.4, 0.7, k), 2),
            "popularity": 1.0 / (rank + 1),
            "rank": rank,
            "cycle_days": np.where(rank < CYCLE_PRODUCTS_PER_CATEGORY, cycle, 0),
            "cat_idx": ci,
        }))
    products = pd.concat(rows, ignore_index=True)
    codes = rng.choice(90_000, size=len(products), replace=False) + 10_000
    products.insert(0, "product_id", pd.Series(codes).astype(str))
    return products


def make_bundles(rng: np.random.Generator, products: pd.DataFrame, params: DemoParams) -> pd.DataFrame:
    """Disjoint groups of 2 or 3 products (alternating) bought together with a known chance.

    Bundle members are drawn from products outside the five most popular of their category
    (and not re-bought on a cycle), so that their co-occurrence stands out (high lift).
    """
    pool = np.flatnonzero((products["cycle_days"].to_numpy() == 0)
                          & (products["rank"].to_numpy() >= 5))
    sizes = np.where(np.arange(params.n_bundles) % 2 == 0, 2, 3)
    chosen = rng.choice(pool, size=int(sizes.sum()), replace=False)
    members = np.split(chosen, np.cumsum(sizes)[:-1])
    ids = products["product_id"].to_numpy()
    return pd.DataFrame({
        "bundle_id": np.arange(params.n_bundles),
        "product_ids": [tuple(ids[m]) for m in members],
        "rows": members,
        "prob": params.bundle_prob / max(params.n_bundles, 1),
    })

"""Ranking metrics@k of recommendation lists against what customers then bought."""

from __future__ import annotations

from typing import TYPE_CHECKING

import numpy as np

if TYPE_CHECKING:
    import pandas as pd

METRICS: dict[str, str] = {
    "precision": "share of the k recommended products the customer actually bought",
    "recall": "share of the products the customer bought that were among the k recommended",
    "ndcg": "like recall, but a hit counts more the higher it is ranked (1 = hits on top)",
    "map": "average precision at each hit, so lists with hits near the top score higher",
    "hit_rate": "share of customers who bought at least one recommended product",
    "coverage": "share of the catalogue that appears in at least one customer's list",
}


def ranking_metrics(
    recs: pd.DataFrame, truth: pd.DataFrame, k: int, n_items: int
) -> dict[str, float]:
    """Metrics@k of ``recs`` (customer_id, rank, product_id) against ``truth``.

    ``truth``: customer_id, product_id (duplicates ignored); the customers evaluated are those
    in ``truth``, a customer without recommendations scores zero. ``n_items``: catalogue size.
    """
    import pandas as pd

    truth = truth[["customer_id", "product_id"]].drop_duplicates()
    n_true = truth.groupby("customer_id").size()
    customers = n_true.index
    if customers.empty:
        return dict.fromkeys(METRICS, float("nan"))
    top = recs[(recs["rank"] <= k) & recs["customer_id"].isin(customers)]
    hits = top.merge(truth.assign(hit=True), on=["customer_id", "product_id"], how="left")
    hits["hit"] = hits["hit"].astype("boolean").fillna(False).astype(bool)
    hits = hits.sort_values(["customer_id", "rank"])
    hits["cum"] = hits.groupby("customer_id")["hit"].cumsum()
    gain = hits["hit"] / np.log2(hits["rank"] + 1.0)
    per = pd.DataFrame(
        {
            "hits": hits.groupby("customer_id")["hit"].sum(),
            "dcg": gain.groupby(hits["customer_id"]).sum(),
            "ap": (hits["hit"] * hits["cum"] / hits["rank"]).groupby(hits["customer_id"]).sum(),
        }
    ).reindex(customers, fill_value=0.0)
    ideal_n = np.minimum(n_true.to_numpy(), k)
    discounts = np.cumsum(1.0 / np.log2(np.arange(2, k + 2)))
    idcg = discounts[ideal_n - 1]
    return {
        "precision": float((per["hits"] / k).mean()),
        "recall": float((per["hits"] / n_true).mean()),
        "ndcg": float((per["dcg"] / idcg).mean()),
        "map": float((per["ap"] / ideal_n).mean()),
        "hit_rate": float((per["hits"] > 0).mean()),
        "coverage": float(top["product_id"].nunique() / max(n_items, 1)),
    }

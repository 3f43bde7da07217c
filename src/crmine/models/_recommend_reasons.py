"""One plain-words line per recommendation, from the source that contributed most.

Built with column operations on the output rows (k per customer), never per row in Python.
"""

from __future__ import annotations

from typing import TYPE_CHECKING

import numpy as np

from crmine.models._recommend_sources import _cells

if TYPE_CHECKING:
    import pandas as pd

    from crmine.models.recommend import NextProductRecommender


def reasons(
    model: NextProductRecommender,
    out: pd.DataFrame,
    group_values: np.ndarray | None,
    ids: pd.Index,
) -> pd.Series:
    import pandas as pd

    text = pd.Series("", index=out.index, dtype="string")
    src = out["source"].to_numpy()
    for source, fn in _BUILDERS.items():
        sel = np.flatnonzero(src == source)
        if sel.size:
            part = out.iloc[sel]
            text.iloc[sel] = fn(model, part, group_values, ids).to_numpy()
    return text


def _int(values: np.ndarray) -> pd.Series:
    import pandas as pd

    return pd.Series(np.rint(np.nan_to_num(values)).astype(np.int64)).astype("string")


def _pct(values: np.ndarray) -> pd.Series:
    import pandas as pd

    return pd.Series(np.rint(100 * np.nan_to_num(values)).astype(np.int64)).astype("string") + " %"


def _name(model: NextProductRecommender, items: np.ndarray) -> pd.Series:
    import pandas as pd

    ids = model.history_.items[items]
    names = model.product_names_.reindex(ids).to_numpy()
    return pd.Series(np.where(pd.isna(names), np.asarray(ids, dtype=object), names)).astype(
        "string"
    )


def _repurchase(model, part, group_values, ids) -> pd.Series:
    src = model.sources_
    rows, items = part["row"].to_numpy(), part["item"].to_numpy()
    days = _cells(src.history.days, rows, items)
    last = _cells(src.history.last_age, rows, items)
    gap = _cells(src.cell_gap, rows, items)
    again = (
        "you buy this about every " + _int(gap) + " days; last bought " + _int(last) + " days ago"
    )
    once = (
        "you bought this "
        + _int(last)
        + " days ago; "
        + _pct(src.item_rebuy[items])
        + " of its buyers buy it again"
    )
    return again.where(days >= 2, once)


def _best_partner(model, part, matrix_rows, pair_matrix) -> tuple[np.ndarray, np.ndarray]:
    """Per output row: the customer's item j maximising pair_matrix[j, item], and that value."""
    import pandas as pd

    rows, items = part["row"].to_numpy(), part["item"].to_numpy()
    sub = matrix_rows[rows].tocsr()
    counts = np.diff(sub.indptr)
    cell = np.repeat(np.arange(rows.size), counts)
    partner = sub.indices
    value = _cells(pair_matrix, partner, items[cell])
    best_item = np.full(rows.size, -1)
    best_value = np.zeros(rows.size)
    if value.size:
        frame = pd.DataFrame({"cell": cell, "partner": partner, "value": value})
        frame = frame[frame["value"] > 0]
        top = frame.loc[frame.groupby("cell")["value"].idxmax()] if len(frame) else frame
        best_item[top["cell"].to_numpy()] = top["partner"].to_numpy()
        best_value[top["cell"].to_numpy()] = top["value"].to_numpy()
    return best_item, best_value


def _rules(model, part, group_values, ids) -> pd.Series:
    src = model.sources_
    partner, conf = _best_partner(model, part, src.recent, src.rule_conf)
    text = (
        "bought with "
        + _name(model, np.maximum(partner, 0))
        + " by "
        + _pct(conf)
        + " of its buyers"
    )
    return text.where(partner >= 0, "often bought with what you bought recently")


def _items(model, part, group_values, ids) -> pd.Series:
    src = model.sources_
    if src.similarity is None:
        import pandas as pd

        return pd.Series("often bought by the buyers of what you buy", index=range(len(part)),
                         dtype="string")
    partner, _ = _best_partner(model, part, src.history.days, src.similarity)
    text = "often bought by the buyers of " + _name(model, np.maximum(partner, 0))
    return text.where(partner >= 0, "often bought by the buyers of what you buy")


def _ease(model, part, group_values, ids) -> pd.Series:
    """Name the customer's item that adds most to the EASE score (weight × its own)."""
    import pandas as pd

    src = model.sources_
    generic = "often bought by the buyers of what you buy"
    if src.ease_weights is None:
        return pd.Series(generic, index=range(len(part)), dtype="string")
    local = np.full(src.history.n_items, -1)
    local[src.ease_items] = np.arange(src.ease_items.size)
    rows, items = part["row"].to_numpy(), part["item"].to_numpy()
    sub = src.history.decayed[rows].tocsr()
    cell = np.repeat(np.arange(rows.size), np.diff(sub.indptr))
    j, c = local[sub.indices], local[items[cell]]
    ok = (j >= 0) & (c >= 0)
    value = np.zeros(cell.size)
    value[ok] = sub.data[ok] * src.ease_weights[j[ok], c[ok]]
    frame = pd.DataFrame({"cell": cell, "partner": sub.indices, "value": value})
    frame = frame[frame["value"] > 0]
    partner = np.full(rows.size, -1)
    if len(frame):
        top = frame.loc[frame.groupby("cell")["value"].idxmax()]
        partner[top["cell"].to_numpy()] = top["partner"].to_numpy()
    text = "often bought by the buyers of " + _name(model, np.maximum(partner, 0))
    return text.where(partner >= 0, generic)


def _als(model, part, group_values, ids) -> pd.Series:
    import pandas as pd

    return pd.Series("customers like you bought it", index=range(len(part)), dtype="string")


def _popular(model, part, group_values, ids) -> pd.Series:
    import pandas as pd

    src = model.sources_
    rows = part["row"].to_numpy()
    given = None
    if group_values is not None:
        position = ids.get_indexer(part["customer_id"])
        given = group_values[position]
    g = src.group_of(rows, given)
    names = np.asarray(src.group_names, dtype=object)
    label = pd.Series(np.where(g >= 0, names[np.maximum(g, 0)] if names.size else "", ""))
    text = "popular with customers in " + label.astype("string")
    return text.where(g >= 0, "popular with customers right now")


_BUILDERS = {
    "again": _repurchase,
    "cycle": _repurchase,
    "rules": _rules,
    "items": _items,
    "als": _als,
    "ease": _ease,
    "popular": _popular,
}

"""Orders and order lines: a seasonal BG/NBD purchase process, baskets, returns.

Time runs in days since the start of the window (floats); timestamps are whole minutes.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np
import pandas as pd
import pyarrow as pa

from crmine.demo._catalog import DISCOUNT_CODE, POSTAGE_CODE
from crmine.demo._formats import join, series, text
from crmine.demo._params import DemoParams

MIN_PER_DAY = 1440


@dataclass
class Purchases:
    lines: pd.DataFrame  # clean truth lines (customer_id = real person)
    first_order_min: np.ndarray  # per customer, minutes since start (nan = never bought)
    n_repeat: np.ndarray
    dropout_min: np.ndarray  # nan = no drop-out inside the window
    cycle_product: np.ndarray  # product row index, -1 = none


def day_weights(start: pd.Timestamp, n_days: int, params: DemoParams) -> np.ndarray:
    """Relative purchase intensity of each day: ``peak_factor`` in peak months, else 1."""
    months = (start + pd.to_timedelta(np.arange(n_days), unit="D")).month.to_numpy()
    return np.where(np.isin(months, params.peak_months), params.peak_factor, 1.0)


def _time_of_day(rng: np.random.Generator, n: int) -> np.ndarray:
    """Minutes after midnight, busiest in the evening (normal around 15:00, sd 4 h)."""
    return np.clip(rng.normal(15 * 60, 4 * 60, n), 0, MIN_PER_DAY - 1).astype(np.int64)


def _bgnbd_times(rng, cust, n_days, weights):
    """Trial and repeat purchase minutes per customer, BG/NBD with seasonal time change.

    Repeat purchases are Poisson(λ) in "operational time" Λ(t) = ∫ weight; after each repeat
    purchase the customer drops out with probability p (J ~ Geometric(p) repeats in all).
    """
    n = len(cust)
    grid = np.arange(n_days + 1, dtype=float)
    op_end = np.concatenate([[0.0], np.cumsum(weights)])
    buyer = ~cust["never_buy"].to_numpy()
    signup_min = cust["signup_min"].to_numpy()
    trial_min = signup_min + rng.integers(10, 2 * MIN_PER_DAY, n)
    t0 = trial_min / MIN_PER_DAY
    op0 = np.interp(t0, grid, op_end)
    horizon = np.where(buyer, op_end[-1] - op0, 0.0)
    n_events = rng.poisson(cust["lam"].to_numpy() * horizon)
    j = rng.geometric(cust["p"].to_numpy())
    k = np.minimum(n_events, j)
    dropped = buyer & (j <= n_events)

    owner = np.repeat(np.arange(n), n_events)
    u = op0[owner] + rng.random(len(owner)) * horizon[owner]
    order = np.lexsort((u, owner))
    owner, u = owner[order], u[order]
    group_start = np.concatenate([[0], np.cumsum(n_events)[:-1]])
    rank = np.arange(len(owner)) - group_start[owner]
    keep = rank < k[owner]
    owner, u = owner[keep], u[keep]
    day = np.floor(np.interp(u, op_end, grid)).clip(0, n_days - 1)
    rep_min = day.astype(np.int64) * MIN_PER_DAY + _time_of_day(rng, len(owner))
    rep_min = np.maximum(rep_min, trial_min[owner] + 1)
    rep_min = np.minimum(rep_min, n_days * MIN_PER_DAY - 1)

    dropout = np.full(n, np.nan)
    if len(owner):
        last = np.zeros(n, dtype=np.int64)
        np.maximum.at(last, owner, rep_min)
        dropout[dropped] = last[dropped]
    first = np.where(buyer, trial_min, np.nan)
    owners = np.concatenate([np.flatnonzero(buyer), owner])
    minutes = np.concatenate([trial_min[buyer], rep_min])
    return owners, minutes, first, k * buyer, dropout


def _cycle_times(rng, cust, products, first, dropout, n_days, params):
    """Re-purchases of one consumable every ~cycle days until drop-out or the window's end."""
    n = len(cust)
    cyc_rows = np.flatnonzero(products["cycle_days"].to_numpy() > 0)
    has = ~np.isnan(first) & (rng.random(n) < params.cycle_share) & (len(cyc_rows) > 0)
    prod = np.full(n, -1)
    if not has.any():
        return np.array([], int), np.array([], np.int64), prod
    pop = products["popularity"].to_numpy()[cyc_rows]
    prod[has] = cyc_rows[rng.choice(len(cyc_rows), size=int(has.sum()), p=pop / pop.sum())]
    cycle = np.zeros(n)
    cycle[has] = products["cycle_days"].to_numpy()[prod[has]] * MIN_PER_DAY
    stop = np.where(np.isnan(dropout), n_days * MIN_PER_DAY, dropout)
    n_cyc = np.zeros(n, dtype=np.int64)
    n_cyc[has] = np.floor((stop[has] - first[has]) / cycle[has]).astype(np.int64)
    owner = np.repeat(np.arange(n), n_cyc)
    kth = np.arange(len(owner)) - np.concatenate([[0], np.cumsum(n_cyc)[:-1]])[owner] + 1
    jitter = rng.normal(0, params.cycle_jitter, len(owner)) * cycle[owner]
    minutes = (first[owner] + kth * cycle[owner] + jitter).astype(np.int64)
    ok = minutes < np.minimum(stop[owner], n_days * MIN_PER_DAY - 1)
    return owner[ok], minutes[ok], prod


def simulate(
    rng: np.random.Generator,
    cust: pd.DataFrame,
    products: pd.DataFrame,
    bundles: pd.DataFrame,
    start: pd.Timestamp,
    n_days: int,
    params: DemoParams,
    guests: bool,
) -> Purchases:
    """All order lines of the window (clean), returns included, in time order.

    ``cust`` needs idx, customer_id, country, signup_min, lam, p, satisfaction, never_buy.
    """
    n = len(cust)
    weights = day_weights(start, n_days, params)
    owners, minutes, first_min, n_rep, dropout = _bgnbd_times(rng, cust, n_days, weights)
    c_own, c_min, cyc_prod = _cycle_times(rng, cust, products, first_min, dropout, n_days,
                                          params)

    n_guest = round(params.guest_order_share * len(owners)) if guests else 0
    op_end = np.concatenate([[0.0], np.cumsum(weights)])
    g_day = np.floor(np.interp(rng.random(n_guest) * op_end[-1], op_end,
                               np.arange(n_days + 1.0))).clip(0, n_days - 1)
    g_min = g_day.astype(np.int64) * MIN_PER_DAY + _time_of_day(rng, n_guest)

    o_cust = np.concatenate([owners, c_own, np.full(n_guest, -1)])
    o_min = np.concatenate([minutes, c_min, g_min]).astype(np.int64)
    o_src = np.repeat(np.array(["bgnbd", "cycle", "guest"]), [len(owners), len(c_own), n_guest])
    is_trial = np.zeros(len(o_cust), bool)
    is_trial[: int((~np.isnan(first_min)).sum())] = True

    countries = cust["country"].to_numpy()
    guest_country = countries[rng.integers(n, size=n_guest)] if n else np.array([], object)
    o_country = np.concatenate([countries[o_cust[: len(o_cust) - n_guest]], guest_country])

    lines = _baskets(rng, cust, products, bundles, o_cust, o_src, is_trial, cyc_prod, params)
    lines = _price_lines(rng, lines, products, o_cust, o_country, params)
    lines = _returns(rng, lines, cust, o_cust, o_min, n_days, len(products), params)

    # Order numbers follow time, like an invoice counter.
    n_orders = len(o_cust)
    by_time = np.lexsort((np.arange(n_orders), o_min))
    number = np.empty(n_orders, dtype=np.int64)
    number[by_time] = 500_001 + np.arange(n_orders)
    o = lines["order"].to_numpy()
    ret = lines["is_return"].to_numpy()
    line_min = np.where(ret, lines["return_min"].to_numpy(), o_min[o]).astype(np.int64)
    num = number[o]
    srt = np.lexsort((np.arange(len(o)), ret, num, line_min))
    o, ret, line_min, num = o[srt], ret[srt], line_min[srt], num[srt]
    prod = lines["prod"].to_numpy()[srt]
    qty = lines["quantity"].to_numpy()[srt]
    price = lines["unit_price"].to_numpy()[srt]
    key = num * 2 + ret
    first = np.r_[True, key[1:] != key[:-1]] if len(key) else np.zeros(0, bool)
    line_no = np.arange(len(key)) - np.flatnonzero(first)[np.cumsum(first) - 1]

    oc = o_cust[o]
    ids = text(cust["customer_id"]).take(pa.array(np.maximum(oc, 0), mask=oc < 0))
    names = pa.concat_arrays([text(products["name"]), text(["POSTAGE", "Discount"])])
    codes = pa.concat_arrays([text(products["product_id"]), text([POSTAGE_CODE, DISCOUNT_CODE])])
    cats = pa.concat_arrays([text(products["category"]), pa.nulls(2, pa.large_string())])
    take = pa.array(prod)
    out = pd.DataFrame({
        "order_id": series(join(np.where(ret, "C", ""), num)),
        "customer_id": series(ids),
        "order_ts": start + pd.to_timedelta(line_min, unit="min"),
        "product_id": series(codes.take(take)),
        "product_name": series(names.take(take)),
        "category": series(cats.take(take)),
        "quantity": qty,
        "unit_price": price,
        "amount": np.round(qty * price, 2),
        "currency": "CNY",
        "country": series(text(o_country).take(pa.array(o))),
        "is_return": ret,
        "source": np.where(ret, "return", o_src[o]),
        "line_no": line_no,
        "_cust": oc,
    })
    return Purchases(out, first_min, n_rep.astype(np.int64), dropout, cyc_prod)


def _baskets(rng, cust, products, bundles, o_cust, o_src, is_trial, cyc_prod, params):
    """Product rows for each order: taste-driven lines, bundles, and the consumable cycle."""
    n_orders = len(o_cust)
    n_cat = int(products["cat_idx"].max()) + 1
    n = len(cust)
    taste = rng.dirichlet(np.full(n_cat, params.category_concentration), size=max(n, 1))
    cum = np.cumsum(taste, axis=1)
    cum_guest = np.cumsum(np.full(n_cat, 1.0 / n_cat))

    free = o_src != "cycle"
    n_lines = np.where(free, 1 + rng.poisson(params.extra_lines_mean, n_orders), 0)
    l_order = np.repeat(np.arange(n_orders), n_lines)
    l_cust = o_cust[l_order]
    u = rng.random(len(l_order))
    cum_rows = np.where(l_cust[:, None] >= 0, cum[np.maximum(l_cust, 0)], cum_guest)
    l_cat = np.minimum((u[:, None] > cum_rows).sum(axis=1), n_cat - 1)
    l_prod = np.empty(len(l_order), dtype=np.int64)
    cat_of = products["cat_idx"].to_numpy()
    pop = products["popularity"].to_numpy()
    for c in range(n_cat):
        rows = np.flatnonzero(cat_of == c)
        m = l_cat == c
        l_prod[m] = rows[rng.choice(len(rows), size=int(m.sum()), p=pop[rows] / pop[rows].sum())]

    parts_o, parts_p = [l_order], [l_prod]
    if len(bundles):
        with_b = np.flatnonzero(free & (rng.random(n_orders) < params.bundle_prob))
        which = rng.integers(len(bundles), size=len(with_b))
        for b, members in enumerate(bundles["rows"]):
            ords = with_b[which == b]
            parts_o.append(np.repeat(ords, len(members)))
            parts_p.append(np.tile(np.asarray(members), len(ords)))
    cyc_orders = np.flatnonzero((o_src == "cycle") | (is_trial & (o_cust >= 0)))
    cyc_orders = cyc_orders[cyc_prod[o_cust[cyc_orders]] >= 0]
    parts_o.append(cyc_orders)
    parts_p.append(cyc_prod[o_cust[cyc_orders]])
    df = pd.DataFrame({"order": np.concatenate(parts_o), "prod": np.concatenate(parts_p)})
    # One line per product within an order, as exports usually have.
    df = df.drop_duplicates().sort_values(["order"], kind="stable").reset_index(drop=True)
    return df


def _price_lines(rng, lines, products, o_cust, o_country, params):
    """Quantities and prices of product lines, plus POST and DISCOUNT lines.

    ``prod`` indexes the products, then POST (= n_products) and DISCOUNT (= n_products + 1).
    """
    m = len(lines)
    prod = lines["prod"].to_numpy()
    qty = np.minimum(rng.geometric(0.65, m), 12).astype(float)
    promo = rng.random(m) < params.promo_share
    factor = np.where(promo, np.where(rng.random(m) < 0.5, 0.8, 0.9), 1.0)
    price = np.round(products["price"].to_numpy()[prod] * factor, 2)
    order = lines["order"].to_numpy()
    n_orders = len(o_cust)
    goods = np.bincount(order, weights=qty * price, minlength=n_orders)
    has_lines = np.bincount(order, minlength=n_orders) > 0
    post = np.flatnonzero(has_lines & (o_country != "China"))
    disc = np.flatnonzero(has_lines & (rng.random(n_orders) < params.discount_share))
    n_prod = len(products)
    out = pd.DataFrame({
        "order": np.concatenate([order, post, disc]),
        "prod": np.concatenate([prod, np.full(len(post), n_prod), np.full(len(disc), n_prod + 1)]),
        "quantity": np.concatenate([qty, np.ones(len(post) + len(disc))]),
        "unit_price": np.concatenate([price, np.full(len(post), params.postage_price),
                                      -np.round(0.1 * goods[disc], 2)]),
    })
    return out.sort_values("order", kind="stable").reset_index(drop=True)


def _returns(rng, lines, cust, o_cust, o_min, n_days, n_products, params):
    """Return some product lines 3-30 days later (unhappy customers return more)."""
    sat = cust["satisfaction"].to_numpy()
    oc = o_cust[lines["order"].to_numpy()]
    s = np.where(oc >= 0, sat[np.maximum(oc, 0)], 0.0)
    is_prod = lines["prod"].to_numpy() < n_products
    prob = np.clip(params.return_share * np.exp(-0.6 * s), 0, 0.5)
    pick = is_prod & (rng.random(len(lines)) < prob)
    delay = rng.integers(3, 31, len(o_min)) * MIN_PER_DAY  # one return date per order
    when = (o_min + delay)[lines["order"].to_numpy()]
    pick &= when < n_days * MIN_PER_DAY
    ret = lines[pick].copy()
    ret["quantity"] = -ret["quantity"]
    ret["return_min"] = when[pick]
    ret["is_return"] = True
    lines = lines.assign(return_min=-1, is_return=False)
    return pd.concat([lines, ret], ignore_index=True)

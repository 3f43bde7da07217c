"""generate(): the whole synthetic CRM, from seed to raw exports plus ground truth."""

from __future__ import annotations

from datetime import date

import numpy as np
import pandas as pd
import pyarrow as pa

from crmine.demo._campaigns import make_campaign
from crmine.demo._catalog import NON_PRODUCT_CODES, categories_frame, make_bundles, make_products
from crmine.demo._duplicates import make_duplicates, reassign
from crmine.demo._export import (
    raw_customers,
    raw_feedback,
    raw_interactions,
    raw_orders,
    raw_products,
)
from crmine.demo._formats import series, text
from crmine.demo._inject import flag_rows, inject
from crmine.demo._params import DemoParams
from crmine.demo._people import make_customers
from crmine.demo._purchases import MIN_PER_DAY, simulate
from crmine.demo._types import MISSING_CUSTOMER_ID, DemoData, DemoTruth
from crmine.demo._voice import make_feedback, make_interactions
from crmine.errors import CrmineError


class DemoError(CrmineError):
    """The demo generator was asked for something it cannot make."""


def generate(
    n_customers: int = 2000,
    *,
    seed: int = 0,
    start: date = date(2023, 1, 1),
    months: int = 24,
    dirty: bool = True,
    params: DemoParams | None = None,
) -> DemoData:
    """A synthetic CRM of ``n_customers`` people over ``months`` months from ``start``.

    The model (figures are :class:`DemoParams` defaults):

    - People: 55% China, 27% UK, 18% US; Chinese names for 85% / 12% / 12% of them; unique
      e-mail, E.164 phone, and name + city; acquisition channel leaning to "referral" and
      "store" for loyal customers. 30% sign up in the first month, the rest uniformly over
      the first 75% of the window; 3% never buy.
    - Purchases: BG/NBD (Fader, Hardie & Lee 2005) in days. First order 10 min-2 days after
      signup; then Poisson repeats at λ ~ Gamma(r=0.9, rate α=60) per day, scaled ×1.6 in
      November and December; after each repeat the customer drops out with p ~ Beta(1.2, 6).
      Satisfaction ~ N(0, 1) correlates 0.6 with -logit(p).
    - Baskets: 1 + Poisson(1.5) lines from the customer's category tastes (Dirichlet(0.5)) and
      Zipf popularity; 25% of orders add one of 6 bundles (pairs and triples); 12% of buyers
      also re-buy a consumable every 30/45/60 days (jitter 10%) until they drop out; 10% of
      lines at a promotional price; a POST line on orders outside China, a 10% DISCOUNT line
      on 5% of orders; 3% of product lines returned 3-30 days later as ``C<order>`` (more by
      unhappy customers). Amounts are in CNY.
    - Feedback on 15% of orders and service contacts at ~2 a year, both driven by
      satisfaction (see ``_voice``).
    - A pilot coupon campaign 45 days before the end with a randomised control group; the
      coupon moves the UK customers only (see ``_campaigns``).
    - Dirt (``dirty=True``): 3% duplicate customers, 3% guest orders without a customer id,
      mixed spellings of dates, prices, phones, genders and countries, 0.5% exact duplicate
      rows and 0.2% unreadable rows per file; every injected row is listed in
      ``truth.issues``.

    Same arguments, same data: every random draw comes from ``numpy.random.Generator``s
    spawned from ``seed``, one per stage. With ``dirty=False`` the exports use one clean
    spelling per value and hold no duplicates, guest lines or bad rows (returns, POST and
    DISCOUNT lines remain).
    """
    if n_customers < 1:
        raise DemoError(f"n_customers must be at least 1, got {n_customers}")
    if months < 1:
        raise DemoError(f"months must be at least 1, got {months}")
    params = params or DemoParams()
    rngs = [np.random.default_rng(s) for s in np.random.SeedSequence(seed).spawn(10)]
    start_ts = pd.Timestamp(start)
    end_ts = start_ts + pd.DateOffset(months=months)
    n_days = int((end_ts - start_ts).days)

    products = make_products(rngs[0], params)
    bundles = make_bundles(rngs[0], products, params)
    cust = make_customers(n_customers, rngs[1], n_days, start_ts, params)
    cust["signup_min"] = np.floor(cust["signup_t"].to_numpy() * MIN_PER_DAY).astype(np.int64)
    purch = simulate(rngs[2], cust, products, bundles, start_ts, n_days, params, guests=dirty)
    dups = make_duplicates(rngs[3], cust, params.duplicate_customer_share if dirty else 0.0,
                           n_days)

    lines = _raw_ids_for_orders(rngs[4], purch.lines, dups, cust["customer_id"], start_ts)
    fb = make_feedback(rngs[5], cust, lines, end_ts, params)
    inter = make_interactions(rngs[6], cust, start_ts, n_days, purch.dropout_min, params)
    owner = inter.pop("_owner").to_numpy()
    minutes = ((inter["ts"] - start_ts) // pd.Timedelta(minutes=1)).to_numpy()
    d = reassign(rngs[7], owner, minutes, dups, n_customers)
    inter.insert(1, "raw_customer_id", _export_ids(cust["customer_id"], dups, owner, d))

    camp, raw_camp = make_campaign(rngs[9], cust, end_ts, start_ts)

    rng = rngs[8]
    raw_c = raw_customers(rng, cust, dups, start_ts, params, dirty)
    raw_o = raw_orders(rng, lines, params, dirty)
    raw_f = raw_feedback(rng, fb, dirty)
    raw_i = raw_interactions(rng, inter, dirty)
    issues = []
    if dirty:
        def sizes(frame: pd.DataFrame) -> tuple[int, int]:
            n = len(frame)
            return (round(params.bad_row_share * n),
                    round(params.exact_duplicate_share * n))
        raw_c, iss = inject(rng, raw_c, "customers", "客户编号", {}, 0, sizes(raw_c)[1])
        issues.append(iss)
        raw_o, iss = inject(rng, raw_o, "orders", "InvoiceNo",
                            {"InvoiceDate": "date", "Quantity": "number"}, *sizes(raw_o))
        issues.append(iss)
        flagged = set(iss["row"])
        guest = np.flatnonzero(raw_o["CustomerID"].isna().to_numpy()
                               & ~np.isin(np.arange(len(raw_o)), list(flagged)))
        issues.append(flag_rows(guest, raw_o["InvoiceNo"].to_numpy()[guest], "orders",
                                MISSING_CUSTOMER_ID))
        raw_f, iss = inject(rng, raw_f, "feedback", "feedback_id",
                            {"date": "date", "score": "number"}, *sizes(raw_f))
        issues.append(iss)
        raw_i, iss = inject(rng, raw_i, "interactions", "customer_id",
                            {"timestamp": "date"}, *sizes(raw_i))
        issues.append(iss)
    issue_frame = (pd.concat(issues, ignore_index=True) if issues else
                   pd.DataFrame(columns=["entity", "row", "key", "issue", "quarantine"]))

    truth = DemoTruth(
        customers=_truth_customers(cust, purch, products, start_ts),
        orders=lines,
        duplicates=dups[["kept_id", "duplicate_id", "match"]].reset_index(drop=True),
        issues=issue_frame,
        bundles=bundles[["bundle_id", "product_ids", "prob"]],
        feedback=fb,
        interactions=inter,
        campaigns=camp,
        categories=categories_frame(),
        non_product_codes=NON_PRODUCT_CODES,
        currency="CNY",
        start=start_ts.date(),
        end=end_ts.date(),
        params=params,
    )
    return DemoData(
        customers=raw_c,
        orders=raw_o,
        products=raw_products(products),
        feedback=raw_f,
        interactions=raw_i,
        campaigns=raw_camp,
        truth=truth,
    )


def _raw_ids_for_orders(
    rng: np.random.Generator, lines: pd.DataFrame, dups: pd.DataFrame, cust_ids: pd.Series,
    start: pd.Timestamp,
) -> pd.DataFrame:
    """The customer id each order carries in the export: a duplicate's id for some orders.

    A return carries the id of the order it returns (lines are in time order, so the first
    line of an order number is the original order's).
    """
    n = len(cust_ids)
    owner_line = lines.pop("_cust").to_numpy()
    base = lines["order_id"].str.removeprefix("C").astype(np.int64).to_numpy()
    _, first, inverse = np.unique(base, return_index=True, return_inverse=True)
    owner = owner_line[first]
    minutes = ((lines["order_ts"].to_numpy()[first] - start.to_datetime64())
               // np.timedelta64(1, "m")).astype(np.int64)
    d = reassign(rng, owner, minutes, dups, n)[inverse]
    owner = owner[inverse]
    lines.insert(2, "raw_customer_id", _export_ids(cust_ids, dups, owner, d))
    return lines


def _export_ids(cust_ids: pd.Series, dups: pd.DataFrame, owner: np.ndarray,
                d: np.ndarray) -> pd.Series:
    """The id in the export: the duplicate's where ``d`` >= 0, else the owner's (or empty)."""
    idx = np.where(d >= 0, len(cust_ids) + d, owner)
    ids = pa.concat_arrays([text(cust_ids), text(dups["duplicate_id"])])
    return series(ids.take(pa.array(np.maximum(idx, 0), mask=idx < 0)))


def _truth_customers(
    cust: pd.DataFrame, purch, products: pd.DataFrame, start: pd.Timestamp
) -> pd.DataFrame:
    """Canonical clean customers plus their latent behaviour."""
    def ts(minutes: np.ndarray) -> pd.Series:
        return start + pd.to_timedelta(minutes, unit="min")

    bought = ~np.isnan(purch.first_order_min)
    cyc = purch.cycle_product
    pid = products["product_id"].to_numpy(dtype=object)
    cdays = products["cycle_days"].to_numpy()
    alive = pd.array(np.isnan(purch.dropout_min), dtype="boolean")
    alive[~bought] = pd.NA
    return pd.DataFrame({
        "customer_id": cust["customer_id"],
        "name": cust["name"],
        "email": cust["email"],
        "phone": cust["phone"],
        "gender": cust["gender"],
        "birth_date": cust["birth_date"],
        "city": cust["city"],
        "region": cust["region"],
        "country": cust["country"],
        "signup_date": ts(cust["signup_min"].to_numpy()).normalize(),
        "signup_ts": ts(cust["signup_min"].to_numpy()),
        "channel": cust["channel"],
        "name_lang": cust["name_lang"],
        "lam": cust["lam"],
        "p": cust["p"],
        "satisfaction": cust["satisfaction"],
        "first_order_ts": ts(purch.first_order_min),
        "n_repeat": purch.n_repeat,
        "dropout_ts": ts(purch.dropout_min),
        "alive_at_end": alive,
        "churned": ~alive,
        "cycle_product_id": np.where(cyc >= 0, pid[np.maximum(cyc, 0)], None),
        "cycle_days": np.where(cyc >= 0, cdays[np.maximum(cyc, 0)], 0),
    })

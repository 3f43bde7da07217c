"""Exports of shapes no shared data set has, written as a shop's system would write them.

Each function writes one or more files into a folder and returns ``{entity: path}`` plus the
facts the invariants are checked against (``Truth``): how many lines the data itself marks
as returns, and the net revenue of the lines a user would count.
"""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path

import numpy as np
import pandas as pd


@dataclass(frozen=True)
class Truth:
    """What the source says, independent of crmine."""

    return_lines: int  # lines the data marks as returns / refunds / cancellations
    net_revenue: float  # purchases minus returns, in the file's own amounts
    order_lines: int


def _days(rng: np.random.Generator, n: int, start: str = "2022-01-03", span: int = 900):
    return pd.Timestamp(start) + pd.to_timedelta(rng.integers(0, span, n), unit="D")


def b2b_accounts_and_deals(folder: Path, seed: int = 0) -> tuple[dict[str, Path], Truth]:
    """A B2B CRM: accounts (one row each) and the deals won, with close dates and values."""
    rng = np.random.default_rng(seed)
    n_acc = 400
    accounts = pd.DataFrame({
        "Account ID": [f"ACC-{i:05d}" for i in range(n_acc)],
        "Account Name": [f"Company {i} Ltd" for i in range(n_acc)],
        "Industry": rng.choice(["Manufacturing", "Retail", "Finance", "Health"], n_acc),
        "Billing Country": rng.choice(["Germany", "France", "Spain", "Italy"], n_acc),
        "Created Date": _days(rng, n_acc, "2020-01-01", 700).strftime("%Y-%m-%d"),
        "Employees": rng.integers(5, 5000, n_acc),
    })  # fmt: skip
    n = 2600
    acc = rng.integers(0, n_acc, n)
    deals = pd.DataFrame({
        "Opportunity ID": [f"OPP-{i:06d}" for i in range(n)],
        "Account ID": accounts["Account ID"].to_numpy()[acc],
        "Close Date": _days(rng, n).strftime("%d/%m/%Y"),
        "Amount": np.round(rng.gamma(2.0, 4000.0, n), 2),
        "Product Line": rng.choice(["Licences", "Support", "Training", "Hardware"], n),
        "Stage": "Closed Won",
    })  # fmt: skip
    folder.mkdir(parents=True, exist_ok=True)
    paths = {"customers": folder / "accounts.csv", "orders": folder / "won_deals.csv"}
    accounts.to_csv(paths["customers"], index=False)
    deals.to_csv(paths["orders"], index=False)
    return paths, Truth(0, float(deals["Amount"].sum()), n)


def orders_with_status_and_refunds(folder: Path, seed: int = 1) -> tuple[dict[str, Path], Truth]:
    """An order export with a status column; refunds are separate negative lines."""
    rng = np.random.default_rng(seed)
    n_orders, n_cust = 3000, 500
    cust = rng.integers(0, n_cust, n_orders)
    day = _days(rng, n_orders)
    rows = []
    for k in range(3):  # up to three lines per order, vectorised per line slot
        keep = rng.random(n_orders) < (1.0, 0.6, 0.3)[k]
        rows.append(pd.DataFrame({
            "order_no": [f"{100000 + i}" for i in np.flatnonzero(keep)],
            "customer": [f"cust{c:04d}" for c in cust[keep]],
            "order_date": day[keep].strftime("%Y-%m-%d %H:%M"),
            "sku": [f"SKU{s:03d}" for s in rng.integers(0, 80, keep.sum())],
            "qty": rng.integers(1, 4, keep.sum()),
            "price": np.round(rng.uniform(5, 120, keep.sum()), 2),
            "status": rng.choice(["completed", "shipped", "cancelled"], keep.sum(),
                                 p=[0.85, 0.1, 0.05]),
        }))  # fmt: skip
    lines = pd.concat(rows, ignore_index=True)
    refund_of = lines.sample(frac=0.04, random_state=seed)
    refunds = refund_of.assign(
        order_no="R" + refund_of["order_no"], qty=-refund_of["qty"], status="refunded",
        order_date=(pd.to_datetime(refund_of["order_date"]) + pd.Timedelta(days=9)).dt.strftime(
            "%Y-%m-%d %H:%M"),
    )  # fmt: skip
    lines = pd.concat([lines, refunds], ignore_index=True)
    folder.mkdir(parents=True, exist_ok=True)
    path = folder / "orders.csv"
    lines.to_csv(path, index=False)
    value = lines["qty"] * lines["price"]
    cancelled = lines["status"].eq("cancelled")
    marked = int((cancelled | lines["status"].eq("refunded")).sum())
    net = float(value[~cancelled].sum())  # cancelled orders never happened
    return {"orders": path}, Truth(marked, net, len(lines))


def subscriptions(folder: Path, seed: int = 2) -> tuple[dict[str, Path], Truth]:
    """A subscription table: one contract per customer, cancelled ones with an end date."""
    rng = np.random.default_rng(seed)
    n = 800
    start = _days(rng, n, "2021-01-01", 700)
    ended = rng.random(n) < 0.3
    end = start + pd.to_timedelta(rng.integers(30, 500, n), unit="D")
    frame = pd.DataFrame({
        "subscriber_id": [f"S{i:05d}" for i in range(n)],
        "plan": rng.choice(["basic", "plus", "pro"], n),
        "start_date": start.strftime("%Y-%m-%d"),
        "end_date": np.where(ended, end.strftime("%Y-%m-%d"), ""),
        "monthly_fee": rng.choice([9.99, 19.99, 49.0], n),
        "cancel_reason": np.where(ended, rng.choice(["price", "moved", "service"], n), ""),
    })  # fmt: skip
    folder.mkdir(parents=True, exist_ok=True)
    path = folder / "subscriptions.csv"
    frame.to_csv(path, index=False)
    return {"subscriptions": path}, Truth(0, 0.0, 0)


def lines_repeating_customer_facts(folder: Path, seed: int = 3) -> tuple[dict[str, Path], Truth]:
    """Superstore-style lines: letter-prefixed order ids (CA-…, US-…), the customer's name,
    segment, city, state, region and postal code repeated on every line, sales and profit."""
    rng = np.random.default_rng(seed)
    n_cust, n_orders = 300, 2200
    city = rng.choice(["Seattle", "Houston", "Boston", "Denver", "Miami"], n_cust)
    state = pd.Series(city).map({"Seattle": "Washington", "Houston": "Texas",
                                 "Boston": "Massachusetts", "Denver": "Colorado",
                                 "Miami": "Florida"}).to_numpy()  # fmt: skip
    segment = rng.choice(["Consumer", "Corporate", "Home Office"], n_cust)
    cust = rng.integers(0, n_cust, n_orders)
    prefix = rng.choice(["CA", "US"], n_orders)
    year = rng.integers(2015, 2018, n_orders)
    ids = [f"{p}-{y}-{100000 + i}" for i, (p, y) in enumerate(zip(prefix, year, strict=True))]
    day = pd.to_datetime(year.astype(str) + "-01-01") + pd.to_timedelta(
        rng.integers(0, 360, n_orders), unit="D")  # fmt: skip
    per = rng.integers(1, 4, n_orders)
    o = np.repeat(np.arange(n_orders), per)
    n = len(o)
    sales = np.round(rng.gamma(2.0, 60.0, n), 2)
    frame = pd.DataFrame({
        "Row ID": np.arange(1, n + 1),
        "Order ID": np.asarray(ids)[o],
        "Order Date": day[o].strftime("%m/%d/%Y"),
        "Customer ID": [f"{'ABCDEFGH'[c % 8]}{'KLMNOP'[c % 6]}-{10000 + c}" for c in cust[o]],
        "Customer Name": [f"Client {c}" for c in cust[o]],
        "Segment": segment[cust[o]],
        "City": city[cust[o]],
        "State": state[cust[o]],
        "Region": rng.choice(["West", "East"], n_cust)[cust[o]],
        "Postal Code": (98000 + cust[o] % 90).astype(str),
        "Product ID": [f"OFF-PA-{10000 + p}" for p in rng.integers(0, 150, n)],
        "Category": rng.choice(["Furniture", "Office Supplies", "Technology"], n),
        "Sales": sales,
        "Quantity": rng.integers(1, 6, n),
        "Profit": np.round(sales * rng.uniform(-0.2, 0.4, n), 2),
    })  # fmt: skip
    folder.mkdir(parents=True, exist_ok=True)
    path = folder / "superstore_orders.csv"
    frame.to_csv(path, index=False)
    return {"orders": path}, Truth(0, float(sales.sum()), n)


def storefront_order_export(folder: Path, seed: int = 4) -> tuple[dict[str, Path], Truth]:
    """A storefront's order export (Shopify's layout): the order number under ``Name``
    (``#1001``), the customer's e-mail, order-level fields (financial status, total) on an
    order's first line only, line items as ``Lineitem quantity / name / price / sku``, and
    a ``Refunded Amount`` that is not the line's value."""
    rng = np.random.default_rng(seed)
    n_orders, n_cust = 2500, 400
    cust = rng.integers(0, n_cust, n_orders)
    created = (pd.Timestamp("2023-01-02") + pd.to_timedelta(rng.integers(0, 600 * 1440,
               n_orders), unit="min"))  # fmt: skip
    status = rng.choice(["paid", "refunded", "partially_refunded", "pending"], n_orders,
                        p=[0.7, 0.08, 0.07, 0.15])  # fmt: skip
    n_lines = rng.integers(1, 4, n_orders)
    order = np.repeat(np.arange(n_orders), n_lines)
    first = np.r_[True, order[1:] != order[:-1]]
    qty = rng.integers(1, 4, len(order))
    price = rng.choice([5.0, 9.5, 12.0, 15.0, 19.0, 24.0], len(order))
    names = np.array(["Blue Mug", "Red Tee", "Tote Bag", "Candle", "Notebook", "Poster"])
    position = np.arange(len(order)) - np.repeat(np.cumsum(n_lines) - n_lines, n_lines)
    item = (rng.integers(0, len(names), n_orders)[order] + position) % len(names)  # distinct
    totals = pd.Series(qty * price).groupby(order).transform("sum").to_numpy()
    stamp = created.strftime("%Y-%m-%d %H:%M:%S +0100").to_numpy()[order]
    lines = pd.DataFrame({
        "Name": [f"#{1001 + o}" for o in order],
        "Email": [f"buyer{c}@shop.example" for c in cust[order]],
        "Financial Status": np.where(first, status[order], ""),
        "Paid at": np.where(first, stamp, ""),
        "Fulfillment Status": np.where(first, "fulfilled", ""),
        "Currency": "EUR",
        "Total": np.where(first, totals, np.nan),
        "Created at": stamp,
        "Lineitem quantity": qty,
        "Lineitem name": names[item],
        "Lineitem price": price,
        "Lineitem sku": [f"SKU-{i}" for i in item],
        "Billing Name": [f"Buyer {c}" for c in cust[order]],
        "Billing Country": np.where(cust[order] % 3 == 0, "DE", "FR"),
        "Refunded Amount": np.where(first & (status[order] == "refunded"), totals, 0.0),
    })  # fmt: skip
    folder.mkdir(parents=True, exist_ok=True)
    path = folder / "orders_export.csv"
    lines.to_csv(path, index=False)
    refunded = status[order] == "refunded"  # the whole order; a partial refund stands
    net = float((qty * price)[~refunded].sum())
    return {"orders": path}, Truth(int(refunded.sum()), net, len(lines))


SHAPES = {
    "b2b_accounts_and_deals": b2b_accounts_and_deals,
    "orders_with_status_and_refunds": orders_with_status_and_refunds,
    "subscriptions": subscriptions,
    "lines_repeating_customer_facts": lines_repeating_customer_facts,
    "storefront_order_export": storefront_order_export,
}

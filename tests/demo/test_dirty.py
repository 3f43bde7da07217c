"""Dirty values are present in the documented proportions, and absent when dirty=False."""

from __future__ import annotations

import numpy as np
import pandas as pd
import pytest

from crmine.demo._formats import DATE_FORMATS, DATE_STYLES, MONEY_STYLES
from crmine.demo._inject import BAD_DATES
from crmine.demo._types import EXACT_DUPLICATE, MISSING_CUSTOMER_ID, NON_NUMERIC, UNPARSEABLE_DATE

STYLE_PATTERNS = {
    "iso": r"^\d{4}-\d\d-\d\d \d\d:\d\d:\d\d$",
    "slash": r"^\d{4}/\d{1,2}/\d{1,2} \d\d:\d\d$",
    "dayfirst": r"^\d\d/\d\d/\d{4} \d\d:\d\d$",
    "zh": r"^\d{4}年\d{1,2}月\d{1,2}日 \d\d:\d\d$",
}
MONEY_PATTERNS = {
    "plain": r"^-?\d+\.\d\d$",
    "yuan": r"^-?¥\d{1,3}(,\d{3})*\.\d\d$",
    "code": r"^CNY -?\d{1,3}(,\d{3})*\.\d\d$",
    "thousands": r"^-?\d{1,3}(,\d{3})*\.\d\d$",
}


def _issues(data, entity):
    iss = data.truth.issues
    return iss[iss["entity"] == entity]


def test_date_styles_in_documented_shares(dirty):
    s = dirty.orders["InvoiceDate"]
    shares = dirty.truth.params.date_format_shares
    for style, share in zip(DATE_STYLES, shares, strict=True):
        got = s.str.match(STYLE_PATTERNS[style]).mean()
        assert abs(got - share) < 0.03, style


def test_price_styles_in_documented_shares(dirty):
    s = dirty.orders["UnitPrice"]
    shares = dict(zip(MONEY_STYLES, dirty.truth.params.price_format_shares, strict=True))
    plain = s.str.match(MONEY_PATTERNS["plain"]).mean()
    yuan = s.str.match(MONEY_PATTERNS["yuan"]).mean()
    code = s.str.match(MONEY_PATTERNS["code"]).mean()
    assert abs(plain - shares["plain"]) < 0.05  # "thousands" below 1,000 looks plain
    assert abs(yuan - shares["yuan"]) < 0.03
    assert abs(code - shares["code"]) < 0.02
    assert s.str.contains(r"¥\d{1,3},\d{3}\.").any(), "some ¥1,234.50 amounts"


def test_bad_rows_cannot_be_read(dirty):
    iss = _issues(dirty, "orders")
    assert set(iss["issue"]) == {UNPARSEABLE_DATE, NON_NUMERIC, EXACT_DUPLICATE,
                                 MISSING_CUSTOMER_ID}
    rows = dirty.orders.iloc[iss["row"].to_numpy()]
    dates = rows.loc[(iss["issue"] == UNPARSEABLE_DATE).to_numpy(), "InvoiceDate"]
    assert dates.isin(BAD_DATES).all() and len(dates) > 0
    for fmt in DATE_FORMATS.values():
        assert pd.to_datetime(dates, format=fmt, errors="coerce").isna().all()
    qty = rows.loc[(iss["issue"] == NON_NUMERIC).to_numpy(), "Quantity"]
    assert len(qty) > 0 and pd.to_numeric(qty, errors="coerce").isna().all()
    # Every other row has a readable quantity.
    good = dirty.orders.drop(index=iss.loc[iss["issue"] == NON_NUMERIC, "row"])
    assert pd.to_numeric(good["Quantity"], errors="coerce").notna().all()


@pytest.mark.parametrize("entity", ["customers", "orders", "feedback", "interactions"])
def test_exact_duplicates_repeat_the_previous_row(dirty, entity):
    frame = dirty.frames()[entity]
    iss = _issues(dirty, entity)
    rows = iss.loc[iss["issue"] == EXACT_DUPLICATE, "row"].to_numpy()
    share = dirty.truth.params.exact_duplicate_share
    n_source = len(frame) - len(iss[iss["quarantine"]])
    assert len(rows) == round(share * n_source)
    dup_mask = frame.duplicated(keep="first").to_numpy()
    assert set(np.flatnonzero(dup_mask)) == set(rows)
    for r in rows:
        prev = frame.iloc[r - 1].fillna("")
        assert prev.equals(frame.iloc[r].fillna(""))


def test_issue_counts_follow_the_parameters(dirty):
    p = dirty.truth.params
    iss = _issues(dirty, "orders")
    n_lines = len(dirty.truth.orders)
    bad = iss["issue"].isin([UNPARSEABLE_DATE, NON_NUMERIC]).sum()
    assert bad == round(p.bad_row_share * n_lines)
    guest = dirty.truth.orders["source"] == "guest"
    assert (iss["issue"] == MISSING_CUSTOMER_ID).sum() == dirty.orders["CustomerID"].isna().sum() \
        - iss.loc[iss["quarantine"], "row"].isin(
            np.flatnonzero(dirty.orders["CustomerID"].isna())).sum()
    orders = dirty.truth.orders.drop_duplicates("order_id")
    share = (orders["source"] == "guest").sum() / (orders["source"] == "bgnbd").sum()
    assert abs(share - p.guest_order_share) < 0.005
    assert dirty.truth.orders.loc[guest, "customer_id"].isna().all()


def test_duplicate_customers_in_the_documented_share(dirty):
    t = dirty.truth
    assert len(t.duplicates) == round(t.params.duplicate_customer_share * len(t.customers))
    ids = set(dirty.customers["客户编号"])
    assert set(t.duplicates["duplicate_id"]) <= ids
    assert not set(t.duplicates["duplicate_id"]) & set(t.customers["customer_id"])


def test_customer_values_are_mixed(dirty):
    c = dirty.customers
    assert {"男", "女", "M", "F"} <= set(c["性别"].dropna())
    assert {"中国", "China", "United Kingdom", "UK"} <= set(c["国家"].dropna())
    phones = c["手机"].dropna()
    for pattern in (r"^1[3-9]\d{9}$", r"^\+86 1\d\d \d{4} \d{4}$", r"^\(020\) \d{4} \d{4}$",
                    r"^\+44 7\d{3} \d{6}$", r"^\(\d{3}\) \d{3}-\d{4}$"):
        assert phones.str.match(pattern).any(), pattern
    assert c["邮箱"].isna().mean() > 0.03
    assert c["出生日期"].str.match(r"^\d{4}/\d{1,2}/\d{1,2}$").any()


def test_clean_exports_hold_no_dirt(clean):
    t = clean.truth
    assert t.issues.empty and t.duplicates.empty
    assert clean.orders["InvoiceDate"].str.match(STYLE_PATTERNS["iso"]).all()
    assert clean.orders["UnitPrice"].str.match(MONEY_PATTERNS["plain"]).all()
    assert clean.orders["CustomerID"].notna().all()
    assert not clean.orders.duplicated().any()
    assert set(clean.customers["性别"]) <= {"M", "F"}
    assert clean.customers["手机"].str.startswith("+").all()
    assert (clean.customers["客户编号"].sort_values().to_numpy()
            == t.customers["customer_id"].to_numpy()).all()
    assert t.orders["is_return"].any(), "returns are structure, not dirt"

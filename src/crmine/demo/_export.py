"""Raw export frames: the clean truth spelled as CRM exports spell it, dirty or not.

Every value is text (None = empty field). Column headers are the exports' own: Chinese for the
customers file, English elsewhere.
"""

from __future__ import annotations

import numpy as np
import pandas as pd

from crmine.demo import _vocab as V
from crmine.demo._formats import (
    DATE_STYLES,
    MONEY_STYLES,
    PHONE_STYLES,
    format_date,
    format_money,
    format_phone,
    format_ts,
    series,
    text,
    with_nulls,
)
from crmine.demo._params import DemoParams

CUSTOMER_COLUMNS = {  # canonical → export header
    "customer_id": "客户编号", "name": "姓名", "gender": "性别", "birth_date": "出生日期",
    "city": "城市", "region": "省份", "country": "国家", "phone": "手机", "email": "邮箱",
    "signup_ts": "注册时间", "channel": "渠道",
}
ORDER_COLUMNS = ("InvoiceNo", "InvoiceDate", "CustomerID", "StockCode", "Description",
                 "Quantity", "UnitPrice", "Category", "Country")
FEEDBACK_COLUMNS = ("feedback_id", "customer_id", "date", "kind", "score", "text")
INTERACTION_COLUMNS = ("customer_id", "timestamp", "channel", "direction", "topic", "text",
                       "duration_s", "resolved")
GENDER_SPELLINGS = {"M": ("男", "M", "male", "男性"), "F": ("女", "F", "female", "女性")}


def _choose(rng: np.random.Generator, options, shares, n: int) -> np.ndarray:
    shares = np.asarray(shares, dtype=float)
    return np.asarray(options)[rng.choice(len(options), size=n, p=shares / shares.sum())]


def _blank(values: np.ndarray, mask: np.ndarray) -> np.ndarray:
    out = np.asarray(values, dtype=object).copy()
    out[mask] = None
    return out


def _num(values: np.ndarray, decimals: int = 0) -> pd.Series:
    """Numbers as text; NaN becomes an empty field."""
    v = np.asarray(values, dtype=float)
    nan = np.isnan(v)
    v = np.nan_to_num(v)
    txt = (text(v.astype(np.int64)) if decimals == 0
           else format_money(v, np.full(len(v), "plain")))
    return series(with_nulls(txt, nan))


def _str(values) -> pd.Series:
    return series(text(values))


def raw_customers(
    rng: np.random.Generator, cust: pd.DataFrame, dups: pd.DataFrame, start: pd.Timestamp,
    params: DemoParams, dirty: bool,
) -> pd.DataFrame:
    """The customers export, duplicate records included, in signup order (Chinese headers)."""
    n, k = len(cust), len(dups)
    kept = dups["kept_idx"].to_numpy()
    match = dups["match"].to_numpy()
    rows = pd.concat([cust.drop(columns="name"), cust.iloc[kept].drop(columns="name")],
                     ignore_index=True)
    rows["name"] = np.concatenate([cust["name"].to_numpy(dtype=object),
                                   dups["name"].to_numpy(dtype=object)])
    rows["customer_id"] = np.concatenate([cust["customer_id"], dups["duplicate_id"]])
    rows["signup_min"] = np.concatenate([cust["signup_min"], dups["signup_min"]])
    is_dup = np.arange(n + k) >= n
    m = len(rows)

    email = rows["email"].to_numpy(dtype=object)
    phone_style = np.zeros(m, dtype=int)
    gender = rows["gender"].to_numpy(dtype=object)
    country = rows["country"].to_numpy(dtype=object)
    birth_slash = np.zeros(m, bool)
    signup_style = np.full(m, "iso")
    name = rows["name"].to_numpy(dtype=object)
    if dirty:
        # Original records that a duplicate is matched on keep that field filled in.
        need_email = np.zeros(m, bool)
        need_email[kept[match == "email"]] = True
        need_phone = np.zeros(m, bool)
        need_phone[kept[match == "phone"]] = True
        shout = rng.random(m) < 0.05
        email = np.where(shout, pd.Series(email).str.upper().str.strip() + " ", email)
        phone_style = rng.integers(0, PHONE_STYLES, m)
        for g, spell in GENDER_SPELLINGS.items():
            mg = gender == g
            gender[mg] = _choose(rng, spell, (0.55, 0.25, 0.1, 0.1), int(mg.sum()))
        gender = _blank(gender, rng.random(m) < 0.03)
        for c, spell in V.COUNTRY_SPELLINGS.items():
            mc = country == c
            country[mc] = _choose(rng, spell, (0.8, 0.15, 0.05), int(mc.sum()))
        birth_slash = rng.random(m) < 0.3
        signup_style = np.where(rng.random(m) < 0.2, "slash", "iso")
        email = _blank(email, ~need_email & (rng.random(m) < params.missing_email_share))
        phone_missing = ~need_phone & (rng.random(m) < params.missing_phone_share)
        birth_missing = rng.random(m) < params.missing_birth_date_share
        # Duplicate records: the matched field is spelled differently, the others are empty.
        d_email, d_phone = is_dup & (np.append(np.full(n, ""), match) == "email"), \
            is_dup & (np.append(np.full(n, ""), match) == "phone")
        email = np.where(d_email, pd.Series(rows["email"]).str.capitalize(), email)
        email = _blank(email, is_dup & ~d_email)
        orig_style = np.append(phone_style[:n], phone_style[kept])
        phone_style = np.where(d_phone, (orig_style + 1 + rng.integers(0, PHONE_STYLES - 1, m))
                               % PHONE_STYLES, phone_style)
        phone_missing = (phone_missing & ~d_phone) | (is_dup & ~d_phone)
        # English name duplicates may differ in case only.
        en_dup = is_dup & (rows["name_lang"].to_numpy() == "en") & (rng.random(m) < 0.5)
        name = np.where(en_dup, pd.Series(name).str.lower(), name)
    else:
        phone_missing = birth_missing = np.zeros(m, bool)
        gender = gender.copy()
    phone = with_nulls(format_phone(rows["phone"].to_numpy(), rows["phone_kind"].to_numpy(),
                                    phone_style), phone_missing)
    signup_ts = start + pd.to_timedelta(rows["signup_min"], unit="min")
    out = pd.DataFrame({
        "customer_id": _str(rows["customer_id"]),
        "name": _str(name),
        "gender": _str(gender),
        "birth_date": series(with_nulls(format_date(rows["birth_date"], birth_slash),
                                        birth_missing)),
        "city": _str(rows["city"]),
        "region": _str(rows["region"]),
        "country": _str(country),
        "phone": series(phone),
        "email": _str(email),
        "signup_ts": series(format_ts(signup_ts, signup_style)),
        "channel": _str(rows["channel"]),
        "_order": rows["signup_min"].to_numpy(),
    })
    out = out.sort_values(["_order", "customer_id"], kind="stable").drop(columns="_order")
    return out.rename(columns=CUSTOMER_COLUMNS).reset_index(drop=True)


def raw_orders(
    rng: np.random.Generator, lines: pd.DataFrame, params: DemoParams, dirty: bool
) -> pd.DataFrame:
    """The orders export (Online Retail-like headers), one row per truth line, same order."""
    n = len(lines)
    if dirty:
        date_style = _choose(rng, DATE_STYLES, params.date_format_shares, n)
        money_style = _choose(rng, MONEY_STYLES, params.price_format_shares, n)
    else:
        date_style, money_style = np.full(n, "iso"), np.full(n, "plain")
    return pd.DataFrame({
        "InvoiceNo": lines["order_id"],
        "InvoiceDate": series(format_ts(lines["order_ts"], date_style)),
        "CustomerID": lines["raw_customer_id"],
        "StockCode": lines["product_id"],
        "Description": lines["product_name"],
        "Quantity": _num(lines["quantity"].to_numpy()),
        "UnitPrice": series(format_money(lines["unit_price"].to_numpy(), money_style)),
        "Category": lines["category"],
        "Country": lines["country"],
    })


def raw_products(products: pd.DataFrame) -> pd.DataFrame:
    """The catalogue export, English headers, prices as plain decimals."""
    return pd.DataFrame({
        "product_id": _str(products["product_id"]),
        "name": _str(products["name"]),
        "name_zh": _str(products["name_zh"]),
        "category": _str(products["category"]),
        "category_zh": _str(products["category_zh"]),
        "brand": _str(products["brand"]),
        "price": _num(products["price"].to_numpy(), 2),
        "cost": _num(products["cost"].to_numpy(), 2),
    })


def raw_feedback(rng: np.random.Generator, fb: pd.DataFrame, dirty: bool) -> pd.DataFrame:
    """The feedback export; dirty dates are sometimes ``2024/1/5 14:03``."""
    n = len(fb)
    style = np.where(dirty & (rng.random(n) < 0.2), "slash", "iso")
    return pd.DataFrame({
        "feedback_id": _str(fb["feedback_id"]),
        "customer_id": _str(fb["raw_customer_id"]),
        "date": series(format_ts(fb["ts"], style)),
        "kind": _str(fb["kind"]),
        "score": _num(fb["score"].to_numpy()),
        "text": _str(fb["text"]),
    }, columns=list(FEEDBACK_COLUMNS))


def raw_interactions(rng: np.random.Generator, it: pd.DataFrame, dirty: bool) -> pd.DataFrame:
    """The interactions export; dirty ``resolved`` flags mix true/false with yes/no."""
    n = len(it)
    res = it["resolved"].to_numpy()
    yes_no = dirty & (rng.random(n) < 0.2)
    resolved = np.where(yes_no, np.where(res, "yes", "no"), np.where(res, "true", "false"))
    return pd.DataFrame({
        "customer_id": _str(it["raw_customer_id"]),
        "timestamp": series(format_ts(it["ts"], np.full(n, "iso"))),
        "channel": _str(it["channel"]),
        "direction": _str(it["direction"]),
        "topic": _str(it["topic"]),
        "text": _str(it["text"]),
        "duration_s": _num(it["duration_s"].to_numpy()),
        "resolved": _str(resolved),
    }, columns=list(INTERACTION_COLUMNS))

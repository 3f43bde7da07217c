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


def _num(values: np.ndarray, decimals: int = 0) -> np.ndarray:
    """Numbers as text; NaN becomes None."""
    v = np.asarray(values, dtype=float)
    txt = (pd.Series(np.nan_to_num(v).astype(np.int64)).astype(str) if decimals == 0
           else pd.Series(np.nan_to_num(v)).round(decimals).map(f"{{:.{decimals}f}}".format))
    return _blank(txt.to_numpy(dtype=object), np.isnan(v))


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
    phone = _blank(format_phone(rows["phone"].to_numpy(), rows["phone_kind"].to_numpy(),
                                phone_style), phone_missing)
    signup_ts = start + pd.to_timedelta(rows["signup_min"], unit="min")
    out = pd.DataFrame({
        "customer_id": rows["customer_id"].to_numpy(dtype=object),
        "name": name,
        "gender": gender,
        "birth_date": _blank(format_date(rows["birth_date"], birth_slash), birth_missing),
        "city": rows["city"].to_numpy(dtype=object),
        "region": rows["region"].to_numpy(dtype=object),
        "country": country,
        "phone": phone,
        "email": email,
        "signup_ts": format_ts(signup_ts, signup_style),
        "channel": rows["channel"].to_numpy(dtype=object),
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
        "InvoiceNo": lines["order_id"].to_numpy(dtype=object),
        "InvoiceDate": format_ts(lines["order_ts"], date_style),
        "CustomerID": _blank(lines["raw_customer_id"].to_numpy(dtype=object),
                             lines["raw_customer_id"].isna().to_numpy()),
        "StockCode": lines["product_id"].to_numpy(dtype=object),
        "Description": lines["product_name"].to_numpy(dtype=object),
        "Quantity": _num(lines["quantity"].to_numpy()),
        "UnitPrice": format_money(lines["unit_price"].to_numpy(), money_style),
        "Category": _blank(lines["category"].to_numpy(dtype=object),
                           lines["category"].isna().to_numpy()),
        "Country": lines["country"].to_numpy(dtype=object),
    })


def raw_products(products: pd.DataFrame) -> pd.DataFrame:
    """The catalogue export, English headers, prices as plain decimals."""
    return pd.DataFrame({
        "product_id": products["product_id"].to_numpy(dtype=object),
        "name": products["name"].to_numpy(dtype=object),
        "name_zh": products["name_zh"].to_numpy(dtype=object),
        "category": products["category"].to_numpy(dtype=object),
        "category_zh": products["category_zh"].to_numpy(dtype=object),
        "brand": products["brand"].to_numpy(dtype=object),
        "price": _num(products["price"].to_numpy(), 2),
        "cost": _num(products["cost"].to_numpy(), 2),
    })


def raw_feedback(rng: np.random.Generator, fb: pd.DataFrame, dirty: bool) -> pd.DataFrame:
    """The feedback export; dirty dates are sometimes ``2024/1/5 14:03``."""
    n = len(fb)
    style = np.where(dirty & (rng.random(n) < 0.2), "slash", "iso")
    return pd.DataFrame({
        "feedback_id": fb["feedback_id"].to_numpy(dtype=object),
        "customer_id": fb["raw_customer_id"].to_numpy(dtype=object),
        "date": format_ts(fb["ts"], style),
        "kind": fb["kind"].to_numpy(dtype=object),
        "score": _num(fb["score"].to_numpy()),
        "text": _blank(fb["text"].to_numpy(dtype=object), fb["text"].isna().to_numpy()),
    }, columns=list(FEEDBACK_COLUMNS))


def raw_interactions(rng: np.random.Generator, it: pd.DataFrame, dirty: bool) -> pd.DataFrame:
    """The interactions export; dirty ``resolved`` flags mix true/false with yes/no."""
    n = len(it)
    res = it["resolved"].to_numpy()
    yes_no = dirty & (rng.random(n) < 0.2)
    resolved = np.where(yes_no, np.where(res, "yes", "no"), np.where(res, "true", "false"))
    return pd.DataFrame({
        "customer_id": it["raw_customer_id"].to_numpy(dtype=object),
        "timestamp": format_ts(it["ts"], np.full(n, "iso")),
        "channel": it["channel"].to_numpy(dtype=object),
        "direction": it["direction"].to_numpy(dtype=object),
        "topic": it["topic"].to_numpy(dtype=object),
        "text": it["text"].to_numpy(dtype=object),
        "duration_s": _num(it["duration_s"].to_numpy()),
        "resolved": resolved.astype(object),
    }, columns=list(INTERACTION_COLUMNS))
